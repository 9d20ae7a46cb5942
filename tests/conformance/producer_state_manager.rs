//! `ProducerStateManagerTest` (storage/src/test/java/org/apache/kafka/storage/internals/log):
//! the broker's per-producer state that makes the idempotent producer's retries safe
//! (`ProducerAppendInfo.checkSequence`, five retained batches), on prodsim's [`PartitionLog`].
//! Answers `SenderTest.testCorrectHandlingOfDuplicateSequenceError`'s broker side: a duplicate
//! gets success with the original offset (Kafka's `DUPLICATE_SEQUENCE_NUMBER` is never seen by
//! a 2.x+ client: the broker answers the duplicate as a success).

use crate::common::{entry, pid};
use prodsim::model::components::{ms, PartitionLog, ProducerInfo, SequenceCheck, NUM_BATCHES_TO_RETAIN};

/// A log with `batches` batches of 5 records from producer 1000, epoch 0, sequences 0, 5, ...
fn log_with(batches: i32) -> PartitionLog {
    let mut l = PartitionLog::default();
    l.assign_epoch_start(0);
    for i in 0..batches {
        l.append(entry(5, 0, pid(0, 5 * i)), ms(5000), 0);
    }
    l
}

/// `ProducerStateManagerTest.testBasicIdMapping`: the next batch must carry the next sequence;
/// anything else is `OUT_OF_ORDER_SEQUENCE_NUMBER`.
#[test]
fn the_next_sequence_is_accepted_and_a_gap_is_out_of_order() {
    let l = log_with(1);
    assert_eq!(l.check_sequence(pid(0, 5), 5), SequenceCheck::Accept);
    assert_eq!(l.check_sequence(pid(0, 7), 5), SequenceCheck::OutOfOrder);
}

/// `SenderTest.testCorrectHandlingOfDuplicateSequenceError` (broker side,
/// `ProducerStateEntry.findDuplicateBatch`): a retry of one of the last five batches is a
/// duplicate, answered with the original base offset; an older one is out of order.
#[test]
fn a_retry_of_a_retained_batch_is_a_duplicate() {
    let l = log_with(7);
    assert_eq!(
        l.check_sequence(pid(0, 30), 5),
        SequenceCheck::Duplicate { base_offset: 30 }
    );
    let oldest_retained = 5 * (7 - NUM_BATCHES_TO_RETAIN as i32);
    assert_eq!(
        l.check_sequence(pid(0, oldest_retained), 5),
        SequenceCheck::Duplicate {
            base_offset: oldest_retained as u64
        }
    );
    assert_eq!(
        l.check_sequence(pid(0, 0), 5),
        SequenceCheck::OutOfOrder,
        "no longer retained"
    );
}

/// `ProducerStateManagerTest.testProducerSequenceWrapAround`: after `Integer.MAX_VALUE` the
/// next sequence is 0.
#[test]
fn the_sequence_after_max_is_zero() {
    let mut l = PartitionLog::default();
    l.assign_epoch_start(0);
    l.append(entry(1, 0, pid(0, i32::MAX)), ms(5000), 0);
    assert_eq!(l.check_sequence(pid(0, 0), 1), SequenceCheck::Accept);
    assert_eq!(l.check_sequence(pid(0, 1), 1), SequenceCheck::OutOfOrder);
}

/// `UnifiedLogTest.testOldProducerEpoch` and `ProducerStateManagerTest
/// .testOutOfSequenceAfterControlRecordEpochBump` (`checkProducerEpoch`, `checkSequence`): an
/// older epoch is `INVALID_PRODUCER_EPOCH`; a newer one must start at sequence 0.
#[test]
fn epochs_fence_older_producers_and_restart_sequences() {
    let l = log_with(2);
    assert_eq!(l.check_sequence(pid(1, 0), 5), SequenceCheck::Accept);
    assert_eq!(l.check_sequence(pid(1, 10), 5), SequenceCheck::OutOfOrder);
    let mut l = l;
    l.append(entry(5, 0, pid(1, 0)), ms(5000), 0);
    assert_eq!(l.check_sequence(pid(0, 10), 5), SequenceCheck::InvalidEpoch);
}

/// `ProducerStateManagerTest.testAcceptAppendWithoutProducerStateOnReplica` /
/// `testNoValidationOnFirstEntryWhenLoadingLog`: with no state for the producer any sequence is
/// accepted; a batch without a producer id is never checked.
#[test]
fn no_state_accepts_any_sequence() {
    let l = PartitionLog::default();
    assert_eq!(l.check_sequence(pid(0, 42), 5), SequenceCheck::Accept);
    let l = log_with(1);
    assert_eq!(l.check_sequence(ProducerInfo::default(), 5), SequenceCheck::Accept);
}
