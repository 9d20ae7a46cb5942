//! Responses and outcomes: `Sender.handleProduceResponse` / `completeBatch` (retry, or the
//! outcome reaches the application), the idempotent producer's sequence resolution, and
//! `delivery.timeout.ms` expiry of queued and in-flight batches.

use crate::model::accumulator::{BatchId, Resend};
use crate::model::context::Ctx;
use crate::model::ledger::Outcome;
use crate::model::observe::Observation;
use crate::model::producer::client::Client;
use crate::model::{Envelope, ErrorCode, Message, PartitionResponse};
use crate::sim::{ms, SimTime};

impl Client {
    /// A message arriving at this client.
    pub(crate) fn on_message(&mut self, env: Envelope, ctx: &mut Ctx<'_>) {
        debug_assert_eq!(env.to, self.node);
        let node = env.from as u32;
        match env.msg {
            Message::ProduceResponse { request, responses } => {
                if self.sender.conns[node as usize].gen != env.gen {
                    return; // the connection it came on is gone
                }
                if self.take_request(node, request).is_none() {
                    return;
                }
                for r in responses {
                    self.on_partition_response(r, ctx);
                }
                self.sender_schedule(ctx.now, ctx);
            }
            Message::MetadataResponse { id, partitions } => self.metadata_response(id, partitions, ctx),
            Message::ApiVersionsResponse { id } => self.api_versions_response(node, env.gen, id, ctx),
            _ => {}
        }
    }

    /// One partition's answer in a produce response.
    pub(crate) fn on_partition_response(&mut self, r: PartitionResponse, ctx: &mut Ctx<'_>) {
        if let Some((leader, epoch)) = r.leader_hint {
            // KIP-951: apply the new leader from the error response at once.
            if self.sender.update_leader(r.partition as usize, Some(leader), epoch) {
                self.sender.rebuild_node_partitions();
            }
        }
        if ctx.tracing() {
            let b = &self.acc.batches[r.batch as usize];
            let (partition, rec_start, count) = (b.partition, b.rec_start, b.count);
            ctx.observe(Observation::Response {
                partition,
                rec_start,
                count,
                batch: r.batch,
                error: r.error,
                base_offset: r.base_offset,
            });
        }
        self.complete_batch(r.batch, r.error, ctx);
    }

    /// `Sender.completeBatch` / `canRetry` / `failBatch`.
    pub(crate) fn complete_batch(&mut self, id: BatchId, error: ErrorCode, ctx: &mut Ctx<'_>) {
        let p = self.acc.batches[id as usize].partition as usize;
        let was_in_flight = self.acc.batches[id as usize].in_flight;
        self.acc.batches[id as usize].in_flight = false;
        let reset = self.sender.tm.take_reset(id);
        if let Some(pos) = self.sender.in_flight_batches[p].iter().position(|&x| x == id) {
            self.sender.in_flight_batches[p].remove(pos);
        }
        if self.sender.muted[p] && was_in_flight {
            self.sender.muted[p] = false;
        }
        if self.acc.batches[id as usize].done {
            // Already failed by delivery timeout; a late answer is only logged (ProducerBatch.done),
            // but a late success still moves the last acknowledged sequence
            // (`Sender.completeBatch` calls `TransactionManager.handleCompletedBatch` first).
            let b = &self.acc.batches[id as usize];
            if error == ErrorCode::None {
                let (seq, count, epoch) = (b.seq, b.count, b.producer_epoch);
                self.sender.tm.batch_finished(p, id, seq, count, epoch, true);
            }
            if ctx.tracing() {
                let b = &self.acc.batches[id as usize];
                let (partition, rec_start, count) = (b.partition, b.rec_start, b.count);
                ctx.observe(Observation::LateResponse {
                    partition,
                    rec_start,
                    count,
                    batch: id,
                    error,
                });
            }
            self.acc.recycle(id);
            if self.sender.tm.has_work_for_next_loop() {
                self.sender_schedule(ctx.now, ctx);
            }
            return;
        }
        if error == ErrorCode::None {
            self.finish_batch(id, Outcome::Acked, error, ctx);
            return;
        }
        if error == ErrorCode::MessageTooLarge && self.acc.batches[id as usize].count > 1 {
            self.split_batch(p, id, ctx);
            return;
        }
        let idem = self.sender.tm.idempotent;
        let b = &self.acc.batches[id as usize];
        let stale_epoch = idem && b.producer_epoch != self.sender.tm.producer_epoch;
        let retriable = error.retriable()
            || (idem && error == ErrorCode::OutOfOrderSequenceNumber)
            || (error == ErrorCode::InvalidProducerEpoch && stale_epoch);
        let attempts_left = b.attempts < ctx.spec.producer.retries;
        // Sender.canRetry: not past delivery.timeout.ms, attempts < retries, then the error.
        let may_retry = attempts_left && ctx.now < b.created + ms(ctx.spec.producer.delivery_timeout_ms());
        let can_retry = may_retry && retriable;
        let oosn = idem && error == ErrorCode::OutOfOrderSequenceNumber;
        if may_retry && oosn && self.sender.tm.is_sequence_gap(p, b.seq, reset) {
            // TransactionManager.canRetry: a real gap (the broker lost batches we had
            // acknowledged): retry, and bump the epoch at the next loop.
            self.sender.tm.request_epoch_bump(p);
        }
        if can_retry {
            let attempts = self.acc.batches[id as usize].attempts + 1;
            let backoff = self.sender.retry_backoff(ctx.spec, attempts);
            let b = &mut self.acc.batches[id as usize];
            b.attempts = attempts;
            b.retrying = true;
            b.backoff_until = ctx.now + backoff;
            let until = b.backoff_until;
            self.acc.reenqueue(id);
            self.sender.retries += 1;
            if error.invalid_metadata() {
                self.sender.metadata.request_update();
            }
            self.sender_schedule(ctx.now, ctx);
            self.sender_schedule(until, ctx);
        } else {
            let (seq, count, epoch) = (b.seq, b.count, b.producer_epoch);
            self.finish_batch(id, Outcome::Failed, error, ctx);
            // TransactionManager.handleFailedBatch: `failBatch(batch, response, attempts <
            // retries)` adjusts the sequences only when the batch did not exhaust its retries.
            if oosn || (idem && attempts_left) {
                self.sender.tm.failed_asking_for_bump(p, seq, count, epoch);
            }
            if self.sender.tm.has_work_for_next_loop() {
                self.sender_schedule(ctx.now, ctx);
            }
        }
    }

    /// `Sender.completeBatch` on `MESSAGE_TOO_LARGE` for a batch of more than one record that is
    /// not done: "we split the batch and send the split batches again. We do not decrement the
    /// retry attempts in this case." `transactionManager.removeInFlightBatch(batch)`,
    /// `accumulator.splitAndReenqueue(batch)` (the new batches take over its records and
    /// sequences, at the front of the deque), `maybeRemoveAndDeallocateBatch(batch)` (its
    /// `buffer.memory` returns to the pool). The application is told nothing yet. A single
    /// record fails instead (`RecordTooLargeException`, not retriable).
    fn split_batch(&mut self, p: usize, id: BatchId, ctx: &mut Ctx<'_>) {
        let pieces = self.acc.split_and_reenqueue(id);
        self.sender.tm.batch_split(p, id, &pieces);
        self.sender.splits += 1;
        if ctx.tracing() {
            let b = &self.acc.batches[id as usize];
            let (partition, rec_start, count) = (b.partition, b.rec_start, b.count);
            ctx.observe(Observation::Split {
                partition,
                rec_start,
                count,
                batch: id,
                into: pieces.len() as u32,
            });
        }
        self.acc.release(id);
        self.acc.recycle(id);
        self.memory_released(ctx);
        self.sender_schedule(ctx.now, ctx);
    }

    /// The batch's outcome reaches the application: future completed, then callbacks in order;
    /// memory released.
    pub(crate) fn finish_batch(&mut self, id: BatchId, outcome: Outcome, error: ErrorCode, ctx: &mut Ctx<'_>) {
        let (p, rec_start, count, first, last, seq, pepoch, in_flight, sync) = {
            let b = &self.acc.batches[id as usize];
            (
                b.partition,
                b.rec_start,
                b.count,
                b.first_sent,
                b.last_sent,
                b.seq,
                b.producer_epoch,
                b.in_flight,
                b.sync_waiters,
            )
        };
        let (bytes, resends, attempts) = {
            let b = &self.acc.batches[id as usize];
            (b.bytes, b.resends, b.attempts)
        };
        let pu = p as usize;
        self.sender
            .tm
            .batch_finished(pu, id, seq, count, pepoch, outcome == Outcome::Acked);
        ctx.observe(Observation::Completed {
            partition: p,
            rec_start,
            count,
            batch: id,
            outcome,
            error,
            sent: (first, last),
            ambiguous: outcome == Outcome::Failed && (in_flight || attempts > 0),
        });
        self.ledger
            .complete(ctx.now, p, rec_start, count, outcome, (first, last));
        self.acc.release(id);
        if !in_flight {
            self.acc.recycle(id);
        }
        if outcome == Outcome::Failed && self.resend_due(resends, ctx) {
            // The callback / get() threw: the application sends the records again (its sync
            // threads keep waiting, now for the re-send).
            let r = Resend {
                partition: p,
                start: rec_start,
                count,
                bytes,
                resends: resends + 1,
                sync_waiters: sync,
            };
            self.resend(r, ctx);
        } else if sync > 0 {
            self.app_records_completed(p, rec_start, count, ctx);
        }
        self.memory_released(ctx);
    }

    /// The idempotent producer's work at the start of each sender loop (`Sender.runOnce`):
    /// `TransactionManager.maybeResolveSequences`, then
    /// `bumpIdempotentEpochAndResetIdIfNeeded` ([`TransactionManager::bump_epoch_if_needed`]).
    pub(crate) fn resolve_sequences(&mut self) {
        if self.sender.tm.idempotent {
            self.sender.tm.maybe_resolve_sequences();
            self.sender.tm.bump_epoch_if_needed(&mut self.acc.batches);
        }
    }

    /// `RecordAccumulator.expiredBatches` and `Sender.getExpiredInflightBatches`:
    /// `delivery.timeout.ms` counted from batch creation, queued or in flight. Each expired
    /// batch fails (`failBatch(batch, TimeoutException, adjustSequenceNumbers = false)`), and
    /// one that was already in retry (`inRetry()`) marks its partition's sequence unresolved
    /// (`markSequenceUnresolved`): a first attempt that expires does not.
    pub(crate) fn expire_batches(&mut self, next_wake: &mut SimTime, ctx: &mut Ctx<'_>) {
        let dt = ms(ctx.spec.producer.delivery_timeout_ms());
        let now = ctx.now;
        for p in 0..self.acc.deques.len() {
            while let Some(&head) = self.acc.deques[p].front() {
                let created = self.acc.batches[head as usize].created;
                if created + dt > now {
                    *next_wake = (*next_wake).min(created + dt);
                    break;
                }
                self.acc.pop_head(p as u32);
                self.expire_batch(p, head, ctx);
            }
            // The partition's in-flight batches in drain order, up to the first that has not
            // expired: a retry drained again after newer batches waits behind them, and can
            // outlive delivery.timeout.ms (it then fails through completeBatch).
            while let Some(&id) = self.sender.in_flight_batches[p].front() {
                let b = &self.acc.batches[id as usize];
                let (done, expires) = (b.done, b.created + dt);
                if !done && expires > now {
                    *next_wake = (*next_wake).min(expires);
                    break;
                }
                self.sender.in_flight_batches[p].pop_front();
                if !done {
                    // Ambiguous: the request may still be written by the broker.
                    self.expire_batch(p, id, ctx);
                }
            }
        }
    }

    /// One batch of partition `p` fails at `delivery.timeout.ms`.
    fn expire_batch(&mut self, p: usize, id: BatchId, ctx: &mut Ctx<'_>) {
        let b = &self.acc.batches[id as usize];
        let (seq, count, epoch, in_retry) = (b.seq, b.count, b.producer_epoch, b.retrying);
        self.finish_batch(id, Outcome::Failed, ErrorCode::DeliveryTimeout, ctx);
        if in_retry {
            self.sender.tm.mark_unresolved(p, seq, count, epoch);
        }
    }
}
