//! Shared set-ups for the ported cases.

use prodsim::model::components::{
    ms, rng_stream, Accumulator, Append, ErrorCode, LogEntry, Output, PartitionResponse, PartitionState,
    ProduceRequest, ProducerInfo, Replica, SimTime, Stream,
};
use prodsim::RunSpec;

/// The default run specification (Kafka's defaults: 3 brokers, 6 partitions, RF 3, acks=all,
/// idempotence on, batch.size 16384, linger.ms 5).
pub fn spec() -> RunSpec {
    RunSpec::default()
}

/// An accumulator for `spec`.
pub fn accumulator(spec: &RunSpec) -> Accumulator {
    Accumulator::new(spec, rng_stream(1, Stream::Partitioner))
}

/// Appends one record to partition `p` at `now`; returns (batch, new batch, full).
pub fn append(a: &mut Accumulator, p: u32, now: SimTime, rec: u64) -> (u32, bool, bool) {
    match a.append(p, now, now, rec) {
        Append::Done {
            batch, new_batch, full, ..
        } => (batch, new_batch, full),
        Append::NoMemory => panic!("no memory"),
        Append::PartitionChanged => panic!("the sticky partition changed: choose again"),
    }
}

/// A partition state: `replicas`, `leader` in `epoch`, `isr`, partition epoch `epoch`.
pub fn state(replicas: &[u32], leader: Option<u32>, epoch: u32, isr: &[u32]) -> PartitionState {
    PartitionState {
        replicas: replicas.to_vec(),
        leader,
        leader_epoch: epoch,
        isr: isr.to_vec(),
        partition_epoch: epoch,
        elr: Vec::new(),
    }
}

/// A log entry of `count` records appended in `epoch` (offsets are the log's).
pub fn entry(count: u32, epoch: u32, producer: ProducerInfo) -> LogEntry {
    LogEntry {
        base_offset: 0,
        count,
        rec_start: 0,
        leader_epoch: epoch,
        producer,
        bytes: 100 * count as u64,
        append_time: 0,
    }
}

/// Appends `count` records of leader epoch `epoch` to `r`'s log.
pub fn append_log(r: &mut Replica, count: u32, epoch: u32) {
    let mut e = entry(count, epoch, ProducerInfo::default());
    e.rec_start = r.log.log_end_offset();
    r.log.append(e, ms(5000), 0);
}

/// Broker 0 leading partition 0 (replicas 0, 1, 2; ISR `isr`) in leader epoch 1, with
/// `records` records of epoch 1.
pub fn leader(records: u32, isr: &[u32], now: SimTime) -> Replica {
    let mut r = Replica::default();
    r.make_leader(0, &state(&[0, 1, 2], Some(0), 1, isr), now);
    if records > 0 {
        append_log(&mut r, records, 1);
    }
    r
}

/// A follower replica whose log holds `(count, epoch)` runs, in order.
pub fn follower_log(runs: &[(u32, u32)]) -> Replica {
    let mut r = Replica::default();
    for &(count, epoch) in runs {
        r.log.assign_epoch_start(epoch);
        append_log(&mut r, count, epoch);
    }
    r
}

/// An idempotent producer's identity for a batch.
pub fn pid(epoch: u16, base_seq: i32) -> ProducerInfo {
    ProducerInfo {
        pid: 1000,
        epoch,
        base_seq,
    }
}

/// A success or error answer for one batch.
pub fn answer(batch: u32, partition: u32, error: ErrorCode) -> PartitionResponse {
    PartitionResponse {
        batch,
        partition,
        error,
        base_offset: 0,
        leader_hint: None,
    }
}

/// The produce requests among `outputs`.
pub fn produces(outputs: &[Output]) -> Vec<(usize, ProduceRequest)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Produce { to, request, .. } => Some((*to, request.clone())),
            _ => None,
        })
        .collect()
}

/// The produce responses among `outputs`: (request, answers).
pub fn responses(outputs: &[Output]) -> Vec<(u64, Vec<PartitionResponse>)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::ProduceResponse { request, responses, .. } => Some((*request, responses.clone())),
            _ => None,
        })
        .collect()
}

/// The AlterPartition proposals among `outputs`: (partition, new ISR).
pub fn alter_partitions(outputs: &[Output]) -> Vec<(u32, Vec<u32>)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::AlterPartition { partition, new_isr, .. } => Some((*partition, new_isr.clone())),
            _ => None,
        })
        .collect()
}
