use std::path::Path;

use super::*;
use crate::config::{Acks, Arrival, Fault, FaultKind, KafkaVersion, Node, SendMode};
use crate::expect::{evaluate, Over};
use crate::result::RunResult;

const FULL: &str = r#"
name = "leader-failover"
duration_ms = 20000
settle_ms = 60000
timeline_bucket_ms = 500
seeds = 3

[producer]
acks = "all"
linger_ms = 5
batch_size = 16384
send_mode = "async"
enable_idempotence = true
delivery_timeout_ms = 60000

[cluster]
brokers = 3
replication_factor = 3
min_insync_replicas = 2

[network]
latency_ms = 1
bandwidth_mbps = 1000.0

[workload]
rate = 20000
arrival = "poisson"
keys = 100

[random_faults]
crash_per_min = 0.5

[sweep]
"producer.linger_ms" = [0, 5, 20]
"cluster.min_insync_replicas" = [1, 2]

[[faults]]
at_ms = 5000
kind = "crash"
broker = "b1"
duration_ms = 10000

[[faults]]
at_ms = 6000
kind = "power-loss"
brokers = ["b0", "b2"]

[[faults]]
at_ms = 7000
kind = "crash-leader"
partition = 0

[[faults]]
at_ms = 7000
kind = "isolate-leader"
partition = 1
duration_ms = 3000

[[faults]]
at_ms = 8000
kind = "partition"
groups = [["b0"], ["b1", "b2", "producer"]]
one_way = true

[[faults]]
at_ms = 9000
kind = "slow-link"
from = "producer"
to = "b0"
extra_latency_ms = 50.0
bandwidth_factor = 0.1

[[faults]]
at_ms = 9500
kind = "lose-responses"
probability = 0.5

[[plots]]
x = "linger_ms"
y = "throughput_rps"
series = "min_insync_replicas"
per = "acks"
log_y = true
title = "Throughput"
kind = "bar"

[[expect]]
name = "min ISR 2 never loses"
where = { acks = "all", min_insync_replicas = 2 }
lost_acked = 0
duplicates = { max = 0 }
throughput_rps = { min = 100, max = 1e9 }

[[expect]]
over = "sum"
where = { linger_ms = 5 }
lost_acked = { min = 1 }
"#;

pub(super) fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse_str(text, Path::new("scenarios/x.toml"))
}

pub(super) fn err(text: &str) -> ScenarioError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts an error's line and key, and that its display starts with `file:line: `key``.
pub(super) fn assert_err(e: &ScenarioError, line: usize, key: &str) {
    assert_eq!(e.file, "scenarios/x.toml", "{e}");
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.key.as_deref(), Some(key), "{e}");
    let prefix = format!("scenarios/x.toml:{line}: `{key}`: ");
    assert!(e.to_string().starts_with(&prefix), "{e}");
}

#[test]
fn parses_full_example() {
    let sc = parse(FULL).unwrap();
    assert_eq!(sc.name, "leader-failover");
    assert_eq!(sc.seeds, vec![1, 2, 3]);
    let b = &sc.base;
    assert_eq!(b.duration_ms, 20_000);
    assert_eq!(b.settle_ms, 60_000);
    assert_eq!(b.timeline_bucket_ms, 500);
    assert_eq!(b.producer.acks, Acks::All);
    assert_eq!(b.producer.send_mode, SendMode::Async);
    assert_eq!(b.producer.enable_idempotence, Some(true));
    assert_eq!(b.producer.delivery_timeout_ms, Some(60_000));
    assert_eq!(b.cluster.min_insync_replicas, 2);
    assert_eq!(b.network.latency_ms, 1.0);
    assert_eq!(b.network.bandwidth_mbps, 1000.0);
    assert_eq!(b.workload.rate, 20_000.0);
    assert_eq!(b.workload.arrival, Arrival::Poisson);
    assert_eq!(b.workload.keys, 100);
    assert_eq!(b.random_faults.crash_per_min, 0.5);
    assert_eq!(b.faults.len(), 7);
    assert_eq!(
        b.faults[0],
        Fault {
            at_ms: 5000,
            duration_ms: Some(10_000),
            kind: FaultKind::Crash { broker: 1 }
        }
    );
    assert_eq!(b.faults[1].kind, FaultKind::PowerLoss { brokers: vec![0, 2] });
    assert_eq!(b.faults[2].kind, FaultKind::crash_leader(0));
    assert_eq!(b.faults[3].kind, FaultKind::isolate_leader(1));
    assert_eq!(
        b.faults[4].kind,
        FaultKind::Partition {
            groups: vec![
                vec![Node::Broker(0)],
                vec![Node::Broker(1), Node::Broker(2), Node::Producer]
            ],
            one_way: true
        }
    );
    assert_eq!(
        b.faults[5].kind,
        FaultKind::SlowLink {
            from: Node::Producer,
            to: Node::Broker(0),
            extra_latency_ms: 50.0,
            bandwidth_factor: 0.1
        }
    );
    assert_eq!(b.faults[6].kind, FaultKind::LoseResponses { probability: 0.5 });

    assert_eq!(sc.sweep.len(), 2);
    assert_eq!(sc.sweep[0].key, "producer.linger_ms");
    assert_eq!(sc.sweep[0].column, "linger_ms");
    assert_eq!(sc.sweep[1].column, "min_insync_replicas");
    assert_eq!(
        sc.columns(),
        vec!["acks", "linger_ms", "batch_size", "send_mode", "min_insync_replicas"]
    );

    assert_eq!(sc.plots.len(), 1);
    let pl = &sc.plots[0];
    assert_eq!(pl.x, "linger_ms");
    assert_eq!(pl.series.as_deref(), Some("min_insync_replicas"));
    assert_eq!(pl.per.as_deref(), Some("acks"));
    assert_eq!((pl.log_y, pl.log_x), (Some(true), None));
    assert_eq!(pl.kind, PlotKind::Bar);

    assert_eq!(sc.expects.len(), 2);
    let e = &sc.expects[0];
    assert_eq!(e.name, "min ISR 2 never loses");
    assert_eq!(e.line, 87);
    assert_eq!(
        e.filter,
        vec![
            ("acks".to_string(), "all".to_string()),
            ("min_insync_replicas".to_string(), "2".to_string())
        ]
    );
    assert_eq!(e.over, Over::Each);
    assert_eq!(e.bounds.len(), 3);
    assert_eq!((e.bounds[0].min, e.bounds[0].max), (Some(0.0), Some(0.0)));
    assert_eq!((e.bounds[1].min, e.bounds[1].max), (None, Some(0.0)));
    assert_eq!((e.bounds[2].min, e.bounds[2].max), (Some(100.0), Some(1e9)));
    let e = &sc.expects[1];
    assert_eq!(e.over, Over::Sum);
    assert_eq!(e.name, "linger_ms=5: sum lost_acked >= 1");
}

#[test]
fn name_defaults_to_file_stem_and_seeds_default_to_one() {
    let sc = Scenario::parse_str("", Path::new("dir/my-scenario.toml")).unwrap();
    assert_eq!(sc.name, "my-scenario");
    assert_eq!(sc.seeds, vec![1]);
    assert_eq!(sc.base, RunSpec::default());
    let runs = sc.expand().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].params,
        vec![
            ("acks".to_string(), "all".to_string()),
            ("linger_ms".to_string(), "5".to_string()),
            ("batch_size".to_string(), "16384".to_string()),
            ("send_mode".to_string(), "async".to_string()),
        ]
    );
}

#[test]
fn seeds_count_vs_list() {
    assert_eq!(parse("seeds = 4").unwrap().seeds, vec![1, 2, 3, 4]);
    assert_eq!(parse("seeds = [1, 7, 9]").unwrap().seeds, vec![1, 7, 9]);
    assert_eq!(parse("seeds = [0]").unwrap().seeds, vec![0]);
    for bad in [
        "seeds = 0",
        "seeds = []",
        "seeds = [1, 1]",
        "seeds = -2",
        "seeds = 1.5",
        "seeds = [\"a\"]",
    ] {
        let e = err(bad);
        assert_err(&e, 1, "seeds");
    }
}

#[test]
fn sweep_expansion_order_and_count() {
    let text = r#"
seeds = [1, 2]
[sweep]
"producer.acks" = ["0", "1", "all"]
"producer.linger_ms" = [0, 5]
"random_faults.crash_per_min" = [0.0, 2.5]
"#;
    let sc = parse(text).unwrap();
    assert_eq!(
        sc.columns(),
        vec!["acks", "linger_ms", "batch_size", "send_mode", "crash_per_min"]
    );
    let runs = sc.expand().unwrap();
    assert_eq!(runs.len(), 3 * 2 * 2 * 2);
    let label = |r: &RunPoint| format!("{}/{}/{}/{}", r.params[0].1, r.params[1].1, r.params[4].1, r.seed);
    let labels: Vec<String> = runs.iter().map(label).collect();
    assert_eq!(labels[0], "0/0/0/1");
    assert_eq!(labels[1], "0/0/0/2");
    assert_eq!(labels[2], "0/0/2.5/1");
    assert_eq!(labels[4], "0/5/0/1");
    assert_eq!(labels[8], "1/0/0/1");
    assert_eq!(labels[23], "all/5/2.5/2");
    for r in &runs {
        assert_eq!(r.spec.seed, r.seed);
        assert_eq!(r.spec.producer.acks.as_str(), r.params[0].1);
        assert_eq!(r.spec.producer.linger_ms.to_string(), r.params[1].1);
        assert_eq!(format!("{}", r.spec.random_faults.crash_per_min), r.params[4].1);
    }
    assert_eq!(
        runs[23].label(),
        "acks=all linger_ms=5 batch_size=16384 send_mode=async crash_per_min=2.5 seed=2"
    );
}

#[test]
fn sweep_dotted_keys_and_floats_print_plainly() {
    let text = "[sweep]\nrandom_faults.crash_per_min = [0.0, 2.0, 0.25]\nduration_ms = [1000, 2000]\n";
    let sc = parse(text).unwrap();
    assert_eq!(sc.sweep[0].key, "random_faults.crash_per_min");
    assert_eq!(sc.sweep[1].column, "duration_ms");
    let vals: Vec<String> = sc.expand().unwrap().iter().map(|r| r.params[4].1.clone()).collect();
    assert_eq!(vals, vec!["0", "0", "2", "2", "0.25", "0.25"]);
}

#[test]
fn set_scalar_and_list() {
    let mut sc = parse(FULL).unwrap();
    sc.apply_set("producer.acks=1").unwrap();
    sc.apply_set("producer.enable_idempotence=false").unwrap();
    assert_eq!(sc.base.producer.acks, Acks::One);
    sc.apply_set("producer.send_mode=sync").unwrap();
    assert_eq!(sc.base.producer.send_mode, SendMode::Sync);
    sc.apply_set("workload.arrival = constant").unwrap();
    assert_eq!(sc.base.workload.arrival, Arrival::Constant);
    sc.apply_set("network.latency_ms=2").unwrap();
    assert_eq!(sc.base.network.latency_ms, 2.0);
    // A list replaces an axis in place.
    sc.apply_set("producer.linger_ms=[1, 2]").unwrap();
    assert_eq!(sc.sweep[0].key, "producer.linger_ms");
    assert_eq!(sc.sweep[0].values, vec![Value::Integer(1), Value::Integer(2)]);
    // A list on a new key adds an axis last.
    sc.apply_set("producer.acks=[\"0\", 1]").unwrap();
    assert_eq!(sc.sweep.len(), 3);
    assert_eq!(sc.sweep[2].key, "producer.acks");
    assert_eq!(
        sc.columns(),
        vec!["acks", "linger_ms", "batch_size", "send_mode", "min_insync_replicas"]
    );
    // A scalar pins a swept key and removes the axis.
    sc.apply_set("cluster.min_insync_replicas=2").unwrap();
    assert_eq!(sc.base.cluster.min_insync_replicas, 2);
    assert_eq!(sc.sweep.len(), 2);
    assert_eq!(sc.columns(), vec!["acks", "linger_ms", "batch_size", "send_mode"]);
    // The expectation's filter on the pinned column is resolved (2 == 2).
    assert_eq!(sc.expects[0].filter, vec![("acks".to_string(), "all".to_string())]);
    sc.apply_set("seeds=2").unwrap();
    assert_eq!(sc.seeds, vec![1, 2]);
    sc.apply_set("seeds=[5, 6, 7]").unwrap();
    assert_eq!(sc.seeds, vec![5, 6, 7]);
    sc.apply_set("name=other").unwrap();
    assert_eq!(sc.name, "other");
    sc.apply_set("duration_ms=30000").unwrap();
    assert_eq!(sc.base.duration_ms, 30_000);
    let runs = sc.expand().unwrap();
    assert_eq!(runs.len(), 2 * 2 * 3);
}

#[test]
fn set_errors_name_set() {
    let mut sc = parse("").unwrap();
    let e = sc.apply_set("producer.acks=2").unwrap_err();
    assert_eq!(e.file, "--set");
    assert_eq!(e.key.as_deref(), Some("producer.acks"));
    assert_eq!(
        e.to_string(),
        "--set: `producer.acks`: expected one of \"0\", \"1\", \"all\"; got 2"
    );
    let e = sc.apply_set("producer.lingerms=3").unwrap_err();
    assert!(e.to_string().contains("did you mean `producer.linger_ms`"), "{e}");
    assert!(sc.apply_set("producer.linger_ms").is_err());
    assert!(sc.apply_set("producer.linger_ms=[]").is_err());
    assert!(sc.apply_set("producer.linger_ms=1.5").is_err());
    assert!(sc.apply_set("seeds=0").is_err());
    // An impossible combination made by --set is reported at --set by expand().
    sc.apply_set("producer.enable_idempotence=true").unwrap();
    sc.apply_set("producer.acks=1").unwrap();
    let e = sc.expand().unwrap_err();
    assert_eq!(e.file, "--set");
    assert_eq!(e.key.as_deref(), Some("producer.enable_idempotence"));
}

#[test]
fn column_name_collisions_use_the_full_key() {
    let mut sc = Scenario::new("t", Path::new("t.toml"));
    sc.sweep.push(SweepAxis {
        key: "cluster.brokers".into(),
        column: String::new(),
        values: vec![Value::Integer(3)],
    });
    sc.sweep.push(SweepAxis {
        key: "workload.brokers".into(),
        column: String::new(),
        values: vec![Value::Integer(3)],
    });
    sc.refresh_columns();
    assert_eq!(sc.sweep[0].column, "brokers");
    assert_eq!(sc.sweep[1].column, "workload.brokers");
}

#[test]
fn to_toml_round_trip() {
    let sc = parse(FULL).unwrap();
    let runs = sc.expand().unwrap();
    for r in [&runs[0], &runs[runs.len() - 1]] {
        let text = Scenario::to_toml("counterexample", &r.spec);
        let back = Scenario::parse_str(&text, Path::new("ce.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.name, "counterexample");
        let again = back.expand().unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].spec, r.spec, "{text}");
    }
    // Defaults write nothing but the name and seed.
    let text = Scenario::to_toml("d", &RunSpec::default());
    assert_eq!(text, "name = \"d\"\nseeds = [1]\n");
    // Awkward values survive.
    let mut spec = RunSpec::default();
    spec.network.latency_ms = 0.1 + 0.2;
    spec.workload.rate = 1e-3;
    spec.producer.enable_idempotence = Some(false);
    spec.producer.acks = Acks::Zero;
    spec.seed = 42;
    let text = Scenario::to_toml("odd.name_1-x", &spec);
    let back = Scenario::parse_str(&text, Path::new("ce.toml")).unwrap();
    assert_eq!(back.name, "odd.name_1-x");
    assert_eq!(back.expand().unwrap()[0].spec, spec);
    // Under an old release a key at today's default differs from the release's default and
    // must be written: 0.10's acks default is "1", its unclean election default true.
    let mut spec = RunSpec::default();
    spec.cluster.kafka_version = KafkaVersion::parse("0.10").unwrap();
    spec.cluster.unclean_leader_election_enable = false;
    let text = Scenario::to_toml("old", &spec);
    assert!(text.contains("acks = \"all\""), "{text}");
    let back = Scenario::parse_str(&text, Path::new("ce.toml")).unwrap();
    assert_eq!(back.expand().unwrap()[0].spec, spec, "{text}");
    // A name that is not a plain file name does not load back: it would be a path.
    let text = Scenario::to_toml("we\"ird \\ name", &spec);
    let e = Scenario::parse_str(&text, Path::new("ce.toml")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("name"));
}

#[test]
fn names_that_are_paths_are_refused_at_load() {
    for name in [
        "..",
        ".",
        "/tmp/x",
        "../../x",
        "a/b",
        ".hidden",
        "",
        "x\u{1b}[2J",
        &"n".repeat(101),
    ] {
        let text = format!("name = {}\n", toml::Value::String(name.to_string()));
        let e = Scenario::parse_str(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!((e.key.as_deref(), e.line), (Some("name"), Some(1)), "{name:?}: {e}");
        assert!(e.message.contains("plain file name"), "{e}");
        assert!(!e.to_string().contains('\u{1b}'), "raw escape in {e}");
        let mut sc = Scenario::parse_str("", Path::new("s.toml")).unwrap();
        let e = sc.apply_set(&format!("name={name}")).unwrap_err();
        assert_eq!((e.file.as_str(), e.key.as_deref()), ("--set", Some("name")), "{name:?}");
    }
    // The file stem names a scenario without `name`: it must be plain too.
    let e = Scenario::parse_str("", Path::new("dir/my scenario.toml")).unwrap_err();
    assert!(e.message.contains("add a `name"), "{e}");
    assert_eq!(
        Scenario::parse_str("", Path::new("dir/ok-1.toml")).unwrap().name,
        "ok-1"
    );
}

#[test]
fn plot_columns_must_exist_and_be_numeric_where_drawn_as_numbers() {
    let base = "[sweep]\n\"producer.acks\" = [\"1\", \"all\"]\n";
    let load = |plot: &str| Scenario::parse_str(&format!("{base}[[plots]]\n{plot}\n"), Path::new("p.toml"));
    load("x = \"linger_ms\"\ny = \"latency_p99_ms\"").unwrap();
    load("x = \"acks\"\ny = \"latency_p99_ms\"\nkind = \"bar\"").unwrap();
    let e = load("x = \"acks\"\ny = \"latency_p99_ms\"").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("plots.x"), "{e}");
    assert!(e.message.contains("not numeric"), "{e}");
    let e = load("x = \"linger_ms\"\ny = \"send_mode\"\nkind = \"bar\"").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("plots.y"), "{e}");
    let e = load("x = \"linger_ms\"\ny = \"nope\"").unwrap_err();
    assert!(e.message.contains("unknown column"), "{e}");
    let e = load("x = \"linger_ms\"\ny = \"latency_p99_ms\"\nper = \"nope\"").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("plots.per"), "{e}");
    // A list of y columns: each must exist and be numeric; the first is `y`.
    let sc = load("x = \"linger_ms\"\ny = [\"latency_p50_ms\", \"visible_p50_ms\"]").unwrap();
    assert_eq!(sc.plots[0].y, "latency_p50_ms");
    assert_eq!(sc.plots[0].y_also, ["visible_p50_ms"]);
    let e = load("x = \"linger_ms\"\ny = [\"latency_p50_ms\", \"visble_p50_ms\"]").unwrap_err();
    assert!(e.message.contains("unknown column `visble_p50_ms`"), "{e}");
    let e = load("x = \"acks\"\ny = [\"latency_p50_ms\", \"acks\"]\nkind = \"bar\"").unwrap_err();
    assert!(e.message.contains("not numeric"), "{e}");
    let e = load("x = \"linger_ms\"\ny = []").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("plots.y"), "{e}");
    let e = load("x = \"linger_ms\"\ny = [1]").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("plots.y"), "{e}");
}

#[test]
fn expectations_evaluate_over_expanded_runs() {
    let text = r#"
seeds = 2
[sweep]
"producer.acks" = ["1", "all"]
[[expect]]
where = { acks = "all" }
lost_acked = 0
[[expect]]
where = { acks = "1" }
over = "sum"
lost_acked = { min = 1 }
"#;
    let sc = parse(text).unwrap();
    let runs = sc.expand().unwrap();
    let rows: Vec<_> = runs
        .iter()
        .map(|r| {
            let mut res = RunResult::default();
            if r.spec.producer.acks == Acks::One && r.seed == 2 {
                res.delivery.lost_acked = 3;
            }
            (r.params_with_seed(), res.measures())
        })
        .collect();
    let v = evaluate(&sc.expects, &rows);
    assert!(v[0].passed, "{:?}", v[0]);
    assert_eq!(v[0].matched_runs, 2);
    assert!(v[1].passed, "{:?}", v[1]);
    assert!(v[1].detail.contains("sum lost_acked = 3"), "{:?}", v[1]);
}

#[test]
fn reference_lists_every_key() {
    let md = reference_markdown();
    for k in keys() {
        assert!(md.contains(&format!("| `{}` |", k.short())), "{}", k.key);
    }
    assert!(md.contains("## [producer]"));
}

#[test]
fn never_panics_on_odd_input() {
    let inputs = [
        "",
        "=",
        "[",
        "[[faults]]",
        "[[faults]]\nkind = 1",
        "[[faults]]\nat_ms = 1\nkind = \"partition\"\ngroups = 1",
        "[[faults]]\nat_ms = 1\nkind = \"partition\"\ngroups = [1, 2]",
        "[[faults]]\nat_ms = 1\nkind = \"slow-link\"\nfrom = \"b0\"\nto = \"b0\"",
        "[[faults]]\nat_ms = 1\nkind = \"power-loss\"\nbrokers = []",
        "producer = 1",
        "producer = { acks = \"all\" }",
        "[producer.acks]\nx = 1",
        "[sweep.producer.acks]\nx = [1]",
        "sweep = 1",
        "[[sweep]]",
        "plots = 3",
        "[[plots]]\nx = 1\ny = 2",
        "[[expect]]\nwhere = 1\nlost_acked = 0",
        "[[expect]]\nwhere = { acks = [\"all\"] }\nlost_acked = 0",
        "[[expect]]\nlost_acked = { min = nan }",
        "[[expect]]\n[expect.lost_acked]\nmin = 1",
        "name = 5",
        "name = \"\"",
        "seeds = 100001",
        "[workload]\nkeys = 99999999999999",
        "[producer]\nretries = 1e400",
        "[sweep]\n\"a.b.c\" = [1]",
        "[sweep]\na.b.c = [1]",
        "[random_faults]\ncrash_per_min = inf",
        "[producer]\ndelivery_timeout_ms = \"default\"",
        "x = 1979-05-27T07:32:00Z",
        "[sweep]\n\"producer.linger_ms\" = [0,1,2,3,4,5,6,7,8,9]\n\"producer.batch_size\" = [0,1,2,3,4,5,6,7,8,9]\n\"workload.keys\" = [0,1,2,3,4,5,6,7,8,9]\n\"workload.key_bytes\" = [0,1,2,3,4,5,6,7,8,9]\n\"workload.record_bytes\" = [0,1,2,3,4,5,6,7,8,9]\n\"cluster.partitions\" = [1,2,3,4,5,6,7,8,9,10]",
    ];
    for text in inputs {
        let _ = parse(text).map(|sc| sc.expand());
    }
    // Large but allowed: sweep + seeds over the cap is an error, not an allocation.
    let e = err("seeds = 100000\n[sweep]\n\"producer.linger_ms\" = [0, 1, 2]\n");
    assert!(e.message.contains("at most"), "{e}");
    let mut sc = parse("").unwrap();
    for s in [
        "=",
        "==",
        "producer.acks==",
        "producer.acks=[[1]]",
        "producer.acks={}",
        "seeds=[-1]",
        " = 5",
    ] {
        let _ = sc.apply_set(s);
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Mutations of a valid file (a span deleted, some text inserted) never panic, and an
        /// error always names the file.
        #[test]
        fn mutated_files_never_panic(
            at in 0usize..FULL.len(),
            del in 0usize..40,
            ins in "[ -~\n]{0,12}",
        ) {
            let end = (at + del).min(FULL.len());
            let text = format!("{}{}{}", &FULL[..at], ins, &FULL[end..]);
            match parse(&text) {
                Ok(sc) => {
                    let _ = sc.expand();
                }
                Err(e) => prop_assert_eq!(e.file.as_str(), "scenarios/x.toml"),
            }
        }

        #[test]
        fn arbitrary_set_never_panics(s in "[ -~]{0,40}") {
            let mut sc = parse(FULL).unwrap();
            if sc.apply_set(&s).is_ok() {
                let _ = sc.expand();
            }
        }
    }
}
