//! A scenario's report directory: results.csv, summary.csv, the scenario's charts, the timeline
//! of one run and index.html, written into a staging directory that
//! [`crate::outdir::Staged::commit`] moves into place.

use super::html::{IndexPage, TimelineFigure};
use super::{ChartSpec, CsvTable, DrawnChart, Row, TimelineRun};
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
    /// Which run the timeline shows (`--timeline-run`).
    pub timeline_run: &'a TimelineRun,
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
        timeline_run,
    } = *report;
    super::write_results(&tmp.join("results.csv"), rows)?;
    let per_producer: Vec<Row> = points
        .iter()
        .zip(results)
        .flat_map(|(p, r)| crate::runner::producer_rows(p, r))
        .collect();
    super::write_results(&tmp.join("producers.csv"), &per_producer)?;
    let summary = super::summarize(rows);
    super::write_summary(&tmp.join("summary.csv"), &summary)?;
    if let Some(m) = shard_marker {
        std::fs::write(tmp.join("shard.txt"), m).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    write_descriptions(tmp, sc, points, rows, Some(results), overrides)?;
    let chosen = timeline_run.choose(points, results);
    if let Some(c) = &chosen {
        super::timeline_csv::write_timeline_csv(tmp, &points[c.index], &results[c.index])?;
    }
    if charts {
        let table = CsvTable::from_rows(rows);
        let specs = chart_specs(sc, &table);
        let mut drawn = note_inputs(sc, super::draw_charts_described(tmp, &specs, &table)?);
        drawn.extend(super::timeline_plot::draw_timeline_plots(
            tmp,
            sc,
            points,
            results,
            timeline_run,
        )?);
        let mut figure = None;
        if let Some(c) = &chosen {
            let (point, result) = (&points[c.index], &results[c.index]);
            let title = format!("{}: {}", sc.name, point.label());
            let why = format!("run {} of {}: {}", c.index + 1, points.len(), c.why);
            let paths = super::draw_timeline(tmp, "timeline", &title, Some(&why), &result.timeline, &result.faults)?;
            figure = Some(TimelineFigure {
                svg: paths[0].clone(),
                png: paths[1].clone(),
                row: c.index + 1,
                label: point.label(),
                why: c.why.clone(),
                lost_acked: result.delivery.lost_acked,
            });
        }
        let page = IndexPage {
            name: &sc.name,
            scenario: Some(sc),
            overrides,
            rows,
            charts: &drawn,
            timeline: figure.as_ref(),
            no_timeline: None,
        };
        super::write_index_html(tmp, &page)?;
    }
    Ok(())
}

/// Adds to the caption of a flat throughput chart that it only shows the offered rate (an
/// input), when it does: the scenario's rate is fixed and the chart's values are within 2% of it.
pub fn note_inputs(sc: &Scenario, mut charts: Vec<DrawnChart>) -> Vec<DrawnChart> {
    let rate_swept = sc.sweep.iter().any(|a| a.key == "workload.rate");
    let rate = sc.base.workload.rate;
    for c in &mut charts {
        if let (Some((lo, hi)), "throughput_rps", false) = (c.flat, c.y.as_str(), rate_swept) {
            if rate > 0.0 && (lo - rate).abs() <= 0.02 * rate && (hi - rate).abs() <= 0.02 * rate {
                c.caption.push_str(&format!(
                    " This is the offered rate (workload.rate = {}/s): the producer kept up, so the chart shows an input, not a result.",
                    super::axis::format_compact(rate)
                ));
            }
        }
    }
    charts
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

/// The scenario's `[[plots]]` drawn from a table (timelines, drawn from the runs, are left
/// out), or the default charts. The loader checked every plot's columns; a plot whose column a
/// `--set` pinned away (the swept key is now fixed) is skipped with a note.
pub fn chart_specs(sc: &Scenario, table: &CsvTable) -> Vec<ChartSpec> {
    if sc.plots.is_empty() {
        return super::default_charts(table);
    }
    let columns = &table.headers;
    sc.plots
        .iter()
        .filter(|p| p.kind != super::ChartKind::Timeline)
        .filter(|p| {
            let missing: Vec<&String> = std::iter::once(&p.x)
                .chain(p.y_columns())
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
