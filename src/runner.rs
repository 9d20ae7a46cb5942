//! Runs the points of a sweep, in parallel *between* runs (rayon), results in point order:
//! the output does not depend on the number of jobs. Progress is published through
//! [`RunProgress`] (atomics only); drawing it is the command line's business.

use crate::report::Row;
use crate::result::RunResult;
use crate::scenario::RunPoint;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 1024;

/// What a sweep has done so far, for a progress display: runs finished, and each run's
/// simulated time (ns).
#[derive(Debug, Default)]
pub struct RunProgress {
    /// Runs finished.
    pub done: AtomicUsize,
    /// Simulated time reached by each run, in point order.
    pub sim_ns: Vec<Arc<AtomicU64>>,
}

impl RunProgress {
    /// Progress slots for `runs` runs.
    pub fn new(runs: usize) -> RunProgress {
        RunProgress {
            done: AtomicUsize::new(0),
            sim_ns: (0..runs).map(|_| Arc::new(AtomicU64::new(0))).collect(),
        }
    }
}

/// Simulate every point with `jobs` worker threads (0 = one per core, at most [`MAX_JOBS`]).
pub fn run_points(points: &[RunPoint], jobs: usize, progress: Option<&RunProgress>) -> Vec<RunResult> {
    let one = |i: usize, p: &RunPoint| -> RunResult {
        let slot = progress.and_then(|pr| pr.sim_ns.get(i).cloned());
        let r = crate::run_with_progress(&p.spec, slot);
        if let Some(pr) = progress {
            pr.done.fetch_add(1, Ordering::Relaxed);
        }
        r
    };
    if jobs == 1 {
        return points.iter().enumerate().map(|(i, p)| one(i, p)).collect();
    }
    let work = || -> Vec<RunResult> {
        points
            .par_iter()
            .enumerate()
            .with_max_len(1)
            .map(|(i, p)| one(i, p))
            .collect()
    };
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.min(MAX_JOBS)).build() {
        Ok(pool) => pool.install(work),
        // No pool (threads unavailable): run on the global pool rather than fail.
        Err(_) => work(),
    }
}

/// The producers.csv rows of a run: one per producer, its name as the last parameter.
pub fn producer_rows(point: &RunPoint, result: &RunResult) -> Vec<Row> {
    result
        .producers
        .iter()
        .map(|p| {
            let mut params = point.params.clone();
            params.push(("producer".to_string(), p.name.clone()));
            Row {
                params,
                seed: point.seed,
                measures: p.result.measures().into_iter().map(|(k, v)| (k, v.rounded())).collect(),
            }
        })
        .collect()
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
