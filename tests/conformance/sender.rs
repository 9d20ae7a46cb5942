//! `SenderTest` (clients/src/test/java/org/apache/kafka/clients/producer/internals): the
//! sender's pass, responses, retries, the idempotent producer's sequences in flight, delivery
//! timeouts, on a [`ClientDriver`] (the producer alone; the test answers as the broker).

use crate::common::{answer, produces, spec};
use prodsim::model::components::{ms, ClientDriver, ErrorCode, Output, RecordOutcome};

const P0: u32 = 0;

/// A client with a connection to broker 0 (partition 0's leader).
fn client() -> ClientDriver {
    let mut c = ClientDriver::new(&spec(), P0);
    c.connected(0);
    c
}

/// Sends one full batch of partition 0; returns (batch, request id).
fn send_one(c: &mut ClientDriver) -> (u32, u64) {
    let b = c.fill_batch(P0);
    assert!(c.run_sender());
    let sent = produces(&c.take_outputs());
    let r = sent.last().expect("a request");
    assert_eq!(r.1.batches[0].batch, b);
    (b, r.1.id)
}

/// Sends one batch of `n` records of partition 0 (flushed: no batch left open); returns
/// (batch, request id).
fn send_small(c: &mut ClientDriver, n: u64) -> (u32, u64) {
    c.send(n);
    c.flush();
    assert!(c.run_sender());
    let sent = produces(&c.take_outputs());
    let r = sent.last().expect("a request");
    (r.1.batches[0].batch, r.1.id)
}

/// `SenderTest.testSimple`: a ready batch goes to its leader in one produce request; the
/// success answer completes it (the application is told, nothing is in flight).
#[test]
fn a_batch_is_sent_and_acknowledged() {
    let mut c = client();
    let (b, req) = send_one(&mut c);
    assert_eq!(c.in_flight(0), 1);
    let count = c.accumulator().batches[b as usize].count as u64;
    c.respond(0, req, vec![answer(b, P0, ErrorCode::None)]);
    assert_eq!(c.in_flight(0), 0);
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Acked));
    assert_eq!(c.outcome(P0, count - 1), Some(RecordOutcome::Acked));
}

/// `SenderTest.testNodeNotReady` with `NetworkClientTest.testApiVersionsRequest`: a leader
/// without a connection is connected to first; no produce request goes out until the
/// connection is up and its `ApiVersionsRequest` answered.
#[test]
fn a_disconnected_leader_is_connected_first() {
    let mut c = ClientDriver::new(&spec(), P0);
    c.fill_batch(P0);
    assert!(!c.run_sender());
    let out = c.take_outputs();
    assert!(produces(&out).is_empty());
    assert!(
        out.iter().any(|o| matches!(o, Output::Connect { node: 0, .. })),
        "{out:?}"
    );
    c.connect_done(0, true);
    assert!(!c.run_sender(), "connected, checking API versions: not ready");
    let out = c.take_outputs();
    assert!(produces(&out).is_empty());
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::ApiVersionsRequest { to: 0, .. })),
        "{out:?}"
    );
    c.api_versions_response(0);
    assert!(c.run_sender());
    assert_eq!(produces(&c.take_outputs()).len(), 1);
}

/// `SenderTest.testRetries`: a retriable error is retried up to `retries` times; the next
/// error fails the batch.
#[test]
fn retries_are_bounded_by_the_retries_setting() {
    let mut s = spec();
    s.producer.retries = 1;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b, req) = send_one(&mut c);
    c.respond(0, req, vec![answer(b, P0, ErrorCode::RequestTimedOut)]);
    assert_eq!(c.retries(), 1);
    assert_eq!(c.outcome(P0, 0), None, "retried, not failed");
    c.set_time(ms(200));
    c.run_sender();
    let req = produces(&c.take_outputs())[0].1.id;
    c.respond(0, req, vec![answer(b, P0, ErrorCode::RequestTimedOut)]);
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed), "retries exhausted");
    assert_eq!(c.retries(), 1);
}

/// `SenderTest.testCanRetryWithoutIdempotence`: without idempotence a retriable error is
/// retried too; the batch carries no sequence.
#[test]
fn a_non_idempotent_batch_is_retried_without_a_sequence() {
    let mut s = spec();
    s.producer.enable_idempotence = Some(false);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let b = c.fill_batch(P0);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent[0].1.batches[0].producer.base_seq, -1);
    c.respond(0, sent[0].1.id, vec![answer(b, P0, ErrorCode::NotEnoughReplicas)]);
    assert_eq!(c.retries(), 1);
    c.set_time(ms(200));
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent[0].1.batches[0].batch, b);
    assert_eq!(sent[0].1.batches[0].producer.base_seq, -1);
}

/// `SenderTest.testIdempotenceWithMultipleInflights`: two requests in flight to one
/// partition carry consecutive sequences (the second starts at the first's record count);
/// both acknowledged, the last acknowledged sequence is the second's last.
#[test]
fn in_flight_batches_carry_consecutive_sequences() {
    let mut c = client();
    let (b1, r1) = send_one(&mut c);
    let (b2, r2) = send_one(&mut c);
    assert_eq!(c.in_flight(0), 2);
    let n1 = c.accumulator().batches[b1 as usize].count as i32;
    let n2 = c.accumulator().batches[b2 as usize].count as i32;
    assert_eq!(c.accumulator().batches[b2 as usize].seq, n1);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::None)]);
    c.respond(0, r2, vec![answer(b2, P0, ErrorCode::None)]);
    assert_eq!(c.sender().tm.last_acked_sequence(0), n1 + n2 - 1);
}

/// `SenderTest.testIdempotenceWithMultipleInflightsRetriedInOrder`: the first of two in-flight
/// batches fails (retriable), the second gets `OUT_OF_ORDER_SEQUENCE_NUMBER`; both are
/// retried in sequence order: the first alone, the second only after the first is answered.
#[test]
fn retried_in_flight_batches_go_again_in_sequence_order() {
    let mut c = client();
    let (b1, r1) = send_one(&mut c);
    let (b2, r2) = send_one(&mut c);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::NotEnoughReplicas)]);
    c.respond(0, r2, vec![answer(b2, P0, ErrorCode::OutOfOrderSequenceNumber)]);
    assert_eq!(c.sender().tm.producer_epoch, 0, "not a gap: no epoch bump");
    c.set_time(ms(300));
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.batches.len(), 1);
    assert_eq!(sent[0].1.batches[0].batch, b1);
    assert!(!c.run_sender(), "b2 waits for b1");
    c.respond(0, sent[0].1.id, vec![answer(b1, P0, ErrorCode::None)]);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent[0].1.batches[0].batch, b2);
    assert_eq!(
        sent[0].1.batches[0].producer.base_seq,
        c.accumulator().batches[b1 as usize].count as i32
    );
}

/// `SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatch`: `OUT_OF_ORDER_SEQUENCE_NUMBER`
/// for the batch right after the last acknowledged one is a real gap: the producer epoch is
/// bumped at the next sender loop (`requestEpochBumpForPartition`, then
/// `bumpIdempotentEpochAndResetIdIfNeeded` in `Sender.runOnce`) and the batch is retried as
/// sequence 0 of the new epoch.
#[test]
fn an_out_of_order_sequence_after_the_last_ack_bumps_the_epoch() {
    let mut c = client();
    let (b1, r1) = send_one(&mut c);
    let (b2, r2) = send_one(&mut c);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::None)]);
    c.respond(0, r2, vec![answer(b2, P0, ErrorCode::OutOfOrderSequenceNumber)]);
    assert!(c.sender().tm.epoch_bump_required());
    assert_eq!(c.sender().tm.producer_epoch, 0, "at the next loop");
    c.set_time(ms(300));
    c.run_sender();
    assert_eq!(c.sender().tm.producer_epoch, 1);
    let sent = produces(&c.take_outputs());
    let pb = sent[0].1.batches[0];
    assert_eq!((pb.batch, pb.producer.epoch, pb.producer.base_seq), (b2, 1, 0));
}

/// `SenderTest.testExpiryOfUnsentBatchesShouldNotCauseUnresolvedSequences`: a batch that
/// expires before it was ever sent leaves no unresolved sequence.
#[test]
fn an_unsent_expired_batch_leaves_no_unresolved_sequence() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.unreachable(0);
    c.fill_batch(P0);
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    assert!(!c.sender().tm.is_unresolved(0));
    assert_eq!(c.sender().tm.producer_epoch, 0);
}

/// `SenderTest.testExpiryOfAllSentBatchesShouldCauseUnresolvedSequences`: a batch in retry
/// that expires in flight leaves its sequence unresolved (`markSequenceUnresolved`); nothing of
/// the partition is unfinished and nothing was acknowledged, so the next loop
/// (`maybeResolveSequences`) bumps the epoch and the partition's next batch starts at sequence
/// 0 of the new epoch. Its late answer changes nothing.
#[test]
fn expired_in_flight_batches_resolve_to_an_epoch_bump() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b1, r1) = send_one(&mut c);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::NotLeaderOrFollower)]);
    c.set_time(ms(1_000));
    c.run_sender();
    let r1 = produces(&c.take_outputs())[0].1.id;
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    assert!(c.sender().tm.is_unresolved(0), "it may have been written");
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::NetworkException)]);
    c.run_sender();
    assert_eq!(c.sender().tm.producer_epoch, 1, "never acknowledged: bump");
    let b2 = c.fill_batch(P0);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    let pb = sent[0].1.batches[0];
    assert_eq!((pb.batch, pb.producer.epoch, pb.producer.base_seq), (b2, 1, 0));
}

/// `SenderTest.testExpiryOfFirstBatchShouldNotCauseUnresolvedSequencesIfFutureBatchesSucceed`:
/// the first batch, in retry, expires (its sequence unresolved), a later one is acknowledged
/// past it: the next loop resolves the unknown sequence without a bump.
#[test]
fn a_later_acknowledgement_resolves_an_expired_batch() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b1, r1) = send_small(&mut c, 5);
    c.set_time(ms(20_000));
    let (b2, r2) = send_small(&mut c, 5);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::RequestTimedOut)]);
    c.unreachable(0);
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    assert!(c.sender().tm.is_unresolved(0));
    c.respond(0, r2, vec![answer(b2, P0, ErrorCode::None)]);
    assert!(c.sender().tm.is_unresolved(0), "until the next loop");
    c.run_sender();
    assert!(!c.sender().tm.is_unresolved(0));
    assert_eq!(c.sender().tm.producer_epoch, 0, "no bump");
}

/// `SenderTest.testInflightBatchesExpireOnDeliveryTimeout` with `testExpiredBatchDoesNotRetry`:
/// an in-flight batch fails at `delivery.timeout.ms`; its late retriable error is not retried
/// and does not change what the application was told.
#[test]
fn an_in_flight_batch_expires_and_its_late_error_is_not_retried() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b, r) = send_one(&mut c);
    c.set_time(ms(30_000) - 1);
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), None);
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    c.respond(0, r, vec![answer(b, P0, ErrorCode::NotEnoughReplicas)]);
    assert_eq!(c.retries(), 0, "not retried");
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
}

/// `SenderTest.testWhenProduceResponseReturnsWithALeaderShipChangeErrorAndNewLeaderInformation`
/// (KIP-951): the new leader in a `NOT_LEADER_OR_FOLLOWER` answer updates the producer's
/// metadata at once; a hint with an older leader epoch is ignored.
#[test]
fn a_leader_hint_updates_metadata() {
    let mut c = client();
    let (b, r) = send_one(&mut c);
    let mut resp = answer(b, P0, ErrorCode::NotLeaderOrFollower);
    resp.leader_hint = Some((2, 3));
    c.respond(0, r, vec![resp]);
    assert_eq!((c.sender().leaders[0], c.sender().leader_epochs[0]), (Some(2), 3));
    c.connected(2);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent[0].0, 2);
    let mut stale = answer(b, P0, ErrorCode::NotLeaderOrFollower);
    stale.leader_hint = Some((1, 2));
    c.respond(2, sent[0].1.id, vec![stale]);
    assert_eq!(c.sender().leaders[0], Some(2), "older epoch: ignored");
}

/// `SenderTest.testWhenProduceResponseReturnsWithALeaderShipChangeErrorButNoNewLeaderInformation`:
/// without a hint the batch backs off and the producer asks for metadata.
#[test]
fn a_leadership_error_without_a_hint_asks_for_metadata() {
    let mut c = client();
    let (b, r) = send_one(&mut c);
    c.respond(0, r, vec![answer(b, P0, ErrorCode::NotLeaderOrFollower)]);
    c.run_sender();
    let out = c.take_outputs();
    assert!(produces(&out).is_empty(), "backing off: {out:?}");
    assert!(
        out.iter().any(|o| matches!(o, Output::MetadataRequest { .. })),
        "{out:?}"
    );
}

/// `SenderTest.testSendInOrder` with `max.in.flight.requests.per.connection = 1`: a retried
/// batch goes again before the partition's next batch, which waits for it.
#[test]
fn with_one_in_flight_a_retry_goes_before_the_next_batch() {
    let mut s = spec();
    s.producer.max_in_flight_requests_per_connection = 1;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    c.send(300);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    let b1 = sent[0].1.batches[0].batch;
    c.respond(0, sent[0].1.id, vec![answer(b1, P0, ErrorCode::NotEnoughReplicas)]);
    c.set_time(ms(200));
    c.run_sender();
    let sent = produces(&c.take_outputs());
    assert_eq!(sent[0].1.batches[0].batch, b1, "the retry first");
    assert!(!c.run_sender(), "the next batch waits");
}

/// `SenderTest.testRetries` for the connection (`NetworkClient` request timeout): a request
/// unanswered at `request.timeout.ms` is failed with a disconnect and its batch retried.
#[test]
fn an_unanswered_request_times_out_and_is_retried() {
    let mut c = client();
    let (b, _) = send_one(&mut c);
    let timeout = ms(spec().producer.request_timeout_ms);
    c.advance_to(timeout - 1);
    assert!(c.in_flight(0) >= 1);
    c.advance_to(timeout);
    assert_eq!(c.in_flight(0), 0);
    let out = c.take_outputs();
    assert!(
        out.iter().any(|o| matches!(o, Output::ConnectionClosed { to: 0, .. })),
        "{out:?}"
    );
    assert_eq!(c.accumulator().batches[b as usize].attempts, 1);
    assert_eq!(c.accumulator().deques[0].front(), Some(&b));
}

/// KAFKA-14034 / `TransactionManager.handleFailedBatch` in Kafka 4.x (as `SenderTest
/// .testEpochBumpOnOutOfOrderSequenceForNextBatchWhenBatchInFlightFails` exercises): an
/// idempotent batch failing for good with `attempts < retries` bumps the epoch at once
/// (`requestEpochBumpForPartition`, applied by the next `runOnce`), even while later batches
/// are in flight: `startSequencesAtBeginning` renumbers the one in flight (the duplicate
/// hazard). With the unmerged fix (`epoch_bump_waits_for_in_flight`) the partition is marked
/// unresolved and the in-flight batch keeps its numbers.
#[test]
fn a_failed_batch_bumps_the_epoch_at_once() {
    let mut c = client();
    let (b1, r1) = send_one(&mut c);
    let (b2, _) = send_one(&mut c);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::InvalidProducerEpoch)]);
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    c.run_sender();
    assert_eq!(c.sender().tm.producer_epoch, 1, "bumped at once");
    let b = &c.accumulator().batches[b2 as usize];
    assert_eq!((b.producer_epoch, b.seq), (1, 0), "the in-flight batch renumbered");

    let mut s = spec();
    s.producer.epoch_bump_waits_for_in_flight = true;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b1, r1) = send_one(&mut c);
    let (b2, _) = send_one(&mut c);
    let seq2 = c.accumulator().batches[b2 as usize].seq;
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::InvalidProducerEpoch)]);
    c.run_sender();
    assert_eq!(c.sender().tm.producer_epoch, 0, "the bump waits");
    assert!(c.sender().tm.is_unresolved(0));
    let b = &c.accumulator().batches[b2 as usize];
    assert_eq!((b.producer_epoch, b.seq), (0, seq2));
}

/// Kafka 4.x `Sender.sendProducerData`: an expired in-flight batch is marked unresolved only
/// if it was in retry (`expiredBatch.inRetry()`); a first attempt that expires leaves the
/// partition's sequence resolved (the KAFKA-14034 hazard).
#[test]
fn an_expired_first_attempt_is_not_unresolved() {
    let mut s = spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    send_one(&mut c);
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    assert!(!c.sender().tm.is_unresolved(0));
}

/// Sends one batch of two 8000-byte records of partition 0 (one batch: 2 x ~8 KB fit
/// `batch.size` 16384); returns (batch, request id).
fn send_two_big_records(c: &mut ClientDriver) -> (u32, u64) {
    let (b, req) = send_small(c, 2);
    assert_eq!(c.accumulator().batches[b as usize].count, 2);
    (b, req)
}

fn big_records_spec() -> prodsim::RunSpec {
    let mut s = spec();
    s.workload.record_bytes = 8_000;
    s
}

/// `SenderTest.testIdempotentSplitBatchAndSend`: MESSAGE_TOO_LARGE on a batch of two records
/// splits it and sends it again: no retry counted, the futures not done, the next sequence
/// still 2; the split batches carry sequences 0 and 1 and their acknowledgements complete the
/// records one by one (last acknowledged 0, then 1), nothing left in the accumulator. Kafka
/// 4.0/4.1 split into `batch.size`, which gives the same batch back here (no compression):
/// with KAFKA-8350's fix (`split_halves_split_batches`) the second refusal halves it, as
/// Kafka's test gets from splitting a compressed batch.
#[test]
fn a_too_large_batch_is_split_and_sent_again() {
    let mut s = big_records_spec();
    s.producer.split_halves_split_batches = true;
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b, req) = send_two_big_records(&mut c);
    assert_eq!(c.sender().tm.next_sequence(0), 2, "The next sequence should be 2");
    c.respond(0, req, vec![answer(b, P0, ErrorCode::MessageTooLarge)]);
    assert_eq!((c.splits(), c.retries()), (1, 0), "split, not retried");
    assert_eq!(c.outcome(P0, 0), None, "The future shouldn't have been done.");
    c.run_sender();
    let sent = produces(&c.take_outputs());
    let again = &sent[0].1.batches[0];
    assert_eq!(
        (again.rec_start, again.count, again.producer.base_seq),
        (0, 2, 0),
        "batch.size: the same batch"
    );
    c.respond(
        0,
        sent[0].1.id,
        vec![answer(again.batch, P0, ErrorCode::MessageTooLarge)],
    );
    assert_eq!(c.splits(), 2);
    assert_eq!(c.sender().tm.next_sequence(0), 2, "The next sequence should be 2");
    for rec in 0..2u64 {
        c.run_sender();
        let sent = produces(&c.take_outputs());
        assert_eq!(sent.len(), 1);
        let piece = &sent[0].1.batches[0];
        assert_eq!(
            (piece.rec_start, piece.count, piece.producer.base_seq),
            (rec, 1, rec as i32)
        );
        c.respond(0, sent[0].1.id, vec![answer(piece.batch, P0, ErrorCode::None)]);
        assert_eq!(c.outcome(P0, rec), Some(RecordOutcome::Acked));
        assert_eq!(c.sender().tm.last_acked_sequence(0), rec as i32);
        assert_eq!(
            c.sender().tm.next_sequence(0),
            2,
            "The next sequence number should still be 2"
        );
    }
    assert_eq!(c.outcome(P0, 1), Some(RecordOutcome::Acked));
    assert!(
        c.accumulator().deques[0].is_empty(),
        "There should be no batch in the accumulator"
    );
    assert!(c.accumulator().is_empty());
}

/// KAFKA-8350 as Kafka 4.0/4.1 have it: a batch of at most `batch.size` refused with
/// MESSAGE_TOO_LARGE is split into `batch.size`, i.e. into itself, and sent again, again and
/// again, no retry counted, until `delivery.timeout.ms` fails it.
#[test]
fn without_kafka_8350s_fix_the_split_batch_comes_back_whole_until_it_expires() {
    let mut s = big_records_spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (mut b, mut req) = send_two_big_records(&mut c);
    for round in 1..=5u64 {
        c.set_time(ms(round));
        c.respond(0, req, vec![answer(b, P0, ErrorCode::MessageTooLarge)]);
        c.run_sender();
        let sent = produces(&c.take_outputs());
        let again = sent[0].1.batches[0];
        assert_eq!((again.rec_start, again.count, again.producer.base_seq), (0, 2, 0));
        (b, req) = (again.batch, sent[0].1.id);
    }
    assert_eq!((c.splits(), c.retries()), (5, 0));
    assert_eq!(c.outcome(P0, 0), None);
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(
        c.outcome(P0, 0),
        Some(RecordOutcome::Failed),
        "delivery.timeout.ms counts from the first batch"
    );
    assert_eq!(c.outcome(P0, 1), Some(RecordOutcome::Failed));
}

/// `SenderTest.testExpiredBatchDoesNotSplitOnMessageTooLargeError`: a batch that expired in
/// flight is done: its MESSAGE_TOO_LARGE answer is not split and nothing is sent again.
#[test]
fn an_expired_batch_is_not_split() {
    let mut s = big_records_spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b, req) = send_two_big_records(&mut c);
    c.set_time(ms(30_000));
    c.run_sender();
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    c.respond(0, req, vec![answer(b, P0, ErrorCode::MessageTooLarge)]);
    assert_eq!(c.splits(), 0);
    c.run_sender();
    assert!(
        produces(&c.take_outputs()).is_empty(),
        "must not split big batch and resend anything"
    );
    assert_eq!(c.in_flight(0), 0);
    assert!(c.accumulator().is_empty());
}

/// `SenderTest.testIdempotenceWithMultipleInflightsWhereFirstFailsFatallyAndSequenceOfFutureBatchesIsAdjusted`:
/// MESSAGE_TOO_LARGE on a single-record batch fails it (`RecordTooLargeException`, not
/// retried, not split) while a second batch is in flight; it failed with attempts left, so the
/// epoch is bumped at the next loop (Kafka 4.x) and the batch in flight renumbered.
#[test]
fn a_single_record_too_large_fails_without_retry() {
    let mut c = client();
    let (b1, r1) = send_small(&mut c, 1);
    let (b2, _) = send_small(&mut c, 1);
    assert_eq!(c.sender().tm.next_sequence(0), 2);
    c.respond(0, r1, vec![answer(b1, P0, ErrorCode::MessageTooLarge)]);
    assert_eq!(c.outcome(P0, 0), Some(RecordOutcome::Failed));
    assert_eq!((c.splits(), c.retries()), (0, 0));
    assert_eq!(c.in_flight(0), 1);
    assert_eq!(c.sender().tm.last_acked_sequence(0), -1);
    c.run_sender();
    assert_eq!(c.sender().tm.producer_epoch, 1);
    let b = &c.accumulator().batches[b2 as usize];
    assert_eq!((b.producer_epoch, b.seq), (1, 0));
}

/// `SenderTest.testTooLargeBatchesAreSafelyRemoved`: after a split, the split batch's success
/// leaves no in-flight batch behind, and a sender pass past the delivery timeout finds nothing
/// to expire (the big batch was removed from the in-flight batches when it was split).
#[test]
fn a_split_batch_leaves_no_in_flight_batch_behind() {
    let mut s = big_records_spec();
    s.producer.delivery_timeout_ms = Some(30_000);
    let mut c = ClientDriver::new(&s, P0);
    c.connected(0);
    let (b, req) = send_two_big_records(&mut c);
    c.respond(0, req, vec![answer(b, P0, ErrorCode::MessageTooLarge)]);
    c.run_sender();
    let sent = produces(&c.take_outputs());
    let again = sent[0].1.batches[0];
    c.respond(0, sent[0].1.id, vec![answer(again.batch, P0, ErrorCode::None)]);
    assert_eq!(c.outcome(P0, 1), Some(RecordOutcome::Acked));
    c.set_time(ms(32_000));
    c.run_sender();
    assert_eq!(
        c.outcome(P0, 0),
        Some(RecordOutcome::Acked),
        "not expired after the fact"
    );
    assert_eq!(c.in_flight(0), 0);
    assert!(c.accumulator().is_empty());
}
