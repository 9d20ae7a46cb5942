//! No knob nobody reads: every key of the registry must change some output of some run (the
//! run's event digest, a measure or its timeline), or be on `NOT_MODELLED`, where setting it is
//! an error. A key added to the registry without a model that reads it fails here.
//!
//! Each key is listed with a value other than its default and, where its effect needs it, the
//! settings that make it matter (`workload.threads` needs `send_mode = "sync"`). The key is
//! checked in a healthy run and in a run under random leader crashes, isolations, power losses
//! and lost responses; it passes when either run's output changes.

use prodsim::scenario::{keys, Scenario, NOT_MODELLED};
use std::path::Path;

/// (key, a non-default value, settings that let the key matter).
const CASES: &[(&str, &str, &[&str])] = &[
    ("duration_ms", "1500", &[]),
    ("settle_ms", "0", &[]),
    ("timeline_bucket_ms", "250", &[]),
    ("producer.acks", "1", &[]),
    ("producer.linger_ms", "0", &[]),
    ("producer.batch_size", "1000", &[]),
    ("producer.send_mode", "sync", &[]),
    ("producer.compression_type", "lz4", &[]),
    (
        "producer.compression_gzip_level",
        "1",
        &["producer.compression_type=gzip"],
    ),
    (
        "producer.compression_lz4_level",
        "1",
        &["producer.compression_type=lz4"],
    ),
    (
        "producer.compression_zstd_level",
        "19",
        &["producer.compression_type=zstd"],
    ),
    ("producer.enable_idempotence", "false", &[]),
    (
        "producer.max_in_flight_requests_per_connection",
        "1",
        &["producer.linger_ms=0"],
    ),
    ("producer.buffer_memory", "20000", &["network.bandwidth_mbps=2"]),
    (
        "producer.max_block_ms",
        "0",
        &["producer.buffer_memory=20000", "network.bandwidth_mbps=2"],
    ),
    ("producer.max_request_size", "300", &[]),
    ("producer.request_timeout_ms", "700", &[]),
    (
        "producer.delivery_timeout_ms",
        "800",
        &["producer.request_timeout_ms=700"],
    ),
    ("producer.retries", "0", &["producer.enable_idempotence=false"]),
    ("producer.retry_backoff_ms", "7", &[]),
    ("producer.retry_backoff_max_ms", "300", &[]),
    ("producer.reconnect_backoff_ms", "5", &[]),
    ("producer.reconnect_backoff_max_ms", "100", &[]),
    (
        "producer.socket_connection_setup_timeout_ms",
        "200",
        // The producer reconnects to a leader whose machine is down (SYNs unanswered).
        &[
            "producer.request_timeout_ms=1000",
            "random_faults.power_loss_per_min=30",
            "random_faults.power_loss_mean_ms=8000",
        ],
    ),
    (
        "producer.socket_connection_setup_timeout_max_ms",
        "200",
        // The cap below the initial timeout makes it a constant 200 ms: reconnects to a leader
        // whose machine is down give up sooner.
        &[
            "producer.request_timeout_ms=1000",
            "random_faults.power_loss_per_min=30",
            "random_faults.power_loss_mean_ms=8000",
        ],
    ),
    // The producer refreshes its metadata every second, errors or not.
    ("producer.metadata_max_age_ms", "1000", &[]),
    ("producer.partitioner_adaptive_partitioning_enable", "false", &[]),
    ("producer.partitioner_ignore_keys", "true", &["workload.keys=100"]),
    (
        "producer.epoch_bump_waits_for_in_flight",
        "true",
        // An idempotent batch fails for good (one retry) while others of its partition are in
        // flight: Kafka 4.x bumps the epoch at once, the fix marks the sequence unresolved.
        &[
            "producer.retries=1",
            "producer.batch_size=1672",
            "cluster.replication_factor=1",
            "cluster.min_insync_replicas=1",
            "duration_ms=10000",
            "workload.rate=5000",
            "random_faults.lose_responses_per_min=60",
            "random_faults.lose_responses_mean_ms=1000",
        ],
    ),
    // A client of the 2.0 era: linger.ms 0, acks 1, no retries, idempotence off.
    ("producer.client_version", "2.0", &[]),
    ("producer.idempotence_default_on", "false", &[]),
    // The cluster and client of 0.10: truncation to the HW, unclean election, ...
    ("cluster.kafka_version", "0.10", &[]),
    (
        "cluster.follower_truncation",
        "high_watermark",
        // Followers of a new leader truncate to their HW, which lags their log end with acks=1.
        // (leader_epoch_single_round differs only in rarer schedules: the conformance suite
        // checks it.)
        &[
            "producer.acks=1",
            "random_faults.crash_leader_per_min=30",
            "random_faults.crash_leader_mean_ms=1500",
        ],
    ),
    (
        "cluster.broker_bounce_detection",
        "false",
        // Crashes shorter than the session: unnoticed before KIP-380.
        &["random_faults.crash_per_min=30", "random_faults.crash_mean_ms=1500"],
    ),
    (
        "cluster.eligible_leader_replicas_enable",
        "true",
        // Any replica leaving the ISR leaves it below min ISR: it joins the ELR.
        &["cluster.min_insync_replicas=3"],
    ),
    (
        "producer.split_halves_split_batches",
        "true",
        // Batches over message.max.bytes: Kafka 4.0/4.1 send them whole until they expire, the
        // fix halves them until they fit.
        &[
            "cluster.message_max_bytes=600",
            "producer.request_timeout_ms=900",
            "producer.delivery_timeout_ms=1000",
        ],
    ),
    ("cluster.brokers", "4", &[]),
    ("cluster.partitions", "3", &[]),
    ("cluster.replication_factor", "2", &[]),
    (
        "cluster.min_insync_replicas",
        "2",
        // A crashed follower leaves an ISR of one.
        &[
            "cluster.replication_factor=2",
            "random_faults.crash_per_min=30",
            "random_faults.crash_mean_ms=3000",
        ],
    ),
    ("cluster.unclean_leader_election_enable", "true", &[]),
    ("cluster.replica_lag_time_max_ms", "300", &[]),
    ("cluster.replica_fetch_wait_max_ms", "50", &[]),
    ("cluster.replica_fetch_min_bytes", "100000", &[]),
    (
        "cluster.replica_fetch_max_bytes",
        "2000",
        // A restarted follower catches up over several fetches (few crashes: with many, the
        // cluster is mostly fenced and followers have no backlog to catch up).
        &[
            "duration_ms=20000",
            "random_faults.crash_per_min=6",
            "random_faults.crash_mean_ms=3000",
        ],
    ),
    ("cluster.replica_fetch_backoff_ms", "10", &[]),
    ("cluster.broker_heartbeat_interval_ms", "500", &[]),
    ("cluster.broker_session_timeout_ms", "3000", &[]),
    // Leaders moved by the random faults go home within the run only with a short interval.
    (
        "cluster.auto_leader_rebalance_enable",
        "false",
        &["cluster.leader_imbalance_check_interval_seconds=1"],
    ),
    ("cluster.leader_imbalance_check_interval_seconds", "1", &[]),
    (
        "cluster.hw_requires_min_isr",
        "false",
        // acks=1 writes while a crashed follower has left the ISR below min.insync.replicas.
        &[
            "cluster.min_insync_replicas=3",
            "producer.acks=1",
            "cluster.replica_lag_time_max_ms=500",
            "random_faults.crash_per_min=30",
            "random_faults.crash_mean_ms=3000",
        ],
    ),
    // One record per batch, each over the limit: MESSAGE_TOO_LARGE fails it.
    ("cluster.message_max_bytes", "100", &["producer.batch_size=0"]),
    ("cluster.request_service_us", "200", &[]),
    ("cluster.byte_service_ns", "5", &[]),
    (
        "cluster.dirty_expire_ms",
        "100",
        &[
            "duration_ms=20000",
            "random_faults.power_loss_per_min=6",
            "random_faults.power_loss_mean_ms=2000",
        ],
    ),
    (
        "cluster.dirty_writeback_ms",
        "100",
        &[
            "cluster.dirty_expire_ms=100",
            "random_faults.power_loss_per_min=30",
            "random_faults.power_loss_mean_ms=2000",
        ],
    ),
    ("cluster.metadata_propagation_ms", "50", &[]),
    ("network.latency_ms", "2", &[]),
    ("network.latency_jitter", "0", &[]),
    ("network.bandwidth_mbps", "100", &[]),
    ("workload.rate", "3000", &[]),
    ("workload.rate", "max", &["duration_ms=200"]),
    ("workload.arrival", "poisson", &[]),
    ("workload.record_bytes", "300", &[]),
    ("workload.keys", "100", &[]),
    ("workload.key_bytes", "40", &["workload.keys=100"]),
    ("workload.threads", "4", &["producer.send_mode=sync"]),
    ("workload.partition", "2", &[]),
    (
        "workload.resend_failed_attempts",
        "1",
        // Short timeouts: batches whose responses are lost expire, and the application re-sends them.
        &["producer.request_timeout_ms=1000", "producer.delivery_timeout_ms=1500"],
    ),
    ("workload.compression_ratio", "0.9", &["producer.compression_type=lz4"]),
    // The per-send() CPU cost bounds the rate only when it is "max" (or beyond the cap).
    ("workload.send_cost_us", "5", &["workload.rate=max", "duration_ms=200"]),
    ("workload.send_byte_ns", "50", &["workload.rate=max", "duration_ms=200"]),
    // The scenario's one consumer (`[[consumers]]` in HEALTHY) reads them.
    ("consumer.fetch_min_bytes", "100000", &[]),
    (
        "consumer.fetch_max_wait_ms",
        "100",
        &["consumer.fetch_min_bytes=100000"],
    ),
    ("consumer.max_partition_fetch_bytes", "200", &[]),
    ("consumer.fetch_max_bytes", "200", &[]),
    // poll()'s batch matters once processing takes time.
    (
        "consumer.max_poll_records",
        "1",
        &["consumer.processing_us_per_record=100"],
    ),
    ("consumer.processing_us_per_record", "100", &[]),
    ("random_faults.crash_per_min", "30", &[]),
    (
        "random_faults.crash_mean_ms",
        "300",
        &["random_faults.crash_per_min=30"],
    ),
    ("random_faults.power_loss_per_min", "30", &[]),
    (
        "random_faults.power_loss_mean_ms",
        "300",
        &["random_faults.power_loss_per_min=30"],
    ),
    ("random_faults.crash_leader_per_min", "30", &[]),
    (
        "random_faults.crash_leader_mean_ms",
        "300",
        &["random_faults.crash_leader_per_min=30"],
    ),
    ("random_faults.isolate_leader_per_min", "30", &[]),
    (
        "random_faults.isolate_leader_mean_ms",
        "300",
        &["random_faults.isolate_leader_per_min=30"],
    ),
    ("random_faults.partition_per_min", "30", &[]),
    (
        "random_faults.partition_mean_ms",
        "300",
        &["random_faults.partition_per_min=30"],
    ),
    ("random_faults.slow_link_per_min", "30", &[]),
    (
        "random_faults.slow_link_mean_ms",
        "300",
        &["random_faults.slow_link_per_min=30"],
    ),
    ("random_faults.lose_responses_per_min", "30", &[]),
    (
        "random_faults.lose_responses_mean_ms",
        "300",
        &["random_faults.lose_responses_per_min=30"],
    ),
    ("random_faults.producer_crash_per_min", "30", &[]),
    (
        "random_faults.producer_crash_mean_ms",
        "300",
        &["random_faults.producer_crash_per_min=30"],
    ),
];

const HEALTHY: &str = "name = \"k\"\nduration_ms = 3000\n[workload]\nrate = 2000\n[[consumers]]\nname = \"c\"\n";

/// Random faults dense enough that failure-path keys (timeouts, backoffs, elections, page
/// cache) take part.
const FAULTY: &[&str] = &[
    "duration_ms=10000",
    "random_faults.crash_leader_per_min=20",
    "random_faults.crash_leader_mean_ms=1500",
    "random_faults.isolate_leader_per_min=20",
    "random_faults.isolate_leader_mean_ms=1500",
    "random_faults.power_loss_per_min=20",
    "random_faults.power_loss_mean_ms=1500",
    "random_faults.lose_responses_per_min=20",
    "random_faults.lose_responses_mean_ms=500",
    "random_faults.partition_per_min=10",
    "random_faults.partition_mean_ms=1500",
];

/// The whole observable output of one run: digest, measures, timeline, fault intervals.
fn fingerprint(sets: &[String]) -> String {
    let mut sc = Scenario::parse_str(HEALTHY, Path::new("k.toml")).unwrap();
    for s in sets {
        sc.apply_set(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let points = sc.expand().unwrap_or_else(|e| panic!("{sets:?}: {e}"));
    let r = prodsim::run(&points[0].spec);
    assert!(r.aborted.is_none(), "{sets:?}: {:?}", r.aborted);
    format!("{:?}", r)
}

fn changes_output(key: &str, value: &str, enablers: &[&str], faulty: bool) -> bool {
    let mut base: Vec<String> = if faulty {
        FAULTY.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    base.extend(enablers.iter().map(|s| s.to_string()));
    let mut changed = base.clone();
    changed.push(format!("{key}={value}"));
    fingerprint(&base) != fingerprint(&changed)
}

#[test]
fn every_modelled_key_changes_some_output() {
    let mut missing = Vec::new();
    let mut inert = Vec::new();
    for k in keys() {
        if NOT_MODELLED.contains(&k.key) {
            continue;
        }
        let cases: Vec<_> = CASES.iter().filter(|c| c.0 == k.key).collect();
        if cases.is_empty() {
            missing.push(k.key);
        }
        // A key with several values (a choice) has a case per value: each must matter.
        for &&(_, value, enablers) in &cases {
            if !changes_output(k.key, value, enablers, false) && !changes_output(k.key, value, enablers, true) {
                inert.push(format!("{}={value} (with {enablers:?})", k.key));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys without a case here (give each a value that must change a run): {missing:?}"
    );
    assert!(
        inert.is_empty(),
        "keys that changed no output (the model does not read them; implement or add to NOT_MODELLED): {inert:?}"
    );
}

#[test]
fn cases_name_registry_keys_only() {
    for (k, _, enablers) in CASES {
        assert!(prodsim::scenario::find_key(k).is_some(), "{k} is not a key");
        assert!(!NOT_MODELLED.contains(k), "{k} is not modelled: it cannot have a case");
        for e in *enablers {
            let ek = e.split_once('=').unwrap().0;
            assert!(prodsim::scenario::find_key(ek).is_some(), "{e}");
        }
    }
}

#[test]
fn not_modelled_keys_are_refused_everywhere() {
    for key in NOT_MODELLED {
        let (section, short) = key.split_once('.').unwrap();
        let file = format!("[{section}]\n{short} = 1000\n");
        let e = Scenario::parse_str(&file, Path::new("s.toml")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some(*key), "{e}");
        assert!(e.message.contains("not modelled yet"), "{e}");
        let sweep = format!("[sweep]\n\"{key}\" = [1000, 2000]\n");
        let e = Scenario::parse_str(&sweep, Path::new("s.toml")).unwrap_err();
        assert!(e.message.contains("not modelled yet"), "{e}");
        let mut sc = Scenario::parse_str("", Path::new("s.toml")).unwrap();
        let e = sc.apply_set(&format!("{key}=1000")).unwrap_err();
        assert!(e.message.contains("not modelled yet"), "{e}");
    }
}

/// Negative control: the check does report a setting the model never reads in that run (a
/// random-fault duration while that fault kind is off).
#[test]
fn an_inert_setting_is_reported_as_inert() {
    assert!(!changes_output("random_faults.crash_mean_ms", "300", &[], false));
    assert!(!changes_output("random_faults.crash_mean_ms", "300", &[], true));
    assert!(changes_output(
        "random_faults.crash_mean_ms",
        "300",
        &["random_faults.crash_per_min=30"],
        true
    ));
}
