//! Consumers (`[[consumers]]`): groups read every record below the high watermark once per
//! group, never above it (a record acks=1 loses with a clean election is never consumed, while
//! an unclean election can take back what a consumer read), and `fetch.min.bytes`,
//! `fetch.max.wait.ms`, `max.poll.records` and the processing time shape end-to-end latency
//! and consumer throughput as Kafka's do.

use prodsim::scenario::Scenario;
use prodsim::RunResult;
use std::path::Path;

fn load(text: &str) -> Scenario {
    Scenario::parse_str(text, Path::new("consumers.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs every point of a scenario.
fn run_all(text: &str) -> Vec<RunResult> {
    load(text)
        .expand()
        .unwrap()
        .iter()
        .map(|p| {
            let r = prodsim::run(&p.spec);
            assert!(r.aborted.is_none(), "{:?}", r.aborted);
            r
        })
        .collect()
}

const TWO_GROUPS: &str = r#"
duration_ms = 4000
[cluster]
partitions = 6
[workload]
rate = 20000
[sweep]
"producer.acks" = ["1", "all"]
[[consumers]]
name = "pair"
count = 2
[[consumers]]
name = "audit"
"#;

#[test]
fn each_group_reads_every_acknowledged_record_once() {
    for r in run_all(TWO_GROUPS) {
        assert_eq!(r.records_acked, 80_000);
        // Two groups: `pair` (two members sharing the six partitions) and `audit`.
        assert_eq!(r.records_consumed, 2 * r.records_acked, "{r:?}");
        assert_eq!(r.consumed_lost, 0);
        assert!(r.consumer_throughput_rps > 39_000.0, "{}", r.consumer_throughput_rps);
    }
}

#[test]
fn end_to_end_follows_the_high_watermark_not_the_acknowledgement() {
    let rs = run_all(TWO_GROUPS);
    let (one, all) = (&rs[0], &rs[1]);
    for r in [one, all] {
        // A poll returns a record only after the HW covered it.
        assert!(
            r.e2e_p50_ms >= r.visible_p50_ms,
            "{} < {}",
            r.e2e_p50_ms,
            r.visible_p50_ms
        );
        assert!(r.e2e_max_ms >= r.visible_max_ms);
    }
    // acks=1 answers the producer sooner, yet a consumer sees its records no sooner than
    // acks=all's (reference 7.2-7.3: consumers read below the HW either way).
    assert!(one.latency_p50_ms < all.latency_p50_ms * 0.9);
    assert!(
        (one.e2e_p50_ms - all.e2e_p50_ms).abs() < 0.1 * all.e2e_p50_ms,
        "{} vs {}",
        one.e2e_p50_ms,
        all.e2e_p50_ms
    );
    assert!(one.e2e_p50_ms > one.latency_p50_ms);
}

#[test]
fn without_consumers_the_columns_are_zero_and_per_producer_figures_add_up() {
    let r = &run_all("duration_ms = 2000\n[workload]\nrate = 5000\n")[0];
    assert_eq!((r.records_consumed, r.e2e_p50_ms, r.consumed_lost), (0, 0.0, 0));
    let text = r#"
duration_ms = 2000
[[topics]]
name = "a"
partitions = 2
[[topics]]
name = "b"
partitions = 3
[[producers]]
name = "pa"
topic = "a"
[producers.workload]
rate = 3000
[[producers]]
name = "pb"
topic = "b"
[producers.workload]
rate = 1000
[[consumers]]
name = "only-b"
topics = ["b"]
"#;
    let r = &run_all(text)[0];
    let pa = &r.producers.iter().find(|p| p.name == "pa").unwrap().result;
    let pb = &r.producers.iter().find(|p| p.name == "pb").unwrap().result;
    // The group subscribes to topic b only.
    assert_eq!(pa.records_consumed, 0);
    assert_eq!(pb.records_consumed, pb.records_acked);
    assert_eq!(r.records_consumed, pb.records_acked);
    assert!(pb.e2e_p50_ms > 0.0 && pa.e2e_p50_ms == 0.0);
}

#[test]
fn fetch_min_bytes_waits_up_to_fetch_max_wait() {
    let text = |min: u32, wait: u32| {
        format!(
            "duration_ms = 4000\n[workload]\nrate = 1000\n[consumer]\nfetch_min_bytes = {min}\nfetch_max_wait_ms = {wait}\n[[consumers]]\nname = \"c\"\n"
        )
    };
    let eager = &run_all(&text(1, 500))[0];
    let patient = &run_all(&text(1_000_000, 500))[0];
    let short = &run_all(&text(1_000_000, 100))[0];
    // 1000 records/s of ~110 bytes never fill 1 MB: every fetch waits out fetch.max.wait.ms.
    assert!(eager.e2e_p50_ms < 20.0, "{}", eager.e2e_p50_ms);
    assert!(
        patient.e2e_p50_ms > 200.0 && patient.e2e_max_ms < 560.0,
        "{:?}",
        (patient.e2e_p50_ms, patient.e2e_max_ms)
    );
    assert!(
        short.e2e_max_ms < 160.0 && short.e2e_p50_ms > 30.0,
        "{:?}",
        (short.e2e_p50_ms, short.e2e_max_ms)
    );
    for r in [eager, patient, short] {
        assert_eq!(r.records_consumed, r.records_acked);
    }
}

#[test]
fn processing_time_bounds_a_members_throughput_and_more_members_share_it() {
    let text = |members: u32| {
        format!(
            "duration_ms = 4000\n[cluster]\npartitions = 4\n[workload]\nrate = 20000\n\
             [[consumers]]\nname = \"worker\"\ncount = {members}\nprocessing_us_per_record = 100\nmax_poll_records = 200\n"
        )
    };
    let one = &run_all(&text(1))[0];
    let four = &run_all(&text(4))[0];
    // 100 us per record: one member handles 10 000 records/s of the 20 000 offered and falls
    // behind (the run's end waits for it to catch up); four keep up.
    assert!(
        one.consumer_throughput_rps < 10_500.0,
        "{}",
        one.consumer_throughput_rps
    );
    assert!(one.e2e_p99_ms > 1000.0, "{}", one.e2e_p99_ms);
    assert!(
        four.consumer_throughput_rps > 19_000.0,
        "{}",
        four.consumer_throughput_rps
    );
    assert!(four.e2e_p99_ms < 100.0, "{}", four.e2e_p99_ms);
    assert_eq!(
        one.records_consumed, one.records_acked,
        "the end waits until it caught up"
    );
}

/// acks=1 on one partition led by b0. Clean: b0's links to its followers slow down (they stay
/// in the ISR but lag, so the HW stalls while b0 acknowledges), then b0 crashes and a follower
/// without those records leads. Unclean: b0 is cut off alone (the ISR shrinks to it, min ISR 1,
/// so it commits alone) and crashes; an out-of-sync replica leads.
fn leader_loss(unclean: bool) -> String {
    let fault = if unclean {
        "[[faults]]\nat_ms = 2000\nkind = \"partition\"\ngroups = [[\"b0\"], [\"b1\", \"b2\"]]\nduration_ms = 5000\n"
    } else {
        "[[faults]]\nat_ms = 2000\nkind = \"slow-link\"\nfrom = \"b0\"\nto = \"b1\"\nextra_latency_ms = 3000.0\nbandwidth_factor = 1.0\nduration_ms = 5000\n\
         [[faults]]\nat_ms = 2000\nkind = \"slow-link\"\nfrom = \"b0\"\nto = \"b2\"\nextra_latency_ms = 3000.0\nbandwidth_factor = 1.0\nduration_ms = 5000\n"
    };
    // Unclean: after the ISR shrank to b0 (replica.lag.time.max.ms), while it commits alone.
    let crash = if unclean { 6500 } else { 4000 };
    format!(
        r#"
duration_ms = 12000
[producer]
acks = "1"
enable_idempotence = false
[cluster]
brokers = 3
partitions = 1
replica_lag_time_max_ms = 2000
unclean_leader_election_enable = {unclean}
[workload]
rate = 2000
[[consumers]]
name = "reader"
{fault}
[[faults]]
at_ms = {crash}
kind = "crash"
broker = 0
duration_ms = 3000
"#
    )
}

#[test]
fn consumers_never_read_what_a_clean_election_loses() {
    let r = &run_all(&leader_loss(false))[0];
    // Negative control: acks=1 loses acknowledged records the followers never had.
    assert!(r.delivery.lost_acked > 0, "{:?}", r.delivery);
    // Those were never below the HW: no consumer read them.
    assert_eq!(r.consumed_lost, 0);
    assert!(r.records_consumed > 0);
}

#[test]
fn an_unclean_election_takes_back_records_a_consumer_read() {
    let r = &run_all(&leader_loss(true))[0];
    // b0 alone in the ISR commits (min ISR 1): the consumer reads it; the unclean election
    // of a replica without those records takes them back (the checker sees it).
    assert!(
        r.consumed_lost > 0,
        "consumed_lost {} {:?}",
        r.consumed_lost,
        r.delivery
    );
}

#[test]
fn the_same_seed_gives_the_same_consumers() {
    let a = run_all(TWO_GROUPS);
    let b = run_all(TWO_GROUPS);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.digest, y.digest);
        assert_eq!(x.e2e_p99_ms, y.e2e_p99_ms);
    }
}

#[test]
fn bad_consumer_entries_name_the_key() {
    let bad = [
        (
            "[[consumers]]\nname = \"c\"\ntopics = [\"nope\"]\n",
            "consumers.c.topics",
        ),
        (
            "[[consumers]]\nname = \"c\"\nfetch_min_byte = 1\n",
            "consumers.c.fetch_min_byte",
        ),
        (
            "[[consumers]]\nname = \"c\"\n[[consumers]]\nname = \"c\"\n",
            "consumers.name",
        ),
        ("[[consumers]]\ngroup = \"g\"\n", "consumers.name"),
        (
            "[[consumers]]\nname = \"c\"\nmax_poll_records = 0\n",
            "consumers.c.max_poll_records",
        ),
        (
            "[[consumers]]\nname = \"c\"\n[sweep]\n\"consumers.d.max_poll_records\" = [1, 2]\n",
            "consumers.d",
        ),
    ];
    for (text, key) in bad {
        let err = Scenario::parse_str(text, Path::new("bad.toml")).and_then(|s| s.expand().map(|_| s));
        let msg = match err {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {text}"),
        };
        assert!(msg.contains(key) && msg.contains("bad.toml"), "{key}: {msg}");
    }
}

#[test]
fn entries_sweep_and_write_back() {
    let text = r#"
duration_ms = 1000
[[consumers]]
name = "c"
[consumers.consumer]
"max.poll.records" = 7
[sweep]
"consumers.c.fetch_min_bytes" = [1, 2]
"#;
    let sc = load(text);
    let points = sc.expand().unwrap();
    assert_eq!(points.len(), 2);
    let e = &points[1].spec.consumers[0];
    assert_eq!((e.consumer.max_poll_records, e.consumer.fetch_min_bytes), (7, 2));
}
