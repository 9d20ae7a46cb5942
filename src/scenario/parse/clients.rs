//! `[[producers]]` and `[[topics]]` entries.

use toml::Value;
use toml_edit::TableLike;

use super::{check_keys, flatten, require, to_value, Parser};
use crate::config::{ProducerEntry, TopicEntry};
use crate::scenario::keys::{self, render_value, Target};
use crate::scenario::scoped::{check_plain_name, new_producer, set_topic_field, TOPIC_FIELDS};
use crate::scenario::ScenarioError;

const PRODUCER_KEYS: &[&str] = &["name", "topic", "host", "producer", "workload"];

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
    for section in ["producer", "workload"] {
        let Some(item) = t.get(section) else { continue };
        let Some(tbl) = item.as_table_like() else {
            return Err(p.err(
                p.key_line(t, section),
                Some(&format!("producers.{}.{section}", e.name)),
                format!("expected a table: write a [producers.{section}] section under the [[producers]] entry"),
            ));
        };
        let mut entries = Vec::new();
        flatten(tbl, "", &mut entries);
        for (name, sub, entry) in entries {
            let shown = format!("producers.{}.{name}", e.name);
            let kline = p.key_line(sub, &entry);
            let info = match keys::resolve_in_section(section, &name).map_err(|m| p.err(kline, Some(&shown), m))? {
                Target::Key(info) => info,
                _ => {
                    return Err(p.err(
                        kline,
                        Some(&shown),
                        format!("a producer entry sets keys prodsim models; `{name}` is not one (see `prodsim keys`)"),
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
                        "a producer entry sets one value; to sweep it, write `\"producers.{}.{}\" = [...]` in [sweep]",
                        e.name,
                        info.short()
                    ),
                ));
            }
            let v = info
                .kind
                .check(&v)
                .map_err(|m| p.err(p.value_line(sub, &entry), Some(&shown), m))?;
            if e.set.iter().any(|(k, _)| k == info.key) {
                return Err(p.err(kline, Some(&shown), "set twice in this producer entry; keep one"));
            }
            e.set.push((info.key.to_string(), v));
        }
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
