//! `ProducerBatch.split` and `RecordAccumulator.splitAndReenqueue`: a batch the leader refused
//! with `MESSAGE_TOO_LARGE` is cut into batches of `batch.size` that go back to the front of
//! its partition's deque (reference 3.5, 5.4).

use super::{Accumulator, Batch, BatchId};
use crate::model::compression::estimated_bytes_written;
use crate::model::record_batch::{record_size, RECORD_BATCH_OVERHEAD};
use crate::sim::{SimTime, NS_PER_MS};

impl Accumulator {
    /// `ProducerBatch.split(splitBatchSize)`: batch `id`'s records, in order, refilled into new
    /// batches with `MemoryRecordsBuilder.hasRoomFor` (the first record of a batch always
    /// fits; the next one if the batch stays within its buffer). Each new batch is
    /// `createBatchOffAccumulatorForRecord`: a buffer of `max(record upper bound,
    /// splitBatchSize)` allocated off the `BufferPool` (it holds no `buffer.memory`:
    /// `RecordAccumulator.deallocate` skips split batches), `createdMs` kept from the big batch
    /// (`delivery.timeout.ms` still counts from the first record's batch), closed for appends,
    /// never tried. With a sequence, the big batch's base sequence is handed on in order
    /// (`setProducerState(producerIdAndEpoch, sequence, ...)`, `sequence += recordCount`).
    /// Returns the new batches in record order; batch `id` itself is left as it was (the
    /// caller releases it).
    ///
    /// The model keeps no per-record timestamp: a batch that fits the new buffer whole is
    /// re-made as it was (its bytes are exact); otherwise record timestamps are spread evenly
    /// between the batch's first and last `send()`, which only matters for the size of a
    /// record's timestamp delta (1 byte below 64 ms from its batch's first record).
    pub fn split(&mut self, id: BatchId, split_batch_size: u32) -> Vec<BatchId> {
        let big = self.batches[id as usize].clone();
        assert!(big.count > 0, "Cannot split an empty producer batch.");
        let limit = split_batch_size.max(self.estimate);
        let n = big.count as u64;
        let last_ts_ms = (big.last_sent / NS_PER_MS).max(big.base_ts_ms);
        // The i-th record's send time and timestamp (evenly spread, exact at both ends).
        let spread = |i: u64, a: u64, b: u64| {
            if n > 1 {
                a + ((b - a) as u128 * i as u128 / (n - 1) as u128) as u64
            } else {
                a
            }
        };
        let sent_at = |i: u64| -> SimTime { spread(i, big.first_sent, big.last_sent.max(big.first_sent)) };
        let ts_ms = |i: u64| spread(i, big.base_ts_ms, last_ts_ms);
        // (first record index, records, bytes) of each new batch.
        let mut pieces: Vec<(u64, u32, u32)> = Vec::new();
        // `createBatchOffAccumulatorForRecord`: each new batch takes the estimator's value now.
        let compressed = big.compressed;
        let est_ratio = self.ratio_estimator.estimation();
        if big.bytes <= limit && !compressed {
            // Every prefix fits, so hasRoomFor re-makes the same batch.
            pieces.push((0, big.count, big.bytes));
        } else {
            let mut cur: Option<(u64, u32, u32)> = None;
            for i in 0..n {
                if let Some((start, count, bytes)) = cur.as_mut() {
                    let delta = ts_ms(i) - ts_ms(*start);
                    let size = record_size(*count, delta as i64, self.key, self.value);
                    if estimated_bytes_written(*bytes, compressed, est_ratio) + size <= limit {
                        *count += 1;
                        *bytes += size;
                        continue;
                    }
                    pieces.push((*start, *count, *bytes));
                }
                cur = Some((i, 1, RECORD_BATCH_OVERHEAD + record_size(0, 0, self.key, self.value)));
            }
            pieces.extend(cur);
        }
        let mut seq = big.seq;
        let mut out = Vec::with_capacity(pieces.len());
        for (start, count, bytes) in pieces {
            let last = start + count as u64 - 1;
            let batch = Batch {
                partition: big.partition,
                rec_start: big.rec_start + start,
                count,
                bytes,
                write_limit: limit,
                reserved: 0,
                created: big.created,
                first_sent: sent_at(start),
                last_sent: sent_at(last),
                base_ts_ms: ts_ms(start),
                closed: true,
                attempts: 0,
                retrying: false,
                backoff_until: 0,
                seq: if big.seq >= 0 { seq } else { -1 },
                producer_epoch: big.producer_epoch,
                in_flight: false,
                done: false,
                leader_epoch_at_attempt: 0,
                sync_waiters: big.sync_waiters,
                split: true,
                compressed,
                est_ratio,
                wire_bytes: 0,
                resends: big.resends,
            };
            seq = seq.wrapping_add(count as i32);
            out.push(self.insert_batch(batch));
        }
        out
    }

    /// `RecordAccumulator.splitAndReenqueue`: [`Accumulator::split`] into `batch.size`, then
    /// the new batches go back to the front of the partition's deque, last first
    /// (`dq.pollLast()`), so they keep their order ahead of newer batches: with idempotence in
    /// sequence order (`insertInSequenceOrder`), otherwise `addFirst`. "We treat the newly
    /// split batches as if they are not even tried": no attempt is counted, no backoff. Returns
    /// the new batches in record order; batch `id` is left for the caller to release
    /// (`Sender.maybeRemoveAndDeallocateBatch`).
    ///
    /// The model's batches never hold more than `batch.size` bytes with more than one record
    /// (no compression), so Kafka 4.0 / 4.1's split into `batch.size` makes one batch, the same
    /// records again, refused again until `delivery.timeout.ms` (KAFKA-8350). Its fix (PR
    /// #20358, after 4.1; `producer.split_halves_split_batches`) splits a batch that was already
    /// split into `max(bigBatch.maxRecordSize, bigBatch.estimatedSizeInBytes() / 2)`.
    pub fn split_and_reenqueue(&mut self, id: BatchId) -> Vec<BatchId> {
        let b = &self.batches[id as usize];
        // "Reset the estimated compression ratio to the initial value or the big batch
        // compression ratio, whichever is bigger", so that splits stay rare.
        let observed = Self::observed_ratio(b);
        self.ratio_estimator.set_estimation(observed.max(1.0));
        let b = &self.batches[id as usize];
        let size = if self.split_halves && b.split {
            // maxRecordSize: the upper-bound estimate of the largest record (all are alike);
            // estimatedSizeInBytes of the closed batch is its built size.
            self.estimate.max(b.estimated_size() / 2)
        } else {
            self.batch_size
        };
        self.split_into_and_reenqueue(id, size)
    }

    /// [`Accumulator::split_and_reenqueue`] into batches of `split_batch_size` (Kafka's tests
    /// split a batch built off the accumulator, bigger than its `batch.size`).
    pub fn split_into_and_reenqueue(&mut self, id: BatchId, split_batch_size: u32) -> Vec<BatchId> {
        let pieces = self.split(id, split_batch_size);
        for &b in pieces.iter().rev() {
            self.reenqueue(b);
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunSpec;
    use crate::model::accumulator::Append;
    use crate::sim::{ms, rng_stream, Stream};

    fn acc(batch_size: u32, record_bytes: u32) -> Accumulator {
        let mut spec = RunSpec::default();
        spec.producer.batch_size = batch_size;
        spec.workload.record_bytes = record_bytes;
        Accumulator::new(&spec, rng_stream(1, Stream::Partitioner))
    }

    /// `n` records appended to partition 0 at `at(i)`; the batches made.
    fn fill(a: &mut Accumulator, n: u64, at: impl Fn(u64) -> SimTime) -> Vec<BatchId> {
        let mut out = Vec::new();
        for i in 0..n {
            match a.append(0, at(i), at(i), i) {
                Append::Done { batch, new_batch, .. } => {
                    if new_batch {
                        out.push(batch);
                    }
                }
                _ => panic!("not appended"),
            }
        }
        out
    }

    /// `ProducerBatchTest.testSplitPreservesHeaders` / `testSplitPreservesMagicAndCompressionType`
    /// (what the model has of them): a batch split into smaller buffers keeps every record, in
    /// order, in batches that each fit the new size (a batch of 100-byte records at 1 ms
    /// spacing filled exactly as an accumulator of that size fills it), closed, untried, off
    /// the pool, created when the big batch was.
    #[test]
    fn a_split_refills_the_records_into_smaller_batches() {
        let mut big = acc(16_384, 100);
        let id = fill(&mut big, 148, |i| ms(i / 4))[0];
        big.pop_head(0);
        big.batches[id as usize].closed = true;
        let pieces = big.split(id, 4_096);
        let mut small = acc(4_096, 100);
        let expect: Vec<(u64, u32, u32)> = fill(&mut small, 148, |i| ms(i / 4))
            .iter()
            .map(|&b| {
                let b = &small.batches[b as usize];
                (b.rec_start, b.count, b.bytes)
            })
            .collect();
        let got: Vec<(u64, u32, u32)> = pieces
            .iter()
            .map(|&b| {
                let b = &big.batches[b as usize];
                (b.rec_start, b.count, b.bytes)
            })
            .collect();
        assert!(got.len() >= 4, "{got:?}");
        assert_eq!(got, expect, "the same batches as appending them with batch.size 4096");
        for &b in &pieces {
            let b = &big.batches[b as usize];
            assert!(b.closed && b.attempts == 0 && !b.retrying && b.reserved == 0);
            assert_eq!(b.created, 0);
            assert_eq!(b.seq, -1);
        }
    }

    /// `ProducerBatch.split` with a sequence: the big batch's base sequence is handed on
    /// (`sequence += newBatch.recordCount`), in the big batch's epoch.
    #[test]
    fn split_batches_take_the_big_batch_sequences_in_order() {
        let mut a = acc(16_384, 100);
        let id = fill(&mut a, 100, |_| 0)[0];
        a.pop_head(0);
        a.batches[id as usize].seq = 40;
        a.batches[id as usize].producer_epoch = 2;
        let pieces = a.split(id, 2_000);
        let mut expect_seq = 40;
        let mut next_rec = 0;
        for &p in &pieces {
            let b = &a.batches[p as usize];
            assert_eq!((b.seq, b.producer_epoch, b.rec_start), (expect_seq, 2, next_rec));
            expect_seq += b.count as i32;
            next_rec += b.count as u64;
        }
        assert_eq!((expect_seq, next_rec), (140, 100));
    }

    /// `RecordAccumulator.splitAndReenqueue`: the new batches go to the front of the deque in
    /// record order, ahead of a newer batch; without idempotence `addFirst`, with it in
    /// sequence order.
    #[test]
    fn split_and_reenqueue_puts_the_pieces_first_in_order() {
        for idempotent in [false, true] {
            let mut a = acc(16_384, 100);
            let first = fill(&mut a, 149, |_| 0);
            let id = a.pop_head(0).unwrap();
            assert_eq!(id, first[0]);
            if idempotent {
                a.batches[id as usize].seq = 0;
            }
            // Split as if batch.size were 4096 (what a batch.size-sized split does to a batch
            // bigger than batch.size).
            let pieces = a.split(id, 4_096);
            for &b in pieces.iter().rev() {
                a.reenqueue(b);
            }
            let mut order: Vec<BatchId> = a.deques[0].iter().copied().collect();
            assert_eq!(order.pop(), Some(first[1]), "the newer batch stays last");
            assert_eq!(order, pieces, "idempotent: {idempotent}");
        }
    }

    /// KAFKA-8350 in Kafka 4.0 / 4.1: a batch of at most `batch.size` split into `batch.size`
    /// comes back whole, bytes and all.
    #[test]
    fn a_batch_size_split_of_a_batch_size_batch_is_the_same_batch() {
        let mut a = acc(16_384, 100);
        let id = fill(&mut a, 148, ms)[0];
        a.pop_head(0);
        let (count, bytes) = (a.batches[id as usize].count, a.batches[id as usize].bytes);
        let pieces = a.split_and_reenqueue(id);
        assert_eq!(pieces.len(), 1);
        let b = &a.batches[pieces[0] as usize];
        assert_eq!((b.rec_start, b.count, b.bytes), (0, count, bytes));
        assert_eq!(a.deques[0].front(), Some(&pieces[0]));
    }

    /// KAFKA-8350's fix (`producer.split_halves_split_batches`): the first split of a batch is
    /// into `batch.size` (the same batch here), a split of a split batch into half its size.
    #[test]
    fn with_the_kafka_8350_fix_a_split_batch_is_halved() {
        let mut spec = RunSpec::default();
        spec.producer.split_halves_split_batches = true;
        let mut a = Accumulator::new(&spec, rng_stream(1, Stream::Partitioner));
        let id = fill(&mut a, 148, |_| 0)[0];
        a.pop_head(0);
        let once = a.split_and_reenqueue(id);
        assert_eq!(once.len(), 1, "the first split is into batch.size");
        a.pop_head(0);
        let bytes = a.batches[once[0] as usize].bytes;
        let twice = a.split_and_reenqueue(once[0]);
        assert_eq!(twice.len(), 2, "then into halves");
        assert!(twice.iter().all(|&b| a.batches[b as usize].bytes <= bytes / 2));
        assert_eq!(twice.iter().map(|&b| a.batches[b as usize].count).sum::<u32>(), 148);
        spec.producer.split_halves_split_batches = false;
        let mut a = Accumulator::new(&spec, rng_stream(1, Stream::Partitioner));
        let id = fill(&mut a, 148, |_| 0)[0];
        a.pop_head(0);
        let once = a.split_and_reenqueue(id);
        a.pop_head(0);
        assert_eq!(
            a.split_and_reenqueue(once[0]).len(),
            1,
            "Kafka 4.0/4.1: always batch.size"
        );
    }

    /// `RecordAccumulatorTest.testSplitBatchOffAccumulator`: split batches are allocated off the
    /// accumulator: releasing the big batch gives its memory back, and the split batches hold
    /// none, so the pool is whole once the big batch is gone.
    #[test]
    fn split_batches_hold_no_pool_memory() {
        let mut a = acc(16_384, 100);
        let memory = a.free_memory;
        let id = fill(&mut a, 148, |_| 0)[0];
        a.pop_head(0);
        let pieces = a.split(id, 1_024);
        assert!(pieces.len() > 1);
        a.release(id);
        a.recycle(id);
        assert_eq!(a.free_memory, memory);
        a.assert_memory_conserved(memory);
        assert_eq!(a.live, pieces.len() as u64);
    }
}
