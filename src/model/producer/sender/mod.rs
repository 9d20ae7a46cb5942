//! The producer's I/O thread: `Sender` + `NetworkClient` + the idempotence parts of
//! `TransactionManager`. One pass (`sendProducerData`) expires batches, finds ready nodes,
//! drains one batch per partition into one `ProduceRequest` per node, and sends it
//! (reference sections 4.2-4.6, 5, 6).

use crate::config::{Acks, RunSpec};
use crate::model::accumulator::{BatchId, Readiness};
use crate::model::context::Ctx;
use crate::model::observe::Observation;
use crate::model::partition_log::ProducerInfo;
use crate::model::producer::client::Client;
use crate::model::{Event, Message, PartitionState, ProduceBatch, ProduceRequest, World};
use crate::sim::{ms, SimTime, Timer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

mod completion;
mod metadata;
mod network_client;
#[cfg(test)]
mod tests;
mod transaction_manager;
pub use metadata::Metadata;
pub use transaction_manager::TransactionManager;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnState {
    Disconnected {
        ready_at: SimTime,
    },
    /// TCP connect under way (`ConnectionState.CONNECTING`), bounded by the setup timeout.
    Connecting,
    /// Connected; the `ApiVersionsRequest` sent on connect is unanswered
    /// (`ConnectionState.CHECKING_API_VERSIONS`): not ready for other requests.
    CheckingApiVersions,
    /// `ConnectionState.READY`.
    Connected,
}

/// The producer's connection to one broker (`NetworkClient` / `ClusterConnectionStates`).
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    pub state: ConnState,
    pub gen: u64,
    /// `failedAttempts`: the reconnect backoff's exponent, reset when the node is ready.
    failures: u32,
    /// `failedConnectAttempts`: connects that failed while connecting (refused, or the setup
    /// timeout), the setup timeout's exponent.
    connect_failures: u32,
    /// `connectionSetupTimeoutMs`, drawn when the node's state is first made and at each
    /// change of `connect_failures` (`ClusterConnectionStates`).
    pub(crate) setup_timeout: Option<SimTime>,
    /// Flow control: bytes in the socket buffers not yet read by the broker, and requests
    /// waiting for room (request id, bytes).
    buffered: u64,
    blocked_writes: VecDeque<(u64, u64)>,
}

/// `send.buffer.bytes` (131072) on the producer plus the broker's `socket.receive.buffer.bytes`
/// (102400): how much the producer can write ahead of a broker that is not reading.
const SOCKET_BUFFER_BYTES: u64 = 131_072 + 102_400;

#[derive(Clone, Debug)]
pub(crate) struct InFlightRequest {
    pub id: u64,
    pub batches: Vec<BatchId>,
    /// `request.timeout.ms` after it was sent.
    pub deadline: SimTime,
    /// Its last byte was written to the socket (`NetworkSend.completed()`); an acks=0 request
    /// leaves the queue then.
    pub written: bool,
}

/// The producer's `Sender` thread state: connections, in-flight requests, metadata, the
/// `TransactionManager`.
///
/// Laid out in declaration order (`repr(C)`): what every run of open-loop arrivals reads (which
/// partitions have a leader; whether a request awaits an answer, [`Sender::awaits_nothing`])
/// comes first, in one cache line; then what a sender pass reads, in the order it reads it.
#[repr(C, align(64))]
pub struct Sender {
    has_leader: Vec<bool>,
    /// `InFlightRequests`, per broker, oldest first.
    pub(crate) in_flight: Vec<VecDeque<InFlightRequest>>,
    metadata_in_flight: Option<u64>,
    pub(crate) conns: Vec<Conn>,
    /// Producer metadata: the leader of each partition.
    pub leaders: Vec<Option<u32>>,
    /// Time of the pending wake-up event (lazy: a popped `SenderWake` at another time is stale).
    wake_at: SimTime,
    /// `flush()` / `close()`: every batch is ready.
    pub(crate) flushing: bool,
    /// `guaranteeMessageOrder` (max in flight 1): partitions muted while a batch is in flight.
    muted: Vec<bool>,
    ready_scratch: Vec<bool>,
    metadata_timer: Timer,
    next_id: u64,
    node_partitions: Vec<Vec<u32>>,
    drain_index: Vec<usize>,
    pub(crate) requests: u64,
    pub(crate) retries: u64,
    /// Producer metadata: the leader epoch of each partition.
    pub leader_epochs: Vec<u32>,
    /// Per partition, drained batches not yet completed (the Sender's `inFlightBatches`).
    in_flight_batches: Vec<VecDeque<BatchId>>,
    /// Batches split after `MESSAGE_TOO_LARGE` (the `batch-split-rate` metric's count).
    pub(crate) splits: u64,
    metadata_rr: usize,
    /// When to refresh the metadata (`Metadata`).
    pub metadata: Metadata,
    /// Idempotence: producer id, epoch and sequences.
    pub tm: TransactionManager,
    request_timers: Vec<Timer>,
    /// Per node: the last pass had data ready for it but its last request was still being
    /// written (`canSendMore` false): the write's completion must wake the sender. Otherwise
    /// it need not (the next pass reads the written flag), which saves a sender pass per
    /// request.
    waiting_for_write: Vec<bool>,
    rng: ChaCha8Rng,
}

impl Sender {
    /// The sender at the start of a run: no connection, no metadata yet.
    pub fn new(spec: &RunSpec, rng: ChaCha8Rng) -> Sender {
        let b = spec.cluster.brokers as usize;
        let p = spec.cluster.partitions as usize;
        Sender {
            wake_at: SimTime::MAX,
            conns: vec![
                Conn {
                    state: ConnState::Disconnected { ready_at: 0 },
                    gen: 1,
                    failures: 0,
                    connect_failures: 0,
                    setup_timeout: None,
                    buffered: 0,
                    blocked_writes: VecDeque::new(),
                };
                b
            ],
            in_flight: vec![VecDeque::new(); b],
            request_timers: vec![Timer::default(); b],
            drain_index: vec![0; b],
            ready_scratch: Vec::new(),
            leaders: vec![None; p],
            leader_epochs: vec![0; p],
            has_leader: vec![false; p],
            node_partitions: vec![Vec::new(); b],
            metadata: Metadata::new(
                spec.producer.retry_backoff_ms,
                spec.producer.retry_backoff_max_ms,
                spec.producer.metadata_max_age_ms,
            ),
            metadata_timer: Timer::default(),
            metadata_in_flight: None,
            metadata_rr: 0,
            next_id: 1,
            muted: vec![false; p],
            in_flight_batches: vec![VecDeque::new(); p],
            tm: TransactionManager::new(p, spec.producer.idempotence())
                .with_bump_waiting_for_in_flight(spec.producer.epoch_bump_waits_for_in_flight),
            flushing: false,
            requests: 0,
            waiting_for_write: vec![false; b],
            retries: 0,
            splits: 0,
            rng,
        }
    }

    /// The sender of a new `KafkaProducer` session that replaces `old`'s crashed process:
    /// request ids and connection generations go on from the old session's (an answer to a
    /// request of the dead process matches nothing here: `NetworkClient` of a new process has
    /// new sockets), the counters add up; everything else starts afresh.
    pub(crate) fn succeed(&mut self, old: &Sender) {
        self.next_id = old.next_id;
        for (c, o) in self.conns.iter_mut().zip(&old.conns) {
            c.gen = o.gen + 1;
        }
        self.requests = old.requests;
        self.retries = old.retries;
        self.splits = old.splits;
    }

    /// The id of the metadata request in flight, if any.
    pub(crate) fn metadata_in_flight(&self) -> Option<u64> {
        self.metadata_in_flight
    }

    /// Whether no broker can send this producer anything before it sends again: no request
    /// awaits an answer (`InFlightRequests` empty on every node, no metadata request, no
    /// connection being set up) and, with `acks=0`, none has gone out unanswered (a broker
    /// that fails an acks=0 request closes the connection, `KafkaApis.handleProduceRequest`,
    /// at a time the producer cannot know). A broker only ever answers: it never opens an
    /// exchange with a producer (faults and the window's end are the run's barrier events).
    pub(crate) fn awaits_nothing(&self, acks: Acks) -> bool {
        acks != Acks::Zero
            && self.metadata_in_flight.is_none()
            && self.in_flight.iter().all(|q| q.is_empty())
            && self
                .conns
                .iter()
                .all(|c| !matches!(c.state, ConnState::Connecting | ConnState::CheckingApiVersions))
    }

    /// Whether the pending wake-up is due at `now` (else a `SenderWake` at `now` is stale).
    #[inline]
    pub(crate) fn wakes_at(&self, now: SimTime) -> bool {
        self.wake_at == now
    }

    /// Per partition: whether the producer knows a leader (the partitioner's availability).
    pub fn has_leader_mask(&self) -> &[bool] {
        &self.has_leader
    }

    /// Takes the cluster's metadata as after the producer's first metadata fetch.
    pub fn apply_initial_metadata(&mut self, parts: &[(u32, PartitionState)]) {
        for (p, st) in parts {
            self.leaders[*p as usize] = st.leader;
            self.leader_epochs[*p as usize] = st.leader_epoch;
        }
        self.rebuild_node_partitions();
    }

    fn rebuild_node_partitions(&mut self) {
        for v in &mut self.node_partitions {
            v.clear();
        }
        for (p, l) in self.leaders.iter().enumerate() {
            self.has_leader[p] = l.is_some();
            if let Some(b) = l {
                self.node_partitions[*b as usize].push(p as u32);
            }
        }
    }

    /// Apply a (leader, epoch) for a partition when it is not older than what we know
    /// (the client ignores stale leader epochs, KIP-320). Returns whether it changed.
    fn update_leader(&mut self, p: usize, leader: Option<u32>, epoch: u32) -> bool {
        if epoch < self.leader_epochs[p] || (epoch == self.leader_epochs[p] && leader == self.leaders[p]) {
            return false;
        }
        self.leaders[p] = leader;
        self.leader_epochs[p] = epoch;
        true
    }

    /// `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2)` for attempt n >= 1
    /// (the exponent is `n - 1`).
    fn retry_backoff(&mut self, spec: &RunSpec, attempts: u32) -> SimTime {
        exponential_backoff(
            &mut self.rng,
            spec.producer.retry_backoff_ms,
            spec.producer.retry_backoff_max_ms,
            attempts.saturating_sub(1),
        )
    }

    /// `ClusterConnectionStates`' `ExponentialBackoff(reconnect.backoff.ms, 2,
    /// reconnect.backoff.max.ms, 0.2)` after `failures` failed attempts.
    fn reconnect_backoff(&mut self, spec: &RunSpec, failures: u32) -> SimTime {
        exponential_backoff(
            &mut self.rng,
            spec.producer.reconnect_backoff_ms,
            spec.producer.reconnect_backoff_max_ms,
            failures,
        )
    }

    /// `ClusterConnectionStates`' `ExponentialBackoff(socket.connection.setup.timeout.ms, 2,
    /// socket.connection.setup.timeout.max.ms, 0.2)` after `failures` failed connects.
    fn setup_timeout(&mut self, spec: &RunSpec, failures: u32) -> SimTime {
        exponential_backoff(
            &mut self.rng,
            spec.producer.socket_connection_setup_timeout_ms,
            spec.producer.socket_connection_setup_timeout_max_ms,
            failures,
        )
    }

    /// Whether a pass found node `node` ready but held back by `canSendMore`; clears it.
    pub(crate) fn take_waiting_for_write(&mut self, node: usize) -> bool {
        std::mem::take(&mut self.waiting_for_write[node])
    }

    /// `InFlightRequests.canSendMore`: nothing in flight to `node`, or the last request sent
    /// is fully written and fewer than `max.in.flight.requests.per.connection` are in flight.
    /// (`KafkaChannel` writes one send at a time: a request still being written holds the
    /// next one back, whatever the acks.)
    pub(crate) fn can_send_more(&self, node: usize, max_in_flight: usize) -> bool {
        let q = &self.in_flight[node];
        q.back().is_none_or(|last| last.written && q.len() < max_in_flight)
    }
}

/// Kafka's `org.apache.kafka.common.utils.ExponentialBackoff.backoff(attempts)` with multiplier
/// 2 and jitter 0.2: the initial interval is `min(initial, max)`; when `max <= initial` the
/// backoff is that constant, without jitter ("If retry.backoff.ms is set to be higher than
/// retry.backoff.max.ms, then retry.backoff.max.ms will be used as a constant backoff",
/// `CommonClientConfigs.RETRY_BACKOFF_MAX_MS_DOC`); otherwise the exponent stops at
/// `expMax = log2(max / initial)`, so the jitter spreads the capped value over
/// `[0.8 max, max]`, and the result is truncated to whole milliseconds (`(long)`).
fn exponential_backoff(rng: &mut ChaCha8Rng, initial_ms: u64, max_ms: u64, attempts: u32) -> SimTime {
    let initial = initial_ms.min(max_ms);
    if max_ms <= initial {
        return ms(initial);
    }
    let exp_max = (max_ms as f64 / initial.max(1) as f64).log2();
    let exp = (attempts as f64).min(exp_max);
    let term = initial as f64 * exp.exp2();
    let jitter: f64 = rng.gen_range(0.8..1.2);
    ms(((jitter * term) as u64).min(max_ms))
}

impl Client {
    /// Ask the sender to run a pass at `at` (keeps only the earliest pending wake-up).
    pub(crate) fn sender_schedule(&mut self, at: SimTime, ctx: &mut Ctx<'_>) {
        let at = at.max(ctx.now);
        if at < self.sender.wake_at {
            self.sender.wake_at = at;
            ctx.schedule(at, Event::SenderWake);
        }
    }

    /// A `SenderWake`: the sender's passes, unless an earlier wake-up superseded it.
    pub(crate) fn sender_wake(&mut self, ctx: &mut Ctx<'_>) {
        if !self.sender.wakes_at(ctx.now) {
            return; // superseded by an earlier wake-up
        }
        self.sender.wake_at = SimTime::MAX;
        // NetworkClient.poll with timeout 0: the sender loops while it finds sendable data.
        while self.sender_pass(ctx) {}
    }

    /// `Sender.sendProducerData`; true when it sent something (run again at once).
    pub(crate) fn sender_pass(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let now = ctx.now;
        let mut next_wake = SimTime::MAX;
        self.resolve_sequences();
        self.expire_batches(&mut next_wake, ctx);
        let linger = ms(ctx.spec.producer.linger_ms);
        let exhausted = self.acc.memory_waiters > 0 || self.sender.flushing;
        // One connection per broker (read here rather than from the spec's cold lines).
        let brokers = self.sender.conns.len();
        // scratch buffer reused across passes (no allocation per pass)
        let mut ready = std::mem::take(&mut self.sender.ready_scratch);
        ready.clear();
        ready.resize(brokers, false);
        // RecordAccumulator.ready
        for p in 0..self.acc.deques.len() {
            let Some(&head) = self.acc.deques[p].front() else {
                continue;
            };
            let Some(leader) = self.sender.leaders[p] else {
                self.sender.metadata.request_update();
                continue;
            };
            if self.sender.muted[p] {
                continue;
            }
            if self.backing_off(head, now) {
                next_wake = next_wake.min(self.acc.batches[head as usize].backoff_until);
                continue;
            }
            match self.acc.head_readiness(p, now, linger, exhausted) {
                Some(Readiness::Ready) => ready[leader as usize] = true,
                Some(Readiness::LingerUntil(at)) => next_wake = next_wake.min(at),
                None => {}
            }
        }
        let mut sent_any = false;
        for (node, &is_ready) in ready.iter().enumerate() {
            if !is_ready {
                continue;
            }
            match self.sender.conns[node].state {
                ConnState::Connected => {}
                ConnState::Connecting | ConnState::CheckingApiVersions => continue,
                ConnState::Disconnected { ready_at } => {
                    if ready_at <= now {
                        self.initiate_connect(node as u32, ctx);
                    } else {
                        next_wake = next_wake.min(ready_at);
                    }
                    continue;
                }
            }
            // NetworkClient.canSendRequest -> InFlightRequests.canSendMore
            let max_in_flight = ctx.spec.producer.max_in_flight_requests_per_connection as usize;
            if !self.sender.can_send_more(node, max_in_flight) {
                self.sender.waiting_for_write[node] = true;
                continue;
            }
            let batches = self.drain_node(node, ctx);
            if !batches.is_empty() {
                self.send_produce(node as u32, batches, ctx);
                sent_any = true;
            }
        }
        let mut metadata_due = SimTime::MAX;
        self.maybe_update_metadata(&mut metadata_due, ctx);
        if metadata_due != SimTime::MAX && self.sender.metadata_timer.arm(metadata_due) {
            // its own lazy timer: the refresh deadline repeats at every pass
            ctx.schedule(metadata_due, Event::MetadataDue);
        }
        self.sender.ready_scratch = ready;
        if self.sender.tm.has_work_for_next_loop() {
            // Sequences to resolve or an epoch to bump: the next loop does it at once.
            next_wake = now;
        }
        if next_wake != SimTime::MAX {
            self.sender_schedule(next_wake, ctx);
        }
        sent_any
    }

    /// A retried batch still in its backoff at `now`.
    pub(crate) fn backing_off(&self, id: BatchId, now: SimTime) -> bool {
        let b = &self.acc.batches[id as usize];
        // KIP-951 (3.7+): skip the backoff when the leader changed since the failed attempt.
        b.retrying
            && now < b.backoff_until
            && self.sender.leader_epochs[b.partition as usize] == b.leader_epoch_at_attempt
    }

    /// `RecordAccumulator.drainBatchesForOneNode`: one pass over the partitions the node leads,
    /// taking the head batch of each, from the node's `drainIndex`. As Kafka does,
    /// `updateDrainIndex` records each partition before it is visited, so the next drain starts
    /// at the last partition visited: the one that stopped this drain, or after a whole round
    /// the one before this drain's start. The node's drain stops (`break`, not `continue`) when
    /// the next batch would take the request past `max.request.size` (the first batch always
    /// goes), or when `shouldStopDrainBatchesForPartition` holds (idempotence, reference 4.3 and
    /// 6.3): nothing after that partition goes in this request.
    pub(crate) fn drain_node(&mut self, node: usize, ctx: &Ctx<'_>) -> Vec<BatchId> {
        let n_parts = self.sender.node_partitions[node].len();
        if n_parts == 0 {
            return Vec::new();
        }
        let mut drain_index = self.sender.drain_index[node] % n_parts;
        let max_request = ctx.spec.producer.max_request_size as u64;
        let order_guaranteed = ctx.spec.producer.max_in_flight_requests_per_connection == 1;
        let mut size = 0u64;
        let mut out = Vec::new();
        // do { ... } while (start != drainIndex): one visit per partition.
        for _ in 0..n_parts {
            let p = self.sender.node_partitions[node][drain_index] as usize;
            self.sender.drain_index[node] = drain_index; // updateDrainIndex
            drain_index = (drain_index + 1) % n_parts;
            // isMuted: only proceed if the partition has no in-flight batches.
            if self.sender.muted[p] {
                continue;
            }
            let Some(&head) = self.acc.deques[p].front() else {
                continue;
            };
            if self.backing_off(head, ctx.now) {
                continue;
            }
            // first.estimatedSizeInBytes(): estimated (compressed) until built at its first drain.
            let bytes = self.acc.batches[head as usize].estimated_size() as u64;
            if !out.is_empty() && size + bytes > max_request {
                break;
            }
            if self.sender.tm.idempotent && self.should_stop_drain(p, head) {
                break;
            }
            self.acc.pop_head(p as u32);
            let epoch = self.sender.leader_epochs[p];
            if self.sender.tm.idempotent {
                let b = &self.acc.batches[head as usize];
                if !self.sender.tm.is_numbered(p, b.seq, b.producer_epoch) {
                    // Sequence numbers are assigned at drain, not at append (reference 4.3).
                    let count = b.count;
                    let (seq, producer_epoch) = self.sender.tm.assign_sequence(p, head, count);
                    let b = &mut self.acc.batches[head as usize];
                    b.seq = seq;
                    b.producer_epoch = producer_epoch;
                }
            }
            // batch.close(); size += batch.records().sizeInBytes()
            size += self.acc.close_for_send(head) as u64;
            let b = &mut self.acc.batches[head as usize];
            b.in_flight = true;
            b.leader_epoch_at_attempt = epoch;
            self.sender.in_flight_batches[p].push_back(head);
            if order_guaranteed {
                self.sender.muted[p] = true;
            }
            out.push(head);
        }
        out
    }

    /// `RecordAccumulator.shouldStopDrainBatchesForPartition` with idempotence.
    pub(crate) fn should_stop_drain(&self, p: usize, head: BatchId) -> bool {
        let b = &self.acc.batches[head as usize];
        let stale_in_flight = self.sender.in_flight_batches[p]
            .iter()
            .any(|&o| self.acc.batches[o as usize].producer_epoch != self.sender.tm.producer_epoch);
        self.sender
            .tm
            .should_stop_drain(p, head, b.seq, b.producer_epoch, stale_in_flight)
    }

    /// Sends one produce request with `batches` to broker `node` (`Sender.sendProduceRequest`).
    pub(crate) fn send_produce(&mut self, node: u32, batches: Vec<BatchId>, ctx: &mut Ctx<'_>) {
        let id = self.sender.next_id;
        self.sender.next_id += 1;
        let acks = ctx.spec.producer.acks;
        let req = ProduceRequest {
            id,
            acks,
            timeout: ms(ctx.spec.producer.request_timeout_ms),
            batches: batches
                .iter()
                .map(|&bid| {
                    let b = &self.acc.batches[bid as usize];
                    ProduceBatch {
                        batch: bid,
                        partition: b.partition,
                        rec_start: b.rec_start,
                        count: b.count,
                        bytes: b.wire_bytes,
                        uncompressed_bytes: b.bytes,
                        producer: if self.sender.tm.idempotent {
                            ProducerInfo {
                                pid: self.sender.tm.producer_id,
                                epoch: b.producer_epoch,
                                base_seq: b.seq,
                            }
                        } else {
                            ProducerInfo {
                                pid: 0,
                                epoch: 0,
                                base_seq: -1,
                            }
                        },
                    }
                })
                .collect(),
        };
        if ctx.tracing() {
            for pb in &req.batches {
                let attempt = self.acc.batches[pb.batch as usize].attempts + 1;
                ctx.observe(Observation::BatchSent {
                    partition: pb.partition,
                    rec_start: pb.rec_start,
                    count: pb.count,
                    batch: pb.batch,
                    bytes: pb.bytes,
                    node,
                    request: id,
                    attempt,
                    producer: pb.producer,
                    acks,
                });
            }
        }
        self.sender.requests += 1;
        let c = &mut self.sender.conns[node as usize];
        let gen = c.gen;
        let (from, to) = (self.node, World::broker_node(node));
        let msg = Message::Produce(req);
        // Every request is written to the socket (`KafkaChannel.write`), at once while the
        // socket buffers have room, else when the broker has read enough (TCP flow control;
        // the broker reads one request at a time per connection). Any request gates the next
        // one until it is written (`InFlightRequests.canSendMore` reads `NetworkSend
        // .completed()`, true once the last byte is in the kernel's socket buffer): a request
        // with room is written at once. An acks=0 request completes when written
        // (`NetworkClient.handleCompletedSends`); the model takes that as when its last byte has
        // left the NIC (a little later than Kafka).
        let bytes = msg.wire_bytes();
        let acks_zero = ctx.spec.producer.acks == Acks::Zero;
        // (a request larger than the buffers goes out once they are empty)
        let room = c.blocked_writes.is_empty() && (c.buffered == 0 || c.buffered + bytes <= SOCKET_BUFFER_BYTES);
        if room {
            c.buffered += bytes;
            if acks_zero {
                ctx.write(from, to, gen, msg, Event::RequestWritten { node, request: id });
            } else {
                ctx.send(from, to, gen, msg);
            }
        } else {
            c.blocked_writes.push_back((id, bytes));
            ctx.send(from, to, gen, msg);
        }
        let deadline = ctx.now + ms(ctx.spec.producer.request_timeout_ms);
        self.sender.in_flight[node as usize].push_back(InFlightRequest {
            id,
            batches,
            deadline,
            written: room && !acks_zero,
        });
        // NetworkClient.canSendRequest: never more than max.in.flight.requests.per.connection.
        assert!(
            self.sender.in_flight[node as usize].len()
                <= ctx.spec.producer.max_in_flight_requests_per_connection as usize,
            "more requests in flight to b{node} than max.in.flight.requests.per.connection"
        );
        // request.timeout.ms also bounds a request whose write never completes.
        if self.sender.request_timers[node as usize].arm(deadline) {
            ctx.schedule(deadline, Event::RequestTimeout { node });
        }
    }
}

#[cfg(test)]
mod backoff_tests {
    use super::*;
    use rand::SeedableRng;

    fn draw(initial: u64, max: u64, attempts: u32) -> Vec<SimTime> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        (0..200)
            .map(|_| exponential_backoff(&mut rng, initial, max, attempts))
            .collect()
    }

    /// `ExponentialBackoffTest.testExponentialBackoffWithoutJitter` / the config doc: a backoff
    /// above its maximum is the maximum, constant, without jitter.
    #[test]
    fn initial_above_max_is_a_constant_max() {
        assert!(draw(2000, 1000, 0).iter().all(|&b| b == ms(1000)));
        assert!(draw(2000, 1000, 9).iter().all(|&b| b == ms(1000)));
        assert!(draw(100, 100, 3).iter().all(|&b| b == ms(100)));
    }

    /// The exponent stops at log2(max / initial): capped draws spread over [0.8 max, max].
    #[test]
    fn capped_backoff_keeps_its_jitter_below_the_max() {
        let d = draw(100, 1000, 30);
        assert!(d.iter().all(|&b| b >= ms(800) && b <= ms(1000)));
        assert!(d.iter().any(|&b| b < ms(1000)), "jitter below the cap is kept");
        assert!(d.iter().any(|&b| b == ms(1000)));
        let first = draw(100, 1000, 0);
        assert!(first.iter().all(|&b| b >= ms(80) && b < ms(120)));
        // Whole milliseconds, as Kafka's (long) cast.
        assert!(first.iter().all(|&b| b % ms(1) == 0));
    }
}
