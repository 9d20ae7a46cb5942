//! One run over simulated time: acked throughput and p99 latency in two stacked panels sharing
//! the time axis, with the fault intervals shaded.

use super::chart::{
    color, draw_error, draw_legend, write_figure, Axis, Figure, Swatch, DESC_FONT, LABEL_FONT, TITLE_FONT,
};
use crate::result::{FaultInterval, TimelinePoint};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Size of a timeline chart, pixels.
const TIMELINE_SIZE_PX: (u32, u32) = (1024, 720);

/// Fault bands are numbered in the chart only up to this many faults (beyond, they crowd).
const NUMBERED_FAULTS_MAX: usize = 20;

/// Fault rows listed under the panels; more are summarised as "… and N more".
const LEGEND_ROWS_MAX: usize = 6;

const BAND: RGBColor = RGBColor(214, 39, 40);

/// Draws `<dir>/<stem>.svg` and `<dir>/<stem>.png`: acked throughput (records/s) on top, p99
/// latency (ms) below, over simulated time in seconds; each fault interval is a numbered red
/// band, listed with its kind, target and times in the legend. Buckets with no completed record
/// (latency 0) leave a gap in the latency line. Returns the two paths, SVG first.
pub fn draw_timeline(
    dir: &Path,
    stem: &str,
    title: &str,
    timeline: &[TimelinePoint],
    faults: &[FaultInterval],
) -> Result<Vec<PathBuf>, String> {
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
    let seconds = |ms: u64| ms as f64 / 1000.0;
    let points: Vec<(f64, f64, f64)> = timeline
        .iter()
        .map(|p| {
            let mid = seconds(p.t_ms) + seconds(bucket_ms) / 2.0;
            (mid, p.acked_rps, p.latency_p99_ms)
        })
        .collect();
    let max_rps = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let max_latency = points.iter().map(|p| p.2).fold(0.0, f64::max);
    let figure = Timeline {
        title: title.to_string(),
        time: Axis::linear(0.0, seconds(end_ms)),
        rps: Axis::from_zero(0.0, max_rps),
        latency: Axis::from_zero(0.0, max_latency),
        points,
        faults: faults
            .iter()
            .map(|f| {
                let (start, end) = (seconds(f.start_ms), seconds(f.end_ms.max(f.start_ms)));
                let label = format!("{} {}, {start:.1}–{end:.1} s", f.kind, f.target);
                (start, end, label)
            })
            .collect(),
    };
    write_figure(dir, stem, TIMELINE_SIZE_PX, &figure)
}

struct Timeline {
    title: String,
    time: Axis,
    rps: Axis,
    latency: Axis,
    /// (bucket middle s, acked records/s, p99 latency ms).
    points: Vec<(f64, f64, f64)>,
    /// (start s, end s, label).
    faults: Vec<(f64, f64, String)>,
}

impl Timeline {
    fn fault_labels(&self) -> Vec<String> {
        let numbered = self.faults.len() <= NUMBERED_FAULTS_MAX;
        self.faults
            .iter()
            .enumerate()
            .map(|(i, (_, _, label))| {
                if numbered {
                    format!("{}: {label}", i + 1)
                } else {
                    label.clone()
                }
            })
            .collect()
    }

    /// One panel: its y axis, the series (index 1 or 2 of `points`), gap at zeros or not.
    #[allow(clippy::too_many_arguments)]
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        y_axis: &Axis,
        y_desc: &str,
        value: fn(&(f64, f64, f64)) -> f64,
        gaps_at_zero: bool,
        style: usize,
        bottom: bool,
    ) -> Result<(), String> {
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .margin_right(24)
            .x_label_area_size(if bottom { 54 } else { 28 })
            .y_label_area_size(92)
            .build_cartesian_2d(self.time.spec(), y_axis.spec())
            .map_err(draw_error)?;
        let x_fmt = |v: &f64| self.time.label(*v);
        let y_fmt = |v: &f64| y_axis.label(*v);
        let mut mesh = chart.configure_mesh();
        mesh.y_desc(y_desc)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", LABEL_FONT))
            .axis_desc_style(("sans-serif", DESC_FONT))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .axis_style(BLACK.mix(0.8));
        if bottom {
            mesh.x_desc("simulated time (s)");
        }
        mesh.draw().map_err(draw_error)?;
        let plot = chart.plotting_area();
        let numbered = self.faults.len() <= NUMBERED_FAULTS_MAX;
        for (i, (start, end, _)) in self.faults.iter().enumerate() {
            let band = [(*start, y_axis.lo), (*end, y_axis.hi)];
            plot.draw(&Rectangle::new(band, BAND.mix(0.16).filled()))
                .map_err(draw_error)?;
            plot.draw(&PathElement::new(
                vec![(*start, y_axis.lo), (*start, y_axis.hi)],
                BAND.mix(0.5).stroke_width(1),
            ))
            .map_err(draw_error)?;
            if numbered && !bottom {
                let text = ("sans-serif", 14).into_font().color(&BAND);
                plot.draw(&(EmptyElement::at((*start, y_axis.hi)) + Text::new(format!("{}", i + 1), (4, 4), text)))
                    .map_err(draw_error)?;
            }
        }
        let c = color(style);
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for p in &self.points {
            let v = value(p);
            if gaps_at_zero && v <= 0.0 {
                if !segment.is_empty() {
                    plot.draw(&PathElement::new(std::mem::take(&mut segment), c.stroke_width(2)))
                        .map_err(draw_error)?;
                }
                continue;
            }
            segment.push((p.0, v));
        }
        if segment.len() == 1 {
            plot.draw(&Circle::new(segment[0], 2, c.filled())).map_err(draw_error)?;
        }
        plot.draw(&PathElement::new(segment, c.stroke_width(2)))
            .map_err(draw_error)?;
        Ok(())
    }
}

impl Figure for Timeline {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw_error)?;
        let area = root
            .margin(8, 0, 0, 0)
            .titled(&self.title, ("sans-serif", TITLE_FONT).into_font())
            .map_err(draw_error)?;
        let labels = self.fault_labels();
        // The fault list goes under the panels, which keep the full width.
        let rows = labels.len().min(LEGEND_ROWS_MAX) as u32;
        let legend_h = if labels.is_empty() { 0 } else { 44 + rows * 24 };
        let (_, height) = area.dim_in_pixel();
        let (panels, legend) = area.split_vertically(height - legend_h);
        let (_, panels_h) = panels.dim_in_pixel();
        let (top, bottom) = panels.split_vertically(panels_h * 47 / 100);
        self.panel(
            &top,
            &self.rps,
            "acked throughput (records/s)",
            |p| p.1,
            false,
            0,
            false,
        )?;
        self.panel(&bottom, &self.latency, "p99 latency (ms)", |p| p.2, true, 1, true)?;
        if !labels.is_empty() {
            let entries: Vec<(Swatch, String)> = labels.into_iter().map(|l| (Swatch::Band(BAND), l)).collect();
            draw_legend(&legend.margin(0, 0, 92, 0), Some("faults"), &entries, 8)?;
        }
        Ok(())
    }
}
