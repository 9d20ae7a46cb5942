//! `message.max.bytes` in whole runs (reference 3.5, 5.4): the leader refuses a batch over the
//! limit with MESSAGE_TOO_LARGE (`UnifiedLog.analyzeAndValidateRecords`), the producer splits
//! a batch of several records (`Sender.completeBatch` -> `RecordAccumulator.splitAndReenqueue`)
//! and fails a single record (`RecordTooLargeException`, not retried). Kafka 4.0/4.1 split into
//! `batch.size`, which gives an uncompressed batch back whole: it is refused again until
//! `delivery.timeout.ms` (KAFKA-8350); the fix (`producer.split_halves_split_batches`) halves a
//! batch that was already split, and everything is delivered.

use prodsim::{RunResult, RunSpec};

/// 2 s of 50 000 keyless 100-byte records per second (full 16 KiB batches of 148 records,
/// 16 277 bytes) against a `message.max.bytes` of 8000.
fn run(split_halves: bool) -> RunResult {
    let mut s = RunSpec {
        duration_ms: 2_000,
        ..RunSpec::default()
    };
    s.workload.rate = 50_000.0;
    s.cluster.message_max_bytes = 8_000;
    s.producer.delivery_timeout_ms = Some(40_000);
    s.producer.split_halves_split_batches = split_halves;
    prodsim::run(&s)
}

/// With KAFKA-8350's fix, batches of `batch.size` over an 8000-byte limit are split, split
/// again in halves, and every record is delivered once, in order. (Retries there are: the
/// idempotent batches in flight behind a refused one get OUT_OF_ORDER_SEQUENCE_NUMBER and are
/// retried, as in Kafka; the splits themselves count none.)
#[test]
fn with_the_fix_batches_over_the_limit_are_split_and_all_delivered() {
    let r = run(true);
    assert!(r.aborted.is_none(), "{:?}", r.aborted);
    assert_eq!(r.records_acked, r.records_sent, "{r:?}");
    assert!(r.records_sent >= 99_000);
    let d = &r.delivery;
    assert_eq!(
        (
            d.lost_acked,
            d.lost_failed,
            d.duplicates,
            d.reordered,
            d.phantom,
            d.pending
        ),
        (0, 0, 0, 0, 0, 0)
    );
    assert!(r.mean_batch_bytes > 8_000.0, "the batches were made over the limit");
}

/// Kafka 4.0/4.1 (the default): the split of a `batch.size` batch is the same batch, refused
/// again and again; its records fail at `delivery.timeout.ms` (told to the application: failed,
/// not lost), none is written, and only batches under the limit (linger-bound ones at the
/// start) are delivered.
#[test]
fn without_the_fix_full_batches_fail_at_the_delivery_timeout() {
    let r = run(false);
    assert!(r.aborted.is_none(), "{:?}", r.aborted);
    assert!(r.records_failed > r.records_sent * 9 / 10, "{r:?}");
    assert_eq!(r.records_acked + r.records_failed, r.records_sent);
    let d = &r.delivery;
    assert_eq!(
        (d.lost_acked, d.failed_present, d.duplicates, d.phantom, d.pending),
        (0, 0, 0, 0, 0)
    );
    assert!(r.end_ms >= 40_000, "records fail at delivery.timeout.ms: {}", r.end_ms);
}

/// A record whose batch alone is over the limit (8000-byte values, one per batch of
/// `batch.size` 8192) fails at its first answer: MESSAGE_TOO_LARGE on a single record is
/// `RecordTooLargeException`, not retried, not split; nothing is written.
#[test]
fn a_single_record_over_the_limit_fails_at_once() {
    let mut s = RunSpec {
        duration_ms: 1_000,
        ..RunSpec::default()
    };
    s.workload.rate = 200.0;
    s.workload.record_bytes = 8_000;
    s.producer.batch_size = 8_192;
    s.cluster.message_max_bytes = 8_000;
    let r = prodsim::run(&s);
    assert!(r.aborted.is_none(), "{:?}", r.aborted);
    assert_eq!(r.records_failed, r.records_sent, "{r:?}");
    assert_eq!(r.retries, 0);
    assert_eq!(r.mean_batch_records, 1.0);
    assert_eq!(r.delivery.failed_present, 0, "nothing was appended");
    assert!(
        r.resolve_max_ms < 100.0,
        "failed at the first answer: {} ms",
        r.resolve_max_ms
    );
}
