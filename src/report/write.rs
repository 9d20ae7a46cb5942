//! A scenario's report directory: results.csv, summary.csv, the scenario's charts, the timeline
//! of one run and index.html, written into a staging directory that
//! [`crate::outdir::Staged::commit`] moves into place.

use super::{ChartSpec, CsvTable, Row};
use crate::scenario::{RunPoint, Scenario};
use std::path::Path;

/// Write the report's files into `tmp` (a staging directory that [`crate::outdir::OutDir`] moves into place,
/// so a failed run never leaves a half-written report that looks whole).
pub fn write_scenario_report(
    sc: &Scenario,
    points: &[RunPoint],
    results: &[crate::RunResult],
    rows: &[Row],
    tmp: &Path,
    charts: bool,
    shard_marker: Option<&str>,
) -> Result<(), String> {
    super::write_results(&tmp.join("results.csv"), rows)?;
    let summary = super::summarize(rows);
    super::write_summary(&tmp.join("summary.csv"), &summary)?;
    if let Some(m) = shard_marker {
        std::fs::write(tmp.join("shard.txt"), m).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    let mut files = Vec::new();
    if charts {
        let table = CsvTable::from_rows(rows);
        let specs = chart_specs(sc, &table);
        files.extend(super::draw_charts(tmp, &specs, &table)?);
        // A timeline of the run that suffered most: the highest p99 latency among runs with
        // faults (or among all runs); the first such run on ties.
        let pool: Vec<usize> = {
            let faulted: Vec<usize> = (0..results.len()).filter(|&i| !results[i].faults.is_empty()).collect();
            if faulted.is_empty() {
                (0..results.len()).collect()
            } else {
                faulted
            }
        };
        let pick = pool.iter().copied().fold(None, |best: Option<usize>, i| match best {
            Some(b) if results[b].latency_p99_ms >= results[i].latency_p99_ms => Some(b),
            _ => Some(i),
        });
        if let Some(i) = pick {
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
