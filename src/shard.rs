//! Sweeps beyond one machine: `prodsim run --shard I/N` runs the I-th of N contiguous slices of
//! a sweep's run points, and `prodsim merge` concatenates the shards' results.csv in shard order
//! and recomputes summary.csv, giving exactly the files a single run writes. Each shard leaves a
//! `shard.txt` naming its slice, so a merge can check that every slice is there once.

use crate::report::{self, Row};
use crate::result::{Measure, RunResult};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A shard selector `I/N` (0 <= I < N).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parse `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard must be I/N with 0 <= I < N (e.g. 0/4), got \"{s}\"");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// This shard's contiguous slice of `len` run points.
    pub fn range(&self, len: usize) -> Range<usize> {
        (self.index * len / self.count)..((self.index + 1) * len / self.count)
    }

    /// The marker file's text.
    pub fn marker(&self, name: &str, len: usize) -> String {
        let r = self.range(len);
        format!("{name} {}/{} {}..{} of {len}\n", self.index, self.count, r.start, r.end)
    }
}

/// Rows of a results.csv: parameter columns are those before `seed`, measures after.
pub fn rows_from_results_csv(path: &Path) -> Result<Vec<Row>, String> {
    let table = report::CsvTable::read(path)?;
    let seed_col = table
        .headers
        .iter()
        .position(|h| h == "seed")
        .ok_or_else(|| format!("{}: no `seed` column: not a prodsim results.csv", path.display()))?;
    let known = RunResult::default().measures();
    let mut measure_names: Vec<&'static str> = Vec::new();
    for h in &table.headers[seed_col + 1..] {
        let name = known
            .iter()
            .map(|(n, _)| *n)
            .find(|n| n == h)
            .ok_or_else(|| format!("{}: unknown measure column `{h}`", path.display()))?;
        measure_names.push(name);
    }
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, cells)| {
            let cell = |c: usize| cells.get(c).map(String::as_str).unwrap_or("");
            let seed = cell(seed_col)
                .parse()
                .map_err(|_| format!("{}: row {}: bad seed `{}`", path.display(), i + 2, cell(seed_col)))?;
            let params = (0..seed_col)
                .map(|c| (table.headers[c].clone(), cell(c).to_string()))
                .collect();
            let measures = measure_names
                .iter()
                .enumerate()
                .map(|(k, &name)| {
                    let text = cell(seed_col + 1 + k);
                    Measure::parse(text)
                        .map(|m| (name, m))
                        .ok_or_else(|| format!("{}: row {}: bad `{name}` value `{text}`", path.display(), i + 2))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Row { params, seed, measures })
        })
        .collect()
}

/// Read shard output directories (each with results.csv and shard.txt), check they are the
/// N slices of one sweep, and return the scenario name and the rows in sweep order.
pub fn merge_shards(dirs: &[PathBuf]) -> Result<(String, Vec<Row>), String> {
    let mut shards: Vec<(usize, usize, String, PathBuf)> = Vec::new();
    for d in dirs {
        let marker = d.join("shard.txt");
        let text = std::fs::read_to_string(&marker)
            .map_err(|e| format!("{}: {e} (a shard's output directory holds shard.txt)", marker.display()))?;
        let mut words = text.split_whitespace();
        let name = words.next().unwrap_or("").to_string();
        let shard = Shard::parse(words.next().unwrap_or("")).map_err(|e| format!("{}: {e}", marker.display()))?;
        shards.push((shard.index, shard.count, name, d.clone()));
    }
    shards.sort_by_key(|s| s.0);
    let Some(first) = shards.first() else {
        return Err("no shard directories given".into());
    };
    let (count, name) = (first.1, first.2.clone());
    for (k, s) in shards.iter().enumerate() {
        if s.1 != count || s.2 != name {
            return Err(format!(
                "{}: shard of `{}` {}/{}, but the first is of `{name}` x/{count}",
                s.3.display(),
                s.2,
                s.0,
                s.1
            ));
        }
        if s.0 != k {
            return Err(format!("shard {k}/{count} of `{name}` is missing or given twice"));
        }
    }
    if shards.len() != count {
        return Err(format!("{} of {count} shards of `{name}` given", shards.len()));
    }
    let mut rows = Vec::new();
    for s in &shards {
        rows.extend(rows_from_results_csv(&s.3.join("results.csv"))?);
    }
    Ok((name, rows))
}

/// Write merged results.csv and summary.csv into `dir`.
pub fn write_merged(dir: &Path, rows: &[Row]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    report::write_results(&dir.join("results.csv"), rows)?;
    report::write_summary(&dir.join("summary.csv"), &report::summarize(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_point_once_in_order() {
        for len in [0, 1, 7, 100, 301] {
            for count in 1..9 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.range(len);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("x").is_err());
    }
}
