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
    /// Logarithmic x axis.
    #[arg(long)]
    pub(crate) log_x: bool,
    /// Logarithmic y axis.
    #[arg(long)]
    pub(crate) log_y: bool,
    /// "line" or "bar".
    #[arg(long, default_value = "line")]
    pub(crate) kind: String,
}

pub(crate) fn cmd_plot(args: &PlotArgs) -> Result<u8, Failure> {
    let kind = args.kind.as_str();

    let kind = ChartKind::parse(kind).ok_or_else(|| Failure {
        code: 2,
        message: format!("error: --kind must be \"line\" or \"bar\", got \"{kind}\""),
    })?;
    let spec = ChartSpec {
        x: args.x.clone(),
        y: args.y.clone(),
        series: args.series.clone(),
        per: None,
        log_x: args.log_x,
        log_y: args.log_y,
        title: None,
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
