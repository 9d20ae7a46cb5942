//! `PartitionChangeBuilderTest` (metadata/src/test/java/org/apache/kafka/controller): leader
//! election (clean and unclean) and ISR changes with their epochs, on prodsim's [`Controller`]
//! (`elect`) and a [`ControllerDriver`]. Eligible leader replicas (KIP-966) are modelled
//! (`cluster.eligible_leader_replicas_enable`) without `lastKnownElr`; reassignment and leader
//! recovery state are not.

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

/// Kafka's ELR tests use replicas {1, 2, 3, 4} and min ISR 3; here brokers 0..3 of partition 0
/// (replicas [0, 1, 2, 3]).
fn elr_cluster(elr: bool) -> ControllerDriver {
    let mut s = RunSpec::default();
    s.cluster.brokers = 4;
    s.cluster.replication_factor = 4;
    s.cluster.min_insync_replicas = 3;
    s.cluster.eligible_leader_replicas_enable = elr;
    let d = ControllerDriver::new(&s);
    assert_eq!(d.controller().parts[0].replicas, vec![0, 1, 2, 3]);
    d
}

/// `PartitionChangeBuilderTest.testEligibleLeaderReplicas_IsrShrinkBelowMinISR`: an ISR of 4
/// shrinking to 2 (below min ISR 3) keeps the 2 removed replicas as eligible leaders; without
/// ELR (metadata version < ELR's) the ELR stays empty.
#[test]
fn an_isr_shrinking_below_min_isr_keeps_the_removed_as_eligible_leaders() {
    let mut d = elr_cluster(true);
    d.alter_partition(0, 0, 0, 0, vec![0, 1]);
    assert_eq!(
        (d.controller().parts[0].isr.clone(), d.controller().parts[0].elr.clone()),
        (vec![0, 1], vec![2, 3])
    );
    let mut d = elr_cluster(false);
    d.alter_partition(0, 0, 0, 0, vec![0, 1]);
    assert!(d.controller().parts[0].elr.is_empty());
}

/// `testEligibleLeaderReplicas_IsrExpandAboveMinISR` and `_IsrAddNewMemberNotInELR`: an ISR
/// back at min ISR clears the ELR; an ISR still below it keeps the ELR members it did not
/// take back.
#[test]
fn an_isr_back_at_min_isr_clears_the_elr() {
    let mut d = elr_cluster(true);
    d.alter_partition(0, 0, 0, 0, vec![0]);
    assert_eq!(d.controller().parts[0].elr, vec![1, 2, 3]);
    d.alter_partition(0, 0, 0, 1, vec![0, 3]);
    assert_eq!(d.controller().parts[0].elr, vec![1, 2], "3 rejoined the ISR");
    d.alter_partition(0, 0, 0, 2, vec![0, 1, 3]);
    assert_eq!(
        (d.controller().parts[0].isr.clone(), d.controller().parts[0].elr.clone()),
        (vec![0, 1, 3], vec![])
    );
}

/// `testEligibleLeaderReplicas_ElrCanBeElected`: the leader, the last ISR member, goes
/// offline: the ISR may become empty, and an eligible leader replica is elected cleanly, the
/// ISR restarting with it and the old leader joining the ELR. Without ELR the partition stays
/// leaderless with its last ISR member.
#[test]
fn an_eligible_leader_replica_is_elected_when_the_isr_empties() {
    let mut d = elr_cluster(true);
    d.alter_partition(0, 0, 0, 0, vec![0]);
    d.session_check(0, 0);
    let st = &d.controller().parts[0];
    assert_eq!(
        (st.leader, st.isr.clone(), st.elr.clone()),
        (Some(1), vec![1], vec![0, 2, 3])
    );
    let mut d = elr_cluster(false);
    d.alter_partition(0, 0, 0, 0, vec![0]);
    d.session_check(0, 0);
    let st = &d.controller().parts[0];
    assert_eq!((st.leader, st.isr.clone()), (None, vec![0]));
}

/// `testEligibleLeaderReplicas_IsrCanShrinkToZero` (one broker at a time here): with every
/// replica offline the ISR is empty and no leader is elected; the replicas that left an ISR
/// below min ISR are the ELR.
#[test]
fn with_elr_the_isr_can_shrink_to_zero() {
    let mut d = elr_cluster(true);
    for b in 0..4 {
        d.session_check(b, 0);
    }
    let st = &d.controller().parts[0];
    assert_eq!(
        (st.leader, st.isr.clone(), st.elr.clone()),
        (None, vec![], vec![1, 2, 3])
    );
}

/// `testEligibleLeaderReplicas_RemoveUncleanShutdownReplicasFromElr`: a broker registering
/// after an unclean shutdown (every crash here) leaves the ELR, and so can no longer be elected
/// from it: KIP-966's answer to the "last replica standing" loss.
#[test]
fn an_unclean_shutdown_leaves_the_elr() {
    let mut d = elr_cluster(true);
    for b in 0..4 {
        d.session_check(b, 0);
    }
    // Broker 2 restarts (incarnation 2) and registers: out of the ELR.
    d.heartbeat(2, 2, 0);
    assert_eq!(d.controller().parts[0].elr, vec![1, 3]);
    // Unfenced once caught up, it still may not lead: only ELR members (1, 3, fenced) could.
    let v = d.controller().version;
    d.heartbeat(2, 2, v);
    assert!(!d.controller().fenced[2]);
    assert_eq!(d.controller().parts[0].leader, None);
    // Broker 3 comes back the same way: out of the ELR too; the partition stays offline
    // rather than elect a replica that may have lost committed data.
    d.heartbeat(3, 2, 0);
    let v = d.controller().version;
    d.heartbeat(3, 2, v);
    assert_eq!(
        (d.controller().parts[0].leader, d.controller().parts[0].elr.clone()),
        (None, vec![1])
    );
}
