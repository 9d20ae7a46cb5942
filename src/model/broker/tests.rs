//! A broker alone, driven through a bare [`Ctx`]: what its handlers put in the outbox.

use super::*;
use crate::config::{Acks, CompressionType};
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
    let (mut br, p) = leader_of_first_partition(&spec);
    append_ten_records(br.replicas[p].as_mut().unwrap());
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

/// Ten records of leader epoch 0 at the log end of `r`.
fn append_ten_records(r: &mut Replica) {
    let e = crate::model::partition_log::LogEntry {
        base_offset: 0,
        count: 10,
        rec_start: 0,
        leader_epoch: 0,
        producer: Default::default(),
        bytes: 1000,
        append_time: 0,
    };
    r.log.append(e, ms(5000), 0);
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
        elr: Vec::new(),
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
        uncompressed_bytes: 100 * count,
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

/// Broker 0 following the first partition another broker leads (leader epoch and partition
/// epoch `epoch`, ISR = all replicas): the broker, the partition and its leader.
fn follower_of_first_led_elsewhere(spec: &RunSpec, epoch: u32) -> (Broker, usize, u32) {
    let assignment = assign_replicas(&spec.cluster);
    let mut br = Broker::new(0, spec, &assignment, rng_stream(1, Stream::Broker));
    let p = assignment.iter().position(|r| r[0] != 0 && r.contains(&0)).unwrap();
    let leader = assignment[p][0];
    br.meta[p] = Some(PartitionState {
        replicas: assignment[p].clone(),
        leader: Some(leader),
        leader_epoch: epoch,
        isr: assignment[p].clone(),
        partition_epoch: epoch,
        elr: Vec::new(),
    });
    (br, p, leader)
}

/// A produce to a broker that does not lead the partition: NOT_LEADER_OR_FOLLOWER with the
/// leader it knows (KIP-951), answered at once even with acks=all.
#[test]
fn produce_to_a_follower_names_the_leader() {
    let spec = RunSpec::default();
    let (mut br, p, leader) = follower_of_first_led_elsewhere(&spec, 3);
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

/// acks=0 with an error (here NOT_LEADER_OR_FOLLOWER): no answer, but the broker closes the
/// connection (`KafkaApis.handleProduceRequest`: "the producer does not expect a response ...
/// so close the connection"), which the producer sees as a reset; without an error nothing
/// is closed.
#[test]
fn acks_zero_with_an_error_closes_the_connection() {
    let spec = RunSpec::default();
    let (mut br, p, _) = follower_of_first_led_elsewhere(&spec, 1);
    let resets = |out: &[Command]| out.iter().filter(|c| matches!(c, Command::Reset { .. })).count();
    let mut out = drive(&spec, 0, |ctx| br.receive(produce(p, Acks::Zero, 3), ctx));
    out.extend(drive(&spec, ms(1), |ctx| br.request_done(br.incarnation, ctx)));
    assert_eq!((resets(&out), responses(&out).len()), (1, 0));
    let (mut leader, q) = leader_of_first_partition(&spec);
    let mut out = drive(&spec, 0, |ctx| leader.receive(produce(q, Acks::Zero, 3), ctx));
    out.extend(drive(&spec, ms(1), |ctx| leader.request_done(leader.incarnation, ctx)));
    assert_eq!(resets(&out), 0);
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
        elr: Vec::new(),
    };
    br.meta[p] = Some(st.clone());
    append_ten_records(br.replicas[p].as_mut().unwrap());
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
        leader_log_end: 4,
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

/// `UnifiedLog.analyzeAndValidateRecords`: a batch larger than `max.message.bytes` (broker
/// `message.max.bytes`) is refused with MESSAGE_TOO_LARGE (`RecordTooLargeException`) and
/// nothing is appended; a batch of exactly the limit is accepted.
#[test]
fn a_batch_over_message_max_bytes_is_refused_without_an_append() {
    let mut spec = RunSpec::default();
    spec.cluster.message_max_bytes = 999;
    let (mut br, p) = leader_of_first_partition(&spec);
    let mut out = drive(&spec, 0, |ctx| br.receive(produce(p, Acks::One, 10), ctx));
    out.extend(drive(&spec, ms(1), |ctx| br.request_done(br.incarnation, ctx)));
    assert_eq!(
        responses(&out),
        vec![(4, crate::model::ErrorCode::MessageTooLarge, 0)],
        "1000 bytes > 999"
    );
    assert_eq!(
        br.replicas[p].as_ref().unwrap().log.log_end_offset(),
        0,
        "nothing appended"
    );
    spec.cluster.message_max_bytes = 1000;
    let mut e = produce(p, Acks::One, 10);
    e.gen = 2;
    let mut out = drive(&spec, ms(2), |ctx| br.receive(e, ctx));
    out.extend(drive(&spec, ms(3), |ctx| br.request_done(br.incarnation, ctx)));
    assert_eq!(responses(&out), vec![(4, crate::model::ErrorCode::None, 0)]);
    assert_eq!(br.replicas[p].as_ref().unwrap().log.log_end_offset(), 10);
}

/// `LogValidator.validateMessagesAndAssignOffsetsCompressed`: the leader decompresses a
/// compressed batch to validate it, so its CPU is busy for the codec's decompression time of
/// the uncompressed bytes on top of the per-request and per-byte cost; the same bytes
/// uncompressed cost only the latter.
#[test]
fn the_leader_pays_to_decompress_a_compressed_batch() {
    let handled_at = |codec: CompressionType| {
        let mut spec = RunSpec::default();
        spec.producer.compression_type = codec;
        let (mut br, p) = leader_of_first_partition(&spec);
        let mut env = produce(p, Acks::One, 10);
        if let Message::Produce(req) = &mut env.msg {
            req.batches[0].uncompressed_bytes = 1_000_061;
        }
        let out = drive(&spec, 0, |ctx| br.receive(env, ctx));
        out.iter()
            .find_map(|c| match c {
                Command::Schedule {
                    at,
                    event: Event::BrokerRequestDone { .. },
                } => Some(*at),
                _ => None,
            })
            .unwrap()
    };
    let plain = handled_at(CompressionType::None);
    let gzip = handled_at(CompressionType::Gzip);
    // zlib 1.2.11 decompresses at 267 MB/s: 1 MB takes about 3.7 ms.
    let extra = gzip - plain;
    assert!((ms(3)..ms(4)).contains(&extra), "{extra} ns");
}
