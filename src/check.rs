//! The checker: compares what the application was told (the ledger's outcome ranges) with what
//! the cluster finally holds (the committed logs after the settle phase), and classifies every
//! record (design.md, "Record outcomes"). Works on ranges: cost follows batches, not records.

use crate::model::ledger::{Outcome, OutcomeRanges};
use crate::model::partition_log::LogSpan;
use crate::result::{DeliveryReport, TimelinePoint};
use std::collections::BTreeMap;

/// A set of disjoint half-open ranges.
#[derive(Default)]
struct IntervalSet {
    map: BTreeMap<u64, u64>,
}

impl IntervalSet {
    /// Length of `[s, e)` already covered.
    fn covered(&self, s: u64, e: u64) -> u64 {
        let mut total = 0;
        if let Some((_, &pe)) = self.map.range(..=s).next_back() {
            if pe > s {
                total += pe.min(e) - s;
            }
        }
        for (&rs, &re) in self.map.range(s + 1..e) {
            total += re.min(e) - rs;
        }
        total
    }

    fn insert(&mut self, mut s: u64, mut e: u64) {
        if let Some((&ps, &pe)) = self.map.range(..=s).next_back() {
            if pe >= s {
                s = ps;
                e = e.max(pe);
            }
        }
        let inner: Vec<u64> = self.map.range(s..=e).map(|(&k, _)| k).collect();
        for k in inner {
            let v = self.map.remove(&k).unwrap();
            e = e.max(v);
        }
        self.map.insert(s, e);
    }
}

/// First example record of each anomaly class in one partition, and its lost acknowledged
/// record ranges.
#[derive(Default)]
struct Examples {
    /// `[start, end)` ranges acknowledged and absent, in outcome order.
    lost_acked_ranges: Vec<(u64, u64)>,
    lost_acked: Option<u64>,
    duplicate: Option<u64>,
    reordered: Option<u64>,
    failed_present: Option<u64>,
    lost_failed: Option<u64>,
    lost_unsent: Option<u64>,
}

fn keep_first(slot: &mut Option<u64>, v: u64) {
    if slot.is_none_or(|x| v < x) {
        *slot = Some(v);
    }
}

/// Classify the records of one partition. `sent` records have identities `0..sent`.
fn classify_partition(outcomes: &OutcomeRanges, sent: u64, log: &[LogSpan], r: &mut DeliveryReport, ex: &mut Examples) {
    // Multiplicity of each record in the log, as segments.
    let mut deltas: BTreeMap<u64, i64> = BTreeMap::new();
    let mut seen = IntervalSet::default();
    // Records the application re-sent count as seen from the start: their copies still count
    // as duplicates, but their place in the log is not the producer's order (the application
    // sent them again after records it had sent later). The log does not say which copy is
    // which, so neither copy of a re-sent record is judged for order: records the application
    // was told failed, whose order it knows is broken.
    for (&s, &e) in &outcomes.resent {
        seen.insert(s, e);
    }
    // The log's runs of consecutive identities: a producer's batches, which other producers'
    // batches between them keep apart in the log (they do not coalesce there), are one run
    // here. Every class below depends only on the order and the multiplicity of identities,
    // so the result is the same, and the cost follows runs, not batches.
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for e in log {
        let (s, end) = (e.rec_start, e.rec_end());
        match runs.last_mut() {
            Some(last) if last.1 == s && s < end => last.1 = end,
            _ => runs.push((s, end)),
        }
    }
    let mut max_seen = 0u64;
    for (s, end) in runs {
        if end > sent {
            r.phantom += end - s.max(sent);
        }
        *deltas.entry(s).or_default() += 1;
        *deltas.entry(end).or_default() -= 1;
        // Reordered: first appearances of records below one the producer sent later.
        let below = end.min(max_seen);
        if s < below {
            let n = (below - s) - seen.covered(s, below);
            if n > 0 {
                r.reordered += n;
                // the first record of this run that had not appeared before
                let mut x = s;
                while x < below && seen.covered(x, x + 1) == 1 {
                    x += 1;
                }
                keep_first(&mut ex.reordered, x);
            }
        }
        seen.insert(s, end);
        max_seen = max_seen.max(end);
    }
    // Sweep: (start, end, multiplicity) segments over [0, sent).
    let mut segments: Vec<(u64, u64, i64)> = Vec::new();
    let mut m = 0i64;
    let mut at = 0u64;
    for (&k, &d) in &deltas {
        if k > at {
            segments.push((at, k, m));
        }
        m += d;
        at = k;
    }
    if at < sent {
        segments.push((at, sent.max(at), 0));
    }
    for &(s, e, m) in &segments {
        if m > 1 {
            r.duplicates += (e - s) * (m as u64 - 1);
            keep_first(&mut ex.duplicate, s);
        }
    }
    // Intersect the multiplicity segments with the outcome ranges.
    let mut covered_by_outcome = 0u64;
    for (&os, &(oe, outcome)) in &outcomes.ranges {
        covered_by_outcome += oe - os;
        let from = segments.partition_point(|seg| seg.1 <= os);
        for &(s, e, m) in &segments[from..] {
            if s >= oe {
                break;
            }
            let len = e.min(oe) - s.max(os);
            let x = s.max(os);
            match (outcome, m > 0) {
                (Outcome::Acked, false) => {
                    r.lost_acked += len;
                    keep_first(&mut ex.lost_acked, x);
                    ex.lost_acked_ranges.push((x, x + len));
                }
                (Outcome::Failed, false) => {
                    r.lost_failed += len;
                    keep_first(&mut ex.lost_failed, x);
                }
                (Outcome::Failed, true) => {
                    r.failed_present += len;
                    keep_first(&mut ex.failed_present, x);
                }
                (Outcome::Unseen, false) => {
                    r.lost_unsent += len;
                    keep_first(&mut ex.lost_unsent, x);
                }
                // Present though the application never heard: delivered (its process died
                // while the answer was on its way), in no anomaly class.
                (Outcome::Acked, true) | (Outcome::Unseen, true) => {}
            }
        }
    }
    r.pending += sent.saturating_sub(covered_by_outcome);
}

/// Classify every record of the run. `rejected` records failed inside `send()` and never got
/// an identity: they count as failed and absent.
#[cfg(test)]
pub(crate) fn classify(
    outcomes: &[OutcomeRanges],
    sent: &[u64],
    rejected: u64,
    logs: &[Vec<LogSpan>],
) -> DeliveryReport {
    classify_run(outcomes, sent, (rejected, 0), logs, &mut [])
}

/// [`classify`], also counting each timeline bucket's `lost_acked`: the acknowledged records
/// lost, by the bucket of their send time ([`OutcomeRanges::send_marks`]).
/// `(rejected, unsent)`: records that never got an identity, failed inside `send()` (lost
/// failed) or blocked in it when the producer process died (lost unsent).
pub(crate) fn classify_run(
    outcomes: &[OutcomeRanges],
    sent: &[u64],
    (rejected, unsent): (u64, u64),
    logs: &[Vec<LogSpan>],
    timeline: &mut [TimelinePoint],
) -> DeliveryReport {
    let mut r = DeliveryReport {
        lost_failed: rejected,
        lost_unsent: unsent,
        ..DeliveryReport::default()
    };
    for p in 0..outcomes.len() {
        let mut ex = Examples::default();
        classify_partition(&outcomes[p], sent[p], &logs[p], &mut r, &mut ex);
        for (b, n) in lost_by_send_bucket(&outcomes[p].send_marks, &ex.lost_acked_ranges, timeline.len()) {
            timeline[b].lost_acked += n;
        }
    }
    r
}

/// Splits record ranges over `buckets` timeline buckets by send time: bucket `b` holds the
/// identities from its mark up to the next bucket's (marks made non-decreasing from the end,
/// so an empty bucket holds none; identities below the first mark fall in the first bucket,
/// buckets past the timeline in its last). Returns `(bucket, records)` with records > 0.
fn lost_by_send_bucket(marks: &[u64], ranges: &[(u64, u64)], buckets: usize) -> Vec<(usize, u64)> {
    if buckets == 0 || ranges.is_empty() {
        return Vec::new();
    }
    let mut bounds: Vec<u64> = marks.to_vec();
    for i in (0..bounds.len().saturating_sub(1)).rev() {
        bounds[i] = bounds[i].min(bounds[i + 1]);
    }
    let mut counts: BTreeMap<usize, u64> = BTreeMap::new();
    for &(s, e) in ranges {
        for b in 0..bounds.len().max(1) {
            let lo = if b == 0 { 0 } else { bounds[b] };
            let hi = bounds.get(b + 1).copied().unwrap_or(u64::MAX);
            let n = e.min(hi).saturating_sub(s.max(lo));
            if n > 0 {
                *counts.entry(b.min(buckets - 1)).or_default() += n;
            }
        }
    }
    counts.into_iter().collect()
}

/// The classes [`first_anomaly`] names, in order of gravity (the most grave first).
pub(crate) const ANOMALY_CLASSES: [&str; 6] = [
    "lost_acked",
    "duplicates",
    "reordered",
    "failed_present",
    "lost_failed",
    "lost_unsent",
];

/// The first record flagged by the checker, in order of gravity ([`ANOMALY_CLASSES`]): lost
/// acknowledged, duplicated, reordered, failed-but-present, lost failed, lost unsent. Returns
/// (partition, record, class).
pub(crate) fn first_anomaly(
    outcomes: &[OutcomeRanges],
    sent: &[u64],
    logs: &[Vec<LogSpan>],
) -> Option<(u32, u64, &'static str)> {
    let ex: Vec<Examples> = (0..outcomes.len())
        .map(|p| {
            let mut e = Examples::default();
            classify_partition(&outcomes[p], sent[p], &logs[p], &mut DeliveryReport::default(), &mut e);
            e
        })
        .collect();
    type Getter = fn(&Examples) -> Option<u64>;
    let getters: [Getter; 6] = [
        |e| e.lost_acked,
        |e| e.duplicate,
        |e| e.reordered,
        |e| e.failed_present,
        |e| e.lost_failed,
        |e| e.lost_unsent,
    ];
    ANOMALY_CLASSES.iter().zip(getters).find_map(|(name, get)| {
        ex.iter()
            .enumerate()
            .find_map(|(p, e)| get(e).map(|r| (p as u32, r, *name)))
    })
}

/// One record's fate in words: what the application was told and where the final log holds it.
pub(crate) fn record_fate(
    outcomes: &[OutcomeRanges],
    sent: &[u64],
    logs: &[Vec<LogSpan>],
    partition: u32,
    rec: u64,
) -> String {
    let p = partition as usize;
    if rec >= sent[p] {
        return format!(
            "record {partition}:{rec} was never sent (partition {partition} got {} records)",
            sent[p]
        );
    }
    let told = outcomes[p]
        .ranges
        .range(..=rec)
        .next_back()
        .filter(|(_, &(end, _))| rec < end)
        .map(|(_, &(_, o))| o);
    let offsets: Vec<u64> = logs[p]
        .iter()
        .filter(|e| rec >= e.rec_start && rec < e.rec_end())
        .map(|e| e.base_offset + (rec - e.rec_start))
        .collect();
    let resent = outcomes[p].is_resent(rec);
    let later_before = !resent
        && logs[p]
            .iter()
            .take_while(|e| !(rec >= e.rec_start && rec < e.rec_end()))
            .any(|e| e.rec_start > rec);
    let told_text = match told {
        Some(Outcome::Acked) => "acknowledged to the application",
        Some(Outcome::Failed) => "reported FAILED to the application",
        Some(Outcome::Unseen) => "never told: its producer process crashed first",
        None => "never resolved (pending)",
    };
    let held = match offsets.len() {
        0 => "ABSENT from the final committed log".to_string(),
        1 => format!("present once in the final committed log (offset {})", offsets[0]),
        n => format!("present {n} times in the final committed log (offsets {offsets:?})"),
    };
    let class = match (told, offsets.len()) {
        (Some(Outcome::Acked), 0) => "lost_acked: an acknowledged write was lost",
        (Some(Outcome::Failed), 0) => "lost_failed",
        (Some(Outcome::Failed), _) => "failed_present: an application retry would duplicate it",
        (Some(Outcome::Unseen), 0) => "lost_unsent: the producer process crashed with it in its buffer",
        (Some(Outcome::Unseen), _) => "delivered, though the application never heard (its process crashed first)",
        (None, _) => "pending",
        (Some(Outcome::Acked), n) if n > 1 && resent => {
            "duplicated: the application RE-SENT a record the broker had written (idempotence \
             cannot deduplicate an application re-send)"
        }
        (Some(Outcome::Acked), n) if n > 1 => "duplicated",
        _ if later_before => "reordered: a record sent later precedes it",
        _ => "delivered",
    };
    format!("{told_text}; {held} => {class}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rec_start: u64, count: u32) -> LogSpan {
        LogSpan {
            base_offset: 0,
            rec_start,
            count: count as u64,
        }
    }

    fn outcomes(v: &[(u64, u64, Outcome)]) -> OutcomeRanges {
        let mut o = OutcomeRanges::default();
        for &(s, e, x) in v {
            o.insert(s, e, x);
        }
        o
    }

    #[test]
    fn everything_acked_and_present_is_clean() {
        let o = outcomes(&[(0, 30, Outcome::Acked)]);
        let r = classify(&[o], &[30], 0, &[vec![entry(0, 10), entry(10, 20)]]);
        assert_eq!(r, DeliveryReport::default());
    }

    #[test]
    fn acked_but_absent_is_lost_acked() {
        let o = outcomes(&[(0, 30, Outcome::Acked)]);
        let r = classify(&[o], &[30], 0, &[vec![entry(0, 10), entry(20, 10)]]);
        assert_eq!(r.lost_acked, 10);
    }

    #[test]
    fn failed_absent_failed_present_and_pending() {
        let o = outcomes(&[(0, 10, Outcome::Failed), (10, 20, Outcome::Failed)]);
        let r = classify(&[o], &[25], 3, &[vec![entry(10, 10)]]);
        assert_eq!((r.lost_failed, r.failed_present, r.pending), (13, 10, 5));
    }

    /// A crashed producer's unseen records: absent ones and blocked `send()` calls are lost
    /// unsent, present ones are delivered (no class), and neither is pending.
    #[test]
    fn unseen_absent_is_lost_unsent_and_unseen_present_is_delivered() {
        let o = outcomes(&[(0, 10, Outcome::Acked), (10, 30, Outcome::Unseen)]);
        let logs = [vec![entry(0, 10), entry(10, 5)]];
        let r = classify_run(std::slice::from_ref(&o), &[30], (0, 4), &logs, &mut []);
        assert_eq!((r.lost_unsent, r.pending, r.lost_acked), (15 + 4, 0, 0));
        assert_eq!(first_anomaly(&[o], &[30], &logs), Some((0, 15, "lost_unsent")));
    }

    #[test]
    fn retry_duplicate_and_reorder() {
        // B(0..10) C(10..20) B again: 10 duplicates, no reorder.
        let o = outcomes(&[(0, 20, Outcome::Acked)]);
        let r = classify(
            std::slice::from_ref(&o),
            &[20],
            0,
            &[vec![entry(0, 10), entry(10, 10), entry(0, 10)]],
        );
        assert_eq!((r.duplicates, r.reordered), (10, 0));
        // C before B, B written once: 10 reordered, no duplicates.
        let r = classify(&[o], &[20], 0, &[vec![entry(10, 10), entry(0, 10)]]);
        assert_eq!((r.duplicates, r.reordered, r.lost_acked), (0, 10, 0));
    }

    /// `IntervalSet` alone: coverage of a query that starts inside a range, of ranges that
    /// start inside the query, and inserts that must or must not merge.
    #[test]
    fn interval_set_covers_and_merges_exactly() {
        let mut set = IntervalSet::default();
        set.insert(0, 10);
        assert_eq!(set.covered(5, 8), 3, "a query inside a range");
        assert_eq!(set.covered(5, 20), 5, "a query starting inside a range");
        set.insert(12, 14);
        set.insert(16, 19);
        assert_eq!(set.covered(11, 20), 5, "ranges starting inside the query");
        assert_eq!(set.covered(10, 12), 0, "the gap");
        let mut apart = IntervalSet::default();
        apart.insert(0, 2);
        apart.insert(5, 7);
        assert_eq!(apart.covered(2, 5), 0, "ranges apart stay apart");
        apart.insert(2, 5);
        assert_eq!((apart.covered(0, 7), apart.map.len()), (7, 1), "adjacent ranges merge");
    }

    /// The classes are those of the log read record by record (a per-record oracle), for
    /// random logs of small entries: several producers' interleaved batches reach the checker
    /// as one producer's consecutive identities in separate entries, which it takes as runs.
    #[test]
    fn classes_match_a_record_by_record_reading_of_the_log() {
        use crate::sim::{rng_stream, Stream};
        use rand::Rng;
        let mut rng = rng_stream(11, Stream::App);
        for case in 0..300 {
            let sent = rng.gen_range(1..60u64);
            let mut log = Vec::new();
            let mut next = 0u64;
            for _ in 0..rng.gen_range(0..25) {
                // Mostly the next batch; sometimes a jump back (a retry's duplicate or a late
                // batch), ahead (a gap), or past what was sent (a phantom).
                let start = match rng.gen_range(0..10) {
                    0 => rng.gen_range(0..=next),
                    1 => next + rng.gen_range(1..5),
                    _ => next,
                };
                let count = rng.gen_range(1..6u32);
                log.push(entry(start, count));
                next = next.max(start + count as u64);
            }
            let o = outcomes(&[(0, sent, Outcome::Acked)]);
            let r = classify(std::slice::from_ref(&o), &[sent], 0, std::slice::from_ref(&log));
            // The oracle: one record at a time, in log order.
            let (mut times, mut reordered, mut phantom, mut max_seen) = (vec![0u64; 200], 0, 0, 0);
            for e in &log {
                for x in e.rec_start..e.rec_end() {
                    if x >= sent {
                        phantom += 1;
                    }
                    if times[x as usize] == 0 && x < max_seen {
                        reordered += 1;
                    }
                    times[x as usize] += 1;
                    max_seen = max_seen.max(x + 1);
                }
            }
            let duplicates: u64 = times.iter().map(|&n| n.saturating_sub(1)).sum();
            let lost = (0..sent).filter(|&x| times[x as usize] == 0).count() as u64;
            assert_eq!(
                (r.reordered, r.duplicates, r.phantom, r.lost_acked),
                (reordered, duplicates, phantom, lost),
                "case {case}: {log:?}"
            );
        }
    }

    /// Reordering counts only first appearances: part of a late range already seen earlier is
    /// not reordered again; the example is the first record reordered, not one a duplicate
    /// run passed over (`first_anomaly`).
    #[test]
    fn reordering_counts_first_appearances_and_names_the_first() {
        let o = outcomes(&[(0, 30, Outcome::Acked)]);
        // [0,10) [20,30) then [5,25): 5..10 and 20..25 were seen, 10..20 appear late.
        let log = vec![entry(0, 10), entry(20, 10), entry(5, 20)];
        let r = classify(std::slice::from_ref(&o), &[30], 0, std::slice::from_ref(&log));
        assert_eq!((r.reordered, r.duplicates), (10, 10));
        // [0,10) [20,30), a duplicate of [0,5) (nothing new), then [10,20) late: the example is
        // record 10, and the earliest of several examples wins.
        let log = vec![entry(0, 10), entry(20, 10), entry(0, 5), entry(10, 10)];
        let first = first_anomaly(std::slice::from_ref(&o), &[30], std::slice::from_ref(&log));
        assert_eq!(first, Some((0, 0, "duplicates")));
        let log = vec![entry(0, 10), entry(20, 10), entry(12, 8), entry(10, 2)];
        let first = first_anomaly(std::slice::from_ref(&o), &[30], std::slice::from_ref(&log));
        assert_eq!(
            first,
            Some((0, 10, "reordered")),
            "the smaller of the two reordered runs"
        );
        let log = vec![entry(0, 10), entry(20, 10), entry(0, 5), entry(10, 10)];
        let mut ex = Examples::default();
        classify_partition(&o, 30, &log, &mut DeliveryReport::default(), &mut ex);
        assert_eq!(ex.reordered, Some(10), "not 5, where the duplicate run ended");
    }

    /// Lost acknowledged records land in the bucket of their send time: identities from a
    /// bucket's mark up to the next one's; an empty bucket gets none; a range spanning buckets
    /// is split; the total is `lost_acked`.
    #[test]
    fn lost_acked_records_are_counted_by_send_time() {
        let mut o = outcomes(&[(0, 40, Outcome::Acked)]);
        // Bucket 0 sent 0..10, bucket 1 none, bucket 2 10..25, bucket 3 25..
        o.send_marks = vec![0, u64::MAX, 10, 25];
        let log = vec![entry(0, 5), entry(12, 10)];
        let mut timeline = vec![TimelinePoint::default(); 5];
        let r = classify_run(std::slice::from_ref(&o), &[40], (0, 0), &[log], &mut timeline);
        // Lost: 5..12 (5 in bucket 0, 2 in bucket 2), 22..40 (3 in bucket 2, 15 in bucket 3).
        let lost: Vec<u64> = timeline.iter().map(|b| b.lost_acked).collect();
        assert_eq!(lost, [5, 0, 5, 15, 0]);
        assert_eq!(r.lost_acked, 25);
        // A timeline shorter than the marks keeps the records (in its last bucket).
        let mut short = vec![TimelinePoint::default(); 2];
        classify_run(&[o], &[40], (0, 0), &[vec![entry(0, 5), entry(12, 10)]], &mut short);
        assert_eq!(short.iter().map(|b| b.lost_acked).collect::<Vec<_>>(), [5, 20]);
    }

    /// The application re-sent `[10, 20)` (`workload.resend_failed_attempts`): the broker had
    /// written the first copy, so the re-send, acknowledged, is a duplicate, and not reordered
    /// although `[20, 30)` precedes it; a re-sent range the broker had not written is not
    /// reordered either. Without the re-send mark the same log would count it reordered.
    #[test]
    fn a_resent_range_is_a_duplicate_not_a_reordering() {
        let mut o = outcomes(&[(0, 30, Outcome::Acked)]);
        o.resent.insert(10, 20);
        let log = vec![entry(0, 10), entry(10, 10), entry(20, 10), entry(10, 10)];
        let r = classify(std::slice::from_ref(&o), &[30], 0, std::slice::from_ref(&log));
        assert_eq!((r.duplicates, r.reordered, r.failed_present), (10, 0, 0));
        assert!(record_fate(std::slice::from_ref(&o), &[30], &[log], 0, 12).contains("RE-SENT"));
        // The first copy was never written: the re-send lands after [20, 30).
        let log = vec![entry(0, 10), entry(20, 10), entry(10, 10)];
        let r = classify(std::slice::from_ref(&o), &[30], 0, std::slice::from_ref(&log));
        assert_eq!((r.duplicates, r.reordered), (0, 0));
        let fate = record_fate(std::slice::from_ref(&o), &[30], std::slice::from_ref(&log), 0, 12);
        assert!(fate.ends_with("=> delivered"), "{fate}");
        o.resent.clear();
        let r = classify(&[o], &[30], 0, &[log]);
        assert_eq!(r.reordered, 10, "the control: not re-sent, it is reordered");
    }

    /// The application's final word is the re-send's outcome: a record the broker wrote,
    /// reported failed (failed_present), re-sent and acknowledged is a duplicate instead.
    #[test]
    fn a_resend_that_succeeds_changes_the_final_outcome() {
        let mut o = outcomes(&[(0, 10, Outcome::Acked), (10, 20, Outcome::Failed)]);
        let log = vec![entry(0, 20)];
        let r = classify(std::slice::from_ref(&o), &[20], 0, std::slice::from_ref(&log));
        assert_eq!((r.failed_present, r.duplicates), (10, 0));
        o.reopen(10, 20);
        let r = classify(std::slice::from_ref(&o), &[20], 0, std::slice::from_ref(&log));
        assert_eq!((r.failed_present, r.pending), (0, 10), "pending while re-sent");
        o.insert(10, 20, Outcome::Acked);
        let log = vec![entry(0, 20), entry(10, 10)];
        let r = classify(&[o], &[20], 0, &[log]);
        assert_eq!((r.failed_present, r.duplicates, r.reordered, r.pending), (0, 10, 0, 0));
    }

    #[test]
    fn records_never_sent_are_phantoms() {
        let o = outcomes(&[(0, 10, Outcome::Acked)]);
        let r = classify(&[o], &[10], 0, &[vec![entry(0, 12)]]);
        assert_eq!(r.phantom, 2);
    }
}
