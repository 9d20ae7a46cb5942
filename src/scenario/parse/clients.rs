//! `[[producers]]` and `[[topics]]` entries.

use toml::Value;
use toml_edit::TableLike;

use super::{check_keys, flatten, require, to_value, Parser};
use crate::config::{ConsumerEntry, ProducerEntry, TopicEntry};
use crate::scenario::keys::{self, render_value, Target};
use crate::scenario::scoped::{
    check_plain_name, new_producer, set_topic_field, MAX_CONSUMERS, MAX_PRODUCERS, TOPIC_FIELDS,
};
use crate::scenario::ScenarioError;

const PRODUCER_KEYS: &[&str] = &["name", "topic", "host", "count", "producer", "workload"];

/// A plain name at `t[k]` (producer, topic, host).
fn name_of(p: &Parser<'_>, t: &dyn TableLike, k: &str, key: &str) -> Result<String, ScenarioError> {
    let s = p.string_of(t, k, key)?;
    check_plain_name(&s).map_err(|m| p.err(p.value_line(t, k), Some(key), m))?;
    Ok(s)
}

/// One `[[producers]]` entry: `name`, optional `topic` and `host`, and `[producers.producer]`
/// / `[producers.workload]` tables of `[producer]` / `[workload]` keys.
pub(super) fn parse_producer(
    p: &Parser<'_>,
    t: &dyn TableLike,
    line: Option<usize>,
) -> Result<ProducerEntry, ScenarioError> {
    check_keys(p, t, "producers", PRODUCER_KEYS, "a [[producers]] entry")?;
    require(p, t, "name", "producers.name", line, "a producer's `name`")?;
    let mut e = new_producer(name_of(p, t, "name", "producers.name")?);
    if t.contains_key("topic") {
        e.topic = Some(name_of(p, t, "topic", &format!("producers.{}.topic", e.name))?);
    }
    if t.contains_key("host") {
        e.host = Some(name_of(p, t, "host", &format!("producers.{}.host", e.name))?);
    }
    if t.contains_key("count") {
        let key = format!("producers.{}.count", e.name);
        e.count = p.int_of(t, "count", &key, 1, MAX_PRODUCERS as i64)? as u32;
    }
    for section in ["producer", "workload"] {
        let Some(item) = t.get(section) else { continue };
        let Some(tbl) = item.as_table_like() else {
            return Err(p.err(
                p.key_line(t, section),
                Some(&format!("producers.{}.{section}", e.name)),
                format!("expected a table: write a [producers.{section}] section under the [[producers]] entry"),
            ));
        };
        read_section_keys(p, tbl, section, "producers", &e.name, &[], &mut e.set)?;
    }
    Ok(e)
}

/// The `section` keys (`[producer]`, `[workload]`, `[consumer]`) table `tbl` of the
/// `kind` entry `name` sets (`skip`: the entry's own fields), checked, appended to `set`.
fn read_section_keys(
    p: &Parser<'_>,
    tbl: &dyn TableLike,
    section: &str,
    kind: &str,
    name: &str,
    skip: &[&str],
    set: &mut Vec<(String, Value)>,
) -> Result<(), ScenarioError> {
    let what = &kind[..kind.len() - 1];
    let mut entries = Vec::new();
    flatten(tbl, "", &mut entries);
    for (key, sub, entry) in entries {
        if skip.contains(&key.as_str()) || skip.iter().any(|s| key.starts_with(&format!("{s}."))) {
            continue;
        }
        let shown = format!("{kind}.{name}.{key}");
        let kline = p.key_line(sub, &entry);
        let info = match keys::resolve_in_section(section, &key).map_err(|m| p.err(kline, Some(&shown), m))? {
            Target::Key(info) => info,
            _ => {
                return Err(p.err(
                    kline,
                    Some(&shown),
                    format!("a {what} entry sets keys prodsim models; `{key}` is not one (see `prodsim keys`)"),
                ))
            }
        };
        let v = sub.get(&entry).and_then(|i| i.as_value()).map(to_value);
        let Some(v) = v else {
            return Err(p.err(kline, Some(&shown), "expected a value, not a table"));
        };
        if matches!(v, Value::Array(_)) {
            return Err(p.err(
                kline,
                Some(&shown),
                format!(
                    "a {what} entry sets one value; to sweep it, write `\"{kind}.{name}.{}\" = [...]` in [sweep]",
                    info.short()
                ),
            ));
        }
        let v = info
            .kind
            .check(&v)
            .map_err(|m| p.err(p.value_line(sub, &entry), Some(&shown), m))?;
        if set.iter().any(|(k, _)| k == info.key) {
            return Err(p.err(kline, Some(&shown), format!("set twice in this {what} entry; keep one")));
        }
        set.push((info.key.to_string(), v));
    }
    Ok(())
}

/// The fields of a `[[consumers]]` entry besides `[consumer]` keys (which it may set inline or
/// in a `[consumers.consumer]` table).
const CONSUMER_FIELDS: &[&str] = &["name", "group", "topics", "host", "count", "consumer"];

/// One `[[consumers]]` entry: `name`, optional `group`, `topics`, `host`, `count`, and
/// `[consumer]` keys (inline, or in a `[consumers.consumer]` table).
pub(super) fn parse_consumer(
    p: &Parser<'_>,
    t: &dyn TableLike,
    line: Option<usize>,
) -> Result<ConsumerEntry, ScenarioError> {
    require(p, t, "name", "consumers.name", line, "a consumer's `name`")?;
    let name = name_of(p, t, "name", "consumers.name")?;
    let mut e = ConsumerEntry::named(&name);
    if t.contains_key("group") {
        e.group = Some(name_of(p, t, "group", &format!("consumers.{name}.group"))?);
    }
    if t.contains_key("host") {
        e.host = Some(name_of(p, t, "host", &format!("consumers.{name}.host"))?);
    }
    if t.contains_key("count") {
        let key = format!("consumers.{name}.count");
        e.count = p.int_of(t, "count", &key, 1, MAX_CONSUMERS as i64)? as u32;
    }
    if t.contains_key("topics") {
        let key = format!("consumers.{name}.topics");
        let bad = || {
            p.err(
                p.value_line(t, "topics"),
                Some(&key),
                "expected a list of topic names, e.g. topics = [\"orders\"]",
            )
        };
        match p.value_of(t, "topics", &key)? {
            Value::String(s) => e.topics.push(s),
            Value::Array(a) => {
                for v in a {
                    let Value::String(s) = v else { return Err(bad()) };
                    e.topics.push(s);
                }
            }
            _ => return Err(bad()),
        }
        for topic in &e.topics {
            check_plain_name(topic).map_err(|m| p.err(p.value_line(t, "topics"), Some(&key), m))?;
        }
    }
    read_section_keys(p, t, "consumer", "consumers", &name, CONSUMER_FIELDS, &mut e.set)?;
    if let Some(item) = t.get("consumer") {
        let Some(tbl) = item.as_table_like() else {
            return Err(p.err(
                p.key_line(t, "consumer"),
                Some(&format!("consumers.{name}.consumer")),
                "expected a table: write a [consumers.consumer] section under the [[consumers]] entry",
            ));
        };
        read_section_keys(p, tbl, "consumer", "consumers", &name, &[], &mut e.set)?;
    }
    Ok(e)
}

/// One `[[topics]]` entry: `name` and any of [`TOPIC_FIELDS`] (unset ones are `[cluster]`'s).
pub(super) fn parse_topic(p: &Parser<'_>, t: &dyn TableLike, line: Option<usize>) -> Result<TopicEntry, ScenarioError> {
    let mut allowed = vec!["name"];
    allowed.extend_from_slice(TOPIC_FIELDS);
    check_keys(p, t, "topics", &allowed, "a [[topics]] entry")?;
    require(p, t, "name", "topics.name", line, "a topic's `name`")?;
    let mut topic = TopicEntry {
        name: name_of(p, t, "name", "topics.name")?,
        ..TopicEntry::default()
    };
    for f in TOPIC_FIELDS {
        if !t.contains_key(f) {
            continue;
        }
        let shown = format!("topics.{}.{f}", topic.name);
        let info = keys::find_key(&format!("cluster.{f}")).expect("topic fields are cluster keys");
        let v = p.value_of(t, f, &shown)?;
        let v = info.kind.check(&v).map_err(|m| {
            p.err(
                p.value_line(t, f),
                Some(&shown),
                format!("{m} (got {})", render_value(&v)),
            )
        })?;
        set_topic_field(&mut topic, f, &v);
    }
    Ok(topic)
}
