//! `prodsim run`: simulate scenarios and write their reports.

use super::{bad_input, io_failure, load, print_notes, progress, what_if, Failure};
use clap::Args;
use prodsim::outdir::{sanitize_for_terminal, OutDir};
use prodsim::report::{self, Row};
use prodsim::runner::RunProgress;
use prodsim::scenario::{RunPoint, Scenario};
use prodsim::{errln, outln};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Simulated records per second of wall time and core, for the estimate printed before a long
/// job (the slowest shipped benchmark runs at ~2 M/s, the others at 10-50 M/s).
const ESTIMATE_RECORDS_PER_S: f64 = 5e6;

/// `prodsim run`'s options.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub(crate) scenarios: Vec<PathBuf>,
    /// Output directory: each scenario's report goes to DIR/<name>/. Default: reports/<name>/,
    /// or, with --set or --producer-config, reports/<name>-<hash of the overrides>/ (the
    /// published report stays untouched).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Parallel runs (0 = one per core, at most 1024). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub(crate) jobs: usize,
    /// Override a key: `section.key=value` or a top-level key (`duration_ms=20000`); a list
    /// value (`'producer.acks=["1","all"]'`) sweeps it. Kafka names work too (`linger.ms=10`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) sets: Vec<String>,
    /// A Java .properties file of producer configs (Kafka names: `linger.ms=10`), applied over
    /// every scenario and under --set; configs prodsim does not model get a note.
    #[arg(long, value_name = "FILE")]
    pub(crate) producer_config: Option<PathBuf>,
    /// Print simulated records, events and wall time to stderr.
    #[arg(long)]
    pub(crate) stats: bool,
    /// No charts (CSV only).
    #[arg(long)]
    pub(crate) no_charts: bool,
    /// Fail (exit 3) when an [[expect]] gate matches no run; by default such a gate is
    /// reported as "skipped (no matching run)".
    #[arg(long)]
    pub(crate) strict: bool,
    /// Run only the I-th of N contiguous slices of the sweep (0-based), e.g. `--shard 2/8`;
    /// combine the shards' output directories with `prodsim merge`.
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<String>,
    /// Which run the timeline (timeline.csv, its chart, index.html) shows: worst-p99 (the
    /// default: the highest p99 latency among the runs with faults, or among all runs),
    /// first-loss (the first run that lost acknowledged records; the default's choice when
    /// none did), a results.csv row number (7; 1 = the first run), or column=value,... (the
    /// first run with these results.csv values, e.g. acks=1,min_insync_replicas=2,seed=3).
    /// The chart and index.html say which run and why.
    #[arg(long, value_name = "WHICH", default_value = "worst-p99")]
    pub(crate) timeline_run: String,
}

pub(crate) fn cmd_run(args: &RunArgs) -> Result<u8, Failure> {
    if args.jobs > prodsim::runner::MAX_JOBS {
        return Err(bad_input(format!(
            "--jobs must be from 0 (one per core) to {}, got {}",
            prodsim::runner::MAX_JOBS,
            args.jobs
        )));
    }
    let shard = args
        .shard
        .as_deref()
        .map(prodsim::shard::Shard::parse)
        .transpose()
        .map_err(bad_input)?;
    let timeline_run = report::TimelineRun::parse(&args.timeline_run).map_err(bad_input)?;
    let overrides = what_if::overrides(args.producer_config.as_deref(), &args.sets);
    // Validate every scenario before running anything: bad input writes nothing, not even the
    // output directory.
    let mut loaded: Vec<(Scenario, Vec<RunPoint>)> = Vec::new();
    for p in &args.scenarios {
        let (sc, points) = load(p, args.producer_config.as_deref(), &args.sets)?;
        if let Some((other, _)) = loaded.iter().find(|(o, _)| o.name == sc.name) {
            let (out, dir_name) = what_if::destination(args.out.as_deref(), &sc.name, &overrides);
            return Err(bad_input(format!(
                "{} and {} are both named `{}`: their reports would overwrite each other in {}; give one a different `name`",
                other.path.display(),
                p.display(),
                sc.name,
                out.join(dir_name).display()
            )));
        }
        let slice: &[RunPoint] = match shard {
            Some(s) => &points[s.range(points.len())],
            None => &points,
        };
        timeline_run
            .check(slice)
            .map_err(|e| bad_input(format!("{}: {e}", sc.name)))?;
        loaded.push((sc, points));
    }
    print_notes(loaded.iter().map(|(sc, _)| sc));
    let (out_root, _) = what_if::destination(args.out.as_deref(), "x", &overrides);
    let out_dir = OutDir::create(&out_root).map_err(io_failure)?;
    let mut exit = 0u8;
    for (sc, all_points) in loaded {
        let points: Vec<RunPoint> = match shard {
            Some(s) => all_points[s.range(all_points.len())].to_vec(),
            None => all_points.clone(),
        };
        print_estimate(&sc, &points, args.jobs);
        let started = Instant::now();
        let results = run_with_progress_display(&sc, &points, args.jobs);
        let wall = started.elapsed().as_secs_f64();
        if let Some((p, r)) = points.iter().zip(&results).find(|(_, r)| r.aborted.is_some()) {
            return Err(io_failure(format!(
                "{}: run {} stopped: {}; no report written",
                sc.name,
                p.label(),
                r.aborted.as_deref().unwrap_or("")
            )));
        }
        if args.stats {
            let records: u64 = results.iter().map(|r| r.records_sent).sum();
            let events: u64 = results.iter().map(|r| r.events).sum();
            errln!(
                "{}: {} runs, {} simulated records, {} events, {:.3} s wall: {:.2} M records/s, {:.2} M events/s",
                sc.name,
                points.len(),
                records,
                events,
                wall,
                records as f64 / wall / 1e6,
                events as f64 / wall / 1e6
            );
        }
        let rows: Vec<Row> = points
            .iter()
            .zip(&results)
            .map(|(p, r)| prodsim::runner::row(p, r))
            .collect();
        let marker = shard.map(|s| {
            let digest = prodsim::shard::sweep_digest(&sc.name, &all_points);
            s.marker(&sc.name, all_points.len(), &digest)
        });
        let (_, dir_name) = what_if::destination(args.out.as_deref(), &sc.name, &overrides);
        if dir_name != sc.name {
            errln!(
                "note: {}: a what-if (overrides, no --out): its report goes to {}, and {} stays as it is                  (--out DIR writes DIR/{}/)",
                sc.name,
                out_root.join(&dir_name).display(),
                out_root.join(&sc.name).display(),
                sc.name
            );
        }
        let staged = out_dir.stage(&dir_name).map_err(io_failure)?;
        let report = report::ScenarioReport {
            scenario: &sc,
            points: &points,
            results: &results,
            rows: &rows,
            charts: !args.no_charts,
            shard_marker: marker.as_deref(),
            overrides: &overrides,
            timeline_run: &timeline_run,
        };
        report::write_scenario_report(&report, staged.path()).map_err(io_failure)?;
        let lock = out_dir.lock().map_err(io_failure)?;
        let dir = staged.commit(&lock).map_err(io_failure)?;
        drop(lock);
        outln!("{} ({} runs) -> {}", sc.name, points.len(), dir.display());
        let summary = report::summarize(&rows);
        report::print_table(&summary, &mut prodsim::term::QuietStdout).map_err(|e| io_failure(e.to_string()))?;
        if let Some(s) = shard {
            if !sc.expects.is_empty() {
                outln!(
                    "\nshard {}/{}: expectations are evaluated on the merged results \
                     (prodsim merge DIRS... --scenario {})",
                    s.index,
                    s.count,
                    sc.path.display()
                );
            }
        } else if !print_verdicts(&sc, &rows, args.strict) {
            exit = 3;
        }
    }
    Ok(exit)
}

/// Before a long job: its size, a wall-time estimate, and a warning when `buffer.memory` lets
/// the accumulator hold more batches than the simulator will (the run would stop).
fn print_estimate(sc: &Scenario, points: &[RunPoint], jobs: usize) {
    let records: f64 = points
        .iter()
        .map(|p| p.spec.offered_rate_cap() * p.spec.duration_ms as f64 / 1000.0)
        .sum();
    let cores = if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    }
    .min(points.len().max(1));
    let seconds = records / ESTIMATE_RECORDS_PER_S / cores as f64;
    if seconds > 60.0 {
        errln!(
            "note: {}: {} run{}, about {records:.3e} simulated records: expect about {} of wall time on {cores} core(s)",
            sc.name,
            points.len(),
            if points.len() == 1 { "" } else { "s" },
            human_duration(seconds)
        );
    }
    if let Some(p) = points.iter().find(|p| {
        let per_batch = (p.spec.producer.batch_size as u64).max(p.spec.workload.record_bytes as u64 + 70);
        p.spec.producer.buffer_memory / per_batch > prodsim::model::MAX_LIVE_BATCHES as u64
    }) {
        errln!(
            "warning: {}: run {}: producer.buffer_memory = {} lets the accumulator hold up to {} batches; \
             a run stops with an error beyond {} (lower buffer_memory or raise batch_size)",
            sc.name,
            p.label(),
            p.spec.producer.buffer_memory,
            p.spec.producer.buffer_memory
                / (p.spec.producer.batch_size as u64).max(p.spec.workload.record_bytes as u64 + 70),
            prodsim::model::MAX_LIVE_BATCHES
        );
    }
}

fn human_duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 2.0 * 86400.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s < 730.0 * 86400.0 {
        format!("{:.0} days", s / 86400.0)
    } else {
        format!("{:.1e} years", s / (365.25 * 86400.0))
    }
}

/// Runs the points while progress shows on stderr ([`progress::with_progress`]): runs done, or
/// a single run's simulated time.
fn run_with_progress_display(sc: &Scenario, points: &[RunPoint], jobs: usize) -> Vec<prodsim::RunResult> {
    let progress = RunProgress::new(points.len());
    let window_s = points
        .iter()
        .map(|p| p.spec.duration_ms as f64 / 1000.0)
        .fold(0.0, f64::max);
    let status = || {
        let finished = progress.done.load(Ordering::Relaxed);
        let furthest = progress
            .sim_ns
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0) as f64
            / 1e9;
        if points.len() == 1 {
            format!("simulated {furthest:.1} s of a {window_s:.1} s window")
        } else {
            format!("{finished}/{} runs done", points.len())
        }
    };
    progress::with_progress(&sc.name, status, || {
        // A failed model invariant ends its run with a message (exit 1 below), not a panic
        // report on stderr.
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let results = prodsim::runner::run_points(points, jobs, Some(&progress));
        std::panic::set_hook(previous_hook);
        results
    })
}

/// Evaluate and print the scenario's `[[expect]]` gates; false when one fails (with `strict`,
/// a gate that matched no run fails too).
pub(crate) fn print_verdicts(sc: &Scenario, rows: &[Row], strict: bool) -> bool {
    if sc.expects.is_empty() {
        return true;
    }
    let verdicts = report::evaluate_gates(sc, rows);
    outln!("\nexpectations:");
    for v in &verdicts {
        // Gate names come from the scenario file: no raw control characters on the terminal.
        let strict_note = if v.skipped && strict { "; --strict fails it" } else { "" };
        outln!(
            "  [{}] {} ({} runs): {}{strict_note}",
            v.label(strict),
            sanitize_for_terminal(&v.expect_name),
            v.matched_runs,
            sanitize_for_terminal(&v.detail)
        );
    }
    !verdicts.iter().any(|v| v.fails(strict))
}
