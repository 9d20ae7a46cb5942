//! A small `index.html` for a report directory.

use super::write_atomic;
use std::path::{Path, PathBuf};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `<dir>/index.html`: the report's name, links to the CSV files of `dir` (sorted by
/// name), and every SVG of `charts` embedded as an image linking to its PNG. Paths are written
/// relative to `dir` (charts outside `dir` keep their full path). Returns the path written.
pub fn write_index_html(dir: &Path, name: &str, charts: &[PathBuf]) -> Result<PathBuf, String> {
    let mut csvs: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") && !n.starts_with('.'))
        .collect();
    csvs.sort();
    let relative = |p: &Path| -> String { p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/") };
    let name = escape(name);
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&format!("<title>prodsim: {name}</title>\n"));
    html.push_str(
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}\
         img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}\
         figure{margin:1.5em 0}</style>\n</head>\n<body>\n",
    );
    html.push_str(&format!("<h1>{name}</h1>\n"));
    if !csvs.is_empty() {
        html.push_str("<h2>Data</h2>\n<ul>\n");
        for csv in &csvs {
            let csv = escape(csv);
            html.push_str(&format!("<li><a href=\"{csv}\">{csv}</a></li>\n"));
        }
        html.push_str("</ul>\n");
    }
    let svgs: Vec<&PathBuf> = charts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    if !svgs.is_empty() {
        html.push_str("<h2>Charts</h2>\n");
        for svg in svgs {
            let src = escape(&relative(svg));
            let png = escape(&relative(&svg.with_extension("png")));
            let alt = escape(
                &svg.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            html.push_str(&format!(
                "<figure><a href=\"{png}\"><img src=\"{src}\" alt=\"{alt}\"></a>\
                 <figcaption>{alt}</figcaption></figure>\n"
            ));
        }
    }
    html.push_str("</body>\n</html>\n");
    let path = dir.join("index.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}
