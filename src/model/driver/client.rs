//! The producer client's driver: the client alone, the test answering as the brokers and the
//! network (connects, `ApiVersions`, produce and metadata responses, written requests).

use super::Output;
use super::{RecordOutcome, Rig};
use crate::config::RunSpec;
use crate::model::context::Ctx;
use crate::model::controller::{assign_replicas, Controller};
use crate::model::ledger::Outcome;
use crate::model::producer::client::Client;
use crate::model::sender::ConnState;
use crate::model::{Envelope, Event, Message, PartitionResponse, ProduceRequest, World};
use crate::sim::SimTime;

/// The producer client (`KafkaProducer`: accumulator, sender, transaction manager) with its
/// context and the cluster's initial metadata (the first assigned replica leads each partition
/// in epoch 0). The application's `send()` calls are [`ClientDriver::send`]; the sender's pass
/// is [`ClientDriver::run_sender`]; broker answers are [`ClientDriver::respond`].
pub struct ClientDriver {
    client: Client,
    rig: Rig,
    /// Requests stay partly written until the test advances time ([`ClientDriver::slow_socket`]).
    slow_socket: bool,
}

impl ClientDriver {
    /// The client of `spec`, every record of the application going to partition `partition`.
    pub fn new(spec: &RunSpec, partition: u32) -> ClientDriver {
        let mut spec = spec.clone();
        spec.workload.partition = Some(partition);
        let mut client = Client::new(&spec, spec.cluster.brokers as usize + 1, 0);
        // The controller's initial state: the first assigned replica leads, every replica in the ISR.
        let parts = Controller::new(&spec, &assign_replicas(&spec.cluster)).snapshot();
        client.sender.apply_initial_metadata(&parts);
        ClientDriver {
            client,
            rig: Rig::new(&spec),
            slow_socket: false,
        }
    }

    fn handle<R>(&mut self, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        let r = self.handle_once(f);
        if !self.slow_socket {
            // No network: a request is fully written as soon as it is sent.
            while let Some(i) = (0..self.rig.timers.len()).find(|&i| {
                let (at, _, e) = &self.rig.timers[i];
                *at <= self.rig.now && matches!(e, Event::RequestWritten { .. })
            }) {
                if let (_, _, Event::RequestWritten { node, request }) = self.rig.timers.remove(i) {
                    self.handle_once(|c, ctx| c.request_written(node, request, ctx));
                }
            }
        }
        r
    }

    fn handle_once<R>(&mut self, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        let (r, now) = {
            let rig = &mut self.rig;
            let mut ctx = Ctx::new(rig.now, &rig.spec, &mut rig.out, &mut rig.monitor, &mut rig.tracer);
            let r = f(&mut self.client, &mut ctx);
            (r, ctx.now)
        };
        self.rig.now = now;
        self.rig.absorb();
        r
    }

    /// From now on a request sent is fully written to the socket only when the test advances
    /// time ([`ClientDriver::advance_to`] fires the write's completion); by default it is
    /// written as soon as it is sent.
    pub fn slow_socket(&mut self) {
        self.slow_socket = true;
    }

    /// The driver's simulated time.
    pub fn now(&self) -> SimTime {
        self.rig.now
    }

    /// `n` `send()` calls now, each appending one record to the partition's open batch.
    pub fn send(&mut self, n: u64) {
        for _ in 0..n {
            self.handle(|c, ctx| c.app_arrival(ctx));
        }
    }

    /// `n` `send()` calls now to partition `partition` (the application's partition moves
    /// there for the rest of the test).
    pub fn send_to(&mut self, partition: u32, n: u64) {
        self.rig.spec.workload.partition = Some(partition);
        self.send(n);
    }

    /// `KafkaProducer.flush()`: every batch is ready at once; the sender wakes now.
    pub fn flush(&mut self) {
        self.handle(|c, ctx| c.flush(ctx));
    }

    /// `send()` calls now until the partition's head batch is full (or a second batch is
    /// behind it); returns the head batch.
    pub fn fill_batch(&mut self, partition: u32) -> crate::model::components::BatchId {
        self.rig.spec.workload.partition = Some(partition);
        loop {
            self.send(1);
            let acc = &self.client.acc;
            let head = *acc.deques[partition as usize].front().expect("a batch");
            if acc.deques[partition as usize].len() > 1 || acc.batches[head as usize].is_full() {
                return head;
            }
        }
    }

    /// The connection to broker `node` is established (as if the network answered its
    /// connect).
    pub fn connected(&mut self, node: u32) {
        self.client.sender.conns[node as usize].state = ConnState::Connected;
    }

    /// Broker `node` cannot be connected to for the rest of the test (its reconnect backoff
    /// never ends).
    pub fn unreachable(&mut self, node: u32) {
        self.client.sender.conns[node as usize].state = ConnState::Disconnected { ready_at: SimTime::MAX };
    }

    /// The network's answer to the client's connect to broker `node`.
    pub fn connect_done(&mut self, node: u32, ok: bool) {
        let gen = self.client.sender.conns[node as usize].gen;
        self.handle(|c, ctx| c.connect_done(node, gen, ok, ctx));
    }

    /// Broker `node` answers the client's `ApiVersionsRequest` on the current connection.
    pub fn api_versions_response(&mut self, node: u32) {
        let gen = self.client.sender.conns[node as usize].gen;
        let Some(id) = self.client.sender.in_flight[node as usize].front().map(|r| r.id) else {
            return;
        };
        let env = Envelope {
            from: World::broker_node(node),
            to: self.client.node,
            gen,
            msg: Message::ApiVersionsResponse { id },
        };
        self.handle(|c, ctx| c.on_message(env, ctx));
    }

    /// `NetworkClient.connectionDelay`: disconnected, the time left of the reconnect backoff;
    /// connecting, the connection-setup timeout; otherwise `SimTime::MAX`.
    pub fn connection_delay(&self, node: u32) -> SimTime {
        let c = &self.client.sender.conns[node as usize];
        match c.state {
            ConnState::Disconnected { ready_at } => ready_at.saturating_sub(self.rig.now),
            ConnState::Connecting => c.setup_timeout.unwrap_or(0),
            _ => SimTime::MAX,
        }
    }

    /// Whether the client's connection to broker `node` is ready for requests
    /// (`ClusterConnectionStates.isReady`).
    pub fn is_ready(&self, node: u32) -> bool {
        self.client.sender.conns[node as usize].state == ConnState::Connected
    }

    /// Whether a metadata request is in flight.
    pub fn metadata_in_flight(&self) -> bool {
        self.client.sender.metadata_in_flight().is_some()
    }

    /// A broker answers the metadata request in flight with `(leader, leader epoch)` per
    /// partition (nothing happens when none is in flight).
    pub fn metadata_response(&mut self, partitions: Vec<(Option<u32>, u32)>) {
        let Some(id) = self.client.sender.metadata_in_flight() else {
            return;
        };
        let env = Envelope {
            from: 0,
            to: self.client.node,
            gen: 0,
            msg: Message::MetadataResponse { id, partitions },
        };
        self.handle(|c, ctx| c.on_message(env, ctx));
    }

    /// The connection to broker `node` is reset (a TCP RST reaches the client).
    pub fn connection_reset(&mut self, node: u32) {
        let gen = self.client.sender.conns[node as usize].gen;
        self.handle(|c, ctx| c.connection_reset(node, gen, ctx));
    }

    /// One sender pass (`Sender.sendProducerData`) at the driver's time; true when it sent a
    /// request.
    pub fn run_sender(&mut self) -> bool {
        self.handle(|c, ctx| c.sender_pass(ctx))
    }

    /// A produce response from broker `node` on its current connection.
    pub fn respond(&mut self, node: u32, request: u64, responses: Vec<PartitionResponse>) {
        let env = Envelope {
            from: World::broker_node(node),
            to: self.client.node,
            gen: self.client.sender.conns[node as usize].gen,
            msg: Message::ProduceResponse { request, responses },
        };
        self.handle(|c, ctx| c.on_message(env, ctx));
    }

    /// Moves the driver's time to `t` (not back), firing the client's pending timers due by
    /// then (sender wake-ups, request and metadata timeouts, acks=0 writes, connects) in time
    /// order.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some((at, e)) = self.rig.pop_due(t) {
            self.rig.now = self.rig.now.max(at);
            match e {
                Event::SenderWake => self.handle(|c, ctx| c.sender_wake(ctx)),
                Event::RequestWritten { node, request } => self.handle(|c, ctx| c.request_written(node, request, ctx)),
                Event::MetadataDue => self.handle(|c, ctx| c.metadata_due(ctx)),
                Event::RequestTimeout { node } => self.handle(|c, ctx| c.request_timeout(node, ctx)),
                Event::ConnectDone { node, gen, ok } => self.handle(|c, ctx| c.connect_done(node, gen, ok, ctx)),
                Event::MemoryWaitTimeout { waiter } => self.handle(|c, ctx| c.memory_wait_timeout(waiter, ctx)),
                Event::MetadataTimeout { id } => self.handle(|c, ctx| c.metadata_timeout(id, ctx)),
                Event::ConnectionReset { node, gen } => self.handle(|c, ctx| c.connection_reset(node, gen, ctx)),
                _ => {}
            }
        }
        self.rig.now = self.rig.now.max(t);
    }

    /// Moves the driver's time to `t` without firing anything (a test that runs the sender
    /// itself).
    pub fn set_time(&mut self, t: SimTime) {
        self.rig.now = self.rig.now.max(t);
    }

    /// What the client sent since the last call.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.rig.outputs)
    }

    /// The produce requests among `outputs`: (broker node, request).
    pub fn produces(outputs: &[Output]) -> Vec<(usize, &ProduceRequest)> {
        outputs
            .iter()
            .filter_map(|o| match o {
                Output::Produce { to, request, .. } => Some((*to, request)),
                _ => None,
            })
            .collect()
    }

    /// The accumulator.
    pub fn accumulator(&self) -> &crate::model::components::Accumulator {
        &self.client.acc
    }

    /// The sender (metadata, the transaction manager).
    pub fn sender(&self) -> &crate::model::components::Sender {
        &self.client.sender
    }

    /// Requests in flight to broker `node`.
    pub fn in_flight(&self, node: u32) -> usize {
        self.client.sender.in_flight[node as usize].len()
    }

    /// Retries so far.
    pub fn retries(&self) -> u64 {
        self.client.sender.retries
    }

    /// Batches split after `MESSAGE_TOO_LARGE` so far.
    pub fn splits(&self) -> u64 {
        self.client.sender.splits
    }

    /// What the application was told about record `rec` of partition `p` (`None`: nothing
    /// yet).
    pub fn outcome(&self, p: u32, rec: u64) -> Option<RecordOutcome> {
        let ranges = &self.client.ledger.outcomes[p as usize].ranges;
        let (_, &(end, o)) = ranges.range(..=rec).next_back()?;
        (rec < end).then_some(match o {
            Outcome::Acked => RecordOutcome::Acked,
            Outcome::Failed => RecordOutcome::Failed,
            Outcome::Unseen => return None,
        })
    }
}
