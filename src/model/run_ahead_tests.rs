//! The clients' run-ahead ([`World::run_ahead`]) is a fast path, not an approximation: a run
//! whose clients each run ahead of the events that cannot touch them is event for event the
//! run in which every arrival happens in time order with every event and every other client's
//! arrivals (a lookahead of 0). Several producers on shared and separate machines, constant
//! arrivals (simultaneous across clients) and Poisson ones, keys, a buffer pool that blocks
//! `send()`, a producer crash, a leader crash and a slow link.

use super::*;
use crate::scenario::Scenario;
use std::path::Path;

/// Producers of three kinds on two topics: two sharing a machine (constant arrivals, in step
/// with each other), two with keys and Poisson arrivals whose `send()` blocks on a small
/// buffer pool, one more on its own machine; faults that touch a producer, a leader and a link.
const MIXED: &str = r#"
duration_ms = 1500
seeds = 2
[producer]
acks = "all"
linger_ms = 2
batch_size = 4096
[cluster]
brokers = 3
replication_factor = 3
min_insync_replicas = 2
[network]
latency_ms = 0.2
latency_jitter = 0.5
bandwidth_mbps = 1000
[workload]
rate = 40000
record_bytes = 100
[[topics]]
name = "a"
partitions = 3
[[topics]]
name = "b"
partitions = 4
[[producers]]
name = "p"
topic = "a"
count = 2
host = "m1"
[[producers]]
name = "q"
topic = "b"
count = 2
[producers.producer]
buffer_memory = 60000
max_block_ms = 50
[producers.workload]
arrival = "poisson"
keys = 50
rate = 80000
[[producers]]
name = "r"
topic = "b"
[[faults]]
at_ms = 300
kind = "producer-crash"
producer = "q-1"
duration_ms = 300
[[faults]]
at_ms = 500
kind = "crash-leader"
partition = 1
duration_ms = 300
[[faults]]
at_ms = 900
kind = "slow-link"
from = "m1"
to = "b0"
extra_latency_ms = 3.0
bandwidth_factor = 0.5
duration_ms = 200
"#;

fn specs(sc: Scenario, sets: &[&str]) -> Vec<RunSpec> {
    let mut sc = sc;
    for s in sets {
        sc.apply_set(s).unwrap_or_else(|e| panic!("{e}"));
    }
    sc.expand().unwrap().into_iter().map(|p| p.spec).collect()
}

fn shipped(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A run with `lookahead` (`None`: the run's own), and how many inline runs of arrivals it made.
fn run(spec: &RunSpec, lookahead: Option<SimTime>) -> (RunOutput, u64) {
    let mut w = World::new(spec, None);
    let l = lookahead.unwrap_or_else(|| w.lookahead());
    let runs = w.run_loop_with(l);
    (w.finish(), runs)
}

fn assert_same_as_in_time_order(spec: &RunSpec) -> (u64, u64) {
    let (fast, fast_runs) = run(spec, None);
    let (slow, slow_runs) = run(spec, Some(0));
    let what = format!("{} producers, seed {}", fast.producers.len(), spec.seed);
    assert!(fast.result.aborted.is_none(), "{what}: {:?}", fast.result.aborted);
    assert_eq!(
        fast.result.digest, slow.result.digest,
        "{what}: the event streams differ"
    );
    assert_eq!(fast.result, slow.result, "{what}");
    for (f, s) in fast.producers.iter().zip(&slow.producers) {
        assert_eq!(
            (&f.result, &f.sent),
            (&s.result, &s.sent),
            "{what}: producer {}",
            f.name
        );
    }
    (fast_runs, slow_runs)
}

#[test]
fn running_ahead_changes_nothing_with_mixed_producers_and_faults() {
    let specs = specs(Scenario::parse_str(MIXED, Path::new("mixed.toml")).unwrap(), &[]);
    assert_eq!(specs.len(), 2);
    for spec in &specs {
        let (fast, slow) = assert_same_as_in_time_order(spec);
        assert!(
            fast * 2 < slow,
            "the fast path runs ahead: {fast} inline runs against {slow}"
        );
    }
}

/// acks=1 and acks=0 (a broker that fails an acks=0 request closes the connection at a time
/// the producer cannot know: such a producer never runs ahead of the brokers' events), with
/// the leader crash making the brokers fail requests.
#[test]
fn running_ahead_changes_nothing_with_acks_1_and_0() {
    for acks in ["producer.acks=1", "producer.acks=0"] {
        let mixed = Scenario::parse_str(MIXED, Path::new("mixed.toml")).unwrap();
        for spec in &specs(mixed, &[acks, "seeds=1"]) {
            assert_same_as_in_time_order(spec);
        }
    }
}

/// Compressed batches, whose fullness follows the compression ratio's estimate: arrivals wait
/// until due by their own bound (`Accumulator::quiet_appends`).
#[test]
fn running_ahead_changes_nothing_with_compression() {
    for codec in ["producer.compression_type=lz4", "producer.compression_type=zstd"] {
        let mixed = Scenario::parse_str(MIXED, Path::new("mixed.toml")).unwrap();
        let mut all = specs(mixed, &[codec, "seeds=1"]);
        all.extend(specs(shipped("bench-e.toml"), &[codec, "duration_ms=200"]));
        for spec in &all {
            assert_same_as_in_time_order(spec);
        }
    }
}

/// Consumers: one on the machine two producers share (no client runs ahead then), and a group
/// of two on machines of their own.
#[test]
fn running_ahead_changes_nothing_with_consumers() {
    for (extra, ahead) in [
        ("[[consumers]]\nname = \"c\"\ncount = 2\n", true),
        (
            "[[consumers]]\nname = \"c\"\ncount = 2\n[[consumers]]\nname = \"d\"\nhost = \"m1\"\n",
            false,
        ),
    ] {
        let text = MIXED.replacen("[[faults]]", &format!("{extra}[[faults]]"), 1);
        let spec = &specs(Scenario::parse_str(&text, Path::new("mixed.toml")).unwrap(), &[])[0];
        assert!(!spec.consumers.is_empty());
        let (fast, slow) = assert_same_as_in_time_order(spec);
        assert_eq!(fast < slow, ahead, "{fast} inline runs against {slow}");
    }
}

#[test]
fn running_ahead_changes_nothing_in_the_shipped_many_producer_scenarios() {
    let mut all = specs(shipped("many-producers.toml"), &["duration_ms=300"]);
    all.extend(specs(shipped("bench-e.toml"), &["duration_ms=200"]));
    assert_eq!(all.len(), 9);
    for spec in &all {
        assert_same_as_in_time_order(spec);
    }
}

/// The lookahead is the network's least one-way latency: a lookahead past it lets a client
/// run past an answer that reaches it sooner, and the run changes (the check above can fail).
#[test]
fn a_lookahead_beyond_the_network_latency_breaks_causality() {
    for (scenario, duration) in [
        ("bench-a.toml", "duration_ms=200"),
        ("many-producers.toml", "duration_ms=200"),
    ] {
        let spec = &specs(shipped(scenario), &[duration])[0];
        let honest = run(spec, None).0.result.digest;
        let latency = ms(1) / 10; // 0.1 ms one way
        let (reckless, _) = run(spec, Some(latency * 20));
        assert_ne!(reckless.result.digest, honest, "{scenario}");
    }
}

/// Arrivals wait until they are due ([`Client::quiet_until`]): made due later than that, a
/// client's waiting arrivals fill a batch and queue its sender's wake-up in the past. The run
/// then stops on the check that waiting arrivals queue nothing, or (release builds) runs an
/// event late and changes.
#[test]
fn arrivals_that_wait_past_their_due_time_break_the_run() {
    let spec = &specs(shipped("bench-e.toml"), &["duration_ms=200"])[0];
    let honest = run(spec, None).0;
    assert!(honest.result.aborted.is_none());
    let mut w = World::new(spec, None);
    w.due_slack = ms(1);
    let l = w.lookahead();
    let late = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        w.run_loop_with(l);
        w.finish().result.digest
    }));
    match late {
        Ok(digest) => assert_ne!(digest, honest.result.digest),
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            assert!(
                what.contains("arrivals that waited queue nothing") || what.contains("event_now"),
                "{what}"
            );
        }
    }
}
