//! Randomized search for counterexamples to Kafka's delivery guarantees.
//!
//! Three parts, used alike by `tests/properties.rs`, `tests/negative_controls.rs` and
//! `prodsim search`:
//!
//! - **Strategies** (proptest) for producer and cluster configurations ([`arb_config`]) and for
//!   fault schedules *as data* ([`arb_faults`]): a `Vec<Fault>` of times, kinds, targets and
//!   durations, so that shrinking drops faults, shortens them and moves them earlier.
//! - **Properties** ([`PROPERTIES`]), named as Kafka engineers name them (Jepsen's anomalies, the
//!   TLA+ specs' invariants; reference section 10): a claim about one run's [`RunResult`], the
//!   configuration it needs ([`Property::requires`]) and the faults it tolerates (its fault
//!   model: [`Property::fault_kinds`], [`Property::down_budget`]).
//! - **Search** ([`search`]): draws cases from a [`Space`] with proptest's `TestRunner` and a
//!   ChaCha RNG seeded from the search seed (no OS entropy: a search is reproducible), runs each,
//!   and shrinks the first violation to a minimal counterexample, rendered as a ready-to-run
//!   scenario file with the commands that replay it ([`render_counterexample`]).
//!
//! ```text
//!   Space ──strategy──> RunSpec ──prodsim::run──> RunResult ──Property::check──> ok | violation
//!     (config, sweep point,                                                          │
//!      fault schedule, seed)          minimal RunSpec <──proptest shrinking──────────┘
//! ```
//!
//! Cases are split into shards of [`SHARD_CASES`]; each shard is its own `TestRunner` with a seed
//! derived from (search seed, shard index), and the counterexample reported is the one of the
//! lowest failing shard. Shards run in parallel, yet the outcome does not depend on the number
//! of jobs.

use crate::config::{Acks, Arrival, Fault, FaultKind, Node, RandomFaults, RunSpec, SendMode};
use crate::result::RunResult;
use crate::scenario::{render_value, set_key, Scenario, Value};
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Cases per shard: a search of N cases runs `ceil(N / SHARD_CASES)` independent runners.
pub const SHARD_CASES: u32 = 64;

/// Most shrinking steps (one simulation each) spent on one counterexample.
pub const MAX_SHRINK_ITERS: u32 = 4096;

/// Fault kinds, simplest first: shrinking a fault's kind moves it towards the front.
pub const ALL_FAULT_KINDS: &[&str] = &[
    "crash",
    "crash-leader",
    "partition",
    "isolate-leader",
    "slow-link",
    "lose-responses",
    "power-loss",
];

/// Crashes and partitions: the fault model of `no_acked_write_lost`.
const CRASHES_AND_PARTITIONS: &[&str] = &["crash", "crash-leader", "partition", "isolate-leader"];

/// Every kind but power loss (a process crash keeps the page cache; power loss does not).
const NO_POWER_LOSS: &[&str] = &[
    "crash",
    "crash-leader",
    "partition",
    "isolate-leader",
    "slow-link",
    "lose-responses",
];

/// Largest broker index a generated fault names before it is folded onto the cluster's brokers.
const RAW_BROKERS: u32 = 8;

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// A delivery guarantee: a claim about one run, the configuration it needs and the faults it
/// tolerates.
pub struct Property {
    /// `no_acked_write_lost`.
    pub name: &'static str,
    /// The claim in one line, precondition included.
    pub claim: &'static str,
    /// Where the property comes from (reference sections, TLA+ names).
    pub reference: &'static str,
    /// Fault kinds the property tolerates ([`ALL_FAULT_KINDS`] names); a search draws only these.
    pub fault_kinds: &'static [&'static str],
    /// At most `replication_factor - min_insync_replicas` brokers down at once (see
    /// [`brokers_down`]).
    pub down_budget: bool,
    /// The configuration precondition: `Err(why not)` when Kafka does not promise the property.
    pub requires: fn(&RunSpec) -> Result<(), String>,
    /// Changes a configuration as little as possible so that it meets [`Property::requires`]
    /// (used to draw random configurations for the property tests).
    pub conform: fn(&mut RunSpec),
    /// `Err(violation)` when the run breaks the claim.
    pub check: fn(&RunSpec, &RunResult) -> Result<(), String>,
    /// The claim as the body of a scenario `[[expect]]` gate, when measures can express it.
    pub gate: fn(&RunSpec) -> Option<String>,
}

impl Property {
    /// Whether `spec` meets the property's precondition: its configuration
    /// ([`Property::requires`]) and its fault schedule (the fault model).
    pub fn precondition(&self, spec: &RunSpec) -> Result<(), String> {
        (self.requires)(spec)?;
        self.admits_faults(spec)
    }

    /// Whether the fault schedule stays within the property's fault model.
    pub fn admits_faults(&self, spec: &RunSpec) -> Result<(), String> {
        if let Some(f) = spec.faults.iter().find(|f| !self.fault_kinds.contains(&f.kind.name())) {
            return Err(format!(
                "fault `{}` at_ms = {} is outside the fault model ({})",
                f.kind.name(),
                f.at_ms,
                self.fault_kinds.join(", ")
            ));
        }
        if random_faults_on(&spec.random_faults) {
            return Err("random faults are on: a drawn schedule cannot be checked against the fault model".into());
        }
        if self.down_budget {
            let budget = down_budget(spec);
            let most = most_down_at_once(spec);
            if most > budget {
                return Err(format!(
                    "{most} brokers down at once; the fault model allows replication_factor - \
                     min_insync_replicas = {budget}"
                ));
            }
        }
        Ok(())
    }

    /// Checks one run, turning a simulator panic into a violation.
    pub fn check_run(&self, spec: &RunSpec) -> Result<RunResult, String> {
        let result = catch_unwind(AssertUnwindSafe(|| crate::run(spec)))
            .map_err(|p| format!("the simulator panicked: {}", panic_message(&p)))?;
        if let Some(why) = &result.aborted {
            // A run that outgrew a bound or stopped advancing is not a result to judge.
            return Err(format!("the run stopped early: {why}"));
        }
        (self.check)(spec, &result)?;
        Ok(result)
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

fn random_faults_on(r: &RandomFaults) -> bool {
    [
        r.crash_per_min,
        r.power_loss_per_min,
        r.crash_leader_per_min,
        r.isolate_leader_per_min,
        r.partition_per_min,
        r.slow_link_per_min,
        r.lose_responses_per_min,
    ]
    .iter()
    .any(|&x| x > 0.0)
}

fn nonzero(what: &str, v: u64) -> Result<(), String> {
    if v == 0 {
        Ok(())
    } else {
        Err(format!("{what} = {v}"))
    }
}

fn no_conform(_: &mut RunSpec) {}

fn clean_elections(spec: &RunSpec) -> Result<(), String> {
    if spec.cluster.unclean_leader_election_enable {
        return Err("unclean_leader_election_enable = true (needs clean elections)".into());
    }
    Ok(())
}

fn requires_no_acked_write_lost(spec: &RunSpec) -> Result<(), String> {
    let c = &spec.cluster;
    if spec.producer.acks != Acks::All {
        return Err(format!("acks = {} (needs acks = all)", spec.producer.acks));
    }
    if c.min_insync_replicas < 2 {
        return Err(format!("min_insync_replicas = {} (needs >= 2)", c.min_insync_replicas));
    }
    if c.replication_factor < 3 {
        return Err(format!("replication_factor = {} (needs >= 3)", c.replication_factor));
    }
    clean_elections(spec)
}

fn conform_no_acked_write_lost(spec: &mut RunSpec) {
    let c = &mut spec.cluster;
    spec.producer.acks = Acks::All;
    c.brokers = c.brokers.max(3);
    c.replication_factor = c.replication_factor.clamp(3, c.brokers);
    // min ISR = RF leaves no fault budget: keep at least one broker's worth of faults.
    c.min_insync_replicas = c.min_insync_replicas.clamp(2, c.replication_factor - 1);
    c.unclean_leader_election_enable = false;
}

fn requires_idempotence(spec: &RunSpec) -> Result<(), String> {
    if !spec.producer.idempotence() {
        return Err("idempotence is off (needs enable_idempotence, which needs acks = all)".into());
    }
    Ok(())
}

fn conform_idempotence(spec: &mut RunSpec) {
    let p = &mut spec.producer;
    p.acks = Acks::All;
    p.retries = p.retries.max(1);
    if p.enable_idempotence == Some(false) {
        p.enable_idempotence = Some(true);
    }
    p.max_in_flight_requests_per_connection = p.max_in_flight_requests_per_connection.min(5);
}

fn requires_single_in_flight(spec: &RunSpec) -> Result<(), String> {
    let n = spec.producer.max_in_flight_requests_per_connection;
    if n != 1 {
        return Err(format!("max_in_flight_requests_per_connection = {n} (needs 1)"));
    }
    Ok(())
}

fn conform_single_in_flight(spec: &mut RunSpec) {
    spec.producer.max_in_flight_requests_per_connection = 1;
}

/// Slack over `max.block.ms + delivery.timeout.ms` for the sender pass that expires a batch,
/// milliseconds. The model wakes the sender exactly at a batch's expiry; 1 ms absorbs rounding.
pub const SENDER_PASS_SLACK_MS: u64 = 1;

/// The longest a send may take to resolve: `max.block.ms + delivery.timeout.ms` plus one sender
/// pass (reference 10.3, P-deliveryBound).
pub fn resolve_bound_ms(spec: &RunSpec) -> u64 {
    spec.producer.max_block_ms + spec.producer.delivery_timeout_ms() + SENDER_PASS_SLACK_MS
}

fn requires_resolve_bound(spec: &RunSpec) -> Result<(), String> {
    let p = &spec.producer;
    if !p.idempotence() && p.max_in_flight_requests_per_connection > 1 {
        // RecordAccumulator.reenqueue puts a retried batch at the front of its partition's
        // queue (addFirst) without idempotence, and expiredBatches stops at the first queued
        // batch that has not expired: an older batch behind a newer retried one expires late.
        return Err(format!(
            "idempotence is off with max_in_flight_requests_per_connection = {} (needs idempotence \
             or 1 in flight: otherwise a retried batch can pass an older one in the queue, and Kafka \
             checks delivery.timeout.ms only at the head of the queue)",
            p.max_in_flight_requests_per_connection
        ));
    }
    let need = p.max_block_ms + p.delivery_timeout_ms();
    if spec.settle_ms < need {
        return Err(format!(
            "settle_ms = {} is shorter than max_block_ms + delivery_timeout_ms = {need}: the flush \
             may legitimately outlast the run",
            spec.settle_ms
        ));
    }
    Ok(())
}

fn conform_resolve_bound(spec: &mut RunSpec) {
    if !spec.producer.idempotence() {
        spec.producer.max_in_flight_requests_per_connection = 1;
    }
    let need = spec.producer.max_block_ms + spec.producer.delivery_timeout_ms();
    spec.settle_ms = spec.settle_ms.max(need);
}

fn conform_clean(spec: &mut RunSpec) {
    spec.cluster.unclean_leader_election_enable = false;
}

fn anything(_: &RunSpec) -> Result<(), String> {
    Ok(())
}

fn check_lost_acked(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    nonzero("lost_acked", r.delivery.lost_acked)
        .map_err(|m| format!("{m}: acknowledged records are absent from the final committed log"))
}

fn check_no_duplicates_in_order(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    let d = &r.delivery;
    if d.duplicates > 0 || d.reordered > 0 {
        return Err(format!(
            "duplicates = {}, reordered = {}: the idempotent producer wrote a record twice or out of order",
            d.duplicates, d.reordered
        ));
    }
    Ok(())
}

fn check_reordered(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    nonzero("reordered", r.delivery.reordered)
        .map_err(|m| format!("{m}: records appear after a record the producer sent later"))
}

fn check_resolves(spec: &RunSpec, r: &RunResult) -> Result<(), String> {
    let bound = resolve_bound_ms(spec);
    if r.delivery.pending > 0 {
        return Err(format!(
            "pending = {}: sends without an outcome after the flush",
            r.delivery.pending
        ));
    }
    if r.resolve_max_ms.is_nan() || r.resolve_max_ms > bound as f64 {
        return Err(format!(
            "resolve_max_ms = {:.3} > max_block_ms + delivery_timeout_ms + {SENDER_PASS_SLACK_MS} = {bound}",
            r.resolve_max_ms
        ));
    }
    Ok(())
}

fn check_phantom(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    nonzero("phantom", r.delivery.phantom).map_err(|m| format!("{m}: the final log holds records nobody sent"))
}

fn check_log_matching(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    nonzero("log_divergence", r.log_divergence)
        .map_err(|m| format!("{m}: replica pairs disagree below both high watermarks"))
}

fn check_leader_completeness(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    nonzero("leader_completeness_violations", r.leader_completeness_violations)
        .map_err(|m| format!("{m}: a leader was elected without every committed record"))
}

fn check_hw_monotonic(_: &RunSpec, r: &RunResult) -> Result<(), String> {
    nonzero("committed_lost", r.committed_lost)
        .map_err(|m| format!("{m}: records below a high watermark some leader reached are gone"))
}

fn check_deterministic(spec: &RunSpec, r: &RunResult) -> Result<(), String> {
    let again = crate::run(spec);
    // Compared as text: equal runs print equally (and NaN compares equal to itself).
    if format!("{again:?}") != format!("{r:?}") {
        return Err(format!(
            "two runs of the same spec differ: digest {:#018x} vs {:#018x}, events {} vs {}",
            r.digest, again.digest, r.events, again.events
        ));
    }
    Ok(())
}

fn gate(measures: &[&str]) -> Option<String> {
    Some(measures.iter().map(|m| format!("{m} = 0\n")).collect())
}

/// Every property, in the order `prodsim search --property` lists them.
pub static PROPERTIES: &[Property] = &[
    Property {
        name: "no_acked_write_lost",
        claim: "acks=all, min.insync.replicas >= 2, replication.factor >= 3, clean elections, crashes \
                and partitions only (no power loss), at most RF - min ISR brokers down at once => \
                lost_acked = 0",
        reference: "Jepsen lost-write; TLA+ NoCommittedRecordLostGlobally; reference 9.1, 10.3 P-ackedDurable",
        fault_kinds: CRASHES_AND_PARTITIONS,
        down_budget: true,
        requires: requires_no_acked_write_lost,
        conform: conform_no_acked_write_lost,
        check: check_lost_acked,
        gate: |_| gate(&["lost_acked"]),
    },
    Property {
        name: "idempotent_no_duplicates_in_order",
        claim: "idempotence on => duplicates = 0 and reordered = 0 under any fault schedule (one \
                producer session)",
        reference: "KIP-98; TLA+ linearizable per partition; reference 6, 10.3 P-noDupIdem, P-order",
        fault_kinds: ALL_FAULT_KINDS,
        down_budget: false,
        requires: requires_idempotence,
        conform: conform_idempotence,
        check: check_no_duplicates_in_order,
        gate: |_| gate(&["duplicates", "reordered"]),
    },
    Property {
        name: "single_in_flight_keeps_order",
        claim: "max.in.flight.requests.per.connection = 1 => reordered = 0",
        reference: "reference 4.4, 5.6, 10.3 P-order",
        fault_kinds: ALL_FAULT_KINDS,
        down_budget: false,
        requires: requires_single_in_flight,
        conform: conform_single_in_flight,
        check: check_reordered,
        gate: |_| gate(&["reordered"]),
    },
    Property {
        name: "every_send_resolves",
        claim: "idempotence on or max.in.flight.requests.per.connection = 1 => every send gets \
                exactly one outcome within max.block.ms + delivery.timeout.ms plus one sender pass, \
                and pending = 0 after the flush",
        reference: "TLA+ EventuallyWriteIsAcceptedOrRejected; reference 4.6, 10.3 P-deliveryBound",
        fault_kinds: ALL_FAULT_KINDS,
        down_budget: false,
        requires: requires_resolve_bound,
        conform: conform_resolve_bound,
        check: check_resolves,
        gate: |spec| {
            Some(format!(
                "pending = 0\nresolve_max_ms = {{ max = {} }}\n",
                resolve_bound_ms(spec)
            ))
        },
    },
    Property {
        name: "no_phantoms",
        claim: "the final logs hold only records the producer sent: phantom = 0",
        reference: "design.md, Record outcomes",
        fault_kinds: ALL_FAULT_KINDS,
        down_budget: false,
        requires: anything,
        conform: no_conform,
        check: check_phantom,
        gate: |_| gate(&["phantom"]),
    },
    Property {
        name: "log_matching",
        claim: "replicas agree on every offset below both their high watermarks: log_divergence = 0",
        reference: "TLA+ LogMatchingProperty, StrongIsr; KIP-101, KIP-279; reference 10.1, 10.2",
        fault_kinds: ALL_FAULT_KINDS,
        down_budget: false,
        requires: anything,
        conform: no_conform,
        check: check_log_matching,
        gate: |_| gate(&["log_divergence"]),
    },
    Property {
        name: "leader_completeness",
        claim: "clean elections, no power loss => every elected leader holds every committed record: \
                leader_completeness_violations = 0",
        reference: "TLA+ LeaderCompletenessProperty; reference 10.2",
        fault_kinds: NO_POWER_LOSS,
        down_budget: false,
        requires: clean_elections,
        conform: conform_clean,
        check: check_leader_completeness,
        gate: |_| gate(&["leader_completeness_violations"]),
    },
    Property {
        name: "hw_monotonic",
        claim: "clean elections, no power loss => the true high watermark never goes back: no \
                committed record is lost, committed_lost = 0",
        reference: "TLA+ true HWM monotonic, NoCommittedRecordLostGlobally; reference 10.2, 10.3 P-HWmono",
        fault_kinds: NO_POWER_LOSS,
        down_budget: false,
        requires: clean_elections,
        conform: conform_clean,
        check: check_hw_monotonic,
        gate: |_| gate(&["committed_lost"]),
    },
    Property {
        name: "deterministic",
        claim: "the same (configuration, schedule, seed) run twice gives identical results and an \
                identical digest of the event stream",
        reference: "design.md principle 1; madsim's determinism check",
        fault_kinds: ALL_FAULT_KINDS,
        down_budget: false,
        requires: anything,
        conform: no_conform,
        check: check_deterministic,
        gate: |_| None,
    },
];

/// The property named `name`.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// Names of every property, comma-separated (for error messages).
pub fn property_names() -> String {
    PROPERTIES.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------------------------------------
// Fault model arithmetic
// ---------------------------------------------------------------------------------------------

/// How many brokers a fault takes down while it lasts, counted conservatively: a crash,
/// crash-leader or isolate-leader takes one; power loss its brokers; a partition every broker
/// cut off from the controller's side (or, when the controller is not named, every broker
/// outside the largest group of brokers); a slow link or lost responses none.
pub fn brokers_down(kind: &FaultKind) -> u32 {
    match kind {
        FaultKind::Crash { .. } | FaultKind::CrashLeader { .. } | FaultKind::IsolateLeader { .. } => 1,
        FaultKind::PowerLoss { brokers } => {
            let mut b = brokers.clone();
            b.sort_unstable();
            b.dedup();
            b.len() as u32
        }
        FaultKind::Partition { groups, .. } => {
            let brokers_in = |g: &Vec<Node>| g.iter().filter(|n| matches!(n, Node::Broker(_))).count() as u32;
            let total: u32 = groups.iter().map(brokers_in).sum();
            let main = groups
                .iter()
                .find(|g| g.contains(&Node::Controller))
                .map(brokers_in)
                .unwrap_or_else(|| groups.iter().map(brokers_in).max().unwrap_or(0));
            total - main
        }
        FaultKind::SlowLink { .. } | FaultKind::LoseResponses { .. } => 0,
    }
}

/// `replication_factor - min_insync_replicas` (0 when min ISR exceeds RF).
pub fn down_budget(spec: &RunSpec) -> u32 {
    spec.cluster
        .replication_factor
        .saturating_sub(spec.cluster.min_insync_replicas)
}

/// End of a fault, milliseconds: its duration, or the end of the production window.
fn fault_end_ms(f: &Fault, window_ms: u64) -> u64 {
    f.duration_ms.map_or(window_ms, |d| (f.at_ms + d).min(window_ms))
}

/// The most brokers the schedule takes down at the same time ([`brokers_down`]).
pub fn most_down_at_once(spec: &RunSpec) -> u32 {
    let mut most = 0;
    for f in &spec.faults {
        let down: u32 = spec
            .faults
            .iter()
            .filter(|g| g.at_ms <= f.at_ms && fault_end_ms(g, spec.duration_ms) > f.at_ms)
            .map(|g| brokers_down(&g.kind))
            .sum();
        most = most.max(down);
    }
    most
}

/// Makes a drawn schedule valid for `spec`: targets folded onto the cluster's brokers and
/// partitions, start times into the production window, faults sorted by start, and, with a
/// `budget`, every fault dropped that would take more than `budget` brokers down at once.
pub fn normalize_faults(spec: &mut RunSpec, budget: Option<u32>) {
    let brokers = spec.cluster.brokers.max(1);
    let partitions = spec.cluster.partitions.max(1);
    let window = spec.duration_ms.max(1);
    let fold = |n: &Node| match n {
        Node::Broker(b) => Node::Broker(b % brokers),
        other => *other,
    };
    let mut faults: Vec<Fault> = std::mem::take(&mut spec.faults)
        .into_iter()
        .filter_map(|mut f| {
            f.at_ms %= window;
            f.kind = match f.kind {
                FaultKind::Crash { broker } => FaultKind::Crash {
                    broker: broker % brokers,
                },
                FaultKind::PowerLoss { brokers: bs } => {
                    let mut bs: Vec<u32> = bs.iter().map(|b| b % brokers).collect();
                    bs.sort_unstable();
                    bs.dedup();
                    FaultKind::PowerLoss { brokers: bs }
                }
                FaultKind::CrashLeader { partition } => FaultKind::CrashLeader {
                    partition: partition % partitions,
                },
                FaultKind::IsolateLeader { partition } => FaultKind::IsolateLeader {
                    partition: partition % partitions,
                },
                FaultKind::Partition { groups, one_way } => {
                    // Fold, then keep each node in its first group only.
                    let mut seen: Vec<Node> = Vec::new();
                    let groups: Vec<Vec<Node>> = groups
                        .iter()
                        .map(|g| {
                            let mut out = Vec::new();
                            for n in g.iter().map(fold) {
                                if !seen.contains(&n) {
                                    seen.push(n);
                                    out.push(n);
                                }
                            }
                            out
                        })
                        .filter(|g| !g.is_empty())
                        .collect();
                    if groups.len() < 2 {
                        return None; // nothing is cut
                    }
                    FaultKind::Partition { groups, one_way }
                }
                FaultKind::SlowLink {
                    from,
                    to,
                    extra_latency_ms,
                    bandwidth_factor,
                } => {
                    let (from, to) = (fold(&from), fold(&to));
                    if from == to {
                        return None;
                    }
                    FaultKind::SlowLink {
                        from,
                        to,
                        extra_latency_ms,
                        bandwidth_factor,
                    }
                }
                k @ FaultKind::LoseResponses { .. } => k,
            };
            Some(f)
        })
        .collect();
    faults.sort_by_key(|f| f.at_ms);
    if let Some(budget) = budget {
        let mut kept: Vec<Fault> = Vec::with_capacity(faults.len());
        for f in faults {
            // Kept faults all start no later than `f`: the overlap is largest at f's start.
            let down_now: u32 = kept
                .iter()
                .filter(|g| fault_end_ms(g, window) > f.at_ms)
                .map(|g| brokers_down(&g.kind))
                .sum();
            if down_now + brokers_down(&f.kind) <= budget {
                kept.push(f);
            }
        }
        faults = kept;
    }
    spec.faults = faults;
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Who stays with the isolated brokers of a drawn `partition` fault.
#[derive(Clone, Copy, Debug)]
enum PartitionShape {
    /// Isolated from the other brokers, the controller and the producer.
    Everyone,
    /// The producer still reaches the isolated brokers (a zombie leader keeps its clients).
    ProducerWithIsolated,
    /// Only replication is cut: everyone still reaches the controller and the producer.
    BrokersOnly,
}

/// One fault kind, targets drawn over [`RAW_BROKERS`] brokers and any partition index
/// (folded later by [`normalize_faults`]).
pub fn arb_fault_kind(kind: &str) -> BoxedStrategy<FaultKind> {
    let broker = 0..RAW_BROKERS;
    let partition = 0u32..16;
    match kind {
        "crash" => broker.prop_map(|broker| FaultKind::Crash { broker }).boxed(),
        "power-loss" => proptest::collection::vec(broker, 1..=2)
            .prop_map(|brokers| FaultKind::PowerLoss { brokers })
            .boxed(),
        "crash-leader" => partition
            .prop_map(|partition| FaultKind::CrashLeader { partition })
            .boxed(),
        "isolate-leader" => partition
            .prop_map(|partition| FaultKind::IsolateLeader { partition })
            .boxed(),
        // A set of brokers cut off from the rest of the cluster: with the controller and the
        // producer on the other side, with the producer on the isolated side (a zombie leader
        // keeps its clients), or between brokers only (replication is cut, the controller
        // still sees everyone). Both ways, or only from the isolated side.
        "partition" => (
            proptest::collection::vec(broker, 1..=2),
            prop_oneof![
                Just(PartitionShape::Everyone),
                Just(PartitionShape::ProducerWithIsolated),
                Just(PartitionShape::BrokersOnly)
            ],
            prop::bool::weighted(0.2),
        )
            .prop_map(|(isolated, shape, one_way)| {
                let mut side: Vec<Node> = isolated.into_iter().map(Node::Broker).collect();
                let mut rest: Vec<Node> = (0..RAW_BROKERS)
                    .map(Node::Broker)
                    .filter(|n| !side.contains(n))
                    .collect();
                match shape {
                    PartitionShape::Everyone => rest.extend([Node::Controller, Node::Producer]),
                    PartitionShape::ProducerWithIsolated => {
                        side.push(Node::Producer);
                        rest.push(Node::Controller);
                    }
                    PartitionShape::BrokersOnly => {}
                }
                FaultKind::Partition {
                    groups: vec![side, rest],
                    one_way,
                }
            })
            .boxed(),
        "slow-link" => (broker, 1u32..=50, prop_oneof![Just(1.0), Just(0.1), Just(0.01)])
            .prop_map(|(b, extra_100ms, bandwidth_factor)| FaultKind::SlowLink {
                from: Node::Producer,
                to: Node::Broker(b),
                extra_latency_ms: extra_100ms as f64 * 100.0,
                bandwidth_factor,
            })
            .boxed(),
        "lose-responses" => (1u32..=50)
            .prop_map(|pct| FaultKind::LoseResponses {
                probability: pct as f64 / 100.0,
            })
            .boxed(),
        other => panic!("unknown fault kind `{other}` (known: {})", ALL_FAULT_KINDS.join(", ")),
    }
}

/// One scheduled fault of one of `kinds`, starting within `window_ms`, lasting 100 ms to the
/// whole window. Shrinks towards earlier, shorter faults of simpler kinds.
pub fn arb_fault(kinds: &[&str], window_ms: u64) -> BoxedStrategy<Fault> {
    assert!(!kinds.is_empty(), "a fault schedule needs at least one fault kind");
    let kind = proptest::strategy::Union::new(kinds.iter().map(|k| arb_fault_kind(k)));
    let window_ms = window_ms.max(1);
    (0..window_ms, 100..=window_ms.max(100), kind)
        .prop_map(|(at_ms, duration_ms, kind)| Fault {
            at_ms,
            duration_ms: Some(duration_ms),
            kind,
        })
        .boxed()
}

/// A fault schedule as data: up to `max_faults` faults of `kinds`. Shrinking drops faults,
/// shortens them and moves them earlier.
pub fn arb_faults(kinds: &[&str], window_ms: u64, max_faults: usize) -> BoxedStrategy<Vec<Fault>> {
    if kinds.is_empty() || max_faults == 0 {
        return Just(Vec::new()).boxed();
    }
    proptest::collection::vec(arb_fault(kinds, window_ms), 0..=max_faults).boxed()
}

/// A random producer, cluster, network and workload configuration on top of `base` (which
/// gives duration, settle time and everything not drawn). Always valid (`RunSpec::validate`).
/// Sized for tests: 3 to 5 brokers, 1 to 3 partitions, 1000 to 10000 records/s.
pub fn arb_config(base: RunSpec) -> BoxedStrategy<RunSpec> {
    let producer = (
        prop_oneof![Just(Acks::All), Just(Acks::One), Just(Acks::Zero)],
        prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
        1u32..=5,
        0u64..=50,
        prop_oneof![Just(16_384u32), 256u32..=65_536],
        prop_oneof![
            Just(SendMode::Async),
            Just(SendMode::Sync),
            Just(SendMode::FireAndForget)
        ],
        prop_oneof![Just(30_000u64), 500u64..=30_000],
        prop::option::of(0u64..=30_000),
        prop_oneof![Just(i32::MAX as u32), 0u32..=3],
        prop_oneof![Just(None), (65_536u64..=1_048_576, 0u64..=2_000).prop_map(Some)],
    );
    let cluster = (
        3u32..=5,
        1u32..=3,
        1u32..=5,
        1u32..=3,
        prop::bool::weighted(0.2),
        prop_oneof![Just(30_000u64), 1_000u64..=20_000],
        prop::bool::weighted(0.8),
    );
    let workload = (
        1_000u32..=10_000,
        prop_oneof![Just(Arrival::Constant), Just(Arrival::Poisson)],
        prop_oneof![Just(0u32), 1u32..=100],
        prop_oneof![Just(100u32), 10u32..=1_000],
        1u32..=4,
        prop_oneof![Just(0.5f64), Just(2.0), Just(10.0)],
    );
    (producer, cluster, workload)
        .prop_map(move |(p, c, w)| {
            let mut s = base.clone();
            let (acks, idem, in_flight, linger, batch, mode, request_timeout, delivery_extra, retries, memory) = p;
            let pc = &mut s.producer;
            pc.acks = acks;
            pc.retries = retries;
            // enable_idempotence = true needs acks = all and retries > 0 (a ConfigException).
            pc.enable_idempotence = match idem {
                Some(true) if acks != Acks::All || retries == 0 => None,
                other => other,
            };
            pc.max_in_flight_requests_per_connection = in_flight;
            pc.linger_ms = linger;
            pc.batch_size = batch;
            pc.send_mode = mode;
            pc.request_timeout_ms = request_timeout;
            pc.delivery_timeout_ms = delivery_extra.map(|x| linger + request_timeout + x);
            if let Some((buffer, block)) = memory {
                pc.buffer_memory = buffer;
                pc.max_block_ms = block;
                pc.batch_size = pc.batch_size.min(buffer as u32);
            }
            let (brokers, partitions, rf, min_isr, unclean, lag, hw_rule) = c;
            let cc = &mut s.cluster;
            cc.brokers = brokers;
            cc.partitions = partitions;
            cc.replication_factor = rf.min(brokers);
            cc.min_insync_replicas = min_isr.min(cc.replication_factor);
            cc.unclean_leader_election_enable = unclean;
            cc.replica_lag_time_max_ms = lag;
            cc.hw_requires_min_isr = hw_rule;
            let (rate, arrival, keys, record_bytes, threads, latency) = w;
            s.workload.rate = rate as f64;
            s.workload.arrival = arrival;
            s.workload.keys = keys;
            s.workload.record_bytes = record_bytes;
            s.workload.threads = threads;
            s.network.latency_ms = latency;
            s
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Search space
// ---------------------------------------------------------------------------------------------

/// One swept key and its values (a scenario's `[sweep]` axis).
#[derive(Clone, Debug)]
pub struct Axis {
    pub key: String,
    pub values: Vec<Value>,
}

/// What a search draws its cases from.
#[derive(Clone, Debug)]
pub struct Space {
    /// Name of the scenario (names the counterexample file and its scenario).
    pub name: String,
    /// Configuration of every case (with `random_config`, the part not drawn).
    pub base: RunSpec,
    /// Swept keys: each case takes one value of each axis (shrinking towards the first).
    pub sweep: Vec<Axis>,
    /// Draw producer, cluster, network and workload settings ([`arb_config`]) and make them
    /// meet the property's precondition ([`Property::conform`]).
    pub random_config: bool,
    /// Faults of the scenario's own schedule: each case keeps a subset of them.
    pub scripted: Vec<Fault>,
    /// Fault kinds drawn; `None`: the property's fault model.
    pub fault_kinds: Option<Vec<&'static str>>,
    /// Most faults drawn per case (scripted ones aside).
    pub max_faults: usize,
    /// Apply the property's down budget ([`Property::down_budget`]) when it has one.
    pub enforce_down_budget: bool,
}

impl Space {
    /// Searches over fault schedules of one fixed configuration.
    pub fn from_spec(name: &str, spec: &RunSpec) -> Space {
        Space {
            name: name.to_string(),
            base: spec.clone(),
            sweep: Vec::new(),
            random_config: false,
            scripted: spec.faults.clone(),
            fault_kinds: None,
            max_faults: 4,
            enforce_down_budget: true,
        }
    }

    /// Searches over fault schedules (and sweep points) of a scenario.
    pub fn from_scenario(sc: &Scenario) -> Space {
        Space {
            name: sc.name.clone(),
            base: sc.base.clone(),
            sweep: sc
                .sweep
                .iter()
                .map(|a| Axis {
                    key: a.key.clone(),
                    values: a.values.clone(),
                })
                .collect(),
            random_config: false,
            scripted: sc.base.faults.clone(),
            fault_kinds: None,
            max_faults: 4,
            enforce_down_budget: true,
        }
    }

    /// Searches over random configurations meeting the property's precondition, with `base`
    /// giving the run length (sized for tests: `duration_ms` of 5 to 20 s).
    pub fn random(name: &str, base: &RunSpec) -> Space {
        Space {
            name: name.to_string(),
            base: base.clone(),
            sweep: Vec::new(),
            random_config: true,
            scripted: Vec::new(),
            fault_kinds: None,
            max_faults: 4,
            enforce_down_budget: true,
        }
    }

    /// The longest production window any case has (sweeps may change `duration_ms`).
    fn window_ms(&self) -> u64 {
        let mut w = self.base.duration_ms;
        for a in self.sweep.iter().filter(|a| a.key == "duration_ms") {
            for v in &a.values {
                if let Value::Integer(i) = v {
                    w = w.max(*i as u64);
                }
            }
        }
        w
    }

    /// The fault kinds a search of `property` draws.
    pub fn kinds(&self, property: &Property) -> Vec<&'static str> {
        match &self.fault_kinds {
            Some(k) => k.clone(),
            None => property.fault_kinds.to_vec(),
        }
    }

    /// The strategy of cases: full run specs, fault schedule first (shrunk first).
    pub fn strategy(&self, property: &'static Property) -> BoxedStrategy<RunSpec> {
        let faults = arb_faults(&self.kinds(property), self.window_ms(), self.max_faults);
        let scripted = subsequence(self.scripted.clone(), 0..=self.scripted.len());
        let sweep: Vec<std::ops::Range<usize>> = self.sweep.iter().map(|a| 0..a.values.len()).collect();
        let config = if self.random_config {
            arb_config(self.base.clone())
        } else {
            Just(self.base.clone()).boxed()
        };
        // The seed changes everything at once: shrinking it simplifies nothing.
        let seed = (1u64..1_000_000_000).no_shrink();
        let space = self.clone();
        (faults, scripted, sweep, config, seed)
            .prop_map(move |(drawn, kept, picks, mut spec, seed)| {
                for (axis, &i) in space.sweep.iter().zip(&picks) {
                    set_key(&mut spec, &axis.key, &axis.values[i]).expect("sweep values were validated");
                }
                if space.random_config {
                    (property.conform)(&mut spec);
                }
                spec.faults = kept;
                spec.faults.extend(drawn);
                spec.random_faults = RandomFaults::default();
                let budget = (space.enforce_down_budget && property.down_budget).then(|| down_budget(&spec));
                normalize_faults(&mut spec, budget);
                spec.seed = seed;
                spec
            })
            .boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// A violation, shrunk.
#[derive(Clone, Debug)]
pub struct Counterexample {
    pub property: &'static str,
    /// The first failing case the search drew.
    pub spec: RunSpec,
    /// The minimal failing case after shrinking.
    pub minimal: RunSpec,
    /// The minimal case's result (`None` when the simulator panicked on it).
    pub result: Option<RunResult>,
    /// What the minimal case broke, in words.
    pub violation: String,
    /// When the minimal case is outside the property's precondition: why (Kafka does not
    /// promise the property there; the counterexample shows what happens instead).
    pub outside_precondition: Option<String>,
    /// New cases run before the first failure (all shards up to the failing one).
    pub cases_before: u64,
    /// Shrinking steps that made the case smaller.
    pub shrink_steps: u64,
}

/// What a search found.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The property held for this many cases.
    Held(u64),
    Counterexample(Box<Counterexample>),
}

impl Outcome {
    pub fn counterexample(&self) -> Option<&Counterexample> {
        match self {
            Outcome::Held(_) => None,
            Outcome::Counterexample(c) => Some(c),
        }
    }
}

/// Progress of a running search (read it from another thread to draw a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// New cases run (all shards).
    pub cases: AtomicU64,
    /// Simulations run while shrinking.
    pub shrink_runs: AtomicU64,
    /// Whether some shard found a violation.
    pub found: AtomicBool,
}

/// How to search.
pub struct SearchOptions<'a> {
    /// New cases to run (persisted regressions aside).
    pub cases: u32,
    /// Seeds the RNG of every shard: the same seed gives the same search.
    pub seed: u64,
    /// Parallel shards (0 = one per core). The outcome does not depend on it.
    pub jobs: usize,
    /// Most shrinking steps per counterexample.
    pub max_shrink_iters: u32,
    /// proptest regression file (absolute path): failing seeds are appended to it and replayed
    /// first by later searches.
    pub regressions: Option<&'static str>,
    pub progress: Option<&'a Progress>,
}

impl Default for SearchOptions<'_> {
    fn default() -> Self {
        SearchOptions {
            cases: 256,
            seed: 1,
            jobs: 0,
            max_shrink_iters: MAX_SHRINK_ITERS,
            regressions: None,
            progress: None,
        }
    }
}

/// The ChaCha seed of shard `shard` of search `seed` (splitmix64 of both: no OS entropy).
fn shard_rng(seed: u64, shard: u32) -> TestRng {
    let mut bytes = [0u8; 32];
    let mut x = seed ^ (shard as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for chunk in bytes.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// What one shard found.
struct ShardResult {
    failure: Option<(RunSpec, RunSpec, String)>,
    cases: u64,
    shrink_steps: u64,
}

/// Searches `space` for a violation of `property` in `cases` cases from search seed `seed`.
pub fn search(space: &Space, property: &'static Property, cases: u32, seed: u64) -> Outcome {
    search_with(
        space,
        property,
        &SearchOptions {
            cases,
            seed,
            ..SearchOptions::default()
        },
    )
}

/// [`search`] with every option.
pub fn search_with(space: &Space, property: &'static Property, opts: &SearchOptions) -> Outcome {
    let shards = opts.cases.div_ceil(SHARD_CASES).max(1);
    // Lowest shard that failed so far: higher shards stop early, lower ones run on.
    let lowest_failed = AtomicUsize::new(usize::MAX);
    let run_shard = |shard: u32| -> ShardResult {
        let shard_cases = (opts.cases - shard * SHARD_CASES).min(SHARD_CASES);
        let config = Config {
            cases: shard_cases,
            max_shrink_iters: opts.max_shrink_iters,
            max_shrink_time: 0,
            // Cases are only rejected once a lower shard failed: stop soon after.
            max_global_rejects: 16,
            failure_persistence: opts
                .regressions
                .map(|p| Box::new(FileFailurePersistence::Direct(p)) as Box<_>),
            source_file: opts.regressions,
            // No forking, no timeouts: a case is a pure function of its spec.
            fork: false,
            timeout: 0,
            verbose: 0,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, shard_rng(opts.seed, shard));
        let strategy = space.strategy(property);
        let first: Mutex<Option<RunSpec>> = Mutex::new(None);
        let cases_run = AtomicU64::new(0);
        let shrink_steps = AtomicU64::new(0);
        let result = runner.run(&strategy, |spec| {
            let failed_before = first.lock().expect("lock").is_some();
            if !failed_before && lowest_failed.load(Ordering::Relaxed) < shard as usize {
                return Err(TestCaseError::reject("a lower shard already failed"));
            }
            if failed_before {
                if let Some(p) = opts.progress {
                    p.shrink_runs.fetch_add(1, Ordering::Relaxed);
                }
            } else {
                cases_run.fetch_add(1, Ordering::Relaxed);
                if let Some(p) = opts.progress {
                    p.cases.fetch_add(1, Ordering::Relaxed);
                }
            }
            match property.check_run(&spec) {
                Ok(_) => Ok(()),
                Err(violation) => {
                    let mut f = first.lock().expect("lock");
                    if f.is_none() {
                        *f = Some(spec);
                        lowest_failed.fetch_min(shard as usize, Ordering::Relaxed);
                        if let Some(p) = opts.progress {
                            p.found.store(true, Ordering::Relaxed);
                        }
                    } else {
                        shrink_steps.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TestCaseError::fail(violation))
                }
            }
        });
        let failure = match result {
            Err(TestError::Fail(reason, minimal)) => {
                let original = first.lock().expect("lock").clone().unwrap_or_else(|| minimal.clone());
                Some((original, minimal, reason.message().to_string()))
            }
            // Aborted (stopped because a lower shard failed) or held.
            _ => None,
        };
        ShardResult {
            failure,
            cases: cases_run.load(Ordering::Relaxed),
            shrink_steps: shrink_steps.load(Ordering::Relaxed),
        }
    };
    let results: Vec<ShardResult> = if opts.jobs == 1 {
        (0..shards).map(run_shard).collect()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.jobs)
            .build()
            .expect("thread pool");
        pool.install(|| (0..shards).into_par_iter().map(run_shard).collect())
    };
    let mut cases_before = 0;
    for r in results {
        match r.failure {
            None => cases_before += r.cases,
            Some((spec, minimal, violation)) => {
                let result = catch_unwind(AssertUnwindSafe(|| crate::run(&minimal))).ok();
                let outside_precondition = property.precondition(&minimal).err();
                return Outcome::Counterexample(Box::new(Counterexample {
                    property: property.name,
                    spec,
                    minimal,
                    result,
                    violation,
                    outside_precondition,
                    cases_before: cases_before + r.cases,
                    shrink_steps: r.shrink_steps,
                }));
            }
        }
    }
    Outcome::Held(cases_before)
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// The scenario name of a counterexample file: `<scenario>-<property>`.
pub fn counterexample_name(scenario: &str, property: &str) -> String {
    format!("{scenario}-{property}")
}

/// Where `prodsim search` writes a counterexample: `<out>/<scenario>/counterexample-<property>.toml`.
pub fn counterexample_path(out: &std::path::Path, scenario: &str, property: &str) -> std::path::PathBuf {
    out.join(scenario).join(format!("counterexample-{property}.toml"))
}

/// The commands that replay a counterexample written to `path`.
pub fn replay_commands(path: &str, cx: &Counterexample) -> Vec<String> {
    vec![
        format!("prodsim run {path}"),
        format!("prodsim explain {path} --seed {}", cx.minimal.seed),
    ]
}

/// A counterexample as a ready-to-run scenario file: comments saying what it breaks and how
/// to replay it, the minimal spec ([`Scenario::to_toml`]) and an `[[expect]]` gate stating the
/// property, so that `prodsim run` on it fails (exit code 3) while the violation reproduces.
pub fn render_counterexample(scenario: &str, path: &str, cx: &Counterexample) -> String {
    let property = property(cx.property).expect("known property");
    let mut out = String::new();
    out.push_str(&format!(
        "# Counterexample to `{}`, found by `prodsim search`.\n",
        cx.property
    ));
    out.push_str(&format!("# Claim: {}\n", squash(property.claim)));
    out.push_str(&format!("# Violation: {}\n", cx.violation));
    if let Some(why) = &cx.outside_precondition {
        out.push_str(&format!(
            "# Outside the property's precondition: {why}.\n\
             # Kafka does not promise the property here; this run shows what happens instead.\n"
        ));
    }
    out.push_str(&format!(
        "# Shrunk from a case with {} fault(s) to {} fault(s) in {} step(s).\n",
        cx.spec.faults.len(),
        cx.minimal.faults.len(),
        cx.shrink_steps
    ));
    out.push_str("# Replay:\n");
    for c in replay_commands(path, cx) {
        out.push_str(&format!("#   {c}\n"));
    }
    out.push('\n');
    out.push_str(&Scenario::to_toml(
        &counterexample_name(scenario, cx.property),
        &cx.minimal,
    ));
    if let Some(body) = (property.gate)(&cx.minimal) {
        out.push_str(&format!(
            "\n[[expect]]\nname = {}\n{body}",
            render_value(&Value::String(format!("{}: {}", cx.property, squash(property.claim))))
        ));
    }
    out
}

/// Collapses the runs of spaces a multi-line string literal leaves.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A short description of a result's anomaly measures (for reports).
pub fn measures_line(r: &RunResult) -> String {
    let d = &r.delivery;
    format!(
        "sent {}, acked {}, lost_acked {}, duplicates {}, reordered {}, pending {}, phantom {}, \
         committed_lost {}, leader_completeness_violations {}, log_divergence {}, resolve_max_ms {:.1}",
        r.records_sent,
        r.records_acked,
        d.lost_acked,
        d.duplicates,
        d.reordered,
        d.pending,
        d.phantom,
        r.committed_lost,
        r.leader_completeness_violations,
        r.log_divergence,
        r.resolve_max_ms
    )
}
