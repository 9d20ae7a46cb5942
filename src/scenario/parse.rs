//! Scenario file parsing: walks the `toml_edit` document (which keeps byte spans, turned into
//! 1-based lines for errors) and fills a [`Scenario`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Value;
use toml_edit::{ImDocument, Item, TableLike};

use super::kafka::{SerializerRole, SerializerSize};
use super::keys::{self, display_value, find_key, get_key, levenshtein, render_value, set_key, Kind, Target, DAY_MS};
use super::{
    axis_values, measure_names, seeds_from_value, Origin, PlotKind, PlotSpec, Scenario, ScenarioError, SweepAxis,
};
use crate::config::{Fault, FaultKind, Node};
use crate::expect::{Bound, Expect, Over};

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
    "random_faults",
    "sweep",
    "faults",
    "plots",
    "expect",
];

const FAULT_KINDS: &[&str] = &[
    "crash",
    "power-loss",
    "crash-leader",
    "isolate-leader",
    "partition",
    "slow-link",
    "lose-responses",
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

/// Parses a node name (`producer`, `controller`, `b0`, ...).
fn node_of(v: &Value) -> Result<Node, String> {
    match v {
        Value::String(s) => Node::parse(s).ok_or_else(|| {
            format!("expected a node: \"producer\", \"controller\" or a broker \"b0\", \"b1\", ...; got \"{s}\"")
        }),
        _ => Err(format!(
            "expected a node name string (\"producer\", \"controller\", \"b0\", ...); got {}",
            render_value(v)
        )),
    }
}

/// Parses a broker (`"b1"`, or the integer 1).
fn broker_of(v: &Value) -> Result<u32, String> {
    match v {
        Value::Integer(i) if (0..=u32::MAX as i64).contains(i) => Ok(*i as u32),
        _ => match node_of(v) {
            Ok(Node::Broker(b)) => Ok(b),
            _ => Err(format!(
                "expected a broker name (\"b0\", \"b1\", ...); got {}",
                render_value(v)
            )),
        },
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
            "faults" => faults = Some((item, kline)),
            "plots" => plots = Some((item, kline)),
            "expect" => expects = Some((item, kline)),
            "producer" | "cluster" | "network" | "workload" | "random_faults" => {
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
                         [workload], [random_faults], [sweep], [[faults]], [[plots]], \
                         [[expect]]{}",
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
                         [workload], [random_faults], [sweep], [[faults]], [[plots]], \
                         [[expect]]{}",
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
            let f = parse_fault(&p, t, l)?;
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

fn parse_sweep(
    p: &Parser<'_>,
    sc: &mut Scenario,
    origins: &mut BTreeMap<String, Origin>,
    item: &Item,
    line: Option<usize>,
) -> Result<(), ScenarioError> {
    let Some(t) = item.as_table_like().filter(|_| !item.is_array_of_tables()) else {
        return Err(p.err(line, Some("sweep"), "expected a [sweep] table"));
    };
    let mut entries = Vec::new();
    flatten(t, "", &mut entries);
    for (key, tbl, entry) in entries {
        let kline = p.key_line(tbl, &entry);
        if key == "producer.properties" {
            return Err(p.err(
                kline,
                Some(&key),
                "a properties file cannot be swept; set `properties` in [producer]",
            ));
        }
        if key == "seeds" || key == "name" {
            return Err(p.err(
                kline,
                Some(&key),
                format!("`{key}` cannot be swept; set it at the top level (seeds = 3 or [1, 7, 9])"),
            ));
        }
        let info = match keys::resolve(&key).map_err(|m| p.err(kline, Some(&key), m))? {
            Target::Key(info) => info,
            Target::Unmodelled(n) => {
                return Err(p.err(
                    kline,
                    Some(&key),
                    format!("`{n}` is not modelled: sweeping it would give identical runs"),
                ))
            }
            Target::Serializer(r) => {
                return Err(p.err(
                    kline,
                    Some(&key),
                    format!("`{}` cannot be swept; sweep `{}` instead", r.kafka(), r.size_key()),
                ))
            }
        };
        if sc.sweep.iter().any(|a| a.key == info.key) {
            return Err(p.err(kline, Some(&key), "swept twice in [sweep]"));
        }
        let Some(toml_edit::Value::Array(arr)) = tbl.get(&entry).and_then(|i| i.as_value()) else {
            return Err(p.err(
                kline,
                Some(&key),
                format!(
                    "sweep values must be a list, e.g. [{}]; to pin one value, set it in its \
                     section",
                    info.default
                ),
            ));
        };
        let items: Vec<Value> = arr.iter().map(to_value).collect();
        let values = axis_values(info, &items).map_err(|(i, m)| {
            let l = arr.get(i).and_then(|v| p.line(v.span())).or(kline);
            p.err(l, Some(&key), m)
        })?;
        if let Some(l) = kline {
            origins.insert(info.key.to_string(), Origin::Line(l));
        }
        sc.sweep.push(SweepAxis {
            key: info.key.to_string(),
            column: String::new(),
            values,
        });
    }
    Ok(())
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

fn parse_fault(p: &Parser<'_>, t: &dyn TableLike, line: Option<usize>) -> Result<Fault, ScenarioError> {
    require(
        p,
        t,
        "kind",
        "faults.kind",
        line,
        &format!("the fault kind, one of {}", FAULT_KINDS.join(", ")),
    )?;
    let kind = p.string_of(t, "kind", "faults.kind")?;
    let specific: &[&str] = match kind.as_str() {
        "crash" => &["broker"],
        "power-loss" => &["brokers"],
        "crash-leader" | "isolate-leader" => &["partition"],
        "partition" => &["groups", "one_way"],
        "slow-link" => &["from", "to", "extra_latency_ms", "bandwidth_factor", "one_way"],
        "lose-responses" => &["probability"],
        _ => {
            return Err(p.err(
                p.value_line(t, "kind"),
                Some("faults.kind"),
                format!(
                    "expected one of {}; got \"{kind}\"{}",
                    FAULT_KINDS
                        .iter()
                        .map(|k| format!("\"{k}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    did_you_mean(&kind, FAULT_KINDS)
                ),
            ))
        }
    };
    let mut allowed = vec!["at_ms", "kind", "duration_ms"];
    allowed.extend_from_slice(specific);
    check_keys(p, t, "faults", &allowed, &format!("a `{kind}` fault"))?;
    require(p, t, "at_ms", "faults.at_ms", line, "at_ms (start time, milliseconds)")?;
    let day = DAY_MS;
    let at_ms = p.int_of(t, "at_ms", "faults.at_ms", 0, day)?;
    let duration_ms = if t.contains_key("duration_ms") {
        Some(p.int_of(t, "duration_ms", "faults.duration_ms", 1, day)?)
    } else {
        None
    };
    let val = |k: &str| -> Result<(Value, String, Option<usize>), ScenarioError> {
        let key = format!("faults.{k}");
        require(p, t, k, &key, line, &format!("`{k}` for a `{kind}` fault"))?;
        let v = p.value_of(t, k, &key)?;
        Ok((v, key, p.value_line(t, k)))
    };
    let fk = match kind.as_str() {
        "crash" => {
            let (v, key, l) = val("broker")?;
            FaultKind::Crash {
                broker: broker_of(&v).map_err(|m| p.err(l, Some(&key), m))?,
            }
        }
        "power-loss" => {
            let (v, key, l) = val("brokers")?;
            let bad = |m: String| p.err(l, Some(&key), m);
            let Value::Array(items) = &v else {
                return Err(bad(format!(
                    "expected a list of brokers, e.g. [\"b0\", \"b1\"]; got {}",
                    render_value(&v)
                )));
            };
            if items.is_empty() {
                return Err(bad("expected at least one broker".into()));
            }
            let mut brokers = Vec::new();
            for x in items {
                let b = broker_of(x).map_err(&bad)?;
                if brokers.contains(&b) {
                    return Err(bad(format!("broker b{b} is listed twice")));
                }
                brokers.push(b);
            }
            FaultKind::PowerLoss { brokers }
        }
        "crash-leader" | "isolate-leader" => {
            let _ = val("partition")?;
            let partition = p.int_of(t, "partition", "faults.partition", 0, 9_999)? as u32;
            if kind == "crash-leader" {
                FaultKind::CrashLeader { partition }
            } else {
                FaultKind::IsolateLeader { partition }
            }
        }
        "partition" => {
            let (v, key, l) = val("groups")?;
            let bad = |m: String| p.err(l, Some(&key), m);
            let shape = "expected a list of at least two non-empty groups of nodes, e.g. \
                         [[\"b0\"], [\"b1\", \"b2\", \"producer\"]]";
            let Value::Array(gs) = &v else {
                return Err(bad(format!("{shape}; got {}", render_value(&v))));
            };
            if gs.len() < 2 {
                return Err(bad(shape.to_string()));
            }
            let mut groups: Vec<Vec<Node>> = Vec::new();
            let mut seen: Vec<Node> = Vec::new();
            for g in gs {
                let Value::Array(ns) = g else {
                    return Err(bad(format!("{shape}; got group {}", render_value(g))));
                };
                if ns.is_empty() {
                    return Err(bad(shape.to_string()));
                }
                let mut group = Vec::new();
                for n in ns {
                    let node = node_of(n).map_err(&bad)?;
                    if seen.contains(&node) {
                        return Err(bad(format!("node {node} is in two groups")));
                    }
                    seen.push(node);
                    group.push(node);
                }
                groups.push(group);
            }
            let one_way = if t.contains_key("one_way") {
                p.bool_of(t, "one_way", "faults.one_way")?
            } else {
                false
            };
            FaultKind::Partition { groups, one_way }
        }
        "slow-link" => {
            let (v, key, l) = val("from")?;
            let from = node_of(&v).map_err(|m| p.err(l, Some(&key), m))?;
            let (v, key, l) = val("to")?;
            let to = node_of(&v).map_err(|m| p.err(l, Some(&key), m))?;
            if from == to {
                return Err(p.err(l, Some(&key), format!("`from` and `to` are both {from}")));
            }
            if t.contains_key("one_way") && p.bool_of(t, "one_way", "faults.one_way")? {
                return Err(p.err(
                    p.value_line(t, "one_way"),
                    Some("faults.one_way"),
                    "one-way slow links are not modelled (a slow link is slow both ways); \
                     remove one_way or set it to false",
                ));
            }
            let extra_latency_ms = if t.contains_key("extra_latency_ms") {
                p.float_of(t, "extra_latency_ms", "faults.extra_latency_ms", 0.0, 3.6e6, false)?
            } else {
                0.0
            };
            let bandwidth_factor = if t.contains_key("bandwidth_factor") {
                p.float_of(t, "bandwidth_factor", "faults.bandwidth_factor", 0.0, 1.0, true)?
            } else {
                1.0
            };
            FaultKind::SlowLink {
                from,
                to,
                extra_latency_ms,
                bandwidth_factor,
            }
        }
        _ => {
            let _ = val("probability")?;
            let probability = p.float_of(t, "probability", "faults.probability", 0.0, 1.0, false)?;
            FaultKind::LoseResponses { probability }
        }
    };
    Ok(Fault {
        at_ms,
        duration_ms,
        kind: fk,
    })
}

/// Whether `name` can be charted or filtered on: a parameter column, `seed` or a measure.
fn known_column(sc: &Scenario, name: &str, measures: &[&str]) -> bool {
    name == "seed" || measures.contains(&name) || sc.columns().iter().any(|c| c == name)
}

/// Whether a results column holds numbers in every run: measures, `seed`, and parameter columns
/// of integer or float keys (an optional key only when no value is `"default"`).
pub(super) fn column_is_numeric(sc: &Scenario, name: &str) -> bool {
    if name == "seed" || measure_names().contains(&name) {
        return true;
    }
    let Some((_, key)) = sc.column_keys().into_iter().find(|(c, _)| c == name) else {
        return false;
    };
    let Some(info) = find_key(&key) else {
        return false;
    };
    match info.kind {
        Kind::Int { .. } | Kind::Float { .. } => true,
        Kind::OptInt { .. } => {
            let numeric = |v: &Value| matches!(v, Value::Integer(_) | Value::Float(_));
            match sc.sweep.iter().find(|a| a.key == key) {
                Some(axis) => axis.values.iter().all(numeric),
                None => get_key(&sc.base, &key).is_some_and(|v| numeric(&v)),
            }
        }
        _ => false,
    }
}

fn column_error(p: &Parser<'_>, sc: &Scenario, line: Option<usize>, key: &str, name: &str) -> ScenarioError {
    let cols = sc.columns();
    let measures = measure_names();
    let mut all: Vec<&str> = cols.iter().map(String::as_str).collect();
    all.push("seed");
    all.extend(measures.iter().copied());
    p.err(
        line,
        Some(key),
        format!(
            "unknown column `{name}`: expected a parameter column ({}, seed) or a measure ({}){}",
            cols.join(", "),
            measures.join(", "),
            did_you_mean(name, &all)
        ),
    )
}

fn parse_plot(
    p: &Parser<'_>,
    sc: &Scenario,
    t: &dyn TableLike,
    line: Option<usize>,
) -> Result<PlotSpec, ScenarioError> {
    check_keys(
        p,
        t,
        "plots",
        &["x", "y", "series", "per", "log_x", "log_y", "title", "kind"],
        "a plot",
    )?;
    let measures = measure_names();
    let col = |k: &str, required: bool| -> Result<Option<String>, ScenarioError> {
        let key = format!("plots.{k}");
        if !t.contains_key(k) {
            if required {
                return Err(p.err(line, Some(&key), format!("missing: `{k}` (a column name)")));
            }
            return Ok(None);
        }
        let name = p.string_of(t, k, &key)?;
        if !known_column(sc, &name, &measures) {
            return Err(column_error(p, sc, p.value_line(t, k), &key, &name));
        }
        Ok(Some(name))
    };
    let x = col("x", true)?.unwrap_or_default();
    let y = col("y", true)?.unwrap_or_default();
    let series = col("series", false)?;
    let per = col("per", false)?;
    let flag = |k: &str| -> Result<bool, ScenarioError> {
        if t.contains_key(k) {
            p.bool_of(t, k, &format!("plots.{k}"))
        } else {
            Ok(false)
        }
    };
    let log_x = flag("log_x")?;
    let log_y = flag("log_y")?;
    let title = if t.contains_key("title") {
        Some(p.string_of(t, "title", "plots.title")?)
    } else {
        None
    };
    let kind = if t.contains_key("kind") {
        let s = p.string_of(t, "kind", "plots.kind")?;
        PlotKind::parse(&s).ok_or_else(|| {
            p.err(
                p.value_line(t, "kind"),
                Some("plots.kind"),
                format!("expected one of \"line\", \"bar\"; got \"{s}\""),
            )
        })?
    } else {
        PlotKind::Line
    };
    let numeric_error = |k: &str, name: &str, why: &str| {
        p.err(
            p.value_line(t, k),
            Some(&format!("plots.{k}")),
            format!("column `{name}` is not numeric; {why}"),
        )
    };
    if !column_is_numeric(sc, &y) {
        return Err(numeric_error("y", &y, "`y` must be a measure or a numeric parameter"));
    }
    if kind == PlotKind::Line && !column_is_numeric(sc, &x) {
        return Err(numeric_error(
            "x",
            &x,
            "a line chart's `x` must be numeric (use kind = \"bar\" for a parameter such as `acks`)",
        ));
    }
    Ok(PlotSpec {
        x,
        y,
        series,
        per,
        log_x,
        log_y,
        title,
        kind,
    })
}

fn parse_expect(
    p: &Parser<'_>,
    sc: &Scenario,
    t: &dyn TableLike,
    line: Option<usize>,
) -> Result<Expect, ScenarioError> {
    let measures = measure_names();
    let column_keys = sc.column_keys();
    let mut name = None;
    let mut filter = Vec::new();
    let mut over = Over::Each;
    let mut bounds: Vec<Bound> = Vec::new();
    for (k, item) in t.iter() {
        match k {
            "name" => name = Some(p.string_of(t, k, "expect.name")?),
            "over" => {
                let s = p.string_of(t, k, "expect.over")?;
                over = Over::parse(&s).ok_or_else(|| {
                    p.err(
                        p.value_line(t, k),
                        Some("expect.over"),
                        format!("expected one of \"each\", \"sum\"; got \"{s}\""),
                    )
                })?;
            }
            "where" => {
                let Some(w) = item.as_table_like() else {
                    return Err(p.err(
                        p.value_line(t, k),
                        Some("expect.where"),
                        "expected a table of column = value, e.g. { acks = \"all\" }",
                    ));
                };
                for (col, citem) in w.iter() {
                    let key = format!("expect.where.{col}");
                    let cline = p.key_line(w, col);
                    let column_key = column_keys.iter().find(|(c, _)| c == col);
                    if col != "seed" && column_key.is_none() {
                        let cols: Vec<String> = sc.columns();
                        let mut all: Vec<&str> = cols.iter().map(String::as_str).collect();
                        all.push("seed");
                        return Err(p.err(
                            cline,
                            Some(&key),
                            format!(
                                "`{col}` is not a parameter column (`where` can use {}, seed; \
                                 sweep a key to make it a column){}",
                                cols.join(", "),
                                did_you_mean(col, &all)
                            ),
                        ));
                    }
                    let v = match citem.as_value() {
                        Some(v) if !v.is_array() && !v.is_inline_table() => to_value(v),
                        _ => return Err(p.err(p.value_line(w, col), Some(&key), "expected a single value")),
                    };
                    // Normalize through the key's kind (acks = -1 -> "all", 2 -> 2.0 for floats).
                    let normalized = column_key
                        .and_then(|(_, key)| find_key(key))
                        .and_then(|info| info.kind.check(&v).ok())
                        .unwrap_or(v);
                    filter.push((col.to_string(), keys::display_value(&normalized)));
                }
            }
            m => {
                let key = format!("expect.{m}");
                let mline = p.key_line(t, m);
                if !measures.contains(&m) {
                    return Err(p.err(
                        mline,
                        Some(&key),
                        format!(
                            "unknown measure `{m}` (measures: {}){}",
                            measures.join(", "),
                            did_you_mean(m, &measures)
                        ),
                    ));
                }
                bounds.push(parse_bound(p, t, m, &key, item)?);
            }
        }
    }
    if bounds.is_empty() {
        return Err(p.err(
            line,
            Some("expect"),
            "no bounds: add a measure, e.g. lost_acked = 0 or throughput_rps = { min = 1000 }",
        ));
    }
    let name = name.unwrap_or_else(|| Expect::derive_name(&filter, over, &bounds));
    Ok(Expect {
        name,
        line: line.unwrap_or(0),
        filter,
        over,
        bounds,
    })
}

fn parse_bound(p: &Parser<'_>, t: &dyn TableLike, m: &str, key: &str, item: &Item) -> Result<Bound, ScenarioError> {
    let shape = "expected a number (exact value) or { min = .., max = .. }";
    let number = |v: &Value, l: Option<usize>| -> Result<f64, ScenarioError> {
        let f = match v {
            Value::Integer(i) => *i as f64,
            Value::Float(f) => *f,
            _ => return Err(p.err(l, Some(key), format!("{shape}; got {}", render_value(v)))),
        };
        if f.is_nan() {
            return Err(p.err(l, Some(key), "a bound cannot be nan"));
        }
        Ok(f)
    };
    let vline = p.value_line(t, m);
    if let Some(tbl) = item.as_table_like() {
        let mut min = None;
        let mut max = None;
        for (bk, _) in tbl.iter() {
            let bl = p.value_line(tbl, bk);
            let v = match tbl.get(bk).and_then(|i| i.as_value()) {
                Some(v) => to_value(v),
                None => return Err(p.err(bl, Some(key), shape)),
            };
            match bk {
                "min" => min = Some(number(&v, bl)?),
                "max" => max = Some(number(&v, bl)?),
                _ => return Err(p.err(bl, Some(key), format!("unknown bound `{bk}`; {shape}"))),
            }
        }
        if min.is_none() && max.is_none() {
            return Err(p.err(vline, Some(key), shape));
        }
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                return Err(p.err(vline, Some(key), format!("min {a} > max {b}")));
            }
        }
        return Ok(Bound {
            measure: m.to_string(),
            min,
            max,
        });
    }
    let v = match item.as_value() {
        Some(v) => to_value(v),
        None => return Err(p.err(vline, Some(key), shape)),
    };
    let x = number(&v, vline)?;
    Ok(Bound {
        measure: m.to_string(),
        min: Some(x),
        max: Some(x),
    })
}
