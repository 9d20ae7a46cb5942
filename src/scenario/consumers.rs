//! `[[consumers]]` entries between parsing and the model: each entry's configuration resolved
//! from the top level's `[consumer]` and its own keys, the entries checked against the topics,
//! and written back as scenario text.

use toml::Value;

use super::keys::{render_value, set_key};
use super::scoped::MAX_CONSUMERS;
use crate::config::{RunSpec, DEFAULT_NAME};

/// Gives every `[[consumers]]` entry its configuration: the top level's `[consumer]` (sweep
/// values included), then the entry's own keys.
pub(crate) fn resolve_consumers(spec: &mut RunSpec) -> Result<(), String> {
    let consumer = spec.consumer.clone();
    for e in &mut spec.consumers {
        let mut view = RunSpec {
            consumer: consumer.clone(),
            ..RunSpec::default()
        };
        for (k, v) in &e.set {
            set_key(&mut view, k, v).map_err(|m| format!("`consumers.{}.{}`: {m}", e.name, super::short_name(k)))?;
        }
        e.consumer = view.consumer;
    }
    Ok(())
}

/// Names unique, every subscribed topic exists. Errors: (key, message).
pub(crate) fn validate_consumers(spec: &RunSpec) -> Result<(), (String, String)> {
    let topics = spec.topic_list();
    for (i, e) in spec.consumers.iter().enumerate() {
        if spec.consumers[..i].iter().any(|x| x.name == e.name) {
            return Err((
                "consumers.name".into(),
                format!("two [[consumers]] are named `{}`", e.name),
            ));
        }
        for t in &e.topics {
            if !topics.iter().any(|x| x.name == *t) {
                let names: Vec<&str> = topics.iter().map(|x| x.name.as_str()).collect();
                let hint = if spec.topics.is_empty() {
                    format!(" (without [[topics]] the one topic is `{DEFAULT_NAME}`)")
                } else {
                    String::new()
                };
                return Err((
                    format!("consumers.{}.topics", e.name),
                    format!("no topic named `{t}`; they are: {}{hint}", names.join(", ")),
                ));
            }
        }
    }
    let instances: u32 = spec.consumers.iter().map(|e| e.count.max(1)).sum();
    if instances > MAX_CONSUMERS {
        return Err((
            "consumers.count".into(),
            format!("the scenario runs {instances} consumers; at most {MAX_CONSUMERS}"),
        ));
    }
    Ok(())
}

/// `[[consumers]]` as scenario text (what the entries set; unset keys fall back to the top
/// level's `[consumer]` when the text is read back).
pub(crate) fn consumers_toml(spec: &RunSpec) -> String {
    let quote = |s: &str| render_value(&Value::String(s.to_string()));
    let mut out = String::new();
    for e in &spec.consumers {
        out.push_str(&format!("\n[[consumers]]\nname = {}\n", quote(&e.name)));
        if let Some(g) = &e.group {
            out.push_str(&format!("group = {}\n", quote(g)));
        }
        if !e.topics.is_empty() {
            let list: Vec<String> = e.topics.iter().map(|t| quote(t)).collect();
            out.push_str(&format!("topics = [{}]\n", list.join(", ")));
        }
        if let Some(h) = &e.host {
            out.push_str(&format!("host = {}\n", quote(h)));
        }
        if e.count != 1 {
            out.push_str(&format!("count = {}\n", e.count));
        }
        if !e.set.is_empty() {
            out.push_str("[consumers.consumer]\n");
            for (k, v) in &e.set {
                out.push_str(&format!("{} = {}\n", super::short_name(k), render_value(v)));
            }
        }
    }
    out
}
