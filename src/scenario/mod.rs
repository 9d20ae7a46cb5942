//! Scenario files: a base [`RunSpec`], a sweep, seeds, a fault schedule, plots and CI gates.
//!
//! The file format is documented in the README and by `prodsim keys` ([`reference_markdown`]).
//! Every value reaches a `RunSpec` through [`set_key`]: base values from the file, `[sweep]`
//! values and `--set` overrides alike. Errors name the file, the 1-based line and the key.

mod kafka;
mod keys;
mod parse;
pub mod properties;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_kafka;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use kafka::{serializer_size, SerializerRole, SerializerSize, PRODUCER_CONFIGS, SERIALIZATION_PACKAGE};
pub use keys::{
    display_value, find_key, get_key, kafka_alias, keys, levenshtein, reference_markdown, render_key, render_value,
    resolve, resolve_in_section, set_key, suggest_key, KeyInfo, Kind, Target, DEFAULT_TOKEN, NOT_MODELLED, SECTIONS,
};
pub use toml::Value;

use crate::config::{FaultKind, RunSpec};
use crate::expect::{params_text, values_match, Expect};
use crate::result::RunResult;

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
    pub values: Vec<Value>,
}

/// One run of an expanded scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// `(column, display value)` for every column of [`Scenario::columns`], in order.
    pub params: Vec<(String, String)>,
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
    Line,
    Bar,
}

impl PlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlotKind::Line => "line",
            PlotKind::Bar => "bar",
        }
    }
    pub fn parse(s: &str) -> Option<PlotKind> {
        match s {
            "line" => Some(PlotKind::Line),
            "bar" => Some(PlotKind::Bar),
            _ => None,
        }
    }
}

/// A `[[plots]]` entry: a chart of column `y` against column `x` (the report layer draws it as
/// its `ChartSpec`, the same type).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlotSpec {
    /// Column on the x axis.
    pub x: String,
    /// Column on the y axis (numeric); averaged over rows sharing x, series and per values.
    pub y: String,
    /// One line (or bar group) per distinct value of this column.
    pub series: Option<String>,
    /// One chart per distinct value of this column.
    pub per: Option<String>,
    /// Logarithmic x axis (numeric x only, all values > 0; linear otherwise).
    pub log_x: bool,
    /// Logarithmic y axis (all values > 0; linear otherwise).
    pub log_y: bool,
    /// Title; default "<y> vs <x>". The per value is appended.
    pub title: Option<String>,
    pub kind: PlotKind,
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

/// A `key.serializer` / `value.serializer` setting: the class and where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SerializerSetting {
    class: String,
    at: String,
}

/// Kafka's producer configs layer over a scenario: what was set that the model does not read,
/// for the notes printed before a run.
#[derive(Clone, Debug, Default)]
struct KafkaConfigs {
    /// Kafka names of accepted-but-unmodelled configs and where each was last set, in the order
    /// first seen.
    unmodelled: Vec<(&'static str, String)>,
    /// The last `key.serializer` and `value.serializer` settings.
    key_serializer: Option<SerializerSetting>,
    value_serializer: Option<SerializerSetting>,
    /// Notes about swept keys a properties file pinned.
    pinned: Vec<String>,
}

impl KafkaConfigs {
    fn note_unmodelled(&mut self, name: &'static str, at: String) {
        match self.unmodelled.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 = at,
            None => self.unmodelled.push((name, at)),
        }
    }
    fn serializer_mut(&mut self, role: SerializerRole) -> &mut Option<SerializerSetting> {
        match role {
            SerializerRole::Key => &mut self.key_serializer,
            SerializerRole::Value => &mut self.value_serializer,
        }
    }
}

/// A value from a properties file (always text) as the registry key of `kind` expects it,
/// parsed as Kafka's `ConfigDef.parseType` does: trimmed; integers and numbers parsed; booleans
/// `true` / `false` in any case. Text that does not parse stays a string, which the kind then
/// rejects with its allowed values.
fn value_from_text(kind: Kind, text: &str) -> Value {
    let t = text.trim();
    let string = || Value::String(t.to_string());
    match kind {
        Kind::Int { .. } | Kind::OptInt { .. } => t.parse::<i64>().map(Value::Integer).unwrap_or_else(|_| string()),
        Kind::Float { .. } => t.parse::<f64>().map(Value::Float).unwrap_or_else(|_| string()),
        Kind::Bool | Kind::OptBool => {
            if t.eq_ignore_ascii_case("true") {
                Value::Boolean(true)
            } else if t.eq_ignore_ascii_case("false") {
                Value::Boolean(false)
            } else {
                string()
            }
        }
        Kind::Choice(_) | Kind::Acks => string(),
    }
}

/// Checks a `[producer] properties` path: relative to the scenario's directory, with plain
/// components only (no `..`, no root, no drive prefix).
fn check_properties_path(rel: &str) -> Result<(), String> {
    use std::path::Component;
    let allowed = "a path relative to the scenario file's directory, without `..` (e.g. \"producer.properties\")";
    if rel.is_empty() {
        return Err(format!("expected {allowed}; got an empty string"));
    }
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(format!("expected {allowed}; got \"{rel}\", which contains `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("expected {allowed}; got the absolute path \"{rel}\""))
            }
        }
    }
    Ok(())
}

/// A parsed scenario file.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub path: PathBuf,
    /// Every key set in the file's sections, plus the fault schedule; `seed` unused.
    pub base: RunSpec,
    /// Sweep axes in file order (the first is the outermost loop).
    pub sweep: Vec<SweepAxis>,
    pub seeds: Vec<u64>,
    pub plots: Vec<PlotSpec>,
    pub expects: Vec<Expect>,
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

/// Parses a `--set` value: a TOML value if it is one, else the text as a bare string.
fn parse_set_value(raw: &str) -> Value {
    let text = format!("v = {raw}\n");
    if let Ok(doc) = toml_edit::ImDocument::parse(text) {
        let t = doc.as_table();
        if t.len() == 1 {
            if let Some(v) = t.get("v").and_then(|i| i.as_value()) {
                return parse::to_value(v);
            }
        }
    }
    Value::String(raw.to_string())
}

/// Normalized values of a sweep list for `key`; the error says which value is wrong.
fn axis_values(info: &KeyInfo, items: &[Value]) -> Result<Vec<Value>, (usize, String)> {
    if items.is_empty() {
        return Err((0, "a sweep needs at least one value".into()));
    }
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let n = info.kind.check(v).map_err(|e| (i, e))?;
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
        let sc = parse::parse(text, path)?;
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

    /// `(column, key)` of every parameter column, in results.csv order.
    pub fn column_keys(&self) -> Vec<(String, String)> {
        let mut cols: Vec<(String, String)> = FIXED_COLUMNS
            .iter()
            .map(|k| (short_name(k).to_string(), k.to_string()))
            .collect();
        for axis in &self.sweep {
            if cols.iter().any(|(_, k)| k == &axis.key) {
                continue;
            }
            let short = short_name(&axis.key);
            let name = if short == "seed" || cols.iter().any(|(c, _)| c == short) {
                axis.key.clone()
            } else {
                short.to_string()
            };
            cols.push((name, axis.key.clone()));
        }
        cols
    }

    /// Parameter columns of results.csv in order: `acks`, `linger_ms`, `batch_size`,
    /// `send_mode`, then every other swept key in sweep order (without `seed`).
    pub fn columns(&self) -> Vec<String> {
        self.column_keys().into_iter().map(|(c, _)| c).collect()
    }

    fn refresh_columns(&mut self) {
        let cols = self.column_keys();
        for axis in &mut self.sweep {
            if let Some((c, _)) = cols.iter().find(|(_, k)| k == &axis.key) {
                axis.column = c.clone();
            }
        }
    }

    /// Parameter values of a spec, one per column.
    pub fn params_of(&self, spec: &RunSpec) -> Vec<(String, String)> {
        self.column_keys()
            .into_iter()
            .map(|(c, k)| {
                let v = get_key(spec, &k).map(|v| display_value(&v)).unwrap_or_default();
                (c, v)
            })
            .collect()
    }

    /// Applies one `--set KEY=VALUE`. A list value sweeps the key (replacing an existing axis
    /// in place, or adding one last); a single value pins it (removing it from the sweep).
    /// `seeds` and `name` are accepted too; a key may be written as [`resolve`] allows (Kafka
    /// names, short names). Combinations are validated by [`Scenario::expand`].
    pub fn apply_set(&mut self, assignment: &str) -> Result<(), ScenarioError> {
        let err = |key: Option<&str>, message: String| ScenarioError {
            file: "--set".into(),
            line: None,
            key: key.map(str::to_string),
            message,
        };
        let Some((key, raw)) = assignment.split_once('=') else {
            return Err(err(
                None,
                format!("expected KEY=VALUE (e.g. producer.acks=all); got `{assignment}`"),
            ));
        };
        let key = key.trim();
        let raw = raw.trim();
        let value = parse_set_value(raw);
        match key {
            "name" => {
                self.name = match value {
                    Value::String(s) => s,
                    _ => raw.to_string(),
                };
                crate::outdir::check_name(&self.name).map_err(|m| err(Some(key), m))?;
                return Ok(());
            }
            "seeds" => {
                self.seeds = seeds_from_value(&value).map_err(|m| err(Some(key), m))?;
                return Ok(());
            }
            "producer.properties" | "properties" => {
                return Err(err(
                    Some(key),
                    "a properties file is not a --set value: pass `--producer-config FILE`, or set \
                     `properties = \"FILE\"` in the scenario's [producer] section"
                        .into(),
                ))
            }
            "" => return Err(err(None, format!("missing key in `{assignment}`"))),
            _ => {}
        }
        let target = keys::resolve(key).map_err(|m| err(Some(key), m))?;
        self.assign(target, value, Origin::Set).map_err(|m| err(Some(key), m))
    }

    /// Applies one value of a layer above the scenario file (a properties file or `--set`) to
    /// its resolved key: sets or sweeps a registry key, notes an unmodelled config, or applies
    /// a serializer's size. The error is the message for the key as the user wrote it.
    fn assign(&mut self, target: Target<'static>, value: Value, origin: Origin) -> Result<(), String> {
        let at = self.origin_text(&origin);
        match target {
            Target::Key(info) => self.assign_key(info, value, origin),
            Target::Unmodelled(name) => {
                match &value {
                    Value::String(_) | Value::Integer(_) | Value::Float(_) | Value::Boolean(_) => {}
                    Value::Array(_) => {
                        return Err(format!(
                            "`{name}` is not modelled: sweeping it would give identical runs (for a Kafka list, \
                             write one comma-separated string)"
                        ))
                    }
                    v => return Err(format!("expected a string; got {}", render_value(v))),
                }
                self.kafka.note_unmodelled(name, at);
                Ok(())
            }
            Target::Serializer(role) => {
                let Value::String(class) = value else {
                    return Err(match value {
                        Value::Array(_) => format!(
                            "`{}` cannot be swept; sweep `{}` instead",
                            role.kafka(),
                            role.size_key()
                        ),
                        v => format!("expected a class name string; got {}", render_value(&v)),
                    });
                };
                if let SerializerSize::Fixed(n) = self.record_serializer(role, &class, at) {
                    let info = find_key(role.size_key()).ok_or("size key missing from the registry")?;
                    self.assign_key(info, Value::Integer(i64::from(n)), origin)?;
                }
                Ok(())
            }
        }
    }

    /// Sets (or, for a list, sweeps) a registry key from a layer above the scenario file.
    fn assign_key(&mut self, info: &'static KeyInfo, value: Value, origin: Origin) -> Result<(), String> {
        let key = info.key;
        if let Value::Array(items) = &value {
            let values = axis_values(info, items).map_err(|(_, m)| m)?;
            match self.sweep.iter_mut().find(|a| a.key == key) {
                Some(axis) => axis.values = values,
                None => self.sweep.push(SweepAxis {
                    key: key.to_string(),
                    column: String::new(),
                    values,
                }),
            }
            self.refresh_columns();
        } else {
            set_key(&mut self.base, key, &value)?;
            if let Some(i) = self.sweep.iter().position(|a| a.key == key) {
                let column = self.sweep[i].column.clone();
                self.sweep.remove(i);
                self.refresh_columns();
                if !self.columns().contains(&column) {
                    self.resolve_pinned_column(&column, key);
                }
                if let Origin::Props(file, line) = &origin {
                    let pinned = get_key(&self.base, key).unwrap_or(value);
                    self.kafka.pinned.push(format!(
                        "note: `{key}` is swept in the scenario, but {file}:{line} sets it to {}: the properties \
                         file overrides the scenario file, so the sweep is pinned",
                        display_value(&pinned)
                    ));
                }
            }
        }
        self.origins.insert(key.to_string(), origin);
        Ok(())
    }

    /// `file:line` or `--set`, for notes.
    fn origin_text(&self, origin: &Origin) -> String {
        match origin {
            Origin::Line(l) => format!("{}:{l}", self.file()),
            Origin::Set => "--set".into(),
            Origin::Props(file, l) => format!("{file}:{l}"),
        }
    }

    /// Remembers a serializer setting (for [`Scenario::notes`]) and returns what its class
    /// means for the record size.
    fn record_serializer(&mut self, role: SerializerRole, class: &str, at: String) -> SerializerSize {
        *self.kafka.serializer_mut(role) = Some(SerializerSetting {
            class: class.trim().to_string(),
            at,
        });
        serializer_size(class)
    }

    /// Reads a producer `.properties` file ([`properties`]) and applies its entries over the
    /// scenario (before `--set`): Kafka names of modelled keys set them, unmodelled producer
    /// configs are noted, serializers set record sizes. `shown` names the file in messages.
    pub fn apply_properties(&mut self, path: &Path, shown: &str) -> Result<(), ScenarioError> {
        let err = |line: Option<usize>, key: Option<&str>, message: String| ScenarioError {
            file: shown.to_string(),
            line,
            key: key.map(str::to_string),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(None, None, format!("cannot read properties file: {e}")))?;
        let text = properties::decode_latin1(&bytes);
        let entries = properties::parse(&text).map_err(|(l, m)| err(Some(l), None, m))?;
        for e in entries {
            let at = |m: String| err(Some(e.line), Some(&e.key), m);
            if e.key.is_empty() {
                return Err(at("a line with an empty key; expected KEY=VALUE".into()));
            }
            let target = match keys::resolve_in_section("producer", &e.key) {
                Ok(t) => t,
                Err(m) => {
                    // A broker or topic setting in a producer file: say where it belongs.
                    if let Ok(Target::Key(k)) = keys::resolve(&e.key) {
                        return Err(at(format!(
                            "not a producer config: it is prodsim's `{}`; set it in the scenario's [{}] section or \
                             with --set",
                            k.key,
                            k.section()
                        )));
                    }
                    return Err(at(m));
                }
            };
            let value = match target {
                Target::Key(info) => value_from_text(info.kind, &e.value),
                _ => Value::String(e.value.clone()),
            };
            self.assign(target, value, Origin::Props(shown.to_string(), e.line))
                .map_err(at)?;
        }
        Ok(())
    }

    /// Applies the scenario's own `[producer] properties = "FILE"`: `rel` relative to the
    /// scenario file's directory, never absolute, never through `..`, and (symbolic links
    /// resolved) inside that directory. `line` is the key's line in the scenario file.
    fn apply_scenario_properties(&mut self, rel: &str, line: Option<usize>) -> Result<(), ScenarioError> {
        let err = |message: String| ScenarioError {
            file: self.file(),
            line,
            key: Some("producer.properties".into()),
            message,
        };
        check_properties_path(rel).map_err(err)?;
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let path = dir.join(rel);
        let base = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        match (base.canonicalize(), path.canonicalize()) {
            (Ok(d), Ok(f)) if !f.starts_with(&d) => {
                return Err(err(format!(
                    "\"{rel}\" leads outside the scenario file's directory (through a symbolic link); \
                     a scenario may only read files below its own directory"
                )))
            }
            (_, Err(e)) => return Err(err(format!("cannot read properties file {}: {e}", path.display()))),
            _ => {}
        }
        let shown = path.display().to_string();
        self.apply_properties(&path, &shown)
    }

    /// Notes for stderr about Kafka configs that have no effect: one line per unmodelled
    /// config, a serializer class prodsim does not know, a key serializer on keyless records.
    pub fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .kafka
            .unmodelled
            .iter()
            .map(|(name, at)| format!("note: `{name}` is not modelled; it has no effect ({at})"))
            .collect();
        out.extend(self.kafka.pinned.iter().cloned());
        for role in [SerializerRole::Key, SerializerRole::Value] {
            let setting = match role {
                SerializerRole::Key => &self.kafka.key_serializer,
                SerializerRole::Value => &self.kafka.value_serializer,
            };
            let Some(SerializerSetting { class, at }) = setting else {
                continue;
            };
            match serializer_size(class) {
                SerializerSize::Unknown => {
                    let hint = match kafka::qualified_serializer(class) {
                        Some(q) => format!("; Kafka loads it by its fully qualified name, `{q}`"),
                        None => String::new(),
                    };
                    out.push(format!(
                        "note: `{}` = `{class}` is not modelled; workload sizes used (`{}`){hint} ({at})",
                        role.kafka(),
                        role.size_key()
                    ));
                }
                SerializerSize::Fixed(n) if role == SerializerRole::Key && self.keyless() => {
                    out.push(format!(
                        "note: `key.serializer` = `{class}` makes keys {n} bytes, but the records are keyless \
                         (workload.keys = 0): it has no effect ({at})"
                    ));
                }
                _ => {}
            }
        }
        out
    }

    /// Whether every run sends keyless records (`workload.keys = 0`, not swept to another value).
    fn keyless(&self) -> bool {
        match self.sweep.iter().find(|a| a.key == "workload.keys") {
            Some(axis) => axis.values.iter().all(|v| v == &Value::Integer(0)),
            None => self.base.workload.keys == 0,
        }
    }

    /// After `--set` pins a swept key, its column is gone: an expectation filtering on it keeps
    /// applying when the pinned value matches (the condition is dropped) and matches no run
    /// otherwise (the condition stays, on a column no run has).
    fn resolve_pinned_column(&mut self, column: &str, key: &str) {
        let Some(pinned) = get_key(&self.base, key).map(|v| display_value(&v)) else {
            return;
        };
        for e in &mut self.expects {
            e.filter
                .retain(|(c, want)| !(c == column && values_match(&pinned, want)));
        }
    }

    /// Number of sweep points (saturating).
    fn combos(&self) -> usize {
        self.sweep.iter().fold(1usize, |n, a| n.saturating_mul(a.values.len()))
    }

    /// Number of runs (sweep points x seeds); an error above [`MAX_RUNS`].
    pub fn run_count(&self) -> Result<usize, ScenarioError> {
        let combos = self.combos();
        let total = combos.saturating_mul(self.seeds.len());
        if total > MAX_RUNS {
            return Err(self.too_many(format!("the sweep has {combos} points x {} seeds", self.seeds.len())));
        }
        Ok(total)
    }

    fn too_many(&self, what: String) -> ScenarioError {
        ScenarioError {
            file: self.file(),
            line: None,
            key: None,
            message: format!("{what}; at most {MAX_RUNS} runs are allowed"),
        }
    }

    /// Visits every sweep point (first axis outermost) with its params and spec, after checking
    /// it: fault times within the production window and [`RunSpec::validate`].
    fn check_points(&self, mut visit: impl FnMut(Vec<(String, String)>, RunSpec)) -> Result<(), ScenarioError> {
        let combos = self.combos();
        if combos > MAX_RUNS {
            return Err(self.too_many(format!("the sweep has {combos} points")));
        }
        let mut idx = vec![0usize; self.sweep.len()];
        loop {
            let mut spec = self.base.clone();
            for (axis, &i) in self.sweep.iter().zip(&idx) {
                if let Some(v) = axis.values.get(i) {
                    set_key(&mut spec, &axis.key, v).map_err(|m| self.key_error(&axis.key, m))?;
                }
            }
            let params = self.params_of(&spec);
            self.check_spec(&spec, &params)?;
            visit(params, spec);
            // Advance the odometer: the last axis turns fastest.
            let mut d = self.sweep.len();
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < self.sweep[d].values.len() {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    fn check_spec(&self, spec: &RunSpec, params: &[(String, String)]) -> Result<(), ScenarioError> {
        // Name the sweep point by its swept columns only.
        let swept: Vec<(String, String)> = params
            .iter()
            .filter(|(c, _)| self.sweep.iter().any(|a| &a.column == c))
            .cloned()
            .collect();
        let context = |m: String| {
            if swept.is_empty() {
                m
            } else {
                format!("{m} (at sweep point {})", params_text(&swept))
            }
        };
        for (i, f) in spec.faults.iter().enumerate() {
            if f.at_ms >= spec.duration_ms {
                return Err(ScenarioError {
                    file: self.file(),
                    line: self.fault_lines.get(i).copied(),
                    key: Some("faults.at_ms".into()),
                    message: context(format!(
                        "fault `{}` at_ms = {} is not within the production window \
                         (duration_ms = {})",
                        f.kind.name(),
                        f.at_ms,
                        spec.duration_ms
                    )),
                });
            }
        }
        if let Err((key, msg)) = spec.validate() {
            if key == "faults" {
                let mut s = spec.clone();
                let mut line = None;
                for i in 0..spec.faults.len() {
                    s.faults = spec.faults[..=i].to_vec();
                    if matches!(s.validate(), Err((k, _)) if k == "faults") {
                        line = self.fault_lines.get(i).copied();
                        break;
                    }
                }
                return Err(ScenarioError {
                    file: self.file(),
                    line,
                    key: Some(key),
                    message: context(msg),
                });
            }
            return Err(self.key_error(&key, context(msg)));
        }
        Ok(())
    }

    /// Every run: the cartesian product of the sweep axes (first axis outermost) times the
    /// seeds (innermost). Each point is validated; the first invalid one is an error.
    pub fn expand(&self) -> Result<Vec<RunPoint>, ScenarioError> {
        let total = self.run_count()?;
        let mut out = Vec::with_capacity(total);
        self.check_points(|params, spec| {
            for &seed in &self.seeds {
                let mut spec = spec.clone();
                spec.seed = seed;
                out.push(RunPoint {
                    params: params.clone(),
                    seed,
                    spec,
                });
            }
        })?;
        Ok(out)
    }

    /// A ready-to-run scenario file for one spec: every non-default key, the faults, and
    /// `seeds = [spec.seed]`. Loading it gives back one run whose spec equals `spec`.
    pub fn to_toml(name: &str, spec: &RunSpec) -> String {
        let default = RunSpec::default();
        let mut out = String::new();
        out.push_str(&format!("name = {}\n", render_value(&Value::String(name.to_string()))));
        for &section in SECTIONS {
            let mut lines = String::new();
            for k in keys().iter().filter(|k| k.section() == section) {
                let v = k.get(spec);
                if v != k.get(&default) {
                    lines.push_str(&format!("{} = {}\n", k.short(), render_value(&v)));
                }
            }
            if section.is_empty() {
                out.push_str(&lines);
                out.push_str(&format!("seeds = [{}]\n", spec.seed));
            } else if !lines.is_empty() {
                out.push_str(&format!("\n[{section}]\n{lines}"));
            }
        }
        for f in &spec.faults {
            out.push_str("\n[[faults]]\n");
            out.push_str(&format!("at_ms = {}\n", f.at_ms));
            out.push_str(&format!("kind = \"{}\"\n", f.kind.name()));
            if let Some(d) = f.duration_ms {
                out.push_str(&format!("duration_ms = {d}\n"));
            }
            let node = |n: &crate::config::Node| render_value(&Value::String(n.to_string()));
            match &f.kind {
                FaultKind::Crash { broker } => out.push_str(&format!("broker = \"b{broker}\"\n")),
                FaultKind::PowerLoss { brokers } => {
                    let b: Vec<String> = brokers.iter().map(|b| format!("\"b{b}\"")).collect();
                    out.push_str(&format!("brokers = [{}]\n", b.join(", ")));
                }
                FaultKind::CrashLeader { partition } | FaultKind::IsolateLeader { partition } => {
                    out.push_str(&format!("partition = {partition}\n"))
                }
                FaultKind::Partition { groups, one_way } => {
                    let g: Vec<String> = groups
                        .iter()
                        .map(|g| {
                            let n: Vec<String> = g.iter().map(node).collect();
                            format!("[{}]", n.join(", "))
                        })
                        .collect();
                    out.push_str(&format!("groups = [{}]\n", g.join(", ")));
                    if *one_way {
                        out.push_str("one_way = true\n");
                    }
                }
                FaultKind::SlowLink {
                    from,
                    to,
                    extra_latency_ms,
                    bandwidth_factor,
                } => {
                    out.push_str(&format!("from = {}\nto = {}\n", node(from), node(to)));
                    out.push_str(&format!(
                        "extra_latency_ms = {}\nbandwidth_factor = {}\n",
                        render_value(&Value::Float(*extra_latency_ms)),
                        render_value(&Value::Float(*bandwidth_factor))
                    ));
                }
                FaultKind::LoseResponses { probability } => out.push_str(&format!(
                    "probability = {}\n",
                    render_value(&Value::Float(*probability))
                )),
            }
        }
        out
    }
}
