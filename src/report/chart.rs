//! Charts drawn from a generic [`CsvTable`]: line charts (mean over repeated rows, min–max
//! whiskers) and grouped bar charts, each written as SVG and PNG.

use super::font;
use super::table::CsvTable;
use super::text::{draw_title, ellipsize, ellipsize_middle, fit, line_height, text_width, FitRule};
use super::{temp_path, write_atomic};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Width and height of every chart, pixels (SVG user units and PNG pixels alike).
pub const CHART_SIZE_PX: (u32, u32) = (1024, 640);

/// Chart type and chart description: the scenario's `[[plots]]` types, drawn as they are.
pub use crate::scenario::{PlotKind as ChartKind, PlotSpec as ChartSpec};

impl ChartSpec {
    /// A line chart of `y` against `x` with no series, per, log axes or title.
    pub fn new(x: &str, y: &str) -> ChartSpec {
        ChartSpec {
            x: x.to_string(),
            y: y.to_string(),
            ..ChartSpec::default()
        }
    }

    /// File stem `<y>_vs_<x>[_by_<series>]`, sanitized (the per value is appended by
    /// [`draw_charts`]).
    pub fn stem(&self) -> String {
        let mut stem = format!("{}_vs_{}", self.y, self.x);
        if let Some(series) = &self.series {
            stem.push_str("_by_");
            stem.push_str(series);
        }
        sanitize(&stem)
    }
}

/// Keeps `[A-Za-z0-9._-]`, replaces anything else by `_`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Kafka configuration keys, as column names (dots written as underscores).
const KAFKA_KEYS: &[&str] = &[
    "acks",
    "linger_ms",
    "batch_size",
    "compression_type",
    "enable_idempotence",
    "max_in_flight_requests_per_connection",
    "buffer_memory",
    "max_block_ms",
    "max_request_size",
    "request_timeout_ms",
    "delivery_timeout_ms",
    "retries",
    "retry_backoff_ms",
    "retry_backoff_max_ms",
    "reconnect_backoff_ms",
    "reconnect_backoff_max_ms",
    "socket_connection_setup_timeout_ms",
    "metadata_max_age_ms",
    "partitioner_adaptive_partitioning_enable",
    "partitioner_ignore_keys",
    "min_insync_replicas",
    "replication_factor",
    "unclean_leader_election_enable",
    "replica_lag_time_max_ms",
    "replica_fetch_wait_max_ms",
    "replica_fetch_min_bytes",
    "replica_fetch_max_bytes",
    "replica_fetch_backoff_ms",
    "broker_heartbeat_interval_ms",
    "broker_session_timeout_ms",
    "message_max_bytes",
];

/// Kafka keys measured in bytes whose name does not say so.
const BYTE_KEYS: &[&str] = &["batch_size", "buffer_memory", "max_request_size"];

/// A column's name for legends: the Kafka key with dots (`batch_size` -> `batch.size`), other
/// columns as they are.
pub fn legend_key(column: &str) -> String {
    if KAFKA_KEYS.contains(&column) {
        column.replace('_', ".")
    } else {
        column.to_string()
    }
}

/// An axis label with its unit, derived from the column name: `throughput_rps` ->
/// "throughput (records/s)", `latency_p99_ms` -> "p99 latency (ms)", `linger_ms` ->
/// "linger.ms (ms)", `batch_size` -> "batch.size (bytes)". Unknown columns: the name itself.
pub fn axis_label(column: &str) -> String {
    let known = match column {
        "throughput_rps" => Some("throughput (records/s)"),
        "throughput_mbps" => Some("throughput (Mbit/s)"),
        "latency_p50_ms" => Some("p50 latency (ms)"),
        "latency_p99_ms" => Some("p99 latency (ms)"),
        "latency_p999_ms" => Some("p99.9 latency (ms)"),
        "latency_max_ms" => Some("max latency (ms)"),
        "latency_mean_ms" => Some("mean latency (ms)"),
        "mean_batch_records" => Some("mean batch (records)"),
        "mean_batch_bytes" => Some("mean batch (bytes)"),
        "records_sent" => Some("records sent"),
        "records_acked" => Some("records acked"),
        "records_failed" => Some("records failed"),
        "lost_acked" => Some("acked records lost"),
        "lost_failed" => Some("failed records lost"),
        "failed_present" => Some("failed records present"),
        "duplicates" => Some("duplicate records"),
        "reordered" => Some("reordered records"),
        "end_ms" => Some("simulated duration (ms)"),
        // Workload and network parameters (their columns are the keys without their section).
        "rate" => Some("offered rate (records/s)"),
        "record_bytes" => Some("record size (bytes)"),
        "key_bytes" => Some("key size (bytes)"),
        "latency_ms" => Some("network latency (ms)"),
        "bandwidth_mbps" => Some("bandwidth (Mbit/s)"),
        _ => None,
    };
    if let Some(label) = known {
        return label.to_string();
    }
    // Summary aggregates: `lost_acked_sum` -> "acked records lost (sum over seeds)".
    for (suffix, what) in [("_sum", "sum"), ("_min", "min"), ("_max", "max")] {
        if let Some(base) = column.strip_suffix(suffix) {
            let label = axis_label(base);
            if label != base {
                return format!("{label}, {what} over seeds");
            }
        }
    }
    let key = legend_key(column);
    if KAFKA_KEYS.contains(&column) {
        if column.ends_with("_ms") {
            return format!("{key} (ms)");
        }
        if column.ends_with("_bytes") || BYTE_KEYS.contains(&column) {
            return format!("{key} (bytes)");
        }
    }
    key
}

/// An axis label without its unit, for titles: "p99 latency (ms)" -> "p99 latency".
fn short_label(column: &str) -> String {
    let label = axis_label(column);
    match label.rfind(" (") {
        Some(i) if label.ends_with(')') => label[..i].to_string(),
        _ => label,
    }
}

/// The parameter columns of a results or summary table: the columns before `seed` (or `seeds`).
pub fn param_columns(table: &CsvTable) -> Vec<String> {
    let end = table.column("seed").or_else(|| table.column("seeds")).unwrap_or(0);
    table.headers[..end].to_vec()
}

/// The charts drawn when a scenario lists none: `throughput_rps` and `latency_p99_ms` against
/// `linger_ms`, one line per `batch_size`, one chart per `acks` (for whichever of these the sweep
/// varies). When `linger_ms` is not varied, x is the first varied parameter and the series the
/// second; a non-numeric x (`acks`, a boolean) gets grouped bars instead of lines, since its
/// categories have no distance between them to draw a line across. Bar charts of `lost_acked`,
/// `duplicates` and `reordered` follow when any is non-zero. No chart when no parameter varies.
pub fn default_charts(table: &CsvTable) -> Vec<ChartSpec> {
    let varied: Vec<String> = param_columns(table)
        .into_iter()
        .filter(|p| {
            let c = table.column(p).unwrap_or(0);
            let mut values = table.values(c);
            let first = values.next();
            values.any(|v| Some(v) != first)
        })
        .collect();
    let is_varied = |name: &str| varied.iter().any(|v| v == name);
    let (x, series, per) = if is_varied("linger_ms") {
        let x = "linger_ms".to_string();
        let per = is_varied("acks").then(|| "acks".to_string());
        let series = if is_varied("batch_size") {
            Some("batch_size".to_string())
        } else {
            varied.iter().find(|v| **v != x && Some(*v) != per.as_ref()).cloned()
        };
        (x, series, per)
    } else {
        let Some(x) = varied.first().cloned() else {
            return Vec::new();
        };
        let series = varied.get(1).cloned();
        let per = (is_varied("acks") && x != "acks" && series.as_deref() != Some("acks")).then(|| "acks".to_string());
        (x, series, per)
    };
    let spec = |y: &str, kind: ChartKind| ChartSpec {
        x: x.clone(),
        y: y.to_string(),
        series: series.clone(),
        per: per.clone(),
        kind,
        ..ChartSpec::default()
    };
    let x_numeric = table
        .column(&x)
        .is_some_and(|c| ordered_values(table.values(c).filter(|v| !v.is_empty())).1);
    let kind = if x_numeric { ChartKind::Line } else { ChartKind::Bar };
    let mut specs: Vec<ChartSpec> = ["throughput_rps", "latency_p99_ms"]
        .into_iter()
        .filter(|y| table.column(y).is_some())
        .map(|y| spec(y, kind))
        .collect();
    for y in ["lost_acked", "duplicates", "reordered"] {
        if let Some(c) = table.column(y) {
            if table.values(c).any(|v| v.parse::<f64>().is_ok_and(|n| n != 0.0)) {
                specs.push(spec(y, ChartKind::Bar));
            }
        }
    }
    specs
}

/// Draws every chart of `specs` from `table` into `dir`, as `<stem>.svg` and `<stem>.png`, one
/// pair per value of the spec's `per` column (stem suffix `_<per>-<value>`). Returns the written
/// paths, SVG then PNG for each chart, in spec order. An unknown column is an error naming it
/// and listing the table's columns.
pub fn draw_charts(dir: &Path, specs: &[ChartSpec], table: &CsvTable) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for spec in specs {
        written.extend(draw_spec(dir, spec, table, None, "the table")?);
    }
    Ok(written)
}

/// Draws one spec (all its per values). `stem` overrides the spec's stem; `source` names the
/// table in errors.
pub(crate) fn draw_spec(
    dir: &Path,
    spec: &ChartSpec,
    table: &CsvTable,
    stem: Option<&str>,
    source: &str,
) -> Result<Vec<PathBuf>, String> {
    let cols = Columns {
        x: table.require_column(&spec.x, source)?,
        y: table.require_column(&spec.y, source)?,
        series: match &spec.series {
            Some(s) => Some(table.require_column(s, source)?),
            None => None,
        },
        per: match &spec.per {
            Some(p) => Some(table.require_column(p, source)?),
            None => None,
        },
    };
    let stem = stem.map(str::to_string).unwrap_or_else(|| spec.stem());
    let mut written = Vec::new();
    let per_values: Vec<Option<String>> = match cols.per {
        Some(c) => ordered_values(table.values(c)).0.into_iter().map(Some).collect(),
        None => vec![None],
    };
    for per_value in per_values {
        let chart = build_chart(spec, table, &cols, per_value.as_deref(), source)?;
        let stem = match &per_value {
            Some(v) => sanitize(&format!("{stem}_{}-{v}", spec.per.as_deref().unwrap_or(""))),
            None => stem.clone(),
        };
        written.extend(write_figure(dir, &stem, CHART_SIZE_PX, &chart)?);
    }
    Ok(written)
}

struct Columns {
    x: usize,
    y: usize,
    series: Option<usize>,
    per: Option<usize>,
}

/// Distinct values: sorted numerically when all parse as finite numbers (ties keep first
/// appearance), `false` before `true` when all are booleans, else in first-appearance order.
/// Returns the values and whether they are numeric.
pub(crate) fn ordered_values<'a>(values: impl Iterator<Item = &'a str>) -> (Vec<String>, bool) {
    let mut distinct: Vec<String> = Vec::new();
    for v in values {
        if !distinct.iter().any(|d| d == v) {
            distinct.push(v.to_string());
        }
    }
    let numbers: Option<Vec<f64>> = distinct.iter().map(|v| parse_number(v)).collect();
    match numbers {
        Some(numbers) if !numbers.is_empty() => {
            let mut order: Vec<usize> = (0..distinct.len()).collect();
            order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b]));
            (order.into_iter().map(|i| distinct[i].clone()).collect(), true)
        }
        _ if distinct.iter().all(|v| v == "false" || v == "true") => {
            distinct.sort_by_key(|v| v == "true");
            (distinct, false)
        }
        _ => (distinct, false),
    }
}

/// A row's cell, empty when the row is short.
fn cell(row: &[String], column: usize) -> &str {
    row.get(column).map(String::as_str).unwrap_or("")
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// y aggregated over the rows sharing one (series, x) pair.
#[derive(Clone, Copy, Debug)]
struct Agg {
    /// x position on the axis (numeric value, or category index).
    x: f64,
    mean: f64,
    min: f64,
    max: f64,
}

struct SeriesData {
    /// The series value, shown in the legend under the series column's name.
    label: Option<String>,
    /// Index into the palette and marker lists; stable across the charts of one spec.
    style: usize,
    points: Vec<Agg>,
}

/// Everything one chart needs, computed before drawing.
struct ChartData {
    title: String,
    x_label: String,
    y_label: String,
    x_axis: Axis,
    y_axis: Axis,
    kind: ChartKind,
    legend_title: Option<String>,
    series: Vec<SeriesData>,
}

fn build_chart(
    spec: &ChartSpec,
    table: &CsvTable,
    cols: &Columns,
    per_value: Option<&str>,
    source: &str,
) -> Result<ChartData, String> {
    // Orders and styles come from the whole table, so that the charts of one spec agree.
    let (x_values, x_numeric) = ordered_values(table.values(cols.x).filter(|v| !v.is_empty()));
    let x_numeric = x_numeric && spec.kind == ChartKind::Line;
    let series_values: Vec<String> = match cols.series {
        Some(c) => ordered_values(table.values(c)).0,
        None => vec![String::new()],
    };
    let mut cells: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for (i, row) in table.rows.iter().enumerate() {
        if let (Some(c), Some(v)) = (cols.per, per_value) {
            if cell(row, c) != v {
                continue;
            }
        }
        let (x, y) = (cell(row, cols.x), cell(row, cols.y));
        if x.is_empty() || y.is_empty() {
            continue;
        }
        let y = parse_number(y).ok_or_else(|| {
            format!(
                "column `{}` in {source} holds `{y}` (data row {}), not a number",
                spec.y,
                i + 1
            )
        })?;
        let xi = x_values.iter().position(|v| v == x).unwrap_or(0);
        let si = cols
            .series
            .map(|c| series_values.iter().position(|v| v == cell(row, c)).unwrap_or(0))
            .unwrap_or(0);
        cells.entry((si, xi)).or_default().push(y);
    }
    if cells.is_empty() {
        return Err(format!(
            "no rows with a `{}` value to draw in {source}{}",
            spec.y,
            per_value
                .map(|v| format!(" for {}={v}", spec.per.as_deref().unwrap_or("")))
                .unwrap_or_default()
        ));
    }
    let x_number = |xi: usize| -> f64 {
        if x_numeric {
            parse_number(&x_values[xi]).unwrap_or(0.0)
        } else {
            xi as f64
        }
    };
    let mut series: Vec<SeriesData> = Vec::new();
    for ((si, xi), ys) in &cells {
        let agg = Agg {
            x: x_number(*xi),
            mean: ys.iter().sum::<f64>() / ys.len() as f64,
            min: ys.iter().copied().fold(f64::INFINITY, f64::min),
            max: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        };
        match series.last_mut() {
            Some(s) if s.style == *si => s.points.push(agg),
            _ => series.push(SeriesData {
                label: spec.series.as_ref().map(|_| match series_values[*si].as_str() {
                    "" => "(empty)".to_string(),
                    v => v.to_string(),
                }),
                style: *si,
                points: vec![agg],
            }),
        }
    }
    let points = || series.iter().flat_map(|s| s.points.iter());
    let x_axis = if x_numeric {
        let lo = points().map(|p| p.x).fold(f64::INFINITY, f64::min);
        let hi = points().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max);
        if spec.log_x && lo > 0.0 {
            Axis::log(lo, hi)
        } else {
            Axis::padded(lo, hi)
        }
    } else {
        Axis::categories(x_values.clone(), spec.kind == ChartKind::Bar)
    };
    for s in &mut series {
        for p in &mut s.points {
            p.x = x_axis.pos(p.x);
        }
        s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let points = || series.iter().flat_map(|s| s.points.iter());
    let y_lo = points().map(|p| p.min).fold(f64::INFINITY, f64::min);
    let y_hi = points().map(|p| p.max).fold(f64::NEG_INFINITY, f64::max);
    let y_axis = if spec.log_y && y_lo > 0.0 {
        Axis::log(y_lo, y_hi)
    } else {
        Axis::from_zero(y_lo, y_hi)
    };
    let mut title = spec
        .title
        .clone()
        .unwrap_or_else(|| format!("{} vs {}", short_label(&spec.y), short_label(&spec.x)));
    if let (Some(per), Some(v)) = (&spec.per, per_value) {
        title.push_str(&format!(" — {}={v}", legend_key(per)));
    }
    Ok(ChartData {
        title,
        x_label: axis_label(&spec.x),
        y_label: axis_label(&spec.y),
        x_axis,
        y_axis,
        kind: spec.kind,
        legend_title: spec.series.as_deref().map(legend_key),
        series,
    })
}

/// One axis: its range and ticks in axis space (log10 of the value on a log axis, the index on a
/// categorical axis), and how to label a tick.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    pub light: Vec<f64>,
    scale: Scale,
}

#[derive(Clone, Debug)]
enum Scale {
    /// Linear; the tick step decides the label precision.
    Linear {
        step: f64,
        magnitude: f64,
    },
    Log,
    Categories(Vec<String>),
}

/// `v` clamped into the finite floats (NaN as 0): axis arithmetic on values near ±f64::MAX
/// must neither overflow to infinity nor allocate without bound.
fn finite(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-f64::MAX, f64::MAX)
    }
}

impl Axis {
    /// A linear axis over `[lo, hi]` with ticks at a round step.
    pub fn linear(lo: f64, hi: f64) -> Axis {
        Axis::linear_ticks(lo, hi, 6)
    }

    /// A linear axis over `[lo, hi]` with ticks at a round step, about `ticks` steps in all.
    pub fn linear_ticks(lo: f64, hi: f64, ticks: u32) -> Axis {
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 1.0, lo + 1.0) };
        let (lo, hi) = (finite(lo), finite(hi));
        let step = if (hi - lo).is_finite() {
            nice_step((hi - lo) / ticks.max(1) as f64)
        } else {
            // Halves keep the span finite for values near ±f64::MAX.
            finite(nice_step((hi / 2.0 - lo / 2.0) / ticks.max(1) as f64) * 2.0)
        };
        let step = if step > 0.0 { step } else { 1.0 };
        let (first, last) = ((lo / step).ceil(), (hi / step).floor());
        // Never more than a few dozen ticks, whatever the values (a huge range cannot allocate).
        let (first, last) = if first.is_finite() && last.is_finite() && last - first <= 64.0 {
            (first as i64, last as i64)
        } else {
            (0, -1)
        };
        let ticks: Vec<f64> = (first..=last).map(|k| k as f64 * step).collect();
        let light = (first - 1..=last)
            .map(|k| (k as f64 + 0.5) * step)
            .filter(|v| *v > lo && *v < hi)
            .collect();
        let magnitude = lo.abs().max(hi.abs());
        Axis {
            lo,
            hi,
            ticks,
            light,
            scale: Scale::Linear { step, magnitude },
        }
    }

    /// A linear value axis from zero (or below, for negative values) to a round value above `hi`.
    pub fn from_zero(lo: f64, hi: f64) -> Axis {
        let lo = finite(lo.min(0.0));
        let hi = finite(if hi > lo { hi } else { lo + 1.0 });
        let span = finite((hi - lo) * 1.06);
        let step = finite(nice_step(span / 6.0));
        if step.is_nan() || step <= 0.0 {
            return Axis::linear(lo, hi);
        }
        let lo = finite((lo / step).floor() * step);
        let hi = finite(((lo + span) / step).ceil() * step);
        Axis::linear(lo, hi)
    }

    /// A linear axis padded by 4% of the span on each side (for numeric x).
    pub fn padded(lo: f64, hi: f64) -> Axis {
        let pad = if hi > lo {
            if (hi - lo).is_finite() {
                (hi - lo) * 0.04
            } else {
                (hi / 2.0 - lo / 2.0) * 0.08
            }
        } else {
            lo.abs().max(1.0) * 0.5
        };
        Axis::linear(finite(lo - pad), finite(hi + pad))
    }

    /// A log10 axis covering `[lo, hi]` (both > 0), ticks at 1-2-5 multiples of powers of ten.
    pub fn log(lo: f64, hi: f64) -> Axis {
        let (l, h) = (lo.log10(), hi.max(lo).log10());
        let pad = ((h - l) * 0.05).max(0.05);
        let (l, h) = (l - pad, h + pad);
        let decades = (l.floor() as i32)..=(h.ceil() as i32);
        let in_range = |v: f64| v >= l - 1e-9 && v <= h + 1e-9;
        let with = |mults: &[f64]| -> Vec<f64> {
            decades
                .clone()
                .flat_map(|d| mults.iter().map(move |m| (m * 10f64.powi(d)).log10()))
                .filter(|v| in_range(*v))
                .collect()
        };
        let mut ticks = with(&[1.0]);
        if ticks.len() < 3 {
            ticks = with(&[1.0, 2.0, 5.0]);
        }
        if ticks.len() < 3 {
            ticks = with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        }
        let light = with(&[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
            .into_iter()
            .filter(|v| !ticks.iter().any(|t| (t - v).abs() < 1e-9))
            .collect();
        Axis {
            lo: l,
            hi: h,
            ticks,
            light,
            scale: Scale::Log,
        }
    }

    /// Categories at 0, 1, ... n-1. Bars get a little more room at the ends.
    pub fn categories(names: Vec<String>, bars: bool) -> Axis {
        let n = names.len().max(1) as f64;
        let pad = if bars { 0.5 } else { 0.35 };
        Axis {
            lo: -pad,
            hi: n - 1.0 + pad,
            ticks: (0..names.len()).map(|i| i as f64).collect(),
            light: Vec::new(),
            scale: Scale::Categories(names),
        }
    }

    /// Position of a data value on the axis.
    pub fn pos(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Log => value.log10(),
            _ => value,
        }
    }

    /// Text of the tick at axis position `p`.
    pub fn label(&self, p: f64) -> String {
        match &self.scale {
            Scale::Linear { step, magnitude } => format_linear(p, *step, *magnitude),
            // Thousands as "k" from 1000 on, so that a decade reads "1k, 10k, 100k".
            Scale::Log => match 10f64.powf(p) {
                v if (1e3..1e4).contains(&v) => format!("{}k", format_compact(v / 1e3)),
                v => format_compact(v),
            },
            Scale::Categories(names) => {
                let i = p.round();
                if i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }
        }
    }

    fn is_categorical(&self) -> bool {
        matches!(self.scale, Scale::Categories(_))
    }

    /// The plotters coordinate of this axis: exactly our range and ticks.
    pub fn spec(&self) -> AxisCoord {
        AxisCoord {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
            light: self.light.clone(),
        }
    }
}

/// A linear plotters coordinate with the key points an [`Axis`] chose (plotters' own
/// `WithKeyPoints` over `f64` cannot take a label formatter).
pub(crate) struct AxisCoord {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for AxisCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = limit.1 - limit.0;
        if self.hi <= self.lo || span == 0 {
            return limit.0 + span / 2;
        }
        let fraction = (value - self.lo) / (self.hi - self.lo);
        if !fraction.is_finite() {
            return if fraction > 0.0 { limit.1 } else { limit.0 };
        }
        limit.0 + (span as f64 * fraction + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let r = raw / magnitude;
    let m = if r <= 1.0 {
        1.0
    } else if r <= 2.0 {
        2.0
    } else if r <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * magnitude
}

fn decimals_for(step: f64) -> usize {
    (-step.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize
}

/// A linear tick label: "k" / "M" suffixes for large round values, else as many decimals as the
/// step needs.
fn format_linear(v: f64, step: f64, magnitude: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    if magnitude >= 1e6 && step >= 1e5 {
        format!("{:.*}M", decimals_for(step / 1e6), v / 1e6)
    } else if magnitude >= 1e4 && step >= 1e3 {
        format!("{:.*}k", decimals_for(step / 1e3), v / 1e3)
    } else {
        format!("{:.*}", decimals_for(step), v)
    }
}

/// A number in few characters: 20000 -> "20k", 0.05 -> "0.05", 1500000 -> "1.5M".
pub(crate) fn format_compact(v: f64) -> String {
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.2}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        // Two significant digits: 0.3333 -> "0.33", 0.005 -> "0.005".
        let decimals = (1.0 - a.log10().floor()).clamp(0.0, 9.0) as usize;
        trim(format!("{v:.decimals$}"))
    }
}

/// Series colours (Tableau 10): distinct, and readable on white.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(crate) fn color(style: usize) -> RGBColor {
    PALETTE[style % PALETTE.len()]
}

/// Draws marker `shape` (0..8: filled circle, triangle, square, diamond, then hollow ones) at
/// `at`.
pub(crate) fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    shape: usize,
    color: RGBColor,
) -> Result<(), String> {
    let fill = color.filled();
    let outline = color.stroke_width(2);
    let white = WHITE.filled();
    let r = 5;
    let triangle = vec![(0, -r - 1), (r + 1, r - 1), (-r - 1, r - 1)];
    let diamond = vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)];
    let closed = |mut p: Vec<(i32, i32)>| {
        p.push(p[0]);
        p
    };
    let result = match shape % 8 {
        0 => area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), r, fill))),
        1 => area.draw(&(EmptyElement::at(at) + Polygon::new(triangle, fill))),
        2 => area.draw(&(EmptyElement::at(at) + Rectangle::new([(-r + 1, -r + 1), (r - 1, r - 1)], fill))),
        3 => area.draw(&(EmptyElement::at(at) + Polygon::new(diamond, fill))),
        4 => area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), r, white) + Circle::new((0, 0), r, outline))),
        5 => area.draw(
            &(EmptyElement::at(at)
                + Polygon::new(triangle.clone(), white)
                + PathElement::new(closed(triangle), outline)),
        ),
        6 => area.draw(
            &(EmptyElement::at(at)
                + Rectangle::new([(-r + 1, -r + 1), (r - 1, r - 1)], white)
                + Rectangle::new([(-r + 1, -r + 1), (r - 1, r - 1)], outline)),
        ),
        _ => area.draw(
            &(EmptyElement::at(at) + Polygon::new(diamond.clone(), white) + PathElement::new(closed(diamond), outline)),
        ),
    };
    result.map_err(draw_error)
}

pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    format!("drawing failed: {e}")
}

/// Something that can draw itself on any plotters backend.
pub(crate) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Writes `figure` as `<dir>/<stem>.svg` and `<dir>/<stem>.png`, each atomically. Returns both
/// paths, SVG first.
pub(crate) fn write_figure(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    figure: &impl Figure,
) -> Result<Vec<PathBuf>, String> {
    font::ensure_registered();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_error)?;
    }
    write_atomic(&svg_path, svg.as_bytes())?;
    let tmp = temp_path(&png_path);
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_error)
    })();
    let renamed = drawn
        .and_then(|()| std::fs::rename(&tmp, &png_path).map_err(|e| format!("cannot rename {}: {e}", tmp.display())));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", png_path.display()));
    }
    Ok(vec![svg_path, png_path])
}

// Font sizes are even: plotters' ab_glyph renderer rounds half-pixel baselines unevenly at odd
// sizes (dots float above the baseline).
pub(crate) const TITLE_FONT: u32 = 24;
pub(crate) const DESC_FONT: u32 = 18;
pub(crate) const LABEL_FONT: u32 = 14;
pub(crate) const LEGEND_FONT: u32 = 16;
const VALUE_FONT: u32 = 12;
const NOTE_FONT: u32 = 14;

/// Axis descriptions shrink down to 14 px, then are shortened.
pub(crate) const DESC_RULE: FitRule = FitRule {
    max: DESC_FONT,
    min: 14,
    lines: 1,
};

/// Legend titles shrink down to 14 px, then wrap onto a second line.
const LEGEND_TITLE_RULE: FitRule = FitRule {
    max: LEGEND_FONT,
    min: 14,
    lines: 2,
};

/// Left of a legend row's text: the swatch is drawn in front of it.
const LEGEND_TEXT_X: i32 = 52;

/// Widest a legend title may make its panel before it wraps, pixels.
const LEGEND_TITLE_WRAP: u32 = 240;

/// Length of the axes' tick marks, pixels; tick labels sit twice as far from the axis.
pub(crate) const TICK_SIZE: i32 = 5;

/// Width of a y label area holding tick labels up to `tick_label_w` pixels wide and a rotated
/// axis description, pixels.
pub(crate) fn y_label_area(tick_label_w: u32) -> u32 {
    (tick_label_w + 2 * TICK_SIZE as u32 + 14 + DESC_FONT).max(60)
}

/// Width of the widest tick label of `axis`, pixels.
pub(crate) fn tick_label_width(axis: &Axis) -> u32 {
    axis.ticks
        .iter()
        .map(|t| text_width(&axis.label(*t), LABEL_FONT))
        .max()
        .unwrap_or(0)
}

/// Legend rows: a swatch kind, a style index and a text.
pub(crate) enum Swatch {
    Line(usize),
    Bar(usize),
    Band(RGBColor),
}

/// Draws a legend (title, then one row per entry) in its own area, left-aligned, from the top.
/// A long title shrinks and wraps onto a second line; long entries lose their middle to a "…";
/// entries that do not fit in the area's height are summarised in a last "… and N more" row.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: Option<&str>,
    entries: &[(Swatch, String)],
    top: i32,
) -> Result<(), String> {
    let text = |size: u32| ("sans-serif", size).into_font().color(&BLACK);
    let row_height = 24;
    let (width, height) = area.dim_in_pixel();
    let room = width.saturating_sub(LEGEND_TEXT_X as u32 + 8);
    let mut y = top;
    if let Some(title) = title {
        let fitted = fit(title, width.saturating_sub(10 + 8), LEGEND_TITLE_RULE);
        for line in &fitted.lines {
            area.draw(&Text::new(line.clone(), (10, y), text(fitted.size)))
                .map_err(draw_error)?;
            y += line_height(fitted.size) + 6;
        }
        y += 10;
    }
    let fits = ((height as i32 - y) / row_height).max(1) as usize;
    for (i, (swatch, label)) in entries.iter().enumerate() {
        if i + 1 == fits && entries.len() > fits {
            let more = format!("… and {} more", entries.len() - i);
            area.draw(&Text::new(
                ellipsize(&more, room, LEGEND_FONT),
                (LEGEND_TEXT_X, y),
                text(LEGEND_FONT),
            ))
            .map_err(draw_error)?;
            break;
        }
        let mid = y + 8;
        match swatch {
            Swatch::Line(style) => {
                area.draw(&PathElement::new(
                    vec![(12, mid), (44, mid)],
                    color(*style).stroke_width(2),
                ))
                .map_err(draw_error)?;
                draw_marker(area, (28, mid), *style, color(*style))?;
            }
            Swatch::Bar(style) => {
                area.draw(&Rectangle::new([(16, mid - 7), (40, mid + 7)], color(*style).filled()))
                    .map_err(draw_error)?;
            }
            Swatch::Band(c) => {
                area.draw(&Rectangle::new([(16, mid - 8), (40, mid + 8)], c.mix(0.25).filled()))
                    .map_err(draw_error)?;
                area.draw(&Rectangle::new([(16, mid - 8), (40, mid + 8)], c.stroke_width(1)))
                    .map_err(draw_error)?;
            }
        }
        area.draw(&Text::new(
            ellipsize_middle(label, room, LEGEND_FONT),
            (LEGEND_TEXT_X, y),
            text(LEGEND_FONT),
        ))
        .map_err(draw_error)?;
        y += row_height;
    }
    Ok(())
}

/// Width of a legend panel for this title, these entries and these note lines, pixels (0 when
/// there is nothing to show). A title wider than [`LEGEND_TITLE_WRAP`] that can wrap onto two
/// lines does not widen the panel beyond that.
fn legend_width(title: Option<&str>, entries: &[String], notes: &[&str]) -> u32 {
    let title_w = title.map(|t| {
        let fitted = fit(t, LEGEND_TITLE_WRAP, LEGEND_TITLE_RULE);
        let shortened = fitted.lines.iter().any(|l| l.ends_with('…')) && !t.contains('…');
        let w = if shortened {
            text_width(t, LEGEND_FONT)
        } else {
            fitted
                .lines
                .iter()
                .map(|l| text_width(l, fitted.size))
                .max()
                .unwrap_or(0)
        };
        w + 10 + 20
    });
    let entries_w = entries
        .iter()
        .map(|e| text_width(e, LEGEND_FONT) + LEGEND_TEXT_X as u32 + 20);
    let notes_w = notes.iter().map(|n| text_width(n, NOTE_FONT) + 10 + 20);
    match title_w.into_iter().chain(entries_w).chain(notes_w).max() {
        None => 0,
        Some(w) => w.clamp(140, 420),
    }
}

/// Height kept free under the legend rows for the whisker note, pixels.
const NOTE_HEIGHT: u32 = 110;

impl Figure for ChartData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw_error)?;
        let area = draw_title(root, &self.title, None)?;
        let labels: Vec<String> = self.series.iter().filter_map(|s| s.label.clone()).collect();
        let note = self.whisker_note();
        let legend_w = if self.legend_title.is_some() || note.is_some() {
            legend_width(
                self.legend_title.as_deref(),
                &labels,
                note.as_ref().map_or(&[], |n| &n[..]),
            )
        } else {
            0
        };
        let (width, _) = area.dim_in_pixel();
        let (plot, legend) = area.split_horizontally(width - legend_w);
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .margin_right(24)
            .x_label_area_size(58)
            .y_label_area_size(y_label_area(tick_label_width(&self.y_axis)))
            .build_cartesian_2d(self.x_axis.spec(), self.y_axis.spec())
            .map_err(draw_error)?;
        let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
        let x_desc = fit(&self.x_label, plot_w, DESC_RULE);
        let y_desc = fit(&self.y_label, plot_h, DESC_RULE);
        let desc_size = x_desc.size.min(y_desc.size);
        let px_per_x = plot_w as f64 / (self.x_axis.hi - self.x_axis.lo).max(f64::MIN_POSITIVE);
        // A category's label gets its category's width (its middle gives way: categories often
        // differ at their ends).
        let category_w = (px_per_x as u32).saturating_sub(6);
        let x_fmt = |v: &f64| {
            let label = self.x_axis.label(*v);
            if self.x_axis.is_categorical() {
                ellipsize_middle(&label, category_w, LABEL_FONT)
            } else {
                label
            }
        };
        let y_fmt = |v: &f64| self.y_axis.label(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(x_desc.lines.concat())
            .y_desc(y_desc.lines.concat())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", LABEL_FONT))
            .axis_desc_style(("sans-serif", desc_size))
            .set_all_tick_mark_size(TICK_SIZE)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .axis_style(BLACK.mix(0.8));
        if self.x_axis.is_categorical() && self.kind == ChartKind::Bar {
            mesh.disable_x_mesh();
        }
        mesh.draw().map_err(draw_error)?;
        let area = chart.plotting_area();
        let y = |v: f64| self.y_axis.pos(v);
        match self.kind {
            ChartKind::Line => {
                for s in &self.series {
                    let c = color(s.style);
                    for p in s.points.iter().filter(|p| p.max > p.min) {
                        draw_whisker(area, p.x, y(p.min), y(p.max), c, 5)?;
                    }
                    area.draw(&PathElement::new(
                        s.points.iter().map(|p| (p.x, y(p.mean))).collect::<Vec<_>>(),
                        c.stroke_width(2),
                    ))
                    .map_err(draw_error)?;
                }
                for s in &self.series {
                    for p in &s.points {
                        draw_marker(area, (p.x, y(p.mean)), s.style, color(s.style))?;
                    }
                }
            }
            ChartKind::Bar => self.draw_bars(area, px_per_x)?,
        }
        let (_, legend_h) = legend.dim_in_pixel();
        let rows_h = if note.is_some() {
            legend_h.saturating_sub(NOTE_HEIGHT)
        } else {
            legend_h
        };
        let (rows, _) = legend.split_vertically(rows_h);
        if let Some(title) = &self.legend_title {
            let entries: Vec<(Swatch, String)> = self
                .series
                .iter()
                .map(|s| {
                    let swatch = match self.kind {
                        ChartKind::Line => Swatch::Line(s.style),
                        ChartKind::Bar => Swatch::Bar(s.style),
                    };
                    (swatch, s.label.clone().unwrap_or_default())
                })
                .collect();
            draw_legend(&rows, Some(title), &entries, 18)?;
        }
        if let Some(lines) = note {
            let style = ("sans-serif", NOTE_FONT).into_font().color(&BLACK.mix(0.6));
            let (legend_w, _) = legend.dim_in_pixel();
            for (i, line) in lines.iter().enumerate() {
                let y = legend_h as i32 - 100 + 20 * i as i32;
                let line = ellipsize(line, legend_w.saturating_sub(10 + 4), NOTE_FONT);
                legend
                    .draw(&Text::new(line, (10, y), style.clone()))
                    .map_err(draw_error)?;
            }
        }
        Ok(())
    }
}

type PlotArea<DB> = DrawingArea<DB, Cartesian2d<AxisCoord, AxisCoord>>;

/// A vertical min–max whisker with caps `cap` pixels wide on each side.
fn draw_whisker<DB: DrawingBackend>(
    area: &PlotArea<DB>,
    x: f64,
    lo: f64,
    hi: f64,
    c: RGBColor,
    cap: i32,
) -> Result<(), String> {
    let style = c.mix(0.8).stroke_width(1);
    area.draw(&PathElement::new(vec![(x, lo), (x, hi)], style))
        .map_err(draw_error)?;
    for end in [lo, hi] {
        area.draw(&(EmptyElement::at((x, end)) + PathElement::new(vec![(-cap, 0), (cap, 0)], style)))
            .map_err(draw_error)?;
    }
    Ok(())
}

impl ChartData {
    /// What points and whiskers mean, when some point aggregates several rows that differ.
    fn whisker_note(&self) -> Option<[&'static str; 2]> {
        let whiskers = self.series.iter().flat_map(|s| s.points.iter()).any(|p| p.max > p.min);
        let what = match self.kind {
            ChartKind::Line => "points: mean of runs",
            ChartKind::Bar => "bars: mean of runs",
        };
        whiskers.then_some([what, "whiskers: min–max"])
    }

    /// Grouped bars, `px_per_x` pixels per category. Each bar carries its value when every value
    /// label fits over its bar.
    fn draw_bars<DB: DrawingBackend>(&self, area: &PlotArea<DB>, px_per_x: f64) -> Result<(), String> {
        let n = self.series.len().max(1) as f64;
        let group = 0.8;
        let width = group / n;
        let base = if matches!(self.y_axis.scale, Scale::Log) {
            self.y_axis.lo
        } else {
            0.0
        };
        let widest_value = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| text_width(&format_compact(p.mean), VALUE_FONT))
            .max()
            .unwrap_or(0);
        let show_values = widest_value as f64 + 4.0 <= width * px_per_x;
        let value_style = ("sans-serif", VALUE_FONT)
            .into_font()
            .color(&BLACK.mix(0.85))
            .pos(text_anchor::Pos::new(
                text_anchor::HPos::Center,
                text_anchor::VPos::Bottom,
            ));
        for (j, s) in self.series.iter().enumerate() {
            let c = color(s.style);
            for p in &s.points {
                let x0 = p.x - group / 2.0 + j as f64 * width;
                let (x1, mid) = (x0 + width * 0.92, x0 + width * 0.46);
                let top = self.y_axis.pos(p.mean);
                area.draw(&Rectangle::new([(x0, base), (x1, top)], c.filled()))
                    .map_err(draw_error)?;
                if p.max > p.min {
                    let (lo, hi) = (self.y_axis.pos(p.min), self.y_axis.pos(p.max));
                    draw_whisker(area, mid, lo, hi, RGBColor(40, 40, 40), 4)?;
                }
                if show_values {
                    let label_at = self.y_axis.pos(p.max.max(p.mean));
                    area.draw(
                        &(EmptyElement::at((mid, label_at))
                            + Text::new(format_compact(p.mean), (0, -4), value_style.clone())),
                    )
                    .map_err(draw_error)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_values_sort_numerically_others_keep_first_appearance() {
        let (v, numeric) = ordered_values(["100", "5", "20", "5", "0"].into_iter());
        assert!(numeric);
        assert_eq!(v, ["0", "5", "20", "100"]);
        let (v, numeric) = ordered_values(["all", "1", "0", "all"].into_iter());
        assert!(!numeric);
        assert_eq!(v, ["all", "1", "0"]);
        let (v, numeric) = ordered_values(["16384", "1e3"].into_iter());
        assert!(numeric);
        assert_eq!(v, ["1e3", "16384"]);
        let (v, numeric) = ordered_values(["true", "false", "true"].into_iter());
        assert!(!numeric);
        assert_eq!(v, ["false", "true"]);
    }

    #[test]
    fn labels_carry_units() {
        assert_eq!(axis_label("throughput_rps"), "throughput (records/s)");
        assert_eq!(axis_label("latency_p99_ms"), "p99 latency (ms)");
        assert_eq!(axis_label("throughput_mbps"), "throughput (Mbit/s)");
        assert_eq!(axis_label("linger_ms"), "linger.ms (ms)");
        assert_eq!(axis_label("batch_size"), "batch.size (bytes)");
        assert_eq!(axis_label("replica_fetch_max_bytes"), "replica.fetch.max.bytes (bytes)");
        assert_eq!(axis_label("send_mode"), "send_mode");
        assert_eq!(axis_label("rate"), "offered rate (records/s)");
        assert_eq!(axis_label("lost_acked_sum"), "acked records lost, sum over seeds");
        assert_eq!(legend_key("batch_size"), "batch.size");
        assert_eq!(legend_key("file"), "file");
    }

    #[test]
    fn stems_are_sanitized() {
        let mut spec = ChartSpec::new("linger_ms", "latency_p99_ms");
        spec.series = Some("batch size".to_string());
        assert_eq!(spec.stem(), "latency_p99_ms_vs_linger_ms_by_batch_size");
    }

    #[test]
    fn linear_ticks_are_round_and_labels_compact() {
        let a = Axis::from_zero(0.0, 93_000.0);
        assert_eq!(a.lo, 0.0);
        assert!(a.hi >= 93_000.0);
        assert_eq!(a.ticks[1], 20_000.0);
        assert_eq!(a.label(20_000.0), "20k");
        assert_eq!(format_compact(1.0 / 3.0), "0.33");
        assert_eq!(format_compact(0.005), "0.005");
        assert_eq!(format_compact(12.5), "12.5");
        assert_eq!(format_compact(1_500_000.0), "1.5M");
        let b = Axis::from_zero(0.0, 2.4);
        assert_eq!(b.label(0.5), "0.5");
        let log = Axis::log(16_384.0, 1_048_576.0);
        let labels: Vec<String> = log.ticks.iter().map(|t| log.label(*t)).collect();
        assert_eq!(labels, ["20k", "50k", "100k", "200k", "500k", "1M"]);
        let log = Axis::log(500.0, 200_000.0);
        let labels: Vec<String> = log.ticks.iter().map(|t| log.label(*t)).collect();
        assert_eq!(labels, ["1k", "10k", "100k"]);
    }

    #[test]
    fn default_charts_follow_the_sweep() {
        let t = CsvTable {
            headers: ["acks", "linger_ms", "batch_size", "seed", "throughput_rps"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                ["all", "0", "16384", "1", "5"].map(String::from).to_vec(),
                ["1", "5", "16384", "1", "6"].map(String::from).to_vec(),
            ],
        };
        let specs = default_charts(&t);
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].x, "linger_ms");
        assert_eq!(specs[0].series, None);
        assert_eq!(specs[0].per.as_deref(), Some("acks"));
        let mut t2 = t.clone();
        for r in &mut t2.rows {
            r[1] = "5".to_string();
        }
        t2.rows[1][2] = "65536".to_string();
        let specs = default_charts(&t2);
        assert_eq!(specs[0].x, "acks");
        assert_eq!(specs[0].series.as_deref(), Some("batch_size"));
        assert_eq!(specs[0].per, None);
        // Categories (acks, booleans) get bars, numbers lines.
        assert_eq!(specs[0].kind, ChartKind::Bar);
        assert_eq!(default_charts(&t)[0].kind, ChartKind::Line);
        for r in &mut t2.rows {
            r[0] = "all".to_string();
            r[2] = "1".to_string();
        }
        assert!(default_charts(&t2).is_empty());
    }
}
