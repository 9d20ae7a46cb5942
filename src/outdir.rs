//! The output directory (`--out`): the only place prodsim writes, and the only place it removes
//! anything.
//!
//! A scenario file may come from someone else's pull request, so its `name` never becomes a path
//! by itself:
//! - [`check_name`]: a name is a plain file name (letters, digits, `._-`, starting with a letter
//!   or digit, at most `MAX_NAME_BYTES` bytes). The scenario loader, `--set name=...` and
//!   `merge` (for `shard.txt`) all call it.
//! - Independently, every write and every removal goes through [`OutDir`], which re-checks that
//!   the path it touches is a direct child of `--out` after joining, and never follows a
//!   symbolic link at `OUT/NAME` or at its own temporary paths.
//! - A report is built in a fresh staging directory inside `--out` ([`OutDir::stage`]) and moved
//!   into place by [`Staged::commit`]: the old report is renamed aside, the new one renamed in,
//!   then the old one removed, so a reader never finds no report, and a failed run never leaves
//!   a half-written one. The replacement happens under a lock file in `--out`
//!   (`.prodsim.lock`, an OS advisory lock released when the process dies), so two runs into
//!   the same output directory take turns instead of failing late with "Directory not empty".
//! - A directory at `OUT/NAME` is replaced only when prodsim made it (it holds the
//!   `REPORT_MARKER` file, or looks exactly like a report of an older prodsim: `results.csv`
//!   and only report files). Anything else is refused: prodsim deletes nothing it did not create.
//! - Staging and set-aside directories left by a process that died (`.prodsim-tmp-PID-…`,
//!   `.prodsim-old-PID-…`) are removed when their process is gone, and reported otherwise.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Longest scenario name, in bytes.
pub const MAX_NAME_BYTES: usize = 100;
/// File that marks a directory as a prodsim report (so it may be replaced).
pub(crate) const REPORT_MARKER: &str = ".prodsim-report";
/// The lock file in `--out`.
pub(crate) const LOCK_FILE: &str = ".prodsim.lock";
const STAGING_MARKER: &str = ".prodsim-staging";
const TMP_PREFIX: &str = ".prodsim-tmp-";
const OLD_PREFIX: &str = ".prodsim-old-";
/// Files a report of an older prodsim (without the marker) may hold.
const REPORT_EXTENSIONS: &[&str] = &["csv", "svg", "png", "html", "txt", "toml", "json"];

/// What a scenario name may be, for error messages.
pub(crate) const NAME_RULE: &str = "a plain file name: letters, digits and `._-`, starting with a letter or digit, \
                             at most 100 bytes";

/// Checks that `name` is a plain file name (see `NAME_RULE`). The error says what is allowed
/// and shows the name with control characters escaped.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("expected {NAME_RULE}; got {}", quote_for_terminal(name)))
    }
}

/// `"text"` with control characters, quotes and backslashes escaped (Rust's `{:?}`), cut at
/// 120 characters: safe to print on a terminal whatever the input.
pub(crate) fn quote_for_terminal(s: &str) -> String {
    let cut: String = s.chars().take(120).collect();
    let mut q = format!("{cut:?}");
    if cut.len() < s.len() {
        q.push_str("...");
    }
    q
}

/// Replaces control characters (other than newline and tab) with `\u{..}` escapes, so an error
/// message that quotes user input cannot drive the terminal.
pub fn sanitize_for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// The output directory. Created by [`OutDir::create`] only once every input is validated.
#[derive(Debug)]
pub struct OutDir {
    root: PathBuf,
}

impl OutDir {
    /// Creates `root` (and its parents) if needed, and cleans or reports staging directories
    /// that dead processes left there.
    pub fn create(root: &Path) -> Result<OutDir, String> {
        fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let meta = fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
        if !meta.is_dir() {
            return Err(format!("{}: not a directory", root.display()));
        }
        let out = OutDir {
            root: root.to_path_buf(),
        };
        out.clean_stale();
        Ok(out)
    }

    /// `OUT/name`, after checking `name` and that the joined path is a direct child of `OUT`.
    pub(crate) fn child(&self, name: &str) -> Result<PathBuf, String> {
        check_name(name).map_err(|m| format!("scenario name: {m}"))?;
        let p = self.root.join(name);
        let direct = p.parent() == Some(self.root.as_path()) && p.file_name().and_then(|f| f.to_str()) == Some(name);
        if !direct {
            return Err(format!(
                "refusing to write {}: not a direct child of {}",
                p.display(),
                self.root.display()
            ));
        }
        Ok(p)
    }

    /// A fresh, uniquely named staging directory inside `OUT` for the report `name`. It is
    /// removed when the returned value is dropped without [`Staged::commit`] (every error path).
    pub fn stage(&self, name: &str) -> Result<Staged, String> {
        let dest = self.child(name)?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{TMP_PREFIX}{}-{name}.", std::process::id()))
            .tempdir_in(&self.root)
            .map_err(|e| format!("{}: cannot create a staging directory: {e}", self.root.display()))?;
        create_new_file(&dir.path().join(STAGING_MARKER), b"")?;
        // tempfile makes private (0700) directories; a report is as readable as any directory
        // the user creates (reports are served and shared).
        readable(dir.path(), 0o755)?;
        Ok(Staged {
            dir,
            dest,
            root: self.root.clone(),
        })
    }

    /// Takes the output directory's lock, waiting (with a note on stderr) while another prodsim
    /// process holds it.
    pub fn lock(&self) -> Result<OutLock, String> {
        let path = self.root.join(LOCK_FILE);
        let file = open_nofollow(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                crate::errln!(
                    "note: another prodsim process is writing to {}; waiting for it (lock {})",
                    self.root.display(),
                    path.display()
                );
                file.lock().map_err(|e| format!("{}: {e}", path.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(format!("{}: {e}", path.display())),
        }
        Ok(OutLock { _file: file })
    }

    /// Writes `file_name` with `text` into the report directory `OUT/name` (creating it as a
    /// report directory if absent), atomically: a temporary file in the same directory, renamed
    /// over the target (a symbolic link at the target is replaced, never followed).
    pub fn write_into_report(&self, name: &str, file_name: &str, text: &[u8]) -> Result<PathBuf, String> {
        check_name(file_name).map_err(|m| format!("file name: {m}"))?;
        let dir = self.child(name)?;
        let _lock = self.lock()?;
        match fs::symlink_metadata(&dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                create_new_file(&dir.join(REPORT_MARKER), REPORT_MARKER_TEXT)?;
            }
            Err(e) => return Err(format!("{}: {e}", dir.display())),
            Ok(_) => check_replaceable(&dir)?,
        }
        let target = dir.join(file_name);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!("{TMP_PREFIX}{}-", std::process::id()))
            .tempfile_in(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        io::Write::write_all(&mut tmp, text).map_err(|e| format!("{}: {e}", tmp.path().display()))?;
        readable(tmp.path(), 0o644)?;
        tmp.persist(&target)
            .map_err(|e| format!("{}: {}", target.display(), e.error))?;
        Ok(target)
    }

    /// Removes staging and set-aside directories whose process is gone; reports the others
    /// that do not belong to a live prodsim process.
    fn clean_stale(&self) {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(TMP_PREFIX) || n.starts_with(OLD_PREFIX))
            .collect();
        names.sort();
        for n in names {
            let rest = n
                .strip_prefix(TMP_PREFIX)
                .or_else(|| n.strip_prefix(OLD_PREFIX))
                .unwrap_or("");
            let pid: Option<u32> = rest.split('-').next().and_then(|p| p.parse().ok());
            let path = self.root.join(&n);
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let ours = meta.is_dir()
                && (path.join(STAGING_MARKER).is_file()
                    || path.join(REPORT_MARKER).is_file()
                    || looks_like_old_report(&path));
            match (pid.map(process_alive), ours) {
                (Some(Some(true)), _) => {} // a live run's: leave it
                (Some(Some(false)), true) => match fs::remove_dir_all(&path) {
                    Ok(()) => crate::errln!(
                        "note: removed {}, left by prodsim process {} which is gone",
                        path.display(),
                        pid.unwrap_or(0)
                    ),
                    Err(e) => crate::errln!("warning: cannot remove stale {}: {e}", path.display()),
                },
                _ => crate::errln!(
                    "warning: {} looks like a leftover of an interrupted prodsim run; prodsim does not remove it \
                     (remove it by hand if no prodsim process is running)",
                    path.display()
                ),
            }
        }
    }
}

const REPORT_MARKER_TEXT: &[u8] = b"This directory is a prodsim report; prodsim may replace it.\n";

/// The output directory's lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct OutLock {
    _file: File,
}

/// A report being built in a staging directory inside `OUT`.
#[derive(Debug)]
pub struct Staged {
    dir: tempfile::TempDir,
    dest: PathBuf,
    root: PathBuf,
}

impl Staged {
    /// Where to write the report's files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves the staged report to `OUT/NAME`: under the output directory's lock, the previous
    /// report (if any, and only if prodsim made it) is renamed aside, the new one renamed in, and
    /// the old one removed. Returns `OUT/NAME`.
    pub fn commit(self, lock: &OutLock) -> Result<PathBuf, String> {
        let _ = lock;
        let Staged { dir, dest, root } = self;
        let staged = dir.path().to_path_buf();
        // The staging marker goes; the report marker comes.
        let _ = fs::remove_file(staged.join(STAGING_MARKER));
        create_new_file(&staged.join(REPORT_MARKER), REPORT_MARKER_TEXT)?;
        let aside = match fs::symlink_metadata(&dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{}: {e}", dest.display())),
            Ok(_) => {
                check_replaceable(&dest)?;
                let aside = unique_aside(&root, &dest)?;
                fs::rename(&dest, &aside)
                    .map_err(|e| format!("{}: cannot move the old report aside: {e}", dest.display()))?;
                Some(aside)
            }
        };
        // From here the staging directory must not be removed on drop: it becomes the report.
        let staged = dir.keep();
        if let Err(e) = fs::rename(&staged, &dest) {
            if let Some(a) = &aside {
                let _ = fs::rename(a, &dest);
            }
            let _ = fs::remove_dir_all(&staged);
            return Err(format!("{}: cannot move the new report in: {e}", dest.display()));
        }
        if let Some(a) = aside {
            if let Err(e) = fs::remove_dir_all(&a) {
                crate::errln!("warning: cannot remove the previous report {}: {e}", a.display());
            }
        }
        Ok(dest)
    }
}

/// A fresh name `OUT/.prodsim-old-PID-NAME.N` for a report being replaced.
fn unique_aside(root: &Path, dest: &Path) -> Result<PathBuf, String> {
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("report");
    for n in 0..1000u32 {
        let p = root.join(format!("{OLD_PREFIX}{}-{name}.{n}", std::process::id()));
        if fs::symlink_metadata(&p).is_err() {
            return Ok(p);
        }
    }
    Err(format!("{}: no free name to move the old report aside", root.display()))
}

/// `OUT/NAME` may be replaced: a real directory (not a symbolic link) that prodsim made.
fn check_replaceable(dest: &Path) -> Result<(), String> {
    let meta = fs::symlink_metadata(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!(
            "refusing to replace {}: it is a symbolic link (prodsim never follows one); remove it or choose another --out",
            dest.display()
        ));
    }
    if !meta.is_dir() {
        return Err(format!(
            "refusing to replace {}: it is not a directory; move it away or choose another --out",
            dest.display()
        ));
    }
    let marked = fs::symlink_metadata(dest.join(REPORT_MARKER)).is_ok_and(|m| m.is_file());
    if marked || looks_like_old_report(dest) {
        Ok(())
    } else {
        Err(format!(
            "refusing to replace {}: it exists and is not a prodsim report (no {REPORT_MARKER} file); \
             move it away or choose another --out",
            dest.display()
        ))
    }
}

/// A report written before the marker existed: `results.csv` or `shard.txt` present, and
/// nothing but regular report files.
fn looks_like_old_report(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut has_results = false;
    for e in entries {
        let Ok(e) = e else { return false };
        let Ok(ft) = e.file_type() else { return false };
        if !ft.is_file() {
            return false;
        }
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name == "results.csv" || name == "shard.txt" {
            has_results = true;
        }
        let ext = Path::new(name.as_ref())
            .extension()
            .and_then(|x| x.to_str())
            .unwrap_or("");
        if !REPORT_EXTENSIONS.contains(&ext) {
            return false;
        }
    }
    has_results
}

/// Gives `path` the usual permissions of a user-made directory or file (tempfile's are private).
fn readable(path: &Path, mode: u32) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Is process `pid` alive? `None` when this platform cannot tell.
fn process_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") {
        Some(Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}

/// Creates a file that must not exist yet (never follows a symbolic link).
fn create_new_file(path: &Path, text: &[u8]) -> Result<(), String> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    io::Write::write_all(&mut f, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Opens (creating if needed) the lock file without following a symbolic link.
fn open_nofollow(path: &Path) -> Result<File, String> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_file_names() {
        for good in ["a", "linger-batch-sweep", "X_1.2", "9lives", &"a".repeat(100)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/abs",
            "a/b",
            "a\\b",
            ".hidden",
            "-flag",
            "_x",
            "a b",
            "é",
            "a\u{1b}[31m",
            "a\0",
            &"a".repeat(101),
        ] {
            let e = check_name(bad).unwrap_err();
            assert!(e.contains("letters, digits"), "{e}");
            assert!(
                !e.contains('\u{1b}') && !e.contains('\0'),
                "raw control character in {e:?}"
            );
        }
    }

    #[test]
    fn child_is_a_direct_child_only() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        assert_eq!(out.child("x").unwrap(), tmp.path().join("x"));
        for bad in ["..", ".", "/etc", "../x", "a/b"] {
            assert!(out.child(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn commit_replaces_a_report_and_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        for round in 0..3 {
            let s = out.stage("r").unwrap();
            fs::write(s.path().join("results.csv"), format!("round {round}")).unwrap();
            let lock = out.lock().unwrap();
            let dest = s.commit(&lock).unwrap();
            assert_eq!(
                fs::read_to_string(dest.join("results.csv")).unwrap(),
                format!("round {round}")
            );
            assert!(dest.join(REPORT_MARKER).is_file());
            assert!(!dest.join(STAGING_MARKER).exists());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o755, "a report directory is not private");
            }
        }
        let mut left: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec![LOCK_FILE.to_string(), "r".to_string()]);
    }

    #[test]
    fn a_dropped_stage_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        let s = out.stage("r").unwrap();
        let p = s.path().to_path_buf();
        fs::write(p.join("results.csv"), "x").unwrap();
        drop(s);
        assert!(!p.exists());
        assert!(!tmp.path().join("r").exists());
    }

    #[test]
    fn refuses_to_replace_what_prodsim_did_not_make() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        // A user directory that happens to carry the scenario's name.
        let user = tmp.path().join("src");
        fs::create_dir(&user).unwrap();
        fs::write(user.join("main.rs"), "fn main() {}").unwrap();
        let s = out.stage("src").unwrap();
        let lock = out.lock().unwrap();
        let e = s.commit(&lock).unwrap_err();
        assert!(e.contains("not a prodsim report"), "{e}");
        assert_eq!(fs::read_to_string(user.join("main.rs")).unwrap(), "fn main() {}");
        // A plain file.
        fs::write(tmp.path().join("f"), "keep").unwrap();
        let e = out.stage("f").unwrap().commit(&lock).unwrap_err();
        assert!(e.contains("not a directory"), "{e}");
        assert_eq!(fs::read_to_string(tmp.path().join("f")).unwrap(), "keep");
    }

    #[cfg(unix)]
    #[test]
    fn never_follows_a_symlink_at_the_report_path() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tempfile::tempdir().unwrap();
        fs::write(victim.path().join("results.csv"), "precious").unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        std::os::unix::fs::symlink(victim.path(), tmp.path().join("r")).unwrap();
        let lock = out.lock().unwrap();
        let e = out.stage("r").unwrap().commit(&lock).unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        drop(lock);
        let e = out.write_into_report("r", "counterexample-x.toml", b"x").unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(
            fs::read_to_string(victim.path().join("results.csv")).unwrap(),
            "precious"
        );
        assert_eq!(fs::read_dir(victim.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn lock_file_symlink_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tempfile::NamedTempFile::new().unwrap();
        std::os::unix::fs::symlink(victim.path(), tmp.path().join(LOCK_FILE)).unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        assert!(out.lock().is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stale_staging_of_a_dead_process_is_removed_others_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        // No process has pid 4_000_000_000 (above any pid_max).
        let dead = tmp.path().join(format!("{TMP_PREFIX}4000000000-r.abc"));
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join(STAGING_MARKER), "").unwrap();
        let alive = tmp.path().join(format!("{TMP_PREFIX}{}-r.abc", std::process::id()));
        fs::create_dir(&alive).unwrap();
        fs::write(alive.join(STAGING_MARKER), "").unwrap();
        // Not ours (no marker): reported, not removed.
        let foreign = tmp.path().join(format!("{TMP_PREFIX}4000000000-x"));
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("notes.md"), "mine").unwrap();
        OutDir::create(tmp.path()).unwrap();
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(foreign.join("notes.md").exists());
    }

    #[test]
    fn write_into_report_creates_a_marked_report_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutDir::create(tmp.path()).unwrap();
        let f = out.write_into_report("r", "counterexample-p.toml", b"one").unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "one");
        out.write_into_report("r", "counterexample-p.toml", b"two").unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "two");
        assert!(tmp.path().join("r").join(REPORT_MARKER).is_file());
        assert!(out.write_into_report("..", "x.toml", b"x").is_err());
    }

    #[test]
    fn terminal_text_is_escaped() {
        assert_eq!(sanitize_for_terminal("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\nc");
        assert_eq!(quote_for_terminal("x\u{7}"), "\"x\\u{7}\"");
    }
}
