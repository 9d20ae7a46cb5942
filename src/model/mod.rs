//! The Kafka model: producer (application, partitioner, accumulator, sender, idempotence),
//! network, brokers (partition logs, replica fetchers, purgatory), controller and faults.
//!
//! One `World` owns every component; handlers are `impl World` blocks in the module of the
//! component they belong to, and get the engine through `self.schedule`. The entry point is
//! [`simulate`]. The world, its events and messages are crate-private; [`components`] gathers
//! the components that can be built and tested alone (Kafka's `Partition`, `DelayedProduce`,
//! `RecordAccumulator`, `Sender`, `TransactionManager`, the controller, ...).

mod app;
mod broker;
pub mod components;
mod compression;
mod consumer;
mod context;
mod controller;
mod driver;
mod faults;
mod latency;
pub(crate) mod ledger;
mod monitor;
mod murmur2;
mod network;
mod observe;
pub(crate) mod partition_log;
mod producer;
mod record_batch;
#[cfg(test)]
mod run_ahead_tests;

use producer::client::Client;
use producer::{accumulator, sender};
mod tracer;
mod transport;
mod visibility;
mod wire;

use context::{Command, Ctx};
use monitor::Monitor;
pub use tracer::TracedRecord;
use tracer::Tracer;

pub(crate) use app::send_cost_ns;
pub(crate) use wire::*;

use crate::config::{Acks, RandomFaults, RunSpec, IDENTITY_BITS};
use crate::result::{RunResult, SATURATED_THROUGHPUT_SHARE};
use crate::sim::{ms, rng_stream, Digest, EarliestOf, EventQueue, SimTime, Stream, NO_LANE, NS_PER_MS};
use network::Network;
use partition_log::{Committed, LogEntry, LogSpan};

use ledger::{Ledger, OutcomeRanges};

/// What happens, when. Handlers check incarnations / generations so that events of a crashed
/// broker or a dropped connection are ignored rather than cancelled.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    SenderWake,
    AppWake { thread: u32 },
    MemoryWaitTimeout { waiter: u64 },
    Deliver { msg: u32 },
    RequestWritten { node: u32, request: u64 },
    RequestTimeout { node: u32 },
    ConnectionReset { node: u32, gen: u64 },
    ConnectDone { node: u32, gen: u64, ok: bool },
    MetadataTimeout { id: u64 },
    MetadataDue,
    BrokerRequestDone { broker: u32, incarnation: u64 },
    PurgatoryTimeout { broker: u32, incarnation: u64 },
    FetchWaitExpired { broker: u32, incarnation: u64 },
    SendFetch { broker: u32, incarnation: u64, leader: u32 },
    FetchTimeout { broker: u32, incarnation: u64, leader: u32 },
    IsrCheck { broker: u32, incarnation: u64 },
    HeartbeatTick { broker: u32, incarnation: u64 },
    SessionCheck { broker: u32, seen: u64 },
    LeaderBalance,
    ConsumerPoll { consumer: u32 },
    ConsumerFetchTimeout { consumer: u32, broker: u32 },
    ConsumerFetchFailed { consumer: u32, broker: u32, id: u64 },
    ConsumerMetadataDue { consumer: u32 },
    FaultStart { index: u32 },
    FaultEnd { index: u32 },
    WindowEnd,
    SettleCheck,
}

impl Event {
    /// An event of one client's handlers (queued for its owner): its timers, its I/O, its
    /// application threads.
    #[inline]
    fn is_client_event(&self) -> bool {
        matches!(
            self,
            Event::SenderWake
                | Event::AppWake { .. }
                | Event::MemoryWaitTimeout { .. }
                | Event::RequestWritten { .. }
                | Event::RequestTimeout { .. }
                | Event::ConnectionReset { .. }
                | Event::ConnectDone { .. }
                | Event::MetadataTimeout { .. }
                | Event::MetadataDue
        )
    }

    /// The lane of the queue ([`EventQueue::lane_next`]) of this event, queued for `owner`:
    /// its client's, the barrier lane (faults and phase changes touch every client at once),
    /// or none (brokers, the controller and consumers reach a producer only through
    /// messages).
    #[inline]
    fn lane(&self, owner: u32) -> u32 {
        if self.is_client_event() {
            client_lane((owner & 0xFFFF) as usize)
        } else if matches!(
            self,
            Event::FaultStart { .. } | Event::FaultEnd { .. } | Event::WindowEnd | Event::SettleCheck
        ) {
            BARRIER_LANE
        } else {
            NO_LANE
        }
    }

    fn tag(&self) -> u64 {
        match self {
            Event::SenderWake => 1,
            Event::AppWake { thread } => 2 | (*thread as u64) << 8,
            Event::MemoryWaitTimeout { .. } => 3,
            Event::Deliver { .. } => 4,
            Event::RequestWritten { request, .. } => 5 | request << 8,
            Event::RequestTimeout { node } => 6 | (*node as u64) << 8,
            Event::ConnectionReset { node, .. } => 7 | (*node as u64) << 8,
            Event::ConnectDone { node, .. } => 8 | (*node as u64) << 8,
            Event::MetadataTimeout { .. } => 9,
            Event::MetadataDue => 23,
            Event::BrokerRequestDone { broker, .. } => 10 | (*broker as u64) << 8,
            Event::PurgatoryTimeout { broker, .. } => 11 | (*broker as u64) << 8,
            Event::FetchWaitExpired { broker, .. } => 12 | (*broker as u64) << 8,
            Event::SendFetch { broker, .. } => 13 | (*broker as u64) << 8,
            Event::FetchTimeout { broker, leader, .. } => 14 | (*broker as u64) << 8 | (*leader as u64) << 16,
            Event::IsrCheck { broker, .. } => 15 | (*broker as u64) << 8,
            Event::HeartbeatTick { broker, .. } => 16 | (*broker as u64) << 8,
            Event::SessionCheck { broker, .. } => 17 | (*broker as u64) << 8,
            Event::FaultStart { index } => 18 | (*index as u64) << 8,
            Event::FaultEnd { index } => 19 | (*index as u64) << 8,
            Event::WindowEnd => 20,
            Event::SettleCheck => 21,
            Event::LeaderBalance => 22,
            Event::ConsumerPoll { consumer } => 24 | (*consumer as u64) << 8,
            Event::ConsumerFetchTimeout { consumer, broker, .. } => {
                25 | (*consumer as u64) << 8 | (*broker as u64) << 32
            }
            Event::ConsumerFetchFailed { consumer, broker, .. } => {
                26 | (*consumer as u64) << 8 | (*broker as u64) << 32
            }
            Event::ConsumerMetadataDue { consumer } => 27 | (*consumer as u64) << 8,
        }
    }
}

/// The queue lane of events that touch every client (faults, the window's end).
const BARRIER_LANE: u32 = 0;

/// The queue lane of client `c`'s events and of the messages it receives.
#[inline]
fn client_lane(c: usize) -> u32 {
    c as u32 + 1
}

/// Where a client's messages go: its topic's partitions in the cluster-wide numbering, and its
/// records' identities in the logs.
#[derive(Clone, Copy, Debug)]
struct Route {
    /// Its topic's first cluster-wide partition.
    first: u32,
    /// Its topic's partitions.
    partitions: u32,
    /// Added to its record identities in the logs (`c << IDENTITY_BITS`).
    identity_base: u64,
    /// Whether anything needs translating (not for the first client on the first topic).
    translate: bool,
}

/// Which phase the run is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The application sends; faults happen.
    Production,
    /// Faults healed; the producer flushes; the cluster converges.
    Settle,
    Done,
}

/// How often (in events) the run checks its bounds and publishes progress.
const GUARD_EVERY: u64 = 1 << 16;
/// Most batches the accumulator may hold at once (each costs the simulator ~150 bytes; Kafka's
/// own bound is `buffer.memory`, which a scenario may set to a terabyte).
pub const MAX_LIVE_BATCHES: usize = 2_000_000;
/// Most events pending in the queue at once.
pub(crate) const MAX_QUEUED_EVENTS: usize = 20_000_000;
/// Most events at one simulated instant before the run is declared stuck.
pub(crate) const MAX_EVENTS_AT_ONE_TIME: u64 = 10_000_000;

/// The simulated system. Owns every component.
pub(crate) struct World {
    pub spec: RunSpec,
    pub now: SimTime,
    pub phase: Phase,
    /// Events, each with the client it belongs to (0 for everything not a client's).
    queue: EventQueue<(Event, u32)>,
    /// Messages on their way, and those a cut path holds ([`transport`]).
    inflight: transport::InFlight,
    pub net: Network,
    /// The producer clients and their applications, in `[[producers]]` order.
    pub clients: Vec<Client>,
    /// Per client: the run as it sees it (its own configuration, its topic's partitions).
    client_specs: Vec<RunSpec>,
    /// Per client: where its messages go in the cluster-wide numbering ([`Route`]).
    routes: Vec<Route>,
    /// The client whose handler's outbox is being applied (its events are its own).
    owner: u32,
    /// Per client: its machine (clients on one machine share a NIC).
    hosts: Vec<usize>,
    /// Per client: where its last inline run of arrivals ended, its own clock (each client
    /// runs ahead of the events that cannot touch it; see `World::run_ahead`).
    inline_now: Vec<SimTime>,
    /// Per client: its `acks` (whether it can be quiet, see `World::run_ahead`), read at every
    /// run of its arrivals: kept here rather than in the cold lines of its spec.
    client_acks: Vec<Acks>,
    /// Time of the last event handled.
    event_now: SimTime,
    /// Per client: the time by which its open-loop arrivals must have run (`SimTime::MAX`:
    /// none is coming), as of the end of its last handler or run: [`Client::quiet_until`] for
    /// a client whose arrivals may wait ([`World::deferrable`]), else its next arrival.
    pub(crate) arrivals_due: EarliestOf,
    /// Per client: whether its arrivals may wait until they are due (a run that runs ahead, a
    /// client alone on its machine) rather than run as soon as the next event is later.
    deferrable: Vec<bool>,
    /// Added to the due time of deferrable clients' arrivals: the negative control of
    /// [`Client::quiet_until`] (a due time too late breaks the run).
    #[cfg(test)]
    due_slack: SimTime,
    pub brokers: Vec<broker::Broker>,
    /// The consumers (`[[consumers]]` members), in order; their nodes follow the producers'.
    pub consumers: Vec<consumer::ConsumerClient>,
    pub controller: controller::Controller,
    pub faults: faults::FaultState,
    pub monitor: Monitor,
    pub digest: Digest,
    pub events: u64,
    pub trace: Option<Tracer>,
    /// The outbox handlers fill through their [`Ctx`] (reused, applied after each handler).
    outbox: Vec<Command>,
    /// Where the run publishes its simulated time for a progress display (never read back).
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Why the run was stopped early (a resource bound or simulated time standing still).
    aborted: Option<String>,
    /// Events processed since simulated time last advanced.
    events_at_now: u64,
    /// The event being handled (named when an invariant fails).
    last_event: Option<Event>,
    window_end: SimTime,
    settle_deadline: SimTime,
}

impl World {
    /// Network node index of broker `b`.
    #[inline]
    pub(crate) fn broker_node(b: u32) -> usize {
        b as usize
    }
    #[inline]
    pub(crate) fn controller_node(&self) -> usize {
        self.brokers.len()
    }
    /// Network node of client `c`.
    #[inline]
    pub(crate) fn client_node(&self, c: usize) -> usize {
        self.brokers.len() + 1 + c
    }
    /// The owner of client `c`'s events: its index, and its session above bit 16
    /// ([`Client::incarnation`]; 0 until a `producer-crash`, so that a run without one queues
    /// and digests exactly the events it always did).
    #[inline]
    pub(crate) fn client_owner(&self, c: usize) -> u32 {
        c as u32 | self.clients[c].incarnation << 16
    }

    /// The client at network node `node`, if it is one.
    #[inline]
    pub(crate) fn client_at(&self, node: usize) -> Option<usize> {
        node.checked_sub(self.brokers.len() + 1)
            .filter(|&c| c < self.clients.len())
    }

    /// The consumer at network node `node`, if it is one.
    #[inline]
    pub(crate) fn consumer_at(&self, node: usize) -> Option<usize> {
        node.checked_sub(self.brokers.len() + 1 + self.clients.len())
    }

    pub(crate) fn new(spec: &RunSpec, trace: Option<TracedRecord>) -> World {
        let spec = spec.clone();
        let b = spec.cluster.brokers as usize;
        let producers = spec.producer_list();
        let topics = spec.topic_list();
        let consumer_list = spec.consumer_list();
        let nodes = b + 1 + producers.len() + consumer_list.len();
        let seed = spec.seed;
        let assignment = controller::assign_all(&spec);
        let mut net = Network::new(&spec.network, nodes, rng_stream(seed, Stream::Network));
        // Producers on one host send through the NIC of the first of them.
        for (i, p) in producers.iter().enumerate() {
            let first = producers.iter().position(|q| q.host == p.host).unwrap_or(i);
            net.share_nic(b + 1 + i, b + 1 + first);
        }
        // Consumers on a host send through its first machine's NIC (a producer's, if any).
        let first_consumer = b + 1 + producers.len();
        for (k, c) in consumer_list.iter().enumerate() {
            let first = match producers.iter().position(|q| q.host == c.host) {
                Some(i) => b + 1 + i,
                None => first_consumer + consumer_list.iter().position(|q| q.host == c.host).unwrap_or(k),
            };
            net.share_nic(first_consumer + k, first);
        }
        let consumers = {
            let members: Vec<Vec<usize>> = consumer_list.iter().map(|c| c.topics.clone()).collect();
            let ranges: Vec<(u32, u32)> = topics.iter().map(|t| (t.first, t.partitions)).collect();
            let groups = consumer_list.iter().map(|c| c.group + 1).max().unwrap_or(0);
            let mut assigned = vec![Vec::new(); consumer_list.len()];
            for g in 0..groups {
                let ix: Vec<usize> = (0..consumer_list.len())
                    .filter(|&k| consumer_list[k].group == g)
                    .collect();
                let mine: Vec<Vec<usize>> = ix.iter().map(|&k| members[k].clone()).collect();
                for (k, parts) in ix.iter().zip(consumer::range_assign(&mine, &ranges)) {
                    assigned[*k] = parts;
                }
            }
            consumer_list
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    consumer::ConsumerClient::new(
                        k as u32,
                        first_consumer + k,
                        c.group as u32,
                        c.consumer.clone(),
                        &assigned[k],
                        b,
                    )
                })
                .collect::<Vec<_>>()
        };
        let client_specs: Vec<RunSpec> = producers
            .iter()
            .map(|p| spec.client_view(p, &topics[p.topic]))
            .collect();
        let routes: Vec<Route> = producers
            .iter()
            .enumerate()
            .map(|(i, p)| Route {
                first: topics[p.topic].first,
                partitions: topics[p.topic].partitions,
                identity_base: (i as u64) << IDENTITY_BITS,
                translate: i > 0 || topics.len() > 1,
            })
            .collect();
        let client_acks = client_specs.iter().map(|s| s.producer.acks).collect();
        let clients = client_specs
            .iter()
            .enumerate()
            .map(|(i, cs)| Client::new(cs, b + 1 + i, i as u32))
            .collect();
        // The traced record in the brokers' numbering (its producer's route).
        let trace = trace.map(|t| {
            let r = routes[t.producer];
            Tracer::new(r.first + t.partition, r.identity_base + t.seq)
        });
        let mut w = World {
            now: 0,
            phase: Phase::Production,
            queue: EventQueue::default(),
            inflight: transport::InFlight::new(nodes),
            net,
            clients,
            client_specs,
            routes,
            owner: 0,
            hosts: producers.iter().map(|p| p.host).collect(),
            inline_now: vec![0; producers.len()],
            client_acks,
            event_now: 0,
            arrivals_due: EarliestOf::new(producers.len()),
            deferrable: vec![false; producers.len()],
            #[cfg(test)]
            due_slack: 0,
            brokers: (0..b as u32)
                .map(|id| {
                    broker::Broker::new(
                        id,
                        &spec,
                        &assignment,
                        rng_stream(seed ^ (id as u64 + 1) << 32, Stream::Broker),
                    )
                })
                .collect(),
            consumers,
            controller: controller::Controller::new(&spec, &assignment),
            faults: faults::FaultState::new(&spec, rng_stream(seed, Stream::Faults)),
            monitor: Monitor::with_consumers(spec.total_partitions() as usize, &consumer_list, &topics),
            digest: Digest::default(),
            events: 0,
            progress: None,
            aborted: None,
            events_at_now: 0,
            last_event: None,
            trace,
            outbox: Vec::new(),
            window_end: ms(spec.duration_ms),
            settle_deadline: ms(spec.duration_ms + spec.settle_ms),
            spec,
        };
        w.start();
        w
    }

    fn start(&mut self) {
        // Brokers start as registered, unfenced members with the controller's initial metadata.
        let initial = self.controller.snapshot();
        let version = self.controller.version;
        for b in 0..self.brokers.len() as u32 {
            self.with_broker(b, |br, ctx| {
                br.apply_metadata(version, &initial, ctx);
                br.start_timers(ctx);
            });
            // Registered at t = 0: the session runs from now.
            let seen = self.controller.note_heartbeat(b);
            self.schedule(
                ms(self.spec.cluster.broker_session_timeout_ms),
                Event::SessionCheck { broker: b, seen },
            );
        }
        // The producers start with the cluster's metadata (as after their first metadata fetch).
        for c in 0..self.clients.len() {
            self.client_start(c, &initial);
        }
        for k in 0..self.consumers.len() {
            self.with_consumer(k, |c, ctx| c.start(&initial, ctx));
        }
        self.faults_start();
        self.schedule(self.window_end, Event::WindowEnd);
    }

    /// Client `c`'s application starts with its topic's metadata from `snapshot` (the
    /// controller's), as after its first metadata fetch: at t = 0, and when its process
    /// restarts after a `producer-crash`.
    pub(crate) fn client_start(&mut self, c: usize, snapshot: &[(u32, PartitionState)]) {
        let r = self.routes[c];
        let mine: Vec<(u32, PartitionState)> = snapshot[r.first as usize..(r.first + r.partitions) as usize]
            .iter()
            .map(|(p, st)| (p - r.first, st.clone()))
            .collect();
        self.clients[c].sender.apply_initial_metadata(&mine);
        // (a process that starts has no arrivals that waited)
        self.with_client_caught_up(c, |c, ctx| c.start(ctx));
    }

    #[inline]
    pub(crate) fn schedule(&mut self, at: SimTime, ev: Event) {
        self.schedule_for(0, at, ev);
    }

    /// Schedules an event of client `c` (its handlers' events: wake-ups, timeouts, resets).
    #[inline]
    pub(crate) fn schedule_for(&mut self, c: u32, at: SimTime, ev: Event) {
        debug_assert!(at >= self.now, "event scheduled in the past: {ev:?}");
        self.queue.push(at.max(self.now), self.now, ev.lane(c), (ev, c));
    }

    /// Send a message over the network now: returns the time its last byte left the sender's
    /// NIC.
    #[inline]
    pub(crate) fn send_message(&mut self, from: usize, to: usize, gen: u64, msg: Message) -> SimTime {
        self.send_message_at(self.now, from, to, gen, msg)
    }

    /// Send a message handed to the network at `at` (not before now: e.g. when the sender's
    /// CPU is done with it); returns the time its last byte left the sender's NIC. A message
    /// meeting a cut path waits for the heal ([`transport`]).
    pub(crate) fn send_message_at(&mut self, at: SimTime, from: usize, to: usize, gen: u64, msg: Message) -> SimTime {
        let at = at.max(self.now);
        let msg = self.route(from, to, msg);
        let bytes = msg.wire_bytes();
        let (tx_end, arrival) = self.net.transmit(at, from, to, bytes);
        let ix = self.inflight.put(Envelope { from, to, gen, msg }, tx_end);
        if self.net.reachable(from, to) {
            let lane = self.delivery_lane(to);
            self.queue
                .push(arrival, self.now, lane, (Event::Deliver { msg: ix }, 0));
        } else {
            self.inflight.stall(ix);
        }
        tx_end
    }

    /// The queue lane of a message to node `to`: its client's, if a producer receives it.
    #[inline]
    fn delivery_lane(&self, to: usize) -> u32 {
        match self.client_at(to) {
            Some(c) if c < self.clients.len() => client_lane(c),
            _ => NO_LANE,
        }
    }

    fn deliver(&mut self, ix: u32) {
        let (from, to) = self.inflight.route(ix);
        // A path cut while the message was on its way holds it until the heal.
        if !self.net.reachable(from, to) {
            self.inflight.stall(ix);
            return;
        }
        let env = self.inflight.take(ix);
        let controller = self.controller_node();
        if let Some(c) = self.client_at(env.to) {
            if self.clients[c].alive {
                self.with_client(c, |c, ctx| c.on_message(env, ctx));
            } // else: the process is gone; the kernel answers nothing
        } else if let Some(k) = self.consumer_at(env.to) {
            self.with_consumer(k, |c, ctx| c.on_message(env.from, env.msg, ctx));
        } else if env.to == controller {
            self.with_controller(|c, ctx| c.on_message(env, ctx));
        } else {
            self.with_broker(env.to as u32, |b, ctx| b.receive(env, ctx));
        }
    }

    /// The path from `from` to `to` healed: what it held arrives, in order, after the first
    /// retransmission from now (or is gone, when the kernel gave up on it).
    pub(crate) fn path_healed(&mut self, from: usize, to: usize) {
        if !self.net.reachable(from, to) {
            return; // another cut still holds it
        }
        let Some((first_sent, held)) = self.inflight.release(from, to) else {
            return;
        };
        let rtt = self.net.rtt(from, to);
        match transport::next_retransmission(first_sent, self.now, rtt) {
            Some(at) => {
                let lane = self.delivery_lane(to);
                for ix in held {
                    let arrival = self.net.retransmitted(at, from, to);
                    self.queue
                        .push(arrival, self.now, lane, (Event::Deliver { msg: ix }, 0));
                }
            }
            None => {
                for ix in held {
                    self.inflight.take(ix);
                }
            }
        }
    }

    fn dispatch(&mut self, ev: Event, owner: u32) {
        let c = (owner & 0xFFFF) as usize;
        if ev.is_client_event() && (!self.clients[c].alive || self.clients[c].incarnation != owner >> 16) {
            return; // an event of a crashed process's session
        }
        match ev {
            // A wake-up superseded by an earlier one does nothing (`Client::sender_wake`): about
            // half of them (a batch that fills before its linger ends leaves the linger wake-up
            // queued). Answered here, from one field, without the handler's setting up; the
            // event was counted and digested as every event is.
            Event::SenderWake if !self.clients[c].sender.wakes_at(self.now) => {}
            Event::SenderWake => self.with_client(c, |c, ctx| c.sender_wake(ctx)),
            Event::AppWake { thread } => self.with_client(c, |c, ctx| c.app_wake(thread, ctx)),
            Event::MemoryWaitTimeout { waiter } => self.with_client(c, |c, ctx| c.memory_wait_timeout(waiter, ctx)),
            Event::Deliver { msg } => self.deliver(msg),
            Event::RequestWritten { node, request } => {
                self.with_client(c, |c, ctx| c.request_written(node, request, ctx))
            }
            Event::RequestTimeout { node } => self.with_client(c, |c, ctx| c.request_timeout(node, ctx)),
            Event::ConnectionReset { node, gen } => self.with_client(c, |c, ctx| c.connection_reset(node, gen, ctx)),
            Event::ConnectDone { node, gen, ok } => self.with_client(c, |c, ctx| c.connect_done(node, gen, ok, ctx)),
            Event::MetadataTimeout { id } => self.with_client(c, |c, ctx| c.metadata_timeout(id, ctx)),
            Event::MetadataDue => self.with_client(c, |c, ctx| c.metadata_due(ctx)),
            Event::BrokerRequestDone { broker, incarnation } => {
                self.with_broker(broker, |b, ctx| b.request_done(incarnation, ctx))
            }
            Event::PurgatoryTimeout { broker, incarnation } => {
                self.with_broker(broker, |b, ctx| b.purgatory_timeout(incarnation, ctx))
            }
            Event::FetchWaitExpired { broker, incarnation } => {
                self.with_broker(broker, |b, ctx| b.fetch_wait_expired(incarnation, ctx))
            }
            Event::SendFetch {
                broker,
                incarnation,
                leader,
            } => self.with_broker(broker, |b, ctx| b.send_fetch(incarnation, leader, ctx.now, ctx)),
            Event::FetchTimeout {
                broker,
                incarnation,
                leader,
            } => self.with_broker(broker, |b, ctx| b.fetch_timeout(incarnation, leader, ctx)),
            Event::IsrCheck { broker, incarnation } => self.with_broker(broker, |b, ctx| b.isr_check(incarnation, ctx)),
            Event::HeartbeatTick { broker, incarnation } => {
                self.with_broker(broker, |b, ctx| b.heartbeat_tick(incarnation, ctx))
            }
            Event::SessionCheck { broker, seen } => self.with_controller(|c, ctx| c.session_check(broker, seen, ctx)),
            Event::LeaderBalance => self.with_controller(|c, ctx| c.balance_leaders(ctx)),
            Event::ConsumerPoll { consumer } => self.with_consumer(consumer as usize, |c, ctx| c.processing_done(ctx)),
            Event::ConsumerFetchTimeout { consumer, broker } => {
                self.with_consumer(consumer as usize, |c, ctx| c.fetch_timeout(broker, ctx))
            }
            Event::ConsumerFetchFailed { consumer, broker, id } => {
                self.with_consumer(consumer as usize, |c, ctx| c.fetch_failed(broker, id, ctx))
            }
            Event::ConsumerMetadataDue { consumer } => {
                self.with_consumer(consumer as usize, |c, ctx| c.metadata_due(ctx))
            }
            Event::FaultStart { index } => self.fault_start(index as usize),
            Event::FaultEnd { index } => self.fault_end(index as usize),
            Event::WindowEnd => self.window_end(),
            Event::SettleCheck => self.settle_check(),
        }
    }

    /// The main loop: application arrivals are produced inline, each client's when they are due
    /// and up to the earliest time anything else can touch it (design principle 3,
    /// [`World::run_ahead`]); everything else goes through the queue.
    fn run_loop(&mut self) {
        // A traced run makes its arrivals in time order with everything else (its trace lines
        // are in time order); what it simulates is the same ([`World::run_ahead`]).
        self.run_loop_with(self.lookahead());
    }

    /// How far a client may run ahead of the next event ([`World::run_ahead`]): the network's
    /// least one-way latency; 0 (arrivals in time order) for a traced run, and when a consumer
    /// shares a producer's machine (it sends through that NIC from events, which a producer
    /// running ahead of them would book first).
    fn lookahead(&self) -> SimTime {
        let producers = self.spec.producer_list();
        let consumer_on_producer_nic = self
            .spec
            .consumer_list()
            .iter()
            .any(|c| producers.iter().any(|p| p.host_name == c.host_name));
        if self.trace.is_some() || consumer_on_producer_nic {
            0
        } else {
            self.net.min_latency()
        }
    }

    /// The main loop with `lookahead`: a lower bound of the time anything a broker, the
    /// controller or another client does takes to reach a client (0: every client's arrivals
    /// in time order with the others' and with every event; the result is the same). Returns
    /// how many inline runs of arrivals it made.
    fn run_loop_with(&mut self, lookahead: SimTime) -> u64 {
        let mut inline_runs = 0;
        let share = MAX_LIVE_BATCHES / self.clients.len().max(1);
        // Per client: whether another shares its machine (then they take turns).
        let shares_nic: Vec<bool> = (0..self.clients.len())
            .map(|c| (0..self.clients.len()).any(|j| j != c && self.hosts[j] == self.hosts[c]))
            .collect();
        // Clients on a shared machine take turns in time order; a run in time order (a
        // lookahead of 0) is the reference of the others.
        self.deferrable = shares_nic.iter().map(|&shared| lookahead > 0 && !shared).collect();
        for c in 0..self.clients.len() {
            let due = self.due(c);
            self.arrivals_due.set(c, due);
        }
        while self.phase != Phase::Done {
            let t_event = self.queue.peek_time();
            // The client whose arrivals are due first (ties: the first), and the earliest due
            // time of any other client.
            let (t_due, c) = self.arrivals_due.first();
            if t_due <= t_event && t_due < self.window_end {
                let others = self.arrivals_due.earliest_except(c);
                let shared = if shares_nic[c] {
                    self.next_shared_arrival(c)
                } else {
                    SimTime::MAX
                };
                self.run_ahead(c, t_event, others, shared, lookahead);
                inline_runs += 1;
                // Only a client holding more than its share can have taken the total over
                // (one that did earlier is caught at its next run, or by `guard`): no walk
                // over every client's accumulator after each run.
                if self.clients[c].acc.batches.len() > share && self.live_batches() > MAX_LIVE_BATCHES {
                    let _ = self.guard(|| "application send() arrivals".to_string());
                    break;
                }
                continue;
            }
            if self.queue.peek_lane() == BARRIER_LANE {
                // A fault or a phase change touches clients from outside their handlers: every
                // client's arrivals before it have happened.
                for c in 0..self.clients.len() {
                    self.catch_up(c, t_event.min(self.window_end - 1));
                }
            }
            let Some((t, (ev, c))) = self.queue.pop() else {
                break;
            };
            debug_assert!(t >= self.event_now);
            if t == self.event_now {
                self.events_at_now += 1;
            } else {
                self.events_at_now = 0;
            }
            self.now = t;
            self.event_now = t;
            self.events += 1;
            if self.events.is_multiple_of(GUARD_EVERY) && self.guard(|| format!("{ev:?}")).is_err() {
                break;
            }
            self.digest.mix(t);
            // A client other than the first is part of the event's identity (a run with one
            // producer digests as it always did).
            self.digest.mix(ev.tag() | ((c & 0xFFFF) as u64) << 48);
            if c >> 16 != 0 {
                self.digest.mix(u64::from(c >> 16)); // a restarted client's session
            }
            self.last_event = Some(ev);
            self.dispatch(ev, c);
        }
        inline_runs
    }

    /// Client `c`'s open-loop arrivals run inline (one step at a time: a step may queue an
    /// event of its own that comes first), from its own clock, up to the earliest time
    /// anything else can touch it: its own next event or message (its queue lane), a fault or
    /// the window's end (the barrier lane), what a broker or the controller does from the
    /// next queued event on (a message, `lookahead` later at the soonest), what another client
    /// does from its arrivals due at `others` on (a request to a broker and the broker's
    /// answer: twice that), and `shared`, the next arrival of a client sharing its NIC (they
    /// take turns).
    ///
    /// They run when they are due ([`World::arrivals_due`]), not as soon as the next event is
    /// later. Arrivals that only append to an open batch (before [`Client::quiet_until`]) read
    /// and write nothing but their client's application and accumulator and queue nothing, so
    /// they may wait behind any event that does not touch their client: the loop runs them
    /// when they are due, before a handler of their client ([`World::catch_up`]), and before
    /// a fault or a phase change. A client then runs about once per batch, with the batch's
    /// records, instead of once per event of the others (10 producers: 474 000 runs per 10
    /// simulated seconds before, 68 000 runs and 125 000 catch-ups after).
    ///
    /// A client that awaits no answer ([`sender::Sender::awaits_nothing`]) cannot be reached by anyone
    /// until it sends, which it does from its own events: only those, the barrier and
    /// `shared` bound it.
    ///
    /// An arrival reads and writes only its client's application and accumulator and queues
    /// only its client's events (it never sends: a full batch wakes the sender through an
    /// event), so running it before earlier events of other components
    /// changes nothing it sees; the queue orders what it pushes by the push's time, arrivals
    /// before events and clients in index order at one time ([`EventQueue::set_rank`]), as if
    /// it had been pushed in time order. The
    /// run is the one every arrival in time order would make ([`World::run_loop_with`] with a
    /// lookahead of 0), a fast path and no approximation.
    fn run_ahead(&mut self, c: usize, head: SimTime, others: SimTime, shared: SimTime, lookahead: SimTime) {
        let lane = client_lane(c);
        // A producer that awaits no answer hears from no broker before it sends again, and
        // it sends only from its own events: then only they bound it (no other component's
        // clock, often a whole batch's worth of arrivals instead of a latency's).
        let quiet = lookahead > 0 && self.clients[c].sender.awaits_nothing(self.client_acks[c]);
        let reachable = if quiet {
            SimTime::MAX
        } else {
            head.saturating_add(lookahead).min(others.saturating_add(2 * lookahead))
        };
        let bound = reachable
            .min(self.queue.lane_next(BARRIER_LANE))
            .min(self.window_end - 1)
            .min(shared);
        // Its own clock: arrivals that waited ([`World::deferrable`]) may lie before the last
        // event's time.
        self.now = self.inline_now[c];
        // Arrivals after the last event's time come before any event at their time (ranked by
        // client); one at that time (held up by a blocked send()) follows what released it.
        self.queue.set_rank(c as u32, self.event_now);
        loop {
            let limit = bound.min(self.queue.lane_next(lane));
            // (`open_loop_step` would answer false, without a handler's cost)
            let next = self.clients[c].app.next_open_loop_arrival().unwrap_or(SimTime::MAX);
            if next > limit || !self.with_client_quietly(c, |c, ctx| c.open_loop_step(limit, ctx)) {
                break;
            }
        }
        let due = self.due(c);
        self.arrivals_due.set(c, due);
        self.queue.clear_rank();
        self.inline_now[c] = self.now;
        self.now = self.event_now;
    }

    /// The next open-loop arrival of a client other than `c` on `c`'s machine (its steps
    /// share the NIC, so they run in time order).
    fn next_shared_arrival(&self, c: usize) -> SimTime {
        let host = self.hosts[c];
        (0..self.clients.len())
            .filter(|&j| j != c && self.hosts[j] == host)
            .map(|j| self.arrivals_due.get(j))
            .min()
            .unwrap_or(SimTime::MAX)
    }

    /// Batches in every client's accumulator.
    fn live_batches(&self) -> usize {
        self.clients.iter().map(|c| c.acc.batches.len()).sum()
    }

    /// Bounds that keep a run honest and its memory finite, checked every [`GUARD_EVERY`]
    /// events: simulated time must advance, and the accumulator and event queue stay within
    /// [`MAX_LIVE_BATCHES`] / [`MAX_QUEUED_EVENTS`]. A breach stops the run with a message
    /// naming the seed and the event (the CLI exits 1 and writes no report).
    fn guard(&mut self, what: impl FnOnce() -> String) -> Result<(), ()> {
        if let Some(p) = &self.progress {
            p.store(self.now, std::sync::atomic::Ordering::Relaxed);
        }
        for (c, cs) in self.clients.iter().zip(&self.client_specs) {
            c.acc.assert_memory_conserved(cs.producer.buffer_memory);
        }
        let breached = self.events_at_now >= MAX_EVENTS_AT_ONE_TIME
            || self.live_batches() > MAX_LIVE_BATCHES
            || self.queue.len() > MAX_QUEUED_EVENTS;
        if !breached {
            return Ok(());
        }
        // The message is built only for a breach: this runs every GUARD_EVERY events.
        let at = format!(
            "seed {}, at {:.3} ms, event #{} ({})",
            self.spec.seed,
            crate::sim::to_ms(self.now),
            self.events,
            what()
        );
        let why = if self.events_at_now >= MAX_EVENTS_AT_ONE_TIME {
            format!("simulated time stopped advancing: {MAX_EVENTS_AT_ONE_TIME} events at one instant ({at})")
        } else if self.live_batches() > MAX_LIVE_BATCHES {
            format!(
                "more than {MAX_LIVE_BATCHES} batches in the accumulator ({at}): producer.buffer_memory = {} with \
                 producer.batch_size = {} lets the producer queue more than the simulator will hold; lower \
                 buffer_memory or raise batch_size (or the network's bandwidth)",
                self.spec.producer.buffer_memory, self.spec.producer.batch_size
            )
        } else {
            format!("more than {MAX_QUEUED_EVENTS} pending events ({at})")
        };
        self.aborted = Some(why);
        self.phase = Phase::Done;
        Err(())
    }

    fn window_end(&mut self) {
        self.phase = Phase::Settle;
        for (c, client) in self.clients.iter_mut().enumerate() {
            client.stop();
            self.arrivals_due.set(c, SimTime::MAX);
        }
        self.faults_heal_all();
        for c in 0..self.clients.len() {
            self.with_client(c, |c, ctx| c.flush(ctx));
        }
        self.schedule(self.now + ms(100), Event::SettleCheck);
    }

    /// Settle phase: done when the producer has nothing left and every partition has a leader
    /// with all replicas caught up and in the ISR (or at the settle deadline).
    fn settle_check(&mut self) {
        let producer_idle = self.clients.iter().all(|c| c.is_idle());
        if (producer_idle && self.cluster_converged() && self.consumers_caught_up()) || self.now >= self.settle_deadline
        {
            self.phase = Phase::Done;
            return;
        }
        self.schedule(self.now + ms(100), Event::SettleCheck);
    }

    /// End-to-end latency and consumption of producer `c`'s records (`None`: every producer's).
    fn consumer_measures(&self, c: Option<usize>, consumed_lost: &[u64], x: &mut RunResult) {
        let m = &self.monitor;
        x.consumed_lost = match c {
            Some(c) => consumed_lost.get(c).copied().unwrap_or(0),
            None => consumed_lost.iter().sum(),
        };
        (x.e2e_p50_ms, x.e2e_p99_ms, x.e2e_max_ms) = visibility::Visibility::quantiles_over(&m.e2e, c);
        x.records_consumed = match c {
            Some(c) => m.consumed.get(c).copied().unwrap_or(0),
            None => m.consumed.iter().sum(),
        };
        let horizon = m.last_poll.max(ms(self.spec.duration_ms)) as f64 / 1e9;
        x.consumer_throughput_rps = if horizon > 0.0 {
            x.records_consumed as f64 / horizon
        } else {
            0.0
        };
    }

    /// Every consumer has returned everything below its partitions' high watermarks (always,
    /// without consumers): the run's end waits for them, so that what they read is complete.
    fn consumers_caught_up(&self) -> bool {
        self.consumers.iter().all(|c| {
            c.drained()
                && c.positions().all(|(p, pos)| {
                    let hw = self
                        .brokers
                        .iter()
                        .filter_map(|b| b.replicas[p as usize].as_ref().filter(|r| b.alive && r.is_leader))
                        .map(|r| r.hw)
                        .max();
                    hw.is_none_or(|hw| pos >= hw)
                })
        })
    }

    /// Runs a handler of consumer `k` with its context, then applies its outbox.
    pub(crate) fn with_consumer<R>(
        &mut self,
        k: usize,
        f: impl FnOnce(&mut consumer::ConsumerClient, &mut Ctx<'_>) -> R,
    ) -> R {
        let mut out = std::mem::take(&mut self.outbox);
        let r = {
            let mut ctx = Ctx::new(self.now, &self.spec, &mut out, &mut self.monitor, &mut self.trace);
            f(&mut self.consumers[k], &mut ctx)
        };
        self.apply(&mut out);
        self.outbox = out;
        r
    }

    /// Runs a handler of broker `b` with its context, then applies its outbox.
    pub(crate) fn with_broker<R>(&mut self, b: u32, f: impl FnOnce(&mut broker::Broker, &mut Ctx<'_>) -> R) -> R {
        let mut out = std::mem::take(&mut self.outbox);
        let r = {
            let mut ctx =
                Ctx::new(self.now, &self.spec, &mut out, &mut self.monitor, &mut self.trace).with_net(&self.net);
            f(&mut self.brokers[b as usize], &mut ctx)
        };
        self.apply(&mut out);
        self.outbox = out;
        r
    }

    /// Runs a handler of client `c` with its context (the run as that client sees it), then
    /// applies its outbox. The handler may move `ctx.now` forward (inline open-loop arrivals
    /// happen at their own time): the world's time follows.
    pub(crate) fn with_client<R>(&mut self, c: usize, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        self.catch_up(c, self.now);
        self.with_client_caught_up(c, f)
    }

    /// [`World::with_client`] for a client whose arrivals up to now have happened.
    fn with_client_caught_up<R>(&mut self, c: usize, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        let r = self.with_client_quietly(c, f);
        self.inline_now[c] = self.inline_now[c].max(self.now);
        let due = self.due(c);
        self.arrivals_due.set(c, due);
        r
    }

    /// When client `c`'s arrivals must have run ([`World::arrivals_due`]).
    #[inline]
    fn due(&self, c: usize) -> SimTime {
        let client = &self.clients[c];
        if self.deferrable[c] {
            let due = client.quiet_until(self.inline_now[c]);
            #[cfg(test)]
            let due = due.saturating_add(self.due_slack);
            due
        } else {
            client.app.next_open_loop_arrival().unwrap_or(SimTime::MAX)
        }
    }

    /// Client `c`'s arrivals that waited ([`World::deferrable`]) happen, up to `to` (before
    /// anything at `to`): before its handlers, a fault or a phase change. They come before
    /// their due time, so they only append to an open batch: they queue nothing (checked).
    fn catch_up(&mut self, c: usize, to: SimTime) {
        let next = |w: &World| w.clients[c].app.next_open_loop_arrival().unwrap_or(SimTime::MAX);
        if !self.deferrable[c] || next(self) > to {
            return;
        }
        let (now, pushes) = (self.now, self.queue.pushes());
        self.now = self.inline_now[c];
        while next(self) <= to && self.with_client_quietly(c, |c, ctx| c.open_loop_step(to, ctx)) {}
        assert_eq!(
            self.queue.pushes(),
            pushes,
            "arrivals that waited queue nothing (client {c}, up to {to} ns)"
        );
        self.inline_now[c] = self.now;
        self.now = now;
    }

    /// [`World::with_client`] without updating the client's next arrival in
    /// [`World::arrivals_due`] (a run of arrivals does so once, at its end).
    fn with_client_quietly<R>(&mut self, c: usize, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        let mut out = std::mem::take(&mut self.outbox);
        let route = self.routes[c];
        self.monitor.route = (route.first, route.identity_base);
        let (r, now) = {
            let mut ctx = Ctx::new(
                self.now,
                &self.client_specs[c],
                &mut out,
                &mut self.monitor,
                &mut self.trace,
            );
            let r = f(&mut self.clients[c], &mut ctx);
            (r, ctx.now)
        };
        self.monitor.route = (0, 0);
        debug_assert!(now >= self.now);
        self.now = now;
        self.owner = self.client_owner(c);
        self.apply(&mut out);
        self.owner = 0;
        self.outbox = out;
        r
    }

    /// The client at `writer` learns that `reader` drained `bytes` of its connection `gen`.
    fn window_opened(&mut self, reader: usize, writer: usize, gen: u64, bytes: u64) {
        let c = self.client_at(writer).expect("only clients write produce requests");
        if !self.clients[c].alive {
            return;
        }
        self.with_client(c, |c, ctx| c.socket_drained(reader as u32, gen, bytes, ctx));
    }

    /// A message from or to a client whose topic is not the cluster's first, or who is not the
    /// first client, in the other side's numbering: the client numbers its topic's partitions
    /// from 0 and its records from 0; the brokers number every topic's partitions together and
    /// tell producers' records apart by [`IDENTITY_BITS`].
    fn route(&self, from: usize, to: usize, mut msg: Message) -> Message {
        if let Some(c) = self.client_at(from) {
            let r = self.routes[c];
            if r.translate {
                if let Message::Produce(req) = &mut msg {
                    for b in &mut req.batches {
                        b.partition += r.first;
                        b.rec_start += r.identity_base;
                    }
                }
            }
        } else if let Some(c) = self.client_at(to) {
            let r = self.routes[c];
            if r.translate {
                match &mut msg {
                    Message::ProduceResponse { responses, .. } => {
                        for x in responses {
                            x.partition -= r.first;
                        }
                    }
                    Message::MetadataResponse { partitions, .. } => {
                        let end = (r.first + r.partitions) as usize;
                        partitions.truncate(end);
                        partitions.drain(..r.first as usize);
                    }
                    _ => {}
                }
            }
        }
        msg
    }

    /// Runs a controller handler with its context, then applies its outbox.
    fn with_controller(&mut self, f: impl FnOnce(&mut controller::Controller, &mut Ctx<'_>)) {
        let mut out = std::mem::take(&mut self.outbox);
        {
            let mut ctx = Ctx::new(self.now, &self.spec, &mut out, &mut self.monitor, &mut self.trace);
            f(&mut self.controller, &mut ctx);
        }
        self.apply(&mut out);
        self.outbox = out;
    }

    /// Every partition has an unfenced leader that leads it, all replicas alive, in the ISR,
    /// caught up, and the HW at the log end.
    fn cluster_converged(&self) -> bool {
        self.controller.parts.iter().enumerate().all(|(p, st)| {
            let Some(l) = st.leader else { return false };
            let leader = &self.brokers[l as usize];
            let Some(lr) = leader.replicas[p].as_ref() else {
                return false;
            };
            if !leader.alive || !lr.is_leader || lr.leader_epoch != st.leader_epoch {
                return false;
            }
            let leo = lr.log.log_end_offset();
            lr.hw == leo
                && st.isr.len() == st.replicas.len()
                && st.replicas.iter().all(|&b| {
                    let br = &self.brokers[b as usize];
                    br.alive && br.replicas[p].as_ref().is_some_and(|r| r.log.log_end_offset() == leo)
                })
        })
    }

    /// A free-text trace line (faults); facts go through [`World::observe`].
    pub(crate) fn trace_line(&mut self, line: String) {
        let now = self.now;
        if let Some(t) = self.trace.as_mut() {
            t.line(now, line);
        }
    }

    /// The final committed log of every partition: the leader's log below its high watermark
    /// (or, for a leaderless partition, the live replica with the highest high watermark).
    fn final_logs(&self) -> Vec<Committed<'_>> {
        (0..self.controller.parts.len())
            .map(|p| {
                let from_leader = self.controller.parts[p].leader.and_then(|l| {
                    let br = &self.brokers[l as usize];
                    br.replicas[p].as_ref().filter(|r| br.alive && r.is_leader)
                });
                let replica = from_leader.or_else(|| {
                    self.brokers
                        .iter()
                        .filter(|b| b.alive)
                        .filter_map(|b| b.replicas[p].as_ref())
                        .max_by_key(|r| r.hw)
                });
                replica.map_or_else(Committed::default, |r| Committed::new(&r.log, r.hw))
            })
            .collect()
    }

    /// Invariants of the final state: the leader is in the ISR (TLA+ `LeaderInIsr`, asserted),
    /// and, counted for the property tests: replicas that disagree below both high watermarks
    /// (`LogMatchingProperty`) and committed records missing from the final log
    /// (`NoCommittedRecordLostGlobally`, true HW monotonic).
    fn final_invariants(&self, logs: &[Committed], r: &mut RunResult) {
        let converged = self.cluster_converged();
        for (p, st) in self.controller.parts.iter().enumerate() {
            if let Some(l) = st.leader {
                assert!(
                    st.isr.contains(&l),
                    "partition {p}: leader b{l} not in ISR {:?}",
                    st.isr
                );
            }
            let final_end: u64 = logs[p].end_offset();
            let committed = self.monitor.max_committed[p];
            let mut lost = if final_end < committed {
                committed - final_end
            } else if committed > 0 {
                u64::from(logs[p].record_at(committed - 1) != self.monitor.committed_rec[p])
            } else {
                0
            };
            if st.leader.is_none() && lost > 0 {
                // An offline partition has lost nothing that a replica still holds on disk
                // (NoCommittedRecordLostGlobally: on at least one replica): it is unavailable
                // until that replica may lead again (KIP-966 keeps it so after an unclean
                // shutdown of every ISR and ELR member).
                let held = st.replicas.iter().any(|&b| {
                    self.brokers[b as usize].replicas[p].as_ref().is_some_and(|rep| {
                        rep.log.log_end_offset() >= committed
                            && rep.log.record_at(committed - 1).map(|x| x.0) == self.monitor.committed_rec[p]
                    })
                });
                if held {
                    lost = 0;
                }
            }
            r.committed_lost += lost;
            if !converged {
                continue;
            }
            let reps: Vec<&broker::Replica> = st
                .replicas
                .iter()
                .filter_map(|&b| self.brokers[b as usize].replicas[p].as_ref())
                .collect();
            for i in 0..reps.len() {
                for j in i + 1..reps.len() {
                    let end = reps[i].hw.min(reps[j].hw);
                    if !partition_log::logs_match(&reps[i].log, &reps[j].log, end) {
                        r.log_divergence += 1;
                    }
                }
            }
        }
        r.leader_completeness_violations = self.monitor.leader_completeness_violations;
        r.committed_lost += self.monitor.committed_lost;
    }

    /// Producer `c`'s measures from its client: its ledger's, plus the accumulator's and the
    /// sender's counts.
    fn client_result(&self, c: usize, ledger: &Ledger, end: SimTime) -> RunResult {
        let (cl, cs) = (&self.clients[c], &self.client_specs[c]);
        let mut r = ledger.result(cs, end);
        let counts = ClientCounts::of(cl, cs);
        counts.fill(&mut r, cs.duration_ms as f64);
        r
    }

    fn finish(mut self) -> RunOutput {
        for (c, cs) in self.clients.iter().zip(&self.client_specs) {
            c.acc.assert_memory_conserved(cs.producer.buffer_memory);
        }
        let end = self.now;
        // The latency points still buffered, applied once (reads would each apply a copy).
        for c in &mut self.clients {
            c.ledger.flush_latencies();
        }
        self.monitor.visibility.flush();
        for v in &mut self.monitor.e2e {
            v.flush();
        }
        // Every producer's timeline at one bucket width, so that they add up.
        let width = self.clients.iter().map(|c| c.ledger.bucket_ns()).max().unwrap_or(1);
        for c in &mut self.clients {
            c.ledger.widen_to(width);
        }
        let aborted = self.aborted.take();
        let logs = self.final_logs();
        let window_ms = self.spec.duration_ms as f64;
        let faulted = !self.spec.faults.is_empty() || self.spec.random_faults != RandomFaults::default();
        // Per producer: what consumers read and the final logs lack, over the groups.
        let mut consumed_lost: Vec<u64> = Vec::new();
        for v in &self.monitor.e2e {
            for (c, n) in v.seen_but_absent(&logs).into_iter().enumerate() {
                if consumed_lost.len() <= c {
                    consumed_lost.resize(c + 1, 0);
                }
                consumed_lost[c] += n;
            }
        }
        let mut per: Vec<RunResult> = (0..self.clients.len())
            .map(|c| self.client_result(c, &self.clients[c].ledger, end))
            .collect();
        let mut r = if self.clients.len() == 1 {
            per[0].clone()
        } else {
            let mut total = self.clients[0].ledger.clone();
            for c in &self.clients[1..] {
                total.absorb(&c.ledger);
            }
            let mut r = total.result(&self.spec, end);
            let mut counts = ClientCounts::default();
            for (cl, cs) in self.clients.iter().zip(&self.client_specs) {
                counts.add(&ClientCounts::of(cl, cs));
            }
            counts.fill(&mut r, window_ms);
            r
        };
        for (c, x) in per.iter_mut().enumerate() {
            let cs = &self.client_specs[c];
            let rate = cs.workload.rate;
            // A numeric rate the threads could not offer (send() cost) is saturation too; not
            // when the application was down (a `producer-crash`): an outage is not capacity.
            let crashed = self.clients[c].incarnation > 0;
            let under_offered = rate.is_finite() && !crashed && x.offered_rps < SATURATED_THROUGHPUT_SHARE * rate;
            x.saturated = x.is_saturated(faulted) | u64::from(under_offered);
            (x.visible_p50_ms, x.visible_p99_ms, x.visible_max_ms) = self.monitor.visibility.quantiles_ms(Some(c));
            self.consumer_measures(Some(c), &consumed_lost, x);
        }
        self.consumer_measures(None, &consumed_lost, &mut r);
        r.saturated = r.is_saturated(faulted) | per.iter().map(|x| x.saturated).max().unwrap_or(0);
        self.final_invariants(&logs, &mut r);
        r.elections = self.controller.elections;
        (r.visible_p50_ms, r.visible_p99_ms, r.visible_max_ms) = self.monitor.visibility.quantiles_ms(None);
        r.events = self.events;
        r.digest = self.digest.0;
        r.faults = self.faults.intervals(end);
        r.aborted = aborted;
        let names = self.spec.producer_list();
        let mut own_logs = Route::own_logs(&self.routes, |p| logs[p].entries(), logs.len()).into_iter();
        let producers = per
            .into_iter()
            .enumerate()
            .map(|(c, result)| {
                let ledger = &mut self.clients[c].ledger;
                ProducerOutput {
                    name: names[c].name.clone(),
                    result,
                    outcomes: std::mem::take(&mut ledger.outcomes),
                    sent: std::mem::take(&mut ledger.sent),
                    rejected: ledger.rejected,
                    unsent: ledger.unsent,
                    logs: own_logs.next().expect("a share of the logs per client"),
                }
            })
            .collect();
        RunOutput {
            result: r,
            producers,
            trace: self.trace.take().map(|t| t.lines).unwrap_or_default(),
        }
    }
}

/// What one client counted besides its ledger (the accumulator's and the sender's), summed
/// over clients for the run's totals.
#[derive(Clone, Copy, Debug, Default)]
struct ClientCounts {
    requests: u64,
    retries: u64,
    batches: u64,
    records_batched: u64,
    bytes_batched: i64,
    blocked_ns: u128,
    threads: u64,
}

impl ClientCounts {
    fn of(c: &Client, spec: &RunSpec) -> ClientCounts {
        ClientCounts {
            requests: c.sender.requests,
            retries: c.sender.retries,
            batches: c.acc.batches_created,
            records_batched: c.acc.records_batched,
            // batch-size-avg: the batches as sent (compressed with compression.type).
            bytes_batched: (c.acc.bytes_batched as i64 + c.acc.compression_saved).max(0),
            blocked_ns: c.app.blocked_ns,
            threads: spec.workload.threads.max(1) as u64,
        }
    }

    fn add(&mut self, o: &ClientCounts) {
        self.requests += o.requests;
        self.retries += o.retries;
        self.batches += o.batches;
        self.records_batched += o.records_batched;
        self.bytes_batched += o.bytes_batched;
        self.blocked_ns += o.blocked_ns;
        self.threads += o.threads;
    }

    fn fill(&self, r: &mut RunResult, window_ms: f64) {
        r.requests = self.requests;
        r.retries = self.retries;
        r.batches = self.batches;
        let per_batch = |x: u64| {
            if self.batches > 0 {
                x as f64 / self.batches as f64
            } else {
                0.0
            }
        };
        r.mean_batch_records = per_batch(self.records_batched);
        r.mean_batch_bytes = per_batch(self.bytes_batched as u64);
        r.offered_rps = r.records_sent as f64 * 1e3 / window_ms;
        r.send_blocked_ms = self.blocked_ns as f64 / NS_PER_MS as f64;
        r.buffer_wait_ratio = r.send_blocked_ms / (self.threads as f64 * window_ms);
    }
}

impl Route {
    /// Each client's share of the final logs (in `routes`' order), in its own numbering: its
    /// topic's partitions, its own records (a lone client whose numbering is the cluster's
    /// writes every record there). One pass over the logs puts each entry with the
    /// client its identity names: a pass per client over its topic's logs cost clients x
    /// entries (a topic of 200 producers read its logs 200 times). `logs(p)` reads partition
    /// `p`'s committed entries (twice: each share's entries are counted, then its spans filled
    /// into room for that many, at most; grown by doubling, the shares were the leaders' logs
    /// copied once more, and again).
    fn own_logs<I: Iterator<Item = LogEntry>>(
        routes: &[Route],
        logs: impl Fn(usize) -> I,
        partitions: usize,
    ) -> Vec<Vec<Vec<LogSpan>>> {
        if routes.len() == 1 && !routes[0].translate {
            let r = routes[0];
            return vec![(r.first..r.first + r.partitions)
                .map(|p| {
                    let mut spans = Vec::with_capacity(logs(p as usize).count());
                    for e in logs(p as usize) {
                        LogSpan::push_entry(&mut spans, &e, e.rec_start);
                    }
                    spans
                })
                .collect()];
        }
        // (an identity of no client, or of a client on another topic, is nobody's)
        let owner = |p: usize, e: &LogEntry| {
            let c = (e.rec_start >> IDENTITY_BITS) as usize;
            let r = routes.get(c)?;
            let i = (p as u32).checked_sub(r.first).filter(|&i| i < r.partitions)?;
            Some((c, i as usize))
        };
        let mut counts: Vec<Vec<usize>> = routes.iter().map(|r| vec![0; r.partitions as usize]).collect();
        for p in 0..partitions {
            for e in logs(p) {
                if let Some((c, i)) = owner(p, &e) {
                    counts[c][i] += 1;
                }
            }
        }
        let mut own: Vec<Vec<Vec<LogSpan>>> = counts
            .iter()
            .map(|c| c.iter().map(|&n| Vec::with_capacity(n)).collect())
            .collect();
        for p in 0..partitions {
            for e in logs(p) {
                if let Some((c, i)) = owner(p, &e) {
                    LogSpan::push_entry(&mut own[c][i], &e, e.rec_start - routes[c].identity_base);
                }
            }
        }
        own
    }
}

/// One producer's part of a run: its measures, what its application was told and its records
/// in the final logs.
pub struct ProducerOutput {
    /// Its name (`default` for the one producer of a scenario without `[[producers]]`).
    pub name: String,
    /// Its measures (cluster-wide ones are the run's); `delivery` filled by the checker.
    pub result: RunResult,
    /// Per partition of its topic: what the application was told, per record range.
    pub(crate) outcomes: Vec<OutcomeRanges>,
    /// Per partition of its topic: records `send()` accepted (identities `0..sent`).
    pub sent: Vec<u64>,
    /// Records `send()` rejected.
    pub(crate) rejected: u64,
    /// Records blocked in `send()` when its process crashed.
    pub(crate) unsent: u64,
    /// Per partition of its topic: its records in the final committed log.
    pub logs: Vec<Vec<LogSpan>>,
}

/// Everything a run leaves behind: measures, each producer's view and its final logs.
pub struct RunOutput {
    /// Measures over every producer; `delivery` is filled by the checker (`crate::check`).
    pub result: RunResult,
    /// Per producer, in order.
    pub producers: Vec<ProducerOutput>,
    /// The trace of the traced record, if any.
    pub(crate) trace: Vec<String>,
}

impl RunOutput {
    /// The first producer's part (the only one without `[[producers]]`).
    pub fn first(&self) -> &ProducerOutput {
        &self.producers[0]
    }
}

/// Simulate one run, optionally tracing one record of one producer.
/// Deterministic: the same `RunSpec` (seed included) gives the same output.
pub fn simulate(spec: &RunSpec, trace: Option<TracedRecord>) -> RunOutput {
    simulate_with_progress(spec, trace, None)
}

/// [`simulate`], publishing the simulated time (ns) to `progress` as the run goes.
pub(crate) fn simulate_with_progress(
    spec: &RunSpec,
    trace: Option<TracedRecord>,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> RunOutput {
    // (the command line silences panic reports while runs go: a failure while the world is
    // built is reported as one of its run, like the others, not as a silent exit)
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| World::new(spec, trace))) {
        Ok(mut w) => {
            w.progress = progress;
            run_world(w)
        }
        Err(p) => aborted(invariant_message(&p, spec.seed, 0, 0, None, "building the run")),
    }
}

/// Runs a built world to its end.
fn run_world(mut w: World) -> RunOutput {
    // An assertion of the model's own invariants (HW above log end, epochs going back, ...)
    // ends this run, not the process: the run reports which invariant, the seed and the event,
    // and the command line exits 1 (a search reports it as a counterexample).
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.run_loop();
        if let Some(p) = &w.progress {
            p.store(w.now, std::sync::atomic::Ordering::Relaxed);
        }
    }));
    let why = match ran {
        Ok(()) => {
            let (seed, now, events, last) = (w.spec.seed, w.now, w.events, w.last_event);
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.finish())) {
                Ok(out) => return out,
                Err(p) => invariant_message(&p, seed, now, events, last, "the end-of-run checks"),
            }
        }
        Err(p) => invariant_message(&p, w.spec.seed, w.now, w.events, w.last_event, ""),
    };
    aborted(why)
}

/// The output of a run stopped by a failed invariant.
fn aborted(why: String) -> RunOutput {
    RunOutput {
        result: RunResult {
            aborted: Some(why),
            ..RunResult::default()
        },
        producers: Vec::new(),
        trace: Vec::new(),
    }
}

/// "model invariant violated: <assertion> (seed S, at T ms, event #N (Event))".
fn invariant_message(
    panic: &Box<dyn std::any::Any + Send>,
    seed: u64,
    now: SimTime,
    events: u64,
    last: Option<Event>,
    during: &str,
) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    let at = if during.is_empty() {
        match last {
            Some(ev) => format!("event #{events} ({ev:?})"),
            None => "before the first event".into(),
        }
    } else {
        during.to_string()
    };
    format!(
        "model invariant violated: {what} (seed {seed}, at {:.3} ms, {at})",
        crate::sim::to_ms(now)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed invariant ends the run (not the process) with the invariant, the seed and the
    /// event: here a broker that believes in a leader epoch from the future meets epoch 0.
    #[test]
    fn a_failed_invariant_ends_the_run_naming_it_the_seed_and_the_event() {
        let spec = RunSpec {
            seed: 42,
            duration_ms: 100,
            ..RunSpec::default()
        };
        let mut w = World::new(&spec, None);
        for r in w.brokers[0].replicas.iter_mut().flatten() {
            r.leader_epoch = 1000;
        }
        let out = run_world(w);
        let why = out.result.aborted.expect("the run stops");
        assert!(why.contains("leader epochs only grow"), "{why}");
        assert!(why.contains("seed 42") && why.contains("event #"), "{why}");
        // Negative control: the same run without the corruption completes.
        let ok = run_world(World::new(&spec, None));
        assert!(ok.result.aborted.is_none(), "{:?}", ok.result.aborted);
    }

    /// A world that cannot be built (here a spec no scenario passes validation with: no
    /// broker) stops its run with a message naming the seed, as a failed invariant does,
    /// rather than unwinding through the command line's silenced panic reports.
    #[test]
    fn a_failure_while_the_world_is_built_ends_the_run_with_a_message() {
        let mut spec = RunSpec {
            seed: 7,
            duration_ms: 50,
            ..RunSpec::default()
        };
        assert!(simulate_with_progress(&spec, None, None).result.aborted.is_none());
        spec.cluster.brokers = 0;
        let why = simulate_with_progress(&spec, None, None)
            .result
            .aborted
            .expect("stopped");
        assert!(why.contains("building the run") && why.contains("seed 7"), "{why}");
    }

    /// Each client's share of the final logs, from one pass, is what reading its topic's logs
    /// for its own identities gives: 3 clients, two on a topic of 2 partitions and one on a
    /// topic of 3, their entries interleaved, plus an identity of no client.
    #[test]
    fn each_client_gets_its_own_entries_of_its_own_topic_in_its_own_numbering() {
        use crate::model::partition_log::ProducerInfo;
        use rand::Rng;
        let routes = [
            Route {
                first: 0,
                partitions: 2,
                identity_base: 0,
                translate: false,
            },
            Route {
                first: 0,
                partitions: 2,
                identity_base: 1 << IDENTITY_BITS,
                translate: true,
            },
            Route {
                first: 2,
                partitions: 3,
                identity_base: 2 << IDENTITY_BITS,
                translate: true,
            },
        ];
        let mut rng = rng_stream(3, Stream::App);
        let mut logs: Vec<Vec<LogEntry>> = vec![Vec::new(); 5];
        for (p, log) in logs.iter_mut().enumerate() {
            for i in 0..200u64 {
                let c: u64 = match (p < 2, rng.gen_range(0..10)) {
                    (_, 0) => 7, // nobody's
                    (true, x) => x % 2,
                    (false, _) => 2,
                };
                log.push(LogEntry {
                    base_offset: i * 10,
                    count: 10,
                    rec_start: (c << IDENTITY_BITS) + i * 10,
                    leader_epoch: 0,
                    producer: ProducerInfo {
                        pid: c + 1,
                        epoch: 0,
                        base_seq: 0,
                    },
                    bytes: 1000,
                    append_time: i,
                });
            }
        }
        let own = Route::own_logs(&routes, |p| logs[p].iter().copied(), logs.len());
        assert_eq!(own.len(), 3);
        // Record by record: (offset, identity in the client's numbering), in log order.
        let records = |spans: &[LogSpan]| -> Vec<(u64, u64)> {
            spans
                .iter()
                .flat_map(|s| (0..s.count).map(move |k| (s.base_offset + k, s.rec_start + k)))
                .collect()
        };
        let mut merged = 0;
        for (c, r) in routes.iter().enumerate() {
            let want: Vec<Vec<(u64, u64)>> = logs[r.first as usize..(r.first + r.partitions) as usize]
                .iter()
                .map(|log| {
                    log.iter()
                        .filter(|e| e.rec_start >> IDENTITY_BITS == c as u64)
                        .flat_map(|e| (0..e.count as u64).map(move |k| (e.base_offset + k, e.rec_start + k)))
                        .map(|(off, rec)| (off, rec - r.identity_base))
                        .collect()
                })
                .collect();
            let got: Vec<Vec<(u64, u64)>> = own[c].iter().map(|spans| records(spans)).collect();
            assert_eq!(got, want, "client {c}");
            assert!(
                own[c].iter().flatten().all(|e| e.rec_start >> IDENTITY_BITS == 0),
                "own numbering"
            );
            assert!(!own[c].iter().all(Vec::is_empty));
            // Entries that continue each other in offset and identity are one span, no others.
            for (i, spans) in own[c].iter().enumerate() {
                for w in spans.windows(2) {
                    assert!(w[0].base_offset + w[0].count != w[1].base_offset || w[0].rec_end() != w[1].rec_start);
                }
                let log = &logs[r.first as usize + i];
                merged += log.iter().filter(|e| e.rec_start >> IDENTITY_BITS == c as u64).count() - spans.len();
            }
        }
        assert!(merged > 0, "adjacent entries of one client merge");
    }
}
