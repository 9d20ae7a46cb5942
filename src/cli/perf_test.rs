//! `prodsim perf-test`: kafka-producer-perf-test's command line and output, simulated.
//!
//! Arguments as `ProducerPerformance` takes them (`--topic`, `--num-records`, `--record-size`,
//! `--throughput`, `--producer-props k=v ...`, `--producer.config FILE`), plus prodsim's own
//! for the rest of the world (`--scenario FILE` for the cluster, network and faults, `--set`).
//! The output is `ProducerPerformance`'s: one line per 5 s window of *simulated* time, then the
//! total (`Stats.printWindow` / `Stats.printTotal`; percentiles truncated to whole
//! milliseconds as perf-test's `int` latencies are).

use super::{io_failure, print_notes, Failure};
use clap::Args;
use prodsim::outln;
use prodsim::scenario::{RunPoint, Scenario, ScenarioError};
use std::path::{Path, PathBuf};

/// perf-test prints a window every 5 s (`ProducerPerformance`'s `reportingInterval`).
const WINDOW_MS: u64 = 5_000;

/// `prodsim perf-test`'s options.
#[derive(Args)]
pub(crate) struct PerfTestArgs {
    /// Topic to produce to (a name only: the topic is the scenario's, `cluster.partitions` etc.).
    #[arg(long)]
    pub(crate) topic: String,
    /// Number of records to send.
    #[arg(long)]
    pub(crate) num_records: u64,
    /// Record value size in bytes (keyless records, as perf-test sends them).
    #[arg(long)]
    pub(crate) record_size: u32,
    /// Records per second to offer (perf-test's throttle). `-1`: unthrottled, as fast as
    /// `send()` returns (`workload.rate = "max"`, bounded by the modelled CPU cost per `send()`
    /// and `buffer.memory`).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) throughput: f64,
    /// Producer configs as `key=value` (Kafka names: `acks=all linger.ms=10`).
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    pub(crate) producer_props: Vec<String>,
    /// A producer .properties file (applied before --producer-props).
    #[arg(long = "producer.config", value_name = "FILE")]
    pub(crate) producer_config: Option<PathBuf>,
    /// A scenario file for the cluster, network and faults (its own workload and sweep are
    /// replaced); without it, prodsim's defaults (3 brokers, 6 partitions, RF 3).
    #[arg(long)]
    pub(crate) scenario: Option<PathBuf>,
    /// Any other key, as for `run` (`cluster.min_insync_replicas=2`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) sets: Vec<String>,
    /// The run's seed.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

fn bad(message: String) -> Failure {
    Failure {
        code: 2,
        message: format!("error: {message}"),
    }
}

/// `--throughput -1`: `ThroughputThrottler` does not throttle.
fn unthrottled(args: &PerfTestArgs) -> bool {
    args.throughput == -1.0
}

/// The scenario a perf-test command line describes: one run, one seed. Unthrottled, the
/// window is the time the application threads take to offer `--num-records` at their
/// `send()` cost (`RunSpec::offered_rate_cap`); [`cmd_perf_test`] lengthens it if `send()`
/// blocked on `buffer.memory` on the way.
fn scenario(args: &PerfTestArgs) -> Result<Scenario, Failure> {
    let rate_ok = args.throughput > 0.0 && args.throughput <= 1e9;
    if !(unthrottled(args) || rate_ok) {
        return Err(bad(format!(
            "--throughput must be a rate > 0 and <= 1e9 records/s (or -1), got {}",
            args.throughput
        )));
    }
    if args.num_records == 0 {
        return Err(bad("--num-records must be at least 1".into()));
    }
    let mut sc = match &args.scenario {
        Some(p) => Scenario::load(p)?,
        None => Scenario::parse_str("name = \"perf-test\"\n", Path::new("perf-test"))?,
    };
    if let Some(p) = &args.producer_config {
        sc.apply_properties(p, &p.display().to_string())?;
    }
    for kv in &args.producer_props {
        sc.apply_set(kv).map_err(|e| ScenarioError {
            file: "--producer-props".into(),
            ..e
        })?;
    }
    // The perf-test arguments define the workload: N keyless records of S bytes at R/s.
    let rate = if unthrottled(args) {
        "max".to_string()
    } else {
        args.throughput.to_string()
    };
    let duration_ms = ((args.num_records as f64 / args.throughput.max(1e-9)) * 1000.0)
        .ceil()
        .clamp(1.0, 86_400_000.0);
    for set in [
        format!("workload.record_bytes={}", args.record_size),
        "workload.keys=0".to_string(),
        format!("workload.rate={rate}"),
        format!("duration_ms={duration_ms}"),
        format!("timeline_bucket_ms={WINDOW_MS}"),
        format!("seeds=[{}]", args.seed),
    ] {
        sc.apply_set(&set)?;
    }
    for s in &args.sets {
        sc.apply_set(s)?;
    }
    if unthrottled(args) {
        let cap = sc.expand()?[0].spec.offered_rate_cap();
        set_window(&mut sc, args.num_records as f64 / cap)?;
    }
    Ok(sc)
}

/// Sets the production window to `seconds` (at least 1 ms, at most a simulated day).
fn set_window(sc: &mut Scenario, seconds: f64) -> Result<(), Failure> {
    let ms = (seconds * 1000.0).ceil().clamp(1.0, 86_400_000.0);
    sc.apply_set(&format!("duration_ms={ms}"))?;
    Ok(())
}

pub(crate) fn cmd_perf_test(args: &PerfTestArgs) -> Result<u8, Failure> {
    let mut sc = scenario(args)?;
    let mut points = sc.expand()?;
    if points.len() != 1 {
        return Err(bad(format!(
            "perf-test runs one configuration; the scenario sweeps {} points (pin the swept keys with --set)",
            points.len()
        )));
    }
    print_notes([&sc]);
    let point: &RunPoint = &points[0];
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // A long run shows its simulated time on stderr (stdout is perf-test's output).
    let progress = prodsim::runner::RunProgress::new(1);
    let window_s = point.spec.duration_ms as f64 / 1000.0;
    let status = || {
        let ns = progress.sim_ns[0].load(std::sync::atomic::Ordering::Relaxed);
        format!("simulated {:.1} s of a {window_s:.1} s window", ns as f64 / 1e9)
    };
    let run = |point: &RunPoint| {
        super::progress::with_progress("perf-test", status, || {
            prodsim::runner::run_points(std::slice::from_ref(point), 1, Some(&progress)).remove(0)
        })
    };
    let mut r = run(point);
    // Unthrottled: send() blocked on buffer.memory, so the window held fewer than
    // --num-records send() calls; lengthen it in proportion (perf-test sends them all).
    let mut tries = 0;
    while unthrottled(args) && r.aborted.is_none() && r.records_sent < args.num_records && tries < 4 {
        tries += 1;
        let window_s = points[0].spec.duration_ms as f64 / 1000.0;
        set_window(
            &mut sc,
            window_s * args.num_records as f64 / r.records_sent.max(1) as f64 * 1.01,
        )?;
        points = sc.expand()?;
        r = run(&points[0]);
    }
    let point: &RunPoint = &points[0];
    std::panic::set_hook(previous_hook);
    if let Some(why) = &r.aborted {
        return Err(io_failure(format!("perf-test: the run stopped: {why}")));
    }
    let mb = |records: f64| records * args.record_size as f64 / (1024.0 * 1024.0);
    // Whole windows of the production window, as perf-test prints a window when its interval
    // has passed (the acknowledgements of the last moments count in the total only).
    let whole = |w: &&prodsim::result::TimelinePoint| w.acked > 0 && w.t_ms + w.width_ms <= point.spec.duration_ms;
    for w in r.timeline.iter().filter(whole) {
        let secs = w.width_ms as f64 / 1000.0;
        let rps = w.acked as f64 / secs;
        outln!(
            "{} records sent, {:.1} records/sec ({:.2} MB/sec), {:.1} ms avg latency, {:.1} ms max latency.",
            w.acked,
            rps,
            mb(rps),
            w.latency_mean_ms,
            w.latency_max_ms
        );
    }
    outln!(
        "{} records sent, {:.6} records/sec ({:.2} MB/sec), {:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
        r.records_acked,
        r.throughput_rps,
        mb(r.throughput_rps),
        r.latency_mean_ms,
        r.latency_max_ms,
        r.latency_p50_ms as u64,
        r.latency_p95_ms as u64,
        r.latency_p99_ms as u64,
        r.latency_p999_ms as u64
    );
    let d = &r.delivery;
    if r.records_failed > 0 || d.lost_acked > 0 || d.duplicates > 0 || d.reordered > 0 {
        prodsim::errln!(
            "note: {} records failed; of those acknowledged, {} lost, {} duplicated, {} reordered (simulated)",
            r.records_failed,
            d.lost_acked,
            d.duplicates,
            d.reordered
        );
    }
    Ok(0)
}
