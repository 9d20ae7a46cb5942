//! `prodsim search`: look for a counterexample to a delivery guarantee.

use super::{io_failure, load, print_notes, progress, what_if, Failure};
use clap::Args;
use prodsim::config::FaultType;
use prodsim::outdir::{sanitize_for_terminal, OutDir};
use prodsim::{errln, out, outln};
use std::path::PathBuf;
use std::time::Instant;

/// Most faults `search --max-faults` may draw per case.
const MAX_SEARCH_FAULTS: usize = 64;

/// `prodsim search`'s options.
#[derive(Args)]
pub(crate) struct SearchArgs {
    /// The scenario file (TOML): its configuration and sweep are the search space.
    pub(crate) scenario: PathBuf,
    /// The property to falsify (an unknown name lists them all).
    #[arg(long)]
    pub(crate) property: String,
    /// Random cases to run (shrinking runs come on top).
    #[arg(long, default_value_t = 256)]
    pub(crate) cases: u32,
    /// Search seed: the same seed gives the same search and the same counterexample.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Override a key, as for `run`; a list value sweeps it (the search picks points).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) sets: Vec<String>,
    /// A Java .properties file of producer configs (Kafka names), applied over the scenario
    /// and under --set.
    #[arg(long, value_name = "FILE")]
    pub(crate) producer_config: Option<PathBuf>,
    /// Output directory for the counterexample file (DIR/<name>/). Default: reports/<name>/, or,
    /// with --set or --producer-config, reports/<name>-<hash of the overrides>/.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Parallel search shards (0 = one per core). The outcome does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub(crate) jobs: usize,
    /// Fault kinds to draw, comma-separated (default: the property's fault model).
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub(crate) faults: Option<Vec<String>>,
    /// Most faults drawn per case (the scenario's own faults come on top).
    #[arg(long, default_value_t = 4)]
    pub(crate) max_faults: usize,
}

pub(crate) fn cmd_search(args: &SearchArgs) -> Result<u8, Failure> {
    let (path, property, cases, seed) = (args.scenario.as_path(), args.property.as_str(), args.cases, args.seed);
    let (producer_config, sets) = (args.producer_config.as_deref(), &args.sets);
    let (jobs, faults, max_faults) = (args.jobs, args.faults.as_deref(), args.max_faults);

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
            let known = FaultType::parse(k).ok_or_else(|| {
                bad(format!(
                    "unknown fault kind `{k}` in --faults; the kinds are: {}",
                    FaultType::list(search::ALL_FAULT_KINDS)
                ))
            })?;
            if !chosen.contains(&known) {
                chosen.push(known);
            }
        }
        if chosen.is_empty() && max_faults > 0 {
            return Err(bad("--faults lists no fault kind".into()));
        }
        if let Some(k) = chosen.iter().find(|k| !prop.fault_kinds.contains(k)) {
            errln!(
                "note: `{k}` is outside the fault model of `{}` ({}): a violation it causes is not a broken promise",
                prop.name,
                FaultType::list(prop.fault_kinds)
            );
        }
        space.fault_kinds = Some(chosen);
    }
    if let Some(f) = sc
        .base
        .faults
        .iter()
        .find(|f| !space.kinds(prop).contains(&f.kind.fault_type()))
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
    if let Err(why) = (prop.requires)(&sc.base_spec()) {
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
    let status = || {
        let run = progress.cases.load(Ordering::Relaxed);
        if progress.found.load(Ordering::Relaxed) {
            format!(
                "found a violation after {run} cases; shrinking ({} runs)",
                progress.shrink_runs.load(Ordering::Relaxed)
            )
        } else {
            format!("{run}/{cases} cases")
        }
    };
    let label = format!("search {}", prop.name);
    let outcome = progress::with_progress(&label, status, || search::search_with(&space, prop, &options));
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
            let overrides = what_if::overrides(producer_config, sets);
            let (out, dir_name) = what_if::destination(args.out.as_deref(), &sc.name, &overrides);
            let file = search::counterexample_path(&out, &dir_name, prop.name);
            let shown = file.display().to_string();
            let text = search::render_counterexample(&sc.name, &shown, &cx);
            let file_name = format!("counterexample-{}.toml", prop.name);
            let out_dir = OutDir::create(&out).map_err(io_failure)?;
            out_dir
                .write_into_report(&dir_name, &file_name, text.as_bytes())
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
