//! `prodsim merge`: the shards of a sweep into the report one run would have written.

use super::run::print_verdicts;
use super::{bad_input, io_failure, load, what_if, Failure};
use clap::Args;
use prodsim::outdir::OutDir;
use prodsim::outln;
use prodsim::report::{self, CsvTable};
use std::path::PathBuf;

/// `prodsim merge`'s options.
#[derive(Args)]
pub(crate) struct MergeArgs {
    /// Shard output directories (each holds results.csv and shard.txt).
    #[arg(required = true)]
    pub(crate) dirs: Vec<PathBuf>,
    /// Output directory: writes DIR/<name>/. Default: reports/<name>/, or, with --set or
    /// --producer-config, reports/<name>-<hash of the overrides>/ (as `run` does).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// The scenario file: evaluate its [[expect]] gates and draw its charts.
    #[arg(long)]
    pub(crate) scenario: Option<PathBuf>,
    /// The `--set` options the shards were run with (checked against the shards' sweep
    /// digest when --scenario is given).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) sets: Vec<String>,
    /// The `--producer-config` file the shards were run with (needs --scenario).
    #[arg(long, value_name = "FILE")]
    pub(crate) producer_config: Option<PathBuf>,
    /// Fail (exit 3) when an [[expect]] gate matches no run (by default it is skipped).
    #[arg(long)]
    pub(crate) strict: bool,
}

pub(crate) fn cmd_merge(args: &MergeArgs) -> Result<u8, Failure> {
    let (dirs, sets) = (&args.dirs, &args.sets);
    let (scenario, producer_config) = (args.scenario.as_deref(), args.producer_config.as_deref());
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
    let (rows, producer_rows) = (merged.rows, merged.producer_rows);
    let overrides = what_if::overrides(producer_config, sets);
    let (out, dir_name) = what_if::destination(args.out.as_deref(), &name, &overrides);
    let out_dir = OutDir::create(&out).map_err(io_failure)?;
    let staged = out_dir.stage(&dir_name).map_err(io_failure)?;
    prodsim::shard::write_merged(staged.path(), &rows, &producer_rows).map_err(io_failure)?;
    if let Some((sc, points)) = &loaded {
        report::write_descriptions(staged.path(), sc, points, &rows, None, &overrides).map_err(io_failure)?;
        let table = CsvTable::from_rows(&rows);
        let specs = report::chart_specs(sc, &table);
        let drawn = report::draw_charts_described(staged.path(), &specs, &table).map_err(io_failure)?;
        let drawn = report::note_inputs(sc, drawn);
        let page = report::IndexPage {
            name: &sc.name,
            scenario: Some(sc),
            overrides: &overrides,
            rows: &rows,
            charts: &drawn,
            timeline: None,
            no_timeline: Some("A timeline needs one whole run, and shards keep only their rows: prodsim merge draws none (run one sweep point with prodsim run for its timeline)."),
        };
        report::write_index_html(staged.path(), &page).map_err(io_failure)?;
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
        if !print_verdicts(sc, &rows, args.strict) {
            exit = 3;
        }
    }
    Ok(exit)
}
