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
