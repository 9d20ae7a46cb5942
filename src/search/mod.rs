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
//!   model: [`Property::fault_kinds`], `Property::down_budget`, `Property::power_loss_budget`).
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
//! Cases are split into shards of `SHARD_CASES`; each shard is its own `TestRunner` with a seed
//! derived from (search seed, shard index), and the counterexample reported is the one of the
//! lowest failing shard. Shards run in parallel, yet the outcome does not depend on the number
//! of jobs.

use crate::config::versions::history_keys;
use crate::config::{Acks, Arrival, Fault, FaultKind, FaultType, Node, RandomFaults, RunSpec, SendMode};
use crate::result::RunResult;
use crate::scenario::{apply_release_defaults, render_value, set_key, Scenario, Value};
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
pub(crate) const SHARD_CASES: u32 = 64;

/// Most shrinking steps (one simulation each) spent on one counterexample.
pub(crate) const MAX_SHRINK_ITERS: u32 = 4096;

/// Every fault kind (`FaultType::ALL`), simplest first: shrinking a fault's kind moves it
/// towards the front.
pub const ALL_FAULT_KINDS: &[FaultType] = &[
    FaultType::Crash,
    FaultType::CrashLeader,
    FaultType::Partition,
    FaultType::IsolateLeader,
    FaultType::SlowLink,
    FaultType::LoseResponses,
    FaultType::PowerLoss,
    FaultType::ProducerCrash,
];

// `ALL_FAULT_KINDS` orders `FaultType::ALL` (a kind added there and forgotten here, or listed
// twice, stops the build).
const _: () = assert!(
    is_permutation(ALL_FAULT_KINDS, FaultType::ALL),
    "ALL_FAULT_KINDS must list every FaultType once"
);

/// Whether `a` holds each kind of `b` exactly once, and nothing else.
const fn is_permutation(a: &[FaultType], b: &[FaultType]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let mut n = 0;
        let mut j = 0;
        while j < a.len() {
            if a[j] as u8 == b[i] as u8 {
                n += 1;
            }
            j += 1;
        }
        if n != 1 {
            return false;
        }
        i += 1;
    }
    true
}

/// Crashes and partitions: the fault model of `no_acked_write_lost`.
const CRASHES_AND_PARTITIONS: &[FaultType] = &[
    FaultType::Crash,
    FaultType::CrashLeader,
    FaultType::Partition,
    FaultType::IsolateLeader,
];

/// Every kind but `producer-crash`: the fault model of the properties that predate it (their
/// searches draw exactly what they drew before it existed).
const BROKER_AND_NETWORK_FAULTS: &[FaultType] = ALL_FAULT_KINDS.split_at(ALL_FAULT_KINDS.len() - 1).0;
// ... which holds while producer-crash is the last kind.
const _: () = assert!(matches!(
    ALL_FAULT_KINDS[ALL_FAULT_KINDS.len() - 1],
    FaultType::ProducerCrash
));

/// Crashes and partitions, and producer processes crashing: the fault model of
/// `acked_survives_producer_crash`.
const CRASHES_PARTITIONS_AND_PRODUCER_CRASHES: &[FaultType] = &[
    FaultType::Crash,
    FaultType::CrashLeader,
    FaultType::Partition,
    FaultType::IsolateLeader,
    FaultType::ProducerCrash,
];

/// Crashes, partitions and power loss: the fault model of `no_committed_record_lost`.
const CRASHES_PARTITIONS_AND_POWER_LOSS: &[FaultType] = &[
    FaultType::Crash,
    FaultType::CrashLeader,
    FaultType::Partition,
    FaultType::IsolateLeader,
    FaultType::PowerLoss,
];

/// Every kind but power loss (a process crash keeps the page cache; power loss does not).
const NO_POWER_LOSS: &[FaultType] = &[
    FaultType::Crash,
    FaultType::CrashLeader,
    FaultType::Partition,
    FaultType::IsolateLeader,
    FaultType::SlowLink,
    FaultType::LoseResponses,
];

/// Largest broker index a generated fault names before it is folded onto the cluster's brokers.
const RAW_BROKERS: u32 = 8;

mod fault_model;
mod property;
mod render;
mod run;
mod space;
mod strategy;

pub use fault_model::*;
pub use property::*;
pub use render::*;
pub use run::*;
pub use space::*;
pub use strategy::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// Shrinking moves a fault's kind towards the front: the order is part of every search's
    /// outcome.
    #[test]
    fn search_order_is_simplest_first() {
        assert_eq!(
            FaultType::list(ALL_FAULT_KINDS),
            "crash, crash-leader, partition, isolate-leader, slow-link, lose-responses, power-loss, producer-crash"
        );
    }

    /// The build-time check on `ALL_FAULT_KINDS` rejects a missing, a doubled and an extra kind.
    #[test]
    fn permutation_check_rejects_a_missing_a_doubled_and_an_extra_kind() {
        assert!(is_permutation(ALL_FAULT_KINDS, FaultType::ALL));
        assert!(!is_permutation(&ALL_FAULT_KINDS[1..], FaultType::ALL));
        let mut doubled = ALL_FAULT_KINDS.to_vec();
        doubled[6] = FaultType::Crash;
        assert!(!is_permutation(&doubled, FaultType::ALL));
        let mut extra = ALL_FAULT_KINDS.to_vec();
        extra.push(FaultType::Crash);
        assert!(!is_permutation(&extra, FaultType::ALL));
    }

    /// Power loss loses unflushed page cache: the properties that need durable replicas leave it
    /// out of their fault model, and every fault model is a subset of the search order.
    #[test]
    fn fault_models_are_ordered_subsets() {
        for p in PROPERTIES {
            let positions: Vec<usize> = p
                .fault_kinds
                .iter()
                .map(|k| ALL_FAULT_KINDS.iter().position(|a| a == k).expect("a known kind"))
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", p.name);
        }
        for name in ["no_acked_write_lost", "leader_completeness", "hw_monotonic"] {
            let p = property(name).unwrap();
            assert!(!p.fault_kinds.contains(&FaultType::PowerLoss), "{name}");
        }
        assert_eq!(
            property("deterministic").unwrap().fault_kinds,
            BROKER_AND_NETWORK_FAULTS
        );
        assert_eq!(
            BROKER_AND_NETWORK_FAULTS,
            &ALL_FAULT_KINDS[..ALL_FAULT_KINDS.len() - 1],
            "the kinds that predate producer-crash, in search order"
        );
    }
}
