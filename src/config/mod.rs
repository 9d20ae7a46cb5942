//! Run configuration: every knob of one simulated run, with Kafka's defaults in one place.
//!
//! Field names are Kafka's config keys with dots as underscores (`linger.ms` -> `linger_ms`).
//! Defaults are those of Kafka 4.x (reference `kafka-semantics.md` section 1), stated in one
//! place: the knob table of `knobs.rs` (`knob_table!`), which declares each knob once (field,
//! type, default, Kafka name, range, doc) and from which [`RunSpec`], its sections and their
//! `Default` impls are built here, and the key registry in `scenario::keys` (for random faults,
//! the fault-kind table of `faults.rs`). The scenario layer (`scenario`) sets these fields from
//! TOML, `[sweep]` and `--set`; the model (`model`) only reads them.

use std::fmt;

mod clients;
mod faults;
mod knobs;
pub mod versions;

pub use clients::{Consumer, ConsumerEntry, Producer, ProducerEntry, Topic, TopicEntry, DEFAULT_NAME, IDENTITY_BITS};
pub(crate) use faults::fault_type_table;
pub use faults::{Fault, FaultKind, FaultType, Node, RandomFaults};
use knobs::{config_struct, define_config};
pub(crate) use knobs::{knob_table, DAY_MS, I32_MAX, MAX_KEYS};

/// `acks` ([PC] `ACKS_CONFIG`): "0", "1" or "all" (-1 on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Acks {
    /// `acks=0`: no response; the record counts as sent once written to the socket.
    Zero,
    /// `acks=1`: the leader answers once it appended.
    One,
    /// `acks=all`: the leader answers once the ISR has it (HW past it).
    All,
}

impl Acks {
    /// The config value: "0", "1" or "all".
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        }
    }
    /// Parses a config value ("-1" is "all").
    pub(crate) fn parse(s: &str) -> Option<Acks> {
        match s {
            "0" => Some(Acks::Zero),
            "1" => Some(Acks::One),
            "all" | "-1" => Some(Acks::All),
            _ => None,
        }
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the application uses the future returned by `KafkaProducer.send()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SendMode {
    /// `send(record)` and ignore the outcome.
    FireAndForget,
    /// `send(record).get()`: one record outstanding per application thread (closed loop).
    Sync,
    /// `send(record, callback)`: open loop, outcome through the callback.
    Async,
}

impl SendMode {
    /// The scenario value: "fire-and-forget", "sync" or "async".
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SendMode::FireAndForget => "fire-and-forget",
            SendMode::Sync => "sync",
            SendMode::Async => "async",
        }
    }
    /// Parses a scenario value.
    pub(crate) fn parse(s: &str) -> Option<SendMode> {
        match s {
            "fire-and-forget" => Some(SendMode::FireAndForget),
            "sync" => Some(SendMode::Sync),
            "async" => Some(SendMode::Async),
            _ => None,
        }
    }
}

impl fmt::Display for SendMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Arrival process of the application's `send()` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arrival {
    /// Evenly spaced sends at `rate`.
    Constant,
    /// Exponential inter-arrival times with mean `1 / rate`.
    Poisson,
}

impl Arrival {
    /// The scenario value: "constant" or "poisson".
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Arrival::Constant => "constant",
            Arrival::Poisson => "poisson",
        }
    }
    /// Parses a scenario value.
    pub(crate) fn parse(s: &str) -> Option<Arrival> {
        match s {
            "constant" => Some(Arrival::Constant),
            "poisson" => Some(Arrival::Poisson),
            _ => None,
        }
    }
}

/// `compression.type` ([PC] `COMPRESSION_TYPE_CONFIG`, `CompressionType`): the codec of every
/// record batch the producer builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CompressionType {
    /// `none` (the default).
    None,
    /// `gzip` (JDK `Deflater`).
    Gzip,
    /// `snappy` (snappy-java).
    Snappy,
    /// `lz4` (lz4-java, Kafka's LZ4 frame).
    Lz4,
    /// `zstd` (zstd-jni).
    Zstd,
}

impl CompressionType {
    /// The config value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CompressionType::None => "none",
            CompressionType::Gzip => "gzip",
            CompressionType::Snappy => "snappy",
            CompressionType::Lz4 => "lz4",
            CompressionType::Zstd => "zstd",
        }
    }
    /// Parses a config value.
    pub(crate) fn parse(s: &str) -> Option<CompressionType> {
        match s {
            "none" => Some(CompressionType::None),
            "gzip" => Some(CompressionType::Gzip),
            "snappy" => Some(CompressionType::Snappy),
            "lz4" => Some(CompressionType::Lz4),
            "zstd" => Some(CompressionType::Zstd),
            _ => None,
        }
    }
}

/// How a replica becoming follower finds where its log diverges from the leader's
/// (`cluster.follower_truncation`; reference 7.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FollowerTruncation {
    /// Before 0.11: truncate to its own high watermark when it becomes follower
    /// (`ReplicaManager.makeFollowers` calling `truncateTo(highWatermark)`), then fetch; a
    /// fetch past the leader's log end gets `OFFSET_OUT_OF_RANGE` and truncates to it
    /// (`ReplicaFetcherThread.handleOffsetOutOfRange`). KIP-101's two scenarios lose or
    /// diverge through it.
    HighWatermark,
    /// 0.11 to 1.1 (KIP-101): one `OffsetsForLeaderEpoch` round when it becomes follower:
    /// truncate to the leader's end offset of its latest epoch, capped at its log end (the
    /// high watermark when the leader has no such epoch), then fetch without further checks.
    LeaderEpochSingleRound,
    /// 2.0+ (KIP-279, and KIP-595's diverging epoch in fetch responses since 2.7): every fetch
    /// carries its last fetched epoch; truncation to the end of the largest common epoch, bounded
    /// by its own end of that epoch, round after round.
    LeaderEpoch,
}

impl FollowerTruncation {
    /// The scenario value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FollowerTruncation::HighWatermark => "high_watermark",
            FollowerTruncation::LeaderEpochSingleRound => "leader_epoch_single_round",
            FollowerTruncation::LeaderEpoch => "leader_epoch",
        }
    }
    /// Parses a scenario value.
    pub(crate) fn parse(s: &str) -> Option<FollowerTruncation> {
        match s {
            "high_watermark" => Some(FollowerTruncation::HighWatermark),
            "leader_epoch_single_round" => Some(FollowerTruncation::LeaderEpochSingleRound),
            "leader_epoch" => Some(FollowerTruncation::LeaderEpoch),
            _ => None,
        }
    }
}

pub use versions::KafkaVersion;

knob_table!(define_config);

impl ProducerConfig {
    /// Effective idempotence, following `ProducerConfig.postProcessAndValidateIdempotenceConfigs`:
    /// explicit `true` is validated elsewhere; the default is silently off when `acks != all`
    /// or `retries == 0` (Kafka 3.2+, KAFKA-13673), and off for older clients
    /// (`idempotence_default_on = false`).
    pub(crate) fn idempotence(&self) -> bool {
        match self.enable_idempotence {
            Some(v) => v,
            None => self.idempotence_default_on && self.acks == Acks::All && self.retries > 0,
        }
    }

    /// Effective `delivery.timeout.ms` ([KP] `configureDeliveryTimeout`).
    pub(crate) fn delivery_timeout_ms(&self) -> u64 {
        match self.delivery_timeout_ms {
            Some(v) => v,
            None => 120_000u64.max(self.linger_ms + self.request_timeout_ms),
        }
    }
}

impl RunSpec {
    /// The most records per second the application can offer: `workload.rate`, capped by
    /// the threads' CPU cost per `send()` (the whole cap with `rate = "max"`).
    pub fn offered_rate_cap(&self) -> f64 {
        let cost = crate::model::send_cost_ns(self);
        let cap = if cost > 0.0 {
            1e9 * self.workload.threads.max(1) as f64 / cost
        } else {
            f64::INFINITY
        };
        self.workload.rate.min(cap)
    }
}

/// Most key bytes a workload may define in all (`workload.keys` x `workload.key_bytes`).
pub(crate) const MAX_KEY_BYTES_TOTAL: u64 = 1 << 30;

impl RunSpec {
    /// Cross-field checks, Kafka's own where Kafka has them. Returns `(key, message)`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let p = &self.producer;
        let c = &self.cluster;
        let err = |k: &str, m: String| Err((k.to_string(), m));
        if p.enable_idempotence == Some(true) {
            // ProducerConfig.postProcessAndValidateIdempotenceConfigs
            if p.acks != Acks::All {
                return err(
                    "producer.enable_idempotence",
                    format!(
                        "enable_idempotence = true requires acks = \"all\" (got acks = \"{}\"); \
                         Kafka raises ConfigException",
                        p.acks
                    ),
                );
            }
            if p.retries == 0 {
                return err(
                    "producer.enable_idempotence",
                    "enable_idempotence = true requires retries > 0".into(),
                );
            }
        }
        if p.idempotence() && p.max_in_flight_requests_per_connection > 5 {
            return err(
                "producer.max_in_flight_requests_per_connection",
                format!(
                    "must be <= 5 with idempotence (got {}); Kafka 4.0 raises ConfigException",
                    p.max_in_flight_requests_per_connection
                ),
            );
        }
        if let Some(d) = p.delivery_timeout_ms {
            if d < p.linger_ms + p.request_timeout_ms {
                return err(
                    "producer.delivery_timeout_ms",
                    format!(
                        "must be >= linger_ms + request_timeout_ms = {} (got {d})",
                        p.linger_ms + p.request_timeout_ms
                    ),
                );
            }
        }
        if self.workload.rate.is_infinite() && self.workload.send_cost_us <= 0.0 {
            return err(
                "workload.send_cost_us",
                "must be > 0 with workload.rate = \"max\": a thread calls send() again as soon as send() \
                 returns, so send() must take time (got 0)"
                    .into(),
            );
        }
        if p.compression_gzip_level == 0 {
            // CompressionType.GZIP.levelValidator
            return err(
                "producer.compression_gzip_level",
                "must be between 1 and 9 or equal to -1 (got 0); Kafka raises ConfigException".into(),
            );
        }
        if c.replication_factor > c.brokers {
            return err(
                "cluster.replication_factor",
                format!(
                    "replication_factor {} exceeds brokers {}",
                    c.replication_factor, c.brokers
                ),
            );
        }
        let w = &self.workload;
        if w.keys > 0 && w.key_bytes < 20 && 10u64.pow(w.key_bytes) < w.keys as u64 {
            return err(
                "workload.keys",
                format!(
                    "{} distinct keys do not fit in key_bytes = {} (keys are zero-padded decimal \
                     numbers: at most {} of them)",
                    w.keys,
                    w.key_bytes,
                    10u64.pow(w.key_bytes)
                ),
            );
        }
        if w.keys as u64 * w.key_bytes as u64 > MAX_KEY_BYTES_TOTAL {
            return err(
                "workload.keys",
                format!(
                    "keys x key_bytes = {} x {} exceeds {MAX_KEY_BYTES_TOTAL} bytes (every key is built and \
                     hashed once before the run); use fewer or shorter keys",
                    w.keys, w.key_bytes
                ),
            );
        }
        if let Some(n) = w.partition {
            // [KP] waitOnMetadata: send() to a partition the topic does not have blocks
            // max.block.ms for metadata, then fails with a TimeoutException.
            if n >= c.partitions {
                return err(
                    "workload.partition",
                    format!(
                        "partition {n} does not exist: the topic has {} partitions (0..={}); Kafka's send() \
                         would wait max.block.ms for it in metadata and fail with a TimeoutException",
                        c.partitions,
                        c.partitions.saturating_sub(1)
                    ),
                );
            }
        }
        if (p.batch_size as u64) > p.buffer_memory {
            return err(
                "producer.batch_size",
                format!("batch_size {} exceeds buffer_memory {}", p.batch_size, p.buffer_memory),
            );
        }
        let producers = self.producer_list();
        let consumers = self.consumer_list();
        let nodes_ok = |n: &Node| match n {
            Node::Broker(b) => *b < c.brokers,
            Node::Host(h) => producers.iter().any(|p| p.host_name == *h) || consumers.iter().any(|p| p.host_name == *h),
            _ => true,
        };
        let partitions = self.total_partitions();
        for f in &self.faults {
            let bad = match &f.kind {
                FaultKind::Crash { broker } => *broker >= c.brokers,
                FaultKind::PowerLoss { brokers } => brokers.iter().any(|b| *b >= c.brokers),
                FaultKind::CrashLeader { topic, partition } | FaultKind::IsolateLeader { topic, partition } => {
                    if let Some(name) = topic {
                        if self.fault_partition(Some(name), *partition).is_none() {
                            let topics = self.topic_list();
                            let msg = match topics.iter().find(|t| t.name == *name) {
                                Some(t) => format!(
                                    "fault `{}` at_ms = {} names partition {partition} of topic \"{name}\", \
                                     which has partitions 0..={}",
                                    f.kind.name(),
                                    f.at_ms,
                                    t.partitions.saturating_sub(1)
                                ),
                                None => format!(
                                    "fault `{}` at_ms = {} names topic \"{name}\"; the topics are {}",
                                    f.kind.name(),
                                    f.at_ms,
                                    topics
                                        .iter()
                                        .map(|t| format!("\"{}\"", t.name))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            };
                            return err("faults", msg);
                        }
                        false
                    } else {
                        *partition >= partitions
                    }
                }
                FaultKind::Partition { groups, .. } => groups.iter().flatten().any(|n| !nodes_ok(n)),
                FaultKind::SlowLink { from, to, .. } => !nodes_ok(from) || !nodes_ok(to),
                FaultKind::LoseResponses { .. } => false,
                FaultKind::ProducerCrash { producer } => !producers.iter().any(|p| p.name == *producer),
            };
            if bad {
                return err(
                    "faults",
                    format!(
                        "fault `{}` at_ms = {} names a broker, partition, producer or host that does not \
                         exist (brokers b0..b{}, partitions 0..{}, producers {}, hosts {})",
                        f.kind.name(),
                        f.at_ms,
                        c.brokers.saturating_sub(1),
                        partitions.saturating_sub(1),
                        producers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                        producers
                            .iter()
                            .map(|p| p.host_name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        Ok(())
    }
}
