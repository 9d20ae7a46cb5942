//! index.html in a real browser: reports of two shipped scenarios, opened by headless Chromium,
//! must load every image, show every section and render to a non-trivial screenshot.
//!
//! Ignored by default (plain `cargo test` needs nothing but Rust); `.ci/run` installs Debian's
//! `chromium` package and runs `cargo test --release --test report_browser -- --ignored`. The
//! test fails when no browser is found: `PRODSIM_CHROMIUM=path` names one. With
//! `PRODSIM_SCREENSHOTS=DIR` the screenshots are kept in DIR for a look.

use std::path::{Path, PathBuf};
use std::process::Command;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn browser() -> PathBuf {
    if let Some(p) = std::env::var_os("PRODSIM_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "no headless browser: install Debian's `chromium` package (apt-get install chromium) or set PRODSIM_CHROMIUM"
    );
}

/// Runs Chromium headless on `url` with `args`, in a fresh profile; returns stdout.
fn chromium(args: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("the browser starts");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.canonicalize().unwrap().display())
}

/// `prodsim run` on a shipped scenario into `out`.
fn run(scenario: &str, out: &Path, extra: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO_BIN_EXE_prodsim"))
        .current_dir(root)
        .args(["run", scenario, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        status.status.code() == Some(0),
        "{scenario}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let name = Path::new(scenario).file_stem().unwrap();
    out.join(name)
}

/// A page that opens the report in a frame and, once it has loaded, writes one line per image
/// (`loaded <src>` or `BROKEN <src>`) and each section's heading into its own body, for
/// `--dump-dom` (the report itself has no script).
fn probe_page(dir: &Path, report: &Path) -> PathBuf {
    let page = format!(
        r#"<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="{}" width="1280" height="800"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {{
  var doc = this.contentDocument, lines = [];
  var imgs = doc.querySelectorAll('img');
  for (var i = 0; i < imgs.length; i++) {{
    var ok = imgs[i].complete && imgs[i].naturalWidth > 0;
    lines.push((ok ? 'loaded ' : 'BROKEN ') + imgs[i].getAttribute('src'));
  }}
  var hs = doc.querySelectorAll('h2');
  for (var j = 0; j < hs.length; j++) lines.push('section ' + hs[j].id + ': ' + hs[j].textContent);
  var scripts = doc.querySelectorAll('script').length;
  lines.push('scripts ' + scripts);
  document.getElementById('out').textContent = lines.join('\n');
}});
</script></body></html>"#,
        file_url(&report.join("index.html"))
    );
    let path = dir.join("probe.html");
    std::fs::write(&path, page).unwrap();
    path
}

#[test]
#[ignore = "needs chromium (Debian package `chromium`); .ci/run installs it"]
fn report_pages_render_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("PRODSIM_SCREENSHOTS").map(PathBuf::from);
    for (scenario, extra) in [
        ("scenarios/leader-failover.toml", &["--timeline-run", "first-loss"][..]),
        ("scenarios/linger-batch-sweep.toml", &[][..]),
    ] {
        let report = run(scenario, &tmp.path().join("out"), extra);
        let svgs = std::fs::read_dir(&report)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "svg"))
            .count();
        // Every image loads; every section is there; the page runs no script.
        let probe = probe_page(tmp.path(), &report);
        let dom = chromium(
            &[
                "--allow-file-access-from-files".into(),
                "--virtual-time-budget=20000".into(),
                "--dump-dom".into(),
            ],
            &file_url(&probe),
        );
        let dom = dom
            .split_once("<pre id=\"out\">")
            .and_then(|(_, rest)| rest.split_once("</pre>"))
            .map(|(out, _)| out.to_string())
            .unwrap_or(dom);
        let loaded = dom.lines().filter(|l| l.starts_with("loaded ")).count();
        assert!(!dom.contains("BROKEN"), "{scenario}: an image did not load:\n{dom}");
        assert_eq!(loaded, svgs, "{scenario}: one image per chart:\n{dom}");
        for section in [
            "gates: Expectations",
            "summary: Summary",
            "charts: Charts",
            "timeline: Timeline of one run",
            "parameters: Parameters",
            "scenario: Scenario",
        ] {
            assert!(
                dom.contains(&format!("section {section}")),
                "{scenario}: {section}:\n{dom}"
            );
        }
        assert!(dom.contains("scripts 0"), "{scenario}: the report runs no script");
        // The page itself, as a reader sees it.
        let png = tmp.path().join("page.png");
        chromium(
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1280,4000".into(),
            ],
            &file_url(&report.join("index.html")),
        );
        let bytes = std::fs::read(&png).expect("a screenshot");
        assert_eq!(bytes[..8], PNG_SIGNATURE);
        assert!(
            bytes.len() > 100_000,
            "{scenario}: a near-empty screenshot ({} bytes)",
            bytes.len()
        );
        if let Some(dir) = &keep {
            std::fs::create_dir_all(dir).unwrap();
            let name = Path::new(scenario).file_stem().unwrap().to_string_lossy().into_owned();
            std::fs::copy(&png, dir.join(format!("{name}.png"))).unwrap();
        }
        std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    }
}
