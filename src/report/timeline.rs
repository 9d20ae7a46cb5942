//! One run over simulated time: acked throughput (and the acknowledged records later found lost,
//! by send time) and p99 latency in two stacked panels sharing the time axis, with the fault
//! intervals shaded.

use super::axis::Axis;
use super::axis::AxisCoord;
use super::figure::{
    color, dash, draw_legend, draw_marker_sized, draw_path, tick_label_width, write_figure, y_label_area, Figure,
    Swatch, DESC_RULE, LABEL_FONT, TICK_SIZE,
};
use super::labels::legend_key;
use super::text::{draw_error, draw_title, fit_any, text_width, Fitted};
use crate::result::{FaultInterval, TimelinePoint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// Size of a timeline chart, pixels.
const TIMELINE_SIZE_PX: (u32, u32) = (1024, 720);

/// Fault bands are numbered in the chart only up to this many faults (beyond, they crowd).
pub(super) const NUMBERED_FAULTS_MAX: usize = 20;

/// Fault rows listed under the panels; more are summarised as "… and N more".
const LEGEND_ROWS_MAX: usize = 6;

const BAND: RGBColor = RGBColor(214, 39, 40);

/// Margin around each panel, pixels.
const PANEL_MARGIN: u32 = 10;

/// Height of a panel's x label area: tick labels, and under the bottom panel the axis
/// description.
fn x_label_area(bottom: bool) -> u32 {
    if bottom {
        54
    } else {
        28
    }
}

/// Draws `<dir>/<stem>.svg` and `<dir>/<stem>.png`: acked throughput (records/s, by ack time)
/// on top, with the acknowledged records the checker later found lost (records/s, by the send
/// time of their batch, dashed) when there are any; p99 latency (ms) below, over simulated time
/// in seconds; each fault interval is a numbered red band, listed with its kind, target and
/// times in the legend. Each bucket is a step over its interval (so a last, partly filled
/// bucket reads as one bucket, not as a slope); buckets with no completed record (latency 0)
/// leave a gap in the latency line. A title of the form `<name>: <k>=<v> <k>=<v> ...` (a
/// scenario and a run's parameters) shows the name as the title and the parameters, Kafka keys
/// dotted and comma-separated, on a smaller line under it; `why` (why this run is shown) goes
/// on a line under them. Returns the two paths, SVG first.
pub fn draw_timeline(
    dir: &Path,
    stem: &str,
    title: &str,
    why: Option<&str>,
    timeline: &[TimelinePoint],
    faults: &[FaultInterval],
) -> Result<Vec<PathBuf>, String> {
    let run = RunData::new(timeline, faults, |i| i + 1);
    let scales = Scales::shared(std::slice::from_ref(&run));
    let (title, subtitle) = split_title(title);
    let figure = Timeline {
        title,
        subtitle,
        why: why.map(str::to_string),
        run,
        scales,
    };
    write_figure(dir, stem, TIMELINE_SIZE_PX, &figure)
}

/// The fault bands of one run: (start s, end s, label, number shown in the band).
pub(super) type Bands = Vec<(f64, f64, String, usize)>;

/// One run as drawn: its buckets, its lost records and its faults.
pub(super) struct RunData {
    points: Vec<Bucket>,
    /// Width of a bucket, seconds.
    bucket_s: f64,
    /// End of the run's time range (last bucket, last fault), ms.
    end_ms: u64,
    /// Acknowledged records lost in this run.
    pub(super) lost: u64,
    pub(super) faults: Bands,
    /// The bands show their numbers (not when there are too many faults to read them).
    pub(super) numbered: bool,
}

impl RunData {
    /// A run's timeline and faults; `number(i)` is the number the band of fault `i` shows.
    pub(super) fn new(
        timeline: &[TimelinePoint],
        faults: &[FaultInterval],
        number: impl Fn(usize) -> usize,
    ) -> RunData {
        let bucket_ms = match timeline {
            [a, b, ..] if b.t_ms > a.t_ms => b.t_ms - a.t_ms,
            _ => 1000,
        };
        let end_ms = timeline
            .last()
            .map(|p| p.t_ms + bucket_ms)
            .into_iter()
            .chain(faults.iter().map(|f| f.end_ms.max(f.start_ms)))
            .max()
            .unwrap_or(1000);
        let points = timeline
            .iter()
            .map(|p| Bucket {
                mid: seconds(p.t_ms) + seconds(bucket_ms) / 2.0,
                acked_rps: p.acked_rps,
                p99_ms: p.latency_p99_ms,
                lost_rps: p.lost_acked as f64 / seconds(p.width_ms.max(1)),
                lost: p.lost_acked,
            })
            .collect();
        RunData {
            points,
            bucket_s: seconds(bucket_ms),
            end_ms,
            lost: timeline.iter().map(|p| p.lost_acked).sum(),
            faults: faults
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let (start, end) = (seconds(f.start_ms), seconds(f.end_ms.max(f.start_ms)));
                    (start, end, fault_label(f), number(i))
                })
                .collect(),
            numbered: faults.len() <= NUMBERED_FAULTS_MAX,
        }
    }
}

/// A fault as the legend lists it: kind, target and times.
pub(super) fn fault_label(f: &FaultInterval) -> String {
    let (start, end) = (seconds(f.start_ms), seconds(f.end_ms.max(f.start_ms)));
    format!("{} {}, {start:.1}–{end:.1} s", f.kind, f.target)
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// The axes of one or more runs drawn together: one time range, one records/s and one latency
/// scale covering them all, so that panels compare.
pub(super) struct Scales {
    time: Axis,
    rps: Axis,
    latency: Axis,
}

impl Scales {
    pub(super) fn shared(runs: &[RunData]) -> Scales {
        let end_ms = runs.iter().map(|r| r.end_ms).max().unwrap_or(1000);
        let buckets = || runs.iter().flat_map(|r| &r.points);
        let max_rps = buckets().map(|p| p.acked_rps.max(p.lost_rps)).fold(0.0, f64::max);
        let max_latency = buckets().map(|p| p.p99_ms).fold(0.0, f64::max);
        Scales {
            time: Axis::linear_ticks(0.0, seconds(end_ms), 10),
            rps: Axis::from_zero(0.0, max_rps),
            latency: Axis::from_zero(0.0, max_latency),
        }
    }

    /// Width of both panels' y label areas (one width, so that the time axes line up), pixels.
    pub(super) fn y_label_area(&self) -> u32 {
        y_label_area(tick_label_width(&self.rps).max(tick_label_width(&self.latency)))
    }
}

/// The legend's series rows for a run that lost `lost` acknowledged records.
pub(super) fn series_entries(lost: u64, what: &str) -> Vec<(Swatch, String)> {
    let mut entries: Vec<(Swatch, String)> = vec![(Swatch::Stroke(0), "acknowledged (by ack time)".to_string())];
    entries.push(if lost > 0 {
        (
            Swatch::Stroke(LOST_STYLE),
            format!("acknowledged, later lost: {lost} (by send time)"),
        )
    } else {
        (Swatch::Blank, format!("no acknowledged record was lost in {what}"))
    });
    entries
}

/// `"<name>: k=v k=v"` -> (`<name>`, `"k=v, k=v"`), Kafka keys dotted (`linger_ms` ->
/// `linger.ms`); a value holding spaces stays whole. Other titles have no subtitle.
fn split_title(title: &str) -> (String, Option<String>) {
    let Some((name, params)) = title.split_once(": ") else {
        return (title.to_string(), None);
    };
    if name.trim().is_empty() || !params.split_whitespace().next().is_some_and(|w| w.contains('=')) {
        return (title.to_string(), None);
    }
    let mut parts: Vec<String> = Vec::new();
    for word in params.split_whitespace() {
        match (word.split_once('='), parts.last_mut()) {
            (Some((key, value)), _) if !key.is_empty() => parts.push(format!("{}={value}", legend_key(key))),
            (_, Some(last)) => {
                last.push(' ');
                last.push_str(word);
            }
            (_, None) => parts.push(word.to_string()),
        }
    }
    (name.trim().to_string(), Some(parts.join(", ")))
}

/// One bucket as drawn.
struct Bucket {
    /// Middle of the bucket, s.
    mid: f64,
    /// Records acknowledged in it, per second.
    acked_rps: f64,
    /// p99 latency of the records acknowledged in it, ms (0: none).
    p99_ms: f64,
    /// Acknowledged records sent in it and later found lost, per second.
    lost_rps: f64,
    /// Acknowledged records sent in it and later found lost.
    lost: u64,
}

/// A panel's series: its value in a bucket, whether a bucket at 0 leaves a gap, its style.
type PanelSeries = (fn(&Bucket) -> f64, bool, usize);

/// Style (colour, dash) of the lost series: purple, dashed.
pub(super) const LOST_STYLE: usize = 4;

struct Timeline {
    title: String,
    /// The run's parameters, on a smaller line under the title.
    subtitle: Option<String>,
    /// Why this run is the one shown.
    why: Option<String>,
    run: RunData,
    scales: Scales,
}

/// The legend rows of faults: numbered as their bands are when `numbered`.
pub(super) fn fault_labels(faults: &Bands, numbered: bool) -> Vec<String> {
    faults
        .iter()
        .map(|(_, _, label, number)| {
            if numbered {
                format!("{number}: {label}")
            } else {
                label.clone()
            }
        })
        .collect()
}

/// Draws one run's two panels into `area`: records/s on top, p99 latency under it, on
/// `scales`. With `mark_lost`, each bucket that lost acknowledged records also gets a marker
/// and its count (in a comparison, a few lost records would otherwise vanish on a scale set by
/// thousands acknowledged).
pub(super) fn draw_run<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    scales: &Scales,
    mark_lost: bool,
) -> Result<(), String> {
    let (_, panels_h) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically(panels_h * 47 / 100);
    // Each panel's y description fits its plot's height (a shorter wording before a smaller
    // font), and both are drawn at one size.
    let plot_h = |panel: &DrawingArea<DB, Shift>, bottom: bool| {
        let (_, h) = panel.dim_in_pixel();
        h.saturating_sub(2 * PANEL_MARGIN + x_label_area(bottom))
    };
    let mut rps_desc = fit_any(&["records/s", "rec/s"], plot_h(&top, false), DESC_RULE);
    let mut latency_desc = fit_any(&["p99 latency (ms)"], plot_h(&bottom, true), DESC_RULE);
    let size = rps_desc.size.min(latency_desc.size);
    (rps_desc.size, latency_desc.size) = (size, size);
    let mut top_series: Vec<PanelSeries> = vec![(|p| p.acked_rps, false, 0)];
    if run.lost > 0 {
        top_series.push((|p| p.lost_rps, false, LOST_STYLE));
    }
    let top_panel = Panel {
        run,
        scales,
        y_axis: &scales.rps,
        y_desc: &rps_desc,
        bottom: false,
    };
    top_panel.draw(&top, &top_series, mark_lost)?;
    let bottom_panel = Panel {
        y_axis: &scales.latency,
        y_desc: &latency_desc,
        bottom: true,
        ..top_panel
    };
    bottom_panel.draw(&bottom, &[(|p| p.p99_ms, true, 1)], false)?;
    Ok(())
}

/// A marker on the lost series at each bucket with lost acknowledged records, and the count
/// above it.
fn mark_lost_buckets<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Cartesian2d<AxisCoord, AxisCoord>>,
    run: &RunData,
) -> Result<(), String> {
    let style = color(LOST_STYLE);
    for p in run.points.iter().filter(|p| p.lost > 0) {
        draw_marker_sized(plot, (p.mid, p.lost_rps), 1, style, 6)?;
        let text = ("sans-serif", 15)
            .into_font()
            .color(&style)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let label = format!("{} lost", p.lost);
        plot.draw(&(EmptyElement::at((p.mid, p.lost_rps)) + Text::new(label, (0, -10), text)))
            .map_err(draw_error)?;
    }
    Ok(())
}

/// One panel of a run: its y axis and description, the bottom one (time described) or not.
#[derive(Clone, Copy)]
struct Panel<'a> {
    run: &'a RunData,
    scales: &'a Scales,
    y_axis: &'a Axis,
    y_desc: &'a Fitted,
    bottom: bool,
}

impl Panel<'_> {
    /// Draws the panel's mesh, fault bands and series (value, gap at zeros or not, style:
    /// colour, and dashes unless it is the panel's only line), and with `mark_lost` the lost
    /// buckets' markers.
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        series: &[PanelSeries],
        mark_lost: bool,
    ) -> Result<(), String> {
        let (run, scales, y_axis, bottom) = (self.run, self.scales, self.y_axis, self.bottom);
        let mut chart = ChartBuilder::on(area)
            .margin(PANEL_MARGIN)
            .margin_right(24)
            .x_label_area_size(x_label_area(bottom))
            .y_label_area_size(scales.y_label_area())
            .build_cartesian_2d(scales.time.spec(), y_axis.spec())
            .map_err(draw_error)?;
        let x_fmt = |v: &f64| scales.time.label(*v);
        let y_fmt = |v: &f64| y_axis.label(*v);
        let mut mesh = chart.configure_mesh();
        mesh.y_desc(self.y_desc.lines.concat())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", LABEL_FONT))
            .axis_desc_style(("sans-serif", self.y_desc.size))
            .set_all_tick_mark_size(TICK_SIZE)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .axis_style(BLACK.mix(0.8));
        if bottom {
            mesh.x_desc("simulated time (s)");
        }
        mesh.draw().map_err(draw_error)?;
        let plot = chart.plotting_area();
        // Right ends of the fault numbers drawn so far, one per row: a number that would touch
        // the one before it goes one row lower.
        let mut number_rows: Vec<i32> = Vec::new();
        for (start, end, _, number) in &run.faults {
            let band = [(*start, y_axis.lo), (*end, y_axis.hi)];
            plot.draw(&Rectangle::new(band, BAND.mix(0.16).filled()))
                .map_err(draw_error)?;
            plot.draw(&PathElement::new(
                vec![(*start, y_axis.lo), (*start, y_axis.hi)],
                BAND.mix(0.5).stroke_width(1),
            ))
            .map_err(draw_error)?;
            if run.numbered && !bottom {
                let number = format!("{number}");
                let (x, _) = plot.map_coordinate(&(*start, y_axis.hi));
                let (left, right) = (x + 4, x + 4 + text_width(&number, 14) as i32);
                let row = match number_rows.iter().position(|&r| r + 3 <= left) {
                    Some(row) => row,
                    None => {
                        number_rows.push(i32::MIN);
                        number_rows.len() - 1
                    }
                };
                number_rows[row] = right;
                let text = ("sans-serif", 14).into_font().color(&BAND);
                let at = (4, 4 + 16 * row as i32);
                plot.draw(&(EmptyElement::at((*start, y_axis.hi)) + Text::new(number, at, text)))
                    .map_err(draw_error)?;
            }
        }
        for &(value, gaps_at_zero, style) in series {
            let dashes = if series.len() > 1 { dash(style) } else { None };
            let draw_segment = |segment: Vec<(f64, f64)>| draw_path(plot, segment, color(style), dashes, 2);
            let mut segment: Vec<(f64, f64)> = Vec::new();
            for p in &run.points {
                let v = value(p);
                if gaps_at_zero && v <= 0.0 {
                    if !segment.is_empty() {
                        draw_segment(std::mem::take(&mut segment))?;
                    }
                    continue;
                }
                // A step per bucket: the value holds over the bucket's interval.
                segment.push((p.mid - run.bucket_s / 2.0, v));
                segment.push((p.mid + run.bucket_s / 2.0, v));
            }
            draw_segment(segment)?;
        }
        if mark_lost {
            mark_lost_buckets(plot, run)?;
        }
        Ok(())
    }
}

/// The height of a legend with these series rows and fault rows, pixels.
pub(super) fn legend_height(entries: usize, faults: usize) -> u32 {
    let rows = (entries + faults.min(LEGEND_ROWS_MAX)) as u32;
    24 + rows * 24 + if faults == 0 { 0 } else { 20 }
}

/// Draws the legend under the panels: the series, then the faults. It lines up with the plots'
/// left edge (`left`: the panels' y label area; the legend draws 10 px into its area).
pub(super) fn draw_timeline_legend<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    left: i32,
    entries: &[(Swatch, String)],
    labels: Vec<String>,
) -> Result<(), String> {
    let (legend_w, legend_h) = legend.dim_in_pixel();
    let series_h = (8 + entries.len() as u32 * 24).min(legend_h);
    let (series_area, faults_area) = legend.split_vertically(series_h);
    draw_legend(&series_area.margin(0, 0, left, 0), None, entries, 8)?;
    if !labels.is_empty() && legend_w > 0 {
        let faults: Vec<(Swatch, String)> = labels.into_iter().map(|l| (Swatch::Band(BAND), l)).collect();
        draw_legend(&faults_area.margin(0, 0, left, 0), Some("faults"), &faults, 4)?;
    }
    Ok(())
}

impl Figure for Timeline {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw_error)?;
        let subtitles: Vec<&str> = [self.subtitle.as_deref(), self.why.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let area = draw_title(root, &self.title, &subtitles)?;
        let labels = fault_labels(&self.run.faults, self.run.numbered);
        let entries = series_entries(self.run.lost, "this run");
        // The legend goes under the panels, which keep the full width.
        let legend_h = legend_height(entries.len(), labels.len());
        let (_, height) = area.dim_in_pixel();
        let (panels, legend) = area.split_vertically(height - legend_h);
        draw_run(&panels, &self.run, &self.scales, false)?;
        draw_timeline_legend(&legend, self.scales.y_label_area() as i32, &entries, labels)
    }
}
