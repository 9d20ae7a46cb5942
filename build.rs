//! Records the git commit prodsim is built from, when it is known, as `PRODSIM_GIT_COMMIT`
//! (results.json's `git_commit`). Without git, or outside prodsim's own checkout (a packaged
//! source), nothing is recorded and the build goes on: the commit is information, never a
//! requirement. `PRODSIM_GIT_COMMIT` set in the build's environment wins (builds from a tarball).

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PRODSIM_GIT_COMMIT");
    if let Ok(given) = std::env::var("PRODSIM_GIT_COMMIT") {
        if !given.is_empty() {
            println!("cargo:rustc-env=PRODSIM_GIT_COMMIT={given}");
        }
        return;
    }
    let Some(manifest) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        return;
    };
    // Only prodsim's own checkout: a copy inside another repository has no commit of its own.
    let top = git(&manifest, &["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !top.is_some_and(|t| same(&t, &manifest)) {
        return;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it points to (a commit),
    // and packed-refs (a branch whose ref was packed). Only files that exist: a missing one
    // would rebuild every time.
    // The reflog of HEAD (logs/HEAD) moves with every commit and checkout, however refs are stored.
    let mut watched = vec!["HEAD".to_string(), "logs/HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(&manifest, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for w in &watched {
        if let Some(p) = git(&manifest, &["rev-parse", "--git-path", w]) {
            let p = PathBuf::from(p);
            let p = if p.is_absolute() { p } else { manifest.join(p) };
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    if let Some(commit) = git(&manifest, &["rev-parse", "HEAD"]) {
        if commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            println!("cargo:rustc-env=PRODSIM_GIT_COMMIT={commit}");
        }
    }
}
