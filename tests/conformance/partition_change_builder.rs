//! `PartitionChangeBuilderTest` (metadata/src/test/java/org/apache/kafka/controller): leader
//! election (clean and unclean) and ISR changes with their epochs, on prodsim's [`Controller`]
//! (`elect`) and a [`ControllerDriver`]. Eligible leader replicas (KIP-966), reassignment and
//! leader recovery state are not modelled.

use prodsim::model::components::{ControllerDriver, Output};
use prodsim::RunSpec;

/// `PartitionChangeBuilderTest.testElectLeader`: the leader is the first replica in assignment
/// order that is in the ISR and not fenced; with none, no leader (clean election only).
#[test]
fn the_first_unfenced_isr_member_in_assignment_order_leads() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    assert_eq!(d.controller().elect(0), Some((0, false)));
    // Broker 0's session expires: partition 0 (replicas 0, 1, 2) moves to broker 1.
    d.session_check(0, 0);
    assert_eq!(d.controller().parts[0].leader, Some(1));
    d.session_check(1, 0);
    assert_eq!(d.controller().parts[0].leader, Some(2));
    d.session_check(2, 0);
    assert_eq!(
        d.controller().parts[0].leader,
        None,
        "no unfenced ISR member: leaderless"
    );
}

/// `PartitionChangeBuilderTest.testUncleanLeaderElection`: with unclean election enabled, a
/// leaderless partition takes the first unfenced replica even outside the ISR; the ISR becomes
/// that replica alone.
#[test]
fn unclean_election_takes_an_out_of_sync_replica() {
    let mut s = RunSpec::default();
    s.cluster.unclean_leader_election_enable = true;
    let mut d = ControllerDriver::new(&s);
    // Shrink partition 0's ISR to its leader, then fence the leader: no ISR member is left.
    d.alter_partition(0, 0, 0, 0, vec![0]);
    assert_eq!(d.controller().parts[0].isr, vec![0]);
    d.session_check(0, 0);
    let st = &d.controller().parts[0];
    assert_eq!(st.leader, Some(1), "unclean");
    assert_eq!(st.isr, vec![1]);
}

/// `PartitionChangeBuilderTest.testElectLeader` with unclean election off (the default): the
/// same partition stays leaderless and keeps its last ISR member.
#[test]
fn clean_election_leaves_the_partition_leaderless() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    d.alter_partition(0, 0, 0, 0, vec![0]);
    d.session_check(0, 0);
    let st = &d.controller().parts[0];
    assert_eq!(st.leader, None);
    assert_eq!(st.isr, vec![0], "the last ISR member is kept");
}

/// `PartitionChangeBuilderTest.testNoLeaderEpochBumpOnIsrShrink` /
/// `testNoLeaderEpochBumpOnIsrExpansion` / `testIsrChangeDoesntBumpLeaderEpoch`: an ISR change
/// bumps the partition epoch, not the leader epoch.
#[test]
fn an_isr_change_bumps_only_the_partition_epoch() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    d.alter_partition(0, 0, 0, 0, vec![0, 1]);
    let st = d.controller().parts[0].clone();
    assert_eq!(
        (st.isr.clone(), st.leader_epoch, st.partition_epoch),
        (vec![0, 1], 0, 1)
    );
    d.alter_partition(0, 0, 0, 1, vec![0, 1, 2]);
    let st = &d.controller().parts[0];
    assert_eq!(
        (st.isr.clone(), st.leader_epoch, st.partition_epoch),
        (vec![0, 1, 2], 0, 2)
    );
}

/// `PartitionChangeBuilderTest.testIsrChangeAndLeaderChange`: a leader change bumps both the
/// leader epoch and the partition epoch.
#[test]
fn a_leader_change_bumps_both_epochs() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    d.session_check(0, 0);
    let st = &d.controller().parts[0];
    assert_eq!((st.leader, st.leader_epoch, st.partition_epoch), (Some(1), 1, 1));
    assert!(!st.isr.contains(&0));
}

/// `PartitionChangeBuilderTest.testChangeRecordIsNoOp` and the AlterPartition validation of
/// `ReplicationControlManager` that builds on it: a proposal with a stale partition epoch
/// changes nothing; the leader is told the current state.
#[test]
fn a_stale_alter_partition_changes_nothing() {
    let mut d = ControllerDriver::new(&RunSpec::default());
    d.alter_partition(0, 0, 0, 0, vec![0, 1]);
    d.take_outputs();
    d.alter_partition(0, 0, 0, 0, vec![0]);
    assert_eq!(d.controller().parts[0].isr, vec![0, 1], "stale epoch: rejected");
    let echoed: Vec<u32> = d
        .take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::MetadataUpdate { to: 0, partitions, .. } => Some(partitions[0].1.partition_epoch),
            _ => None,
        })
        .collect();
    assert_eq!(echoed, vec![1]);
}
