//! `TransactionManager` for the idempotent producer (no transactions): the producer id and
//! epoch, per-partition sequence numbers assigned at drain (reference 4.3), the last
//! acknowledged sequence, the batches whose sequence is in use, the sequences whose fate is
//! unknown (`maybeResolveSequences`), and the local epoch bump that restarts a partition's
//! sequences (KIP-360, `bumpIdempotentEpochAndResetIdIfNeeded` /
//! `startSequencesAtBeginning`).
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
    /// The producer id (`InitProducerId` is not simulated: one id for the run).
    pub producer_id: u64,
    /// The current producer epoch.
    pub producer_epoch: u16,
    /// The epoch each partition's sequences belong to (`TxnPartitionEntry.producerIdAndEpoch`):
    /// after a bump, a partition moves to the new epoch only once its unfinished batches of the
    /// old one are done, so their retries keep deduplicating.
    partition_epoch: Vec<u16>,
    next_seq: Vec<i32>,
    last_acked_seq: Vec<i32>,
    /// Batches with a sequence of the partition's epoch, not yet completed, in sequence order
    /// (`inflightBatchesBySequence`).
    pending_seq: Vec<VecDeque<BatchId>>,
    /// Last sequence of a batch whose fate is unknown (failed or expired after it was sent).
    unresolved: Vec<Option<i32>>,
}

impl TransactionManager {
    /// State for `partitions` partitions, producer id 1000, epoch 0.
    pub fn new(partitions: usize, idempotent: bool) -> TransactionManager {
        TransactionManager {
            idempotent,
            producer_id: 1000,
            producer_epoch: 0,
            partition_epoch: vec![0; partitions],
            next_seq: vec![0; partitions],
            last_acked_seq: vec![-1; partitions],
            pending_seq: vec![VecDeque::new(); partitions],
            unresolved: vec![None; partitions],
        }
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

    /// An `OUT_OF_ORDER_SEQUENCE_NUMBER` for the batch right after the last acknowledged one,
    /// in the current epoch: a real gap (the broker lost batches that were acknowledged).
    pub fn is_sequence_gap(&self, p: usize, seq: i32, epoch: u16) -> bool {
        epoch == self.producer_epoch && seq == self.last_acked_seq[p].wrapping_add(1)
    }

    /// Batch `id` (`seq`, `count` records, stamped in `epoch`) of partition `p` finished:
    /// acknowledged (its last sequence becomes the last acknowledged one) or failed (its fate on
    /// the broker is unknown until resolved).
    pub fn batch_finished(&mut self, p: usize, id: BatchId, seq: i32, count: u32, epoch: u16, acked: bool) {
        if !self.idempotent || seq < 0 || epoch != self.partition_epoch[p] {
            return;
        }
        if let Some(pos) = self.pending_seq[p].iter().position(|&x| x == id) {
            self.pending_seq[p].remove(pos);
        }
        let last_seq = seq.wrapping_add(count as i32 - 1);
        if acked {
            // An acknowledgement may skip sequences: a broker with no state for this producer
            // (lost to a power loss, an unclean election or truncation) accepts any sequence
            // (`ProducerAppendInfo.checkSequence`: "If there is no current producer epoch ...
            // accept writes with any sequence number"). So no "acks arrive in sequence order"
            // invariant here; the checker sees the loss instead.
            if last_seq > self.last_acked_seq[p] {
                self.last_acked_seq[p] = last_seq;
            }
        } else {
            let u = self.unresolved[p].get_or_insert(last_seq);
            *u = (*u).max(last_seq);
        }
    }

    /// `TransactionManager.maybeResolveSequences` for partition `p` once nothing of it is in
    /// flight (`in_flight_empty`) and no numbered batch waits for a retry: true when the
    /// unknown sequences were not all acknowledged, so the epoch must be bumped.
    pub fn maybe_resolve(&mut self, p: usize, in_flight_empty: bool) -> bool {
        let Some(u) = self.unresolved[p] else {
            return false;
        };
        // Resolve only once no batch with a sequence of this epoch is unfinished, including
        // batches waiting to be retried: a retry of a batch the broker already has must go out
        // with its original sequence, to be recognised as a duplicate.
        if !in_flight_empty || !self.pending_seq[p].is_empty() {
            return false;
        }
        self.unresolved[p] = None;
        self.last_acked_seq[p] < u
    }

    /// Bumps the producer epoch locally (KIP-360) and restarts partition `p`'s sequences at 0,
    /// renumbering its unfinished batches in order; other partitions move to the new epoch when
    /// their own unfinished batches are done.
    pub fn bump_epoch(&mut self, p: usize, batches: &mut [Batch]) {
        let epoch = self.producer_epoch.wrapping_add(1);
        self.producer_epoch = epoch;
        self.partition_epoch[p] = epoch;
        let mut seq = 0i32;
        for &id in &self.pending_seq[p] {
            let b = &mut batches[id as usize];
            b.seq = seq;
            b.producer_epoch = epoch;
            seq = seq.wrapping_add(b.count as i32);
        }
        self.next_seq[p] = seq;
        self.last_acked_seq[p] = -1;
        self.unresolved[p] = None;
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

    /// ...unless a batch before it failed without word from the broker (it may be there).
    #[test]
    fn an_acknowledgement_after_an_unknown_fate_is_accepted() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.assign_sequence(0, 2, 10);
        t.batch_finished(0, 1, 0, 10, 0, false);
        assert!(t.is_unresolved(0));
        t.batch_finished(0, 2, 10, 10, 0, true);
        assert_eq!(t.last_acked_sequence(0), 19);
        // Everything up to the unknown batch was acknowledged: resolved without a bump.
        assert!(!t.maybe_resolve(0, true));
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
        assert!(!t.maybe_resolve(0, false), "not while something is in flight");
        assert!(!t.maybe_resolve(0, true), "not while numbered batches wait");
        // Batches 2 and 3 fail too (e.g. expired); nothing pending now.
        t.batch_finished(0, 2, 10, 5, 0, false);
        assert!(!t.maybe_resolve(0, true));
        t.batch_finished(0, 3, 15, 5, 0, false);
        assert!(t.maybe_resolve(0, true), "sequences never acknowledged: bump");
        t.bump_epoch(0, &mut batches);
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
        t.batch_finished(0, 1, 0, 10, 0, false);
        assert!(t.should_stop_drain(0, 9, -1, 0, false), "not while unresolved");
    }

    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` right after the last acknowledged sequence is a gap.
    #[test]
    fn an_out_of_order_right_after_the_last_ack_is_a_gap() {
        let mut t = tm();
        t.assign_sequence(0, 1, 10);
        t.batch_finished(0, 1, 0, 10, 0, true);
        assert!(t.is_sequence_gap(0, 10, 0));
        assert!(!t.is_sequence_gap(0, 20, 0));
        assert!(!t.is_sequence_gap(0, 10, 1), "another epoch");
    }
}
