//! `NetworkClientTest`, `ClusterConnectionStatesTest` and `InFlightRequestsTest`
//! (clients/src/test/java/org/apache/kafka/clients): the producer's connections (the
//! `ApiVersions` round trip before a node is ready, the reconnect backoff, the exponential
//! connection-setup timeout) and `InFlightRequests.canSendMore`, on a [`ClientDriver`].

use crate::common::{produces, spec};
use prodsim::config::Acks;
use prodsim::model::components::{ms, ClientDriver, Output, SimTime};

/// The setup timeouts of the connects among `outputs`.
fn connects(outputs: &[Output]) -> Vec<SimTime> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Connect { setup_timeout, .. } => Some(*setup_timeout),
            _ => None,
        })
        .collect()
}

/// `NetworkClientTest.testApiVersionsRequest`: once connected the client sends an
/// `ApiVersionsRequest`, which is in flight; the node is ready only when it is answered, and
/// the request is gone then.
#[test]
fn a_node_is_ready_after_its_api_versions_response() {
    let mut c = ClientDriver::new(&spec(), 0);
    c.fill_batch(0);
    c.run_sender();
    assert_eq!(connects(&c.take_outputs()).len(), 1);
    c.connect_done(0, true);
    let out = c.take_outputs();
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::ApiVersionsRequest { to: 0, gen: 1 })),
        "{out:?}"
    );
    assert_eq!(c.in_flight(0), 1, "the ApiVersionsRequest is in flight");
    assert!(!c.is_ready(0));
    assert!(!c.run_sender());
    assert!(produces(&c.take_outputs()).is_empty());
    c.api_versions_response(0);
    assert_eq!(c.in_flight(0), 0);
    assert!(c.is_ready(0));
    assert!(c.run_sender());
}

/// `NetworkClientTest.testServerDisconnectAfterInternalApiVersionRequest`: a connection lost
/// while its `ApiVersionsRequest` is in flight counts as a failed attempt: the reconnect
/// backoff grows exponentially (`reconnect.backoff.ms` 50, doubling, jitter 0.2), the
/// request is gone and nothing reaches the application.
#[test]
fn a_disconnect_while_checking_api_versions_grows_the_reconnect_backoff() {
    let mut c = ClientDriver::new(&spec(), 0);
    c.fill_batch(0);
    for i in 0..5u32 {
        c.run_sender();
        assert_eq!(connects(&c.take_outputs()).len(), 1, "attempt {i}");
        c.connect_done(0, true);
        assert_eq!(c.in_flight(0), 1);
        c.connection_reset(0);
        assert_eq!(c.in_flight(0), 0);
        let expected = 50.0 * 2f64.powi(i as i32).min(1_000.0 / 50.0);
        let delay = c.connection_delay(0) as f64 / ms(1) as f64;
        assert!(
            (delay - expected).abs() <= 0.2 * expected + 1.0,
            "attempt {i}: {delay} ms, expected {expected} ms"
        );
        let t = c.now() + c.connection_delay(0);
        c.advance_to(t);
    }
    assert_eq!(c.outcome(0, 0), None, "the application is not told");
}

/// `ClusterConnectionStatesTest.testExponentialConnectionSetupTimeout`: each connect that fails
/// while connecting doubles the setup timeout (10 s, 20 s, then capped at 30 s, jitter 0.2);
/// a node that became ready resets it, and a later disconnect of a ready connection does not
/// grow it.
#[test]
fn the_connection_setup_timeout_grows_with_failed_connects() {
    let mut c = ClientDriver::new(&spec(), 0);
    c.fill_batch(0);
    let mut timeouts = Vec::new();
    for _ in 0..4 {
        c.run_sender();
        let t = connects(&c.take_outputs());
        assert_eq!(t.len(), 1);
        timeouts.push(t[0]);
        c.connect_done(0, false);
        let t = c.now() + c.connection_delay(0);
        c.advance_to(t);
    }
    let within = |t: SimTime, v: u64| t >= ms(v * 8 / 10) && t <= ms(v * 12 / 10);
    assert!(within(timeouts[0], 10_000), "{timeouts:?}");
    assert!(within(timeouts[1], 20_000), "{timeouts:?}");
    assert!(timeouts[2] >= ms(24_000) && timeouts[2] <= ms(30_000), "{timeouts:?}");
    assert!(timeouts[3] >= ms(24_000) && timeouts[3] <= ms(30_000), "{timeouts:?}");
    // Ready resets it; a disconnect from ready leaves it at its initial value.
    c.run_sender();
    assert_eq!(connects(&c.take_outputs()).len(), 1);
    c.connect_done(0, true);
    c.api_versions_response(0);
    assert!(c.is_ready(0));
    c.connection_reset(0);
    let t = c.now() + c.connection_delay(0);
    c.advance_to(t);
    c.run_sender();
    let t = connects(&c.take_outputs());
    assert!(within(t[0], 10_000), "{t:?}");
}

/// `InFlightRequests.canSendMore` (the rule `NetworkClient.canSendRequest` checks;
/// `InFlightRequestsTest.testCompleteLastSent` drives the same queue): a second request to a
/// node waits until the last one sent is fully written (`NetworkSend.completed()`), under
/// `max.in.flight.requests.per.connection`. A request with room in the socket buffers is
/// written at once (its bytes are in the kernel's buffer), so with acks=1 / all the next one
/// may follow at once; an acks=0 request, which completes when written, is taken as written
/// when it has left the NIC, and holds the next one until then.
#[test]
fn the_next_request_waits_for_the_last_one_to_be_written() {
    for acks in [Acks::All, Acks::One, Acks::Zero] {
        let mut s = spec();
        s.producer.acks = acks;
        s.producer.enable_idempotence = Some(acks == Acks::All);
        let mut c = ClientDriver::new(&s, 0);
        c.connected(0);
        c.slow_socket();
        c.fill_batch(0);
        c.send(1);
        c.flush();
        assert!(c.run_sender());
        let first = produces(&c.take_outputs()).len();
        if acks == Acks::Zero {
            assert_eq!(first, 1, "{acks:?}");
            assert!(!c.run_sender(), "{acks:?}: the first request is still being written");
            assert!(produces(&c.take_outputs()).is_empty());
            c.advance_to(c.now());
            assert!(
                !produces(&c.take_outputs()).is_empty() || c.run_sender(),
                "{acks:?}: written, the next request goes"
            );
        } else {
            // Written into the socket buffer at once: the second batch's request follows in
            // the same sender loop.
            let mut total = first;
            while c.run_sender() {
                total += produces(&c.take_outputs()).len();
            }
            assert_eq!(total, 2, "{acks:?}: both batches' requests leave without time passing");
        }
    }
}
