//! index.html says what the report is (issue 12, item 6): the scenario text escaped, the gate
//! verdicts, the summary, the parameters, the version, captions that are sentences, and the
//! timeline's run with the reason it was chosen; timeline.csv is that run's data, and its
//! `lost_acked` column places the lost acknowledged records by send time.

mod common;

use prodsim::report::{self, Row, TimelineRun};
use prodsim::scenario::Scenario;
use std::path::Path;

/// A small faulted sweep whose text, gate names and caption carry markup.
const SCENARIO: &str = r#"# What to look for: <script>alert("boo")</script> & nothing else.
name = "page-test"
duration_ms = 3000
seeds = 2

[producer]
linger_ms = 5

[workload]
rate = 2000

[sweep]
"producer.acks" = ["1", "all"]

[[faults]]
at_ms = 1000
kind = "crash-leader"
partition = 0
duration_ms = 1000

[[plots]]
x = "acks"
y = "latency_p99_ms"
kind = "bar"
caption = "Look <here> & there"

[[expect]]
name = "passes <b>bold</b>"
phantom = 0

[[expect]]
name = "fails on purpose"
where = { acks = "1" }
records_sent = { max = 1 }

[[expect]]
name = "matches no run"
where = { seed = 7 }
phantom = 0
"#;

/// Runs the scenario and writes its report into a fresh temporary directory.
fn report(choice: &TimelineRun) -> (tempfile::TempDir, Scenario, Vec<Row>) {
    let sc = Scenario::parse_str(SCENARIO, Path::new("page-test.toml")).unwrap();
    let w = common::write_report(&sc, choice);
    (w.dir, sc, w.rows)
}

#[test]
fn index_html_describes_the_report_and_escapes_the_scenario() {
    let (tmp, _, rows) = report(&TimelineRun::Row(3));
    let html = std::fs::read_to_string(tmp.path().join("index.html")).unwrap();
    // The scenario file as written, escaped: its comment cannot open a script.
    assert!(
        html.contains("# What to look for: &lt;script&gt;alert(&quot;boo&quot;)&lt;/script&gt; &amp; nothing else."),
        "{html}"
    );
    assert!(!html.contains("<script"), "no markup from the scenario survives");
    assert!(!html.contains("<b>bold"), "gate names are escaped");
    // Every gate's verdict, with its name.
    for (label, name) in [
        ("PASS", "passes &lt;b&gt;bold&lt;/b&gt;"),
        ("FAIL", "fails on purpose"),
        ("SKIP", "matches no run"),
    ] {
        let cell = format!("<td class=\"verdict {label}\">{label}</td><td>{name}</td>");
        assert!(html.contains(&cell), "{cell} in {html}");
    }
    assert!(html.contains("1 passed, 1 failed, 1 skipped"));
    // The version, and no wall clock or commit (the page is a function of the runs).
    assert!(html.contains(&format!("prodsim {}", report::VERSION)));
    if let Some(commit) = report::GIT_COMMIT {
        assert!(!html.contains(commit));
    }
    // The summary table: one line per sweep point, with its parameters.
    assert_eq!(rows.len(), 4);
    assert!(html.contains("<th>acks</th>") && html.contains("<td>all</td>"));
    // The parameters the runs set: the rate, and the swept acks with its values.
    assert!(html.contains("<td>workload.rate</td><td></td><td>2000</td>"), "{html}");
    assert!(
        html.contains("<td>producer.acks</td><td>acks</td><td>1 | all</td>"),
        "{html}"
    );
    // A caption that is a sentence about the chart, the plot's own caption escaped first.
    let stem = "latency_p99_ms_vs_acks";
    assert!(html.contains(&format!("<img src=\"{stem}.svg\"")));
    assert!(
        html.contains("Look &lt;here&gt; &amp; there. p99 latency (ms) against acks. Each bar is the mean of 2 runs"),
        "{html}"
    );
    assert!(!html.contains(&format!("<figcaption>{stem}")));
    // The timeline: which run and why.
    assert!(
        html.contains("Run 3 of 4 (results.csv row 3): <code>acks=all linger_ms=5"),
        "{html}"
    );
    assert!(
        html.contains("Why this run: row 3 of results.csv (--timeline-run 3)"),
        "{html}"
    );
    assert!(html.contains("<img src=\"timeline.svg\""));
}

#[test]
fn timeline_csv_is_the_chosen_run() {
    for (choice, acks, seed) in [
        (TimelineRun::Row(2), "1", "2"),
        (TimelineRun::parse("acks=all,seed=2").unwrap(), "all", "2"),
    ] {
        let (tmp, _, _) = report(&choice);
        let table = report::CsvTable::read(&tmp.path().join("timeline.csv")).unwrap();
        let (a, s) = (table.column("acks").unwrap(), table.column("seed").unwrap());
        assert!(!table.rows.is_empty());
        assert!(
            table.rows.iter().all(|r| r[a] == acks && r[s] == seed),
            "{choice:?}: {:?}",
            table.rows[0]
        );
        let svg = std::fs::read_to_string(tmp.path().join("timeline.svg")).unwrap();
        assert!(svg.contains(&format!("seed={seed}")), "the chart names the run");
    }
}

/// A zombie leader accepting acks=1 writes: the acknowledged records lost are counted per
/// bucket of their send time, and the buckets add up to the run's `lost_acked`. None was sent
/// before the fault (2 s); most while the leader was cut off (2 s to 14 s).
#[test]
fn lost_acked_records_are_placed_by_send_time() {
    let text = r#"
name = "zombie"
duration_ms = 20000
[producer]
acks = "1"
[workload]
rate = 2000
[[faults]]
at_ms = 2000
kind = "isolate-leader"
partition = 1
duration_ms = 12000
"#;
    let sc = Scenario::parse_str(text, Path::new("zombie.toml")).unwrap();
    let points = sc.expand().unwrap();
    let r = prodsim::run(&points[0].spec);
    assert!(
        r.delivery.lost_acked > 0,
        "the zombie leader loses acknowledged records"
    );
    let by_send: u64 = r.timeline.iter().map(|b| b.lost_acked).sum();
    assert_eq!(by_send, r.delivery.lost_acked);
    let first = r.timeline.iter().find(|b| b.lost_acked > 0).unwrap();
    let last = r.timeline.iter().rev().find(|b| b.lost_acked > 0).unwrap();
    assert!(first.t_ms >= 2000 - first.width_ms, "{first:?}");
    // The old leader keeps accepting until metadata reaches it, a second or two after the heal.
    assert!(last.t_ms < 17_000, "{last:?}");
    let during: u64 = r
        .timeline
        .iter()
        .filter(|b| (2000..14_000).contains(&b.t_ms))
        .map(|b| b.lost_acked)
        .sum();
    assert!(
        during * 10 >= by_send * 8,
        "most were sent during the fault: {during} of {by_send}"
    );
    // timeline.csv carries the column.
    let table = {
        let tmp = tempfile::tempdir().unwrap();
        let rows = vec![prodsim::runner::row(&points[0], &r)];
        let rep = report::ScenarioReport {
            scenario: &sc,
            points: &points,
            results: std::slice::from_ref(&r),
            rows: &rows,
            charts: false,
            shard_marker: None,
            overrides: &[],
            timeline_run: &TimelineRun::FirstLoss,
        };
        report::write_scenario_report(&rep, tmp.path()).unwrap();
        report::CsvTable::read(&tmp.path().join("timeline.csv")).unwrap()
    };
    let c = table.column("lost_acked").unwrap();
    let sum: u64 = table.rows.iter().map(|row| row[c].parse::<u64>().unwrap()).sum();
    assert_eq!(sum, r.delivery.lost_acked);
}

/// `prodsim run --timeline-run`: a row or selector no run has is bad input (exit 2, nothing
/// written); a selector picks its run and the page says so.
#[test]
fn timeline_run_option_is_checked_before_running_and_said_in_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("s.toml"), SCENARIO).unwrap();
    let run = |which: &str, out: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_prodsim"))
            .current_dir(d)
            .args(["run", "s.toml", "--out", out, "--timeline-run", which])
            .output()
            .unwrap()
    };
    for bad in ["5", "acks=0", "linger=5", "worst"] {
        let o = run(bad, "bad");
        assert_eq!(
            o.status.code(),
            Some(2),
            "{bad}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("--timeline-run"));
        assert!(!d.join("bad").exists(), "{bad}: nothing written");
    }
    let o = run("acks=all,seed=1", "good");
    // The scenario's "fails on purpose" gate exits 3; the report is written.
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(d.join("good/page-test/index.html")).unwrap();
    assert!(
        html.contains("Why this run: the first run with acks = all, seed = 1 (--timeline-run acks=all,seed=1)"),
        "{html}"
    );
}
