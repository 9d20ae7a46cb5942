//! `ProducerBatchTest` (clients/src/test/java/org/apache/kafka/clients/producer/internals): one
//! batch's appends, completion and expiry, on prodsim's [`Accumulator`] and a [`ClientDriver`].
//! Compression, headers and record errors are not modelled.

use crate::common::{accumulator, answer, append, produces, spec};
use prodsim::model::components::{ms, ClientDriver, ErrorCode, RecordOutcome};

/// `ProducerBatchTest.testShouldNotAttemptAppendOnceRecordsBuilderIsClosedForAppends`: a batch
/// closed for appends (drained) takes no more records; the next one opens a new batch.
#[test]
fn a_closed_batch_takes_no_more_records() {
    let s = spec();
    let mut a = accumulator(&s);
    let (b0, _, _) = append(&mut a, 0, 0, 0);
    a.batches[b0 as usize].closed = true;
    let (b1, new, _) = append(&mut a, 0, 0, 1);
    assert!(new && b1 != b0);
    assert_eq!(a.batches[b0 as usize].count, 1);
}

/// `ProducerBatchTest.testBatchExpiration`: a batch expires `delivery.timeout.ms` after its
/// creation, not after its last append.
#[test]
fn a_batch_expires_from_its_creation() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(10_000);
    s.producer.linger_ms = 100_000;
    let mut c = ClientDriver::new(&s, 0);
    c.unreachable(0);
    c.send(1);
    c.set_time(ms(9_000));
    c.send(1);
    c.set_time(ms(10_000));
    c.run_sender();
    assert_eq!(
        c.outcome(0, 1),
        Some(RecordOutcome::Failed),
        "the later record expires with it"
    );
}

/// `ProducerBatchTest.testBatchExpirationAfterReenqueue`: a retried batch still expires counting
/// from its creation.
#[test]
fn a_retried_batch_expires_from_its_creation() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(10_000);
    let mut c = ClientDriver::new(&s, 0);
    c.connected(0);
    let b = c.fill_batch(0);
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    c.set_time(ms(9_000));
    c.respond(0, req, vec![answer(b, 0, ErrorCode::NotEnoughReplicas)]);
    assert_eq!(c.outcome(0, 0), None, "retrying");
    c.unreachable(0);
    c.set_time(ms(10_000));
    c.run_sender();
    assert_eq!(c.outcome(0, 0), Some(RecordOutcome::Failed));
}

/// `ProducerBatchTest.testBatchCannotCompleteTwice`: a batch completed by expiry is not
/// completed again by its late success.
#[test]
fn a_batch_completes_once() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(10_000);
    let mut c = ClientDriver::new(&s, 0);
    c.connected(0);
    let b = c.fill_batch(0);
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    c.set_time(ms(10_000));
    c.run_sender();
    assert_eq!(c.outcome(0, 0), Some(RecordOutcome::Failed));
    c.respond(0, req, vec![answer(b, 0, ErrorCode::None)]);
    assert_eq!(
        c.outcome(0, 0),
        Some(RecordOutcome::Failed),
        "the first completion stands"
    );
}

/// `ProducerBatchTest.testWithLeaderChangesAcrossRetries`: a retry skips its backoff only when
/// the leader changed since the attempt (`hasLeaderChangedForTheOngoingRetry`); a second
/// failure on the same leader backs off again.
#[test]
fn only_a_leader_change_skips_the_backoff() {
    let mut c = ClientDriver::new(&spec(), 0);
    c.connected(0);
    c.connected(1);
    let b = c.fill_batch(0);
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    let mut r = answer(b, 0, ErrorCode::NotLeaderOrFollower);
    r.leader_hint = Some((1, 1));
    c.respond(0, req, vec![r]);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(
        (sent[0].0, sent[0].1.batches[0].batch),
        (1, b),
        "at once, to the new leader"
    );
    c.respond(1, sent[0].1.id, vec![answer(b, 0, ErrorCode::NotEnoughReplicas)]);
    c.run_sender();
    assert!(produces(&c.take_outputs()).is_empty(), "same leader: backoff");
}

/// `ProducerBatchTest.testSplitPreservesHeaders` / `testSplitPreservesMagicAndCompressionType`
/// (what the model has of them: no headers, magic v2, no compression): `ProducerBatch.split`
/// into 512-byte buffers makes several batches, each a split batch holding consecutive records
/// within 512 bytes, all the records in order, none tried yet.
#[test]
fn a_split_keeps_every_record_in_order_in_split_batches() {
    let mut s = spec();
    s.workload.record_bytes = 100;
    let mut a = accumulator(&s);
    let (big, _, _) = append(&mut a, 0, 0, 0);
    for rec in 1..20 {
        append(&mut a, 0, 0, rec);
    }
    a.pop_head(0);
    let pieces = a.split(big, 512);
    assert!(
        pieces.len() >= 2,
        "This batch should be split to multiple small batches."
    );
    let mut next = 0;
    for &p in &pieces {
        let b = &a.batches[p as usize];
        assert!(b.split && b.closed && b.attempts == 0);
        assert_eq!(b.rec_start, next);
        assert!(b.bytes <= 512, "{}", b.bytes);
        next += b.count as u64;
    }
    assert_eq!(next, 20);
}
