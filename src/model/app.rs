//! The application threads calling `KafkaProducer.send()`: open-loop arrivals (constant or
//! Poisson) for `async` and `fire-and-forget`, closed loop for `sync` (`send().get()`, one
//! record outstanding per thread, reference 8.2). `send()` blocks when `buffer.memory` is
//! exhausted, up to `max.block.ms`, then fails with `BufferExhaustedException` through the
//! future / callback (reference 2.1, 2.4).

use super::accumulator::{Append, Arrivals, Resend};
use super::context::Ctx;
use super::producer::client::Client;
use super::{ErrorCode, Event};
use crate::config::{Arrival, RunSpec, SendMode};
use crate::model::observe::Observation;
use crate::sim::{ms, SimTime, NS_PER_S};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::io::Write as _;

mod resend;

#[derive(Clone, Debug)]
pub(crate) struct SyncThread {
    /// Next scheduled send (the offered rate caps a sync thread too).
    pub next_at: SimTime,
    /// Record this thread waits for: (partition, record identity).
    pub waiting: Option<(u32, u64)>,
}

/// A `send()` blocked in `BufferPool.allocate`.
#[derive(Clone, Debug)]
struct Waiter {
    id: u64,
    thread: Option<u32>,
    sent_at: SimTime,
    /// The application re-sends failed records (`app/resend.rs`), not a new record.
    resend: Option<Resend>,
}

/// Laid out in declaration order (`repr(C)`), 64-byte aligned: what every run of open-loop
/// arrivals reads (the arrival clock, whether the stream is blocked or keyless, its partition)
/// fills the first cache line, the random stream follows. With ten producers a run finds its
/// client's lines evicted by the others' and the brokers'; scattered by the compiler's
/// ordering, they were three lines to load per run instead of one
/// (`app_layout_keeps_a_runs_fields_in_one_line`).
#[repr(C, align(64))]
pub(crate) struct App {
    /// Open loop: next arrival time (fractional ns carried to avoid drift).
    next_at: f64,
    /// Mean time between sends of one arrival stream, nanoseconds (fractional).
    interval_ns: f64,
    waiters: VecDeque<Waiter>,
    /// `workload.partition`, and whether the records' partition does not depend on a key
    /// (an explicit one, no keys, or `partitioner.ignore.keys`): then open-loop arrivals are
    /// appended in bursts. Kept here, beside the arrival clock, so that a run of arrivals
    /// reads no scenario settings.
    explicit_partition: Option<u32>,
    keyless: bool,
    pub stopped: bool,
    open_blocked: bool,
    mode: SendMode,
    arrival: Arrival,
    /// `workload.rate = "max"`: each thread sends again as soon as `send()` returns.
    max_rate: bool,
    rng: ChaCha8Rng,
    pub threads: Vec<SyncThread>,
    next_waiter: u64,
    /// Partition of each key (murmur2 of the key bytes), precomputed.
    key_partitions: Vec<u32>,
    /// Application threads a blocked open-loop stream stands for (`workload.threads`).
    open_threads: u32,
    /// Time `send()` calls spent blocked on `buffer.memory`, thread-nanoseconds
    /// (`bufferpool-wait-time-ns-total`).
    pub(crate) blocked_ns: u128,
}

/// CPU time of one `send()` on the application thread, nanoseconds: the hardware profile's
/// per-record and per-byte cost (serialization, partitioning, `append`, the record's CRC
/// share), plus compressing the record (`MemoryRecordsBuilder.appendWithOffset` writes it into
/// the codec's stream on the calling thread).
pub(crate) fn send_cost_ns(spec: &RunSpec) -> f64 {
    let w = &spec.workload;
    let payload = w.record_bytes as f64 + if w.keys > 0 { w.key_bytes as f64 } else { 0.0 };
    let record = crate::model::record_batch::estimate_size_upper_bound(
        (w.keys > 0).then_some(w.key_bytes),
        Some(w.record_bytes),
    ) as f64
        - (crate::model::record_batch::RECORD_BATCH_OVERHEAD + crate::model::record_batch::MAX_RECORD_OVERHEAD) as f64;
    let codec = crate::model::compression::Codec::from_spec(spec);
    w.send_cost_us * 1e3 + w.send_byte_ns * payload + codec.compress_ns_per_byte * record
}

impl App {
    pub(crate) fn new(spec: &RunSpec, rng: ChaCha8Rng) -> App {
        let w = &spec.workload;
        let threads = if spec.producer.send_mode == SendMode::Sync {
            w.threads.max(1)
        } else {
            1
        };
        // A thread cannot call send() more often than send() takes: with N threads the offered
        // rate is capped at N / cost (only "max" or a rate beyond that cap reaches it).
        let max_rate = w.rate.is_infinite();
        let cap_ns = send_cost_ns(spec) * threads as f64 / w.threads.max(1) as f64;
        let interval_ns = (NS_PER_S as f64 * threads as f64 / w.rate).max(cap_ns);
        // Key k is k in decimal, zero-padded to key_bytes (built by hand: `format!` widths stop
        // at 65535). The scenario check guarantees the digits fit.
        let width = w.key_bytes as usize;
        let mut key = Vec::with_capacity(width.max(20));
        let key_partitions: Vec<u32> = (0..w.keys)
            .map(|k| {
                let digits = k.checked_ilog10().map_or(1, |d| d as usize + 1);
                key.clear();
                key.resize(width.saturating_sub(digits), b'0');
                let _ = write!(key, "{k}");
                super::murmur2::partition_for_key(&key[..width.min(key.len())], spec.cluster.partitions)
            })
            .collect();
        App {
            mode: spec.producer.send_mode,
            // A saturated thread calls send() back to back: no arrival process.
            arrival: if max_rate { Arrival::Constant } else { w.arrival },
            interval_ns,
            next_at: 0.0,
            open_blocked: false,
            threads: Vec::new(),
            waiters: VecDeque::new(),
            next_waiter: 0,
            rng,
            keyless: w.partition.is_some() || key_partitions.is_empty() || spec.producer.partitioner_ignore_keys,
            explicit_partition: w.partition,
            key_partitions,
            stopped: false,
            max_rate,
            open_threads: w.threads.max(1),
            blocked_ns: 0,
        }
    }

    fn draw_interval(&mut self) -> f64 {
        match self.arrival {
            Arrival::Constant => self.interval_ns,
            Arrival::Poisson => {
                let u: f64 = self.rng.gen();
                -(1.0 - u).ln() * self.interval_ns
            }
        }
    }

    /// The next open-loop arrival, if the application is sending and not blocked.
    #[inline]
    pub(crate) fn next_open_loop_arrival(&self) -> Option<SimTime> {
        if self.mode == SendMode::Sync || self.stopped || self.open_blocked {
            None
        } else {
            Some(self.next_at as SimTime)
        }
    }

    /// `send()` calls blocked on `buffer.memory`: records handed to `send()` that have no
    /// identity yet (lost unsent when the process dies).
    pub(crate) fn blocked_sends(&self) -> u64 {
        self.waiters.len() as u64
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.waiters.is_empty() && self.threads.iter().all(|t| t.waiting.is_none())
    }
}

/// Open-loop arrivals seen by the accumulator's burst path.
struct OpenLoop<'a> {
    app: &'a mut App,
    limit: SimTime,
    /// `send()` cannot be called before now (arrivals held up by a blocked send happen late).
    floor: SimTime,
}

impl Arrivals for OpenLoop<'_> {
    #[inline]
    fn peek(&self) -> Option<SimTime> {
        let t = self.app.next_at as SimTime;
        (t <= self.limit).then_some(t.max(self.floor))
    }
    #[inline]
    fn advance(&mut self) {
        let d = self.app.draw_interval();
        self.app.next_at += d;
    }
}

impl Client {
    /// The application starts (at t = 0, or when its process restarts after a
    /// `producer-crash`): sync threads are staggered over one interval, the first open-loop
    /// `send()` happens now.
    pub(crate) fn start(&mut self, ctx: &mut Ctx<'_>) {
        if self.app.mode == SendMode::Sync {
            let n = ctx.spec.workload.threads.max(1);
            for t in 0..n {
                // Stagger thread starts over one interval so they do not send in lock step.
                let start = ctx.now + (self.app.interval_ns * t as f64 / n as f64) as SimTime;
                self.app.threads.push(SyncThread {
                    next_at: start,
                    waiting: None,
                });
                ctx.schedule(start, Event::AppWake { thread: t });
            }
        } else {
            // The first open-loop send() happens now (t = 0, or at a restart).
            self.app.next_at = ctx.now as f64;
        }
    }

    /// Choose the partition of the next record (`KafkaProducer.partition`, BuiltInPartitioner).
    /// An explicit partition comes first and leaves the sticky partitioner untouched
    /// (`RecordAccumulator.append` updates it only for `UNKNOWN_PARTITION`).
    fn choose_partition(&mut self, spec: &RunSpec) -> u32 {
        if let Some(p) = spec.workload.partition {
            p
        } else if !self.app.key_partitions.is_empty() && !spec.producer.partitioner_ignore_keys {
            let k = self.app.rng.gen_range(0..self.app.key_partitions.len());
            self.app.key_partitions[k]
        } else {
            let has_leader = self.sender.has_leader_mask();
            self.acc.sticky_partition(has_leader)
        }
    }

    /// One step of the open-loop arrivals due by `limit` (the next queued event, which the
    /// caller recomputes between steps since a step may schedule one): a run of records no
    /// key hash places (keyless, keys ignored, or an explicit partition) goes into the open
    /// batch as a burst; anything else (a new batch, a key, a trace, memory pressure) takes the
    /// one-record path. Arrivals happen at their own time: the step advances `ctx.now`.
    /// Returns whether the caller should take another step.
    pub(crate) fn open_loop_step(&mut self, limit: SimTime, ctx: &mut Ctx<'_>) -> bool {
        let Some(t) = self.app.next_open_loop_arrival() else {
            return false;
        };
        if t > limit {
            return false;
        }
        ctx.now = ctx.now.max(t);
        if self.app.keyless && !ctx.tracing() && self.app.waiters.is_empty() {
            let p = match self.app.explicit_partition {
                Some(p) => p,
                None => {
                    let has_leader = self.sender.has_leader_mask();
                    self.acc.sticky_partition(has_leader)
                }
            };
            let mut src = OpenLoop {
                app: &mut self.app,
                limit,
                floor: ctx.now,
            };
            let burst = self.acc.append_burst(p, &mut src);
            if burst.appended > 0 {
                self.ledger.sent[p as usize] += burst.appended as u64;
                let last = self.acc.deques[p as usize]
                    .back()
                    .map(|&b| self.acc.batches[b as usize].last_sent);
                ctx.now = ctx.now.max(last.unwrap_or(ctx.now));
                if burst.full {
                    self.sender_schedule(ctx.now, ctx);
                    return false; // the sender runs before later arrivals
                }
                return true;
            }
        }
        self.app_arrival(ctx);
        true
    }

    /// The earliest time an open-loop arrival of this client may do more than append to an open
    /// batch, a lower bound (`SimTime::MAX`: no arrival is coming): until then its arrivals
    /// queue nothing, send nothing and read nothing but the application and the accumulator,
    /// so they may wait until something needs them ([`World::run_ahead`]). With constant
    /// arrivals into the open batch of a keyless record's partition (an explicit one, or the
    /// sticky partitioner's current one), the arrival after [`Accumulator::quiet_appends`] more
    /// records; otherwise the next arrival. Arrivals held up by a blocked `send()` only come
    /// later.
    pub(crate) fn quiet_until(&self, clock: SimTime) -> SimTime {
        let Some(next) = self.app.next_open_loop_arrival() else {
            return SimTime::MAX;
        };
        if self.app.arrival != Arrival::Constant || !self.app.keyless || !self.app.waiters.is_empty() {
            return next;
        }
        let partition = match self.app.explicit_partition {
            Some(p) => p,
            None => match self.acc.partitioner.current() {
                Some(p) => p,
                None => return next, // the next record chooses a partition
            },
        };
        // The j-th arrival from now comes at next_at + (j - 1) intervals, or at the client's
        // clock when a blocked send() held it up; a whole interval more covers the rounding of
        // `next_at`'s repeated additions.
        let (next_at, interval) = (self.app.next_at, self.app.interval_ns);
        let k = self
            .acc
            .quiet_appends(partition, |j| ((next_at + j as f64 * interval) as SimTime).max(clock));
        if k == 0 {
            return next;
        }
        // 1 ns below the product covers that rounding for the (k+1)-th (far below a
        // nanosecond over a batch's records).
        let after = next_at + k as f64 * interval;
        (after as SimTime).saturating_sub(1).max(next)
    }

    /// One open-loop `send()` call at `ctx.now`.
    pub(crate) fn app_arrival(&mut self, ctx: &mut Ctx<'_>) {
        let interval = self.app.draw_interval();
        self.app.next_at += interval;
        let sent_at = ctx.now;
        self.send_record(None, sent_at, ctx);
    }

    /// A sync thread's next `send()` is due.
    pub(crate) fn app_wake(&mut self, thread: u32, ctx: &mut Ctx<'_>) {
        if self.app.stopped {
            return;
        }
        let t = &self.app.threads[thread as usize];
        if t.waiting.is_some() {
            return;
        }
        let sent_at = ctx.now;
        self.send_record(Some(thread), sent_at, ctx);
    }

    /// `KafkaProducer.send` -> `RecordAccumulator.append`; blocks on memory.
    fn send_record(&mut self, thread: Option<u32>, sent_at: SimTime, ctx: &mut Ctx<'_>) {
        // KafkaProducer.ensureValidRecordSize: the upper-bound estimate must fit
        // max.request.size and buffer.memory, else RecordTooLargeException (non-retriable,
        // delivered through the future / callback).
        let est = self.acc.record_estimate() as u64;
        if est > ctx.spec.producer.max_request_size as u64 || est > ctx.spec.producer.buffer_memory {
            self.ledger.reject(1);
            self.record_rejected(thread, ErrorCode::RecordTooLarge, ctx);
            return;
        }
        if !self.app.waiters.is_empty() {
            // BufferPool waiters are served in FIFO order.
            self.block(thread, sent_at, None, ctx);
            return;
        }
        if !self.try_append(thread, sent_at, ctx) {
            self.block(thread, sent_at, None, ctx);
        }
    }

    /// Append one record; false when `buffer.memory` has no room for a needed new batch.
    fn try_append(&mut self, thread: Option<u32>, sent_at: SimTime, ctx: &mut Ctx<'_>) -> bool {
        let mut partition = self.choose_partition(ctx.spec);
        let mut appended = self
            .acc
            .append(partition, ctx.now, sent_at, self.ledger.sent[partition as usize]);
        while let Append::PartitionChanged = appended {
            // RecordAccumulator.append's retry loop: the sticky partition's full batch closed and
            // the suppressed switch completed; the record goes to the next partition.
            partition = self.choose_partition(ctx.spec);
            appended = self
                .acc
                .append(partition, ctx.now, sent_at, self.ledger.sent[partition as usize]);
        }
        match appended {
            Append::NoMemory => false,
            Append::PartitionChanged => unreachable!("retried above"),
            Append::Done {
                batch,
                rec,
                new_batch,
                full,
            } => {
                self.ledger.sent[partition as usize] += 1;
                if let Some(t) = thread {
                    self.app.threads[t as usize].waiting = Some((partition, rec));
                    self.acc.batches[batch as usize].sync_waiters += 1;
                }
                if ctx.tracing() {
                    let b = &self.acc.batches[batch as usize];
                    let (first, last) = (b.rec_start, b.rec_start + b.count as u64 - 1);
                    ctx.observe(Observation::Appended {
                        partition,
                        rec,
                        batch,
                        first,
                        last,
                        new_batch,
                    });
                }
                if full || new_batch {
                    // sender.wakeup(): a full batch is ready now; a new one may be (linger 0)
                    // or becomes ready when its linger expires.
                    let at = if full {
                        ctx.now
                    } else {
                        ctx.now + ms(ctx.spec.producer.linger_ms)
                    };
                    self.sender_schedule(at, ctx);
                }
                true
            }
        }
    }

    fn block(&mut self, thread: Option<u32>, sent_at: SimTime, resend: Option<Resend>, ctx: &mut Ctx<'_>) {
        let id = self.app.next_waiter;
        self.app.next_waiter += 1;
        self.app.waiters.push_back(Waiter {
            id,
            thread,
            sent_at,
            resend,
        });
        self.acc.memory_waiters = self.app.waiters.len();
        if thread.is_none() {
            self.app.open_blocked = true;
        } else if let Some(t) = thread {
            // the thread is busy inside send(); mark it waiting on nothing in particular
            self.app.threads[t as usize].waiting = Some((u32::MAX, id));
        }
        // "exhausted": every batch becomes sendable while someone waits for memory.
        self.sender_schedule(ctx.now, ctx);
        ctx.schedule(
            sent_at + ms(ctx.spec.producer.max_block_ms),
            Event::MemoryWaitTimeout { waiter: id },
        );
    }

    /// Memory was released: serve blocked `send()` calls in FIFO order.
    pub(crate) fn memory_released(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(w) = self.app.waiters.front().cloned() {
            if let Some(t) = w.thread {
                self.app.threads[t as usize].waiting = None;
            }
            let appended = match &w.resend {
                Some(r) => self.try_resend(r, ctx),
                None => self.try_append(w.thread, w.sent_at, ctx),
            };
            if !appended {
                if let Some(t) = w.thread {
                    self.app.threads[t as usize].waiting = Some((u32::MAX, w.id));
                }
                break;
            }
            self.app.waiters.pop_front();
            self.note_blocked(&w, ctx.now);
            if w.thread.is_none() {
                // A re-send may wait behind the open-loop stream's send() (or before it).
                self.app.open_blocked = self.app.waiters.iter().any(|x| x.thread.is_none());
                if self.app.max_rate {
                    // The thread returns from send() now and calls it again one send() later
                    // (a rate-limited stream instead makes up its missed arrivals).
                    self.app.next_at = self.app.next_at.max(ctx.now as f64 + self.app.interval_ns);
                }
            }
        }
        self.acc.memory_waiters = self.app.waiters.len();
    }

    /// `max.block.ms` ran out for a blocked `send()`: `BufferExhaustedException`.
    pub(crate) fn memory_wait_timeout(&mut self, waiter: u64, ctx: &mut Ctx<'_>) {
        let Some(pos) = self.app.waiters.iter().position(|w| w.id == waiter) else {
            return;
        };
        let w = self.app.waiters.remove(pos).unwrap();
        self.note_blocked(&w, ctx.now);
        self.acc.memory_waiters = self.app.waiters.len();
        if w.thread.is_none() {
            self.app.open_blocked = self.app.waiters.iter().any(|x| x.thread.is_none());
        }
        if let Some(r) = w.resend {
            self.resend_rejected(&r, w.sent_at, ctx);
            return;
        }
        self.ledger.reject_at(ctx.now, w.sent_at);
        self.record_rejected(w.thread, ErrorCode::BufferExhausted, ctx);
    }

    /// `BufferPool.recordWaitTime`: a blocked `send()` returned (served or timed out). The
    /// open-loop stream stands for every application thread: when it waits, they all do.
    fn note_blocked(&mut self, w: &Waiter, now: SimTime) {
        let threads = if w.thread.is_none() { self.app.open_threads } else { 1 };
        self.app.blocked_ns += (now - w.sent_at) as u128 * threads as u128;
    }

    fn record_rejected(&mut self, thread: Option<u32>, _error: ErrorCode, ctx: &mut Ctx<'_>) {
        if let Some(t) = thread {
            self.app.threads[t as usize].waiting = None;
            self.sync_thread_next(t, ctx);
        }
    }

    /// A sync thread's `get()` returned: schedule its next `send()`.
    fn sync_thread_next(&mut self, t: u32, ctx: &mut Ctx<'_>) {
        let interval = self.app.draw_interval();
        let th = &mut self.app.threads[t as usize];
        th.next_at += interval as SimTime;
        let at = th.next_at.max(ctx.now);
        th.next_at = at;
        if !self.app.stopped {
            ctx.schedule(at, Event::AppWake { thread: t });
        }
    }

    /// Records `[start, start+count)` of `partition` completed: wake sync threads waiting on them.
    pub(crate) fn app_records_completed(&mut self, partition: u32, start: u64, count: u32, ctx: &mut Ctx<'_>) {
        let end = start + count as u64;
        for t in 0..self.app.threads.len() {
            if let Some((p, r)) = self.app.threads[t].waiting {
                if p == partition && r >= start && r < end {
                    self.app.threads[t].waiting = None;
                    self.sync_thread_next(t as u32, ctx);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a run of arrivals reads of the application is one cache line (see [`App`]).
    #[test]
    fn app_layout_keeps_a_runs_fields_in_one_line() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!(align_of::<App>(), 64);
        for (field, end) in [
            ("next_at", offset_of!(App, next_at) + size_of::<f64>()),
            ("interval_ns", offset_of!(App, interval_ns) + size_of::<f64>()),
            ("waiters", offset_of!(App, waiters) + size_of::<VecDeque<Waiter>>()),
            (
                "explicit_partition",
                offset_of!(App, explicit_partition) + size_of::<Option<u32>>(),
            ),
            ("keyless", offset_of!(App, keyless) + 1),
            ("stopped", offset_of!(App, stopped) + 1),
            ("open_blocked", offset_of!(App, open_blocked) + 1),
            ("mode", offset_of!(App, mode) + size_of::<SendMode>()),
            ("arrival", offset_of!(App, arrival) + size_of::<Arrival>()),
        ] {
            assert!(end <= 64, "{field} ends at byte {end}, past the first cache line");
        }
    }
}
