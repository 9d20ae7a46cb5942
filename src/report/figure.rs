//! What every figure shares: colours, markers, legends, font sizes, and writing a figure as SVG
//! and PNG.

use super::axis::Axis;
use super::font;
use super::text::{draw_error, ellipsize, ellipsize_middle, fit, line_height, text_width, FitRule};
use super::{temp_path, write_atomic};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

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

/// A series' dash pattern (dash, gap), pixels; `None` for solid. Series drawn later get
/// dashes, so that a line drawn over an identical one leaves the one under it visible.
pub(crate) fn dash(style: usize) -> Option<(u32, u32)> {
    const PATTERNS: [Option<(u32, u32)>; 10] = [
        None,
        Some((10, 6)),
        Some((3, 5)),
        Some((18, 6)),
        Some((6, 4)),
        Some((2, 9)),
        Some((24, 4)),
        Some((4, 8)),
        Some((12, 3)),
        Some((8, 8)),
    ];
    PATTERNS[style % PATTERNS.len()]
}

/// Draws a line through `points` in series `style`'s colour and dash pattern.
pub(crate) fn draw_series_line<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    points: Vec<CT::From>,
    style: usize,
    width: u32,
) -> Result<(), String>
where
    CT::From: Clone,
{
    draw_path(area, points, color(style), dash(style), width)
}

/// Draws a line through `points` in `c`, solid or dashed (dash, gap in pixels).
pub(crate) fn draw_path<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    points: Vec<CT::From>,
    c: RGBColor,
    dashes: Option<(u32, u32)>,
    width: u32,
) -> Result<(), String>
where
    CT::From: Clone,
{
    let stroke = c.stroke_width(width);
    let result = match dashes {
        None => area.draw(&PathElement::new(points, stroke)),
        Some((d, g)) => area.draw(&DashedPathElement::new(points, d, g, stroke)),
    };
    result.map_err(draw_error)
}

/// Marker radius of the `rank`-th series drawn (pixels): the first series drawn gets the
/// largest markers, so that a marker drawn over it at the same point leaves a rim visible.
pub(crate) fn marker_radius(rank: usize) -> i32 {
    7 - (rank.min(3) as i32)
}

/// Draws marker `shape` (0..8: filled circle, triangle, square, diamond, then hollow ones) at
/// `at`, radius 5.
pub(crate) fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    shape: usize,
    color: RGBColor,
) -> Result<(), String> {
    draw_marker_sized(area, at, shape, color, 5)
}

/// [`draw_marker`] with radius `r`, pixels.
pub(crate) fn draw_marker_sized<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    shape: usize,
    color: RGBColor,
    r: i32,
) -> Result<(), String> {
    let fill = color.filled();
    let outline = color.stroke_width(2);
    let white = WHITE.filled();
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
pub(super) const VALUE_FONT: u32 = 12;
pub(super) const NOTE_FONT: u32 = 14;

/// Axis descriptions shrink down to 14 px, then are shortened.
pub(crate) const DESC_RULE: FitRule = FitRule {
    max: DESC_FONT,
    min: 14,
    lines: 1,
};

/// Legend titles shrink down to 14 px, then wrap onto a second line.
pub(super) const LEGEND_TITLE_RULE: FitRule = FitRule {
    max: LEGEND_FONT,
    min: 14,
    lines: 2,
};

/// Left of a legend row's text: the swatch is drawn in front of it.
pub(super) const LEGEND_TEXT_X: i32 = 52;

/// Widest a legend title may make its panel before it wraps, pixels.
pub(super) const LEGEND_TITLE_WRAP: u32 = 240;

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
    /// A series line (its dash pattern) with its marker.
    Line(usize),
    /// A series line without a marker.
    Stroke(usize),
    /// No swatch: a row of text.
    Blank,
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
                draw_series_line(area, vec![(8, mid), (48, mid)], *style, 2)?;
                draw_marker(area, (28, mid), *style, color(*style))?;
            }
            Swatch::Stroke(style) => draw_series_line(area, vec![(8, mid), (48, mid)], *style, 2)?,
            Swatch::Blank => {}
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
pub(super) fn legend_width(title: Option<&str>, entries: &[String], notes: &[&str]) -> u32 {
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
