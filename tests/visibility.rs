//! Consumer visibility (`visible_p50_ms`, `visible_p99_ms`, `visible_max_ms`): `send()` until the
//! leader's high watermark covers the record, against the acknowledgement, for each `acks`.
//!
//! With jitter off every link takes exactly `L` = `latency_ms`, so Kafka's rules fix the order of
//! each record's two times (reference kafka-semantics.md 7.2, 7.3, 7.5, 7.10a), and a relation
//! that holds record by record holds for every quantile of the same records:
//! - acks=1: the leader answers at its append (ack = append + L); the HW covers the record only
//!   after a follower's parked fetch returned it (L) and the follower's next fetch came back (L):
//!   visible >= ack + L.
//! - acks=all: the `DelayedProduce` completes when the HW covers the record, then the response
//!   travels back: visible <= ack - L.
//! - acks=0: acknowledged when written; the request still travels to the leader (L) and the
//!   followers fetch it (2 L): visible >= ack + 3 L.

use prodsim::config::Acks;
use prodsim::{RunResult, RunSpec};

const L: f64 = 2.0;
/// The histograms keep 3 significant digits.
const SLACK_MS: f64 = 0.05;

fn run(acks: Acks) -> RunResult {
    let mut s = RunSpec {
        duration_ms: 2_000,
        ..RunSpec::default()
    };
    s.producer.acks = acks;
    s.producer.linger_ms = 5;
    s.network.latency_ms = L;
    s.network.latency_jitter = 0.0;
    s.workload.rate = 20_000.0;
    prodsim::run(&s)
}

fn quantiles(r: &RunResult) -> [(f64, f64); 3] {
    [
        (r.latency_p50_ms, r.visible_p50_ms),
        (r.latency_p99_ms, r.visible_p99_ms),
        (r.latency_max_ms, r.visible_max_ms),
    ]
}

fn sane(acks: Acks, r: &RunResult) {
    assert!(r.records_acked > 10_000, "acks={acks}: {r:?}");
    assert!(
        0.0 < r.visible_p50_ms && r.visible_p50_ms <= r.visible_p99_ms && r.visible_p99_ms <= r.visible_max_ms,
        "acks={acks}: visible {} / {} / {}",
        r.visible_p50_ms,
        r.visible_p99_ms,
        r.visible_max_ms
    );
}

#[test]
fn acks_1_and_0_are_acknowledged_before_a_consumer_can_see_the_record() {
    for (acks, hops) in [(Acks::One, 1.0), (Acks::Zero, 3.0)] {
        let r = run(acks);
        sane(acks, &r);
        for (ack, visible) in quantiles(&r) {
            assert!(
                visible >= ack + hops * L - SLACK_MS,
                "acks={acks}: visible {visible} ms, acknowledged {ack} ms: the followers' round trip is missing"
            );
        }
    }
}

#[test]
fn acks_all_records_are_visible_before_the_response_reaches_the_producer() {
    let r = run(Acks::All);
    sane(Acks::All, &r);
    for (ack, visible) in quantiles(&r) {
        assert!(
            visible <= ack - L + SLACK_MS,
            "acks=all: visible {visible} ms, acknowledged {ack} ms: the response leg is missing"
        );
    }
}

/// The classic result: acks=1 buys an earlier acknowledgement, not an earlier consumer. Both wait
/// for the same follower round trip before the HW covers a record.
#[test]
fn a_consumer_sees_acks_1_records_about_when_it_sees_acks_all_records() {
    let (one, all) = (run(Acks::One), run(Acks::All));
    assert!(
        one.latency_p50_ms + L <= all.latency_p50_ms + SLACK_MS,
        "ack p50: acks=1 {} ms, acks=all {} ms",
        one.latency_p50_ms,
        all.latency_p50_ms
    );
    let ratio = one.visible_p50_ms / all.visible_p50_ms;
    assert!(
        (0.8..=1.25).contains(&ratio),
        "visible p50: acks=1 {} ms, acks=all {} ms",
        one.visible_p50_ms,
        all.visible_p50_ms
    );
}
