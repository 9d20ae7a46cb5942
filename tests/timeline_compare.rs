//! `[[plots]]` kind = "timeline" (issue 11, item 5): one timeline panel per value of a swept
//! column, side by side, in one figure whose caption in index.html says which runs it compares;
//! the same runs draw the same bytes.

mod common;

use prodsim::report::TimelineRun;
use prodsim::scenario::Scenario;
use std::path::Path;

/// KIP-101 scenario 1 (shortened): 0.10 loses acknowledged records, 0.11 does not.
const SCENARIO: &str = r#"
name = "kip-101-compare"
duration_ms = 6000
seeds = [310392432]
[producer]
acks = "all"
[cluster]
partitions = 1
min_insync_replicas = 2
unclean_leader_election_enable = false
[workload]
rate = 2000
[sweep]
"cluster.kafka_version" = ["0.10", "0.11"]
[[faults]]
at_ms = 4
kind = "crash"
duration_ms = 100
broker = "b1"
[[faults]]
at_ms = 113
kind = "partition"
duration_ms = 4941
groups = [["b0"], ["b1", "b2", "controller", "producer"]]
[[plots]]
kind = "timeline"
per = "kafka_version"
title = "KIP-101 <scenario 1>"
caption = "Look at <0.10> & its losses."
"#;

fn report(choice: &TimelineRun) -> tempfile::TempDir {
    report_of(SCENARIO, choice)
}

fn report_of(text: &str, choice: &TimelineRun) -> tempfile::TempDir {
    let sc = Scenario::parse_str(text, Path::new("kip-101-compare.toml")).unwrap();
    common::write_report(&sc, choice).dir
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_timeline_plot_draws_one_panel_per_value_and_is_captioned() {
    let tmp = report(&TimelineRun::default());
    let svg = String::from_utf8(read(tmp.path(), "timeline_by_kafka_version.svg")).unwrap();
    assert!(!read(tmp.path(), "timeline_by_kafka_version.png").is_empty());
    for heading in ["kafka_version = 0.10", "kafka_version = 0.11"] {
        assert!(svg.contains(heading), "panel `{heading}` missing");
    }
    assert!(
        svg.contains("KIP-101 &lt;scenario 1&gt;"),
        "the title, escaped in the SVG"
    );
    assert!(svg.contains("run 1 of 2, seed 310392432: the only run with kafka_version = 0.10"));
    assert!(svg.contains("run 2 of 2, seed 310392432: the only run with kafka_version = 0.11"));
    // 0.10 loses acknowledged records (said in its panel and marked); 0.11 does not.
    assert!(svg.contains("acknowledged records lost") || svg.contains("acknowledged record lost"));
    assert!(svg.contains("no acknowledged record lost"));
    let count = |l: &&str| l.trim().ends_with(" lost") && l.trim().split(' ').count() == 2;
    assert!(svg.lines().any(|l| count(&l)), "the lost bucket's count");
    // The faults, listed once under both panels.
    assert_eq!(svg.matches("1: crash b1").count(), 1, "{svg}");
    let html = String::from_utf8(read(tmp.path(), "index.html")).unwrap();
    assert!(html.contains("src=\"timeline_by_kafka_version.svg\""));
    assert!(
        html.contains("Look at &lt;0.10&gt; &amp; its losses."),
        "own caption, escaped"
    );
    assert!(html.contains("One timeline per value of kafka_version"));
    assert!(html.contains("kafka_version = 0.10: run 1 ("));
    assert!(html.contains("the only run with kafka_version = 0.10; it lost"));
    assert!(html.contains("kafka_version = 0.11: run 2 (") && html.contains("it lost no acknowledged record"));
    // No table chart was asked for: the plot is the only chart besides the run's timeline.
    assert!(!tmp.path().join("throughput_rps_vs_linger_ms.svg").exists());
}

#[test]
fn a_timeline_plot_is_deterministic() {
    let (a, b) = (report(&TimelineRun::default()), report(&TimelineRun::default()));
    for name in [
        "timeline_by_kafka_version.svg",
        "timeline_by_kafka_version.png",
        "index.html",
    ] {
        assert!(
            read(a.path(), name) == read(b.path(), name),
            "{name} differs between two runs"
        );
    }
}

#[test]
fn a_row_choice_shows_its_counterpart_in_the_other_panel() {
    // Two seeds: two runs per value, so the rule has a choice to make.
    let tmp = report_of(
        &SCENARIO.replace("seeds = [310392432]", "seeds = 2"),
        &TimelineRun::Row(2),
    );
    let html = String::from_utf8(read(tmp.path(), "index.html")).unwrap();
    assert!(
        html.contains("kafka_version = 0.10: run 2 (")
            && html.contains("row 2 of results.csv (--timeline-run 2); it lost"),
        "{html}"
    );
    assert!(html.contains(
        "kafka_version = 0.11: run 4 (acks=all linger_ms=0 batch_size=16384 send_mode=async kafka_version=0.11 seed=2), \
         the run like row 2 of results.csv but with kafka_version = 0.11 (--timeline-run 2)"
    ));
    let worst = report_of(
        &SCENARIO.replace("seeds = [310392432]", "seeds = 2"),
        &TimelineRun::default(),
    );
    let svg = String::from_utf8(read(worst.path(), "timeline_by_kafka_version.svg")).unwrap();
    assert!(svg.contains("the run with the worst p99 latency ("), "{svg}");
}
