//! Self-describing results and safe what-ifs (issue 12, items 4 and 5): a report holds its
//! effective scenario (which re-runs to the same results), results.json, parameters.csv and
//! timeline.csv; a run with overrides and no `--out` leaves the published report alone; a gate
//! that matches no run is skipped unless `--strict`; long jobs show progress on stderr. Every
//! test works in its own temporary directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> String {
    std::env::var("PRODSIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_prodsim").to_string())
}

/// A short sweep (2 x 2 points, 2 seeds) with a scripted fault, a plot and gates, one of which
/// filters on a column that a `--set` below pins away.
const SWEEP: &str = r#"name = "w"
duration_ms = 600
settle_ms = 2000
seeds = 2
[producer]
linger_ms = 2
[workload]
rate = 2000
record_bytes = 200
[sweep]
"producer.acks" = ["1", "all"]
"cluster.min_insync_replicas" = [1, 2]
[[faults]]
at_ms = 200
kind = "crash-leader"
partition = 0
duration_ms = 200
[[plots]]
x = "min_insync_replicas"
y = "latency_p99_ms"
series = "acks"
[[expect]]
name = "nothing phantom"
phantom = 0
[[expect]]
name = "min isr 2 nothing phantom"
where = { min_insync_replicas = 2 }
phantom = 0
"#;

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(cwd)
        .args(args)
        .env("PRODSIM_PROGRESS_MS", "1")
        .output()
        .expect("run prodsim")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn expect_code(o: &Output, want: i32, what: &str) {
    assert_eq!(
        o.status.code(),
        Some(want),
        "{what}: stdout:\n{}\nstderr:\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains("panicked"), "{what}: {}", text(&o.stderr));
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.toml"), SWEEP).unwrap();
    dir
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The CSV's header and rows.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let t = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = t.lines().map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

#[test]
fn the_effective_scenario_reruns_to_the_same_results() {
    let dir = setup();
    let d = dir.path();
    // Pin a swept key (its plot and its gate go), sweep another, set a plain key.
    let sets = [
        "--set",
        "cluster.min_insync_replicas=1",
        "--set",
        "linger.ms=[0, 3]",
        "--set",
        "workload.record_bytes=150",
    ];
    let mut args = vec!["run", "s.toml", "--out", "a", "--no-charts"];
    args.extend(sets);
    expect_code(&run_in(d, &args), 0, "with overrides");
    let report = d.join("a/w");
    let scenario = fs::read_to_string(report.join("scenario.toml")).unwrap();
    assert!(scenario.contains("record_bytes = 150"), "{scenario}");
    assert!(
        scenario.contains("# override: \"--set linger.ms=[0, 3]\""),
        "{scenario}"
    );
    assert!(
        scenario.contains("# [[plots]]"),
        "the pinned plot is kept as a comment: {scenario}"
    );
    fs::copy(report.join("scenario.toml"), d.join("again.toml")).unwrap();
    expect_code(
        &run_in(d, &["run", "again.toml", "--out", "b", "--no-charts"]),
        0,
        "the effective scenario",
    );
    for f in ["results.csv", "summary.csv", "parameters.csv", "timeline.csv"] {
        assert_eq!(
            fs::read(report.join(f)).unwrap(),
            fs::read(d.join("b/w").join(f)).unwrap(),
            "{f} differs when the effective scenario is run"
        );
    }
    let runs = |p: &Path| json(&p.join("results.json"))["runs"].clone();
    assert_eq!(runs(&report), runs(&d.join("b/w")));
    // Its own scenario.toml is a fixed point (comments aside: the header, and the entries the
    // first run had to keep as comments, which the second file no longer has).
    let body = |p: &Path| {
        let t = fs::read_to_string(p.join("scenario.toml")).unwrap();
        t.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&report), body(&d.join("b/w")));
}

#[test]
fn results_json_holds_every_run_config_version_and_measures() {
    let dir = setup();
    let d = dir.path();
    let o = run_in(
        d,
        &[
            "run",
            "s.toml",
            "--out",
            "o",
            "--no-charts",
            "--set",
            "producer.batch_size=5000",
        ],
    );
    expect_code(&o, 0, "run");
    let j = json(&d.join("o/w/results.json"));
    assert_eq!(j["prodsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(j["scenario"], "w");
    assert_eq!(j["overrides"][0], "--set producer.batch_size=5000");
    let (header, rows) = csv(&d.join("o/w/results.csv"));
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 8);
    assert_eq!(runs.len(), rows.len());
    for (run, row) in runs.iter().zip(&rows) {
        let c = &run["config"];
        assert_eq!(c["producer"]["batch_size"], 5000);
        assert_eq!(c["producer"]["linger_ms"], 2);
        assert_eq!(c["workload"]["rate"], 2000.0);
        assert_eq!(c["duration_ms"], 600);
        assert_eq!(c["producer"]["acks"], run["params"]["acks"]);
        assert_eq!(c["faults"][0]["kind"], "crash-leader");
        assert!(c["resolved"]["enable_idempotence"].is_boolean());
        assert_eq!(c["seed"], run["seed"]);
        // Every measure, with the value results.csv holds.
        for (col, cell) in header.iter().zip(row) {
            if let Some(m) = run["measures"].get(col) {
                assert_eq!(m.as_f64().unwrap(), cell.parse::<f64>().unwrap(), "{col}");
            }
        }
        for m in ["latency_p95_ms", "throughput_mb_s", "lost_acked", "events"] {
            assert!(run["measures"].get(m).is_some(), "{m} missing");
        }
        assert_eq!(run["event_digest"].as_str().unwrap().len(), 16);
    }
}

#[test]
fn new_columns_parameters_and_timeline() {
    let dir = setup();
    let d = dir.path();
    expect_code(
        &run_in(
            d,
            &["run", "s.toml", "--out", "o", "--no-charts", "--set", "producer.acks=1"],
        ),
        0,
        "run",
    );
    let (header, rows) = csv(&d.join("o/w/results.csv"));
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    // The original columns keep their places; the new measures come last.
    let appended = [
        "throughput_mb_s",
        "latency_p95_ms",
        "offered_rps",
        "send_blocked_ms",
        "buffer_wait_ratio",
        "saturated",
        "visible_p50_ms",
        "visible_p99_ms",
        "visible_max_ms",
        "lost_unsent",
        "e2e_p50_ms",
        "e2e_p99_ms",
        "e2e_max_ms",
        "records_consumed",
        "consumer_throughput_rps",
        "consumed_lost",
    ];
    assert_eq!(header[header.len() - appended.len()..], appended);
    assert_eq!(header[col("events") + 1], "throughput_mb_s");
    for r in &rows {
        let f = |c: &str| r[col(c)].parse::<f64>().unwrap();
        // perf-test's MB/sec: payload bytes / 1024 / 1024 per second (keyless 200-byte records).
        let want = f("throughput_rps") * 200.0 / 1048576.0;
        assert!(
            (f("throughput_mb_s") - want).abs() < 0.002,
            "{} vs {want}",
            f("throughput_mb_s")
        );
        assert!(f("latency_p50_ms") <= f("latency_p95_ms") && f("latency_p95_ms") <= f("latency_p99_ms"));
    }
    // summary.csv: the new means come last, after the sums.
    let (sh, _) = csv(&d.join("o/w/summary.csv"));
    assert_eq!(sh[sh.len() - appended.len() - 1], "reordered_sum");
    assert_eq!(sh[sh.len() - appended.len()..], appended);
    // Counts are integers in summary.csv where the mean over seeds is whole.
    let (sh, srows) = csv(&d.join("o/w/summary.csv"));
    let phantom = sh.iter().position(|h| h == "phantom").unwrap();
    assert!(srows.iter().all(|r| r[phantom] == "0"), "{srows:?}");
    let sent = sh.iter().position(|h| h == "records_sent").unwrap();
    assert!(srows.iter().all(|r| !r[sent].contains('.')), "{srows:?}");
    // parameters.csv: the fixed parameters a reader needs, and where the varying ones are.
    let (ph, prows) = csv(&d.join("o/w/parameters.csv"));
    assert_eq!(ph, ["key", "kafka_name", "value", "default", "results_column"]);
    let param = |k: &str| {
        prows
            .iter()
            .find(|r| r[0] == k)
            .unwrap_or_else(|| panic!("{k}"))
            .clone()
    };
    assert_eq!(param("workload.rate")[2], "2000");
    assert_eq!(param("workload.record_bytes")[2], "200");
    assert_eq!(param("cluster.partitions")[2], "6");
    assert_eq!(param("cluster.replication_factor")[2], "3");
    assert_eq!(param("producer.linger_ms")[1], "linger.ms");
    assert_eq!(param("producer.acks")[2], "1");
    assert_eq!(
        param("cluster.min_insync_replicas")[2..],
        ["1 | 2", "1", "min_insync_replicas"]
    );
    assert_eq!(param("seeds")[2], "1 | 2");
    // timeline.csv: the buckets of the run the timeline chart shows.
    let (th, trows) = csv(&d.join("o/w/timeline.csv"));
    assert_eq!(th[..2], ["acks", "linger_ms"]);
    assert_eq!(
        th[th.len() - 8..],
        [
            "t_ms",
            "width_ms",
            "acked",
            "acked_rps",
            "latency_mean_ms",
            "latency_p99_ms",
            "latency_max_ms",
            "lost_acked"
        ]
    );
    assert!(!trows.is_empty());
    let t = th.iter().position(|h| h == "t_ms").unwrap();
    assert_eq!(trows[0][t], "0");
    let acked: u64 = trows.iter().map(|r| r[t + 2].parse::<u64>().unwrap()).sum();
    assert!(acked > 0);
}

#[test]
fn a_what_if_leaves_the_published_report_alone() {
    let dir = setup();
    let d = dir.path();
    expect_code(&run_in(d, &["run", "s.toml", "--no-charts"]), 0, "published run");
    let published = snapshot(&d.join("reports/w"));
    assert!(published.contains_key(Path::new("results.csv")));
    let o = run_in(d, &["run", "s.toml", "--no-charts", "--set", "producer.acks=all"]);
    expect_code(&o, 0, "what-if");
    assert_eq!(
        snapshot(&d.join("reports/w")),
        published,
        "the published report changed"
    );
    let mut names: Vec<String> = fs::read_dir(d.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    let what_if = names.iter().find(|n| n.starts_with("w-")).unwrap().clone();
    assert_eq!(what_if.len(), "w-".len() + 8);
    assert!(
        text(&o.stdout).contains(&format!("reports/{what_if}")),
        "{}",
        text(&o.stdout)
    );
    assert!(text(&o.stderr).contains("a what-if"), "{}", text(&o.stderr));
    let (h, rows) = csv(&d.join("reports").join(&what_if).join("results.csv"));
    let acks = h.iter().position(|c| c == "acks").unwrap();
    assert!(rows.iter().all(|r| r[acks] == "all"));
    // The same overrides find the same directory; other overrides another one.
    expect_code(
        &run_in(d, &["run", "s.toml", "--no-charts", "--set", "producer.acks=all"]),
        0,
        "again",
    );
    expect_code(
        &run_in(d, &["run", "s.toml", "--no-charts", "--set", "producer.acks=1"]),
        0,
        "other",
    );
    let count = fs::read_dir(d.join("reports"))
        .unwrap()
        .filter(|e| !e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(count, 3);
    assert_eq!(snapshot(&d.join("reports/w")), published);
    // An explicit --out keeps OUT/<name>/, as scripts expect.
    expect_code(
        &run_in(
            d,
            &[
                "run",
                "s.toml",
                "--no-charts",
                "--out",
                "reports",
                "--set",
                "producer.acks=1",
            ],
        ),
        0,
        "explicit out",
    );
    assert_ne!(snapshot(&d.join("reports/w")), published);
}

#[test]
fn a_gate_without_runs_is_skipped_unless_strict() {
    let dir = setup();
    let d = dir.path();
    // Pinning min ISR to 1 leaves the `min_insync_replicas = 2` gate without runs.
    let base = [
        "run",
        "s.toml",
        "--out",
        "o",
        "--no-charts",
        "--set",
        "cluster.min_insync_replicas=1",
    ];
    let o = run_in(d, &base);
    expect_code(&o, 0, "no-match gate");
    let out = text(&o.stdout);
    assert!(
        out.contains("[SKIP] min isr 2 nothing phantom (0 runs): skipped (no matching run)"),
        "{out}"
    );
    assert!(out.contains("[PASS] nothing phantom"), "{out}");
    let mut strict = base.to_vec();
    strict.push("--strict");
    let o = run_in(d, &strict);
    expect_code(&o, 3, "--strict");
    assert!(
        text(&o.stdout).contains("[FAIL] min isr 2 nothing phantom (0 runs)"),
        "{}",
        text(&o.stdout)
    );
    // With runs to check, --strict changes nothing.
    let o = run_in(d, &["run", "s.toml", "--out", "o", "--no-charts", "--strict"]);
    expect_code(&o, 0, "--strict with matching runs");
}

#[test]
fn long_jobs_show_progress_when_stderr_is_not_a_terminal() {
    let dir = setup();
    let d = dir.path();
    // PRODSIM_PROGRESS_MS=1: a line every millisecond instead of every 5 s. Each job lasts
    // tens of milliseconds (a job that ends before the display thread looks prints nothing).
    let o = run_in(
        d,
        &[
            "run",
            "s.toml",
            "--out",
            "o",
            "--no-charts",
            "--jobs",
            "1",
            "--set",
            "duration_ms=5000",
        ],
    );
    expect_code(&o, 0, "run");
    assert!(text(&o.stderr).contains("runs done"), "{}", text(&o.stderr));
    let o = run_in(
        d,
        &[
            "search",
            "s.toml",
            "--property",
            "no_phantoms",
            "--cases",
            "20",
            "--out",
            "o",
            "--jobs",
            "1",
        ],
    );
    expect_code(&o, 0, "search");
    assert!(text(&o.stderr).contains("/20 cases"), "{}", text(&o.stderr));
    let o = run_in(
        d,
        &[
            "perf-test",
            "--topic",
            "t",
            "--num-records",
            "100000",
            "--record-size",
            "100",
            "--throughput",
            "2000",
        ],
    );
    expect_code(&o, 0, "perf-test");
    assert!(text(&o.stderr).contains("perf-test: simulated"), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("simulated"), "progress stays off stdout");
}

#[test]
fn every_report_file_is_byte_identical_across_jobs() {
    let dir = setup();
    let d = dir.path();
    for (jobs, out) in [("1", "j1"), ("3", "j3")] {
        expect_code(&run_in(d, &["run", "s.toml", "--out", out, "--jobs", jobs]), 0, jobs);
    }
    let (a, b) = (snapshot(&d.join("j1/w")), snapshot(&d.join("j3/w")));
    let names: Vec<&PathBuf> = a.keys().collect();
    for f in [
        "results.json",
        "scenario.toml",
        "parameters.csv",
        "timeline.csv",
        "timeline.svg",
        "index.html",
    ] {
        assert!(a.contains_key(Path::new(f)), "{f} missing: {names:?}");
    }
    assert_eq!(a, b, "a report file differs between --jobs 1 and 3");
}

#[test]
fn merged_shards_describe_themselves_as_one_run_does() {
    let dir = setup();
    let d = dir.path();
    expect_code(
        &run_in(d, &["run", "s.toml", "--out", "one", "--no-charts"]),
        0,
        "one run",
    );
    for i in ["0", "1"] {
        let shard = format!("{i}/2");
        let out = format!("shard-{i}");
        expect_code(
            &run_in(d, &["run", "s.toml", "--out", &out, "--no-charts", "--shard", &shard]),
            0,
            "shard",
        );
    }
    expect_code(
        &run_in(
            d,
            &[
                "merge",
                "shard-0/w",
                "shard-1/w",
                "--scenario",
                "s.toml",
                "--out",
                "merged",
            ],
        ),
        0,
        "merge",
    );
    let (one, merged) = (d.join("one/w"), d.join("merged/w"));
    for f in ["results.csv", "summary.csv", "parameters.csv", "scenario.toml"] {
        assert_eq!(fs::read(one.join(f)).unwrap(), fs::read(merged.join(f)).unwrap(), "{f}");
    }
    // results.json: the same runs, less what only the shards saw.
    let strip = |p: &Path| {
        let mut j = json(&p.join("results.json"));
        for run in j["runs"].as_array_mut().unwrap() {
            let run = run.as_object_mut().unwrap();
            run.remove("faults_as_happened");
            run.remove("event_digest");
        }
        j
    };
    assert_eq!(strip(&one), strip(&merged));
}

#[test]
fn explain_shows_progress_and_keeps_stdout_clean() {
    let dir = setup();
    let d = dir.path();
    let o = run_in(
        d,
        &[
            "explain",
            "s.toml",
            "--seed",
            "1",
            "--set",
            "producer.acks=1",
            "--set",
            "cluster.min_insync_replicas=1",
            // Long enough to outlast the 1 ms progress period many times over (the 0.6 s
            // window took a few milliseconds, and once finished before the display thread
            // looked: no line, a failed CI run).
            "--set",
            "duration_ms=20000",
        ],
    );
    expect_code(&o, 0, "explain");
    assert!(text(&o.stderr).contains("explain: simulated"), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("explain: simulated"));
    assert!(text(&o.stdout).contains("run totals:"), "{}", text(&o.stdout));
}
