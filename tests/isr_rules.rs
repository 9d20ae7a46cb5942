//! ISR shrink and expansion (`replica.lag.time.max.ms`, AlterPartition), the min-ISR checks of
//! acks=all (`NOT_ENOUGH_REPLICAS` before the append), and the 3.7+ high-watermark rule.

use prodsim::config::{Acks, Fault, FaultKind, Node, RunSpec};

fn spec_with_followers_cut(cut_ms: u64) -> RunSpec {
    let mut s = RunSpec::default();
    s.cluster.partitions = 1;
    s.cluster.min_insync_replicas = 2;
    s.network.latency_jitter = 0.0;
    s.producer.acks = Acks::All;
    s.workload.rate = 200.0;
    s.duration_ms = 120_000;
    s.faults = vec![Fault {
        at_ms: 10_000,
        duration_ms: Some(cut_ms),
        kind: FaultKind::Partition {
            groups: vec![vec![Node::Broker(0)], vec![Node::Broker(1), Node::Broker(2)]],
            one_way: false,
        },
    }];
    s
}

#[test]
fn followers_leave_the_isr_after_the_lag_time_and_rejoin_when_caught_up() {
    // Cut for 50 s: more than replica.lag.time.max.ms (30 s) plus one isr-expiration period.
    let s = spec_with_followers_cut(50_000);
    let (_, lines, r) = prodsim::explain_record(&s, 0, 2_500);
    let t = lines.join("\n");
    assert!(
        t.contains("ISR [0, 1, 2] -> [0]"),
        "the leader shrinks the ISR to itself:\n{t}"
    );
    assert!(
        t.contains("-> [0, 1, 2]"),
        "the followers rejoin after catching up:\n{t}"
    );
    // While the ISR is {leader} < min.insync.replicas = 2, acks=all writes are refused with
    // NOT_ENOUGH_REPLICAS and retried; none is lost, none duplicated (idempotence is on).
    assert!(r.retries > 0);
    assert_eq!(
        (r.delivery.lost_acked, r.delivery.duplicates, r.delivery.pending),
        (0, 0, 0),
        "{:?}",
        r.delivery
    );
}

#[test]
fn a_short_cut_keeps_the_isr() {
    // 10 s < replica.lag.time.max.ms: no shrink, writes just wait for the followers.
    let s = spec_with_followers_cut(10_000);
    let (_, lines, r) = prodsim::explain_record(&s, 0, 2_500);
    let t = lines.join("\n");
    assert!(!t.contains("AlterPartition"), "{t}");
    assert_eq!(r.delivery.lost_acked, 0);
    // Writes during the cut waited for replication: about the cut's length.
    assert!(r.latency_max_ms > 9_000.0, "{}", r.latency_max_ms);
}

#[test]
fn min_isr_1_lets_a_leader_alone_acknowledge_and_lose_on_its_power_loss() {
    // ISR shrinks to the leader alone; with min.insync.replicas=1 acks=all acknowledges on the
    // leader only. The leader then loses power while its page cache holds those records: they
    // are gone although acknowledged (reference 9.1, row "all / 1").
    let mut s = spec_with_followers_cut(60_000);
    s.cluster.min_insync_replicas = 1;
    s.faults.push(Fault {
        at_ms: 55_000,
        duration_ms: Some(30_000),
        kind: FaultKind::PowerLoss { brokers: vec![0] },
    });
    let r = prodsim::run(&s);
    assert!(r.delivery.lost_acked > 0, "{:?}", r.delivery);
    // With min.insync.replicas=2 the same schedule loses nothing acknowledged.
    s.cluster.min_insync_replicas = 2;
    let r = prodsim::run(&s);
    assert_eq!(r.delivery.lost_acked, 0, "{:?}", r.delivery);
}

#[test]
fn before_3_7_the_hw_advanced_with_an_isr_below_min_isr() {
    // KAFKA-15583 (3.7): the HW does not advance while |ISR| < min.insync.replicas. Before it,
    // a leader alone in the ISR "committed" acks=1 data; a power loss of that leader then loses
    // committed records (NoCommittedRecordLostGlobally broken). Same schedule, both rules.
    let mut s = spec_with_followers_cut(60_000);
    s.producer.acks = Acks::One;
    s.faults.push(Fault {
        at_ms: 55_000,
        duration_ms: Some(30_000),
        kind: FaultKind::PowerLoss { brokers: vec![0] },
    });
    let modern = prodsim::run(&s);
    s.cluster.hw_requires_min_isr = false;
    let old = prodsim::run(&s);
    assert_eq!(modern.committed_lost, 0, "{modern:?}");
    assert!(
        old.committed_lost > 0,
        "pre-3.7 HW rule should commit on the leader alone: {old:?}"
    );
    // acks=1 loses acknowledged records under both rules: the HW rule protects what is
    // committed, not what acks=1 acknowledged.
    assert!(modern.delivery.lost_acked > 0 && old.delivery.lost_acked > 0);
}
