//! The layers above a scenario file: `--set` assignments and producer `.properties` files
//! (the scenario's own `[producer] properties` and `--producer-config`), and the notes about the
//! Kafka configs they set that have no effect (unmodelled configs, unknown serializers).

use std::path::Path;

use super::kafka::{self, serializer_size, SerializerRole, SerializerSize};
use super::keys::{self, display_value, find_key, get_key, render_value, set_key, KeyInfo, Kind, Target};
use super::{axis_values, parse, properties, seeds_from_value, Origin, Scenario, ScenarioError, SweepAxis};
use crate::expect::values_match;
use toml::Value;

/// A `key.serializer` / `value.serializer` setting: the class and where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SerializerSetting {
    class: String,
    at: String,
}

/// Kafka's producer configs layer over a scenario: what was set that the model does not read,
/// for the notes printed before a run.
#[derive(Clone, Debug, Default)]
pub(super) struct KafkaConfigs {
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
    pub(super) fn note_unmodelled(&mut self, name: &'static str, at: String) {
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
        Kind::Float { .. } | Kind::FloatOr { .. } => t.parse::<f64>().map(Value::Float).unwrap_or_else(|_| string()),
        Kind::Bool | Kind::OptBool => {
            if t.eq_ignore_ascii_case("true") {
                Value::Boolean(true)
            } else if t.eq_ignore_ascii_case("false") {
                Value::Boolean(false)
            } else {
                string()
            }
        }
        Kind::Choice(_) | Kind::Acks | Kind::Version { .. } => string(),
    }
}

/// A `--set` value for a release key, from the text as typed: `0.10`, `"0.10"`, `4.0` and the
/// list `[0.10, 4.0]` are versions, never numbers (0.10 is not 0.1).
fn version_set_value(raw: &str) -> Value {
    let one = |t: &str| Value::String(t.trim().trim_matches(|c| c == '"' || c == '\'').to_string());
    match raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(items) => Value::Array(items.split(',').filter(|t| !t.trim().is_empty()).map(one).collect()),
        None => one(raw),
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

impl Scenario {
    /// Applies one `--set KEY=VALUE`. A list value sweeps the key (replacing an existing axis
    /// in place, or adding one last); a single value pins it (removing it from the sweep).
    /// `seeds` and `name` are accepted too; a key may be written as `resolve` allows (Kafka
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
        let is_version =
            keys::resolve(key).is_ok_and(|t| matches!(t, Target::Key(i) if matches!(i.kind, Kind::Version { .. })));
        let value = if is_version {
            version_set_value(raw)
        } else {
            parse_set_value(raw)
        };
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
        if let Some(s) = super::scoped::parse_scoped(key) {
            let s = s.map_err(|m| err(Some(key), m))?;
            return self
                .assign_key_as(&s.canonical(), s.kind(), value, Origin::Set)
                .map_err(|m| err(Some(key), m));
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
        self.assign_key_as(info.key, info.kind, value, origin)
    }

    /// [`Scenario::assign_key`] for key `key`, whose values are `kind`'s (a producer's
    /// or topic's key: `producers.orders.linger_ms`, checked as `producer.linger_ms`).
    fn assign_key_as(&mut self, key: &str, kind: keys::Kind, value: Value, origin: Origin) -> Result<(), String> {
        if let Value::Array(items) = &value {
            let values = axis_values(kind, items).map_err(|(_, m)| m)?;
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
    pub(super) fn record_serializer(&mut self, role: SerializerRole, class: &str, at: String) -> SerializerSize {
        *self.kafka.serializer_mut(role) = Some(SerializerSetting {
            class: class.trim().to_string(),
            at,
        });
        serializer_size(class)
    }

    /// Reads a producer `.properties` file (`properties`) and applies its entries over the
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
    pub(super) fn apply_scenario_properties(&mut self, rel: &str, line: Option<usize>) -> Result<(), ScenarioError> {
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
}
