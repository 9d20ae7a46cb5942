//! `prodsim plot`: a comparison chart of columns across CSV files.

use super::Failure;
use clap::Args;
use prodsim::outln;
use prodsim::report::{self, ChartKind, ChartSpec};
use std::path::PathBuf;

/// `prodsim plot`'s options.
#[derive(Args)]
pub(crate) struct PlotArgs {
    /// results.csv or summary.csv files (of prodsim, or any CSV with these columns); several
    /// files are drawn together, one series each unless --series says otherwise.
    #[arg(required = true)]
    pub(crate) csvs: Vec<PathBuf>,
    /// Column on the x axis.
    #[arg(long)]
    pub(crate) x: String,
    /// Column on the y axis (numeric).
    #[arg(long)]
    pub(crate) y: String,
    /// Column whose values make one series (line or bar group) each.
    #[arg(long)]
    pub(crate) series: Option<String>,
    /// Output file (both .png and .svg are written; default: <y>_vs_<x>.png beside the first
    /// CSV).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Logarithmic x axis (default: logarithmic when the positive values span more than two
    /// orders of magnitude).
    #[arg(long, conflicts_with = "linear_x")]
    pub(crate) log_x: bool,
    /// Logarithmic y axis (default: as for x).
    #[arg(long, conflicts_with = "linear_y")]
    pub(crate) log_y: bool,
    /// Linear x axis whatever the values.
    #[arg(long)]
    pub(crate) linear_x: bool,
    /// Linear y axis whatever the values.
    #[arg(long)]
    pub(crate) linear_y: bool,
    /// "line" or "bar".
    #[arg(long, default_value = "line")]
    pub(crate) kind: String,
}

/// `--log-*` / `--linear-*` as a plot's log setting: forced either way, or chosen from the values.
fn axis_choice(log: bool, linear: bool) -> Option<bool> {
    match (log, linear) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

pub(crate) fn cmd_plot(args: &PlotArgs) -> Result<u8, Failure> {
    let kind = args.kind.as_str();

    let kind = ChartKind::parse(kind)
        .filter(|k| *k != ChartKind::Timeline)
        .ok_or_else(|| Failure {
            code: 2,
            message: format!("error: --kind must be \"line\" or \"bar\", got \"{kind}\""),
        })?;
    let spec = ChartSpec {
        x: args.x.clone(),
        y: args.y.clone(),
        y_also: Vec::new(),
        series: args.series.clone(),
        per: None,
        log_x: axis_choice(args.log_x, args.linear_x),
        log_y: axis_choice(args.log_y, args.linear_y),
        title: None,
        caption: None,
        kind,
    };
    let files = report::plot_command_spec(&args.csvs, &spec, args.out.clone()).map_err(|m| Failure {
        code: 2,
        message: format!("error: {m}"),
    })?;
    for f in files {
        outln!("{}", f.display());
    }
    Ok(0)
}
