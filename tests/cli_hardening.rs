//! The command line on hostile or extreme input (issue "Hardening"): a scenario can never touch
//! a path outside `--out`, bad input never panics and never writes, replacing a report is
//! atomic, and the exit-code contract (0 ok, 1 I/O or a run that could not finish, 2 bad input,
//! 3 a gate failed) holds. Every test works in its own temporary directory, removed at the end.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test; `PRODSIM_BIN` points the suite at another build (e.g. an older
/// commit, to see each test fail there).
fn bin() -> String {
    std::env::var("PRODSIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_prodsim").to_string())
}

/// A quick valid scenario body (no name).
const SMALL: &str = "duration_ms = 400\nsettle_ms = 1000\n[workload]\nrate = 1000\n";

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run prodsim")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn expect_code(o: &Output, want: i32, what: &str) {
    assert_eq!(
        code(o),
        want,
        "{what}: stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
    assert!(!stderr(o).contains("panicked"), "{what}: panic: {}", stderr(o));
}

/// Every file and directory under `dir` with its contents (directories as empty).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if meta.is_dir() {
                out.insert(rel, Vec::new());
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                out.insert(rel, fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec());
            } else {
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A working directory that looks like a user's checkout: `.git`, sources, an older report.
fn user_checkout() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir_all(t.path().join(".git/objects")).unwrap();
    fs::write(t.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::create_dir_all(t.path().join("src")).unwrap();
    fs::write(t.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    fs::create_dir_all(t.path().join("reports/other")).unwrap();
    fs::write(t.path().join("reports/other/results.csv"), "seed\n1\n").unwrap();
    t
}

#[test]
fn a_name_that_is_a_path_writes_and_removes_nothing() {
    let victim = tempfile::tempdir().unwrap();
    fs::write(victim.path().join("precious.txt"), "keep").unwrap();
    let victim_path = victim.path().to_string_lossy().into_owned();
    let cases: Vec<(String, Vec<String>)> = vec![
        (format!("name = \"..\"\n{SMALL}"), vec![]),
        (format!("name = \".\"\n{SMALL}"), vec![]),
        (format!("name = {}\n{SMALL}", toml_string(&victim_path)), vec![]),
        (SMALL.to_string(), vec!["--set".into(), "name=../../x".into()]),
        (SMALL.to_string(), vec!["--set".into(), format!("name={victim_path}")]),
        (SMALL.to_string(), vec!["--set".into(), "name=..".into()]),
    ];
    for (text, extra) in cases {
        let cwd = user_checkout();
        fs::write(cwd.path().join("s.toml"), &text).unwrap();
        let before = snapshot(cwd.path());
        let victim_before = snapshot(victim.path());
        let mut args = vec!["run", "s.toml"];
        args.extend(extra.iter().map(String::as_str));
        let o = run_in(cwd.path(), &args);
        expect_code(&o, 2, &format!("{text} {extra:?}"));
        assert!(stderr(&o).contains("`name`"), "{}", stderr(&o));
        assert!(stderr(&o).contains("plain file name"), "{}", stderr(&o));
        assert_eq!(
            snapshot(cwd.path()),
            before,
            "working directory changed: {text} {extra:?}"
        );
        assert_eq!(snapshot(victim.path()), victim_before);
        // search and explain load the same way.
        let mut s = vec!["search", "s.toml", "--property", "no_phantoms", "--cases", "1"];
        s.extend(extra.iter().map(String::as_str));
        expect_code(&run_in(cwd.path(), &s), 2, "search");
        assert_eq!(snapshot(cwd.path()), before);
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[test]
fn rerun_replaces_the_report_atomically_and_leaves_nothing_else() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(cwd.path().join("s.toml"), format!("name = \"r\"\n{SMALL}")).unwrap();
    for _ in 0..2 {
        let o = run_in(cwd.path(), &["run", "s.toml", "--out", "out", "--no-charts"]);
        expect_code(&o, 0, "run");
    }
    let mut names: Vec<String> = fs::read_dir(cwd.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".prodsim.lock", "r"]);
    let report = cwd.path().join("out/r");
    assert!(report.join(".prodsim-report").is_file());
    assert!(report.join("results.csv").is_file() && report.join("summary.csv").is_file());
}

#[test]
fn concurrent_runs_into_one_output_take_turns() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(
        cwd.path().join("s.toml"),
        "name = \"c\"\nduration_ms = 3000\nseeds = 4\n[workload]\nrate = 20000\n",
    )
    .unwrap();
    let spawn = || {
        Command::new(bin())
            .current_dir(cwd.path())
            .args(["run", "s.toml", "--out", "out", "--no-charts", "--jobs", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..3).map(|_| spawn()).collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let rows = fs::read_to_string(cwd.path().join("out/c/results.csv")).unwrap();
    assert_eq!(rows.lines().count(), 5, "a whole report: header + 4 runs");
    let left: Vec<String> = fs::read_dir(cwd.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".prodsim-tmp") || n.starts_with(".prodsim-old"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_run_waits_for_the_output_lock_and_says_so() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(cwd.path().join("s.toml"), format!("name = \"w\"\n{SMALL}")).unwrap();
    fs::create_dir(cwd.path().join("out")).unwrap();
    // Another writer holds the output directory's lock.
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(cwd.path().join("out/.prodsim.lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = Command::new(bin())
        .current_dir(cwd.path())
        .args(["run", "s.toml", "--out", "out", "--no-charts"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "the run did not wait for the lock");
    assert!(
        !cwd.path().join("out/w").exists(),
        "the report was replaced under another writer's lock"
    );
    drop(lock);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("waiting for it"));
    assert!(cwd.path().join("out/w/results.csv").is_file());
}

#[test]
fn bad_input_leaves_the_output_directory_as_it_was() {
    let cwd = tempfile::tempdir().unwrap();
    let w = |n: &str, t: &str| fs::write(cwd.path().join(n), t).unwrap();
    w("ok.toml", &format!("name = \"ok\"\n{SMALL}"));
    w("ok2.toml", &format!("name = \"ok\"\n{SMALL}"));
    w(
        "line-on-acks.toml",
        &format!(
            "{SMALL}[sweep]\n\"producer.acks\" = [\"1\", \"all\"]\n[[plots]]\nx = \"acks\"\ny = \"latency_p99_ms\"\n"
        ),
    );
    w(
        "y-not-numeric.toml",
        &format!("{SMALL}[[plots]]\nx = \"linger_ms\"\ny = \"send_mode\"\nkind = \"bar\"\n"),
    );
    w(
        "unknown-col.toml",
        &format!("{SMALL}[[plots]]\nx = \"linger_ms\"\ny = \"nope\"\n"),
    );
    w("tiny-nic.toml", &format!("{SMALL}[network]\nbandwidth_mbps = 1e-15\n"));
    w("many-keys.toml", &format!("{SMALL}keys = 100000000\n"));
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "ok.toml", "ok2.toml"],
        vec!["run", "line-on-acks.toml"],
        vec!["run", "y-not-numeric.toml"],
        vec!["run", "unknown-col.toml"],
        vec!["run", "tiny-nic.toml"],
        vec!["run", "many-keys.toml"],
        vec!["run", "ok.toml", "--set", "workload.keys=100000000"],
        vec!["run", "ok.toml", "--jobs", "100000"],
        vec!["run", "ok.toml", "--shard", "0/18446744073709551615"],
        vec!["run", "ok.toml", "--shard", "0/2000000"],
        vec!["search", "ok.toml", "--property", "no_phantoms", "--max-faults", "1000"],
        vec!["search", "ok.toml", "--property", "no_phantoms", "--jobs", "100000"],
    ];
    for args in cases {
        let mut full = args.clone();
        full.extend(["--out", "out"]);
        let o = run_in(cwd.path(), &full);
        expect_code(&o, 2, &format!("{args:?}"));
        assert!(!cwd.path().join("out").exists(), "{args:?} created --out");
    }
    let o = run_in(cwd.path(), &["run", "ok.toml", "ok2.toml"]);
    assert!(stderr(&o).contains("both named `ok`"), "{}", stderr(&o));
}

#[test]
fn merge_checks_its_inputs_before_writing() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(
        cwd.path().join("s.toml"),
        format!("name = \"m\"\nseeds = 3\n{SMALL}[sweep]\n\"producer.acks\" = [\"1\", \"all\"]\n"),
    )
    .unwrap();
    for (i, extra) in [(0, None), (1, None), (2, Some("producer.linger_ms=7"))] {
        let sel = format!("{i}/2");
        let dir = format!("shard{i}");
        let mut args = vec!["run", "s.toml", "--no-charts", "--out", &dir, "--shard"];
        let sel2 = if i == 2 { "1/2".to_string() } else { sel.clone() };
        args.push(&sel2);
        let set;
        if let Some(s) = extra {
            set = s.to_string();
            args.extend(["--set", &set]);
        }
        expect_code(&run_in(cwd.path(), &args), 0, "shard run");
    }
    let merge = |dirs: &[&str], extra: &[&str]| {
        let mut args = vec!["merge", "--out", "merged"];
        args.extend(dirs);
        args.extend(extra);
        run_in(cwd.path(), &args)
    };
    // The good pair merges (and, with the scenario, its digest matches).
    expect_code(&merge(&["shard0/m", "shard1/m"], &["--scenario", "s.toml"]), 0, "merge");
    fs::remove_dir_all(cwd.path().join("merged")).unwrap();
    // Shards of different sweeps (a --set on one) do not merge.
    let o = merge(&["shard0/m", "shard2/m"], &[]);
    expect_code(&o, 2, "different digests");
    assert!(stderr(&o).contains("one expanded sweep"), "{}", stderr(&o));
    // The scenario with another --set is not the sweep the shards ran.
    let o = merge(
        &["shard0/m", "shard1/m"],
        &["--scenario", "s.toml", "--set", "producer.linger_ms=9"],
    );
    expect_code(&o, 2, "scenario digest");
    assert!(!cwd.path().join("merged").exists());
    // Tampered shards: copy shard1 and damage the copy in several ways.
    let tamper = |name: &str, f: &dyn Fn(&Path)| {
        let d = cwd.path().join(name).join("m");
        fs::create_dir_all(&d).unwrap();
        for file in ["results.csv", "shard.txt"] {
            fs::copy(cwd.path().join("shard1/m").join(file), d.join(file)).unwrap();
        }
        f(&d);
        format!("{name}/m")
    };
    let edit = |d: &Path, file: &str, from: &str, to: &str, count: usize| {
        let p = d.join(file);
        let t = fs::read_to_string(&p).unwrap();
        assert!(t.contains(from), "{from} not in {t}");
        fs::write(&p, t.replacen(from, to, count)).unwrap();
    };
    let cases: Vec<(String, &str)> = vec![
        (
            tamper("t-name", &|d| edit(d, "shard.txt", "m 1/2", "../evil 1/2", 1)),
            "plain file name",
        ),
        (
            tamper("t-abs", &|d| edit(d, "shard.txt", "m 1/2", "/tmp/evil 1/2", 1)),
            "plain file name",
        ),
        (
            tamper("t-rows", &|d| {
                let p = d.join("results.csv");
                let t = fs::read_to_string(&p).unwrap();
                let keep: Vec<&str> = t.lines().take(t.lines().count() - 1).collect();
                fs::write(&p, keep.join("\n") + "\n").unwrap();
            }),
            "rows",
        ),
        (
            tamper("t-header", &|d| edit(d, "results.csv", "linger_ms", "linger", 1)),
            "columns differ",
        ),
        (
            tamper("t-cell", &|d| {
                edit(d, "results.csv", "\nall,", "\n\"=HYPERLINK(\"\"http://x\"\")\",", 1)
            }),
            "not a value prodsim writes",
        ),
        (
            tamper("t-dup", &|d| {
                let p = d.join("results.csv");
                let t = fs::read_to_string(&p).unwrap();
                let lines: Vec<&str> = t.lines().collect();
                let mut out = vec![lines[0], lines[1], lines[1]];
                out.extend(&lines[3..]);
                fs::write(&p, out.join("\n") + "\n").unwrap();
            }),
            "twice",
        ),
        (
            tamper("t-range", &|d| edit(d, "shard.txt", "3..6", "3..5", 1)),
            "not shard",
        ),
    ];
    for (dir, want) in cases {
        let o = merge(&["shard0/m", &dir], &[]);
        expect_code(&o, 2, &dir);
        assert!(stderr(&o).contains(want), "{dir}: want {want}: {}", stderr(&o));
        assert!(!cwd.path().join("merged").exists(), "{dir}");
        assert!(!cwd.path().join("evil").exists());
    }
    // A scenario of another name is refused before anything is written.
    fs::write(cwd.path().join("other.toml"), format!("name = \"other\"\n{SMALL}")).unwrap();
    let o = merge(&["shard0/m", "shard1/m"], &["--scenario", "other.toml"]);
    expect_code(&o, 2, "scenario mismatch");
    assert!(!cwd.path().join("merged").exists());
}

#[cfg(unix)]
#[test]
fn a_symlink_or_a_foreign_directory_at_the_report_path_is_left_alone() {
    let cwd = tempfile::tempdir().unwrap();
    let victim = tempfile::tempdir().unwrap();
    fs::write(victim.path().join("results.csv"), "precious").unwrap();
    fs::write(cwd.path().join("s.toml"), format!("name = \"r\"\n{SMALL}")).unwrap();
    fs::create_dir(cwd.path().join("out")).unwrap();
    std::os::unix::fs::symlink(victim.path(), cwd.path().join("out/r")).unwrap();
    let o = run_in(cwd.path(), &["run", "s.toml", "--out", "out", "--no-charts"]);
    expect_code(&o, 1, "symlink");
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(victim.path().join("results.csv")).unwrap(),
        "precious"
    );
    assert_eq!(fs::read_dir(victim.path()).unwrap().count(), 1);
    // A directory prodsim did not make, named like the scenario.
    fs::remove_file(cwd.path().join("out/r")).unwrap();
    fs::create_dir(cwd.path().join("out/r")).unwrap();
    fs::write(cwd.path().join("out/r/notes.md"), "mine").unwrap();
    let o = run_in(cwd.path(), &["run", "s.toml", "--out", "out", "--no-charts"]);
    expect_code(&o, 1, "foreign dir");
    assert!(stderr(&o).contains("not a prodsim report"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(cwd.path().join("out/r/notes.md")).unwrap(), "mine");
    // No staging directory is left behind after the refusal.
    let left = fs::read_dir(cwd.path().join("out"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".prodsim-tmp")
        })
        .count();
    assert_eq!(left, 0);
}

#[cfg(target_os = "linux")]
#[test]
fn staging_left_by_a_dead_process_is_cleaned() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(cwd.path().join("s.toml"), format!("name = \"r\"\n{SMALL}")).unwrap();
    let stale = cwd.path().join("out/.prodsim-tmp-4000000000-r.XyZ");
    fs::create_dir_all(&stale).unwrap();
    fs::write(stale.join(".prodsim-staging"), "").unwrap();
    fs::write(stale.join("results.csv"), "half").unwrap();
    let o = run_in(cwd.path(), &["run", "s.toml", "--out", "out", "--no-charts"]);
    expect_code(&o, 0, "run");
    assert!(!stale.exists());
    assert!(stderr(&o).contains("which is gone"), "{}", stderr(&o));
}

#[test]
fn documented_valid_extremes_do_not_panic() {
    let cwd = tempfile::tempdir().unwrap();
    // Keys wider than format!'s 65535 width limit.
    fs::write(
        cwd.path().join("k.toml"),
        format!("name = \"k\"\n{SMALL}keys = 10\nkey_bytes = 70000\n"),
    )
    .unwrap();
    let o = run_in(cwd.path(), &["run", "k.toml", "--out", "out", "--no-charts"]);
    expect_code(&o, 0, "key_bytes 70000");
    // Values near ±f64::MAX in a plotted CSV.
    fs::write(
        cwd.path().join("r.csv"),
        "acks,linger_ms,seed,throughput_rps\nall,1e-308,1,1e308\nall,1e308,1,-1.7976931348623157e308\nall,3,1,5\n",
    )
    .unwrap();
    for extra in [&[][..], &["--log-x"][..], &["--log-y"][..], &["--kind", "bar"][..]] {
        let mut args = vec![
            "plot",
            "r.csv",
            "--x",
            "linger_ms",
            "--y",
            "throughput_rps",
            "--out",
            "p",
        ];
        args.extend(extra);
        let o = run_in(cwd.path(), &args);
        expect_code(&o, 0, &format!("plot {extra:?}"));
        assert!(cwd.path().join("p.svg").is_file() && cwd.path().join("p.png").is_file());
    }
}

#[test]
fn a_closed_stdout_ends_output_quietly_and_keeps_the_exit_code() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(
        cwd.path().join("gate.toml"),
        format!("name = \"g\"\n{SMALL}[[expect]]\nname = \"impossible\"\nthroughput_rps = {{ min = 1e12 }}\n"),
    )
    .unwrap();
    for (args, want) in [
        (vec!["keys"], 0),
        (vec!["run", "gate.toml", "--out", "out", "--no-charts"], 3),
    ] {
        // Like `prodsim ... | head -0`: the reader is gone before prodsim writes.
        let mut child = Command::new(bin())
            .current_dir(cwd.path())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(want),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn runaway_memory_and_astronomical_runs_are_announced_and_stopped() {
    let cwd = tempfile::tempdir().unwrap();
    // 1e9 records/s for a day, one record per batch, a 1 TiB buffer and a 1 bit/s NIC: the
    // accumulator would grow without end.
    fs::write(
        cwd.path().join("big.toml"),
        "name = \"big\"\nduration_ms = 86400000\n[producer]\nbatch_size = 0\nbuffer_memory = 1099511627776\n\
         [network]\nbandwidth_mbps = 0.000001\n[workload]\nrate = 1e9\n",
    )
    .unwrap();
    let o = run_in(cwd.path(), &["run", "big.toml", "--out", "out", "--no-charts"]);
    expect_code(&o, 1, "runaway");
    let err = stderr(&o);
    assert!(err.contains("expect about"), "no wall-time estimate: {err}");
    assert!(
        err.contains("lets the accumulator hold up to"),
        "no memory warning: {err}"
    );
    assert!(
        err.contains("batches in the accumulator") && err.contains("seed 1"),
        "{err}"
    );
    assert!(err.contains("no report written"), "{err}");
    assert!(!cwd.path().join("out/big").exists());
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let cwd = tempfile::tempdir().unwrap();
    for text in [
        "name = \"a\\u001b[2Jb\"\n",
        "\"x\\u001b]0;pwned\\u0007\" = 1\n",
        "[producer]\nsend_mode = \"\\u001b[31mred\"\n",
    ] {
        fs::write(cwd.path().join("s.toml"), text).unwrap();
        let o = run_in(cwd.path(), &["run", "s.toml", "--out", "out"]);
        expect_code(&o, 2, text);
        assert!(!o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07), "{}", stderr(&o));
    }
    let o = run_in(cwd.path(), &["run", "s.toml", "--set", "name=x\u{1b}[2J"]);
    expect_code(&o, 2, "--set name");
    assert!(!o.stderr.contains(&0x1b), "{}", stderr(&o));
    // A gate's name is printed with its verdict: escaped too.
    fs::write(
        cwd.path().join("g.toml"),
        format!("name = \"g\"\n{SMALL}[[expect]]\nname = \"\\u001b[2Jwiped\"\nphantom = 0\n"),
    )
    .unwrap();
    let o = run_in(cwd.path(), &["run", "g.toml", "--out", "out", "--no-charts"]);
    expect_code(&o, 0, "gate name");
    assert!(String::from_utf8_lossy(&o.stdout).contains("wiped"));
    assert!(!o.stdout.contains(&0x1b), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn a_long_single_run_reports_its_simulated_time_on_stderr() {
    let cwd = tempfile::tempdir().unwrap();
    fs::write(
        cwd.path().join("long.toml"),
        "name = \"long\"\nduration_ms = 120000\n[workload]\nrate = 200000\n",
    )
    .unwrap();
    // stderr is a pipe here: plain lines, every PRODSIM_PROGRESS_MS (5 s by default).
    let o = Command::new(bin())
        .current_dir(cwd.path())
        .env("PRODSIM_PROGRESS_MS", "50")
        .args(["run", "long.toml", "--out", "out", "--no-charts"])
        .output()
        .unwrap();
    expect_code(&o, 0, "long run");
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("long: simulated ") && l.contains("s of a 120.0 s window")),
        "no progress line: {err}"
    );
}
