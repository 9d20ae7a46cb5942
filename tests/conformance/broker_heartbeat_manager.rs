//! `BrokerHeartbeatManagerTest` (metadata/src/test/java/org/apache/kafka/controller): broker
//! sessions, fencing at `broker.session.timeout.ms`, unfencing once caught up, on a
//! [`ControllerDriver`].

use prodsim::model::components::{ms, ControllerDriver, Output};
use prodsim::RunSpec;

/// `BrokerHeartbeatManagerTest.testHasValidSession` / `testFindOneStaleBroker`: a broker whose
/// last heartbeat is older than the session timeout is fenced; one that heartbeats is not.
#[test]
fn a_silent_broker_is_fenced_at_the_session_timeout() {
    let s = RunSpec::default();
    let session = ms(s.cluster.broker_session_timeout_ms);
    let mut d = ControllerDriver::new(&s);
    let v = d.controller().version;
    d.heartbeat(0, 1, v);
    d.heartbeat(1, 1, v);
    d.advance_to(ms(2_000));
    d.heartbeat(1, 1, v);
    d.advance_to(session + ms(1_000));
    assert!(d.controller().fenced[0], "silent since 0");
    assert!(!d.controller().fenced[1], "heartbeat at 2 s: session valid");
    d.advance_to(ms(2_000) + session);
    assert!(d.controller().fenced[1], "silent since 2 s");
}

/// `BrokerHeartbeatManagerTest.testCalculateNextBrokerState`: a fenced broker is unfenced once
/// its heartbeat reports metadata caught up with its registration, and it can then lead a
/// leaderless partition.
#[test]
fn a_fenced_broker_is_unfenced_once_caught_up() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    for b in 0..3 {
        d.session_check(b, 0);
    }
    assert_eq!(d.controller().parts[0].leader, None);
    d.heartbeat(2, 2, 0); // registration of a new incarnation: fenced until caught up
    assert!(d.controller().fenced[2]);
    let registered = d.take_outputs().iter().any(|o| {
        matches!(
            o,
            Output::MetadataUpdate {
                registered: Some(2),
                ..
            }
        )
    });
    assert!(registered, "the registration is answered with the metadata");
    let v = d.controller().version;
    d.heartbeat(2, 2, v);
    assert!(!d.controller().fenced[2]);
    assert_eq!(d.controller().parts[0].leader, Some(2), "an ISR member back: it leads");
}

/// `BrokerHeartbeatManagerTest.testNextCheckTimeNs`: each heartbeat schedules the session check
/// a session timeout later; an old check does not fence a broker that heartbeat since.
#[test]
fn an_old_session_check_does_not_fence_a_live_broker() {
    let s = RunSpec::default();
    let mut d = ControllerDriver::new(&s);
    let v = d.controller().version;
    d.heartbeat(0, 1, v);
    d.session_check(0, 0);
    assert!(
        !d.controller().fenced[0],
        "a heartbeat came after the check's session started"
    );
    d.session_check(0, 1);
    assert!(d.controller().fenced[0]);
}
