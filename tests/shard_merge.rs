//! `prodsim run --shard I/N` + `prodsim merge` give exactly the results.csv and summary.csv of
//! one unsharded run (the sweep as a Kubernetes Indexed Job, a Slurm array or GNU parallel).

use std::path::Path;
use std::process::Command;

fn prodsim(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_prodsim"))
        .args(args)
        .output()
        .expect("run prodsim");
    assert!(
        out.status.success(),
        "prodsim {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn merged_shards_equal_one_run() {
    let tmp_dir = tempfile::tempdir().unwrap();
    let tmp = tmp_dir.path().to_path_buf();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/leader-failover.toml");
    let t = |p: &str| tmp.join(p).to_string_lossy().into_owned();
    let common = ["--set", "seeds=2", "--no-charts"];
    let mut whole = vec!["run", scenario, "--out"];
    let whole_dir = t("whole");
    whole.push(&whole_dir);
    whole.extend(common);
    prodsim(&whole);
    let shard_dirs: Vec<String> = (0..3).map(|i| t(&format!("shard{i}"))).collect();
    for (i, d) in shard_dirs.iter().enumerate() {
        let sel = format!("{i}/3");
        let mut args = vec!["run", scenario, "--out", d, "--shard", &sel];
        args.extend(common);
        prodsim(&args);
    }
    let inputs: Vec<String> = shard_dirs
        .iter()
        .rev()
        .map(|d| format!("{d}/leader-failover"))
        .collect();
    let merged = t("merged");
    let mut args = vec!["merge", "--out", &merged];
    args.extend(inputs.iter().map(String::as_str));
    prodsim(&args);
    for f in ["results.csv", "summary.csv", "producers.csv"] {
        let a = std::fs::read(Path::new(&whole_dir).join("leader-failover").join(f)).unwrap();
        let b = std::fs::read(Path::new(&merged).join("leader-failover").join(f)).unwrap();
        assert!(a == b, "{f} differs between the whole run and the merged shards");
    }
    // A missing shard is an error, not a silently smaller result.
    let out = Command::new(env!("CARGO_BIN_EXE_prodsim"))
        .args(["merge", "--out", &t("partial"), &inputs[0], &inputs[1]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
