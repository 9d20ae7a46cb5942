//! Scenario file parsing: walks the `toml_edit` document (which keeps byte spans, turned into
//! 1-based lines for errors) and fills a [`Scenario`].
//!
//! This file holds the document walk (top-level keys and the RunSpec sections) and the helpers
//! every table uses; each array or table with its own grammar has its own file: `[sweep]`
//! (`sweep.rs`), `[[faults]]` (`faults.rs`), `[[plots]]` (`plots.rs`), `[[expect]]`
//! (`expect.rs`).

mod clients;
mod expect;
mod faults;
mod plot_timeline;
mod plots;
mod sweep;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Value;
use toml_edit::{ImDocument, Item, TableLike};

use super::kafka::{SerializerRole, SerializerSize};
use super::keys::{self, display_value, find_key, get_key, levenshtein, render_value, set_key, Kind, Target};
use super::{seeds_from_value, Origin, Scenario, ScenarioError};
use clients::{parse_consumer, parse_producer, parse_topic};
use expect::parse_expect;
use faults::parse_fault;
use plots::parse_plot;
use sweep::parse_sweep;

/// Top-level names a scenario file may use besides the sections' keys.
const TOP_LEVEL: &[&str] = &[
    "name",
    "seeds",
    "duration_ms",
    "settle_ms",
    "timeline_bucket_ms",
    "producer",
    "cluster",
    "network",
    "workload",
    "consumer",
    "random_faults",
    "sweep",
    "producers",
    "topics",
    "consumers",
    "faults",
    "plots",
    "expect",
];

/// Converts a `toml_edit` value (spans and formatting) to a plain `toml::Value`.
pub(super) fn to_value(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as E;
    match v {
        E::String(s) => Value::String(s.value().clone()),
        E::Integer(i) => Value::Integer(*i.value()),
        E::Float(f) => Value::Float(*f.value()),
        E::Boolean(b) => Value::Boolean(*b.value()),
        E::Datetime(d) => Value::Datetime(*d.value()),
        E::Array(a) => Value::Array(a.iter().map(to_value).collect()),
        E::InlineTable(t) => Value::Table(t.iter().map(|(k, v)| (k.to_string(), to_value(v))).collect()),
    }
}

fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for &c in candidates {
        let d = levenshtein(word, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    match best {
        Some((d, c)) if d <= 3 && d < word.len() => Some(c),
        _ => None,
    }
}

fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

/// Entries of an array of tables with their lines.
type Entries<'d> = Vec<(&'d dyn TableLike, Option<usize>)>;

struct Parser<'a> {
    text: &'a str,
    file: String,
}

impl Parser<'_> {
    fn line_at(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
    }

    fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        span.map(|s| self.line_at(s.start))
    }

    /// Line of a key in a table (falls back to its value's line).
    fn key_line(&self, t: &dyn TableLike, k: &str) -> Option<usize> {
        self.line(t.key(k).and_then(|k| k.span()))
            .or_else(|| self.line(t.get(k).and_then(|i| i.span())))
    }

    /// Line of a key's value (falls back to the key's line).
    fn value_line(&self, t: &dyn TableLike, k: &str) -> Option<usize> {
        self.line(t.get(k).and_then(|i| i.span()))
            .or_else(|| self.key_line(t, k))
    }

    fn err(&self, line: Option<usize>, key: Option<&str>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.clone(),
            line,
            key: key.map(str::to_string),
            message: message.into(),
        }
    }

    /// The entries of an array of tables: `[[name]]` headers or `name = [{..}, {..}]`.
    fn table_list<'d>(&self, name: &str, item: &'d Item, line: Option<usize>) -> Result<Entries<'d>, ScenarioError> {
        match item {
            Item::ArrayOfTables(a) => Ok(a
                .iter()
                .map(|t| (t as &dyn TableLike, self.line(t.span()).or(line)))
                .collect()),
            Item::Value(toml_edit::Value::Array(arr)) => {
                let mut out = Vec::new();
                for v in arr.iter() {
                    match v.as_inline_table() {
                        Some(t) => out.push((t as &dyn TableLike, self.line(v.span()).or(line))),
                        None => {
                            return Err(self.err(
                                self.line(v.span()).or(line),
                                Some(name),
                                format!("expected a table per entry; write [[{name}]] sections"),
                            ))
                        }
                    }
                }
                Ok(out)
            }
            _ => Err(self.err(
                line,
                Some(name),
                format!("expected an array of tables; write each entry as a [[{name}]] section"),
            )),
        }
    }

    /// A plain value at `t[k]`, or an error if it is a table.
    fn value_of(&self, t: &dyn TableLike, k: &str, key: &str) -> Result<Value, ScenarioError> {
        match t.get(k).and_then(|i| i.as_value()) {
            Some(v) => Ok(to_value(v)),
            None => Err(self.err(self.key_line(t, k), Some(key), "expected a value, not a table")),
        }
    }

    fn string_of(&self, t: &dyn TableLike, k: &str, key: &str) -> Result<String, ScenarioError> {
        match self.value_of(t, k, key)? {
            Value::String(s) => Ok(s),
            v => Err(self.err(
                self.value_line(t, k),
                Some(key),
                format!("expected a string; got {}", render_value(&v)),
            )),
        }
    }

    fn bool_of(&self, t: &dyn TableLike, k: &str, key: &str) -> Result<bool, ScenarioError> {
        match self.value_of(t, k, key)? {
            Value::Boolean(b) => Ok(b),
            v => Err(self.err(
                self.value_line(t, k),
                Some(key),
                format!("expected true or false; got {}", render_value(&v)),
            )),
        }
    }

    /// A value checked against `kind` (normalized).
    fn kind_of(&self, t: &dyn TableLike, k: &str, key: &str, kind: Kind) -> Result<Value, ScenarioError> {
        let v = self.value_of(t, k, key)?;
        kind.check(&v)
            .map_err(|m| self.err(self.value_line(t, k), Some(key), m))
    }

    fn int_of(&self, t: &dyn TableLike, k: &str, key: &str, min: i64, max: i64) -> Result<u64, ScenarioError> {
        match self.kind_of(t, k, key, Kind::Int { min, max })? {
            Value::Integer(i) => Ok(i as u64),
            _ => Err(self.err(self.value_line(t, k), Some(key), "expected an integer")),
        }
    }

    fn float_of(
        &self,
        t: &dyn TableLike,
        k: &str,
        key: &str,
        min: f64,
        max: f64,
        min_open: bool,
    ) -> Result<f64, ScenarioError> {
        match self.kind_of(t, k, key, Kind::Float { min, max, min_open })? {
            Value::Float(f) => Ok(f),
            _ => Err(self.err(self.value_line(t, k), Some(key), "expected a number")),
        }
    }
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let p = Parser {
        text,
        file: path.display().to_string(),
    };
    let doc = ImDocument::parse(text.to_string()).map_err(|e| {
        let line = p.line(e.span());
        p.err(line, None, format!("TOML syntax error: {}", e.message().trim()))
    })?;
    let root = doc.as_table();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "scenario".to_string());
    let mut sc = Scenario::new(&stem, path);
    // The file's stem names the scenario unless a `name` key does; checked after the loop.
    let mut stem_is_name = true;
    let mut origins: BTreeMap<String, Origin> = BTreeMap::new();

    let (mut sweep, mut faults, mut plots, mut expects) = (None, None, None, None);
    let (mut producers, mut topics, mut consumers) = (None, None, None);
    // `[producer] properties`, the file's serializers, and (name as written, resolved key,
    // line) of every section entry, to refuse a key set twice under two names.
    let mut properties: Option<(String, Option<usize>)> = None;
    let mut serializers: Vec<(SerializerRole, String, String, Option<usize>)> = Vec::new();
    let mut seen: Vec<(String, String, Option<usize>)> = Vec::new();
    for (k, item) in root.iter() {
        let kline = p.key_line(root, k);
        match k {
            "name" => {
                sc.name = p.string_of(root, k, k)?;
                crate::outdir::check_name(&sc.name).map_err(|m| p.err(p.value_line(root, k), Some(k), m))?;
                stem_is_name = false;
            }
            "seeds" => {
                let v = p.value_of(root, k, k)?;
                sc.seeds = seeds_from_value(&v).map_err(|m| p.err(p.value_line(root, k), Some(k), m))?;
            }
            "sweep" => sweep = Some((item, kline)),
            "producers" => producers = Some((item, kline)),
            "topics" => topics = Some((item, kline)),
            "consumers" => consumers = Some((item, kline)),
            "faults" => faults = Some((item, kline)),
            "plots" => plots = Some((item, kline)),
            "expect" => expects = Some((item, kline)),
            "producer" | "cluster" | "network" | "workload" | "consumer" | "random_faults" => {
                let Some(t) = item.as_table_like() else {
                    return Err(p.err(kline, Some(k), format!("expected a table; write a [{k}] section")));
                };
                // Dotted names (`linger.ms = 10`) are nested tables to TOML: flatten them back.
                let mut entries = Vec::new();
                flatten(t, "", &mut entries);
                for (name, tbl, entry) in entries {
                    let full = format!("{k}.{name}");
                    let line = p.key_line(tbl, &entry);
                    if k == "producer" && name == "properties" {
                        let rel = p.string_of(tbl, &entry, &full)?;
                        properties = Some((rel, p.value_line(tbl, &entry)));
                        continue;
                    }
                    let target = keys::resolve_in_section(k, &name).map_err(|m| p.err(line, Some(&full), m))?;
                    let Some(v) = tbl.get(&entry).and_then(|i| i.as_value()).map(to_value) else {
                        return Err(p.err(line, Some(&full), "expected a value, not a table"));
                    };
                    let vline = p.value_line(tbl, &entry);
                    let id = match target {
                        Target::Key(info) => info.key.to_string(),
                        Target::Unmodelled(n) => format!("producer.{n}"),
                        Target::Serializer(r) => format!("producer.{}", r.kafka()),
                    };
                    if let Some((first, l)) = seen.iter().find(|(_, id2, _)| *id2 == id).map(|(f, _, l)| (f, l)) {
                        let at = l.map(|l| format!(" at line {l}")).unwrap_or_default();
                        return Err(p.err(
                            line,
                            Some(&full),
                            format!("set twice: `{first}`{at} sets the same key; keep one"),
                        ));
                    }
                    seen.push((full.clone(), id, line));
                    match target {
                        Target::Key(info) => {
                            set_key(&mut sc.base, info.key, &v).map_err(|m| p.err(vline, Some(&full), m))?;
                            if let Some(l) = line {
                                origins.insert(info.key.to_string(), Origin::Line(l));
                            }
                        }
                        Target::Unmodelled(n) => {
                            if !matches!(
                                v,
                                Value::String(_) | Value::Integer(_) | Value::Float(_) | Value::Boolean(_)
                            ) {
                                return Err(p.err(
                                    vline,
                                    Some(&full),
                                    format!(
                                        "expected a string (Kafka lists are one comma-separated string); got {}",
                                        render_value(&v)
                                    ),
                                ));
                            }
                            sc.kafka.note_unmodelled(n, format!("{}:{}", p.file, line.unwrap_or(0)));
                        }
                        Target::Serializer(role) => {
                            let Value::String(class) = v else {
                                return Err(p.err(
                                    vline,
                                    Some(&full),
                                    format!("expected a class name string; got {}", render_value(&v)),
                                ));
                            };
                            serializers.push((role, class, full, line));
                        }
                    }
                }
            }
            _ => {
                if let (Some(info), Some(v)) = (find_key(k), item.as_value()) {
                    if info.section().is_empty() {
                        set_key(&mut sc.base, k, &to_value(v)).map_err(|m| p.err(p.value_line(root, k), Some(k), m))?;
                        if let Some(l) = kline {
                            origins.insert(k.to_string(), Origin::Line(l));
                        }
                        continue;
                    }
                }
                let message = if item.is_array_of_tables() {
                    format!(
                        "unknown section [[{k}]]; sections are [producer], [cluster], [network], \
                         [workload], [random_faults], [sweep], [[producers]], [[topics]], \
                         [[faults]], [[plots]], [[expect]]{}",
                        did_you_mean(k, TOP_LEVEL)
                    )
                } else if let Some(info) = dotted_section_key(k, item) {
                    // `linger.ms = 5` at the top level: a Kafka name outside its section.
                    format!(
                        "`{}` is `{}`: write it in the [{}] section",
                        info.0,
                        info.1.key,
                        info.1.section()
                    )
                } else if item.is_table_like() && !item.is_value() {
                    format!(
                        "unknown section [{k}]; sections are [producer], [cluster], [network], \
                         [workload], [random_faults], [sweep], [[producers]], [[topics]], \
                         [[faults]], [[plots]], [[expect]]{}",
                        did_you_mean(k, TOP_LEVEL)
                    )
                } else if let Some(s) = keys::suggest_key(k).filter(|s| s.contains('.')) {
                    let (sec, short) = s.split_once('.').unwrap_or((s, s));
                    format!("unknown top-level key; did you mean `{short}` in the [{sec}] section?")
                } else {
                    format!("unknown top-level key{}", did_you_mean(k, TOP_LEVEL))
                };
                return Err(p.err(kline, Some(k), message));
            }
        }
    }

    if stem_is_name {
        crate::outdir::check_name(&sc.name).map_err(|m| {
            p.err(
                None,
                Some("name"),
                format!("no `name` key, and the file name cannot name the scenario: {m}; add a `name = \"...\"` line"),
            )
        })?;
    }
    if let Some((item, line)) = topics {
        for (t, l) in p.table_list("topics", item, line)? {
            sc.base.topics.push(parse_topic(&p, t, l)?);
        }
    }
    if let Some((item, line)) = producers {
        for (t, l) in p.table_list("producers", item, line)? {
            sc.base.producers.push(parse_producer(&p, t, l)?);
        }
    }
    if let Some((item, line)) = consumers {
        for (t, l) in p.table_list("consumers", item, line)? {
            sc.base.consumers.push(parse_consumer(&p, t, l)?);
        }
    }
    if let Some((item, line)) = sweep {
        parse_sweep(&p, &mut sc, &mut origins, item, line)?;
    }
    for (role, class, full, line) in serializers {
        apply_file_serializer(&p, &mut sc, &mut origins, role, &class, &full, line)?;
    }
    sc.origins = origins;
    sc.refresh_columns();
    if let Some((item, line)) = faults {
        for (t, l) in p.table_list("faults", item, line)? {
            let f = parse_fault(&p, t, l, &sc.base)?;
            sc.base.faults.push(f);
            sc.fault_lines.push(l.unwrap_or(0));
        }
    }
    if let Some((item, line)) = plots {
        for (t, l) in p.table_list("plots", item, line)? {
            let plot = parse_plot(&p, &sc, t, l)?;
            sc.plots.push(plot);
        }
    }
    if let Some((item, line)) = expects {
        for (t, l) in p.table_list("expect", item, line)? {
            let e = parse_expect(&p, &sc, t, l)?;
            sc.expects.push(e);
        }
    }
    // The properties file overrides the scenario file (and `--set` overrides both).
    if let Some((rel, line)) = properties {
        sc.apply_scenario_properties(&rel, line)?;
    }
    Ok(sc)
}

/// A top-level dotted entry (`linger.ms = 5`, a table `linger` to TOML) that names a key of a
/// section by its Kafka name: the name as written and the key.
fn dotted_section_key(k: &str, item: &Item) -> Option<(String, &'static keys::KeyInfo)> {
    let t = item.as_table_like()?;
    let mut entries = Vec::new();
    flatten(t, k, &mut entries);
    let (name, _, _) = entries.into_iter().next()?;
    match keys::resolve(&name) {
        Ok(Target::Key(info)) if !info.section().is_empty() => Some((name, info)),
        _ => None,
    }
}

/// A serializer set in the scenario file: a fixed-size class sets the size key, unless the
/// same file sets or sweeps that key to something else (the file contradicts itself).
fn apply_file_serializer(
    p: &Parser<'_>,
    sc: &mut Scenario,
    origins: &mut BTreeMap<String, Origin>,
    role: SerializerRole,
    class: &str,
    full: &str,
    line: Option<usize>,
) -> Result<(), ScenarioError> {
    let at = format!("{}:{}", p.file, line.unwrap_or(0));
    let SerializerSize::Fixed(n) = sc.record_serializer(role, class, at) else {
        return Ok(());
    };
    let size_key = role.size_key();
    let what = match role {
        SerializerRole::Key => "key",
        SerializerRole::Value => "value",
    };
    let conflict = |other: String| {
        p.err(
            line,
            Some(full),
            format!(
                "`{}` serializes every {what} to {n} bytes, but {other}; remove one",
                class.trim()
            ),
        )
    };
    if let Some(axis) = sc.sweep.iter().find(|a| a.key == size_key) {
        let at = match origins.get(&axis.key) {
            Some(Origin::Line(l)) => format!(" (line {l})"),
            _ => String::new(),
        };
        return Err(conflict(format!("[sweep] sweeps `{size_key}`{at}")));
    }
    if let Some(Origin::Line(l)) = origins.get(size_key) {
        let set = get_key(&sc.base, size_key)
            .map(|v| display_value(&v))
            .unwrap_or_default();
        if set != n.to_string() {
            return Err(conflict(format!("line {l} sets `{size_key}` = {set}")));
        }
    }
    set_key(&mut sc.base, size_key, &Value::Integer(i64::from(n))).map_err(|m| p.err(line, Some(full), m))?;
    if let Some(l) = line {
        origins.insert(size_key.to_string(), Origin::Line(l));
    }
    Ok(())
}

/// Flattens a table whose dotted keys TOML turned into nested tables (`producer.acks = [..]` in
/// `[sweep]`, `linger.ms = 10` in `[producer]`) into `(dotted name, table, entry name)` triples
/// in file order. Quoted keys (`"linger.ms"`) stay one entry.
fn flatten<'d>(t: &'d dyn TableLike, prefix: &str, out: &mut Vec<(String, &'d dyn TableLike, String)>) {
    for (k, item) in t.iter() {
        let full = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        match item {
            Item::Table(sub) => flatten(sub, &full, out),
            Item::Value(toml_edit::Value::InlineTable(sub)) => flatten(sub, &full, out),
            _ => out.push((full, t, k.to_string())),
        }
    }
}

fn check_keys(
    p: &Parser<'_>,
    t: &dyn TableLike,
    section: &str,
    allowed: &[&str],
    what: &str,
) -> Result<(), ScenarioError> {
    for (k, _) in t.iter() {
        if !allowed.contains(&k) {
            let key = format!("{section}.{k}");
            return Err(p.err(
                p.key_line(t, k),
                Some(&key),
                format!(
                    "unknown key for {what} (allowed: {}){}",
                    allowed.join(", "),
                    did_you_mean(k, allowed)
                ),
            ));
        }
    }
    Ok(())
}

fn require(
    p: &Parser<'_>,
    t: &dyn TableLike,
    k: &str,
    key: &str,
    line: Option<usize>,
    what: &str,
) -> Result<(), ScenarioError> {
    if t.contains_key(k) {
        Ok(())
    } else {
        Err(p.err(line, Some(key), format!("missing: {what}")))
    }
}
