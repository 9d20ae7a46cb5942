//! Consumer visibility (ghost state, never read by the model): for every acknowledged record,
//! the time from `send()` until a leader's high watermark first covers it, i.e. until a
//! `read_uncommitted` consumer could fetch it. Kafka: `Partition.maybeIncrementLeaderHW` moves
//! `UnifiedLog.highWatermark`, and `ReplicaManager.readFromLog` with
//! `FetchIsolation.HIGH_WATERMARK` never returns a record at or above it (reference 7.3).
//!
//! Two facts meet here, in either order: the leader's HW covering a record range
//! ([`Visibility::covered`], from [`Observation::HwAdvanced`]: only the log entries between the
//! old and the new HW are walked) and the application learning a batch's outcome
//! ([`Visibility::completed`], from [`Observation::Completed`], with the batch's first and last
//! send times). With acks=all the HW usually covers a batch before its response reaches the
//! client; with acks=0 / 1 the acknowledgement comes first. Whichever comes second records the
//! batch's latencies, interpolated between its first and last send time as the ledger does
//! (at most 16 histogram updates per piece). State is kept per record *range*, so memory and
//! cost follow batches, not records.
//!
//! Semantics: only acknowledged records count (the population of ack latency, so the two are
//! comparable); a record counts at its *first* visibility, even if it is truncated away later
//! (a consumer could have read it) or appears again (a duplicate); an acknowledged record that
//! never becomes visible (lost) is not counted.
//!
//! Ranges are record identities in the brokers' numbering: a client's per-partition send
//! sequence plus its identity base (`IDENTITY_BITS`), so several producers' records never
//! meet, and each producer's latencies are its own.

use super::latency::LatencyHistogram;
use super::ledger::{spread_latencies, Outcome};
use super::observe::Observation;
use super::partition_log::{Committed, PartitionLog};
use crate::config::IDENTITY_BITS;
use crate::sim::SimTime;
use hdrhistogram::Histogram;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One partition's ranges of record identities, each map's ranges disjoint.
#[derive(Clone, Debug, Default)]
struct PartitionVisibility {
    /// Identities a leader's HW has ever covered (coalesced): a later cover of the same
    /// identity (a new leader, a duplicate) is not a first visibility.
    seen: BTreeMap<u64, u64>,
    /// Covered, outcome not known yet: start -> (end, first visible at).
    visible: BTreeMap<u64, (u64, SimTime)>,
    /// Acknowledged, not covered yet: start -> (end, (send time of start, of end - 1)).
    acked: BTreeMap<u64, (u64, (SimTime, SimTime))>,
}

/// Removes from `map` the ranges overlapping `[s, e)` and puts their overlapping parts into
/// `out` (clipped, in order) with the value `clip` gives each part; the parts outside `[s, e)`
/// stay. `out` is a reused buffer: no allocation per call.
fn take_overlapping<V: Copy>(
    map: &mut BTreeMap<u64, (u64, V)>,
    s: u64,
    e: u64,
    clip: impl Fn(u64, u64, u64, u64, V) -> V,
    out: &mut Vec<(u64, u64, V)>,
) {
    out.clear();
    // From the right: a left remainder put back ends at `s`, which stops the walk.
    while let Some((&k, &(end, v))) = map.range(..e).next_back() {
        if end <= s {
            break;
        }
        map.remove(&k);
        let (a, b) = (k.max(s), end.min(e));
        if k < a {
            map.insert(k, (a, clip(k, end, k, a, v)));
        }
        if b < end {
            map.insert(b, (end, clip(k, end, b, end, v)));
        }
        out.push((a, b, clip(k, end, a, b, v)));
    }
    out.reverse();
}

/// Send time of identity `i` in a range `[s, e)` sent from `first` to `last`, evenly spread.
fn send_time(s: u64, e: u64, first: SimTime, last: SimTime, i: u64) -> SimTime {
    if e - s <= 1 {
        return first;
    }
    first + (last.saturating_sub(first) as u128 * (i - s) as u128 / (e - s - 1) as u128) as SimTime
}

/// The send times of the sub-range `[a, b)` of a range `[s, e)` sent from `first` to `last`.
fn clip_sent(s: u64, e: u64, a: u64, b: u64, (first, last): (SimTime, SimTime)) -> (SimTime, SimTime) {
    (send_time(s, e, first, last, a), send_time(s, e, first, last, b - 1))
}

/// Ghost bookkeeping of consumer visibility, and its histogram (microseconds).
pub(crate) struct Visibility {
    partitions: Vec<PartitionVisibility>,
    /// Whether the leaders' HW advances are the "covered" facts (consumer visibility); `false`
    /// for end-to-end latency, whose facts are a consumer group's polls ([`Visibility::covered`]).
    from_hw: bool,
    /// The partitions whose outcomes are kept (empty: all); a consumer group's own, so that
    /// the records of topics it does not read are not held waiting for a poll.
    tracked: Vec<bool>,
    /// Per producer (identity >> IDENTITY_BITS): its records' latencies, and how many.
    latency: Vec<LatencyHistogram>,
    counted: Vec<u64>,
    /// Reused buffers (no allocation per batch): fresh gaps, and the parts taken from
    /// `visible` and `acked`.
    gaps: Vec<(u64, u64)>,
    vis_parts: Vec<(u64, u64, SimTime)>,
    ack_parts: Vec<(u64, u64, (SimTime, SimTime))>,
}

impl Default for Visibility {
    fn default() -> Visibility {
        Visibility::new(0)
    }
}

impl Visibility {
    pub(crate) fn new(partitions: usize) -> Visibility {
        Visibility {
            partitions: vec![PartitionVisibility::default(); partitions],
            from_hw: true,
            tracked: Vec::new(),
            latency: Vec::new(),
            counted: Vec::new(),
            gaps: Vec::new(),
            vis_parts: Vec::new(),
            ack_parts: Vec::new(),
        }
    }

    /// End-to-end latency of one consumer group: `send()` to the poll() that returned the
    /// record, for the acknowledged records of the partitions `tracked` says it reads.
    pub(crate) fn end_to_end(tracked: Vec<bool>) -> Visibility {
        Visibility {
            from_hw: false,
            tracked,
            ..Visibility::new(0)
        }
    }

    /// Consumes the observations it concerns. A client reports its outcomes in its own
    /// numbering: `route` (its topic's first partition, its identity base) puts them in the
    /// brokers' (see `World::route`).
    #[inline]
    pub(crate) fn on(&mut self, now: SimTime, o: &Observation<'_>, route: (u32, u64)) {
        match *o {
            Observation::HwAdvanced {
                partition,
                from,
                to,
                log,
                ..
            } => self.hw_advanced(now, partition, from, to, log),
            Observation::Completed {
                partition,
                rec_start,
                count,
                outcome,
                sent,
                ..
            } => self.completed(
                (partition + route.0) as usize,
                rec_start + route.1,
                count as u64,
                outcome,
                sent,
            ),
            _ => {}
        }
    }

    /// A leader's HW moved from `from` to `to`: walk only the log entries between them.
    pub(crate) fn hw_advanced(&mut self, now: SimTime, p: usize, from: u64, to: u64, log: &PartitionLog) {
        if !self.from_hw {
            return;
        }
        // From the log's end (`entries_from`): a binary search over a long log of several
        // producers' interleaved batches (which do not coalesce) misses the cache at every probe.
        for e in log.entries_from(from).take_while(|e| e.base_offset < to) {
            let (lo, hi) = (e.base_offset.max(from), e.end_offset().min(to));
            if lo < hi {
                let start = e.rec_start + (lo - e.base_offset);
                self.covered(now, p, start, start + (hi - lo));
            }
        }
    }

    /// Records `[s, e)` of partition `p` (one producer's) are below a leader's HW at `now`
    /// (for end-to-end latency: a consumer's poll() returned them at `now`).
    pub(crate) fn covered(&mut self, now: SimTime, p: usize, s: u64, e: u64) {
        self.grow(p);
        // The parts not seen before (the gaps of `seen` within [s, e)), found from the right
        // while the overlapping and adjacent `seen` ranges are merged into one.
        let seen = &mut self.partitions[p].seen;
        self.gaps.clear();
        let (mut lo, mut hi, mut upto) = (s, e, e);
        while let Some((&k, &end)) = seen.range(..e).next_back() {
            if end < s {
                break;
            }
            seen.remove(&k);
            let right = end.min(e).max(s);
            if right < upto {
                self.gaps.push((right, upto));
            }
            upto = upto.min(k.max(s));
            lo = lo.min(k);
            hi = hi.max(end);
        }
        if s < upto {
            self.gaps.push((s, upto));
        }
        if let Some(end) = seen.remove(&hi) {
            hi = end;
        }
        seen.insert(lo, hi);
        for g in (0..self.gaps.len()).rev() {
            let (a, b) = self.gaps[g];
            let part = &mut self.partitions[p];
            take_overlapping(&mut part.acked, a, b, clip_sent, &mut self.ack_parts);
            let mut at = a;
            for i in 0..self.ack_parts.len() {
                let (x, y, sent) = self.ack_parts[i];
                if x > at {
                    self.partitions[p].visible.insert(at, (x, now));
                }
                self.record(now, x, y - x, sent);
                at = y;
            }
            if at < b {
                self.partitions[p].visible.insert(at, (b, now));
            }
        }
    }

    /// The application learnt (now: the time does not matter, only the send times and the
    /// visibility time do) the outcome of records `[s, s + count)` of partition `p`, sent
    /// from `sent.0` (the first) to `sent.1` (the last).
    pub(crate) fn completed(&mut self, p: usize, s: u64, count: u64, outcome: Outcome, sent: (SimTime, SimTime)) {
        if !self.tracked.is_empty() && self.tracked.get(p) != Some(&true) {
            return;
        }
        self.grow(p);
        let e = s + count;
        take_overlapping(
            &mut self.partitions[p].visible,
            s,
            e,
            |_, _, _, _, v| v,
            &mut self.vis_parts,
        );
        if outcome == Outcome::Failed {
            return;
        }
        let mut at = s;
        for i in 0..self.vis_parts.len() {
            let (a, b, vis) = self.vis_parts[i];
            if a > at {
                let part = clip_sent(s, e, at, a, sent);
                self.partitions[p].acked.insert(at, (a, part));
            }
            self.record(vis, a, b - a, clip_sent(s, e, a, b, sent));
            at = b;
        }
        if at < e {
            let part = clip_sent(s, e, at, e, sent);
            self.partitions[p].acked.insert(at, (e, part));
        }
    }

    /// Per producer: identities ever covered (for end-to-end: polled) that the final log
    /// `logs[p]` (each partition's records below its final high watermark) does not hold: a
    /// consumer read them, then the cluster lost them.
    pub(crate) fn seen_but_absent(&self, logs: &[Committed]) -> Vec<u64> {
        let mut out = Vec::new();
        let mut held: Vec<(u64, u64)> = Vec::new();
        for (p, part) in self.partitions.iter().enumerate() {
            if part.seen.is_empty() {
                continue;
            }
            held.clear();
            held.extend(
                logs.get(p)
                    .into_iter()
                    .flat_map(|log| log.entries())
                    .map(|e| (e.rec_start, e.rec_start + e.count as u64)),
            );
            held.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(held.len());
            for &(a, b) in &held {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            for (&a, &b) in &part.seen {
                let mut present = 0;
                let first = merged.partition_point(|r| r.1 <= a);
                for r in merged[first..].iter().take_while(|r| r.0 < b) {
                    present += r.1.min(b) - r.0.max(a);
                }
                let producer = (a >> IDENTITY_BITS) as usize;
                if out.len() <= producer {
                    out.resize(producer + 1, 0);
                }
                out[producer] += (b - a) - present;
            }
        }
        out
    }

    fn grow(&mut self, p: usize) {
        if self.partitions.len() <= p {
            self.partitions.resize(p + 1, PartitionVisibility::default());
        }
    }

    /// `count` records sent evenly from `first` to `last` became visible at `at` (at most 16
    /// histogram updates, as the ledger's `record_latencies`).
    fn record(&mut self, at: SimTime, s: u64, count: u64, (first, last): (SimTime, SimTime)) {
        let producer = (s >> IDENTITY_BITS) as usize;
        while self.latency.len() <= producer {
            self.latency.push(LatencyHistogram::default());
            self.counted.push(0);
        }
        for (us, weight) in spread_latencies(at, first, last, count) {
            self.latency[producer].record_n(us, weight);
        }
        self.counted[producer] += count;
    }

    /// Applies the buffered latency points (before the run's end reads them).
    pub(crate) fn flush(&mut self) {
        for h in &mut self.latency {
            h.flush();
        }
    }

    /// Records counted, over every producer.
    #[cfg(test)]
    pub(crate) fn counted(&self) -> u64 {
        self.counted.iter().sum()
    }

    /// (p50, p99, max) in milliseconds over several instances (the consumer groups' end-to-end
    /// latencies) of producer `producer`'s records (`None`: every producer's).
    pub(crate) fn quantiles_over(all: &[Visibility], producer: Option<usize>) -> (f64, f64, f64) {
        let mut merged: Option<Histogram<u64>> = None;
        for v in all {
            for (c, h) in v.latency.iter().enumerate() {
                if producer.is_some_and(|p| p != c) || v.counted[c] == 0 {
                    continue;
                }
                match &mut merged {
                    Some(m) => {
                        let _ = m.add(&*h.get());
                    }
                    None => merged = Some(h.get().into_owned()),
                }
            }
        }
        let Some(h) = merged else {
            return (0.0, 0.0, 0.0);
        };
        let q = |v: f64| h.value_at_quantile(v) as f64 / 1000.0;
        (q(0.5), q(0.99), h.max() as f64 / 1000.0)
    }

    /// (p50, p99, max) in milliseconds of producer `producer`'s records (`None`: every
    /// producer's); zeros when no record was counted.
    pub(crate) fn quantiles_ms(&self, producer: Option<usize>) -> (f64, f64, f64) {
        let h: Cow<'_, Histogram<u64>> = match producer {
            Some(c) => match self.latency.get(c) {
                Some(h) if self.counted[c] > 0 => h.get(),
                _ => return (0.0, 0.0, 0.0),
            },
            None => {
                if self.counted.iter().sum::<u64>() == 0 {
                    return (0.0, 0.0, 0.0);
                }
                let mut m = self.latency[0].get().into_owned();
                for x in &self.latency[1..] {
                    let _ = m.add(&*x.get());
                }
                Cow::Owned(m)
            }
        };
        let q = |v: f64| h.value_at_quantile(v) as f64 / 1000.0;
        (q(0.5), q(0.99), h.max() as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests;
