//! Several producers and topics (`[[producers]]`, `[[topics]]`): the checker classifies every
//! record per producer, a guarantee holds for each producer under faults, the loss one
//! producer's settings allow is found on that producer only, and a scenario with one
//! `[[producers]]` entry is the scenario without it.

mod common;

use prodsim::scenario::Scenario;
use prodsim::search::{self, Outcome, SearchOptions, Space};
use std::path::Path;

fn load(text: &str) -> Scenario {
    Scenario::parse_str(text, Path::new("many.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn per_producer(r: &prodsim::RunResult, name: &str) -> prodsim::RunResult {
    r.producers
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no producer {name}"))
        .result
        .clone()
}

#[test]
fn the_loss_one_producer_allows_is_found_on_that_producer_only() {
    let points = load(common::TWO_TOPICS).expand().unwrap();
    let r = prodsim::run(&points[0].spec);
    assert!(r.aborted.is_none(), "{:?}", r.aborted);
    let careful = per_producer(&r, "careful");
    let hasty = per_producer(&r, "hasty");
    // Negative control: the checker catches the loss acks=1 with unclean election allows.
    assert!(hasty.delivery.lost_acked > 0, "hasty: {:?}", hasty.delivery);
    // acks=all, min ISR 2, clean elections: nothing acknowledged is lost.
    assert_eq!(careful.delivery.lost_acked, 0, "careful: {:?}", careful.delivery);
    assert!(careful.records_acked > 0 && hasty.records_acked > 0);
    // No record of one producer is taken for a record of the other.
    assert_eq!(careful.delivery.phantom + hasty.delivery.phantom, 0);
    // Totals are the sums over producers.
    assert_eq!(r.delivery.lost_acked, hasty.delivery.lost_acked);
    assert_eq!(r.records_sent, careful.records_sent + hasty.records_sent);
    assert_eq!(r.records_acked, careful.records_acked + hasty.records_acked);
}

/// Three producers (two sharing a machine) on two topics, acks=all, min ISR 2, clean elections.
const THREE_PRODUCERS: &str = r#"
duration_ms = 6000
[producer]
acks = "all"
linger_ms = 5
[cluster]
brokers = 3
replication_factor = 3
min_insync_replicas = 2
[workload]
rate = 1500
[[topics]]
name = "orders"
partitions = 2
[[topics]]
name = "clicks"
partitions = 3
[[producers]]
name = "orders"
topic = "orders"
[[producers]]
name = "clicks"
topic = "clicks"
host = "web"
[producers.workload]
rate = 3000
[[producers]]
name = "clicks2"
topic = "clicks"
host = "web"
[producers.producer]
linger_ms = 0
"#;

/// The property search over broker faults: no producer loses an acknowledged record.
#[test]
fn acks_all_with_min_isr_2_loses_nothing_acknowledged_for_any_producer() {
    let sc = load(THREE_PRODUCERS);
    let space = Space::from_scenario(&sc);
    let property = search::property("no_acked_write_lost").unwrap();
    let options = SearchOptions {
        cases: 48,
        seed: 1,
        ..SearchOptions::default()
    };
    match search::search_with(&space, property, &options) {
        Outcome::Counterexample(cx) => panic!("violated after {} cases: {}", cx.cases_before, cx.violation),
        Outcome::Held(n) => assert!(n >= 48, "{n} cases"),
    }
}

#[test]
fn every_producer_sends_its_own_rate_with_its_own_configuration() {
    let points = load(THREE_PRODUCERS).expand().unwrap();
    let r = prodsim::run(&points[0].spec);
    let sent: Vec<(String, u64)> = r
        .producers
        .iter()
        .map(|p| (p.name.clone(), p.result.records_sent))
        .collect();
    let expected = [("orders", 9000), ("clicks", 18000), ("clicks2", 9000)];
    assert_eq!(sent.len(), 3);
    for ((name, n), (want_name, want)) in sent.iter().zip(expected) {
        assert_eq!(name, want_name);
        assert!(n.abs_diff(want) <= 1, "{name}: {n} sent, rate x duration = {want}");
    }
    for p in &r.producers {
        assert_eq!(p.result.records_acked, p.result.records_sent, "{}", p.name);
        assert_eq!(
            p.result.delivery.reordered + p.result.delivery.duplicates,
            0,
            "{}",
            p.name
        );
    }
    // Its own linger.ms: clicks2 sends smaller batches than clicks at a lower rate.
    let batch = |n: &str| per_producer(&r, n).mean_batch_records;
    assert!(
        batch("clicks2") < batch("clicks"),
        "{} vs {}",
        batch("clicks2"),
        batch("clicks")
    );
}

#[test]
fn one_producers_entry_is_the_scenario_without_it() {
    let plain = r#"
duration_ms = 3000
[producer]
acks = "1"
linger_ms = 10
[workload]
rate = 5000
"#;
    let entry = format!("{plain}\n[[producers]]\nname = \"default\"\n");
    let a = prodsim::run(&load(plain).expand().unwrap()[0].spec);
    let b = prodsim::run(&load(&entry).expand().unwrap()[0].spec);
    assert_eq!(a.digest, b.digest, "same events");
    assert_eq!(a.measures(), b.measures());
    // A second producer changes the run (negative control of the comparison).
    let two = format!("{entry}\n[[producers]]\nname = \"other\"\n");
    let c = prodsim::run(&load(&two).expand().unwrap()[0].spec);
    assert_ne!(a.digest, c.digest);
    assert_eq!(c.records_sent, 2 * a.records_sent);
}

#[test]
fn bad_producers_and_topics_are_refused_naming_the_key() {
    let cases = [
        ("[[producers]]\ntopic = \"x\"\n", "producers.name"),
        ("[[producers]]\nname = \"a.b\"\n", "producers.name"),
        ("[[producers]]\nname = \"a\"\ncolour = 1\n", "producers.colour"),
        (
            "[[producers]]\nname = \"a\"\n[producers.producer]\nlinger = 1\n",
            "producers.a.linger",
        ),
        (
            "[[producers]]\nname = \"a\"\n[[producers]]\nname = \"a\"\n",
            "producers.name",
        ),
        (
            "[[topics]]\nname = \"t\"\n[[producers]]\nname = \"a\"\ntopic = \"u\"\n",
            "producers.a.topic",
        ),
        (
            "[[topics]]\nname = \"t\"\n[[topics]]\nname = \"u\"\n[[producers]]\nname = \"a\"\n",
            "producers.a.topic",
        ),
        ("[[topics]]\nname = \"t\"\npartitions = 0\n", "topics.t.partitions"),
        (
            "[[topics]]\nname = \"t\"\nreplication_factor = 5\n",
            "topics.t.replication_factor",
        ),
        (
            "[[producers]]\nname = \"a\"\n[producers.producer]\nacks = \"1\"\nenable_idempotence = true\n",
            "producers.a.",
        ),
        (
            "[[producers]]\nname = \"a\"\n[sweep]\n\"producers.b.linger_ms\" = [1, 2]\n",
            "producers.b.linger_ms",
        ),
    ];
    for (text, key) in cases {
        let e = Scenario::parse_str(text, Path::new("bad.toml")).expect_err(text);
        let k = e.key.clone().unwrap_or_default();
        assert!(k.starts_with(key), "{text}: key {k:?}, wanted {key}: {e}");
        assert!(e.to_string().starts_with("bad.toml"), "{e}");
    }
}

/// Producers with one `host` share its NIC: two producers that each fit a 10 Mbit/s NIC do
/// not fit one together (RF 1: the brokers' NICs carry no replication).
#[test]
fn co_located_producers_share_one_nic() {
    let text = |host: &str| {
        format!(
            r#"
duration_ms = 4000
[producer]
acks = "1"
[cluster]
replication_factor = 1
min_insync_replicas = 1
[network]
bandwidth_mbps = 10.0
[workload]
rate = 8000
record_bytes = 100
[[producers]]
name = "a"
{host}
[[producers]]
name = "b"
{host}
"#
        )
    };
    let apart = prodsim::run(&load(&text("")).expand().unwrap()[0].spec);
    let together = prodsim::run(&load(&text("host = \"app\"")).expand().unwrap()[0].spec);
    // 2 x 8000 records of ~110 bytes on the wire: 14 Mbit/s, more than one 10 Mbit/s NIC
    // carries (about 11 300 records/s).
    assert!(apart.throughput_rps > 15_000.0, "apart: {}", apart.throughput_rps);
    assert!(
        together.throughput_rps < 12_000.0,
        "together: {}",
        together.throughput_rps
    );
}

/// Consumer visibility is measured per producer, in the brokers' numbering: a producer on a
/// second topic sees its records become visible as one on the first topic does (a client's
/// outcomes, in its own numbering, meet the leader's high watermark on the right partition).
#[test]
fn visibility_is_measured_for_every_producer_on_every_topic() {
    let one = r#"
duration_ms = 3000
[producer]
acks = "1"
[workload]
rate = 20000
"#;
    let second_topic = format!(
        "{one}\n[[topics]]\nname = \"a\"\npartitions = 3\n[[topics]]\nname = \"b\"\npartitions = 6\n\
         [[producers]]\nname = \"p\"\ntopic = \"b\"\n[[producers]]\nname = \"q\"\ntopic = \"a\"\n"
    );
    let base = prodsim::run(&load(one).expand().unwrap()[0].spec);
    let r = prodsim::run(&load(&second_topic).expand().unwrap()[0].spec);
    assert!(base.visible_p50_ms > 0.0);
    for name in ["p", "q"] {
        let v = per_producer(&r, name).visible_p50_ms;
        assert!(
            (v - base.visible_p50_ms).abs() < 0.2 * base.visible_p50_ms,
            "{name}: visible p50 {v} ms, one producer alone: {} ms",
            base.visible_p50_ms
        );
    }
}
