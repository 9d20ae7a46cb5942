//! What the model reports as it runs: one typed [`Observation`] per fact, made by the handler
//! where the fact happens, consumed by the ghost monitor ([`super::monitor`]: the TLA+
//! invariants, never read back by the model) and by the record tracer ([`super::tracer`]: the
//! story `prodsim explain` tells). Handlers neither format text nor keep ghost arithmetic.
//!
//! Facts only the tracer reads are built behind [`World::tracing`], so a run without a trace
//! pays nothing for them.

use super::accumulator::BatchId;
use super::ledger::Outcome;
use super::monitor::Monitor;
use super::partition_log::{LogEntry, PartitionLog, ProducerInfo};
use super::tracer::Tracer;
use super::{ErrorCode, PartitionState};
use crate::config::Acks;
use crate::sim::SimTime;

/// A fact of the run.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Observation<'a> {
    /// `send()` appended record `partition:rec` to batch `batch` (records `first..=last`).
    Appended {
        partition: u32,
        rec: u64,
        batch: BatchId,
        first: u64,
        last: u64,
        new_batch: bool,
    },
    /// The sender put a batch into produce request `request` to broker `node`.
    BatchSent {
        partition: u32,
        rec_start: u64,
        count: u32,
        batch: u32,
        bytes: u32,
        node: u32,
        request: u64,
        attempt: u32,
        producer: ProducerInfo,
        acks: Acks,
    },
    /// A connection closed: the batch's request failed with `error`.
    RequestFailed {
        partition: u32,
        rec_start: u64,
        count: u32,
        node: u32,
        request: u64,
        error: ErrorCode,
    },
    /// A produce response for a batch reached the sender.
    Response {
        partition: u32,
        rec_start: u64,
        count: u32,
        batch: u32,
        error: ErrorCode,
        base_offset: u64,
    },
    /// A response for a batch that had already expired (`ProducerBatch.done`).
    LateResponse {
        partition: u32,
        rec_start: u64,
        count: u32,
        batch: BatchId,
        error: ErrorCode,
    },
    /// A batch refused with `MESSAGE_TOO_LARGE` was split into `into` new batches
    /// (`RecordAccumulator.splitAndReenqueue`).
    Split {
        partition: u32,
        rec_start: u64,
        count: u32,
        batch: BatchId,
        into: u32,
    },
    /// The application called `send()` again for records it was told failed
    /// (`workload.resend_failed_attempts`): they went into batch `batch`.
    Resent {
        partition: u32,
        rec_start: u64,
        count: u32,
        batch: BatchId,
        /// This re-send's number, and the most the application makes.
        resend: u32,
        of: u32,
    },
    /// The application learnt the batch's outcome (always reported: consumer visibility reads
    /// it; `ambiguous`: a failure after the batch was sent, in flight or after an unanswered
    /// attempt, which the broker may have written).
    Completed {
        partition: u32,
        rec_start: u64,
        count: u32,
        batch: BatchId,
        outcome: Outcome,
        error: ErrorCode,
        ambiguous: bool,
        /// Send times of the batch's first and last record.
        sent: (SimTime, SimTime),
    },
    /// A leader appended a produced batch.
    LeaderAppended {
        broker: u32,
        partition: u32,
        rec_start: u64,
        count: u32,
        leader_epoch: u32,
        base_offset: u64,
        hw: u64,
        isr: &'a [u32],
    },
    /// A leader recognised a duplicate batch (idempotence) and did not append it again.
    Duplicate {
        broker: u32,
        partition: u32,
        rec_start: u64,
        count: u32,
        seq: i32,
        base_offset: u64,
    },
    /// A leader's high watermark moved from `from` to `to`.
    HwAdvanced {
        broker: u32,
        partition: usize,
        from: u64,
        to: u64,
        log: &'a PartitionLog,
    },
    /// A broker became the partition's leader (`log`: its log at that moment).
    BecameLeader {
        broker: u32,
        partition: usize,
        state: &'a PartitionState,
        log: &'a PartitionLog,
    },
    /// A follower truncated its log from `from` down to `to` (diverged from the leader):
    /// reported after the fact, with the entries it removed (collected only for a tracer).
    Truncated {
        broker: u32,
        partition: usize,
        from: u64,
        to: u64,
        removed: &'a [LogEntry],
        cause: TruncationCause,
    },
    /// A follower appended what it fetched from `leader`.
    FollowerAppended {
        broker: u32,
        leader: u32,
        partition: u32,
        rec_start: u64,
        count: u32,
        first_offset: u64,
        last_offset: u64,
    },
    /// A consumer's poll() returned records `rec_start..rec_start + count` of `partition`
    /// (brokers' numbering) to member `consumer` of group `group`.
    Polled {
        consumer: u32,
        group: u32,
        partition: u32,
        rec_start: u64,
        count: u32,
        first_offset: u64,
    },
    /// A broker's process crashed (`power`: its machine, losing the page cache).
    Crashed { broker: u32, power: bool },
    /// A broker restarted.
    Restarted { broker: u32 },
    /// The controller published new partition states.
    Published { partitions: &'a [(u32, PartitionState)] },
    /// The controller elected an out-of-sync replica (`unclean.leader.election.enable`, or the
    /// era's controller that elected any live replica).
    UncleanElection { partition: u32, leader: u32 },
    /// The controller fenced a broker whose session expired.
    Fenced { broker: u32 },
    /// The controller accepted an AlterPartition.
    IsrChanged {
        broker: u32,
        partition: u32,
        from: &'a [u32],
        to: &'a [u32],
    },
}

/// Hands one observation to its consumers. A free function, so that a handler can lend the
/// observation data borrowed from other parts of the world.
#[inline(always)]
pub(crate) fn observe(monitor: &mut Monitor, tracer: &mut Option<Tracer>, now: SimTime, o: Observation<'_>) {
    monitor.on(now, &o);
    if let Some(t) = tracer {
        t.on(now, &o, monitor.route);
    }
}

/// Why a follower truncated: the rule of its release that chose the offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TruncationCause {
    /// Before KIP-101 (0.11): `ReplicaManager.makeFollowers` truncates to the replica's own
    /// high watermark.
    HighWatermark,
    /// `OFFSET_OUT_OF_RANGE`: the leader's log is shorter (`handleOffsetOutOfRange`).
    LeaderLogShorter,
    /// By leader epoch, one `OffsetsForLeaderEpoch` round (KIP-101, 0.11-1.1).
    LeaderEpochSingleRound,
    /// By leader epoch: the end of the largest common epoch, round after round (KIP-279).
    LeaderEpoch,
}

impl TruncationCause {
    /// The cause as `explain` tells it.
    pub(crate) fn story(self) -> &'static str {
        match self {
            TruncationCause::HighWatermark => {
                "truncated to its own high watermark on becoming follower (the rule before KIP-101)"
            }
            TruncationCause::LeaderLogShorter => {
                "the leader's log is shorter (OFFSET_OUT_OF_RANGE): truncated to the leader's log end"
            }
            TruncationCause::LeaderEpochSingleRound => {
                "diverged from the leader's log: truncated by one leader-epoch round (KIP-101, before KIP-279)"
            }
            TruncationCause::LeaderEpoch => "diverged from the leader's log: truncated by leader epoch (KIP-101/279)",
        }
    }
}
