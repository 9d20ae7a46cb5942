//! `AbstractFetcherThreadTest` (core/src/test/scala/unit/kafka/server): the follower's side of
//! replication, truncation by leader epoch (KIP-101/279/320), on prodsim's [`Replica`] and a
//! [`BrokerDriver`] following a leader.

use crate::common::{entry, follower_log, state};
use prodsim::config::FollowerTruncation;
use prodsim::model::components::{
    ms, BrokerDriver, ErrorCode, FetchPartition, FetchPartitionData, Fetched, Output, ProducerInfo,
};
use prodsim::RunSpec;

/// Broker 1 following broker 0 on partition 0 (leader epoch 1), its log `runs`; returns the
/// driver and the id of its first fetch.
fn follower(runs: &[(u32, u32)]) -> (BrokerDriver, u64) {
    let (d, id, _) = follower_in(&RunSpec::default(), runs, None);
    (d, id)
}

/// [`follower`] in `spec`'s cluster, with high watermark `hw` (default: its log end) before
/// it becomes follower; also returns its first fetch.
fn follower_in(spec: &RunSpec, runs: &[(u32, u32)], hw: Option<u64>) -> (BrokerDriver, u64, FetchPartition) {
    let mut d = BrokerDriver::new(spec, 1);
    let r = d.replica_mut(0).unwrap();
    *r = follower_log(runs);
    r.hw = hw.unwrap_or(r.log.log_end_offset());
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 1, &[0, 1, 2]))]);
    d.advance_to(0);
    let (id, fp) = next_fetch(&mut d).expect("the follower fetches");
    (d, id, fp)
}

/// The id and partition 0 of the next fetch the driver sent.
fn next_fetch(d: &mut BrokerDriver) -> Option<(u64, FetchPartition)> {
    d.take_outputs().into_iter().find_map(|o| match o {
        Output::Fetch { id, mut partitions, .. } => Some((id, partitions.remove(0))),
        _ => None,
    })
}

fn with_truncation(mode: FollowerTruncation) -> RunSpec {
    let mut s = RunSpec::default();
    s.cluster.follower_truncation = mode;
    s
}

fn data(
    hw: u64,
    entries: Vec<prodsim::model::components::LogEntry>,
    diverging: Option<(u32, u64)>,
) -> FetchPartitionData {
    FetchPartitionData {
        partition: 0,
        error: ErrorCode::None,
        high_watermark: hw,
        entries,
        diverging,
        leader_log_end: 0,
    }
}

/// `AbstractFetcherThreadTest.testSimpleFetch`: fetched records are appended from the log
/// end and the follower learns the high watermark (capped at its own log end).
#[test]
fn fetched_records_are_appended_and_the_hw_learned() {
    let (mut d, id) = follower(&[]);
    let mut e = entry(5, 0, ProducerInfo::default());
    e.base_offset = 0;
    d.fetch_response(0, id, vec![data(3, vec![e], None)]);
    let r = d.replica(0).unwrap();
    assert_eq!((r.log.log_end_offset(), r.hw), (5, 3));
}

/// `AbstractFetcherThreadTest.testTruncation` (KIP-101): a follower that wrote past the leader
/// in an epoch truncates to the leader's end of that epoch.
#[test]
fn a_follower_truncates_to_the_leaders_epoch_end() {
    let mut r = follower_log(&[(10, 0), (10, 1)]);
    assert_eq!(r.divergence_truncation_offset(1, 15), 15);
    r.truncate_to(15);
    assert_eq!(r.log.log_end_offset(), 15);
}

/// `AbstractFetcherThreadTest.testDivergingEpochs` (KIP-279): when the leader's end of the
/// epoch is past the follower's own end of it, the follower's end bounds the truncation.
#[test]
fn the_followers_own_epoch_end_bounds_the_truncation() {
    let r = follower_log(&[(10, 0), (5, 2)]);
    assert_eq!(r.divergence_truncation_offset(1, 30), 10, "epoch <= 1 ends at 10 here");
    assert_eq!(r.divergence_truncation_offset(2, 12), 12);
}

/// `AbstractFetcherThreadTest.testTruncateOnFetchDoesNotProcessPartitionData` (KIP-320): a
/// response that says the follower diverged truncates it and appends nothing; the next fetch
/// asks from the truncated end.
#[test]
fn a_diverging_response_truncates_without_appending() {
    let (mut d, id) = follower(&[(10, 0)]);
    let mut e = entry(3, 1, ProducerInfo::default());
    e.base_offset = 4;
    d.fetch_response(0, id, vec![data(4, vec![e], Some((0, 4)))]);
    assert_eq!(
        d.replica(0).unwrap().log.log_end_offset(),
        4,
        "truncated, nothing appended"
    );
    let next: Vec<u64> = d
        .take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::Fetch { partitions, .. } => Some(partitions[0].fetch_offset),
            _ => None,
        })
        .collect();
    assert_eq!(next, vec![4]);
}

/// `AbstractFetcherThreadTest.testTruncationSkippedIfNoEpochChange`: a response without
/// divergence never truncates; records already held are skipped, a gap waits.
#[test]
fn no_divergence_no_truncation() {
    let (mut d, id) = follower(&[(10, 0)]);
    let mut held = entry(10, 0, ProducerInfo::default());
    held.base_offset = 0;
    d.fetch_response(0, id, vec![data(10, vec![held], None)]);
    let r = d.replica(0).unwrap();
    assert_eq!(r.log.log_end_offset(), 10);
    let mut gap = entry(3, 0, ProducerInfo::default());
    gap.base_offset = 12;
    assert_eq!(r.fetched_entry(gap), Fetched::Gap);
}

/// `AbstractFetcherThreadTest.testUnknownLeaderEpochInTruncation` / the truncation rule of
/// `AbstractFetcherThread.getOffsetTruncationState` when the follower has no epoch at or below
/// the leader's diverging epoch: truncate to `min(leader's end offset, log end)`.
#[test]
fn no_common_epoch_truncates_to_the_smaller_end() {
    let r = follower_log(&[(10, 3)]);
    assert_eq!(r.divergence_truncation_offset(1, 30), 10);
    assert_eq!(r.divergence_truncation_offset(1, 6), 6);
}

/// `AbstractFetcherThreadTest.testFencedFetch`: a fetch answered with an error appends
/// nothing and the next fetch waits `replica.fetch.backoff.ms`.
#[test]
fn an_error_response_backs_off() {
    let (mut d, id) = follower(&[(4, 0)]);
    let mut p = data(0, Vec::new(), None);
    p.error = ErrorCode::NotLeaderOrFollower;
    d.fetch_response(0, id, vec![p]);
    assert_eq!(d.replica(0).unwrap().log.log_end_offset(), 4);
    let backoff = ms(RunSpec::default().cluster.replica_fetch_backoff_ms);
    assert_eq!(d.next_event_at(), Some(backoff));
    assert!(!d.take_outputs().iter().any(|o| matches!(o, Output::Fetch { .. })));
}

/// Before KIP-101 (`cluster.follower_truncation = "high_watermark"`, Kafka < 0.11): a replica
/// becoming follower of a new leader epoch truncates to its own high watermark at once
/// (`ReplicaManager.makeFollowers` / `truncateTo(highWatermark)`), and fetches carry no epoch to
/// check. From 0.11 on the same follower keeps its log and lets the leader's epochs decide.
#[test]
fn before_kip_101_a_new_follower_truncates_to_its_high_watermark() {
    let (d, _, fp) = follower_in(&with_truncation(FollowerTruncation::HighWatermark), &[(10, 0)], Some(4));
    assert_eq!(d.replica(0).unwrap().log.log_end_offset(), 4, "truncated to its HW");
    assert_eq!((fp.fetch_offset, fp.last_fetched_epoch), (4, None));
    let (d, _, fp) = follower_in(&RunSpec::default(), &[(10, 0)], Some(4));
    assert_eq!(
        d.replica(0).unwrap().log.log_end_offset(),
        10,
        "KIP-101: no truncation to the HW"
    );
    assert_eq!((fp.fetch_offset, fp.last_fetched_epoch), (10, Some(0)));
}

/// KIP-279's fix, as the two behaviours differ: this follower led epoch 2 briefly (offsets
/// 10..15) after its epoch 1 ended at 10; the leader answers for epoch 1, which ends at 20 on
/// its log. KIP-101's single round (0.11-1.1, `ReplicaFetcherThread.maybeTruncate`) truncates
/// to min(20, log end) = 15 and keeps the epoch-2 records that diverge from the leader's epoch-1
/// records at 10..15; KIP-279 (2.0+) bounds it by its own end of epoch 1: 10.
#[test]
fn a_single_epoch_round_keeps_a_divergence_that_kip_279_removes() {
    for (mode, want, next_epoch) in [
        (FollowerTruncation::LeaderEpochSingleRound, 15, None),
        (FollowerTruncation::LeaderEpoch, 10, Some(1)),
    ] {
        let (mut d, id, fp) = follower_in(&with_truncation(mode), &[(10, 1), (5, 2)], None);
        assert_eq!(
            fp.last_fetched_epoch,
            Some(2),
            "{mode:?}: the first fetch asks about epoch 2"
        );
        d.fetch_response(0, id, vec![data(0, Vec::new(), Some((1, 20)))]);
        assert_eq!(d.replica(0).unwrap().log.log_end_offset(), want, "{mode:?}");
        let (_, fp) = next_fetch(&mut d).expect("it fetches again");
        assert_eq!(fp.last_fetched_epoch, next_epoch, "{mode:?}: a second round or none");
    }
}

/// `ReplicaFetcherThread.handleOffsetOutOfRange` (fetches without an epoch): a leader whose
/// log is shorter than the fetch offset answers `OFFSET_OUT_OF_RANGE` with its log end, and the
/// follower truncates to it.
#[test]
fn a_fetch_past_the_leaders_end_is_out_of_range_and_truncates_to_it() {
    let spec = with_truncation(FollowerTruncation::HighWatermark);
    let mut leader = BrokerDriver::new(&spec, 0);
    *leader.replica_mut(0).unwrap() = follower_log(&[(6, 0)]);
    leader.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 1, &[0, 1, 2]))]);
    let (mut f, id, fp) = follower_in(&spec, &[(10, 0)], None);
    assert_eq!((fp.fetch_offset, fp.last_fetched_epoch), (10, None));
    leader.fetch(7, 1, vec![fp]);
    let answer = leader
        .take_outputs()
        .into_iter()
        .find_map(|o| match o {
            Output::FetchResponse { mut partitions, .. } => Some(partitions.remove(0)),
            _ => None,
        })
        .expect("answered at once");
    assert_eq!((answer.error, answer.leader_log_end), (ErrorCode::OffsetOutOfRange, 6));
    f.fetch_response(0, id, vec![answer]);
    assert_eq!(f.replica(0).unwrap().log.log_end_offset(), 6);
}

/// KIP-320 (2.1+): a fetch naming another leader epoch is fenced (`FENCED_LEADER_EPOCH`,
/// answered here as `NOT_LEADER_OR_FOLLOWER`); one naming the leader's epoch is served.
#[test]
fn kip_320_fences_a_fetch_of_another_leader_epoch() {
    let fetch = |epoch: u32| FetchPartition {
        partition: 0,
        fetch_offset: 0,
        current_leader_epoch: epoch,
        last_fetched_epoch: None,
    };
    let mut leader = BrokerDriver::new(&RunSpec::default(), 0);
    leader.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 3, &[0, 1, 2]))]);
    let errors = |d: &mut BrokerDriver| -> Vec<ErrorCode> {
        d.take_outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::FetchResponse { partitions, .. } => Some(partitions[0].error),
                _ => None,
            })
            .collect()
    };
    leader.fetch(1, 1, vec![fetch(2)]);
    assert_eq!(
        errors(&mut leader),
        vec![ErrorCode::NotLeaderOrFollower],
        "a stale epoch is fenced"
    );
    leader.fetch(2, 1, vec![fetch(3)]);
    leader.advance_to(ms(600));
    assert_eq!(errors(&mut leader), vec![ErrorCode::None], "the leader's epoch: served");
}
