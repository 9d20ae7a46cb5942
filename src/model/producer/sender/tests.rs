//! The client alone, driven by a bare [`Ctx`]: its sender's decisions are read from the outbox
//! (no network, no broker, no queue). Each test names the Kafka test it mirrors.

use super::*;
use crate::config::{Acks, SendMode};
use crate::model::components::{assign_replicas, Controller};
use crate::model::context::{Command, Ctx};
use crate::model::ledger::Outcome;
use crate::model::monitor::Monitor;
use crate::model::producer::client::Client;
use crate::model::tracer::Tracer;
use crate::model::{Envelope, ErrorCode, PartitionResponse};

/// A client of `spec` at node `brokers + 1` with the cluster's initial metadata, and what a
/// handler's context needs.
struct Rig {
    spec: RunSpec,
    client: Client,
    out: Vec<Command>,
    monitor: Monitor,
    tracer: Option<Tracer>,
}

impl Rig {
    fn new(mut spec: RunSpec) -> Rig {
        // Every record goes to partition 0 (led by broker 0).
        spec.workload.partition = Some(0);
        let mut client = Client::new(&spec, spec.cluster.brokers as usize + 1, 0);
        // The controller's initial state: the first assigned replica leads, every replica in the ISR.
        let parts = Controller::new(&spec, &assign_replicas(&spec.cluster)).snapshot();
        assert_eq!(parts[0].1.leader, Some(0));
        client.sender.apply_initial_metadata(&parts);
        let monitor = Monitor::new(spec.cluster.partitions as usize);
        Rig {
            spec,
            client,
            out: Vec::new(),
            monitor,
            tracer: None,
        }
    }

    /// Runs a handler at `now` on a fresh outbox.
    fn at<R>(&mut self, now: SimTime, f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> R) -> R {
        self.out.clear();
        let mut ctx = Ctx::new(now, &self.spec, &mut self.out, &mut self.monitor, &mut self.tracer);
        f(&mut self.client, &mut ctx)
    }

    /// `send()` calls at `now` until partition 0's head batch is full; returns it.
    fn fill_batch(&mut self, now: SimTime) -> BatchId {
        loop {
            self.at(now, |c, ctx| c.app_arrival(ctx));
            let acc = &self.client.acc;
            let head = *acc.deques[0].front().unwrap();
            if acc.deques[0].len() > 1 || acc.batches[head as usize].is_full() {
                return head;
            }
        }
    }

    /// The produce requests of the last outbox (sent, or written then marked written):
    /// (to, gen, request).
    fn produces(&self) -> Vec<(usize, u64, &ProduceRequest)> {
        self.out
            .iter()
            .filter_map(|c| match c {
                Command::Send {
                    to,
                    gen,
                    msg: Message::Produce(r),
                    ..
                }
                | Command::Write {
                    to,
                    gen,
                    msg: Message::Produce(r),
                    ..
                } => Some((*to, *gen, r)),
                _ => None,
            })
            .collect()
    }

    /// Every produce request of the last outbox is fully written (the `Write` follow-ups).
    fn written(&mut self, now: SimTime) {
        let done: Vec<(u32, u64)> = self
            .out
            .iter()
            .filter_map(|c| match c {
                Command::Write {
                    then: Event::RequestWritten { node, request },
                    ..
                } => Some((*node, *request)),
                _ => None,
            })
            .collect();
        for (node, request) in done {
            self.at(now, |c, ctx| c.request_written(node, request, ctx));
        }
    }

    fn connected(&mut self, node: usize) {
        self.client.sender.conns[node].state = ConnState::Connected;
    }

    /// A produce response from broker 0 on connection `gen`, answering `batch` with `error`.
    fn respond(&mut self, now: SimTime, request: u64, batch: BatchId, error: ErrorCode) {
        let env = Envelope {
            from: 0,
            to: self.client.node,
            gen: self.client.sender.conns[0].gen,
            msg: Message::ProduceResponse {
                request,
                responses: vec![PartitionResponse {
                    batch,
                    partition: 0,
                    error,
                    base_offset: 0,
                    leader_hint: None,
                }],
            },
        };
        self.at(now, |c, ctx| c.on_message(env, ctx));
    }
}

/// `NetworkClient.initiateConnect` then `SenderTest.testIdempotenceWithMultipleInflights`: a
/// pass towards a disconnected leader asks the network to connect (a `Connect` command, no
/// produce); once connected, each full batch goes out in one produce request to its leader,
/// stamped with the producer id and consecutive sequences (0, then the first batch's count).
#[test]
fn a_full_batch_goes_to_its_connected_leader_with_the_next_sequence() {
    let mut rig = Rig::new(RunSpec::default());
    let node = rig.client.node;
    let first = rig.fill_batch(0);
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    assert!(rig.produces().is_empty(), "not connected yet");
    assert!(
        // socket.connection.setup.timeout.ms with its jitter, in whole ms
        matches!(rig.out[..], [Command::Connect { from, to: 0, node: 0, gen: 1, setup_timeout }, ..]
            if from == node && (ms(8_000)..ms(12_000)).contains(&setup_timeout) && setup_timeout % ms(1) == 0),
        "{:?}",
        rig.out
    );
    assert_eq!(rig.client.sender.conns[0].state, ConnState::Connecting);
    rig.at(ms(1), |c, ctx| c.connect_done(0, 1, true, ctx));
    assert_eq!(rig.client.sender.conns[0].state, ConnState::CheckingApiVersions);
    let id = rig.client.sender.in_flight[0][0].id;
    rig.at(ms(1), |c, ctx| c.api_versions_response(0, 1, id, ctx));
    assert_eq!(rig.client.sender.conns[0].state, ConnState::Connected);

    assert!(rig.at(ms(1), |c, ctx| c.sender_pass(ctx)), "it sent");
    let sent = rig.produces();
    assert_eq!(sent.len(), 1, "{:?}", rig.out);
    let (to, gen, req) = sent[0];
    assert_eq!((to, gen), (0, 1));
    assert_eq!(req.acks, Acks::All);
    assert_eq!(req.batches.len(), 1);
    let pb = req.batches[0];
    assert_eq!(pb.batch, first);
    let count = rig.client.acc.batches[first as usize].count;
    assert!(count > 1);
    assert_eq!((pb.producer.pid, pb.producer.epoch, pb.producer.base_seq), (1000, 0, 0));
    assert_eq!(rig.client.sender.in_flight[0].len(), 1);
    // request.timeout.ms from the send (the ApiVersions request armed the node's timer).
    assert_eq!(rig.client.sender.in_flight[0][0].deadline, ms(1) + ms(30_000));

    rig.written(ms(1));
    let second = rig.fill_batch(ms(2));
    rig.at(ms(2), |c, ctx| c.sender_pass(ctx));
    let sent = rig.produces();
    assert_eq!(sent.len(), 1, "{:?}", rig.out);
    assert_eq!(sent[0].2.batches[0].batch, second);
    assert_eq!(sent[0].2.batches[0].producer.base_seq, count as i32);
    let second_count = rig.client.acc.batches[second as usize].count;
    assert_eq!(rig.client.sender.tm.next_sequence(0), (count + second_count) as i32);

    // Negative control: without idempotence a batch carries no sequence.
    let mut spec = RunSpec::default();
    spec.producer.enable_idempotence = Some(false);
    let mut rig = Rig::new(spec);
    rig.connected(0);
    rig.fill_batch(0);
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    assert_eq!(rig.produces()[0].2.batches[0].producer.base_seq, -1);
}

/// acks=0 completes when the request is written (`NetworkClient.handleCompletedSends`): the
/// send is a `Write` command whose follow-up is `RequestWritten`, which succeeds the batch.
#[test]
fn an_acks_zero_request_completes_when_written() {
    let mut spec = RunSpec::default();
    spec.producer.acks = Acks::Zero;
    let mut rig = Rig::new(spec);
    rig.connected(0);
    let batch = rig.fill_batch(0);
    let (start, count) = {
        let b = &rig.client.acc.batches[batch as usize];
        (b.rec_start, b.count as u64)
    };
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    let request = match &rig.out[..] {
        [Command::Write {
            to: 0,
            msg: Message::Produce(r),
            then: Event::RequestWritten { node: 0, request },
            ..
        }, ..] => {
            assert_eq!(r.id, *request);
            *request
        }
        other => panic!("{other:?}"),
    };
    rig.at(ms(1), |c, ctx| c.request_written(0, request, ctx));
    assert_eq!(
        rig.client.ledger.outcomes[0].ranges.get(&start),
        Some(&(start + count, Outcome::Acked))
    );
}

/// `SenderTest.testRetries` with `RecordAccumulatorTest.testRetryBackoff`: a retriable error
/// puts the batch back at the head of its deque with one more attempt; it is not drained during
/// `retry.backoff.ms` (jittered), then it goes again with the same sequence.
#[test]
fn a_retriable_error_reenqueues_the_batch_with_backoff() {
    let mut rig = Rig::new(RunSpec::default());
    rig.connected(0);
    let batch = rig.fill_batch(0);
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    let request = rig.produces()[0].2.id;
    assert!(rig.client.acc.deques[0].front() != Some(&batch), "drained");

    let t = ms(10);
    rig.respond(t, request, batch, ErrorCode::NotLeaderOrFollower);
    let b = &rig.client.acc.batches[batch as usize];
    assert_eq!(rig.client.acc.deques[0].front(), Some(&batch), "back at the head");
    assert_eq!(b.attempts, 1);
    assert!(b.retrying && !b.in_flight);
    let until = b.backoff_until;
    assert!(until >= t + ms(80) && until <= t + ms(120), "{until}");
    assert_eq!(rig.client.sender.retries, 1);
    assert!(
        rig.client.sender.metadata.update_requested(),
        "NOT_LEADER_OR_FOLLOWER invalidates metadata"
    );
    assert!(
        rig.client.ledger.outcomes[0].ranges.is_empty(),
        "the application is not told"
    );
    // The next pass refreshes metadata and wakes the sender when the backoff ends.
    rig.client.sender.wake_at = SimTime::MAX;
    rig.at(t, |c, ctx| c.sender_pass(ctx));
    assert!(rig.produces().is_empty(), "backing off: {:?}", rig.out);
    assert!(rig.out.iter().any(|c| matches!(
        c,
        Command::Send {
            msg: Message::MetadataRequest { .. },
            ..
        }
    )));
    assert!(rig.out.iter().any(|c| matches!(
        c,
        Command::Schedule {
            event: Event::SenderWake,
            at
        } if *at == until
    )));

    rig.at(until - 1, |c, ctx| c.sender_pass(ctx));
    assert!(rig.produces().is_empty(), "backing off: {:?}", rig.out);
    rig.at(until, |c, ctx| c.sender_pass(ctx));
    let sent = rig.produces();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].2.batches[0].batch, batch);
    assert_eq!(sent[0].2.batches[0].producer.base_seq, 0, "a retry keeps its sequence");
}

/// `RecordAccumulatorTest.testExpiredBatches` and `SenderTest.testInflightBatchesExpireOnDeliveryTimeout`:
/// `delivery.timeout.ms` after creation a queued batch and an in-flight one fail, the ledger
/// records the failure, the memory returns; the in-flight one, a first attempt, leaves its
/// sequence resolved (`Sender.sendProducerData` marks only batches `inRetry()`), and its late
/// success does not change what the application was told.
#[test]
fn an_expired_batch_fails_and_the_ledger_records_it() {
    let mut rig = Rig::new(RunSpec::default());
    let dt = ms(rig.spec.producer.delivery_timeout_ms());
    // Broker 0 backs off reconnecting for longer than the test: the batch stays queued.
    rig.client.sender.conns[0].state = ConnState::Disconnected { ready_at: SimTime::MAX };
    let queued = rig.fill_batch(0);
    let (start, count) = {
        let b = &rig.client.acc.batches[queued as usize];
        (b.rec_start, b.count as u64)
    };
    rig.at(dt - 1, |c, ctx| c.sender_pass(ctx));
    assert_eq!(rig.client.acc.deques[0].front(), Some(&queued), "not yet");
    rig.at(dt, |c, ctx| c.sender_pass(ctx));
    assert!(!rig.client.acc.deques[0].contains(&queued));
    assert_eq!(outcome(&rig, start), Some(Outcome::Failed));
    assert_eq!(outcome(&rig, start + count - 1), Some(Outcome::Failed));
    assert!(!rig.client.sender.tm.is_unresolved(0), "never sent: its fate is known");

    // In flight.
    let mut rig = Rig::new(RunSpec::default());
    rig.connected(0);
    let batch = rig.fill_batch(0);
    let (start, count) = {
        let b = &rig.client.acc.batches[batch as usize];
        (b.rec_start, b.count as u64)
    };
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    let request = rig.produces()[0].2.id;
    rig.client.sender.conns[0].state = ConnState::Disconnected { ready_at: SimTime::MAX };
    rig.at(dt, |c, ctx| c.sender_pass(ctx));
    assert_eq!(outcome(&rig, start), Some(Outcome::Failed));
    assert_eq!(outcome(&rig, start + count - 1), Some(Outcome::Failed));
    assert!(
        !rig.client.sender.tm.is_unresolved(0),
        "a first attempt that expires is not unresolved (only a batch in retry is)"
    );
    rig.respond(dt + 1, request, batch, ErrorCode::None);
    assert_eq!(
        outcome(&rig, start),
        Some(Outcome::Failed),
        "a late answer is only logged"
    );
    assert_eq!(
        rig.client.acc.free_memory,
        rig.spec.producer.buffer_memory - reserved_open(&rig)
    );
}

/// `workload.resend_failed_attempts = 1`: an in-flight batch that expires fails to the
/// application, which sends its records again (same identities, a new unsequenced batch, the
/// records pending again); the first copy's late success changes nothing; when the re-send
/// fails too, the application has used its one re-send and the records stay failed.
/// Fire-and-forget never learns the failure, and after the window nothing is re-sent.
#[test]
fn an_application_resends_an_expired_batch_once() {
    let run = |mode: SendMode, stopped: bool| {
        let mut spec = RunSpec::default();
        spec.workload.resend_failed_attempts = 1;
        spec.producer.send_mode = mode;
        let mut rig = Rig::new(spec);
        rig.client.app.stopped = stopped;
        let dt = ms(rig.spec.producer.delivery_timeout_ms());
        rig.connected(0);
        let batch = rig.fill_batch(0);
        let (start, count) = {
            let b = &rig.client.acc.batches[batch as usize];
            (b.rec_start, b.count)
        };
        rig.at(0, |c, ctx| c.sender_pass(ctx));
        let request = rig.produces()[0].2.id;
        rig.client.sender.conns[0].state = ConnState::Disconnected { ready_at: SimTime::MAX };
        rig.at(dt, |c, ctx| c.sender_pass(ctx));
        let resent = rig.client.acc.deques[0]
            .iter()
            .copied()
            .find(|&b| rig.client.acc.batches[b as usize].rec_start == start);
        (rig, batch, request, resent, (start, count), dt)
    };
    let (mut rig, batch, request, resent, (start, count), dt) = run(SendMode::Async, false);
    let resent = resent.expect("the expired records are sent again");
    let b = &rig.client.acc.batches[resent as usize];
    assert_eq!((b.count, b.seq, b.resends, b.created), (count, -1, 1, dt));
    assert_eq!(
        outcome(&rig, start),
        None,
        "pending again: the re-send's outcome is the final one"
    );
    rig.respond(dt + 1, request, batch, ErrorCode::None);
    assert_eq!(
        outcome(&rig, start),
        None,
        "the first copy's late success is only logged"
    );
    rig.at(2 * dt, |c, ctx| c.sender_pass(ctx));
    assert_eq!(outcome(&rig, start), Some(Outcome::Failed), "the re-send expired too");
    assert!(
        !rig.client.acc.deques[0]
            .iter()
            .any(|&b| rig.client.acc.batches[b as usize].rec_start == start),
        "one re-send at most"
    );
    let r = rig.client.ledger.result(&rig.spec, 2 * dt);
    // Every record (the open batch's too, expired in the queue) was sent twice and failed twice.
    assert_eq!(r.records_sent, 2 * rig.client.ledger.sent[0]);
    assert_eq!(r.records_failed, r.records_sent, "one outcome per send() call");

    for (mode, stopped) in [(SendMode::FireAndForget, false), (SendMode::Async, true)] {
        let (rig, _, _, resent, (start, _), _) = run(mode, stopped);
        assert_eq!(resent, None, "{mode:?}, window over: {stopped}");
        assert_eq!(outcome(&rig, start), Some(Outcome::Failed));
    }
}

/// What the application was told about record `rec` of partition 0.
fn outcome(rig: &Rig, rec: u64) -> Option<Outcome> {
    let ranges = &rig.client.ledger.outcomes[0].ranges;
    let (_, &(end, o)) = ranges.range(..=rec).next_back()?;
    (rec < end).then_some(o)
}

/// Memory still held by the batches the accumulator has (the open one after `fill_batch`).
fn reserved_open(rig: &Rig) -> u64 {
    let acc = &rig.client.acc;
    acc.deques
        .iter()
        .flatten()
        .map(|&b| acc.batches[b as usize].reserved)
        .sum()
}

/// `NetworkClientTest.testDefaultRequestTimeout` (its `testRequestTimeout` helper): at
/// `request.timeout.ms` the connection is closed, the request fails (the batch is retried),
/// metadata is requested, and the network learns the connection's new generation.
#[test]
fn a_request_timeout_disconnects_and_bumps_the_connection_generation() {
    let mut rig = Rig::new(RunSpec::default());
    let node = rig.client.node;
    rig.connected(0);
    let batch = rig.fill_batch(0);
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    let deadline = ms(rig.spec.producer.request_timeout_ms);

    rig.at(deadline - 1, |c, ctx| c.request_timeout(0, ctx));
    assert!(rig.out.is_empty(), "a stale timer event does nothing");
    assert_eq!(rig.client.sender.in_flight[0].len(), 1);

    rig.at(deadline, |c, ctx| c.request_timeout(0, ctx));
    assert!(
        matches!(rig.out[0], Command::ConnectionGen { from, to: 0, gen: 2 } if from == node),
        "{:?}",
        rig.out
    );
    let c = &rig.client.sender.conns[0];
    assert_eq!(c.gen, 2);
    assert!(matches!(c.state, ConnState::Disconnected { ready_at } if ready_at > deadline));
    assert!(rig.client.sender.in_flight[0].is_empty());
    assert_eq!(rig.client.acc.deques[0].front(), Some(&batch), "retried");
    assert_eq!(rig.client.acc.batches[batch as usize].attempts, 1);
    assert!(rig.client.sender.metadata.update_requested());
    // An answer on the old connection is ignored.
    let before = rig.client.acc.batches[batch as usize].attempts;
    let env = Envelope {
        from: 0,
        to: node,
        gen: 1,
        msg: Message::ProduceResponse {
            request: 1,
            responses: vec![PartitionResponse {
                batch,
                partition: 0,
                error: ErrorCode::None,
                base_offset: 0,
                leader_hint: None,
            }],
        },
    };
    rig.at(deadline + 1, |c, ctx| c.on_message(env, ctx));
    assert!(rig.client.ledger.outcomes[0].ranges.is_empty());
    assert_eq!(rig.client.acc.batches[batch as usize].attempts, before);
}

/// A connected client of one broker leading partitions `0..partitions`, with
/// `max.request.size` `max_request` (a one-record batch is 170 bytes).
fn drain_rig(partitions: u32, max_request: u32) -> Rig {
    let mut spec = RunSpec::default();
    spec.cluster.brokers = 1;
    spec.cluster.replication_factor = 1;
    spec.cluster.partitions = partitions;
    spec.producer.max_request_size = max_request;
    let mut rig = Rig::new(spec);
    assert_eq!(
        rig.client.sender.node_partitions[0],
        (0..partitions).collect::<Vec<_>>()
    );
    rig.connected(0);
    rig
}

impl Rig {
    /// One record appended to each of `partitions` (a new batch where the last was drained).
    fn append_to(&mut self, partitions: &[u32]) {
        for &p in partitions {
            let rec = self.client.ledger.sent[p as usize];
            assert!(matches!(
                self.client.acc.append(p, 0, 0, rec),
                crate::model::accumulator::Append::Done { .. }
            ));
            self.client.ledger.sent[p as usize] += 1;
        }
    }

    /// `drainBatchesForOneNode` for broker 0: the partitions of the batches drained, in order.
    fn drain(&mut self) -> Vec<u32> {
        let ids = self.at(0, |c, ctx| c.drain_node(0, ctx));
        ids.iter()
            .map(|&b| self.client.acc.batches[b as usize].partition)
            .collect()
    }
}

/// `RecordAccumulatorTest.testDrainBatches` and `testPartialDrain`, with four partitions on one
/// node: a request takes batches until the next would exceed `max.request.size`, and the node's
/// drain stops there (`break`); `updateDrainIndex` is called before each partition visited, so
/// the next drain starts at the partition that stopped this one (or, after a whole round, at the
/// last one visited), not one past where the previous drain started: a partition that keeps
/// getting records cannot starve the ones after it.
#[test]
fn drain_stops_at_max_request_size_and_resumes_where_it_stopped() {
    let mut rig = drain_rig(4, 200);
    rig.append_to(&[1, 2, 3]);
    assert_eq!(
        rig.drain(),
        [1],
        "partial drain: one batch fits, the drain stops at partition 2"
    );
    assert_eq!(rig.client.sender.drain_index[0], 2);
    rig.append_to(&[1]);
    assert_eq!(rig.drain(), [2], "resumes at partition 2, not at 1 again");
    assert_eq!(rig.drain(), [3], "partition 0 is empty; the drain stops at partition 1");
    assert_eq!(rig.drain(), [1]);
    assert_eq!(rig.drain(), Vec::<u32>::new());

    // A whole round: the index stays at the last partition visited, where the next drain starts.
    let mut rig = drain_rig(4, 1 << 20);
    rig.append_to(&[0, 1, 2, 3]);
    assert_eq!(rig.drain(), [0, 1, 2, 3]);
    assert_eq!(rig.client.sender.drain_index[0], 3);
    rig.append_to(&[0, 1, 2, 3]);
    assert_eq!(rig.drain(), [3, 0, 1, 2]);
}

/// `RecordAccumulatorTest.testReadyAndDrainWhenABatchIsBeingRetried`'s drain rule and reference
/// 4.3 (correction): when `shouldStopDrainBatchesForPartition` holds for a partition (here its
/// sequence is unresolved), the whole node's drain stops there (`break`), and the next drain
/// starts at that partition: nothing led by the node is drained until it may go.
#[test]
fn idempotent_drain_stop_ends_the_nodes_drain() {
    let mut rig = drain_rig(3, 1 << 20);
    rig.append_to(&[0, 1, 2]);
    // Partition 1 had a batch (sequence 0, one record) that expired in retry: its fate is
    // unknown (`markSequenceUnresolved`).
    rig.client.sender.tm.assign_sequence(1, 999, 1);
    rig.client.sender.tm.mark_unresolved(1, 0, 1, 0);
    rig.client.sender.tm.batch_finished(1, 999, 0, 1, 0, false);
    assert!(rig.client.sender.tm.is_unresolved(1));
    assert_eq!(rig.drain(), [0], "stops at partition 1: partition 2 waits too");
    assert_eq!(rig.client.sender.drain_index[0], 1);
    assert_eq!(
        rig.drain(),
        Vec::<u32>::new(),
        "starts at partition 1 and stops at once"
    );
}

/// What lets a producer's arrivals run ahead of every broker (`World::run_ahead`): nothing it
/// sent awaits an answer. A connection being set up, the `ApiVersions` round trip and a
/// produce request each await one, until answered; with acks=0 a broker may close the
/// connection after any request, so such a producer never counts as awaiting nothing.
#[test]
fn a_producer_awaits_nothing_only_when_every_request_is_answered() {
    let mut rig = Rig::new(RunSpec::default());
    let awaits_nothing = |rig: &Rig| rig.client.sender.awaits_nothing(Acks::All);
    assert!(awaits_nothing(&rig), "a new producer has sent nothing");
    assert!(!rig.client.sender.awaits_nothing(Acks::Zero));
    let batch = rig.fill_batch(0);
    assert!(awaits_nothing(&rig), "appending sends nothing");
    rig.at(0, |c, ctx| c.sender_pass(ctx));
    assert_eq!(rig.client.sender.conns[0].state, ConnState::Connecting);
    assert!(!awaits_nothing(&rig), "connecting");
    rig.at(ms(1), |c, ctx| c.connect_done(0, 1, true, ctx));
    assert!(!awaits_nothing(&rig), "ApiVersions in flight");
    let id = rig.client.sender.in_flight[0][0].id;
    rig.at(ms(1), |c, ctx| c.api_versions_response(0, 1, id, ctx));
    assert!(awaits_nothing(&rig), "connected, nothing in flight");
    assert!(rig.at(ms(1), |c, ctx| c.sender_pass(ctx)), "it sent");
    let request = rig.client.sender.in_flight[0][0].id;
    assert!(!awaits_nothing(&rig), "a produce request in flight");
    rig.written(ms(1));
    assert!(!awaits_nothing(&rig), "written, not answered");
    rig.respond(ms(2), request, batch, ErrorCode::None);
    assert!(awaits_nothing(&rig), "answered");
}

/// What every run of open-loop arrivals reads of the sender (see [`Sender`]'s layout) is its
/// first cache line.
#[test]
fn sender_layout_keeps_a_runs_fields_in_one_line() {
    use std::mem::{align_of, offset_of, size_of};
    assert_eq!(align_of::<Sender>(), 64);
    for (field, end) in [
        ("has_leader", offset_of!(Sender, has_leader) + size_of::<Vec<bool>>()),
        (
            "in_flight",
            offset_of!(Sender, in_flight) + size_of::<Vec<VecDeque<InFlightRequest>>>(),
        ),
        (
            "metadata_in_flight",
            offset_of!(Sender, metadata_in_flight) + size_of::<Option<u64>>(),
        ),
    ] {
        assert!(end <= 64, "{field} ends at byte {end}, past the first cache line");
    }
}
