//! Helpers shared by integration tests: a test crate that needs them declares `mod common;`.
// Each test crate compiles this module alone and reads only some fields.
#![allow(dead_code)]

use prodsim::report::{self, Row, TimelineRun};
use prodsim::result::RunResult;
use prodsim::scenario::{RunPoint, Scenario};

/// A scenario run as `prodsim run` runs it, its report written into a fresh temporary
/// directory (removed when dropped).
pub struct Written {
    pub dir: tempfile::TempDir,
    pub points: Vec<RunPoint>,
    pub results: Vec<RunResult>,
    pub rows: Vec<Row>,
}

/// Runs every point of `sc` and writes its report, charts included, with `timeline_run`.
pub fn write_report(sc: &Scenario, timeline_run: &TimelineRun) -> Written {
    let points = sc.expand().unwrap();
    let results = prodsim::runner::run_points(&points, 0, None);
    let rows: Vec<Row> = points
        .iter()
        .zip(&results)
        .map(|(p, r)| prodsim::runner::row(p, r))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let r = report::ScenarioReport {
        scenario: sc,
        points: &points,
        results: &results,
        rows: &rows,
        charts: true,
        shard_marker: None,
        overrides: &[],
        timeline_run,
    };
    report::write_scenario_report(&r, dir.path()).unwrap();
    Written {
        dir,
        points,
        results,
        rows,
    }
}

/// Two topics led in part by b0: `safe` (min ISR 2, clean elections) written by an acks=all
/// producer, `risky` (min ISR 1, unclean elections) by an acks=1 producer. b0 is cut off from
/// the other brokers (the ISRs shrink to b0 where they can), then crashes: the risky topic
/// elects an out-of-sync replica and loses what b0 acknowledged alone.
pub const TWO_TOPICS: &str = r#"
duration_ms = 20000
[producer]
linger_ms = 5
[cluster]
brokers = 3
replication_factor = 3
replica_lag_time_max_ms = 3000
[workload]
rate = 2000
[[topics]]
name = "safe"
partitions = 3
min_insync_replicas = 2
unclean_leader_election_enable = false
[[topics]]
name = "risky"
partitions = 3
min_insync_replicas = 1
unclean_leader_election_enable = true
[[producers]]
name = "careful"
topic = "safe"
[producers.producer]
acks = "all"
[[producers]]
name = "hasty"
topic = "risky"
[producers.producer]
acks = "1"
enable_idempotence = false
[[faults]]
at_ms = 2000
kind = "partition"
groups = [["b0"], ["b1", "b2"]]
duration_ms = 8000
[[faults]]
at_ms = 10000
kind = "crash"
broker = 0
duration_ms = 5000
"#;
