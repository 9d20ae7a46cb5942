//! Kafka's own formats in scenarios: dotted Kafka names in TOML and `--set`, properties files,
//! producer configs prodsim does not model, serializers, explicit partitions.

use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse_str(text, Path::new("scenarios/x.toml"))
}

fn err(text: &str) -> ScenarioError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// A scenario file (and others) in a fresh directory; returns the directory and the scenario.
fn files(scenario: &str, others: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in others {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, text).unwrap();
    }
    let sc = dir.path().join("s.toml");
    std::fs::write(&sc, scenario).unwrap();
    (dir, sc)
}

#[test]
fn toml_sections_take_kafka_names_quoted_and_dotted() {
    let sc = parse(
        "[producer]\n\"linger.ms\" = 10\nbatch.size = 32768\nmax.in.flight.requests.per.connection = 1\n\
         [cluster]\nmin.insync.replicas = 2\n\"unclean.leader.election.enable\" = true\n",
    )
    .unwrap();
    assert_eq!(sc.base.producer.linger_ms, 10);
    assert_eq!(sc.base.producer.batch_size, 32_768);
    assert_eq!(sc.base.producer.max_in_flight_requests_per_connection, 1);
    assert_eq!(sc.base.cluster.min_insync_replicas, 2);
    assert!(sc.base.cluster.unclean_leader_election_enable);
    // Errors keep the line and the key as written, with the allowed values.
    let e = err("[producer]\nacks = \"all\"\nlinger.ms = -1\n");
    assert_eq!(e.line, Some(3), "{e}");
    assert_eq!(e.key.as_deref(), Some("producer.linger.ms"));
    assert!(e.message.contains("expected integer from 0"), "{e}");
    let e = err("[producer]\n\"linger.mss\" = 1\n");
    assert_eq!(e.line, Some(2), "{e}");
    assert!(
        e.message.contains("did you mean `linger.ms` (`producer.linger_ms`)"),
        "{e}"
    );
    // A Kafka name at the top level points to its section.
    let e = err("\nlinger.ms = 5\n");
    assert_eq!(e.line, Some(2), "{e}");
    assert!(
        e.message
            .contains("`linger.ms` is `producer.linger_ms`: write it in the [producer] section"),
        "{e}"
    );
    let e = err("[sweep]\n\"producer.properties\" = [\"a\"]\n");
    assert!(e.message.contains("cannot be swept"), "{e}");
    // A cluster config in [producer] points to its section.
    let e = err("[producer]\nmin.insync.replicas = 2\n");
    assert!(e.message.contains("cluster.min_insync_replicas"), "{e}");
}

#[test]
fn one_key_under_two_names_is_refused() {
    let e = err("[producer]\nlinger_ms = 5\n\"linger.ms\" = 10\n");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("set twice") && e.message.contains("line 2"), "{e}");
}

#[test]
fn unmodelled_configs_are_accepted_with_one_note_each() {
    let sc = parse(
        "[producer]\nbootstrap.servers = \"a:9092,b:9092\"\n\"client.id\" = \"me\"\nsecurity.protocol = \"SSL\"\n\
         ssl.truststore.location = \"/x\"\nmetadata.max.idle.ms = 300000\nsend.buffer.bytes = 131072\n",
    )
    .unwrap();
    assert_eq!(sc.base, crate::config::RunSpec::default());
    let notes = sc.notes();
    assert_eq!(notes.len(), 6, "{notes:?}");
    assert_eq!(
        notes[0],
        "note: `bootstrap.servers` is not modelled; it has no effect (scenarios/x.toml:2)"
    );
    assert!(notes[4].starts_with("note: `metadata.max.idle.ms` is not modelled; it has no effect"));
    // The same config again (--set) still gives one note, at the last place it was set.
    let mut sc = sc;
    sc.apply_set("client.id=other").unwrap();
    sc.apply_set("producer.client.id=again").unwrap();
    let notes = sc.notes();
    assert_eq!(notes.iter().filter(|n| n.contains("`client.id`")).count(), 1);
    assert!(notes[1].ends_with("(--set)"), "{notes:?}");
    // A list is not a Kafka properties value; sweeping an unmodelled config is refused.
    let e = err("[producer]\nbootstrap.servers = [\"a:9092\"]\n");
    assert!(e.message.contains("comma-separated"), "{e}");
    let e = err("[sweep]\n\"producer.client.id\" = [\"a\", \"b\"]\n");
    assert!(e.message.contains("not modelled"), "{e}");
    let e = sc.apply_set("client.id=[\"a\", \"b\"]").unwrap_err();
    assert!(e.message.contains("not modelled"), "{e}");
}

#[test]
fn a_formerly_unmodelled_key_is_accepted_under_its_kafka_name() {
    let sc = parse("[cluster]\nmessage.max.bytes = 1000\n").unwrap();
    assert_eq!(sc.base.cluster.message_max_bytes, 1000);
    let mut sc = parse("").unwrap();
    sc.apply_set("metadata.max.age.ms=1000").unwrap();
    assert_eq!(sc.base.producer.metadata_max_age_ms, 1000);
    assert!(sc.notes().is_empty());
}

/// `metadata.max.age.ms` is modelled: accepted under its Kafka name, in a properties file too.
#[test]
fn metadata_max_age_is_accepted_under_its_kafka_name() {
    let mut sc = parse("[producer]\nmetadata.max.age.ms = 1000\n").unwrap();
    assert!(sc.apply_set("metadata.max.age.ms=2000").is_ok());
    let (_d, path) = files(
        "[producer]\nproperties = \"p.properties\"\n",
        &[("p.properties", "metadata.max.age.ms=1000\n")],
    );
    assert!(Scenario::load(&path).is_ok());
}

#[test]
fn set_takes_kafka_names_short_names_and_sections() {
    let mut sc = parse("").unwrap();
    sc.apply_set("linger.ms=11").unwrap();
    assert_eq!(sc.base.producer.linger_ms, 11);
    sc.apply_set("producer.linger.ms=12").unwrap();
    assert_eq!(sc.base.producer.linger_ms, 12);
    sc.apply_set("linger_ms=13").unwrap();
    assert_eq!(sc.base.producer.linger_ms, 13);
    sc.apply_set("min.insync.replicas=2").unwrap();
    assert_eq!(sc.base.cluster.min_insync_replicas, 2);
    sc.apply_set("enable.idempotence=false").unwrap();
    assert_eq!(sc.base.producer.enable_idempotence, Some(false));
    // A list sweeps, under the registry key and its column.
    sc.apply_set("batch.size=[1000, 2000]").unwrap();
    assert_eq!(sc.sweep.last().unwrap().key, "producer.batch_size");
    assert_eq!(sc.columns()[2], "batch_size");
    // Errors name the key as written.
    let e = sc.apply_set("linger.ms=x").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("linger.ms"));
    assert!(e.message.contains("expected integer"), "{e}");
    let e = sc.apply_set("producer.properties=p.properties").unwrap_err();
    assert!(e.message.contains("--producer-config"), "{e}");
}

#[test]
fn sweep_takes_kafka_names() {
    let sc = parse(
        "[sweep]\n\"producer.linger.ms\" = [0, 5]\ncluster.min.insync.replicas = [1, 2]\n\"acks\" = [\"1\", \"all\"]\n",
    )
    .unwrap();
    let keys: Vec<&str> = sc.sweep.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        keys,
        ["producer.linger_ms", "cluster.min_insync_replicas", "producer.acks"]
    );
    assert_eq!(sc.expand().unwrap().len(), 8);
    let e = err("[sweep]\n\"producer.linger.ms\" = [0]\n\"producer.linger_ms\" = [5]\n");
    assert!(e.message.contains("swept twice"), "{e}");
    let e = err("[sweep]\n\"value.serializer\" = [\"a\"]\n");
    assert!(e.message.contains("sweep `workload.record_bytes`"), "{e}");
}

#[test]
fn properties_file_sits_between_the_scenario_and_set() {
    let props = "# producer.properties\n! a comment\nlinger.ms = 20\nbatch.size: 50000\nacks all\n\
                 retries=\\\n   7\nclient.id=\\u0070rodsim\nenable.idempotence=FALSE\n";
    let (_d, path) = files(
        "[producer]\nlinger_ms = 1\nbatch_size = 1000\nproperties = \"conf/p.properties\"\nacks = \"1\"\n",
        &[("conf/p.properties", props)],
    );
    let mut sc = Scenario::load(&path).unwrap();
    assert_eq!(sc.base.producer.linger_ms, 20);
    assert_eq!(sc.base.producer.batch_size, 50_000);
    assert_eq!(sc.base.producer.acks, crate::config::Acks::All);
    assert_eq!(sc.base.producer.retries, 7);
    assert_eq!(sc.base.producer.enable_idempotence, Some(false));
    assert_eq!(sc.notes().len(), 1, "{:?}", sc.notes());
    assert!(sc.notes()[0].contains("`client.id`") && sc.notes()[0].contains("p.properties:8"));
    sc.apply_set("linger.ms=30").unwrap();
    assert_eq!(sc.base.producer.linger_ms, 30);
    // --producer-config (apply_properties) layers the same way.
    let extra = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(extra.path(), "batch.size=60000\n").unwrap();
    sc.apply_properties(extra.path(), "extra.properties").unwrap();
    assert_eq!(sc.base.producer.batch_size, 60_000);
    // A later error in a properties value is located there.
    std::fs::write(extra.path(), "\n\nlinger.ms=soon\n").unwrap();
    let e = sc.apply_properties(extra.path(), "extra.properties").unwrap_err();
    assert_eq!(e.to_string().split(": ").next(), Some("extra.properties:3"));
    assert_eq!(e.key.as_deref(), Some("linger.ms"));
    assert!(
        e.message.contains("expected integer") && e.message.contains("\"soon\""),
        "{e}"
    );
}

#[test]
fn properties_file_refuses_other_sections_and_unknown_keys() {
    let bad = |text: &str| {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        parse("")
            .unwrap()
            .apply_properties(f.path(), "p.properties")
            .unwrap_err()
    };
    let e = bad("min.insync.replicas=2\n");
    assert!(
        e.message.contains("not a producer config") && e.message.contains("cluster.min_insync_replicas"),
        "{e}"
    );
    let e = bad("acks=1\nlinger.mss=2\n");
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("did you mean `linger.ms`"), "{e}");
    let e = bad("=1\n");
    assert!(e.message.contains("empty key"), "{e}");
    let e = bad("k=\\uZZZZ\n");
    assert!(e.message.contains("four hex digits"), "{e}");
    let missing = parse("")
        .unwrap()
        .apply_properties(Path::new("/nonexistent/p.properties"), "p.properties");
    assert!(missing.unwrap_err().message.contains("cannot read"));
}

#[test]
fn properties_pinning_a_swept_key_says_so() {
    let (_d, path) = files(
        "[producer]\nproperties = \"p.properties\"\n[sweep]\n\"producer.linger_ms\" = [0, 5]\n",
        &[("p.properties", "linger.ms=7\n")],
    );
    let sc = Scenario::load(&path).unwrap();
    assert!(sc.sweep.is_empty());
    assert_eq!(sc.base.producer.linger_ms, 7);
    let notes = sc.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("pinned") && notes[0].contains("p.properties:1"),
        "{notes:?}"
    );
}

#[test]
fn scenario_properties_path_is_confined() {
    for rel in ["../p.properties", "conf/../../p.properties", "/etc/passwd", ""] {
        let (_d, path) = files(
            &format!("[producer]\nproperties = {rel:?}\n"),
            &[("p.properties", "acks=1\n")],
        );
        let e = Scenario::load(&path).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("producer.properties"), "{rel}: {e}");
        assert_eq!(e.line, Some(2), "{rel}: {e}");
        assert!(
            e.message.contains("relative to the scenario file's directory"),
            "{rel}: {e}"
        );
    }
    let (_d, path) = files("[producer]\nproperties = \"none.properties\"\n", &[]);
    let e = Scenario::load(&path).unwrap_err();
    assert!(e.message.contains("cannot read properties file"), "{e}");
    let e = err("[producer]\nproperties = 3\n");
    assert!(e.message.contains("expected a string"), "{e}");
}

#[cfg(unix)]
#[test]
fn scenario_properties_may_not_leave_its_directory_through_a_link() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.properties"), "acks=1\n").unwrap();
    let (d, path) = files("[producer]\nproperties = \"link.properties\"\n", &[]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.properties"),
        d.path().join("link.properties"),
    )
    .unwrap();
    let e = Scenario::load(&path).unwrap_err();
    assert!(e.message.contains("outside the scenario file's directory"), "{e}");
    // Negative control: a link that stays inside is fine.
    std::fs::write(d.path().join("real.properties"), "acks=1\n").unwrap();
    std::os::unix::fs::symlink(d.path().join("real.properties"), d.path().join("inside.properties")).unwrap();
    std::fs::write(&path, "[producer]\nproperties = \"inside.properties\"\n").unwrap();
    assert_eq!(
        Scenario::load(&path).unwrap().base.producer.acks,
        crate::config::Acks::One
    );
}

const SER: &str = "org.apache.kafka.common.serialization.";

#[test]
fn serializers_fix_sizes() {
    let sc = parse(&format!(
        "[producer]\nkey.serializer = \"{SER}IntegerSerializer\"\n\"value.serializer\" = \"{SER}LongSerializer\"\n\
         [workload]\nkeys = 100\n"
    ))
    .unwrap();
    assert_eq!(sc.base.workload.key_bytes, 4);
    assert_eq!(sc.base.workload.record_bytes, 8);
    assert!(sc.notes().is_empty(), "{:?}", sc.notes());
    // Data-sized classes keep the workload's sizes.
    let sc = parse(&format!(
        "[producer]\nkey.serializer = \"{SER}StringSerializer\"\nvalue.serializer = \"{SER}ByteArraySerializer\"\n"
    ))
    .unwrap();
    assert_eq!((sc.base.workload.key_bytes, sc.base.workload.record_bytes), (16, 100));
    assert!(sc.notes().is_empty(), "{:?}", sc.notes());
    // --set: UUID values, and the precedence of a later size.
    let mut sc = parse("").unwrap();
    sc.apply_set(&format!("value.serializer={SER}UUIDSerializer")).unwrap();
    assert_eq!(sc.base.workload.record_bytes, 36);
    sc.apply_set("workload.record_bytes=50").unwrap();
    assert_eq!(sc.base.workload.record_bytes, 50);
}

#[test]
fn serializer_notes() {
    // Unknown class: workload sizes, with a hint for a simple name.
    let sc = parse("[producer]\nvalue.serializer = \"LongSerializer\"\nkey.serializer = \"com.x.Avro\"\n").unwrap();
    assert_eq!(sc.base.workload.record_bytes, 100);
    let notes = sc.notes();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("note: `key.serializer` = `com.x.Avro` is not modelled; workload sizes used"));
    assert!(notes[1].contains(&format!("`{SER}LongSerializer`")), "{notes:?}");
    // A fixed-size key serializer on keyless records has no effect, and says so.
    let sc = parse(&format!("[producer]\nkey.serializer = \"{SER}LongSerializer\"\n")).unwrap();
    let notes = sc.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("keyless (workload.keys = 0)"), "{notes:?}");
    let mut sc = sc;
    sc.apply_set("workload.keys=10").unwrap();
    assert!(sc.notes().is_empty());
}

#[test]
fn serializer_contradicting_the_same_file_is_refused() {
    let e = err(&format!(
        "[producer]\nvalue.serializer = \"{SER}LongSerializer\"\n[workload]\nrecord_bytes = 300\n"
    ));
    assert_eq!(e.line, Some(2), "{e}");
    assert_eq!(e.key.as_deref(), Some("producer.value.serializer"));
    assert!(e.message.contains("8 bytes") && e.message.contains("line 4"), "{e}");
    let e = err(&format!(
        "[producer]\nvalue.serializer = \"{SER}LongSerializer\"\n[sweep]\n\"workload.record_bytes\" = [1, 2]\n"
    ));
    assert!(
        e.message.contains("[sweep] sweeps `workload.record_bytes` (line 4)"),
        "{e}"
    );
    // The same size set explicitly is no contradiction.
    let sc = parse(&format!(
        "[producer]\nvalue.serializer = \"{SER}LongSerializer\"\n[workload]\nrecord_bytes = 8\n"
    ))
    .unwrap();
    assert_eq!(sc.base.workload.record_bytes, 8);
    let e = err("[producer]\nkey.serializer = 4\n");
    assert!(e.message.contains("class name string"), "{e}");
}

#[test]
fn explicit_partition_must_exist() {
    let sc = parse("[workload]\npartition = 5\n").unwrap();
    assert_eq!(sc.base.workload.partition, Some(5));
    let e = err("[workload]\npartition = 6\n");
    assert_eq!(e.key.as_deref(), Some("workload.partition"));
    assert_eq!(e.line, Some(2));
    assert!(
        e.message.contains("partition 6 does not exist") && e.message.contains("6 partitions"),
        "{e}"
    );
    let mut sc = parse("[workload]\npartition = 2\n").unwrap();
    sc.apply_set("cluster.partitions=2").unwrap();
    let e = sc.expand().unwrap_err();
    assert_eq!(e.key.as_deref(), Some("workload.partition"));
    sc.apply_set("workload.partition=default").unwrap();
    assert_eq!(sc.expand().unwrap()[0].spec.workload.partition, None);
}
