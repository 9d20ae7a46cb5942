//! The charts a scenario without `[[plots]]` gets, chosen from what its sweep varies.

use super::chart::{ordered_values, param_columns, parse_number};
use super::table::CsvTable;
use super::{ChartKind, ChartSpec};

/// The charts drawn when a scenario lists none: `throughput_rps` and `latency_p99_ms` against
/// `linger_ms`, one line per `batch_size`, one chart per `acks` (for whichever of these the sweep
/// varies; a throughput that does not vary, the offered rate, gives way to `requests` or
/// `mean_batch_records`, whichever varies). When `linger_ms` is not varied, x is the first varied parameter and the series the
/// second; a non-numeric x (`acks`, a boolean) gets grouped bars instead of lines, since its
/// categories have no distance between them to draw a line across. Bar charts of `lost_acked`,
/// `duplicates` and `reordered` follow when any is non-zero. No chart when no parameter varies.
pub fn default_charts(table: &CsvTable) -> Vec<ChartSpec> {
    let varied: Vec<String> = param_columns(table)
        .into_iter()
        .filter(|p| {
            let c = table.column(p).unwrap_or(0);
            let mut values = table.values(c);
            let first = values.next();
            values.any(|v| Some(v) != first)
        })
        .collect();
    let is_varied = |name: &str| varied.iter().any(|v| v == name);
    let (x, series, per) = if is_varied("linger_ms") {
        let x = "linger_ms".to_string();
        let per = is_varied("acks").then(|| "acks".to_string());
        let series = if is_varied("batch_size") {
            Some("batch_size".to_string())
        } else {
            varied.iter().find(|v| **v != x && Some(*v) != per.as_ref()).cloned()
        };
        (x, series, per)
    } else {
        let Some(x) = varied.first().cloned() else {
            return Vec::new();
        };
        let series = varied.get(1).cloned();
        let per = (is_varied("acks") && x != "acks" && series.as_deref() != Some("acks")).then(|| "acks".to_string());
        (x, series, per)
    };
    let spec = |y: &str, kind: ChartKind| ChartSpec {
        x: x.clone(),
        y: y.to_string(),
        series: series.clone(),
        per: per.clone(),
        kind,
        ..ChartSpec::default()
    };
    let x_numeric = table
        .column(&x)
        .is_some_and(|c| ordered_values(table.values(c).filter(|v| !v.is_empty())).1);
    let kind = if x_numeric { ChartKind::Line } else { ChartKind::Bar };
    // A throughput that does not vary is the offered rate, an input: chart how the records
    // travelled instead (requests, batch sizes), whichever varies.
    let varies = |y: &str| {
        table.column(y).is_some_and(|c| {
            let v: Vec<f64> = table.values(c).filter_map(parse_number).collect();
            let (lo, hi) = (
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            hi - lo > 0.01 * hi.abs()
        })
    };
    let first_y = ["throughput_rps", "requests", "mean_batch_records"]
        .into_iter()
        .find(|y| varies(y))
        .or(table.column("throughput_rps").map(|_| "throughput_rps"));
    let mut specs: Vec<ChartSpec> = first_y
        .into_iter()
        .chain(table.column("latency_p99_ms").map(|_| "latency_p99_ms"))
        .map(|y| spec(y, kind))
        .collect();
    for y in ["lost_acked", "duplicates", "reordered"] {
        if let Some(c) = table.column(y) {
            if table.values(c).any(|v| v.parse::<f64>().is_ok_and(|n| n != 0.0)) {
                specs.push(spec(y, ChartKind::Bar));
            }
        }
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_charts_follow_the_sweep() {
        let t = CsvTable {
            headers: ["acks", "linger_ms", "batch_size", "seed", "throughput_rps"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                ["all", "0", "16384", "1", "5"].map(String::from).to_vec(),
                ["1", "5", "16384", "1", "6"].map(String::from).to_vec(),
            ],
        };
        let specs = default_charts(&t);
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].x, "linger_ms");
        assert_eq!(specs[0].series, None);
        assert_eq!(specs[0].per.as_deref(), Some("acks"));
        let mut t2 = t.clone();
        for r in &mut t2.rows {
            r[1] = "5".to_string();
        }
        t2.rows[1][2] = "65536".to_string();
        let specs = default_charts(&t2);
        assert_eq!(specs[0].x, "acks");
        assert_eq!(specs[0].series.as_deref(), Some("batch_size"));
        assert_eq!(specs[0].per, None);
        // Categories (acks, booleans) get bars, numbers lines.
        assert_eq!(specs[0].kind, ChartKind::Bar);
        assert_eq!(default_charts(&t)[0].kind, ChartKind::Line);
        for r in &mut t2.rows {
            r[0] = "all".to_string();
            r[2] = "1".to_string();
        }
        assert!(default_charts(&t2).is_empty());
    }
}
