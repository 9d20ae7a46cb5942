//! `[[plots]]` entries of kind "timeline": one timeline panel per value of a parameter column.

use toml_edit::TableLike;

use super::{did_you_mean, Parser};
use crate::scenario::{PlotKind, PlotSpec, Scenario, ScenarioError};

/// Panels a timeline comparison holds at most: beyond, they are too narrow to read.
pub(crate) const TIMELINE_PANELS_MAX: usize = 4;

/// The keys of a line or bar chart that a timeline has no use for.
const NOT_FOR_TIMELINE: [&str; 5] = ["x", "y", "series", "log_x", "log_y"];

/// Parses a `kind = "timeline"` entry (its keys already checked against every plot key, `title`
/// and `caption` read): no `x`, `y`, `series`, `log_x` or `log_y`; `per` a parameter column of
/// at most [`TIMELINE_PANELS_MAX`] values.
pub(super) fn parse_timeline_plot(
    p: &Parser<'_>,
    sc: &Scenario,
    t: &dyn TableLike,
    line: Option<usize>,
    title: Option<String>,
    caption: Option<String>,
) -> Result<PlotSpec, ScenarioError> {
    if let Some(k) = NOT_FOR_TIMELINE.iter().find(|k| t.contains_key(k)) {
        return Err(p.err(
            p.key_line(t, k),
            Some(&format!("plots.{k}")),
            format!(
                "`{k}` is not allowed with kind = \"timeline\" (its axes are simulated time, records/s and \
                 p99 latency); a timeline takes `per` (required), `title` and `caption`"
            ),
        ));
    }
    if !t.contains_key("per") {
        return Err(p.err(
            line,
            Some("plots.per"),
            "missing: `per` (a parameter column: one timeline panel per value), required with kind = \"timeline\"",
        ));
    }
    let per = p.string_of(t, "per", "plots.per")?;
    let per_line = p.value_line(t, "per");
    let columns = sc.columns();
    if !columns.contains(&per) {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        return Err(p.err(
            per_line,
            Some("plots.per"),
            format!(
                "unknown column `{per}`: a timeline's `per` must be a parameter column ({}){}",
                columns.join(", "),
                did_you_mean(&per, &names)
            ),
        ));
    }
    let values = per_values(sc, &per);
    if values > TIMELINE_PANELS_MAX {
        return Err(p.err(
            per_line,
            Some("plots.per"),
            format!(
                "column `{per}` has {values} values, and a timeline comparison shows at most \
                 {TIMELINE_PANELS_MAX} panels; sweep fewer values, or use `--timeline-run` for the timeline of one run"
            ),
        ));
    }
    Ok(PlotSpec {
        per: Some(per),
        title,
        caption,
        kind: PlotKind::Timeline,
        ..PlotSpec::default()
    })
}

/// Distinct values of parameter column `column` across the sweep (1 when it is not swept).
fn per_values(sc: &Scenario, column: &str) -> usize {
    let Some(axis) = sc.sweep.iter().find(|a| a.column == column) else {
        return 1;
    };
    let mut seen: Vec<String> = Vec::new();
    for v in &axis.values {
        let text = v.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use crate::scenario::{PlotKind, Scenario, ScenarioError};
    use std::path::Path;

    const BASE: &str =
        "name = \"t\"\n[sweep]\n\"cluster.kafka_version\" = [\"0.10\", \"0.11\"]\n[[plots]]\nkind = \"timeline\"\n";

    fn load(plot: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_str(&format!("{BASE}{plot}"), Path::new("scenarios/t.toml"))
    }

    #[test]
    fn a_timeline_takes_per_title_and_caption() {
        let sc = load("per = \"kafka_version\"\ntitle = \"0.10 vs 0.11\"\ncaption = \"c\"\n").unwrap();
        let p = &sc.plots[0];
        assert_eq!(p.kind, PlotKind::Timeline);
        assert_eq!(p.per.as_deref(), Some("kafka_version"));
        assert_eq!(
            (p.title.as_deref(), p.caption.as_deref()),
            (Some("0.10 vs 0.11"), Some("c"))
        );
        assert!(p.x.is_empty() && p.y.is_empty());
        // scenario.toml writes it back without x or y, and it loads again the same.
        let text = sc.effective_toml();
        assert!(
            text.contains("kind = \"timeline\"") && !text.contains("x = \"\""),
            "{text}"
        );
        let back = Scenario::parse_str(&text, Path::new("back.toml")).unwrap();
        assert_eq!(back.plots, sc.plots);
    }

    #[test]
    fn keys_of_other_charts_are_refused_by_name() {
        for (key, value) in [
            ("x", "\"kafka_version\""),
            ("y", "\"throughput_rps\""),
            ("series", "\"acks\""),
            ("log_x", "true"),
            ("log_y", "false"),
        ] {
            let e = load(&format!("per = \"kafka_version\"\n{key} = {value}\n")).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(format!("plots.{key}").as_str()), "{e}");
            assert_eq!(e.line, Some(7), "{e}");
            assert!(e.to_string().starts_with("scenarios/t.toml:7:"), "{e}");
            assert!(
                e.message
                    .contains(&format!("`{key}` is not allowed with kind = \"timeline\"")),
                "{e}"
            );
            assert!(e.message.contains("`per` (required), `title` and `caption`"), "{e}");
        }
    }

    #[test]
    fn per_is_required_and_a_parameter_column() {
        let e = load("title = \"t\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("plots.per"), "{e}");
        assert!(e.message.contains("missing: `per`"), "{e}");
        for not_param in ["throughput_rps", "seed", "kafka_versoin"] {
            let e = load(&format!("per = \"{not_param}\"\n")).unwrap_err();
            assert_eq!(e.key.as_deref(), Some("plots.per"), "{e}");
            assert!(
                e.message
                    .contains("must be a parameter column (acks, linger_ms, batch_size, send_mode, kafka_version)"),
                "{e}"
            );
        }
        assert!(load("per = \"kafka_versoin\"\n")
            .unwrap_err()
            .message
            .contains("kafka_version"));
        // A column that is not swept is one panel.
        assert!(load("per = \"acks\"\n").is_ok());
    }

    #[test]
    fn more_than_four_values_are_refused() {
        let five = "name = \"t\"\n[sweep]\n\"producer.linger_ms\" = [0, 1, 2, 3, 4]\n[[plots]]\nkind = \"timeline\"\nper = \"linger_ms\"\n";
        let e = Scenario::parse_str(five, Path::new("t.toml")).unwrap_err();
        assert_eq!((e.key.as_deref(), e.line), (Some("plots.per"), Some(6)), "{e}");
        assert!(
            e.message.contains("`linger_ms` has 5 values") && e.message.contains("at most 4 panels"),
            "{e}"
        );
        let four = five.replace(", 4]", "]");
        assert!(Scenario::parse_str(&four, Path::new("t.toml")).is_ok());
    }

    #[test]
    fn an_unknown_kind_lists_timeline() {
        let e = load("per = \"kafka_version\"\n")
            .and_then(|_| Scenario::parse_str("[[plots]]\nkind = \"pie\"\n", Path::new("t.toml")))
            .unwrap_err();
        assert!(e.message.contains("\"line\", \"bar\", \"timeline\""), "{e}");
    }
}
