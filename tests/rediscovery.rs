//! Kafka's history, rediscovered (issue 11; reference sections 6.3 and 9): for each documented
//! loss or duplication incident, `prodsim search` with the matching property, from random
//! fault schedules drawn over a scenario without faults (`scenarios/history/search/`), finds a
//! counterexample on the affected behaviour within a stated number of cases, and none on the
//! fixed behaviour in ten times as many; `explain` on the shrunk counterexample names the
//! mechanism.
//!
//! The whole table is `#[ignore]` (a few minutes in release, far longer in a debug build);
//! `.ci/run` runs it, and so does the README's command, which prints the table the README
//! shows:
//!
//! ```text
//! cargo test --release --test rediscovery -- --ignored --nocapture
//! ```
//!
//! Two incidents, the cheapest, run in plain `cargo test` too. `PRODSIM_INCIDENT=NAME` runs the
//! table's rows whose search space's name contains NAME (e.g. `ambiguous`).

use prodsim::config::{FaultType, RunSpec};
use prodsim::scenario::Scenario;
use prodsim::search::{self, Outcome, Space};
use std::path::Path;
use std::time::Instant;

/// One incident of the record, and how the search finds it.
struct Incident {
    /// As the README's table names it.
    name: &'static str,
    /// Where it is documented.
    source: &'static str,
    /// Kafka releases with the affected behaviour.
    affected_versions: &'static str,
    /// The search space, under `scenarios/history/search/`.
    search: &'static str,
    property: &'static str,
    /// `--set` assignments of the affected and of the fixed behaviour.
    affected: &'static [&'static str],
    fixed: &'static [&'static str],
    /// `--faults`, when not the property's fault model.
    faults: Option<&'static [FaultType]>,
    /// `--max-faults`.
    max_faults: usize,
    /// The affected search must find a counterexample within this many cases; the fixed one
    /// runs ten times as many and must find none.
    bound: u32,
    /// What `explain` prints on the minimal counterexample, naming the mechanism: one of
    /// these (empty where no record of the producer's shows it: the loss is of committed
    /// records a consumer could have read, which the producer's retries wrote again).
    mechanism: &'static [&'static str],
    /// The fix, as the README's table says it.
    fix: &'static str,
}

const INCIDENTS: &[Incident] = &[
    Incident {
        name: "Jepsen 2013: the ISR shrinks to the leader, a dropped replica is elected",
        source: "Jepsen, Kafka 0.8 beta (2013)",
        affected_versions: "0.8 - 0.10 (unclean election by default)",
        search: "jepsen-2013.toml",
        property: "acked_survives_rf_minus_1_failures",
        affected: &["cluster.kafka_version=0.8"],
        fixed: &["cluster.kafka_version=0.11"],
        faults: None,
        max_faults: 4,
        bound: 200,
        // Kafka 0.8 also truncated to the high watermark (KIP-101): the search may find either.
        mechanism: &["UNCLEAN election", "truncated to its own high watermark"],
        fix: "clean elections by default (0.11, KIP-106); min.insync.replicas (0.8.2)",
    },
    Incident {
        name: "KIP-101 scenario 1: a restarted follower truncates to its HW, then the leader dies",
        source: "KIP-101",
        affected_versions: "< 0.11",
        search: "kip-101-scenario-1.toml",
        property: "no_acked_write_lost",
        affected: &["cluster.kafka_version=0.10"],
        fixed: &["cluster.kafka_version=0.11"],
        faults: None,
        max_faults: 4,
        bound: 1000,
        mechanism: &["truncated to its own high watermark"],
        fix: "truncation by leader epoch (0.11, KIP-101)",
    },
    Incident {
        name: "KIP-101 scenario 2: replicas lose power, logs diverge at the same offsets",
        source: "KIP-101",
        affected_versions: "< 0.11",
        search: "kip-101-scenario-2.toml",
        property: "log_matching",
        affected: &["cluster.kafka_version=0.10"],
        fixed: &["cluster.kafka_version=0.11"],
        faults: None,
        max_faults: 4,
        bound: 1000,
        mechanism: &["POWER LOSS"],
        fix: "truncation by leader epoch (0.11, KIP-101)",
    },
    Incident {
        name: "KIP-279: fast successive leader changes while a follower reconciles",
        source: "KIP-279",
        affected_versions: "0.11 - 1.1",
        search: "kip-279.toml",
        property: "log_matching",
        affected: &["cluster.kafka_version=0.11"],
        fixed: &["cluster.kafka_version=2.0"],
        faults: None,
        max_faults: 8,
        bound: 200,
        // The divergence is of replicas' logs, not of a producer's record: the first anomalous
        // record explain follows does not show it.
        mechanism: &[],
        fix: "OffsetsForLeaderEpoch round after round (2.0, KIP-279)",
    },
    Incident {
        name: "KAFKA-15583: the HW advances with the ISR below min.insync.replicas",
        source: "KAFKA-15583; KIP-966",
        affected_versions: "< 3.7",
        search: "kafka-15583.toml",
        property: "no_committed_record_lost",
        affected: &["cluster.hw_requires_min_isr=false"],
        fixed: &[],
        faults: None,
        max_faults: 4,
        bound: 150,
        mechanism: &[],
        fix: "the HW waits for min.insync.replicas (3.7)",
    },
    Incident {
        name: "KIP-966 last replica standing: the last ISR member loses power and is re-elected",
        source: "KIP-966",
        affected_versions: "< 4.1 (ELR off)",
        search: "kip-966.toml",
        property: "no_committed_record_lost",
        affected: &["cluster.kafka_version=4.0"],
        fixed: &["cluster.kafka_version=4.1"],
        faults: None,
        max_faults: 4,
        bound: 500,
        mechanism: &["POWER LOSS"],
        fix: "eligible leader replicas (opt-in 4.0, new 4.1 clusters; KIP-966)",
    },
    Incident {
        name: "KAFKA-14034: an idempotent producer's epoch bump writes a batch twice",
        source: "KAFKA-14034",
        affected_versions: "3.0 - 4.1 (open)",
        search: "kafka-14034.toml",
        property: "idempotent_no_duplicates_in_order",
        affected: &[],
        fixed: &["producer.epoch_bump_waits_for_in_flight=true"],
        faults: Some(&[FaultType::LoseResponses]),
        max_faults: 4,
        bound: 256,
        mechanism: &["producer epoch 1"],
        fix: "unmerged (apache/kafka PR #13796): bump only once in-flight batches are done",
    },
    Incident {
        name: "Ambiguous delivery timeout: a record reported failed was written, and the application re-sends it",
        source: "KafkaProducer javadoc (idempotence); KIP-98",
        affected_versions: "all (not a bug: idempotence covers the producer's retries only)",
        search: "ambiguous-delivery-timeout.toml",
        property: "idempotent_no_duplicates_in_order",
        affected: &["workload.resend_failed_attempts=1"],
        fixed: &["workload.resend_failed_attempts=0"],
        faults: Some(&[FaultType::LoseResponses, FaultType::Partition]),
        max_faults: 4,
        bound: 100,
        mechanism: &["RE-SENT by the application"],
        fix: "none in Kafka: the application does not re-send (or deduplicates downstream)",
    },
];

fn space(i: &Incident, sets: &[&str]) -> Space {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/history/search")
        .join(i.search);
    let mut sc = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sc.base.faults.is_empty(),
        "{}: a search space has no scripted faults",
        i.search
    );
    for s in sets {
        sc.apply_set(s).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut space = Space::from_scenario(&sc);
    space.max_faults = i.max_faults;
    space.fault_kinds = i.faults.map(|k| k.to_vec());
    space
}

/// What one incident's rediscovery measured (a row of the README's table).
struct Row {
    /// What `explain` named.
    named: &'static str,
    cases: u64,
    seconds: f64,
    faults: usize,
    fixed_cases: u64,
}

fn rediscover(i: &Incident) -> Row {
    let property = search::property(i.property).expect("a known property");
    let started = Instant::now();
    let cx = match search::search(&space(i, i.affected), property, i.bound, 1) {
        Outcome::Counterexample(cx) => cx,
        Outcome::Held(n) => panic!("{}: no counterexample to `{}` in {n} cases", i.name, i.property),
    };
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        cx.outside_precondition.is_none(),
        "{}: the counterexample is outside the precondition of `{}`: {:?}",
        i.name,
        i.property,
        cx.outside_precondition
    );
    assert!(
        cx.minimal.faults.len() <= 4,
        "{}: the shrunk schedule has {} faults",
        i.name,
        cx.minimal.faults.len()
    );
    let mut named = "(no record shows it)";
    if !i.mechanism.is_empty() {
        let trace = explain(&cx.minimal);
        named = i
            .mechanism
            .iter()
            .find(|m| trace.contains(**m))
            .unwrap_or_else(|| panic!("{}: explain names none of {:?}:\n{trace}", i.name, i.mechanism));
    }
    let fixed_cases = i.bound as u64 * 10;
    match search::search(&space(i, i.fixed), property, fixed_cases as u32, 1) {
        Outcome::Held(n) => assert!(n >= fixed_cases),
        Outcome::Counterexample(cx) => panic!(
            "{}: the fixed behaviour breaks `{}` too: {}\n{}",
            i.name,
            i.property,
            cx.violation,
            search::render_counterexample("fixed", "fixed.toml", &cx)
        ),
    }
    Row {
        named,
        cases: cx.cases_before,
        seconds,
        faults: cx.minimal.faults.len(),
        fixed_cases,
    }
}

/// The trace `prodsim explain` prints for the run's first anomaly.
fn explain(spec: &RunSpec) -> String {
    let a = prodsim::first_anomaly(spec)
        .expect("the run finishes")
        .expect("the counterexample has an anomalous record");
    let (fate, trace, _) = prodsim::explain_record_with_progress(spec, a.record, None);
    format!("{}\n{fate}", trace.join("\n"))
}

/// The cheapest incident, in plain `cargo test`: KAFKA-15583's search finds the loss, and the
/// rendered counterexample replays it.
#[test]
fn kafka_15583_is_rediscovered() {
    let i = INCIDENTS.iter().find(|i| i.search == "kafka-15583.toml").unwrap();
    let property = search::property(i.property).unwrap();
    let Outcome::Counterexample(cx) = search::search(&space(i, i.affected), property, i.bound, 1) else {
        panic!("no counterexample");
    };
    let text = search::render_counterexample("kafka-15583", "counterexample.toml", &cx);
    let sc = Scenario::parse_str(&text, Path::new("counterexample.toml")).unwrap();
    let points = sc.expand().unwrap();
    assert_eq!(points[0].spec, cx.minimal);
    let replayed = prodsim::run(&points[0].spec);
    assert!(replayed.committed_lost > 0, "{text}");
}

/// The ambiguous delivery timeout, in plain `cargo test` (a negative control of the
/// application's re-send): the search finds duplicates within a few cases when the
/// application re-sends what failed; the counterexample replays, `explain` names the re-send,
/// and the same schedule without re-sends holds the property (records reported failed are in
/// the log, written once).
#[test]
fn an_application_resend_after_an_ambiguous_timeout_is_caught() {
    let i = INCIDENTS
        .iter()
        .find(|i| i.search == "ambiguous-delivery-timeout.toml")
        .unwrap();
    let property = search::property(i.property).unwrap();
    let Outcome::Counterexample(cx) = search::search(&space(i, i.affected), property, 20, 1) else {
        panic!("no counterexample");
    };
    assert!(cx.outside_precondition.is_none(), "{:?}", cx.outside_precondition);
    let text = search::render_counterexample("ambiguous", "counterexample.toml", &cx);
    let sc = Scenario::parse_str(&text, Path::new("counterexample.toml")).unwrap();
    let points = sc.expand().unwrap();
    assert_eq!(points[0].spec, cx.minimal);
    let replayed = prodsim::run(&points[0].spec);
    assert!(replayed.delivery.duplicates > 0, "{text}");
    assert!((property.check)(&points[0].spec, &replayed).is_err());
    assert!(explain(&cx.minimal).contains(i.mechanism[0]));
    let mut once = cx.minimal.clone();
    once.workload.resend_failed_attempts = 0;
    let r = prodsim::run(&once);
    assert_eq!(r.delivery.duplicates, 0);
    assert!(r.delivery.failed_present > 0, "{:?}", r.delivery);
    assert!((property.check)(&once, &r).is_ok());
}

/// Every incident: found on the affected behaviour, never on the fixed one in ten times the
/// cases; prints the README's table.
#[test]
#[ignore = "minutes in release: run by .ci/run and by the README's command"]
fn every_incident_is_rediscovered_and_the_fix_holds() {
    println!("| Incident | Source | Affected | Property | Cases to first counterexample | Wall time | Shrunk schedule | `explain` names | Fixed: cases without one | Fix |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let only = std::env::var("PRODSIM_INCIDENT").unwrap_or_default();
    for i in INCIDENTS.iter().filter(|i| i.search.contains(only.as_str())) {
        let r = rediscover(i);
        println!(
            "| {} | {} | {} | `{}` | {} | {:.1} s | {} fault{} | {} | {} | {} |",
            i.name,
            i.source,
            i.affected_versions,
            i.property,
            r.cases,
            r.seconds,
            r.faults,
            if r.faults == 1 { "" } else { "s" },
            r.named,
            r.fixed_cases,
            i.fix
        );
    }
}
