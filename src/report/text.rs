//! Text that must fit: titles, axis descriptions, legend rows and tick labels are measured with
//! the embedded font, then shrunk, wrapped onto a second line or shortened with "…" until they
//! fit. Measuring uses the font alone (no backend), so SVG and PNG get the same layout.

use super::font;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of `text` at font `size`, pixels, in the embedded font.
pub(crate) fn text_width(text: &str, size: u32) -> u32 {
    font::ensure_registered();
    ("sans-serif", size)
        .into_font()
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or(0)
}

/// Height plotters gives a line of text at font `size` (its layout box), pixels.
pub(crate) fn line_height(size: u32) -> i32 {
    (size as f64 / 1.24) as i32
}

/// How a text may be fitted: font sizes from `max` down to `min` in steps of 2 (sizes stay even,
/// see [`super::figure::TITLE_FONT`]), on at most `lines` lines.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FitRule {
    pub max: u32,
    pub min: u32,
    pub lines: usize,
}

impl FitRule {
    fn sizes(self) -> impl Iterator<Item = u32> {
        let (max, min) = (self.max, self.min.min(self.max));
        (0..=(max - min) / 2).map(move |k| max - 2 * k)
    }
}

/// A text fitted to a width: its lines, all at one font size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fitted {
    pub size: u32,
    pub lines: Vec<String>,
}

/// Fits `text` into `width` pixels with the embedded font; see [`fit_with`].
pub(crate) fn fit(text: &str, width: u32, rule: FitRule) -> Fitted {
    fit_with(text, width, rule, &text_width)
}

/// Fits `text` into `width` pixels, `measure` giving the width of a text at a font size:
///
/// 1. one line, at the largest size from `rule.max` down to `rule.min` at which it fits;
/// 2. (when `rule.lines` >= 2) two lines, broken preferably after a " — " or ": ", then after
///    ", " or "; ", then at a space, then after a `.`, `_` or `/`; within a kind of break, at the
///    largest size at which one break fits, choosing the break that balances the lines best;
/// 3. at `rule.min`: as many words as fit on the first line, the rest shortened with "…".
///
/// A text holding line breaks keeps them (up to `rule.lines` lines, the rest joined onto the
/// last) and is shrunk, then shortened, line by line.
pub(crate) fn fit_with(text: &str, width: u32, rule: FitRule, measure: &dyn Fn(&str, u32) -> u32) -> Fitted {
    let min = rule.min.min(rule.max);
    let max_lines = rule.lines.max(1);
    let given: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if given.len() > 1 && max_lines > 1 {
        let mut lines: Vec<String> = given[..max_lines.min(given.len()) - 1]
            .iter()
            .map(|l| l.to_string())
            .collect();
        lines.push(given[lines.len()..].join(" "));
        for size in rule.sizes() {
            if lines.iter().all(|l| measure(l, size) <= width) {
                return Fitted { size, lines };
            }
        }
        let lines = lines.iter().map(|l| ellipsize_with(l, width, min, measure)).collect();
        return Fitted { size: min, lines };
    }
    let text = given.join(" ");
    for size in rule.sizes() {
        if measure(&text, size) <= width {
            return Fitted {
                size,
                lines: vec![text],
            };
        }
    }
    if max_lines == 1 {
        return Fitted {
            size: min,
            lines: vec![ellipsize_with(&text, width, min, measure)],
        };
    }
    for kind in 0..BREAK_KINDS {
        let breaks: Vec<(String, String)> = breaks(&text, kind);
        for size in rule.sizes() {
            let best = breaks
                .iter()
                .map(|(a, b)| (measure(a, size), measure(b, size), a, b))
                .filter(|&(wa, wb, _, _)| wa <= width && wb <= width)
                .min_by_key(|&(wa, wb, _, _)| wa.max(wb));
            if let Some((_, _, a, b)) = best {
                return Fitted {
                    size,
                    lines: vec![a.clone(), b.clone()],
                };
            }
        }
    }
    // Nothing fits on two lines: fill the first line, shorten the second.
    let (first, rest) = fill_line(&text, width, min, measure);
    Fitted {
        size: min,
        lines: vec![first, ellipsize_with(&rest, width, min, measure)],
    }
}

const BREAK_KINDS: usize = 4;

/// The first of `candidates` (say, a label and a shorter one) that fits `width` on one line, at
/// the largest size of `rule` at which one does; else the last, shortened, at `rule.min`.
pub(crate) fn fit_any(candidates: &[&str], width: u32, rule: FitRule) -> Fitted {
    for size in rule.sizes() {
        if let Some(c) = candidates.iter().find(|c| text_width(c, size) <= width) {
            return Fitted {
                size,
                lines: vec![c.to_string()],
            };
        }
    }
    let last = candidates.last().copied().unwrap_or("");
    let min = rule.min.min(rule.max);
    Fitted {
        size: min,
        lines: vec![ellipsize(last, width, min)],
    }
}

/// The two lines of every break of `text` of one kind (0: after " — " or ": ", 1: after ", " or
/// "; ", 2: at a space, 3: after `.`, `_` or `/`), in text order. Separators that only join
/// (" — ", spaces) are dropped, punctuation stays at the end of the first line.
fn breaks(text: &str, kind: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |first: &str, second: &str| {
        let (first, second) = (first.trim_end(), second.trim_start());
        if !first.is_empty() && !second.is_empty() {
            out.push((first.to_string(), second.to_string()));
        }
    };
    for (i, c) in text.char_indices() {
        let rest = &text[i..];
        match kind {
            0 => {
                if let Some(after) = rest.strip_prefix(" — ") {
                    push(&text[..i], after);
                } else if let Some(after) = rest.strip_prefix(": ") {
                    push(&text[..i + 1], after);
                }
            }
            1 => {
                if let Some(after) = rest.strip_prefix(", ").or_else(|| rest.strip_prefix("; ")) {
                    push(&text[..i + 1], after);
                }
            }
            2 => {
                if c == ' ' {
                    push(&text[..i], &rest[1..]);
                }
            }
            _ => {
                if matches!(c, '.' | '_' | '/') {
                    push(&text[..i + 1], &rest[1..]);
                }
            }
        }
    }
    out
}

/// The longest run of whole words of `text` that fits `width` at `size` (or, when the first word
/// does not fit, as many of its characters as do), and the rest.
fn fill_line(text: &str, width: u32, size: u32, measure: &dyn Fn(&str, u32) -> u32) -> (String, String) {
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if c == ' ' {
            if measure(text[..i].trim_end(), size) <= width {
                end = i;
            } else {
                break;
            }
        }
    }
    if end == 0 {
        let mut chars = 0;
        for (i, c) in text.char_indices() {
            if measure(&text[..i + c.len_utf8()], size) > width {
                break;
            }
            chars = i + c.len_utf8();
        }
        end = chars.max(text.chars().next().map_or(0, char::len_utf8));
    }
    (text[..end].trim_end().to_string(), text[end..].trim_start().to_string())
}

/// `text`, or its longest prefix followed by "…" that fits `width` pixels at `size`.
pub(crate) fn ellipsize(text: &str, width: u32, size: u32) -> String {
    ellipsize_with(text, width, size, &text_width)
}

/// `text`, or its start and end around a "…", as much of both as fits `width` pixels at `size`:
/// for labels that may differ only at their end (`client-configuration-1`, `…-2`).
pub(crate) fn ellipsize_middle(text: &str, width: u32, size: u32) -> String {
    ellipsize_middle_with(text, width, size, &text_width)
}

fn ellipsize_middle_with(text: &str, width: u32, size: u32, measure: &dyn Fn(&str, u32) -> u32) -> String {
    if measure(text, size) <= width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let (head, tail) = (keep.div_ceil(2), keep / 2);
        let shorter: String = chars[..head]
            .iter()
            .chain(std::iter::once(&'…'))
            .chain(&chars[chars.len() - tail..])
            .collect();
        if measure(&shorter, size) <= width {
            return shorter;
        }
    }
    "…".to_string()
}

fn ellipsize_with(text: &str, width: u32, size: u32, measure: &dyn Fn(&str, u32) -> u32) -> String {
    if measure(text, size) <= width {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let shorter = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if measure(&shorter, size) <= width {
            return shorter;
        }
    }
    "…".to_string()
}

/// Title font sizes: the title shrinks to 18 before it wraps.
const TITLE_RULE: FitRule = FitRule {
    max: super::figure::TITLE_FONT,
    min: 18,
    lines: 2,
};

/// Subtitle (a run's parameters) font sizes.
const SUBTITLE_RULE: FitRule = FitRule {
    max: 16,
    min: 14,
    lines: 2,
};

/// Free space left and right of a title, pixels.
const TITLE_SIDE_MARGIN: u32 = 16;

/// Draws `title` centred at the top of `root`, and each of `subtitles` (a run's parameters, why
/// this run) smaller and grey under it, each fitted to the width (shrunk, wrapped onto two
/// lines, shortened). Returns the area below them.
pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitles: &[&str],
) -> Result<DrawingArea<DB, Shift>, String> {
    let (width, _) = root.dim_in_pixel();
    let room = width.saturating_sub(2 * TITLE_SIDE_MARGIN);
    let mut blocks = vec![(fit(title, room, TITLE_RULE), RGBColor(0, 0, 0))];
    for subtitle in subtitles.iter().filter(|s| !s.trim().is_empty()) {
        blocks.push((fit(subtitle, room, SUBTITLE_RULE), RGBColor(80, 80, 80)));
    }
    let mut y = 13;
    for (b, (fitted, color)) in blocks.iter().enumerate() {
        if b > 0 {
            y += 8;
        }
        for (i, line) in fitted.lines.iter().enumerate() {
            if i > 0 {
                y += (fitted.size * 3 / 10) as i32;
            }
            let style = ("sans-serif", fitted.size)
                .into_font()
                .color(color)
                .pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(line.clone(), (width as i32 / 2, y), style))
                .map_err(draw_error)?;
            y += line_height(fitted.size);
        }
    }
    Ok(root.split_vertically(y + 5).1)
}

/// A plotters drawing error as text.
pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    format!("drawing failed: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character 10 pixels wide at size 20, proportionally at other sizes.
    fn mono(text: &str, size: u32) -> u32 {
        text.chars().count() as u32 * size / 2
    }

    const RULE: FitRule = FitRule {
        max: 20,
        min: 16,
        lines: 2,
    };

    #[test]
    fn shrinks_before_wrapping() {
        // 12 characters: 120 px at 20, 108 at 18.
        let f = fit_with("abcdef ghijk", 110, RULE, &mono);
        assert_eq!(
            f,
            Fitted {
                size: 18,
                lines: vec!["abcdef ghijk".into()]
            }
        );
        let f = fit_with("abcdef ghijk", 200, RULE, &mono);
        assert_eq!(f.size, 20);
    }

    #[test]
    fn wraps_at_a_dash_before_a_space_at_the_largest_size() {
        let text = "lost records under crash — unclean.leader.election.enable=false";
        let f = fit_with(text, 400, RULE, &mono);
        assert_eq!(
            f.lines,
            ["lost records under crash", "unclean.leader.election.enable=false"]
        );
        assert_eq!(f.size, 20);
        // No separator: the most balanced space.
        let f = fit_with("aaaa bbbb cccc dddd eeee ffff", 160, RULE, &mono);
        assert_eq!(f.lines, ["aaaa bbbb cccc", "dddd eeee ffff"]);
        // One long word: breaks after a dot.
        let f = fit_with("max.in.flight.requests.per.connection", 200, RULE, &mono);
        assert_eq!(f.lines.len(), 2);
        assert!(f.lines.iter().all(|l| mono(l, f.size) <= 200), "{f:?}");
        assert_eq!(f.lines.concat(), "max.in.flight.requests.per.connection");
    }

    #[test]
    fn ellipsizes_what_two_lines_cannot_hold() {
        let text = "aaaa bbbb cccc dddd eeee ffff gggg hhhh";
        let f = fit_with(text, 80, RULE, &mono);
        assert_eq!(f.size, 16);
        assert_eq!(f.lines[0], "aaaa bbbb");
        assert!(f.lines[1].ends_with('…'), "{f:?}");
        assert!(f.lines.iter().all(|l| mono(l, 16) <= 80), "{f:?}");
        let one = FitRule { lines: 1, ..RULE };
        let f = fit_with(text, 80, one, &mono);
        assert_eq!(f.lines, ["aaaa bbbb…"]);
    }

    #[test]
    fn middle_ellipsis_keeps_both_ends() {
        assert_eq!(
            ellipsize_middle_with("client-configuration-12", 100, 20, &mono),
            "clien…n-12"
        );
        assert_eq!(ellipsize_middle_with("short", 100, 20, &mono), "short");
    }

    #[test]
    fn given_line_breaks_are_kept() {
        let f = fit_with("first line\nsecond\nthird", 400, RULE, &mono);
        assert_eq!(f.lines, ["first line", "second third"]);
        assert_eq!(f.size, 20);
    }

    #[test]
    fn real_font_widths_grow_with_size_and_length() {
        let a = text_width("leader-failover", 24);
        assert!(a > 100 && a < 300, "{a}");
        assert!(text_width("leader-failover", 18) < a);
        assert!(text_width("leader-failover: acks=0", 24) > a);
    }
}
