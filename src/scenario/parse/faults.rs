//! `[[faults]]` entries: a kind and its targets.

use toml::Value;
use toml_edit::TableLike;

use super::{check_keys, did_you_mean, require, Parser};
use crate::config::{Fault, FaultKind, FaultType, Node, RunSpec, DAY_MS};
use crate::scenario::keys::render_value;
use crate::scenario::ScenarioError;

/// Parses a node name (`producer`, `controller`, `b0`, ..., or one of `hosts`: a producer
/// machine of the scenario's `[[producers]]`).
fn node_of(v: &Value, hosts: &[String]) -> Result<Node, String> {
    match v {
        Value::String(s) => Node::parse(s)
            .or_else(|| hosts.contains(s).then(|| Node::Host(s.clone())))
            .ok_or_else(|| {
                let named = if hosts.is_empty() {
                    String::new()
                } else {
                    format!(", a producer host ({})", hosts.join(", "))
                };
                format!(
                    "expected a node: \"producer\", \"controller\", a broker \"b0\", \"b1\", ...{named}; got \"{s}\""
                )
            }),
        _ => Err(format!(
            "expected a node name string (\"producer\", \"controller\", \"b0\", ...); got {}",
            render_value(v)
        )),
    }
}

/// Parses a broker (`"b1"`, or the integer 1).
fn broker_of(v: &Value) -> Result<u32, String> {
    match v {
        Value::Integer(i) if (0..=u32::MAX as i64).contains(i) => Ok(*i as u32),
        _ => match node_of(v, &[]) {
            Ok(Node::Broker(b)) => Ok(b),
            _ => Err(format!(
                "expected a broker name (\"b0\", \"b1\", ...); got {}",
                render_value(v)
            )),
        },
    }
}

/// Parses one `[[faults]]` entry: its kind ([`FaultType`]) fixes the keys it may have.
/// Producer, host and topic names resolve against `base`'s `[[producers]]` and `[[topics]]`.
pub(super) fn parse_fault(
    p: &Parser<'_>,
    t: &dyn TableLike,
    line: Option<usize>,
    base: &RunSpec,
) -> Result<Fault, ScenarioError> {
    let producers = base.producer_list();
    let mut hosts: Vec<String> = Vec::new();
    if !base.producers.is_empty() {
        for pr in &producers {
            if !hosts.contains(&pr.host_name) {
                hosts.push(pr.host_name.clone());
            }
        }
    }
    // A consumer's machine is a host too (a host name it shares with producers is one machine).
    for c in base.consumer_list() {
        if !hosts.contains(&c.host_name) {
            hosts.push(c.host_name);
        }
    }
    require(
        p,
        t,
        "kind",
        "faults.kind",
        line,
        &format!("the fault kind, one of {}", FaultType::NAMES.join(", ")),
    )?;
    let kind = p.string_of(t, "kind", "faults.kind")?;
    let Some(ty) = FaultType::parse(&kind) else {
        return Err(p.err(
            p.value_line(t, "kind"),
            Some("faults.kind"),
            format!(
                "expected one of {}; got \"{kind}\"{}",
                FaultType::NAMES
                    .iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                did_you_mean(&kind, FaultType::NAMES)
            ),
        ));
    };
    let mut allowed = vec!["at_ms", "kind", "duration_ms"];
    allowed.extend_from_slice(ty.keys());
    check_keys(p, t, "faults", &allowed, &format!("a `{kind}` fault"))?;
    require(p, t, "at_ms", "faults.at_ms", line, "at_ms (start time, milliseconds)")?;
    let day = DAY_MS;
    let at_ms = p.int_of(t, "at_ms", "faults.at_ms", 0, day)?;
    let duration_ms = if t.contains_key("duration_ms") {
        Some(p.int_of(t, "duration_ms", "faults.duration_ms", 1, day)?)
    } else {
        None
    };
    let val = |k: &str| -> Result<(Value, String, Option<usize>), ScenarioError> {
        let key = format!("faults.{k}");
        require(p, t, k, &key, line, &format!("`{k}` for a `{kind}` fault"))?;
        let v = p.value_of(t, k, &key)?;
        Ok((v, key, p.value_line(t, k)))
    };
    let fk = match ty {
        FaultType::Crash => {
            let (v, key, l) = val("broker")?;
            FaultKind::Crash {
                broker: broker_of(&v).map_err(|m| p.err(l, Some(&key), m))?,
            }
        }
        FaultType::PowerLoss => {
            let (v, key, l) = val("brokers")?;
            let bad = |m: String| p.err(l, Some(&key), m);
            let Value::Array(items) = &v else {
                return Err(bad(format!(
                    "expected a list of brokers, e.g. [\"b0\", \"b1\"]; got {}",
                    render_value(&v)
                )));
            };
            if items.is_empty() {
                return Err(bad("expected at least one broker".into()));
            }
            let mut brokers = Vec::new();
            for x in items {
                let b = broker_of(x).map_err(&bad)?;
                if brokers.contains(&b) {
                    return Err(bad(format!("broker b{b} is listed twice")));
                }
                brokers.push(b);
            }
            FaultKind::PowerLoss { brokers }
        }
        FaultType::CrashLeader | FaultType::IsolateLeader => {
            let _ = val("partition")?;
            let partition = p.int_of(t, "partition", "faults.partition", 0, 9_999)? as u32;
            // A topic's partition stays in the topic's numbering: a sweep may change the topic's
            // partition count, or an earlier topic's, so it is resolved, and checked, per run
            // point (`RunSpec::fault_partition`, `RunSpec::validate`).
            let topic = if t.contains_key("topic") {
                let name = p.string_of(t, "topic", "faults.topic")?;
                let topics = base.topic_list();
                if !topics.iter().any(|x| x.name == name) {
                    let names: Vec<String> = topics.iter().map(|x| format!("\"{}\"", x.name)).collect();
                    return Err(p.err(
                        p.value_line(t, "topic"),
                        Some("faults.topic"),
                        format!("no topic \"{name}\"; the topics are {}", names.join(", ")),
                    ));
                }
                Some(name)
            } else {
                None
            };
            if ty == FaultType::CrashLeader {
                FaultKind::CrashLeader { topic, partition }
            } else {
                FaultKind::IsolateLeader { topic, partition }
            }
        }
        FaultType::Partition => {
            let (v, key, l) = val("groups")?;
            let bad = |m: String| p.err(l, Some(&key), m);
            let shape = "expected a list of at least two non-empty groups of nodes, e.g. \
                         [[\"b0\"], [\"b1\", \"b2\", \"producer\"]]";
            let Value::Array(gs) = &v else {
                return Err(bad(format!("{shape}; got {}", render_value(&v))));
            };
            if gs.len() < 2 {
                return Err(bad(shape.to_string()));
            }
            let mut groups: Vec<Vec<Node>> = Vec::new();
            let mut seen: Vec<Node> = Vec::new();
            for g in gs {
                let Value::Array(ns) = g else {
                    return Err(bad(format!("{shape}; got group {}", render_value(g))));
                };
                if ns.is_empty() {
                    return Err(bad(shape.to_string()));
                }
                let mut group = Vec::new();
                for n in ns {
                    let node = node_of(n, &hosts).map_err(&bad)?;
                    if seen.contains(&node) {
                        return Err(bad(format!("node {node} is in two groups")));
                    }
                    seen.push(node.clone());
                    group.push(node);
                }
                groups.push(group);
            }
            let one_way = if t.contains_key("one_way") {
                p.bool_of(t, "one_way", "faults.one_way")?
            } else {
                false
            };
            FaultKind::Partition { groups, one_way }
        }
        FaultType::SlowLink => {
            let (v, key, l) = val("from")?;
            let from = node_of(&v, &hosts).map_err(|m| p.err(l, Some(&key), m))?;
            let (v, key, l) = val("to")?;
            let to = node_of(&v, &hosts).map_err(|m| p.err(l, Some(&key), m))?;
            if from == to {
                return Err(p.err(l, Some(&key), format!("`from` and `to` are both {from}")));
            }
            if t.contains_key("one_way") && p.bool_of(t, "one_way", "faults.one_way")? {
                return Err(p.err(
                    p.value_line(t, "one_way"),
                    Some("faults.one_way"),
                    "one-way slow links are not modelled (a slow link is slow both ways); \
                     remove one_way or set it to false",
                ));
            }
            let extra_latency_ms = if t.contains_key("extra_latency_ms") {
                p.float_of(t, "extra_latency_ms", "faults.extra_latency_ms", 0.0, 3.6e6, false)?
            } else {
                0.0
            };
            let bandwidth_factor = if t.contains_key("bandwidth_factor") {
                p.float_of(t, "bandwidth_factor", "faults.bandwidth_factor", 0.0, 1.0, true)?
            } else {
                1.0
            };
            FaultKind::SlowLink {
                from,
                to,
                extra_latency_ms,
                bandwidth_factor,
            }
        }
        FaultType::ProducerCrash => {
            let names: Vec<String> = producers.iter().map(|x| format!("\"{}\"", x.name)).collect();
            let producer = if t.contains_key("producer") {
                let name = p.string_of(t, "producer", "faults.producer")?;
                if !producers.iter().any(|x| x.name == name) {
                    return Err(p.err(
                        p.value_line(t, "producer"),
                        Some("faults.producer"),
                        format!("no producer \"{name}\"; the producers are {}", names.join(", ")),
                    ));
                }
                name
            } else if producers.len() == 1 {
                producers[0].name.clone()
            } else {
                return Err(p.err(
                    line,
                    Some("faults.producer"),
                    format!(
                        "a `producer-crash` fault names its producer: one of {}",
                        names.join(", ")
                    ),
                ));
            };
            FaultKind::ProducerCrash { producer }
        }
        FaultType::LoseResponses => {
            let _ = val("probability")?;
            let probability = p.float_of(t, "probability", "faults.probability", 0.0, 1.0, false)?;
            FaultKind::LoseResponses { probability }
        }
    };
    Ok(Fault {
        at_ms,
        duration_ms,
        kind: fk,
    })
}
