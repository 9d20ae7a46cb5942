//! CI gates: `[[expect]]` entries of a scenario file, evaluated over the runs' measures.
//!
//! An expectation selects runs by parameter columns (`where`), then bounds measures either for
//! every matching run (`over = "each"`) or for their total (`over = "sum"`). An expectation that
//! matches no run is *skipped*, never passed: it does not fail the command unless `--strict`
//! says it must (a what-if run that narrows a sweep leaves some gates without runs).

use std::fmt;

use crate::result::Measure;

/// Whether bounds apply to every matching run or to the total over them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Over {
    #[default]
    /// Every matching run must be within the bounds (`over = "each"`).
    Each,
    /// The total over the matching runs must be (`over = "sum"`).
    Sum,
}

impl Over {
    /// Parses a scenario value.
    pub(crate) fn parse(s: &str) -> Option<Over> {
        match s {
            "each" => Some(Over::Each),
            "sum" => Some(Over::Sum),
            _ => None,
        }
    }
}

/// Bounds on one measure; `min == max` is an exact value.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    /// The measure (a results.csv column, `lost_acked`).
    pub(crate) measure: String,
    /// Lowest allowed value, if bounded below.
    pub(crate) min: Option<f64>,
    /// Highest allowed value, if bounded above.
    pub(crate) max: Option<f64>,
}

impl Bound {
    fn is_exact(&self) -> bool {
        matches!((self.min, self.max), (Some(a), Some(b)) if a == b)
    }

    /// `None` when `v` is within bounds, else why not (`12 > max 0`). NaN is never within.
    fn violation(&self, v: f64) -> Option<String> {
        if self.is_exact() {
            let x = self.min.unwrap_or(0.0);
            if v == x {
                return None;
            }
            return Some(format!("{} != expected {}", fmt_num(v), fmt_num(x)));
        }
        if let Some(min) = self.min {
            if v.is_nan() || v < min {
                return Some(format!("{} < min {}", fmt_num(v), fmt_num(min)));
            }
        }
        if let Some(max) = self.max {
            if v.is_nan() || v > max {
                return Some(format!("{} > max {}", fmt_num(v), fmt_num(max)));
            }
        }
        if v.is_nan() {
            return Some("NaN".into());
        }
        None
    }

    /// The bound as text, relative to its measure: `= 0`, `<= 5`, `>= 1`, `in 1..5`.
    fn describe_limits(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => format!("= {}", fmt_num(a)),
            (Some(a), Some(b)) => format!("in {}..{}", fmt_num(a), fmt_num(b)),
            (Some(a), None) => format!(">= {}", fmt_num(a)),
            (None, Some(b)) => format!("<= {}", fmt_num(b)),
            (None, None) => "unbounded".into(),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.measure, self.describe_limits())
    }
}

/// One `[[expect]]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// Given in the file, or derived from `where` and the bounds.
    pub(crate) name: String,
    /// Line of the `[[expect]]` entry in the scenario file (0 if unknown).
    pub(crate) line: usize,
    /// `(column, display value)`: a run matches when all of these equal its parameters.
    pub(crate) filter: Vec<(String, String)>,
    /// Each run or the sum over runs.
    pub(crate) over: Over,
    /// The bounds, one per measure.
    pub(crate) bounds: Vec<Bound>,
}

impl Expect {
    /// The name an unnamed expectation gets: `acks=all min_insync_replicas=2: lost_acked = 0`.
    pub(crate) fn derive_name(filter: &[(String, String)], over: Over, bounds: &[Bound]) -> String {
        let b: Vec<String> = bounds
            .iter()
            .map(|b| match over {
                Over::Each => b.to_string(),
                Over::Sum => format!("sum {b}"),
            })
            .collect();
        let b = b.join(", ");
        if filter.is_empty() {
            b
        } else {
            format!("{}: {b}", params_text(filter))
        }
    }

    /// Whether a run with these parameters is selected.
    pub(crate) fn matches(&self, params: &[(String, String)]) -> bool {
        self.filter.iter().all(|(col, want)| {
            params
                .iter()
                .find(|(c, _)| c == col)
                .is_some_and(|(_, got)| values_match(got, want))
        })
    }
}

/// The outcome of one expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The expectation's name.
    pub expect_name: String,
    /// Whether every bound held.
    pub passed: bool,
    /// How many runs matched its filter.
    pub matched_runs: usize,
    /// No run matched: nothing was checked (`passed` is false).
    pub skipped: bool,
    /// What held or failed, as text.
    pub detail: String,
}

impl Verdict {
    /// Whether this verdict fails the command: a bound that did not hold, or, with `strict`, a
    /// gate that matched no run.
    pub fn fails(&self, strict: bool) -> bool {
        !self.passed && (!self.skipped || strict)
    }

    /// `PASS`, `FAIL` or `SKIP` (a skipped gate under `strict` is a `FAIL`).
    pub fn label(&self, strict: bool) -> &'static str {
        if self.passed {
            "PASS"
        } else if self.fails(strict) {
            "FAIL"
        } else {
            "SKIP"
        }
    }
}

/// The detail of a gate that matched no run.
pub const NO_MATCH: &str = "skipped (no matching run)";

/// Display strings compare equal, or numerically when both parse as numbers ("2" == "2.0").
pub(crate) fn values_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `acks=1 linger_ms=5 seed=3`.
pub(crate) fn params_text(params: &[(String, String)]) -> String {
    let parts: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(" ")
}

/// Integers print without decimals, other numbers with at most 3 decimals.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.is_finite() {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" || s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        format!("{v}")
    }
}

fn measure_of(measures: &[(&'static str, Measure)], name: &str) -> Option<f64> {
    measures.iter().find(|(n, _)| *n == name).map(|(_, m)| m.as_f64())
}

/// One row of results: parameters (including `seed`) and measures.
pub type Row = (Vec<(String, String)>, Vec<(&'static str, Measure)>);

/// Evaluates every expectation over the rows, in order.
pub fn evaluate(expects: &[Expect], rows: &[Row]) -> Vec<Verdict> {
    expects.iter().map(|e| evaluate_one(e, rows)).collect()
}

fn evaluate_one(e: &Expect, rows: &[Row]) -> Verdict {
    let matched: Vec<&Row> = rows.iter().filter(|(p, _)| e.matches(p)).collect();
    let verdict = |passed: bool, detail: String| Verdict {
        expect_name: e.name.clone(),
        passed,
        matched_runs: matched.len(),
        skipped: false,
        detail,
    };
    if matched.is_empty() {
        return Verdict {
            skipped: true,
            ..verdict(false, NO_MATCH.into())
        };
    }
    if e.bounds.is_empty() {
        return verdict(false, "no bounds to check".into());
    }
    match e.over {
        Over::Each => {
            // Observed range per bound, for the passing detail.
            let mut seen: Vec<(f64, f64)> = vec![(f64::INFINITY, f64::NEG_INFINITY); e.bounds.len()];
            for (params, measures) in &matched {
                for (i, b) in e.bounds.iter().enumerate() {
                    let Some(v) = measure_of(measures, &b.measure) else {
                        return verdict(
                            false,
                            format!("measure `{}` missing in run {}", b.measure, params_text(params)),
                        );
                    };
                    if let Some(why) = b.violation(v) {
                        return verdict(false, format!("{} = {why} in run {}", b.measure, params_text(params)));
                    }
                    seen[i].0 = seen[i].0.min(v);
                    seen[i].1 = seen[i].1.max(v);
                }
            }
            let parts: Vec<String> = e
                .bounds
                .iter()
                .zip(&seen)
                .map(|(b, (lo, hi))| {
                    let range = if lo == hi {
                        fmt_num(*lo)
                    } else {
                        format!("{}..{}", fmt_num(*lo), fmt_num(*hi))
                    };
                    format!("{} {} ({})", b.measure, range, b.describe_limits())
                })
                .collect();
            let runs = if matched.len() == 1 { "run" } else { "runs" };
            verdict(true, format!("{} {runs}: {}", matched.len(), parts.join("; ")))
        }
        Over::Sum => {
            let mut parts = Vec::new();
            let mut failed = Vec::new();
            for b in &e.bounds {
                let mut sum = 0.0;
                for (params, measures) in &matched {
                    match measure_of(measures, &b.measure) {
                        Some(v) => sum += v,
                        None => {
                            return verdict(
                                false,
                                format!("measure `{}` missing in run {}", b.measure, params_text(params)),
                            )
                        }
                    }
                }
                match b.violation(sum) {
                    Some(why) => failed.push(format!("sum {} = {why}", b.measure)),
                    None => parts.push(format!(
                        "sum {} = {} ({})",
                        b.measure,
                        fmt_num(sum),
                        b.describe_limits()
                    )),
                }
            }
            let runs = if matched.len() == 1 { "run" } else { "runs" };
            if failed.is_empty() {
                verdict(true, format!("{} {runs}: {}", matched.len(), parts.join("; ")))
            } else {
                verdict(false, format!("{} over {} {runs}", failed.join("; "), matched.len()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Measure::{F, I};

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn rows() -> Vec<Row> {
        let mut out = Vec::new();
        for (acks, lost, tput) in [("all", 0, 50_000.0), ("1", 12, 60_000.0), ("0", 45, 70_000.5)] {
            for seed in ["1", "2"] {
                out.push((
                    p(&[("acks", acks), ("linger_ms", "5"), ("seed", seed)]),
                    vec![("lost_acked", I(lost)), ("throughput_rps", F(tput))],
                ));
            }
        }
        out
    }

    fn exp(filter: &[(&str, &str)], over: Over, bounds: Vec<Bound>) -> Expect {
        let filter = p(filter);
        Expect {
            name: Expect::derive_name(&filter, over, &bounds),
            line: 1,
            filter,
            over,
            bounds,
        }
    }

    fn b(m: &str, min: Option<f64>, max: Option<f64>) -> Bound {
        Bound {
            measure: m.into(),
            min,
            max,
        }
    }

    #[test]
    fn each_passes_and_fails_with_first_run() {
        let r = rows();
        let ok = exp(
            &[("acks", "all")],
            Over::Each,
            vec![b("lost_acked", Some(0.0), Some(0.0))],
        );
        assert_eq!(ok.name, "acks=all: lost_acked = 0");
        let v = evaluate(&[ok], &r);
        assert!(v[0].passed, "{:?}", v[0]);
        assert_eq!(v[0].matched_runs, 2);

        let bad = exp(&[], Over::Each, vec![b("lost_acked", None, Some(0.0))]);
        let v = evaluate(&[bad], &r);
        assert!(!v[0].passed);
        assert_eq!(v[0].matched_runs, 6);
        assert_eq!(v[0].detail, "lost_acked = 12 > max 0 in run acks=1 linger_ms=5 seed=1");

        let min = exp(&[], Over::Each, vec![b("throughput_rps", Some(55_000.0), None)]);
        let v = evaluate(&[min], &r);
        assert!(!v[0].passed);
        assert!(v[0]
            .detail
            .starts_with("throughput_rps = 50000 < min 55000 in run acks=all"));

        let exact = exp(
            &[("acks", "0")],
            Over::Each,
            vec![b("lost_acked", Some(0.0), Some(0.0))],
        );
        let v = evaluate(&[exact], &r);
        assert!(!v[0].passed);
        assert!(v[0].detail.contains("45 != expected 0"), "{}", v[0].detail);
    }

    #[test]
    fn sum_over_matching_runs() {
        let r = rows();
        let s = exp(&[("acks", "1")], Over::Sum, vec![b("lost_acked", Some(1.0), None)]);
        let v = evaluate(&[s], &r);
        assert!(v[0].passed, "{:?}", v[0]);
        assert!(v[0].detail.contains("sum lost_acked = 24"), "{}", v[0].detail);

        let s = exp(&[], Over::Sum, vec![b("lost_acked", None, Some(50.0))]);
        let v = evaluate(&[s], &r);
        assert!(!v[0].passed);
        assert_eq!(v[0].detail, "sum lost_acked = 114 > max 50 over 6 runs");
    }

    #[test]
    fn no_match_is_skipped_unless_strict_and_numeric_filter() {
        let r = rows();
        let none = exp(&[("acks", "2")], Over::Each, vec![b("lost_acked", None, Some(0.0))]);
        let v = evaluate(&[none], &r);
        assert!(!v[0].passed);
        assert!(v[0].skipped);
        assert_eq!(v[0].matched_runs, 0);
        assert_eq!(v[0].detail, "skipped (no matching run)");
        assert!(!v[0].fails(false), "a gate without runs does not fail by default");
        assert!(v[0].fails(true), "--strict fails it");
        assert_eq!((v[0].label(false), v[0].label(true)), ("SKIP", "FAIL"));

        let num = exp(
            &[("linger_ms", "5.0")],
            Over::Each,
            vec![b("lost_acked", None, Some(100.0))],
        );
        let v = evaluate(&[num], &r);
        assert!(v[0].passed);
        assert_eq!(v[0].matched_runs, 6);
        assert!(values_match("2", "2.0"));
        assert!(!values_match("all", "1"));
    }

    #[test]
    fn numbers_format() {
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(1.0 / 3.0), "0.333");
        assert_eq!(fmt_num(-0.0001), "0");
    }
}
