//! The worked timelines of reference section 7.10, (a) to (d), as deterministic runs: one
//! record (or a few) on one partition, a network without jitter, faults placed at known
//! moments. Each test asserts the outcome the reference derives from Kafka's rules, and the
//! trace shows the mechanism (`prodsim explain` prints the same lines).

use prodsim::config::{Acks, Fault, FaultKind, Node, RunSpec, SendMode};

/// One partition on three brokers (b0 leads), 1 ms one-way latency, no jitter; one record sent
/// at t = 0 (the connection takes one round trip and its `ApiVersions` exchange another, so the
/// request leaves at 4 ms), then nothing
/// for the rest of a 30 s production window, so faults play out before everything heals.
fn one_record(acks: Acks) -> RunSpec {
    let mut s = RunSpec::default();
    s.cluster.partitions = 1;
    s.cluster.min_insync_replicas = 2;
    s.network.latency_ms = 1.0;
    s.network.latency_jitter = 0.0;
    s.producer.acks = acks;
    s.producer.linger_ms = 0;
    s.producer.send_mode = SendMode::Async;
    s.workload.rate = 0.02;
    s.duration_ms = 30_000;
    s
}

fn fault(at_ms: u64, duration_ms: u64, kind: FaultKind) -> Fault {
    Fault {
        at_ms,
        duration_ms: Some(duration_ms),
        kind,
    }
}

fn cut_leader_from_followers(at_ms: u64, duration_ms: u64) -> Fault {
    fault(
        at_ms,
        duration_ms,
        FaultKind::Partition {
            groups: vec![vec![Node::Broker(0)], vec![Node::Broker(1), Node::Broker(2)]],
            one_way: false,
        },
    )
}

fn trace(spec: &RunSpec) -> (prodsim::RunResult, String) {
    let (fate, lines, r) = prodsim::explain_record(spec, 0, 0);
    (r, format!("{}\n{fate}", lines.join("\n")))
}

/// (a) Steady state, acks=all: leader append, parked follower fetches complete, followers
/// append and fetch again, the leader advances the HW, the produce purgatory answers: four
/// one-way trips. acks=1 answers after the append: two.
#[test]
fn a_acks_all_costs_one_replication_round_trip_more_than_acks_1() {
    let mut all = one_record(Acks::All);
    all.producer.send_mode = SendMode::Sync;
    all.workload.rate = 20.0;
    all.duration_ms = 2_000;
    let mut one = all.clone();
    one.producer.acks = Acks::One;
    let r_all = prodsim::run(&all);
    let r_one = prodsim::run(&one);
    // 1 ms one-way latency: acks=1 = 2 trips, acks=all = 4 trips, plus broker service times.
    assert!(
        (2.0..2.3).contains(&r_one.latency_p50_ms),
        "acks=1 p50 {}",
        r_one.latency_p50_ms
    );
    assert!(
        (4.0..4.4).contains(&r_all.latency_p50_ms),
        "acks=all p50 {}",
        r_all.latency_p50_ms
    );
    assert_eq!(r_all.delivery.lost_acked + r_one.delivery.lost_acked, 0);
}

/// (b) Leader crash after the followers fetched B but before the leader answered; idempotence
/// on, min ISR 2. The producer retries B with the same (producer id, epoch, sequence); the new
/// leader rebuilt the producer state from its log, finds the duplicate among the last five
/// batches and answers with the original offset: no loss, no duplicate.
#[test]
fn b_leader_crash_after_replication_is_deduplicated_on_the_new_leader() {
    let mut s = one_record(Acks::All);
    // request leaves at 4 ms, leader appends at ~5 ms, followers receive B at ~6 ms and fetch
    // again; their fetch would reach the leader at ~7 ms. Crash at 6 ms.
    s.faults = vec![fault(6, 20_000, FaultKind::crash_leader(0))];
    let (r, t) = trace(&s);
    assert!(t.contains("b1 (follower): fetched and appended offsets 0..0"), "{t}");
    assert!(t.contains("duplicate of an appended batch"), "{t}");
    assert!(r.retries >= 1, "{t}");
    assert_eq!(
        (r.records_acked, r.delivery.lost_acked, r.delivery.duplicates),
        (1, 0, 0),
        "{t}"
    );
    // The record waited for failure detection: broker.session.timeout.ms = 9 s.
    assert!(
        r.latency_max_ms > 9_000.0 && r.latency_max_ms < 12_000.0,
        "{}",
        r.latency_max_ms
    );
}

/// (b) variant: the new leader had not fetched B. It has no sequence for B yet, accepts the
/// retry as the next sequence, and B is written once; the old leader's unreplicated copy is
/// truncated when it returns as a follower.
#[test]
fn b_variant_unreplicated_batch_is_written_once_by_the_retry() {
    let mut s = one_record(Acks::All);
    s.faults = vec![
        cut_leader_from_followers(1, 100),
        fault(50, 20_000, FaultKind::crash_leader(0)),
    ];
    let (r, t) = trace(&s);
    assert!(t.contains("b0 (leader, epoch 0): appended at offsets 0..0"), "{t}");
    assert!(
        t.contains("TRUNCATED on this follower"),
        "the old leader's copy goes: {t}"
    );
    assert_eq!(
        (r.records_acked, r.delivery.lost_acked, r.delivery.duplicates),
        (1, 0, 0),
        "{t}"
    );
}

/// (c) acks=1: the leader appends B and answers at once; it crashes before any follower
/// fetched B; a follower is elected cleanly (it was in the ISR) and B, acknowledged, is gone
/// once the old leader truncates to the new leader's epoch end offset.
#[test]
fn c_acks_1_loses_an_acknowledged_record_when_the_leader_dies_before_replication() {
    let mut s = one_record(Acks::One);
    s.faults = vec![
        cut_leader_from_followers(1, 100),
        fault(50, 20_000, FaultKind::crash_leader(0)),
    ];
    let (r, t) = trace(&s);
    assert!(t.contains("application: batch #0 acknowledged"), "{t}");
    assert!(t.contains("TRUNCATED on this follower"), "{t}");
    assert_eq!(r.delivery.lost_acked, 1, "{t}");
    assert!(t.contains("lost_acked"), "{t}");
    // The same timeline with acks=all loses nothing: B was never acknowledged before the crash.
    s.producer.acks = Acks::All;
    let r = prodsim::run(&s);
    assert_eq!((r.records_acked, r.delivery.lost_acked), (1, 0));
}

/// (d) No idempotence: the leader appends and replicates B, the response is lost (the
/// connection breaks), the producer retries and the leader appends B again: B twice. With
/// idempotence the retry is recognised as a duplicate.
#[test]
fn d_lost_response_duplicates_without_idempotence_only() {
    let mut s = one_record(Acks::All);
    s.producer.enable_idempotence = Some(false);
    s.faults = vec![fault(0, 10, FaultKind::LoseResponses { probability: 1.0 })];
    let (r, t) = trace(&s);
    assert!(t.contains("NETWORK_EXCEPTION"), "{t}");
    assert_eq!(
        (r.records_acked, r.delivery.duplicates, r.delivery.lost_acked),
        (1, 1, 0),
        "{t}"
    );
    assert!(t.contains("present 2 times"), "{t}");

    s.producer.enable_idempotence = Some(true);
    let (r, t) = trace(&s);
    assert!(t.contains("duplicate of an appended batch"), "{t}");
    assert_eq!((r.records_acked, r.delivery.duplicates), (1, 0), "{t}");
}

/// A zombie leader (cut from the cluster and the controller, not from the producer) accepts
/// acks=1 writes until it learns of the new leader; they are truncated when it rejoins.
#[test]
fn zombie_leader_accepts_acks_1_writes_that_are_later_truncated() {
    let mut s = one_record(Acks::One);
    s.workload.rate = 100.0;
    s.duration_ms = 20_000;
    s.faults = vec![fault(2_000, 12_000, FaultKind::isolate_leader(0))];
    let r = prodsim::run(&s);
    // From 2 s until the zombie learns of the new leader, every record it acknowledged is
    // lost. The partition heals at 14 s; the controller's metadata, held by the cut since the
    // fencing (~11 s), reaches the zombie at its first retransmission after the heal (TCP's
    // RTO doubling from 200 ms: at ~14.0-14.2 s or ~17.2 s), so about 12-15 s x 100 records/s.
    assert!((1_000..=1_550).contains(&r.delivery.lost_acked), "{:?}", r.delivery);
    assert_eq!(r.delivery.duplicates, 0);
    // acks=all never commits on the zombie: its HW cannot advance without the followers.
    s.producer.acks = Acks::All;
    let r = prodsim::run(&s);
    assert_eq!(r.delivery.lost_acked, 0, "{:?}", r.delivery);
    assert_eq!(r.records_acked, r.records_sent);
}
