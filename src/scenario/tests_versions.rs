//! Kafka releases as keys: `cluster.kafka_version` and `producer.client_version` set every key
//! with a history that the scenario does not set itself; versions are strings.

use std::path::Path;

use super::keys::{get_key, set_key};
use super::*;
use crate::config::versions::{history_keys, value_at, KafkaVersion, DEFAULT_VERSION, HISTORY, RELEASES};
use crate::config::{Acks, FollowerTruncation};

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse_str(text, Path::new("scenarios/x.toml"))
}

fn specs(text: &str, sets: &[&str]) -> Vec<RunSpec> {
    let mut sc = parse(text).unwrap();
    for s in sets {
        sc.apply_set(s).unwrap();
    }
    sc.expand().unwrap().into_iter().map(|p| p.spec).collect()
}

fn toml_value(lit: &str) -> Value {
    toml::from_str::<toml::Table>(&format!("v = {lit}"))
        .unwrap()
        .remove("v")
        .unwrap()
}

#[test]
fn every_history_value_is_a_valid_value_of_its_key() {
    for c in HISTORY {
        let mut spec = RunSpec::default();
        set_key(&mut spec, c.key, &toml_value(c.value)).unwrap_or_else(|e| panic!("{} = {}: {e}", c.key, c.value));
    }
}

/// The default release changes nothing: its values are the knob table's defaults.
#[test]
fn the_default_release_is_the_knob_tables_defaults() {
    let default = RunSpec::default();
    let v = KafkaVersion::parse(DEFAULT_VERSION).unwrap();
    assert_eq!(default.cluster.kafka_version, v);
    for key in history_keys() {
        let mut at = RunSpec::default();
        set_key(&mut at, key, &toml_value(value_at(key, v).unwrap())).unwrap();
        assert_eq!(get_key(&at, key), get_key(&default, key), "{key} at {DEFAULT_VERSION}");
    }
    assert_eq!(specs("", &[])[0], default);
}

#[test]
fn a_release_sets_what_the_scenario_does_not() {
    let s = &specs("[cluster]\nkafka_version = \"0.10\"\n[producer]\nlinger_ms = 5\n", &[])[0];
    assert_eq!(s.cluster.follower_truncation, FollowerTruncation::HighWatermark);
    assert!(s.cluster.unclean_leader_election_enable);
    assert!(!s.cluster.hw_requires_min_isr);
    assert_eq!(s.cluster.replica_lag_time_max_ms, 10_000);
    assert_eq!(s.cluster.broker_session_timeout_ms, 6_000);
    // The client follows the cluster's release.
    assert_eq!(s.producer.acks, Acks::One);
    assert_eq!(s.producer.retries, 0);
    assert!(!s.producer.idempotence());
    // An explicit key wins, even at the default's value.
    assert_eq!(s.producer.linger_ms, 5);
}

#[test]
fn the_release_lines_in_between() {
    let at = |v: &str| specs("", &[&format!("cluster.kafka_version={v}")]).remove(0);
    assert_eq!(
        at("0.11").cluster.follower_truncation,
        FollowerTruncation::LeaderEpochSingleRound
    );
    assert!(!at("0.11").cluster.unclean_leader_election_enable);
    assert_eq!(at("2.0").cluster.follower_truncation, FollowerTruncation::LeaderEpoch);
    assert_eq!(at("2.8").cluster.broker_session_timeout_ms, 18_000);
    assert!(!at("2.1").cluster.broker_bounce_detection);
    assert!(at("2.2").cluster.broker_bounce_detection);
    assert!(!at("3.6").cluster.hw_requires_min_isr);
    assert!(at("3.7").cluster.hw_requires_min_isr);
    assert_eq!(at("3.6").producer.linger_ms, 0);
    assert!(at("3.6").producer.idempotence());
    assert!(!at("3.1").producer.idempotence(), "3.1.0's default did not take effect");
    assert!(!at("4.0").cluster.eligible_leader_replicas_enable);
    assert!(at("4.1").cluster.eligible_leader_replicas_enable);
    assert_eq!(at("4.1").producer.linger_ms, 5);
}

#[test]
fn the_client_release_decides_the_producers_keys_only() {
    let s = specs("", &["producer.client_version=2.0"]).remove(0);
    assert_eq!(
        (s.producer.acks, s.producer.linger_ms, s.producer.retries),
        (Acks::One, 0, 0)
    );
    assert_eq!(
        s.cluster.follower_truncation,
        FollowerTruncation::LeaderEpoch,
        "the cluster is 4.0"
    );
    let s = specs("", &["cluster.kafka_version=0.10", "producer.client_version=4.0"]).remove(0);
    assert_eq!((s.producer.acks, s.producer.linger_ms), (Acks::All, 5));
    assert!(s.cluster.unclean_leader_election_enable);
}

#[test]
fn set_reads_versions_as_typed_never_as_numbers() {
    for typed in ["0.10", "\"0.10\"", "'0.10'"] {
        let s = specs("", &[&format!("cluster.kafka_version={typed}")]).remove(0);
        assert_eq!(s.cluster.kafka_version.as_str(), "0.10", "{typed}");
    }
    let runs = specs("", &["cluster.kafka_version=[0.10, 4.0]"]);
    let v: Vec<String> = runs.iter().map(|s| s.cluster.kafka_version.as_str()).collect();
    assert_eq!(v, ["0.10", "4.0"]);
    assert!(runs[0].cluster.unclean_leader_election_enable && !runs[1].cluster.unclean_leader_election_enable);
    let mut sc = parse("").unwrap();
    let e = sc.apply_set("cluster.kafka_version=0.1").unwrap_err();
    assert!(e.message.contains("0.10") && e.message.contains("4.1"), "{e}");
}

#[test]
fn an_unquoted_version_in_toml_says_to_quote_it() {
    let e = parse("[cluster]\n\nkafka_version = 0.10\n").unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("cluster.kafka_version")),
        "{e}"
    );
    assert!(e.message.contains("in quotes") && e.message.contains("0.1"), "{e}");
    let e = parse("[sweep]\n\"cluster.kafka_version\" = [\"0.10\", 4.0]\n").unwrap_err();
    assert!(e.message.contains("in quotes"), "{e}");
    let e = parse("[cluster]\nkafka_version = \"5.0\"\n").unwrap_err();
    assert!(e.message.contains(RELEASES[0]), "{e}");
}

/// A swept release applies per run point, and a swept key of its history stays the sweep's.
#[test]
fn a_swept_release_applies_per_point_and_explicit_sweeps_win() {
    let text = "[sweep]\n\"cluster.kafka_version\" = [\"0.10\", \"4.0\"]\n\"producer.linger_ms\" = [0, 20]\n";
    let runs = specs(text, &[]);
    let got: Vec<(String, u64, bool)> = runs
        .iter()
        .map(|s| {
            (
                s.cluster.kafka_version.as_str(),
                s.producer.linger_ms,
                s.cluster.unclean_leader_election_enable,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("0.10".into(), 0, true),
            ("0.10".into(), 20, true),
            ("4.0".into(), 0, false),
            ("4.0".into(), 20, false)
        ]
    );
    // The search starts from the same configuration a run gets.
    let sc = parse("[cluster]\nkafka_version = \"0.10\"\n").unwrap();
    assert!(sc.base_spec().cluster.unclean_leader_election_enable);
    assert_eq!(sc.base_spec(), specs("[cluster]\nkafka_version = \"0.10\"\n", &[])[0]);
}

/// A report's `scenario.toml` runs the same runs: keys left to the release stay left to it
/// (a swept release included), keys the scenario set stay set.
#[test]
fn the_effective_scenario_keeps_release_defaults_to_the_release() {
    for text in [
        "[cluster]\nkafka_version = \"0.10\"\n[producer]\nbatch_size = 1000\n",
        "[sweep]\n\"cluster.kafka_version\" = [\"0.10\", \"3.6\", \"4.1\"]\n[producer]\nlinger_ms = 7\n",
    ] {
        let sc = parse(text).unwrap();
        let again = parse(&sc.effective_toml()).unwrap_or_else(|e| panic!("{e}\n{}", sc.effective_toml()));
        let a: Vec<RunSpec> = sc.expand().unwrap().into_iter().map(|p| p.spec).collect();
        let b: Vec<RunSpec> = again.expand().unwrap().into_iter().map(|p| p.spec).collect();
        assert_eq!(a, b, "{}", sc.effective_toml());
    }
}
