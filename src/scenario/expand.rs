//! A scenario's runs: its results columns, the cartesian product of its sweep axes and seeds,
//! and the checks every sweep point passes before a run starts.

use super::keys::{display_value, get_key, set_key};
use super::{short_name, RunPoint, Scenario, ScenarioError, FIXED_COLUMNS, MAX_RUNS};
use crate::config::versions::{history_keys, value_at, Change, Side, HISTORY};
use crate::config::RunSpec;
use crate::expect::params_text;

impl Scenario {
    /// `(column, key)` of every parameter column, in results.csv order.
    pub(crate) fn column_keys(&self) -> Vec<(String, String)> {
        let mut cols: Vec<(String, String)> = FIXED_COLUMNS
            .iter()
            .map(|k| (short_name(k).to_string(), k.to_string()))
            .collect();
        for axis in &self.sweep {
            if cols.iter().any(|(_, k)| k == &axis.key) {
                continue;
            }
            let short = short_name(&axis.key);
            let name = if short == "seed" || cols.iter().any(|(c, _)| c == short) {
                axis.key.clone()
            } else {
                short.to_string()
            };
            cols.push((name, axis.key.clone()));
        }
        cols
    }

    /// Parameter columns of results.csv in order: `acks`, `linger_ms`, `batch_size`,
    /// `send_mode`, then every other swept key in sweep order (without `seed`).
    pub fn columns(&self) -> Vec<String> {
        self.column_keys().into_iter().map(|(c, _)| c).collect()
    }

    pub(super) fn refresh_columns(&mut self) {
        let cols = self.column_keys();
        for axis in &mut self.sweep {
            if let Some((c, _)) = cols.iter().find(|(_, k)| k == &axis.key) {
                axis.column = c.clone();
            }
        }
    }

    /// Parameter values of a spec, one per column.
    pub(crate) fn params_of(&self, spec: &RunSpec) -> Vec<(String, String)> {
        self.column_keys()
            .into_iter()
            .map(|(c, k)| {
                let v = get_key(spec, &k).map(|v| display_value(&v)).unwrap_or_default();
                (c, v)
            })
            .collect()
    }

    /// Whether the scenario sets `key` itself (file, properties file, `--set`) or sweeps it:
    /// then its release's default does not apply.
    pub(crate) fn sets(&self, key: &str) -> bool {
        self.origins.contains_key(key) || self.sweep.iter().any(|a| a.key == key)
    }

    /// The scenario's base configuration with its release's defaults applied (what a run
    /// without sweep values gets; `search` starts from it).
    pub fn base_spec(&self) -> RunSpec {
        let mut spec = self.base.clone();
        apply_release_defaults(&mut spec, |k| self.sets(k));
        // Checked when the scenario was parsed (`check_points`).
        let _ = super::scoped::resolve_producers(&mut spec);
        spec
    }

    /// Number of sweep points (saturating).
    fn combos(&self) -> usize {
        self.sweep.iter().fold(1usize, |n, a| n.saturating_mul(a.values.len()))
    }

    /// Number of runs (sweep points x seeds); an error above [`MAX_RUNS`].
    pub(crate) fn run_count(&self) -> Result<usize, ScenarioError> {
        let combos = self.combos();
        let total = combos.saturating_mul(self.seeds.len());
        if total > MAX_RUNS {
            return Err(self.too_many(format!("the sweep has {combos} points x {} seeds", self.seeds.len())));
        }
        Ok(total)
    }

    fn too_many(&self, what: String) -> ScenarioError {
        ScenarioError {
            file: self.file(),
            line: None,
            key: None,
            message: format!("{what}; at most {MAX_RUNS} runs are allowed"),
        }
    }

    /// Visits every sweep point (first axis outermost) with its params and spec, after checking
    /// it: fault times within the production window and [`RunSpec::validate`].
    pub(super) fn check_points(
        &self,
        mut visit: impl FnMut(Vec<(String, String)>, RunSpec),
    ) -> Result<(), ScenarioError> {
        let combos = self.combos();
        if combos > MAX_RUNS {
            return Err(self.too_many(format!("the sweep has {combos} points")));
        }
        let mut idx = vec![0usize; self.sweep.len()];
        loop {
            let mut spec = self.base.clone();
            for (axis, &i) in self.sweep.iter().zip(&idx) {
                if let Some(v) = axis.values.get(i) {
                    set_key(&mut spec, &axis.key, v).map_err(|m| self.key_error(&axis.key, m))?;
                }
            }
            apply_release_defaults(&mut spec, |k| self.sets(k));
            super::scoped::resolve_producers(&mut spec).map_err(|m| ScenarioError {
                file: self.file(),
                line: None,
                key: None,
                message: m,
            })?;
            let params = self.params_of(&spec);
            self.check_spec(&spec, &params)?;
            visit(params, spec);
            // Advance the odometer: the last axis turns fastest.
            let mut d = self.sweep.len();
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < self.sweep[d].values.len() {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    fn check_spec(&self, spec: &RunSpec, params: &[(String, String)]) -> Result<(), ScenarioError> {
        // Name the sweep point by its swept columns only.
        let swept: Vec<(String, String)> = params
            .iter()
            .filter(|(c, _)| self.sweep.iter().any(|a| &a.column == c))
            .cloned()
            .collect();
        let context = |m: String| {
            if swept.is_empty() {
                m
            } else {
                format!("{m} (at sweep point {})", params_text(&swept))
            }
        };
        for (i, f) in spec.faults.iter().enumerate() {
            if f.at_ms >= spec.duration_ms {
                return Err(ScenarioError {
                    file: self.file(),
                    line: self.fault_lines.get(i).copied(),
                    key: Some("faults.at_ms".into()),
                    message: context(format!(
                        "fault `{}` at_ms = {} is not within the production window \
                         (duration_ms = {})",
                        f.kind.name(),
                        f.at_ms,
                        spec.duration_ms
                    )),
                });
            }
        }
        if let Err((key, msg)) = spec.validate().and_then(|()| super::scoped::validate_clients(spec)) {
            if key == "faults" {
                let mut s = spec.clone();
                let mut line = None;
                for i in 0..spec.faults.len() {
                    s.faults = spec.faults[..=i].to_vec();
                    if matches!(s.validate(), Err((k, _)) if k == "faults") {
                        line = self.fault_lines.get(i).copied();
                        break;
                    }
                }
                return Err(ScenarioError {
                    file: self.file(),
                    line,
                    key: Some(key),
                    message: context(msg),
                });
            }
            return Err(self.key_error(&key, context(msg)));
        }
        Ok(())
    }

    /// Every run: the cartesian product of the sweep axes (first axis outermost) times the
    /// seeds (innermost). Each point is validated; the first invalid one is an error.
    pub fn expand(&self) -> Result<Vec<RunPoint>, ScenarioError> {
        let total = self.run_count()?;
        let mut out = Vec::with_capacity(total);
        self.check_points(|params, spec| {
            for &seed in &self.seeds {
                let mut spec = spec.clone();
                spec.seed = seed;
                out.push(RunPoint {
                    params: params.clone(),
                    seed,
                    spec,
                });
            }
        })?;
        Ok(out)
    }
}

/// Sets every key with a history (`config::versions::HISTORY`) that `explicit` does not claim
/// to its value at the run's release: `cluster.kafka_version` for the cluster's keys,
/// `producer.client_version` (else the cluster's release) for the client's.
pub(crate) fn apply_release_defaults(spec: &mut RunSpec, explicit: impl Fn(&str) -> bool) {
    let cluster = spec.cluster.kafka_version;
    let client = spec.producer.client_version.unwrap_or(cluster);
    for key in history_keys() {
        if explicit(key) {
            continue;
        }
        let side = HISTORY
            .iter()
            .find(|c| c.key == key)
            .map_or(Side::Cluster, Change::side);
        let release = if side == Side::Client { client } else { cluster };
        let Some(lit) = value_at(key, release) else { continue };
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {lit}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .expect("history values are TOML literals (tested)");
        set_key(spec, key, &value).expect("history values are valid values of their keys (tested)");
    }
}
