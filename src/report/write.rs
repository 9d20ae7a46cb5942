//! A scenario's report directory: results.csv, summary.csv, the scenario's charts, the timeline
//! of one run and index.html, written into a staging directory that
//! [`crate::outdir::Staged::commit`] moves into place.

use super::{ChartSpec, CsvTable, Row};
use crate::scenario::{RunPoint, Scenario};
use std::path::Path;

/// What a scenario's report is made of.
#[derive(Clone, Copy, Debug)]
pub struct ScenarioReport<'a> {
    /// The scenario, every override applied.
    pub scenario: &'a Scenario,
    /// Its runs (a shard's slice for `run --shard`).
    pub points: &'a [RunPoint],
    /// Their results, in point order.
    pub results: &'a [crate::RunResult],
    /// Their results.csv rows, in point order.
    pub rows: &'a [Row],
    /// Draw the charts (and index.html).
    pub charts: bool,
    /// shard.txt's text, for a shard.
    pub shard_marker: Option<&'a str>,
    /// The overrides as given on the command line (`--producer-config FILE`, `--set K=V`), for
    /// the record in results.json and scenario.toml.
    pub overrides: &'a [String],
}

/// Write the report's files into `tmp` (a staging directory that [`crate::outdir::OutDir`] moves into place,
/// so a failed run never leaves a half-written report that looks whole): results.csv,
/// summary.csv, parameters.csv, scenario.toml, results.json, timeline.csv, and with charts the
/// charts and index.html.
pub fn write_scenario_report(report: &ScenarioReport<'_>, tmp: &Path) -> Result<(), String> {
    let ScenarioReport {
        scenario: sc,
        points,
        results,
        rows,
        charts,
        shard_marker,
        overrides,
    } = *report;
    super::write_results(&tmp.join("results.csv"), rows)?;
    let summary = super::summarize(rows);
    super::write_summary(&tmp.join("summary.csv"), &summary)?;
    if let Some(m) = shard_marker {
        std::fs::write(tmp.join("shard.txt"), m).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    write_descriptions(tmp, sc, points, rows, Some(results), overrides)?;
    let timeline_run = timeline_run(results);
    if let Some(i) = timeline_run {
        super::timeline_csv::write_timeline_csv(tmp, &points[i], &results[i])?;
    }
    let mut files = Vec::new();
    if charts {
        let table = CsvTable::from_rows(rows);
        let specs = chart_specs(sc, &table);
        files.extend(super::draw_charts(tmp, &specs, &table)?);
        if let Some(i) = timeline_run {
            let title = format!("{}: {}", sc.name, points[i].label());
            files.extend(super::draw_timeline(
                tmp,
                "timeline",
                &title,
                &results[i].timeline,
                &results[i].faults,
            )?);
        }
        super::write_index_html(tmp, &sc.name, &files)?;
    }
    Ok(())
}

/// The files that describe a report's runs: parameters.csv, scenario.toml and results.json
/// (with each run's faults as they happened and its event digest when `results` are at hand;
/// `prodsim merge` has only the rows).
pub fn write_descriptions(
    dir: &Path,
    sc: &Scenario,
    points: &[RunPoint],
    rows: &[Row],
    results: Option<&[crate::RunResult]>,
    overrides: &[String],
) -> Result<(), String> {
    super::parameters::write_parameters(dir, sc)?;
    super::write_atomic(&dir.join("scenario.toml"), scenario_toml(sc, overrides).as_bytes())?;
    super::json::write_results_json(dir, sc, points, rows, results, overrides)
}

/// The run the timeline shows: the one that suffered most, i.e. the highest p99 latency among
/// runs with faults (or among all runs); the first such run on ties.
fn timeline_run(results: &[crate::RunResult]) -> Option<usize> {
    let pool: Vec<usize> = {
        let faulted: Vec<usize> = (0..results.len()).filter(|&i| !results[i].faults.is_empty()).collect();
        if faulted.is_empty() {
            (0..results.len()).collect()
        } else {
            faulted
        }
    };
    pool.iter().copied().fold(None, |best: Option<usize>, i| match best {
        Some(b) if results[b].latency_p99_ms >= results[i].latency_p99_ms => Some(b),
        _ => Some(i),
    })
}

/// scenario.toml: a header saying what it is (version, source file, overrides, each on one
/// comment line whatever it holds), then [`Scenario::effective_toml`].
pub(crate) fn scenario_toml(sc: &Scenario, overrides: &[String]) -> String {
    let mut text = format!(
        "# The effective scenario of this report (prodsim {}): {:?} with every override applied.\n\
         # `prodsim run scenario.toml` runs the same runs (same results.csv).\n",
        super::json::VERSION,
        sc.path.display().to_string()
    );
    for o in overrides {
        text.push_str(&format!("# override: {o:?}\n"));
    }
    text.push('\n');
    text.push_str(&sc.effective_toml());
    text
}

/// The scenario's `[[plots]]`, or the default charts. The loader checked every plot's columns;
/// a plot whose column a `--set` pinned away (the swept key is now fixed) is skipped with a note.
pub fn chart_specs(sc: &Scenario, table: &CsvTable) -> Vec<ChartSpec> {
    if sc.plots.is_empty() {
        return super::default_charts(table);
    }
    let columns = &table.headers;
    sc.plots
        .iter()
        .filter(|p| {
            let missing: Vec<&String> = [&p.x, &p.y]
                .into_iter()
                .chain(&p.series)
                .chain(&p.per)
                .filter(|c| !columns.contains(c))
                .collect();
            if let Some(c) = missing.first() {
                crate::errln!(
                    "note: {}: chart of {} against {} skipped: column `{c}` is not in this run's results (a --set pinned it)",
                    sc.name,
                    p.y,
                    p.x
                );
            }
            missing.is_empty()
        })
        .cloned()
        .collect()
}
