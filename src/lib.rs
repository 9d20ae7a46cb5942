#![warn(unreachable_pub, missing_docs)]

//! prodsim: a deterministic discrete-event simulator of Apache Kafka producer semantics.
//!
//! Layers (dependencies point down only): `cli` (binary) -> `report` -> `scenario` -> `check`
//! -> `model` -> `sim`. The one entry point of the model is [`run`].

mod check;
pub mod config;
pub mod expect;
pub mod model;
pub mod outdir;
pub mod report;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod search;
pub mod shard;
mod sim;
pub mod term;

pub use config::RunSpec;
pub use result::RunResult;

/// Simulate one run and classify every record. Deterministic in `spec` (seed included).
pub fn run(spec: &RunSpec) -> RunResult {
    explain(spec, None).0
}

/// [`run`], publishing the simulated time (ns) to `progress` as the run goes.
pub(crate) fn run_with_progress(
    spec: &RunSpec,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> RunResult {
    let out = model::simulate_with_progress(spec, None, progress);
    let mut result = out.result;
    result.delivery = check::classify_run(&out.outcomes, &out.sent, out.rejected, &out.logs, &mut result.timeline);
    result
}

/// Simulate one run tracing the life of record `(partition, sequence)`; returns the result and
/// the trace lines.
pub fn explain(spec: &RunSpec, record: Option<(u32, u64)>) -> (RunResult, Vec<String>) {
    let out = model::simulate(spec, record);
    let mut result = out.result;
    result.delivery = check::classify_run(&out.outcomes, &out.sent, out.rejected, &out.logs, &mut result.timeline);
    (result, out.trace)
}

/// Find the first record the checker flags (lost acknowledged, then duplicated, reordered,
/// failed-present, lost failed) in a run: `(partition, sequence, what)`.
///
/// `Err` when the run could not finish (a simulator bound, or a failed model invariant).
pub fn first_anomaly(spec: &RunSpec) -> Result<Option<(u32, u64, &'static str)>, String> {
    first_anomaly_with_progress(spec, None)
}

/// [`first_anomaly`], publishing the simulated time (ns) to `progress` as the run goes.
pub fn first_anomaly_with_progress(
    spec: &RunSpec,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> Result<Option<(u32, u64, &'static str)>, String> {
    let out = model::simulate_with_progress(spec, None, progress);
    if let Some(why) = out.result.aborted {
        return Err(why);
    }
    Ok(check::first_anomaly(&out.outcomes, &out.sent, &out.logs))
}

/// Simulate one run tracing record `(partition, sequence)`: its fate in words, the trace
/// lines, and the run's result.
pub fn explain_record(spec: &RunSpec, partition: u32, rec: u64) -> (String, Vec<String>, RunResult) {
    explain_record_with_progress(spec, partition, rec, None)
}

/// [`explain_record`], publishing the simulated time (ns) to `progress` as the run goes.
pub fn explain_record_with_progress(
    spec: &RunSpec,
    partition: u32,
    rec: u64,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> (String, Vec<String>, RunResult) {
    let out = model::simulate_with_progress(spec, Some((partition, rec)), progress);
    let fate = check::record_fate(&out.outcomes, &out.sent, &out.logs, partition, rec);
    let mut result = out.result;
    result.delivery = check::classify_run(&out.outcomes, &out.sent, out.rejected, &out.logs, &mut result.timeline);
    (fate, out.trace, result)
}
