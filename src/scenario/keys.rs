//! The key registry: every key a scenario file, a `[sweep]` or `--set` can set on a [`RunSpec`],
//! with its Kafka name, meaning, default and allowed values.
//!
//! [`set_key`] is the one place a value reaches a `RunSpec` field; [`get_key`] reads it back
//! (for results columns and for writing scenario files).
//!
//! The entries are not written here: they come from the knob table (`config/knobs.rs`, each
//! knob's field, default, Kafka name, range and doc, declared once) and, for `[random_faults]`,
//! the fault-kind table (`config/faults.rs`); this module holds the machinery around them.

use std::sync::OnceLock;

use toml::Value;

use super::kafka::{SerializerRole, PRODUCER_CONFIGS};
use crate::config::versions::{changes_text, RELEASES};
use crate::config::{
    fault_type_table, knob_table, Acks, Arrival, CompressionType, FaultType, FollowerTruncation, KafkaVersion, RunSpec,
    SendMode, DAY_MS, I32_MAX, MAX_KEYS,
};

/// Sections of a scenario file that hold `RunSpec` keys, in file order. The empty name is the
/// top level (`duration_ms`, `settle_ms`, `timeline_bucket_ms`).
pub(crate) const SECTIONS: &[&str] = &[
    "",
    "producer",
    "cluster",
    "network",
    "workload",
    "consumer",
    "random_faults",
];

/// The token that leaves an optional key (`enable_idempotence`, `delivery_timeout_ms`) at its
/// Kafka default, which depends on other keys.
pub(crate) const DEFAULT_TOKEN: &str = "default";

/// What values a key accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    /// An integer in `min..=max` (floats and strings rejected).
    Int {
        min: i64,
        max: i64,
    },
    /// Like `Int`, or the string `"default"` (unset).
    OptInt {
        min: i64,
        max: i64,
    },
    /// A finite number (integers accepted) `>= min` (`> min` when `min_open`) and `<= max`.
    Float {
        min: f64,
        max: f64,
        min_open: bool,
    },
    /// Like `Float`, or the string `word` (`"max"`, `"default"`), which the field stores as a
    /// sentinel value no number may take.
    FloatOr {
        min: f64,
        max: f64,
        min_open: bool,
        word: &'static str,
    },
    Bool,
    /// `true`, `false` or the string `"default"` (unset).
    OptBool,
    /// One of the listed strings.
    Choice(&'static [&'static str]),
    /// `"0"`, `"1"`, `"all"`; also the integers 0, 1, -1 and the string `"-1"` (= all).
    Acks,
    /// A Kafka release as a string (`"0.10"`, `"4.0"`, `"3.0.1"`), never a number (TOML would
    /// read 0.10 as 0.1); `optional`: `"default"` too.
    Version {
        optional: bool,
    },
}

fn int_range_text(min: i64, max: i64) -> String {
    if max == i64::MAX {
        format!("integer >= {min}")
    } else {
        format!("integer from {min} to {max}")
    }
}

fn float_range_text(min: f64, max: f64, min_open: bool) -> String {
    let op = if min_open { ">" } else { ">=" };
    if max == f64::MAX {
        format!("number {op} {min}")
    } else if min_open {
        format!("number > {min} and <= {max}")
    } else {
        format!("number from {min} to {max}")
    }
}

fn quoted_list(choices: &[&str]) -> String {
    let q: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
    format!("one of {}", q.join(", "))
}

impl Kind {
    /// Human description of the allowed values, as used in error messages (`expected ...`).
    pub(crate) fn allowed(&self) -> String {
        match *self {
            Kind::Int { min, max } => int_range_text(min, max),
            Kind::OptInt { min, max } => {
                format!("{} or \"{DEFAULT_TOKEN}\"", int_range_text(min, max))
            }
            Kind::Float { min, max, min_open } => float_range_text(min, max, min_open),
            Kind::FloatOr {
                min,
                max,
                min_open,
                word,
            } => format!("{} or \"{word}\"", float_range_text(min, max, min_open)),
            Kind::Bool => "true or false".into(),
            Kind::OptBool => format!("true, false or \"{DEFAULT_TOKEN}\""),
            Kind::Choice(c) => quoted_list(c),
            Kind::Acks => quoted_list(&["0", "1", "all"]),
            Kind::Version { optional } => format!(
                "a Kafka release as a string, one of {}{} (optionally with a patch, \"3.0.1\")",
                RELEASES.join(", "),
                if optional {
                    format!(", or \"{DEFAULT_TOKEN}\"")
                } else {
                    String::new()
                }
            ),
        }
    }

    /// Checks `v` and returns it normalized (integers for float keys become floats, acks
    /// becomes a string). The error says what is allowed and what was given.
    pub(crate) fn check(&self, v: &Value) -> Result<Value, String> {
        let bad = || Err(format!("expected {}; got {}", self.allowed(), render_value(v)));
        match (*self, v) {
            (Kind::Int { min, max }, Value::Integer(i)) | (Kind::OptInt { min, max }, Value::Integer(i)) => {
                if *i >= min && *i <= max {
                    Ok(Value::Integer(*i))
                } else {
                    bad()
                }
            }
            (Kind::OptInt { .. }, Value::String(s)) | (Kind::OptBool, Value::String(s)) if s == DEFAULT_TOKEN => {
                Ok(Value::String(DEFAULT_TOKEN.into()))
            }
            (Kind::FloatOr { word, .. }, Value::String(s)) if s == word => Ok(Value::String(s.clone())),
            (Kind::Float { min, max, min_open }, Value::Integer(_) | Value::Float(_))
            | (Kind::FloatOr { min, max, min_open, .. }, Value::Integer(_) | Value::Float(_)) => {
                let f = match v {
                    Value::Integer(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => return bad(),
                };
                let above = if min_open { f > min } else { f >= min };
                if f.is_finite() && above && f <= max {
                    Ok(Value::Float(f))
                } else {
                    bad()
                }
            }
            (Kind::Bool, Value::Boolean(b)) | (Kind::OptBool, Value::Boolean(b)) => Ok(Value::Boolean(*b)),
            (Kind::Choice(c), Value::String(s)) if c.contains(&s.as_str()) => Ok(Value::String(s.clone())),
            (Kind::Acks, Value::String(s)) => match Acks::parse(s) {
                Some(a) => Ok(Value::String(a.as_str().into())),
                None => bad(),
            },
            (Kind::Version { optional: true }, Value::String(s)) if s == DEFAULT_TOKEN => {
                Ok(Value::String(DEFAULT_TOKEN.into()))
            }
            (Kind::Version { .. }, Value::String(s)) => match KafkaVersion::parse(s) {
                Some(v) => Ok(Value::String(v.as_str())),
                None => bad(),
            },
            (Kind::Version { .. }, Value::Float(_) | Value::Integer(_)) => Err(format!(
                "a Kafka release is a string: write it in quotes (\"0.10\", \"4.0\"); unquoted, TOML reads \
                 it as the number {}, and 0.10 would be 0.1",
                render_value(v)
            )),
            (Kind::Acks, Value::Integer(i)) => match i {
                0 => Ok(Value::String("0".into())),
                1 => Ok(Value::String("1".into())),
                -1 => Ok(Value::String("all".into())),
                _ => bad(),
            },
            _ => bad(),
        }
    }
}

type Getter = fn(&RunSpec) -> Value;
type Setter = fn(&mut RunSpec, &Value);

/// One settable key.
#[derive(Clone, Debug)]
pub struct KeyInfo {
    /// `section.key` (`producer.linger_ms`), or the bare key at the top level (`duration_ms`).
    pub key: &'static str,
    /// Kafka's (or Linux's) configuration name, empty for model-only knobs.
    pub(crate) kafka: &'static str,
    /// What the key means (Markdown, as the key reference shows it).
    pub(crate) doc: &'static str,
    /// Default value as a scenario file would write it (`5`, `all`, `default`).
    pub(crate) default: String,
    /// What values are allowed (`integer >= 0`).
    pub(crate) allowed: String,
    pub(crate) kind: Kind,
    get: Getter,
    set: Setter,
}

impl KeyInfo {
    /// Section of the key (`producer`), empty at the top level.
    pub(crate) fn section(&self) -> &'static str {
        match self.key.rfind('.') {
            Some(i) => &self.key[..i],
            None => "",
        }
    }
    /// The key without its section (`linger_ms`): its results column name.
    pub fn short(&self) -> &'static str {
        match self.key.rfind('.') {
            Some(i) => &self.key[i + 1..],
            None => self.key,
        }
    }
    /// Reads the key from a spec, as a scenario file would write it.
    pub(crate) fn get(&self, spec: &RunSpec) -> Value {
        (self.get)(spec)
    }
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn opt_str(v: &Value) -> bool {
    matches!(v, Value::String(s) if s == DEFAULT_TOKEN)
}

/// One registry entry: `$key` (`section.field`), Kafka name, doc, the field's path in a
/// `RunSpec` and its kind as [`knob_table!`] writes it (`int(>= 0, <= DAY_MS)`, `bool`, ...).
/// The kind fixes the accepted values, the getter and the setter.
macro_rules! knob_key {
    (@info $key:expr, $kafka:expr, $doc:expr, $kind:expr, $get:expr, $set:expr) => {
        KeyInfo {
            key: $key,
            kafka: $kafka,
            doc: $doc,
            default: String::new(),
            allowed: String::new(),
            kind: $kind,
            get: $get,
            set: $set,
        }
    };
    (@float $key:expr, $kafka:expr, $doc:expr, $($f:ident).+, $min:expr, $max:expr, $open:expr) => {
        knob_key!(@info $key, $kafka, $doc, Kind::Float { min: $min, max: $max, min_open: $open },
            |s: &RunSpec| Value::Float(s.$($f).+),
            |s: &mut RunSpec, v: &Value| {
                if let Value::Float(x) = v {
                    s.$($f).+ = *x;
                }
            })
    };
    (@enum $key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, $kind:expr) => {
        knob_key!(@info $key, $kafka, $doc, $kind,
            |s: &RunSpec| Value::String(s.$($f).+.as_str().into()),
            |s: &mut RunSpec, v: &Value| {
                if let Some(x) = v.as_str().and_then(<$t>::parse) {
                    s.$($f).+ = x;
                }
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, int(>= $min:expr, <= $max:expr)) => {
        knob_key!(@info $key, $kafka, $doc, Kind::Int { min: $min, max: $max },
            |s: &RunSpec| Value::Integer(i64::try_from(s.$($f).+).unwrap_or(i64::MAX)),
            |s: &mut RunSpec, v: &Value| {
                if let Value::Integer(i) = v {
                    if let Ok(x) = <$t>::try_from(*i) {
                        s.$($f).+ = x;
                    }
                }
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, float(>= $min:expr, <= $max:expr)) => {
        knob_key!(@float $key, $kafka, $doc, $($f).+, $min, $max, false)
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, float(> $min:expr, <= $max:expr)) => {
        knob_key!(@float $key, $kafka, $doc, $($f).+, $min, $max, true)
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+,
        float_or(> $min:expr, <= $max:expr, $word:literal = $sentinel:expr)) => {
        knob_key!(@info $key, $kafka, $doc, Kind::FloatOr { min: $min, max: $max, min_open: true, word: $word },
            |s: &RunSpec| if s.$($f).+ == $sentinel {
                Value::String($word.into())
            } else {
                Value::Float(s.$($f).+)
            },
            |s: &mut RunSpec, v: &Value| match v {
                Value::Float(x) => s.$($f).+ = *x,
                Value::String(w) if w == $word => s.$($f).+ = $sentinel,
                _ => {}
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, bool) => {
        knob_key!(@info $key, $kafka, $doc, Kind::Bool,
            |s: &RunSpec| Value::Boolean(s.$($f).+),
            |s: &mut RunSpec, v: &Value| {
                if let Value::Boolean(b) = v {
                    s.$($f).+ = *b;
                }
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, opt_int(>= $min:expr, <= $max:expr)) => {
        knob_key!(@info $key, $kafka, $doc, Kind::OptInt { min: $min, max: $max },
            |s: &RunSpec| match s.$($f).+ {
                Some(x) => Value::Integer(clamp_i64(x as u64)),
                None => Value::String(DEFAULT_TOKEN.into()),
            },
            |s: &mut RunSpec, v: &Value| match v {
                Value::Integer(i) => {
                    if let Ok(x) = (*i).try_into() {
                        s.$($f).+ = Some(x);
                    }
                }
                _ if opt_str(v) => s.$($f).+ = None,
                _ => {}
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, opt_bool) => {
        knob_key!(@info $key, $kafka, $doc, Kind::OptBool,
            |s: &RunSpec| match s.$($f).+ {
                Some(b) => Value::Boolean(b),
                None => Value::String(DEFAULT_TOKEN.into()),
            },
            |s: &mut RunSpec, v: &Value| match v {
                Value::Boolean(b) => s.$($f).+ = Some(*b),
                _ if opt_str(v) => s.$($f).+ = None,
                _ => {}
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, version) => {
        knob_key!(@info $key, $kafka, $doc, Kind::Version { optional: false },
            |s: &RunSpec| Value::String(s.$($f).+.as_str()),
            |s: &mut RunSpec, v: &Value| {
                if let Some(x) = v.as_str().and_then(KafkaVersion::parse) {
                    s.$($f).+ = x;
                }
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, opt_version) => {
        knob_key!(@info $key, $kafka, $doc, Kind::Version { optional: true },
            |s: &RunSpec| match s.$($f).+ {
                Some(x) => Value::String(x.as_str()),
                None => Value::String(DEFAULT_TOKEN.into()),
            },
            |s: &mut RunSpec, v: &Value| match v.as_str() {
                Some(t) if t == DEFAULT_TOKEN => s.$($f).+ = None,
                Some(t) => {
                    if let Some(x) = KafkaVersion::parse(t) {
                        s.$($f).+ = Some(x);
                    }
                }
                None => {}
            })
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, acks) => {
        knob_key!(@enum $key, $kafka, $doc, $t, $($f).+, Kind::Acks)
    };
    ($key:expr, $kafka:expr, $doc:expr, $t:ty, $($f:ident).+, choice($($c:literal),+)) => {
        knob_key!(@enum $key, $kafka, $doc, $t, $($f).+, Kind::Choice(&[$($c),+]))
    };
}

/// The registry entries of [`knob_table!`]'s knobs, in table order (`RunSpec`'s plain fields
/// are not keys).
macro_rules! knob_keys {
    (
        $(#[$tm:meta])*
        RunSpec [$($(#[$pm:meta])* $pf:ident: $pt:ty = $pd:expr,)*] {
            $(
                $(#[$m:meta])*
                $f:ident: $t:ty = $d:expr, $kind:ident $(($($arg:tt)*))?, $kafka:literal, $doc:literal;
            )*
        }
        $(
            $(#[$sm:meta])*
            $S:ident in $section:ident {
                $(
                    $(#[$sfm:meta])*
                    $sf:ident: $st:ty = $sd:expr, $skind:ident $(($($sarg:tt)*))?, $skafka:literal, $sdoc:literal;
                )*
            }
        )*
    ) => {
        vec![
            $(knob_key!(stringify!($f), $kafka, $doc, $t, $f, $kind $(($($arg)*))?),)*
            $($(
                knob_key!(
                    concat!(stringify!($section), ".", stringify!($sf)),
                    $skafka,
                    $sdoc,
                    $st,
                    $section.$sf,
                    $skind $(($($sarg)*))?
                ),
            )*)*
        ]
    };
}

fn build() -> Vec<KeyInfo> {
    let mut v = knob_table!(knob_keys);
    // ---- random_faults: a rate and a mean duration per fault kind ----
    macro_rules! random_fault_keys {
        ($(
            $variant:ident = $name:literal {
                keys: [$($key:literal),*],
                example: $example:literal,
                meaning: $meaning:literal,
                random: $rate:ident, $mean:ident = $mean_default:literal $(,)?
            }
        )*) => {
            $(
                v.push(knob_key!(
                    concat!("random_faults.", stringify!($rate)),
                    "",
                    concat!("Random ", $name, " faults per minute of simulated time (0 = none)."),
                    f64,
                    random_faults.$rate,
                    float(>= 0.0, <= 1e6)
                ));
                v.push(knob_key!(
                    concat!("random_faults.", stringify!($mean)),
                    "",
                    concat!("Mean duration of a random ", $name, " fault, milliseconds."),
                    f64,
                    random_faults.$mean,
                    float(> 0.0, <= 1e9)
                ));
            )*
        };
    }
    fault_type_table!(random_fault_keys);

    let d = RunSpec::default();
    for k in &mut v {
        k.default = display_value(&k.get(&d));
        k.allowed = k.kind.allowed();
    }
    v
}

/// Every settable key, top level first, then by section in file order.
pub fn keys() -> &'static [KeyInfo] {
    static KEYS: OnceLock<Vec<KeyInfo>> = OnceLock::new();
    KEYS.get_or_init(build)
}

/// The registry entry of a key (`producer.linger_ms`, `duration_ms`).
pub fn find_key(key: &str) -> Option<&'static KeyInfo> {
    keys().iter().find(|k| k.key == key)
}

/// The values `key` takes: a registry key's, or a producer's or topic's key
/// (`producers.app.count`, `topics.t.partitions`).
pub(crate) fn key_kind(key: &str) -> Option<Kind> {
    match super::scoped::parse_scoped(key) {
        Some(s) => s.ok().map(|s| s.kind()),
        None => find_key(key).map(|i| i.kind),
    }
}

/// Sets `key` on `spec`. The error is either "unknown key" or says what is allowed.
pub(crate) fn set_key(spec: &mut RunSpec, key: &str, value: &Value) -> Result<(), String> {
    if let Some(s) = super::scoped::parse_scoped(key) {
        return super::scoped::set_scoped(spec, s?, value);
    }
    let info = find_key(key).ok_or_else(|| unknown_key_message(key))?;
    if NOT_MODELLED.contains(&key) {
        return Err(not_modelled_message(info));
    }
    let v = info.kind.check(value)?;
    (info.set)(spec, &v);
    Ok(())
}

/// Keys the registry knows (they are Kafka configs users will write) but the model does not
/// read yet: setting one is an error rather than a silently ignored value. A key leaves this
/// list in the change that makes the model read it (`tests/key_effects.rs` checks that every
/// other key changes some output).
pub const NOT_MODELLED: &[&str] = &[];

fn not_modelled_message(info: &KeyInfo) -> String {
    format!(
        "is not modelled yet (Kafka's `{}`): no value would change any result, so prodsim refuses it; remove it",
        info.kafka
    )
}

/// Reads `key` from `spec` (`None` for an unknown key).
pub(crate) fn get_key(spec: &RunSpec, key: &str) -> Option<Value> {
    if let Some(s) = super::scoped::parse_scoped(key) {
        return super::scoped::get_scoped(spec, s.ok()?);
    }
    find_key(key).map(|k| k.get(spec))
}

/// What a key, as a user writes it, stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'r> {
    /// A registry key (written as itself, by its Kafka name, or by its short name).
    Key(&'r KeyInfo),
    /// A Kafka producer config prodsim accepts and does not model (its Kafka name): setting it
    /// has no effect.
    Unmodelled(&'static str),
    /// `key.serializer` / `value.serializer`: the class may fix the serialized size.
    Serializer(SerializerRole),
}

/// The Kafka name a key may also be written as: its `kafka` name, except for model-only knobs
/// (none) and Linux sysctls (`vm.dirty_*_centisecs` count centiseconds, the keys milliseconds).
pub(crate) fn kafka_alias(k: &KeyInfo) -> Option<&'static str> {
    (!k.kafka.is_empty() && !k.kafka.starts_with("vm.")).then_some(k.kafka)
}

/// Splits `producer.linger.ms` into (`producer`, `linger.ms`); `None` when `key` does not
/// start with a section.
fn split_section(key: &str) -> Option<(&'static str, &str)> {
    let (head, rest) = key.split_once('.')?;
    let section = SECTIONS.iter().find(|s| !s.is_empty() && **s == head)?;
    Some((section, rest))
}

/// A producer config of Kafka's that no registry key of `reg` models.
fn unmodelled_config(reg: &[KeyInfo], name: &str) -> Option<Target<'static>> {
    let &n = PRODUCER_CONFIGS.iter().find(|c| **c == name)?;
    if reg
        .iter()
        .any(|k| k.section() == "producer" && kafka_alias(k) == Some(n))
    {
        return None;
    }
    Some(match SerializerRole::of(n) {
        Some(role) => Target::Serializer(role),
        None => Target::Unmodelled(n),
    })
}

fn target_name(t: &Target<'_>) -> String {
    match t {
        Target::Key(k) => format!("`{}`", k.key),
        Target::Unmodelled(n) => format!("`producer.{n}` (not modelled)"),
        Target::Serializer(r) => format!("`producer.{}`", r.kafka()),
    }
}

/// One target, or an error listing the candidates.
fn unique<'r>(name: &str, what: &str, mut found: Vec<Target<'r>>) -> Result<Option<Target<'r>>, String> {
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => {
            let names: Vec<String> = found.iter().map(target_name).collect();
            Err(format!(
                "ambiguous: `{name}` is {what} of {}; write the full key",
                names.join(" and ")
            ))
        }
    }
}

/// Resolves `name` written inside `section` (a `[producer]` entry, a properties file: section
/// `producer`): the key's short name, its Kafka name, or (in `producer`) a producer config
/// prodsim does not model.
pub(crate) fn resolve_in_section(section: &str, name: &str) -> Result<Target<'static>, String> {
    resolve_in_section_with(keys(), section, name)
}

fn resolve_in_section_with<'r>(reg: &'r [KeyInfo], section: &str, name: &str) -> Result<Target<'r>, String> {
    let full = if section.is_empty() {
        name.to_string()
    } else {
        format!("{section}.{name}")
    };
    if let Some(k) = reg.iter().find(|k| k.key == full) {
        return Ok(Target::Key(k));
    }
    let aliases = reg
        .iter()
        .filter(|k| k.section() == section && kafka_alias(k) == Some(name))
        .map(Target::Key)
        .collect();
    if let Some(t) = unique(name, "the Kafka name", aliases)? {
        return Ok(t);
    }
    if section == "producer" {
        if let Some(t) = unmodelled_config(reg, name) {
            return Ok(t);
        }
    }
    Err(unknown_key_message_with(reg, &full))
}

/// Resolves a key as `--set` and `[sweep]` write it: `section.key`, `section.kafka.name`, a
/// top-level key, a Kafka name alone (`linger.ms`), or a short name alone (`linger_ms`) when
/// exactly one section has it. A name that fits several keys is an error listing them.
pub(crate) fn resolve(name: &str) -> Result<Target<'static>, String> {
    resolve_with(keys(), name)
}

fn resolve_with<'r>(reg: &'r [KeyInfo], name: &str) -> Result<Target<'r>, String> {
    if let Some(k) = reg.iter().find(|k| k.key == name) {
        return Ok(Target::Key(k));
    }
    if let Some((section, rest)) = split_section(name) {
        return resolve_in_section_with(reg, section, rest);
    }
    // A Kafka name: of registry keys, or of a producer config no producer key models.
    let mut by_kafka: Vec<Target<'r>> = reg
        .iter()
        .filter(|k| kafka_alias(k) == Some(name))
        .map(Target::Key)
        .collect();
    if let Some(t) = unmodelled_config(reg, name) {
        by_kafka.push(t);
    }
    if let Some(t) = unique(name, "the Kafka name", by_kafka)? {
        return Ok(t);
    }
    let by_short = reg.iter().filter(|k| k.short() == name).map(Target::Key).collect();
    if let Some(t) = unique(name, "the short name", by_short)? {
        return Ok(t);
    }
    Err(unknown_key_message_with(reg, name))
}

/// "unknown key", with a suggestion when one is close.
pub(super) fn unknown_key_message(key: &str) -> String {
    unknown_key_message_with(keys(), key)
}

fn unknown_key_message_with(reg: &[KeyInfo], key: &str) -> String {
    match suggestion(reg, key) {
        Some(Suggestion::Key(k, as_kafka)) => match kafka_alias(k).filter(|_| as_kafka) {
            Some(a) => format!("unknown key; did you mean `{a}` (`{}`)?", k.key),
            None => format!("unknown key; did you mean `{}`?", k.key),
        },
        Some(Suggestion::Config(c)) => format!("unknown key; did you mean Kafka's `{c}`?"),
        None => "unknown key; `prodsim keys` lists the keys".to_string(),
    }
}

/// The closest known name to an unknown key.
enum Suggestion<'r> {
    /// A registry key; shown by its Kafka name when the user wrote Kafka-style dotted names.
    Key(&'r KeyInfo, bool),
    /// A producer config prodsim does not model.
    Config(&'static str),
}

fn suggestion<'r>(reg: &'r [KeyInfo], key: &str) -> Option<Suggestion<'r>> {
    let (section, rest) = match split_section(key) {
        Some((s, r)) => (Some(s), r),
        None => (None, key),
    };
    let last = key.rsplit('.').next().unwrap_or(key);
    let as_kafka = rest.contains('.');
    // The same name in another section (`producer.min_insync_replicas`).
    if let Some(k) = reg
        .iter()
        .find(|k| k.key != key && Some(k.section()) != section && (k.short() == last || kafka_alias(k) == Some(rest)))
    {
        return Some(Suggestion::Key(k, as_kafka));
    }
    let mut best: Option<(usize, Suggestion<'r>)> = None;
    let mut consider = |d: usize, s: Suggestion<'r>| {
        if best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, s));
        }
    };
    for k in reg {
        let mut d = levenshtein(key, k.key).min(levenshtein(last, k.short()) + 1);
        if let Some(a) = kafka_alias(k) {
            d = d.min(levenshtein(rest, a));
        }
        consider(d, Suggestion::Key(k, as_kafka));
    }
    if section.is_none_or(|s| s == "producer") {
        for &c in PRODUCER_CONFIGS {
            if reg.iter().any(|k| kafka_alias(k) == Some(c)) {
                continue;
            }
            consider(levenshtein(rest, c), Suggestion::Config(c));
        }
    }
    match best {
        Some((d, s)) if d <= 3 && d < key.len() => Some(s),
        _ => None,
    }
}

/// The registry key closest to `key`: same short or Kafka name in another section, or a near
/// spelling (of the key, its short name or its Kafka name).
pub(crate) fn suggest_key(key: &str) -> Option<&'static str> {
    match suggestion(keys(), key) {
        Some(Suggestion::Key(k, _)) => Some(k.key),
        _ => None,
    }
}

/// Edit distance (for suggestions).
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A value as it appears in results.csv and run names: strings unquoted, floats without
/// trailing `.0` (`2`, `0.25`).
pub(crate) fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => format!("{f}"),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(display_value).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Table(_) => render_value(v),
    }
}

/// A value as TOML source (strings quoted and escaped, floats always with a decimal point or
/// exponent so they read back as floats).
pub(crate) fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => toml_edit::Value::from(s.as_str()).to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => {
            if f.is_nan() {
                "nan".into()
            } else if f.is_infinite() {
                if *f > 0.0 { "inf" } else { "-inf" }.into()
            } else {
                format!("{f:?}")
            }
        }
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(render_value).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", render_key(k), render_value(v)))
                .collect();
            if parts.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }
}

/// A key as TOML source: bare when possible, quoted otherwise.
pub(crate) fn render_key(k: &str) -> String {
    let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        toml_edit::Value::from(k).to_string()
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A markdown reference of every key, grouped by section (`prodsim keys`).
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Scenario keys\n\n");
    out.push_str(
        "Every key below can be set in its section of a scenario file, swept in `[sweep]` \
         (`\"section.key\" = [values]`) and overridden with `--set section.key=value`. \
         Columns of results.csv are named by the key without its section.\n\n\
         A key with a Kafka name can be written by that name too: `\"linger.ms\" = 10` or \
         `linger.ms = 10` in `[producer]`, `--set linger.ms=10` or `--set producer.linger.ms=10`, \
         a `.properties` file; `--set linger_ms=10` works when one section has the name. The \
         other configs of Kafka's `ProducerConfig` (`bootstrap.servers`, `client.id`, `ssl.*`, \
         `sasl.*`, `send.buffer.bytes`, ...) are accepted with a note that they have no effect; \
         `key.serializer` / `value.serializer` set `key_bytes` / `record_bytes` when the class \
         fixes the size (`IntegerSerializer` 4, `LongSerializer` 8, `UUIDSerializer` 36, ...).\n",
    );
    for &section in SECTIONS {
        if section.is_empty() {
            out.push_str("\n## Top level\n\n");
        } else {
            out.push_str(&format!("\n## [{section}]\n\n"));
        }
        out.push_str("| key | Kafka / Linux | default | allowed | meaning |\n");
        out.push_str("|---|---|---|---|---|\n");
        if section.is_empty() {
            out.push_str(
                "| `name` | — | file stem | letters, digits and `._-`, starting with a letter or digit, at most 100 bytes | \
                 Scenario name (its report directory under `--out`, titles). |\n",
            );
            out.push_str(
                "| `seeds` | — | `1` | integer N >= 1 (seeds 1..=N) or list of integers >= 0 | \
                 Seeds each sweep point runs with. |\n",
            );
        }
        if section == "producer" {
            out.push_str(
                "| `properties` | — | none | a path relative to the scenario file's directory, without `..` | \
                 A Java `.properties` file of producer configs by their Kafka names; its values override \
                 the scenario file's, `--producer-config FILE` overrides both, `--set` overrides all. |\n",
            );
        }
        for k in keys().iter().filter(|k| k.section() == section) {
            let kafka = if k.kafka.is_empty() {
                "—".to_string()
            } else {
                format!("`{}`", k.kafka)
            };
            let allowed = if NOT_MODELLED.contains(&k.key) {
                "not modelled yet: setting it is an error".to_string()
            } else {
                md_escape(&k.allowed)
            };
            // The releases where the default changed (`config::versions::HISTORY`).
            let doc = match changes_text(k.key) {
                Some(h) => format!("{} Default by release: {h}.", k.doc),
                None => k.doc.to_string(),
            };
            out.push_str(&format!(
                "| `{}` | {} | `{}` | {} | {} |\n",
                k.short(),
                kafka,
                md_escape(&k.default),
                allowed,
                md_escape(&doc)
            ));
        }
    }
    out.push_str(
        "\n## [[faults]]\n\n\
         Every fault has `at_ms` (start, within the production window), `kind`, and optional \
         `duration_ms` (heals after; absent = lasts to the end of the production window). \
         Nodes are `producer`, `controller`, `b0`, `b1`, ...\n\n\
         | kind | keys | meaning |\n|---|---|---|\n",
    );
    for t in FaultType::ALL {
        out.push_str(&format!("| `{}` | {} | {} |\n", t.name(), t.example(), t.meaning()));
    }
    out.push_str(
        "\n## [[plots]]\n\n\
         One chart per entry (SVG and PNG, in the report directory); without `[[plots]]`, \
         throughput and p99 latency against `linger_ms`. Columns are results.csv's: a parameter \
         column (`acks`, `linger_ms`, `batch_size`, `send_mode`, each swept key without its \
         section), `seed`, or a measure. Checked when the scenario loads.\n\n\
         | key | meaning |\n|---|---|\n\
         | `x` | column on the x axis (required; numeric for a line chart) |\n\
         | `y` | column on the y axis (required; numeric), or a list of them drawn on the same axes (`y = [\"latency_p50_ms\", \"visible_p50_ms\"]`: one line or bar per column and series value) |\n\
         | `series` | column whose values make one line (or bar) each |\n\
         | `per` | column whose values make one chart each |\n\
         | `kind` | `\"line\"` (default), `\"bar\"` (a categorical x such as `acks`) or `\"timeline\"` (below) |\n\
         | `log_x`, `log_y` | `true`: logarithmic axis; `false`: linear; unset: logarithmic when the positive values span more than two orders of magnitude |\n\
         | `title` | chart title (default: derived from the columns) |\n\
         | `caption` | what to look for, shown under the chart in index.html |\n\n\
         `kind = \"timeline\"` compares runs over time: one timeline panel (records/s with the \
         acknowledged records later lost, by send time; p99 latency; faults shaded) per value of \
         `per` (required: a parameter column, at most 4 values), side by side on the same time and \
         y scales, in one chart `timeline_by_<per>.svg` / `.png`. For each value, the run shown is \
         the one `--timeline-run` would choose among the runs with that value (a row or a selector: \
         the run like it with that value); the panel and the caption say which run and why. It \
         takes `per`, `title` and `caption`; `x`, `y`, `series`, `log_x` and `log_y` are refused. \
         `prodsim merge` does not draw it (shards keep no whole run).\n",
    );
    out.push_str(
        "\n## [[expect]]\n\n\
         `name` (optional), `where = { column = value, ... }` (optional), `over = \"each\" | \"sum\"` \
         (default each), then measures: `measure = 0` (exact) or `measure = { min = .., max = .. }`. \
         An expectation that matches no run is skipped (\"skipped (no matching run)\"); it fails only under `--strict`.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `[random_faults]` keys come from the fault-kind table: two per kind, named after the
    /// kind, each setting that kind's field and no other.
    #[test]
    fn random_fault_keys_follow_the_fault_types() {
        for &t in FaultType::ALL {
            let stem = t.name().replace('-', "_");
            let mut s = RunSpec::default();
            set_key(&mut s, &format!("random_faults.{stem}_per_min"), &Value::Float(7.0)).unwrap();
            set_key(&mut s, &format!("random_faults.{stem}_mean_ms"), &Value::Float(123.0)).unwrap();
            for &u in FaultType::ALL {
                let want = if u == t { 7.0 } else { 0.0 };
                assert_eq!(s.random_faults.rate_per_min(u), want, "{t} set, {u} read");
            }
            assert_eq!(s.random_faults.mean_ms(t), 123.0, "{t}");
            let doc = find_key(&format!("random_faults.{stem}_per_min")).unwrap().doc;
            assert_eq!(
                doc,
                format!("Random {t} faults per minute of simulated time (0 = none).")
            );
        }
        let section = keys().iter().filter(|k| k.section() == "random_faults").count();
        assert_eq!(section, 2 * FaultType::ALL.len());
    }

    /// The key reference lists every fault kind, in table order.
    #[test]
    fn reference_lists_every_fault_kind() {
        let md = reference_markdown();
        let mut at = 0;
        for &t in FaultType::ALL {
            let row = format!("| `{}` | {} | {} |\n", t.name(), t.example(), t.meaning());
            let i = md[at..]
                .find(&row)
                .unwrap_or_else(|| panic!("no row for {t} after byte {at}"));
            at += i + row.len();
        }
    }

    #[test]
    fn defaults_render() {
        assert_eq!(find_key("producer.linger_ms").unwrap().default, "5");
        assert_eq!(find_key("producer.acks").unwrap().default, "all");
        assert_eq!(find_key("network.latency_ms").unwrap().default, "0.5");
        assert_eq!(find_key("network.bandwidth_mbps").unwrap().default, "10000");
        assert_eq!(find_key("producer.enable_idempotence").unwrap().default, "default");
    }

    #[test]
    fn every_key_round_trips_its_default() {
        let d = RunSpec::default();
        for k in keys() {
            let mut s = RunSpec::default();
            let v = k.get(&d);
            if NOT_MODELLED.contains(&k.key) {
                let e = set_key(&mut s, k.key, &v).unwrap_err();
                assert!(e.contains("not modelled yet"), "{e}");
                continue;
            }
            set_key(&mut s, k.key, &v).unwrap_or_else(|e| panic!("{}: {e}", k.key));
            assert_eq!(s, d, "{}", k.key);
            let kind_ok = k.kind.check(&v).is_ok();
            assert!(kind_ok, "default of {} not allowed", k.key);
        }
        let mut names: Vec<&str> = keys().iter().map(|k| k.key).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), keys().len());
    }

    #[test]
    fn set_key_types_and_ranges() {
        let mut s = RunSpec::default();
        set_key(&mut s, "producer.acks", &Value::Integer(-1)).unwrap();
        assert_eq!(s.producer.acks, Acks::All);
        set_key(&mut s, "producer.acks", &Value::String("0".into())).unwrap();
        assert_eq!(s.producer.acks, Acks::Zero);
        let e = set_key(&mut s, "producer.acks", &Value::String("2".into())).unwrap_err();
        assert_eq!(e, "expected one of \"0\", \"1\", \"all\"; got \"2\"");
        assert!(set_key(&mut s, "producer.linger_ms", &Value::Float(5.0)).is_err());
        assert!(set_key(&mut s, "producer.linger_ms", &Value::String("5".into())).is_err());
        assert!(set_key(&mut s, "producer.linger_ms", &Value::Integer(-1)).is_err());
        set_key(&mut s, "producer.batch_size", &Value::Integer(0)).unwrap();
        assert_eq!(s.producer.batch_size, 0);
        set_key(&mut s, "network.latency_ms", &Value::Integer(2)).unwrap();
        assert_eq!(s.network.latency_ms, 2.0);
        assert!(set_key(&mut s, "network.bandwidth_mbps", &Value::Float(0.0)).is_err());
        assert!(set_key(&mut s, "network.latency_jitter", &Value::Float(1.5)).is_err());
        assert!(set_key(&mut s, "workload.rate", &Value::Float(f64::NAN)).is_err());
        assert!(set_key(&mut s, "cluster.brokers", &Value::Integer(65)).is_err());
        set_key(&mut s, "producer.enable_idempotence", &Value::Boolean(false)).unwrap();
        assert_eq!(s.producer.enable_idempotence, Some(false));
        set_key(&mut s, "producer.enable_idempotence", &Value::String("default".into())).unwrap();
        assert_eq!(s.producer.enable_idempotence, None);
        let e = set_key(&mut s, "producer.lingr_ms", &Value::Integer(1)).unwrap_err();
        assert!(e.contains("producer.linger_ms"), "{e}");
    }

    fn key_of(t: Result<Target<'_>, String>) -> String {
        match t {
            Ok(Target::Key(k)) => k.key.to_string(),
            Ok(other) => panic!("not a registry key: {other:?}"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn kafka_names_and_short_names_resolve_to_registry_keys() {
        for name in ["producer.linger_ms", "linger.ms", "producer.linger.ms", "linger_ms"] {
            assert_eq!(key_of(resolve(name)), "producer.linger_ms", "{name}");
        }
        assert_eq!(key_of(resolve("min.insync.replicas")), "cluster.min_insync_replicas");
        assert_eq!(
            key_of(resolve("cluster.min.insync.replicas")),
            "cluster.min_insync_replicas"
        );
        assert_eq!(key_of(resolve("acks")), "producer.acks");
        assert_eq!(
            key_of(resolve("max.in.flight.requests.per.connection")),
            "producer.max_in_flight_requests_per_connection"
        );
        assert_eq!(
            key_of(resolve_in_section("producer", "linger.ms")),
            "producer.linger_ms"
        );
        assert_eq!(
            key_of(resolve_in_section("producer", "linger_ms")),
            "producer.linger_ms"
        );
        assert_eq!(
            key_of(resolve_in_section("cluster", "num.partitions")),
            "cluster.partitions"
        );
        assert_eq!(key_of(resolve("duration_ms")), "duration_ms");
        // Not modelled yet: resolved to its key, which set_key refuses.
        assert_eq!(key_of(resolve("message.max.bytes")), "cluster.message_max_bytes");
    }

    #[test]
    fn unmodelled_producer_configs_and_serializers() {
        assert!(matches!(
            resolve("bootstrap.servers"),
            Ok(Target::Unmodelled("bootstrap.servers"))
        ));
        assert!(matches!(
            resolve("producer.ssl.truststore.location"),
            Ok(Target::Unmodelled(_))
        ));
        assert!(matches!(
            resolve_in_section("producer", "metadata.max.idle.ms"),
            Ok(Target::Unmodelled(_))
        ));
        assert!(matches!(
            resolve("key.serializer"),
            Ok(Target::Serializer(SerializerRole::Key))
        ));
        assert!(matches!(
            resolve("producer.value.serializer"),
            Ok(Target::Serializer(SerializerRole::Value))
        ));
        // Producer configs are not cluster keys, and unknown names stay errors.
        assert!(resolve("cluster.bootstrap.servers").is_err());
        assert!(resolve_in_section("cluster", "client.id").is_err());
        assert!(resolve("log.retention.ms").is_err());
    }

    #[test]
    fn linux_names_are_not_aliases() {
        // vm.dirty_expire_centisecs counts centiseconds; cluster.dirty_expire_ms milliseconds.
        let e = resolve("vm.dirty_expire_centisecs").unwrap_err();
        assert!(e.contains("unknown key"), "{e}");
        assert!(resolve_in_section("cluster", "vm.dirty_writeback_centisecs").is_err());
    }

    #[test]
    fn every_kafka_alias_is_a_real_config_and_unique() {
        let mut seen = Vec::new();
        for k in keys() {
            let Some(a) = kafka_alias(k) else { continue };
            if k.section() == "producer" {
                assert!(
                    PRODUCER_CONFIGS.contains(&a),
                    "{}: `{a}` is not in ProducerConfig",
                    k.key
                );
            } else {
                assert!(
                    !PRODUCER_CONFIGS.contains(&a),
                    "{}: `{a}` is also a producer config",
                    k.key
                );
            }
            assert!(!seen.contains(&a), "`{a}` names two keys");
            seen.push(a);
        }
        assert!(seen.len() > 20);
    }

    #[test]
    fn suggestions_know_kafka_names() {
        let e = resolve("linger.mss").unwrap_err();
        assert!(e.contains("did you mean `linger.ms` (`producer.linger_ms`)"), "{e}");
        let e = resolve("producer.lingerms").unwrap_err();
        assert!(e.contains("did you mean `producer.linger_ms`"), "{e}");
        let e = resolve("bootstrap.server").unwrap_err();
        assert!(e.contains("did you mean Kafka's `bootstrap.servers`"), "{e}");
        let e = resolve("cluster.linger.ms").unwrap_err();
        assert!(e.contains("`producer.linger_ms`"), "{e}");
        let e = resolve_in_section("producer", "min.insync.replicas").unwrap_err();
        assert!(e.contains("`cluster.min_insync_replicas`"), "{e}");
        let e = resolve("zzzzzzzzzzzz").unwrap_err();
        assert!(e.contains("`prodsim keys` lists the keys"), "{e}");
    }

    fn fake(key: &'static str, kafka: &'static str) -> KeyInfo {
        KeyInfo {
            key,
            kafka,
            doc: "",
            default: String::new(),
            allowed: String::new(),
            kind: Kind::Int { min: 0, max: 1 },
            get: |_| Value::Integer(0),
            set: |_, _| {},
        }
    }

    /// A Kafka name or short name shared by keys of two sections is refused, naming both.
    #[test]
    fn ambiguous_names_list_their_candidates() {
        let reg = vec![
            fake("producer.request_timeout_ms", "request.timeout.ms"),
            fake("cluster.request_timeout_ms", "request.timeout.ms"),
        ];
        let e = resolve_with(&reg, "request.timeout.ms").unwrap_err();
        assert!(e.contains("ambiguous"), "{e}");
        assert!(
            e.contains("`producer.request_timeout_ms`") && e.contains("`cluster.request_timeout_ms`"),
            "{e}"
        );
        let e = resolve_with(&reg, "request_timeout_ms").unwrap_err();
        assert!(e.contains("ambiguous") && e.contains("short name"), "{e}");
        // With its section the name is unambiguous.
        assert_eq!(
            key_of(resolve_with(&reg, "cluster.request.timeout.ms")),
            "cluster.request_timeout_ms"
        );
        assert_eq!(
            key_of(resolve_in_section_with(&reg, "producer", "request.timeout.ms")),
            "producer.request_timeout_ms"
        );
        // A cluster key named like a producer config prodsim does not model: both candidates.
        let reg = vec![fake("cluster.metadata_max_idle_ms", "metadata.max.idle.ms")];
        let e = resolve_with(&reg, "metadata.max.idle.ms").unwrap_err();
        assert!(
            e.contains("`cluster.metadata_max_idle_ms`")
                && e.contains("`producer.metadata.max.idle.ms` (not modelled)"),
            "{e}"
        );
        assert!(matches!(
            resolve_in_section_with(&reg, "producer", "metadata.max.idle.ms"),
            Ok(Target::Unmodelled(_))
        ));
    }

    /// Negative control: with the real registry the same names are unambiguous.
    #[test]
    fn real_registry_names_are_unambiguous() {
        assert_eq!(key_of(resolve("request.timeout.ms")), "producer.request_timeout_ms");
        assert_eq!(key_of(resolve("request_timeout_ms")), "producer.request_timeout_ms");
        assert!(matches!(resolve("metadata.max.idle.ms"), Ok(Target::Unmodelled(_))));
        assert_eq!(key_of(resolve("compression.type")), "producer.compression_type");
        assert_eq!(
            key_of(resolve("compression.zstd.level")),
            "producer.compression_zstd_level"
        );
    }

    #[test]
    fn display_and_render() {
        assert_eq!(display_value(&Value::Float(2.0)), "2");
        assert_eq!(display_value(&Value::Float(0.25)), "0.25");
        assert_eq!(render_value(&Value::Float(2.0)), "2.0");
        assert_eq!(render_value(&Value::Float(1e-7)), "1e-7");
        assert_eq!(render_value(&Value::String("a\"b".into())), "'a\"b'");
        let md = reference_markdown();
        assert!(md.contains("| `linger_ms` | `linger.ms` | `5` |"), "{md}");
    }
}
