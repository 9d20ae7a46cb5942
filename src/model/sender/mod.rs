//! The producer's I/O thread: `Sender` + `NetworkClient` + the idempotence parts of
//! `TransactionManager`. One pass (`sendProducerData`) expires batches, finds ready nodes,
//! drains one batch per partition into one `ProduceRequest` per node, and sends it
//! (reference sections 4.2-4.6, 5, 6).

use super::accumulator::BatchId;
use super::ledger::Outcome;
use super::partition_log::ProducerInfo;
use super::{
    Envelope, ErrorCode, Event, Message, PartitionResponse, PartitionState, ProduceBatch, ProduceRequest, World,
};
use crate::config::{Acks, RunSpec};
use crate::sim::{ms, SimTime, Timer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

mod transaction_manager;
pub use transaction_manager::TransactionManager;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    Disconnected { ready_at: SimTime },
    Connecting,
    Connected,
}

/// The producer's connection to one broker (`NetworkClient` / `ClusterConnectionStates`).
#[derive(Clone, Debug)]
pub struct Conn {
    pub state: ConnState,
    pub gen: u64,
    failures: u32,
    /// acks=0 flow control: bytes in the socket buffers not yet read by the broker, and
    /// requests waiting for room (request id, bytes).
    buffered: u64,
    blocked_writes: VecDeque<(u64, u64)>,
}

/// `send.buffer.bytes` (131072) on the producer plus the broker's `socket.receive.buffer.bytes`
/// (102400): how much an acks=0 producer can write ahead of a broker that is not reading.
const SOCKET_BUFFER_BYTES: u64 = 131_072 + 102_400;

#[derive(Clone, Debug)]
pub struct InFlightRequest {
    pub id: u64,
    pub batches: Vec<BatchId>,
    /// `request.timeout.ms` after it was sent.
    pub deadline: SimTime,
}

pub struct Sender {
    /// Time of the pending wake-up event (lazy: a popped `SenderWake` at another time is stale).
    wake_at: SimTime,
    pub conns: Vec<Conn>,
    /// `InFlightRequests`, per broker, oldest first.
    pub in_flight: Vec<VecDeque<InFlightRequest>>,
    request_timers: Vec<Timer>,
    drain_index: Vec<usize>,
    ready_scratch: Vec<bool>,
    /// Producer metadata: leader and leader epoch per partition.
    pub leaders: Vec<Option<u32>>,
    pub leader_epochs: Vec<u32>,
    has_leader: Vec<bool>,
    node_partitions: Vec<Vec<u32>>,
    metadata_needed: bool,
    metadata_in_flight: Option<u64>,
    metadata_rr: usize,
    next_id: u64,
    /// `guaranteeMessageOrder` (max in flight 1): partitions muted while a batch is in flight.
    muted: Vec<bool>,
    /// Per partition, drained batches not yet completed (the Sender's `inFlightBatches`).
    in_flight_batches: Vec<VecDeque<BatchId>>,
    /// Idempotence: producer id, epoch and sequences.
    pub tm: TransactionManager,
    /// `flush()` / `close()`: every batch is ready.
    pub flushing: bool,
    pub requests: u64,
    pub retries: u64,
    rng: ChaCha8Rng,
}

impl Sender {
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
            metadata_needed: false,
            metadata_in_flight: None,
            metadata_rr: 0,
            next_id: 1,
            muted: vec![false; p],
            in_flight_batches: vec![VecDeque::new(); p],
            tm: TransactionManager::new(p, spec.producer.idempotence()),
            flushing: false,
            requests: 0,
            retries: 0,
            rng,
        }
    }

    pub fn has_leader_mask(&self) -> &[bool] {
        &self.has_leader
    }

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

impl World {
    /// Ask the sender to run a pass at `at` (keeps only the earliest pending wake-up).
    pub(super) fn sender_schedule(&mut self, at: SimTime) {
        let at = at.max(self.now);
        if at < self.sender.wake_at {
            self.sender.wake_at = at;
            self.schedule(at, Event::SenderWake);
        }
    }

    pub(super) fn sender_wake(&mut self) {
        if self.now != self.sender.wake_at {
            return; // superseded by an earlier wake-up
        }
        self.sender.wake_at = SimTime::MAX;
        // NetworkClient.poll with timeout 0: the sender loops while it finds sendable data.
        while self.sender_pass() {}
    }

    /// `Sender.sendProducerData`; true when it sent something (run again at once).
    fn sender_pass(&mut self) -> bool {
        let now = self.now;
        let mut next_wake = SimTime::MAX;
        self.expire_batches(&mut next_wake);
        let linger = ms(self.spec.producer.linger_ms);
        let exhausted = self.acc.memory_waiters > 0 || self.sender.flushing;
        let brokers = self.brokers.len();
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
                self.sender.metadata_needed = true;
                continue;
            };
            if self.sender.muted[p] {
                continue;
            }
            let b = &self.acc.batches[head as usize];
            if self.backing_off(head) {
                next_wake = next_wake.min(b.backoff_until);
                continue;
            }
            let full = self.acc.deques[p].len() > 1 || b.is_full();
            let lingered = b.retrying || now >= b.created + linger;
            if full || lingered || exhausted {
                ready[leader as usize] = true;
            } else {
                next_wake = next_wake.min(b.created + linger);
            }
        }
        let mut sent_any = false;
        for (node, &is_ready) in ready.iter().enumerate() {
            if !is_ready {
                continue;
            }
            match self.sender.conns[node].state {
                ConnState::Connected => {}
                ConnState::Connecting => continue,
                ConnState::Disconnected { ready_at } => {
                    if ready_at <= now {
                        self.initiate_connect(node as u32);
                    } else {
                        next_wake = next_wake.min(ready_at);
                    }
                    continue;
                }
            }
            if self.sender.in_flight[node].len() >= self.spec.producer.max_in_flight_requests_per_connection as usize {
                continue;
            }
            let batches = self.drain_node(node);
            if !batches.is_empty() {
                self.send_produce(node as u32, batches);
                sent_any = true;
            }
        }
        if self.sender.metadata_needed {
            self.request_metadata();
        }
        self.sender.ready_scratch = ready;
        if next_wake != SimTime::MAX {
            self.sender_schedule(next_wake);
        }
        sent_any
    }

    fn backing_off(&self, id: BatchId) -> bool {
        let b = &self.acc.batches[id as usize];
        // KIP-951 (3.7+): skip the backoff when the leader changed since the failed attempt.
        b.retrying
            && self.now < b.backoff_until
            && self.sender.leader_epochs[b.partition as usize] == b.leader_epoch_at_attempt
    }

    /// `RecordAccumulator.drainBatchesForOneNode`: one batch per partition, rotating start.
    fn drain_node(&mut self, node: usize) -> Vec<BatchId> {
        let n_parts = self.sender.node_partitions[node].len();
        if n_parts == 0 {
            return Vec::new();
        }
        let start = self.sender.drain_index[node] % n_parts;
        self.sender.drain_index[node] = (start + 1) % n_parts;
        let max_request = self.spec.producer.max_request_size as u64;
        let order_guaranteed = self.spec.producer.max_in_flight_requests_per_connection == 1;
        let mut size = 0u64;
        let mut out = Vec::new();
        for i in 0..n_parts {
            let p = self.sender.node_partitions[node][(start + i) % n_parts] as usize;
            let Some(&head) = self.acc.deques[p].front() else {
                continue;
            };
            if self.sender.muted[p] || self.backing_off(head) {
                continue;
            }
            let bytes = self.acc.batches[head as usize].bytes as u64;
            if !out.is_empty() && size + bytes > max_request {
                break;
            }
            if self.sender.tm.idempotent && self.should_stop_drain(p, head) {
                continue;
            }
            self.acc.pop_head(p as u32);
            size += bytes;
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
            let b = &mut self.acc.batches[head as usize];
            b.closed = true;
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
    fn should_stop_drain(&self, p: usize, head: BatchId) -> bool {
        let b = &self.acc.batches[head as usize];
        let stale_in_flight = self.sender.in_flight_batches[p]
            .iter()
            .any(|&o| self.acc.batches[o as usize].producer_epoch != self.sender.tm.producer_epoch);
        self.sender
            .tm
            .should_stop_drain(p, head, b.seq, b.producer_epoch, stale_in_flight)
    }

    fn send_produce(&mut self, node: u32, batches: Vec<BatchId>) {
        let id = self.sender.next_id;
        self.sender.next_id += 1;
        let acks = self.spec.producer.acks;
        let req = ProduceRequest {
            id,
            acks,
            timeout: ms(self.spec.producer.request_timeout_ms),
            batches: batches
                .iter()
                .map(|&bid| {
                    let b = &self.acc.batches[bid as usize];
                    ProduceBatch {
                        batch: bid,
                        partition: b.partition,
                        rec_start: b.rec_start,
                        count: b.count,
                        bytes: b.bytes,
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
        if self.trace.is_some() {
            for pb in &req.batches {
                if self.traced(pb.partition, pb.rec_start, pb.count as u64) {
                    let b = &self.acc.batches[pb.batch as usize];
                    let line = format!(
                        "sender: batch #{} ({} records, {} bytes) sent to b{} in request {} (attempt {}{}, acks={})",
                        pb.batch,
                        pb.count,
                        pb.bytes,
                        node,
                        id,
                        b.attempts + 1,
                        if pb.producer.pid != 0 {
                            format!(", producer epoch {} seq {}", pb.producer.epoch, pb.producer.base_seq)
                        } else {
                            String::new()
                        },
                        acks
                    );
                    self.trace_line(line);
                }
            }
        }
        self.sender.requests += 1;
        let gen = self.sender.conns[node as usize].gen;
        let from = self.producer_node();
        let msg = Message::Produce(req);
        let bytes = msg.wire_bytes();
        let written = self.send_message(from, World::broker_node(node), gen, msg);
        let deadline = self.now + ms(self.spec.producer.request_timeout_ms);
        self.sender.in_flight[node as usize].push_back(InFlightRequest { id, batches, deadline });
        if acks == Acks::Zero {
            // acks=0 completes when the bytes are written to the socket
            // (NetworkClient.handleCompletedSends): at once while the socket buffers have room,
            // else when the broker has read enough (TCP flow control; the broker reads one
            // request at a time per connection).
            let c = &mut self.sender.conns[node as usize];
            // (a request larger than the buffers goes out once they are empty)
            if c.blocked_writes.is_empty() && (c.buffered == 0 || c.buffered + bytes <= SOCKET_BUFFER_BYTES) {
                c.buffered += bytes;
                self.schedule(written, Event::AcksZeroWritten { node, request: id });
            } else {
                c.blocked_writes.push_back((id, bytes));
            }
        }
        // request.timeout.ms also bounds an acks=0 request whose write never completes.
        if self.sender.request_timers[node as usize].arm(deadline) {
            self.schedule(deadline, Event::RequestTimeout { node });
        }
    }

    fn take_request(&mut self, node: u32, request: u64) -> Option<InFlightRequest> {
        let q = &mut self.sender.in_flight[node as usize];
        let pos = q.iter().position(|r| r.id == request)?;
        q.remove(pos)
    }

    pub(super) fn acks_zero_written(&mut self, node: u32, request: u64) {
        if let Some(req) = self.take_request(node, request) {
            for b in req.batches {
                self.complete_batch(b, ErrorCode::None);
            }
            self.sender_schedule(self.now);
        }
    }

    /// The broker read `bytes` from the connection: the socket buffers have room again, and
    /// blocked acks=0 writes complete once the window update reaches the producer.
    pub(super) fn producer_socket_drained(&mut self, node: u32, gen: u64, bytes: u64) {
        let c = &mut self.sender.conns[node as usize];
        if c.gen != gen {
            return;
        }
        c.buffered = c.buffered.saturating_sub(bytes);
        let mut done = Vec::new();
        while let Some(&(id, b)) = c.blocked_writes.front() {
            if c.buffered > 0 && c.buffered + b > SOCKET_BUFFER_BYTES {
                break;
            }
            c.buffered += b;
            c.blocked_writes.pop_front();
            done.push(id);
        }
        if !done.is_empty() {
            let at = self
                .net
                .signal(self.now, World::broker_node(node), self.producer_node());
            for id in done {
                self.schedule(at, Event::AcksZeroWritten { node, request: id });
            }
        }
    }

    pub(super) fn request_timeout(&mut self, node: u32) {
        if !self.sender.request_timers[node as usize].fire(self.now) {
            return;
        }
        // Requests on a connection are in send order: the oldest has the earliest deadline.
        let Some(deadline) = self.sender.in_flight[node as usize].front().map(|r| r.deadline) else {
            return;
        };
        if deadline <= self.now {
            // NetworkClient.handleTimedOutRequests: close the connection; every in-flight
            // request on it fails.
            self.disconnect(node, ErrorCode::RequestTimedOut);
        } else if self.sender.request_timers[node as usize].arm(deadline) {
            self.schedule(deadline, Event::RequestTimeout { node });
        }
    }

    pub(super) fn connection_reset(&mut self, node: u32, gen: u64) {
        if self.sender.conns[node as usize].gen == gen
            && !matches!(self.sender.conns[node as usize].state, ConnState::Disconnected { .. })
        {
            self.disconnect(node, ErrorCode::NetworkException);
        }
    }

    /// Close the connection to `node`: all in-flight requests fail (retriable), metadata refresh.
    fn disconnect(&mut self, node: u32, error: ErrorCode) {
        let failures = self.sender.conns[node as usize].failures;
        let backoff = self.sender.reconnect_backoff(&self.spec, failures);
        let c = &mut self.sender.conns[node as usize];
        c.gen += 1;
        c.state = ConnState::Disconnected {
            ready_at: self.now + backoff,
        };
        c.buffered = 0;
        c.blocked_writes.clear();
        let reqs: Vec<InFlightRequest> = self.sender.in_flight[node as usize].drain(..).collect();
        for r in reqs {
            for b in r.batches {
                if self.trace.is_some() {
                    let x = &self.acc.batches[b as usize];
                    if self.traced(x.partition, x.rec_start, x.count as u64) {
                        let line = format!(
                            "sender: connection to b{node} closed ({}): request {} fails",
                            error.name(),
                            r.id
                        );
                        self.trace_line(line);
                    }
                }
                self.complete_batch(b, error);
            }
        }
        self.sender.metadata_needed = true;
        self.sender_schedule(self.now);
    }

    fn initiate_connect(&mut self, node: u32) {
        let c = &mut self.sender.conns[node as usize];
        c.state = ConnState::Connecting;
        let gen = c.gen;
        let p = self.producer_node();
        let b = World::broker_node(node);
        let rtt = self.net.rtt(p, b);
        let broker = &self.brokers[node as usize];
        let reachable = self.net.reachable(p, b) && self.net.reachable(b, p) && broker.machine_up;
        let (at, ok) = if !reachable {
            // SYNs unanswered: socket.connection.setup.timeout.ms
            (
                self.now + ms(self.spec.producer.socket_connection_setup_timeout_ms),
                false,
            )
        } else if !broker.alive {
            (self.now + rtt, false) // connection refused (RST)
        } else {
            (self.now + rtt, true)
        };
        self.schedule(at, Event::ConnectDone { node, gen, ok });
    }

    pub(super) fn connect_done(&mut self, node: u32, gen: u64, ok: bool) {
        if self.sender.conns[node as usize].gen != gen {
            return;
        }
        if ok {
            let c = &mut self.sender.conns[node as usize];
            c.state = ConnState::Connected;
            c.failures = 0;
        } else {
            let failures = self.sender.conns[node as usize].failures;
            let backoff = self.sender.reconnect_backoff(&self.spec, failures);
            let c = &mut self.sender.conns[node as usize];
            c.failures += 1;
            c.gen += 1;
            c.state = ConnState::Disconnected {
                ready_at: self.now + backoff,
            };
            self.sender.metadata_needed = true;
        }
        self.sender_schedule(self.now);
    }

    /// Messages arriving at the producer.
    pub(super) fn producer_receive(&mut self, env: Envelope) {
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
                    self.on_partition_response(r);
                }
                self.sender_schedule(self.now);
            }
            Message::MetadataResponse { id, partitions } => {
                if self.sender.metadata_in_flight != Some(id) {
                    return;
                }
                self.sender.metadata_in_flight = None;
                let mut changed = false;
                for (p, (leader, epoch)) in partitions.into_iter().enumerate() {
                    changed |= self.sender.update_leader(p, leader, epoch);
                }
                if changed {
                    self.sender.rebuild_node_partitions();
                }
                if self.sender.leaders.iter().any(|l| l.is_none()) {
                    self.sender.metadata_needed = true;
                }
                self.sender_schedule(
                    self.now
                        + if self.sender.metadata_needed {
                            ms(self.spec.producer.retry_backoff_ms)
                        } else {
                            0
                        },
                );
            }
            _ => {}
        }
    }

    fn on_partition_response(&mut self, r: PartitionResponse) {
        if let Some((leader, epoch)) = r.leader_hint {
            // KIP-951: apply the new leader from the error response at once.
            if self.sender.update_leader(r.partition as usize, Some(leader), epoch) {
                self.sender.rebuild_node_partitions();
            }
        }
        let b = &self.acc.batches[r.batch as usize];
        if self.trace.is_some() && self.traced(b.partition, b.rec_start, b.count as u64) {
            let line = format!(
                "sender: response for batch #{}: {}{}",
                r.batch,
                r.error.name(),
                if r.error == ErrorCode::None {
                    format!(" (base offset {})", r.base_offset)
                } else {
                    String::new()
                }
            );
            self.trace_line(line);
        }
        self.complete_batch(r.batch, r.error);
    }

    fn request_metadata(&mut self) {
        self.sender.metadata_needed = false;
        if self.sender.metadata_in_flight.is_some() {
            return;
        }
        // NetworkClient.leastLoadedNode: prefer a connected node, else one not backing off.
        let n = self.brokers.len();
        let now = self.now;
        let pick = (0..n)
            .map(|i| (self.sender.metadata_rr + i) % n)
            .find(|&b| self.sender.conns[b].state == ConnState::Connected)
            .or_else(|| {
                (0..n).map(|i| (self.sender.metadata_rr + i) % n).find(
                    |&b| matches!(self.sender.conns[b].state, ConnState::Disconnected { ready_at } if ready_at <= now),
                )
            })
            .unwrap_or(self.sender.metadata_rr % n);
        self.sender.metadata_rr = pick + 1;
        let id = self.sender.next_id;
        self.sender.next_id += 1;
        self.sender.metadata_in_flight = Some(id);
        let from = self.producer_node();
        self.send_message(
            from,
            World::broker_node(pick as u32),
            0,
            Message::MetadataRequest { id },
        );
        let timeout = ms(self
            .spec
            .producer
            .request_timeout_ms
            .min(self.spec.producer.reconnect_backoff_max_ms.max(1_000)));
        self.schedule(self.now + timeout, Event::MetadataTimeout { id });
    }

    pub(super) fn metadata_timeout(&mut self, id: u64) {
        if self.sender.metadata_in_flight == Some(id) {
            self.sender.metadata_in_flight = None;
            self.request_metadata();
        }
    }

    /// `Sender.completeBatch` / `canRetry` / `failBatch`.
    fn complete_batch(&mut self, id: BatchId, error: ErrorCode) {
        let p = self.acc.batches[id as usize].partition as usize;
        let was_in_flight = self.acc.batches[id as usize].in_flight;
        self.acc.batches[id as usize].in_flight = false;
        if let Some(pos) = self.sender.in_flight_batches[p].iter().position(|&x| x == id) {
            self.sender.in_flight_batches[p].remove(pos);
        }
        if self.sender.muted[p] && was_in_flight {
            self.sender.muted[p] = false;
        }
        if self.acc.batches[id as usize].done {
            // Already failed by delivery timeout; a late answer is only logged (ProducerBatch.done).
            if self.trace.is_some() {
                let b = &self.acc.batches[id as usize];
                if self.traced(b.partition, b.rec_start, b.count as u64) {
                    let line = format!(
                        "sender: late {} for expired batch #{id} ignored (outcome stays failed)",
                        error.name()
                    );
                    self.trace_line(line);
                }
            }
            self.acc.recycle(id);
            self.maybe_resolve(p);
            return;
        }
        if error == ErrorCode::None {
            self.finish_batch(id, Outcome::Acked, error);
            return;
        }
        let idem = self.sender.tm.idempotent;
        let b = &self.acc.batches[id as usize];
        let stale_epoch = idem && b.producer_epoch != self.sender.tm.producer_epoch;
        let retriable = error.retriable()
            || (idem && error == ErrorCode::OutOfOrderSequenceNumber)
            || (error == ErrorCode::InvalidProducerEpoch && stale_epoch);
        let can_retry = retriable
            && b.attempts < self.spec.producer.retries
            && self.now < b.created + ms(self.spec.producer.delivery_timeout_ms());
        if idem
            && error == ErrorCode::OutOfOrderSequenceNumber
            && self.sender.tm.is_sequence_gap(p, b.seq, b.producer_epoch)
        {
            // A real gap: the broker lost batches we had acknowledged. Bump the epoch and
            // rewrite this partition's sequences (TransactionManager.bumpIdempotentProducerEpoch).
            self.bump_producer_epoch(p);
        }
        if can_retry {
            let attempts = self.acc.batches[id as usize].attempts + 1;
            let backoff = self.sender.retry_backoff(&self.spec, attempts);
            let b = &mut self.acc.batches[id as usize];
            b.attempts = attempts;
            b.retrying = true;
            b.last_attempt = self.now;
            b.backoff_until = self.now + backoff;
            let until = b.backoff_until;
            self.acc.reenqueue(id);
            self.sender.retries += 1;
            if error.invalid_metadata() {
                self.sender.metadata_needed = true;
            }
            self.sender_schedule(self.now);
            self.sender_schedule(until);
        } else {
            self.finish_batch(id, Outcome::Failed, error);
        }
    }

    /// The batch's outcome reaches the application: future completed, then callbacks in order;
    /// memory released.
    fn finish_batch(&mut self, id: BatchId, outcome: Outcome, error: ErrorCode) {
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
        let pu = p as usize;
        self.sender
            .tm
            .batch_finished(pu, id, seq, count, pepoch, outcome == Outcome::Acked);
        if self.trace.is_some() && self.traced(p, rec_start, count as u64) {
            let line = match outcome {
                Outcome::Acked => format!("application: batch #{id} acknowledged (future completed, callbacks run)"),
                Outcome::Failed => format!("application: batch #{id} FAILED with {}", error.name()),
            };
            self.trace_line(line);
        }
        self.ledger
            .complete(self.now, p, rec_start, count, outcome, (first, last));
        self.acc.release(id);
        if !in_flight {
            self.acc.recycle(id);
        }
        if sync > 0 {
            self.app_records_completed(p, rec_start, count);
        }
        self.maybe_resolve(pu);
        self.memory_released();
    }

    /// `TransactionManager.maybeResolveSequences`: bump the epoch when the unknown sequences
    /// were not all acknowledged.
    fn maybe_resolve(&mut self, p: usize) {
        let in_flight_empty = self.sender.in_flight_batches[p].is_empty();
        if self.sender.tm.maybe_resolve(p, in_flight_empty) {
            self.bump_producer_epoch(p);
        }
    }

    /// Bump the idempotent producer's epoch locally (KIP-360) and restart the sequences of the
    /// partition that needed it at 0 ([`TransactionManager::bump_epoch`]).
    fn bump_producer_epoch(&mut self, p: usize) {
        self.sender.tm.bump_epoch(p, &mut self.acc.batches);
    }

    /// `RecordAccumulator.expiredBatches` and `Sender.getExpiredInflightBatches`:
    /// `delivery.timeout.ms` counted from batch creation, queued or in flight.
    fn expire_batches(&mut self, next_wake: &mut SimTime) {
        let dt = ms(self.spec.producer.delivery_timeout_ms());
        let now = self.now;
        for p in 0..self.acc.deques.len() {
            while let Some(&head) = self.acc.deques[p].front() {
                let created = self.acc.batches[head as usize].created;
                if created + dt > now {
                    *next_wake = (*next_wake).min(created + dt);
                    break;
                }
                self.acc.pop_head(p as u32);
                self.finish_batch(head, Outcome::Failed, ErrorCode::DeliveryTimeout);
            }
            // in-flight batches are ordered by drain, roughly by creation: check them all
            let mut i = 0;
            while i < self.sender.in_flight_batches[p].len() {
                let id = self.sender.in_flight_batches[p][i];
                let b = &self.acc.batches[id as usize];
                if !b.done && b.created + dt <= now {
                    // Ambiguous: the request may still be written by the broker.
                    self.finish_batch(id, Outcome::Failed, ErrorCode::DeliveryTimeout);
                } else if !b.done {
                    *next_wake = (*next_wake).min(b.created + dt);
                }
                i += 1;
            }
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
