//! Property tests of Kafka's delivery guarantees: for each property of `prodsim::search`, a
//! randomized search over producer/cluster configurations that meet its precondition and fault
//! schedules within its fault model. A violation fails the test with the minimal
//! counterexample as a ready-to-run scenario file and the commands that replay it.
//!
//! Budget: the default case counts keep this file to a few seconds per property on two cores.
//! `PROPTEST_CASES=N` runs N cases per property (the `deterministic` one runs N / 2, each case
//! simulating twice); `PROPTEST_RNG_SEED=S` searches from another seed (default 1, so that CI
//! is reproducible). Failing seeds are appended to `proptest-regressions/properties/<name>.txt`
//! and replayed first on every later run: commit them.

use prodsim::config::RunSpec;
use prodsim::scenario::Scenario;
use prodsim::search::{self, Outcome, SearchOptions, Space};
use proptest::prelude::*;
use std::path::Path;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 512;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn search_seed() -> u64 {
    std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// What the drawn configurations do not vary: a 12 s production window. Configurations vary
/// 3-5 brokers, 1-3 partitions, 1000-10000 records/s, so a case simulates in a few ms.
fn base() -> RunSpec {
    RunSpec {
        duration_ms: 12_000,
        ..RunSpec::default()
    }
}

/// The regression file of a property (absolute, so the working directory does not matter).
macro_rules! regressions {
    ($name:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/properties/",
            $name,
            ".txt"
        )
    };
}

/// Searches random configurations and fault schedules for a violation of `name`; panics with
/// the minimal counterexample.
fn holds(name: &'static str, regressions: &'static str, cases: u32) {
    let property = search::property(name).expect("known property");
    let space = Space::random(&base());
    let options = SearchOptions {
        cases,
        seed: search_seed(),
        regressions: Some(regressions),
        ..SearchOptions::default()
    };
    if let Outcome::Counterexample(cx) = search::search_with(&space, property, &options) {
        let file = format!("{name}-counterexample.toml");
        let text = search::render_counterexample("property", &file, &cx);
        panic!(
            "`{name}` is violated after {} cases: {}\n\nminimal counterexample (save it as {file}):\n\n{text}",
            cx.cases_before, cx.violation
        );
    }
}

#[test]
fn acked_survives_producer_crash() {
    holds(
        "acked_survives_producer_crash",
        regressions!("acked_survives_producer_crash"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn no_acked_write_lost() {
    holds(
        "no_acked_write_lost",
        regressions!("no_acked_write_lost"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn acked_survives_rf_minus_1_failures() {
    holds(
        "acked_survives_rf_minus_1_failures",
        regressions!("acked_survives_rf_minus_1_failures"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn no_committed_record_lost() {
    holds(
        "no_committed_record_lost",
        regressions!("no_committed_record_lost"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn consumers_read_only_committed() {
    holds(
        "consumers_read_only_committed",
        regressions!("consumers_read_only_committed"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn idempotent_no_duplicates_in_order() {
    holds(
        "idempotent_no_duplicates_in_order",
        regressions!("idempotent_no_duplicates_in_order"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn single_in_flight_keeps_order() {
    holds(
        "single_in_flight_keeps_order",
        regressions!("single_in_flight_keeps_order"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn every_send_resolves() {
    holds(
        "every_send_resolves",
        regressions!("every_send_resolves"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn no_phantoms() {
    holds("no_phantoms", regressions!("no_phantoms"), cases(DEFAULT_CASES));
}

#[test]
fn log_matching() {
    holds("log_matching", regressions!("log_matching"), cases(DEFAULT_CASES));
}

#[test]
fn leader_completeness() {
    holds(
        "leader_completeness",
        regressions!("leader_completeness"),
        cases(DEFAULT_CASES),
    );
}

#[test]
fn hw_monotonic() {
    holds("hw_monotonic", regressions!("hw_monotonic"), cases(DEFAULT_CASES));
}

#[test]
fn deterministic() {
    holds("deterministic", regressions!("deterministic"), cases(DEFAULT_CASES) / 2);
}

// ---------------------------------------------------------------------------------------------
// The strategies themselves (no simulation: cheap, so many cases).
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(256),
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            regressions!("strategies")
        ))),
        ..ProptestConfig::default()
    })]

    /// Every drawn case is a valid run whose faults start inside the production window, and it
    /// meets the precondition of the property it was drawn for.
    #[test]
    fn drawn_cases_are_valid_and_meet_the_precondition(
        index in 0..search::PROPERTIES.len(),
        case_seed in any::<u64>(),
    ) {
        let property = &search::PROPERTIES[index];
        let space = Space::random(&base());
        let strategy = space.strategy(property);
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            proptest::test_runner::Config::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &[case_seed.to_le_bytes(), [7; 8], [0; 8], [1; 8]].concat(),
            ),
        );
        let spec = strategy.new_tree(&mut runner).expect("a case").current();
        prop_assert_eq!(spec.validate(), Ok(()));
        prop_assert!(spec.faults.iter().all(|f| f.at_ms < spec.duration_ms));
        prop_assert!(spec.faults.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        prop_assert_eq!(property.precondition(&spec), Ok(()));
    }

    /// A drawn schedule renders to a scenario file that loads back to the same run.
    #[test]
    fn drawn_cases_round_trip_through_scenario_files(
        faults in search::arb_faults(search::ALL_FAULT_KINDS, 12_000, 4),
        config in search::arb_config(base()),
    ) {
        let mut spec = config;
        spec.faults = faults;
        search::normalize_faults(&mut spec, None);
        let text = Scenario::to_toml("round-trip", &spec);
        let loaded = Scenario::parse_str(&text, Path::new("round-trip.toml"))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let points = loaded.expand().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(points.len(), 1);
        prop_assert_eq!(&points[0].spec, &spec);
    }

    /// With a budget, normalization never leaves more brokers down at once than the budget.
    #[test]
    fn the_down_budget_is_respected(
        faults in search::arb_faults(search::ALL_FAULT_KINDS, 12_000, 6),
        config in search::arb_config(base()),
        budget in 0u32..3,
    ) {
        let mut spec = config;
        spec.faults = faults;
        search::normalize_faults(&mut spec, Some(budget));
        prop_assert!(search::most_down_at_once(&spec) <= budget);
    }
}

// ---------------------------------------------------------------------------------------------
// Model bugs the searches found, fixed: their minimal counterexamples, replayed as regression
// tests.
// ---------------------------------------------------------------------------------------------

/// Loads a counterexample scenario and checks `property` on its one run.
fn replay(property: &str, text: &str) -> Result<(), String> {
    let sc = Scenario::parse_str(text, Path::new("counterexample.toml")).expect("valid scenario");
    let points = sc.expand().expect("valid scenario");
    assert_eq!(points.len(), 1);
    let property = search::property(property).expect("known property");
    assert_eq!(property.precondition(&points[0].spec), Ok(()));
    property.check_run(&points[0].spec).map(|_| ())
}

/// OPEN (found 2026-12-01 by `PROPTEST_CASES=4000` on `no_committed_record_lost`; not yet
/// understood): a process crash of partition 0's leader b0 (100 ms) and, 1.3 s later, b1
/// cut off from the cluster but not from the producer. The run reports one leader elected
/// without every committed record (`leader_completeness_violations` = 1) and `committed_lost`
/// = 2664, with no power loss and clean elections, with or without ELR: `hw_monotonic` and
/// `leader_completeness` promise otherwise. Clues: b1 is elected for partition 0 at 9.1 s
/// while it is isolated and applies that stale metadata (epoch 1) only at 12.1 s, after b2
/// took over in epoch 2; 2664 is partition 2's high watermark when b0 crashed.
#[test]
#[ignore = "open model finding: see the comment"]
fn crash_then_isolated_leader_keeps_committed_records() {
    let text = r#"
name = "property-no_committed_record_lost"
duration_ms = 12000
seeds = [764301034]

[producer]
acks = "0"
linger_ms = 43
send_mode = "fire-and-forget"
max_in_flight_requests_per_connection = 1

[cluster]
brokers = 5
partitions = 3
replication_factor = 4
min_insync_replicas = 2
eligible_leader_replicas_enable = true

[workload]
rate = 8745.0

[[faults]]
at_ms = 852
kind = "crash-leader"
duration_ms = 100
partition = 0

[[faults]]
at_ms = 2137
kind = "isolate-leader"
duration_ms = 8372
partition = 1
"#;
    replay("hw_monotonic", text).unwrap();
}

/// Batch #0 (seq 0-1) fails after its one retry, leaving its fate unresolved; batch #1 (seq 2),
/// whose first attempt b0 appended, waits in the queue for its retry. The producer resolves
/// the unresolved sequence as soon as nothing is on the wire and bumps its epoch; batch #1 is
/// renumbered (epoch 1, seq 0) and appended a second time. Kafka's
/// `TransactionManager.maybeResolveSequences` waits until no batch of the partition is in
/// `inflightBatchesBySequence`, which holds batches queued for retry too. (With KAFKA-14034's
/// fix, `epoch_bump_waits_for_in_flight`, as the property tests run it.)
#[test]
fn idempotent_retry_is_not_renumbered() {
    let text = r#"
name = "idempotent-retry-renumbered"
duration_ms = 12000
seeds = [528488333]

[producer]
linger_ms = 0
max_in_flight_requests_per_connection = 3
request_timeout_ms = 500
retries = 1
epoch_bump_waits_for_in_flight = true

[cluster]
partitions = 1
replication_factor = 2
hw_requires_min_isr = false

[workload]
rate = 1000.0

[[faults]]
at_ms = 0
kind = "crash"
duration_ms = 2197
broker = "b1"
"#;
    replay("idempotent_no_duplicates_in_order", text).unwrap();
}

/// The leader of partition 0 (b0) is isolated for 7.5 s; it is fenced after the partition
/// heals (its heartbeat during the partition was lost) and b1 leads with ISR [1]. b1 asks the
/// controller to add b0 back while b0 is still fenced; the controller rejects it and answers
/// with the unchanged partition state, which `broker_apply_metadata` skips as not newer, so
/// b1's pending ISR is never cleared and never retried. The ISR stays below
/// min.insync.replicas = 2: the HW never reaches the records b0 committed, and produce fails
/// with NOT_ENOUGH_REPLICAS until the end of the run.
#[test]
fn rejected_isr_expansion_is_retried() {
    let text = r#"
name = "rejected-isr-expansion"
duration_ms = 12000
seeds = [899311050]

[producer]
linger_ms = 0
max_in_flight_requests_per_connection = 1

[cluster]
brokers = 5
partitions = 1
replication_factor = 2
min_insync_replicas = 2

[workload]
rate = 1000.0

[[faults]]
at_ms = 577
kind = "partition"
duration_ms = 7483
groups = [["b0"], ["b1", "b2", "b3", "b4", "controller", "producer"]]
"#;
    replay("hw_monotonic", text).unwrap();
}

/// Partition 1's leader b1 crashes; b2 leads and asks to add b1 back: ISR [2, 0, 1]. The
/// controller accepts and stores [1, 2, 0] (replica order); `broker_apply_metadata` clears the
/// pending ISR only when it equals the new ISR element by element, so [2, 0, 1] stays pending
/// for good. When b0 (crashed meanwhile) re-registers and leaves the ISR, b2 still counts it
/// in its maximal ISR, never asks to add it back, and with min.insync.replicas = 3 the high
/// watermark of partition 1 stays below the records the old leader had committed.
#[test]
fn accepted_isr_expansion_clears_the_pending_isr() {
    let text = r#"
name = "accepted-isr-expansion"
duration_ms = 12000
seeds = [538775595]

[producer]
acks = "1"
linger_ms = 8
max_in_flight_requests_per_connection = 2

[cluster]
partitions = 2
min_insync_replicas = 3

[workload]
rate = 1875.0

[[faults]]
at_ms = 1294
kind = "crash-leader"
duration_ms = 1678
partition = 1

[[faults]]
at_ms = 1418
kind = "crash-leader"
duration_ms = 7520
partition = 0
"#;
    replay("hw_monotonic", text).unwrap();
}

/// The same bug within the fault model of `no_acked_write_lost` (RF 3, min ISR 2, one broker
/// down at a time): b0 isolated for 7 s, then b2 crashes as the partition heals; b1 leads with
/// ISR [1] and the rejected expansions are never retried, so 7 acknowledged records stay above
/// the final high watermark.
#[test]
fn no_acked_write_lost_after_isolation_then_crash() {
    let text = r#"
name = "isolation-then-crash"
duration_ms = 12000
seeds = [469020741]

[producer]
max_in_flight_requests_per_connection = 1

[cluster]
brokers = 4
partitions = 2
min_insync_replicas = 2

[workload]
rate = 1251.0
record_bytes = 50

[[faults]]
at_ms = 3107
kind = "partition"
duration_ms = 6982
groups = [["b0"], ["b1", "b2", "b3", "controller", "producer"]]

[[faults]]
at_ms = 10089
kind = "crash"
duration_ms = 1006
broker = "b2"
"#;
    replay("no_acked_write_lost", text).unwrap();
}

/// b0 and b1 lose power for 255 ms. b0 restarts with an empty log and, before the controller
/// has seen its re-registration, takes the leadership of partition 0 in the old leader epoch 0
/// from the metadata it receives: it accepts writes at offsets b2 holds with other records in
/// the same epoch. In Kafka a restarted broker registers (and is fenced, losing its
/// leaderships) before it serves. Replicas end up disagreeing below their high watermarks and
/// records appear out of order although max.in.flight.requests.per.connection = 1.
#[test]
fn restarted_broker_does_not_lead_in_its_old_epoch() {
    let text = r#"
name = "restarted-broker-old-epoch"
duration_ms = 12000
seeds = [919090041]

[producer]
acks = "0"
linger_ms = 10
send_mode = "fire-and-forget"
max_in_flight_requests_per_connection = 1

[cluster]
brokers = 5
partitions = 3
hw_requires_min_isr = false

[network]
latency_ms = 10.0

[workload]
rate = 1335.0
keys = 49

[[faults]]
at_ms = 1583
kind = "power-loss"
duration_ms = 255
brokers = ["b0", "b1"]

[[faults]]
at_ms = 1981
kind = "crash-leader"
duration_ms = 100
partition = 0
"#;
    replay("single_in_flight_keeps_order", text).unwrap();
    replay("log_matching", text).unwrap();
}
