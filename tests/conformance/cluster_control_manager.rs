//! `ClusterControlManagerTest` (metadata/src/test/java/org/apache/kafka/controller): broker
//! registration, on a [`ControllerDriver`]. Cluster ids, features, directories and rack-aware
//! placement are not modelled.

use prodsim::model::components::{assign_replicas, ms, ControllerDriver};
use prodsim::RunSpec;

/// `ClusterControlManagerTest.testReRegistrationAndBrokerEpoch` with
/// `DuplicateBrokerRegistrationException` (reference 7.8): a restarted broker's registration is
/// refused while its old session is valid, and accepted (fenced) once the session expired.
#[test]
fn a_re_registration_waits_for_the_old_session() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    let v = d.controller().version;
    d.heartbeat(1, 1, v);
    d.advance_to(ms(3_000));
    d.heartbeat(1, 2, 0); // incarnation 2, old session valid
    assert!(!d.controller().fenced[1], "refused: nothing changes");
    assert_eq!(d.controller().parts[1].leader, Some(1));
    d.advance_to(ms(3_000) + ms(RunSpec::default().cluster.broker_session_timeout_ms));
    assert!(d.controller().fenced[1], "the old session expired");
    d.heartbeat(1, 2, 0);
    assert!(d.controller().fenced[1], "registered, fenced until caught up");
    let v = d.controller().version;
    d.heartbeat(1, 2, v);
    assert!(!d.controller().fenced[1]);
}

/// `ClusterControlManagerTest.testPlaceReplicas` (rack-unaware placement,
/// `AdminUtils.assignReplicasToBrokersRackUnaware` with start index 0): leaders round-robin and
/// followers shifted, every replica of a partition on a distinct broker.
#[test]
fn replicas_are_placed_round_robin_on_distinct_brokers() {
    let mut s = RunSpec::default();
    s.cluster.brokers = 5;
    s.cluster.partitions = 10;
    let a = assign_replicas(&s.cluster);
    for (p, reps) in a.iter().enumerate() {
        assert_eq!(reps[0], p as u32 % 5, "leaders round-robin");
        let mut r = reps.clone();
        r.sort();
        r.dedup();
        assert_eq!(r.len(), 3, "distinct brokers");
    }
    assert_ne!(a[0][1], a[5][1], "followers shift after a full round");
}
