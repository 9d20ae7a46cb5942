//! `RecordAccumulator`: per-partition deques of batches, v2 byte accounting, `batch.size`,
//! `linger.ms`, `buffer.memory` (`BufferPool`) and the built-in uniform sticky partitioner
//! (KIP-794, `BuiltInPartitioner`). Reference sections 2.3, 2.4, 3 and 4.

use super::partitioner::BuiltInPartitioner;
use crate::config::RunSpec;
use crate::model::compression::{estimated_bytes_written, Codec, RatioEstimator};
use crate::model::record_batch::{
    estimate_size_upper_bound, record_fixed_part, record_size, record_size_fast, record_size_max, RECORD_BATCH_OVERHEAD,
};
use crate::sim::{SimTime, NS_PER_MS};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

mod resend;
mod split;

pub(crate) use resend::Resend;

/// Index of a batch in [`Accumulator::batches`] (the simulator's handle on a `ProducerBatch`).
pub type BatchId = u32;

/// Whether a partition's head batch may be drained ([`Accumulator::head_readiness`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Drain it now.
    Ready,
    /// Not before this time (its `linger.ms` ends).
    LingerUntil(SimTime),
}

/// `ProducerBatch`: a range of records of one partition.
///
/// Laid out by hand, two cache lines: the first holds what an append and the sender's
/// readiness check read (sizes, times, flags), the second the rest. With the fields where the
/// compiler put them an append read both lines of the open batch, a miss each when ten
/// producers take turns on one core.
#[derive(Clone, Debug, Default)]
#[repr(C, align(64))]
pub struct Batch {
    /// Time of the last `send()` call of the records in the batch.
    pub(crate) last_sent: SimTime,
    /// The first record's timestamp, ms (`baseTimestamp`: records carry deltas from it).
    pub(super) base_ts_ms: u64,
    /// Creation time (`createdMs`): `linger.ms` and `delivery.timeout.ms` count from it.
    pub created: SimTime,
    /// Time of the first `send()` call of the records in the batch.
    pub(crate) first_sent: SimTime,
    /// Records in the batch (`recordCount`).
    pub count: u32,
    /// Exact v2 size so far, header included (`estimatedSizeInBytes`).
    pub bytes: u32,
    /// `writeLimit`: the buffer capacity, `max(batch.size, first record's upper bound)`.
    pub write_limit: u32,
    /// Size on the wire once closed at its first drain (`MemoryRecordsBuilder.close`: header
    /// plus compressed records); 0 before.
    pub wire_bytes: u32,
    /// The compression ratio estimate it was created with (`setEstimatedCompressionRatio`).
    pub est_ratio: f32,
    /// The partition it is for.
    pub partition: u32,
    /// Closed for appends (a record did not fit, or drained).
    pub closed: bool,
    /// Its records are compressed (`compression.type` other than none).
    pub compressed: bool,
    /// Re-enqueued after a retriable error at least once.
    pub retrying: bool,
    pub(crate) in_flight: bool,
    /// Identity of the first record (per-partition application sequence).
    pub rec_start: u64,
    /// `buffer.memory` held from creation until the batch completes.
    pub(crate) reserved: u64,
    /// End of the retry backoff (`retry.backoff.ms` exponential with jitter, KIP-580).
    pub(crate) backoff_until: SimTime,
    /// Idempotence: base sequence (-1 until assigned at drain).
    pub seq: i32,
    /// Produce attempts so far (`attempts`).
    pub attempts: u32,
    /// Producer's metadata leader epoch at the last attempt (KIP-951 skip-backoff).
    pub(crate) leader_epoch_at_attempt: u32,
    /// Sync application threads waiting for records of this batch.
    pub(crate) sync_waiters: u32,
    /// How many times the application has re-sent these records (`workload.resend_failed_attempts`):
    /// 0 for records the application sent once.
    pub resends: u32,
    /// Idempotence: the producer epoch the sequence belongs to.
    pub producer_epoch: u16,
    pub(crate) done: bool,
    /// Made by a split (`ProducerBatch.isSplitBatch`): allocated off the pool.
    pub split: bool,
}

impl Batch {
    /// `ProducerBatch.isFull` (`MemoryRecordsBuilder.isFull`): closed, or the estimated bytes
    /// written reached the write limit.
    pub fn is_full(&self) -> bool {
        self.closed || self.write_limit <= self.estimated_size()
    }

    /// `ProducerBatch.estimatedSizeInBytes`: the built size once closed, else
    /// `estimatedBytesWritten` (exact without compression).
    pub fn estimated_size(&self) -> u32 {
        if self.wire_bytes > 0 {
            self.wire_bytes
        } else {
            estimated_bytes_written(self.bytes, self.compressed, self.est_ratio)
        }
    }

    /// `MemoryRecordsBuilder.hasRoomFor` for one more record of `size` bytes (the first record
    /// always fits; callers only ask for later ones): no credit for compressing the new record.
    #[inline(always)]
    fn has_room_for(&self, size: u32) -> bool {
        estimated_bytes_written(self.bytes, self.compressed, self.est_ratio) + size <= self.write_limit
    }
}

/// The most records [`Accumulator::quiet_appends`] counts for a compressed batch (a batch of
/// highly compressible records may take hundreds of thousands).
const QUIET_APPENDS_MAX: u64 = 1 << 16;

/// A source of arrival times for [`Accumulator::append_burst`].
pub(crate) trait Arrivals {
    /// The next arrival, if it is due within the burst's limit.
    fn peek(&self) -> Option<SimTime>;
    /// Consume it.
    fn advance(&mut self);
}

/// What a burst appended.
pub(crate) struct Burst {
    pub(crate) appended: u32,
    /// The batch is full (or closed): the sender should look now.
    pub(crate) full: bool,
}

/// Result of trying to append one record (`RecordAppendResult`).
pub enum Append {
    /// Appended to an existing or a new batch; the sender should look now when `new_batch ||
    /// full` (`RecordAppendResult.batchIsFull || newBatchCreated`).
    Done {
        /// The batch the record went to.
        batch: BatchId,
        /// The record's identity (its per-partition send sequence).
        rec: u64,
        /// The record opened a new batch (`newBatchCreated`).
        new_batch: bool,
        /// A batch of the partition is sendable now (`batchIsFull`: this one is full, or it was
        /// opened behind another, which the record closed): the sender wakes at once.
        full: bool,
    },
    /// No `buffer.memory` for a new batch: `send()` blocks.
    NoMemory,
    /// Nothing appended: the record's partition was the sticky one, its last batch just closed
    /// with `batch.size` bytes produced to it, and `partitionChanged` completed the suppressed
    /// switch. Choose the partition again and retry (`RecordAccumulator.append`'s `continue`).
    PartitionChanged,
}

/// `RecordAccumulator` with its `BufferPool` and the `BuiltInPartitioner`'s sticky state.
///
/// Laid out in declaration order (`repr(C)`): what a run of open-loop arrivals reads comes
/// first, together (the batches and queues, the record shape, the counters, the sticky
/// partitioner's state; see [`crate::model::app::App`]'s layout for why).
#[repr(C)]
pub struct Accumulator {
    /// Per partition, batches not in flight: the open one at the back, retries at the front.
    pub deques: Vec<VecDeque<BatchId>>,
    /// Every batch by [`BatchId`] (completed slots are recycled).
    pub batches: Vec<Batch>,
    key: Option<u32>,
    value: Option<u32>,
    /// Records are placed by murmur2 of their key (keys and not `partitioner.ignore.keys`);
    /// otherwise by the sticky partitioner.
    keyed_partitioning: bool,
    pub(crate) records_batched: u64,
    /// Uncompressed bytes appended to the batches created (`batches_created`).
    pub(crate) bytes_batched: u64,
    /// The built-in sticky partitioner for keyless records.
    pub partitioner: BuiltInPartitioner,
    free_ids: Vec<BatchId>,
    /// `BufferPool.availableMemory`: `buffer.memory` not held by a batch.
    pub free_memory: u64,
    /// Number of `send()` calls waiting for memory (`BufferPool.queued()`): makes every batch
    /// ready ("exhausted").
    pub(crate) memory_waiters: usize,
    /// Batches created and not yet completed.
    pub(crate) live: u64,
    batch_size: u32,
    /// `producer.split_halves_split_batches` (KAFKA-8350's fix).
    split_halves: bool,
    estimate: u32,
    pub(crate) batches_created: u64,
    /// Compressed minus uncompressed bytes of the created batches closed so far (0 without
    /// compression): `bytes_batched` plus this is their size as sent (`batch-size-avg`).
    pub(crate) compression_saved: i64,
    /// `compression.type` at its level, with the workload's ratio.
    pub codec: Codec,
    /// `CompressionRatioEstimator` of the topic and codec.
    pub ratio_estimator: RatioEstimator,
}

impl Accumulator {
    /// An empty accumulator for `spec`'s producer, topic and workload; `rng` drives the sticky
    /// partitioner's choices.
    pub fn new(spec: &RunSpec, rng: ChaCha8Rng) -> Accumulator {
        let key = (spec.workload.keys > 0).then_some(spec.workload.key_bytes);
        let value = Some(spec.workload.record_bytes);
        Accumulator {
            batches: Vec::new(),
            free_ids: Vec::new(),
            deques: vec![VecDeque::new(); spec.cluster.partitions as usize],
            free_memory: spec.producer.buffer_memory,
            memory_waiters: 0,
            live: 0,
            batch_size: spec.producer.batch_size,
            split_halves: spec.producer.split_halves_split_batches,
            key,
            value,
            estimate: estimate_size_upper_bound(key, value),
            keyed_partitioning: key.is_some() && !spec.producer.partitioner_ignore_keys,
            partitioner: BuiltInPartitioner::new(
                spec.cluster.partitions as usize,
                spec.producer.batch_size,
                spec.producer.partitioner_adaptive_partitioning_enable,
                rng,
            ),
            batches_created: 0,
            records_batched: 0,
            bytes_batched: 0,
            compression_saved: 0,
            codec: Codec::from_spec(spec),
            ratio_estimator: RatioEstimator::default(),
        }
    }

    /// Upper-bound size estimate of one record (for `max.request.size` / `buffer.memory`).
    pub fn record_estimate(&self) -> u32 {
        self.estimate
    }

    /// No batch is waiting or in flight (`RecordAccumulator.hasUndrained` and no incomplete).
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// `RecordAccumulator.ready` for partition `p`'s head batch (`None`: no batch): ready when
    /// the deque holds more than one batch or the head is full (`batch.size`), when it is a retry
    /// or has lingered `linger.ms` since it was created, or when memory is exhausted or a
    /// `flush()` is in progress (`exhausted`); otherwise ready at creation + `linger.ms`.
    #[inline]
    pub fn head_readiness(&self, p: usize, now: SimTime, linger: SimTime, exhausted: bool) -> Option<Readiness> {
        let &head = self.deques[p].front()?;
        let b = &self.batches[head as usize];
        let full = self.deques[p].len() > 1 || b.is_full();
        let lingered = b.retrying || now >= b.created + linger;
        Some(if full || lingered || exhausted {
            Readiness::Ready
        } else {
            Readiness::LingerUntil(b.created + linger)
        })
    }

    /// Try to append one record sent at `sent_at` to `partition` (`RecordAccumulator.append`).
    pub fn append(&mut self, partition: u32, now: SimTime, sent_at: SimTime, next_rec: u64) -> Append {
        let now_ms = now / NS_PER_MS;
        if let Some(&last) = self.deques[partition as usize].back() {
            let b = &mut self.batches[last as usize];
            if !b.closed {
                let size = record_size(b.count, (now_ms - b.base_ts_ms) as i64, self.key, self.value);
                // MemoryRecordsBuilder.hasRoomFor: the first record always fits.
                if b.has_room_for(size) {
                    debug_assert_eq!(b.rec_start + b.count as u64, next_rec);
                    let before = b.estimated_size();
                    b.bytes += size;
                    b.count += 1;
                    b.last_sent = sent_at;
                    self.records_batched += 1;
                    self.bytes_batched += size as u64;
                    let full = b.is_full();
                    // RecordAccumulator.append: appendedBytes is the growth of the batch's
                    // estimatedSizeInBytes (the estimated compressed size with compression).
                    let grown = (b.estimated_size() - before) as u64;
                    self.note_sticky(partition, grown, full);
                    return Append::Done {
                        batch: last,
                        rec: next_rec,
                        new_batch: false,
                        full,
                    };
                }
                // tryAppend: no room, closeForRecordAppends.
                b.closed = true;
            }
        }
        // A new batch: allocate max(batch.size, upper bound of this record) from the pool.
        let reserve = self.batch_size.max(self.estimate) as u64;
        if self.free_memory < reserve {
            return Append::NoMemory;
        }
        // RecordAccumulator.append checks partitionChanged again between the allocation and
        // appendNewBatch: with the last batch now closed, a switch suppressed while it was open
        // completes here, and the record goes to the next partition instead.
        if self.partition_changed(partition) {
            return Append::PartitionChanged;
        }
        self.free_memory -= reserve;
        let size = record_size(0, 0, self.key, self.value);
        let batch = Batch {
            first_sent: sent_at,
            last_sent: sent_at,
            ..self.fresh_batch(partition, next_rec, 1, RECORD_BATCH_OVERHEAD + size, reserve, now)
        };
        let first_estimate = batch.estimated_size();
        let id = self.insert_batch(batch);
        self.deques[partition as usize].push_back(id);
        self.batches_created += 1;
        self.records_batched += 1;
        self.bytes_batched += (RECORD_BATCH_OVERHEAD + size) as u64;
        let full = self.batches[id as usize].is_full();
        self.note_sticky(partition, first_estimate as u64, full);
        // `RecordAppendResult.batchIsFull = dq.size() > 1 || batch.isFull()`: a new batch behind
        // the one this record closed makes that one sendable now (`KafkaProducer.doSend` wakes
        // the sender), not when its own linger ends.
        let batch_is_full = self.deques[partition as usize].len() > 1 || full;
        Append::Done {
            batch: id,
            rec: next_rec,
            new_batch: true,
            full: batch_is_full,
        }
    }

    /// A new, open batch (`ProducerBatch`'s constructor): `count` records from `rec_start` of
    /// `partition`, `bytes` long, holding `reserve` bytes of `buffer.memory`, created (and its
    /// records sent) at `now`, with the compression estimate of now.
    pub(crate) fn fresh_batch(
        &self,
        partition: u32,
        rec_start: u64,
        count: u32,
        bytes: u32,
        reserve: u64,
        now: SimTime,
    ) -> Batch {
        Batch {
            partition,
            rec_start,
            count,
            bytes,
            write_limit: reserve as u32,
            reserved: reserve,
            created: now,
            first_sent: now,
            last_sent: now,
            base_ts_ms: now / NS_PER_MS,
            closed: false,
            attempts: 0,
            retrying: false,
            backoff_until: 0,
            seq: -1,
            producer_epoch: 0,
            in_flight: false,
            done: false,
            leader_epoch_at_attempt: 0,
            sync_waiters: 0,
            split: false,
            compressed: self.codec.compressed(),
            est_ratio: self.ratio_estimator.estimation(),
            wire_bytes: 0,
            resends: 0,
        }
    }

    /// A new live batch in a free slot (or a new one): its id.
    fn insert_batch(&mut self, batch: Batch) -> BatchId {
        self.live += 1;
        match self.free_ids.pop() {
            Some(id) => {
                self.batches[id as usize] = batch;
                id
            }
            None => {
                self.batches.push(batch);
                (self.batches.len() - 1) as BatchId
            }
        }
    }

    /// Append a run of records to the open batch of `partition` in one go (the hot path:
    /// no event, no allocation per record). Takes arrivals from `arrivals` while they fit the
    /// batch; stops before a record that does not fit (the caller's one-record path closes the
    /// batch and opens the next), after the batch fills, or when the sticky partitioner moves
    /// on. Same byte accounting as [`Accumulator::append`], record by record.
    pub(crate) fn append_burst(&mut self, partition: u32, arrivals: &mut impl Arrivals) -> Burst {
        let mut out = Burst {
            appended: 0,
            full: false,
        };
        let Some(&last) = self.deques[partition as usize].back() else {
            return out;
        };
        let keyless_sticky = !self.keyed_partitioning && self.partitioner.current() == Some(partition);
        // `updatePartitionInfo` after each append switches once batch.size bytes were produced
        // and the batch is full (the burst stops there anyway), or at twice batch.size
        // regardless: checked per record as bytes still to go, without a call; the partitioner
        // learns the total once, with the same outcome.
        let to_forced_switch = if keyless_sticky {
            self.partitioner.bytes_to_forced_switch()
        } else {
            u64::MAX
        };
        let fixed = record_fixed_part(self.key, self.value);
        let b = &mut self.batches[last as usize];
        if b.closed {
            return out;
        }
        let mut bytes_added = 0u64;
        let estimate_before = b.estimated_size();
        while let Some(t) = arrivals.peek() {
            let size = record_size_fast(fixed, b.count, t / NS_PER_MS - b.base_ts_ms);
            if !b.has_room_for(size) {
                break;
            }
            arrivals.advance();
            b.bytes += size;
            b.count += 1;
            b.last_sent = t;
            out.appended += 1;
            bytes_added += size as u64;
            let full = b.is_full();
            // The partitioner counts the growth of estimatedSizeInBytes.
            let grown = if b.compressed {
                (b.estimated_size() - estimate_before) as u64
            } else {
                bytes_added
            };
            if full || grown >= to_forced_switch {
                out.full = full;
                break;
            }
        }
        if keyless_sticky && out.appended > 0 {
            let b = &self.batches[last as usize];
            let grown = (b.estimated_size() - estimate_before) as u64;
            self.partitioner.update_partition_info(grown, b.is_full());
        }
        self.records_batched += out.appended as u64;
        self.bytes_batched += bytes_added;
        out
    }

    /// How many more records [`Accumulator::append_burst`] surely appends to the open batch of
    /// `partition` with nothing but bytes and counts changing, when they arrive no later than
    /// `last_at(j)` for the `j`-th of them: a lower bound, every record counted at the size of
    /// the last that could fit (the widest offset and timestamp deltas). The first record beyond
    /// may fill the batch, reach the sticky partitioner's forced switch at twice `batch.size`
    /// or not fit; each of them queues a sender wake-up, at once or with the next record's new
    /// batch. 0 when the partition has no open batch.
    pub(crate) fn quiet_appends(&self, partition: u32, last_at: impl Fn(u64) -> SimTime) -> u64 {
        let Some(&last) = self.deques[partition as usize].back() else {
            return 0;
        };
        let b = &self.batches[last as usize];
        if b.closed || b.wire_bytes > 0 || b.is_full() {
            return 0;
        }
        if b.compressed {
            return self.quiet_compressed_appends(b, partition, last_at);
        }
        let fixed = record_fixed_part(self.key, self.value);
        // Not full after j more records while bytes + j * size < write_limit (which also leaves
        // room for each of them), nor switched while j * size < the bytes to the forced switch.
        let room = (b.write_limit - b.bytes - 1) as u64;
        let to_switch = if !self.keyed_partitioning && self.partitioner.current() == Some(partition) {
            self.partitioner.bytes_to_forced_switch().saturating_sub(1)
        } else {
            u64::MAX
        };
        let fits = |size: u32| (room / size as u64).min(to_switch / size as u64);
        // At most this many records, each at least the smallest size, fit; the last of them has
        // the widest deltas, and no record before it is larger.
        let most = fits(record_size_fast(fixed, b.count, 0));
        if most == 0 {
            return 0;
        }
        let ts_delta = (last_at(most) / NS_PER_MS).saturating_sub(b.base_ts_ms);
        let offset_delta = u32::try_from(b.count as u64 + most).unwrap_or(u32::MAX);
        fits(record_size_fast(fixed, offset_delta, ts_delta).min(record_size_max(fixed)))
    }

    /// [`Accumulator::quiet_appends`] for a compressed batch, whose fullness and growth follow
    /// `estimatedBytesWritten` (the batch's ratio estimate, inflated): each condition holds up
    /// to some number of records and not beyond (the estimate grows with the bytes), so the
    /// bound is found by bisection, at most [`QUIET_APPENDS_MAX`] records.
    fn quiet_compressed_appends(&self, b: &Batch, partition: u32, last_at: impl Fn(u64) -> SimTime) -> u64 {
        let est = |bytes: u64| estimated_bytes_written(bytes as u32, true, b.est_ratio) as u64;
        let (limit, start) = (b.write_limit as u64, b.bytes as u64);
        let before = est(start);
        let to_switch = if !self.keyed_partitioning && self.partitioner.current() == Some(partition) {
            self.partitioner.bytes_to_forced_switch()
        } else {
            u64::MAX
        };
        // j records of at most `size` bytes each: each had room when it came
        // (`hasRoomFor`: the estimate so far plus the record, uncompressed), none filled the
        // batch, and the estimate grew by less than the bytes to the forced switch.
        let quiet = |j: u64, size: u64| {
            j == 0
                || start + j * size <= u32::MAX as u64 && {
                    let after = est(start + j * size);
                    est(start + (j - 1) * size) + size <= limit && after < limit && after - before < to_switch
                }
        };
        let most_of = |size: u64| {
            let (mut lo, mut hi) = (0, QUIET_APPENDS_MAX);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if quiet(mid, size) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            lo
        };
        let fixed = record_fixed_part(self.key, self.value);
        let most = most_of(record_size_fast(fixed, b.count, 0) as u64);
        if most == 0 {
            return 0;
        }
        let ts_delta = (last_at(most) / NS_PER_MS).saturating_sub(b.base_ts_ms);
        let offset_delta = u32::try_from(b.count as u64 + most).unwrap_or(u32::MAX);
        most_of(record_size_fast(fixed, offset_delta, ts_delta).min(record_size_max(fixed)) as u64)
    }

    /// `BuiltInPartitioner.updatePartitionInfo` for keyless records appended to the sticky
    /// partition; `enable_switch` is `allBatchesFull(deque)` after the append.
    fn note_sticky(&mut self, partition: u32, appended: u64, enable_switch: bool) {
        if self.keyed_partitioning || self.partitioner.current() != Some(partition) {
            return;
        }
        self.partitioner.update_partition_info(appended, enable_switch);
    }

    /// `RecordAccumulator.allBatchesFull`: the deque's last batch is full or closed, or the
    /// deque is empty (the sender drained it). Only the last batch may be incomplete.
    fn all_batches_full(&self, partition: u32) -> bool {
        self.deques[partition as usize]
            .back()
            .is_none_or(|&b| self.batches[b as usize].is_full())
    }

    /// `RecordAccumulator.partitionChanged` for keyless records of the sticky `partition`:
    /// "we might have disabled partition switch if the queue had incomplete batches": when all
    /// its batches are full now, `updatePartitionInfo(info, 0, cluster, enableSwitch=true)`
    /// completes a switch suppressed while the last batch was open. True when the partitioner
    /// let go of `partition`.
    fn partition_changed(&mut self, partition: u32) -> bool {
        // (not due: the update would change nothing, and the deque's batches, a cache line or
        // two per producer when many share the run loop, are not read)
        if self.keyed_partitioning || self.partitioner.current() != Some(partition) || !self.partitioner.switch_due() {
            return false;
        }
        self.all_batches_full(partition) && self.partitioner.update_partition_info(0, true)
    }

    /// The current sticky partition for a keyless record, choosing a new one when needed
    /// ([`BuiltInPartitioner::partition`] over this accumulator's queue lengths). First, as
    /// `RecordAccumulator.append` does under the deque's lock before appending, `partitionChanged`:
    /// once the sticky partition's batches are all full (or drained), a switch suppressed while
    /// its last batch was open completes. So a partition keeps its open batch until it fills or
    /// linger sends it, and batches over many partitions are as full as over one (reference 2.3).
    pub fn sticky_partition(&mut self, has_leader: &[bool]) -> u32 {
        if let Some(p) = self.partitioner.current() {
            self.partition_changed(p);
        }
        let deques = &self.deques;
        self.partitioner.partition(has_leader, |p| deques[p].len() as u64)
    }

    /// `ProducerBatch.close()` at drain: the batch is built (its records compressed: the wire
    /// size is fixed at the first close) and `CompressionRatioEstimator.updateEstimation` learns
    /// its ratio (compressed / uncompressed records), at every drain as in Kafka. Returns the
    /// size on the wire.
    pub fn close_for_send(&mut self, id: BatchId) -> u32 {
        let codec = self.codec;
        let b = &mut self.batches[id as usize];
        b.closed = true;
        if b.wire_bytes == 0 {
            b.wire_bytes = codec.wire_size(b.bytes);
            if !b.split {
                self.compression_saved += b.wire_bytes as i64 - b.bytes as i64;
            }
        }
        if b.compressed {
            self.ratio_estimator.update_estimation(Self::observed_ratio(b));
        }
        b.wire_bytes
    }

    /// `MemoryRecordsBuilder.compressionRatio` of a closed batch: compressed records /
    /// uncompressed records (1 before it is built).
    fn observed_ratio(b: &Batch) -> f32 {
        if b.wire_bytes == 0 || b.bytes <= RECORD_BATCH_OVERHEAD {
            return 1.0;
        }
        (b.wire_bytes - RECORD_BATCH_OVERHEAD) as f32 / (b.bytes - RECORD_BATCH_OVERHEAD) as f32
    }

    /// Release a completed batch: its memory returns to the pool.
    pub fn release(&mut self, id: BatchId) {
        let b = &mut self.batches[id as usize];
        debug_assert!(!b.done);
        b.done = true;
        self.free_memory += b.reserved;
        self.live -= 1;
    }

    /// `BufferPool` conservation: the free memory plus what the unfinished batches hold is
    /// `buffer.memory`, and `live` counts the unfinished batches. O(batches): checked every few
    /// thousand events and at the end of a run, not per event.
    pub fn assert_memory_conserved(&self, buffer_memory: u64) {
        let (held, live) = self
            .batches
            .iter()
            .filter(|b| !b.done)
            .fold((0u64, 0u64), |(h, n), b| (h + b.reserved, n + 1));
        assert_eq!(
            self.free_memory + held,
            buffer_memory,
            "buffer pool not conserved: free {} + held by batches {held} != buffer.memory",
            self.free_memory
        );
        assert_eq!(live, self.live, "live batch count drifted");
    }

    /// Recycle the slot of a completed batch once nothing refers to it any more.
    pub fn recycle(&mut self, id: BatchId) {
        debug_assert!(self.batches[id as usize].done);
        self.free_ids.push(id);
    }

    /// Remove the head batch of a partition's deque (drain).
    pub fn pop_head(&mut self, partition: u32) -> Option<BatchId> {
        self.deques[partition as usize].pop_front()
    }

    /// `RecordAccumulator.reenqueue`: a retried batch goes back to the front; with idempotence
    /// in sequence order (`insertInSequenceOrder`).
    pub fn reenqueue(&mut self, id: BatchId) {
        let (p, seq) = {
            let b = &self.batches[id as usize];
            (b.partition as usize, b.seq)
        };
        let dq = &mut self.deques[p];
        if seq >= 0 {
            let pos = dq
                .iter()
                .position(|&o| {
                    let ob = &self.batches[o as usize];
                    ob.seq < 0 || ob.seq > seq
                })
                .unwrap_or(dq.len());
            dq.insert(pos, id);
        } else {
            dq.push_front(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an append and the readiness check read of a batch is its first cache line, and a
    /// batch is two whole lines (see [`Batch`]).
    #[test]
    fn batch_layout_keeps_an_appends_fields_in_the_first_line() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!((align_of::<Batch>(), size_of::<Batch>()), (64, 128));
        for (field, end) in [
            ("last_sent", offset_of!(Batch, last_sent) + 8),
            ("base_ts_ms", offset_of!(Batch, base_ts_ms) + 8),
            ("created", offset_of!(Batch, created) + 8),
            ("count", offset_of!(Batch, count) + 4),
            ("bytes", offset_of!(Batch, bytes) + 4),
            ("write_limit", offset_of!(Batch, write_limit) + 4),
            ("wire_bytes", offset_of!(Batch, wire_bytes) + 4),
            ("est_ratio", offset_of!(Batch, est_ratio) + 4),
            ("closed", offset_of!(Batch, closed) + 1),
            ("compressed", offset_of!(Batch, compressed) + 1),
            ("retrying", offset_of!(Batch, retrying) + 1),
        ] {
            assert!(end <= 64, "{field} ends at byte {end}, past the first cache line");
        }
    }
    use crate::config::CompressionType;
    use crate::sim::{ms, rng_stream, Stream};

    fn acc(batch_size: u32, buffer: u64) -> Accumulator {
        let mut spec = RunSpec::default();
        spec.producer.batch_size = batch_size;
        spec.producer.buffer_memory = buffer;
        Accumulator::new(&spec, rng_stream(1, Stream::Partitioner))
    }

    fn fill(a: &mut Accumulator, p: u32, n: u64) -> Vec<(BatchId, bool, bool)> {
        (0..n)
            .map(|i| match a.append(p, 0, 0, i) {
                Append::Done {
                    batch, new_batch, full, ..
                } => (batch, new_batch, full),
                Append::NoMemory | Append::PartitionChanged => panic!("not appended"),
            })
            .collect()
    }

    /// `RecordAppendResult.batchIsFull` (`dq.size() > 1 || batch.isFull()`, which
    /// `KafkaProducer.doSend` answers with `sender.wakeup()`): the record that opens a new batch
    /// behind one it closed reports it, so the closed batch goes at once instead of waiting for
    /// its linger; the first batch of a partition does not.
    #[test]
    fn a_new_batch_behind_a_closed_one_wakes_the_sender() {
        let mut a = acc(16_384, 1 << 25);
        let appends = fill(&mut a, 0, 300);
        let new_batches: Vec<(bool, bool)> = appends.iter().filter(|x| x.1).map(|x| (x.1, x.2)).collect();
        assert!(new_batches.len() >= 3, "{new_batches:?}");
        assert_eq!(new_batches[0], (true, false), "the first batch: nothing to send yet");
        assert!(new_batches[1..].iter().all(|&(_, full)| full), "{new_batches:?}");
    }

    /// Arrivals every `step` from `next`, `left` of them.
    struct Every {
        next: SimTime,
        step: SimTime,
        left: u64,
    }

    impl Arrivals for Every {
        fn peek(&self) -> Option<SimTime> {
            (self.left > 0).then_some(self.next)
        }
        fn advance(&mut self) {
            self.next += self.step;
            self.left -= 1;
        }
    }

    /// [`Accumulator::quiet_appends`] is a lower bound: a burst appends that many more records
    /// to the sticky partition's open batch with nothing else happening (no record left out,
    /// the batch not full, the partitioner still on it: no sender wake-up). And a close one:
    /// most of what the batch in fact takes before one of those, so that the run loop's
    /// arrivals may wait for most of a batch ([`crate::model::World::run_ahead`]). Batch sizes,
    /// record sizes, timestamp deltas of every varint width, and batches opened after the
    /// sticky partition's earlier ones were drained, bytes counted towards the forced switch at
    /// twice `batch.size`, uncompressed and compressed batches (whose estimated size follows the
    /// ratio estimate the drained batches taught the accumulator).
    #[test]
    fn quiet_appends_is_a_close_lower_bound_of_what_a_burst_appends_unnoticed() {
        use rand::Rng;
        let mut rng = rng_stream(3, Stream::App);
        let (mut bound, mut taken, mut forced, mut compressed) = (0u64, 0u64, 0, 0);
        for _ in 0..400 {
            let mut spec = RunSpec::default();
            spec.producer.batch_size = rng.gen_range(100..40_000);
            spec.producer.buffer_memory = 1 << 30;
            spec.cluster.partitions = 3;
            spec.workload.record_bytes = rng.gen_range(0..3_000);
            spec.producer.compression_type =
                [CompressionType::None, CompressionType::Lz4, CompressionType::Zstd][rng.gen_range(0..3)];
            let mut a = Accumulator::new(&spec, rng_stream(rng.gen(), Stream::Partitioner));
            let p = a.sticky_partition(&[true; 3]);
            let step = [1, 1_000, NS_PER_MS, 50 * NS_PER_MS, 2_000 * NS_PER_MS][rng.gen_range(0..5)];
            let mut t = ms(rng.gen_range(0..100_000));
            let mut next_rec = 0;
            // Earlier batches of the sticky partition drained before they filled (the bytes
            // the partitioner counts go on), then the open batch, with some records in it.
            for _ in 0..rng.gen_range(1..4) {
                if let Some(b) = a.deques[p as usize].back().copied() {
                    a.pop_head(p);
                    a.close_for_send(b);
                    a.release(b);
                }
                if a.partitioner.current() != Some(p) {
                    break;
                }
                let Append::Done { .. } = a.append(p, t, t, next_rec) else {
                    break; // the suppressed switch completed: the partitioner moved on
                };
                next_rec += 1;
                let before = rng.gen_range(0..100);
                let mut src = Every {
                    next: t + step,
                    step,
                    left: before,
                };
                next_rec += a.append_burst(p, &mut src).appended as u64;
                t = src.next;
            }
            if rng.gen_bool(0.5) {
                // Bytes the partitioner counted with its switch suppressed (as compressed
                // batches' estimates do), short of the forced switch.
                let bs = spec.producer.batch_size as u64;
                a.partitioner.update_partition_info(rng.gen_range(0..2 * bs), false);
            }
            let k = a.quiet_appends(p, |j| t + j * step);
            let Some(&open) = a.deques[p as usize].back() else {
                continue;
            };
            if a.batches[open as usize].is_full() {
                assert_eq!(k, 0);
                continue;
            }
            if a.partitioner.current() != Some(p) {
                continue; // the next record chooses a partition (`Client::quiet_until`)
            }
            let mut src = Every { next: t, step, left: k };
            let burst = a.append_burst(p, &mut src);
            assert_eq!((burst.appended as u64, burst.full), (k, false), "{spec:?}");
            assert!(!a.batches[open as usize].is_full());
            assert_eq!(a.partitioner.current(), Some(p), "no switch within the bound");
            // What the batch takes in fact, up to the record that fills it, switches or does
            // not fit.
            let mut src = Every {
                next: src.next,
                step,
                left: u64::MAX,
            };
            let rest = a.append_burst(p, &mut src);
            forced += usize::from(!rest.full && a.partitioner.current() != Some(p));
            compressed += usize::from(k > 0 && a.batches[open as usize].compressed);
            bound += k;
            taken += k + rest.appended as u64;
        }
        assert!(forced >= 10, "the forced switch was reached {forced} times");
        assert!(compressed >= 20, "{compressed} compressed batches with a bound");
        assert!(
            bound * 10 >= taken * 8,
            "the bound, {bound} records, is most of the {taken} taken"
        );
    }

    #[test]
    fn a_16k_batch_holds_148_keyless_100_byte_records() {
        let mut a = acc(16_384, 1 << 25);
        let r = fill(&mut a, 0, 149);
        assert!(r[0].1, "first record creates a batch");
        assert!(r[1..148].iter().all(|x| !x.1 && x.0 == r[0].0));
        assert!(r[148].1, "record 149 starts a new batch");
        let b = &a.batches[r[0].0 as usize];
        assert_eq!((b.count, b.bytes), (148, 16_277));
        assert!(b.closed);
        assert_eq!(a.deques[0].len(), 2);
    }

    #[test]
    fn batch_size_zero_puts_each_record_in_its_own_batch() {
        let mut a = acc(0, 1 << 25);
        let r = fill(&mut a, 0, 3);
        assert!(r.iter().all(|x| x.1));
        assert_eq!(a.batches[0].write_limit, 186);
    }

    #[test]
    fn memory_is_held_per_batch_and_blocks_when_exhausted() {
        let mut a = acc(16_384, 2 * 16_384);
        fill(&mut a, 0, 148);
        fill(&mut a, 1, 1);
        assert_eq!(a.free_memory, 0);
        assert!(matches!(a.append(2, 0, 0, 0), Append::NoMemory));
        let head = a.pop_head(0).unwrap();
        a.release(head);
        assert_eq!(a.free_memory, 16_384);
        assert!(matches!(a.append(2, 0, 0, 0), Append::Done { new_batch: true, .. }));
    }

    #[test]
    fn retries_reenqueue_in_sequence_order() {
        let mut a = acc(16_384, 1 << 25);
        for p in 0..3u64 {
            fill(&mut a, 0, 1);
            let id = *a.deques[0].back().unwrap();
            a.batches[id as usize].closed = true;
            a.batches[id as usize].seq = p as i32 * 10;
            let _ = p;
        }
        let ids: Vec<BatchId> = (0..3).map(|_| a.pop_head(0).unwrap()).collect();
        a.reenqueue(ids[2]);
        a.reenqueue(ids[0]);
        a.reenqueue(ids[1]);
        let order: Vec<BatchId> = a.deques[0].iter().copied().collect();
        assert_eq!(order, ids);
    }

    #[test]
    fn sticky_partition_switches_after_one_to_two_batch_sizes() {
        let mut a = acc(16_384, 1 << 30);
        let leaders = vec![true; 6];
        let p = a.sticky_partition(&leaders);
        let mut bytes = 0u64;
        for rec in 0.. {
            if let Append::Done { .. } = a.append(p, 0, 0, rec) {
                bytes += if rec == 0 { 61 + 109 } else { 109 };
            }
            if a.partitioner.current().is_none() {
                break;
            }
            assert!(bytes < 3 * 16_384, "never switched");
        }
        assert!(
            (16_384..=2 * 16_384 + 110).contains(&bytes),
            "switched after {bytes} bytes"
        );
    }

    /// One keyless `send()` at `now` as `KafkaProducer.send` makes it: the sticky partition
    /// (after `partitionChanged`), then `append`, again after a completed switch. Returns the
    /// partition and whether a switch was completed first.
    fn send_keyless(a: &mut Accumulator, sent: &mut [u64], now: SimTime) -> (u32, bool) {
        let leaders = [true; 6];
        let mut switched = false;
        loop {
            let p = a.sticky_partition(&leaders[..a.deques.len()]);
            match a.append(p, now, now, sent[p as usize]) {
                Append::Done { .. } => {
                    sent[p as usize] += 1;
                    return (p, switched);
                }
                Append::PartitionChanged => switched = true,
                Append::NoMemory => panic!("no memory"),
            }
        }
    }

    /// `RecordAccumulatorTest.testStickyBatches` / `testUniformBuiltInPartitioner` (size-bound):
    /// a 16 KiB batch of 148 records is 16 277 bytes, short of batch.size, so when it closes the
    /// partition stays; the second batch passes batch.size while open (switch suppressed), and
    /// when it closes `partitionChanged` completes the switch: two full batches, then the
    /// 297th record goes to the next partition.
    #[test]
    fn a_sticky_partition_gets_two_full_batches_then_switches() {
        let mut a = acc(16_384, 1 << 30);
        let mut sent = vec![0u64; 6];
        let (p, _) = send_keyless(&mut a, &mut sent, 0);
        for i in 1..296 {
            assert_eq!(send_keyless(&mut a, &mut sent, 0), (p, false), "record {i}");
        }
        assert_eq!(a.partitioner.produced_bytes(), 2 * 16_277);
        let (_, switched) = send_keyless(&mut a, &mut sent, 0);
        assert!(switched, "the second batch closed with batch.size bytes produced");
        let batches: Vec<(u32, bool)> = a.deques[p as usize]
            .iter()
            .map(|&b| (a.batches[b as usize].count, a.batches[b as usize].is_full()))
            .collect();
        assert_eq!(&batches[..2], [(148, true), (148, true)]);
    }

    /// `RecordAccumulatorTest.testBuiltInPartitionerFractionalBatches` (linger-bound): rounds of
    /// 2/3 of batch.size, each drained by the sender. The second batch passes batch.size while
    /// open: the switch is suppressed, then completed by the next append once the sender drained
    /// the deque (`allBatchesFull` of an empty deque). Every drained batch is one round's records
    /// (between half and all of batch.size), never a fraction cut by a switch at 2 x batch.size.
    #[test]
    fn linger_bound_batches_are_not_cut_by_a_switch() {
        let mut a = acc(16_384, 1 << 30);
        let mut sent = vec![0u64; 6];
        let per_round = 16_384 * 2 / 3 / 109;
        for round in 0..10u64 {
            let now = ms(10 * round);
            for _ in 0..per_round {
                send_keyless(&mut a, &mut sent, now);
            }
            let drained: Vec<BatchId> = (0..6).filter_map(|p| a.pop_head(p)).collect();
            assert_eq!(drained.len(), 1, "round {round}: one batch");
            let b = &a.batches[drained[0] as usize];
            assert_eq!(b.count as usize, per_round, "round {round}");
            assert!(b.bytes > 16_384 / 2 && b.bytes < 16_384);
            a.release(drained[0]);
        }
    }

    /// `RecordAccumulator.ready`: a partial batch waits for linger.ms from its creation.
    #[test]
    fn a_partial_batch_lingers_from_its_creation() {
        let mut a = acc(16_384, 1 << 25);
        a.append(0, ms(3), ms(3), 0);
        let linger = ms(5);
        assert_eq!(
            a.head_readiness(0, ms(3), linger, false),
            Some(Readiness::LingerUntil(ms(8)))
        );
        assert_eq!(
            a.head_readiness(0, ms(7), linger, false),
            Some(Readiness::LingerUntil(ms(8)))
        );
        assert_eq!(a.head_readiness(0, ms(8), linger, false), Some(Readiness::Ready));
        assert_eq!(a.head_readiness(1, ms(8), linger, false), None, "an empty partition");
    }

    /// A full batch, or a second batch behind the head, makes the partition ready at once.
    #[test]
    fn a_full_batch_is_ready_without_linger() {
        let append = |a: &mut Accumulator, from: u64, n: u64| {
            for i in from..from + n {
                assert!(matches!(a.append(0, 0, 0, i), Append::Done { .. }));
            }
        };
        let linger = ms(1000);
        let mut a = acc(16_384, 1 << 25);
        append(&mut a, 0, 148);
        assert_eq!(
            a.head_readiness(0, 0, linger, false),
            Some(Readiness::LingerUntil(linger)),
            "148 records fit in 16 KiB with room left: not full (isFull compares with writeLimit)"
        );
        append(&mut a, 148, 1);
        assert_eq!(
            a.head_readiness(0, 0, linger, false),
            Some(Readiness::Ready),
            "the 149th record opened a second batch behind the head"
        );
    }

    /// Exhausted memory (a send() waiting) or flush() drains partial batches immediately, and
    /// a retried batch does not linger again.
    #[test]
    fn exhaustion_flush_and_retries_skip_linger() {
        let mut a = acc(16_384, 1 << 25);
        let linger = ms(1000);
        let id = fill(&mut a, 0, 1)[0].0;
        assert_eq!(a.head_readiness(0, 0, linger, true), Some(Readiness::Ready));
        a.pop_head(0);
        a.batches[id as usize].retrying = true;
        a.reenqueue(id);
        assert_eq!(a.head_readiness(0, 0, linger, false), Some(Readiness::Ready));
    }

    /// The buffer pool is conserved through appends, completion and recycling; a leak is caught.
    #[test]
    fn buffer_memory_is_conserved_and_a_leak_is_caught() {
        let mut a = acc(1000, 3000);
        let ids: Vec<BatchId> = fill(&mut a, 0, 20).iter().map(|x| x.0).collect();
        a.assert_memory_conserved(3000);
        a.pop_head(0);
        a.release(ids[0]);
        a.recycle(ids[0]);
        a.assert_memory_conserved(3000);
        a.free_memory += 1;
        let leak = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.assert_memory_conserved(3000)));
        assert!(leak.is_err(), "the check notices one byte too many");
    }
}
