//! Scenario file errors: each names the file, the line and the key, and says what is allowed.

use super::tests::{assert_err, err, parse};
use crate::config::{FaultKind, Node};

#[test]
fn error_unknown_key() {
    let e = err("[producer]\nacks = \"all\"\nlingr_ms = 5\n");
    assert_err(&e, 3, "producer.lingr_ms");
    assert!(e.message.contains("producer.linger_ms"), "{e}");
    // A key in the wrong section points to the right one.
    let e = err("[producer]\nmin_insync_replicas = 2\n");
    assert_err(&e, 2, "producer.min_insync_replicas");
    assert!(e.message.contains("cluster.min_insync_replicas"), "{e}");
    let e = err("\nlinger_ms = 5\n");
    assert_err(&e, 2, "linger_ms");
    assert!(e.message.contains("[producer]"), "{e}");
}

#[test]
fn error_wrong_type() {
    let e = err("[producer]\nlinger_ms = \"5\"\n");
    assert_err(&e, 2, "producer.linger_ms");
    assert!(e.message.contains("expected integer"), "{e}");
    let e = err("[producer]\n\nlinger_ms = 5.5\n");
    assert_err(&e, 3, "producer.linger_ms");
    let e = err("[cluster]\nunclean_leader_election_enable = 1\n");
    assert_err(&e, 2, "cluster.unclean_leader_election_enable");
    let e = err("[producer]\nacks = \"2\"\n");
    assert_eq!(
        e.to_string(),
        "scenarios/x.toml:2: `producer.acks`: expected one of \"0\", \"1\", \"all\"; got \"2\""
    );
    // Float keys accept integers.
    assert_eq!(parse("[workload]\nrate = 5\n").unwrap().base.workload.rate, 5.0);
}

#[test]
fn error_out_of_range() {
    let e = err("[cluster]\nbrokers = 65\n");
    assert_err(&e, 2, "cluster.brokers");
    assert!(e.message.contains("from 1 to 64"), "{e}");
    assert_err(&err("[network]\nbandwidth_mbps = 0\n"), 2, "network.bandwidth_mbps");
    assert_err(&err("[network]\nlatency_ms = -1\n"), 2, "network.latency_ms");
    assert_err(&err("[workload]\nrate = 0\n"), 2, "workload.rate");
    assert_err(&err("[workload]\nrate = nan\n"), 2, "workload.rate");
    assert_err(
        &err("[producer]\nmax_in_flight_requests_per_connection = 0\n"),
        2,
        "producer.max_in_flight_requests_per_connection",
    );
    assert_err(&err("duration_ms = 0\n"), 1, "duration_ms");
    // 0 is a valid batch size.
    assert_eq!(
        parse("[producer]\nbatch_size = 0\n").unwrap().base.producer.batch_size,
        0
    );
    // Sweep values are checked too, on their own line.
    let e = err("[sweep]\n\"producer.linger_ms\" = [\n  0,\n  -5,\n]\n");
    assert_err(&e, 4, "producer.linger_ms");
}

#[test]
fn error_unknown_section() {
    let e = err("seeds = 1\n\n[producr]\nacks = \"all\"\n");
    assert_err(&e, 3, "producr");
    assert!(e.message.contains("unknown section"), "{e}");
    assert!(e.message.contains("`producer`"), "{e}");
    let e = err("[[expects]]\nlost_acked = 0\n");
    assert_err(&e, 1, "expects");
    assert!(e.message.contains("unknown section [[expects]]"), "{e}");
    assert!(e.message.contains("`expect`"), "{e}");
}

#[test]
fn error_toml_syntax() {
    let e = err("seeds = 1\n[producer]\nacks = \"all\nlinger_ms = 5\n");
    assert_eq!(e.file, "scenarios/x.toml");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(
        e.to_string().starts_with("scenarios/x.toml:3: TOML syntax error"),
        "{e}"
    );
    let e = err("[producer]\nacks = \"all\"\nacks = \"1\"\n");
    assert!(e.line.is_some(), "{e}");
    assert!(e.to_string().contains("TOML syntax error"), "{e}");
}

#[test]
fn error_impossible_combination() {
    let text = "[producer]\nacks = \"1\"\nenable_idempotence = true\n";
    let e = err(text);
    assert_err(&e, 3, "producer.enable_idempotence");
    assert!(e.message.contains("acks"), "{e}");
    // Only some sweep points are invalid: still an error, naming the point.
    let text = "[producer]\nenable_idempotence = true\n[sweep]\n\"producer.acks\" = [\"all\", \"1\"]\n";
    let e = err(text);
    assert_err(&e, 2, "producer.enable_idempotence");
    assert!(e.message.contains("acks=1"), "{e}");
    // A key the file does not set is reported without a line.
    let e = err("[cluster]\nbrokers = 2\n");
    assert_eq!(e.key.as_deref(), Some("cluster.replication_factor"));
    assert_eq!(e.line, None);
    // A fault naming a broker that does not exist: the fault's line.
    let text = "[cluster]\nbrokers = 3\n\n[[faults]]\nat_ms = 1\nkind = \"crash\"\nbroker = \"b1\"\n\n[[faults]]\nat_ms = 2\nkind = \"crash\"\nbroker = \"b5\"\n";
    let e = err(text);
    assert_err(&e, 9, "faults");
    // A fault after the production window.
    let e = err("duration_ms = 1000\n[[faults]]\nat_ms = 1000\nkind = \"lose-responses\"\nprobability = 1\n");
    assert_err(&e, 2, "faults.at_ms");
}

#[test]
fn error_sweep_problems() {
    let e = err("[sweep]\n\"producer.linger_ms\" = []\n");
    assert_err(&e, 2, "producer.linger_ms");
    let e = err("[sweep]\n\"producer.linger_ms\" = 5\n");
    assert_err(&e, 2, "producer.linger_ms");
    let e = err("[sweep]\n\"producer.acks\" = [\"all\"]\nproducer.acks = [\"1\"]\n");
    assert_err(&e, 3, "producer.acks");
    assert!(e.message.contains("twice"), "{e}");
    let e = err("[sweep]\n\"producer.nope\" = [1]\n");
    assert_err(&e, 2, "producer.nope");
    let e = err("[sweep]\nseeds = [1, 2]\n");
    assert_err(&e, 2, "seeds");
    let e = err("[sweep]\n\"producer.linger_ms\" = [5, 5]\n");
    assert_err(&e, 2, "producer.linger_ms");
}

#[test]
fn error_faults() {
    let e = err("[[faults]]\nat_ms = 1\nkind = \"explode\"\n");
    assert_err(&e, 3, "faults.kind");
    let e = err("[[faults]]\nat_ms = 1\nkind = \"crash\"\n");
    assert_err(&e, 1, "faults.broker");
    let e = err("[[faults]]\nat_ms = 1\nkind = \"crash\"\nbroker = \"b0\"\nbrokers = [\"b1\"]\n");
    assert_err(&e, 5, "faults.brokers");
    let e = err("[[faults]]\nat_ms = 1\nkind = \"crash\"\nbroker = \"x1\"\n");
    assert_err(&e, 4, "faults.broker");
    let e = err("[[faults]]\nat_ms = 1\nkind = \"partition\"\ngroups = [[\"b0\"], [\"b0\"]]\n");
    assert_err(&e, 4, "faults.groups");
    let e = err("[[faults]]\nat_ms = 1\nkind = \"lose-responses\"\nprobability = 1.5\n");
    assert_err(&e, 4, "faults.probability");
    let e = err("[faults]\nat_ms = 1\n");
    assert_err(&e, 1, "faults");
    // Inline form is accepted.
    let sc = parse("faults = [{ at_ms = 1, kind = \"crash\", broker = 2 }]\n").unwrap();
    assert_eq!(sc.base.faults[0].kind, FaultKind::Crash { broker: 2 });
}

#[test]
fn error_plots_and_expects() {
    let e = err("[[plots]]\nx = \"linger_ms\"\ny = \"thruput\"\n");
    assert_err(&e, 3, "plots.y");
    assert!(e.message.contains("throughput_rps"), "{e}");
    let e = err("[[plots]]\nx = \"min_insync_replicas\"\ny = \"throughput_rps\"\n");
    assert_err(&e, 2, "plots.x");
    let e = err("[[plots]]\ny = \"throughput_rps\"\n");
    assert_err(&e, 1, "plots.x");
    let e = err("[[plots]]\nx = \"seed\"\ny = \"throughput_rps\"\nkind = \"pie\"\n");
    assert_err(&e, 4, "plots.kind");
    let e = err("[[expect]]\nlost_ackd = 0\n");
    assert_err(&e, 2, "expect.lost_ackd");
    assert!(e.message.contains("lost_acked"), "{e}");
    let e = err("[[expect]]\nwhere = { min_insync_replicas = 2 }\nlost_acked = 0\n");
    assert_err(&e, 2, "expect.where.min_insync_replicas");
    let e = err("[[expect]]\nover = \"all\"\nlost_acked = 0\n");
    assert_err(&e, 2, "expect.over");
    let e = err("[[expect]]\nname = \"nothing\"\n");
    assert_err(&e, 1, "expect");
    let e = err("[[expect]]\nlost_acked = { min = 2, max = 1 }\n");
    assert_err(&e, 2, "expect.lost_acked");
    let e = err("[[expect]]\nlost_acked = { least = 2 }\n");
    assert_err(&e, 2, "expect.lost_acked");
    let e = err("[[expect]]\nlost_acked = \"none\"\n");
    assert_err(&e, 2, "expect.lost_acked");
    // where on seed and on a fixed column, with acks normalized.
    let sc = parse("[[expect]]\nwhere = { seed = 1, acks = -1 }\nlost_acked = 0\n").unwrap();
    assert_eq!(
        sc.expects[0].filter,
        vec![
            ("seed".to_string(), "1".to_string()),
            ("acks".to_string(), "all".to_string())
        ]
    );
    assert_eq!(sc.expects[0].name, "seed=1 acks=all: lost_acked = 0");
}

/// Producer crashes, producer hosts and topic partitions name what the scenario has: a bad
/// name is an error at its line naming the ones there are.
#[test]
fn error_fault_targets_name_producers_hosts_and_topics() {
    const TWO: &str = "[[topics]]\nname = \"a\"\npartitions = 2\n[[topics]]\nname = \"b\"\npartitions = 3\n\
                       [[producers]]\nname = \"p1\"\nhost = \"app1\"\ntopic = \"a\"\n\
                       [[producers]]\nname = \"p2\"\ntopic = \"b\"\n";
    // lines 1-13 above; the fault starts at line 14
    let e = err(&format!(
        "{TWO}[[faults]]\nat_ms = 1\nkind = \"producer-crash\"\nproducer = \"p3\"\n"
    ));
    assert_err(&e, 17, "faults.producer");
    assert!(e.message.contains("\"p1\", \"p2\""), "{e}");
    let e = err(&format!("{TWO}[[faults]]\nat_ms = 1\nkind = \"producer-crash\"\n"));
    assert_err(&e, 14, "faults.producer");
    let e = err(&format!(
        "{TWO}[[faults]]\nat_ms = 1\nkind = \"partition\"\ngroups = [[\"app2\"], [\"b0\"]]\n"
    ));
    assert_err(&e, 17, "faults.groups");
    assert!(e.message.contains("app1, p2"), "{e}");
    let e = err(&format!(
        "{TWO}[[faults]]\nat_ms = 1\nkind = \"crash-leader\"\npartition = 0\ntopic = \"c\"\n"
    ));
    assert_err(&e, 18, "faults.topic");
    assert!(e.message.contains("\"a\", \"b\""), "{e}");
    let e = err(&format!(
        "{TWO}[[faults]]\nat_ms = 1\nkind = \"crash-leader\"\npartition = 3\ntopic = \"b\"\n"
    ));
    // The partition is checked per run point (a sweep may change the topic's partitions): at
    // the fault's line, naming `faults`.
    assert_err(&e, 14, "faults");
    assert!(
        e.message
            .contains("partition 3 of topic \"b\", which has partitions 0..=2"),
        "{e}"
    );
    // Good names: a host, a producer without host (its own machine), a topic's partition (in
    // the topic's numbering, resolved per run point).
    let sc = parse(&format!(
        "{TWO}[[faults]]\nat_ms = 1\nkind = \"partition\"\ngroups = [[\"app1\"], [\"p2\", \"b0\"]]\n\
         [[faults]]\nat_ms = 1\nkind = \"isolate-leader\"\npartition = 1\ntopic = \"b\"\n\
         [[faults]]\nat_ms = 1\nkind = \"producer-crash\"\nproducer = \"p2\"\n"
    ))
    .unwrap();
    let f = &sc.base.faults;
    assert_eq!(
        f[0].kind,
        FaultKind::Partition {
            groups: vec![
                vec![Node::Host("app1".into())],
                vec![Node::Host("p2".into()), Node::Broker(0)]
            ],
            one_way: false
        }
    );
    assert_eq!(
        f[1].kind,
        FaultKind::IsolateLeader {
            topic: Some("b".into()),
            partition: 1
        }
    );
    assert_eq!(sc.base.fault_partition(Some("b"), 1), Some(3));
    assert_eq!(f[2].kind, FaultKind::ProducerCrash { producer: "p2".into() });
    // Without [[producers]]: the one producer, `default`, by name or by omission.
    let sc = parse("[[faults]]\nat_ms = 1\nkind = \"producer-crash\"\n").unwrap();
    assert_eq!(
        sc.base.faults[0].kind,
        FaultKind::ProducerCrash {
            producer: "default".into()
        }
    );
}
