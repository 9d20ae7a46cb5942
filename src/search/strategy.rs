//! Strategies (proptest): configurations and fault schedules as data, so shrinking simplifies them.

use super::*;

/// Who stays with the isolated brokers of a drawn `partition` fault.
#[derive(Clone, Copy, Debug)]
enum PartitionShape {
    /// Isolated from the other brokers, the controller and the producer.
    Everyone,
    /// The producer still reaches the isolated brokers (a zombie leader keeps its clients).
    ProducerWithIsolated,
    /// Only replication is cut: everyone still reaches the controller and the producer.
    BrokersOnly,
}

/// One fault kind, targets drawn over [`RAW_BROKERS`] brokers and any partition index
/// (folded later by [`normalize_faults`]).
pub(crate) fn arb_fault_kind(kind: FaultType) -> BoxedStrategy<FaultKind> {
    let broker = 0..RAW_BROKERS;
    let partition = 0u32..16;
    match kind {
        FaultType::Crash => broker.prop_map(|broker| FaultKind::Crash { broker }).boxed(),
        FaultType::PowerLoss => proptest::collection::vec(broker, 1..=2)
            .prop_map(|brokers| FaultKind::PowerLoss { brokers })
            .boxed(),
        FaultType::CrashLeader => partition.prop_map(FaultKind::crash_leader).boxed(),
        FaultType::IsolateLeader => partition.prop_map(FaultKind::isolate_leader).boxed(),
        // A set of brokers cut off from the rest of the cluster: with the controller and the
        // producer on the other side, with the producer on the isolated side (a zombie leader
        // keeps its clients), or between brokers only (replication is cut, the controller
        // still sees everyone). Both ways, or only from the isolated side.
        FaultType::Partition => (
            proptest::collection::vec(broker, 1..=2),
            prop_oneof![
                Just(PartitionShape::Everyone),
                Just(PartitionShape::ProducerWithIsolated),
                Just(PartitionShape::BrokersOnly)
            ],
            prop::bool::weighted(0.2),
        )
            .prop_map(|(isolated, shape, one_way)| {
                let mut side: Vec<Node> = isolated.into_iter().map(Node::Broker).collect();
                let mut rest: Vec<Node> = (0..RAW_BROKERS)
                    .map(Node::Broker)
                    .filter(|n| !side.contains(n))
                    .collect();
                match shape {
                    PartitionShape::Everyone => rest.extend([Node::Controller, Node::Producer]),
                    PartitionShape::ProducerWithIsolated => {
                        side.push(Node::Producer);
                        rest.push(Node::Controller);
                    }
                    PartitionShape::BrokersOnly => {}
                }
                FaultKind::Partition {
                    groups: vec![side, rest],
                    one_way,
                }
            })
            .boxed(),
        FaultType::SlowLink => (broker, 1u32..=50, prop_oneof![Just(1.0), Just(0.1), Just(0.01)])
            .prop_map(|(b, extra_100ms, bandwidth_factor)| FaultKind::SlowLink {
                from: Node::Producer,
                to: Node::Broker(b),
                extra_latency_ms: extra_100ms as f64 * 100.0,
                bandwidth_factor,
            })
            .boxed(),
        // The first producer (`normalize_faults` folds any name onto the configuration's).
        FaultType::ProducerCrash => Just(FaultKind::ProducerCrash {
            producer: "default".into(),
        })
        .boxed(),
        FaultType::LoseResponses => (1u32..=50)
            .prop_map(|pct| FaultKind::LoseResponses {
                probability: pct as f64 / 100.0,
            })
            .boxed(),
    }
}

/// One scheduled fault of one of `kinds`, starting within `window_ms`, lasting 100 ms to the
/// whole window. Shrinks towards earlier, shorter faults of simpler kinds.
pub(crate) fn arb_fault(kinds: &[FaultType], window_ms: u64) -> BoxedStrategy<Fault> {
    assert!(!kinds.is_empty(), "a fault schedule needs at least one fault kind");
    let kind = proptest::strategy::Union::new(kinds.iter().map(|&k| arb_fault_kind(k)));
    let window_ms = window_ms.max(1);
    (0..window_ms, 100..=window_ms.max(100), kind)
        .prop_map(|(at_ms, duration_ms, kind)| Fault {
            at_ms,
            duration_ms: Some(duration_ms),
            kind,
        })
        .boxed()
}

/// Longest gap, milliseconds, between a fault and the one drawn to start right after it heals.
pub(crate) const CHAIN_GAP_MS: u64 = 20;

/// Share of drawn faults (after the first) that start right after the previous one heals.
const CHAIN_SHARE: f64 = 0.3;

/// A fault schedule as data: up to `max_faults` faults of `kinds`. Shrinking drops faults,
/// shortens them and moves them earlier.
///
/// About a third of the faults after the first are *chained*: they start 0 to
/// [`CHAIN_GAP_MS`] after the previous fault heals, as Jepsen's nemeses do ("heal, then strike
/// again"). Start times drawn uniformly almost never land in the few milliseconds between a
/// broker's restart and its catching up, where races such as KIP-101's scenario 1 live (a
/// follower truncates to its high watermark on restart, then the leader dies before it has
/// fetched again). A chained fault keeps its place when shrinking shortens the one before it.
pub fn arb_faults(kinds: &[FaultType], window_ms: u64, max_faults: usize) -> BoxedStrategy<Vec<Fault>> {
    if kinds.is_empty() || max_faults == 0 {
        return Just(Vec::new()).boxed();
    }
    let window_ms = window_ms.max(1);
    let one = (
        arb_fault(kinds, window_ms),
        prop::option::weighted(CHAIN_SHARE, 0..=CHAIN_GAP_MS),
    );
    proptest::collection::vec(one, 0..=max_faults)
        .prop_map(move |drawn| chain_faults(drawn, window_ms))
        .boxed()
}

/// Moves each fault drawn with a gap to `gap` ms after the previous fault heals (when that is
/// inside the production window; otherwise it keeps its own start).
fn chain_faults(drawn: Vec<(Fault, Option<u64>)>, window_ms: u64) -> Vec<Fault> {
    let mut out: Vec<Fault> = Vec::with_capacity(drawn.len());
    for (mut f, gap) in drawn {
        let healed = out.last().and_then(|p| p.duration_ms.map(|d| p.at_ms + d));
        if let (Some(gap), Some(healed)) = (gap, healed) {
            if healed + gap < window_ms {
                f.at_ms = healed + gap;
            }
        }
        out.push(f);
    }
    out
}

/// A random producer, cluster, network and workload configuration on top of `base` (which
/// gives duration, settle time and everything not drawn). Always valid (`RunSpec::validate`).
/// Sized for tests: 3 to 5 brokers, 1 to 3 partitions, 1000 to 10000 records/s.
pub fn arb_config(base: RunSpec) -> BoxedStrategy<RunSpec> {
    let producer = (
        prop_oneof![Just(Acks::All), Just(Acks::One), Just(Acks::Zero)],
        prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
        1u32..=5,
        0u64..=50,
        prop_oneof![Just(16_384u32), 256u32..=65_536],
        prop_oneof![
            Just(SendMode::Async),
            Just(SendMode::Sync),
            Just(SendMode::FireAndForget)
        ],
        prop_oneof![Just(30_000u64), 500u64..=30_000],
        prop::option::of(0u64..=30_000),
        prop_oneof![Just(i32::MAX as u32), 0u32..=3],
        prop_oneof![Just(None), (65_536u64..=1_048_576, 0u64..=2_000).prop_map(Some)],
    );
    let cluster = (
        3u32..=5,
        1u32..=3,
        1u32..=5,
        1u32..=3,
        prop::bool::weighted(0.2),
        prop_oneof![Just(30_000u64), 1_000u64..=20_000],
        prop::bool::weighted(0.8),
    );
    let workload = (
        1_000u32..=10_000,
        prop_oneof![Just(Arrival::Constant), Just(Arrival::Poisson)],
        prop_oneof![Just(0u32), 1u32..=100],
        prop_oneof![Just(100u32), 10u32..=1_000],
        1u32..=4,
        prop_oneof![Just(0.5f64), Just(2.0), Just(10.0)],
    );
    (producer, cluster, workload)
        .prop_map(move |(p, c, w)| {
            let mut s = base.clone();
            let (acks, idem, in_flight, linger, batch, mode, request_timeout, delivery_extra, retries, memory) = p;
            let pc = &mut s.producer;
            pc.acks = acks;
            pc.retries = retries;
            // enable_idempotence = true needs acks = all and retries > 0 (a ConfigException).
            pc.enable_idempotence = match idem {
                Some(true) if acks != Acks::All || retries == 0 => None,
                other => other,
            };
            pc.max_in_flight_requests_per_connection = in_flight;
            pc.linger_ms = linger;
            pc.batch_size = batch;
            pc.send_mode = mode;
            pc.request_timeout_ms = request_timeout;
            pc.delivery_timeout_ms = delivery_extra.map(|x| linger + request_timeout + x);
            if let Some((buffer, block)) = memory {
                pc.buffer_memory = buffer;
                pc.max_block_ms = block;
                pc.batch_size = pc.batch_size.min(buffer as u32);
            }
            let (brokers, partitions, rf, min_isr, unclean, lag, hw_rule) = c;
            let cc = &mut s.cluster;
            cc.brokers = brokers;
            cc.partitions = partitions;
            cc.replication_factor = rf.min(brokers);
            cc.min_insync_replicas = min_isr.min(cc.replication_factor);
            cc.unclean_leader_election_enable = unclean;
            cc.replica_lag_time_max_ms = lag;
            cc.hw_requires_min_isr = hw_rule;
            let (rate, arrival, keys, record_bytes, threads, latency) = w;
            s.workload.rate = rate as f64;
            s.workload.arrival = arrival;
            s.workload.keys = keys;
            s.workload.record_bytes = record_bytes;
            s.workload.threads = threads;
            s.network.latency_ms = latency;
            s
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crash(at_ms: u64, duration_ms: u64) -> Fault {
        Fault {
            at_ms,
            duration_ms: Some(duration_ms),
            kind: FaultKind::Crash { broker: 0 },
        }
    }

    /// A chained fault starts its gap after the previous one (in draw order) heals; an
    /// unchained one keeps its start, and so does a chained one that would start past the
    /// window.
    #[test]
    fn chained_faults_start_right_after_the_previous_heals() {
        let out = chain_faults(
            vec![
                (crash(1_000, 500), Some(7)),
                (crash(9_000, 100), Some(4)),
                (crash(3_000, 200), None),
                (crash(2_000, 9_000), Some(0)),
                (crash(4_000, 100), Some(3)),
            ],
            10_000,
        );
        let starts: Vec<u64> = out.iter().map(|f| f.at_ms).collect();
        // The first has no predecessor; 1000 + 500 + 4; unchained; 3000 + 200 + 0; 3200 + 9000
        // + 3 is past the window.
        assert_eq!(starts, vec![1_000, 1_504, 3_000, 3_200, 4_000]);
    }
}
