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
mod context;
mod controller;
mod driver;
mod faults;
pub(crate) mod ledger;
mod monitor;
mod murmur2;
mod network;
mod observe;
pub(crate) mod partition_log;
mod producer;
mod record_batch;

use producer::client::Client;
use producer::{accumulator, sender};
mod tracer;
mod transport;
mod visibility;
mod wire;

use context::{Command, Ctx};
use monitor::Monitor;
use tracer::Tracer;

pub(crate) use app::send_cost_ns;
pub(crate) use wire::*;

use crate::config::{RandomFaults, RunSpec};
use crate::result::{RunResult, SATURATED_THROUGHPUT_SHARE};
use crate::sim::{ms, rng_stream, Digest, EventQueue, SimTime, Stream, NS_PER_MS};
use network::Network;
use partition_log::LogEntry;

use ledger::OutcomeRanges;

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
    FaultStart { index: u32 },
    FaultEnd { index: u32 },
    WindowEnd,
    SettleCheck,
}

impl Event {
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
        }
    }
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
    queue: EventQueue<Event>,
    /// Messages on their way, and those a cut path holds ([`transport`]).
    inflight: transport::InFlight,
    pub net: Network,
    /// The producer client and its application.
    pub client: Client,
    pub brokers: Vec<broker::Broker>,
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
    #[inline]
    pub(crate) fn producer_node(&self) -> usize {
        self.brokers.len() + 1
    }

    pub(crate) fn new(spec: &RunSpec, trace: Option<(u32, u64)>) -> World {
        let spec = spec.clone();
        let b = spec.cluster.brokers as usize;
        let nodes = b + 2;
        let seed = spec.seed;
        let assignment = controller::assign_replicas(&spec.cluster);
        let mut w = World {
            now: 0,
            phase: Phase::Production,
            queue: EventQueue::default(),
            inflight: transport::InFlight::new(nodes),
            net: Network::new(&spec.network, nodes, rng_stream(seed, Stream::Network)),
            client: Client::new(&spec, b + 1),
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
            controller: controller::Controller::new(&spec, &assignment),
            faults: faults::FaultState::new(&spec, rng_stream(seed, Stream::Faults)),
            monitor: Monitor::new(spec.cluster.partitions as usize),
            digest: Digest::default(),
            events: 0,
            progress: None,
            aborted: None,
            events_at_now: 0,
            last_event: None,
            trace: trace.map(|(partition, rec)| Tracer::new(partition, rec)),
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
        // The producer starts with the cluster's metadata (as after its first metadata fetch).
        self.client.sender.apply_initial_metadata(&initial);
        self.with_client(|c, ctx| c.start(ctx));
        self.faults_start();
        self.queue.push(self.window_end, Event::WindowEnd);
    }

    /// Time of the next queued event.
    #[inline]
    pub(crate) fn queue_next_time(&self) -> SimTime {
        self.queue.peek_time()
    }

    #[inline]
    pub(crate) fn schedule(&mut self, at: SimTime, ev: Event) {
        debug_assert!(at >= self.now, "event scheduled in the past: {ev:?}");
        self.queue.push(at.max(self.now), ev);
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
        let bytes = msg.wire_bytes();
        let (tx_end, arrival) = self.net.transmit(at, from, to, bytes);
        let ix = self.inflight.put(Envelope { from, to, gen, msg }, tx_end);
        if self.net.reachable(from, to) {
            self.queue.push(arrival, Event::Deliver { msg: ix });
        } else {
            self.inflight.stall(ix);
        }
        tx_end
    }

    fn deliver(&mut self, ix: u32) {
        let (from, to) = self.inflight.route(ix);
        // A path cut while the message was on its way holds it until the heal.
        if !self.net.reachable(from, to) {
            self.inflight.stall(ix);
            return;
        }
        let env = self.inflight.take(ix);
        let producer = self.client.node;
        let controller = self.controller_node();
        if env.to == producer {
            self.with_client(|c, ctx| c.on_message(env, ctx));
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
                for ix in held {
                    let arrival = self.net.retransmitted(at, from, to);
                    self.queue.push(arrival, Event::Deliver { msg: ix });
                }
            }
            None => {
                for ix in held {
                    self.inflight.take(ix);
                }
            }
        }
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::SenderWake => self.with_client(|c, ctx| c.sender_wake(ctx)),
            Event::AppWake { thread } => self.with_client(|c, ctx| c.app_wake(thread, ctx)),
            Event::MemoryWaitTimeout { waiter } => self.with_client(|c, ctx| c.memory_wait_timeout(waiter, ctx)),
            Event::Deliver { msg } => self.deliver(msg),
            Event::RequestWritten { node, request } => self.with_client(|c, ctx| c.request_written(node, request, ctx)),
            Event::RequestTimeout { node } => self.with_client(|c, ctx| c.request_timeout(node, ctx)),
            Event::ConnectionReset { node, gen } => self.with_client(|c, ctx| c.connection_reset(node, gen, ctx)),
            Event::ConnectDone { node, gen, ok } => self.with_client(|c, ctx| c.connect_done(node, gen, ok, ctx)),
            Event::MetadataTimeout { id } => self.with_client(|c, ctx| c.metadata_timeout(id, ctx)),
            Event::MetadataDue => self.with_client(|c, ctx| c.metadata_due(ctx)),
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
            Event::FaultStart { index } => self.fault_start(index as usize),
            Event::FaultEnd { index } => self.fault_end(index as usize),
            Event::WindowEnd => self.window_end(),
            Event::SettleCheck => self.settle_check(),
        }
    }

    /// The main loop: application arrivals are produced inline up to the next queued event
    /// (design principle 3), everything else goes through the queue.
    fn run_loop(&mut self) {
        while self.phase != Phase::Done {
            let t_event = self.queue.peek_time();
            if let Some(t_app) = self.client.app.next_open_loop_arrival() {
                if t_app <= t_event && t_app < self.window_end {
                    // Arrivals run inline up to the next queued event (an arrival delayed by
                    // a blocked send() happens as soon as it unblocks): one client step at a
                    // time, since a step may queue an event that comes first.
                    let limit = t_event.min(self.window_end - 1);
                    loop {
                        let limit = limit.min(self.queue_next_time());
                        if !self.with_client(|c, ctx| c.open_loop_step(limit, ctx)) {
                            break;
                        }
                    }
                    if self.client.acc.batches.len() > MAX_LIVE_BATCHES {
                        let _ = self.guard(|| "application send() arrivals".to_string());
                        break;
                    }
                    continue;
                }
            }
            let Some((t, ev)) = self.queue.pop() else {
                break;
            };
            debug_assert!(t >= self.now);
            if t == self.now {
                self.events_at_now += 1;
            } else {
                self.events_at_now = 0;
            }
            self.now = t;
            self.events += 1;
            if self.events.is_multiple_of(GUARD_EVERY) && self.guard(|| format!("{ev:?}")).is_err() {
                break;
            }
            self.digest.mix(t);
            self.digest.mix(ev.tag());
            self.last_event = Some(ev);
            self.dispatch(ev);
        }
    }

    /// Bounds that keep a run honest and its memory finite, checked every [`GUARD_EVERY`]
    /// events: simulated time must advance, and the accumulator and event queue stay within
    /// [`MAX_LIVE_BATCHES`] / [`MAX_QUEUED_EVENTS`]. A breach stops the run with a message
    /// naming the seed and the event (the CLI exits 1 and writes no report).
    fn guard(&mut self, what: impl FnOnce() -> String) -> Result<(), ()> {
        if let Some(p) = &self.progress {
            p.store(self.now, std::sync::atomic::Ordering::Relaxed);
        }
        self.client
            .acc
            .assert_memory_conserved(self.spec.producer.buffer_memory);
        let breached = self.events_at_now >= MAX_EVENTS_AT_ONE_TIME
            || self.client.acc.batches.len() > MAX_LIVE_BATCHES
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
        } else if self.client.acc.batches.len() > MAX_LIVE_BATCHES {
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
        self.client.stop();
        self.faults_heal_all();
        self.with_client(|c, ctx| c.flush(ctx));
        self.schedule(self.now + ms(100), Event::SettleCheck);
    }

    /// Settle phase: done when the producer has nothing left and every partition has a leader
    /// with all replicas caught up and in the ISR (or at the settle deadline).
    fn settle_check(&mut self) {
        let producer_idle = self.client.is_idle();
        if (producer_idle && self.cluster_converged()) || self.now >= self.settle_deadline {
            self.phase = Phase::Done;
            return;
        }
        self.schedule(self.now + ms(100), Event::SettleCheck);
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

    /// Runs a handler of the producer client with its context, then applies its outbox. The
    /// handler may move `ctx.now` forward (inline open-loop arrivals happen at their own time):
    /// the world's time follows.
    pub(crate) fn with_client<R>(&mut self, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        let mut out = std::mem::take(&mut self.outbox);
        let (r, now) = {
            let mut ctx = Ctx::new(self.now, &self.spec, &mut out, &mut self.monitor, &mut self.trace);
            let r = f(&mut self.client, &mut ctx);
            (r, ctx.now)
        };
        debug_assert!(now >= self.now);
        self.now = now;
        self.apply(&mut out);
        self.outbox = out;
        r
    }

    /// The client at `writer` learns that `reader` drained `bytes` of its connection `gen`.
    fn window_opened(&mut self, reader: usize, writer: usize, gen: u64, bytes: u64) {
        debug_assert_eq!(writer, self.client.node);
        self.with_client(|c, ctx| c.socket_drained(reader as u32, gen, bytes, ctx));
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
    fn final_logs(&self) -> Vec<Vec<LogEntry>> {
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
                replica.map_or_else(Vec::new, |r| r.log.entries_below(r.hw).collect())
            })
            .collect()
    }

    /// Invariants of the final state: the leader is in the ISR (TLA+ `LeaderInIsr`, asserted),
    /// and, counted for the property tests: replicas that disagree below both high watermarks
    /// (`LogMatchingProperty`) and committed records missing from the final log
    /// (`NoCommittedRecordLostGlobally`, true HW monotonic).
    fn final_invariants(&self, logs: &[Vec<LogEntry>], r: &mut RunResult) {
        let converged = self.cluster_converged();
        for (p, st) in self.controller.parts.iter().enumerate() {
            if let Some(l) = st.leader {
                assert!(
                    st.isr.contains(&l),
                    "partition {p}: leader b{l} not in ISR {:?}",
                    st.isr
                );
            }
            let final_end: u64 = logs[p].last().map_or(0, |e| e.end_offset());
            let committed = self.monitor.max_committed[p];
            let mut lost = if final_end < committed {
                committed - final_end
            } else if committed > 0 {
                let off = committed - 1;
                let at = logs[p]
                    .iter()
                    .find(|e| e.base_offset <= off && off < e.end_offset())
                    .map(|e| e.rec_start + (off - e.base_offset));
                u64::from(at != self.monitor.committed_rec[p])
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

    fn finish(mut self) -> RunOutput {
        let c = &self.client;
        c.acc.assert_memory_conserved(self.spec.producer.buffer_memory);
        let end = self.now;
        let logs = self.final_logs();
        let mut r = c.ledger.result(&self.spec, end);
        self.final_invariants(&logs, &mut r);
        r.requests = c.sender.requests;
        r.retries = c.sender.retries;
        r.batches = c.acc.batches_created;
        let per_batch = |x: u64| {
            if c.acc.batches_created > 0 {
                x as f64 / c.acc.batches_created as f64
            } else {
                0.0
            }
        };
        r.mean_batch_records = per_batch(c.acc.records_batched);
        // batch-size-avg: the batches as sent (compressed with compression.type).
        r.mean_batch_bytes = per_batch((c.acc.bytes_batched as i64 + c.acc.compression_saved).max(0) as u64);
        let window_ms = self.spec.duration_ms as f64;
        r.offered_rps = r.records_sent as f64 * 1e3 / window_ms;
        r.send_blocked_ms = c.app.blocked_ns as f64 / NS_PER_MS as f64;
        r.buffer_wait_ratio = r.send_blocked_ms / (self.spec.workload.threads.max(1) as f64 * window_ms);
        // A numeric rate the threads could not offer (send() cost) is saturation too.
        let rate = self.spec.workload.rate;
        let under_offered = rate.is_finite() && r.offered_rps < SATURATED_THROUGHPUT_SHARE * rate;
        let faulted = !self.spec.faults.is_empty() || self.spec.random_faults != RandomFaults::default();
        r.saturated = r.is_saturated(faulted) | u64::from(under_offered);
        r.elections = self.controller.elections;
        (r.visible_p50_ms, r.visible_p99_ms, r.visible_max_ms) = self.monitor.visibility.quantiles_ms();
        r.events = self.events;
        r.digest = self.digest.0;
        r.faults = self.faults.intervals(end);
        r.aborted = self.aborted.take();
        RunOutput {
            result: r,
            outcomes: std::mem::take(&mut self.client.ledger.outcomes),
            sent: std::mem::take(&mut self.client.ledger.sent),
            rejected: self.client.ledger.rejected,
            logs,
            trace: self.trace.take().map(|t| t.lines).unwrap_or_default(),
        }
    }
}

/// Everything a run leaves behind: measures, the application's view and the final logs.
pub struct RunOutput {
    /// Measures; `delivery` is filled by the checker (`crate::check`).
    pub result: RunResult,
    /// Per partition: what the application was told, per record range.
    pub(crate) outcomes: Vec<OutcomeRanges>,
    /// Per partition: records `send()` accepted (their identities are `0..sent`).
    pub sent: Vec<u64>,
    /// Records `send()` rejected.
    pub(crate) rejected: u64,
    /// Per partition: the final committed log (see [`components::LogEntry`]).
    pub logs: Vec<Vec<LogEntry>>,
    /// The trace of the traced record, if any.
    pub(crate) trace: Vec<String>,
}

/// Simulate one run, optionally tracing one record (`partition`, per-partition sequence).
/// Deterministic: the same `RunSpec` (seed included) gives the same output.
pub fn simulate(spec: &RunSpec, trace: Option<(u32, u64)>) -> RunOutput {
    simulate_with_progress(spec, trace, None)
}

/// [`simulate`], publishing the simulated time (ns) to `progress` as the run goes.
pub(crate) fn simulate_with_progress(
    spec: &RunSpec,
    trace: Option<(u32, u64)>,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> RunOutput {
    let mut w = World::new(spec, trace);
    w.progress = progress;
    run_world(w)
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
    RunOutput {
        result: RunResult {
            aborted: Some(why),
            ..RunResult::default()
        },
        outcomes: Vec::new(),
        sent: Vec::new(),
        rejected: 0,
        logs: Vec::new(),
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
}
