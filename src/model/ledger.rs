//! The ledger: ghost state recording what the application was told, never read by the model.
//! Outcomes are kept as coalesced record ranges per partition, latencies in fixed-size
//! histograms, so memory follows batches in flight, not records sent.

use super::latency::LatencyHistogram;
use crate::config::RunSpec;
use crate::result::{RunResult, TimelinePoint};
use crate::sim::{SimTime, NS_PER_MS, NS_PER_S, NS_PER_US};
use std::collections::BTreeMap;

/// The client's final word on a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Acked,
    Failed,
    /// Never told: the producer process died first (`producer-crash`); the record was in its
    /// buffer or in a request in flight. Final: the application will never hear of it.
    Unseen,
}

/// Outcomes of one partition's records: start -> (end, outcome), ranges disjoint, adjacent
/// equal ranges merged.
#[derive(Clone, Debug, Default)]
pub(crate) struct OutcomeRanges {
    pub ranges: BTreeMap<u64, (u64, Outcome)>,
    /// Per timeline bucket of send time: the lowest identity of an acknowledged batch whose
    /// first record was sent in that bucket (`u64::MAX`: none). Identities grow with send time
    /// within a partition, so the checker can place a record by its send time (at batch
    /// granularity) without a time per record.
    pub send_marks: Vec<u64>,
    /// Ranges the application re-sent (`workload.resend_failed_attempts`): start -> end,
    /// disjoint. Their copies are one application record each; their order in the log says
    /// nothing about the producer's (the application sent them again, later).
    pub resent: BTreeMap<u64, u64>,
}

impl OutcomeRanges {
    pub(crate) fn insert(&mut self, start: u64, end: u64, outcome: Outcome) {
        debug_assert!(start < end);
        debug_assert!(
            self.ranges
                .range(..end)
                .next_back()
                .is_none_or(|(_, &(e, _))| e <= start),
            "a record got two outcomes"
        );
        let (mut s, mut e) = (start, end);
        if let Some((&ps, &(pe, po))) = self.ranges.range(..start).next_back() {
            if pe == start && po == outcome {
                self.ranges.remove(&ps);
                s = ps;
            }
        }
        if let Some(&(ne, no)) = self.ranges.get(&end) {
            if no == outcome {
                self.ranges.remove(&end);
                e = ne;
            }
        }
        self.ranges.insert(s, (e, outcome));
    }

    /// The application re-sends the failed records `[start, end)`: they have no outcome again
    /// until the re-send's (the application's final word is the last outcome).
    pub(crate) fn reopen(&mut self, start: u64, end: u64) {
        let (&s, &(e, o)) = self
            .ranges
            .range(..=start)
            .next_back()
            .expect("a re-sent range has an outcome");
        assert!(e >= end && o == Outcome::Failed, "only a failed range is re-sent");
        self.ranges.remove(&s);
        if s < start {
            self.ranges.insert(s, (start, o));
        }
        if end < e {
            self.ranges.insert(end, (e, o));
        }
        if !self.is_resent(start) {
            self.resent.insert(start, end);
        }
    }

    /// Whether record `rec` was re-sent (a re-sent range's sub-range is re-sent again after a
    /// split, never across two ranges).
    pub(crate) fn is_resent(&self, rec: u64) -> bool {
        self.resent.range(..=rec).next_back().is_some_and(|(_, &e)| rec < e)
    }

    /// Records with an outcome.
    #[cfg(test)]
    fn count(&self, outcome: Outcome) -> u64 {
        self.ranges
            .values()
            .filter(|r| r.1 == outcome)
            .map(|r| r.0)
            .sum::<u64>()
            - self
                .ranges
                .iter()
                .filter(|(_, r)| r.1 == outcome)
                .map(|(s, _)| *s)
                .sum::<u64>()
    }
}

/// A small log-scale histogram for timeline buckets (p99 per bucket): 4 sub-buckets per
/// power of two of microseconds (values within 12.5 %).
#[derive(Clone, Debug)]
struct SmallHist {
    counts: Vec<u32>,
}

impl SmallHist {
    /// 4 sub-buckets per power of two up to 2^36 us (19 hours).
    const BUCKETS: usize = 4 * 37;
    fn new() -> SmallHist {
        SmallHist {
            counts: vec![0; Self::BUCKETS],
        }
    }
    fn index(us: u64) -> usize {
        if us < 4 {
            return us as usize;
        }
        let p = 63 - us.leading_zeros() as usize; // >= 2
        let sub = ((us >> (p - 2)) & 3) as usize;
        ((p - 1) * 4 + sub).min(Self::BUCKETS - 1)
    }
    fn value(i: usize) -> u64 {
        if i < 4 {
            return i as u64;
        }
        let p = i / 4 + 1;
        let sub = (i % 4) as u64;
        ((4 + sub) << (p - 2)) + (1 << (p - 2)) / 2
    }
    fn add(&mut self, us: u64, n: u32) {
        self.counts[Self::index(us)] += n;
    }
    fn quantile(&self, q: f64) -> u64 {
        let total: u64 = self.counts.iter().map(|&c| c as u64).sum();
        if total == 0 {
            return 0;
        }
        let target = ((total as f64) * q).ceil() as u64;
        let mut acc = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            acc += c as u64;
            if acc >= target {
                return Self::value(i);
            }
        }
        0
    }
}

/// Most timeline buckets kept (see [`Ledger::bucket`]).
const MAX_BUCKETS: usize = 256;

#[derive(Clone)]
struct Bucket {
    acked: u64,
    hist: SmallHist,
    /// Sum and maximum of the latencies recorded in the bucket (microseconds).
    latency_sum_us: f64,
    latency_max_us: u64,
}

impl Bucket {
    fn empty() -> Bucket {
        Bucket {
            acked: 0,
            hist: SmallHist::new(),
            latency_sum_us: 0.0,
            latency_max_us: 0,
        }
    }

    fn add(&mut self, x: &Bucket) {
        self.acked += x.acked;
        self.latency_sum_us += x.latency_sum_us;
        self.latency_max_us = self.latency_max_us.max(x.latency_max_us);
        for (i, n) in x.hist.counts.iter().enumerate() {
            self.hist.counts[i] += n;
        }
    }
}

/// The latencies (microseconds, at least 1) of `count` records sent evenly from `first` to
/// `last` and done at `at`, as at most 16 `(latency, records)` points: exact for the first and
/// last record, interpolated between (so that cost follows batches, not records).
pub(crate) fn spread_latencies(
    at: SimTime,
    first: SimTime,
    last: SimTime,
    count: u64,
) -> impl Iterator<Item = (u64, u64)> {
    let points = count.min(16);
    let span = last.saturating_sub(first);
    // Point j is sent at first + floor(span * j / d): stepped by span / d, the remainders
    // carried, with no division per point (two per point were most of a batch's accounting).
    let d = points.saturating_sub(1).max(1);
    let (step, carry) = (span / d, span % d);
    let each = count / points.max(1);
    let mut left = count;
    let (mut sent_at, mut acc) = (first, 0);
    (0..points).map(move |j| {
        let weight = if j + 1 == points { left } else { each };
        left -= weight;
        let t = sent_at;
        sent_at += step;
        acc += carry;
        if acc >= d {
            acc -= d;
            sent_at += 1;
        }
        ((at.saturating_sub(t) / NS_PER_US).max(1), weight)
    })
}

/// Laid out in declaration order (`repr(C)`): `sent`, which every run of open-loop arrivals
/// updates, first.
#[derive(Clone)]
#[repr(C)]
pub(crate) struct Ledger {
    /// Per partition: records appended to the accumulator (identities 0..sent).
    pub sent: Vec<u64>,
    /// Per partition: outcomes by record range.
    pub outcomes: Vec<OutcomeRanges>,
    /// Records rejected inside `send()` (never got an identity; failed, absent).
    pub rejected: u64,
    /// Records whose `send()` was blocked on `buffer.memory` when the process died (never got
    /// an identity; absent, never told: lost unsent).
    pub unsent: u64,
    /// Records other producers sent ([`Ledger::absorb`]: the run's totals).
    extra_sent: u64,
    /// Records the application sent again (`send()` calls beyond `sent`), and those of them
    /// refused inside that `send()` (`max.block.ms`).
    resent: u64,
    resend_rejected: u64,
    latency: LatencyHistogram,
    latency_sum_us: f64,
    latency_n: u64,
    acked: u64,
    failed: u64,
    acked_payload_bytes: u64,
    last_ack: SimTime,
    /// Longest send() -> outcome time, acked or failed.
    resolve_max: SimTime,
    payload_bytes: u64,
    bucket_ns: SimTime,
    timeline: Vec<Bucket>,
}

impl Ledger {
    pub(crate) fn new(spec: &RunSpec) -> Ledger {
        let p = spec.cluster.partitions as usize;
        let key = if spec.workload.keys > 0 {
            spec.workload.key_bytes
        } else {
            0
        };
        Ledger {
            outcomes: vec![OutcomeRanges::default(); p],
            sent: vec![0; p],
            rejected: 0,
            unsent: 0,
            extra_sent: 0,
            resent: 0,
            resend_rejected: 0,
            latency: LatencyHistogram::default(),
            latency_sum_us: 0.0,
            latency_n: 0,
            acked: 0,
            failed: 0,
            acked_payload_bytes: 0,
            last_ack: 0,
            resolve_max: 0,
            payload_bytes: (spec.workload.record_bytes + key) as u64,
            bucket_ns: spec.timeline_bucket_ms.max(1) * NS_PER_MS,
            timeline: Vec::new(),
        }
    }

    fn bucket(&mut self, t: SimTime) -> &mut Bucket {
        let i = self.bucket_index(t);
        &mut self.timeline[i]
    }

    /// The index of `t`'s bucket, which exists on return.
    fn bucket_index(&mut self, t: SimTime) -> usize {
        // Memory stays flat in run length: past MAX_BUCKETS, buckets merge pairwise and the
        // bucket width doubles.
        while t / self.bucket_ns >= MAX_BUCKETS as u64 {
            self.widen();
        }
        let i = (t / self.bucket_ns) as usize;
        while self.timeline.len() <= i {
            self.timeline.push(Bucket::empty());
        }
        i
    }

    /// Doubles the bucket width: buckets (and the send marks) merge pairwise.
    fn widen(&mut self) {
        let merged: Vec<Bucket> = self
            .timeline
            .chunks(2)
            .map(|c| {
                let mut b = Bucket::empty();
                for x in c {
                    b.add(x);
                }
                b
            })
            .collect();
        self.timeline = merged;
        for o in &mut self.outcomes {
            o.send_marks = o
                .send_marks
                .chunks(2)
                .map(|c| c.iter().copied().min().unwrap_or(u64::MAX))
                .collect();
        }
        self.bucket_ns *= 2;
    }

    /// The width of a timeline bucket (it doubles as a long run goes on).
    pub(crate) fn bucket_ns(&self) -> SimTime {
        self.bucket_ns
    }

    /// Widens the buckets to `ns` (a multiple of the current width by a power of two), so
    /// that several producers' timelines add up bucket by bucket.
    pub(crate) fn widen_to(&mut self, ns: SimTime) {
        while self.bucket_ns < ns {
            self.widen();
        }
    }

    /// Applies the buffered latency points (before the run's end reads them).
    pub(crate) fn flush_latencies(&mut self) {
        self.latency.flush();
    }

    /// Adds `other`'s measures to these (the run's totals over several producers); both at
    /// the same bucket width ([`Ledger::widen_to`]). Outcomes stay each producer's own.
    pub(crate) fn absorb(&mut self, other: &Ledger) {
        debug_assert_eq!(self.bucket_ns, other.bucket_ns);
        self.latency.add(&other.latency);
        self.latency_sum_us += other.latency_sum_us;
        self.latency_n += other.latency_n;
        self.acked += other.acked;
        self.failed += other.failed;
        self.rejected += other.rejected;
        self.resent += other.resent;
        self.resend_rejected += other.resend_rejected;
        self.unsent += other.unsent;
        self.acked_payload_bytes += other.acked_payload_bytes;
        self.last_ack = self.last_ack.max(other.last_ack);
        self.resolve_max = self.resolve_max.max(other.resolve_max);
        let sent: u64 = other.sent.iter().sum();
        self.extra_sent += sent;
        while self.timeline.len() < other.timeline.len() {
            self.timeline.push(Bucket::empty());
        }
        for (b, x) in self.timeline.iter_mut().zip(&other.timeline) {
            b.add(x);
        }
    }

    /// Record the completion of `count` records sent between `first` and `last` (evenly
    /// spread: latencies are exact for the first and last record, interpolated between; at most
    /// 16 histogram updates per batch).
    fn record_latencies(&mut self, now: SimTime, first: SimTime, last: SimTime, count: u64) {
        if count == 0 {
            return; // no point: the timeline is not touched
        }
        let i = self.bucket_index(now);
        for (us, weight) in spread_latencies(now, first, last, count) {
            self.latency.record_n(us, weight);
            self.latency_sum_us += us as f64 * weight as f64;
            self.latency_n += weight;
            let b = &mut self.timeline[i];
            b.hist.add(us, weight as u32);
            b.latency_sum_us += us as f64 * weight as f64;
            b.latency_max_us = b.latency_max_us.max(us);
        }
    }

    /// The application learns the outcome of records `[start, start+count)` of `partition`.
    pub(crate) fn complete(
        &mut self,
        now: SimTime,
        partition: u32,
        start: u64,
        count: u32,
        outcome: Outcome,
        (first, last): (SimTime, SimTime),
    ) {
        self.outcomes[partition as usize].insert(start, start + count as u64, outcome);
        self.resolve_max = self.resolve_max.max(now.saturating_sub(first));
        match outcome {
            Outcome::Acked => {
                self.acked += count as u64;
                self.acked_payload_bytes += count as u64 * self.payload_bytes;
                self.last_ack = now;
                self.bucket(now).acked += count as u64;
                // After `bucket` (which may widen the buckets): first <= now, so within them.
                // A re-sent range keeps its old identities: it would break the marks' order.
                let b = (first / self.bucket_ns) as usize;
                let o = &mut self.outcomes[partition as usize];
                if !o.is_resent(start) {
                    let marks = &mut o.send_marks;
                    if marks.len() <= b {
                        marks.resize(b + 1, u64::MAX);
                    }
                    marks[b] = marks[b].min(start);
                }
                self.record_latencies(now, first, last, count as u64);
            }
            Outcome::Failed => self.failed += count as u64,
            Outcome::Unseen => {}
        }
    }

    /// The producer process died: every record it accepted and never resolved will never be
    /// resolved ([`Outcome::Unseen`]), and `blocked` `send()` calls waiting for
    /// `buffer.memory` never returned.
    pub(crate) fn orphan_unresolved(&mut self, blocked: u64) {
        self.unsent += blocked;
        for (p, o) in self.outcomes.iter_mut().enumerate() {
            let mut gaps = Vec::new();
            let mut at = 0;
            for (&s, &(e, _)) in &o.ranges {
                if s > at {
                    gaps.push((at, s));
                }
                at = e;
            }
            if self.sent[p] > at {
                gaps.push((at, self.sent[p]));
            }
            for (s, e) in gaps {
                o.insert(s, e, Outcome::Unseen);
            }
        }
    }

    /// A `send()` that started at `sent_at` failed inside `send()`.
    pub(crate) fn reject_at(&mut self, now: SimTime, sent_at: SimTime) {
        self.resolve_max = self.resolve_max.max(now.saturating_sub(sent_at));
        self.reject(1);
    }

    /// The application calls `send()` again for the failed records `[start, start+count)` of
    /// `partition`: they are pending again ([`OutcomeRanges::reopen`]).
    pub(crate) fn resend(&mut self, partition: u32, start: u64, count: u32) {
        self.outcomes[partition as usize].reopen(start, start + count as u64);
        self.resent += count as u64;
    }

    /// A re-send of `count` records failed inside `send()` (`max.block.ms`): they stay failed.
    pub(crate) fn resend_rejected(&mut self, now: SimTime, partition: u32, start: u64, count: u32, sent_at: SimTime) {
        self.resend_rejected += count as u64;
        self.complete(now, partition, start, count, Outcome::Failed, (sent_at, sent_at));
    }

    pub(crate) fn reject(&mut self, count: u64) {
        self.rejected += count;
        self.failed += count;
    }

    /// Measures of the run (the checker fills `delivery`).
    pub(crate) fn result(&self, spec: &RunSpec, end: SimTime) -> RunResult {
        let sent: u64 = self.sent.iter().sum::<u64>() + self.rejected + self.resent + self.unsent + self.extra_sent;
        // Throughput over the time it took to get the acknowledgements: the production window,
        // or longer when the producer was still draining a backlog after it.
        let horizon = (self.last_ack.max(spec.duration_ms * NS_PER_MS)) as f64 / NS_PER_S as f64;
        let latency = self.latency.get();
        let q = |v: f64| latency.value_at_quantile(v) as f64 / 1000.0;
        let has = self.latency_n > 0;
        let bucket_s = self.bucket_ns as f64 / NS_PER_S as f64;
        RunResult {
            records_sent: sent,
            records_acked: self.acked,
            records_failed: self.failed,
            throughput_rps: if horizon > 0.0 {
                self.acked as f64 / horizon
            } else {
                0.0
            },
            throughput_mbps: if horizon > 0.0 {
                self.acked_payload_bytes as f64 * 8.0 / 1e6 / horizon
            } else {
                0.0
            },
            throughput_mb_s: if horizon > 0.0 {
                self.acked_payload_bytes as f64 / (1024.0 * 1024.0) / horizon
            } else {
                0.0
            },
            latency_p50_ms: if has { q(0.5) } else { 0.0 },
            latency_p95_ms: if has { q(0.95) } else { 0.0 },
            latency_p99_ms: if has { q(0.99) } else { 0.0 },
            latency_p999_ms: if has { q(0.999) } else { 0.0 },
            latency_max_ms: if has { latency.max() as f64 / 1000.0 } else { 0.0 },
            latency_mean_ms: if has {
                self.latency_sum_us / self.latency_n as f64 / 1000.0
            } else {
                0.0
            },
            send_errors: self.rejected + self.resend_rejected,
            resolve_max_ms: self.resolve_max as f64 / NS_PER_MS as f64,
            end_ms: end / NS_PER_MS,
            timeline: self
                .timeline
                .iter()
                .enumerate()
                .map(|(i, b)| TimelinePoint {
                    t_ms: i as u64 * self.bucket_ns / NS_PER_MS,
                    width_ms: self.bucket_ns / NS_PER_MS,
                    acked: b.acked,
                    acked_rps: b.acked as f64 / bucket_s,
                    latency_p99_ms: b.hist.quantile(0.99) as f64 / 1000.0,
                    latency_mean_ms: if b.acked > 0 {
                        b.latency_sum_us / b.acked as f64 / 1000.0
                    } else {
                        0.0
                    },
                    latency_max_ms: b.latency_max_us as f64 / 1000.0,
                    // By send time: the checker fills it.
                    lost_acked: 0,
                })
                .collect(),
            ..RunResult::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stepped interpolation gives exactly the closed form `first + span * j / (points -
    /// 1)` with `count / points` records per point and the rest on the last (random spans,
    /// counts from 0 to past 16, equal send times).
    #[test]
    fn spread_latencies_match_the_closed_form() {
        use crate::sim::{rng_stream, Stream};
        use rand::Rng;
        let closed = |at: SimTime, first: SimTime, last: SimTime, count: u64| -> Vec<(u64, u64)> {
            let points = count.min(16);
            let span = last.saturating_sub(first);
            let mut left = count;
            (0..points)
                .map(|j| {
                    let weight = if j + 1 == points { left } else { count / points };
                    left -= weight;
                    let sent_at = if points > 1 {
                        first + span * j / (points - 1)
                    } else {
                        first
                    };
                    ((at.saturating_sub(sent_at) / NS_PER_US).max(1), weight)
                })
                .collect()
        };
        let mut rng = rng_stream(9, Stream::App);
        for _ in 0..20_000 {
            let first = rng.gen_range(0..1_000_000_000u64);
            let span = if rng.gen_bool(0.1) {
                0
            } else {
                rng.gen_range(0..50_000_000u64)
            };
            let at = first + span + rng.gen_range(0..20_000_000u64);
            let count = rng.gen_range(0..40u64);
            let got: Vec<(u64, u64)> = spread_latencies(at, first, first + span, count).collect();
            assert_eq!(
                got,
                closed(at, first, first + span, count),
                "{first} {span} {at} {count}"
            );
            assert_eq!(got.iter().map(|p| p.1).sum::<u64>(), count);
        }
    }

    #[test]
    fn outcome_ranges_merge_out_of_order_completions() {
        let mut r = OutcomeRanges::default();
        r.insert(10, 20, Outcome::Acked);
        r.insert(0, 10, Outcome::Acked);
        r.insert(30, 40, Outcome::Acked);
        r.insert(20, 30, Outcome::Acked);
        assert_eq!(r.ranges.len(), 1);
        r.insert(40, 45, Outcome::Failed);
        assert_eq!(r.ranges.len(), 2);
        assert_eq!(r.count(Outcome::Acked), 40);
        assert_eq!(r.count(Outcome::Failed), 5);
    }

    /// A re-sent range has no outcome again until the re-send's, which is the application's
    /// final word; the rest of its coalesced range keeps its outcome, and a second outcome for
    /// a record that was not re-sent is still caught.
    #[test]
    fn a_resent_range_takes_the_later_outcome() {
        let mut r = OutcomeRanges::default();
        r.insert(0, 10, Outcome::Acked);
        r.insert(10, 20, Outcome::Failed);
        r.insert(20, 30, Outcome::Failed);
        r.reopen(10, 20);
        assert!(r.is_resent(10) && r.is_resent(19) && !r.is_resent(20) && !r.is_resent(9));
        assert_eq!((r.count(Outcome::Acked), r.count(Outcome::Failed)), (10, 10));
        r.insert(10, 20, Outcome::Acked);
        assert_eq!((r.count(Outcome::Acked), r.count(Outcome::Failed)), (20, 10));
        assert_eq!(r.ranges.len(), 2, "the acknowledged ranges merge again");
        // A sub-range of a re-sent range (a split piece) re-sent again stays one re-sent range.
        r.insert(30, 40, Outcome::Failed);
        r.reopen(30, 40);
        r.insert(30, 35, Outcome::Failed);
        r.reopen(30, 35);
        assert_eq!(r.resent.len(), 2);
        let twice = std::panic::catch_unwind(move || {
            let mut r = r;
            r.insert(20, 25, Outcome::Acked);
        });
        assert_eq!(twice.is_err(), cfg!(debug_assertions), "a record got two outcomes");
    }

    /// A crash leaves every unresolved record of every partition unseen, resolved ones as
    /// they were, and counts the blocked `send()` calls.
    #[test]
    fn a_crash_orphans_exactly_the_unresolved_records() {
        let spec = RunSpec::default();
        let mut l = Ledger::new(&spec);
        l.sent[0] = 10;
        l.sent[1] = 3;
        l.complete(5, 0, 2, 3, Outcome::Acked, (1, 1));
        l.complete(5, 0, 7, 1, Outcome::Failed, (1, 1));
        l.orphan_unresolved(2);
        let o = &l.outcomes[0];
        assert_eq!(o.count(Outcome::Unseen), 6, "0..2, 5..7, 8..10");
        assert_eq!((o.count(Outcome::Acked), o.count(Outcome::Failed)), (3, 1));
        assert_eq!(l.outcomes[1].count(Outcome::Unseen), 3);
        assert_eq!(l.unsent, 2);
        assert_eq!(l.result(&spec, 0).records_sent, 10 + 3 + 2);
    }

    #[test]
    fn small_histogram_quantiles_are_close() {
        let mut h = SmallHist::new();
        for us in 1..=10_000u64 {
            h.add(us, 1);
        }
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 9_900.0).abs() / 9_900.0 < 0.13, "{p99}");
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 5_000.0).abs() / 5_000.0 < 0.13, "{p50}");
    }
}
