//! `[[plots]]` entries: charts of results columns.

use toml::Value;
use toml_edit::TableLike;

use super::{check_keys, did_you_mean, Parser};
use crate::scenario::keys::{self, get_key, Kind};
use crate::scenario::{measure_names, PlotKind, PlotSpec, Scenario, ScenarioError};

/// Whether `name` can be charted or filtered on: a parameter column, `seed` or a measure.
fn known_column(sc: &Scenario, name: &str, measures: &[&str]) -> bool {
    name == "seed" || measures.contains(&name) || sc.columns().iter().any(|c| c == name)
}

/// Whether a results column holds numbers in every run: measures, `seed`, and parameter columns
/// of integer or float keys (an optional key only when no value is `"default"`).
fn column_is_numeric(sc: &Scenario, name: &str) -> bool {
    if name == "seed" || measure_names().contains(&name) {
        return true;
    }
    let Some((_, key)) = sc.column_keys().into_iter().find(|(c, _)| c == name) else {
        return false;
    };
    let Some(kind) = keys::key_kind(&key) else {
        return false;
    };
    match kind {
        Kind::Int { .. } | Kind::Float { .. } => true,
        Kind::OptInt { .. } | Kind::FloatOr { .. } => {
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

/// Parses one `[[plots]]` entry; its columns must exist, `y` (and a line chart's `x`) numeric.
pub(super) fn parse_plot(
    p: &Parser<'_>,
    sc: &Scenario,
    t: &dyn TableLike,
    line: Option<usize>,
) -> Result<PlotSpec, ScenarioError> {
    check_keys(
        p,
        t,
        "plots",
        &["x", "y", "series", "per", "log_x", "log_y", "title", "caption", "kind"],
        "a plot",
    )?;
    let kind = if t.contains_key("kind") {
        let s = p.string_of(t, "kind", "plots.kind")?;
        PlotKind::parse(&s).ok_or_else(|| {
            p.err(
                p.value_line(t, "kind"),
                Some("plots.kind"),
                format!("expected one of \"line\", \"bar\", \"timeline\"; got \"{s}\""),
            )
        })?
    } else {
        PlotKind::Line
    };
    let text = |k: &str| -> Result<Option<String>, ScenarioError> {
        if t.contains_key(k) {
            p.string_of(t, k, &format!("plots.{k}")).map(Some)
        } else {
            Ok(None)
        }
    };
    if kind == PlotKind::Timeline {
        return super::plot_timeline::parse_timeline_plot(p, sc, t, line, text("title")?, text("caption")?);
    }
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
    // `y` is a column, or a list of columns drawn on the same axes (`y_also`: the rest).
    let (y, y_also) = match t.get("y").and_then(|i| i.as_array()) {
        Some(list) => {
            let mut names = Vec::new();
            for v in list.iter() {
                let name = v.as_str().ok_or_else(|| {
                    p.err(
                        p.value_line(t, "y"),
                        Some("plots.y"),
                        format!("expected a column name or a list of column names; got {v}"),
                    )
                })?;
                if !known_column(sc, name, &measures) {
                    return Err(column_error(p, sc, p.value_line(t, "y"), "plots.y", name));
                }
                names.push(name.to_string());
            }
            if names.is_empty() {
                return Err(p.err(p.value_line(t, "y"), Some("plots.y"), "an empty list: name a column"));
            }
            let first = names.remove(0);
            (first, names)
        }
        None => (col("y", true)?.unwrap_or_default(), Vec::new()),
    };
    let series = col("series", false)?;
    let per = col("per", false)?;
    // Unset is `None` (the report chooses from the values): an explicit false must win.
    let flag = |k: &str| -> Result<Option<bool>, ScenarioError> {
        if t.contains_key(k) {
            p.bool_of(t, k, &format!("plots.{k}")).map(Some)
        } else {
            Ok(None)
        }
    };
    let log_x = flag("log_x")?;
    let log_y = flag("log_y")?;
    let title = text("title")?;
    let caption = text("caption")?;
    let numeric_error = |k: &str, name: &str, why: &str| {
        p.err(
            p.value_line(t, k),
            Some(&format!("plots.{k}")),
            format!("column `{name}` is not numeric; {why}"),
        )
    };
    if let Some(y) = std::iter::once(&y).chain(&y_also).find(|y| !column_is_numeric(sc, y)) {
        return Err(numeric_error("y", y, "`y` must be a measure or a numeric parameter"));
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
        y_also,
        series,
        per,
        log_x,
        log_y,
        title,
        caption,
        kind,
    })
}
