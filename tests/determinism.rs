//! Determinism (design.md, principle 1): `(scenario, seed)` fixes the run, and the output is
//! byte-identical whatever the number of parallel jobs.

use std::path::{Path, PathBuf};

use prodsim::config::{Acks, Arrival, Fault, FaultKind, SendMode};
use prodsim::report::{summarize, write_results, write_summary, Row};
use prodsim::runner::run_points;
use prodsim::scenario::{RunPoint, Scenario};
use prodsim::{RunResult, RunSpec};

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("determinism-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Specs that exercise the random streams: Poisson arrivals, keys, link jitter, sync threads,
/// scripted and random faults.
fn varied_specs() -> Vec<(&'static str, RunSpec)> {
    let base = |duration_ms: u64, seed: u64| RunSpec {
        duration_ms,
        seed,
        ..RunSpec::default()
    };

    let mut healthy = base(2_000, 7);
    healthy.workload.arrival = Arrival::Poisson;
    healthy.workload.rate = 20_000.0;
    healthy.workload.keys = 50;

    let mut sync = base(2_000, 3);
    sync.producer.send_mode = SendMode::Sync;
    sync.producer.acks = Acks::One;
    sync.workload.threads = 8;
    sync.workload.rate = 5_000.0;

    let mut faulty = base(4_000, 11);
    faulty.workload.arrival = Arrival::Poisson;
    faulty.workload.rate = 10_000.0;
    faulty.cluster.min_insync_replicas = 2;
    faulty.faults = vec![
        Fault {
            at_ms: 200,
            duration_ms: Some(500),
            kind: FaultKind::LoseResponses { probability: 0.3 },
        },
        Fault {
            at_ms: 1_000,
            duration_ms: Some(2_000),
            kind: FaultKind::crash_leader(0),
        },
    ];
    faulty.random_faults.slow_link_per_min = 30.0;

    vec![("healthy", healthy), ("sync", sync), ("faulty", faulty)]
}

#[test]
fn same_spec_gives_identical_results() {
    for (name, spec) in varied_specs() {
        let a = prodsim::run(&spec);
        let b = prodsim::run(&spec);
        // And once more on another thread: no hidden global or thread-local state.
        let c = {
            let spec = spec.clone();
            std::thread::spawn(move || prodsim::run(&spec)).join().unwrap()
        };
        assert!(a.records_sent > 0, "{name}: nothing sent");
        assert!(a.events > 0, "{name}: no events");
        assert_eq!(a.digest, b.digest, "{name}: digest differs between two runs");
        assert_eq!(a.events, b.events, "{name}: event count differs");
        assert_eq!(a, b, "{name}: results differ between two runs of one spec");
        assert_eq!(a, c, "{name}: results differ when run on another thread");
    }
}

#[test]
fn different_seeds_give_different_runs() {
    let mut digests: Vec<(u64, u64)> = Vec::new();
    for seed in 1..=6u64 {
        let mut spec = RunSpec {
            duration_ms: 1_000,
            seed,
            ..RunSpec::default()
        };
        spec.workload.arrival = Arrival::Poisson;
        let r = prodsim::run(&spec);
        if let Some((other, _)) = digests.iter().find(|(_, d)| *d == r.digest) {
            panic!("seeds {other} and {seed} gave the same digest {:#x}", r.digest);
        }
        digests.push((seed, r.digest));
    }
}

fn rows(points: &[RunPoint], results: &[RunResult]) -> Vec<Row> {
    assert_eq!(points.len(), results.len());
    points
        .iter()
        .zip(results)
        .map(|(p, r)| Row {
            params: p.params.clone(),
            seed: p.seed,
            measures: r.measures(),
        })
        .collect()
}

/// The shipped sweep (1 s windows instead of 5 s), run with 1 and with 4 jobs: results.csv and
/// summary.csv are byte-identical.
#[test]
fn sweep_output_does_not_depend_on_jobs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/linger-batch-sweep.toml");
    let mut sc = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    sc.apply_set("duration_ms=1000").unwrap_or_else(|e| panic!("{e}"));
    let points = sc.expand().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(points.len(), 108);
    assert!(points.iter().all(|p| p.spec.duration_ms == 1_000));

    let serial = run_points(&points, 1, None);
    let parallel = run_points(&points, 4, None);
    for (i, (a, b)) in serial.iter().zip(&parallel).enumerate() {
        assert_eq!(a, b, "run {} ({}) differs between 1 and 4 jobs", i, points[i].label());
    }

    let dir = out_dir("jobs");
    let mut files = Vec::new();
    for (jobs, results) in [(1, &serial), (4, &parallel)] {
        let rows = rows(&points, results);
        let results_csv = dir.join(format!("results-{jobs}.csv"));
        let summary_csv = dir.join(format!("summary-{jobs}.csv"));
        write_results(&results_csv, &rows).unwrap();
        write_summary(&summary_csv, &summarize(&rows)).unwrap();
        files.push((
            std::fs::read(&results_csv).unwrap(),
            std::fs::read(&summary_csv).unwrap(),
        ));
    }
    let (results1, summary1) = &files[0];
    let (results4, summary4) = &files[1];
    assert_eq!(results1, results4, "results.csv differs between --jobs 1 and 4");
    assert_eq!(summary1, summary4, "summary.csv differs between --jobs 1 and 4");

    let text = String::from_utf8(results1.clone()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("acks,linger_ms,batch_size,send_mode,seed,"),
        "{header}"
    );
    assert_eq!(lines.count(), 108, "one line per run");
}
