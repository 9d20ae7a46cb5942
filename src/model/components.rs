//! The model's components that can be built and driven alone, without a whole cluster: each
//! decides on its own state, so a test can check it against Kafka's own rules (the rest of the
//! model, the `World` that wires them together, is crate-private).
//!
//! - the broker's `Partition` ([`Replica`], [`FollowerState`]) with the follower rules of the
//!   `ReplicaFetcherThread` ([`Fetched`], [`Replica::divergence_truncation_offset`],
//!   [`Replica::fetched_entry`], [`Replica::follower_update_hw`]), and [`DelayedProduce`];
//! - the log ([`PartitionLog`], [`LogEntry`], [`ProducerInfo`], [`SequenceCheck`]);
//! - the producer's `RecordAccumulator` ([`Accumulator`], [`Batch`], [`Readiness`], [`Append`])
//!   with the [`BuiltInPartitioner`] ([`Accumulator::sticky_partition`], [`partition_for_key`],
//!   [`murmur2`]), the [`Sender`] with its [`Metadata`] refresh rules, and the [`TransactionManager`];
//! - the KRaft [`Controller`] ([`assign_replicas`]);
//! - drivers that run one component's handlers alone and report what it sends as [`Output`]s:
//!   [`BrokerDriver`], [`ClientDriver`] ([`RecordOutcome`]), [`ControllerDriver`];
//! - the wire types they take and give ([`PartitionState`], [`FetchPartition`], [`ErrorCode`],
//!   [`PartitionResponse`]), and the time and random streams they run on ([`SimTime`], [`ms`],
//!   [`rng_stream`], [`Stream`]).

pub use super::accumulator::{Accumulator, Append, Batch, BatchId, Readiness};
pub use super::broker::{DelayedProduce, Fetched, FollowerState, FollowerView, Replica};
pub use super::compression::{Codec, RatioEstimator};
pub use super::controller::{assign_replicas, Controller};
pub use super::driver::{BrokerDriver, ClientDriver, ControllerDriver, Output, RecordOutcome};
pub use super::murmur2::{murmur2, partition_for_key, to_positive};
pub use super::partition_log::{LogEntry, LogSpan, PartitionLog, ProducerInfo, SequenceCheck, NUM_BATCHES_TO_RETAIN};
pub use super::producer::partitioner::BuiltInPartitioner;
pub use super::sender::{Metadata, Sender, TransactionManager};
pub use super::wire::{
    ErrorCode, FetchPartition, FetchPartitionData, PartitionResponse, PartitionState, ProduceBatch, ProduceRequest,
};
pub use crate::sim::{ms, rng_stream, SimTime, Stream};
