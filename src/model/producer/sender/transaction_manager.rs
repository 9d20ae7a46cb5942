//! `TransactionManager` for the idempotent producer (no transactions): the producer id and
//! epoch, per-partition sequence numbers assigned at drain (reference 4.3), the last
//! acknowledged sequence, the batches whose sequence is in use (`inflightBatchesBySequence`),
//! the sequences whose fate is unknown (`markSequenceUnresolved` / `maybeResolveSequences`),
//! and the local epoch bump that restarts a partition's sequences (KIP-360,
//! `requestEpochBumpForPartition`, then `bumpIdempotentEpochAndResetIdIfNeeded` at the start of
//! the next sender loop, `startSequencesAtBeginning`).
//!
//! It decides on its own state; the sender applies the decisions to the batches. (An
//! "acknowledgements arrive in sequence order" invariant does not hold in Kafka: see
//! [`TransactionManager::batch_finished`].)

use crate::model::accumulator::{Batch, BatchId};
use std::collections::VecDeque;

/// The idempotent producer's sequence state.
#[derive(Clone, Debug)]
pub struct TransactionManager {
    /// `enable.idempotence` in effect.
    pub idempotent: bool,
    /// `producer.epoch_bump_waits_for_in_flight` (KAFKA-14034's unmerged fix): a batch that
    /// fails for good with `attempts < retries` marks its partition unresolved instead of
    /// requesting an epoch bump at once.
    pub bump_waits_for_in_flight: bool,
    /// The producer id (`InitProducerId` is not simulated: one id for the run).
    pub producer_id: u64,
    /// The current producer epoch.
    pub producer_epoch: u16,
    /// The epoch each partition's sequences belong to (`TxnPartitionEntry.producerIdAndEpoch`):
    /// after a bump, a partition that did not ask for it moves to the new epoch only once its
    /// unfinished batches of the old one are done (`maybeUpdateProducerIdAndEpoch`), so their
    /// retries keep deduplicating.
    partition_epoch: Vec<u16>,
    next_seq: Vec<i32>,
    last_acked_seq: Vec<i32>,
    /// Batches with a sequence of the partition's epoch, not yet completed, in sequence order
    /// (`inflightBatchesBySequence`: in flight or waiting for a retry).
    pending_seq: Vec<VecDeque<BatchId>>,
    /// `partitionsWithUnresolvedSequences`: the next sequence after a batch whose fate is
    /// unknown.
    unresolved: Vec<Option<i32>>,
    /// `epochBumpRequired`.
    bump_required: bool,
    /// `partitionsToRewriteSequences`, in request order.
    to_rewrite: Vec<usize>,
    /// Batches renumbered by a bump while a request with their old numbers was in flight
    /// (`ProducerBatch.sequenceHasBeenReset`, until that request's answer).
    reset: Vec<BatchId>,
}

impl TransactionManager {
    /// State for `partitions` partitions, producer id 1000, epoch 0, Kafka 4.x's epoch bump.
    pub fn new(partitions: usize, idempotent: bool) -> TransactionManager {
        TransactionManager {
            idempotent,
            bump_waits_for_in_flight: false,
            producer_id: 1000,
            producer_epoch: 0,
            partition_epoch: vec![0; partitions],
            next_seq: vec![0; partitions],
            last_acked_seq: vec![-1; partitions],
            pending_seq: vec![VecDeque::new(); partitions],
            unresolved: vec![None; partitions],
            bump_required: false,
            to_rewrite: Vec::new(),
            reset: Vec::new(),
        }
    }

    /// The same with `producer.epoch_bump_waits_for_in_flight` set to `wait` (KAFKA-14034's fix).
    pub fn with_bump_waiting_for_in_flight(mut self, wait: bool) -> TransactionManager {
        self.bump_waits_for_in_flight = wait;
        self
    }

    /// The next sequence partition `p` will stamp.
    pub fn next_sequence(&self, p: usize) -> i32 {
        self.next_seq[p]
    }

    /// The last sequence of partition `p` acknowledged in its current epoch (-1 for none).
    pub fn last_acked_sequence(&self, p: usize) -> i32 {
        self.last_acked_seq[p]
    }

    /// Whether partition `p` has a sequence whose fate is unknown.
    pub fn is_unresolved(&self, p: usize) -> bool {
        self.unresolved[p].is_some()
    }

    /// Whether an epoch bump waits for the next sender loop (`epochBumpRequired`).
    pub fn epoch_bump_required(&self) -> bool {
        self.bump_required
    }

    /// Whether the next sender loop has sequence work to do: a bump to apply, or an unresolved
    /// partition with nothing unfinished (`maybeResolveSequences` will settle it).
    pub fn has_work_for_next_loop(&self) -> bool {
        self.bump_required
            || self
                .unresolved
                .iter()
                .zip(&self.pending_seq)
                .any(|(u, q)| u.is_some() && q.is_empty())
    }

    /// Whether a batch stamped `(seq, epoch)` carries a sequence of partition `p`'s current
    /// epoch (otherwise it gets a new one at drain).
    pub fn is_numbered(&self, p: usize, seq: i32, epoch: u16) -> bool {
        seq >= 0 && epoch == self.partition_epoch[p]
    }

    /// `RecordAccumulator.shouldStopDrainBatchesForPartition`: a new batch waits while the
    /// partition's sequence is unresolved, while batches of an older epoch are in flight
    /// (`stale_in_flight`), or while the partition is moving to a new epoch and old-epoch
    /// batches are unfinished; a numbered (retried) batch goes only when it is the first
    /// unfinished sequence.
    pub fn should_stop_drain(
        &self,
        p: usize,
        head: BatchId,
        head_seq: i32,
        head_epoch: u16,
        stale_in_flight: bool,
    ) -> bool {
        if !self.is_numbered(p, head_seq, head_epoch) {
            let moving = self.partition_epoch[p] != self.producer_epoch;
            return self.unresolved[p].is_some() || stale_in_flight || (moving && !self.pending_seq[p].is_empty());
        }
        self.pending_seq[p].front().is_some_and(|&f| f != head)
    }

    /// Stamps batch `id` of `count` records drained for partition `p`: returns its `(base
    /// sequence, producer epoch)`. A partition whose old-epoch batches are all done moves to the
    /// current epoch first, its sequences restarting at 0 (`maybeUpdateProducerIdAndEpoch`).
    pub fn assign_sequence(&mut self, p: usize, id: BatchId, count: u32) -> (i32, u16) {
        if self.partition_epoch[p] != self.producer_epoch {
            self.partition_epoch[p] = self.producer_epoch;
            self.next_seq[p] = 0;
            self.last_acked_seq[p] = -1;
        }
        let seq = self.next_seq[p];
        self.next_seq[p] = seq.wrapping_add(count as i32);
        self.pending_seq[p].push_back(id);
        (seq, self.producer_epoch)
    }

    /// `TransactionManager.canRetry` for `OUT_OF_ORDER_SEQUENCE_NUMBER` (always retried by an
    /// idempotent producer): whether it is a real gap that asks for an epoch bump. With no
    /// unresolved sequence: the batch was not renumbered since it was sent
    /// (`sequenceHasBeenReset`) and is the next after the last acknowledged one
    /// (`isNextSequence`); otherwise: it is the batch right after the unresolved sequence
    /// (`isNextSequenceForUnresolvedPartition`). `reset`: from
    /// [`TransactionManager::take_reset`].
    pub fn is_sequence_gap(&self, p: usize, seq: i32, reset: bool) -> bool {
        match self.unresolved[p] {
            None => !reset && seq == self.last_acked_seq[p].wrapping_add(1),
            Some(next) => seq == next,
        }
    }

    /// Forgets batch `id`'s reset mark (its request was answered); returns whether it had one.
    pub fn take_reset(&mut self, id: BatchId) -> bool {
        match self.reset.iter().position(|&x| x == id) {
            Some(i) => {
                self.reset.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Batch `id` (`seq`, `count` records, stamped in `epoch`) of partition `p` finished:
    /// acknowledged (`handleCompletedBatch`: its last sequence becomes the last acknowledged
    /// one) or failed (`handleFailedBatch`: it only leaves the unfinished batches; whether its
    /// fate makes the partition unresolved or asks for a bump is the caller's, see
    /// [`TransactionManager::mark_unresolved`] and [`TransactionManager::request_epoch_bump`]).
    pub fn batch_finished(&mut self, p: usize, id: BatchId, seq: i32, count: u32, epoch: u16, acked: bool) {
        if !self.idempotent || seq < 0 || epoch != self.partition_epoch[p] {
            return;
        }
        if let Some(pos) = self.pending_seq[p].iter().position(|&x| x == id) {
            self.pending_seq[p].remove(pos);
        }
        if acked {
            // An acknowledgement may skip sequences: a broker with no state for this producer
            // (lost to a power loss, an unclean election or truncation) accepts any sequence
            // (`ProducerAppendInfo.checkSequence`: "If there is no current producer epoch ...
            // accept writes with any sequence number"). So no "acks arrive in sequence order"
            // invariant here; the checker sees the loss instead.
            let last_seq = seq.wrapping_add(count as i32 - 1);
            if last_seq > self.last_acked_seq[p] {
                self.last_acked_seq[p] = last_seq;
            }
        }
    }

    /// A batch split after `MESSAGE_TOO_LARGE` (`Sender.completeBatch`):
    /// `removeInFlightBatch(bigBatch)`, then `addInFlightBatch` for each new batch, which
    /// carries a part of the big batch's sequences (`RecordAccumulator.splitAndReenqueue`): they
    /// take its place among partition `p`'s unfinished batches, in order. A big batch of an older
    /// epoch was not tracked: its pieces are numbered again at drain.
    pub fn batch_split(&mut self, p: usize, big: BatchId, pieces: &[BatchId]) {
        if let Some(pos) = self.pending_seq[p].iter().position(|&x| x == big) {
            self.pending_seq[p].remove(pos);
            for (i, &b) in pieces.iter().enumerate() {
                self.pending_seq[p].insert(pos + i, b);
            }
        }
    }

    /// `TransactionManager.markSequenceUnresolved`: the batch (`seq`, `count` records, stamped
    /// in `epoch`) may or may not be on the broker; no new batch of partition `p` is drained
    /// until [`TransactionManager::maybe_resolve_sequences`] settles it.
    pub fn mark_unresolved(&mut self, p: usize, seq: i32, count: u32, epoch: u16) {
        if !self.idempotent || seq < 0 || epoch != self.partition_epoch[p] {
            return;
        }
        let next = seq.wrapping_add(count as i32);
        let u = self.unresolved[p].get_or_insert(next);
        *u = (*u).max(next);
    }

    /// `TransactionManager.requestEpochBumpForPartition`: the epoch is bumped, and partition
    /// `p`'s unfinished batches renumbered, at the start of the next sender loop
    /// ([`TransactionManager::bump_epoch_if_needed`]).
    pub fn request_epoch_bump(&mut self, p: usize) {
        self.bump_required = true;
        if !self.to_rewrite.contains(&p) {
            self.to_rewrite.push(p);
        }
    }

    /// `TransactionManager.handleFailedBatch` for an idempotent producer when it asks for an
    /// epoch bump: a batch of partition `p` failed for good with `OUT_OF_ORDER_SEQUENCE_NUMBER`,
    /// or with `attempts < retries` (`failBatch(batch, response, adjustSequenceNumbers = true)`,
    /// e.g. its answer came after `delivery.timeout.ms`). Kafka 4.x requests the bump at once
    /// (`requestEpochBumpForPartition`): the next loop renumbers the partition's unfinished
    /// batches, in flight or waiting for a retry, from sequence 0 of the new epoch, and one the
    /// broker already wrote is written again (KAFKA-14034). With `bump_waits_for_in_flight`
    /// (the unmerged fix, PR #13796) the batch marks the partition unresolved instead
    /// (`markSequenceUnresolved`): the bump waits until none of its batches is unfinished
    /// ([`TransactionManager::maybe_resolve_sequences`]).
    pub fn failed_asking_for_bump(&mut self, p: usize, seq: i32, count: u32, epoch: u16) {
        if !self.idempotent || seq < 0 {
            return;
        }
        if self.bump_waits_for_in_flight {
            self.mark_unresolved(p, seq, count, epoch);
        } else {
            self.request_epoch_bump(p);
        }
    }

    /// `TransactionManager.maybeResolveSequences` (first thing of each sender loop): each
    /// unresolved partition with no unfinished batch is resolved when its next sequence follows
    /// the last acknowledged one, and otherwise asks for an epoch bump.
    pub fn maybe_resolve_sequences(&mut self) {
        for p in 0..self.unresolved.len() {
            if self.unresolved[p].is_none() || !self.pending_seq[p].is_empty() {
                continue;
            }
            self.unresolved[p] = None;
            // isNextSequence(tp, sequenceNumber(tp))
            if self.next_seq[p].wrapping_sub(self.last_acked_seq[p]) != 1 {
                self.request_epoch_bump(p);
            }
        }
    }

    /// `TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded` /
    /// `bumpIdempotentProducerEpoch` (after [`TransactionManager::maybe_resolve_sequences`] in
    /// each sender loop): when a bump was requested, bumps the producer epoch locally (KIP-360)
    /// and restarts the sequences of each partition that asked at 0, renumbering its unfinished
    /// batches in order, in flight or not (`TxnPartitionEntry.startSequencesAtBeginning`);
    /// other partitions move to the new epoch when their own unfinished batches are done.
    /// Returns whether it bumped.
    pub fn bump_epoch_if_needed(&mut self, batches: &mut [Batch]) -> bool {
        if !self.bump_required {
            return false;
        }
        let epoch = self.producer_epoch.wrapping_add(1);
        self.producer_epoch = epoch;
        for p in std::mem::take(&mut self.to_rewrite) {
            self.partition_epoch[p] = epoch;
            let mut seq = 0i32;
            for &id in &self.pending_seq[p] {
                let b = &mut batches[id as usize];
                b.seq = seq;
                b.producer_epoch = epoch;
                seq = seq.wrapping_add(b.count as i32);
                if b.in_flight && !self.reset.contains(&id) {
                    self.reset.push(id);
                }
            }
            self.next_seq[p] = seq;
            self.last_acked_seq[p] = -1;
            self.unresolved[p] = None;
        }
        self.bump_required = false;
        true
    }

    /// Requests a bump for partition `p` and applies it at once
    /// ([`TransactionManager::request_epoch_bump`], then
    /// [`TransactionManager::bump_epoch_if_needed`]).
    pub fn bump_epoch(&mut self, p: usize, batches: &mut [Batch]) {
        self.request_epoch_bump(p);
        self.bump_epoch_if_needed(batches);
    }
}

/// The sequence logic alone (the conformance suite ports `TransactionManagerTest` itself).
#[cfg(test)]
mod tests {
    use super::*;

    fn tm() -> TransactionManager {
        TransactionManager::new(2, true)
    }

    /// Sequences start at 0 and
    /// advance by the batch's record count, per partition.
    #[test]
    fn sequences_advance_by_record_count_per_partition() {
        let mut t = tm();
        assert_eq!(t.assign_sequence(0, 1, 10), (0, 0));
        assert_eq!(t.assign_sequence(0, 2, 5), (10, 0));
        assert_eq!(t.assign_sequence(1, 3, 7), (0, 0));
        assert_eq!((t.next_sequence(0), t.next_sequence(1)), (15, 7));
    }

    /// Acknowledgements move the last acknowledged
    /// sequence forward; a duplicate (older) acknowledgement does not move it back.
    #[test]
    fn acknowledgements_move_the_last_acked_sequence() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.assign_sequence(0, 2, 10);
        t.batch_finished(0, 1, 0, 10, 0, true);
        assert_eq!(t.last_acked_sequence(0), 9);
        t.batch_finished(0, 2, 10, 10, 0, true);
        assert_eq!(t.last_acked_sequence(0), 19);
        t.batch_finished(0, 1, 0, 10, 0, true);
        assert_eq!(t.last_acked_sequence(0), 19);
    }

    /// A broker that lost this producer's state (power loss, unclean election) accepts any
    /// sequence: an acknowledgement may skip sequences, and the last acknowledged one jumps.
    #[test]
    fn an_acknowledgement_may_skip_sequences_after_broker_state_loss() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.assign_sequence(0, 2, 10);
        t.batch_finished(0, 2, 10, 10, 0, true);
        assert_eq!(t.last_acked_sequence(0), 19);
    }

    /// ...also after a batch before it failed without word from the broker (it may be there).
    #[test]
    fn an_acknowledgement_after_an_unknown_fate_is_accepted() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.assign_sequence(0, 2, 10);
        t.batch_finished(0, 1, 0, 10, 0, false);
        assert!(!t.is_unresolved(0), "a failure alone is not unresolved");
        t.mark_unresolved(0, 0, 10, 0);
        assert!(t.is_unresolved(0));
        t.batch_finished(0, 2, 10, 10, 0, true);
        assert_eq!(t.last_acked_sequence(0), 19);
        // Everything up to the next sequence was acknowledged: resolved without a bump.
        t.maybe_resolve_sequences();
        assert!(!t.epoch_bump_required());
        assert!(!t.is_unresolved(0));
    }

    /// KIP-360: a failed batch whose
    /// sequences were never acknowledged resolves, once nothing is in flight, to an epoch bump;
    /// the partition's unfinished batches are renumbered from 0 in the new epoch.
    #[test]
    fn unresolved_sequences_bump_the_epoch_and_renumber() {
        let mut t = tm();
        let mut batches = vec![Batch::default(); 4];
        for (id, count) in [(1u32, 10u32), (2, 5), (3, 5)] {
            batches[id as usize].count = count;
            let (seq, ep) = t.assign_sequence(0, id, count);
            batches[id as usize].seq = seq;
            batches[id as usize].producer_epoch = ep;
        }
        t.batch_finished(0, 1, 0, 10, 0, false);
        t.mark_unresolved(0, 0, 10, 0);
        t.maybe_resolve_sequences();
        assert!(!t.epoch_bump_required(), "not while numbered batches are unfinished");
        // Batches 2 and 3 fail too (e.g. expired); nothing pending now.
        t.batch_finished(0, 2, 10, 5, 0, false);
        t.maybe_resolve_sequences();
        assert!(!t.epoch_bump_required());
        t.batch_finished(0, 3, 15, 5, 0, false);
        t.maybe_resolve_sequences();
        assert!(t.epoch_bump_required(), "sequences never acknowledged: bump");
        assert!(t.bump_epoch_if_needed(&mut batches));
        assert_eq!(t.producer_epoch, 1);
        assert_eq!((t.next_sequence(0), t.last_acked_sequence(0)), (0, -1));
    }

    /// `startSequencesAtBeginning`: unfinished batches keep their order under new numbers.
    #[test]
    fn a_bump_renumbers_unfinished_batches_in_order() {
        let mut t = tm();
        let mut batches = vec![Batch::default(); 3];
        for (id, count) in [(1u32, 4u32), (2, 6)] {
            batches[id as usize].count = count;
            t.assign_sequence(0, id, count);
        }
        t.batch_finished(0, 1, 0, 4, 0, true);
        t.bump_epoch(0, &mut batches);
        assert_eq!((batches[2].seq, batches[2].producer_epoch), (0, 1));
        assert_eq!(t.next_sequence(0), 6);
        // The other partition moves to the new epoch at its next drain, from 0.
        assert_eq!(t.assign_sequence(1, 0, 3), (0, 1));
    }

    /// The drain rule (`RecordAccumulator.shouldStopDrainBatchesForPartition`): a retried batch goes only first in line; a new
    /// batch waits while the partition is unresolved or old-epoch batches are in flight.
    #[test]
    fn drain_stops_for_out_of_turn_retries_and_unresolved_partitions() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.assign_sequence(0, 2, 10);
        assert!(!t.should_stop_drain(0, 1, 0, 0, false), "first in line");
        assert!(t.should_stop_drain(0, 2, 10, 0, false), "behind batch 1");
        assert!(!t.should_stop_drain(0, 9, -1, 0, false), "a new batch may go");
        assert!(
            t.should_stop_drain(0, 9, -1, 0, true),
            "not with old-epoch requests in flight"
        );
        t.mark_unresolved(0, 0, 10, 0);
        assert!(t.should_stop_drain(0, 9, -1, 0, false), "not while unresolved");
    }

    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` right after the last acknowledged sequence is a gap,
    /// unless the batch was renumbered since it was sent; with an unresolved sequence, only the
    /// batch right after it is.
    #[test]
    fn an_out_of_order_right_after_the_last_ack_is_a_gap() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.batch_finished(0, 1, 0, 10, 0, true);
        assert!(t.is_sequence_gap(0, 10, false));
        assert!(!t.is_sequence_gap(0, 20, false));
        assert!(!t.is_sequence_gap(0, 10, true), "renumbered since it was sent");
        t.assign_sequence(0, 2, 10);
        t.mark_unresolved(0, 10, 10, 0);
        assert!(t.is_sequence_gap(0, 20, false), "right after the unresolved sequence");
        assert!(!t.is_sequence_gap(0, 10, false));
    }

    /// KAFKA-14034: Kafka 4.x asks for a bump when a batch fails for good with attempts left,
    /// and the bump renumbers the partition's in-flight batches; the fix marks the partition
    /// unresolved instead.
    #[test]
    fn a_failed_batch_asks_for_a_bump_unless_the_fix_is_on() {
        let mut batches = vec![Batch::default(); 3];
        for wait in [false, true] {
            let mut t = tm().with_bump_waiting_for_in_flight(wait);
            for (id, count) in [(1u32, 10u32), (2, 5)] {
                batches[id as usize].count = count;
                let (seq, ep) = t.assign_sequence(0, id, count);
                batches[id as usize].seq = seq;
                batches[id as usize].producer_epoch = ep;
            }
            batches[2].in_flight = true;
            t.batch_finished(0, 1, 0, 10, 0, false);
            t.failed_asking_for_bump(0, 0, 10, 0);
            t.maybe_resolve_sequences();
            assert_eq!(t.bump_epoch_if_needed(&mut batches), !wait);
            if wait {
                assert!(t.is_unresolved(0));
                assert_eq!((batches[2].seq, batches[2].producer_epoch), (10, 0));
            } else {
                assert_eq!(
                    (batches[2].seq, batches[2].producer_epoch),
                    (0, 1),
                    "renumbered in flight"
                );
                assert!(t.take_reset(2));
            }
        }
    }
}
