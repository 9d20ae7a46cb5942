//! `AbstractFetcherThreadTest` (core/src/test/scala/unit/kafka/server): the follower's side of
//! replication, truncation by leader epoch (KIP-101/279/320), on prodsim's [`Replica`] and a
//! [`BrokerDriver`] following a leader.

use crate::common::{entry, follower_log, state};
use prodsim::model::components::{ms, BrokerDriver, ErrorCode, FetchPartitionData, Fetched, Output, ProducerInfo};
use prodsim::RunSpec;

/// Broker 1 following broker 0 on partition 0 (leader epoch 1), its log `runs`; returns the
/// driver and the id of its first fetch.
fn follower(runs: &[(u32, u32)]) -> (BrokerDriver, u64) {
    let mut d = BrokerDriver::new(&RunSpec::default(), 1);
    let r = d.replica_mut(0).unwrap();
    *r = follower_log(runs);
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 1, &[0, 1, 2]))]);
    d.advance_to(0);
    let id = d
        .take_outputs()
        .into_iter()
        .find_map(|o| match o {
            Output::Fetch { id, .. } => Some(id),
            _ => None,
        })
        .expect("the follower fetches");
    (d, id)
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
