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
    classify(model::simulate_with_progress(spec, None, progress))
}

/// The run's measures with every record classified, per producer and in total (the lost
/// acknowledged records of every producer placed on the run's timeline).
fn classify(out: model::RunOutput) -> RunResult {
    let mut result = out.result;
    if out.producers.is_empty() {
        return result; // the run was stopped: nothing to classify
    }
    for p in out.producers {
        let mut r = p.result;
        r.delivery = check::classify_run(&p.outcomes, &p.sent, (p.rejected, p.unsent), &p.logs, &mut r.timeline);
        let d = &r.delivery;
        let t = &mut result.delivery;
        t.lost_acked += d.lost_acked;
        t.lost_failed += d.lost_failed;
        t.failed_present += d.failed_present;
        t.duplicates += d.duplicates;
        t.reordered += d.reordered;
        t.phantom += d.phantom;
        t.pending += d.pending;
        t.lost_unsent += d.lost_unsent;
        for (b, x) in result.timeline.iter_mut().zip(&r.timeline) {
            b.lost_acked += x.lost_acked;
        }
        r.timeline = Vec::new();
        r.committed_lost = result.committed_lost;
        r.leader_completeness_violations = result.leader_completeness_violations;
        r.log_divergence = result.log_divergence;
        r.elections = result.elections;
        r.events = result.events;
        r.digest = result.digest;
        r.end_ms = result.end_ms;
        result.producers.push(result::ProducerResult {
            name: p.name,
            result: r,
        });
    }
    result
}

/// Simulate one run tracing the life of record `(partition, sequence)`; returns the result and
/// the trace lines.
pub fn explain(spec: &RunSpec, record: Option<(u32, u64)>) -> (RunResult, Vec<String>) {
    let mut out = model::simulate(spec, record);
    let trace = std::mem::take(&mut out.trace);
    (classify(out), trace)
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
    Ok(out
        .producers
        .iter()
        .find_map(|p| check::first_anomaly(&p.outcomes, &p.sent, &p.logs)))
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
    let mut out = model::simulate_with_progress(spec, Some((partition, rec)), progress);
    let fate = match out.producers.first() {
        Some(p) => check::record_fate(&p.outcomes, &p.sent, &p.logs, partition, rec),
        None => "the run was stopped before its end".to_string(),
    };
    let trace = std::mem::take(&mut out.trace);
    (fate, trace, classify(out))
}
