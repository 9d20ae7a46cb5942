//! A generic table of text columns: what results.csv and summary.csv hold, and what the charts
//! draw from.

use super::{measure_columns, param_names, param_value, write_atomic, Row, SummaryRow};
use std::path::Path;

/// A CSV file in memory: a header and rows of cells, all text. Every row has one cell per header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvTable {
    /// The column names.
    pub headers: Vec<String>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    /// Reads a CSV file with a header line. Ragged rows are an error naming the file.
    pub fn read(path: &Path) -> Result<CsvTable, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| format!("cannot read the header of {}: {e}", path.display()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        Ok(CsvTable { headers, rows })
    }

    /// The results.csv table: param columns, `seed`, then the measures rendered with
    /// `Measure::render`. A cell a row lacks is empty.
    pub fn from_rows(rows: &[Row]) -> CsvTable {
        let params = param_names(rows.iter().map(|r| r.params.as_slice()));
        let measures = measure_columns(rows);
        let mut headers = params.clone();
        headers.push("seed".to_string());
        headers.extend(measures.iter().map(|m| m.to_string()));
        let rows = rows
            .iter()
            .map(|row| {
                let mut cells: Vec<String> = params.iter().map(|p| param_value(&row.params, p).to_string()).collect();
                cells.push(row.seed.to_string());
                for name in &measures {
                    let value = row.measures.iter().find(|(n, _)| n == name);
                    cells.push(value.map(|(_, v)| v.render()).unwrap_or_default());
                }
                cells
            })
            .collect();
        CsvTable { headers, rows }
    }

    /// The summary.csv table: param columns, `seeds`, then the summary values.
    pub(crate) fn from_summary(summary: &[SummaryRow]) -> CsvTable {
        let params = param_names(summary.iter().map(|s| s.params.as_slice()));
        let mut values: Vec<&str> = Vec::new();
        for s in summary {
            for (name, _) in &s.values {
                if !values.contains(&name.as_str()) {
                    values.push(name);
                }
            }
        }
        let mut headers = params.clone();
        headers.push("seeds".to_string());
        headers.extend(values.iter().map(|v| v.to_string()));
        let rows = summary
            .iter()
            .map(|s| {
                let mut cells: Vec<String> = params.iter().map(|p| param_value(&s.params, p).to_string()).collect();
                cells.push(s.seeds.to_string());
                for name in &values {
                    cells.push(s.get(name).map(|v| v.render()).unwrap_or_default());
                }
                cells
            })
            .collect();
        CsvTable { headers, rows }
    }

    /// Index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Index of a column, or an error naming the column, the table's `source` and the columns
    /// that do exist.
    pub(crate) fn require_column(&self, name: &str, source: &str) -> Result<usize, String> {
        self.column(name).ok_or_else(|| {
            format!(
                "column `{name}` not found in {source}; available columns: {}",
                self.headers.join(", ")
            )
        })
    }

    /// The cells of one column, in row order.
    pub(crate) fn values(&self, column: usize) -> impl Iterator<Item = &str> {
        self.rows
            .iter()
            .map(move |r| r.get(column).map(String::as_str).unwrap_or(""))
    }

    /// Concatenates tables: the header is the union of the headers in first-appearance order, a
    /// cell a table lacks is empty. With `label_column`, a column of that name is added (or
    /// overwritten) holding each table's label.
    pub(crate) fn concat(tables: &[(String, CsvTable)], label_column: Option<&str>) -> CsvTable {
        let mut headers: Vec<String> = Vec::new();
        for (_, table) in tables {
            for h in &table.headers {
                if !headers.contains(h) {
                    headers.push(h.clone());
                }
            }
        }
        if let Some(label) = label_column {
            if !headers.iter().any(|h| h == label) {
                headers.push(label.to_string());
            }
        }
        let mut rows = Vec::new();
        for (label, table) in tables {
            let map: Vec<Option<usize>> = headers.iter().map(|h| table.column(h)).collect();
            for row in &table.rows {
                let cells = headers
                    .iter()
                    .zip(&map)
                    .map(|(h, source)| {
                        if Some(h.as_str()) == label_column {
                            label.clone()
                        } else {
                            source.and_then(|c| row.get(c).cloned()).unwrap_or_default()
                        }
                    })
                    .collect();
                rows.push(cells);
            }
        }
        CsvTable { headers, rows }
    }

    /// Writes the table as CSV, atomically (temporary file + rename).
    pub(crate) fn write(&self, path: &Path) -> Result<(), String> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let fail = |e: csv::Error| format!("cannot format {}: {e}", path.display());
        writer.write_record(&self.headers).map_err(fail)?;
        for row in &self.rows {
            writer.write_record(row).map_err(fail)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| format!("cannot format {}: {e}", path.display()))?;
        write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str], rows: &[&[&str]]) -> CsvTable {
        CsvTable {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
        }
    }

    #[test]
    fn write_then_read_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.csv");
        let t = table(&["a", "b"], &[&["1", "x,y"], &["2", ""]]);
        t.write(&path).unwrap();
        assert_eq!(CsvTable::read(&path).unwrap(), t);
    }

    #[test]
    fn concat_unions_headers_and_labels_rows() {
        let a = table(&["x", "y"], &[&["1", "2"]]);
        let b = table(&["x", "z", "y"], &[&["3", "9", "4"]]);
        let c = CsvTable::concat(&[("a".into(), a), ("b".into(), b)], Some("file"));
        assert_eq!(c.headers, ["x", "y", "z", "file"]);
        assert_eq!(c.rows, [["1", "2", "", "a"], ["3", "4", "9", "b"]]);
    }

    #[test]
    fn missing_column_error_lists_the_available_ones() {
        let t = table(&["x", "y"], &[]);
        let err = t.require_column("q", "f.csv").unwrap_err();
        assert_eq!(err, "column `q` not found in f.csv; available columns: x, y");
    }
}
