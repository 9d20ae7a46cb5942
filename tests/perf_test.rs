//! `prodsim perf-test` takes kafka-producer-perf-test's arguments and prints its output shape:
//! a line per 5 s window of simulated time, then `ProducerPerformance.Stats.printTotal`'s line.

use std::process::Command;

fn perf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prodsim"))
        .arg("perf-test")
        .args(args)
        .output()
        .expect("run prodsim")
}

/// The numbers of a perf-test total line, or `None` if it is not one.
fn total_line(line: &str) -> Option<(u64, f64, Vec<u64>)> {
    let (count, rest) = line.split_once(" records sent, ")?;
    let (rps, rest) = rest.split_once(" records/sec (")?;
    let (_, rest) = rest.split_once(" MB/sec), ")?;
    let (_, rest) = rest.split_once(" ms avg latency, ")?;
    let (_, rest) = rest.split_once(" ms max latency, ")?;
    let percentiles: Vec<u64> = ["ms 50th", "ms 95th", "ms 99th", "ms 99.9th."]
        .iter()
        .zip(rest.split(", "))
        .map(|(unit, part)| part.strip_suffix(unit)?.trim().parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    (percentiles.len() == 4).then_some(())?;
    Some((count.parse().ok()?, rps.parse().ok()?, percentiles))
}

#[test]
fn perf_test_prints_windows_and_the_total() {
    let o = perf(&[
        "--topic",
        "test",
        "--num-records",
        "100000",
        "--record-size",
        "100",
        "--throughput",
        "5000",
        "--producer-props",
        "acks=all",
        "linger.ms=5",
        "bootstrap.servers=localhost:9092",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    // 20 s of production: four whole 5 s windows, then the total.
    assert_eq!(lines.len(), 5, "{out}");
    for w in &lines[..4] {
        assert!(w.ends_with(" ms max latency."), "{w}");
        let (count, rest) = w.split_once(" records sent, ").unwrap();
        let count: u64 = count.parse().unwrap();
        assert!((24_000..=26_000).contains(&count), "about 5 s x 5000/s: {w}");
        let rps: f64 = rest.split_once(' ').unwrap().0.parse().unwrap();
        assert!((4_800.0..=5_200.0).contains(&rps), "about 5000 records/sec: {w}");
    }
    let (count, rps, p) = total_line(lines[4]).unwrap_or_else(|| panic!("not a total line: {}", lines[4]));
    assert_eq!(count, 100_000, "every record acknowledged on a healthy cluster");
    assert!((4_900.0..=5_050.0).contains(&rps), "{rps}");
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "percentiles grow: {p:?}");
    assert!(err.contains("`bootstrap.servers` is not modelled"), "{err}");
}

#[test]
fn perf_test_refuses_what_it_cannot_model() {
    let base = ["--topic", "t", "--num-records", "1000", "--record-size", "100"];
    for extra in [
        &["--throughput", "-2"][..],
        &["--throughput", "0"][..],
        &["--throughput", "100", "--producer-props", "lingerr.ms=5"][..],
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let o = perf(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{extra:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// `--throughput -1` (unthrottled) is `workload.rate = "max"`: every record is sent as fast as
/// `send()` returns (0.8 us each for 100-byte records by default: 1.25 M records/s, which
/// acks=1 keeps up with), or, with a small `buffer.memory` on a slow network, as fast as the
/// producer drains: the window grows until all of them were sent (up to 1 % more).
#[test]
fn unthrottled_sends_every_record_as_fast_as_send_returns() {
    let total = |args: &[&str]| {
        let mut all = vec!["--topic", "t", "--record-size", "100", "--throughput", "-1"];
        all.extend(args);
        let o = perf(&all);
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
        total_line(out.lines().last().unwrap()).unwrap()
    };
    let (count, rps, _) = total(&["--num-records", "1000000", "--producer-props", "acks=1"]);
    assert_eq!(count, 1_000_000);
    assert!((1.2e6..1.3e6).contains(&rps), "{rps}");
    let (count, rps, _) = total(&[
        "--num-records",
        "200000",
        "--producer-props",
        "buffer.memory=300000",
        "--set",
        "network.bandwidth_mbps=100",
    ]);
    assert!((200_000..=203_000).contains(&count), "{count}");
    assert!(rps < 150_000.0, "{rps}");
}

/// Negative control: the total-line parser rejects a line that is not one.
#[test]
fn the_total_line_parser_is_strict() {
    assert!(total_line("100 records sent, 5.0 records/sec (0.00 MB/sec), 1.00 ms avg latency, 2.00 ms max latency, 1 ms 50th, 1 ms 95th, 2 ms 99th, 2 ms 99.9th.").is_some());
    assert!(
        total_line("100 records sent, 5.0 records/sec (0.00 MB/sec), 1.0 ms avg latency, 2.0 ms max latency.")
            .is_none()
    );
}
