//! `prodsim plot`: one chart from one or more results/summary CSV files.

use super::chart::{draw_spec, ChartSpec};
use super::table::CsvTable;
use std::path::{Path, PathBuf};

/// The body of `prodsim plot`: reads the CSV files, draws `y` against `x` (one line per value of
/// `series`), and writes `<out stem>.svg` and `<out stem>.png` whatever extension `out` has.
/// `out` defaults to `<directory of the first CSV>/<y>_vs_<x>.png`. With more than one file, a
/// `file` column holding each file's stem is added and the series defaults to it. Returns the
/// written paths, SVG first.
pub fn plot_command(
    csvs: &[PathBuf],
    x: &str,
    y: &str,
    series: Option<String>,
    out: Option<PathBuf>,
) -> Result<Vec<PathBuf>, String> {
    let spec = ChartSpec {
        series,
        ..ChartSpec::new(x, y)
    };
    plot_command_spec(csvs, &spec, out)
}

/// [`plot_command`] with every chart option (log axes, per, title, bar kind).
pub fn plot_command_spec(csvs: &[PathBuf], spec: &ChartSpec, out: Option<PathBuf>) -> Result<Vec<PathBuf>, String> {
    let first = csvs.first().ok_or_else(|| "no CSV file given to plot".to_string())?;
    let mut spec = spec.clone();
    let several = csvs.len() > 1;
    if several && spec.series.is_none() {
        spec.series = Some("file".to_string());
    }
    let labels = file_labels(csvs);
    let mut tables = Vec::with_capacity(csvs.len());
    for (path, label) in csvs.iter().zip(labels) {
        let table = CsvTable::read(path)?;
        let source = path.display().to_string();
        let wanted = [Some(&spec.x), Some(&spec.y), spec.series.as_ref(), spec.per.as_ref()];
        for column in wanted.into_iter().flatten() {
            if column != "file" || table.column("file").is_some() {
                table.require_column(column, &source)?;
            }
        }
        tables.push((label, table));
    }
    let uses_file = [&spec.series, &spec.per].iter().any(|c| c.as_deref() == Some("file"));
    let label_column = (several || uses_file).then_some("file");
    let table = CsvTable::concat(&tables, label_column);
    let out = out.unwrap_or_else(|| {
        first
            .parent()
            .unwrap_or(Path::new(""))
            .join(format!("{}_vs_{}.png", spec.y, spec.x))
    });
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("output path {} has no file name", out.display()))?;
    let source = if several {
        "the concatenated files".to_string()
    } else {
        first.display().to_string()
    };
    Ok(draw_spec(&dir, &spec, &table, Some(&stem), &source)?
        .into_iter()
        .flat_map(|c| [c.svg, c.png])
        .collect())
}

/// Each file's label for the `file` column: its stem, or `<parent>/<stem>` when stems collide,
/// or the whole path when those collide too.
fn file_labels(csvs: &[PathBuf]) -> Vec<String> {
    let stem = |p: &PathBuf| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let with_parent = |p: &PathBuf| match p.parent().and_then(|d| d.file_name()) {
        Some(d) => format!("{}/{}", d.to_string_lossy(), stem(p)),
        None => stem(p),
    };
    let unique = |labels: &[String]| labels.iter().enumerate().all(|(i, l)| !labels[..i].contains(l));
    let stems: Vec<String> = csvs.iter().map(stem).collect();
    if unique(&stems) {
        return stems;
    }
    let parents: Vec<String> = csvs.iter().map(with_parent).collect();
    if unique(&parents) {
        return parents;
    }
    csvs.iter().map(|p| p.display().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_stems_get_their_directory() {
        let a = PathBuf::from("reports/a/summary.csv");
        let b = PathBuf::from("reports/b/summary.csv");
        assert_eq!(file_labels(&[a.clone(), b]), ["a/summary", "b/summary"]);
        let c = PathBuf::from("x/results.csv");
        assert_eq!(file_labels(&[a, c]), ["summary", "results"]);
    }
}
