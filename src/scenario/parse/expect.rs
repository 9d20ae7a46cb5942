//! `[[expect]]` entries: CI gates on measures.

use toml::Value;
use toml_edit::{Item, TableLike};

use super::{did_you_mean, to_value, Parser};
use crate::expect::{Bound, Expect, Over};
use crate::scenario::keys::{self, render_value};
use crate::scenario::{measure_names, Scenario, ScenarioError};

/// Parses one `[[expect]]` entry: a name, a `where` filter on parameter columns, `over`, and
/// bounds on measures.
pub(super) fn parse_expect(
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
                        .and_then(|(_, key)| keys::key_kind(key))
                        .and_then(|kind| kind.check(&v).ok())
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
