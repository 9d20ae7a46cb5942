//! The report layer end to end: CSV files, charts (SVG + PNG), `prodsim plot`, the HTML index.
//! Charts land in `$CARGO_TARGET_TMPDIR/report-*` for a look.

use prodsim::report::{
    default_charts, draw_charts, draw_charts_described, draw_timeline, plot_command, plot_command_spec, print_table,
    summarize, write_index_html, write_results, write_summary, ChartKind, ChartSpec, CsvTable, IndexPage, Row,
};
use prodsim::result::{FaultInterval, Measure, TimelinePoint};
use std::path::{Path, PathBuf};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A plausible sweep: acks x linger.ms x batch.size x 3 seeds, with made-up but shaped measures.
fn sweep() -> Vec<Row> {
    let mut rows = Vec::new();
    for acks in ["all", "1"] {
        for linger in [0u64, 5, 20, 100] {
            for batch in [16_384u64, 65_536, 262_144] {
                for seed in 1..=3u64 {
                    let fill = (linger as f64 + 1.0).ln() * (batch as f64 / 16_384.0).sqrt();
                    let acks_cost = if acks == "all" { 2.5 } else { 1.0 };
                    let jitter = seed as f64 * 0.7;
                    let rps = 20_000.0 + 9_000.0 * fill.min(6.0) - 1_500.0 * acks_cost + jitter * 300.0;
                    let p99 = 2.0 * acks_cost + linger as f64 * 1.05 + 3.0 / (1.0 + fill) + jitter;
                    let lost = if acks == "1" && seed == 2 { linger / 5 } else { 0 };
                    rows.push(Row {
                        params: vec![
                            ("acks".into(), acks.into()),
                            ("linger_ms".into(), linger.to_string()),
                            ("batch_size".into(), batch.to_string()),
                        ],
                        seed,
                        measures: vec![
                            ("records_sent", Measure::I(100_000)),
                            ("lost_acked", Measure::I(lost)),
                            ("duplicates", Measure::I(0)),
                            ("throughput_rps", Measure::F(rps)),
                            ("throughput_mbps", Measure::F(rps * 1024.0 * 8.0 / 1e6)),
                            ("latency_p50_ms", Measure::F(p99 / 3.0)),
                            ("latency_p99_ms", Measure::F(p99)),
                            ("mean_batch_records", Measure::F(1.0 + fill * 10.0)),
                        ],
                    });
                }
            }
        }
    }
    rows
}

fn assert_chart_pair(paths: &[PathBuf], stem: &str, texts: &[&str]) {
    let svg = paths
        .iter()
        .find(|p| p.file_name().unwrap().to_string_lossy() == format!("{stem}.svg"))
        .unwrap_or_else(|| panic!("no {stem}.svg in {paths:?}"));
    let png = svg.with_extension("png");
    assert!(paths.contains(&png), "no {stem}.png in {paths:?}");
    let png_bytes = std::fs::read(&png).unwrap();
    assert!(png_bytes.len() > 1000, "{} is too small", png.display());
    assert_eq!(png_bytes[..8], PNG_SIGNATURE, "{} is not a PNG", png.display());
    let svg_text = std::fs::read_to_string(svg).unwrap();
    assert!(svg_text.starts_with("<svg"), "{}", svg.display());
    for text in texts {
        assert!(svg_text.contains(text), "{} lacks `{text}`", svg.display());
    }
}

#[test]
fn results_and_summary_files_for_a_sweep() {
    let dir = out_dir("files");
    let rows = sweep();
    write_results(&dir.join("results.csv"), &rows).unwrap();
    let summary = summarize(&rows);
    write_summary(&dir.join("summary.csv"), &summary).unwrap();
    let results = CsvTable::read(&dir.join("results.csv")).unwrap();
    assert_eq!(
        results.headers[..5],
        ["acks", "linger_ms", "batch_size", "seed", "records_sent"]
    );
    assert_eq!(results.rows.len(), 72);
    assert_eq!(results.rows[1][..4], ["all", "0", "16384", "2"]);
    let summary_table = CsvTable::read(&dir.join("summary.csv")).unwrap();
    assert_eq!(summary_table.rows.len(), 24);
    assert_eq!(summary_table.headers[3], "seeds");
    assert_eq!(summary_table.rows[0][..4], ["all", "0", "16384", "3"]);
    let sum = summary_table.column("lost_acked_sum").unwrap();
    // acks=1, linger.ms=100: seed 2 loses 20, the others none.
    let row = summary_table
        .rows
        .iter()
        .find(|r| r[0] == "1" && r[1] == "100" && r[2] == "65536")
        .unwrap();
    assert_eq!(row[sum], "20");
    assert_eq!(row[summary_table.column("lost_acked").unwrap()], "6.667");
    assert_eq!(row[summary_table.column("lost_acked_max").unwrap()], "20");
    assert_eq!(row[summary_table.column("lost_acked_min").unwrap()], "0");
    let mut out = Vec::new();
    print_table(&summary, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    println!("{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 24 + 1);
    assert!(lines[0].starts_with("acks  linger_ms  batch_size  seeds  records/s  Mbit/s"));
    assert!(lines[0].ends_with("lost acked"), "{}", lines[0]);
    // Every line has the same width: numbers right-aligned under their headers.
    assert!(lines[2..26].iter().all(|l| l.len() == lines[0].len()), "{text}");
}

#[test]
fn default_charts_are_drawn_per_acks_with_a_batch_size_legend() {
    let dir = out_dir("default");
    let table = CsvTable::from_rows(&sweep());
    let specs = default_charts(&table);
    let names: Vec<(&str, ChartKind)> = specs.iter().map(|s| (s.y.as_str(), s.kind)).collect();
    assert_eq!(
        names,
        [
            ("throughput_rps", ChartKind::Line),
            ("latency_p99_ms", ChartKind::Line),
            ("lost_acked", ChartKind::Bar),
        ]
    );
    let paths = draw_charts(&dir, &specs, &table).unwrap();
    assert_eq!(paths.len(), 3 * 2 * 2);
    assert_chart_pair(
        &paths,
        "latency_p99_ms_vs_linger_ms_by_batch_size_acks-all",
        &[
            "p99 latency vs linger.ms — acks=all",
            "\nbatch.size\n</text>",
            "\n16384\n</text>",
            "\n262144\n</text>",
            "linger.ms (ms)",
            "p99 latency (ms)",
        ],
    );
    assert_chart_pair(
        &paths,
        "throughput_rps_vs_linger_ms_by_batch_size_acks-1",
        &["throughput (records/s)", "\n65536\n</text>"],
    );
    assert_chart_pair(
        &paths,
        "lost_acked_vs_linger_ms_by_batch_size_acks-1",
        &["acked records lost"],
    );
    let charts = draw_charts_described(&dir, &specs, &table).unwrap();
    let page = IndexPage {
        name: "default charts",
        scenario: None,
        overrides: &[],
        rows: &sweep(),
        charts: &charts,
        timeline: None,
        no_timeline: None,
    };
    write_index_html(&dir, &page).unwrap();
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("<img src=\"latency_p99_ms_vs_linger_ms_by_batch_size_acks-all.svg\""));
    assert!(
        html.contains("p99 latency (ms) against linger.ms (ms), one line per batch.size, for acks=all."),
        "a caption says what the chart shows, not its file name"
    );
}

#[test]
fn svg_output_is_byte_identical_across_runs() {
    let table = CsvTable::from_rows(&sweep());
    let specs = default_charts(&table);
    let a = out_dir("same-a");
    let b = out_dir("same-b");
    let pa = draw_charts(&a, &specs, &table).unwrap();
    let pb = draw_charts(&b, &specs, &table).unwrap();
    for (x, y) in pa.iter().zip(&pb) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap(), "{x:?}");
    }
}

#[test]
fn categorical_bars_and_log_axes() {
    let dir = out_dir("kinds");
    let table = CsvTable::from_rows(&sweep());
    let bars = ChartSpec {
        series: Some("linger_ms".into()),
        kind: ChartKind::Bar,
        title: Some("Throughput by acks".into()),
        ..ChartSpec::new("acks", "throughput_rps")
    };
    let log = ChartSpec {
        series: Some("acks".into()),
        log_x: Some(true),
        log_y: Some(true),
        ..ChartSpec::new("batch_size", "latency_p99_ms")
    };
    // linger.ms has a 0: the log x axis falls back to linear instead of failing.
    let log_with_zero = ChartSpec {
        log_x: Some(true),
        ..ChartSpec::new("linger_ms", "latency_p50_ms")
    };
    let paths = draw_charts(&dir, &[bars, log, log_with_zero], &table).unwrap();
    assert_chart_pair(
        &paths,
        "throughput_rps_vs_acks_by_linger_ms",
        &[
            "Throughput by acks",
            "\nlinger.ms\n</text>",
            "\n100\n</text>",
            "\nall\n</text>",
            "\n1\n</text>",
        ],
    );
    assert_chart_pair(
        &paths,
        "latency_p99_ms_vs_batch_size_by_acks",
        &["\nacks\n</text>", "\nall\n</text>", "\n20k\n</text>", "\n100k\n</text>"],
    );
    assert_chart_pair(&paths, "latency_p50_ms_vs_linger_ms", &["p50 latency (ms)"]);
}

/// `y = [a, b]`: both measures on one chart, one line per (measure, series value), the legend
/// naming both, the axis label sharing the unit.
#[test]
fn several_y_columns_share_one_chart() {
    let dir = out_dir("multi-y");
    let table = CsvTable::from_rows(&sweep());
    let spec = ChartSpec {
        y_also: vec!["latency_p99_ms".into()],
        series: Some("acks".into()),
        ..ChartSpec::new("linger_ms", "latency_p50_ms")
    };
    let charts = draw_charts_described(&dir, &[spec], &table).unwrap();
    assert_eq!(charts.len(), 1);
    let svg = std::fs::read_to_string(&charts[0].svg).unwrap();
    assert!(charts[0]
        .svg
        .ends_with("latency_p50_ms_and_latency_p99_ms_vs_linger_ms_by_acks.svg"));
    for text in [
        "\nacks, measure\n</text>",
        "\nall, p50 latency\n</text>",
        "\n1, p50 latency\n</text>",
        "\nall, p99 latency\n</text>",
        "\n1, p99 latency\n</text>",
        "p50 latency and p99 latency (ms)",
    ] {
        assert!(svg.contains(text), "{text} missing");
    }
    assert!(
        charts[0].title.contains("p50 latency and p99 latency"),
        "{}",
        charts[0].title
    );
    // Four lines: a path per series (plus whiskers), each series in its own colour.
    let colours = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728"];
    for c in colours {
        assert!(svg.to_uppercase().contains(c), "colour {c} missing");
    }
}

#[test]
fn unknown_chart_column_is_named() {
    let table = CsvTable::from_rows(&sweep());
    let err = draw_charts(
        &out_dir("unknown"),
        &[ChartSpec::new("linger_ms", "latency_p42_ms")],
        &table,
    )
    .unwrap_err();
    assert!(err.contains("`latency_p42_ms`"), "{err}");
    assert!(err.contains("available columns: acks, linger_ms"), "{err}");
}

#[test]
fn timeline_shades_faults() {
    let dir = out_dir("timeline");
    let timeline: Vec<TimelinePoint> = (0..120u64)
        .map(|i| {
            let outage = (40..55).contains(&i);
            TimelinePoint {
                t_ms: i * 250,
                acked_rps: if outage { 0.0 } else { 48_000.0 + (i % 7) as f64 * 900.0 },
                latency_p99_ms: if outage {
                    0.0
                } else if (55..60).contains(&i) {
                    3_900.0 - (i - 55) as f64 * 700.0
                } else {
                    12.0 + (i % 5) as f64
                },
                ..TimelinePoint::default()
            }
        })
        .collect();
    let faults = vec![
        FaultInterval {
            kind: "crash-leader",
            target: "p0 leader (broker 2)".into(),
            start_ms: 10_000,
            end_ms: 13_750,
        },
        FaultInterval {
            kind: "partition",
            target: "client<->broker 1".into(),
            start_ms: 20_000,
            end_ms: 24_000,
        },
    ];
    let paths = draw_timeline(&dir, "timeline_seed-1", "acks=all, seed 1", None, &timeline, &faults).unwrap();
    assert_chart_pair(
        &paths,
        "timeline_seed-1",
        &[
            "acks=all, seed 1",
            "1: crash-leader p0 leader (broker 2), 10.0–13.8 s",
            "simulated time (s)",
            "p99 latency (ms)",
            "records/s",
            "acknowledged (by ack time)",
            "no acknowledged record was lost in this run",
        ],
    );
    // Acknowledged records lost: a dashed series by send time, its total in the legend, and
    // why this run is shown under the title.
    let mut lossy = timeline.clone();
    lossy[30].lost_acked = 700;
    lossy[31].lost_acked = 50;
    lossy[30].width_ms = 250;
    lossy[31].width_ms = 250;
    let paths = draw_timeline(
        &dir,
        "lossy",
        "s: acks=1 seed=2",
        Some("run 2 of 4: the first run that lost acknowledged records"),
        &lossy,
        &faults,
    )
    .unwrap();
    assert_chart_pair(
        &paths,
        "lossy",
        &[
            "acknowledged, later lost: 750 (by send time)",
            "run 2 of 4: the first run that lost acknowledged records",
        ],
    );
    let svg = std::fs::read_to_string(&paths[0]).unwrap();
    assert!(
        svg.contains("stroke-dasharray") || svg.matches("<polyline").count() > 8,
        "the lost series is dashed"
    );
    // Many faults: bands unnumbered, the list cut short.
    let many: Vec<FaultInterval> = (0..25u64)
        .map(|i| FaultInterval {
            kind: "crash",
            target: format!("broker {}", i % 3),
            start_ms: i * 1_100,
            end_ms: i * 1_100 + 600,
        })
        .collect();
    let paths = draw_timeline(&dir, "many", "many faults", None, &timeline, &many).unwrap();
    assert_chart_pair(&paths, "many", &["crash broker 0, 0.0–0.6 s", "and 20 more"]);
    // Faults starting together: their numbers are stacked, not drawn over each other.
    let together: Vec<FaultInterval> = (0..3u64)
        .map(|i| FaultInterval {
            kind: "crash",
            target: format!("broker {i}"),
            start_ms: 10_000 + i * 50,
            end_ms: 12_000,
        })
        .collect();
    let paths = draw_timeline(&dir, "together", "faults together", None, &timeline, &together).unwrap();
    let svg = std::fs::read_to_string(&paths[0]).unwrap();
    let numbers: Vec<(f64, f64)> = svg
        .split("<text")
        .filter(|t| t.split('>').next().unwrap_or("").contains("fill=\"#D62728\""))
        .map(|t| svg_texts(&format!("<text{t}"))[0].clone())
        .map(|(_, x, y, _)| (x, y))
        .collect();
    assert_eq!(numbers.len(), 3, "{numbers:?}");
    for (i, a) in numbers.iter().enumerate() {
        for b in &numbers[i + 1..] {
            assert!((a.0 - b.0).abs() >= 10.0 || (a.1 - b.1).abs() >= 14.0, "{numbers:?}");
        }
    }
    // No data and no faults: still a valid, empty chart.
    let empty = draw_timeline(&dir, "empty", "empty", None, &[], &[]).unwrap();
    assert_chart_pair(&empty, "empty", &["empty"]);
}

#[test]
fn plot_command_over_two_files_adds_a_file_series() {
    let dir = out_dir("plot");
    let rows = sweep();
    let (a, b) = (dir.join("before.csv"), dir.join("after.csv"));
    write_results(&a, &rows[..36]).unwrap();
    write_summary(&b, &summarize(&rows[36..])).unwrap();
    let paths = plot_command(&[a.clone(), b.clone()], "linger_ms", "throughput_rps", None, None).unwrap();
    assert_eq!(
        paths,
        [
            dir.join("throughput_rps_vs_linger_ms.svg"),
            dir.join("throughput_rps_vs_linger_ms.png")
        ]
    );
    assert_chart_pair(
        &paths,
        "throughput_rps_vs_linger_ms",
        &["\nfile\n</text>", "\nbefore\n</text>", "\nafter\n</text>"],
    );
    // An explicit output path, whatever its extension, gives both formats.
    let out = dir.join("custom.pdf");
    let paths = plot_command_spec(
        std::slice::from_ref(&a),
        &ChartSpec {
            series: Some("batch_size".into()),
            per: Some("acks".into()),
            ..ChartSpec::new("linger_ms", "latency_p99_ms")
        },
        Some(out),
    )
    .unwrap();
    assert_chart_pair(
        &paths,
        "custom_acks-all",
        &["\nbatch.size\n</text>", "\n16384\n</text>"],
    );
}

#[test]
fn plot_command_names_the_file_and_the_missing_column() {
    let dir = out_dir("plot-missing");
    let a = dir.join("results.csv");
    write_results(&a, &sweep()).unwrap();
    let other = dir.join("other.csv");
    std::fs::write(&other, "linger_ms,p99\n5,1.0\n").unwrap();
    let err = plot_command(&[a, other.clone()], "linger_ms", "latency_p99_ms", None, None).unwrap_err();
    assert!(err.contains("`latency_p99_ms`"), "{err}");
    assert!(err.contains(&other.display().to_string()), "{err}");
    assert!(err.contains("available columns: linger_ms, p99"), "{err}");
    let err = plot_command(&[dir.join("nope.csv")], "a", "b", None, None).unwrap_err();
    assert!(err.contains("nope.csv"), "{err}");
}

/// `(text, x, y, font-size)` of every `<text>` element of an SVG, in document order.
fn svg_texts(svg: &str) -> Vec<(String, f64, f64, f64)> {
    let attr = |tag: &str, name: &str| -> f64 {
        let key = format!(" {name}=\"");
        tag.split_once(&key)
            .and_then(|(_, rest)| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|part| {
            let (tag, rest) = part.split_once('>')?;
            let (text, _) = rest.split_once("</text>")?;
            Some((
                text.trim().to_string(),
                attr(tag, "x"),
                attr(tag, "y"),
                attr(tag, "font-size"),
            ))
        })
        .collect()
}

#[test]
fn long_titles_wrap_and_timeline_parameters_go_on_a_second_line() {
    let dir = out_dir("long-texts");
    let table = CsvTable::from_rows(&sweep());
    let long = ChartSpec {
        series: Some("batch_size".into()),
        per: Some("acks".into()),
        kind: ChartKind::Bar,
        title: Some(
            "Acknowledged records lost under leader crash + zombie leader with an unclean election \
             allowed, by linger.ms and batch.size, over three seeds"
                .into(),
        ),
        ..ChartSpec::new("linger_ms", "lost_acked")
    };
    let paths = draw_charts(&dir, &[long], &table).unwrap();
    let svg = std::fs::read_to_string(dir.join("lost_acked_vs_linger_ms_by_batch_size_acks-1.svg")).unwrap();
    let texts = svg_texts(&svg);
    // Too long for one line even at the smallest size: two lines at one size, broken at the
    // " — " before the per value (the preferred break) when that fits, else at a comma.
    let title: Vec<&str> = texts[..2].iter().map(|t| t.0.as_str()).collect();
    assert!(title[0].starts_with("Acknowledged records lost"), "{title:?}");
    assert!(title[1].ends_with("acks=1"), "{title:?}");
    assert!(texts[1].2 > texts[0].2, "{texts:?}");
    assert_eq!(texts[0].3, texts[1].3, "both lines at one size");
    // The legend says what its entries are once, in its title.
    assert!(texts.iter().any(|t| t.0 == "batch.size"));
    assert!(texts.iter().any(|t| t.0 == "262144"));
    assert!(!svg.contains("batch.size=262144"));
    assert_eq!(paths.len(), 4);

    let timeline: Vec<TimelinePoint> = (0..60u64)
        .map(|i| TimelinePoint {
            t_ms: i * 1000,
            acked_rps: 20_000.0,
            latency_p99_ms: 5.0,
            ..TimelinePoint::default()
        })
        .collect();
    let title = "leader-failover: acks=0 linger_ms=5 batch_size=16384 send_mode=async min_insync_replicas=1 \
                 unclean_leader_election_enable=false seed=1";
    let paths = draw_timeline(&dir, "timeline", title, None, &timeline, &[]).unwrap();
    assert_chart_pair(&paths, "timeline", &[]);
    let texts = svg_texts(&std::fs::read_to_string(&paths[0]).unwrap());
    assert_eq!(texts[0].0, "leader-failover");
    assert!(
        texts[1]
            .0
            .starts_with("acks=0, linger.ms=5, batch.size=16384, send_mode=async"),
        "{texts:?}"
    );
    assert!(texts[1].3 < texts[0].3, "the parameters are smaller than the title");
    // A title without parameters stays whole.
    let paths = draw_timeline(&dir, "plain", "a run: seed 1 only", None, &timeline, &[]).unwrap();
    let texts = svg_texts(&std::fs::read_to_string(&paths[0]).unwrap());
    assert_eq!(texts[0].0, "a run: seed 1 only");
}

#[test]
fn legends_and_category_labels_are_shortened_and_never_reach_the_note() {
    let dir = out_dir("crowded");
    let mut rows = Vec::new();
    for category in 0..6 {
        for series in 0..30 {
            for seed in 1..=2u64 {
                rows.push(Row {
                    params: vec![
                        (
                            "client".into(),
                            format!("an-extremely-long-client-configuration-name-{category}"),
                        ),
                        (
                            "variant".into(),
                            format!("variant-{series}-with-a-name-longer-than-any-legend-can-show-{series}"),
                        ),
                    ],
                    seed,
                    measures: vec![("throughput_rps", Measure::F(1000.0 * (series + seed) as f64))],
                });
            }
        }
    }
    let table = CsvTable::from_rows(&rows);
    let spec = ChartSpec {
        series: Some("variant".into()),
        kind: ChartKind::Bar,
        ..ChartSpec::new("client", "throughput_rps")
    };
    let paths = draw_charts(&dir, &[spec], &table).unwrap();
    let texts = svg_texts(&std::fs::read_to_string(&paths[0]).unwrap());
    let more = texts
        .iter()
        .find(|t| t.0.starts_with("… and"))
        .expect("a '… and N more' row");
    let note = texts
        .iter()
        .find(|t| t.0 == "bars: mean of runs")
        .expect("the whisker note");
    assert!(
        more.2 + 20.0 <= note.2,
        "legend rows run into the note: {more:?} {note:?}"
    );
    assert!(texts
        .iter()
        .any(|t| t.0.starts_with("variant-0-with") && t.0.contains('…') && t.0.ends_with("-0")));
    // Category labels are shortened to their category's width.
    // Category labels lose their middle, and keep their distinct ends.
    for i in 0..6 {
        let category = texts
            .iter()
            .find(|t| t.0.starts_with("an-") && t.0.ends_with(&format!("-{i}")))
            .unwrap_or_else(|| panic!("no label for category {i}: {texts:?}"));
        assert!(category.0.contains('…'), "{category:?}");
    }
    // 180 bars leave no room for value labels.
    assert!(
        !texts.iter().any(|t| t.0 == "1500"),
        "value labels drawn over crowded bars"
    );
}

fn rows_of(cells: &[(&str, &str, f64)], x: &str, series: &str, y: &'static str) -> Vec<Row> {
    cells
        .iter()
        .map(|&(xv, sv, yv)| Row {
            params: vec![(x.to_string(), xv.to_string()), (series.to_string(), sv.to_string())],
            seed: 1,
            measures: vec![(y, Measure::F(yv))],
        })
        .collect()
}

/// Two series with the same values: the one drawn second is dashed (the first shows through
/// its gaps) and has smaller markers of another shape (the first shows as a rim).
#[test]
fn coinciding_series_stay_visible() {
    let dir = out_dir("coinciding");
    let rows = rows_of(
        &[
            ("1", "a", 5.0),
            ("2", "a", 6.0),
            ("3", "a", 7.0),
            ("1", "b", 5.0),
            ("2", "b", 6.0),
            ("3", "b", 7.0),
        ],
        "linger_ms",
        "batch_size",
        "latency_p99_ms",
    );
    let table = CsvTable::from_rows(&rows);
    let spec = ChartSpec {
        series: Some("batch_size".into()),
        ..ChartSpec::new("linger_ms", "latency_p99_ms")
    };
    let paths = draw_charts(&dir, &[spec], &table).unwrap();
    let svg = std::fs::read_to_string(&paths[0]).unwrap();
    let blue_markers = svg.matches("r=\"7\" opacity=\"1\" fill=\"#1F77B4\"").count();
    assert_eq!(blue_markers, 3, "the first series' markers are the large ones");
    let orange_segments = svg
        .matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#FF7F0E\"")
        .count();
    let blue_segments = svg
        .matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#1F77B4\"")
        .count();
    assert!(
        orange_segments > 20,
        "the second series is dashed: {orange_segments} segments"
    );
    assert!(
        blue_segments <= 2,
        "the first is solid (its line and its legend swatch)"
    );
}

/// acks 0 and 1 at a few ms beside acks=all at 14 s: the bars get a log axis and their values,
/// unless the plot says `log_y = false`.
#[test]
fn bars_spanning_orders_of_magnitude_get_a_log_axis_unless_told_otherwise() {
    let dir = out_dir("log-bars");
    let rows = rows_of(
        &[("0", "1", 2.1), ("1", "1", 3.4), ("all", "1", 14_000.0)],
        "acks",
        "min_insync_replicas",
        "latency_p99_ms",
    );
    let table = CsvTable::from_rows(&rows);
    let auto = ChartSpec {
        kind: ChartKind::Bar,
        ..ChartSpec::new("acks", "latency_p99_ms")
    };
    let charts = draw_charts_described(&dir, std::slice::from_ref(&auto), &table).unwrap();
    assert!(
        charts[0]
            .caption
            .contains("Logarithmic y axis: the values span more than two orders of magnitude"),
        "{}",
        charts[0].caption
    );
    let svg = std::fs::read_to_string(&charts[0].svg).unwrap();
    for value in ["\n2.1\n", "\n3.4\n", "\n14k\n"] {
        assert!(svg.contains(value), "bar value {value} shown");
    }
    let linear = ChartSpec {
        log_y: Some(false),
        ..auto
    };
    let charts = draw_charts_described(&dir, &[linear], &table).unwrap();
    assert!(!charts[0].caption.contains("Logarithmic"), "{}", charts[0].caption);
}

/// A throughput that is the offered rate says so in its caption; default charts do not draw it.
#[test]
fn a_flat_throughput_at_the_offered_rate_is_called_an_input() {
    let dir = out_dir("flat");
    let rows: Vec<Row> = [0u64, 5, 20]
        .iter()
        .map(|&linger| Row {
            params: vec![("linger_ms".into(), linger.to_string())],
            seed: 1,
            measures: vec![
                ("throughput_rps", Measure::F(50_000.0 - linger as f64)),
                ("requests", Measure::I(90_000 / (linger + 1))),
                ("latency_p99_ms", Measure::F(1.0 + linger as f64)),
            ],
        })
        .collect();
    let table = CsvTable::from_rows(&rows);
    let ys: Vec<String> = default_charts(&table).into_iter().map(|s| s.y).collect();
    assert_eq!(ys, ["requests", "latency_p99_ms"]);
    let sc = prodsim::scenario::Scenario::parse_str(
        "name = \"f\"\n[workload]\nrate = 50000\n[sweep]\n\"producer.linger_ms\" = [0, 5, 20]\n",
        Path::new("f.toml"),
    )
    .unwrap();
    let drawn = draw_charts_described(&dir, &[ChartSpec::new("linger_ms", "throughput_rps")], &table).unwrap();
    let drawn = prodsim::report::note_inputs(&sc, drawn);
    let caption = &drawn[0].caption;
    assert!(
        caption.contains("Flat: every point lies between 49.98k and 50k"),
        "{caption}"
    );
    assert!(
        caption.contains("This is the offered rate (workload.rate = 50k/s)"),
        "{caption}"
    );
}
