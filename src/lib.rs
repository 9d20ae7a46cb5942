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
pub use model::TracedRecord;
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

/// Simulate one run tracing the life of the first producer's record `(partition, sequence)`;
/// returns the result and the trace lines.
pub fn explain(spec: &RunSpec, record: Option<(u32, u64)>) -> (RunResult, Vec<String>) {
    let record = record.map(|(partition, seq)| TracedRecord {
        producer: 0,
        partition,
        seq,
    });
    let mut out = model::simulate(spec, record);
    let trace = std::mem::take(&mut out.trace);
    (classify(out), trace)
}

/// A record the checker flags, as `explain` finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anomaly {
    /// The record, in its producer's own numbering.
    pub record: TracedRecord,
    /// Its class (`lost_acked`, `duplicates`, `reordered`, `failed_present`, `lost_failed`,
    /// `lost_unsent`).
    pub what: &'static str,
}

/// Find the first record the checker flags in a run, over every producer: the gravest class
/// first (lost acknowledged, then duplicated, reordered, failed-present, lost failed, lost
/// unsent), among producers of that class the first in order; `only` keeps to one producer.
///
/// `Err` when the run could not finish (a simulator bound, or a failed model invariant).
pub fn first_anomaly(spec: &RunSpec) -> Result<Option<Anomaly>, String> {
    first_anomaly_with_progress(spec, None, None)
}

/// [`first_anomaly`] of producer `only` (all producers: `None`), publishing the simulated time
/// (ns) to `progress` as the run goes.
pub fn first_anomaly_with_progress(
    spec: &RunSpec,
    only: Option<usize>,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> Result<Option<Anomaly>, String> {
    let out = model::simulate_with_progress(spec, None, progress);
    if let Some(why) = out.result.aborted {
        return Err(why);
    }
    let rank = |what: &str| check::ANOMALY_CLASSES.iter().position(|c| *c == what);
    Ok(out
        .producers
        .iter()
        .enumerate()
        .filter(|(c, _)| only.is_none_or(|o| o == *c))
        .filter_map(|(producer, p)| {
            check::first_anomaly(&p.outcomes, &p.sent, &p.logs).map(|(partition, seq, what)| Anomaly {
                record: TracedRecord {
                    producer,
                    partition,
                    seq,
                },
                what,
            })
        })
        .min_by_key(|a| rank(a.what)))
}

/// Simulate one run tracing the first producer's record `(partition, sequence)`: its fate in
/// words, the trace lines, and the run's result.
pub fn explain_record(spec: &RunSpec, partition: u32, rec: u64) -> (String, Vec<String>, RunResult) {
    let record = TracedRecord {
        producer: 0,
        partition,
        seq: rec,
    };
    explain_record_with_progress(spec, record, None)
}

/// Simulate one run tracing `record` (in its producer's own numbering): its fate in words (from
/// that producer's outcomes and its records in the final logs), the trace lines, and the run's
/// result; publishes the simulated time (ns) to `progress` as the run goes.
///
/// Panics if the run has no such producer or its topic no such partition.
pub fn explain_record_with_progress(
    spec: &RunSpec,
    record: TracedRecord,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> (String, Vec<String>, RunResult) {
    let producers = spec.producer_list();
    let topic = producers
        .get(record.producer)
        .map(|p| spec.topic_list()[p.topic].partitions);
    assert!(
        topic.is_some_and(|n| record.partition < n),
        "explain: no record {:?} in this run",
        record
    );
    let mut out = model::simulate_with_progress(spec, Some(record), progress);
    let fate = match out.producers.get(record.producer) {
        Some(p) => check::record_fate(&p.outcomes, &p.sent, &p.logs, record.partition, record.seq),
        None => "the run was stopped before its end".to_string(),
    };
    let trace = std::mem::take(&mut out.trace);
    (fate, trace, classify(out))
}
