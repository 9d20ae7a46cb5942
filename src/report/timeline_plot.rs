//! A `[[plots]]` entry of kind "timeline": for each value of its `per` column, the run
//! `--timeline-run`'s rule chooses among the runs with that value, drawn side by side
//! ([`super::timeline_compare`]) and captioned with which runs and why.

use super::html::{timeline_comparison_caption, ComparedPanel};
use super::timeline_compare::{draw_timeline_comparison, ComparedRun};
use super::{ChartKind, ChartSpec, DrawnChart, TimelineRun};
use crate::scenario::{RunPoint, Scenario};
use crate::RunResult;
use std::path::Path;

/// Draws the scenario's timeline plots into `dir`, in their order. A plot whose `per` column
/// these runs do not have (a `--set` pinned the swept key) is skipped with a note.
pub(crate) fn draw_timeline_plots(
    dir: &Path,
    sc: &Scenario,
    points: &[RunPoint],
    results: &[RunResult],
    rule: &TimelineRun,
) -> Result<Vec<DrawnChart>, String> {
    let mut drawn = Vec::new();
    for spec in sc.plots.iter().filter(|p| p.kind == ChartKind::Timeline) {
        let per = spec.per.as_deref().unwrap_or_default();
        let has_column = points.first().is_some_and(|p| p.params.iter().any(|(c, _)| c == per));
        if !has_column {
            crate::errln!(
                "note: {}: timeline comparison by {per} skipped: column `{per}` is not in these runs (a --set pinned it)",
                sc.name
            );
            continue;
        }
        drawn.extend(draw_timeline_plot(dir, sc, spec, points, results, rule)?);
    }
    Ok(drawn)
}

/// The values of column `per` in run order (the sweep's order, not sorted: `0.9` before `0.10`).
fn values_in_order(points: &[RunPoint], per: &str) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for p in points {
        if let Some((_, v)) = p.params.iter().find(|(c, _)| c == per) {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
    }
    values
}

/// File stem of a comparison by `per`: `timeline_by_<per>`, sanitized.
fn stem(per: &str) -> String {
    let safe: String = per
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    format!("timeline_by_{safe}")
}

fn draw_timeline_plot(
    dir: &Path,
    sc: &Scenario,
    spec: &ChartSpec,
    points: &[RunPoint],
    results: &[RunResult],
    rule: &TimelineRun,
) -> Result<Option<DrawnChart>, String> {
    let per = spec.per.as_deref().unwrap_or_default();
    let mut runs = Vec::new();
    let mut panels = Vec::new();
    for value in values_in_order(points, per) {
        let Some(chosen) = rule.choose_for_value(points, results, per, &value) else {
            continue;
        };
        let (point, result) = (&points[chosen.index], &results[chosen.index]);
        runs.push(ComparedRun {
            heading: format!("{per} = {value}"),
            run: format!(
                "run {} of {}, seed {}: {}",
                chosen.index + 1,
                points.len(),
                point.seed,
                chosen.why
            ),
            timeline: &result.timeline,
            faults: &result.faults,
        });
        panels.push(ComparedPanel {
            value,
            row: chosen.index + 1,
            label: point.label(),
            why: chosen.why,
            lost_acked: result.delivery.lost_acked,
        });
    }
    if runs.is_empty() {
        return Ok(None);
    }
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| format!("{}: timelines by {per}", sc.name));
    let paths = draw_timeline_comparison(dir, &stem(per), &title, &runs)?;
    Ok(Some(DrawnChart {
        svg: paths[0].clone(),
        png: paths[1].clone(),
        title,
        caption: timeline_comparison_caption(spec.caption.as_deref(), per, &panels),
        y: String::new(),
        flat: None,
    }))
}
