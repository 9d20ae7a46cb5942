//! Column names as people read them: Kafka keys with their dots, axis labels with units.

/// Whether a results column is a Kafka configuration (dots written as underscores): the key
/// registry gives it a Kafka name (Linux `vm.*` settings are not Kafka keys).
fn is_kafka_column(column: &str) -> bool {
    crate::scenario::keys()
        .iter()
        .any(|k| k.short() == column && crate::scenario::kafka_alias(k).is_some())
}

/// Kafka keys measured in bytes whose name does not say so.
const BYTE_KEYS: &[&str] = &["batch_size", "buffer_memory", "max_request_size"];

/// A column's name for legends: the Kafka key with dots (`batch_size` -> `batch.size`), other
/// columns as they are.
pub(crate) fn legend_key(column: &str) -> String {
    if is_kafka_column(column) {
        column.replace('_', ".")
    } else {
        column.to_string()
    }
}

/// An axis label with its unit, derived from the column name: `throughput_rps` ->
/// "throughput (records/s)", `latency_p99_ms` -> "p99 latency (ms)", `linger_ms` ->
/// "linger.ms (ms)", `batch_size` -> "batch.size (bytes)". Unknown columns: the name itself.
pub(crate) fn axis_label(column: &str) -> String {
    let known = match column {
        "throughput_rps" => Some("throughput (records/s)"),
        "throughput_mbps" => Some("throughput (Mbit/s)"),
        "throughput_mb_s" => Some("throughput (MiB/s)"),
        "latency_p50_ms" => Some("p50 latency (ms)"),
        "latency_p95_ms" => Some("p95 latency (ms)"),
        "latency_p99_ms" => Some("p99 latency (ms)"),
        "latency_p999_ms" => Some("p99.9 latency (ms)"),
        "latency_max_ms" => Some("max latency (ms)"),
        "latency_mean_ms" => Some("mean latency (ms)"),
        "mean_batch_records" => Some("mean batch (records)"),
        "mean_batch_bytes" => Some("mean batch (bytes)"),
        "records_sent" => Some("records sent"),
        "requests" => Some("produce requests"),
        "batches" => Some("batches"),
        "retries" => Some("batches retried"),
        "elections" => Some("leader elections"),
        "send_errors" => Some("records rejected in send()"),
        "records_acked" => Some("records acked"),
        "records_failed" => Some("records failed"),
        "lost_acked" => Some("acked records lost"),
        "lost_failed" => Some("failed records lost"),
        "failed_present" => Some("failed records present"),
        "lost_unsent" => Some("records lost unsent (producer crashed)"),
        "duplicates" => Some("duplicate records"),
        "reordered" => Some("reordered records"),
        "end_ms" => Some("simulated duration (ms)"),
        "offered_rps" => Some("offered (records/s)"),
        "count" => Some("producer instances (count)"),
        "send_blocked_ms" => Some("send() blocked on buffer.memory (ms)"),
        "buffer_wait_ratio" => Some("buffer wait ratio"),
        "saturated" => Some("saturated (share of seeds)"),
        "visible_p50_ms" => Some("p50 send-to-visible (ms)"),
        "visible_p99_ms" => Some("p99 send-to-visible (ms)"),
        "visible_max_ms" => Some("max send-to-visible (ms)"),
        "e2e_p50_ms" => Some("p50 send-to-consumer (ms)"),
        "e2e_p99_ms" => Some("p99 send-to-consumer (ms)"),
        "e2e_max_ms" => Some("max send-to-consumer (ms)"),
        "records_consumed" => Some("records consumed"),
        "consumer_throughput_rps" => Some("consumed (records/s)"),
        "consumed_lost" => Some("consumed records lost"),
        "processing_us_per_record" => Some("processing per record (us)"),
        // Workload and network parameters (their columns are the keys without their section).
        "rate" => Some("offered rate (records/s)"),
        "record_bytes" => Some("record size (bytes)"),
        "key_bytes" => Some("key size (bytes)"),
        "latency_ms" => Some("network latency (ms)"),
        "bandwidth_mbps" => Some("bandwidth (Mbit/s)"),
        _ => None,
    };
    if let Some(label) = known {
        return label.to_string();
    }
    // Summary aggregates: `lost_acked_sum` -> "acked records lost (sum over seeds)".
    for (suffix, what) in [("_sum", "sum"), ("_min", "min"), ("_max", "max")] {
        if let Some(base) = column.strip_suffix(suffix) {
            let label = axis_label(base);
            if label != base {
                return format!("{label}, {what} over seeds");
            }
        }
    }
    let key = legend_key(column);
    if is_kafka_column(column) {
        if column.ends_with("_ms") {
            return format!("{key} (ms)");
        }
        if column.ends_with("_bytes") || BYTE_KEYS.contains(&column) {
            return format!("{key} (bytes)");
        }
    }
    key
}

/// An axis label without its unit, for titles: "p99 latency (ms)" -> "p99 latency".
pub(crate) fn short_label(column: &str) -> String {
    let label = axis_label(column);
    match label.rfind(" (") {
        Some(i) if label.ends_with(')') => label[..i].to_string(),
        _ => label,
    }
}
