//! `[[plots]]` entries of kind "timeline": one timeline panel per value of a parameter column.

use toml_edit::TableLike;

use super::{did_you_mean, Parser};
use crate::scenario::{PlotKind, PlotSpec, Scenario, ScenarioError};

/// Panels a timeline comparison holds at most: beyond, they are too narrow to read.
pub(crate) const TIMELINE_PANELS_MAX: usize = 4;

/// The keys of a line or bar chart that a timeline has no use for.
const NOT_FOR_TIMELINE: [&str; 5] = ["x", "y", "series", "log_x", "log_y"];

/// Parses a `kind = "timeline"` entry (its keys already checked against every plot key, `title`
/// and `caption` read): no `x`, `y`, `series`, `log_x` or `log_y`; `per` a parameter column of
/// at most [`TIMELINE_PANELS_MAX`] values.
pub(super) fn parse_timeline_plot(
    p: &Parser<'_>,
    sc: &Scenario,
    t: &dyn TableLike,
    line: Option<usize>,
    title: Option<String>,
    caption: Option<String>,
) -> Result<PlotSpec, ScenarioError> {
    if let Some(k) = NOT_FOR_TIMELINE.iter().find(|k| t.contains_key(k)) {
        return Err(p.err(
            p.key_line(t, k),
            Some(&format!("plots.{k}")),
            format!(
                "`{k}` is not allowed with kind = \"timeline\" (its axes are simulated time, records/s and \
                 p99 latency); a timeline takes `per` (required), `title` and `caption`"
            ),
        ));
    }
    if !t.contains_key("per") {
        return Err(p.err(
            line,
            Some("plots.per"),
            "missing: `per` (a parameter column: one timeline panel per value), required with kind = \"timeline\"",
        ));
    }
    let per = p.string_of(t, "per", "plots.per")?;
    let per_line = p.value_line(t, "per");
    let columns = sc.columns();
    if !columns.contains(&per) {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        return Err(p.err(
            per_line,
            Some("plots.per"),
            format!(
                "unknown column `{per}`: a timeline's `per` must be a parameter column ({}){}",
                columns.join(", "),
                did_you_mean(&per, &names)
            ),
        ));
    }
    let values = per_values(sc, &per);
    if values > TIMELINE_PANELS_MAX {
        return Err(p.err(
            per_line,
            Some("plots.per"),
            format!(
                "column `{per}` has {values} values, and a timeline comparison shows at most \
                 {TIMELINE_PANELS_MAX} panels; sweep fewer values, or use `--timeline-run` for the timeline of one run"
            ),
        ));
    }
    Ok(PlotSpec {
        per: Some(per),
        title,
        caption,
        kind: PlotKind::Timeline,
        ..PlotSpec::default()
    })
}

/// Distinct values of parameter column `column` across the sweep (1 when it is not swept).
fn per_values(sc: &Scenario, column: &str) -> usize {
    let Some(axis) = sc.sweep.iter().find(|a| a.column == column) else {
        return 1;
    };
    let mut seen: Vec<String> = Vec::new();
    for v in &axis.values {
        let text = v.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.len()
}
