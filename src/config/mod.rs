//! Run configuration: every knob of one simulated run, with Kafka's defaults in one place.
//!
//! Field names are Kafka's config keys with dots as underscores (`linger.ms` -> `linger_ms`).
//! Defaults are those of Kafka 4.x (reference `kafka-semantics.md` section 1); each `Default`
//! impl below is the single place a default is stated (for random faults, the fault-kind table
//! of `faults.rs`). The scenario layer (`scenario`) sets these fields from TOML, `[sweep]` and
//! `--set`; the model (`model`) only reads them.

use std::fmt;

mod faults;

pub(crate) use faults::fault_type_table;
pub use faults::{Fault, FaultKind, FaultType, Node, RandomFaults};

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

/// Producer configuration ([PC], [CCC]); Kafka 4.x defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerConfig {
    /// `acks`.
    pub acks: Acks,
    /// 5 ms since Kafka 4.0 (KIP-1030); 0 before.
    pub linger_ms: u64,
    /// Bytes per batch, including the 61-byte v2 batch header.
    pub batch_size: u32,
    /// How the application calls `send()`.
    pub send_mode: SendMode,
    /// `None` = left at its default: on for `acks=all`, silently off otherwise (KAFKA-13673).
    pub enable_idempotence: Option<bool>,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight_requests_per_connection: u32,
    /// `buffer.memory`, bytes.
    pub buffer_memory: u64,
    /// `max.block.ms`.
    pub max_block_ms: u64,
    /// `max.request.size`, bytes.
    pub max_request_size: u32,
    /// `request.timeout.ms`.
    pub request_timeout_ms: u64,
    /// `None` = default 120000, silently raised to `linger.ms + request.timeout.ms` if lower.
    pub delivery_timeout_ms: Option<u64>,
    /// `retries`.
    pub retries: u32,
    /// `retry.backoff.ms`.
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms`.
    pub retry_backoff_max_ms: u64,
    /// `reconnect.backoff.ms`.
    pub reconnect_backoff_ms: u64,
    /// `reconnect.backoff.max.ms`.
    pub reconnect_backoff_max_ms: u64,
    /// `socket.connection.setup.timeout.ms`.
    pub socket_connection_setup_timeout_ms: u64,
    /// `metadata.max.age.ms`.
    pub metadata_max_age_ms: u64,
    /// KIP-794 adaptive partitioning (weights by inverse queue length).
    pub partitioner_adaptive_partitioning_enable: bool,
    /// `partitioner.ignore.keys`: keyed records go to the sticky partition too.
    pub partitioner_ignore_keys: bool,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            linger_ms: 5,
            batch_size: 16_384,
            send_mode: SendMode::Async,
            enable_idempotence: None,
            max_in_flight_requests_per_connection: 5,
            buffer_memory: 33_554_432,
            max_block_ms: 60_000,
            max_request_size: 1_048_576,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: None,
            retries: i32::MAX as u32,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            reconnect_backoff_ms: 50,
            reconnect_backoff_max_ms: 1_000,
            socket_connection_setup_timeout_ms: 10_000,
            metadata_max_age_ms: 300_000,
            partitioner_adaptive_partitioning_enable: true,
            partitioner_ignore_keys: false,
        }
    }
}

impl ProducerConfig {
    /// Effective idempotence, following `ProducerConfig.postProcessAndValidateIdempotenceConfigs`:
    /// explicit `true` is validated elsewhere; the default is silently off when `acks != all`
    /// or `retries == 0` (Kafka 3.2+, KAFKA-13673).
    pub(crate) fn idempotence(&self) -> bool {
        match self.enable_idempotence {
            Some(v) => v,
            None => self.acks == Acks::All && self.retries > 0,
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

/// Cluster, broker and topic configuration ([RC], [SLC], [LC], [KRC]).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// Brokers in the cluster.
    pub brokers: u32,
    /// Partitions of the topic.
    pub partitions: u32,
    /// The topic's replication factor.
    pub replication_factor: u32,
    /// `min.insync.replicas`.
    pub min_insync_replicas: u32,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election_enable: bool,
    /// `replica.lag.time.max.ms`.
    pub replica_lag_time_max_ms: u64,
    /// `replica.fetch.wait.max.ms`.
    pub replica_fetch_wait_max_ms: u64,
    /// `replica.fetch.min.bytes`.
    pub replica_fetch_min_bytes: u32,
    /// `replica.fetch.max.bytes`.
    pub replica_fetch_max_bytes: u32,
    /// `replica.fetch.backoff.ms`.
    pub replica_fetch_backoff_ms: u64,
    /// `broker.heartbeat.interval.ms`.
    pub broker_heartbeat_interval_ms: u64,
    /// `broker.session.timeout.ms`.
    pub broker_session_timeout_ms: u64,
    /// `message.max.bytes` (1 MiB + 12).
    pub message_max_bytes: u32,
    /// Since Kafka 3.7 (KAFKA-15583) the HW does not advance while |ISR| < min.insync.replicas.
    /// `false` models the older rule.
    pub hw_requires_min_isr: bool,
    /// Hardware profile: fixed broker CPU cost per request, microseconds.
    pub request_service_us: f64,
    /// Hardware profile: broker cost per byte appended or read, nanoseconds (≈ 1 / disk+copy rate).
    pub byte_service_ns: f64,
    /// Linux `vm.dirty_expire_centisecs` (30 s): page-cache data older than this is written back.
    pub dirty_expire_ms: u64,
    /// Linux `vm.dirty_writeback_centisecs` (5 s): how often the flusher runs.
    pub dirty_writeback_ms: u64,
    /// Delay for the controller's metadata to reach brokers after a change (metadata log fetch).
    pub metadata_propagation_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            brokers: 3,
            partitions: 6,
            replication_factor: 3,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_min_bytes: 1,
            replica_fetch_max_bytes: 1_048_576,
            replica_fetch_backoff_ms: 1_000,
            broker_heartbeat_interval_ms: 2_000,
            broker_session_timeout_ms: 9_000,
            message_max_bytes: 1_048_588,
            hw_requires_min_isr: true,
            request_service_us: 20.0,
            byte_service_ns: 0.5,
            dirty_expire_ms: 30_000,
            dirty_writeback_ms: 5_000,
            metadata_propagation_ms: 5,
        }
    }
}

/// Network model: one NIC per node, one ordered connection per node pair.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkConfig {
    /// One-way mean latency of every link, milliseconds.
    pub latency_ms: f64,
    /// Spread of the one-way latency: each message's latency is
    /// `latency_ms * (1 - latency_jitter + 2 * latency_jitter * U)`, U uniform in [0, 1)
    /// (delivery stays in order per connection, like TCP).
    pub latency_jitter: f64,
    /// Egress bandwidth of each node's NIC, megabits per second.
    pub bandwidth_mbps: f64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency_ms: 0.5,
            latency_jitter: 0.2,
            bandwidth_mbps: 10_000.0,
        }
    }
}

/// The application that calls `send()`.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadConfig {
    /// Offered records per second, over all application threads.
    pub rate: f64,
    /// The arrival process of `send()` calls (open loop).
    pub arrival: Arrival,
    /// Value size in bytes.
    pub record_bytes: u32,
    /// 0 = keyless records (sticky partitioner); K > 0 = keys uniform over K distinct keys.
    pub keys: u32,
    /// Key size in bytes when keyed.
    pub key_bytes: u32,
    /// Application threads calling `send()` (each sync thread keeps one record outstanding).
    pub threads: u32,
    /// Explicit partition of every record (`ProducerRecord` with a partition): [KP]
    /// `partition()` returns it before consulting any partitioner. `None`: the partitioner
    /// chooses (murmur2 for keys, sticky for keyless records).
    pub partition: Option<u32>,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            rate: 10_000.0,
            arrival: Arrival::Constant,
            record_bytes: 100,
            keys: 0,
            key_bytes: 16,
            threads: 1,
            partition: None,
        }
    }
}

/// Everything that fixes one run: configuration, fault schedule and seed.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    /// The producer's configuration.
    pub producer: ProducerConfig,
    /// The cluster, brokers and topic.
    pub cluster: ClusterConfig,
    /// The network.
    pub network: NetworkConfig,
    /// The application.
    pub workload: WorkloadConfig,
    /// Scripted faults (`[[faults]]`).
    pub faults: Vec<Fault>,
    /// Random faults (`[random_faults]`).
    pub random_faults: RandomFaults,
    /// Simulated production window, milliseconds.
    pub duration_ms: u64,
    /// Upper bound on the settle-and-flush phase after the window, milliseconds (faults healed).
    pub settle_ms: u64,
    /// Width of the timeline buckets (throughput / latency over time), milliseconds.
    pub timeline_bucket_ms: u64,
    /// The seed of every random stream of the run.
    pub seed: u64,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            producer: ProducerConfig::default(),
            cluster: ClusterConfig::default(),
            network: NetworkConfig::default(),
            workload: WorkloadConfig::default(),
            faults: Vec::new(),
            random_faults: RandomFaults::default(),
            duration_ms: 10_000,
            settle_ms: 300_000,
            timeline_bucket_ms: 1_000,
            seed: 1,
        }
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
        let nodes_ok = |n: &Node| match n {
            Node::Broker(b) => *b < c.brokers,
            _ => true,
        };
        for f in &self.faults {
            let bad = match &f.kind {
                FaultKind::Crash { broker } => *broker >= c.brokers,
                FaultKind::PowerLoss { brokers } => brokers.iter().any(|b| *b >= c.brokers),
                FaultKind::CrashLeader { partition } | FaultKind::IsolateLeader { partition } => {
                    *partition >= c.partitions
                }
                FaultKind::Partition { groups, .. } => groups.iter().flatten().any(|n| !nodes_ok(n)),
                FaultKind::SlowLink { from, to, .. } => !nodes_ok(from) || !nodes_ok(to),
                FaultKind::LoseResponses { .. } => false,
            };
            if bad {
                return err(
                    "faults",
                    format!(
                        "fault `{}` at_ms = {} names a broker or partition that does not exist \
                         (brokers b0..b{}, partitions 0..{})",
                        f.kind.name(),
                        f.at_ms,
                        c.brokers.saturating_sub(1),
                        c.partitions.saturating_sub(1)
                    ),
                );
            }
        }
        Ok(())
    }
}
