//! The `prodsim` command line: run scenarios, plot results, explain a record.
//!
//! Exit codes: 0 success, 1 I/O or internal error, 2 bad input (scenario, key, value,
//! combination), 3 an `[[expect]]` gate failed (or a search found a counterexample).

use clap::{Args, Parser, Subcommand};
use prodsim::outdir::{sanitize_for_terminal, OutDir};
use prodsim::report::{self, ChartKind, ChartSpec, CsvTable, Row};
use prodsim::runner::RunProgress;
use prodsim::scenario::{RunPoint, Scenario, ScenarioError};
use prodsim::{errln, out, outln};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Most faults `search --max-faults` may draw per case.
const MAX_SEARCH_FAULTS: usize = 64;
/// Simulated records per second of wall time and core, for the estimate printed before a long
/// job (the slowest shipped benchmark runs at ~2 M/s, the others at 10-50 M/s).
const ESTIMATE_RECORDS_PER_S: f64 = 5e6;

#[derive(Parser)]
#[command(
    name = "prodsim",
    version,
    about = "Deterministic simulation testbed for Apache Kafka producer semantics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario files: results.csv, summary.csv and charts under DIR/<name>/.
    Run(RunArgs),
    /// Combine the output directories of `run --shard I/N` into the results.csv and summary.csv
    /// a single run writes (and, given the scenario, its charts and expectation verdicts).
    Merge {
        /// Shard output directories (each holds results.csv and shard.txt).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory: writes DIR/<name>/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// The scenario file: evaluate its [[expect]] gates and draw its charts.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// The `--set` options the shards were run with (checked against the shards' sweep
        /// digest when --scenario is given).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// The `--producer-config` file the shards were run with (needs --scenario).
        #[arg(long, value_name = "FILE")]
        producer_config: Option<PathBuf>,
    },
    /// Comparison chart of columns across results/summary CSV files.
    Plot {
        #[arg(required = true)]
        csvs: Vec<PathBuf>,
        #[arg(long)]
        x: String,
        #[arg(long)]
        y: String,
        #[arg(long)]
        series: Option<String>,
        /// Output file (both .png and .svg are written).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        log_x: bool,
        #[arg(long)]
        log_y: bool,
        /// "line" or "bar".
        #[arg(long, default_value = "line")]
        kind: String,
    },
    /// Print the life of one record in one run: batch, attempts, appends, replication,
    /// high watermark, truncation, final outcome.
    Explain {
        scenario: PathBuf,
        #[arg(long)]
        seed: u64,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// A Java .properties file of producer configs (Kafka names), applied over the scenario
        /// and under --set.
        #[arg(long, value_name = "FILE")]
        producer_config: Option<PathBuf>,
        /// PARTITION:SEQUENCE (the record's per-partition send sequence, from 0). Default: the
        /// first lost, duplicated or reordered record.
        #[arg(long)]
        record: Option<String>,
    },
    /// Print the scenario key reference (every key, its Kafka meaning and default) as Markdown.
    Keys,
    /// Search random fault schedules (and sweep points) of a scenario for a counterexample to a
    /// delivery guarantee; print the minimal one as a ready-to-run scenario file (also written
    /// to OUT/<name>/counterexample-<property>.toml), or "held for N cases".
    Search {
        scenario: PathBuf,
        /// The property to falsify (an unknown name lists them all).
        #[arg(long)]
        property: String,
        /// Random cases to run (shrinking runs come on top).
        #[arg(long, default_value_t = 256)]
        cases: u32,
        /// Search seed: the same seed gives the same search and the same counterexample.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Override a key, as for `run`; a list value sweeps it (the search picks points).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// A Java .properties file of producer configs (Kafka names), applied over the scenario
        /// and under --set.
        #[arg(long, value_name = "FILE")]
        producer_config: Option<PathBuf>,
        /// Output directory for the counterexample file.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Parallel search shards (0 = one per core). The outcome does not depend on it.
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// Fault kinds to draw, comma-separated (default: the property's fault model).
        #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
        faults: Option<Vec<String>>,
        /// Most faults drawn per case (the scenario's own faults come on top).
        #[arg(long, default_value_t = 4)]
        max_faults: usize,
    },
}

/// `prodsim run`'s options.
#[derive(Args)]
struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Output directory: each scenario's report goes to DIR/<name>/.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Parallel runs (0 = one per core, at most 1024). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Override a key: `section.key=value` or a top-level key (`duration_ms=20000`); a list
    /// value (`'producer.acks=["1","all"]'`) sweeps it. Kafka names work too (`linger.ms=10`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// A Java .properties file of producer configs (Kafka names: `linger.ms=10`), applied over
    /// every scenario and under --set; configs prodsim does not model get a note.
    #[arg(long, value_name = "FILE")]
    producer_config: Option<PathBuf>,
    /// Print simulated records, events and wall time to stderr.
    #[arg(long)]
    stats: bool,
    /// No charts (CSV only).
    #[arg(long)]
    no_charts: bool,
    /// Run only the I-th of N contiguous slices of the sweep (0-based), e.g. `--shard 2/8`;
    /// combine the shards' output directories with `prodsim merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
}

/// An error with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure {
            code: 2,
            message: format!("error: {e}"),
        }
    }
}

fn io_failure(message: String) -> Failure {
    Failure {
        code: 1,
        message: format!("error: {message}"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => cmd_run(&args),
        Command::Merge {
            dirs,
            out,
            scenario,
            sets,
            producer_config,
        } => cmd_merge(&dirs, &out, scenario.as_deref(), producer_config.as_deref(), &sets),
        Command::Plot {
            csvs,
            x,
            y,
            series,
            out,
            log_x,
            log_y,
            kind,
        } => cmd_plot(&csvs, x, y, series, out, log_x, log_y, &kind),
        Command::Explain {
            scenario,
            seed,
            sets,
            producer_config,
            record,
        } => cmd_explain(&scenario, seed, producer_config.as_deref(), &sets, record.as_deref()),
        Command::Keys => {
            out!("{}", prodsim::scenario::reference_markdown());
            Ok(0)
        }
        Command::Search {
            scenario,
            property,
            cases,
            seed,
            sets,
            producer_config,
            out,
            jobs,
            faults,
            max_faults,
        } => cmd_search(
            &scenario,
            &property,
            cases,
            seed,
            producer_config.as_deref(),
            &sets,
            &out,
            jobs,
            faults.as_deref(),
            max_faults,
        ),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            // Messages quote user input (keys, values, names): no raw control characters.
            errln!("{}", sanitize_for_terminal(&f.message));
            ExitCode::from(f.code)
        }
    }
}

/// Load a scenario, apply a `--producer-config` file, then `--set`s (in that order of
/// precedence); validates every run point.
fn load(path: &Path, producer_config: Option<&Path>, sets: &[String]) -> Result<(Scenario, Vec<RunPoint>), Failure> {
    let mut sc = Scenario::load(path)?;
    if let Some(pc) = producer_config {
        sc.apply_properties(pc, &pc.display().to_string())?;
    }
    for s in sets {
        sc.apply_set(s)?;
    }
    let points = sc.expand()?;
    Ok((sc, points))
}

/// Prints the scenarios' notes about Kafka configs without effect on stderr, each line once.
fn print_notes<'a>(scenarios: impl IntoIterator<Item = &'a Scenario>) {
    let mut seen = std::collections::BTreeSet::new();
    for sc in scenarios {
        for note in sc.notes() {
            if seen.insert(note.clone()) {
                // Notes quote user input (class names, paths): no raw control characters.
                errln!("{}", sanitize_for_terminal(&note));
            }
        }
    }
}

fn bad_input(message: String) -> Failure {
    Failure {
        code: 2,
        message: format!("error: {message}"),
    }
}

fn cmd_run(args: &RunArgs) -> Result<u8, Failure> {
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
    // Validate every scenario before running anything: bad input writes nothing, not even the
    // output directory.
    let mut loaded: Vec<(Scenario, Vec<RunPoint>)> = Vec::new();
    for p in &args.scenarios {
        let (sc, points) = load(p, args.producer_config.as_deref(), &args.sets)?;
        if let Some((other, _)) = loaded.iter().find(|(o, _)| o.name == sc.name) {
            return Err(bad_input(format!(
                "{} and {} are both named `{}`: their reports would overwrite each other in {}; give one a different `name`",
                other.path.display(),
                p.display(),
                sc.name,
                args.out.join(&sc.name).display()
            )));
        }
        loaded.push((sc, points));
    }
    print_notes(loaded.iter().map(|(sc, _)| sc));
    let out_dir = OutDir::create(&args.out).map_err(io_failure)?;
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
        let staged = out_dir.stage(&sc.name).map_err(io_failure)?;
        report::write_scenario_report(
            &sc,
            &points,
            &results,
            &rows,
            staged.path(),
            !args.no_charts,
            marker.as_deref(),
        )
        .map_err(io_failure)?;
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
        } else if !print_verdicts(&sc, &rows) {
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
        .map(|p| p.spec.workload.rate * p.spec.duration_ms as f64 / 1000.0)
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

/// Runs the points while a thread shows progress on stderr: a bar on a terminal; otherwise,
/// once the job has taken 5 s, a line every 5 s. A single run shows its simulated time.
fn run_with_progress_display(sc: &Scenario, points: &[RunPoint], jobs: usize) -> Vec<prodsim::RunResult> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    let progress = RunProgress::new(points.len());
    let done = AtomicBool::new(false);
    let window_s = points
        .iter()
        .map(|p| p.spec.duration_ms as f64 / 1000.0)
        .fold(0.0, f64::max);
    let status = |progress: &RunProgress| {
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
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let terminal = std::io::stderr().is_terminal();
            let bar = if terminal {
                let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
                    b.set_style(style);
                }
                Some(b)
            } else {
                None
            };
            let started = Instant::now();
            let mut last_line = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                match &bar {
                    Some(b) => b.set_message(format!("{}: {}", sc.name, status(&progress))),
                    None => {
                        if started.elapsed() >= Duration::from_secs(5) && last_line.elapsed() >= Duration::from_secs(5)
                        {
                            last_line = Instant::now();
                            errln!(
                                "{}: {} ({:.0} s)",
                                sc.name,
                                status(&progress),
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let results = prodsim::runner::run_points(points, jobs, Some(&progress));
        done.store(true, Ordering::Relaxed);
        results
    })
}

/// Evaluate and print the scenario's `[[expect]]` gates; false when one fails.
fn print_verdicts(sc: &Scenario, rows: &[Row]) -> bool {
    if sc.expects.is_empty() {
        return true;
    }
    let erows: Vec<prodsim::expect::Row> = rows
        .iter()
        .map(|r| {
            let mut params = r.params.clone();
            params.push(("seed".into(), r.seed.to_string()));
            (params, r.measures.clone())
        })
        .collect();
    let verdicts = prodsim::expect::evaluate(&sc.expects, &erows);
    outln!("\nexpectations:");
    for v in &verdicts {
        // Gate names come from the scenario file: no raw control characters on the terminal.
        outln!(
            "  [{}] {} ({} runs): {}",
            if v.passed { "PASS" } else { "FAIL" },
            sanitize_for_terminal(&v.expect_name),
            v.matched_runs,
            sanitize_for_terminal(&v.detail)
        );
    }
    verdicts.iter().all(|v| v.passed)
}

fn cmd_merge(
    dirs: &[PathBuf],
    out: &Path,
    scenario: Option<&Path>,
    producer_config: Option<&Path>,
    sets: &[String],
) -> Result<u8, Failure> {
    // Everything is read and checked before anything is written.
    let loaded = scenario.map(|p| load(p, producer_config, sets)).transpose()?;
    if scenario.is_none() && (!sets.is_empty() || producer_config.is_some()) {
        return Err(bad_input(
            "--set and --producer-config need --scenario (they check the shards against that sweep)".into(),
        ));
    }
    let merged = prodsim::shard::merge_shards(dirs).map_err(bad_input)?;
    let name = merged.name.clone();
    if let (Some(path), Some((sc, points))) = (scenario, &loaded) {
        if sc.name != name {
            return Err(bad_input(format!(
                "{}: scenario `{}`, but the shards are of `{name}`",
                path.display(),
                sc.name
            )));
        }
        let digest = prodsim::shard::sweep_digest(&sc.name, points);
        if digest != merged.digest || points.len() != merged.rows.len() {
            return Err(bad_input(format!(
                "{}: its sweep ({} runs, digest {digest}) is not the one the shards ran ({} runs, digest {}); \
                 pass the --set options the shards were run with",
                path.display(),
                points.len(),
                merged.rows.len(),
                merged.digest
            )));
        }
    }
    let rows = merged.rows;
    let out_dir = OutDir::create(out).map_err(io_failure)?;
    let staged = out_dir.stage(&name).map_err(io_failure)?;
    prodsim::shard::write_merged(staged.path(), &rows).map_err(io_failure)?;
    if let Some((sc, _)) = &loaded {
        let table = CsvTable::from_rows(&rows);
        let specs = report::chart_specs(sc, &table);
        let files = report::draw_charts(staged.path(), &specs, &table).map_err(io_failure)?;
        report::write_index_html(staged.path(), &sc.name, &files).map_err(io_failure)?;
    }
    let lock = out_dir.lock().map_err(io_failure)?;
    let dir = staged.commit(&lock).map_err(io_failure)?;
    drop(lock);
    outln!(
        "{name} ({} runs, {} shards) -> {}",
        rows.len(),
        dirs.len(),
        dir.display()
    );
    report::print_table(&report::summarize(&rows), &mut prodsim::term::QuietStdout)
        .map_err(|e| io_failure(e.to_string()))?;
    let mut exit = 0;
    if let Some((sc, _)) = &loaded {
        if !print_verdicts(sc, &rows) {
            exit = 3;
        }
    }
    Ok(exit)
}

#[allow(clippy::too_many_arguments)]
fn cmd_plot(
    csvs: &[PathBuf],
    x: String,
    y: String,
    series: Option<String>,
    out: Option<PathBuf>,
    log_x: bool,
    log_y: bool,
    kind: &str,
) -> Result<u8, Failure> {
    let kind = ChartKind::parse(kind).ok_or_else(|| Failure {
        code: 2,
        message: format!("error: --kind must be \"line\" or \"bar\", got \"{kind}\""),
    })?;
    let spec = ChartSpec {
        x,
        y,
        series,
        per: None,
        log_x,
        log_y,
        title: None,
        kind,
    };
    let files = report::plot_command_spec(csvs, &spec, out).map_err(|m| Failure {
        code: 2,
        message: format!("error: {m}"),
    })?;
    for f in files {
        outln!("{}", f.display());
    }
    Ok(0)
}

fn cmd_explain(
    path: &Path,
    seed: u64,
    producer_config: Option<&Path>,
    sets: &[String],
    record: Option<&str>,
) -> Result<u8, Failure> {
    let (sc, points) = load(path, producer_config, sets)?;
    print_notes([&sc]);
    let matching: Vec<&RunPoint> = points.iter().filter(|p| p.seed == seed).collect();
    let Some(point) = matching.first() else {
        return Err(Failure {
            code: 2,
            message: format!(
                "error: {}: seed {seed} is not among the scenario's seeds {:?}",
                path.display(),
                sc.seeds
            ),
        });
    };
    if matching.len() > 1 {
        errln!(
            "note: {} sweep points have seed {seed}; explaining the first ({}). Pin swept keys with --set to choose another.",
            matching.len(),
            point.label()
        );
    }
    let (partition, rec) = match record {
        Some(r) => parse_record(r).ok_or_else(|| Failure {
            code: 2,
            message: format!("error: --record must be PARTITION:SEQUENCE (e.g. 0:1234), got \"{r}\""),
        })?,
        None => match prodsim::first_anomaly(&point.spec) {
            Some((p, r, what)) => {
                outln!("first anomaly in this run: record {p}:{r} ({what})");
                (p, r)
            }
            None => {
                outln!("{}: no record was lost, duplicated or reordered in this run; pass --record PARTITION:SEQUENCE to follow one.", point.label());
                return Ok(0);
            }
        },
    };
    if partition >= point.spec.cluster.partitions {
        return Err(Failure {
            code: 2,
            message: format!(
                "error: partition {partition} does not exist (partitions 0..{})",
                point.spec.cluster.partitions - 1
            ),
        });
    }
    let (fate, lines, result) = prodsim::explain_record(&point.spec, partition, rec);
    outln!("run: {}", point.label());
    outln!("record {partition}:{rec}\n");
    for l in lines {
        outln!("{l}");
    }
    outln!("\nfinal outcome: {fate}");
    let d = &result.delivery;
    outln!(
        "run totals: sent {}, acked {}, lost_acked {}, lost_failed {}, failed_present {}, duplicates {}, reordered {}",
        result.records_sent,
        result.records_acked,
        d.lost_acked,
        d.lost_failed,
        d.failed_present,
        d.duplicates,
        d.reordered
    );
    Ok(0)
}

fn parse_record(s: &str) -> Option<(u32, u64)> {
    let (p, r) = s.split_once(':')?;
    Some((p.trim().parse().ok()?, r.trim().parse().ok()?))
}

#[allow(clippy::too_many_arguments)]
fn cmd_search(
    path: &Path,
    property: &str,
    cases: u32,
    seed: u64,
    producer_config: Option<&Path>,
    sets: &[String],
    out: &Path,
    jobs: usize,
    faults: Option<&[String]>,
    max_faults: usize,
) -> Result<u8, Failure> {
    use prodsim::search::{self, Outcome, Progress, SearchOptions, Space};
    use std::sync::atomic::Ordering;
    let bad = |message: String| Failure {
        code: 2,
        message: format!("error: {message}"),
    };
    let prop = search::property(property).ok_or_else(|| {
        bad(format!(
            "unknown property `{property}`; the properties are: {}",
            search::property_names()
        ))
    })?;
    if cases == 0 {
        return Err(bad("--cases must be at least 1".into()));
    }
    if max_faults > MAX_SEARCH_FAULTS {
        return Err(bad(format!(
            "--max-faults must be at most {MAX_SEARCH_FAULTS}, got {max_faults}"
        )));
    }
    if jobs > prodsim::runner::MAX_JOBS {
        return Err(bad(format!(
            "--jobs must be from 0 (one per core) to {}, got {jobs}",
            prodsim::runner::MAX_JOBS
        )));
    }
    let (sc, _points) = load(path, producer_config, sets)?;
    print_notes([&sc]);
    let mut space = Space::from_scenario(&sc);
    space.max_faults = max_faults;
    if let Some(kinds) = faults {
        let mut chosen = Vec::new();
        for k in kinds.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
            let known = search::ALL_FAULT_KINDS.iter().find(|x| **x == k).ok_or_else(|| {
                bad(format!(
                    "unknown fault kind `{k}` in --faults; the kinds are: {}",
                    search::ALL_FAULT_KINDS.join(", ")
                ))
            })?;
            if !chosen.contains(known) {
                chosen.push(*known);
            }
        }
        if chosen.is_empty() && max_faults > 0 {
            return Err(bad("--faults lists no fault kind".into()));
        }
        if let Some(k) = chosen.iter().find(|k| !prop.fault_kinds.contains(k)) {
            errln!(
                "note: `{k}` is outside the fault model of `{}` ({}): a violation it causes is not a broken promise",
                prop.name,
                prop.fault_kinds.join(", ")
            );
        }
        space.fault_kinds = Some(chosen);
    }
    if let Some(f) = sc
        .base
        .faults
        .iter()
        .find(|f| !space.kinds(prop).contains(&f.kind.name()))
    {
        errln!(
            "note: the scenario's fault `{}` (at_ms = {}) is outside the fault model of `{}`; cases keep subsets of the scenario's faults",
            f.kind.name(),
            f.at_ms,
            prop.name
        );
    }
    if sc.base.random_faults != prodsim::config::RandomFaults::default() {
        errln!(
            "note: [random_faults] are off during a search: it draws its own fault schedules, as data it can shrink"
        );
    }
    if let Err(why) = (prop.requires)(&sc.base) {
        if sc.sweep.is_empty() {
            errln!(
                "note: Kafka does not promise `{}` for this configuration ({why}); searching anyway",
                prop.name
            );
        }
    }
    let progress = Progress::default();
    let options = SearchOptions {
        cases,
        seed,
        jobs,
        progress: Some(&progress),
        ..SearchOptions::default()
    };
    // A panicking simulation is a counterexample: its message goes into the report, not stderr.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let done = std::sync::atomic::AtomicBool::new(false);
    let outcome = std::thread::scope(|scope| {
        scope.spawn(|| draw_search_progress(&progress, cases, &done));
        let outcome = search::search_with(&space, prop, &options);
        done.store(true, Ordering::Relaxed);
        outcome
    });
    let wall = started.elapsed().as_secs_f64();
    std::panic::set_hook(previous_hook);
    let run_cases = progress.cases.load(Ordering::Relaxed);
    let shrink_runs = progress.shrink_runs.load(Ordering::Relaxed);
    errln!(
        "{run_cases} cases and {shrink_runs} shrinking runs in {wall:.2} s: {:.1} cases/s",
        (run_cases + shrink_runs) as f64 / wall.max(1e-9)
    );
    match outcome {
        Outcome::Held(n) => {
            outln!("`{}` held for {n} cases ({}, search seed {seed})", prop.name, sc.name);
            Ok(0)
        }
        Outcome::Counterexample(cx) => {
            let file = search::counterexample_path(out, &sc.name, prop.name);
            let shown = file.display().to_string();
            let text = search::render_counterexample(&sc.name, &shown, &cx);
            let file_name = format!("counterexample-{}.toml", prop.name);
            let out_dir = OutDir::create(out).map_err(io_failure)?;
            out_dir
                .write_into_report(&sc.name, &file_name, text.as_bytes())
                .map_err(io_failure)?;
            outln!(
                "counterexample to `{}` after {} cases (shrunk in {} steps): {}",
                prop.name,
                cx.cases_before,
                cx.shrink_steps,
                cx.violation
            );
            if let Some(why) = &cx.outside_precondition {
                outln!("note: Kafka does not promise `{}` here: {why}", prop.name);
            }
            if let Some(r) = &cx.result {
                outln!("measures: {}", search::measures_line(r));
            }
            outln!("\n--- {shown} ---");
            out!("{}", sanitize_for_terminal(&text));
            outln!("---\n\nreplay:");
            for c in search::replay_commands(&shown, &cx) {
                outln!("  {c}");
            }
            Ok(3)
        }
    }
}

/// Progress bar of a search on stderr (hidden when stderr is not a terminal): cases, then a
/// spinner while a counterexample is shrunk.
fn draw_search_progress(progress: &prodsim::search::Progress, cases: u32, done: &std::sync::atomic::AtomicBool) {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    use std::sync::atomic::Ordering;
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(Some(cases as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} cases {msg}")
                .expect("progress template")
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    while !done.load(Ordering::Relaxed) {
        bar.set_position(progress.cases.load(Ordering::Relaxed));
        if progress.found.load(Ordering::Relaxed) {
            bar.set_message(format!(
                "found a violation; shrinking ({} runs)",
                progress.shrink_runs.load(Ordering::Relaxed)
            ));
        }
        bar.tick();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
