//! What one run measured: the model's output, consumed by the report layer and the tests.

/// Outcome classification of every record the application handed to `send()` (design.md,
/// "Record outcomes").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Acknowledged (future / callback succeeded), absent from the final committed log.
    pub lost_acked: u64,
    /// Failed (error reached the application), absent.
    pub lost_failed: u64,
    /// Failed, yet present: an application-level retry would duplicate it.
    pub failed_present: u64,
    /// Copies beyond the first in the final committed logs.
    pub duplicates: u64,
    /// Records that appear after a record the producer sent later to the same partition.
    pub reordered: u64,
    /// Present but never sent. Always 0, or the simulator is wrong.
    pub phantom: u64,
    /// No outcome reached the application by the end of the run (its producer still running).
    pub pending: u64,
    /// Handed to `send()`, never told, absent: its producer process crashed with it in its
    /// buffer, blocked in `send()`, or in a request that did not land (`producer-crash`).
    pub lost_unsent: u64,
}

/// One bucket of the run's timeline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelinePoint {
    /// Bucket start, milliseconds of simulated time.
    pub t_ms: u64,
    /// Bucket width, milliseconds (`timeline_bucket_ms`, doubled as long runs merge buckets).
    pub width_ms: u64,
    /// Records acknowledged in this bucket.
    pub acked: u64,
    /// Records acknowledged in this bucket, per second.
    pub acked_rps: f64,
    /// 99th percentile latency of records completed in this bucket (0 when none).
    pub latency_p99_ms: f64,
    /// Mean and maximum latency of the records acknowledged in this bucket (0 when none).
    pub latency_mean_ms: f64,
    /// See `latency_mean_ms`.
    pub latency_max_ms: f64,
    /// Acknowledged records sent in this bucket (by the send time of their batch's first
    /// record) that the checker found absent from the final committed log: `lost_acked` by
    /// send time (filled by the checker).
    pub lost_acked: u64,
}

/// A fault interval as it happened (for shading charts).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultInterval {
    /// The fault kind (`crash-leader`).
    pub kind: &'static str,
    /// What it hit (`b1`, `b0 | b1 b2`).
    pub target: String,
    /// Start, milliseconds of simulated time.
    pub start_ms: u64,
    /// End (healed), milliseconds of simulated time.
    pub end_ms: u64,
}

/// One producer's measures in a run (a row of producers.csv).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProducerResult {
    /// The producer's name (`default` without `[[producers]]`).
    pub name: String,
    /// Its measures.
    pub result: RunResult,
}

/// Everything one run produces. No wall-clock figure is in here.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunResult {
    /// `send()` calls.
    pub records_sent: u64,
    /// Records whose outcome was success.
    pub records_acked: u64,
    /// Records whose outcome was an error.
    pub records_failed: u64,
    /// The fate of every record (filled by the checker).
    pub delivery: DeliveryReport,
    /// Acknowledged records per second over the production window.
    pub throughput_rps: f64,
    /// Their payload (key + value), Mbit/s.
    pub throughput_mbps: f64,
    /// Their payload (key + value) in kafka-producer-perf-test's unit, "MB/sec": MiB/s
    /// (bytes / 1024 / 1024 per second, as `ProducerPerformance.Stats.printTotal` computes it).
    pub throughput_mb_s: f64,
    /// Median `send()`-to-acknowledgement latency, milliseconds.
    pub latency_p50_ms: f64,
    /// 95th percentile latency, milliseconds.
    pub latency_p95_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub latency_p99_ms: f64,
    /// 99.9th percentile latency, milliseconds.
    pub latency_p999_ms: f64,
    /// Largest latency, milliseconds.
    pub latency_max_ms: f64,
    /// Mean latency, milliseconds.
    pub latency_mean_ms: f64,
    /// Batches created.
    pub batches: u64,
    /// Mean records per batch.
    pub mean_batch_records: f64,
    /// Mean batch size, bytes (`batch-size-avg`).
    pub mean_batch_bytes: f64,
    /// Produce requests sent.
    pub requests: u64,
    /// Batches re-enqueued after a retriable error.
    pub retries: u64,
    /// Records rejected in `send()` (buffer exhausted after `max.block.ms`, too large).
    pub send_errors: u64,
    /// Leader elections performed by the controller.
    pub elections: u64,
    /// Committed records (below the highest high watermark any leader reached) missing from
    /// the final log: `NoCommittedRecordLostGlobally`; 0 under clean elections without
    /// power loss.
    pub committed_lost: u64,
    /// Leaders elected without every committed record (`LeaderCompletenessProperty`).
    pub leader_completeness_violations: u64,
    /// Replica pairs that disagree below both high watermarks at the end (`LogMatchingProperty`).
    pub log_divergence: u64,
    /// Longest time from `send()` to the application learning the outcome (acked or failed),
    /// milliseconds: bounded by `max.block.ms + delivery.timeout.ms` plus one sender pass.
    pub resolve_max_ms: f64,
    /// Simulated time at which the run ended, milliseconds.
    pub end_ms: u64,
    /// Events processed (a cost measure, deterministic).
    pub events: u64,
    /// `send()` calls per second of the production window: what the application offered
    /// (with `workload.rate = "max"`, what its threads managed to offer).
    pub offered_rps: f64,
    /// Total time `send()` calls waited for `buffer.memory`, milliseconds, summed over the
    /// application threads (`bufferpool-wait-time-ns-total`).
    pub send_blocked_ms: f64,
    /// `send_blocked_ms` / (threads x `duration_ms`): the share of the application threads'
    /// time spent blocked on `buffer.memory`.
    pub buffer_wait_ratio: f64,
    /// 1 when the producer could not keep up with the application (see
    /// [`RunResult::is_saturated`]) or the threads could not offer a numeric `workload.rate`
    /// (fewer than 90 % of it: the `send()` cost caps it), else 0.
    pub saturated: u64,
    /// Median time from `send()` until a leader's high watermark first covered the record (a
    /// `read_uncommitted` consumer could fetch it), over the acknowledged records that became
    /// visible, milliseconds. See `crate::model::visibility`.
    pub visible_p50_ms: f64,
    /// 99th percentile of the same, milliseconds.
    pub visible_p99_ms: f64,
    /// Largest of the same, milliseconds.
    pub visible_max_ms: f64,
    /// Median time from `send()` until a consumer's `poll()` returned the record
    /// (`[[consumers]]`; each group's first poll of each acknowledged record), milliseconds;
    /// 0 without consumers. See `crate::model::consumer`.
    pub e2e_p50_ms: f64,
    /// 99th percentile of the same, milliseconds.
    pub e2e_p99_ms: f64,
    /// Largest of the same, milliseconds.
    pub e2e_max_ms: f64,
    /// Records the consumers' `poll()` returned, over every group (a record read by two groups
    /// counts twice; one read again after a truncation too).
    pub records_consumed: u64,
    /// Records a consumer's `poll()` returned that the final log does not hold (read, then
    /// lost by the cluster: an unclean election, a power loss); 0 when consumers read only
    /// below the high watermark and elections are clean.
    pub consumed_lost: u64,
    /// `records_consumed` per second of the production window (or until the last poll, when
    /// the consumers were still catching up after it).
    pub consumer_throughput_rps: f64,
    /// Digest of the event stream: equal digests mean identical runs.
    pub digest: u64,
    /// Throughput and latency over simulated time.
    pub timeline: Vec<TimelinePoint>,
    /// The faults as they happened.
    pub faults: Vec<FaultInterval>,
    /// Per producer, in order: its own measures (cluster-wide ones repeat the run's; no
    /// timeline), for producers.csv. Filled by [`crate::run`].
    pub producers: Vec<ProducerResult>,
    /// Set when the run was stopped early (a resource bound, or simulated time standing still):
    /// the measures are incomplete and must not be reported as a result.
    pub aborted: Option<String>,
}

/// `buffer_wait_ratio` from which a run counts as saturated.
pub const SATURATED_WAIT_RATIO: f64 = 0.05;
/// Share of the offered rate below which the acknowledged throughput marks a saturated run.
pub const SATURATED_THROUGHPUT_SHARE: f64 = 0.9;

impl RunResult {
    /// Saturated: `send()` waited on `buffer.memory` for at least 5 % of the threads' time
    /// (the producer drained slower than the application appended), or, in a run without
    /// faults, fewer than 90 % of the offered records per second were acknowledged (a
    /// backlog). With faults, a shortfall is the faults' doing (an outage, failed records),
    /// not the producer's capacity: only the wait on `buffer.memory` counts.
    pub fn is_saturated(&self, faulted: bool) -> u64 {
        let waited = self.buffer_wait_ratio >= SATURATED_WAIT_RATIO;
        let behind = self.throughput_rps < SATURATED_THROUGHPUT_SHARE * self.offered_rps;
        u64::from(waited || (behind && !faulted))
    }

    /// The measures as `(column, value)` in results.csv order. Integers print without decimals.
    pub fn measures(&self) -> Vec<(&'static str, Measure)> {
        use Measure::{F, I};
        let d = &self.delivery;
        vec![
            ("records_sent", I(self.records_sent)),
            ("records_acked", I(self.records_acked)),
            ("records_failed", I(self.records_failed)),
            ("lost_acked", I(d.lost_acked)),
            ("lost_failed", I(d.lost_failed)),
            ("failed_present", I(d.failed_present)),
            ("duplicates", I(d.duplicates)),
            ("reordered", I(d.reordered)),
            ("phantom", I(d.phantom)),
            ("pending", I(d.pending)),
            ("throughput_rps", F(self.throughput_rps)),
            ("throughput_mbps", F(self.throughput_mbps)),
            ("latency_p50_ms", F(self.latency_p50_ms)),
            ("latency_p99_ms", F(self.latency_p99_ms)),
            ("latency_p999_ms", F(self.latency_p999_ms)),
            ("latency_max_ms", F(self.latency_max_ms)),
            ("latency_mean_ms", F(self.latency_mean_ms)),
            ("batches", I(self.batches)),
            ("mean_batch_records", F(self.mean_batch_records)),
            ("mean_batch_bytes", F(self.mean_batch_bytes)),
            ("requests", I(self.requests)),
            ("retries", I(self.retries)),
            ("send_errors", I(self.send_errors)),
            ("elections", I(self.elections)),
            ("committed_lost", I(self.committed_lost)),
            ("leader_completeness_violations", I(self.leader_completeness_violations)),
            ("log_divergence", I(self.log_divergence)),
            ("resolve_max_ms", F(self.resolve_max_ms)),
            ("end_ms", I(self.end_ms)),
            ("events", I(self.events)),
            // Added after the original columns, so that existing column positions stay put.
            ("throughput_mb_s", F(self.throughput_mb_s)),
            ("latency_p95_ms", F(self.latency_p95_ms)),
            ("offered_rps", F(self.offered_rps)),
            ("send_blocked_ms", F(self.send_blocked_ms)),
            ("buffer_wait_ratio", F(self.buffer_wait_ratio)),
            ("saturated", I(self.saturated)),
            ("visible_p50_ms", F(self.visible_p50_ms)),
            ("visible_p99_ms", F(self.visible_p99_ms)),
            ("visible_max_ms", F(self.visible_max_ms)),
            ("lost_unsent", I(d.lost_unsent)),
            ("e2e_p50_ms", F(self.e2e_p50_ms)),
            ("e2e_p99_ms", F(self.e2e_p99_ms)),
            ("e2e_max_ms", F(self.e2e_max_ms)),
            ("records_consumed", I(self.records_consumed)),
            ("consumer_throughput_rps", F(self.consumer_throughput_rps)),
            ("consumed_lost", I(self.consumed_lost)),
        ]
    }
}

/// A measure's value: integer counts print exactly, rates with fixed precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// An integer count.
    I(u64),
    /// A rate, a mean or a time.
    F(f64),
}

impl Measure {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Measure::I(v) => v as f64,
            Measure::F(v) => v,
        }
    }
    /// The value as results.csv holds it (floats to 3 decimals): summaries are computed from
    /// these, so merging shards read back from CSV gives exactly the same summary.
    pub(crate) fn rounded(self) -> Measure {
        match self {
            Measure::I(v) => Measure::I(v),
            Measure::F(v) => Measure::F((v * 1000.0).round() / 1000.0),
        }
    }

    /// Parse a rendered value back (an integer or a decimal).
    pub(crate) fn parse(s: &str) -> Option<Measure> {
        if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
            s.parse::<f64>().ok().map(Measure::F)
        } else {
            s.parse::<u64>().ok().map(Measure::I)
        }
    }

    /// Deterministic text form (fixed 3 decimals for floats).
    pub(crate) fn render(self) -> String {
        match self {
            Measure::I(v) => v.to_string(),
            Measure::F(v) => format!("{v:.3}"),
        }
    }
}
