//! Runs the points of a sweep, in parallel *between* runs (rayon), results in point order:
//! the output does not depend on the number of jobs.

use crate::report::Row;
use crate::result::RunResult;
use crate::scenario::RunPoint;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;

/// Simulate every point with `jobs` worker threads (0 = one per core). A progress bar is drawn
/// on stderr when `progress` is set and stderr is a terminal.
pub fn run_points(points: &[RunPoint], jobs: usize, progress: bool) -> Vec<RunResult> {
    let bar = if progress && std::io::stderr().is_terminal() && points.len() > 1 {
        let b = ProgressBar::with_draw_target(Some(points.len() as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} runs ({eta} left)")
                .expect("progress template")
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let work = || -> Vec<RunResult> {
        points
            .par_iter()
            .with_max_len(1)
            .map(|p| {
                let r = crate::run(&p.spec);
                bar.inc(1);
                r
            })
            .collect()
    };
    let results = if jobs == 1 {
        points
            .iter()
            .map(|p| {
                let r = crate::run(&p.spec);
                bar.inc(1);
                r
            })
            .collect()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .expect("thread pool");
        pool.install(work)
    };
    bar.finish_and_clear();
    results
}

/// The results.csv row of a run: its parameters, seed and measures as the CSV holds them
/// (floats rounded to 3 decimals, so summaries of merged shards match a single run exactly).
pub fn row(point: &RunPoint, result: &RunResult) -> Row {
    Row {
        params: point.params.clone(),
        seed: point.seed,
        measures: result.measures().into_iter().map(|(k, v)| (k, v.rounded())).collect(),
    }
}
