//! The HW walk and the pairing of visibility with outcomes, on hand-built logs (no scenario, no
//! key: the bookkeeping alone).

use super::*;
use crate::model::partition_log::{LogEntry, ProducerInfo};
use crate::sim::ms;

/// A leader's log holding batches of `counts` records, identities consecutive from 0.
fn log_of(counts: &[u32]) -> PartitionLog {
    let mut rec = 0;
    let batches: Vec<(u64, u32)> = counts
        .iter()
        .map(|&count| {
            rec += count as u64;
            (rec - count as u64, count)
        })
        .collect();
    log_of_batches(&batches)
}

/// A leader's log holding batches of `(first identity, records)`, in this order.
fn log_of_batches(batches: &[(u64, u32)]) -> PartitionLog {
    let mut log = PartitionLog::default();
    for &(rec_start, count) in batches {
        log.append(
            LogEntry {
                base_offset: 0,
                count,
                rec_start,
                leader_epoch: 0,
                producer: ProducerInfo::default(),
                bytes: 100,
                append_time: 0,
            },
            0,
            0,
        );
    }
    log
}

fn ms_of(v: &Visibility) -> (f64, f64, f64) {
    v.quantiles_ms(None)
}

/// Equal within the histogram's precision (3 significant digits).
fn near(got: f64, want: f64) -> bool {
    (got - want).abs() <= 0.002 * want + 1e-9
}

fn assert_near((p50, p99, max): (f64, f64, f64), want: (f64, f64, f64)) {
    assert!(
        near(p50, want.0) && near(p99, want.1) && near(max, want.2),
        "{:?} vs {want:?}",
        (p50, p99, max)
    );
}

#[test]
fn acked_before_covered_counts_at_the_hw_advance_and_only_the_covered_part() {
    let log = log_of(&[10, 10]);
    let mut v = Visibility::new(1);
    // acks=1: all 20 acknowledged at 5 ms, sent at 1 ms (one instant).
    v.completed(0, 0, 20, Outcome::Acked, (ms(1), ms(1)));
    assert_eq!(v.counted(), 0, "acknowledged is not visible");
    // The HW covers the first batch and 3 records of the second at 21 ms.
    v.hw_advanced(ms(21), 0, 0, 13, &log);
    assert_eq!(v.counted(), 13);
    assert_near(ms_of(&v), (20.0, 20.0, 20.0));
    // The rest at 41 ms: only the 7 not yet covered are walked.
    v.hw_advanced(ms(41), 0, 13, 20, &log);
    assert_eq!(v.counted(), 20);
    assert!(near(ms_of(&v).2, 40.0));
    // Moving the HW over nothing new counts nothing.
    v.hw_advanced(ms(50), 0, 20, 20, &log);
    assert_eq!(v.counted(), 20);
}

#[test]
fn covered_before_acked_counts_the_visibility_time_not_the_ack_time() {
    let log = log_of(&[4]);
    let mut v = Visibility::new(1);
    v.hw_advanced(ms(3), 0, 0, 4, &log);
    assert_eq!(v.counted(), 0, "not acknowledged yet: not counted yet");
    // acks=all: the response reaches the client later, at 10 ms; sent from 0 to 1 ms.
    v.completed(0, 0, 4, Outcome::Acked, (0, ms(1)));
    assert_eq!(v.counted(), 4);
    let (p50, _, max) = ms_of(&v);
    assert!(near(max, 3.0) && (2.0..=3.0).contains(&p50), "{p50} {max}");
}

#[test]
fn send_times_are_interpolated_across_a_batch() {
    let log = log_of(&[11]);
    let mut v = Visibility::new(1);
    // Sent evenly from 0 to 10 ms, visible at 20 ms: latencies 20, 19, ..., 10 ms.
    v.completed(0, 0, 11, Outcome::Acked, (0, ms(10)));
    v.hw_advanced(ms(20), 0, 0, 11, &log);
    let (p50, _, max) = ms_of(&v);
    assert!(near(max, 20.0), "{max}");
    assert!((p50 - 15.0).abs() <= 0.1, "{p50}");
}

#[test]
fn failed_and_lost_records_are_not_counted_and_first_visibility_wins() {
    let log = log_of(&[5, 5]);
    let mut v = Visibility::new(1);
    // Records 0..5 visible at 2 ms, then failed (an error reached the application).
    v.hw_advanced(ms(2), 0, 0, 5, &log);
    v.completed(0, 0, 5, Outcome::Failed, (0, 0));
    // Records 5..10 acknowledged, never covered: lost, not counted.
    v.completed(0, 5, 5, Outcome::Acked, (0, 0));
    assert_eq!(v.counted(), 0);
    assert_eq!(ms_of(&v), (0.0, 0.0, 0.0));
    // Another leader's HW covers 0..5 again (a new leader, or a duplicate): not a first
    // visibility, and a later cover of 5..10 counts at its own (first) time.
    v.hw_advanced(ms(30), 0, 0, 10, &log);
    assert_eq!(v.counted(), 5);
    assert!(near(ms_of(&v).2, 30.0));
    v.hw_advanced(ms(90), 0, 0, 10, &log);
    assert_eq!(v.counted(), 5);
    assert!(near(ms_of(&v).2, 30.0));
}

#[test]
fn a_record_visible_then_truncated_counts_at_its_first_visibility() {
    let mut v = Visibility::new(1);
    let old_leader = log_of(&[3]);
    v.hw_advanced(ms(7), 0, 0, 3, &old_leader);
    // Its leader dies; the new leader's log holds the same identities later (a retry).
    let new_leader = log_of(&[3]);
    v.hw_advanced(ms(500), 0, 0, 3, &new_leader);
    v.completed(0, 0, 3, Outcome::Acked, (ms(1), ms(1)));
    assert_near(ms_of(&v), (6.0, 6.0, 6.0));
}

#[test]
fn covers_out_of_order_fill_the_gaps_only() {
    // Identities 0..30 in three batches appended 20..30, 0..10, 10..20 (a retried batch first).
    let mut log = PartitionLog::default();
    for rec in [20, 0, 10] {
        log.append(
            LogEntry {
                base_offset: 0,
                count: 10,
                rec_start: rec,
                leader_epoch: 0,
                producer: ProducerInfo::default(),
                bytes: 100,
                append_time: 0,
            },
            0,
            0,
        );
    }
    let mut v = Visibility::new(1);
    v.completed(0, 0, 30, Outcome::Acked, (0, 0));
    v.hw_advanced(ms(10), 0, 0, 10, &log); // 20..30
    v.hw_advanced(ms(20), 0, 10, 15, &log); // 0..5
    assert_eq!(v.counted(), 15);
    // An old leader's HW over 0..30 at once: only 5..20 are new.
    v.hw_advanced(ms(40), 0, 0, 30, &log_of(&[30]));
    assert_eq!(v.counted(), 30);
    assert!(near(ms_of(&v).2, 40.0));
    // 15 of 30 records at 40 ms, 5 at 20 ms, 10 at 10 ms: the median is 20 ms.
    assert!(near(ms_of(&v).0, 20.0), "{:?}", ms_of(&v));
    assert_eq!(v.partitions[0].seen.len(), 1, "{:?}", v.partitions[0].seen);
    assert!(v.partitions[0].acked.is_empty() && v.partitions[0].visible.is_empty());
}

#[test]
fn end_to_end_counts_polls_of_its_own_partitions_and_what_the_final_log_lacks() {
    // A group reading partition 1 only.
    let mut v = Visibility::end_to_end(vec![false, true]);
    v.completed(0, 0, 10, Outcome::Acked, (ms(1), ms(1)));
    v.completed(1, 0, 10, Outcome::Acked, (ms(1), ms(1)));
    // HW advances are not polls: nothing counts.
    v.hw_advanced(ms(5), 1, 0, 10, &log_of(&[10]));
    assert_eq!(v.counted(), 0);
    v.covered(ms(11), 1, 0, 4);
    assert_eq!(v.counted(), 4);
    assert_near(ms_of(&v), (10.0, 10.0, 10.0));
    // Partition 0's outcomes were not kept (the group does not read it).
    assert!(v.partitions[0].acked.is_empty());
    // Polled 0..4 of partition 1; the final log holds 0..2 and 3..10: one read, then lost.
    let (held, whole) = (log_of_batches(&[(3, 7), (0, 2)]), log_of(&[10]));
    let logs = [Committed::default(), Committed::new(&held, 9)];
    assert_eq!(v.seen_but_absent(&logs), vec![1]);
    assert_eq!(
        v.seen_but_absent(&[Committed::default(), Committed::new(&whole, 10)]),
        vec![0]
    );
    // Only what lies below the high watermark counts: 0..2 is above it here.
    assert_eq!(
        v.seen_but_absent(&[Committed::default(), Committed::new(&held, 7)]),
        vec![3]
    );
}
