//! The README is true: its commands run (simulations shortened to 500 records/s, outputs in a temporary
//! directory), every option its synopses name exists in `--help`, its scenario example loads and
//! runs, its `explain` transcript is real output, and the examples in `--help` are accepted.
//! `cargo` and benchmark lines are only parsed (their scenario files must exist).

use std::path::Path;
use std::process::{Command, Output};

const README: &str = include_str!("../README.md");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn prodsim(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prodsim"))
        .current_dir(ROOT)
        .args(args)
        .output()
        .expect("run prodsim")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The fenced code blocks of the README tagged `lang`, in order.
fn blocks(lang: &str) -> Vec<String> {
    let open = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = README;
    while let Some(i) = rest.find(&open) {
        let body = &rest[i + open.len()..];
        let end = body.find("```\n").expect("closed block");
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

/// Shell words of a command line (the README's commands use only `'...'` quoting).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// A command line without its trailing `# comment`.
fn strip_comment(line: &str) -> &str {
    line.split("  #").next().unwrap_or(line).trim()
}

/// The options (`--x`) that `prodsim <command> --help` documents.
fn help_options(command: &str) -> String {
    let o = prodsim(&[command.to_string(), "--help".to_string()]);
    assert!(o.status.success(), "{command} --help: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every `--option` of a synopsis or example line is one `prodsim <command> --help` knows.
fn options_exist(args: &[String]) {
    let command = &args[0];
    let help = help_options(command);
    for a in args
        .iter()
        .map(|a| a.trim_start_matches('['))
        .filter(|a| a.starts_with("--"))
    {
        let opt = a
            .split('=')
            .next()
            .unwrap()
            .trim_end_matches(|c: char| !c.is_alphanumeric());
        assert!(
            help.contains(&format!("{opt} ")) || help.contains(&format!("{opt}\n")),
            "`{opt}` of `prodsim {}` is not in `prodsim {command} --help`:\n{help}",
            args.join(" ")
        );
    }
}

/// Runs a README command with its simulation shortened and its output in `out`; bad input
/// (exit 2) or a crash fails the test; 0 and 3 (a gate) are results.
fn run_shortened(args: &[String], out: &Path) -> Output {
    let mut args = args.to_vec();
    let command = args[0].clone();
    let out = out.to_string_lossy().into_owned();
    match command.as_str() {
        "run" => args.extend(["--set", "workload.rate=500", "--out", &out].map(String::from)),
        "search" => {
            if let Some(i) = args.iter().position(|a| a == "--cases") {
                args[i + 1] = "3".into();
            } else {
                args.extend(["--cases", "3"].map(String::from));
            }
            args.extend(["--set", "workload.rate=500", "--out", &out].map(String::from));
        }
        _ => {}
    }
    let o = prodsim(&args);
    let code = o.status.code();
    assert!(
        matches!(code, Some(0) | Some(3)),
        "README command `prodsim {}` failed: {}",
        args.join(" "),
        text(&o)
    );
    o
}

/// A README line that is a synopsis (placeholders in capitals), not a runnable example.
fn is_synopsis(args: &[String]) -> bool {
    args.iter().any(|a| {
        let a = a.trim_start_matches('[').trim_end_matches("...]").trim_end_matches(']');
        a.len() > 1
            && a.chars()
                .all(|c| c.is_ascii_uppercase() || c == '.' || c == '_' || c == '/' || c == '$')
    })
}

#[test]
fn the_two_commands_are_a_shipped_sweep_and_cargo_test() {
    let two = &blocks("sh")[0];
    let lines: Vec<&str> = two.lines().map(strip_comment).collect();
    assert_eq!(lines.len(), 2, "{two}");
    let run = lines[0]
        .strip_prefix("cargo run --release -- ")
        .expect("the main command runs the release binary");
    assert_eq!(lines[1], "cargo test");
    let args = words(run);
    assert!(Path::new(ROOT).join(&args[1]).is_file(), "{} is shipped", args[1]);
    let tmp = tempfile::tempdir().unwrap();
    run_shortened(&args, tmp.path());
    let name = Path::new(&args[1]).file_stem().unwrap();
    let report = tmp.path().join(name);
    for f in ["results.csv", "summary.csv", "index.html"] {
        assert!(report.join(f).is_file(), "the main job writes {f}");
    }
}

#[test]
fn every_synopsis_option_is_in_help() {
    let synopses = &blocks("sh")[1];
    let mut seen = 0;
    for line in synopses
        .lines()
        .map(strip_comment)
        .filter(|l| l.starts_with("prodsim "))
    {
        let args = words(&line["prodsim ".len()..]);
        options_exist(&args);
        seen += 1;
    }
    assert!(seen >= 7, "{synopses}");
}

#[test]
fn the_explain_transcript_is_real_output() {
    let block = blocks("text")
        .into_iter()
        .find(|b| b.starts_with("$ prodsim explain"))
        .expect("an explain transcript");
    let mut lines = block.lines();
    let mut command = String::new();
    for l in lines.by_ref() {
        let l = l.trim_start_matches("$ ").trim();
        match l.strip_suffix('\\') {
            Some(head) => command.push_str(head),
            None => {
                command.push_str(l);
                break;
            }
        }
        command.push(' ');
    }
    let expected: Vec<&str> = lines.filter(|l| *l != "..." && !l.is_empty()).collect();
    let args = words(command.trim_start_matches("prodsim "));
    let o = prodsim(&args);
    assert!(o.status.success(), "{}", text(&o));
    let actual = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut actual_lines = actual.lines();
    for e in &expected {
        assert!(
            actual_lines.any(|a| a.trim_end() == e.trim_end()),
            "README transcript line not in the real output (or out of order):\n  {e}\nreal output:\n{actual}"
        );
    }
    assert!(expected.len() >= 10);
}

#[test]
fn the_scenario_example_loads_and_runs() {
    let example = blocks("toml").into_iter().next().expect("a scenario example");
    prodsim::scenario::Scenario::parse_str(&example, Path::new("example.toml")).unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("example.toml");
    std::fs::write(&file, &example).unwrap();
    let args: Vec<String> = vec![
        "run".into(),
        file.to_string_lossy().into_owned(),
        "--set".into(),
        "seeds=1".into(),
        "--no-charts".into(),
    ];
    run_shortened(&args, tmp.path());
}

/// Inline commands in the prose (`` `prodsim search ...` ``, the performance table's
/// `... run scenarios/X.toml ...`): examples run shortened, synopses and benchmarks are checked
/// against `--help` and the shipped scenarios.
#[test]
fn inline_commands_run_or_name_real_options() {
    let flat = README.replace('\n', " ");
    let mut found = 0;
    for (i, _) in flat.match_indices('`') {
        let rest = &flat[i + 1..];
        let Some(end) = rest.find('`') else { break };
        let code = &rest[..end];
        let body = if let Some(b) = code.strip_prefix("prodsim ") {
            b
        } else if let Some(b) = code.strip_prefix("... ") {
            b
        } else if let Some(b) = code.strip_prefix("cargo run --release -- ") {
            b
        } else {
            continue;
        };
        let args: Vec<String> = words(body).into_iter().filter(|w| !w.is_empty()).collect();
        if args.is_empty()
            || !["run", "search", "explain", "merge", "plot", "keys", "perf-test"].contains(&args[0].as_str())
        {
            continue;
        }
        found += 1;
        options_exist(&args);
        let placeholder = |a: &str| {
            let stem = Path::new(a)
                .file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned());
            stem.chars().all(|c| c.is_ascii_uppercase())
        };
        for a in args.iter().filter(|a| a.starts_with("scenarios/") && !placeholder(a)) {
            assert!(
                Path::new(ROOT).join(a).is_file(),
                "`{code}` names {a}, which is not shipped"
            );
        }
        let benchmark = args.iter().any(|a| a.contains("bench-") || a == "--stats");
        // A bare command name in the prose (`prodsim search`) is a mention, not an example.
        let mention = args.len() < 2 && args[0] != "keys";
        if mention || is_synopsis(&args) || benchmark || args[0] == "merge" || args.iter().any(|a| placeholder(a)) {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        run_shortened(&args, tmp.path());
    }
    assert!(found >= 5, "inline commands found: {found}");
}

/// The examples in `prodsim run --help` (`--set` values) are accepted as written.
#[test]
fn help_examples_are_accepted() {
    let help = help_options("run");
    let flat = help.replace('\n', " ");
    let mut checked = 0;
    for (i, _) in flat.match_indices('`') {
        let rest = &flat[i + 1..];
        let Some(end) = rest.find('`') else { break };
        let code = rest[..end].trim_matches('\'');
        if !code.contains('=') || code.contains("section.key") || code.contains(' ') {
            continue;
        }
        let mut sc = prodsim::scenario::Scenario::parse_str("", Path::new("s.toml")).unwrap();
        sc.apply_set(code)
            .unwrap_or_else(|e| panic!("`prodsim run --help` shows `{code}`, which is refused: {e}"));
        checked += 1;
    }
    assert!(checked >= 2, "{help}");
}

/// Negative control: an option `--help` does not know is caught.
#[test]
fn an_unknown_option_is_caught() {
    let r = std::panic::catch_unwind(|| options_exist(&["run".to_string(), "--no-such-option".to_string()]));
    assert!(r.is_err());
}
