//! `results.json`: every run's full effective configuration, its parameters and seed, every
//! measure (as results.csv holds it), the faults as they happened and the event digest, with
//! the prodsim version. Objects keep their order (columns, then the key registry's order), and
//! the bytes depend only on the runs, except `git_commit` (the build's commit, when it was
//! known at build time; absent otherwise), which comparisons of outputs leave out.

use super::Row;
use crate::config::RunSpec;
use crate::result::{Measure, RunResult};
use crate::scenario::{keys, RunPoint, Scenario};
use serde_json::{json, Map, Value as Json};
use std::path::Path;

/// prodsim's version (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit this build comes from, when `build.rs` could tell (`git rev-parse HEAD` in
/// prodsim's own checkout, or `PRODSIM_GIT_COMMIT` at build time).
pub const GIT_COMMIT: Option<&str> = option_env!("PRODSIM_GIT_COMMIT");

/// The results.json field that names the build's commit: the only part of a report that is
/// not a function of the scenario and its seeds.
pub const GIT_COMMIT_FIELD: &str = "git_commit";

/// A TOML value (as the key registry reads a key) as JSON. NaN and infinities become null.
fn to_json(v: &toml::Value) -> Json {
    match v {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => Json::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// A run's full configuration: the top-level keys, one object per section with every key
/// (defaults included; `"default"` where the default is Kafka's rule, resolved under
/// `resolved`), the scripted faults and the seed.
pub(crate) fn config_json(spec: &RunSpec) -> Json {
    let mut root = Map::new();
    for k in keys() {
        let value = to_json(&k.get(spec));
        match k.key.rsplit_once('.') {
            None => {
                root.insert(k.key.to_string(), value);
            }
            Some((section, short)) => {
                let entry = root
                    .entry(section.to_string())
                    .or_insert_with(|| Json::Object(Map::new()));
                if let Json::Object(m) = entry {
                    m.insert(short.to_string(), value);
                }
            }
        }
    }
    let faults: Vec<Json> = spec
        .faults
        .iter()
        .filter_map(|f| toml::from_str::<toml::Table>(&Scenario::fault_toml(f)).ok())
        .map(|t| to_json(&toml::Value::Table(t)))
        .collect();
    root.insert("faults".into(), Json::Array(faults));
    root.insert(
        "resolved".into(),
        json!({
            "enable_idempotence": spec.producer.idempotence(),
            "delivery_timeout_ms": spec.producer.delivery_timeout_ms(),
        }),
    );
    root.insert("seed".into(), json!(spec.seed));
    Json::Object(root)
}

fn measure_json(m: Measure) -> Json {
    match m {
        Measure::I(v) => json!(v),
        Measure::F(v) => serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number),
    }
}

/// One run: parameters (as results.csv shows them), seed, configuration, measures (rounded as
/// in results.csv), and, when the run's result is at hand, its faults and event digest.
fn run_json(point: &RunPoint, row: &Row, result: Option<&RunResult>) -> Json {
    let params: Map<String, Json> = point
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    let measures: Map<String, Json> = row
        .measures
        .iter()
        .map(|&(k, v)| (k.to_string(), measure_json(v)))
        .collect();
    let mut run = Map::new();
    run.insert("params".into(), Json::Object(params));
    run.insert("seed".into(), json!(point.seed));
    run.insert("config".into(), config_json(&point.spec));
    run.insert("measures".into(), Json::Object(measures));
    if let Some(r) = result {
        let faults: Vec<Json> = r
            .faults
            .iter()
            .map(|f| json!({"kind": f.kind, "target": f.target, "start_ms": f.start_ms, "end_ms": f.end_ms}))
            .collect();
        run.insert("faults_as_happened".into(), Json::Array(faults));
        run.insert("event_digest".into(), Json::String(format!("{:016x}", r.digest)));
    }
    Json::Object(run)
}

/// Writes results.json into `dir`, one run at a time (memory does not grow with the sweep):
/// the header fields one per line, then `runs`, one run per line (compact), so that the file
/// stays readable and diffable at any size.
pub(crate) fn write_results_json(
    dir: &Path,
    sc: &Scenario,
    points: &[RunPoint],
    rows: &[Row],
    results: Option<&[RunResult]>,
    overrides: &[String],
) -> Result<(), String> {
    let path = dir.join("results.json");
    let tmp = super::temp_path(&path);
    let written = write_to(&tmp, sc, points, rows, results, overrides)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, &path)
                .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn write_to(
    tmp: &Path,
    sc: &Scenario,
    points: &[RunPoint],
    rows: &[Row],
    results: Option<&[RunResult]>,
    overrides: &[String],
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(tmp)?);
    let mut header: Vec<(&str, Json)> = vec![("prodsim_version", json!(VERSION))];
    if let Some(commit) = GIT_COMMIT {
        header.push((GIT_COMMIT_FIELD, json!(commit)));
    }
    header.extend([
        ("scenario", json!(sc.name)),
        ("overrides", json!(overrides)),
        ("seeds", json!(sc.seeds)),
        ("parameter_columns", json!(sc.columns())),
    ]);
    out.write_all(b"{\n")?;
    for (key, value) in header {
        writeln!(out, "  {}: {},", Json::from(key), value)?;
    }
    out.write_all(b"  \"runs\": [")?;
    for (i, (p, row)) in points.iter().zip(rows).enumerate() {
        let run = run_json(p, row, results.and_then(|r| r.get(i)));
        write!(out, "{}\n    {run}", if i == 0 { "" } else { "," })?;
    }
    out.write_all(b"\n  ]\n}\n")?;
    out.flush()
}
