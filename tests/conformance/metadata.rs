//! `MetadataTest` (clients/src/test/java/org/apache/kafka/clients) and `ProducerMetadataTest`
//! (clients/.../producer/internals): when the producer refreshes its metadata. The refresh
//! backoff (`ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2)`) in failed
//! attempts and in consecutive equivalent responses, and `metadata.max.age.ms`, on the
//! [`Metadata`] component and on a [`ClientDriver`].

use crate::common::spec;
use prodsim::model::components::{ms, rng_stream, ClientDriver, Metadata, Output, SimTime, Stream};
use rand_chacha::ChaCha8Rng;

fn rng() -> ChaCha8Rng {
    rng_stream(7, Stream::Sender)
}

/// `retry.backoff.ms` 100, `retry.backoff.max.ms` 1000, `metadata.max.age.ms` `max_age`.
fn metadata(max_age: u64) -> Metadata {
    Metadata::new(100, 1_000, max_age)
}

/// `MetadataTest.testUpdateMetadataAllowedImmediatelyAfterBootstrap`: before any refresh an
/// update requested may go at once.
#[test]
fn an_update_is_allowed_at_once_at_the_start() {
    let mut m = metadata(300_000);
    m.request_update();
    assert_eq!(m.time_to_next_update(0), 0);
}

/// `MetadataTest.testTimeToNextUpdate` (`checkTimeToNextUpdate`): without a request, the next
/// update is when the metadata expires, `metadata.max.age.ms` after the last refresh; an update
/// requested goes once the backoff (`retry.backoff.ms`, jittered) has passed.
#[test]
fn the_next_update_is_at_expiry_or_after_the_backoff_when_requested() {
    let mut r = rng();
    let mut m = metadata(1_000);
    m.update(0, true, &mut r);
    assert_eq!(m.time_to_next_update(0), ms(1_000));
    assert_eq!(m.time_to_next_update(ms(500)), ms(500));
    assert_eq!(m.time_to_next_update(ms(1_000)), 0, "expired");
    m.request_update();
    let wait = m.time_to_next_update(0);
    assert!(wait >= ms(80) && wait <= ms(120), "{wait}");
    assert_eq!(m.time_to_next_update(ms(120)), 0);
}

/// `MetadataTest.testTimeToNextUpdateRetryBackoff`: a failed update backs off
/// `retry.backoff.ms` (jittered), even when an update is requested; then it may go.
#[test]
fn a_failed_update_backs_off() {
    let mut r = rng();
    let mut m = metadata(1_000);
    let now = ms(10_000);
    m.failed_update(now, &mut r);
    let wait = m.time_to_next_update(now);
    assert!(wait >= ms(80) && wait <= ms(120), "{wait}");
    m.request_update();
    assert_eq!(m.time_to_next_update(now), wait);
    assert_eq!(m.time_to_next_update(now + ms(220)), 0);
}

/// `MetadataTest.testFailedUpdate`: a failed attempt does not move the last successful refresh
/// (expiry still counts from it); consecutive failures back off exponentially
/// (`backoff(attempts - 1)`).
#[test]
fn failed_updates_back_off_exponentially_and_keep_the_expiry() {
    let mut r = rng();
    let mut m = metadata(1_000);
    m.update(ms(100), true, &mut r);
    assert_eq!(m.time_to_next_update(ms(1_000)), ms(100));
    m.failed_update(ms(1_100), &mut r);
    let wait = m.time_to_next_update(ms(1_100));
    assert!(wait >= ms(80) && wait <= ms(120), "{wait}");
    m.failed_update(ms(1_300), &mut r);
    let wait = m.time_to_next_update(ms(1_300));
    assert!(wait >= ms(160) && wait <= ms(240), "second failure: {wait}");
}

/// `ProducerMetadataTest.testMetadataEquivalentResponsesBackoff`: a response that tells the
/// producer nothing new grows the backoff before the next requested update (`backoff(count -
/// 1)` on top of `backoff(0)`); a response with a newer leader epoch resets it.
#[test]
fn equivalent_responses_back_off_exponentially() {
    let mut r = rng();
    let mut m = metadata(300_000);
    let mut time = 0;
    m.update(time, true, &mut r);
    assert!(m.time_to_next_update(time) > 0, "no update needed");
    m.request_update();
    assert!(m.time_to_next_update(time) > 0, "still backing off");
    time += ms(120);
    m.update(time, false, &mut r);
    assert_eq!(m.equivalent_responses(), 1);
    m.request_update();
    assert!(m.time_to_next_update(time) > 0);
    time += ms(120);
    m.update(time, false, &mut r);
    assert_eq!(m.equivalent_responses(), 2);
    m.request_update();
    assert!(
        m.time_to_next_update(time + ms(120)) > 0,
        "the second equivalent response backs off 2 x retry.backoff.ms"
    );
    assert_eq!(m.time_to_next_update(time + ms(240)), 0);
    // Capped at retry.backoff.max.ms (the exponent stops at log2(max / initial)).
    for _ in 0..10 {
        m.update(time, false, &mut r);
    }
    m.request_update();
    let wait = m.time_to_next_update(time);
    assert!(wait >= ms(800) && wait <= ms(1_000), "{wait}");
    // A response with news resets the count.
    m.update(time, true, &mut r);
    assert_eq!(m.equivalent_responses(), 0);
    m.request_update();
    assert!(m.time_to_next_update(time) <= ms(120));
}

/// `Metadata.timeToAllowUpdate`: the periodic refresh at expiry forgets the equivalent
/// responses ("periodic updates based on expiration resets the equivalent response count").
#[test]
fn expiry_forgets_the_equivalent_responses() {
    let mut r = rng();
    let mut m = metadata(1_000);
    for _ in 0..5 {
        m.update(0, false, &mut r);
    }
    m.request_update();
    assert!(
        m.time_to_next_update(ms(500)) > 0,
        "backing off the equivalent responses"
    );
    assert_eq!(m.time_to_next_update(ms(1_000)), 0);
    assert_eq!(m.equivalent_responses(), 0);
}

/// Advances `c` in 1 ms steps from its time to `until`; the times at which a metadata request
/// went out.
fn metadata_requests(c: &mut ClientDriver, until: SimTime, answer: &[(Option<u32>, u32)]) -> Vec<SimTime> {
    let mut at = Vec::new();
    let mut t = c.now();
    while t < until {
        t += ms(1);
        c.advance_to(t);
        c.run_sender();
        let out = c.take_outputs();
        if out.iter().any(|o| matches!(o, Output::MetadataRequest { .. })) {
            at.push(t);
            c.metadata_response(answer.to_vec());
        }
    }
    at
}

/// The producer, end to end: a partition without a leader asks for metadata; each answer
/// that still shows no new leader epoch is equivalent, so the refreshes space out
/// exponentially (about 100, 200, 400, 800, then 1000 ms), where a flat `retry.backoff.ms`
/// would ask every 100 ms (`Metadata.timeToAllowUpdate`, `ProducerMetadataTest
/// .testMetadataEquivalentResponsesBackoff`).
#[test]
fn a_leaderless_partition_is_polled_with_exponential_backoff() {
    let mut c = ClientDriver::new(&spec(), 0);
    c.connected(0);
    // Partition 0 has lost its leader, in the same epoch: no answer has news.
    let mut answer: Vec<(Option<u32>, u32)> = (0..6).map(|p| (Some(p % 3), 0)).collect();
    answer[0] = (None, 0);
    // A disconnect asks for an update (`DefaultMetadataUpdater.handleServerDisconnect`).
    c.connection_reset(0);
    let at = metadata_requests(&mut c, ms(4_000), &answer);
    assert!(at.len() >= 5, "{at:?}");
    let gaps: Vec<SimTime> = at.windows(2).map(|w| w[1] - w[0]).collect();
    // backoff(0) ~ 100 ms, then max(backoff(0), backoff(n - 1)) after n equivalent answers.
    for (i, lo, hi) in [(0, 80, 121), (1, 160, 241), (2, 320, 481), (3, 640, 961)] {
        assert!(
            gaps[i] >= ms(lo) && gaps[i] <= ms(hi),
            "gap {i}: {} ms ({at:?})",
            gaps[i] / ms(1)
        );
    }
}

/// `Metadata.timeToNextUpdate` with `metadata.max.age.ms`: without any error the producer
/// still refreshes its metadata when it is older than the maximum age, and then every
/// maximum age.
#[test]
fn metadata_is_refreshed_at_its_maximum_age() {
    let mut s = spec();
    s.producer.metadata_max_age_ms = 1_000;
    let mut c = ClientDriver::new(&s, 0);
    c.connected(0);
    let answer: Vec<(Option<u32>, u32)> = (0..6).map(|p| (Some(p % 3), 0)).collect();
    assert!(!c.metadata_in_flight());
    let at = metadata_requests(&mut c, ms(2_500), &answer);
    assert_eq!(at, vec![ms(1_000), ms(2_000)]);
    // The default (300 s) asks nothing in that time.
    let mut c = ClientDriver::new(&spec(), 0);
    c.connected(0);
    assert!(metadata_requests(&mut c, ms(2_500), &answer).is_empty());
}
