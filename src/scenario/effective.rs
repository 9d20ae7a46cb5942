//! The effective scenario as a scenario file ([`Scenario::effective_toml`]): what a report's
//! `scenario.toml` holds. Every layer (the file, its properties file, `--producer-config`,
//! `--set`) is folded in, every key is written (defaults too, marked), so that running the file
//! with no option gives the same runs, and a later prodsim with other defaults still does.

use super::keys::{keys, render_key, render_value, NOT_MODELLED, SECTIONS};
use super::{measure_names, PlotKind, Scenario};
use crate::config::versions::history_keys;
use crate::config::RunSpec;
use crate::expect::{Expect, Over};
use toml::Value;

impl Scenario {
    /// The scenario after every override, as a ready-to-run scenario file: `name`, `seeds`,
    /// every key of every section (a key at its default says so in a comment), `[sweep]`,
    /// `[[faults]]`, `[[plots]]` and `[[expect]]`. A plot or gate on a column an override
    /// pinned away is kept as a comment (the run skipped it too). Loading the text gives the
    /// same run points.
    pub fn effective_toml(&self) -> String {
        let default = RunSpec::default();
        let released = self.base_spec();
        let history = history_keys();
        let mut out = String::new();
        out.push_str(&format!("name = {}\n", render_value(&Value::String(self.name.clone()))));
        out.push_str(&format!("seeds = {}\n", seeds_text(&self.seeds)));
        for &section in SECTIONS {
            let mut lines = String::new();
            for k in keys().iter().filter(|k| k.section() == section) {
                if NOT_MODELLED.contains(&k.key) {
                    continue;
                }
                if history.contains(&k.key) && !self.sets(k.key) {
                    // Left to the run's release (`config::versions`): written as a comment, so
                    // that the file runs each release with its own value, as this run did.
                    lines.push_str(&format!(
                        "# {} = {}  # from the release (kafka_version / client_version)\n",
                        k.short(),
                        render_value(&k.get(&released))
                    ));
                    continue;
                }
                let v = k.get(&self.base);
                let note = if self.sweep.iter().any(|a| a.key == k.key) {
                    "  # swept in [sweep]"
                } else if v == k.get(&default) {
                    "  # default"
                } else {
                    ""
                };
                lines.push_str(&format!("{} = {}{note}\n", k.short(), render_value(&v)));
            }
            if section.is_empty() {
                out.push_str(&lines);
            } else {
                out.push_str(&format!("\n[{section}]\n{lines}"));
            }
        }
        out.push_str(&super::scoped::clients_toml(&self.base));
        if !self.sweep.is_empty() {
            out.push_str("\n[sweep]\n");
            for axis in &self.sweep {
                out.push_str(&format!(
                    "{} = {}\n",
                    render_key(&axis.key),
                    render_value(&Value::Array(axis.values.clone()))
                ));
            }
        }
        for f in &self.base.faults {
            out.push_str("\n[[faults]]\n");
            out.push_str(&Scenario::fault_toml(f));
        }
        for p in &self.plots {
            let timeline = p.kind == PlotKind::Timeline;
            let axes = if timeline {
                vec![]
            } else {
                std::iter::once(&p.x).chain(p.y_columns()).collect()
            };
            let missing = axes
                .into_iter()
                .chain(&p.series)
                .chain(&p.per)
                .find(|c| !self.is_column(c));
            let mut text = String::from("[[plots]]\n");
            if !timeline {
                let y = if p.y_also.is_empty() {
                    string(&p.y)
                } else {
                    let ys: Vec<String> = p.y_columns().map(|c| string(c)).collect();
                    format!("[{}]", ys.join(", "))
                };
                text.push_str(&format!("x = {}\ny = {y}\n", string(&p.x)));
            }
            if let Some(s) = &p.series {
                text.push_str(&format!("series = {}\n", string(s)));
            }
            if let Some(s) = &p.per {
                text.push_str(&format!("per = {}\n", string(s)));
            }
            text.push_str(&format!("kind = {}\n", string(p.kind.as_str())));
            if let Some(log) = p.log_x {
                text.push_str(&format!("log_x = {log}\n"));
            }
            if let Some(log) = p.log_y {
                text.push_str(&format!("log_y = {log}\n"));
            }
            if let Some(t) = &p.title {
                text.push_str(&format!("title = {}\n", string(t)));
            }
            if let Some(c) = &p.caption {
                text.push_str(&format!("caption = {}\n", string(c)));
            }
            out.push('\n');
            match missing {
                None => out.push_str(&text),
                Some(c) => out.push_str(&commented(
                    &format!("skipped: column `{c}` is not in these runs (an override pinned it)"),
                    &text,
                )),
            }
        }
        for e in &self.expects {
            let text = expect_toml(e);
            out.push('\n');
            match e.filter.iter().find(|(c, _)| c != "seed" && !self.is_column(c)) {
                None => out.push_str(&text),
                Some((c, v)) => out.push_str(&commented(
                    &format!("matches no run: `{c}` is pinned by an override to another value than {v}"),
                    &text,
                )),
            }
        }
        out
    }

    /// A results column these runs have: a parameter column, `seed` or a measure.
    fn is_column(&self, name: &str) -> bool {
        name == "seed" || measure_names().contains(&name) || self.columns().iter().any(|c| c == name)
    }
}

/// `seeds = N` when the seeds are 1..=N, else the list.
fn seeds_text(seeds: &[u64]) -> String {
    let counted = seeds.iter().enumerate().all(|(i, &s)| s == i as u64 + 1);
    if counted && !seeds.is_empty() {
        seeds.len().to_string()
    } else {
        let v: Vec<String> = seeds.iter().map(u64::to_string).collect();
        format!("[{}]", v.join(", "))
    }
}

fn string(s: &str) -> String {
    render_value(&Value::String(s.to_string()))
}

/// A number as TOML: whole values as integers (`0`, not `0.0`).
fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        render_value(&Value::Float(v))
    }
}

/// A `where` value as TOML, typed as the scenario file would write it: numbers and booleans
/// bare, anything else a string (the loader compares display values, numerically when both
/// are numbers).
fn filter_value(v: &str) -> String {
    if let Ok(i) = v.parse::<i64>() {
        return i.to_string();
    }
    if v == "true" || v == "false" {
        return v.to_string();
    }
    if let Ok(f) = v.parse::<f64>() {
        if f.is_finite() && !v.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
            return render_value(&Value::Float(f));
        }
    }
    string(v)
}

fn expect_toml(e: &Expect) -> String {
    let mut text = String::from("[[expect]]\n");
    text.push_str(&format!("name = {}\n", string(&e.name)));
    if !e.filter.is_empty() {
        let parts: Vec<String> = e
            .filter
            .iter()
            .map(|(c, v)| format!("{} = {}", render_key(c), filter_value(v)))
            .collect();
        text.push_str(&format!("where = {{ {} }}\n", parts.join(", ")));
    }
    if e.over == Over::Sum {
        text.push_str("over = \"sum\"\n");
    }
    for b in &e.bounds {
        let value = match (b.min, b.max) {
            (Some(a), Some(z)) if a == z => number(a),
            (Some(a), Some(z)) => format!("{{ min = {}, max = {} }}", number(a), number(z)),
            (Some(a), None) => format!("{{ min = {} }}", number(a)),
            (None, Some(z)) => format!("{{ max = {} }}", number(z)),
            (None, None) => continue,
        };
        text.push_str(&format!("{} = {value}\n", render_key(&b.measure)));
    }
    text
}

/// `text` as TOML comments under a one-line reason.
fn commented(reason: &str, text: &str) -> String {
    // A comment may hold no control character but tab: escape them (`\u{7}`).
    let reason: String = reason
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let mut out = format!("# {reason}\n");
    for line in text.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const TEXT: &str = r#"
name = "e"
duration_ms = 500
seeds = [3, 9]
[producer]
"linger.ms" = 7
[workload]
rate = 1500.5
[random_faults]
slow_link_per_min = 2.5
[sweep]
"workload.arrival" = ["constant", "poisson"]
"cluster.min_insync_replicas" = [1, 2]
[[faults]]
at_ms = 100
kind = "partition"
groups = [["b0"], ["b1", "b2", "producer"]]
duration_ms = 50
[[plots]]
x = "min_insync_replicas"
y = "latency_p99_ms"
title = "a \"quoted\"\ttitle"
log_y = true
[[plots]]
x = "min_insync_replicas"
y = ["latency_p50_ms", "visible_p50_ms"]
[[expect]]
where = { arrival = "x\u0007", min_insync_replicas = 2 }
over = "sum"
lost_acked = { min = 0.5, max = 3 }
"#;

    #[test]
    fn the_effective_scenario_loads_back_to_the_same_runs() {
        let path = Path::new("e.toml");
        let mut sc = Scenario::parse_str(TEXT, path).unwrap_or_else(|e| panic!("{e}"));
        let text = sc.effective_toml();
        let back = Scenario::parse_str(&text, path).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.expand().unwrap(), sc.expand().unwrap(), "{text}");
        assert_eq!(back.plots, sc.plots);
        assert_eq!(back.expects[0].filter, sc.expects[0].filter);
        assert_eq!(back.expects[0].bounds, sc.expects[0].bounds);
        assert_eq!(back.effective_toml(), text, "a fixed point");
        // Pinning both swept keys: the plot and the gate lose their columns and become
        // comments (no raw control character anywhere), and the file still loads to the same
        // runs.
        sc.apply_set("workload.arrival=poisson").unwrap();
        sc.apply_set("cluster.min_insync_replicas=1").unwrap();
        let text = sc.effective_toml();
        assert!(text.contains("# [[plots]]") && text.contains("# [[expect]]"), "{text}");
        assert!(text.contains("value than x\\u{7}") && !text.contains('\u{7}'), "{text}");
        let back = Scenario::parse_str(&text, path).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.expand().unwrap(), sc.expand().unwrap());
        assert!(back.plots.is_empty() && back.expects.is_empty());
    }
}
