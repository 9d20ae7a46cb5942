//! `index.html`: the page a report opens with. One self-contained file (inline CSS, no script,
//! no external resource; images by relative path): the title and prodsim's version, the gate
//! verdicts, the summary table, the charts with captions, the timeline of one run saying which
//! and why, the effective parameters and the scenario file as written. Everything that comes
//! from a scenario or a CSV cell is HTML-escaped. The page is a function of the runs: no
//! wall clock, no build commit (results.json records it).

use super::chart::DrawnChart;
use super::{write_atomic, Row};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// The timeline chart of one run, and which run it is.
#[derive(Clone, Debug)]
pub struct TimelineFigure {
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
    /// Its results.csv row (1 = the first run).
    pub row: usize,
    /// The run's parameters and seed (`acks=1 linger_ms=5 seed=2`).
    pub label: String,
    /// Why this run ([`super::ChosenRun::why`]).
    pub why: String,
    /// Acknowledged records the run lost.
    pub lost_acked: u64,
}

/// What index.html shows.
#[derive(Clone, Copy, Debug)]
pub struct IndexPage<'a> {
    /// The report's name (the scenario's).
    pub name: &'a str,
    /// The scenario: its file, parameters and gates (none for a bare table).
    pub scenario: Option<&'a Scenario>,
    /// The overrides as given on the command line.
    pub overrides: &'a [String],
    /// The runs, as results.csv holds them.
    pub rows: &'a [Row],
    /// The charts with their captions.
    pub charts: &'a [DrawnChart],
    /// The timeline, when one was drawn.
    pub timeline: Option<&'a TimelineFigure>,
    /// Why there is no timeline, when there is none (`prodsim merge`: shards hold no whole run).
    pub no_timeline: Option<&'a str>,
}

/// Text safe in HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.4}\
h1{margin-bottom:0.2em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:0.2em}\
.meta{color:#555;margin-top:0}\
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}\
th,td{border:1px solid #ddd;padding:0.25em 0.6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}\
tr:nth-child(even) td{background:#fafafa}\
.scroll{max-height:36em;overflow:auto;border:1px solid #eee}\
.verdict{font-weight:bold;white-space:nowrap}.PASS{color:#1a7f37}.FAIL{color:#cf222e}.SKIP{color:#6e7781}\
img{max-width:100%;height:auto;border:1px solid #ddd}\
figure{margin:1.5em 0}figcaption{max-width:60em;margin-top:0.3em}\
pre{background:#f6f8fa;padding:0.8em;overflow:auto;max-height:40em;font-size:0.85em;white-space:pre-wrap}";

/// Writes `<dir>/index.html` (see the module). Paths are written relative to `dir` (files
/// outside `dir` keep their full path). Returns the path written.
pub fn write_index_html(dir: &Path, page: &IndexPage<'_>) -> Result<PathBuf, String> {
    let relative = |p: &Path| -> String { p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/") };
    let name = escape(page.name);
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(&format!(
        "<title>prodsim: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    ));
    html.push_str(&format!("<h1 id=\"top\">{name}</h1>\n"));
    let seeds = page.scenario.map(|sc| sc.seeds.len()).unwrap_or(0);
    let runs = page.rows.len();
    let points = super::summarize(page.rows).len();
    let mut meta = format!(
        "prodsim {} · {runs} run{} ({points} sweep point{}",
        super::VERSION,
        plural(runs),
        plural(points)
    );
    if seeds > 0 {
        meta.push_str(&format!(" × {seeds} seed{}", plural(seeds)));
    }
    meta.push_str(") · the build's git commit is in results.json");
    html.push_str(&format!("<p class=\"meta\">{}</p>\n", escape(&meta)));
    html.push_str(&files_section(dir)?);
    if let Some(sc) = page.scenario {
        html.push_str(&gates_section(sc, page.rows));
    }
    html.push_str(&summary_section(page.rows));
    html.push_str(&charts_section(page.charts, &relative));
    html.push_str(&timeline_section(page, &relative));
    if let Some(sc) = page.scenario {
        html.push_str(&parameters_section(sc));
        html.push_str(&scenario_section(sc, page.overrides));
    }
    html.push_str("</body>\n</html>\n");
    let path = dir.join("index.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Links to the report's data files (CSV, JSON, TOML), sorted by name.
fn files_section(dir: &Path) -> Result<String, String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && [".csv", ".json", ".toml"].iter().any(|x| n.ends_with(x)))
        .collect();
    files.sort();
    if files.is_empty() {
        return Ok(String::new());
    }
    let links: Vec<String> = files
        .iter()
        .map(|f| {
            let f = escape(f);
            format!("<a href=\"{f}\">{f}</a>")
        })
        .collect();
    Ok(format!("<p>Data: {}</p>\n", links.join(" · ")))
}

fn gates_section(sc: &Scenario, rows: &[Row]) -> String {
    let mut html = String::from("<h2 id=\"gates\">Expectations</h2>\n");
    if sc.expects.is_empty() {
        html.push_str("<p>This scenario has no <code>[[expect]]</code> gates.</p>\n");
        return html;
    }
    let verdicts = super::evaluate_gates(sc, rows);
    let count = |label: &str| verdicts.iter().filter(|v| v.label(false) == label).count();
    html.push_str(&format!(
        "<p>The scenario's <code>[[expect]]</code> gates over these runs: {} passed, {} failed, {} skipped \
         (a gate no run matches is skipped; <code>--strict</code> fails it).</p>\n",
        count("PASS"),
        count("FAIL"),
        count("SKIP")
    ));
    html.push_str("<table>\n<tr><th>verdict</th><th>gate</th><th>runs</th><th>detail</th></tr>\n");
    for v in &verdicts {
        let label = v.label(false);
        html.push_str(&format!(
            "<tr><td class=\"verdict {label}\">{label}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
            escape(&v.expect_name),
            v.matched_runs,
            escape(&v.detail)
        ));
    }
    html.push_str("</table>\n");
    html
}

fn summary_section(rows: &[Row]) -> String {
    let cells = super::summary_cells(&super::summarize(rows));
    let mut html = String::from("<h2 id=\"summary\">Summary</h2>\n");
    html.push_str(
        "<p>One line per sweep point: the means over its seeds (summary.csv has every measure, \
         results.csv every run).",
    );
    if cells.counts_shown {
        html.push_str(" Record counts (lost, duplicated, reordered) are totals over the seeds.");
    }
    html.push_str("</p>\n<div class=\"scroll\"><table class=\"summary\">\n<tr>");
    // Long column names may break after their underscores.
    for h in &cells.header {
        html.push_str(&format!("<th>{}</th>", escape(h).replace('_', "_<wbr>")));
    }
    html.push_str("</tr>\n");
    for line in &cells.lines {
        html.push_str("<tr>");
        for (c, cell) in line.iter().enumerate() {
            let class = if c < cells.params { "" } else { " class=\"n\"" };
            html.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table></div>\n");
    html
}

fn figure(src: &str, png: &str, alt: &str, caption: &str) -> String {
    format!(
        "<figure><a href=\"{png}\"><img src=\"{src}\" alt=\"{alt}\"></a>\n<figcaption>{caption}</figcaption></figure>\n",
        src = escape(src),
        png = escape(png),
        alt = escape(alt)
    )
}

fn charts_section(charts: &[DrawnChart], relative: &dyn Fn(&Path) -> String) -> String {
    if charts.is_empty() {
        return String::new();
    }
    let mut html = String::from("<h2 id=\"charts\">Charts</h2>\n");
    for c in charts {
        let caption = format!("<strong>{}.</strong> {}", escape(&c.title), escape(&c.caption));
        html.push_str(&figure(&relative(&c.svg), &relative(&c.png), &c.title, &caption));
    }
    html
}

/// How to read a timeline's panels.
const TIMELINE_READING: &str = "Top: acknowledged records per second, by the time of their \
     acknowledgement, and acknowledged records the checker later found missing from the final \
     committed log (lost_acked), by send time. Bottom: the p99 latency of the records \
     acknowledged in each interval (a gap: none). Red bands: the faults, numbered as in the \
     list under the chart.";

/// One panel of a timeline comparison, for its caption.
#[derive(Clone, Debug)]
pub(crate) struct ComparedPanel {
    /// The `per` column's value in this panel.
    pub value: String,
    /// Its run's results.csv row (1 = the first run).
    pub row: usize,
    /// The run's parameters and seed.
    pub label: String,
    /// Why this run ([`super::ChosenRun::why`]).
    pub why: String,
    /// Acknowledged records the run lost.
    pub lost_acked: u64,
}

/// The caption of a timeline comparison (plain text: the charts section escapes it): the
/// plot's own caption, which runs are compared and why each, what each lost, how to read the
/// panels.
pub(crate) fn timeline_comparison_caption(own: Option<&str>, per: &str, panels: &[ComparedPanel]) -> String {
    let mut text = own.map(|c| format!("{} ", c.trim_end())).unwrap_or_default();
    text.push_str(&format!(
        "One timeline per value of {per}, side by side on the same time and y scales."
    ));
    for p in panels {
        let lost = match p.lost_acked {
            0 => "it lost no acknowledged record".to_string(),
            n => format!("it lost {n} acknowledged record{}", plural(n as usize)),
        };
        text.push_str(&format!(
            " {per} = {}: run {} ({}), {}; {lost}.",
            p.value, p.row, p.label, p.why
        ));
    }
    text.push_str(&format!(
        " In each panel: {} In a comparison, a triangle and a count mark each interval whose records were lost.",
        TIMELINE_READING
    ));
    text
}

fn timeline_section(page: &IndexPage<'_>, relative: &dyn Fn(&Path) -> String) -> String {
    let mut html = String::from("<h2 id=\"timeline\">Timeline of one run</h2>\n");
    let Some(t) = page.timeline else {
        return match page.no_timeline {
            Some(why) => html + &format!("<p>{}</p>\n", escape(why)),
            None => String::new(),
        };
    };
    html.push_str(&format!(
        "<p>Run {} of {} (results.csv row {}): <code>{}</code>.<br>Why this run: {}. \
         Its data is timeline.csv; <code>--timeline-run</code> chooses another run.</p>\n",
        t.row,
        page.rows.len(),
        t.row,
        escape(&t.label),
        escape(&t.why)
    ));
    let lost = if t.lost_acked > 0 {
        format!(
            "This run lost {} acknowledged records: the dashed purple line places them at the send time of their batch.",
            t.lost_acked
        )
    } else {
        "This run lost no acknowledged record.".to_string()
    };
    let caption = format!("<strong>Timeline.</strong> {TIMELINE_READING} {}", escape(&lost));
    html.push_str(&figure(&relative(&t.svg), &relative(&t.png), "timeline", &caption));
    html
}

fn parameters_section(sc: &Scenario) -> String {
    let table = super::parameters::parameters_table(sc);
    let mut html = String::from("<h2 id=\"parameters\">Parameters</h2>\n");
    let (value, default) = (2, 3);
    let differs = |row: &Vec<String>| row[value] != row[default];
    let head = |html: &mut String| {
        html.push_str("<table>\n<tr><th>key</th><th>Kafka name</th><th>value in these runs</th><th>default</th><th>results.csv column</th></tr>\n");
    };
    let line = |html: &mut String, row: &Vec<String>| {
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        html.push_str("</tr>\n");
    };
    html.push_str(
        "<p>The keys these runs set or sweep away from their default (a swept key lists its values, \
         <code>|</code>-separated); parameters.csv has them all, scenario.toml the effective \
         scenario.</p>\n",
    );
    head(&mut html);
    for row in table.rows.iter().filter(|r| differs(r)) {
        line(&mut html, row);
    }
    html.push_str("</table>\n");
    html.push_str(&format!(
        "<details><summary>All {} parameters</summary>\n<div class=\"scroll\">",
        table.rows.len()
    ));
    head(&mut html);
    for row in &table.rows {
        line(&mut html, row);
    }
    html.push_str("</table></div></details>\n");
    html
}

fn scenario_section(sc: &Scenario, overrides: &[String]) -> String {
    let mut html = String::from("<h2 id=\"scenario\">Scenario</h2>\n");
    let (what, text) = if sc.source.is_empty() {
        ("The effective scenario".to_string(), sc.effective_toml())
    } else {
        (
            format!(
                "The scenario file as written, <code>{}</code>",
                escape(&sc.path.display().to_string())
            ),
            sc.source.clone(),
        )
    };
    html.push_str(&format!("<p>{what}"));
    if overrides.is_empty() {
        html.push_str(". No override.</p>\n");
    } else {
        html.push_str(", and the overrides applied over it (scenario.toml has the result):</p>\n<ul>\n");
        for o in overrides {
            html.push_str(&format!("<li><code>{}</code></li>\n", escape(o)));
        }
        html.push_str("</ul>\n");
    }
    html.push_str(&format!("<pre>{}</pre>\n", escape(&text)));
    html
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_covers_markup_and_both_quotes() {
        assert_eq!(
            escape("<script>alert('x' & \"y\")</script>"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }
}
