//! Safe what-ifs: a run with overrides (`--set`, `--producer-config`) and no `--out` writes its
//! report to `reports/<name>-<hash>/`, so the published `reports/<name>/` stays as it was; an
//! explicit `--out DIR` keeps `DIR/<name>/` (scripts rely on it).
//!
//! The hash is FNV-1a (64 bits) over the overrides as given, one per line in the order they
//! apply (`--producer-config PATH` first, then each `--set KEY=VALUE` in command-line order),
//! folded to 32 bits and printed as 8 lowercase hex digits: the same overrides give the same
//! directory on any machine and with any prodsim version.

use prodsim::outdir::MAX_NAME_BYTES;
use std::path::{Path, PathBuf};

/// The default output directory.
pub(crate) const DEFAULT_OUT: &str = "reports";

/// The overrides as given, in the order they apply: `--producer-config PATH`, then each
/// `--set KEY=VALUE`.
pub(crate) fn overrides(producer_config: Option<&Path>, sets: &[String]) -> Vec<String> {
    producer_config
        .map(|p| format!("--producer-config {}", p.display()))
        .into_iter()
        .chain(sets.iter().map(|s| format!("--set {s}")))
        .collect()
}

/// 8 hex digits of FNV-1a 64 over the overrides, one per line, folded to 32 bits.
pub(crate) fn overrides_hash(overrides: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for o in overrides {
        for b in o.bytes().chain(std::iter::once(b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{:08x}", (h ^ (h >> 32)) as u32)
}

/// Where a report goes: `(output directory, report directory name)`. With an explicit
/// `--out`, or without overrides: `OUT/<name>`. Otherwise `reports/<name>-<hash>` (the name cut
/// so that the whole stays a valid report name).
pub(crate) fn destination(out: Option<&Path>, name: &str, overrides: &[String]) -> (PathBuf, String) {
    match out {
        Some(dir) => (dir.to_path_buf(), name.to_string()),
        None if overrides.is_empty() => (PathBuf::from(DEFAULT_OUT), name.to_string()),
        None => {
            let hash = overrides_hash(overrides);
            // Names are ASCII (outdir::check_name), so any byte index is a char boundary.
            let keep = name.len().min(MAX_NAME_BYTES - hash.len() - 1);
            (PathBuf::from(DEFAULT_OUT), format!("{}-{hash}", &name[..keep]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_depends_on_every_override_and_its_order() {
        let a = overrides(None, &["producer.acks=1".into()]);
        // Pinned: a directory name users will see and scripts may expect (FNV-1a 64 of
        // "--set producer.acks=1\n", folded to 32 bits).
        assert_eq!(overrides_hash(&a), "45b29816");
        assert_eq!(overrides_hash(&a).len(), 8);
        let b = overrides(None, &["producer.acks=all".into()]);
        assert_ne!(overrides_hash(&a), overrides_hash(&b));
        let ab = overrides(None, &["x=1".into(), "y=2".into()]);
        let ba = overrides(None, &["y=2".into(), "x=1".into()]);
        assert_ne!(overrides_hash(&ab), overrides_hash(&ba));
        let pc = overrides(Some(Path::new("p.properties")), &[]);
        assert_eq!(pc, ["--producer-config p.properties"]);
        assert_ne!(overrides_hash(&pc), overrides_hash(&[]));
    }

    #[test]
    fn destinations() {
        let sets = overrides(None, &["producer.acks=1".into()]);
        assert_eq!(destination(None, "s", &[]), (PathBuf::from("reports"), "s".into()));
        assert_eq!(
            destination(Some(Path::new("out")), "s", &sets),
            (PathBuf::from("out"), "s".into())
        );
        let (dir, name) = destination(None, "s", &sets);
        assert_eq!(dir, PathBuf::from("reports"));
        assert_eq!(name, format!("s-{}", overrides_hash(&sets)));
        let long = "a".repeat(MAX_NAME_BYTES);
        let (_, name) = destination(None, &long, &sets);
        assert_eq!(name.len(), MAX_NAME_BYTES);
        assert!(prodsim::outdir::check_name(&name).is_ok());
    }
}
