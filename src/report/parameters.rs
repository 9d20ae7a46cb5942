//! `parameters.csv`: the scenario's parameters as a reader needs them beside results.csv, one
//! row per key (every key of the registry, then `seeds`): its Kafka name, its value in these
//! runs, its default, and the results.csv column that holds it when it varies or is one of the
//! columns results.csv always has. A swept key's value lists its sweep values, ` | `-separated.
//!
//! The fixed parameters live here rather than as more results.csv columns: results.csv keeps
//! its layout (parameter columns that vary or always were there, `seed`, measures), a constant
//! is not repeated on every row, and results.json carries each run's full configuration for
//! programs.

use super::CsvTable;
use crate::scenario::{display_value, keys, Scenario};
use std::path::Path;

/// The parameters.csv table of a scenario.
pub(crate) fn parameters_table(sc: &Scenario) -> CsvTable {
    let columns = sc.column_keys();
    let headers = ["key", "kafka_name", "value", "default", "results_column"]
        .map(String::from)
        .to_vec();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for k in keys() {
        let value = match sc.sweep.iter().find(|a| a.key == k.key) {
            Some(axis) => axis.values.iter().map(display_value).collect::<Vec<_>>().join(" | "),
            None => display_value(&k.get(&sc.base)),
        };
        let column = columns
            .iter()
            .find(|(_, key)| key == k.key)
            .map(|(c, _)| c.clone())
            .unwrap_or_default();
        rows.push(vec![
            k.key.to_string(),
            k.kafka.to_string(),
            value,
            k.default.clone(),
            column,
        ]);
    }
    let seeds: Vec<String> = sc.seeds.iter().map(u64::to_string).collect();
    rows.push(vec![
        "seeds".into(),
        String::new(),
        seeds.join(" | "),
        "1".into(),
        "seed".into(),
    ]);
    CsvTable { headers, rows }
}

/// Writes parameters.csv into `dir`.
pub(crate) fn write_parameters(dir: &Path, sc: &Scenario) -> Result<(), String> {
    parameters_table(sc).write(&dir.join("parameters.csv"))
}
