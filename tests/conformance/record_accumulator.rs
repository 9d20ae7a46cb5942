//! `RecordAccumulatorTest` (clients/src/test/java/org/apache/kafka/clients/producer/internals):
//! batching, linger, drain, expiry, retry backoff and the uniform sticky partitioner, on
//! prodsim's [`Accumulator`] and, where the sender's pass decides, a [`ClientDriver`].

use crate::common::{accumulator, answer, append, produces, spec};
use prodsim::model::components::{
    ms, rng_stream, Append, BuiltInPartitioner, ClientDriver, ErrorCode, Readiness, RecordOutcome, Stream,
};

/// Broker 0 leads partitions 0 and 3 of the default 6-partition topic (0, 1, 2, 0, 1, 2).
const P0: u32 = 0;
const P3: u32 = 3;

/// `RecordAccumulatorTest.testFull`: records fill a batch up to `batch.size`; a record that
/// does not fit closes it and opens the next; every batch but the last is full and the
/// partition is ready at once (no linger) as soon as a second batch is behind the head.
#[test]
fn full_batches_are_ready_without_linger() {
    let s = spec();
    let mut a = accumulator(&s);
    let linger = ms(1000);
    let mut rec = 0;
    while a.deques[0].len() < 3 {
        append(&mut a, 0, 0, rec);
        rec += 1;
    }
    let ids: Vec<u32> = a.deques[0].iter().copied().collect();
    for &id in &ids[..2] {
        let b = &a.batches[id as usize];
        assert!(b.closed && b.bytes <= 16_384, "a closed batch within batch.size");
        assert!(
            16_384 - b.bytes < a.record_estimate(),
            "no room left for another record"
        );
    }
    assert_eq!(a.batches[ids[0] as usize].count, a.batches[ids[1] as usize].count);
    assert_eq!(a.head_readiness(0, 0, linger, false), Some(Readiness::Ready));
}

/// `RecordAccumulatorTest.testAppendLarge`: a record larger than `batch.size` gets a batch of
/// its own, sized for it (`max(batch.size, record upper bound)`); the next record opens another.
#[test]
fn a_record_larger_than_batch_size_gets_its_own_batch() {
    let mut s = spec();
    s.producer.batch_size = 1024;
    s.workload.record_bytes = 4096;
    let mut a = accumulator(&s);
    let (b0, new0, _) = append(&mut a, 0, 0, 0);
    let (b1, new1, _) = append(&mut a, 0, 0, 1);
    assert!(new0 && new1 && b0 != b1, "one record per batch");
    let b = &a.batches[b0 as usize];
    assert!(b.write_limit >= a.record_estimate() && b.write_limit > 1024);
    assert_eq!(b.count, 1);
}

/// `RecordAccumulatorTest.testLinger`: a partial batch is not sent before `linger.ms` has
/// passed since its creation, then it is, with its one record.
#[test]
fn a_partial_batch_waits_for_linger() {
    let mut s = spec();
    s.producer.linger_ms = 10;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    c.send(1);
    assert_eq!(
        c.accumulator().head_readiness(0, 0, ms(10), false),
        Some(Readiness::LingerUntil(ms(10)))
    );
    assert!(!c.run_sender(), "not before linger.ms");
    c.set_time(ms(9));
    assert!(!c.run_sender());
    c.set_time(ms(10));
    assert!(c.run_sender());
    let sent = produces(&c.take_outputs());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.batches.len(), 1);
    assert_eq!(sent[0].1.batches[0].count, 1);
}

/// `RecordAccumulatorTest.testPartialDrain`: the drain of one node stops at
/// `max.request.size`: with two ready partitions and room for one batch, the request carries
/// one batch and the other partition's stays queued.
#[test]
fn drain_stops_at_max_request_size() {
    let mut s = spec();
    s.producer.max_request_size = 20_000;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    c.fill_batch(P0);
    c.fill_batch(P3);
    assert!(c.run_sender());
    let out = c.take_outputs();
    let sent = produces(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    assert_eq!(sent[0].1.batches.len(), 1, "only one batch fits max.request.size");
    let left = if sent[0].1.batches[0].partition == P0 { P3 } else { P0 };
    assert!(
        !c.accumulator().deques[left as usize].is_empty(),
        "the other partition waits"
    );
}

/// `RecordAccumulatorTest.testDrainBatches`: one drain takes at most one batch per partition
/// and every ready partition of the node: two full batches in each of partitions 0 and 3
/// (both led by broker 0) give one request with one batch of each.
#[test]
fn a_drain_takes_one_batch_per_partition() {
    let mut c = ClientDriver::new(&spec(), P0);
    c.connected(0);
    c.send_to(P0, 300);
    c.send_to(P3, 300);
    assert!(c.accumulator().deques[0].len() >= 2 && c.accumulator().deques[3].len() >= 2);
    assert!(c.run_sender());
    let out = c.take_outputs();
    let sent = produces(&out);
    let mut parts: Vec<u32> = sent[0].1.batches.iter().map(|b| b.partition).collect();
    parts.sort();
    assert_eq!(parts, vec![P0, P3], "{out:?}");
}

/// `RecordAccumulatorTest.testDrainBatches` (the per-node `drainIndex`): a partition left out
/// of a request by `max.request.size` is the first one drained into the next request.
#[test]
fn the_partition_left_out_goes_first_next_time() {
    let mut s = spec();
    s.producer.max_request_size = 20_000;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    c.send_to(P0, 300);
    c.send_to(P3, 300);
    assert!(c.run_sender());
    assert!(c.run_sender());
    let order: Vec<u32> = produces(&c.take_outputs())
        .iter()
        .map(|(_, r)| r.batches[0].partition)
        .collect();
    assert!(order.len() >= 2, "{order:?}");
    assert_ne!(order[0], order[1], "the next request starts with the other partition");
}

/// `RecordAccumulatorTest.testNextReadyCheckDelay`: a partition that is not ready says when
/// it will be (its batch's creation + `linger.ms`); a full one is ready now; the sender wakes
/// at the earliest.
#[test]
fn not_ready_partitions_say_when_they_will_be() {
    let s = spec();
    let mut a = accumulator(&s);
    let linger = ms(10);
    append(&mut a, 0, 0, 0);
    append(&mut a, 1, ms(3), 0);
    for rec in 0..149 {
        append(&mut a, 2, ms(4), rec);
    }
    assert_eq!(
        a.head_readiness(0, ms(4), linger, false),
        Some(Readiness::LingerUntil(ms(10)))
    );
    assert_eq!(
        a.head_readiness(1, ms(4), linger, false),
        Some(Readiness::LingerUntil(ms(13)))
    );
    assert_eq!(a.head_readiness(2, ms(4), linger, false), Some(Readiness::Ready));
}

/// `RecordAccumulatorTest.testRetryBackoff`: a batch that failed with a retriable error goes
/// back to the head of its deque and is not drained during `retry.backoff.ms` (100 ms, jitter
/// 20 %), then it is, with the same sequence.
#[test]
fn a_retry_waits_for_retry_backoff() {
    let mut c = ClientDriver::new(&spec(), P0);
    c.connected(0);
    let batch = c.fill_batch(P0);
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    c.set_time(ms(10));
    c.respond(0, req, vec![answer(batch, P0, ErrorCode::NotEnoughReplicas)]);
    assert_eq!(c.accumulator().deques[0].front(), Some(&batch), "back at the head");
    assert_eq!(c.accumulator().batches[batch as usize].attempts, 1);
    c.set_time(ms(10 + 79));
    c.run_sender();
    assert!(produces(&c.take_outputs()).is_empty(), "within the backoff");
    c.set_time(ms(10 + 120));
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.batches[0].batch, batch);
    assert_eq!(sent[0].1.batches[0].producer.base_seq, 0);
}

/// `RecordAccumulatorTest.testExponentialRetryBackoff`: the second retry backs off twice as
/// long (`retry.backoff.ms * 2^(attempts-1)`, jitter 20 %): not before 160 ms.
#[test]
fn retry_backoff_grows_exponentially() {
    let mut c = ClientDriver::new(&spec(), P0);
    c.connected(0);
    let batch = c.fill_batch(P0);
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    c.respond(0, req, vec![answer(batch, P0, ErrorCode::NotEnoughReplicas)]);
    c.set_time(ms(200));
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    c.respond(0, req, vec![answer(batch, P0, ErrorCode::NotEnoughReplicas)]);
    assert_eq!(c.accumulator().batches[batch as usize].attempts, 2);
    c.set_time(ms(200 + 159));
    c.run_sender();
    assert!(
        produces(&c.take_outputs()).is_empty(),
        "the second backoff is at least 160 ms"
    );
    c.set_time(ms(200 + 240));
    c.run_sender();
    assert_eq!(produces(&c.take_outputs()).len(), 1, "and at most 240 ms");
}

/// `RecordAccumulatorTest.testExponentialRetryBackoffLeaderChange` (KIP-951): when the error
/// names a new leader, the retry skips the backoff and goes to the new leader at once.
#[test]
fn a_leader_change_skips_the_retry_backoff() {
    let mut c = ClientDriver::new(&spec(), P0);
    c.connected(0);
    c.connected(1);
    let batch = c.fill_batch(P0);
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    let mut r = answer(batch, P0, ErrorCode::NotLeaderOrFollower);
    r.leader_hint = Some((1, 1));
    c.respond(0, req, vec![r]);
    assert_eq!(c.sender().leaders[0], Some(1), "metadata from the response");
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent.len(), 1, "no backoff");
    assert_eq!(sent[0].0, 1, "to the new leader");
    assert_eq!(sent[0].1.batches[0].batch, batch);
}

/// `RecordAccumulatorTest.testFlush`: `flush()` makes partial batches ready at once, linger
/// or not.
#[test]
fn flush_drains_partial_batches() {
    let mut s = spec();
    s.producer.linger_ms = 1000;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    c.send(3);
    assert!(!c.run_sender(), "lingering");
    c.flush();
    assert!(c.run_sender());
    let sent = produces(&c.take_outputs());
    assert_eq!(sent[0].1.batches[0].count, 3);
}

/// `RecordAccumulatorTest.testExpiredBatches` / `testExpiredBatchSingle`: a batch that cannot
/// be sent fails when `delivery.timeout.ms` has passed since its creation, not before.
#[test]
fn a_queued_batch_expires_at_delivery_timeout() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(60_000);
    let mut c = ClientDriver::new(&s, P0);
    c.unreachable(0);
    c.send(5);
    c.set_time(ms(60_000) - 1);
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), None, "not yet");
    c.set_time(ms(60_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    assert_eq!(c.outcome(P0, 4), Some(RecordOutcome::Failed));
    assert!(c.accumulator().deques[0].is_empty());
}

/// `RecordAccumulatorTest.testMutedPartitions`: with `max.in.flight.requests.per.connection
/// = 1` (guaranteed order) a partition with a batch in flight is muted: its next batch is not
/// drained until the answer came.
#[test]
fn a_partition_with_a_batch_in_flight_is_muted_with_max_in_flight_one() {
    let mut s = spec();
    s.producer.max_in_flight_requests_per_connection = 1;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    c.send(300);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent.len(), 1);
    assert!(!c.run_sender(), "muted");
    let first = sent[0].1.batches[0].batch;
    c.respond(0, sent[0].1.id, vec![answer(first, P0, ErrorCode::None)]);
    assert!(c.run_sender(), "unmuted by the answer");
}

/// `RecordAccumulatorTest.testReadyAndDrainWhenABatchIsBeingRetried`: a retried batch does
/// not linger again: it is ready as soon as it is re-enqueued.
#[test]
fn a_retried_batch_does_not_linger_again() {
    let s = spec();
    let mut a = accumulator(&s);
    let linger = ms(1000);
    let (id, _, _) = append(&mut a, 0, 0, 0);
    assert!(matches!(
        a.head_readiness(0, 0, linger, false),
        Some(Readiness::LingerUntil(_))
    ));
    a.pop_head(0);
    a.batches[id as usize].closed = true;
    a.batches[id as usize].retrying = true;
    a.reenqueue(id);
    assert_eq!(a.head_readiness(0, ms(1), linger, false), Some(Readiness::Ready));
}

/// `RecordAccumulatorTest.testStickyBatches` (with `testUniformBuiltInPartitioner`): keyless
/// records stick to one partition; when records fill a batch exactly, the partitioner moves on
/// with each full batch of `batch.size` bytes.
#[test]
fn keyless_records_stick_to_a_partition_for_one_full_batch() {
    let mut s = spec();
    // 61 bytes of batch header + 10 records of 109 bytes: a batch holds exactly 10 records.
    s.producer.batch_size = 61 + 10 * 109;
    let mut a = accumulator(&s);
    let leaders = [true; 6];
    let p = a.sticky_partition(&leaders);
    for rec in 0..10 {
        assert_eq!(a.sticky_partition(&leaders), p, "sticky until the batch is full");
        append(&mut a, p, 0, rec);
    }
    let head = a.deques[p as usize][0];
    assert!(a.batches[head as usize].is_full());
    assert_eq!(a.partitioner.current(), None, "switched with the full batch");
}

/// `RecordAccumulatorTest.testBuiltInPartitionerFractionalBatches`: when records do not fill
/// a batch exactly, the switch waits (at least `batch.size` bytes and a full last batch) but
/// never beyond twice `batch.size`.
#[test]
fn fractional_batches_switch_between_one_and_two_batch_sizes() {
    let s = spec();
    let mut a = accumulator(&s);
    let leaders = [true; 6];
    let p = a.sticky_partition(&leaders);
    let mut rec = 0;
    while a.partitioner.current() == Some(p) {
        assert!(a.partitioner.bytes_to_forced_switch() > 0);
        // `append` answers PartitionChanged when the record that would open a new batch
        // completes a suppressed switch instead (`partitionChanged` before `appendNewBatch`).
        if let Append::PartitionChanged = a.append(p, 0, 0, rec) {
            break;
        }
        rec += 1;
    }
    let bytes: u32 = a.deques[p as usize].iter().map(|&b| a.batches[b as usize].bytes).sum();
    assert!(bytes >= 16_384, "at least batch.size: {bytes}");
    assert!(bytes <= 2 * 16_384 + a.record_estimate(), "at most twice: {bytes}");
}

/// `RecordAccumulatorTest.testUniformBuiltInPartitioner`: without adaptive partitioning, the
/// sticky choices spread evenly over the partitions.
#[test]
fn the_uniform_sticky_partitioner_spreads_evenly() {
    let mut bp = BuiltInPartitioner::new(3, 1000, false, rng_stream(5, Stream::Partitioner));
    let mut counts = [0u32; 3];
    for _ in 0..3000 {
        let p = bp.partition(&[true; 3], |_| 0);
        counts[p as usize] += 1;
        bp.update_partition_info(2000, false);
    }
    for c in counts {
        assert!((900..1100).contains(&c), "{counts:?}");
    }
}

/// `RecordAccumulatorTest.testAdaptiveBuiltInPartitioner`: with adaptive partitioning,
/// partitions are weighted by `maxQueue + 1 - queue`: queues (0, 3, 0, 1) weigh 4 : 1 : 4 : 3;
/// a partition without a leader is never chosen.
#[test]
fn adaptive_partitioning_favours_short_queues() {
    let queues = [0u64, 3, 0, 1];
    let mut bp = BuiltInPartitioner::new(4, 1000, true, rng_stream(6, Stream::Partitioner));
    let mut counts = [0u32; 4];
    let n = 12_000;
    for _ in 0..n {
        let p = bp.partition(&[true; 4], |p| queues[p]);
        counts[p as usize] += 1;
        bp.update_partition_info(2000, false);
    }
    let share = |i: usize| counts[i] as f64 / n as f64;
    assert!((share(1) - 1.0 / 12.0).abs() < 0.02, "{counts:?}");
    assert!((share(3) - 3.0 / 12.0).abs() < 0.03, "{counts:?}");
    let mut bp = BuiltInPartitioner::new(4, 1000, true, rng_stream(7, Stream::Partitioner));
    for _ in 0..200 {
        assert_ne!(bp.partition(&[true, true, false, true], |p| queues[p]), 2);
        bp.update_partition_info(2000, false);
    }
}

/// `RecordAccumulatorTest.append` / `partitionChanged` (exercised by
/// `testUniformBuiltInPartitioner` and `testBuiltInPartitionerFractionalBatches`): a switch
/// suppressed because the last batch was not full is completed at the next append once every
/// batch of the partition is full or drained (`allBatchesFull` -> `updatePartitionInfo(0,
/// enableSwitch = true)`): the next keyless record starts a new sticky count.
#[test]
fn a_suppressed_switch_completes_once_the_partitions_batches_are_drained() {
    let s = spec();
    let mut a = accumulator(&s);
    let leaders = [true; 6];
    let p = a.sticky_partition(&leaders);
    // 149 records: the first batch closes at 148, the 149th opens a second one; more than
    // batch.size bytes went to p, but the last batch is not full: the switch is suppressed.
    for rec in 0..149 {
        append(&mut a, p, 0, rec);
    }
    assert_eq!(a.partitioner.current(), Some(p));
    // The sender drains both batches: the deque is empty ("all batches full").
    while let Some(id) = a.pop_head(p) {
        a.release(id);
    }
    let q = a.sticky_partition(&leaders);
    let (b, _, _) = append(&mut a, q, ms(1), if q == p { 149 } else { 0 });
    let bytes = a.batches[b as usize].bytes as u64;
    assert_eq!(
        a.partitioner.produced_bytes(),
        bytes,
        "a new sticky count started with this record"
    );
}

/// `RecordAccumulator.drainBatchesForOneNode` (`updateDrainIndex` before each visit, as
/// `testDrainBatches` relies on): the next drain of a node starts at the last partition the
/// previous drain visited. Node 0 leads partitions 0, 3 and 6 of 9; the first drain visits
/// 0, 3, 6; the second starts at 6.
#[test]
fn the_next_drain_starts_at_the_last_partition_visited() {
    let mut s = spec();
    s.cluster.partitions = 9;
    let mut c = ClientDriver::new(&s, 0);
    c.connected(0);
    for p in [0, 3, 6] {
        c.send_to(p, 600);
    }
    let mut orders = Vec::new();
    for _ in 0..2 {
        c.run_sender();
        let sent = produces(&c.take_outputs());
        orders.push(sent[0].1.batches.iter().map(|b| b.partition).collect::<Vec<u32>>());
    }
    assert_eq!(orders[0], vec![0, 3, 6]);
    assert_eq!(orders[1], vec![6, 0, 3]);
}

/// `RecordAccumulator.drainBatchesForOneNode` with `shouldStopDrainBatchesForPartition`
/// (`SenderTest.testIdempotenceWithMultipleInflightsRetriedInOrder` relies on it): when a
/// partition's head must wait (a retried batch behind an earlier in-flight one), Kafka
/// `break`s: the rest of the node's partitions wait for the next drain too.
#[test]
fn an_idempotent_drain_stop_ends_the_nodes_drain() {
    let mut c = ClientDriver::new(&spec(), P0);
    c.connected(0);
    let a1 = c.fill_batch(P0);
    c.run_sender(); // [a1]; the next drain starts at partition 3
    let a2 = c.fill_batch(P0);
    assert_ne!(a1, a2);
    c.run_sender(); // [a2]; the next drain starts at partition 0
    let sent = produces(&c.take_outputs());
    assert_eq!(sent.len(), 2);
    c.respond(0, sent[1].1.id, vec![answer(a2, P0, ErrorCode::NotEnoughReplicas)]);
    c.fill_batch(P3);
    c.set_time(ms(500));
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert!(sent.is_empty(), "partition 0 stops the drain: {sent:?}");
}

/// `RecordAccumulatorTest.testSplitAndReenqueue`: a drained batch of two 1 KiB records, bigger
/// than the split size, is split into two batches of one record each that go back to the
/// front of the deque in record order, untried: the first is drained (and acknowledged)
/// first, then the second. (Kafka builds the big batch off an accumulator of `batch.size`
/// 1024 and compresses it; the model splits into 1024 explicitly.)
#[test]
fn split_and_reenqueue_sends_the_records_again_in_order() {
    let mut s = spec();
    s.producer.batch_size = 4096;
    s.workload.record_bytes = 1024;
    let mut a = accumulator(&s);
    let (big, _, _) = append(&mut a, P0, 0, 0);
    append(&mut a, P0, 0, 1);
    assert_eq!(a.batches[big as usize].count, 2);
    assert_eq!(a.pop_head(P0), Some(big));
    let pieces = a.split_into_and_reenqueue(big, 1024);
    assert_eq!(pieces.len(), 2);
    let order: Vec<(u64, u32, u32)> = a.deques[P0 as usize]
        .iter()
        .map(|&b| {
            let b = &a.batches[b as usize];
            (b.rec_start, b.count, b.attempts)
        })
        .collect();
    assert_eq!(order, vec![(0, 1, 0), (1, 1, 0)]);
    assert_eq!(a.pop_head(P0), Some(pieces[0]));
    assert_eq!(a.pop_head(P0), Some(pieces[1]));
}

/// `RecordAccumulatorTest.testSplitBatchOffAccumulator`: the split batches are allocated off
/// the accumulator: once the big batch is deallocated the pool is whole again, with the split
/// batches still to send.
#[test]
fn split_batches_are_allocated_off_the_accumulator() {
    let mut s = spec();
    s.producer.batch_size = 1024;
    s.producer.buffer_memory = 3 * 1024;
    s.workload.record_bytes = 100;
    let mut a = accumulator(&s);
    let (big, _, _) = append(&mut a, P0, 0, 0);
    for rec in 1..8 {
        append(&mut a, P0, 0, rec);
    }
    assert_eq!(a.batches[big as usize].count, 8);
    assert_eq!(a.free_memory, 2 * 1024);
    a.pop_head(P0);
    let pieces = a.split_into_and_reenqueue(big, 256);
    assert!(pieces.len() > 1, "{pieces:?}");
    a.release(big);
    a.recycle(big);
    assert_eq!(
        a.free_memory,
        3 * 1024,
        "The split batches should be allocated off the accumulator"
    );
    a.assert_memory_conserved(3 * 1024);
    for &p in &pieces {
        a.release(p);
    }
    assert_eq!(a.free_memory, 3 * 1024, "and give nothing back when done");
}
