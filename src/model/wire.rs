//! What travels between nodes: error codes, the produce and fetch requests and responses,
//! metadata (partition state) and the controller's messages, with their sizes on the wire.

use super::partition_log::LogEntry;
use crate::config::Acks;
use crate::sim::SimTime;

/// Error codes of the produce path ([ERR], `Errors.java`), plus the client-local failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// `NONE`: success.
    None,
    /// `NOT_LEADER_OR_FOLLOWER`: this broker does not lead the partition (retriable).
    NotLeaderOrFollower,
    /// `NOT_ENOUGH_REPLICAS`: acks=all with the ISR below `min.insync.replicas`, checked
    /// before the append (retriable).
    NotEnoughReplicas,
    /// `NOT_ENOUGH_REPLICAS_AFTER_APPEND`: committed while the ISR fell below
    /// `min.insync.replicas` (retriable; the records stay in the log).
    NotEnoughReplicasAfterAppend,
    /// `REQUEST_TIMED_OUT`: the produce purgatory expired (retriable).
    RequestTimedOut,
    /// `NETWORK_EXCEPTION`: the connection broke with the request in flight (retriable).
    NetworkException,
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER`: an idempotent batch out of sequence.
    OutOfOrderSequenceNumber,
    /// `INVALID_PRODUCER_EPOCH`: an idempotent batch of an older producer epoch.
    InvalidProducerEpoch,
    /// `OFFSET_OUT_OF_RANGE`: a fetch past the leader's log end (a follower whose log is longer
    /// than the leader's, when the fetch carries no epoch to find the divergence by).
    OffsetOutOfRange,
    /// `MESSAGE_TOO_LARGE`: the batch is larger than the topic's `max.message.bytes` (broker
    /// `message.max.bytes`), refused before the append (`UnifiedLog.analyzeAndValidateRecords`
    /// throws `RecordTooLargeException`). Not retriable: the producer splits a batch of more
    /// than one record (`Sender.completeBatch`), and fails a single record.
    MessageTooLarge,
    /// Client side: `delivery.timeout.ms` expired (`TimeoutException`).
    DeliveryTimeout,
    /// Client side: `send()` could not allocate `buffer.memory` within `max.block.ms`.
    BufferExhausted,
    /// Client side: record larger than `max.request.size` / `buffer.memory`.
    RecordTooLarge,
}

impl ErrorCode {
    /// `extends RetriableException` (reference 5.5).
    pub fn retriable(self) -> bool {
        matches!(
            self,
            ErrorCode::NotLeaderOrFollower
                | ErrorCode::NotEnoughReplicas
                | ErrorCode::NotEnoughReplicasAfterAppend
                | ErrorCode::RequestTimedOut
                | ErrorCode::NetworkException
        )
    }

    /// `InvalidMetadataException` family: the client refreshes metadata.
    pub fn invalid_metadata(self) -> bool {
        matches!(self, ErrorCode::NotLeaderOrFollower | ErrorCode::NetworkException)
    }

    /// The Kafka name (`Errors.name()`), or the client exception for client-side failures.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::None => "NONE",
            ErrorCode::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            ErrorCode::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ErrorCode::RequestTimedOut => "REQUEST_TIMED_OUT",
            ErrorCode::NetworkException => "NETWORK_EXCEPTION",
            ErrorCode::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            ErrorCode::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            ErrorCode::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            ErrorCode::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorCode::DeliveryTimeout => "TimeoutException (delivery.timeout.ms)",
            ErrorCode::BufferExhausted => "BufferExhaustedException (max.block.ms)",
            ErrorCode::RecordTooLarge => "RecordTooLargeException",
        }
    }
}

/// A partition's metadata as the controller publishes it (KRaft `PartitionRecord` /
/// `PartitionChangeRecord`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionState {
    /// The assigned replicas, in assignment order (the preferred leader first).
    pub replicas: Vec<u32>,
    /// The leader, if any.
    pub leader: Option<u32>,
    /// Bumped at every leader change (`leaderEpoch`).
    pub leader_epoch: u32,
    /// The in-sync replicas.
    pub isr: Vec<u32>,
    /// Bumped at every change of the state (`partitionEpoch`).
    pub partition_epoch: u32,
    /// Eligible leader replicas (KIP-966, `cluster.eligible_leader_replicas_enable`): replicas
    /// that left an ISR smaller than `min.insync.replicas`, hence hold every committed record;
    /// electable when the ISR is empty. Always empty without ELR.
    pub elr: Vec<u32>,
}

/// One batch inside a ProduceRequest.
#[derive(Clone, Copy, Debug)]
pub struct ProduceBatch {
    /// The producer's batch id.
    pub batch: u32,
    /// The partition.
    pub partition: u32,
    /// Identity of the first record.
    pub rec_start: u64,
    /// Records in the batch.
    pub count: u32,
    /// Size in bytes on the wire and in the log (compressed with `compression.type`).
    pub bytes: u32,
    /// Size of its records uncompressed, header included (`bytes` without compression): what
    /// the leader decompresses to validate it.
    pub uncompressed_bytes: u32,
    /// The producer id, epoch and base sequence.
    pub producer: super::partition_log::ProducerInfo,
}

/// A ProduceRequest: batches for one broker.
#[derive(Clone, Debug)]
pub struct ProduceRequest {
    /// The request's id (its response names it).
    pub id: u64,
    /// `acks`.
    pub acks: Acks,
    /// `request.timeout.ms`, the purgatory's timeout.
    pub timeout: SimTime,
    /// One batch per partition.
    pub batches: Vec<ProduceBatch>,
}

impl ProduceRequest {
    /// Approximate size on the wire: header plus per-partition framing and the batches.
    pub(crate) fn wire_bytes(&self) -> u64 {
        60 + self.batches.iter().map(|b| 30 + b.bytes as u64).sum::<u64>()
    }
}

/// One partition's answer in a ProduceResponse (`PartitionProduceResponse`).
#[derive(Clone, Copy, Debug)]
pub struct PartitionResponse {
    /// The producer's batch it answers.
    pub batch: u32,
    /// The partition.
    pub partition: u32,
    /// The error, [`ErrorCode::None`] on success.
    pub error: ErrorCode,
    /// Offset of the batch's first record in the log.
    pub base_offset: u64,
    /// KIP-951: on NOT_LEADER_OR_FOLLOWER the broker's view of the current leader.
    pub leader_hint: Option<(u32, u32)>,
}

/// One partition of a follower's FetchRequest (`FetchRequest.PartitionData`).
#[derive(Clone, Debug)]
pub struct FetchPartition {
    /// The partition.
    pub partition: u32,
    /// The follower's log end offset: where it wants to read from (`fetchOffset`).
    pub fetch_offset: u64,
    /// The leader epoch the follower knows (`currentLeaderEpoch`, KIP-320).
    pub current_leader_epoch: u32,
    /// The epoch of the follower's last record (`lastFetchedEpoch`, checked for divergence).
    pub last_fetched_epoch: Option<u32>,
}

/// One partition of a FetchResponse to a follower.
#[derive(Clone, Debug)]
pub struct FetchPartitionData {
    /// The partition.
    pub partition: u32,
    /// The error, [`ErrorCode::None`] on success.
    pub error: ErrorCode,
    /// The leader's high watermark.
    pub high_watermark: u64,
    /// The records read from the fetch offset.
    pub entries: Vec<LogEntry>,
    /// KIP-320 / fetch-based truncation: (epoch, end offset) when the follower diverged.
    pub diverging: Option<(u32, u64)>,
    /// The leader's log end offset, which a follower answered `OFFSET_OUT_OF_RANGE` truncates
    /// to (`ReplicaFetcherThread.handleOffsetOutOfRange`, learnt there through ListOffsets).
    pub leader_log_end: u64,
}

/// A consumer's FetchRequest (`FetchRequest.Builder.forConsumer`): its partitions on one
/// leader, and the limits of `ConsumerConfig`.
#[derive(Clone, Debug)]
pub(crate) struct ConsumerFetchRequest {
    /// The request's id (its response names it).
    pub id: u64,
    /// Per partition: the consumer's position, its view of the leader epoch, and the epoch of
    /// the last record it fetched (the position validation of KIP-320).
    pub partitions: Vec<FetchPartition>,
    /// `fetch.min.bytes`.
    pub min_bytes: u32,
    /// `fetch.max.wait.ms`.
    pub max_wait: SimTime,
    /// `fetch.max.bytes`.
    pub max_bytes: u32,
    /// `max.partition.fetch.bytes`.
    pub partition_max_bytes: u32,
}

impl FetchPartitionData {
    /// No records, no error, no divergence yet (filled by the leader's read).
    pub(crate) fn empty(partition: u32) -> FetchPartitionData {
        FetchPartitionData {
            partition,
            error: ErrorCode::None,
            high_watermark: 0,
            entries: Vec::new(),
            diverging: None,
            leader_log_end: 0,
        }
    }
}

/// Messages on the wire. Sizes approximate the real request schemas (reference 3.5).
#[derive(Clone, Debug)]
pub(crate) enum Message {
    Produce(ProduceRequest),
    ProduceResponse {
        request: u64,
        responses: Vec<PartitionResponse>,
    },
    MetadataRequest {
        id: u64,
    },
    MetadataResponse {
        id: u64,
        partitions: Vec<(Option<u32>, u32)>,
    },
    /// Client -> broker, first on each new connection (`NetworkClient.handleConnections`).
    ApiVersionsRequest {
        id: u64,
    },
    /// The broker's supported versions of every API.
    ApiVersionsResponse {
        id: u64,
    },
    Fetch {
        id: u64,
        follower: u32,
        partitions: Vec<FetchPartition>,
    },
    FetchResponse {
        id: u64,
        partitions: Vec<FetchPartitionData>,
    },
    /// A consumer's FetchRequest (`FetchRequest` with replica id -1, `isolation_level`
    /// read_uncommitted): read below the high watermark only.
    ConsumerFetch(ConsumerFetchRequest),
    ConsumerFetchResponse {
        id: u64,
        partitions: Vec<FetchPartitionData>,
    },
    Heartbeat {
        broker: u32,
        incarnation: u64,
        metadata_version: u64,
    },
    AlterPartition {
        broker: u32,
        partition: u32,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<u32>,
    },
    /// Controller -> broker: changed partition states (the metadata log, pushed).
    MetadataUpdate {
        version: u64,
        partitions: Vec<(u32, PartitionState)>,
        /// Set on the answer to a (re-)registration: the broker incarnation it registers.
        registered: Option<u64>,
        /// Per broker id: fenced at this version (`BrokerRegistrationChangeRecord`, read by
        /// `KRaftMetadataCache.isBrokerFenced`).
        fenced: Vec<bool>,
    },
}

impl Message {
    /// Approximate size on the wire in bytes.
    pub(crate) fn wire_bytes(&self) -> u64 {
        match self {
            Message::Produce(r) => r.wire_bytes(),
            Message::ProduceResponse { responses, .. } => 20 + 40 * responses.len() as u64,
            Message::MetadataRequest { .. } => 40,
            Message::MetadataResponse { partitions, .. } => 60 + 30 * partitions.len() as u64,
            // header + client software name and version
            Message::ApiVersionsRequest { .. } => 50,
            // about 80 API keys of 7 bytes, plus the supported and finalized features
            Message::ApiVersionsResponse { .. } => 700,
            Message::Fetch { partitions, .. } => 60 + 30 * partitions.len() as u64,
            Message::FetchResponse { partitions, .. } => {
                30 + partitions
                    .iter()
                    .map(|p| 40 + p.entries.iter().map(|e| e.bytes).sum::<u64>())
                    .sum::<u64>()
            }
            Message::ConsumerFetch(r) => 70 + 30 * r.partitions.len() as u64,
            Message::ConsumerFetchResponse { partitions, .. } => {
                30 + partitions
                    .iter()
                    .map(|p| 40 + p.entries.iter().map(|e| e.bytes).sum::<u64>())
                    .sum::<u64>()
            }
            Message::Heartbeat { .. } => 50,
            Message::AlterPartition { .. } => 60,
            Message::MetadataUpdate { partitions, .. } => 40 + 40 * partitions.len() as u64,
        }
    }
}

/// A message in flight.
pub(crate) struct Envelope {
    pub from: usize,
    pub to: usize,
    /// Connection generation (producer <-> broker connections); 0 for others.
    pub gen: u64,
    pub msg: Message,
}
