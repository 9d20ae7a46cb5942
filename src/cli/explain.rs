//! `prodsim explain`: the life of one record in one run.

use super::{io_failure, load, print_notes, progress, Failure};
use clap::Args;
use prodsim::scenario::RunPoint;
use prodsim::{errln, outln};
use std::path::PathBuf;

/// `prodsim explain`'s options.
#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// The scenario file (TOML).
    pub(crate) scenario: PathBuf,
    /// The run's seed (one of the scenario's seeds).
    #[arg(long)]
    pub(crate) seed: u64,
    /// Override a key, as for `run`; pin swept keys to choose the sweep point.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) sets: Vec<String>,
    /// A Java .properties file of producer configs (Kafka names), applied over the scenario
    /// and under --set.
    #[arg(long, value_name = "FILE")]
    pub(crate) producer_config: Option<PathBuf>,
    /// PARTITION:SEQUENCE (the record's per-partition send sequence, from 0). Default: the
    /// first lost, duplicated or reordered record.
    #[arg(long)]
    pub(crate) record: Option<String>,
}

pub(crate) fn cmd_explain(args: &ExplainArgs) -> Result<u8, Failure> {
    let (path, seed, sets) = (args.scenario.as_path(), args.seed, &args.sets);
    let (producer_config, record) = (args.producer_config.as_deref(), args.record.as_deref());

    let (sc, points) = load(path, producer_config, sets)?;
    print_notes([&sc]);
    let matching: Vec<&RunPoint> = points.iter().filter(|p| p.seed == seed).collect();
    let Some(point) = matching.first() else {
        return Err(Failure {
            code: 2,
            message: format!(
                "error: {}: seed {seed} is not among the scenario's seeds {:?}",
                path.display(),
                sc.seeds
            ),
        });
    };
    if matching.len() > 1 {
        errln!(
            "note: {} sweep points have seed {seed}; explaining the first ({}). Pin swept keys with --set to choose another.",
            matching.len(),
            point.label()
        );
    }
    // Each of the (up to two) simulations shows its simulated time on stderr when it is long.
    let sim_ns = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let window_s = point.spec.duration_ms as f64 / 1000.0;
    let status = || {
        let ns = sim_ns.load(std::sync::atomic::Ordering::Relaxed);
        format!("simulated {:.1} s of a {window_s:.1} s window", ns as f64 / 1e9)
    };
    let (partition, rec) = match record {
        Some(r) => parse_record(r).ok_or_else(|| Failure {
            code: 2,
            message: format!("error: --record must be PARTITION:SEQUENCE (e.g. 0:1234), got \"{r}\""),
        })?,
        None => {
            let found = progress::with_progress("explain", status, || {
                prodsim::first_anomaly_with_progress(&point.spec, Some(sim_ns.clone()))
            });
            match found.map_err(|why| io_failure(format!("{}: {why}", point.label())))? {
                Some((p, r, what)) => {
                    outln!("first anomaly in this run: record {p}:{r} ({what})");
                    (p, r)
                }
                None => {
                    outln!("{}: no record was lost, duplicated or reordered in this run; pass --record PARTITION:SEQUENCE to follow one.", point.label());
                    return Ok(0);
                }
            }
        }
    };
    if partition >= point.spec.cluster.partitions {
        return Err(Failure {
            code: 2,
            message: format!(
                "error: partition {partition} does not exist (partitions 0..{})",
                point.spec.cluster.partitions - 1
            ),
        });
    }
    sim_ns.store(0, std::sync::atomic::Ordering::Relaxed);
    let (fate, lines, result) = progress::with_progress("explain", status, || {
        prodsim::explain_record_with_progress(&point.spec, partition, rec, Some(sim_ns.clone()))
    });
    if let Some(why) = &result.aborted {
        return Err(io_failure(format!("{}: the run stopped: {why}", point.label())));
    }
    outln!("run: {}", point.label());
    outln!("record {partition}:{rec}\n");
    for l in lines {
        outln!("{l}");
    }
    outln!("\nfinal outcome: {fate}");
    let d = &result.delivery;
    outln!(
        "run totals: sent {}, acked {}, lost_acked {}, lost_failed {}, failed_present {}, duplicates {}, reordered {}",
        result.records_sent,
        result.records_acked,
        d.lost_acked,
        d.lost_failed,
        d.failed_present,
        d.duplicates,
        d.reordered
    );
    if d.lost_unsent > 0 {
        outln!(
            "lost unsent: {} (a producer process crashed with them in its buffer)",
            d.lost_unsent
        );
    }
    Ok(0)
}

fn parse_record(s: &str) -> Option<(u32, u64)> {
    let (p, r) = s.split_once(':')?;
    Some((p.trim().parse().ok()?, r.trim().parse().ok()?))
}
