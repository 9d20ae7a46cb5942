//! The knob table: every field of [`RunSpec`] and its sections, declared once.
//!
//! [`knob_table!`] holds one entry per knob: field, Rust type, default, the values a scenario
//! may set (kind and range), Kafka's name for it and its doc. From it `config` builds the
//! structs (the doc becomes the field's rustdoc) and their `Default` impls, and
//! `scenario::keys` builds the key registry (the same doc, Kafka name and range). The random
//! fault knobs live in the fault-kind table (`faults.rs`).
//!
//! [`RunSpec`]: super::RunSpec

/// Upper bound of every millisecond key: one simulated day.
pub(crate) const DAY_MS: i64 = 86_400_000;
/// Upper bound of Kafka's `int` configs.
pub(crate) const I32_MAX: i64 = i32::MAX as i64;
/// Most distinct keys (the application computes each key's partition once, up front).
pub(crate) const MAX_KEYS: i64 = 10_000_000;

/// Every knob of a run, the single place its default is stated: Kafka 4.x defaults (reference
/// `kafka-semantics.md` section 1) for Kafka's configs, the model's own for the others.
///
/// `knob_table!(m)` calls `m!` with the table: here [`define_config!`] builds the structs and
/// their `Default` impls; `scenario::keys` builds the key registry from the knobs, whose order
/// (top level first, then the sections in file order, each in field order) is the registry's:
/// `prodsim keys`, results.csv columns, the README's key reference.
///
/// The table is `RunSpec`'s plain fields in brackets (not keys) and its top-level knobs, then one
/// block per section: the struct, `in`, its `RunSpec` field (the key's section). A knob is
///
/// ```text
/// /// (optional further rustdoc)
/// field: Type = default, kind, "kafka.name", "Doc (Markdown: the key reference and rustdoc).";
/// ```
///
/// with the Kafka (or Linux) name empty for model-only knobs, and `kind` one of:
/// `int(>= min, <= max)` (an integer field), `float(>= min, <= max)` or `float(> min, <= max)`,
/// `float_or(> min, <= max, "word" = sentinel)` (a number, or the word, stored as the sentinel),
/// `bool`, `opt_int(>= min, <= max)` and `opt_bool` (`Option`s, `None` = `"default"`), `acks`
/// and `choice("a", "b", ...)` (enums with `as_str` and `parse`).
#[rustfmt::skip]
macro_rules! knob_table {
    ($then:ident) => {
        $then! {
            /// Everything that fixes one run: configuration, fault schedule and seed.
            RunSpec [
                /// The producer's configuration.
                producer: ProducerConfig = ProducerConfig::default(),
                /// The cluster, brokers and topic.
                cluster: ClusterConfig = ClusterConfig::default(),
                /// The network.
                network: NetworkConfig = NetworkConfig::default(),
                /// The application.
                workload: WorkloadConfig = WorkloadConfig::default(),
                /// Scripted faults (`[[faults]]`).
                faults: Vec<Fault> = Vec::new(),
                /// Random faults (`[random_faults]`).
                random_faults: RandomFaults = RandomFaults::default(),
                /// `[[producers]]` (empty: one producer from `[producer]` and `[workload]`).
                producers: Vec<ProducerEntry> = Vec::new(),
                /// `[[topics]]` (empty: one topic from `[cluster]`).
                topics: Vec<TopicEntry> = Vec::new(),
                /// The consumers' defaults (`[consumer]`), read by `[[consumers]]` entries.
                consumer: ConsumerConfig = ConsumerConfig::default(),
                /// `[[consumers]]` (empty: no consumer).
                consumers: Vec<ConsumerEntry> = Vec::new(),
                /// The seed of every random stream of the run.
                seed: u64 = 1,
            ] {
                duration_ms: u64 = 10_000, int(>= 1, <= DAY_MS), "",
                    "Simulated production window: the application calls send() during this time.";
                settle_ms: u64 = 300_000, int(>= 0, <= DAY_MS), "",
                    "Upper bound on the settle-and-flush phase after the window (all faults healed).";
                timeline_bucket_ms: u64 = 1_000, int(>= 1, <= DAY_MS), "",
                    "Width of the timeline buckets (throughput and latency over time).";
            }

            /// Producer configuration ([PC], [CCC]); Kafka 4.x defaults.
            ProducerConfig in producer {
                /// The rows of `versions::HISTORY` for `producer.*` keys follow it.
                client_version: Option<KafkaVersion> = None, opt_version, "",
                    "The producer client's Kafka release (\"0.10\", \"2.8\", \"3.6\", \"4.0\", ...; a                      string): the defaults of that client for every producer key the scenario does                      not set (see the release notes of each key). \"default\": cluster.kafka_version.";
                acks: Acks = Acks::All, acks, "acks",
                    "Acknowledgements the leader waits for: 0 (none), 1 (leader only), all (the \
                     ISR). The integers 0, 1, -1 are accepted too.";
                /// KIP-1030 (Kafka 4.0) raised it from 0.
                linger_ms: u64 = 5, int(>= 0, <= DAY_MS), "linger.ms",
                    "How long a batch waits for more records before it is sendable (5 since Kafka 4.0).";
                /// The header is the v2 record batch header.
                batch_size: u32 = 16_384, int(>= 0, <= I32_MAX), "batch.size",
                    "Batch capacity in bytes, 61-byte header included; 0 = one record per batch.";
                /// `CompressionType`; the codec's ratio and CPU cost are `model::compression`'s.
                compression_type: CompressionType = CompressionType::None,
                    choice("none", "gzip", "snappy", "lz4", "zstd"), "compression.type",
                    "Codec of the record batches: the batch fills against batch.size by an \
                     estimated compressed size (CompressionRatioEstimator), and the wire, the log and \
                     mean_batch_bytes carry compressed bytes; compressing costs the application thread \
                     CPU per byte, decompressing (LogValidator) the leader's.";
                /// KIP-390 (3.8); `Deflater.DEFAULT_COMPRESSION` (-1) is level 6.
                compression_gzip_level: i32 = -1, int(>= -1, <= 9), "compression.gzip.level",
                    "gzip level: 1 (fastest) to 9 (smallest), or -1 (zlib's default, 6).";
                /// KIP-390; 9 is lz4-java's fast compressor, any other level its HC compressor.
                compression_lz4_level: i32 = 9, int(>= 1, <= 17), "compression.lz4.level",
                    "lz4 level: 9 (the default) is LZ4's fast compressor; any other level uses LZ4 HC \
                     at that level (slower, smaller; HC stops improving after 12).";
                /// KIP-390; zstd's own range.
                compression_zstd_level: i32 = 3, int(>= -131072, <= 22), "compression.zstd.level",
                    "zstd level: negative (fastest) to 22 (smallest); 3 is zstd's default.";
                send_mode: SendMode = SendMode::Async, choice("fire-and-forget", "sync", "async"), "",
                    "How the application uses send(): fire-and-forget ignores the future, sync \
                     blocks on get() (one record in flight per thread), async uses a callback.";
                /// `None` = left at its default (KAFKA-13673); see `ProducerConfig::idempotence`.
                enable_idempotence: Option<bool> = None, opt_bool, "enable.idempotence",
                    "Idempotent producer (PID + sequence numbers). \"default\": on when acks=all \
                     and retries > 0, silently off otherwise; true with acks != all is a \
                     ConfigException.";
                max_in_flight_requests_per_connection: u32 = 5, int(>= 1, <= 100),
                    "max.in.flight.requests.per.connection",
                    "Unacknowledged produce requests per broker connection (<= 5 with idempotence).";
                buffer_memory: u64 = 33_554_432, int(>= 1, <= 1 << 40), "buffer.memory",
                    "Bytes of record accumulator memory; send() blocks when it is full.";
                max_block_ms: u64 = 60_000, int(>= 0, <= DAY_MS), "max.block.ms",
                    "How long send() blocks for buffer memory before it fails.";
                max_request_size: u32 = 1_048_576, int(>= 1, <= 1 << 30), "max.request.size",
                    "Largest produce request (and record) in bytes.";
                request_timeout_ms: u64 = 30_000, int(>= 1, <= DAY_MS), "request.timeout.ms",
                    "How long the producer waits for a produce response before it retries.";
                /// `None` = left at its default; see `ProducerConfig::delivery_timeout_ms()`.
                delivery_timeout_ms: Option<u64> = None, opt_int(>= 1, <= DAY_MS), "delivery.timeout.ms",
                    "Upper bound from send() to success or failure, retries included. \
                     \"default\": 120000, raised to linger_ms + request_timeout_ms if lower.";
                retries: u32 = i32::MAX as u32, int(>= 0, <= I32_MAX), "retries",
                    "Retries of a failed batch (bounded in practice by delivery_timeout_ms).";
                retry_backoff_ms: u64 = 100, int(>= 0, <= DAY_MS), "retry.backoff.ms",
                    "Initial backoff before retrying a failed request (exponential, with jitter).";
                retry_backoff_max_ms: u64 = 1_000, int(>= 0, <= DAY_MS), "retry.backoff.max.ms",
                    "Maximum retry backoff.";
                reconnect_backoff_ms: u64 = 50, int(>= 0, <= DAY_MS), "reconnect.backoff.ms",
                    "Initial backoff before reconnecting to a broker.";
                reconnect_backoff_max_ms: u64 = 1_000, int(>= 0, <= DAY_MS), "reconnect.backoff.max.ms",
                    "Maximum reconnect backoff.";
                socket_connection_setup_timeout_ms: u64 = 10_000, int(>= 0, <= DAY_MS),
                    "socket.connection.setup.timeout.ms",
                    "How long a first connection attempt may take before it is abandoned; it grows \
                     exponentially (with jitter) with each failed attempt, up to \
                     socket_connection_setup_timeout_max_ms.";
                socket_connection_setup_timeout_max_ms: u64 = 30_000, int(>= 0, <= DAY_MS),
                    "socket.connection.setup.timeout.max.ms",
                    "Maximum connection-setup timeout after repeated failed attempts.";
                metadata_max_age_ms: u64 = 300_000, int(>= 0, <= DAY_MS), "metadata.max.age.ms",
                    "Metadata is refreshed at least this often even without errors.";
                partitioner_adaptive_partitioning_enable: bool = true, bool,
                    "partitioner.adaptive.partitioning.enable",
                    "KIP-794: keyless records favour partitions with shorter queues.";
                partitioner_ignore_keys: bool = false, bool, "partitioner.ignore.keys",
                    "Ignore record keys when partitioning (keyed records use the sticky partitioner).";
                epoch_bump_waits_for_in_flight: bool = false, bool, "",
                    "KAFKA-14034's unmerged fix (PR #13796), model-only. false (Kafka 4.x): an \
                     idempotent batch that fails for good before its retries run out (e.g. at \
                     delivery_timeout_ms) or with OUT_OF_ORDER_SEQUENCE_NUMBER bumps the producer epoch at the next sender loop and \
                     renumbers its partition's in-flight batches from sequence 0 of the new epoch, \
                     so a batch the broker already wrote can be written again (a duplicate). true: \
                     the failed batch marks its partition's sequence unresolved instead, and the \
                     epoch is bumped only once the partition's in-flight batches are done.";
                idempotence_default_on: bool = true, bool, "",
                    "Kafka >= 3.2 clients (KIP-679, KAFKA-13598, KAFKA-13673): with \
                     enable_idempotence unset, idempotence is on unless acks != all or retries = 0. \
                     false: off unless enable_idempotence = true (clients before 3.0, and 3.0.0 / \
                     3.1.0 where the new default did not take effect).";
                split_halves_split_batches: bool = false, bool, "",
                    "KAFKA-8350's fix (PR #20358, merged after Kafka 4.1), model-only. false (Kafka \
                     4.0/4.1): a batch refused with MESSAGE_TOO_LARGE is always split into batch.size, \
                     so a batch of at most batch.size comes back whole and is refused again until \
                     delivery_timeout_ms. true: a batch that was already split is split into \
                     max(largest record, half its size), so the pieces shrink until they fit.";
            }

            /// Cluster, broker and topic configuration ([RC], [SLC], [LC], [KRC]).
            ClusterConfig in cluster {
                /// The rows of `versions::HISTORY` for the cluster's keys follow it.
                kafka_version: KafkaVersion = KafkaVersion::default(), version, "",
                    "The brokers' and controller's Kafka release (\"0.8\", \"0.10\", \"2.0\", \"3.7\", \
                     \"4.0\", \"4.1\", ...; a string, quoted in TOML): the defaults and behaviours of \
                     that release for every key the scenario does not set, and the client's too \
                     unless producer.client_version is set.";
                brokers: u32 = 3, int(>= 1, <= 64), "",
                    "Number of brokers, named b0, b1, ...";
                partitions: u32 = 6, int(>= 1, <= 10_000), "num.partitions",
                    "Partitions of the topic.";
                replication_factor: u32 = 3, int(>= 1, <= 64), "default.replication.factor",
                    "Replicas per partition (at most brokers).";
                min_insync_replicas: u32 = 1, int(>= 1, <= 64), "min.insync.replicas",
                    "Smallest ISR with which acks=all writes are accepted (NotEnoughReplicas below).";
                unclean_leader_election_enable: bool = false, bool, "unclean.leader.election.enable",
                    "Allow an out-of-sync replica to become leader (losing acknowledged data).";
                replica_lag_time_max_ms: u64 = 30_000, int(>= 1, <= DAY_MS), "replica.lag.time.max.ms",
                    "A follower not caught up for this long is removed from the ISR.";
                replica_fetch_wait_max_ms: u64 = 500, int(>= 0, <= DAY_MS), "replica.fetch.wait.max.ms",
                    "Longest a follower fetch waits at the leader for new data.";
                replica_fetch_min_bytes: u32 = 1, int(>= 1, <= I32_MAX), "replica.fetch.min.bytes",
                    "Bytes a follower fetch waits for before the leader answers.";
                replica_fetch_max_bytes: u32 = 1_048_576, int(>= 1, <= 1 << 30), "replica.fetch.max.bytes",
                    "Bytes per partition a follower fetch returns at most.";
                replica_fetch_backoff_ms: u64 = 1_000, int(>= 0, <= DAY_MS), "replica.fetch.backoff.ms",
                    "Follower backoff after a fetch error.";
                broker_heartbeat_interval_ms: u64 = 2_000, int(>= 1, <= DAY_MS),
                    "broker.heartbeat.interval.ms",
                    "KRaft: interval of broker heartbeats to the controller.";
                broker_session_timeout_ms: u64 = 9_000, int(>= 1, <= DAY_MS), "broker.session.timeout.ms",
                    "KRaft: a broker without heartbeat for this long is fenced.";
                /// `QuorumController.maybeScheduleNextBalancePartitionLeaders` (KAFKA-13682).
                auto_leader_rebalance_enable: bool = true, bool, "auto.leader.rebalance.enable",
                    "KRaft: the controller moves leadership back to each partition's preferred \
                     (first assigned) replica when it is in the ISR and unfenced.";
                /// Seconds, as Kafka's key.
                leader_imbalance_check_interval_seconds: u64 = 300, int(>= 1, <= 86_400),
                    "leader.imbalance.check.interval.seconds",
                    "KRaft: a preferred-leader election runs this long after a partition's leader \
                     left its preferred replica (seconds), and again while imbalanced.";
                /// 1 MiB + 12. The topic-level name is `max.message.bytes`.
                message_max_bytes: u32 = 1_048_588, int(>= 0, <= I32_MAX), "message.max.bytes",
                    "Largest record batch the leader accepts (topic max.message.bytes); a larger \
                     one gets MESSAGE_TOO_LARGE: the producer splits a batch of several records \
                     into batch.size and sends it again, and fails a single record. Kafka 4.0/4.1 \
                     split a batch of at most batch.size into the same batch (KAFKA-8350): it \
                     is sent again until delivery_timeout_ms.";
                follower_truncation: FollowerTruncation = FollowerTruncation::LeaderEpoch,
                    choice("high_watermark", "leader_epoch_single_round", "leader_epoch"), "",
                    "How a replica that becomes follower finds where its log diverges: \
                     high_watermark (before 0.11: truncate to its own HW), \
                     leader_epoch_single_round (KIP-101, 0.11-1.1: one OffsetsForLeaderEpoch round), \
                     leader_epoch (KIP-279, 2.0+: round after round, bounded by its own epoch end).";
                broker_bounce_detection: bool = true, bool, "",
                    "KIP-380 (2.2+) and KRaft: a broker that restarts inside its old session is \
                     detected: its new registration is refused until the old session expires, \
                     which fences it and moves its leadership and ISR memberships. false (ZooKeeper \
                     controllers before 2.2): the restarted broker is registered at once, still in \
                     every ISR, and takes its partitions back.";
                eligible_leader_replicas_enable: bool = false, bool, "",
                    "KIP-966 eligible leader replicas (opt-in in 4.0 through the \
                     eligible.leader.replicas.version feature, on for new 4.1 clusters): replicas \
                     leaving an ISR smaller than min_insync_replicas stay electable, the ISR may \
                     become empty, and a replica restarting after an unclean shutdown is no longer \
                     electable until it rejoins the ISR.";
                hw_requires_min_isr: bool = true, bool, "",
                    "Kafka >= 3.7 (KAFKA-15583): the high watermark does not advance while the ISR is \
                     smaller than min_insync_replicas. false models older brokers.";
                request_service_us: f64 = 20.0, float(>= 0.0, <= 1e9), "",
                    "Hardware profile: broker CPU cost per request, microseconds.";
                /// About 1 / (disk + copy rate).
                byte_service_ns: f64 = 0.5, float(>= 0.0, <= 1e9), "",
                    "Hardware profile: broker cost per byte appended or read, nanoseconds.";
                /// 30 s, as Linux's default.
                dirty_expire_ms: u64 = 30_000, int(>= 0, <= DAY_MS), "vm.dirty_expire_centisecs",
                    "Linux page cache: dirty data older than this is written back (milliseconds here).";
                /// 5 s, as Linux's default.
                dirty_writeback_ms: u64 = 5_000, int(>= 1, <= DAY_MS), "vm.dirty_writeback_centisecs",
                    "Linux page cache: how often the flusher runs (milliseconds here).";
                /// The time brokers take to fetch the metadata log.
                metadata_propagation_ms: u64 = 5, int(>= 0, <= DAY_MS), "",
                    "Delay for the controller's metadata changes to reach the brokers.";
            }

            /// Network model: one NIC per node, one ordered connection per node pair.
            NetworkConfig in network {
                latency_ms: f64 = 0.5, float(>= 0.0, <= 3.6e6), "",
                    "One-way mean latency of every link, milliseconds.";
                /// Each message's latency is `latency_ms * (1 - latency_jitter + 2 * latency_jitter * U)`,
                /// U uniform in [0, 1) (delivery stays in order per connection, like TCP).
                latency_jitter: f64 = 0.2, float(>= 0.0, <= 1.0), "",
                    "Relative spread of the one-way latency (0 = constant); order per connection is kept.";
                // At least 1 bit/s: below that, nanosecond transfer times overflow and results
                // would lie (records acknowledged faster than the link's latency).
                bandwidth_mbps: f64 = 10_000.0, float(>= 1e-6, <= 1e9), "",
                    "Egress bandwidth of each node's NIC, megabits per second.";
            }

            /// The application that calls `send()`.
            WorkloadConfig in workload {
                /// `f64::INFINITY` is "max".
                rate: f64 = 10_000.0, float_or(> 0.0, <= 1e9, "max" = f64::INFINITY), "",
                    "Offered records per second, over all application threads; \"max\": every thread \
                     calls send() again as soon as send() returns (kafka-producer-perf-test \
                     --throughput -1), bounded by send_cost_us, send_byte_ns and buffer.memory. A \
                     numeric rate is capped the same way (threads / send() cost).";
                arrival: Arrival = Arrival::Constant, choice("constant", "poisson"), "",
                    "Arrival process of send() calls: constant spacing or poisson.";
                record_bytes: u32 = 100, int(>= 0, <= 100 << 20), "",
                    "Record value size in bytes.";
                keys: u32 = 0, int(>= 0, <= MAX_KEYS), "",
                    "0 = keyless records (sticky partitioner); K > 0 = keys uniform over K keys.";
                key_bytes: u32 = 16, int(>= 0, <= 1 << 20), "",
                    "Key size in bytes when keyed.";
                threads: u32 = 1, int(>= 1, <= 10_000), "",
                    "Application threads calling send() (each sync thread has one record in flight).";
                /// 0.0 is "default".
                compression_ratio: f64 = 0.0, float_or(> 0.0, <= 10.0, "default" = 0.0), "",
                    "Compressed / uncompressed size of this workload's records under the codec \
                     (Kafka's compression-rate; 0.5 halves them). \"default\": the codec's ratio at \
                     its level on text-like data (lzbench, Silesia corpus), e.g. lz4 0.476, zstd 0.323.";
                /// Kreps, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap
                /// Machines)", 2014: one producer thread, 100-byte records, no replication:
                /// 821,557 records/s, 1.2 us per record for the whole client (application and
                /// sender threads) on 2014 hardware. The application thread's share is taken as
                /// 2/3 of it: 0.6 us + 2 ns per byte, 0.8 us for 100 bytes (1.25 M records/s per
                /// thread), so that no shipped scenario's numeric rate reaches the cap.
                send_cost_us: f64 = 0.6, float(>= 0.0, <= 1e6), "",
                    "Hardware profile: CPU time of one send() on the application thread \
                     (serialization, partitioning, append), microseconds; with send_byte_ns, a thread \
                     sends at most 1 / cost records per second.";
                send_byte_ns: f64 = 2.0, float(>= 0.0, <= 1e6), "",
                    "Hardware profile: CPU time per key + value byte of one send() (copy, CRC), \
                     nanoseconds; compression adds the codec's own cost per byte.";
                /// A `ProducerRecord` with a partition: [KP] `partition()` returns it before
                /// consulting any partitioner. `None`: murmur2 for keys, sticky for keyless records.
                partition: Option<u32> = None, opt_int(>= 0, <= 9_999), "",
                    "Explicit partition of every record (`new ProducerRecord(topic, partition, key, \
                     value)`): KafkaProducer.partition() returns it, bypassing the partitioner. \
                     \"default\": none, the partitioner chooses. Must be < partitions.";
                /// Application behaviour, not a producer config: KafkaProducer's javadoc ("it is
                /// imperative to avoid application level re-sends since these cannot be
                /// de-duplicated") and KIP-98 scope idempotence to the producer's own retries. A
                /// re-send keeps the record's identity (partition, record), so the checker sees
                /// its copies as one application record.
                resend_failed_attempts: u32 = 0, int(>= 0, <= 100), "",
                    "The application's own retry, not a Kafka config: how many times it calls send() \
                     again for a record whose callback or get() reported a failure (0 = never). A \
                     re-send goes to the same partition (as a keyed record would), costs a send() \
                     like any other and is a new record to the producer, with new sequence numbers: \
                     idempotence cannot tell it from a first copy the broker wrote anyway (a \
                     delivery.timeout.ms expiry in flight is ambiguous), so it duplicates it. Only \
                     failures reported after send() returned (expiry, non-retriable errors) are \
                     re-sent, and only during the production window; fire-and-forget never learns \
                     a failure, and a record refused inside send() is not re-sent.";
            }

            /// Consumer configuration (`ConsumerConfig`, [CC]); Kafka 4.x defaults. Read only by
            /// `[[consumers]]` (a scenario without them has no consumer).
            ConsumerConfig in consumer {
                /// `FetchRequest.minBytes`; the leader parks the fetch (`DelayedFetch`) until
                /// this many bytes are readable below the high watermark.
                fetch_min_bytes: u32 = 1, int(>= 0, <= I32_MAX), "fetch.min.bytes",
                    "Bytes a fetch waits for before the leader answers (parked up to fetch.max.wait.ms).";
                fetch_max_wait_ms: u64 = 500, int(>= 0, <= DAY_MS), "fetch.max.wait.ms",
                    "Longest a leader parks a consumer fetch waiting for fetch.min.bytes.";
                max_partition_fetch_bytes: u32 = 1_048_576, int(>= 1, <= I32_MAX),
                    "max.partition.fetch.bytes",
                    "Bytes a fetch returns per partition (soft: at least one batch).";
                fetch_max_bytes: u32 = 52_428_800, int(>= 1, <= I32_MAX), "fetch.max.bytes",
                    "Bytes a fetch response holds over all partitions (soft: at least one batch).";
                max_poll_records: u32 = 500, int(>= 1, <= I32_MAX), "max.poll.records",
                    "Most records one poll() returns.";
                /// The application's own work, not a Kafka config.
                processing_us_per_record: f64 = 0.0, float(>= 0.0, <= 1e9), "",
                    "The application's processing time per polled record, microseconds: the poll \
                     loop calls poll() again when it has processed the last batch of records.";
            }
        }
    };
}
pub(crate) use knob_table;

/// Builds the config structs and their `Default` impls from the rows of [`knob_table!`]: each
/// knob's doc is its field's rustdoc (followed by the entry's own `///` lines).
macro_rules! define_config {
    (
        $(#[$tm:meta])*
        RunSpec [$($(#[$pm:meta])* $pf:ident: $pt:ty = $pd:expr,)*] {
            $(
                $(#[$m:meta])*
                $f:ident: $t:ty = $d:expr, $kind:ident $(($($arg:tt)*))?, $kafka:literal, $doc:literal;
            )*
        }
        $(
            $(#[$sm:meta])*
            $S:ident in $section:ident {
                $(
                    $(#[$sfm:meta])*
                    $sf:ident: $st:ty = $sd:expr, $skind:ident $(($($sarg:tt)*))?, $skafka:literal, $sdoc:literal;
                )*
            }
        )*
    ) => {
        config_struct! {
            $(#[$tm])*
            RunSpec {
                $($(#[$pm])* $pf: $pt = $pd,)*
                $(#[doc = $doc] $(#[$m])* $f: $t = $d,)*
            }
        }
        $(
            config_struct! {
                $(#[$sm])*
                $S {
                    $(#[doc = $sdoc] $(#[$sfm])* $sf: $st = $sd,)*
                }
            }
        )*
    };
}
pub(crate) use define_config;

/// One struct with its fields and its `Default` impl (for [`define_config!`]).
macro_rules! config_struct {
    ($(#[$sm:meta])* $S:ident { $($(#[$fm:meta])* $f:ident: $t:ty = $d:expr,)* }) => {
        $(#[$sm])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $S {
            $($(#[$fm])* pub $f: $t,)*
        }

        impl Default for $S {
            fn default() -> Self {
                $S { $($f: $d,)* }
            }
        }
    };
}
pub(crate) use config_struct;
