//! A [`RunSpec`] written back as a ready-to-run scenario file ([`Scenario::to_toml`]): how
//! `prodsim search` hands over a counterexample.

use super::expand::apply_release_defaults;
use super::keys::{keys, render_value, Kind, SECTIONS};
use super::Scenario;
use crate::config::{FaultKind, RunSpec};
use toml::Value;

impl Scenario {
    /// A ready-to-run scenario file for one spec: every key that differs from the defaults of
    /// the spec's own releases, the faults, and `seeds = [spec.seed]`. Loading it gives back
    /// one run whose spec equals `spec`.
    pub fn to_toml(name: &str, spec: &RunSpec) -> String {
        // A key left out takes its release's default when the file is loaded, not the knob
        // table's: under `kafka_version = "0.10"` an omitted `acks` would come back as "1".
        let mut default = RunSpec::default();
        default.cluster.kafka_version = spec.cluster.kafka_version;
        default.producer.client_version = spec.producer.client_version;
        apply_release_defaults(&mut default, |_| false);
        let knob_default = RunSpec::default();
        let mut out = String::new();
        out.push_str(&format!("name = {}\n", render_value(&Value::String(name.to_string()))));
        for &section in SECTIONS {
            let mut lines = String::new();
            for k in keys().iter().filter(|k| k.section() == section) {
                let v = k.get(spec);
                // The releases themselves are compared with the knob table's defaults.
                let versions = matches!(k.kind, Kind::Version { .. });
                if v != k.get(if versions { &knob_default } else { &default }) {
                    lines.push_str(&format!("{} = {}\n", k.short(), render_value(&v)));
                }
            }
            if section.is_empty() {
                out.push_str(&lines);
                out.push_str(&format!("seeds = [{}]\n", spec.seed));
            } else if !lines.is_empty() {
                out.push_str(&format!("\n[{section}]\n{lines}"));
            }
        }
        out.push_str(&super::scoped::clients_toml(spec));
        for f in &spec.faults {
            out.push_str("\n[[faults]]\n");
            out.push_str(&Scenario::fault_toml(f));
        }
        out
    }

    /// One `[[faults]]` entry's keys as TOML lines (without the header).
    pub(crate) fn fault_toml(f: &crate::config::Fault) -> String {
        let mut out = String::new();
        out.push_str(&format!("at_ms = {}\n", f.at_ms));
        out.push_str(&format!("kind = \"{}\"\n", f.kind.name()));
        if let Some(d) = f.duration_ms {
            out.push_str(&format!("duration_ms = {d}\n"));
        }
        let node = |n: &crate::config::Node| render_value(&Value::String(n.to_string()));
        match &f.kind {
            FaultKind::Crash { broker } => out.push_str(&format!("broker = \"b{broker}\"\n")),
            FaultKind::PowerLoss { brokers } => {
                let b: Vec<String> = brokers.iter().map(|b| format!("\"b{b}\"")).collect();
                out.push_str(&format!("brokers = [{}]\n", b.join(", ")));
            }
            FaultKind::CrashLeader { topic, partition } | FaultKind::IsolateLeader { topic, partition } => {
                if let Some(t) = topic {
                    out.push_str(&format!("topic = {}\n", render_value(&Value::String(t.clone()))));
                }
                out.push_str(&format!("partition = {partition}\n"))
            }
            FaultKind::Partition { groups, one_way } => {
                let g: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        let n: Vec<String> = g.iter().map(node).collect();
                        format!("[{}]", n.join(", "))
                    })
                    .collect();
                out.push_str(&format!("groups = [{}]\n", g.join(", ")));
                if *one_way {
                    out.push_str("one_way = true\n");
                }
            }
            FaultKind::SlowLink {
                from,
                to,
                extra_latency_ms,
                bandwidth_factor,
            } => {
                out.push_str(&format!("from = {}\nto = {}\n", node(from), node(to)));
                out.push_str(&format!(
                    "extra_latency_ms = {}\nbandwidth_factor = {}\n",
                    render_value(&Value::Float(*extra_latency_ms)),
                    render_value(&Value::Float(*bandwidth_factor))
                ));
            }
            FaultKind::LoseResponses { probability } => out.push_str(&format!(
                "probability = {}\n",
                render_value(&Value::Float(*probability))
            )),
            FaultKind::ProducerCrash { producer } => out.push_str(&format!(
                "producer = {}\n",
                render_value(&Value::String(producer.clone()))
            )),
        }
        out
    }
}
