//! `prodsim explain`: the life of one record in one run.

use super::{io_failure, load, print_notes, progress, Failure};
use clap::Args;
use prodsim::scenario::RunPoint;
use prodsim::{errln, outln};
use prodsim::{RunSpec, TracedRecord};
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
    /// PARTITION:SEQUENCE (the record's per-partition send sequence, from 0), in the
    /// producer's own numbering (its topic's partitions from 0). Default: the first lost,
    /// duplicated or reordered record.
    #[arg(long)]
    pub(crate) record: Option<String>,
    /// The producer whose record to follow: a `[[producers]]` name (its first instance when it
    /// has `count` > 1) or an instance name (`orders-2`). Default: the producer of the first
    /// anomaly without --record, else the first producer.
    #[arg(long, value_name = "NAME")]
    pub(crate) producer: Option<String>,
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
    let producers = point.spec.producer_list();
    let only = match args.producer.as_deref() {
        Some(name) => Some(producer_index(&point.spec, name)?),
        None => None,
    };
    let many = producers.len() > 1;
    let of = |c: usize| {
        if many {
            format!(" of producer {}", producers[c].name)
        } else {
            String::new()
        }
    };
    let traced = match record {
        Some(r) => {
            let (partition, seq) = parse_record(r).ok_or_else(|| Failure {
                code: 2,
                message: format!("error: --record must be PARTITION:SEQUENCE (e.g. 0:1234), got \"{r}\""),
            })?;
            TracedRecord {
                producer: only.unwrap_or(0),
                partition,
                seq,
            }
        }
        None => {
            let found = progress::with_progress("explain", status, || {
                prodsim::first_anomaly_with_progress(&point.spec, only, Some(sim_ns.clone()))
            });
            match found.map_err(|why| io_failure(format!("{}: {why}", point.label())))? {
                Some(a) => {
                    let r = a.record;
                    outln!(
                        "first anomaly in this run: record {}:{}{} ({})",
                        r.partition,
                        r.seq,
                        of(r.producer),
                        a.what
                    );
                    r
                }
                None => {
                    let whose = only.map_or(String::new(), |c| format!(" by producer {}", producers[c].name));
                    outln!("{}: no record{whose} was lost, duplicated or reordered in this run; pass --record PARTITION:SEQUENCE to follow one.", point.label());
                    return Ok(0);
                }
            }
        }
    };
    let (partition, rec) = (traced.partition, traced.seq);
    let topics = point.spec.topic_list();
    let topic = &topics[producers[traced.producer].topic];
    if partition >= topic.partitions {
        let whose = if many {
            format!(
                " in producer {}'s topic \"{}\"",
                producers[traced.producer].name, topic.name
            )
        } else {
            String::new()
        };
        return Err(Failure {
            code: 2,
            message: format!(
                "error: partition {partition} does not exist{whose} (partitions 0..{})",
                topic.partitions - 1
            ),
        });
    }
    sim_ns.store(0, std::sync::atomic::Ordering::Relaxed);
    let (fate, lines, result) = progress::with_progress("explain", status, || {
        prodsim::explain_record_with_progress(&point.spec, traced, Some(sim_ns.clone()))
    });
    if let Some(why) = &result.aborted {
        return Err(io_failure(format!("{}: the run stopped: {why}", point.label())));
    }
    outln!("run: {}", point.label());
    if many {
        let (name, cluster) = (&topic.name, topic.first + partition);
        outln!(
            "record {partition}:{rec}{} (topic \"{name}\"; the brokers' partition {cluster})\n",
            of(traced.producer)
        );
    } else {
        outln!("record {partition}:{rec}\n");
    }
    for l in lines {
        outln!("{l}");
    }
    outln!("\nfinal outcome: {fate}");
    let totals = |who: &str, r: &prodsim::RunResult| {
        let d = &r.delivery;
        outln!(
            "{who}: sent {}, acked {}, lost_acked {}, lost_failed {}, failed_present {}, duplicates {}, reordered {}",
            r.records_sent,
            r.records_acked,
            d.lost_acked,
            d.lost_failed,
            d.failed_present,
            d.duplicates,
            d.reordered
        );
    };
    if let Some(p) = result.producers.get(traced.producer).filter(|_| many) {
        totals(&format!("producer {} totals", p.name), &p.result);
    }
    totals("run totals", &result);
    let d = &result.delivery;
    if d.lost_unsent > 0 {
        outln!(
            "lost unsent: {} (a producer process crashed with them in its buffer)",
            d.lost_unsent
        );
    }
    Ok(0)
}

/// The index of producer `name` (an instance name, or a `[[producers]]` entry's name: its
/// first instance); an unknown name is bad input naming the producers there are.
fn producer_index(spec: &RunSpec, name: &str) -> Result<usize, Failure> {
    let producers = spec.producer_list();
    if let Some(c) = producers.iter().position(|p| p.name == name) {
        return Ok(c);
    }
    let first = format!("{name}-1");
    let entry = spec.producers.iter().any(|e| e.name == name && e.count > 1);
    if let Some(c) = producers.iter().position(|p| entry && p.name == first) {
        return Ok(c);
    }
    let names: Vec<String> = producers.iter().map(|p| format!("\"{}\"", p.name)).collect();
    Err(Failure {
        code: 2,
        message: format!(
            "error: --producer: no producer \"{name}\" in this scenario; the producers are {}",
            names.join(", ")
        ),
    })
}

fn parse_record(s: &str) -> Option<(u32, u64)> {
    let (p, r) = s.split_once(':')?;
    Some((p.trim().parse().ok()?, r.trim().parse().ok()?))
}
