//! `TransactionManagerTest` (clients/src/test/java/org/apache/kafka/clients/producer/internals):
//! the idempotent producer's sequences, acknowledgements, unresolved sequences and epoch bumps,
//! on prodsim's [`TransactionManager`] alone. Transactions are not modelled (see the suite's
//! module doc): only the idempotent cases are ported.

use prodsim::model::components::{Batch, TransactionManager};

fn tm() -> TransactionManager {
    TransactionManager::new(2, true)
}

/// Stamps batch `id` of `count` records of partition `p` as the drain would.
fn stamp(t: &mut TransactionManager, batches: &mut [Batch], p: usize, id: u32, count: u32) -> (i32, u16) {
    batches[id as usize].count = count;
    let (seq, epoch) = t.assign_sequence(p, id, count);
    batches[id as usize].seq = seq;
    batches[id as usize].producer_epoch = epoch;
    (seq, epoch)
}

/// `TransactionManagerTest.testDefaultSequenceNumber`: sequences start at 0 and advance by the
/// record count, per partition.
#[test]
fn sequences_start_at_zero_and_advance_by_record_count() {
    let mut t = tm();
    assert_eq!(t.next_sequence(0), 0);
    assert_eq!(t.assign_sequence(0, 1, 3), (0, 0));
    assert_eq!(t.assign_sequence(0, 2, 4), (3, 0));
    assert_eq!(t.next_sequence(0), 7);
    assert_eq!(t.next_sequence(1), 0, "per partition");
}

/// `TransactionManagerTest.testSequenceNumberOverflow`: the sequence wraps from
/// `Integer.MAX_VALUE` to 0 (`DefaultRecordBatch.incrementSequence`).
#[test]
#[ignore = "deviation (issue 10): sequence overflow: prodsim's next sequence wraps to i32::MIN, Kafka's to 0 (after 2^31 records of one partition)"]
fn the_sequence_wraps_to_zero() {
    let mut t = tm();
    t.assign_sequence(0, 1, i32::MAX as u32);
    assert_eq!(t.next_sequence(0), i32::MAX);
    assert_eq!(t.assign_sequence(0, 2, 1), (i32::MAX, 0));
    assert_eq!(t.next_sequence(0), 0);
}

/// `TransactionManagerTest.testBumpEpochAndResetSequenceNumbersAfterUnknownProducerId`: a bump
/// moves to the next epoch and restarts the partition's sequences at 0, renumbering its
/// unfinished batches in order.
#[test]
fn a_bump_restarts_sequences_and_renumbers_unfinished_batches() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 4];
    stamp(&mut t, &mut b, 0, 1, 5);
    stamp(&mut t, &mut b, 0, 2, 7);
    stamp(&mut t, &mut b, 0, 3, 2);
    t.batch_finished(0, 1, 0, 5, 0, true);
    t.bump_epoch(0, &mut b);
    assert_eq!(t.producer_epoch, 1);
    assert_eq!((b[2].seq, b[2].producer_epoch), (0, 1));
    assert_eq!((b[3].seq, b[3].producer_epoch), (7, 1));
    assert_eq!((t.next_sequence(0), t.last_acked_sequence(0)), (9, -1));
}

/// `TransactionManagerTest.testBatchCompletedAfterProducerReset` / `testBatchFailureAfterProducerReset`:
/// a batch of the old epoch finishing after the bump (acknowledged or failed) changes nothing
/// in the new epoch's state.
#[test]
fn an_old_epoch_batch_finishing_after_a_bump_is_ignored() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 3];
    stamp(&mut t, &mut b, 0, 1, 5);
    t.bump_epoch(0, &mut b); // batch 1 renumbered into epoch 1
    stamp(&mut t, &mut b, 1, 2, 4); // partition 1 moves to epoch 1 at its next drain
    t.batch_finished(1, 9, 10, 5, 0, true);
    assert_eq!(t.last_acked_sequence(1), -1, "an epoch-0 ack is ignored");
    t.batch_finished(1, 9, 10, 5, 0, false);
    t.mark_unresolved(1, 10, 5, 0);
    assert!(!t.is_unresolved(1), "an epoch-0 failure is ignored");
}

/// `TransactionManagerTest.testEpochBumpAfterLastInflightBatchFails`: an expired batch in retry
/// leaves its sequence unresolved (`markSequenceUnresolved`); when the last in-flight batch
/// fails too, nothing was acknowledged past it: `maybeResolveSequences` asks for a bump.
#[test]
fn unresolved_sequences_resolve_to_a_bump_when_the_last_batch_fails() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 3];
    stamp(&mut t, &mut b, 0, 1, 5);
    stamp(&mut t, &mut b, 0, 2, 5);
    t.batch_finished(0, 1, 0, 5, 0, false);
    t.mark_unresolved(0, 0, 5, 0);
    assert!(t.is_unresolved(0));
    t.maybe_resolve_sequences();
    assert!(t.is_unresolved(0), "not while a batch is in flight");
    t.batch_finished(0, 2, 5, 5, 0, false);
    t.maybe_resolve_sequences();
    assert!(t.epoch_bump_required(), "bump");
    assert!(!t.is_unresolved(0));
    assert!(t.bump_epoch_if_needed(&mut b));
    assert_eq!(t.producer_epoch, 1);
}

/// `TransactionManagerTest.testNoProducerIdResetAfterLastInFlightBatchSucceeds`: the last
/// in-flight batch is acknowledged past the unresolved sequence: no bump.
#[test]
fn no_bump_when_the_last_in_flight_batch_succeeds() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 3];
    stamp(&mut t, &mut b, 0, 1, 5);
    stamp(&mut t, &mut b, 0, 2, 5);
    t.batch_finished(0, 1, 0, 5, 0, false);
    t.mark_unresolved(0, 0, 5, 0);
    t.batch_finished(0, 2, 5, 5, 0, true);
    t.maybe_resolve_sequences();
    assert!(!t.epoch_bump_required());
    assert!(!t.is_unresolved(0));
    assert_eq!(t.producer_epoch, 0);
}

/// `TransactionManagerTest.testHealthyPartitionRetriesDuringEpochBump`: after a bump caused by
/// partition 0, partition 1's unfinished batch keeps its old-epoch sequence for its retries,
/// and partition 1's new batches wait until it is done; then partition 1 moves to the new
/// epoch from sequence 0.
#[test]
fn a_healthy_partition_keeps_its_sequences_during_a_bump() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 5];
    stamp(&mut t, &mut b, 0, 1, 5);
    stamp(&mut t, &mut b, 1, 2, 5);
    t.bump_epoch(0, &mut b);
    assert!(
        t.is_numbered(1, b[2].seq, b[2].producer_epoch),
        "keeps its epoch-0 sequence"
    );
    assert!(
        !t.should_stop_drain(1, 2, b[2].seq, b[2].producer_epoch, false),
        "its retry may go"
    );
    assert!(t.should_stop_drain(1, 3, -1, 0, false), "a new batch waits");
    t.batch_finished(1, 2, 0, 5, 0, true);
    assert!(!t.should_stop_drain(1, 3, -1, 0, false));
    assert_eq!(t.assign_sequence(1, 3, 4), (0, 1));
}

/// `TransactionManagerTest.testFailedInflightBatchAfterEpochBump`: an old-epoch batch failing
/// after the bump does not make the partition's new sequences unresolved.
#[test]
fn an_old_epoch_failure_after_a_bump_leaves_the_partition_resolved() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 3];
    stamp(&mut t, &mut b, 0, 1, 5);
    t.batch_finished(0, 1, 0, 5, 0, false);
    t.mark_unresolved(0, 0, 5, 0);
    t.maybe_resolve_sequences();
    assert!(t.bump_epoch_if_needed(&mut b));
    stamp(&mut t, &mut b, 0, 2, 5);
    t.batch_finished(0, 1, 0, 5, 0, false); // the old batch's late failure
    t.mark_unresolved(0, 0, 5, 0);
    assert!(!t.is_unresolved(0));
    assert_eq!(t.next_sequence(0), 5);
}

/// `TransactionManagerTest.testBumpEpochAfterTimeoutWithoutPendingInflightRequests`: with
/// nothing in flight, an unresolved sequence resolves at once, to a bump when unacknowledged.
#[test]
fn an_unresolved_sequence_with_nothing_in_flight_bumps_at_once() {
    let mut t = tm();
    let mut b = vec![Batch::default(); 2];
    stamp(&mut t, &mut b, 0, 1, 5);
    t.batch_finished(0, 1, 0, 5, 0, false);
    t.mark_unresolved(0, 0, 5, 0);
    t.maybe_resolve_sequences();
    assert!(t.epoch_bump_required());
    // The same after an acknowledgement of everything: nothing to bump.
    let mut t = tm();
    stamp(&mut t, &mut b, 0, 1, 5);
    t.mark_unresolved(0, 0, 5, 0);
    t.batch_finished(0, 1, 0, 5, 0, true);
    t.maybe_resolve_sequences();
    assert!(!t.epoch_bump_required());
}
