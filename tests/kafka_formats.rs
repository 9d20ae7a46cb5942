//! Kafka's own formats in (issue 12, item 1): a producer `.properties` file (`--producer-config`
//! and `[producer] properties`), dotted Kafka names in TOML and `--set`, producer configs prodsim
//! does not model (one note each), serializers that fix record sizes, and an explicit
//! partition. Every test works in its own temporary directory.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> String {
    std::env::var("PRODSIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_prodsim").to_string())
}

/// A short scenario body: 400 ms at 1000 records/s.
const SMALL: &str = "name = \"k\"\nduration_ms = 400\nsettle_ms = 1000\n[workload]\nrate = 1000\n";

const SER: &str = "org.apache.kafka.common.serialization.";

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run prodsim")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn expect_code(o: &Output, want: i32, what: &str) {
    assert_eq!(
        o.status.code(),
        Some(want),
        "{what}: stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
    assert!(!stderr(o).contains("panicked"), "{what}: panic: {}", stderr(o));
}

/// `prodsim run s.toml --out out --no-charts ARGS` in `dir`; the exit code is checked.
fn run(dir: &Path, args: &[&str], want: i32) -> Output {
    let mut all = vec!["run", "s.toml", "--out", "out", "--no-charts", "--jobs", "1"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all);
    expect_code(&o, want, &format!("{all:?}"));
    o
}

/// The first data row of `out/k/results.csv` as (column, value) pairs.
fn first_row(dir: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(dir.join("out/k/results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    header
        .iter()
        .zip(row)
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

fn cell(dir: &Path, column: &str) -> String {
    first_row(dir)
        .into_iter()
        .find(|(c, _)| c == column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .1
}

fn setup(scenario: &str, others: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.toml"), scenario).unwrap();
    for (name, text) in others {
        let p = dir.path().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

/// Every `java.util.Properties.load` feature at once: `#` and `!` comments, blank and indented
/// lines, `=`, `:` and whitespace separators, escapes (`\uXXXX`, `\=`, `\t`), a continued line.
const EVERY_SYNTAX: &str = "# producer.properties, as Kafka's tools read it\n\
    ! another comment style\n\
    \n\
    \x20\x20\x20linger.ms = 20\n\
    batch.size: 40000\n\
    acks 1\n\
    \\u0065nable.idempotence=false\n\
    client.id = a\\=b\\tc\n\
    bootstrap.servers = broker1:9092,\\\n\
    \x20\x20\x20\x20\x20\x20\x20\x20broker2:9092\n\
    max.in.flight.requests.per.connection=\\\n\
    \x20\x20\x202\n";

#[test]
fn a_properties_file_with_every_syntax_feature() {
    let dir = setup(SMALL, &[("producer.properties", EVERY_SYNTAX)]);
    let o = run(dir.path(), &["--producer-config", "producer.properties"], 0);
    assert_eq!(cell(dir.path(), "linger_ms"), "20");
    assert_eq!(cell(dir.path(), "batch_size"), "40000");
    assert_eq!(cell(dir.path(), "acks"), "1");
    let err = stderr(&o);
    for name in ["client.id", "bootstrap.servers"] {
        let note = format!("note: `{name}` is not modelled; it has no effect");
        assert_eq!(err.matches(&note).count(), 1, "{err}");
    }
    // The same file named by the scenario gives the same results.
    let first = fs::read(dir.path().join("out/k/results.csv")).unwrap();
    fs::write(
        dir.path().join("s.toml"),
        format!("{SMALL}[producer]\nproperties = \"producer.properties\"\n"),
    )
    .unwrap();
    run(dir.path(), &[], 0);
    assert_eq!(fs::read(dir.path().join("out/k/results.csv")).unwrap(), first);
    // Negative control: the max.in.flight value (2) really was read, from its continued line.
    fs::write(
        dir.path().join("producer.properties"),
        EVERY_SYNTAX.replace("   2\n", "   200\n"),
    )
    .unwrap();
    let o = run(dir.path(), &[], 2);
    assert!(
        stderr(&o).contains("producer.properties:11: `max.in.flight.requests.per.connection`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn precedence_scenario_then_properties_then_set() {
    let scenario = format!("{SMALL}[producer]\nlinger_ms = 1\nbatch_size = 1000\nproperties = \"conf/p.properties\"\n");
    let dir = setup(
        &scenario,
        &[
            ("conf/p.properties", "linger.ms=20\n"),
            ("cli.properties", "linger.ms=25\nbatch.size=3000\n"),
        ],
    );
    run(dir.path(), &[], 0);
    assert_eq!(cell(dir.path(), "linger_ms"), "20");
    assert_eq!(cell(dir.path(), "batch_size"), "1000");
    run(dir.path(), &["--producer-config", "cli.properties"], 0);
    assert_eq!(cell(dir.path(), "linger_ms"), "25");
    assert_eq!(cell(dir.path(), "batch_size"), "3000");
    run(
        dir.path(),
        &["--producer-config", "cli.properties", "--set", "linger.ms=30"],
        0,
    );
    assert_eq!(cell(dir.path(), "linger_ms"), "30");
    assert_eq!(cell(dir.path(), "batch_size"), "3000");
}

#[test]
fn dotted_kafka_names_in_toml_and_set() {
    let dir = setup(
        &format!("{SMALL}[producer]\n\"linger.ms\" = 7\nbatch.size = 5000\n[cluster]\nmin.insync.replicas = 2\n"),
        &[],
    );
    run(dir.path(), &[], 0);
    assert_eq!(cell(dir.path(), "linger_ms"), "7");
    assert_eq!(cell(dir.path(), "batch_size"), "5000");
    for (set, want) in [
        ("linger.ms=8", "8"),
        ("producer.linger.ms=9", "9"),
        ("linger_ms=10", "10"),
    ] {
        run(dir.path(), &["--set", set], 0);
        assert_eq!(cell(dir.path(), "linger_ms"), want, "{set}");
    }
    // A Kafka-named sweep from --set makes its column.
    run(dir.path(), &["--set", "min.insync.replicas=[1, 2]"], 0);
    assert_eq!(cell(dir.path(), "min_insync_replicas"), "1");
}

#[test]
fn an_unmodelled_key_gives_one_note_and_exit_0() {
    let dir = setup(
        &format!("{SMALL}[producer]\nclient.id = \"toml\"\nproperties = \"p.properties\"\n"),
        &[(
            "p.properties",
            "client.id=props\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n",
        )],
    );
    let o = run(dir.path(), &["--set", "client.id=cli"], 0);
    let err = stderr(&o);
    assert_eq!(
        err.matches("note: `client.id` is not modelled; it has no effect")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("note: `client.id` is not modelled; it has no effect (--set)"),
        "{err}"
    );
    for name in ["security.protocol", "sasl.mechanism"] {
        assert_eq!(
            err.matches(&format!("note: `{name}` is not modelled")).count(),
            1,
            "{err}"
        );
    }
    assert_eq!(err.lines().filter(|l| l.starts_with("note: ")).count(), 3, "{err}");
    // Negative control: without unmodelled keys, no note.
    let dir = setup(SMALL, &[]);
    let o = run(dir.path(), &["--set", "linger.ms=3"], 0);
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}

#[test]
fn an_unknown_key_is_exit_2_with_a_suggestion_and_writes_nothing() {
    let dir = setup(SMALL, &[("p.properties", "acks=all\nlinger.mss=5\n")]);
    let o = run(dir.path(), &["--set", "linger.mss=5"], 2);
    assert!(
        stderr(&o).contains("--set: `linger.mss`: unknown key; did you mean `linger.ms` (`producer.linger_ms`)?"),
        "{}",
        stderr(&o)
    );
    let o = run(dir.path(), &["--producer-config", "p.properties"], 2);
    assert!(
        stderr(&o).contains("p.properties:2: `linger.mss`: unknown key; did you mean `linger.ms`"),
        "{}",
        stderr(&o)
    );
    let o = run(dir.path(), &["--set", "bootstrap.server=x"], 2);
    assert!(
        stderr(&o).contains("did you mean Kafka's `bootstrap.servers`"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_properties_path_leaving_the_scenario_directory_is_exit_2_and_writes_nothing() {
    for rel in ["../p.properties", "sub/../../p.properties", "/etc/hostname"] {
        let parent = tempfile::tempdir().unwrap();
        fs::write(parent.path().join("p.properties"), "acks=1\n").unwrap();
        let dir = parent.path().join("scenario");
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("s.toml"), format!("{SMALL}[producer]\nproperties = {rel:?}\n")).unwrap();
        let o = run(&dir, &[], 2);
        let err = stderr(&o);
        assert!(err.contains("s.toml:7: `producer.properties`"), "{rel}: {err}");
        assert!(
            err.contains("relative to the scenario file's directory"),
            "{rel}: {err}"
        );
        assert!(!dir.join("out").exists(), "{rel}: --out was created");
    }
}

#[test]
fn serializer_sizes_change_mean_batch_bytes_as_expected() {
    let dir = setup(SMALL, &[]);
    let bytes = |args: &[&str]| -> (f64, f64) {
        run(dir.path(), args, 0);
        (
            cell(dir.path(), "mean_batch_bytes").parse().unwrap(),
            cell(dir.path(), "mean_batch_records").parse().unwrap(),
        )
    };
    let long = format!("value.serializer={SER}LongSerializer");
    let int = format!("key.serializer={SER}IntegerSerializer");
    let string = format!("value.serializer={SER}StringSerializer");
    let base = bytes(&[]);
    let as_long = bytes(&["--set", &long]);
    // LongSerializer values are 8 bytes: exactly the run with record_bytes = 8.
    assert_eq!(as_long, bytes(&["--set", "workload.record_bytes=8"]));
    assert!(as_long.0 < base.0, "{as_long:?} vs {base:?}");
    // Per record (the 61-byte batch header aside), a 100-byte value costs 94 bytes more than an
    // 8-byte one: 92 value bytes, plus one more byte in each of the value-length and
    // record-length varints (zig-zag 200 and ~212 need two bytes; 16 and ~28 one).
    let per = |(b, r): (f64, f64)| (b - 61.0) / r;
    assert!(
        (per(base) - per(as_long) - 94.0).abs() < 0.5,
        "{} {}",
        per(base),
        per(as_long)
    );
    // IntegerSerializer keys are 4 bytes: the run with key_bytes = 4.
    let keyed = bytes(&["--set", "workload.keys=50", "--set", &int]);
    assert_eq!(
        keyed,
        bytes(&["--set", "workload.keys=50", "--set", "workload.key_bytes=4"])
    );
    assert_ne!(keyed, bytes(&["--set", "workload.keys=50"]));
    // StringSerializer keeps the workload's sizes: the same bytes as no serializer at all.
    assert_eq!(bytes(&["--set", &string]), base);
    // An unknown class keeps them too, with a note; a key serializer on keyless records notes so.
    let o = run(
        dir.path(),
        &["--set", "value.serializer=com.example.AvroSerializer", "--set", &int],
        0,
    );
    assert_eq!(
        (
            cell(dir.path(), "mean_batch_bytes").parse::<f64>().unwrap(),
            cell(dir.path(), "mean_batch_records").parse::<f64>().unwrap()
        ),
        base
    );
    let err = stderr(&o);
    assert!(
        err.contains("note: `value.serializer` = `com.example.AvroSerializer` is not modelled; workload sizes used"),
        "{err}"
    );
    assert!(err.contains("keyless (workload.keys = 0)"), "{err}");
}

#[test]
fn an_explicit_partition_outside_the_topic_is_exit_2() {
    let dir = setup(SMALL, &[]);
    let o = run(dir.path(), &["--set", "workload.partition=6"], 2);
    assert!(
        stderr(&o).contains("`workload.partition`: partition 6 does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out").exists());
    run(dir.path(), &["--set", "workload.partition=5"], 0);
}

/// Every record goes to the explicit partition (`KafkaProducer.partition()` returns
/// `record.partition()` before any partitioner), keyed or not, open or closed loop.
#[test]
fn an_explicit_partition_receives_every_record() {
    use prodsim::scenario::Scenario;
    for extra in [
        "",
        "workload.keys=100",
        "producer.send_mode=sync",
        "producer.partitioner_ignore_keys=true",
    ] {
        let mut sc = Scenario::parse_str(SMALL, Path::new("k.toml")).unwrap();
        // Small batches: the sticky partitioner moves on often enough to show the spread.
        sc.apply_set("producer.batch_size=1000").unwrap();
        if !extra.is_empty() {
            sc.apply_set(extra).unwrap();
        }
        let spread = prodsim::model::simulate(&sc.expand().unwrap()[0].spec, None);
        let spread = spread.first();
        // Negative control: without an explicit partition the records spread.
        assert!(
            spread.sent.iter().filter(|&&n| n > 0).count() > 1,
            "{extra}: {:?}",
            spread.sent
        );
        sc.apply_set("workload.partition=4").unwrap();
        let spec = sc.expand().unwrap()[0].spec.clone();
        let out = prodsim::model::simulate(&spec, None);
        let out = out.first();
        let total: u64 = out.sent.iter().sum();
        assert!(total > 30, "{extra}: {:?}", out.sent);
        assert_eq!(out.sent[4], total, "{extra}: {:?}", out.sent);
        for (p, log) in out.logs.iter().enumerate() {
            assert_eq!(p == 4, !log.is_empty(), "{extra}: partition {p} log");
        }
        let r = prodsim::run(&spec);
        assert_eq!(r.records_acked, total, "{extra}");
    }
}
