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
    /// This shard, `I` (0-based).
    pub index: usize,
    /// How many shards, `N`.
    pub count: usize,
}

/// Most shards a sweep may be cut into (more than [`crate::scenario::MAX_RUNS`] would leave
/// shards empty).
pub(crate) const MAX_SHARDS: usize = 1_000_000;

impl Shard {
    /// Parse `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "--shard must be I/N with 0 <= I < N <= {MAX_SHARDS} (e.g. 0/4), got {}",
                crate::outdir::quote_for_terminal(s)
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// This shard's contiguous slice of `len` run points (computed in 128 bits: no overflow
    /// whatever `I`, `N` and `len`).
    pub fn range(&self, len: usize) -> Range<usize> {
        let at = |k: usize| (k as u128 * len as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }

    /// The marker file's text: the scenario, the slice, and the digest of the whole expanded
    /// sweep (so shards of different sweeps or `--set`s never merge).
    pub fn marker(&self, name: &str, len: usize, digest: &str) -> String {
        let r = self.range(len);
        format!(
            "{name} {}/{} {}..{} of {len} sweep={digest}\n",
            self.index, self.count, r.start, r.end
        )
    }
}

/// A digest of an expanded sweep: its name and every run's full configuration, in order
/// (FNV-1a 64 over the configurations' debug text, which has no hash-ordered parts).
pub fn sweep_digest(name: &str, points: &[crate::scenario::RunPoint]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    mix(name.as_bytes());
    for p in points {
        mix(p.label().as_bytes());
        mix(format!("{:?}", p.spec).as_bytes());
    }
    format!("{h:016x}")
}

/// A parsed `shard.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Marker {
    pub name: String,
    pub shard: Shard,
    pub rows: Range<usize>,
    pub len: usize,
    pub digest: String,
}

impl Marker {
    /// Parses `NAME I/N A..B of LEN sweep=HEX`, checking the name and that `A..B` is the slice
    /// `I/N` of `LEN`.
    pub(crate) fn parse(text: &str) -> Result<Marker, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let bad = || {
            format!(
                "expected `NAME I/N A..B of LEN sweep=DIGEST` (written by `prodsim run --shard`), got {}",
                crate::outdir::quote_for_terminal(text.trim())
            )
        };
        let [name, sel, range, of, len, digest] = words[..] else {
            return Err(bad());
        };
        crate::outdir::check_name(name).map_err(|m| format!("scenario name: {m}"))?;
        let shard = Shard::parse(sel)?;
        let (a, b) = range.split_once("..").ok_or_else(bad)?;
        let (a, b): (usize, usize) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        let len: usize = len.parse().map_err(|_| bad())?;
        let digest = digest.strip_prefix("sweep=").ok_or_else(bad)?;
        if of != "of" || digest.len() != 16 || !digest.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        if len > crate::scenario::MAX_RUNS || shard.range(len) != (a..b) {
            return Err(format!(
                "rows {a}..{b} of {len} are not shard {}/{} of {len}",
                shard.index, shard.count
            ));
        }
        Ok(Marker {
            name: name.to_string(),
            shard,
            rows: a..b,
            len,
            digest: digest.to_string(),
        })
    }
}

/// A parameter cell or header as merge writes it: a plain word or number, nothing a
/// spreadsheet would evaluate (`=HYPERLINK(...)`, `+cmd`, `@x`).
fn check_cell(path: &Path, what: &str, text: &str) -> Result<(), String> {
    let plain_word = text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    let number = text.parse::<f64>().is_ok_and(f64::is_finite)
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'));
    if text.is_empty() || plain_word || number {
        Ok(())
    } else {
        Err(format!(
            "{}: {what} {} is not a value prodsim writes; refusing to merge it",
            path.display(),
            crate::outdir::quote_for_terminal(text)
        ))
    }
}

/// The header and rows of a results.csv, every cell checked ([`check_cell`]) and measures
/// parsed as numbers.
fn read_results_csv(path: &Path) -> Result<(Vec<String>, Vec<Row>), String> {
    let table = report::CsvTable::read(path)?;
    let seed_col = table
        .headers
        .iter()
        .position(|h| h == "seed")
        .ok_or_else(|| format!("{}: no `seed` column: not a prodsim results.csv", path.display()))?;
    for h in &table.headers[..seed_col] {
        check_cell(path, "column", h)?;
    }
    let known = RunResult::default().measures();
    let mut measure_names: Vec<&'static str> = Vec::new();
    for h in &table.headers[seed_col + 1..] {
        let name = known.iter().map(|(n, _)| *n).find(|n| n == h).ok_or_else(|| {
            format!(
                "{}: unknown measure column {}",
                path.display(),
                crate::outdir::quote_for_terminal(h)
            )
        })?;
        measure_names.push(name);
    }
    let rows = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, cells)| {
            if cells.len() != table.headers.len() {
                return Err(format!(
                    "{}: row {}: {} cells for {} columns",
                    path.display(),
                    i + 2,
                    cells.len(),
                    table.headers.len()
                ));
            }
            let cell = |c: usize| cells.get(c).map(String::as_str).unwrap_or("");
            let seed = cell(seed_col).parse().map_err(|_| {
                format!(
                    "{}: row {}: bad seed {}",
                    path.display(),
                    i + 2,
                    crate::outdir::quote_for_terminal(cell(seed_col))
                )
            })?;
            let params = (0..seed_col)
                .map(|c| {
                    check_cell(path, &format!("row {} value", i + 2), cell(c))?;
                    Ok((table.headers[c].clone(), cell(c).to_string()))
                })
                .collect::<Result<Vec<_>, String>>()?;
            let measures = measure_names
                .iter()
                .enumerate()
                .map(|(k, &name)| {
                    let text = cell(seed_col + 1 + k);
                    Measure::parse(text).map(|m| (name, m)).ok_or_else(|| {
                        format!(
                            "{}: row {}: bad `{name}` value {}",
                            path.display(),
                            i + 2,
                            crate::outdir::quote_for_terminal(text)
                        )
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Row { params, seed, measures })
        })
        .collect::<Result<Vec<Row>, String>>()?;
    Ok((table.headers, rows))
}

/// Shards read and checked by [`merge_shards`].
#[derive(Debug)]
pub struct Merged {
    /// The scenario name.
    pub name: String,
    /// The digest of the expanded sweep the shards come from.
    pub digest: String,
    /// Every row, in sweep order.
    pub rows: Vec<Row>,
    /// Every producers.csv row, in sweep order (empty when the shards wrote none).
    pub producer_rows: Vec<Row>,
}

/// Read shard output directories (each with results.csv and shard.txt), check they are the
/// N slices of one expanded sweep (same name, digest, length and header; each slice once, with
/// exactly its rows; no (point, seed) twice), and return the rows in sweep order.
pub fn merge_shards(dirs: &[PathBuf]) -> Result<Merged, String> {
    let mut shards: Vec<(Marker, PathBuf)> = Vec::new();
    for d in dirs {
        let marker = d.join("shard.txt");
        let text = std::fs::read_to_string(&marker)
            .map_err(|e| format!("{}: {e} (a shard's output directory holds shard.txt)", marker.display()))?;
        let m = Marker::parse(&text).map_err(|e| format!("{}: {e}", marker.display()))?;
        shards.push((m, d.clone()));
    }
    shards.sort_by_key(|s| s.0.shard.index);
    let Some((first, _)) = shards.first() else {
        return Err("no shard directories given".into());
    };
    let first = first.clone();
    for (k, (m, dir)) in shards.iter().enumerate() {
        if m.name != first.name || m.shard.count != first.shard.count || m.len != first.len || m.digest != first.digest
        {
            return Err(format!(
                "{}: shard {}/{} of `{}` ({} runs, sweep {}), but the first is {}/{} of `{}` ({} runs, sweep {}): \
                 shards must come from one expanded sweep (same scenario, same --set options)",
                dir.display(),
                m.shard.index,
                m.shard.count,
                m.name,
                m.len,
                m.digest,
                first.shard.index,
                first.shard.count,
                first.name,
                first.len,
                first.digest
            ));
        }
        if m.shard.index != k {
            return Err(format!(
                "shard {k}/{} of `{}` is missing or given twice",
                first.shard.count, first.name
            ));
        }
    }
    if shards.len() != first.shard.count {
        return Err(format!(
            "{} of {} shards of `{}` given",
            shards.len(),
            first.shard.count,
            first.name
        ));
    }
    let mut rows = Vec::new();
    let mut producer_rows = Vec::new();
    let mut header: Option<(Vec<String>, PathBuf)> = None;
    for (m, dir) in &shards {
        let path = dir.join("results.csv");
        let (h, r) = read_results_csv(&path)?;
        if r.len() != m.rows.len() {
            return Err(format!(
                "{}: {} rows, but shard {}/{} holds runs {}..{} ({} rows)",
                path.display(),
                r.len(),
                m.shard.index,
                m.shard.count,
                m.rows.start,
                m.rows.end,
                m.rows.len()
            ));
        }
        match &header {
            Some((h0, p0)) if *h0 != h => {
                return Err(format!("{}: columns differ from {}'s", path.display(), p0.display()))
            }
            Some(_) => {}
            None => header = Some((h, path.clone())),
        }
        rows.extend(r);
        let per_producer = dir.join("producers.csv");
        if per_producer.exists() {
            producer_rows.extend(read_results_csv(&per_producer)?.1);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &rows {
        if !seen.insert((&r.params, r.seed)) {
            return Err(format!(
                "run {} seed={} appears twice among the shards",
                crate::expect::params_text(&r.params),
                r.seed
            ));
        }
    }
    Ok(Merged {
        name: first.name,
        digest: first.digest,
        rows,
        producer_rows,
    })
}

/// Write merged results.csv, summary.csv and (when the shards had it) producers.csv into `dir`.
pub fn write_merged(dir: &Path, rows: &[Row], producer_rows: &[Row]) -> Result<(), String> {
    report::write_results(&dir.join("results.csv"), rows)?;
    if !producer_rows.is_empty() {
        report::write_results(&dir.join("producers.csv"), producer_rows)?;
    }
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
        // Huge N: refused, never an overflow.
        assert!(Shard::parse(&format!("0/{}", usize::MAX)).is_err());
    }

    #[test]
    fn range_does_not_overflow() {
        let s = Shard {
            index: MAX_SHARDS - 1,
            count: MAX_SHARDS,
        };
        let r = s.range(usize::MAX / 2);
        assert!(r.start <= r.end && r.end == usize::MAX / 2);
    }

    #[test]
    fn marker_round_trip_and_rejections() {
        let s = Shard { index: 1, count: 3 };
        let text = s.marker("x", 10, "0123456789abcdef");
        let m = Marker::parse(&text).unwrap();
        assert_eq!((m.rows, m.len, m.digest.as_str()), (3..6, 10, "0123456789abcdef"));
        for bad in [
            "../x 1/3 3..6 of 10 sweep=0123456789abcdef",
            "/abs 1/3 3..6 of 10 sweep=0123456789abcdef",
            "x 1/3 3..7 of 10 sweep=0123456789abcdef",
            "x 1/3 3..6 of 10",
            "x 1/3 3..6 of 10 sweep=zz",
        ] {
            assert!(Marker::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cells_that_a_spreadsheet_would_evaluate_are_refused() {
        let p = Path::new("r.csv");
        for ok in ["all", "1", "-1", "5.5", "1e-6", "fire-and-forget", "b0:b1", ""] {
            assert!(check_cell(p, "v", ok).is_ok(), "{ok}");
        }
        for bad in ["=HYPERLINK(\"x\")", "+cmd", "@SUM(A1)", "a b", "-x", "x\u{1b}"] {
            assert!(check_cell(p, "v", bad).is_err(), "{bad}");
        }
    }
}
