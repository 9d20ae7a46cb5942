//! The `prodsim` command line: run scenarios, plot results, explain a record.
//!
//! Exit codes: 0 success, 1 I/O or internal error, 2 bad input (scenario, key, value,
//! combination), 3 an `[[expect]]` gate failed (or a search found a counterexample).

use clap::{Parser, Subcommand};
use prodsim::outdir::sanitize_for_terminal;
use prodsim::scenario::{RunPoint, Scenario, ScenarioError};
use prodsim::{errln, out};
use std::path::Path;
use std::process::ExitCode;

mod cli;

use cli::explain::{cmd_explain, ExplainArgs};
use cli::merge::{cmd_merge, MergeArgs};
use cli::perf_test::{cmd_perf_test, PerfTestArgs};
use cli::plot::{cmd_plot, PlotArgs};
use cli::run::{cmd_run, RunArgs};
use cli::search::{cmd_search, SearchArgs};

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
    Merge(MergeArgs),
    /// Comparison chart of columns across results/summary CSV files.
    Plot(PlotArgs),
    /// Print the life of one record in one run: batch, attempts, appends, replication,
    /// high watermark, truncation, final outcome.
    Explain(ExplainArgs),
    /// Print the scenario key reference (every key, its Kafka meaning and default) as Markdown.
    Keys,
    /// Search random fault schedules (and sweep points) of a scenario for a counterexample to a
    /// delivery guarantee; print the minimal one as a ready-to-run scenario file (also written
    /// to OUT/<name>/counterexample-<property>.toml), or "held for N cases".
    Search(SearchArgs),
    /// kafka-producer-perf-test, simulated: its arguments (--topic, --num-records,
    /// --record-size, --throughput, --producer-props, --producer.config) and its output (a line
    /// per 5 s of simulated time, then the total with percentiles).
    PerfTest(PerfTestArgs),
}

/// An error with its exit code.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure {
            code: 2,
            message: format!("error: {e}"),
        }
    }
}

pub(crate) fn io_failure(message: String) -> Failure {
    Failure {
        code: 1,
        message: format!("error: {message}"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => cmd_run(&args),
        Command::Merge(args) => cmd_merge(&args),
        Command::Plot(args) => cmd_plot(&args),
        Command::Explain(args) => cmd_explain(&args),
        Command::Keys => {
            out!("{}", prodsim::scenario::reference_markdown());
            Ok(0)
        }
        Command::Search(args) => cmd_search(&args),
        Command::PerfTest(args) => cmd_perf_test(&args),
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
pub(crate) fn load(
    path: &Path,
    producer_config: Option<&Path>,
    sets: &[String],
) -> Result<(Scenario, Vec<RunPoint>), Failure> {
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
pub(crate) fn print_notes<'a>(scenarios: impl IntoIterator<Item = &'a Scenario>) {
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

pub(crate) fn bad_input(message: String) -> Failure {
    Failure {
        code: 2,
        message: format!("error: {message}"),
    }
}
