//! `ReplicaManagerTest` (core/src/test/scala/unit/kafka/server): the produce path with acks
//! 0 / 1 / all and the produce purgatory, and follower fetches, on a [`BrokerDriver`].

use crate::common::{responses, state};
use prodsim::config::Acks;
use prodsim::model::components::{ms, BrokerDriver, ErrorCode, FetchPartition, Output, ProducerInfo};
use prodsim::RunSpec;

/// Broker 0 leading partition 0 (replicas 0, 1, 2) in leader epoch 0, ISR `isr`.
fn leader_driver(spec: &RunSpec, isr: &[u32]) -> BrokerDriver {
    let mut d = BrokerDriver::new(spec, 0);
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 0, isr))]);
    d
}

fn fetch(offset: u64) -> Vec<FetchPartition> {
    vec![FetchPartition {
        partition: 0,
        fetch_offset: offset,
        current_leader_epoch: 0,
        last_fetched_epoch: Some(0),
    }]
}

/// `ReplicaManagerTest.appendRecords` with `requiredAcks = 1`: the leader answers once it
/// appended, followers or not.
#[test]
fn acks_one_answers_after_the_leader_append() {
    let mut d = leader_driver(&RunSpec::default(), &[0, 1, 2]);
    let req = d.produce(Acks::One, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    let r = responses(&d.take_outputs());
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].0, r[0].1[0].error, r[0].1[0].base_offset),
        (req, ErrorCode::None, 0)
    );
    assert_eq!(d.replica(0).unwrap().hw, 0, "answered before the HW moved");
}

/// `ReplicaManagerTest.appendRecords` with `requiredAcks = -1` (the purgatory): the answer
/// waits until every ISR follower fetched past the batch (the HW reached its end).
#[test]
fn acks_all_waits_in_the_purgatory_for_the_isr() {
    let mut d = leader_driver(&RunSpec::default(), &[0, 1, 2]);
    d.produce(Acks::All, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    assert!(responses(&d.take_outputs()).is_empty());
    d.fetch(1, 1, fetch(10));
    assert!(responses(&d.take_outputs()).is_empty(), "follower 2 has not fetched");
    d.fetch(2, 2, fetch(10));
    let r = responses(&d.take_outputs());
    assert_eq!(r[0].1[0].error, ErrorCode::None);
    assert_eq!(d.replica(0).unwrap().hw, 10);
}

/// `DelayedProduce.onExpiration` (a request `ReplicaManagerTest.appendRecords` leaves in the
/// purgatory): at the request's timeout the answer is `REQUEST_TIMED_OUT`; the records stay in
/// the log.
#[test]
fn a_delayed_produce_expires_with_request_timed_out() {
    let s = RunSpec::default();
    let mut d = leader_driver(&s, &[0, 1, 2]);
    d.produce(Acks::All, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    d.advance_to(ms(s.producer.request_timeout_ms));
    assert!(responses(&d.take_outputs()).is_empty(), "not yet");
    d.advance_to(ms(s.producer.request_timeout_ms + 20));
    let r = responses(&d.take_outputs());
    assert_eq!(r[0].1[0].error, ErrorCode::RequestTimedOut);
    assert_eq!(d.replica(0).unwrap().log.log_end_offset(), 10);
}

/// `ReplicaManagerTest.testClearPurgatoryOnBecomingFollower` / `testDeltaToFollowerCompletesProduce`:
/// a produce waiting in the purgatory is answered `NOT_LEADER_OR_FOLLOWER` when the broker
/// becomes a follower.
#[test]
fn becoming_follower_completes_the_purgatory() {
    let mut d = leader_driver(&RunSpec::default(), &[0, 1, 2]);
    d.produce(Acks::All, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    d.take_outputs();
    d.apply_metadata(2, &[(0, state(&[0, 1, 2], Some(1), 1, &[1, 2]))]);
    let r = responses(&d.take_outputs());
    assert_eq!(r[0].1[0].error, ErrorCode::NotLeaderOrFollower);
    assert_eq!(r[0].1[0].leader_hint, Some((1, 1)));
}

/// `ReplicaManagerTest.testDeltaFromLeaderToFollower`: the new follower starts fetching from
/// the new leader, from its log end, with the new epoch.
#[test]
fn a_new_follower_fetches_from_the_new_leader() {
    let mut d = leader_driver(&RunSpec::default(), &[0, 1, 2]);
    d.produce(Acks::One, &[(0, 4, ProducerInfo::default())]);
    d.advance_to(ms(10));
    d.take_outputs();
    d.apply_metadata(2, &[(0, state(&[0, 1, 2], Some(1), 1, &[0, 1, 2]))]);
    d.advance_to(ms(20));
    let fetches: Vec<(usize, Vec<FetchPartition>)> = d
        .take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::Fetch { to, partitions, .. } => Some((to, partitions)),
            _ => None,
        })
        .collect();
    assert_eq!(fetches.len(), 1);
    assert_eq!(fetches[0].0, 1);
    let fp = &fetches[0].1[0];
    assert_eq!(
        (fp.fetch_offset, fp.current_leader_epoch, fp.last_fetched_epoch),
        (4, 1, Some(0))
    );
}

/// `ReplicaManagerTest.testDeltaFromFollowerToLeader`: a follower made leader leads in the
/// new epoch, starting it at its log end.
#[test]
fn a_follower_made_leader_leads_the_new_epoch() {
    let mut d = BrokerDriver::new(&RunSpec::default(), 1);
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 0, &[0, 1, 2]))]);
    assert!(!d.replica(0).unwrap().is_leader);
    d.apply_metadata(2, &[(0, state(&[0, 1, 2], Some(1), 1, &[1, 2]))]);
    let r = d.replica(0).unwrap();
    assert!(r.is_leader);
    assert_eq!((r.leader_epoch, r.epoch_start), (1, 0));
}

/// `ReplicaManagerTest.testFetchBeyondHighWatermark`: a follower reads past the high
/// watermark (a consumer would not).
#[test]
fn a_follower_fetch_reads_past_the_high_watermark() {
    let mut d = leader_driver(&RunSpec::default(), &[0, 1, 2]);
    d.produce(Acks::One, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    d.take_outputs();
    d.fetch(1, 1, fetch(0));
    let data: Vec<_> = d
        .take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::FetchResponse { partitions, .. } => Some(partitions),
            _ => None,
        })
        .collect();
    let p = &data[0][0];
    assert_eq!(p.high_watermark, 0);
    assert_eq!(p.entries.iter().map(|e| e.count).sum::<u32>(), 10);
}

/// `ReplicaManagerTest.testFencedErrorCausedByBecomeLeader`: a fetch with an older leader
/// epoch is answered with an error (`FENCED_LEADER_EPOCH`; prodsim has one error for it and
/// `NOT_LEADER_OR_FOLLOWER`) and the follower is not credited.
#[test]
fn a_fetch_with_a_stale_epoch_is_fenced() {
    let mut d = BrokerDriver::new(&RunSpec::default(), 0);
    d.apply_metadata(1, &[(0, state(&[0, 1, 2], Some(0), 2, &[0, 1, 2]))]);
    let stale = vec![FetchPartition {
        partition: 0,
        fetch_offset: 0,
        current_leader_epoch: 1,
        last_fetched_epoch: None,
    }];
    d.fetch(1, 1, stale);
    let errors: Vec<ErrorCode> = d
        .take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::FetchResponse { partitions, .. } => Some(partitions[0].error),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![ErrorCode::NotLeaderOrFollower]);
}

/// `Partition.checkEnoughReplicasReachOffset` (`DelayedProduce.tryComplete`): the min-ISR check
/// at completion counts the maximal ISR (ISR plus pending additions).
#[test]
fn not_enough_replicas_after_append_counts_the_maximal_isr() {
    let mut s = RunSpec::default();
    s.cluster.min_insync_replicas = 3;
    s.cluster.hw_requires_min_isr = false;
    let mut d = leader_driver(&s, &[0, 1, 2]);
    d.produce(Acks::All, &[(0, 10, ProducerInfo::default())]);
    d.advance_to(ms(10));
    // Follower 1 leaves the ISR; it then catches up and is proposed back (pending: the maximal
    // ISR is {0, 1, 2}); follower 2's fetch finally commits the batch.
    let shrunk = prodsim::model::components::PartitionState {
        partition_epoch: 1,
        elr: Vec::new(),
        ..state(&[0, 1, 2], Some(0), 0, &[0, 2])
    };
    d.apply_metadata(2, &[(0, shrunk)]);
    d.fetch(1, 1, fetch(10));
    assert_eq!(
        crate::common::alter_partitions(&d.take_outputs()),
        vec![(0, vec![0, 2, 1])]
    );
    d.fetch(2, 2, fetch(10));
    let r = responses(&d.take_outputs());
    assert_eq!(
        r[0].1[0].error,
        ErrorCode::None,
        "the maximal ISR meets min.insync.replicas"
    );
}
