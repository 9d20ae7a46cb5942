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
