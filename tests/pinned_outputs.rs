//! Every shipped scenario's outputs, pinned: every CSV (results, summary, parameters, timeline),
//! results.json (without the build's `git_commit`), every SVG chart and every run's event
//! digest, hashed into `tests/pinned/outputs.txt`. A refactoring must leave them byte-identical. A change that is meant to move results (a fidelity fix) re-pins in its own
//! commit, saying why:
//!
//! ```sh
//! PRODSIM_REPIN=1 cargo test --test pinned_outputs
//! ```

mod common;

use prodsim::report;
use prodsim::scenario::Scenario;
use std::fmt::Write as _;
use std::path::Path;

const PIN_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pinned/outputs.txt");

/// FNV-1a, 64 bits: enough to notice any change, no dependency.
fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `scenario file hash` lines for one shipped scenario, as `prodsim run` writes it.
fn pin_lines(path: &Path) -> String {
    let sc = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    let common::Written {
        dir: tmp,
        points,
        results,
        ..
    } = common::write_report(&sc, &report::TimelineRun::WorstP99);
    let mut files: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv") || n.ends_with(".svg") || n.ends_with(".json"))
        .collect();
    files.sort();
    let mut out = String::new();
    for f in files {
        let mut bytes = std::fs::read(tmp.path().join(&f)).unwrap();
        if f.ends_with(".json") {
            bytes = without_git_commit(&bytes);
        }
        writeln!(out, "{} {f} {:016x}", sc.name, fnv64(&bytes)).unwrap();
    }
    let mut digests = String::new();
    for (p, r) in points.iter().zip(&results) {
        writeln!(digests, "{} {:016x}", p.label(), r.digest).unwrap();
    }
    writeln!(out, "{} run-digests {:016x}", sc.name, fnv64(digests.as_bytes())).unwrap();
    out
}

/// results.json without its `git_commit` line: the build's commit is the one field of a report
/// that is not a function of the scenario and its seeds.
fn without_git_commit(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let field = format!("  \"{}\": ", report::GIT_COMMIT_FIELD);
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with(&field)).collect();
    let out = kept.join("\n") + "\n";
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .get(report::GIT_COMMIT_FIELD),
        None
    );
    out.into_bytes()
}

#[test]
fn shipped_scenario_outputs_are_pinned() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let actual: String = paths.iter().map(|p| pin_lines(p)).collect();
    if std::env::var_os("PRODSIM_REPIN").is_some() {
        std::fs::write(PIN_FILE, &actual).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(PIN_FILE).expect("tests/pinned/outputs.txt (PRODSIM_REPIN=1 writes it)");
    let (changed, gone) = differences(&actual, &pinned);
    assert!(
        changed.is_empty() && gone.is_empty(),
        "outputs changed: {changed:?}; no longer written: {gone:?}. A refactoring must not move \
         results; a deliberate change re-pins (PRODSIM_REPIN=1) in its own commit and says why"
    );
}

/// Outputs whose hash differs from (or is missing in) the pins, and pins no output matches.
fn differences(actual: &str, pinned: &str) -> (Vec<String>, Vec<String>) {
    let key = |l: &str| l.rsplit_once(' ').map_or(l, |x| x.0).to_string();
    let changed = actual
        .lines()
        .filter(|l| !pinned.lines().any(|p| p == *l))
        .map(key)
        .collect();
    let gone = pinned
        .lines()
        .filter(|p| !actual.lines().any(|l| key(l) == key(p)))
        .map(key)
        .collect();
    (changed, gone)
}

/// Negative control: the comparison flags a changed hash and a file no longer written.
#[test]
fn the_pin_notices_a_change() {
    let pinned = "s results.csv 00000000000000aa\ns x.svg 00000000000000bb\n";
    assert_eq!(differences(pinned, pinned), (vec![], vec![]));
    let (changed, gone) = differences("s results.csv 00000000000000ab\n", pinned);
    assert_eq!(changed, ["s results.csv"]);
    assert_eq!(gone, ["s x.svg"]);
    assert_ne!(fnv64(b"acks,linger_ms\n1,5\n"), fnv64(b"acks,linger_ms\n1,6\n"));
}
