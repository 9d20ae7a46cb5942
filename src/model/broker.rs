//! A broker: request handling one request at a time per connection (`SocketServer` muting),
//! the leader's produce path with acks 0 / 1 / all and the produce purgatory
//! (`ReplicaManager.appendRecords`, `DelayedProduce`), follower fetching
//! (`ReplicaFetcherThread`, `DelayedFetch`), the high-watermark rule and ISR changes
//! (`Partition.maybeIncrementLeaderHW`, `maybeShrinkIsr`, `maybeExpandIsr`), leader epochs and
//! fetch-based truncation (KIP-101/279/320). Reference section 7.

use super::partition_log::{LogEntry, PartitionLog, SequenceCheck};
use super::{
    Envelope, ErrorCode, Event, FetchPartition, FetchPartitionData, Message, PartitionResponse, PartitionState,
    ProduceRequest, World,
};
use crate::config::{Acks, RunSpec};
use crate::sim::{ms, ms_f, SimTime, Timer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// The leader's view of one follower (`Replica` in Replica.scala).
#[derive(Clone, Debug)]
pub struct FollowerState {
    pub broker: u32,
    pub leo: u64,
    pub last_caught_up: SimTime,
    last_fetch_time: SimTime,
    last_fetch_leader_leo: u64,
}

/// One replica of a partition on this broker.
#[derive(Clone, Debug)]
pub struct Replica {
    pub log: PartitionLog,
    pub hw: u64,
    pub is_leader: bool,
    /// The leader epoch this replica knows.
    pub leader_epoch: u32,
    /// Leader-epoch start offset when this replica became leader.
    pub epoch_start: u64,
    pub followers: Vec<FollowerState>,
    /// AlterPartition in flight: the proposed ISR, and until when we wait for it.
    pending_isr: Option<Vec<u32>>,
    /// Partition epoch the AlterPartition was based on: any answer at or past it settles it.
    pending_epoch: u32,
    pending_until: SimTime,
}

struct DelayedProduce {
    id: u64,
    gen: u64,
    request: u64,
    parts: Vec<(PartitionResponse, u64, bool)>,
    /// The request's timeout (`request.timeout.ms` sent by the producer) from now.
    deadline: SimTime,
}

struct ParkedFetch {
    id: u64,
    fetch_id: u64,
    follower: u32,
    partitions: Vec<FetchPartition>,
    /// `replica.fetch.wait.max.ms` from when it was parked.
    deadline: SimTime,
}

/// Replica fetcher thread towards one leader broker (`num.replica.fetchers = 1`).
#[derive(Clone, Debug)]
struct Fetcher {
    partitions: Vec<u32>,
    in_flight: Option<u64>,
    scheduled: bool,
    /// When the fetch in flight is given up (`replica.socket.timeout.ms`, or a refused
    /// connection / reset seen).
    deadline: SimTime,
    timer: Timer,
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher {
            partitions: Vec::new(),
            in_flight: None,
            scheduled: false,
            deadline: SimTime::MAX,
            timer: Timer::default(),
        }
    }
}

pub struct Broker {
    pub id: u32,
    pub alive: bool,
    pub machine_up: bool,
    pub incarnation: u64,
    cpu_free: SimTime,
    pub replicas: Vec<Option<Replica>>,
    /// Metadata cache: every partition's state as this broker last heard it.
    pub meta: Vec<Option<PartitionState>>,
    pub metadata_version: u64,
    /// The controller acknowledged this incarnation's registration.
    registered: bool,
    /// Generation of the producer's current connection.
    conn_gen: u64,
    /// Requests received on the current connection, not yet read (the socket is muted while
    /// one is handled: `SocketServer` reads one request at a time per connection).
    conn_queue: VecDeque<ProduceRequest>,
    /// The connection generation whose request is being handled (muted until answered).
    muted_gen: Option<u64>,
    /// Requests being handled by the request handler (CPU), in start order.
    in_service: VecDeque<(u64, ProduceRequest)>,
    purgatory: Vec<DelayedProduce>,
    purgatory_timer: Timer,
    parked: Vec<ParkedFetch>,
    fetch_wait_timer: Timer,
    fetchers: Vec<Fetcher>,
    next_id: u64,
    rng: ChaCha8Rng,
}

impl Broker {
    pub fn new(id: u32, spec: &RunSpec, assignment: &[Vec<u32>], rng: ChaCha8Rng) -> Broker {
        let replicas = assignment
            .iter()
            .map(|reps| {
                reps.contains(&id).then(|| Replica {
                    log: PartitionLog::default(),
                    hw: 0,
                    is_leader: false,
                    leader_epoch: 0,
                    epoch_start: 0,
                    followers: Vec::new(),
                    pending_isr: None,
                    pending_epoch: 0,
                    pending_until: 0,
                })
            })
            .collect();
        Broker {
            id,
            alive: true,
            machine_up: true,
            incarnation: 1,
            cpu_free: 0,
            replicas,
            meta: vec![None; spec.cluster.partitions as usize],
            metadata_version: 0,
            registered: true,
            conn_gen: 0,
            conn_queue: VecDeque::new(),
            muted_gen: None,
            in_service: VecDeque::new(),
            purgatory: Vec::new(),
            purgatory_timer: Timer::default(),
            parked: Vec::new(),
            fetch_wait_timer: Timer::default(),
            fetchers: vec![Fetcher::default(); spec.cluster.brokers as usize],
            next_id: 1,
            rng,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// ISR as this broker knows it, plus pending additions ("maximal ISR", KIP-497).
    fn maximal_isr(&self, p: usize) -> Vec<u32> {
        let mut isr = self.meta[p].as_ref().map(|s| s.isr.clone()).unwrap_or_default();
        if let Some(r) = &self.replicas[p] {
            if let Some(pending) = &r.pending_isr {
                for b in pending {
                    if !isr.contains(b) {
                        isr.push(*b);
                    }
                }
            }
        }
        isr
    }

    fn isr_len(&self, p: usize) -> usize {
        self.meta[p].as_ref().map_or(0, |s| s.isr.len())
    }
}

impl World {
    /// `min(min.insync.replicas, replication.factor)` (3.7+ effective min ISR).
    fn effective_min_isr(&self) -> usize {
        self.spec
            .cluster
            .min_insync_replicas
            .min(self.spec.cluster.replication_factor) as usize
    }

    /// Broker CPU: when work of `bytes` started now finishes.
    fn cpu(&mut self, b: u32, bytes: u64) -> SimTime {
        let svc =
            ms_f((self.spec.cluster.request_service_us * 1e3 + bytes as f64 * self.spec.cluster.byte_service_ns) / 1e6);
        let br = &mut self.brokers[b as usize];
        let done = self.now.max(br.cpu_free) + svc;
        br.cpu_free = done;
        done
    }

    /// Send at a future time `at` (after the broker's processing).
    fn send_message_at(&mut self, at: SimTime, from: usize, to: usize, gen: u64, msg: Message) {
        let saved = self.now;
        self.now = at.max(saved);
        self.send_message(from, to, gen, msg);
        self.now = saved;
    }

    pub(super) fn broker_start_timers(&mut self, b: u32) {
        let inc = self.brokers[b as usize].incarnation;
        let jitter = self.brokers[b as usize].rng.gen_range(0..ms(100));
        self.schedule(
            self.now + jitter,
            Event::HeartbeatTick {
                broker: b,
                incarnation: inc,
            },
        );
        let check = ms(self.spec.cluster.replica_lag_time_max_ms / 2);
        self.schedule(
            self.now + check + jitter,
            Event::IsrCheck {
                broker: b,
                incarnation: inc,
            },
        );
    }

    pub(super) fn broker_receive(&mut self, b: u32, env: Envelope) {
        if !self.brokers[b as usize].alive {
            return;
        }
        match env.msg {
            Message::Produce(req) => {
                let br = &mut self.brokers[b as usize];
                if env.gen < br.conn_gen {
                    return;
                }
                if env.gen > br.conn_gen {
                    // A new connection from the producer: the old one is gone.
                    br.conn_gen = env.gen;
                    br.conn_queue.clear();
                }
                br.conn_queue.push_back(req);
                self.maybe_start_request(b);
            }
            Message::MetadataRequest { id } => {
                let partitions = self.brokers[b as usize]
                    .meta
                    .iter()
                    .map(|m| m.as_ref().map_or((None, 0), |s| (s.leader, s.leader_epoch)))
                    .collect();
                let at = self.cpu(b, 0);
                let to = self.producer_node();
                self.send_message_at(at, env.to, to, 0, Message::MetadataResponse { id, partitions });
            }
            Message::Fetch {
                id,
                follower,
                partitions,
            } => self.leader_handle_fetch(b, id, follower, partitions),
            Message::FetchResponse { id, partitions } => {
                self.follower_handle_fetch_response(b, env.from as u32, id, partitions)
            }
            Message::MetadataUpdate {
                version,
                partitions,
                registered,
            } => {
                let br = &mut self.brokers[b as usize];
                if !br.registered {
                    // A restarted broker takes no partition role before the controller has its
                    // new registration (which fences the old one and moves leadership away);
                    // KRaft brokers register at startup and start fenced.
                    if registered != Some(br.incarnation) {
                        return;
                    }
                    br.registered = true;
                }
                self.broker_apply_metadata(b, version, &partitions)
            }
            _ => {}
        }
    }

    /// `SocketServer`: one request at a time per connection; muted until the response is sent.
    fn maybe_start_request(&mut self, b: u32) {
        let br = &mut self.brokers[b as usize];
        if br.muted_gen == Some(br.conn_gen) {
            return;
        }
        let Some(req) = br.conn_queue.pop_front() else { return };
        let bytes: u64 = req.batches.iter().map(|x| x.bytes as u64).sum();
        let acks_zero = req.acks == Acks::Zero;
        let wire = req.wire_bytes();
        let gen = br.conn_gen;
        br.muted_gen = Some(gen);
        br.in_service.push_back((gen, req));
        let done = self.cpu(b, bytes);
        let incarnation = self.brokers[b as usize].incarnation;
        self.schedule(done, Event::BrokerRequestDone { broker: b, incarnation });
        if acks_zero {
            self.producer_socket_drained(b, gen, wire);
        }
    }

    pub(super) fn broker_request_done(&mut self, b: u32, incarnation: u64) {
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.alive {
            return;
        }
        let Some((gen, req)) = br.in_service.pop_front() else {
            return;
        };
        self.handle_produce(b, gen, req);
    }

    /// `ReplicaManager.appendRecords` on the leader.
    fn handle_produce(&mut self, b: u32, gen: u64, req: ProduceRequest) {
        let min_isr = self.effective_min_isr();
        let mut parts: Vec<(PartitionResponse, u64, bool)> = Vec::with_capacity(req.batches.len());
        let mut any_error = false;
        for pb in &req.batches {
            let p = pb.partition as usize;
            let mut resp = PartitionResponse {
                batch: pb.batch,
                partition: pb.partition,
                error: ErrorCode::None,
                base_offset: 0,
                leader_hint: None,
            };
            let br = &self.brokers[b as usize];
            let is_leader = br.replicas[p].as_ref().is_some_and(|r| r.is_leader);
            if !is_leader {
                resp.error = ErrorCode::NotLeaderOrFollower;
                resp.leader_hint = br.meta[p].as_ref().and_then(|s| s.leader.map(|l| (l, s.leader_epoch)));
            } else if req.acks == Acks::All && br.isr_len(p) < min_isr {
                // Partition.appendRecordsToLeader: checked before the append.
                resp.error = ErrorCode::NotEnoughReplicas;
            } else {
                let r = br.replicas[p].as_ref().unwrap();
                match r.log.check_sequence(pb.producer, pb.count) {
                    SequenceCheck::Duplicate { base_offset } => {
                        resp.base_offset = base_offset;
                        if self.trace.is_some() && self.traced(pb.partition, pb.rec_start, pb.count as u64) {
                            let line = format!("b{b}: duplicate of an appended batch (seq {}), not appended again; original offset {base_offset}", pb.producer.base_seq);
                            self.trace_line(line);
                        }
                    }
                    SequenceCheck::OutOfOrder => resp.error = ErrorCode::OutOfOrderSequenceNumber,
                    SequenceCheck::InvalidEpoch => resp.error = ErrorCode::InvalidProducerEpoch,
                    SequenceCheck::Accept => {
                        let entry = LogEntry {
                            base_offset: 0,
                            count: pb.count,
                            rec_start: pb.rec_start,
                            leader_epoch: r.leader_epoch,
                            producer: pb.producer,
                            bytes: pb.bytes as u64,
                            append_time: self.now,
                        };
                        resp.base_offset = self.replica_append(b, p, entry);
                        if self.trace.is_some() && self.traced(pb.partition, pb.rec_start, pb.count as u64) {
                            let r = self.brokers[b as usize].replicas[p].as_ref().unwrap();
                            let line = format!(
                                "b{b} (leader, epoch {}): appended at offsets {}..{} (HW {}, ISR {:?})",
                                r.leader_epoch,
                                resp.base_offset,
                                resp.base_offset + pb.count as u64 - 1,
                                r.hw,
                                self.brokers[b as usize].meta[p]
                                    .as_ref()
                                    .map(|s| s.isr.clone())
                                    .unwrap_or_default()
                            );
                            self.trace_line(line);
                        }
                        self.wake_parked_fetches(b, p as u32);
                        self.maybe_advance_hw(b, p);
                    }
                }
            }
            any_error |= resp.error != ErrorCode::None;
            let required = resp.base_offset + pb.count as u64;
            parts.push((resp, required, resp.error == ErrorCode::None));
        }
        match req.acks {
            Acks::Zero => {
                // No response. On an error the broker closes the connection (KafkaApis).
                if any_error {
                    self.reset_producer_connection(b, gen);
                }
                self.request_finished(b, gen);
            }
            Acks::One => {
                let responses = parts.into_iter().map(|x| x.0).collect();
                self.send_produce_response(b, gen, req.id, responses);
                self.request_finished(b, gen);
            }
            Acks::All => {
                let id = self.brokers[b as usize].id();
                let deadline = self.now + req.timeout;
                self.brokers[b as usize].purgatory.push(DelayedProduce {
                    id,
                    gen,
                    request: req.id,
                    parts,
                    deadline,
                });
                if !self.try_complete_delayed(b, id) {
                    self.arm_purgatory_timer(b, deadline);
                }
            }
        }
    }

    /// The response went out: unmute the connection it came on.
    fn request_finished(&mut self, b: u32, gen: u64) {
        let br = &mut self.brokers[b as usize];
        if br.muted_gen == Some(gen) {
            br.muted_gen = None;
        }
        self.maybe_start_request(b);
    }

    fn send_produce_response(&mut self, b: u32, gen: u64, request: u64, responses: Vec<PartitionResponse>) {
        let p = self.faults.lose_responses;
        if p > 0.0 && self.brokers[b as usize].rng.gen::<f64>() < p {
            // lose-responses fault: the connection breaks after the broker processed the request.
            self.reset_producer_connection(b, gen);
            return;
        }
        let to = self.producer_node();
        self.send_message(
            World::broker_node(b),
            to,
            gen,
            Message::ProduceResponse { request, responses },
        );
    }

    /// A TCP reset from broker `b` reaches the producer (if the path is up).
    /// The broker closes its side: requests not yet read from the socket are gone (the
    /// connection was muted, so at most the one being handled was read).
    fn reset_producer_connection(&mut self, b: u32, gen: u64) {
        let br = &mut self.brokers[b as usize];
        if br.conn_gen == gen {
            br.conn_queue.clear();
            br.conn_gen = gen + 1;
        }
        let from = World::broker_node(b);
        let to = self.producer_node();
        if self.net.reachable(from, to) {
            let at = self.net.signal(self.now, from, to);
            self.schedule(at, Event::ConnectionReset { node: b, gen });
        }
    }

    /// Complete the parts of a delayed produce that are satisfied; answer when all are.
    /// Returns true when the request was answered.
    fn try_complete_delayed(&mut self, b: u32, id: u64) -> bool {
        let min_isr = self.effective_min_isr();
        let br = &mut self.brokers[b as usize];
        let Some(pos) = br.purgatory.iter().position(|d| d.id == id) else {
            return true;
        };
        let mut pending = false;
        for (resp, required, waiting) in br.purgatory[pos].parts.iter_mut() {
            if !*waiting {
                continue;
            }
            let p = resp.partition as usize;
            match br.replicas[p].as_ref() {
                Some(r) if r.is_leader => {
                    if r.hw >= *required {
                        *waiting = false;
                        // DelayedProduce: acks=all completes with NOT_ENOUGH_REPLICAS_AFTER_APPEND
                        // when the ISR shrank below min.insync.replicas (records stay in the log).
                        let isr = br.meta[p].as_ref().map_or(0, |s| s.isr.len());
                        if isr < min_isr {
                            resp.error = ErrorCode::NotEnoughReplicasAfterAppend;
                        }
                    } else {
                        pending = true;
                    }
                }
                _ => {
                    *waiting = false;
                    resp.error = ErrorCode::NotLeaderOrFollower;
                    resp.leader_hint = br.meta[p].as_ref().and_then(|s| s.leader.map(|l| (l, s.leader_epoch)));
                }
            }
        }
        if pending {
            return false;
        }
        let d = br.purgatory.remove(pos);
        self.send_produce_response(b, d.gen, d.request, d.parts.into_iter().map(|x| x.0).collect());
        self.request_finished(b, d.gen);
        true
    }

    fn complete_delayed_for(&mut self, b: u32) {
        let ids: Vec<u64> = self.brokers[b as usize].purgatory.iter().map(|d| d.id).collect();
        for id in ids {
            self.try_complete_delayed(b, id);
        }
    }

    fn arm_purgatory_timer(&mut self, b: u32, at: SimTime) {
        let br = &mut self.brokers[b as usize];
        if br.purgatory_timer.arm(at) {
            let incarnation = br.incarnation;
            self.schedule(at, Event::PurgatoryTimeout { broker: b, incarnation });
        }
    }

    /// `DelayedProduce.onExpiration`: REQUEST_TIMED_OUT for what is still waiting; the records
    /// stay in the log and may still commit.
    pub(super) fn purgatory_timeout(&mut self, b: u32, incarnation: u64) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.purgatory_timer.fire(now) {
            return;
        }
        let mut expired = Vec::new();
        for d in br.purgatory.iter_mut().filter(|d| d.deadline <= now) {
            for (resp, _, waiting) in d.parts.iter_mut() {
                if *waiting {
                    *waiting = false;
                    resp.error = ErrorCode::RequestTimedOut;
                }
            }
            expired.push(d.id);
        }
        for id in expired {
            self.try_complete_delayed(b, id);
        }
        if let Some(next) = self.brokers[b as usize].purgatory.iter().map(|d| d.deadline).min() {
            self.arm_purgatory_timer(b, next);
        }
    }

    /// Append to a replica's log; returns the base offset.
    fn replica_append(&mut self, b: u32, p: usize, entry: LogEntry) -> u64 {
        let tick = ms(self.spec.cluster.dirty_writeback_ms);
        let durable = self.durable_before();
        let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
        r.log.append(entry, tick, durable)
    }

    /// Page cache older than this has been written back (Linux `dirty_expire_centisecs`,
    /// flusher every `dirty_writeback_centisecs`; reference 7.9).
    pub(super) fn durable_before(&self) -> SimTime {
        let wb = ms(self.spec.cluster.dirty_writeback_ms).max(1);
        ((self.now / wb) * wb).saturating_sub(ms(self.spec.cluster.dirty_expire_ms))
    }

    /// `Partition.maybeIncrementLeaderHW`.
    fn maybe_advance_hw(&mut self, b: u32, p: usize) {
        let min_isr = self.effective_min_isr();
        let hw_rule = self.spec.cluster.hw_requires_min_isr;
        let br = &self.brokers[b as usize];
        let Some(r) = br.replicas[p].as_ref() else {
            return;
        };
        if !r.is_leader {
            return;
        }
        // 3.7+ (KAFKA-15583): no advance while |ISR| < min.insync.replicas.
        if hw_rule && br.isr_len(p) < min_isr {
            return;
        }
        let isr = br.maximal_isr(p);
        let mut candidate = r.log.log_end_offset();
        for f in &r.followers {
            if isr.contains(&f.broker) {
                candidate = candidate.min(f.leo);
            }
        }
        if candidate <= r.hw {
            return;
        }
        let old = r.hw;
        let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
        r.hw = candidate;
        if candidate > self.monitor.max_committed[p] {
            self.monitor.max_committed[p] = candidate;
            self.monitor.committed_rec[p] = r.log.record_at(candidate - 1).map(|x| x.0);
        }
        assert!(r.hw <= r.log.log_end_offset(), "high watermark above log end");
        if self.trace.is_some() {
            self.trace_offsets(
                b,
                p,
                old,
                candidate,
                &format!("committed: high watermark {old} -> {candidate}"),
            );
        }
        self.complete_delayed_for(b);
    }

    /// Trace an event about offsets `[from, to)` if the traced record is among them.
    fn trace_offsets(&mut self, b: u32, p: usize, from: u64, to: u64, what: &str) {
        let Some(t) = self.trace.as_ref() else { return };
        if t.partition as usize != p {
            return;
        }
        let rec = t.rec;
        let r = self.brokers[b as usize].replicas[p].as_ref().unwrap();
        let hit = r
            .log
            .entries_below(to)
            .filter(|e| e.end_offset() > from)
            .find(|e| rec >= e.rec_start && rec < e.rec_start + e.count as u64);
        if let Some(e) = hit {
            let off = e.base_offset + (rec - e.rec_start);
            let line = format!("b{b}: offset {off}: {what}");
            self.trace_line(line);
        }
    }

    fn wake_parked_fetches(&mut self, b: u32, p: u32) {
        let ids: Vec<u64> = self.brokers[b as usize]
            .parked
            .iter()
            .filter(|f| f.partitions.iter().any(|x| x.partition == p))
            .map(|f| f.id)
            .collect();
        for id in ids {
            self.complete_parked_fetch(b, id);
        }
    }

    fn complete_parked_fetch(&mut self, b: u32, id: u64) {
        let br = &mut self.brokers[b as usize];
        let Some(pos) = br.parked.iter().position(|f| f.id == id) else {
            return;
        };
        let f = br.parked.remove(pos);
        let (data, _) = self.read_fetch(b, &f.partitions, false);
        self.send_fetch_response(b, f.follower, f.fetch_id, data);
    }

    fn arm_fetch_wait_timer(&mut self, b: u32, at: SimTime) {
        let br = &mut self.brokers[b as usize];
        if br.fetch_wait_timer.arm(at) {
            let incarnation = br.incarnation;
            self.schedule(at, Event::FetchWaitExpired { broker: b, incarnation });
        }
    }

    /// Parked fetches whose `replica.fetch.wait.max.ms` ran out are answered (with whatever
    /// there is, often nothing but the high watermark).
    pub(super) fn fetch_wait_expired(&mut self, b: u32, incarnation: u64) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.fetch_wait_timer.fire(now) {
            return;
        }
        let due: Vec<u64> = br.parked.iter().filter(|f| f.deadline <= now).map(|f| f.id).collect();
        for id in due {
            self.complete_parked_fetch(b, id);
        }
        if let Some(next) = self.brokers[b as usize].parked.iter().map(|f| f.deadline).min() {
            self.arm_fetch_wait_timer(b, next);
        }
    }

    fn send_fetch_response(&mut self, b: u32, follower: u32, fetch_id: u64, partitions: Vec<FetchPartitionData>) {
        let bytes: u64 = partitions.iter().flat_map(|p| p.entries.iter()).map(|e| e.bytes).sum();
        let at = self.cpu(b, bytes);
        self.send_message_at(
            at,
            World::broker_node(b),
            World::broker_node(follower),
            0,
            Message::FetchResponse {
                id: fetch_id,
                partitions,
            },
        );
    }

    /// The leader side of a replica fetch (`ReplicaManager.fetchMessages` for a follower).
    fn leader_handle_fetch(&mut self, b: u32, fetch_id: u64, follower: u32, partitions: Vec<FetchPartition>) {
        // First record the follower's position for every partition (Replica.updateFetchState).
        for fp in &partitions {
            self.update_follower_state(b, follower, fp);
        }
        let (data, respond_now) = self.read_fetch(b, &partitions, true);
        if respond_now {
            self.send_fetch_response(b, follower, fetch_id, data);
        } else {
            let br = &mut self.brokers[b as usize];
            let id = br.id();
            let deadline = self.now + ms(self.spec.cluster.replica_fetch_wait_max_ms);
            br.parked.push(ParkedFetch {
                id,
                fetch_id,
                follower,
                partitions,
                deadline,
            });
            self.arm_fetch_wait_timer(b, deadline);
        }
    }

    fn update_follower_state(&mut self, b: u32, follower: u32, fp: &FetchPartition) {
        let p = fp.partition as usize;
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        let Some(r) = br.replicas[p].as_mut() else {
            return;
        };
        if !r.is_leader || fp.current_leader_epoch != r.leader_epoch {
            return;
        }
        // A diverging follower is not credited until it truncated.
        if let Some(lfe) = fp.last_fetched_epoch {
            match r.log.end_offset_for_epoch(lfe) {
                Some((e, end)) if e == lfe && end >= fp.fetch_offset => {}
                _ => return,
            }
        }
        let leo = r.log.log_end_offset();
        let Some(f) = r.followers.iter_mut().find(|f| f.broker == follower) else {
            return;
        };
        // Replica.updateFetchStateOrThrow
        if fp.fetch_offset >= leo {
            f.last_caught_up = now;
        } else if fp.fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up = f.last_caught_up.max(f.last_fetch_time);
        }
        f.last_fetch_leader_leo = leo;
        f.last_fetch_time = now;
        f.leo = fp.fetch_offset.min(leo);
        let f_leo = f.leo;
        if r.pending_isr.is_some() && now >= r.pending_until {
            // Never answered (the controller unreachable): forget it; the change is retried.
            r.pending_isr = None;
        }
        let (hw, epoch_start) = (r.hw, r.epoch_start);
        let in_isr = br.maximal_isr(p).contains(&follower);
        // Partition.maybeExpandIsr: caught up to the HW and to the epoch start offset.
        if !in_isr && f_leo >= hw && f_leo >= epoch_start {
            let mut new_isr = br.meta[p].as_ref().map(|s| s.isr.clone()).unwrap_or_default();
            new_isr.push(follower);
            self.alter_partition(b, p, new_isr);
        }
        self.maybe_advance_hw(b, p);
    }

    /// Build the fetch response data; the bool says whether to answer now (data, error,
    /// divergence) or park the fetch (`replica.fetch.min.bytes` not reached).
    fn read_fetch(&mut self, b: u32, partitions: &[FetchPartition], first: bool) -> (Vec<FetchPartitionData>, bool) {
        let max_bytes = self.spec.cluster.replica_fetch_max_bytes as u64;
        let br = &self.brokers[b as usize];
        let mut out = Vec::with_capacity(partitions.len());
        let mut bytes = 0u64;
        let mut urgent = false;
        for fp in partitions {
            let p = fp.partition as usize;
            let mut d = FetchPartitionData {
                partition: fp.partition,
                error: ErrorCode::None,
                high_watermark: 0,
                entries: Vec::new(),
                diverging: None,
            };
            match br.replicas[p].as_ref() {
                Some(r) if r.is_leader && r.leader_epoch == fp.current_leader_epoch => {
                    d.high_watermark = r.hw;
                    let diverged = fp
                        .last_fetched_epoch
                        .and_then(|lfe| match r.log.end_offset_for_epoch(lfe) {
                            Some((e, end)) if e == lfe && end >= fp.fetch_offset => None,
                            Some((e, end)) => Some((e, end)),
                            None => Some((0, 0)),
                        });
                    if let Some(div) = diverged {
                        d.diverging = Some(div);
                        urgent = true;
                    } else {
                        r.log.read(fp.fetch_offset, max_bytes, &mut d.entries);
                        bytes += d.entries.iter().map(|e| e.bytes).sum::<u64>();
                    }
                }
                _ => {
                    // FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER
                    d.error = ErrorCode::NotLeaderOrFollower;
                    urgent = true;
                }
            }
            out.push(d);
        }
        let enough = bytes >= self.spec.cluster.replica_fetch_min_bytes.max(1) as u64;
        (out, urgent || enough || !first)
    }

    /// Ask the controller to change the ISR (`AlterPartition`, KIP-497).
    fn alter_partition(&mut self, b: u32, p: usize, new_isr: Vec<u32>) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        let Some(st) = br.meta[p].clone() else { return };
        let r = br.replicas[p].as_mut().unwrap();
        if r.pending_isr.is_some() && now < r.pending_until {
            return;
        }
        r.pending_isr = Some(new_isr.clone());
        r.pending_epoch = st.partition_epoch;
        r.pending_until = now + ms(5_000);
        let msg = Message::AlterPartition {
            broker: b,
            partition: p as u32,
            leader_epoch: st.leader_epoch,
            partition_epoch: st.partition_epoch,
            new_isr,
        };
        let to = self.controller_node();
        self.send_message(World::broker_node(b), to, 0, msg);
    }

    /// `ReplicaManager.maybeShrinkIsr`, every `replica.lag.time.max.ms / 2`.
    pub(super) fn isr_check(&mut self, b: u32, incarnation: u64) {
        if self.brokers[b as usize].incarnation != incarnation || !self.brokers[b as usize].alive {
            return;
        }
        let lag = ms(self.spec.cluster.replica_lag_time_max_ms);
        let now = self.now;
        for p in 0..self.brokers[b as usize].replicas.len() {
            let br = &self.brokers[b as usize];
            let Some(r) = br.replicas[p].as_ref() else {
                continue;
            };
            if !r.is_leader {
                continue;
            }
            let Some(st) = br.meta[p].as_ref() else {
                continue;
            };
            let leo = r.log.log_end_offset();
            let out: Vec<u32> = r
                .followers
                .iter()
                .filter(|f| st.isr.contains(&f.broker) && f.leo != leo && now.saturating_sub(f.last_caught_up) > lag)
                .map(|f| f.broker)
                .collect();
            if !out.is_empty() {
                let new_isr: Vec<u32> = st.isr.iter().copied().filter(|x| !out.contains(x)).collect();
                self.alter_partition(b, p, new_isr);
            }
        }
        self.schedule(now + lag / 2, Event::IsrCheck { broker: b, incarnation });
    }

    pub(super) fn heartbeat_tick(&mut self, b: u32, incarnation: u64) {
        let br = &self.brokers[b as usize];
        if br.incarnation != incarnation || !br.alive {
            return;
        }
        let msg = Message::Heartbeat {
            broker: b,
            incarnation,
            metadata_version: br.metadata_version,
        };
        let to = self.controller_node();
        self.send_message(World::broker_node(b), to, 0, msg);
        self.schedule(
            self.now + ms(self.spec.cluster.broker_heartbeat_interval_ms),
            Event::HeartbeatTick { broker: b, incarnation },
        );
    }

    /// Apply partition states from the controller (the broker's metadata publisher:
    /// `ReplicaManager.applyDelta` -> makeLeader / makeFollower).
    pub(super) fn broker_apply_metadata(&mut self, b: u32, version: u64, parts: &[(u32, PartitionState)]) {
        for (p, st) in parts {
            let p = *p as usize;
            let br = &mut self.brokers[b as usize];
            // The controller's answer to an AlterPartition (accepted: a newer state; rejected:
            // the current one echoed) settles the pending ISR change either way.
            if let Some(r) = br.replicas[p].as_mut() {
                if r.pending_isr.is_some() && st.partition_epoch >= r.pending_epoch {
                    r.pending_isr = None;
                }
            }
            if br.meta[p]
                .as_ref()
                .is_some_and(|k| k.partition_epoch >= st.partition_epoch && k.leader_epoch >= st.leader_epoch)
            {
                continue;
            }
            br.meta[p] = Some(st.clone());
            if br.replicas[p].is_none() {
                continue;
            }
            let me = br.id;
            let r = br.replicas[p].as_mut().unwrap();
            if st.leader != Some(me) {
                r.pending_isr = None;
            }
            if st.leader == Some(me) {
                if !r.is_leader || r.leader_epoch != st.leader_epoch {
                    self.become_leader(b, p, st);
                } else {
                    self.maybe_advance_hw(b, p);
                    self.complete_delayed_for(b);
                }
            } else {
                self.become_follower(b, p, st);
            }
        }
        let br = &mut self.brokers[b as usize];
        br.metadata_version = br.metadata_version.max(version);
    }

    /// `Partition.makeLeader`.
    fn become_leader(&mut self, b: u32, p: usize, st: &PartitionState) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        for f in br.fetchers.iter_mut() {
            f.partitions.retain(|&x| x as usize != p);
        }
        let r = br.replicas[p].as_mut().unwrap();
        assert!(st.leader_epoch >= r.leader_epoch, "leader epochs only grow");
        r.is_leader = true;
        r.leader_epoch = st.leader_epoch;
        r.log.assign_epoch_start(st.leader_epoch);
        r.epoch_start = r.log.log_end_offset();
        // Ghost check of LeaderCompletenessProperty: the new leader holds every committed record.
        let committed = self.monitor.max_committed[p];
        let leo = r.epoch_start;
        let complete = committed == 0
            || (leo >= committed && r.log.record_at(committed - 1).map(|x| x.0) == self.monitor.committed_rec[p]);
        if !complete {
            self.monitor.leader_completeness_violations += 1;
            self.monitor.committed_lost += committed.saturating_sub(leo).max(1);
            // From here on the new leader's log is the truth the monitor tracks.
            let keep = leo.min(committed);
            self.monitor.max_committed[p] = keep;
            self.monitor.committed_rec[p] = keep.checked_sub(1).and_then(|o| r.log.record_at(o)).map(|x| x.0);
        }
        r.hw = r.hw.min(r.log.log_end_offset());
        r.followers = st
            .replicas
            .iter()
            .filter(|&&x| x != b)
            .map(|&x| FollowerState {
                broker: x,
                leo: 0,
                last_caught_up: if st.isr.contains(&x) { now } else { 0 },
                last_fetch_time: now,
                last_fetch_leader_leo: 0,
            })
            .collect();
        r.pending_isr = None;
        if self.trace.as_ref().is_some_and(|t| t.partition as usize == p) {
            let leo = self.brokers[b as usize].replicas[p]
                .as_ref()
                .unwrap()
                .log
                .log_end_offset();
            let line = format!(
                "b{b}: becomes leader of partition {p} (epoch {}, log end {leo}, ISR {:?})",
                st.leader_epoch, st.isr
            );
            self.trace_line(line);
        }
    }

    /// `Partition.makeFollower`: stop leading, fetch from the new leader (truncation happens
    /// through the first fetch's divergence check).
    fn become_follower(&mut self, b: u32, p: usize, st: &PartitionState) {
        let br = &mut self.brokers[b as usize];
        let r = br.replicas[p].as_mut().unwrap();
        let was_leader = r.is_leader;
        if st.leader_epoch < r.leader_epoch {
            return;
        }
        r.is_leader = false;
        r.leader_epoch = st.leader_epoch;
        r.followers.clear();
        for f in br.fetchers.iter_mut() {
            f.partitions.retain(|&x| x as usize != p);
        }
        if was_leader {
            // Pending produces and parked fetches of this partition fail.
            self.complete_delayed_for(b);
            let ids: Vec<u64> = self.brokers[b as usize]
                .parked
                .iter()
                .filter(|f| f.partitions.iter().any(|x| x.partition as usize == p))
                .map(|f| f.id)
                .collect();
            for id in ids {
                self.complete_parked_fetch(b, id);
            }
        }
        if let Some(l) = st.leader {
            let br = &mut self.brokers[b as usize];
            br.fetchers[l as usize].partitions.push(p as u32);
            let f = &br.fetchers[l as usize];
            if f.in_flight.is_none() && !f.scheduled {
                br.fetchers[l as usize].scheduled = true;
                let inc = br.incarnation;
                self.schedule(
                    self.now,
                    Event::SendFetch {
                        broker: b,
                        incarnation: inc,
                        leader: l,
                    },
                );
            }
        }
    }

    /// The replica fetcher sends one FetchRequest for all partitions it follows on `leader`.
    pub(super) fn send_fetch(&mut self, b: u32, incarnation: u64, leader: u32) {
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.alive {
            return;
        }
        br.fetchers[leader as usize].scheduled = false;
        if br.fetchers[leader as usize].in_flight.is_some() || br.fetchers[leader as usize].partitions.is_empty() {
            return;
        }
        let partitions: Vec<FetchPartition> = br.fetchers[leader as usize]
            .partitions
            .iter()
            .map(|&p| {
                let r = br.replicas[p as usize].as_ref().unwrap();
                FetchPartition {
                    partition: p,
                    fetch_offset: r.log.log_end_offset(),
                    current_leader_epoch: r.leader_epoch,
                    last_fetched_epoch: r.log.latest_epoch(),
                }
            })
            .collect();
        let id = br.id();
        br.fetchers[leader as usize].in_flight = Some(id);
        br.fetchers[leader as usize].deadline = SimTime::MAX;
        let target = &self.brokers[leader as usize];
        let (from, to) = (World::broker_node(b), World::broker_node(leader));
        if !target.alive && target.machine_up && self.net.reachable(from, to) && self.net.reachable(to, from) {
            // connection refused: fail fast, back off replica.fetch.backoff.ms
            let at = self.now + self.net.rtt(from, to);
            self.set_fetch_deadline(b, leader, at);
            return;
        }
        self.send_message(
            from,
            to,
            0,
            Message::Fetch {
                id,
                follower: b,
                partitions,
            },
        );
        // replica.socket.timeout.ms (30 s) bounds a fetch that gets no answer.
        self.set_fetch_deadline(b, leader, self.now + ms(30_000));
    }

    /// Give up the fetch in flight from `b` to `leader` at `at` (earlier deadlines win).
    fn set_fetch_deadline(&mut self, b: u32, leader: u32, at: SimTime) {
        let br = &mut self.brokers[b as usize];
        let incarnation = br.incarnation;
        let f = &mut br.fetchers[leader as usize];
        f.deadline = f.deadline.min(at);
        if f.timer.arm(f.deadline) {
            let at = f.deadline;
            self.schedule(
                at,
                Event::FetchTimeout {
                    broker: b,
                    incarnation,
                    leader,
                },
            );
        }
    }

    pub(super) fn fetch_timeout(&mut self, b: u32, incarnation: u64, leader: u32) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.fetchers[leader as usize].timer.fire(now) {
            return;
        }
        let f = &mut br.fetchers[leader as usize];
        if f.in_flight.is_none() {
            return;
        }
        if f.deadline > now {
            let at = f.deadline;
            f.timer.arm(at);
            self.schedule(
                at,
                Event::FetchTimeout {
                    broker: b,
                    incarnation,
                    leader,
                },
            );
            return;
        }
        f.in_flight = None;
        f.deadline = SimTime::MAX;
        f.scheduled = true;
        self.schedule(
            now + ms(self.spec.cluster.replica_fetch_backoff_ms),
            Event::SendFetch {
                broker: b,
                incarnation,
                leader,
            },
        );
    }

    /// The follower side: truncate on divergence, append, learn the HW, fetch again.
    fn follower_handle_fetch_response(&mut self, b: u32, leader: u32, id: u64, partitions: Vec<FetchPartitionData>) {
        if self.brokers[b as usize].fetchers[leader as usize].in_flight != Some(id) {
            return;
        }
        self.brokers[b as usize].fetchers[leader as usize].in_flight = None;
        self.brokers[b as usize].fetchers[leader as usize].deadline = SimTime::MAX;
        let mut bytes = 0u64;
        let mut all_errors = !partitions.is_empty();
        for d in partitions {
            let p = d.partition as usize;
            let following = self.brokers[b as usize].fetchers[leader as usize]
                .partitions
                .contains(&d.partition);
            if !following {
                continue;
            }
            if d.error != ErrorCode::None {
                continue;
            }
            all_errors = false;
            if let Some((e, end)) = d.diverging {
                let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
                // AbstractFetcherThread.truncateOnFetchResponse / getOffsetTruncationState
                let target = match r.log.end_offset_for_epoch(e) {
                    Some((_, fend)) => fend.min(end),
                    None => 0,
                };
                let old = r.log.log_end_offset();
                if target < old {
                    if self.trace.is_some() {
                        self.trace_offsets(b, p, target, old, &format!("TRUNCATED on this follower: log end {old} -> {target} (diverged from the leader's log, KIP-101/279)"));
                    }
                    let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
                    r.log.truncate_to(target);
                    r.hw = r.hw.min(target);
                } else {
                    // Nothing to remove, but the epoch no longer matches: forget it so the next
                    // fetch carries the right epoch.
                    r.log.truncate_to(target);
                }
                continue;
            }
            for e in d.entries {
                let leo = self.brokers[b as usize].replicas[p]
                    .as_ref()
                    .unwrap()
                    .log
                    .log_end_offset();
                if e.end_offset() <= leo {
                    continue;
                }
                if e.base_offset > leo {
                    break; // a gap: wait for the next fetch from our LEO
                }
                let mut e = e;
                if e.base_offset < leo {
                    let skip = (leo - e.base_offset) as u32;
                    e.base_offset += skip as u64;
                    e.rec_start += skip as u64;
                    e.count -= skip;
                    if e.producer.base_seq >= 0 {
                        e.producer.base_seq += skip as i32;
                    }
                }
                bytes += e.bytes;
                e.append_time = self.now;
                if self.trace.is_some() && self.traced(d.partition, e.rec_start, e.count as u64) {
                    let line = format!(
                        "b{b} (follower): fetched and appended offsets {}..{} from b{leader}",
                        e.base_offset,
                        e.end_offset() - 1
                    );
                    self.trace_line(line);
                }
                self.replica_append(b, p, e);
            }
            let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
            let new_hw = d.high_watermark.min(r.log.log_end_offset());
            if new_hw > r.hw {
                r.hw = new_hw;
            }
        }
        let inc = self.brokers[b as usize].incarnation;
        if all_errors {
            self.brokers[b as usize].fetchers[leader as usize].scheduled = true;
            let at = self.now + ms(self.spec.cluster.replica_fetch_backoff_ms);
            self.schedule(
                at,
                Event::SendFetch {
                    broker: b,
                    incarnation: inc,
                    leader,
                },
            );
        } else {
            // The next fetch leaves as soon as this response is processed (the fetcher
            // thread's loop); built now, sent when the broker's CPU is done with the data.
            let at = self.cpu(b, bytes);
            let saved = self.now;
            self.now = at;
            self.send_fetch(b, inc, leader);
            self.now = saved;
        }
    }

    /// Process crash (`power = false`, page cache survives) or machine crash (`power = true`,
    /// unflushed page cache lost).
    pub(super) fn broker_crash(&mut self, b: u32, power: bool) {
        if !self.brokers[b as usize].alive && !power {
            return;
        }
        let durable = self.durable_before();
        let producer = self.producer_node();
        let pgen = self.sender.conns[b as usize].gen;
        let br = &mut self.brokers[b as usize];
        let was_alive = br.alive;
        br.alive = false;
        br.incarnation += 1;
        br.conn_queue.clear();
        br.in_service.clear();
        br.muted_gen = None;
        br.purgatory.clear();
        br.purgatory_timer = Timer::default();
        br.parked.clear();
        br.fetch_wait_timer = Timer::default();
        for f in br.fetchers.iter_mut() {
            *f = Fetcher::default();
        }
        for m in br.meta.iter_mut() {
            *m = None;
        }
        br.metadata_version = 0;
        br.registered = false;
        for r in br.replicas.iter_mut().flatten() {
            r.is_leader = false;
            r.followers.clear();
            r.pending_isr = None;
        }
        if power {
            br.machine_up = false;
            for r in br.replicas.iter_mut().flatten() {
                r.log.lose_unflushed(durable);
                r.hw = r.hw.min(r.log.log_end_offset());
            }
        } else if was_alive {
            // The kernel still answers: peers see a TCP reset.
            let from = World::broker_node(b);
            if self.net.reachable(from, producer) {
                let at = self.net.signal(self.now, from, producer);
                self.schedule(at, Event::ConnectionReset { node: b, gen: pgen });
            }
            for f in 0..self.brokers.len() as u32 {
                if f == b {
                    continue;
                }
                if self.brokers[f as usize].fetchers[b as usize].in_flight.is_some() {
                    let at = self.net.signal(self.now, from, World::broker_node(f));
                    self.set_fetch_deadline(f, b, at);
                }
            }
        }
        if self.trace.is_some() {
            let line = format!(
                "b{b}: {}",
                if power {
                    "POWER LOSS (unflushed page cache lost)"
                } else {
                    "process crash"
                }
            );
            self.trace_line(line);
        }
    }

    /// Restart after a crash: log recovery, then register with the controller.
    pub(super) fn broker_restart(&mut self, b: u32) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.alive {
            return;
        }
        br.alive = true;
        br.machine_up = true;
        br.cpu_free = now;
        if self.trace.is_some() {
            self.trace_line(format!("b{b}: restarted"));
        }
        self.broker_start_timers(b);
    }
}
