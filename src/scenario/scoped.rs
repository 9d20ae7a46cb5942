//! Keys of one producer or one topic: `producers.NAME.KEY` (any `[producer]` or `[workload]`
//! key of the `[[producers]]` entry NAME) and `topics.NAME.KEY` (`partitions`,
//! `replication_factor`, `min_insync_replicas`, `unclean_leader_election_enable` of the
//! `[[topics]]` entry NAME). They are set, swept and `--set` like any key; an entry's unset
//! keys fall back to the top level's ([`resolve_producers`]).

use toml::Value;

use super::keys::{self, set_key, KeyInfo, Target};
use crate::config::{Producer, ProducerEntry, RunSpec, TopicEntry, WorkloadConfig};

/// The keys a `[[topics]]` entry may set (each checked as its `[cluster]` namesake).
pub(crate) const TOPIC_FIELDS: &[&str] = &[
    "partitions",
    "replication_factor",
    "min_insync_replicas",
    "unclean_leader_election_enable",
];

/// A key of one producer or one topic.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scoped<'a> {
    /// `producers.NAME.KEY`: `info` is the `[producer]` / `[workload]` key.
    Producer { name: &'a str, info: &'static KeyInfo },
    /// `topics.NAME.KEY`: `info` is the `[cluster]` key of the same name.
    Topic { name: &'a str, info: &'static KeyInfo },
    /// `producers.NAME.count`: how many instances of the entry run.
    Count { name: &'a str },
    /// `consumers.NAME.KEY`: `info` is the `[consumer]` key.
    Consumer { name: &'a str, info: &'static KeyInfo },
    /// `consumers.NAME.count`: how many members of the entry run.
    ConsumerCount { name: &'a str },
}

/// Most producer instances in a run (each is a whole `KafkaProducer` with its own machine).
pub(crate) const MAX_PRODUCERS: u32 = 1000;
/// Most consumer instances in a run.
pub(crate) const MAX_CONSUMERS: u32 = 1000;

/// The values `count` takes.
const COUNT_KIND: keys::Kind = keys::Kind::Int {
    min: 1,
    max: MAX_PRODUCERS as i64,
};

impl Scoped<'_> {
    /// The key as written canonically: `producers.orders.linger_ms`.
    pub(crate) fn canonical(&self) -> String {
        match self {
            Scoped::Producer { name, info } => format!("producers.{name}.{}", info.short()),
            Scoped::Topic { name, info } => format!("topics.{name}.{}", info.short()),
            Scoped::Count { name } => format!("producers.{name}.count"),
            Scoped::Consumer { name, info } => format!("consumers.{name}.{}", info.short()),
            Scoped::ConsumerCount { name } => format!("consumers.{name}.count"),
        }
    }

    /// The values the key takes.
    pub(crate) fn kind(&self) -> keys::Kind {
        match self {
            Scoped::Producer { info, .. } | Scoped::Topic { info, .. } | Scoped::Consumer { info, .. } => info.kind,
            Scoped::Count { .. } => COUNT_KIND,
            Scoped::ConsumerCount { .. } => keys::Kind::Int {
                min: 1,
                max: MAX_CONSUMERS as i64,
            },
        }
    }
}

/// A plain name for a producer, a topic or a host: letters, digits, `_` and `-`, starting with
/// a letter or digit, at most 64 bytes (it is part of key names: no dots).
pub(crate) fn check_plain_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a plain name (letters, digits, `_` and `-`, starting with a letter or digit, \
             at most 64 bytes); got {}",
            crate::outdir::quote_for_terminal(name)
        ))
    }
}

/// The `[producer]` or `[workload]` key a producer entry's `name` stands for (its short,
/// section-qualified or Kafka name).
pub(crate) fn producer_key(name: &str) -> Result<&'static KeyInfo, String> {
    let (sections, field): (&[&str], &str) = match name.split_once('.') {
        Some((s @ ("producer" | "workload"), rest)) => {
            (if s == "producer" { &["producer"] } else { &["workload"] }, rest)
        }
        _ => (&["producer", "workload"], name),
    };
    for s in sections {
        if let Ok(Target::Key(info)) = keys::resolve_in_section(s, field) {
            return Ok(info);
        }
    }
    Err(format!(
        "`{name}` is not a [producer] or [workload] key (a producer's keys are those of \
         [producer] and [workload]; see `prodsim keys`)"
    ))
}

/// Parses `producers.NAME.KEY` / `topics.NAME.KEY`; `None` for any other key.
pub(crate) fn parse_scoped(key: &str) -> Option<Result<Scoped<'_>, String>> {
    let (scope, rest) = key.split_once('.')?;
    if scope != "producers" && scope != "topics" && scope != "consumers" {
        return None;
    }
    let Some((name, field)) = rest.split_once('.') else {
        return Some(Err(format!(
            "expected `{scope}.NAME.KEY`, e.g. `producers.orders.linger_ms`"
        )));
    };
    Some((|| {
        check_plain_name(name)?;
        if scope == "consumers" && field == "count" {
            Ok(Scoped::ConsumerCount { name })
        } else if scope == "consumers" {
            let field = field.strip_prefix("consumer.").unwrap_or(field);
            match keys::resolve_in_section("consumer", field) {
                Ok(Target::Key(info)) => Ok(Scoped::Consumer { name, info }),
                _ => Err(format!(
                    "`{field}` is not a [consumer] key (a consumer's keys are those of [consumer], \
                     and `count`; see `prodsim keys`)"
                )),
            }
        } else if scope == "producers" && field == "count" {
            Ok(Scoped::Count { name })
        } else if scope == "producers" {
            Ok(Scoped::Producer {
                name,
                info: producer_key(field)?,
            })
        } else {
            let info = TOPIC_FIELDS
                .iter()
                .find(|f| **f == field)
                .and_then(|f| keys::find_key(&format!("cluster.{f}")))
                .ok_or_else(|| format!("`{field}` is not a topic key; a topic sets {}", TOPIC_FIELDS.join(", ")))?;
            Ok(Scoped::Topic { name, info })
        }
    })())
}

fn no_entry(section: &str, name: &str, names: Vec<&str>) -> String {
    if names.is_empty() {
        format!("no [[{section}]] entry named `{name}`: the scenario has no [[{section}]]")
    } else {
        format!("no [[{section}]] entry named `{name}`; they are: {}", names.join(", "))
    }
}

/// Whether the entry a scoped key names exists (the error names the entries there are).
pub(crate) fn check_entry(spec: &RunSpec, s: Scoped<'_>) -> Result<(), String> {
    match s {
        Scoped::Producer { name, .. } | Scoped::Count { name } if !spec.producers.iter().any(|e| e.name == name) => {
            Err(no_entry(
                "producers",
                name,
                spec.producers.iter().map(|e| e.name.as_str()).collect(),
            ))
        }
        Scoped::Consumer { name, .. } | Scoped::ConsumerCount { name }
            if !spec.consumers.iter().any(|e| e.name == name) =>
        {
            Err(no_entry(
                "consumers",
                name,
                spec.consumers.iter().map(|e| e.name.as_str()).collect(),
            ))
        }
        Scoped::Topic { name, .. } if !spec.topics.iter().any(|t| t.name == name) => Err(no_entry(
            "topics",
            name,
            spec.topics.iter().map(|t| t.name.as_str()).collect(),
        )),
        _ => Ok(()),
    }
}

/// Sets a scoped key on `spec` (the entry must exist).
pub(crate) fn set_scoped(spec: &mut RunSpec, s: Scoped<'_>, value: &Value) -> Result<(), String> {
    let v = s.kind().check(value)?;
    match s {
        Scoped::Count { name } => {
            let names: Vec<&str> = spec.producers.iter().map(|e| e.name.as_str()).collect();
            let err = no_entry("producers", name, names);
            let e = spec.producers.iter_mut().find(|e| e.name == name).ok_or(err)?;
            e.count = v.as_integer().unwrap_or(1) as u32;
        }
        Scoped::Producer { name, info } => {
            let names: Vec<&str> = spec.producers.iter().map(|e| e.name.as_str()).collect();
            let err = no_entry("producers", name, names);
            let e = spec.producers.iter_mut().find(|e| e.name == name).ok_or(err)?;
            match e.set.iter_mut().find(|(k, _)| k == info.key) {
                Some(slot) => slot.1 = v,
                None => e.set.push((info.key.to_string(), v)),
            }
        }
        Scoped::Topic { name, info } => {
            let names: Vec<&str> = spec.topics.iter().map(|t| t.name.as_str()).collect();
            let err = no_entry("topics", name, names);
            let t = spec.topics.iter_mut().find(|t| t.name == name).ok_or(err)?;
            set_topic_field(t, info.short(), &v);
        }
        Scoped::ConsumerCount { name } | Scoped::Consumer { name, .. } => {
            let names: Vec<&str> = spec.consumers.iter().map(|e| e.name.as_str()).collect();
            let err = no_entry("consumers", name, names);
            let e = spec.consumers.iter_mut().find(|e| e.name == name).ok_or(err)?;
            match s {
                Scoped::Consumer { info, .. } => match e.set.iter_mut().find(|(k, _)| k == info.key) {
                    Some(slot) => slot.1 = v,
                    None => e.set.push((info.key.to_string(), v)),
                },
                _ => e.count = v.as_integer().unwrap_or(1) as u32,
            }
        }
    }
    Ok(())
}

/// Sets a checked value on a topic entry.
pub(crate) fn set_topic_field(t: &mut TopicEntry, field: &str, v: &Value) {
    let int = v.as_integer().map(|i| i as u32);
    match field {
        "partitions" => t.partitions = int,
        "replication_factor" => t.replication_factor = int,
        "min_insync_replicas" => t.min_insync_replicas = int,
        "unclean_leader_election_enable" => t.unclean_leader_election_enable = v.as_bool(),
        _ => {}
    }
}

/// Reads a scoped key (the producer's resolved value; the topic's, or `[cluster]`'s).
pub(crate) fn get_scoped(spec: &RunSpec, s: Scoped<'_>) -> Option<Value> {
    match s {
        Scoped::Count { name } => {
            let e = spec.producers.iter().find(|e| e.name == name)?;
            Some(Value::Integer(e.count.into()))
        }
        Scoped::Producer { name, info } => {
            let e = spec.producers.iter().find(|e| e.name == name)?;
            let view = RunSpec {
                producer: e.producer.clone(),
                workload: e.workload.clone(),
                ..RunSpec::default()
            };
            Some(info.get(&view))
        }
        Scoped::ConsumerCount { name } => {
            let e = spec.consumers.iter().find(|e| e.name == name)?;
            Some(Value::Integer(e.count.into()))
        }
        Scoped::Consumer { name, info } => {
            let e = spec.consumers.iter().find(|e| e.name == name)?;
            let view = RunSpec {
                consumer: e.consumer.clone(),
                ..RunSpec::default()
            };
            Some(info.get(&view))
        }
        Scoped::Topic { name, info } => {
            let t = spec.topic_list().into_iter().find(|t| t.name == name)?;
            let mut view = RunSpec::default();
            view.cluster.partitions = t.partitions;
            view.cluster.replication_factor = t.replication_factor;
            view.cluster.min_insync_replicas = t.min_insync_replicas;
            view.cluster.unclean_leader_election_enable = t.unclean;
            Some(info.get(&view))
        }
    }
}

/// Gives every `[[producers]]` entry its configuration: the top level's `[producer]` and
/// `[workload]` (release defaults and sweep values included), then the entry's own keys.
pub(crate) fn resolve_producers(spec: &mut RunSpec) -> Result<(), String> {
    let (producer, workload) = (spec.producer.clone(), spec.workload.clone());
    for e in &mut spec.producers {
        let mut view = RunSpec {
            producer: producer.clone(),
            workload: workload.clone(),
            ..RunSpec::default()
        };
        for (k, v) in &e.set {
            set_key(&mut view, k, v).map_err(|m| format!("`producers.{}.{}`: {m}", e.name, super::short_name(k)))?;
        }
        e.producer = view.producer;
        e.workload = view.workload;
    }
    super::consumers::resolve_consumers(spec)
}

/// `[[topics]]` and `[[producers]]` as scenario text (what the entries set; unset keys fall
/// back to the top level when the text is read back).
pub(crate) fn clients_toml(spec: &RunSpec) -> String {
    use super::keys::render_value;
    let quote = |s: &str| render_value(&Value::String(s.to_string()));
    let mut out = String::new();
    for t in &spec.topics {
        out.push_str(&format!("\n[[topics]]\nname = {}\n", quote(&t.name)));
        let fields: [(&str, Option<Value>); 4] = [
            ("partitions", t.partitions.map(|x| Value::Integer(x.into()))),
            (
                "replication_factor",
                t.replication_factor.map(|x| Value::Integer(x.into())),
            ),
            (
                "min_insync_replicas",
                t.min_insync_replicas.map(|x| Value::Integer(x.into())),
            ),
            (
                "unclean_leader_election_enable",
                t.unclean_leader_election_enable.map(Value::Boolean),
            ),
        ];
        for (f, v) in fields {
            if let Some(v) = v {
                out.push_str(&format!("{f} = {}\n", render_value(&v)));
            }
        }
    }
    for e in &spec.producers {
        out.push_str(&format!("\n[[producers]]\nname = {}\n", quote(&e.name)));
        if let Some(t) = &e.topic {
            out.push_str(&format!("topic = {}\n", quote(t)));
        }
        if let Some(h) = &e.host {
            out.push_str(&format!("host = {}\n", quote(h)));
        }
        if e.count != 1 {
            out.push_str(&format!("count = {}\n", e.count));
        }
        for section in ["producer", "workload"] {
            let mine: Vec<&(String, Value)> = e
                .set
                .iter()
                .filter(|(k, _)| k.split_once('.').map(|x| x.0) == Some(section))
                .collect();
            if !mine.is_empty() {
                out.push_str(&format!("[producers.{section}]\n"));
                for (k, v) in mine {
                    out.push_str(&format!("{} = {}\n", super::short_name(k), render_value(v)));
                }
            }
        }
    }
    out.push_str(&super::consumers::consumers_toml(spec));
    out
}

/// A `[[producers]]` entry named `name` (its configuration is resolved later).
pub(crate) fn new_producer(name: String) -> ProducerEntry {
    ProducerEntry {
        name,
        topic: None,
        host: None,
        count: 1,
        set: Vec::new(),
        producer: Default::default(),
        workload: WorkloadConfig::default(),
    }
}

/// Checks what ties producers, topics and hosts together: names unique, each producer's topic
/// exists (or the scenario has one topic), and every producer's and topic's configuration
/// valid on its own. Errors: (key, message).
pub(crate) fn validate_clients(spec: &RunSpec) -> Result<(), (String, String)> {
    super::consumers::validate_consumers(spec)?;
    for (i, e) in spec.producers.iter().enumerate() {
        if spec.producers[..i].iter().any(|x| x.name == e.name) {
            return Err((
                "producers.name".into(),
                format!("two [[producers]] are named `{}`", e.name),
            ));
        }
        match &e.topic {
            Some(t) if !spec.topics.is_empty() && !spec.topics.iter().any(|x| x.name == *t) => {
                let names: Vec<&str> = spec.topics.iter().map(|x| x.name.as_str()).collect();
                return Err((
                    format!("producers.{}.topic", e.name),
                    format!("no [[topics]] entry named `{t}`; they are: {}", names.join(", ")),
                ));
            }
            None if spec.topics.len() > 1 => {
                return Err((
                    format!("producers.{}.topic", e.name),
                    "the scenario has several [[topics]]: say which one this producer writes to \
                     (topic = \"...\")"
                        .into(),
                ));
            }
            _ => {}
        }
    }
    for (i, t) in spec.topics.iter().enumerate() {
        if spec.topics[..i].iter().any(|x| x.name == t.name) {
            return Err(("topics.name".into(), format!("two [[topics]] are named `{}`", t.name)));
        }
    }
    let instances: u32 = spec.producers.iter().map(|e| e.count.max(1)).sum();
    if instances > MAX_PRODUCERS {
        return Err((
            "producers.count".into(),
            format!("the scenario runs {instances} producers; at most {MAX_PRODUCERS}"),
        ));
    }
    let total = spec.total_partitions();
    if total > 10_000 {
        return Err((
            "topics.partitions".into(),
            format!("the topics have {total} partitions together; at most 10000"),
        ));
    }
    let topics = spec.topic_list();
    // A view is one client's configuration; the faults name the whole run's brokers,
    // partitions, producers and hosts, and `spec.validate()` checked them against it.
    let view = |p: &Producer, t: &crate::config::Topic| {
        let mut v = spec.client_view(p, t);
        v.faults.clear();
        v
    };
    for t in &topics {
        let p = Producer {
            name: String::new(),
            topic: 0,
            host: 0,
            host_name: String::new(),
            producer: spec.producer.clone(),
            workload: spec.workload.clone(),
        };
        view(&p, t).validate().map_err(|(k, m)| {
            let k = match k.strip_prefix("cluster.") {
                Some(f) if TOPIC_FIELDS.contains(&f) && !spec.topics.is_empty() => format!("topics.{}.{f}", t.name),
                _ => k,
            };
            (k, m)
        })?;
    }
    if !spec.producers.is_empty() {
        for p in spec.producer_list() {
            view(&p, &topics[p.topic]).validate().map_err(|(k, m)| {
                let field = super::short_name(&k);
                let k = if k.starts_with("producer.") || k.starts_with("workload.") {
                    format!("producers.{}.{field}", p.name)
                } else {
                    k
                };
                (k, m)
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_keys_parse_by_short_section_and_kafka_name() {
        let s = parse_scoped("producers.orders.linger_ms").unwrap().unwrap();
        assert_eq!(s.canonical(), "producers.orders.linger_ms");
        assert!(matches!(s, Scoped::Producer { info, .. } if info.key == "producer.linger_ms"));
        let s = parse_scoped("producers.orders.rate").unwrap().unwrap();
        assert!(matches!(s, Scoped::Producer { info, .. } if info.key == "workload.rate"));
        let s = parse_scoped("producers.orders.linger.ms").unwrap().unwrap();
        assert_eq!(s.canonical(), "producers.orders.linger_ms");
        let s = parse_scoped("topics.t1.min_insync_replicas").unwrap().unwrap();
        assert!(matches!(s, Scoped::Topic { info, .. } if info.key == "cluster.min_insync_replicas"));
        let s = parse_scoped("producers.app.count").unwrap().unwrap();
        assert_eq!(s.canonical(), "producers.app.count");
        assert!(s.kind().check(&Value::Integer(0)).is_err());
        assert!(parse_scoped("producer.acks").is_none());
        assert!(parse_scoped("topics.t1.brokers").unwrap().is_err());
        assert!(parse_scoped("producers.orders.nope").unwrap().is_err());
        assert!(parse_scoped("producers.a/b.acks").unwrap().is_err());
    }

    #[test]
    fn an_entry_falls_back_to_the_top_level_and_its_own_keys_win() {
        let mut spec = RunSpec::default();
        spec.producer.linger_ms = 7;
        spec.producers = vec![new_producer("a".into()), new_producer("b".into())];
        let s = parse_scoped("producers.b.linger_ms").unwrap().unwrap();
        set_scoped(&mut spec, s, &Value::Integer(50)).unwrap();
        resolve_producers(&mut spec).unwrap();
        assert_eq!(spec.producers[0].producer.linger_ms, 7);
        assert_eq!(spec.producers[1].producer.linger_ms, 50);
        assert_eq!(get_scoped(&spec, s), Some(Value::Integer(50)));
        // An unknown entry names the ones there are.
        let s = parse_scoped("producers.c.linger_ms").unwrap().unwrap();
        let e = set_scoped(&mut spec, s, &Value::Integer(1)).unwrap_err();
        assert!(e.contains("a, b"), "{e}");
    }

    #[test]
    fn a_producer_on_an_unknown_topic_is_refused() {
        let mut p = new_producer("a".into());
        p.topic = Some("u".into());
        let spec = RunSpec {
            topics: vec![TopicEntry {
                name: "t".into(),
                ..TopicEntry::default()
            }],
            producers: vec![p],
            ..RunSpec::default()
        };
        let (k, m) = validate_clients(&spec).unwrap_err();
        assert_eq!(k, "producers.a.topic");
        assert!(m.contains("`u`") && m.contains("t"), "{m}");
    }
}
