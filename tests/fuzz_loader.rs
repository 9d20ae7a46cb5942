//! Fuzzing the scenario loader and the `--set` parser (stable Rust, inside `cargo test`, a fixed
//! seed and a bounded number of cases): whatever the text, loading ends in a scenario or a
//! clean [`ScenarioError`], never a panic; an accepted scenario's name is a plain file name and
//! its run points expand (or fail cleanly); a clean error names a file.
//!
//! Inputs are generated two ways: raw text (arbitrary characters, control characters included)
//! and TOML-shaped text built from the real sections and keys with hostile values (extremes,
//! wrong types, nesting, control characters, path-like names), where the interesting bugs live.

use prodsim::scenario::{keys, Scenario};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

fn runner(cases: u32, seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    })
}

/// Loads `text` (then applies `sets`) and checks the outcome is a scenario or a clean error.
fn check_load(text: &str, sets: &[String]) -> Result<(), TestCaseError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        let mut sc = Scenario::parse_str(text, Path::new("fuzz.toml")).map_err(|e| {
            assert!(e.file == "fuzz.toml", "error without its file: {e:?}");
            e.to_string()
        })?;
        prodsim::outdir::check_name(&sc.name).expect("an accepted name is a plain file name");
        for s in sets {
            sc.apply_set(s).map_err(|e| {
                assert!(e.file == "--set", "a --set error names --set: {e:?}");
                e.to_string()
            })?;
            prodsim::outdir::check_name(&sc.name).expect("a name set by --set is a plain file name");
        }
        if let Ok(points) = sc.expand() {
            for p in points.iter().take(4) {
                assert!(p.spec.validate().is_ok(), "an expanded point failed validation");
            }
        }
        Ok(())
    }));
    match outcome {
        Ok(_) => Ok(()),
        Err(_) => Err(TestCaseError::fail(format!("panic on {text:?} with {sets:?}"))),
    }
}

fn section() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("producer".to_string()),
        Just("cluster".to_string()),
        Just("network".to_string()),
        Just("workload".to_string()),
        Just("random_faults".to_string()),
        Just("sweep".to_string()),
        Just("[faults]".to_string()),
        Just("[plots]".to_string()),
        Just("[expect]".to_string()),
        "[a-z_.]{1,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    let names: Vec<String> = keys().iter().map(|k| k.short().to_string()).collect();
    let full: Vec<String> = keys().iter().map(|k| format!("\"{}\"", k.key)).collect();
    prop_oneof![
        4 => proptest::sample::select(names),
        2 => proptest::sample::select(full),
        1 => proptest::sample::select(vec![
            "name".to_string(), "seeds".to_string(), "kind".to_string(), "at_ms".to_string(),
            "x".to_string(), "y".to_string(), "series".to_string(), "per".to_string(),
            "node".to_string(), "nodes".to_string(), "groups".to_string(), "one_way".to_string(),
        ]),
        1 => "[a-zA-Z0-9_.\\-]{1,20}",
        1 => ".{1,8}".prop_map(|s| format!("{:?}", s)),
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (-3i64..70_000).prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("1e-15".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("0".to_string()),
        Just("true".to_string()),
        Just("\"default\"".to_string()),
        Just("\"all\"".to_string()),
        Just("\"..\"".to_string()),
        Just("\"/etc\"".to_string()),
        Just("\"crash-leader\"".to_string()),
        Just("\"\\u001b[2J\"".to_string()),
        ".{0,12}".prop_map(|s| toml::Value::String(s).to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    let leaf = scalar();
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec((key(), inner), 0..3).prop_map(|v| {
                let fields: Vec<String> = v.into_iter().map(|(k, x)| format!("{k} = {x}")).collect();
                format!("{{ {} }}", fields.join(", "))
            }),
        ]
    })
}

fn toml_shaped() -> impl Strategy<Value = String> {
    proptest::collection::vec((section(), proptest::collection::vec((key(), value()), 0..5)), 0..6).prop_map(
        |sections| {
            let mut text = String::new();
            for (sec, entries) in sections {
                if !sec.is_empty() {
                    text.push_str(&format!("[{sec}]\n"));
                }
                for (k, v) in entries {
                    text.push_str(&format!("{k} = {v}\n"));
                }
            }
            text
        },
    )
}

fn set_assignment() -> impl Strategy<Value = String> {
    let full: Vec<String> = keys().iter().map(|k| k.key.to_string()).collect();
    let k = prop_oneof![
        3 => proptest::sample::select(full),
        1 => proptest::sample::select(vec!["name".to_string(), "seeds".to_string(), String::new()]),
        1 => ".{0,10}",
    ];
    let v = prop_oneof![
        value(),
        ".{0,16}",
        Just("..".to_string()),
        Just("/tmp/x".to_string()),
        Just("[1,all]".to_string()),
        Just("\"0.10\"".to_string()),
    ];
    prop_oneof![
        5 => (k, v).prop_map(|(k, v)| format!("{k}={v}")),
        1 => ".{0,20}",
    ]
}

#[test]
fn arbitrary_text_never_panics_the_loader() {
    runner(1500, 0x5eed_0001)
        .run(&".{0,200}", |text| check_load(&text, &[]))
        .unwrap();
}

#[test]
fn toml_shaped_hostile_scenarios_never_panic_the_loader() {
    runner(10_000, 0x5eed_0002)
        .run(&toml_shaped(), |text| check_load(&text, &[]))
        .unwrap();
}

#[test]
fn set_assignments_never_panic() {
    runner(10_000, 0x5eed_0003)
        .run(&proptest::collection::vec(set_assignment(), 1..4), |sets| {
            check_load("duration_ms = 1000\n", &sets)
        })
        .unwrap();
}

/// Negative control: the same harness finds a loader that panics on some input (here, a
/// stand-in that panics on text containing `=`), so a panicking loader would fail these tests.
#[test]
fn the_harness_finds_a_panicking_loader() {
    std::panic::set_hook(Box::new(|_| {}));
    let found = runner(500, 0x5eed_0004).run(&".{0,40}", |text| {
        catch_unwind(|| assert!(!text.contains('='), "panics on ="))
            .map_err(|_| TestCaseError::fail(format!("panic on {text:?}")))
    });
    let _ = std::panic::take_hook();
    assert!(found.is_err(), "the harness missed a panic");
}
