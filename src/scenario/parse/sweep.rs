//! `[sweep]`: the swept keys and their values.

use std::collections::BTreeMap;

use toml::Value;
use toml_edit::Item;

use super::{flatten, to_value, Parser};
use crate::scenario::keys::{self, Target};
use crate::scenario::scoped;
use crate::scenario::{axis_values, Origin, Scenario, ScenarioError, SweepAxis};

/// Parses `[sweep]`: one axis per key (Kafka and short names resolved), values checked and
/// normalized, in file order.
pub(super) fn parse_sweep(
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
        // `producers.NAME.KEY` / `topics.NAME.KEY`: the entry must exist (parsed before).
        let (axis_key, kind, default) = match scoped::parse_scoped(&key) {
            Some(s) => {
                let s = s.map_err(|m| p.err(kline, Some(&key), m))?;
                scoped::check_entry(&sc.base, s).map_err(|m| p.err(kline, Some(&key), m))?;
                (s.canonical(), s.kind(), "1".to_string())
            }
            None => match keys::resolve(&key).map_err(|m| p.err(kline, Some(&key), m))? {
                Target::Key(info) => (info.key.to_string(), info.kind, info.default.to_string()),
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
            },
        };
        if sc.sweep.iter().any(|a| a.key == axis_key) {
            return Err(p.err(kline, Some(&key), "swept twice in [sweep]"));
        }
        let Some(toml_edit::Value::Array(arr)) = tbl.get(&entry).and_then(|i| i.as_value()) else {
            return Err(p.err(
                kline,
                Some(&key),
                format!(
                    "sweep values must be a list, e.g. [{}]; to pin one value, set it in its \
                     section",
                    default
                ),
            ));
        };
        let items: Vec<Value> = arr.iter().map(to_value).collect();
        let values = axis_values(kind, &items).map_err(|(i, m)| {
            let l = arr.get(i).and_then(|v| p.line(v.span())).or(kline);
            p.err(l, Some(&key), m)
        })?;
        if let Some(l) = kline {
            origins.insert(axis_key.clone(), Origin::Line(l));
        }
        sc.sweep.push(SweepAxis {
            key: axis_key,
            column: String::new(),
            values,
        });
    }
    Ok(())
}
