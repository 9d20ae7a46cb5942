//! `workload.rate = "max"`: every application thread calls `send()` again as soon as it
//! returns; `send()` costs CPU time (`workload.send_cost_us`, `send_byte_ns`) and blocks on
//! `buffer.memory` when the pool is exhausted (`BufferPool.allocate`). The capacity columns:
//! `offered_rps`, `send_blocked_ms` (`bufferpool-wait-time-ns-total`), `buffer_wait_ratio`,
//! `saturated`.

use prodsim::result::RunResult;
use prodsim::scenario::Scenario;
use std::path::Path;

fn run(sets: &[&str]) -> RunResult {
    let mut sc = Scenario::parse_str("name = \"cap\"\nduration_ms = 1000\n", Path::new("cap.toml")).unwrap();
    for s in sets {
        sc.apply_set(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let r = prodsim::run(&sc.expand().unwrap()[0].spec);
    assert!(r.aborted.is_none(), "{:?}", r.aborted);
    r
}

/// A thread offers 1 / (send_cost_us + send_byte_ns x bytes) records per second: 0.6 us +
/// 2 ns x 100 bytes = 0.8 us, 1.25 M records/s; two threads twice that.
#[test]
fn max_rate_offers_what_the_threads_can() {
    let one = run(&["workload.rate=max", "network.latency_ms=0.1"]);
    assert!((one.offered_rps - 1.25e6).abs() < 0.01e6, "{}", one.offered_rps);
    let slow = run(&["workload.rate=max", "workload.send_cost_us=9.8"]);
    assert!((slow.offered_rps - 1e5).abs() < 0.01e5, "{}", slow.offered_rps);
    let two = run(&["workload.rate=max", "workload.send_cost_us=9.8", "workload.threads=2"]);
    assert!((two.offered_rps - 2e5).abs() < 0.02e5, "{}", two.offered_rps);
}

/// A numeric rate below the cap is offered as given, and nothing waits; a rate above it is
/// capped at what the threads can call.
#[test]
fn a_numeric_rate_is_capped_by_the_send_cost() {
    let below = run(&["workload.rate=20000"]);
    assert!((below.offered_rps - 20_000.0).abs() < 1.0, "{}", below.offered_rps);
    assert_eq!((below.send_blocked_ms, below.saturated), (0.0, 0));
    let above = run(&["workload.rate=200000", "workload.send_cost_us=9.8"]);
    assert!((above.offered_rps - 1e5).abs() < 0.01e5, "{}", above.offered_rps);
    assert_eq!(above.saturated, 1, "half the configured rate offered");
}

/// With a small `buffer.memory` and a slow link, `send()` blocks for memory
/// (`BufferPool.allocate`): the blocked time is counted, the ratio is blocked time over the
/// threads' time, and the run is flagged saturated. The blocked thread resumes where it
/// stopped: no burst of missed calls (the offered rate is what it managed).
#[test]
fn a_saturated_producer_blocks_send_and_is_flagged() {
    let r = run(&[
        "workload.rate=max",
        "producer.buffer_memory=200000",
        "network.bandwidth_mbps=50",
    ]);
    assert!(r.send_blocked_ms > 500.0, "{}", r.send_blocked_ms);
    assert!(
        r.buffer_wait_ratio > 0.5 && r.buffer_wait_ratio <= 1.01,
        "{}",
        r.buffer_wait_ratio
    );
    assert_eq!(r.saturated, 1);
    // 50 Mbit/s carries about 50k 110-byte records/s with RF 3 replication on the same NIC
    // budget; the application offered no more than the pipeline took, plus the buffer.
    assert!(r.offered_rps < 100_000.0, "{}", r.offered_rps);
    let d = &r.delivery;
    assert_eq!((d.lost_acked, d.duplicates, d.reordered), (0, 0, 0));
}

/// Sync threads under "max": each sends its next record as soon as the previous one is
/// acknowledged (the send() cost is far below a round trip).
#[test]
fn max_rate_sync_threads_send_back_to_back() {
    let r = run(&[
        "workload.rate=max",
        "producer.send_mode=sync",
        "workload.threads=4",
        "producer.linger_ms=0",
    ]);
    let per_thread = r.offered_rps / 4.0;
    // One record per round trip (~1 ms with 0.5 ms links and replication).
    assert!(per_thread > 300.0 && per_thread < 2_000.0, "{per_thread}");
}

/// `rate` takes numbers and the one word "max"; anything else, and "max" with a zero
/// send() cost, is refused naming the key.
#[test]
fn rate_accepts_max_and_refuses_other_words() {
    let err = |text: &str| Scenario::parse_str(text, Path::new("e.toml")).unwrap_err();
    let e = err("[workload]\nrate = \"fast\"\n");
    assert!(
        e.message.contains("\"max\"") && e.key.as_deref() == Some("workload.rate"),
        "{e}"
    );
    let e = err("[workload]\nrate = \"max\"\nsend_cost_us = 0\n");
    assert_eq!(e.key.as_deref(), Some("workload.send_cost_us"), "{e}");
    assert!(Scenario::parse_str("[workload]\nrate = \"max\"\n", Path::new("e.toml")).is_ok());
}
