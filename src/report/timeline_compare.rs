//! Timelines of a few runs side by side on shared axes (one time range, one records/s scale,
//! one latency scale), faults shaded and numbered alike in every panel: a `[[plots]]` entry of
//! kind "timeline" draws one panel per value of its `per` column.

use super::figure::{color, write_figure, Figure, Swatch};
use super::text::{draw_error, draw_title, ellipsize, fit, line_height, FitRule};
use super::timeline::{
    draw_run, draw_timeline_legend, fault_label, fault_labels, legend_height, RunData, Scales, LOST_STYLE,
};
use crate::result::{FaultInterval, TimelinePoint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// Width of the figure, pixels; its height grows with the rows of panels.
const COMPARE_WIDTH_PX: u32 = 1280;

/// Height of one row of panels (their header and both plots), pixels.
const ROW_HEIGHT_PX: u32 = 600;

/// Height of a panel's header (its value, its run, its losses), pixels.
const HEADER_HEIGHT_PX: u32 = 96;

/// Font sizes of a panel's run and why.
const RUN_RULE: FitRule = FitRule {
    max: 14,
    min: 12,
    lines: 2,
};

/// One panel of the comparison.
pub(crate) struct ComparedRun<'a> {
    /// What this panel shows: `kafka_version = 0.10`.
    pub heading: String,
    /// Which run and why: `run 1 of 2, seed 7: the only run with kafka_version = 0.10`.
    pub run: String,
    pub timeline: &'a [TimelinePoint],
    pub faults: &'a [FaultInterval],
}

/// Draws `<dir>/<stem>.svg` and `.png`: `title` over one panel per run (two side by side per
/// row), each headed by its heading, its run and its lost acknowledged records, each the
/// timeline of one run ([`super::draw_timeline`]'s panels, with the buckets that lost records
/// marked and counted), on shared axes; the faults of every run listed once under them, each
/// numbered alike in every panel. Returns the two paths, SVG first.
pub(crate) fn draw_timeline_comparison(
    dir: &Path,
    stem: &str,
    title: &str,
    runs: &[ComparedRun<'_>],
) -> Result<Vec<PathBuf>, String> {
    // Faults of every run, each once (scripted faults repeat across runs), in first-seen order.
    let mut faults: Vec<(String, &FaultInterval)> = Vec::new();
    for f in runs.iter().flat_map(|r| r.faults) {
        let label = fault_label(f);
        if !faults.iter().any(|(l, _)| *l == label) {
            faults.push((label, f));
        }
    }
    let numbered = faults.len() <= super::timeline::NUMBERED_FAULTS_MAX;
    let data: Vec<RunData> = runs
        .iter()
        .map(|r| {
            let number = |i: usize| {
                let label = fault_label(&r.faults[i]);
                faults.iter().position(|(l, _)| *l == label).unwrap_or(i) + 1
            };
            let mut d = RunData::new(r.timeline, r.faults, number);
            d.numbered = numbered;
            d
        })
        .collect();
    let scales = Scales::shared(&data);
    let all_faults: Vec<FaultInterval> = faults.iter().map(|(_, f)| (*f).clone()).collect();
    let legend_faults = RunData::new(&[], &all_faults, |i| i + 1).faults;
    let columns = runs.len().clamp(1, 2) as u32;
    let rows = (runs.len() as u32).div_ceil(columns).max(1);
    let figure = Comparison {
        title: title.to_string(),
        panels: runs.iter().map(|r| (r.heading.clone(), r.run.clone())).collect(),
        data,
        scales,
        fault_rows: fault_labels(&legend_faults, numbered),
        columns,
        rows,
    };
    let height = 110 + rows * ROW_HEIGHT_PX + legend_height(2, figure.fault_rows.len());
    write_figure(dir, stem, (COMPARE_WIDTH_PX, height), &figure)
}

struct Comparison {
    title: String,
    /// Each panel's heading and run.
    panels: Vec<(String, String)>,
    data: Vec<RunData>,
    scales: Scales,
    /// The legend's fault rows.
    fault_rows: Vec<String>,
    columns: u32,
    rows: u32,
}

impl Comparison {
    /// A panel's header: its heading, its run (why it), its lost acknowledged records.
    fn header<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (heading, run): &(String, String),
        lost: u64,
    ) -> Result<(), String> {
        let (width, _) = area.dim_in_pixel();
        let room = width.saturating_sub(2 * 16);
        let centred = |size: u32, c: RGBColor| {
            ("sans-serif", size)
                .into_font()
                .color(&c)
                .pos(Pos::new(HPos::Center, VPos::Top))
        };
        let x = width as i32 / 2;
        area.draw(&Text::new(ellipsize(heading, room, 20), (x, 4), centred(20, BLACK)))
            .map_err(draw_error)?;
        // Which run and why, on two lines when it needs them (broken after its ": ").
        let fitted = fit(run, room, RUN_RULE);
        let mut y = 30;
        for line in &fitted.lines {
            area.draw(&Text::new(
                line.clone(),
                (x, y),
                centred(fitted.size, RGBColor(80, 80, 80)),
            ))
            .map_err(draw_error)?;
            y += line_height(fitted.size) + (fitted.size * 3 / 10) as i32 + 1;
        }
        let (text, c) = if lost > 0 {
            (
                format!("{lost} acknowledged record{} lost", if lost == 1 { "" } else { "s" }),
                color(LOST_STYLE),
            )
        } else {
            ("no acknowledged record lost".to_string(), RGBColor(80, 80, 80))
        };
        area.draw(&Text::new(ellipsize(&text, room, 16), (x, y + 4), centred(16, c)))
            .map_err(draw_error)?;
        Ok(())
    }
}

impl Figure for Comparison {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw_error)?;
        let subtitle = "one run per panel; shared time and y scales; faults shaded and numbered alike";
        let area = draw_title(root, &self.title, &[subtitle])?;
        let lost: u64 = self.data.iter().map(|d| d.lost).sum();
        let mut entries: Vec<(Swatch, String)> = vec![(Swatch::Stroke(0), "acknowledged (by ack time)".to_string())];
        entries.push(if lost > 0 {
            (
                Swatch::Stroke(LOST_STYLE),
                "acknowledged, later lost (by send time; a triangle and a count mark each interval that lost some)"
                    .to_string(),
            )
        } else {
            (
                Swatch::Blank,
                "no acknowledged record was lost in these runs".to_string(),
            )
        });
        let (_, height) = area.dim_in_pixel();
        let legend_h = legend_height(entries.len(), self.fault_rows.len());
        let (grid, legend) = area.split_vertically(height.saturating_sub(legend_h));
        let cells = grid.split_evenly((self.rows as usize, self.columns as usize));
        for ((cell, panel), data) in cells.iter().zip(&self.panels).zip(&self.data) {
            let (header, plots) = cell.split_vertically(HEADER_HEIGHT_PX);
            self.header(&header, panel, data.lost)?;
            draw_run(&plots, data, &self.scales, true)?;
        }
        draw_timeline_legend(
            &legend,
            self.scales.y_label_area() as i32,
            &entries,
            self.fault_rows.clone(),
        )
    }
}
