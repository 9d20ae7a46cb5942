//! The report layer: `results.csv`, `summary.csv`, the stdout table, charts (SVG + PNG) and an
//! HTML index. It never simulates: its input is plain rows of parameters and measures, so it can
//! be driven by the scenario runner and by `prodsim plot` over arbitrary CSV files alike.
//!
//! Determinism: every output is a function of the input rows in their given order. Grouping keeps
//! first-appearance order, maps are `BTreeMap`s, and the SVG charts are byte-identical across runs.
//!
//! Files are written to a temporary name in the destination directory and renamed into place, so
//! a half-written file never passes for a whole one.

mod axis;
mod chart;
mod default_charts;
mod figure;
mod font;
mod html;
mod json;
mod labels;
mod parameters;
mod plot;
mod table;
mod text;
mod timeline;
mod timeline_choice;
mod timeline_compare;
mod timeline_csv;
mod timeline_plot;
mod write;

pub use chart::{draw_charts, draw_charts_described, ChartKind, ChartSpec, DrawnChart};
pub use default_charts::default_charts;
pub use html::{write_index_html, IndexPage, TimelineFigure};
pub use json::{GIT_COMMIT, GIT_COMMIT_FIELD, VERSION};
pub use plot::{plot_command, plot_command_spec};
pub use table::CsvTable;
pub use timeline::draw_timeline;
pub use timeline_choice::{ChosenRun, TimelineRun};
pub use write::{chart_specs, note_inputs, write_descriptions, write_scenario_report, ScenarioReport};

use crate::result::Measure;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One run (sweep point x seed) as the report layer sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Swept parameter column -> display value, in column order, e.g. `("acks", "all")`.
    pub params: Vec<(String, String)>,
    /// The run's seed.
    pub seed: u64,
    /// The run's measures in results.csv order, as given by `RunResult::measures()`.
    pub measures: Vec<(&'static str, Measure)>,
}

/// One sweep point aggregated over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Swept parameter column -> display value, as in [`Row::params`].
    pub(crate) params: Vec<(String, String)>,
    /// Number of runs (seeds) in the group.
    pub(crate) seeds: u64,
    /// `(column, value)` in summary.csv order: every measure's mean under the measure's own name
    /// (always a float), then `<m>_min`/`<m>_max` for [`MIN_MAX_MEASURES`] and `<m>_sum` for
    /// [`SUM_MEASURES`] (integers stay integers).
    pub(crate) values: Vec<(String, Measure)>,
}

impl SummaryRow {
    /// The value of a summary column, by name.
    pub(crate) fn get(&self, column: &str) -> Option<Measure> {
        self.values
            .iter()
            .find(|(name, _)| name == column)
            .map(|&(_, value)| value)
    }
}

/// Measures that get `<m>_min` and `<m>_max` columns in summary.csv.
pub(crate) const MIN_MAX_MEASURES: [&str; 6] = [
    "throughput_rps",
    "latency_p50_ms",
    "latency_p99_ms",
    "lost_acked",
    "duplicates",
    "reordered",
];

/// Measures added after summary.csv's layout was published: their means come after the `_sum`
/// columns, so that every earlier column keeps its place (results.csv appends them after
/// `events` for the same reason).
pub(crate) const APPENDED_MEASURES: [&str; 16] = [
    "throughput_mb_s",
    "latency_p95_ms",
    "offered_rps",
    "send_blocked_ms",
    "buffer_wait_ratio",
    "saturated",
    "visible_p50_ms",
    "visible_p99_ms",
    "visible_max_ms",
    "lost_unsent",
    "e2e_p50_ms",
    "e2e_p99_ms",
    "e2e_max_ms",
    "records_consumed",
    "consumer_throughput_rps",
    "consumed_lost",
];

/// Measures that get a `<m>_sum` column in summary.csv.
pub(crate) const SUM_MEASURES: [&str; 5] = ["lost_acked", "lost_failed", "failed_present", "duplicates", "reordered"];

/// Writes results.csv: param columns, `seed`, then the measures; one line per row, in order.
pub fn write_results(path: &Path, rows: &[Row]) -> Result<(), String> {
    CsvTable::from_rows(rows).write(path)
}

/// Writes summary.csv: param columns, `seeds`, then the summary values.
pub fn write_summary(path: &Path, summary: &[SummaryRow]) -> Result<(), String> {
    CsvTable::from_summary(summary).write(path)
}

/// Groups rows by their params (seed excluded), groups in first-appearance order, and aggregates
/// each group over its seeds.
pub fn summarize(rows: &[Row]) -> Vec<SummaryRow> {
    let mut index: BTreeMap<&[(String, String)], usize> = BTreeMap::new();
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    for row in rows {
        let slot = *index.entry(row.params.as_slice()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(row);
    }
    let measure_names = measure_columns(rows);
    groups
        .iter()
        .map(|group| summarize_group(group, &measure_names))
        .collect()
}

fn summarize_group(group: &[&Row], measure_names: &[&'static str]) -> SummaryRow {
    // Per measure: the values of the runs that reported it, in row order.
    let values_of = |name: &str| -> Vec<Measure> {
        group
            .iter()
            .filter_map(|row| row.measures.iter().find(|(n, _)| *n == name))
            .map(|&(_, value)| value)
            .collect()
    };
    let mut values: Vec<(String, Measure)> = Vec::new();
    let means = |values: &mut Vec<(String, Measure)>, appended: bool| {
        for &name in measure_names {
            let vs = values_of(name);
            if vs.is_empty() || APPENDED_MEASURES.contains(&name) != appended {
                continue;
            }
            values.push((name.to_string(), mean(&vs)));
        }
    };
    means(&mut values, false);
    for name in MIN_MAX_MEASURES {
        let vs = values_of(name);
        if let (Some(min), Some(max)) = (extreme(&vs, true), extreme(&vs, false)) {
            values.push((format!("{name}_min"), min));
            values.push((format!("{name}_max"), max));
        }
    }
    for name in SUM_MEASURES {
        let vs = values_of(name);
        if vs.is_empty() {
            continue;
        }
        let sum = if vs.iter().all(|v| matches!(v, Measure::I(_))) {
            Measure::I(vs.iter().map(|v| v.as_f64() as u64).sum())
        } else {
            Measure::F(vs.iter().map(|v| v.as_f64()).sum())
        };
        values.push((format!("{name}_sum"), sum));
    }
    means(&mut values, true);
    SummaryRow {
        params: group[0].params.clone(),
        seeds: group.len() as u64,
        values,
    }
}

/// The mean of a measure over seeds: an integer when the measure is a count and the mean is
/// whole (`3`, not `3.000`), a float otherwise.
fn mean(values: &[Measure]) -> Measure {
    let counts: Option<Vec<u64>> = values
        .iter()
        .map(|v| match v {
            Measure::I(c) => Some(*c),
            Measure::F(_) => None,
        })
        .collect();
    if let Some(counts) = counts {
        let sum: u128 = counts.iter().map(|&c| u128::from(c)).sum();
        let n = counts.len() as u128;
        if n > 0 && sum.is_multiple_of(n) {
            if let Ok(m) = u64::try_from(sum / n) {
                return Measure::I(m);
            }
        }
    }
    Measure::F(values.iter().map(|v| v.as_f64()).sum::<f64>() / values.len() as f64)
}

/// The smallest (`min`) or largest value, keeping the measure's kind.
fn extreme(values: &[Measure], min: bool) -> Option<Measure> {
    values.iter().copied().reduce(|a, b| {
        let b_wins = if min {
            b.as_f64() < a.as_f64()
        } else {
            b.as_f64() > a.as_f64()
        };
        if b_wins {
            b
        } else {
            a
        }
    })
}

/// Param column names over all rows, in first-appearance order.
fn param_names<'a>(params: impl Iterator<Item = &'a [(String, String)]>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for list in params {
        for (name, _) in list {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// Measure names over all rows, in first-appearance order.
fn measure_columns(rows: &[Row]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for row in rows {
        for &(name, _) in &row.measures {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn param_value<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Key measures shown on stdout: summary column, header, decimals. The count columns (totals over
/// seeds) are shown only when non-zero somewhere.
const TABLE_MEASURES: [(&str, &str, usize); 5] = [
    ("throughput_rps", "records/s", 0),
    ("throughput_mbps", "Mbit/s", 1),
    ("latency_p50_ms", "p50 ms", 2),
    ("latency_p99_ms", "p99 ms", 2),
    ("mean_batch_records", "batch recs", 1),
];
/// Shown when some run has consumers (`records_consumed` non-zero somewhere).
const TABLE_CONSUMERS: [(&str, &str, usize); 2] = [
    ("consumer_throughput_rps", "consumed/s", 0),
    ("e2e_p99_ms", "e2e p99 ms", 2),
];
const TABLE_COUNTS: [(&str, &str, usize); 4] = [
    ("lost_acked_sum", "lost acked", 0),
    ("duplicates_sum", "duplicates", 0),
    ("reordered_sum", "reordered", 0),
    // The share of seeds whose run was saturated (`RunResult::is_saturated`).
    ("saturated", "saturated", 2),
];

/// The `[[expect]]` verdicts of a scenario over these rows (`seed` filterable as a column).
pub fn evaluate_gates(sc: &crate::scenario::Scenario, rows: &[Row]) -> Vec<crate::expect::Verdict> {
    let erows: Vec<crate::expect::Row> = rows
        .iter()
        .map(|r| {
            let mut params = r.params.clone();
            params.push(("seed".into(), r.seed.to_string()));
            (params, r.measures.clone())
        })
        .collect();
    crate::expect::evaluate(&sc.expects, &erows)
}

/// The summary as the stdout table and index.html show it: the header, one line of cells per
/// sweep point, how many leading columns are parameters, and whether count totals are shown.
pub(crate) struct SummaryCells {
    pub header: Vec<String>,
    pub lines: Vec<Vec<String>>,
    pub params: usize,
    pub counts_shown: bool,
    /// The `saturated` column is shown (some run could not keep up).
    pub saturated_shown: bool,
}

/// Params, seeds and the key measures (means over seeds); lost-acked, duplicate and reordered
/// totals over seeds only when non-zero somewhere.
pub(crate) fn summary_cells(summary: &[SummaryRow]) -> SummaryCells {
    let params = param_names(summary.iter().map(|s| s.params.as_slice()));
    let mut measures: Vec<(&str, &str, usize)> = TABLE_MEASURES
        .iter()
        .copied()
        .filter(|(name, _, _)| summary.iter().any(|s| s.get(name).is_some()))
        .collect();
    if summary
        .iter()
        .any(|s| s.get("records_consumed").is_some_and(|v| v.as_f64() != 0.0))
    {
        measures.extend(TABLE_CONSUMERS);
    }
    let mut counts_shown = false;
    let mut saturated_shown = false;
    for count in TABLE_COUNTS {
        let nonzero = summary
            .iter()
            .any(|s| s.get(count.0).is_some_and(|v| v.as_f64() != 0.0));
        if nonzero {
            measures.push(count);
            if count.0 == "saturated" {
                saturated_shown = true;
            } else {
                counts_shown = true;
            }
        }
    }
    let mut header: Vec<String> = params.clone();
    header.push("seeds".to_string());
    header.extend(measures.iter().map(|(_, title, _)| title.to_string()));
    let mut lines: Vec<Vec<String>> = Vec::with_capacity(summary.len());
    for s in summary {
        let mut line: Vec<String> = params.iter().map(|p| param_value(&s.params, p).to_string()).collect();
        line.push(s.seeds.to_string());
        for &(name, _, decimals) in &measures {
            line.push(match s.get(name) {
                Some(Measure::I(v)) => v.to_string(),
                Some(Measure::F(v)) => format!("{v:.decimals$}"),
                None => "-".to_string(),
            });
        }
        lines.push(line);
    }
    SummaryCells {
        header,
        lines,
        params: params.len(),
        counts_shown,
        saturated_shown,
    }
}

/// Prints an aligned text table of the summary: params, seeds and the key measures (means over
/// seeds). Parameter columns are left-aligned, numbers right-aligned. Lost-acked, duplicate and
/// reordered totals over seeds are shown only when non-zero somewhere, with a note saying so.
pub fn print_table(summary: &[SummaryRow], out: &mut impl Write) -> std::io::Result<()> {
    let SummaryCells {
        header,
        lines,
        params,
        counts_shown,
        saturated_shown,
    } = summary_cells(summary);
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .chain(std::iter::once(header[c].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let render = |cells: &[String]| -> String {
        let mut text = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c > 0 {
                text.push_str("  ");
            }
            let pad = widths[c].saturating_sub(cell.chars().count());
            if c < params {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        text.trim_end().to_string()
    };
    writeln!(out, "{}", render(&header))?;
    let rule: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    writeln!(out, "{}", "-".repeat(rule))?;
    for line in &lines {
        writeln!(out, "{}", render(line))?;
    }
    if counts_shown {
        writeln!(
            out,
            "(measures are means over seeds; record counts are totals over seeds)"
        )?;
    }
    if saturated_shown {
        writeln!(
            out,
            "(saturated: share of seeds that could not keep up: send() blocked on buffer.memory >= 5% of \
             the threads' time, < 90% of the offered records/s acknowledged in a run without faults, or < 90% of workload.rate offered)"
        )?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = temp_path(path);
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot rename {} to {}: {e}", tmp.display(), path.display())
    })
}

/// A hidden sibling of `path` that keeps its extension (the PNG encoder picks the format from it).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".tmp-{}-{name}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Measure::{F, I};

    fn row(acks: &str, linger: &str, seed: u64, rps: f64, lost: u64) -> Row {
        Row {
            params: vec![
                ("acks".to_string(), acks.to_string()),
                ("linger_ms".to_string(), linger.to_string()),
            ],
            seed,
            measures: vec![
                ("lost_acked", I(lost)),
                ("duplicates", I(0)),
                ("throughput_rps", F(rps)),
                ("latency_p99_ms", F(rps / 1000.0)),
            ],
        }
    }

    fn three_seeds() -> Vec<Row> {
        vec![
            row("all", "5", 1, 1000.0, 0),
            row("1", "5", 1, 4000.0, 3),
            row("all", "5", 2, 2000.0, 1),
            row("1", "5", 2, 5000.0, 0),
            row("all", "5", 3, 3000.5, 2),
            row("1", "5", 3, 6000.0, 0),
        ]
    }

    #[test]
    fn results_csv_has_params_seed_and_rendered_measures() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let path = dir.join("results_unit.csv");
        write_results(&path, &three_seeds()[..2]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "acks,linger_ms,seed,lost_acked,duplicates,throughput_rps,latency_p99_ms\n\
             all,5,1,0,0,1000.000,1.000\n\
             1,5,1,3,0,4000.000,4.000\n"
        );
        // No temporary file is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn summary_groups_in_first_appearance_order_with_mean_min_max_sum() {
        let summary = summarize(&three_seeds());
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].params[0].1, "all");
        assert_eq!(summary[1].params[0].1, "1");
        let all = &summary[0];
        assert_eq!(all.seeds, 3);
        assert_eq!(all.get("throughput_rps").unwrap().render(), "2000.167");
        // A count's mean is an integer when whole, a float otherwise.
        assert_eq!(all.get("lost_acked"), Some(I(1)));
        let mut uneven = three_seeds();
        uneven[0].measures[0].1 = I(1);
        assert_eq!(summarize(&uneven)[0].get("lost_acked"), Some(F(4.0 / 3.0)));
        assert_eq!(all.get("lost_acked_min"), Some(I(0)));
        assert_eq!(all.get("lost_acked_max"), Some(I(2)));
        assert_eq!(all.get("lost_acked_sum"), Some(I(3)));
        assert_eq!(all.get("throughput_rps_min"), Some(F(1000.0)));
        assert_eq!(all.get("throughput_rps_max"), Some(F(3000.5)));
        // Absent measures get no columns.
        assert_eq!(all.get("reordered_sum"), None);
        let names: Vec<&str> = all.values.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "lost_acked",
                "duplicates",
                "throughput_rps",
                "latency_p99_ms",
                "throughput_rps_min",
                "throughput_rps_max",
                "latency_p99_ms_min",
                "latency_p99_ms_max",
                "lost_acked_min",
                "lost_acked_max",
                "duplicates_min",
                "duplicates_max",
                "lost_acked_sum",
                "duplicates_sum",
            ]
        );
    }

    #[test]
    fn summary_csv_renders_means_with_three_decimals_and_whole_counts_as_integers() {
        let table = CsvTable::from_summary(&summarize(&three_seeds()));
        assert_eq!(
            table.headers[..6],
            [
                "acks",
                "linger_ms",
                "seeds",
                "lost_acked",
                "duplicates",
                "throughput_rps"
            ]
        );
        assert_eq!(table.rows[0][..6], ["all", "5", "3", "1", "0", "2000.167"]);
        assert_eq!(table.rows[1][..6], ["1", "5", "3", "1", "0", "5000.000"]);
        let col = table.column("lost_acked_sum").unwrap();
        assert_eq!(table.rows[0][col], "3");
        assert_eq!(table.rows[1][col], "3");
    }

    #[test]
    fn table_is_aligned_and_shows_losses_only_when_present() {
        let mut out = Vec::new();
        print_table(&summarize(&three_seeds()), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("acks  linger_ms  seeds  records/s  p99 ms  lost acked"));
        assert!(!lines[0].contains("duplicates"), "{text}");
        assert!(lines[4].contains("totals over seeds"), "{text}");
        assert!(lines[2].starts_with("all   5"), "{text}");
        assert!(lines[2].ends_with(" 3"), "{text}");
        let mut quiet = Vec::new();
        print_table(&summarize(&three_seeds()[..1]), &mut quiet).unwrap();
        assert!(!String::from_utf8(quiet).unwrap().contains("lost"));
    }
}
