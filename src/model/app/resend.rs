//! An application that re-sends what failed (`workload.resend_failed_attempts`): when a
//! record's callback or `get()` reports a failure, the application calls `send()` again for it,
//! to the same partition. Kafka cannot deduplicate that: KafkaProducer's javadoc ("it is
//! imperative to avoid application level re-sends since these cannot be de-duplicated") and
//! KIP-98 scope idempotence to the producer's own retries, and the re-sent record is a new
//! record with new sequence numbers. After a `delivery.timeout.ms` expiry in flight the broker
//! may have written the first copy anyway (`ProducerBatch.done`: a late success is only
//! logged; reference 4.6): the re-send duplicates it.
//!
//! The rules the model follows, each the application's choice:
//! - a re-send happens when the application learns the failure (the callback runs, or `get()`
//!   throws), at most `resend_failed_attempts` times per record, and only during the
//!   production window (afterwards the application is closing the producer);
//! - fire-and-forget never looks at the future, so it never learns a failure and re-sends
//!   nothing; a record refused inside `send()` (`BufferExhaustedException`,
//!   `RecordTooLargeException`) never got an identity and is not re-sent;
//! - a re-send keeps the record's identity (partition, per-partition sequence), so the
//!   checker sees the copies as one application record (a duplicate, not a new record); the
//!   failed batch's records are re-sent together, as one range;
//! - it costs what a `send()` costs: the open-loop thread spends the records' `send()` time
//!   before its next arrival (a sync thread was waiting in `get()` and keeps waiting, now for
//!   the re-send), and it blocks on `buffer.memory` like any `send()`, up to `max.block.ms`.

use super::{send_cost_ns, Client};
use crate::config::SendMode;
use crate::model::accumulator::Resend;
use crate::model::context::Ctx;
use crate::model::observe::Observation;
use crate::sim::SimTime;

impl Client {
    /// Whether the application re-sends records it was just told failed, after `resends`
    /// re-sends of them.
    pub(crate) fn resend_due(&self, resends: u32, ctx: &Ctx<'_>) -> bool {
        resends < ctx.spec.workload.resend_failed_attempts
            && self.app.mode != SendMode::FireAndForget
            && !self.app.stopped
    }

    /// The application calls `send()` again for the failed records of `r`.
    pub(crate) fn resend(&mut self, r: Resend, ctx: &mut Ctx<'_>) {
        self.ledger.resend(r.partition, r.start, r.count);
        if self.app.mode != SendMode::Sync {
            // The sending thread spends the records' send() time before its next arrival.
            let busy_until = ctx.now as f64 + send_cost_ns(ctx.spec) * r.count as f64;
            self.app.next_at = self.app.next_at.max(busy_until);
        }
        // BufferPool waiters are served in FIFO order.
        if !self.app.waiters.is_empty() || !self.try_resend(&r, ctx) {
            self.block(None, ctx.now, Some(r), ctx);
        }
    }

    /// Appends the re-sent records; false when `buffer.memory` has no room for their batch.
    pub(super) fn try_resend(&mut self, r: &Resend, ctx: &mut Ctx<'_>) -> bool {
        let Some(batch) = self.acc.append_resend(r, ctx.now) else {
            return false;
        };
        if ctx.tracing() {
            ctx.observe(Observation::Resent {
                partition: r.partition,
                rec_start: r.start,
                count: r.count,
                batch,
                resend: r.resends,
                of: ctx.spec.workload.resend_failed_attempts,
            });
        }
        // The batch is closed: sendable now.
        self.sender_schedule(ctx.now, ctx);
        true
    }

    /// A blocked re-send ran out of `max.block.ms` (`BufferExhaustedException` inside
    /// `send()`): the records stay failed, and threads waiting on them learn it.
    pub(super) fn resend_rejected(&mut self, r: &Resend, sent_at: SimTime, ctx: &mut Ctx<'_>) {
        self.ledger
            .resend_rejected(ctx.now, r.partition, r.start, r.count, sent_at);
        if r.sync_waiters > 0 {
            self.app_records_completed(r.partition, r.start, r.count, ctx);
        }
    }
}
