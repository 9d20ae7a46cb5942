//! Drivers: one component (a broker, the producer client, the controller) with the context its
//! handlers take, for tests outside the crate (the conformance suite ported from Kafka's own
//! tests). A driver is a thin translation, no behaviour of its own: it calls the component's
//! handlers at its own simulated time, keeps the events they schedule for itself (fired by
//! `advance_to`, in time order, each through the handler the `World` would call), and turns
//! what they send into public [`Output`]s. Nothing is delivered anywhere else: a test reads the
//! outputs and answers in the component's place.
//!
//! Network nodes are numbered as in a run: brokers `0..brokers`, the controller `brokers`, the
//! producer `brokers + 1`.

use super::broker::Broker;
use super::context::{Command, Ctx};
use super::controller::{assign_replicas, Controller};
use super::monitor::Monitor;
use super::network::Network;
use super::tracer::Tracer;
use super::{Envelope, Event, Message, World};

mod client;
use super::{FetchPartition, FetchPartitionData, PartitionResponse, PartitionState, ProduceBatch, ProduceRequest};
use crate::config::{Acks, RunSpec};
use crate::sim::{ms, rng_stream, SimTime, Stream};
pub use client::ClientDriver;

/// What a driven component sent (or asked the network to do), in order.
#[derive(Clone, Debug)]
pub enum Output {
    /// A produce request from the client to broker node `to` on connection generation `gen`.
    Produce {
        /// The broker's node.
        to: usize,
        /// The connection generation.
        gen: u64,
        /// The request.
        request: ProduceRequest,
    },
    /// A produce response from a broker to node `to`, on connection generation `gen`.
    ProduceResponse {
        /// The client's node.
        to: usize,
        /// The connection generation it answers on.
        gen: u64,
        /// The id of the request it answers.
        request: u64,
        /// One answer per batch.
        responses: Vec<PartitionResponse>,
    },
    /// A follower's fetch request to the leader at node `to`.
    Fetch {
        /// The leader's node.
        to: usize,
        /// The fetch's id (its response names it).
        id: u64,
        /// The fetching broker.
        follower: u32,
        /// What it asks for.
        partitions: Vec<FetchPartition>,
    },
    /// A leader's answer to a follower's fetch, leaving at `at`.
    FetchResponse {
        /// The follower's node.
        to: usize,
        /// When it leaves (after the leader's CPU).
        at: SimTime,
        /// The id of the fetch it answers.
        id: u64,
        /// Per partition: data, high watermark, divergence.
        partitions: Vec<FetchPartitionData>,
    },
    /// A broker's heartbeat to the controller.
    Heartbeat {
        /// The broker.
        broker: u32,
        /// Its incarnation.
        incarnation: u64,
        /// The metadata version it has applied.
        metadata_version: u64,
    },
    /// A leader asks the controller to change an ISR (`AlterPartition`).
    AlterPartition {
        /// The leader.
        broker: u32,
        /// The partition.
        partition: u32,
        /// The leader epoch it knows.
        leader_epoch: u32,
        /// The partition epoch its proposal is based on.
        partition_epoch: u32,
        /// The proposed ISR.
        new_isr: Vec<u32>,
    },
    /// Published (or echoed) partition states from the controller to broker node `to`.
    MetadataUpdate {
        /// The broker's node.
        to: usize,
        /// When it arrives (after `metadata_propagation_ms` for a publication).
        at: SimTime,
        /// The metadata version.
        version: u64,
        /// The partition states.
        partitions: Vec<(u32, PartitionState)>,
        /// Set on the answer to a registration: the incarnation registered.
        registered: Option<u64>,
        /// Per broker id: fenced at this version.
        fenced: Vec<bool>,
    },
    /// The client asks broker node `to` for metadata.
    MetadataRequest {
        /// The broker's node.
        to: usize,
    },
    /// The client opens a connection to broker `node`.
    Connect {
        /// The broker.
        node: u32,
        /// The connection generation.
        gen: u64,
        /// When the client gives up on unanswered SYNs (`connectionSetupTimeoutMs`).
        setup_timeout: SimTime,
    },
    /// The client asks broker node `to` for its API versions, on connection `gen`.
    ApiVersionsRequest {
        /// The broker's node.
        to: usize,
        /// The connection generation.
        gen: u64,
    },
    /// A TCP reset from node `from` to node `to`.
    Reset {
        /// The resetting node.
        from: usize,
        /// The peer.
        to: usize,
    },
    /// The client closed its connection to broker node `to`; its new generation is `gen`.
    ConnectionClosed {
        /// The broker's node.
        to: usize,
        /// The next generation.
        gen: u64,
    },
    /// A broker read `bytes` of an acks=0 request off the client's connection.
    WindowOpened {
        /// The client's node.
        writer: usize,
        /// The bytes read.
        bytes: u64,
    },
    /// Anything else (a metadata response), by its debug form.
    Other(String),
}

/// What the application was told about a record ([`ClientDriver::outcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Acknowledged.
    Acked,
    /// Failed (its exception reached the application).
    Failed,
}

/// The context a driver lends its component: time, configuration, the outbox, the pending
/// events, the outputs.
struct Rig {
    spec: RunSpec,
    now: SimTime,
    out: Vec<Command>,
    monitor: Monitor,
    tracer: Option<Tracer>,
    /// Pending events: (time, insertion order, event).
    timers: Vec<(SimTime, u64, Event)>,
    seq: u64,
    outputs: Vec<Output>,
}

impl Rig {
    fn new(spec: &RunSpec) -> Rig {
        Rig {
            spec: spec.clone(),
            now: 0,
            out: Vec::new(),
            monitor: Monitor::new(spec.cluster.partitions as usize),
            tracer: None,
            timers: Vec::new(),
            seq: 0,
            outputs: Vec::new(),
        }
    }

    /// Translates the outbox into pending events and outputs.
    fn absorb(&mut self) {
        for c in std::mem::take(&mut self.out) {
            match c {
                Command::Send { at, to, gen, msg, .. } => {
                    let o = output(at, to, gen, msg);
                    self.outputs.push(o);
                }
                Command::Schedule { at, event } => self.push_timer(at, event),
                Command::Write { to, gen, msg, then, .. } => {
                    let o = output(self.now, to, gen, msg);
                    self.outputs.push(o);
                    self.push_timer(self.now, then);
                }
                Command::Signal { events, .. } => {
                    for e in events {
                        self.push_timer(self.now, e);
                    }
                }
                Command::Reset { from, to, .. } => self.outputs.push(Output::Reset { from, to }),
                Command::Connect {
                    node,
                    gen,
                    setup_timeout,
                    ..
                } => self.outputs.push(Output::Connect {
                    node,
                    gen,
                    setup_timeout,
                }),
                Command::ConnectionGen { to, gen, .. } => self.outputs.push(Output::ConnectionClosed { to, gen }),
                Command::WindowOpened { writer, bytes, .. } => {
                    self.outputs.push(Output::WindowOpened { writer, bytes })
                }
            }
        }
    }

    fn push_timer(&mut self, at: SimTime, event: Event) {
        self.seq += 1;
        self.timers.push((at, self.seq, event));
    }

    /// The earliest pending event due at or before `t`, removed.
    fn pop_due(&mut self, t: SimTime) -> Option<(SimTime, Event)> {
        let i = (0..self.timers.len())
            .filter(|&i| self.timers[i].0 <= t)
            .min_by_key(|&i| (self.timers[i].0, self.timers[i].1))?;
        let (at, _, e) = self.timers.remove(i);
        Some((at, e))
    }
}

fn output(at: SimTime, to: usize, gen: u64, msg: Message) -> Output {
    match msg {
        Message::Produce(request) => Output::Produce { to, gen, request },
        Message::ProduceResponse { request, responses } => Output::ProduceResponse {
            to,
            gen,
            request,
            responses,
        },
        Message::Fetch {
            id,
            follower,
            partitions,
        } => Output::Fetch {
            to,
            id,
            follower,
            partitions,
        },
        Message::FetchResponse { id, partitions } => Output::FetchResponse { to, at, id, partitions },
        Message::Heartbeat {
            broker,
            incarnation,
            metadata_version,
        } => Output::Heartbeat {
            broker,
            incarnation,
            metadata_version,
        },
        Message::AlterPartition {
            broker,
            partition,
            leader_epoch,
            partition_epoch,
            new_isr,
        } => Output::AlterPartition {
            broker,
            partition,
            leader_epoch,
            partition_epoch,
            new_isr,
        },
        Message::MetadataUpdate {
            version,
            partitions,
            registered,
            fenced,
        } => Output::MetadataUpdate {
            to,
            at,
            version,
            partitions,
            registered,
            fenced,
        },
        Message::MetadataRequest { .. } => Output::MetadataRequest { to },
        Message::ApiVersionsRequest { .. } => Output::ApiVersionsRequest { to, gen },
        other => Output::Other(format!("{other:?}")),
    }
}

/// One broker with its context: produce and fetch requests in, responses, fetches and
/// AlterPartition proposals out; its timers (request handling, purgatory, fetch waits, ISR
/// checks, heartbeats) fire on [`BrokerDriver::advance_to`].
pub struct BrokerDriver {
    broker: Broker,
    rig: Rig,
    net: Network,
    next_request: u64,
    producer_gen: u64,
}

impl BrokerDriver {
    /// Broker `id` of `spec`'s cluster (replicas as `assign_replicas`), alive, with no metadata
    /// yet (give it some with [`BrokerDriver::apply_metadata`]). Its periodic timers are not
    /// started.
    pub fn new(spec: &RunSpec, id: u32) -> BrokerDriver {
        let assignment = assign_replicas(&spec.cluster);
        let nodes = spec.cluster.brokers as usize + 2;
        BrokerDriver {
            broker: Broker::new(id, spec, &assignment, rng_stream(spec.seed, Stream::Broker)),
            rig: Rig::new(spec),
            net: Network::new(&spec.network, nodes, rng_stream(spec.seed, Stream::Network)),
            next_request: 0,
            producer_gen: 1,
        }
    }

    fn handle<R>(&mut self, f: impl FnOnce(&mut Broker, &mut Ctx<'_>) -> R) -> R {
        let r = {
            let rig = &mut self.rig;
            let mut ctx =
                Ctx::new(rig.now, &rig.spec, &mut rig.out, &mut rig.monitor, &mut rig.tracer).with_net(&self.net);
            f(&mut self.broker, &mut ctx)
        };
        self.rig.absorb();
        r
    }

    /// The driver's simulated time.
    pub fn now(&self) -> SimTime {
        self.rig.now
    }

    /// The broker's id.
    pub fn id(&self) -> u32 {
        self.broker.id
    }

    /// The controller publishes `partitions` (metadata `version`): the broker becomes leader or
    /// follower of the partitions it hosts (`ReplicaManager.applyDelta`).
    pub fn apply_metadata(&mut self, version: u64, partitions: &[(u32, PartitionState)]) {
        self.handle(|b, ctx| b.apply_metadata(version, partitions, ctx));
    }

    /// A produce request with `acks` and one batch per `(partition, count, producer)` arrives
    /// from the producer (node `brokers + 1`) on the current connection; it is handled when
    /// the broker's CPU gets to it ([`BrokerDriver::advance_to`]). Returns the request's id.
    /// Each batch's id (its `batch` in the answer) is its index in `batches`.
    pub fn produce(&mut self, acks: Acks, batches: &[(u32, u32, super::components::ProducerInfo)]) -> u64 {
        self.next_request += 1;
        let id = self.next_request;
        let batches = batches
            .iter()
            .enumerate()
            .map(|(i, &(partition, count, producer))| ProduceBatch {
                batch: i as u32,
                partition,
                rec_start: 0,
                count,
                bytes: 100 * count,
                uncompressed_bytes: 100 * count,
                producer,
            })
            .collect();
        let req = ProduceRequest {
            id,
            acks,
            timeout: ms(self.rig.spec.producer.request_timeout_ms),
            batches,
        };
        let env = Envelope {
            from: self.rig.spec.cluster.brokers as usize + 1,
            to: World::broker_node(self.broker.id),
            gen: self.producer_gen,
            msg: Message::Produce(req),
        };
        self.handle(|b, ctx| b.receive(env, ctx));
        id
    }

    /// A follower's fetch request (`id`) reaches this broker (`ReplicaManager.fetchMessages`).
    pub fn fetch(&mut self, id: u64, follower: u32, partitions: Vec<FetchPartition>) {
        self.handle(|b, ctx| b.leader_handle_fetch(id, follower, partitions, ctx));
    }

    /// The leader's answer to this broker's fetch `id` arrives (the follower's side:
    /// truncation on divergence, appends, the high watermark, the next fetch).
    pub fn fetch_response(&mut self, leader: u32, id: u64, partitions: Vec<FetchPartitionData>) {
        self.handle(|b, ctx| b.follower_handle_fetch_response(leader, id, partitions, ctx));
    }

    /// Starts the broker's periodic heartbeats and ISR checks.
    pub fn start_timers(&mut self) {
        self.handle(|b, ctx| b.start_timers(ctx));
    }

    /// Fires every pending event due by `t`, in time order, then stays at `t`.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some((at, e)) = self.rig.pop_due(t) {
            self.rig.now = self.rig.now.max(at);
            match e {
                Event::BrokerRequestDone { incarnation, .. } => self.handle(|b, ctx| b.request_done(incarnation, ctx)),
                Event::PurgatoryTimeout { incarnation, .. } => {
                    self.handle(|b, ctx| b.purgatory_timeout(incarnation, ctx))
                }
                Event::FetchWaitExpired { incarnation, .. } => {
                    self.handle(|b, ctx| b.fetch_wait_expired(incarnation, ctx))
                }
                Event::SendFetch {
                    incarnation, leader, ..
                } => self.handle(|b, ctx| b.send_fetch(incarnation, leader, ctx.now, ctx)),
                Event::FetchTimeout {
                    incarnation, leader, ..
                } => self.handle(|b, ctx| b.fetch_timeout(incarnation, leader, ctx)),
                Event::IsrCheck { incarnation, .. } => self.handle(|b, ctx| b.isr_check(incarnation, ctx)),
                Event::HeartbeatTick { incarnation, .. } => self.handle(|b, ctx| b.heartbeat_tick(incarnation, ctx)),
                _ => {}
            }
        }
        self.rig.now = self.rig.now.max(t);
    }

    /// The time of the earliest pending event, if any.
    pub fn next_event_at(&self) -> Option<SimTime> {
        self.rig.timers.iter().map(|t| t.0).min()
    }

    /// What the broker sent since the last call.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.rig.outputs)
    }

    /// The broker's replica of partition `p`, if it hosts it.
    pub fn replica(&self, p: u32) -> Option<&super::components::Replica> {
        self.broker.replicas[p as usize].as_ref()
    }

    /// The broker's replica of partition `p`, to set up a test's starting state.
    pub fn replica_mut(&mut self, p: u32) -> Option<&mut super::components::Replica> {
        self.broker.replicas[p as usize].as_mut()
    }

    /// The broker's metadata for partition `p`.
    pub fn metadata(&self, p: u32) -> Option<&PartitionState> {
        self.broker.meta[p as usize].as_ref()
    }
}

/// The KRaft controller with its context: heartbeats and AlterPartition proposals in,
/// published partition states out; session checks fire on [`ControllerDriver::advance_to`].
pub struct ControllerDriver {
    controller: Controller,
    rig: Rig,
}

impl ControllerDriver {
    /// The controller of `spec`'s cluster at its start: the first assigned replica of each
    /// partition leads in epoch 0, every replica in the ISR, no broker fenced, no session
    /// check pending.
    pub fn new(spec: &RunSpec) -> ControllerDriver {
        ControllerDriver {
            controller: Controller::new(spec, &assign_replicas(&spec.cluster)),
            rig: Rig::new(spec),
        }
    }

    fn handle(&mut self, f: impl FnOnce(&mut Controller, &mut Ctx<'_>)) {
        {
            let rig = &mut self.rig;
            let mut ctx = Ctx::new(rig.now, &rig.spec, &mut rig.out, &mut rig.monitor, &mut rig.tracer);
            f(&mut self.controller, &mut ctx);
        }
        self.rig.absorb();
    }

    /// The driver's simulated time.
    pub fn now(&self) -> SimTime {
        self.rig.now
    }

    /// A heartbeat (or registration, for a new incarnation) from `broker`, which has applied
    /// metadata up to `metadata_version`.
    pub fn heartbeat(&mut self, broker: u32, incarnation: u64, metadata_version: u64) {
        let env = Envelope {
            from: World::broker_node(broker),
            to: self.rig.spec.cluster.brokers as usize,
            gen: 0,
            msg: Message::Heartbeat {
                broker,
                incarnation,
                metadata_version,
            },
        };
        self.handle(|c, ctx| c.on_message(env, ctx));
    }

    /// An AlterPartition proposal from `broker` (the partition's leader, it believes).
    pub fn alter_partition(
        &mut self,
        broker: u32,
        partition: u32,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<u32>,
    ) {
        let env = Envelope {
            from: World::broker_node(broker),
            to: self.rig.spec.cluster.brokers as usize,
            gen: 0,
            msg: Message::AlterPartition {
                broker,
                partition,
                leader_epoch,
                partition_epoch,
                new_isr,
            },
        };
        self.handle(|c, ctx| c.on_message(env, ctx));
    }

    /// The session check of `broker`'s session as of `seen` heartbeats
    /// (`BrokerHeartbeatManager`): fences it if no heartbeat came since.
    pub fn session_check(&mut self, broker: u32, seen: u64) {
        self.handle(|c, ctx| c.session_check(broker, seen, ctx));
    }

    /// Fires the session checks due by `t`, in time order, then stays at `t`.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some((at, e)) = self.rig.pop_due(t) {
            self.rig.now = self.rig.now.max(at);
            if let Event::SessionCheck { broker, seen } = e {
                self.handle(|c, ctx| c.session_check(broker, seen, ctx));
            }
        }
        self.rig.now = self.rig.now.max(t);
    }

    /// The controller's state (partition states, fenced brokers, metadata version).
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// What the controller sent since the last call.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.rig.outputs)
    }
}
