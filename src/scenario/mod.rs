//! Scenario files: a base [`RunSpec`], a sweep, seeds, a fault schedule, plots and CI gates.
//!
//! The file format is documented in the README and by `prodsim keys` ([`reference_markdown`]).
//! Every value reaches a `RunSpec` through `set_key`: base values from the file, `[sweep]`
//! values and `--set` overrides alike. Errors name the file, the 1-based line and the key.

mod consumers;
mod effective;
mod expand;
mod kafka;
mod keys;
mod overrides;
mod parse;
mod properties;
mod scoped;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_kafka;
#[cfg(test)]
mod tests_versions;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub(crate) use expand::apply_release_defaults;
pub(crate) use keys::{display_value, kafka_alias, render_value, set_key};
pub use keys::{find_key, keys, reference_markdown, KeyInfo, NOT_MODELLED};
pub use toml::Value;

use crate::config::RunSpec;
use crate::expect::{params_text, Expect};
use crate::result::RunResult;
use overrides::KafkaConfigs;

/// Most runs one scenario may expand to (sweep points x seeds).
pub const MAX_RUNS: usize = 200_000;
/// Most seeds a scenario may list or count.
pub const MAX_SEEDS: usize = 100_000;

/// The columns results.csv always starts with, whether swept or not.
pub const FIXED_COLUMNS: &[&str] = &[
    "producer.acks",
    "producer.linger_ms",
    "producer.batch_size",
    "producer.send_mode",
];

/// An error in a scenario file or a `--set` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario file as given, or `--set`.
    pub file: String,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    /// The key concerned (`producer.acks`), when there is one.
    pub key: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        f.write_str(": ")?;
        if let Some(k) = &self.key {
            write!(f, "`{k}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// One swept key and its values (normalized: `acks` as strings, float keys as floats).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepAxis {
    /// `producer.linger_ms`, or a top-level key (`duration_ms`).
    pub key: String,
    /// Its results column (`linger_ms`).
    pub column: String,
    /// Its values, in sweep order.
    pub values: Vec<Value>,
}

/// One run of an expanded scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// `(column, display value)` for every column of [`Scenario::columns`], in order.
    pub params: Vec<(String, String)>,
    /// The run's seed.
    pub seed: u64,
    /// The run's full configuration; `spec.seed == seed`.
    pub spec: RunSpec,
}

impl RunPoint {
    /// `params` followed by `("seed", seed)`: what [`crate::expect::evaluate`] filters on.
    pub fn params_with_seed(&self) -> Vec<(String, String)> {
        let mut p = self.params.clone();
        p.push(("seed".into(), self.seed.to_string()));
        p
    }
    /// `acks=all linger_ms=5 batch_size=16384 send_mode=async seed=3`.
    pub fn label(&self) -> String {
        params_text(&self.params_with_seed())
    }
}

/// Chart type of a `[[plots]]` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PlotKind {
    #[default]
    /// Lines through the points (the default).
    Line,
    /// Grouped bars.
    Bar,
    /// One timeline panel (throughput, lost records and p99 latency over simulated time, faults
    /// shaded) per value of `per`, side by side on shared axes; no `x`, `y`, `series` or log
    /// axes.
    Timeline,
}

impl PlotKind {
    /// The value in scenario files: "line" or "bar".
    pub fn as_str(self) -> &'static str {
        match self {
            PlotKind::Line => "line",
            PlotKind::Bar => "bar",
            PlotKind::Timeline => "timeline",
        }
    }
    /// Parses a scenario value.
    pub fn parse(s: &str) -> Option<PlotKind> {
        match s {
            "line" => Some(PlotKind::Line),
            "bar" => Some(PlotKind::Bar),
            "timeline" => Some(PlotKind::Timeline),
            _ => None,
        }
    }
}

/// A `[[plots]]` entry: a chart of column `y` against column `x` (the report layer draws it as
/// its `ChartSpec`, the same type).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlotSpec {
    /// Column on the x axis (empty for a timeline).
    pub x: String,
    /// Column on the y axis (numeric); averaged over rows sharing x, series and per values
    /// (empty for a timeline).
    pub y: String,
    /// More y columns on the same axes (`y = ["latency_p50_ms", "visible_p50_ms"]`): one line
    /// (or bar) per y column and series value.
    pub y_also: Vec<String>,
    /// One line (or bar group) per distinct value of this column.
    pub series: Option<String>,
    /// One chart per distinct value of this column (a timeline: one panel per value).
    pub per: Option<String>,
    /// Logarithmic x axis (numeric x only, all values > 0; linear otherwise); `None`: chosen
    /// from the values (log when positive values span more than two orders of magnitude).
    pub log_x: Option<bool>,
    /// Logarithmic y axis; `None`: chosen from the values, as for `log_x`. An explicit `false`
    /// keeps a linear axis whatever the values.
    pub log_y: Option<bool>,
    /// Title; default "<y> vs <x>". The per value is appended.
    pub title: Option<String>,
    /// What to look for in the chart, shown under it in index.html.
    pub caption: Option<String>,
    /// Lines or bars.
    pub kind: PlotKind,
}

impl PlotSpec {
    /// The y columns: `y`, then `y_also`.
    pub fn y_columns(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.y).chain(&self.y_also)
    }
}

/// Where a key's value came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// Set or swept in the file at this line.
    Line(usize),
    /// Set or swept by `--set`.
    Set,
    /// Set by a properties file (as displayed) at this line.
    Props(String, usize),
}

/// A parsed scenario file.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's name (`name`, else the file stem): its report directory.
    pub name: String,
    /// The file as given.
    pub path: PathBuf,
    /// Every key set in the file's sections, plus the fault schedule; `seed` unused.
    pub base: RunSpec,
    /// Sweep axes in file order (the first is the outermost loop).
    pub sweep: Vec<SweepAxis>,
    /// The seeds every sweep point runs with.
    pub seeds: Vec<u64>,
    /// The `[[plots]]` entries.
    pub plots: Vec<PlotSpec>,
    /// The `[[expect]]` gates.
    pub expects: Vec<Expect>,
    /// The scenario file's text as read (empty for a scenario built in code), for index.html.
    pub source: String,
    origins: BTreeMap<String, Origin>,
    /// Line of each `[[faults]]` entry, parallel to `base.faults`.
    fault_lines: Vec<usize>,
    kafka: KafkaConfigs,
}

/// Names of the measures results.csv holds (`RunResult::measures` order).
pub fn measure_names() -> Vec<&'static str> {
    RunResult::default().measures().into_iter().map(|(n, _)| n).collect()
}

/// The results column of a key: the key without its section.
pub fn short_name(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// Seeds from a `seeds` value: a count N (seeds 1..=N) or a list of distinct integers >= 0.
pub fn seeds_from_value(v: &Value) -> Result<Vec<u64>, String> {
    let allowed = format!(
        "expected a count N from 1 to {MAX_SEEDS} (seeds 1..=N) or a non-empty list of \
         distinct integers >= 0, e.g. [1, 7, 9]"
    );
    match v {
        Value::Integer(n) if *n >= 1 && *n <= MAX_SEEDS as i64 => Ok((1..=*n as u64).collect()),
        Value::Array(a) if !a.is_empty() && a.len() <= MAX_SEEDS => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                match x {
                    Value::Integer(s) if *s >= 0 => {
                        let s = *s as u64;
                        if out.contains(&s) {
                            return Err(format!("seed {s} is listed twice"));
                        }
                        out.push(s);
                    }
                    _ => return Err(format!("{allowed}; got {}", render_value(x))),
                }
            }
            Ok(out)
        }
        _ => Err(format!("{allowed}; got {}", render_value(v))),
    }
}

/// Normalized values of a sweep list for `key`; the error says which value is wrong.
fn axis_values(kind: keys::Kind, items: &[Value]) -> Result<Vec<Value>, (usize, String)> {
    if items.is_empty() {
        return Err((0, "a sweep needs at least one value".into()));
    }
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let n = kind.check(v).map_err(|e| (i, e))?;
        if out.iter().any(|o| o == &n) {
            return Err((i, format!("value {} is swept twice", render_value(&n))));
        }
        out.push(n);
    }
    Ok(out)
}

impl Scenario {
    /// Reads and parses a scenario file, and validates every run it expands to.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: path.display().to_string(),
            line: None,
            key: None,
            message: format!("cannot read scenario file: {e}"),
        })?;
        Scenario::parse_str(&text, path)
    }

    /// Parses scenario text; `path` names the file in errors and gives the default name.
    pub fn parse_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let mut sc = parse::parse(text, path)?;
        sc.source = text.to_string();
        sc.run_count()?;
        sc.check_points(|_, _| {})?;
        Ok(sc)
    }

    /// A scenario with every key at its default, no sweep, seed 1.
    pub fn new(name: &str, path: &Path) -> Scenario {
        let mut sc = Scenario {
            name: name.to_string(),
            path: path.to_path_buf(),
            base: RunSpec::default(),
            sweep: Vec::new(),
            seeds: vec![1],
            plots: Vec::new(),
            expects: Vec::new(),
            source: String::new(),
            origins: BTreeMap::new(),
            fault_lines: Vec::new(),
            kafka: KafkaConfigs::default(),
        };
        sc.refresh_columns();
        sc
    }

    fn file(&self) -> String {
        self.path.display().to_string()
    }

    /// The file line a key was set or swept at (`None` when not in the file or set by `--set`).
    pub fn key_line(&self, key: &str) -> Option<usize> {
        match self.origins.get(key) {
            Some(Origin::Line(l)) => Some(*l),
            _ => None,
        }
    }

    /// An error about `key`, located where the key was set (file line or `--set`).
    fn key_error(&self, key: &str, message: String) -> ScenarioError {
        let (file, line) = match self.origins.get(key) {
            Some(Origin::Line(l)) => (self.file(), Some(*l)),
            Some(Origin::Set) => ("--set".to_string(), None),
            Some(Origin::Props(file, l)) => (file.clone(), Some(*l)),
            None => (self.file(), None),
        };
        ScenarioError {
            file,
            line,
            key: Some(key.to_string()),
            message,
        }
    }
}
