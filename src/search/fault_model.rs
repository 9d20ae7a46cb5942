//! Fault model arithmetic: which faults a property tolerates, and how many brokers may be down at once.

use super::*;

/// How many brokers a fault takes down while it lasts, counted conservatively: a crash,
/// crash-leader or isolate-leader takes one; power loss its brokers; a partition every broker
/// cut off from the controller's side (or, when the controller is not named, every broker
/// outside the largest group of brokers); a slow link or lost responses none.
pub(crate) fn brokers_down(kind: &FaultKind) -> u32 {
    match kind {
        FaultKind::Crash { .. } | FaultKind::CrashLeader { .. } | FaultKind::IsolateLeader { .. } => 1,
        FaultKind::PowerLoss { brokers } => {
            let mut b = brokers.clone();
            b.sort_unstable();
            b.dedup();
            b.len() as u32
        }
        FaultKind::Partition { groups, .. } => {
            let brokers_in = |g: &Vec<Node>| g.iter().filter(|n| matches!(n, Node::Broker(_))).count() as u32;
            let total: u32 = groups.iter().map(brokers_in).sum();
            let main = groups
                .iter()
                .find(|g| g.contains(&Node::Controller))
                .map(brokers_in)
                .unwrap_or_else(|| groups.iter().map(brokers_in).max().unwrap_or(0));
            total - main
        }
        FaultKind::SlowLink { .. } | FaultKind::LoseResponses { .. } | FaultKind::ProducerCrash { .. } => 0,
    }
}

/// `replication_factor - min_insync_replicas` (0 when min ISR exceeds RF).
pub(crate) fn down_budget(spec: &RunSpec) -> u32 {
    spec.cluster
        .replication_factor
        .saturating_sub(spec.cluster.min_insync_replicas)
}

/// Brokers that lose power in the run, counted once per power-loss fault naming them.
pub fn power_losses(spec: &RunSpec) -> u32 {
    spec.faults
        .iter()
        .map(|f| match &f.kind {
            FaultKind::PowerLoss { .. } => brokers_down(&f.kind),
            _ => 0,
        })
        .sum()
}

/// Drops every power-loss fault, in start order, that would bring the run's power losses
/// ([`power_losses`]) above `budget`.
pub fn limit_power_losses(spec: &mut RunSpec, budget: u32) {
    let mut used = 0;
    spec.faults.retain(|f| match &f.kind {
        FaultKind::PowerLoss { .. } => {
            let n = brokers_down(&f.kind);
            let keep = used + n <= budget;
            if keep {
                used += n;
            }
            keep
        }
        _ => true,
    });
}

/// End of a fault, milliseconds: its duration, or the end of the production window.
fn fault_end_ms(f: &Fault, window_ms: u64) -> u64 {
    f.duration_ms.map_or(window_ms, |d| (f.at_ms + d).min(window_ms))
}

/// The most brokers the schedule takes down at the same time (`brokers_down`).
pub fn most_down_at_once(spec: &RunSpec) -> u32 {
    let mut most = 0;
    for f in &spec.faults {
        let down: u32 = spec
            .faults
            .iter()
            .filter(|g| g.at_ms <= f.at_ms && fault_end_ms(g, spec.duration_ms) > f.at_ms)
            .map(|g| brokers_down(&g.kind))
            .sum();
        most = most.max(down);
    }
    most
}

/// Makes a drawn schedule valid for `spec`: targets folded onto the cluster's brokers and
/// partitions, start times into the production window, faults sorted by start, and, with a
/// `budget`, every fault dropped that would take more than `budget` brokers down at once.
pub fn normalize_faults(spec: &mut RunSpec, budget: Option<u32>) {
    let brokers = spec.cluster.brokers.max(1);
    let partitions = spec.cluster.partitions.max(1);
    let window = spec.duration_ms.max(1);
    let producers: Vec<String> = spec.producer_list().into_iter().map(|p| p.name).collect();
    // A leader fault's partition folds into its topic's partitions (the cluster's without one).
    let topics = spec.topic_list();
    let topic_partitions = |topic: &Option<String>| match topic {
        Some(name) => topics
            .iter()
            .find(|t| t.name == *name)
            .map_or(partitions, |t| t.partitions.max(1)),
        None => partitions,
    };
    let fold = |n: &Node| match n {
        Node::Broker(b) => Node::Broker(b % brokers),
        other => other.clone(),
    };
    let mut faults: Vec<Fault> = std::mem::take(&mut spec.faults)
        .into_iter()
        .filter_map(|mut f| {
            f.at_ms %= window;
            f.kind = match f.kind {
                FaultKind::Crash { broker } => FaultKind::Crash {
                    broker: broker % brokers,
                },
                FaultKind::PowerLoss { brokers: bs } => {
                    let mut bs: Vec<u32> = bs.iter().map(|b| b % brokers).collect();
                    bs.sort_unstable();
                    bs.dedup();
                    FaultKind::PowerLoss { brokers: bs }
                }
                // A producer the configuration does not have: its first.
                FaultKind::ProducerCrash { producer } => FaultKind::ProducerCrash {
                    producer: if producers.contains(&producer) {
                        producer
                    } else {
                        producers[0].clone()
                    },
                },
                FaultKind::CrashLeader { topic, partition } => FaultKind::CrashLeader {
                    partition: partition % topic_partitions(&topic),
                    topic,
                },
                FaultKind::IsolateLeader { topic, partition } => FaultKind::IsolateLeader {
                    partition: partition % topic_partitions(&topic),
                    topic,
                },
                FaultKind::Partition { groups, one_way } => {
                    // Fold, then keep each node in its first group only.
                    let mut seen: Vec<Node> = Vec::new();
                    let groups: Vec<Vec<Node>> = groups
                        .iter()
                        .map(|g| {
                            let mut out = Vec::new();
                            for n in g.iter().map(fold) {
                                if !seen.contains(&n) {
                                    seen.push(n.clone());
                                    out.push(n);
                                }
                            }
                            out
                        })
                        .filter(|g| !g.is_empty())
                        .collect();
                    if groups.len() < 2 {
                        return None; // nothing is cut
                    }
                    FaultKind::Partition { groups, one_way }
                }
                FaultKind::SlowLink {
                    from,
                    to,
                    extra_latency_ms,
                    bandwidth_factor,
                } => {
                    let (from, to) = (fold(&from), fold(&to));
                    if from == to {
                        return None;
                    }
                    FaultKind::SlowLink {
                        from,
                        to,
                        extra_latency_ms,
                        bandwidth_factor,
                    }
                }
                k @ FaultKind::LoseResponses { .. } => k,
            };
            Some(f)
        })
        .collect();
    faults.sort_by_key(|f| f.at_ms);
    if let Some(budget) = budget {
        let mut kept: Vec<Fault> = Vec::with_capacity(faults.len());
        for f in faults {
            // Kept faults all start no later than `f`: the overlap is largest at f's start.
            let down_now: u32 = kept
                .iter()
                .filter(|g| fault_end_ms(g, window) > f.at_ms)
                .map(|g| brokers_down(&g.kind))
                .sum();
            if down_now + brokers_down(&f.kind) <= budget {
                kept.push(f);
            }
        }
        faults = kept;
    }
    spec.faults = faults;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_ms: u64, kind: FaultKind) -> Fault {
        Fault {
            at_ms,
            duration_ms: Some(100),
            kind,
        }
    }

    /// Power losses are counted per broker, and the limit drops the later ones whole, leaving
    /// every other fault.
    #[test]
    fn the_power_loss_budget_drops_later_power_losses() {
        let mut spec = RunSpec {
            faults: vec![
                at(10, FaultKind::PowerLoss { brokers: vec![0, 1] }),
                at(20, FaultKind::Crash { broker: 2 }),
                at(30, FaultKind::PowerLoss { brokers: vec![2] }),
                at(40, FaultKind::PowerLoss { brokers: vec![1] }),
            ],
            ..RunSpec::default()
        };
        assert_eq!(power_losses(&spec), 4);
        let mut one = spec.clone();
        limit_power_losses(&mut one, 1);
        let starts: Vec<u64> = one.faults.iter().map(|f| f.at_ms).collect();
        assert_eq!(starts, vec![20, 30], "the two-broker loss does not fit a budget of 1");
        assert_eq!(power_losses(&one), 1);
        limit_power_losses(&mut spec, 3);
        assert_eq!(power_losses(&spec), 3);
        assert_eq!(spec.faults.len(), 3);
    }
}
