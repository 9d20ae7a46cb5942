//! A broker: request handling one request at a time per connection (`SocketServer` muting),
//! the leader's produce path with acks 0 / 1 / all and the produce purgatory
//! (`ReplicaManager.appendRecords`, `DelayedProduce`), follower fetching
//! (`ReplicaFetcherThread`, `DelayedFetch`), the high-watermark rule and ISR changes
//! (`Partition.maybeIncrementLeaderHW`, `maybeShrinkIsr`, `maybeExpandIsr`), leader epochs and
//! fetch-based truncation (KIP-101/279/320). Reference section 7.

use crate::config::{Acks, RunSpec};
use crate::model::context::{Command, Ctx};
use crate::model::observe::Observation;
use crate::model::{Envelope, Event, FetchPartition, Message, PartitionState, ProduceRequest, World};
use crate::sim::{ms, ms_f, SimTime, Timer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

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

pub(crate) struct Broker {
    pub id: u32,
    pub alive: bool,
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
    /// The producer's network node (where that connection comes from).
    client: usize,
    /// The lose-responses fault: the chance that a produce response is lost with its
    /// connection (set by the fault while it lasts).
    pub(in crate::model) lose_responses: f64,
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
    /// The controller's network node (after the brokers).
    controller: usize,
}

impl Broker {
    pub(crate) fn new(id: u32, spec: &RunSpec, assignment: &[Vec<u32>], rng: ChaCha8Rng) -> Broker {
        let replicas = assignment
            .iter()
            .map(|reps| reps.contains(&id).then(Replica::default))
            .collect();
        Broker {
            id,
            alive: true,
            incarnation: 1,
            cpu_free: 0,
            replicas,
            meta: vec![None; spec.cluster.partitions as usize],
            metadata_version: 0,
            registered: true,
            conn_gen: 0,
            client: spec.cluster.brokers as usize + 1,
            lose_responses: 0.0,
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
            controller: spec.cluster.brokers as usize,
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

    /// Whether `broker` is in partition `p`'s maximal ISR (without building it).
    fn in_maximal_isr(&self, p: usize, broker: u32) -> bool {
        self.meta[p].as_ref().is_some_and(|s| s.isr.contains(&broker))
            || self.replicas[p]
                .as_ref()
                .and_then(|r| r.pending_isr.as_ref())
                .is_some_and(|pending| pending.contains(&broker))
    }

    fn isr_len(&self, p: usize) -> usize {
        self.meta[p].as_ref().map_or(0, |s| s.isr.len())
    }
}

mod delayed_fetch;
mod delayed_produce;
pub use delayed_produce::DelayedProduce;
mod partition;
pub use partition::{Fetched, FollowerState, Replica};
mod replica_fetcher;

/// The broker's own handlers: `&mut self` and a [`Ctx`] (time, configuration, outbox,
/// observer); [`World::with_broker`] runs them and applies the outbox.
impl Broker {
    /// Start the periodic work of this incarnation: heartbeats to the controller
    /// (`broker.heartbeat.interval.ms`) and ISR checks (`replica.lag.time.max.ms / 2`), both
    /// after a random jitter below 100 ms.
    pub(in crate::model) fn start_timers(&mut self, ctx: &mut Ctx<'_>) {
        let inc = self.incarnation;
        let jitter = self.rng.gen_range(0..ms(100));
        ctx.schedule(
            ctx.now + jitter,
            Event::HeartbeatTick {
                broker: self.id,
                incarnation: inc,
            },
        );
        let check = ms(ctx.spec.cluster.replica_lag_time_max_ms / 2);
        ctx.schedule(
            ctx.now + check + jitter,
            Event::IsrCheck {
                broker: self.id,
                incarnation: inc,
            },
        );
    }

    /// `BrokerLifecycleManager`: a heartbeat to the controller (with the metadata version this
    /// broker has), then the next one.
    pub(in crate::model) fn heartbeat_tick(&mut self, incarnation: u64, ctx: &mut Ctx<'_>) {
        if self.incarnation != incarnation || !self.alive {
            return;
        }
        let msg = Message::Heartbeat {
            broker: self.id,
            incarnation,
            metadata_version: self.metadata_version,
        };
        ctx.send(World::broker_node(self.id), self.controller, 0, msg);
        ctx.schedule(
            ctx.now + ms(ctx.spec.cluster.broker_heartbeat_interval_ms),
            Event::HeartbeatTick {
                broker: self.id,
                incarnation,
            },
        );
    }
}

/// `min(min.insync.replicas, replication.factor)` (3.7+ effective min ISR).
pub(in crate::model) fn effective_min_isr(spec: &RunSpec) -> usize {
    spec.cluster.min_insync_replicas.min(spec.cluster.replication_factor) as usize
}

/// Page cache older than this has been written back (Linux `dirty_expire_centisecs`,
/// flusher every `dirty_writeback_centisecs`; reference 7.9).
pub(in crate::model) fn durable_before(spec: &RunSpec, now: SimTime) -> SimTime {
    let wb = ms(spec.cluster.dirty_writeback_ms).max(1);
    ((now / wb) * wb).saturating_sub(ms(spec.cluster.dirty_expire_ms))
}

/// Request handling, metadata and the lifecycle (`SocketServer`, `KafkaApis`,
/// `ReplicaManager.applyDelta`, crash and restart).
impl Broker {
    /// Broker CPU: when work of `bytes` started now finishes.
    pub(in crate::model) fn cpu(&mut self, bytes: u64, ctx: &Ctx<'_>) -> SimTime {
        let c = &ctx.spec.cluster;
        let svc = ms_f((c.request_service_us * 1e3 + bytes as f64 * c.byte_service_ns) / 1e6);
        let done = ctx.now.max(self.cpu_free) + svc;
        self.cpu_free = done;
        done
    }

    /// This broker's network node.
    fn node(&self) -> usize {
        World::broker_node(self.id)
    }

    /// A message arrives.
    pub(in crate::model) fn receive(&mut self, env: Envelope, ctx: &mut Ctx<'_>) {
        if !self.alive {
            return;
        }
        match env.msg {
            Message::Produce(req) => {
                if env.gen < self.conn_gen {
                    return;
                }
                if env.gen > self.conn_gen {
                    // A new connection from the producer: the old one is gone.
                    self.conn_gen = env.gen;
                    self.conn_queue.clear();
                }
                self.client = env.from;
                self.conn_queue.push_back(req);
                self.maybe_start_request(ctx);
            }
            Message::MetadataRequest { id } => {
                let partitions = self
                    .meta
                    .iter()
                    .map(|m| m.as_ref().map_or((None, 0), |s| (s.leader, s.leader_epoch)))
                    .collect();
                let at = self.cpu(0, ctx);
                ctx.send_at(at, env.to, env.from, 0, Message::MetadataResponse { id, partitions });
            }
            Message::Fetch {
                id,
                follower,
                partitions,
            } => self.leader_handle_fetch(id, follower, partitions, ctx),
            Message::FetchResponse { id, partitions } => {
                self.follower_handle_fetch_response(env.from as u32, id, partitions, ctx)
            }
            Message::MetadataUpdate {
                version,
                partitions,
                registered,
            } => {
                if !self.registered {
                    // A restarted broker takes no partition role before the controller has its
                    // new registration (which fences the old one and moves leadership away);
                    // KRaft brokers register at startup and start fenced.
                    if registered != Some(self.incarnation) {
                        return;
                    }
                    self.registered = true;
                }
                self.apply_metadata(version, &partitions, ctx)
            }
            _ => {}
        }
    }

    /// `SocketServer`: one request at a time per connection; muted until the response is sent.
    pub(in crate::model) fn maybe_start_request(&mut self, ctx: &mut Ctx<'_>) {
        if self.muted_gen == Some(self.conn_gen) {
            return;
        }
        let Some(req) = self.conn_queue.pop_front() else { return };
        let bytes: u64 = req.batches.iter().map(|x| x.bytes as u64).sum();
        let acks_zero = req.acks == Acks::Zero;
        let wire = req.wire_bytes();
        let gen = self.conn_gen;
        self.muted_gen = Some(gen);
        self.in_service.push_back((gen, req));
        let done = self.cpu(bytes, ctx);
        let incarnation = self.incarnation;
        ctx.schedule(
            done,
            Event::BrokerRequestDone {
                broker: self.id,
                incarnation,
            },
        );
        if acks_zero {
            // Read off the socket: the producer's socket buffer has room again.
            ctx.push(Command::WindowOpened {
                reader: self.node(),
                writer: self.client,
                gen,
                bytes: wire,
            });
        }
    }

    /// The request handler is done with the oldest request in service.
    pub(in crate::model) fn request_done(&mut self, incarnation: u64, ctx: &mut Ctx<'_>) {
        if self.incarnation != incarnation || !self.alive {
            return;
        }
        let Some((gen, req)) = self.in_service.pop_front() else {
            return;
        };
        self.handle_produce(gen, req, ctx);
    }

    /// Apply partition states from the controller (the broker's metadata publisher:
    /// `ReplicaManager.applyDelta` -> makeLeader / makeFollower).
    pub(in crate::model) fn apply_metadata(
        &mut self,
        version: u64,
        parts: &[(u32, PartitionState)],
        ctx: &mut Ctx<'_>,
    ) {
        for (p, st) in parts {
            let p = *p as usize;
            // The controller's answer to an AlterPartition (accepted: a newer state; rejected:
            // the current one echoed) settles the pending ISR change either way.
            if let Some(r) = self.replicas[p].as_mut() {
                if r.pending_isr.is_some() && st.partition_epoch >= r.pending_epoch {
                    r.pending_isr = None;
                }
            }
            if self.meta[p]
                .as_ref()
                .is_some_and(|k| k.partition_epoch >= st.partition_epoch && k.leader_epoch >= st.leader_epoch)
            {
                continue;
            }
            self.meta[p] = Some(st.clone());
            let me = self.id;
            let Some(r) = self.replicas[p].as_mut() else {
                continue;
            };
            if st.leader != Some(me) {
                r.pending_isr = None;
            }
            if st.leader == Some(me) {
                if !r.is_leader || r.leader_epoch != st.leader_epoch {
                    self.become_leader(p, st, ctx);
                } else {
                    self.maybe_advance_hw(p, ctx);
                    self.complete_delayed_for(ctx);
                }
            } else {
                self.become_follower(p, st, ctx);
            }
        }
        self.metadata_version = self.metadata_version.max(version);
    }

    /// Process crash (`power = false`, page cache survives) or machine crash (`power = true`,
    /// unflushed page cache lost): this broker's own state. The network's part (the host
    /// refusing or gone, resets reaching peers) is the fault's, in `World::broker_crash`.
    /// Returns whether the process was alive.
    pub(in crate::model) fn crash(&mut self, power: bool, ctx: &mut Ctx<'_>) -> bool {
        let durable = durable_before(ctx.spec, ctx.now);
        let was_alive = self.alive;
        self.alive = false;
        self.incarnation += 1;
        self.conn_queue.clear();
        self.in_service.clear();
        self.muted_gen = None;
        self.purgatory.clear();
        self.purgatory_timer = Timer::default();
        self.parked.clear();
        self.fetch_wait_timer = Timer::default();
        for f in self.fetchers.iter_mut() {
            *f = Fetcher::default();
        }
        for m in self.meta.iter_mut() {
            *m = None;
        }
        self.metadata_version = 0;
        self.registered = false;
        for r in self.replicas.iter_mut().flatten() {
            r.is_leader = false;
            r.followers.clear();
            r.pending_isr = None;
        }
        if power {
            for r in self.replicas.iter_mut().flatten() {
                r.log.lose_unflushed(durable);
                r.hw = r.hw.min(r.log.log_end_offset());
            }
        }
        was_alive
    }

    /// Whether this broker's fetcher towards `leader` has a fetch in flight.
    pub(in crate::model) fn fetching_from(&self, leader: u32) -> bool {
        self.fetchers[leader as usize].in_flight.is_some()
    }

    /// Restart after a crash: log recovery, then register with the controller. False when it
    /// was running.
    pub(in crate::model) fn restart(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if self.alive {
            return false;
        }
        self.alive = true;
        self.cpu_free = ctx.now;
        ctx.observe(Observation::Restarted { broker: self.id });
        self.start_timers(ctx);
        true
    }
}

/// A broker alone, driven through a bare [`Ctx`]: what its handlers put in the outbox.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::Command;
    use crate::model::controller::assign_replicas;
    use crate::model::monitor::Monitor;
    use crate::model::FetchPartitionData;
    use crate::sim::{rng_stream, Stream};

    /// `maybeShrinkIsr`: a follower that has not caught up within replica.lag.time.max.ms is
    /// proposed out of the ISR to the controller, and the next check is scheduled.
    #[test]
    fn isr_check_proposes_to_drop_a_lagging_follower() {
        let spec = RunSpec::default();
        let assignment = assign_replicas(&spec.cluster);
        let mut br = Broker::new(0, &spec, &assignment, rng_stream(1, Stream::Broker));
        let p = assignment.iter().position(|r| r[0] == 0).unwrap();
        let st = PartitionState {
            replicas: assignment[p].clone(),
            leader: Some(0),
            leader_epoch: 0,
            isr: assignment[p].clone(),
            partition_epoch: 0,
        };
        br.meta[p] = Some(st.clone());
        let r = br.replicas[p].as_mut().unwrap();
        r.make_leader(0, &st, 0);
        r.log.append(
            crate::model::partition_log::LogEntry {
                base_offset: 0,
                count: 10,
                rec_start: 0,
                leader_epoch: 0,
                producer: Default::default(),
                bytes: 1000,
                append_time: 0,
            },
            ms(5000),
            0,
        );
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(6), None);
        let now = ms(spec.cluster.replica_lag_time_max_ms) + ms(1);
        let mut ctx = Ctx::new(now, &spec, &mut out, &mut monitor, &mut tracer);
        br.isr_check(br.incarnation, &mut ctx);
        let proposals: Vec<(usize, Vec<u32>)> = out
            .iter()
            .filter_map(|c| match c {
                Command::Send {
                    to,
                    msg: Message::AlterPartition { new_isr, .. },
                    ..
                } => Some((*to, new_isr.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            proposals,
            vec![(3, vec![0])],
            "both followers lag: the ISR shrinks to the leader"
        );
        assert!(out.iter().any(|c| matches!(
            c,
            Command::Schedule {
                event: Event::IsrCheck { .. },
                ..
            }
        )));
        // A stale incarnation's check does nothing.
        out.clear();
        let mut ctx = Ctx::new(now, &spec, &mut out, &mut monitor, &mut tracer);
        br.isr_check(br.incarnation + 1, &mut ctx);
        assert!(out.is_empty());
    }

    /// Broker 0 leading partition `p` (ISR = all replicas), with its metadata.
    fn leader_of_first_partition(spec: &RunSpec) -> (Broker, usize) {
        let assignment = assign_replicas(&spec.cluster);
        let mut br = Broker::new(0, spec, &assignment, rng_stream(1, Stream::Broker));
        let p = assignment.iter().position(|r| r[0] == 0).unwrap();
        let st = PartitionState {
            replicas: assignment[p].clone(),
            leader: Some(0),
            leader_epoch: 0,
            isr: assignment[p].clone(),
            partition_epoch: 0,
        };
        br.meta[p] = Some(st.clone());
        br.replicas[p].as_mut().unwrap().make_leader(0, &st, 0);
        (br, p)
    }

    fn produce(p: usize, acks: Acks, count: u32) -> Envelope {
        let batch = crate::model::ProduceBatch {
            batch: 7,
            partition: p as u32,
            rec_start: 0,
            count,
            bytes: 100 * count,
            producer: Default::default(),
        };
        let req = ProduceRequest {
            id: 1,
            acks,
            timeout: ms(30_000),
            batches: vec![batch],
        };
        Envelope {
            from: 4,
            to: 0,
            gen: 1,
            msg: Message::Produce(req),
        }
    }

    /// The produce responses in an outbox: (to, error, base offset).
    fn responses(out: &[Command]) -> Vec<(usize, crate::model::ErrorCode, u64)> {
        out.iter()
            .filter_map(|c| match c {
                Command::Send {
                    to,
                    msg: Message::ProduceResponse { responses, .. },
                    ..
                } => Some((*to, responses[0].error, responses[0].base_offset)),
                _ => None,
            })
            .collect()
    }

    /// Drives `f` with a bare context at `now`, returning the outbox.
    fn drive(spec: &RunSpec, now: SimTime, f: impl FnOnce(&mut Ctx<'_>)) -> Vec<Command> {
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(spec.cluster.partitions as usize), None);
        let mut ctx = Ctx::new(now, spec, &mut out, &mut monitor, &mut tracer);
        f(&mut ctx);
        out
    }

    /// `ReplicaManager.appendRecords` with acks=all: the request waits in the purgatory
    /// (`DelayedProduce`) until every ISR follower has fetched past the batch, then the answer
    /// goes back on the connection it came on (as `ReplicaManagerTest`'s acks=-1 cases).
    #[test]
    fn acks_all_waits_for_the_isr_then_answers() {
        let spec = RunSpec::default();
        let (mut br, p) = leader_of_first_partition(&spec);
        let out = drive(&spec, 0, |ctx| br.receive(produce(p, Acks::All, 10), ctx));
        // Read off the socket, then handled when the CPU is done with it.
        let done = out.iter().find_map(|c| match c {
            Command::Schedule {
                at,
                event: Event::BrokerRequestDone { .. },
            } => Some(*at),
            _ => None,
        });
        let done = done.expect("the request handler is scheduled");
        let out = drive(&spec, done, |ctx| br.request_done(br.incarnation, ctx));
        assert!(
            responses(&out).is_empty(),
            "acks=all: no answer before the followers fetch"
        );
        assert_eq!(br.purgatory.len(), 1);
        let followers = br.meta[p].as_ref().unwrap().replicas[1..].to_vec();
        let fetch = |offset| {
            vec![FetchPartition {
                partition: p as u32,
                fetch_offset: offset,
                current_leader_epoch: 0,
                last_fetched_epoch: Some(0),
            }]
        };
        let out = drive(&spec, done + ms(1), |ctx| {
            br.leader_handle_fetch(1, followers[0], fetch(10), ctx)
        });
        assert!(responses(&out).is_empty(), "one follower of two: the HW stays");
        let out = drive(&spec, done + ms(2), |ctx| {
            br.leader_handle_fetch(2, followers[1], fetch(10), ctx)
        });
        assert_eq!(responses(&out), vec![(4, crate::model::ErrorCode::None, 0)]);
        assert!(br.purgatory.is_empty());
        assert_eq!(br.replicas[p].as_ref().unwrap().hw, 10);
    }

    /// A produce to a broker that does not lead the partition: NOT_LEADER_OR_FOLLOWER with the
    /// leader it knows (KIP-951), answered at once even with acks=all.
    #[test]
    fn produce_to_a_follower_names_the_leader() {
        let spec = RunSpec::default();
        let assignment = assign_replicas(&spec.cluster);
        let mut br = Broker::new(0, &spec, &assignment, rng_stream(1, Stream::Broker));
        let p = assignment.iter().position(|r| r[0] != 0 && r.contains(&0)).unwrap();
        let leader = assignment[p][0];
        br.meta[p] = Some(PartitionState {
            replicas: assignment[p].clone(),
            leader: Some(leader),
            leader_epoch: 3,
            isr: assignment[p].clone(),
            partition_epoch: 3,
        });
        let mut out = drive(&spec, 0, |ctx| br.receive(produce(p, Acks::All, 5), ctx));
        out.extend(drive(&spec, ms(1), |ctx| br.request_done(br.incarnation, ctx)));
        assert_eq!(
            responses(&out),
            vec![(4, crate::model::ErrorCode::NotLeaderOrFollower, 0)]
        );
        let hint = out.iter().find_map(|c| match c {
            Command::Send {
                msg: Message::ProduceResponse { responses, .. },
                ..
            } => responses[0].leader_hint,
            _ => None,
        });
        assert_eq!(hint, Some((leader, 3)));
    }

    /// acks=0: reading the request off the socket opens the producer's TCP window
    /// (`SocketServer` reads one request at a time per connection; the producer's acks=0 send
    /// completes when written), and nothing is answered.
    #[test]
    fn acks_zero_opens_the_window_and_answers_nothing() {
        let spec = RunSpec::default();
        let (mut br, p) = leader_of_first_partition(&spec);
        let out = drive(&spec, 0, |ctx| br.receive(produce(p, Acks::Zero, 3), ctx));
        assert!(out.iter().any(|c| matches!(
            c,
            Command::WindowOpened {
                reader: 0,
                writer: 4,
                gen: 1,
                ..
            }
        )));
        let out = drive(&spec, ms(1), |ctx| br.request_done(br.incarnation, ctx));
        assert!(responses(&out).is_empty());
        assert_eq!(br.replicas[p].as_ref().unwrap().log.log_end_offset(), 3);
    }

    /// `AbstractFetcherThread` with truncation on fetch (KIP-320; after
    /// `AbstractFetcherThreadTest.testTruncateOnFetchDoesNotProcessPartitionData`): a response
    /// saying the follower diverged at epoch 0, which ends at 4 on the leader,
    /// truncates the follower's 10 records of epoch 0 to 4, and the next fetch, sent at once,
    /// asks from offset 4.
    #[test]
    fn a_diverging_fetch_response_truncates_and_fetches_from_the_new_end() {
        let spec = RunSpec::default();
        let assignment = assign_replicas(&spec.cluster);
        let mut br = Broker::new(1, &spec, &assignment, rng_stream(1, Stream::Broker));
        let p = assignment.iter().position(|r| r[0] == 0 && r.contains(&1)).unwrap();
        let st = PartitionState {
            replicas: assignment[p].clone(),
            leader: Some(0),
            leader_epoch: 1,
            isr: assignment[p].clone(),
            partition_epoch: 1,
        };
        br.meta[p] = Some(st.clone());
        br.replicas[p].as_mut().unwrap().log.append(
            crate::model::partition_log::LogEntry {
                base_offset: 0,
                count: 10,
                rec_start: 0,
                leader_epoch: 0,
                producer: Default::default(),
                bytes: 1000,
                append_time: 0,
            },
            ms(5000),
            0,
        );
        let nodes = spec.cluster.brokers as usize + 2;
        let net = crate::model::network::Network::new(&spec.network, nodes, rng_stream(1, Stream::Network));
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(spec.cluster.partitions as usize), None);
        {
            let mut ctx = Ctx::new(0, &spec, &mut out, &mut monitor, &mut tracer).with_net(&net);
            br.become_follower(p, &st, &mut ctx);
        }
        let sent = |out: &[Command]| {
            out.iter()
                .filter_map(|c| match c {
                    Command::Schedule {
                        event: Event::SendFetch { leader, .. },
                        ..
                    } => Some(*leader),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(sent(&out), vec![0], "a new follower fetches from its leader at once");
        out.clear();
        let mut ctx = Ctx::new(0, &spec, &mut out, &mut monitor, &mut tracer).with_net(&net);
        br.send_fetch(br.incarnation, 0, 0, &mut ctx);
        let id = br.fetchers[0].in_flight.expect("a fetch is in flight");
        let data = FetchPartitionData {
            partition: p as u32,
            error: crate::model::ErrorCode::None,
            high_watermark: 4,
            entries: Vec::new(),
            diverging: Some((0, 4)),
        };
        br.follower_handle_fetch_response(0, id, vec![data], &mut ctx);
        assert_eq!(br.replicas[p].as_ref().unwrap().log.log_end_offset(), 4);
        let next: Vec<u64> = out
            .iter()
            .filter_map(|c| match c {
                Command::Send {
                    msg: Message::Fetch { partitions, .. },
                    ..
                } => Some(partitions[0].fetch_offset),
                _ => None,
            })
            .collect();
        assert_eq!(
            next,
            vec![10, 4],
            "the first fetch from 10, the next from the truncated end"
        );
    }

    /// `Partition.appendRecordsToLeader`: with acks=all and the ISR below
    /// `min.insync.replicas`, the batch is refused before the append (NOT_ENOUGH_REPLICAS,
    /// nothing written); acks=1 is not checked (as
    /// `ProducerFailureHandlingTest.testNotEnoughReplicasAfterBrokerShutdown`, which accepts
    /// NOT_ENOUGH_REPLICAS or its after-append variant once a broker is gone).
    #[test]
    fn acks_all_below_min_isr_is_refused_before_the_append() {
        let mut spec = RunSpec::default();
        spec.cluster.min_insync_replicas = 2;
        let (mut br, p) = leader_of_first_partition(&spec);
        br.meta[p].as_mut().unwrap().isr = vec![0];
        let mut out = drive(&spec, 0, |ctx| br.receive(produce(p, Acks::All, 10), ctx));
        out.extend(drive(&spec, ms(1), |ctx| br.request_done(br.incarnation, ctx)));
        assert_eq!(
            responses(&out),
            vec![(4, crate::model::ErrorCode::NotEnoughReplicas, 0)]
        );
        assert_eq!(
            br.replicas[p].as_ref().unwrap().log.log_end_offset(),
            0,
            "nothing appended"
        );
        // acks=1 does not look at the ISR.
        let mut e = produce(p, Acks::One, 10);
        e.gen = 2;
        let mut out = drive(&spec, ms(2), |ctx| br.receive(e, ctx));
        out.extend(drive(&spec, ms(3), |ctx| br.request_done(br.incarnation, ctx)));
        assert_eq!(responses(&out), vec![(4, crate::model::ErrorCode::None, 0)]);
        assert_eq!(br.replicas[p].as_ref().unwrap().log.log_end_offset(), 10);
    }
}
