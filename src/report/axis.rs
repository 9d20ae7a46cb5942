//! Chart axes: ranges, round tick steps, log and categorical scales, tick labels.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

/// One axis: its range and ticks in axis space (log10 of the value on a log axis, the index on a
/// categorical axis), and how to label a tick.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    pub light: Vec<f64>,
    pub(super) scale: Scale,
}

#[derive(Clone, Debug)]
pub(super) enum Scale {
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
pub(super) fn finite(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-f64::MAX, f64::MAX)
    }
}

impl Axis {
    /// A linear axis over `[lo, hi]` with ticks at a round step.
    pub(super) fn linear(lo: f64, hi: f64) -> Axis {
        Axis::linear_ticks(lo, hi, 6)
    }

    /// A linear axis over `[lo, hi]` with ticks at a round step, about `ticks` steps in all.
    pub(super) fn linear_ticks(lo: f64, hi: f64, ticks: u32) -> Axis {
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
    pub(super) fn from_zero(lo: f64, hi: f64) -> Axis {
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
    pub(super) fn padded(lo: f64, hi: f64) -> Axis {
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
    pub(super) fn log(lo: f64, hi: f64) -> Axis {
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
    pub(super) fn categories(names: Vec<String>, bars: bool) -> Axis {
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

    /// Position of a data value on the axis (a value <= 0 sits at the bottom of a log axis).
    pub(super) fn pos(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Log if value > 0.0 => value.log10(),
            Scale::Log => self.lo,
            _ => value,
        }
    }

    pub(super) fn is_log(&self) -> bool {
        matches!(self.scale, Scale::Log)
    }

    /// Text of the tick at axis position `p`.
    pub(super) fn label(&self, p: f64) -> String {
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

    pub(super) fn is_categorical(&self) -> bool {
        matches!(self.scale, Scale::Categories(_))
    }

    /// The plotters coordinate of this axis: exactly our range and ticks.
    pub(super) fn spec(&self) -> AxisCoord {
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

/// Positive values spanning more than this ratio get a log axis unless the plot says otherwise.
pub(super) const AUTO_LOG_RATIO: f64 = 100.0;

/// Whether an axis over `values` is logarithmic: `explicit` when given (a log axis needs a
/// positive value), else when the positive values span more than [`AUTO_LOG_RATIO`] and
/// (unless `zeros_ok`: bars, whose zeros sit on the axis labelled) none is <= 0.
pub(super) fn wants_log(explicit: Option<bool>, values: &[f64], zeros_ok: bool) -> bool {
    let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0 && v.is_finite()).collect();
    let (lo, hi) = (
        positive.iter().copied().fold(f64::INFINITY, f64::min),
        positive.iter().copied().fold(0.0, f64::max),
    );
    match explicit {
        Some(log) => log && !positive.is_empty() && (zeros_ok || positive.len() == values.len()),
        None => !positive.is_empty() && (zeros_ok || positive.len() == values.len()) && hi / lo > AUTO_LOG_RATIO,
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
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

pub(super) fn decimals_for(step: f64) -> usize {
    (-step.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize
}

/// A linear tick label: "k" / "M" suffixes for large round values, else as many decimals as the
/// step needs.
pub(super) fn format_linear(v: f64, step: f64, magnitude: f64) -> String {
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
