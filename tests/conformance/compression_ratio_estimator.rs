//! `CompressionRatioEstimatorTest` (clients/src/test/java/org/apache/kafka/common/record) and
//! the compressed cases of `RecordAccumulatorTest` (`testSplitBatchOffAccumulator`,
//! `testSplitAndReenqueue` with gzip): the estimator's update rule, the batch filling against
//! the estimated compressed size, and the split that resets the estimate.

use crate::common::{accumulator, append, spec};
use prodsim::config::CompressionType;
use prodsim::model::components::RatioEstimator;

/// `CompressionRatioEstimatorTest.testUpdateEstimation`: whatever the current estimate, the
/// updated one is never below the observed ratio (worse: +0.05 at least; better: -0.005 at
/// most).
#[test]
fn the_updated_estimate_is_never_below_the_observed_ratio() {
    for (current, observed) in [(0.8f32, 0.84f32), (0.6, 0.7), (0.6, 0.4), (0.004, 0.001)] {
        let mut e = RatioEstimator::default();
        e.set_estimation(current);
        let updated = e.update_estimation(observed);
        assert!(updated >= observed, "{current} {observed} -> {updated}");
    }
    // The steps themselves (COMPRESSION_RATIO_DETERIORATE_STEP, _IMPROVING_STEP).
    let mut e = RatioEstimator::default();
    e.set_estimation(0.8);
    assert_eq!(e.update_estimation(0.84), 0.8 + 0.05);
    e.set_estimation(0.6);
    assert_eq!(e.update_estimation(0.4), 0.6 - 0.005);
}

/// `RecordAccumulatorTest.testSplitBatchOffAccumulator` (`prepareSplitBatches`): with the
/// estimate set good (0.1) and records that do not compress, a gzip batch of `batch.size` 1024
/// takes records until 61 + uncompressed x 0.1 x 1.05 reaches 1024, so it is built far larger
/// than 1024; `splitAndReenqueue` resets the estimate to max(1.0, the batch's ratio) and splits
/// it into batches each estimated within 1024, off the accumulator.
#[test]
fn a_batch_filled_on_a_good_estimate_is_split_and_the_estimate_reset() {
    let mut s = spec();
    s.producer.batch_size = 1024;
    s.producer.buffer_memory = 3 * 1024;
    s.producer.compression_type = CompressionType::Gzip;
    s.workload.record_bytes = 100;
    s.workload.compression_ratio = 1.0; // bytesWithPoorCompression
    let mut a = accumulator(&s);
    a.ratio_estimator.set_estimation(0.1);
    let mut rec = 0;
    let (big, _, _) = append(&mut a, 0, 0, rec);
    while !a.batches[big as usize].is_full() {
        rec += 1;
        append(&mut a, 0, 0, rec);
    }
    let count = a.batches[big as usize].count;
    assert!(
        count > 60,
        "{count} records: the good estimate let the batch grow past 1024 bytes"
    );
    assert_eq!(a.pop_head(0), Some(big));
    let wire = a.close_for_send(big);
    assert!(wire > 6_000, "{wire}");
    let pieces = a.split_and_reenqueue(big);
    assert!(a.ratio_estimator.estimation() >= 1.0);
    assert!(pieces.len() >= 6, "{pieces:?}");
    let total: u32 = pieces.iter().map(|&p| a.batches[p as usize].count).sum();
    assert_eq!(total, count, "every record, once");
    for &p in &pieces {
        let b = &a.batches[p as usize];
        assert!(b.estimated_size() <= 1024 && b.split, "{b:?}");
    }
}

/// `RecordAccumulatorTest.testSplitFrequency` (the estimate's purpose): after a split, the
/// next batches are filled on the reset (pessimistic) estimate, so a stream of records that
/// does not compress is not split again.
#[test]
fn after_a_split_the_next_batches_fit() {
    let mut s = spec();
    s.producer.batch_size = 1024;
    s.producer.compression_type = CompressionType::Gzip;
    s.workload.compression_ratio = 1.0;
    let mut a = accumulator(&s);
    a.ratio_estimator.set_estimation(0.1);
    let mut rec = 0;
    let mut splits = 0;
    for _ in 0..50 {
        let (id, _, _) = append(&mut a, 0, 0, rec);
        rec += 1;
        while !a.batches[id as usize].is_full() {
            append(&mut a, 0, 0, rec);
            rec += 1;
        }
        a.pop_head(0);
        if a.close_for_send(id) > 1024 {
            splits += 1;
            a.split_and_reenqueue(id);
            while a.pop_head(0).is_some() {}
        }
    }
    assert_eq!(splits, 1, "only the batch built on the good estimate is split");
}
