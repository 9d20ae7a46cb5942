//! A broker: request handling one request at a time per connection (`SocketServer` muting),
//! the leader's produce path with acks 0 / 1 / all and the produce purgatory
//! (`ReplicaManager.appendRecords`, `DelayedProduce`), follower fetching
//! (`ReplicaFetcherThread`, `DelayedFetch`), the high-watermark rule and ISR changes
//! (`Partition.maybeIncrementLeaderHW`, `maybeShrinkIsr`, `maybeExpandIsr`), leader epochs and
//! fetch-based truncation (KIP-101/279/320). Reference section 7.

use crate::config::RunSpec;
use crate::model::compression::Codec;
use crate::model::context::{Command, Ctx};
use crate::model::observe::Observation;
use crate::model::{Envelope, Event, FetchPartition, Message, PartitionState, ProduceRequest, World};
use crate::sim::{ms, ms_f, SimTime, Timer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};

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
    /// Per broker id: fenced in the metadata applied (`KRaftMetadataCache.isBrokerFenced`).
    pub fenced: Vec<bool>,
    /// The controller acknowledged this incarnation's registration.
    registered: bool,
    /// Per producer client (by its network node): its current connection to this broker.
    conns: BTreeMap<usize, ClientConn>,
    /// The lose-responses fault: the chance that a produce response is lost with its
    /// connection (set by the fault while it lasts).
    pub(in crate::model) lose_responses: f64,
    /// Requests being handled by the request handler (CPU), in start order, with the client
    /// node and connection generation they came on.
    in_service: VecDeque<(usize, u64, ProduceRequest)>,
    purgatory: Vec<DelayedProduce>,
    purgatory_timer: Timer,
    parked: Vec<ParkedFetch>,
    /// Consumer fetches waiting for `fetch.min.bytes` ([`consumer_fetch`]).
    parked_consumers: Vec<consumer_fetch::ParkedConsumerFetch>,
    fetch_wait_timer: Timer,
    fetchers: Vec<Fetcher>,
    next_id: u64,
    rng: ChaCha8Rng,
    /// The controller's network node (after the brokers).
    controller: usize,
}

/// A producer client's connection to a broker, as the broker's `SocketServer` sees it.
#[derive(Clone, Debug, Default)]
struct ClientConn {
    /// Generation of the client's current connection.
    gen: u64,
    /// Requests received on it, not yet read (the socket is muted while one is handled:
    /// `SocketServer` reads one request at a time per connection).
    queue: VecDeque<ProduceRequest>,
    /// The connection generation whose request is being handled (muted until answered).
    muted_gen: Option<u64>,
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
            meta: vec![None; spec.total_partitions() as usize],
            metadata_version: 0,
            fenced: vec![false; spec.cluster.brokers as usize],
            registered: true,
            conns: BTreeMap::new(),
            lose_responses: 0.0,
            in_service: VecDeque::new(),
            purgatory: Vec::new(),
            purgatory_timer: Timer::default(),
            parked: Vec::new(),
            parked_consumers: Vec::new(),
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

mod consumer_fetch;
mod delayed_fetch;
mod delayed_produce;
pub use delayed_produce::DelayedProduce;
mod partition;
pub use partition::{Fetched, FollowerState, FollowerView, Replica};
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
pub(in crate::model) fn effective_min_isr(spec: &RunSpec, p: usize) -> usize {
    let (rf, min_isr, _) = spec.partition_settings(p as u32);
    min_isr.min(rf) as usize
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
        self.cpu_with(bytes, 0.0, ctx)
    }

    /// [`Broker::cpu`] plus `extra_ns` of work (decompressing compressed batches to validate
    /// them, `LogValidator`).
    pub(in crate::model) fn cpu_with(&mut self, bytes: u64, extra_ns: f64, ctx: &Ctx<'_>) -> SimTime {
        let c = &ctx.spec.cluster;
        let svc = ms_f((c.request_service_us * 1e3 + bytes as f64 * c.byte_service_ns + extra_ns) / 1e6);
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
                let c = self.conns.entry(env.from).or_default();
                if env.gen < c.gen {
                    // A request on a connection the producer has since replaced (it gave up on
                    // it: request.timeout.ms) whose bytes arrived late (a healed cut): the
                    // broker still reads and processes it on that connection, and its answer
                    // goes nowhere (reference 5.7a: the duplicate source without idempotence).
                    self.start_request(env.from, env.gen, req, ctx);
                    return;
                }
                if env.gen > c.gen {
                    // A new connection from the producer: the old one is gone.
                    c.gen = env.gen;
                    c.queue.clear();
                }
                c.queue.push_back(req);
                self.maybe_start_request(env.from, ctx);
            }
            Message::ApiVersionsRequest { id } => {
                // The first request on a new connection (`KafkaApis.handleApiVersionsRequest`):
                // it replaces the producer's old one, and the broker's CPU answers it.
                let c = self.conns.entry(env.from).or_default();
                if env.gen < c.gen {
                    return; // a connection the producer has since replaced
                }
                if env.gen > c.gen {
                    c.gen = env.gen;
                    c.queue.clear();
                }
                let at = self.cpu(0, ctx);
                ctx.send_at(at, env.to, env.from, env.gen, Message::ApiVersionsResponse { id });
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
            Message::ConsumerFetch(req) => self.consumer_fetch(env.from, req, ctx),
            Message::FetchResponse { id, partitions } => {
                self.follower_handle_fetch_response(env.from as u32, id, partitions, ctx)
            }
            Message::MetadataUpdate {
                version,
                partitions,
                registered,
                fenced,
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
                if version >= self.metadata_version {
                    self.fenced = fenced;
                }
                self.apply_metadata(version, &partitions, ctx)
            }
            _ => {}
        }
    }

    /// `SocketServer`: one request at a time per connection; muted until the response is sent.
    pub(in crate::model) fn maybe_start_request(&mut self, client: usize, ctx: &mut Ctx<'_>) {
        let Some(c) = self.conns.get_mut(&client) else { return };
        if c.muted_gen == Some(c.gen) {
            return;
        }
        let Some(req) = c.queue.pop_front() else { return };
        let gen = c.gen;
        c.muted_gen = Some(gen);
        self.start_request(client, gen, req, ctx);
    }

    /// Read a request of the client at node `client`, connection `gen`, off the socket and
    /// queue it for the request handler.
    fn start_request(&mut self, client: usize, gen: u64, req: ProduceRequest, ctx: &mut Ctx<'_>) {
        let bytes: u64 = req.batches.iter().map(|x| x.bytes as u64).sum();
        // LogValidator.validateMessagesAndAssignOffsetsCompressed: the leader decompresses every
        // compressed batch (it keeps the producer's bytes: topic compression.type = producer).
        let codec = Codec::from_spec(ctx.spec);
        let decompress: f64 = req
            .batches
            .iter()
            .map(|x| codec.decompress_ns(x.uncompressed_bytes))
            .sum();
        let wire = req.wire_bytes();
        self.in_service.push_back((client, gen, req));
        let done = self.cpu_with(bytes, decompress, ctx);
        let incarnation = self.incarnation;
        ctx.schedule(
            done,
            Event::BrokerRequestDone {
                broker: self.id,
                incarnation,
            },
        );
        // Read off the socket: the producer's socket buffer has room again.
        ctx.push(Command::WindowOpened {
            reader: self.node(),
            writer: client,
            gen,
            bytes: wire,
        });
    }

    /// The request handler is done with the oldest request in service.
    pub(in crate::model) fn request_done(&mut self, incarnation: u64, ctx: &mut Ctx<'_>) {
        if self.incarnation != incarnation || !self.alive {
            return;
        }
        let Some((client, gen, req)) = self.in_service.pop_front() else {
            return;
        };
        self.handle_produce(client, gen, req, ctx);
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
            if !self.parked_consumers.is_empty() {
                // `ReplicaManager.completeDelayedFetchOrProduceRequests` on a leadership change.
                self.wake_consumer_fetches(p as u32, ctx);
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
        for c in self.conns.values_mut() {
            c.queue.clear();
            c.muted_gen = None;
        }
        self.in_service.clear();
        self.purgatory.clear();
        self.purgatory_timer = Timer::default();
        self.parked.clear();
        self.parked_consumers.clear();
        self.fetch_wait_timer = Timer::default();
        for f in self.fetchers.iter_mut() {
            *f = Fetcher::default();
        }
        for m in self.meta.iter_mut() {
            *m = None;
        }
        self.metadata_version = 0;
        self.fenced.fill(false);
        self.registered = false;
        for r in self.replicas.iter_mut().flatten() {
            r.is_leader = false;
            r.followers.clear();
            r.pending_isr = None;
            // A restarted replica reconciles its log with the leader before anything else.
            r.reconcile_pending = true;
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
mod tests;
