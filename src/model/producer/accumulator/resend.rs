//! The application's re-send of records whose outcome was a failure
//! (`workload.resend_failed_attempts`): `send()` again, as a new record to the producer.

use super::{Accumulator, Batch, BatchId};
use crate::sim::SimTime;

/// Records `[start, start + count)` of `partition` the application sends again: their size
/// (`bytes`, the failed batch's exact v2 size) and how many times they were re-sent before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resend {
    pub(crate) partition: u32,
    pub(crate) start: u64,
    pub(crate) count: u32,
    pub(crate) bytes: u32,
    /// This re-send's number (1 for the first).
    pub(crate) resends: u32,
    /// Sync threads whose `get()` waits for these records.
    pub(crate) sync_waiters: u32,
}

impl Accumulator {
    /// Appends the re-sent records as one batch of their own, `None` when `buffer.memory` has
    /// no room for a new batch (`send()` blocks). In Kafka each re-sent record is a new
    /// `send()` that joins the partition's open batch; the model keeps a record's identity
    /// (its per-partition send sequence), and a batch holds consecutive identities, so the
    /// re-sent range is a batch of its own: closed (sendable at once, as a record closing a
    /// batch makes it), with the same records and bytes, queued just before the partition's
    /// open batch (whose records Kafka would send with it) so that the open batch keeps
    /// filling. A new `ProducerBatch`: new `createdMs` (`delivery.timeout.ms` counts again), no
    /// sequence until drained (the idempotent producer numbers it as new records). The sticky
    /// partitioner does not count its bytes.
    pub(crate) fn append_resend(&mut self, r: &Resend, now: SimTime) -> Option<BatchId> {
        let reserve = self.batch_size.max(self.estimate) as u64;
        if self.free_memory < reserve {
            return None;
        }
        self.free_memory -= reserve;
        let batch = Batch {
            write_limit: (reserve as u32).max(r.bytes),
            closed: true,
            sync_waiters: r.sync_waiters,
            resends: r.resends,
            ..self.fresh_batch(r.partition, r.start, r.count, r.bytes, reserve, now)
        };
        let id = self.insert_batch(batch);
        let dq = &mut self.deques[r.partition as usize];
        let open_at_back = dq.back().is_some_and(|&b| !self.batches[b as usize].closed);
        if open_at_back {
            dq.insert(dq.len() - 1, id);
        } else {
            dq.push_back(id);
        }
        self.batches_created += 1;
        self.records_batched += r.count as u64;
        self.bytes_batched += r.bytes as u64;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunSpec;
    use crate::model::accumulator::Append;
    use crate::sim::rng_stream;

    /// A re-sent range is a closed batch of its own queued before the open batch, which keeps
    /// taking records; it takes `buffer.memory` like a new batch, and waits when there is none.
    #[test]
    fn a_resent_range_queues_before_the_open_batch_and_takes_memory() {
        let spec = RunSpec::default();
        let mut a = Accumulator::new(&spec, rng_stream(1, crate::sim::Stream::Partitioner));
        for rec in 0..3 {
            assert!(matches!(a.append(0, 0, 0, rec), Append::Done { .. }));
        }
        let open = *a.deques[0].back().unwrap();
        let r = Resend {
            partition: 0,
            start: 100,
            count: 5,
            bytes: 400,
            resends: 1,
            sync_waiters: 0,
        };
        let free = a.free_memory;
        let id = a.append_resend(&r, 7).unwrap();
        assert_eq!(a.deques[0].iter().copied().collect::<Vec<_>>(), [id, open]);
        let b = &a.batches[id as usize];
        assert!(b.closed && b.seq == -1 && b.created == 7);
        assert_eq!((b.rec_start, b.count, b.bytes, b.resends), (100, 5, 400, 1));
        assert_eq!(a.free_memory, free - b.reserved);
        // The open batch still takes the next record (identity 3).
        assert!(matches!(a.append(0, 0, 0, 3), Append::Done { batch, .. } if batch == open));
        a.free_memory = 0;
        assert_eq!(a.append_resend(&r, 8), None, "no memory: send() blocks");
    }
}
