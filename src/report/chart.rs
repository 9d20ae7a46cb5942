//! Charts drawn from a generic [`CsvTable`]: line charts (mean over repeated rows, min–max
//! whiskers) and grouped bar charts, each written as SVG and PNG.

use super::axis::*;
use super::figure::*;
use super::labels::*;
use super::table::CsvTable;
use super::text::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Width and height of every chart, pixels (SVG user units and PNG pixels alike).
pub(crate) const CHART_SIZE_PX: (u32, u32) = (1024, 640);

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
    pub(crate) fn stem(&self) -> String {
        let ys: Vec<&str> = self.y_columns().map(String::as_str).collect();
        let mut stem = format!("{}_vs_{}", ys.join("_and_"), self.x);
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

/// The parameter columns of a results or summary table: the columns before `seed` (or `seeds`).
pub(crate) fn param_columns(table: &CsvTable) -> Vec<String> {
    let end = table.column("seed").or_else(|| table.column("seeds")).unwrap_or(0);
    table.headers[..end].to_vec()
}

/// One chart as written, with what index.html says of it.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnChart {
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
    /// The chart's title (the per value included).
    pub title: String,
    /// What the chart shows, in a sentence or three: the plot's own caption, the axes, what a
    /// point is, log axes, a flat measure.
    pub caption: String,
    /// The y column.
    pub y: String,
    /// When every point's y lies within 1% of the others: their (lowest, highest) mean.
    pub flat: Option<(f64, f64)>,
}

/// Draws every chart of `specs` from `table` into `dir`, as `<stem>.svg` and `<stem>.png`, one
/// pair per value of the spec's `per` column (stem suffix `_<per>-<value>`). Returns the written
/// paths, SVG then PNG for each chart, in spec order. An unknown column is an error naming it
/// and listing the table's columns.
pub fn draw_charts(dir: &Path, specs: &[ChartSpec], table: &CsvTable) -> Result<Vec<PathBuf>, String> {
    Ok(draw_charts_described(dir, specs, table)?
        .into_iter()
        .flat_map(|c| [c.svg, c.png])
        .collect())
}

/// [`draw_charts`], returning each chart with its title and caption.
pub fn draw_charts_described(dir: &Path, specs: &[ChartSpec], table: &CsvTable) -> Result<Vec<DrawnChart>, String> {
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
) -> Result<Vec<DrawnChart>, String> {
    // A timeline is drawn from the runs (`super::timeline_plot`), never from a table: the arms
    // below that accept `ChartKind::Timeline` are never reached with it.
    if spec.kind == ChartKind::Timeline {
        return Err(format!(
            "a timeline plot needs the runs themselves, not {source}: only `prodsim run` draws it"
        ));
    }
    let cols = Columns {
        x: table.require_column(&spec.x, source)?,
        ys: spec
            .y_columns()
            .map(|y| table.require_column(y, source))
            .collect::<Result<_, _>>()?,
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
        let paths = write_figure(dir, &stem, CHART_SIZE_PX, &chart)?;
        let (svg, png) = (paths[0].clone(), paths[1].clone());
        written.push(DrawnChart {
            svg,
            png,
            title: chart.title.clone(),
            caption: chart.caption(spec, per_value.as_deref()),
            y: spec.y.clone(),
            flat: chart.flat(),
        });
    }
    Ok(written)
}

struct Columns {
    x: usize,
    /// `y`, then `y_also`.
    ys: Vec<usize>,
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

pub(crate) fn parse_number(s: &str) -> Option<f64> {
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
    /// Rows aggregated.
    runs: usize,
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
    // Keyed by (y column, series, x): one line or bar per y column and series value.
    let y_names: Vec<&String> = spec.y_columns().collect();
    let mut cells: BTreeMap<(usize, usize, usize), Vec<f64>> = BTreeMap::new();
    for (i, row) in table.rows.iter().enumerate() {
        if let (Some(c), Some(v)) = (cols.per, per_value) {
            if cell(row, c) != v {
                continue;
            }
        }
        for (yi, &yc) in cols.ys.iter().enumerate() {
            let (x, y) = (cell(row, cols.x), cell(row, yc));
            if x.is_empty() || y.is_empty() {
                continue;
            }
            let y = parse_number(y).ok_or_else(|| {
                format!(
                    "column `{}` in {source} holds `{y}` (data row {}), not a number",
                    y_names[yi],
                    i + 1
                )
            })?;
            let xi = x_values.iter().position(|v| v == x).unwrap_or(0);
            let si = cols
                .series
                .map(|c| series_values.iter().position(|v| v == cell(row, c)).unwrap_or(0))
                .unwrap_or(0);
            cells.entry((yi, si, xi)).or_default().push(y);
        }
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
    let multi_y = y_names.len() > 1;
    let mut series: Vec<SeriesData> = Vec::new();
    for ((yi, si, xi), ys) in &cells {
        let style = yi * series_values.len() + si;
        let agg = Agg {
            x: x_number(*xi),
            mean: ys.iter().sum::<f64>() / ys.len() as f64,
            min: ys.iter().copied().fold(f64::INFINITY, f64::min),
            max: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            runs: ys.len(),
        };
        let value = match series_values[*si].as_str() {
            "" => "(empty)".to_string(),
            v => v.to_string(),
        };
        let label = match (multi_y, &spec.series) {
            (false, None) => None,
            (false, Some(_)) => Some(value),
            (true, None) => Some(short_label(y_names[*yi])),
            (true, Some(_)) => Some(format!("{value}, {}", short_label(y_names[*yi]))),
        };
        match series.last_mut() {
            Some(s) if s.style == style => s.points.push(agg),
            _ => series.push(SeriesData {
                label,
                style,
                points: vec![agg],
            }),
        }
    }
    let points = || series.iter().flat_map(|s| s.points.iter());
    let x_axis = if x_numeric {
        let xs: Vec<f64> = points().map(|p| p.x).collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if wants_log(spec.log_x, &xs, false) {
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
    // Means decide: a whisker down to 0 does not make a line chart linear.
    let means: Vec<f64> = points().map(|p| p.mean).collect();
    let y_axis = if wants_log(spec.log_y, &means, spec.kind == ChartKind::Bar) {
        let positive = points()
            .flat_map(|p| [p.min, p.mean])
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        Axis::log(positive, y_hi)
    } else {
        Axis::from_zero(y_lo, y_hi)
    };
    let shorts: Vec<String> = y_names.iter().map(|y| short_label(y)).collect();
    let mut title = spec
        .title
        .clone()
        .unwrap_or_else(|| format!("{} vs {}", shorts.join(" and "), short_label(&spec.x)));
    if let (Some(per), Some(v)) = (&spec.per, per_value) {
        title.push_str(&format!(" — {}={v}", legend_key(per)));
    }
    Ok(ChartData {
        title,
        x_label: axis_label(&spec.x),
        y_label: y_label(&y_names),
        x_axis,
        y_axis,
        kind: spec.kind,
        legend_title: match (multi_y, spec.series.as_deref()) {
            (false, s) => s.map(legend_key),
            (true, None) => Some("measure".to_string()),
            (true, Some(s)) => Some(format!("{}, measure", legend_key(s))),
        },
        series,
    })
}

/// The y axis label of one or several columns: "p50 latency and p50 send-to-visible (ms)" when
/// they share a unit.
fn y_label(columns: &[&String]) -> String {
    let labels: Vec<String> = columns.iter().map(|c| axis_label(c)).collect();
    let unit = |l: &String| l.rfind(" (").filter(|_| l.ends_with(')')).map(|i| l[i..].to_string());
    match unit(&labels[0]) {
        Some(u) if labels.len() > 1 && labels.iter().all(|l| unit(l).as_ref() == Some(&u)) => {
            let shorts: Vec<String> = columns.iter().map(|c| short_label(c)).collect();
            format!("{}{u}", shorts.join(" and "))
        }
        _ => labels.join("; "),
    }
}

/// Height kept free under the legend rows for the whisker note, pixels.
const NOTE_HEIGHT: u32 = 110;

impl Figure for ChartData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw_error)?;
        let area = draw_title(root, &self.title, &[])?;
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
            ChartKind::Line | ChartKind::Timeline => {
                // Series that coincide stay visible: each later series is dashed (the one under
                // it shows through the gaps) and has smaller markers of another shape (the one
                // under it shows as a rim).
                for s in &self.series {
                    let c = color(s.style);
                    for p in s.points.iter().filter(|p| p.max > p.min) {
                        draw_whisker(area, p.x, y(p.min), y(p.max), c, 5)?;
                    }
                    let line = s.points.iter().map(|p| (p.x, y(p.mean))).collect::<Vec<_>>();
                    draw_series_line(area, line, s.style, 2)?;
                }
                for (rank, s) in self.series.iter().enumerate() {
                    for p in &s.points {
                        draw_marker_sized(area, (p.x, y(p.mean)), s.style, color(s.style), marker_radius(rank))?;
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
                        ChartKind::Line | ChartKind::Timeline => Swatch::Line(s.style),
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
    /// When every point's mean lies within 1% of the highest: (lowest, highest).
    fn flat(&self) -> Option<(f64, f64)> {
        let means: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| p.mean)
            .collect();
        let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (means.len() > 1 && hi - lo <= 0.01 * hi.abs()).then_some((lo, hi))
    }

    /// The caption index.html shows under the chart: the plot's own caption, then what is drawn
    /// against what, what a point is, the log axes and a flat measure.
    fn caption(&self, spec: &ChartSpec, per_value: Option<&str>) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(c) = spec.caption.as_deref().filter(|c| !c.trim().is_empty()) {
            let c = c.trim();
            parts.push(if c.ends_with('.') {
                c.to_string()
            } else {
                format!("{c}.")
            });
        }
        let (one, point) = match self.kind {
            ChartKind::Line | ChartKind::Timeline => ("line", "point"),
            ChartKind::Bar => ("bar", "bar"),
        };
        let mut what = format!("{} against {}", self.y_label, self.x_label);
        if let Some(series) = &self.legend_title {
            what.push_str(&format!(", one {one} per {series}"));
        }
        if let (Some(per), Some(v)) = (&spec.per, per_value) {
            what.push_str(&format!(", for {}={v}", legend_key(per)));
        }
        parts.push(format!("{what}."));
        let runs: Vec<usize> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| p.runs)
            .collect();
        let (fewest, most) = (
            runs.iter().copied().min().unwrap_or(1),
            runs.iter().copied().max().unwrap_or(1),
        );
        if most > 1 {
            let n = if fewest == most {
                format!("{most}")
            } else {
                format!("{fewest} to {most}")
            };
            let whiskers = if self.whisker_note().is_some() {
                "; whiskers span their lowest and highest"
            } else {
                " (all equal)"
            };
            parts.push(format!("Each {point} is the mean of {n} runs{whiskers}."));
        }
        if self.y_axis.is_log() {
            let zeros = if self.kind == ChartKind::Bar
                && self.series.iter().flat_map(|s| s.points.iter()).any(|p| p.mean <= 0.0)
            {
                " (a 0 is a bar of no height, labelled 0)"
            } else {
                ""
            };
            parts.push(format!(
                "Logarithmic y axis{}{zeros}.",
                match spec.log_y {
                    Some(true) => "",
                    _ => ": the values span more than two orders of magnitude",
                }
            ));
        }
        if matches!(self.x_axis.scale, Scale::Log) {
            parts.push("Logarithmic x axis.".to_string());
        }
        if let Some((lo, hi)) = self.flat() {
            let range = if format_compact(lo) == format_compact(hi) {
                format!("at {}", format_compact(hi))
            } else {
                format!("between {} and {}", format_compact(lo), format_compact(hi))
            };
            parts.push(format!(
                "Flat: every {point} lies {range} (within 1%): {} does not depend on {} here.",
                short_label(&spec.y),
                legend_key(&spec.x)
            ));
        }
        parts.join(" ")
    }

    /// What points and whiskers mean, when some point aggregates several rows that differ.
    fn whisker_note(&self) -> Option<[&'static str; 2]> {
        let whiskers = self.series.iter().flat_map(|s| s.points.iter()).any(|p| p.max > p.min);
        let what = match self.kind {
            ChartKind::Line | ChartKind::Timeline => "points: mean of runs",
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
        // On a log axis a value is the only way to read a bar, and a 0 has no bar at all.
        let show_values = widest_value as f64 + 4.0 <= width * px_per_x || self.y_axis.is_log();
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
}
