//! Negative controls: the search must FIND the violations Kafka permits, within a bounded
//! number of cases, or the property tests prove nothing. Each control searches one
//! configuration outside a property's precondition (reference 9 and 9.1) and asserts that
//!
//! 1. a counterexample is found within [`CASES`] cases;
//! 2. the rendered scenario file, loaded and run with `prodsim::run`, reproduces the violation,
//!    and its `[[expect]]` gate fails on that run;
//! 3. `prodsim search` on the command line finds it too (exit code 3, file written).

use prodsim::config::{Acks, FaultType, RunSpec};
use prodsim::result::Measure;
use prodsim::scenario::Scenario;
use prodsim::search::{self, Counterexample, Outcome, Space};
use std::path::Path;

/// The bound of every control's search.
const CASES: u32 = 256;

/// The configuration the controls start from: acks=all, RF 3, min ISR 2, 2 partitions, 15 s at
/// 5000 records/s, and a short `replica.lag.time.max.ms` (3 s) so that the ISR can shrink within
/// the window.
fn base() -> RunSpec {
    let mut s = RunSpec {
        duration_ms: 15_000,
        ..RunSpec::default()
    };
    s.workload.rate = 5_000.0;
    s.cluster.partitions = 2;
    s.cluster.min_insync_replicas = 2;
    s.cluster.replica_lag_time_max_ms = 3_000;
    s
}

/// Searches `space` for a violation of `property` and checks that the counterexample replays.
fn must_find(space: &Space, property: &str) -> Box<Counterexample> {
    let p = search::property(property).expect("known property");
    let cx = match search::search(space, p, CASES, 1) {
        Outcome::Counterexample(cx) => cx,
        Outcome::Held(n) => panic!("the search found no violation of `{property}` in {n} cases"),
    };
    assert!(
        cx.outside_precondition.is_some(),
        "a control runs outside the precondition of `{property}`"
    );
    assert!(cx.minimal.faults.len() <= cx.spec.faults.len() + space.scripted.len());
    assert_replays(&cx, p);
    cx
}

/// The rendered scenario file loads to the minimal spec, its run breaks the property again,
/// and its `[[expect]]` gate fails on that run.
fn assert_replays(cx: &Counterexample, p: &search::Property) {
    let text = search::render_counterexample("control", "counterexample.toml", cx);
    let sc = Scenario::parse_str(&text, Path::new("counterexample.toml"))
        .unwrap_or_else(|e| panic!("the counterexample file does not load: {e}\n{text}"));
    let points = sc.expand().expect("one run");
    assert_eq!(points.len(), 1, "{text}");
    assert_eq!(points[0].spec, cx.minimal, "the file must give back the minimal spec");
    let result = prodsim::run(&points[0].spec);
    let violation = (p.check)(&points[0].spec, &result).expect_err("replaying the file reproduces the violation");
    assert_eq!(violation, cx.violation, "same run, same violation");
    let rows = vec![(
        points[0].params_with_seed(),
        result.measures().into_iter().collect::<Vec<(&str, Measure)>>(),
    )];
    let verdicts = prodsim::expect::evaluate(&sc.expects, &rows);
    assert!(
        !verdicts.is_empty(),
        "the file states the property as an [[expect]] gate"
    );
    assert!(
        verdicts.iter().any(|v| !v.passed),
        "the gate fails: `prodsim run` exits 3"
    );
}

/// acks=1: the leader acknowledges before its followers have the records; a leader crash or a
/// zombie leader (cut off from the cluster, not from the producer) loses them.
#[test]
fn acks_1_loses_acknowledged_writes() {
    let mut spec = base();
    spec.producer.acks = Acks::One;
    let cx = must_find(&Space::from_spec(&spec), "no_acked_write_lost");
    assert!(cx.result.as_ref().is_some_and(|r| r.delivery.lost_acked > 0));
}

/// acks=all with min.insync.replicas = 1: once the followers fell out of the ISR, the leader
/// acknowledges alone, and losing its unflushed page cache (a machine crash) loses those
/// records (reference 9.1, "acks=all, min ISR 1, ISR shrunk to the leader").
#[test]
fn acks_all_with_min_isr_1_loses_acknowledged_writes_after_an_isr_shrink() {
    let mut spec = base();
    spec.cluster.min_insync_replicas = 1;
    let mut space = Space::from_spec(&spec);
    space.fault_kinds = Some(vec![FaultType::Partition, FaultType::CrashLeader, FaultType::PowerLoss]);
    let cx = must_find(&space, "no_acked_write_lost");
    assert!(cx.result.as_ref().is_some_and(|r| r.delivery.lost_acked > 0));
}

/// Unclean leader election: after the ISR shrank to the leader, the leader crashes and an
/// out-of-sync replica is elected; everything above its log end is gone.
#[test]
fn unclean_election_loses_acknowledged_writes() {
    let mut spec = base();
    spec.cluster.min_insync_replicas = 1;
    spec.cluster.unclean_leader_election_enable = true;
    let cx = must_find(&Space::from_spec(&spec), "no_acked_write_lost");
    assert!(cx
        .result
        .as_ref()
        .is_some_and(|r| r.delivery.lost_acked > 0 && r.elections > 0));
}

/// Unclean leader election with a consumer group reading: the leader alone in the ISR commits,
/// the consumer reads it, the leader crashes and an out-of-sync replica takes it back.
#[test]
fn unclean_election_takes_back_what_a_consumer_read() {
    let mut spec = base();
    spec.cluster.min_insync_replicas = 1;
    spec.cluster.unclean_leader_election_enable = true;
    spec.consumers.push(prodsim::config::ConsumerEntry::named("reader"));
    let cx = must_find(&Space::from_spec(&spec), "consumers_read_only_committed");
    assert!(cx.result.as_ref().is_some_and(|r| r.consumed_lost > 0));
}

/// Without idempotence a retry after a lost response writes the batch again.
#[test]
fn retries_without_idempotence_duplicate() {
    let mut spec = base();
    spec.producer.enable_idempotence = Some(false);
    let mut space = Space::from_spec(&spec);
    space.fault_kinds = Some(vec![FaultType::LoseResponses]);
    let cx = must_find(&space, "idempotent_no_duplicates_in_order");
    assert!(cx.result.as_ref().is_some_and(|r| r.delivery.duplicates > 0));
}

/// Without idempotence and with 5 requests in flight, a retried batch lands after batches sent
/// after it.
#[test]
fn five_in_flight_without_idempotence_reorders() {
    let mut spec = base();
    spec.producer.enable_idempotence = Some(false);
    spec.producer.max_in_flight_requests_per_connection = 5;
    let cx = must_find(&Space::from_spec(&spec), "single_in_flight_keeps_order");
    assert!(cx.result.as_ref().is_some_and(|r| r.delivery.reordered > 0));
}

/// The same search from the command line: exit code 3, the counterexample file written under
/// `--out`, and a file that `prodsim run` replays to a failed gate (exit code 3). An unknown
/// property is bad input (exit code 2) and the message lists the properties.
#[test]
fn prodsim_search_finds_and_writes_a_replayable_counterexample() {
    let bin = env!("CARGO_BIN_EXE_prodsim");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let mut spec = base();
    spec.producer.acks = Acks::One;
    let scenario = dir.join("acks-1.toml");
    std::fs::write(&scenario, Scenario::to_toml("acks-1", &spec)).unwrap();
    let out = dir.join("reports");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .output()
            .expect("prodsim runs")
    };
    let found = run(&[
        "search",
        scenario.to_str().unwrap(),
        "--property",
        "no_acked_write_lost",
        "--cases",
        "64",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&found.stdout);
    assert_eq!(
        found.status.code(),
        Some(3),
        "{stdout}\n{}",
        String::from_utf8_lossy(&found.stderr)
    );
    assert!(stdout.contains("counterexample to `no_acked_write_lost`"), "{stdout}");
    assert!(stdout.contains("prodsim explain"), "{stdout}");
    let file = out.join("acks-1").join("counterexample-no_acked_write_lost.toml");
    assert!(file.is_file(), "{stdout}");
    let replayed = run(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ]);
    assert_eq!(
        replayed.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&replayed.stdout)
    );
    let unknown = run(&["search", scenario.to_str().unwrap(), "--property", "no_lost_writes"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no_acked_write_lost") && stderr.contains("hw_monotonic"),
        "{stderr}"
    );
}
