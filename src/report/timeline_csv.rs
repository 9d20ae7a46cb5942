//! `timeline.csv`: the data behind the timeline chart, one row per bucket of the run it shows:
//! that run's parameter columns and seed (as in results.csv), then the bucket's start and width
//! (ms of simulated time), the records acknowledged in it, their rate, the mean, p99 and
//! maximum latency of the records acknowledged in it (0 when none), and `lost_acked`: the
//! acknowledged records sent in it (by their batch's first send) that the checker found absent
//! from the final committed log.

use super::CsvTable;
use crate::result::{Measure, RunResult};
use crate::scenario::RunPoint;
use std::path::Path;

/// The timeline columns after the run's parameters and seed.
const COLUMNS: [&str; 8] = [
    "t_ms",
    "width_ms",
    "acked",
    "acked_rps",
    "latency_mean_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "lost_acked",
];

/// The timeline.csv table of one run.
pub(crate) fn timeline_table(point: &RunPoint, result: &RunResult) -> CsvTable {
    let mut headers: Vec<String> = point.params.iter().map(|(c, _)| c.clone()).collect();
    headers.push("seed".into());
    headers.extend(COLUMNS.iter().map(|c| c.to_string()));
    let lead: Vec<String> = point
        .params
        .iter()
        .map(|(_, v)| v.clone())
        .chain(std::iter::once(point.seed.to_string()))
        .collect();
    let f = |v: f64| Measure::F(v).render();
    let rows = result
        .timeline
        .iter()
        .map(|b| {
            let mut cells = lead.clone();
            cells.extend([
                b.t_ms.to_string(),
                b.width_ms.to_string(),
                b.acked.to_string(),
                f(b.acked_rps),
                f(b.latency_mean_ms),
                f(b.latency_p99_ms),
                f(b.latency_max_ms),
                b.lost_acked.to_string(),
            ]);
            cells
        })
        .collect();
    CsvTable { headers, rows }
}

/// Writes timeline.csv into `dir`.
pub(crate) fn write_timeline_csv(dir: &Path, point: &RunPoint, result: &RunResult) -> Result<(), String> {
    timeline_table(point, result).write(&dir.join("timeline.csv"))
}
