//! `PartitionTest` (core/src/test/scala/unit/kafka/cluster): the leader's high watermark,
//! follower fetch state, ISR shrink and expand, min ISR, on prodsim's [`Replica`] and, for
//! the produce path, a [`BrokerDriver`].

use crate::common::{append_log, leader, responses, state};
use prodsim::config::Acks;
use prodsim::model::components::{ms, BrokerDriver, ErrorCode, FetchPartition, FollowerView, ProducerInfo, Replica};

fn fetch(offset: u64, epoch: u32, last_fetched_epoch: Option<u32>) -> FetchPartition {
    FetchPartition {
        partition: 0,
        fetch_offset: offset,
        current_leader_epoch: epoch,
        last_fetched_epoch,
    }
}

/// The leader's view of its followers at `now` (`replica.lag.time.max.ms` 30 s, nobody fenced).
fn view(now: u64) -> FollowerView<'static> {
    FollowerView {
        now,
        lag: ms(30_000),
        fenced: &[],
    }
}

/// `PartitionTest.testUpdateFollowerFetchState`: a follower's fetch sets its LEO as the leader
/// knows it, and its last caught-up time when it fetched at the log end.
#[test]
fn a_follower_fetch_updates_its_state() {
    let mut r = leader(10, &[0, 1, 2], 0);
    assert_eq!(r.update_follower_fetch_state(1, &fetch(6, 1, Some(1)), ms(5)), Some(6));
    let f = r.followers.iter().find(|f| f.broker == 1).unwrap();
    assert_eq!(f.leo, 6);
    assert_eq!(
        f.last_caught_up,
        Some(0),
        "behind the log end: caught up only as of becoming leader"
    );
    r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(9)).unwrap();
    assert_eq!(
        r.followers.iter().find(|f| f.broker == 1).unwrap().last_caught_up,
        Some(ms(9))
    );
}

/// `PartitionTest.testFetchFromUnrecognizedFollower` / `testLeaderEpochValidationOnLeader`: a
/// fetch from a broker that is not a replica, or with another leader epoch, is not credited.
#[test]
fn fetches_from_strangers_or_other_epochs_are_not_credited() {
    let mut r = leader(10, &[0, 1, 2], 0);
    assert_eq!(r.update_follower_fetch_state(7, &fetch(5, 1, Some(1)), ms(1)), None);
    assert_eq!(r.update_follower_fetch_state(1, &fetch(5, 0, Some(0)), ms(1)), None);
    assert_eq!(r.update_follower_fetch_state(1, &fetch(5, 2, Some(1)), ms(1)), None);
    assert_eq!(r.followers.iter().find(|f| f.broker == 1).unwrap().leo, 0);
}

/// `PartitionTest.testLastFetchedOffsetValidation`: a fetch whose last fetched epoch ends
/// before its fetch offset on the leader diverges: it is not credited (the follower truncates
/// first).
#[test]
fn a_diverging_fetch_is_not_credited() {
    let mut r = Replica::default();
    append_log(&mut r, 5, 0);
    r.make_leader(0, &state(&[0, 1, 2], Some(0), 1, &[0, 1, 2]), 0);
    append_log(&mut r, 5, 1);
    assert_eq!(
        r.update_follower_fetch_state(1, &fetch(8, 1, Some(0)), ms(1)),
        None,
        "epoch 0 ends at 5"
    );
    assert_eq!(r.update_follower_fetch_state(1, &fetch(5, 1, Some(0)), ms(1)), Some(5));
}

/// `PartitionTest.testMakeLeaderUpdatesEpochCache`: becoming leader records the new epoch
/// starting at the log end offset.
#[test]
fn make_leader_starts_its_epoch_at_the_log_end() {
    let mut r = Replica::default();
    append_log(&mut r, 7, 0);
    r.make_leader(0, &state(&[0, 1, 2], Some(0), 3, &[0]), 0);
    assert_eq!(r.epoch_start, 7);
    assert_eq!(r.log.latest_epoch(), Some(3));
    assert_eq!(r.log.end_offset_for_epoch(0), Some((0, 7)));
    assert_eq!(r.log.end_offset_for_epoch(3), Some((3, 7)));
}

/// `PartitionTest.testHighWatermarkIncreasesWithFencedOrShutdownFollower` (the HW rule of
/// `maybeIncrementLeaderHW`): the HW is the minimum LEO over the leader and the ISR; a
/// follower outside the ISR does not hold it back.
#[test]
fn the_hw_is_the_minimum_leo_of_the_isr() {
    let mut r = leader(10, &[0, 1, 2], 0);
    r.update_follower_fetch_state(1, &fetch(8, 1, Some(1)), ms(1)).unwrap();
    r.update_follower_fetch_state(2, &fetch(3, 1, Some(1)), ms(1)).unwrap();
    assert_eq!(r.hw_candidate(&[0, 1, 2], 3, 1, true, view(ms(2))), Some(3));
    // Follower 2 left the ISR and is out of sync (replica.lag.time.max.ms passed): it no longer
    // holds the HW back.
    let later = view(ms(40_000));
    assert_eq!(
        r.hw_candidate(&[0, 1], 2, 1, true, later),
        Some(8),
        "follower 2 left the ISR"
    );
    r.advance_hw(8, &[0, 1]);
    assert_eq!(r.hw, 8);
    assert_eq!(r.hw_candidate(&[0, 1], 2, 1, true, later), None, "nothing new");
}

/// `PartitionTest.testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR` (KAFKA-15583, 3.7):
/// no HW advance while the ISR is below `min.insync.replicas`.
#[test]
fn the_hw_does_not_advance_under_min_isr() {
    let r = leader(10, &[0], 0);
    assert_eq!(r.hw_candidate(&[0], 1, 2, true, view(ms(2))), None);
    assert_eq!(r.hw_candidate(&[0], 1, 1, true, view(ms(2))), Some(10));
}

/// `PartitionTest.testMaybeShrinkIsr`: an ISR follower that has not caught up within
/// `replica.lag.time.max.ms` is out of sync.
#[test]
fn a_lagging_follower_is_out_of_sync() {
    let lag = ms(30_000);
    let mut r = leader(10, &[0, 1, 2], 0);
    r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(20_000))
        .unwrap();
    assert!(
        r.out_of_sync_followers(&[0, 1, 2], ms(30_000), lag).is_empty(),
        "not yet"
    );
    assert_eq!(r.out_of_sync_followers(&[0, 1, 2], ms(30_001), lag), vec![2]);
}

/// `PartitionTest.testShouldNotShrinkIsrIfFollowerCaughtUpToLogEnd`: a follower at the log end
/// is never out of sync, however long ago it last fetched.
#[test]
fn a_follower_at_the_log_end_is_never_out_of_sync() {
    let mut r = leader(10, &[0, 1, 2], 0);
    r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(1)).unwrap();
    r.update_follower_fetch_state(2, &fetch(10, 1, Some(1)), ms(1)).unwrap();
    assert!(r.out_of_sync_followers(&[0, 1, 2], ms(100_000), ms(30_000)).is_empty());
}

/// `PartitionTest.testShouldNotShrinkIsrIfPreviousFetchIsCaughtUp`: a fetch that reached the
/// leader's LEO as of the previous fetch keeps the follower caught up as of that fetch.
#[test]
fn a_fetch_reaching_the_previous_leo_keeps_the_follower_in_sync() {
    let lag = ms(30_000);
    let mut r = leader(10, &[0, 1, 2], 0);
    r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(10_000))
        .unwrap();
    append_log(&mut r, 5, 1);
    r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(35_000))
        .unwrap();
    let f = r.followers.iter().find(|f| f.broker == 1).unwrap();
    assert_eq!(f.last_caught_up, Some(ms(10_000)));
    assert!(!r.out_of_sync_followers(&[0, 1], ms(39_000), lag).contains(&1));
    assert!(r.out_of_sync_followers(&[0, 1], ms(40_001), lag).contains(&1));
}

/// `PartitionTest.testFollowerDoesNotJoinISRUntilCaughtUpToOffsetWithinCurrentLeaderEpoch`: a
/// follower rejoins only once its LEO reached both the HW and the leader epoch's start offset.
#[test]
fn a_follower_joins_only_past_the_epoch_start() {
    let mut r = Replica::default();
    append_log(&mut r, 10, 0);
    r.make_leader(0, &state(&[0, 1, 2], Some(0), 1, &[0]), 0);
    r.hw = 4;
    assert!(!r.can_join_isr(8), "above the HW, below the epoch start (10)");
    assert!(r.can_join_isr(10));
}

/// `PartitionTest.testIsrExpansion`: a follower outside the ISR that reaches the HW is proposed
/// back into it through an AlterPartition.
#[test]
fn a_caught_up_follower_is_proposed_back_into_the_isr() {
    let mut d = BrokerDriver::new(&prodsim::RunSpec::default(), 0);
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 0, &[0, 1]))]);
    d.produce(Acks::One, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    d.take_outputs();
    let f = |o| {
        vec![FetchPartition {
            partition: 0,
            fetch_offset: o,
            current_leader_epoch: 0,
            last_fetched_epoch: Some(0),
        }]
    };
    d.fetch(1, 1, f(10)); // the ISR follower: the HW reaches 10
    assert_eq!(d.replica(0).unwrap().hw, 10);
    d.take_outputs();
    d.fetch(2, 2, f(5));
    assert!(
        crate::common::alter_partitions(&d.take_outputs()).is_empty(),
        "below the HW"
    );
    d.fetch(3, 2, f(10));
    assert_eq!(
        crate::common::alter_partitions(&d.take_outputs()),
        vec![(0, vec![0, 1, 2])]
    );
}

/// `PartitionTest.testSingleInFlightAlterIsr`: one AlterPartition at a time: a second proposal
/// waits for the answer to the first.
#[test]
fn one_alter_partition_at_a_time() {
    let mut r = leader(1, &[0, 1, 2], 0);
    assert!(r.begin_alter_isr(vec![0, 1], 1, ms(1)));
    assert!(!r.begin_alter_isr(vec![0], 1, ms(2)));
}

/// `PartitionTest.testIsUnderMinIsr` (`Partition.appendRecordsToLeader`): acks=all with the
/// ISR below `min.insync.replicas` is refused before the append (`NOT_ENOUGH_REPLICAS`,
/// nothing written); acks=1 is not checked.
#[test]
fn acks_all_under_min_isr_is_refused_before_the_append() {
    let mut s = prodsim::RunSpec::default();
    s.cluster.min_insync_replicas = 2;
    let mut d = BrokerDriver::new(&s, 0);
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 0, &[0]))]);
    d.produce(Acks::All, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    let r = responses(&d.take_outputs());
    assert_eq!(r[0].1[0].error, ErrorCode::NotEnoughReplicas);
    assert_eq!(d.replica(0).unwrap().log.log_end_offset(), 0);
    d.produce(Acks::One, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(20));
    assert_eq!(responses(&d.take_outputs())[0].1[0].error, ErrorCode::None);
    assert_eq!(d.replica(0).unwrap().log.log_end_offset(), 10);
}

/// `Partition.maybeIncrementLeaderHW` (`shouldWaitForReplicaToJoinIsr`, as
/// `PartitionTest.testIsrExpansion` sets it up): a follower outside the ISR that is caught up
/// (`Replica.isCaughtUp`: within `replica.lag.time.max.ms`) is about to join the ISR, and the
/// HW waits for it too; once it falls out of sync, it no longer does.
#[test]
fn the_hw_waits_for_a_follower_about_to_join_the_isr() {
    let mut r = leader(10, &[0, 1], 0);
    r.hw = 4;
    // Follower 2, outside the ISR, fetches at the log end: caught up now.
    r.update_follower_fetch_state(2, &fetch(10, 1, Some(1)), ms(2)).unwrap();
    append_log(&mut r, 5, 1);
    r.update_follower_fetch_state(1, &fetch(15, 1, Some(1)), ms(3)).unwrap();
    assert_eq!(r.hw_candidate(&[0, 1], 2, 1, true, view(ms(3))), Some(10));
    assert_eq!(r.hw_candidate(&[0, 1], 2, 1, true, view(ms(40_000))), Some(15));
}
