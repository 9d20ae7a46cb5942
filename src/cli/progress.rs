//! Progress of a long job on stderr, for every command that runs one (`run`, `search`,
//! `perf-test`): on a terminal a status line redrawn in place; otherwise, once the job has taken
//! 5 s, one line every 5 s (`PRODSIM_PROGRESS_MS` sets the period, for tests). Wall time is
//! read here only, for the display: it never reaches an output file or stdout.

use prodsim::errln;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The period of progress lines when stderr is not a terminal.
fn period() -> Duration {
    std::env::var("PRODSIM_PROGRESS_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(5), Duration::from_millis)
}

/// Runs `work` while a thread shows `label: status()` on stderr (see the module's doc), and
/// returns its result.
pub(crate) fn with_progress<T>(label: &str, status: impl Fn() -> String + Sync, work: impl FnOnce() -> T) -> T {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    // Dropping `done` wakes the display thread at once: a thread that slept its period out
    // held the command (and its measured wall time) up to 100 ms past the job's end.
    let (done, finished) = channel::<()>();
    // Taken before the display thread starts: a thread scheduled late still sees how long the
    // job has run.
    let started = Instant::now();
    let status = &status;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let bar = std::io::stderr().is_terminal().then(|| {
                let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
                    b.set_style(style);
                }
                b
            });
            let every = period();
            let mut last_line = started;
            let mut printed = false;
            while let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(Duration::from_millis(100).min(every)) {
                match &bar {
                    Some(b) => b.set_message(format!("{label}: {}", status())),
                    None => {
                        if started.elapsed() >= every && last_line.elapsed() >= every {
                            last_line = Instant::now();
                            printed = true;
                            errln!("{label}: {} ({:.0} s)", status(), started.elapsed().as_secs_f64());
                        }
                    }
                }
            }
            if bar.is_none() && !printed && started.elapsed() >= every {
                // The job outlasted a period before this thread had a turn (a loaded machine):
                // one line all the same, so a long job never runs without a word.
                errln!("{label}: {} ({:.0} s)", status(), started.elapsed().as_secs_f64());
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let out = work();
        drop(done);
        out
    })
}
