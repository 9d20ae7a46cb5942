//! Rendering: a counterexample as a ready-to-run scenario file and its replay commands.

use super::*;

/// The scenario name of a counterexample file: `<scenario>-<property>`.
/// The scenario part is shortened so the whole stays a valid scenario name (at most
/// [`crate::outdir::MAX_NAME_BYTES`]): the file must replay.
pub(crate) fn counterexample_name(scenario: &str, property: &str) -> String {
    let room = crate::outdir::MAX_NAME_BYTES.saturating_sub(property.len() + 1);
    let cut = scenario.char_indices().nth(room).map_or(scenario.len(), |(i, _)| i);
    format!("{}-{property}", &scenario[..cut])
}

/// Where `prodsim search` writes a counterexample: `<out>/<scenario>/counterexample-<property>.toml`.
pub fn counterexample_path(out: &std::path::Path, scenario: &str, property: &str) -> std::path::PathBuf {
    out.join(scenario).join(format!("counterexample-{property}.toml"))
}

/// The commands that replay a counterexample written to `path`.
pub fn replay_commands(path: &str, cx: &Counterexample) -> Vec<String> {
    vec![
        format!("prodsim run {path}"),
        format!("prodsim explain {path} --seed {}", cx.minimal.seed),
    ]
}

/// A counterexample as a ready-to-run scenario file: comments saying what it breaks and how
/// to replay it, the minimal spec ([`Scenario::to_toml`]) and an `[[expect]]` gate stating the
/// property, so that `prodsim run` on it fails (exit code 3) while the violation reproduces.
pub fn render_counterexample(scenario: &str, path: &str, cx: &Counterexample) -> String {
    let property = property(cx.property).expect("known property");
    let mut out = String::new();
    out.push_str(&format!(
        "# Counterexample to `{}`, found by `prodsim search`.\n",
        cx.property
    ));
    out.push_str(&format!("# Claim: {}\n", squash(property.claim)));
    out.push_str(&format!("# Violation: {}\n", cx.violation));
    if let Some(why) = &cx.outside_precondition {
        out.push_str(&format!(
            "# Outside the property's precondition: {why}.\n\
             # Kafka does not promise the property here; this run shows what happens instead.\n"
        ));
    }
    out.push_str(&format!(
        "# Shrunk from a case with {} fault(s) to {} fault(s) in {} step(s).\n",
        cx.spec.faults.len(),
        cx.minimal.faults.len(),
        cx.shrink_steps
    ));
    out.push_str("# Replay:\n");
    for c in replay_commands(path, cx) {
        out.push_str(&format!("#   {c}\n"));
    }
    out.push('\n');
    out.push_str(&Scenario::to_toml(
        &counterexample_name(scenario, cx.property),
        &cx.minimal,
    ));
    if let Some(body) = (property.gate)(&cx.minimal) {
        out.push_str(&format!(
            "\n[[expect]]\nname = {}\n{body}",
            render_value(&Value::String(format!("{}: {}", cx.property, squash(property.claim))))
        ));
    }
    out
}

/// Collapses the runs of spaces a multi-line string literal leaves.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A short description of a result's anomaly measures (for reports).
pub fn measures_line(r: &RunResult) -> String {
    let d = &r.delivery;
    format!(
        "sent {}, acked {}, lost_acked {}, duplicates {}, reordered {}, pending {}, phantom {}, \
         committed_lost {}, leader_completeness_violations {}, log_divergence {}, resolve_max_ms {:.1}",
        r.records_sent,
        r.records_acked,
        d.lost_acked,
        d.duplicates,
        d.reordered,
        d.pending,
        d.phantom,
        r.committed_lost,
        r.leader_completeness_violations,
        r.log_divergence,
        r.resolve_max_ms
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_counterexample_name_is_a_valid_scenario_name() {
        let long = "s".repeat(crate::outdir::MAX_NAME_BYTES);
        let n = super::counterexample_name(&long, "no_acked_write_lost");
        assert!(crate::outdir::check_name(&n).is_ok(), "{n}");
        assert!(n.ends_with("-no_acked_write_lost"));
        assert_eq!(super::counterexample_name("x", "p"), "x-p");
    }
}
