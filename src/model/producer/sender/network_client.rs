//! The producer's `NetworkClient`: one connection per broker (connect, refused or unanswered
//! SYNs after `socket.connection.setup.timeout.ms`, `reconnect.backoff.ms` with jitter),
//! `request.timeout.ms` disconnects that fail the requests in flight, socket-buffer flow control
//! for acks=0, and connection resets.

use super::*;
use crate::model::network::Connect;
use crate::model::observe::Observation;
use crate::model::{ErrorCode, Event, World};
use crate::sim::ms;

impl World {
    pub(in crate::model) fn take_request(&mut self, node: u32, request: u64) -> Option<InFlightRequest> {
        let q = &mut self.sender.in_flight[node as usize];
        let pos = q.iter().position(|r| r.id == request)?;
        q.remove(pos)
    }

    pub(in crate::model) fn acks_zero_written(&mut self, node: u32, request: u64) {
        if let Some(req) = self.take_request(node, request) {
            for b in req.batches {
                self.complete_batch(b, ErrorCode::None);
            }
            self.sender_schedule(self.now);
        }
    }

    /// The broker read `bytes` from the connection: the socket buffers have room again, and
    /// blocked acks=0 writes complete once the window update reaches the producer.
    pub(in crate::model) fn producer_socket_drained(&mut self, node: u32, gen: u64, bytes: u64) {
        let c = &mut self.sender.conns[node as usize];
        if c.gen != gen {
            return;
        }
        c.buffered = c.buffered.saturating_sub(bytes);
        let mut done = Vec::new();
        while let Some(&(id, b)) = c.blocked_writes.front() {
            if c.buffered > 0 && c.buffered + b > SOCKET_BUFFER_BYTES {
                break;
            }
            c.buffered += b;
            c.blocked_writes.pop_front();
            done.push(id);
        }
        if !done.is_empty() {
            let at = self
                .net
                .signal(self.now, World::broker_node(node), self.producer_node());
            for id in done {
                self.schedule(at, Event::AcksZeroWritten { node, request: id });
            }
        }
    }

    pub(in crate::model) fn request_timeout(&mut self, node: u32) {
        if !self.sender.request_timers[node as usize].fire(self.now) {
            return;
        }
        // Requests on a connection are in send order: the oldest has the earliest deadline.
        let Some(deadline) = self.sender.in_flight[node as usize].front().map(|r| r.deadline) else {
            return;
        };
        if deadline <= self.now {
            // NetworkClient.handleTimedOutRequests: close the connection; every in-flight
            // request on it fails.
            self.disconnect(node, ErrorCode::RequestTimedOut);
        } else if self.sender.request_timers[node as usize].arm(deadline) {
            self.schedule(deadline, Event::RequestTimeout { node });
        }
    }

    pub(in crate::model) fn connection_reset(&mut self, node: u32, gen: u64) {
        if self.sender.conns[node as usize].gen == gen
            && !matches!(self.sender.conns[node as usize].state, ConnState::Disconnected { .. })
        {
            self.disconnect(node, ErrorCode::NetworkException);
        }
    }

    /// Close the connection to `node`: all in-flight requests fail (retriable), metadata refresh.
    pub(in crate::model) fn disconnect(&mut self, node: u32, error: ErrorCode) {
        let failures = self.sender.conns[node as usize].failures;
        let backoff = self.sender.reconnect_backoff(&self.spec, failures);
        let c = &mut self.sender.conns[node as usize];
        c.gen += 1;
        let gen = c.gen;
        c.state = ConnState::Disconnected {
            ready_at: self.now + backoff,
        };
        c.buffered = 0;
        c.blocked_writes.clear();
        let p = self.producer_node();
        self.net.set_connection_gen(p, World::broker_node(node), gen);
        let reqs: Vec<InFlightRequest> = self.sender.in_flight[node as usize].drain(..).collect();
        for r in reqs {
            for b in r.batches {
                if self.tracing() {
                    let x = &self.acc.batches[b as usize];
                    let (partition, rec_start, count) = (x.partition, x.rec_start, x.count);
                    self.observe(Observation::RequestFailed {
                        partition,
                        rec_start,
                        count,
                        node,
                        request: r.id,
                        error,
                    });
                }
                self.complete_batch(b, error);
            }
        }
        self.sender.metadata_needed = true;
        self.sender_schedule(self.now);
    }

    pub(in crate::model) fn initiate_connect(&mut self, node: u32) {
        let c = &mut self.sender.conns[node as usize];
        c.state = ConnState::Connecting;
        let gen = c.gen;
        let p = self.producer_node();
        let b = World::broker_node(node);
        let rtt = self.net.rtt(p, b);
        // The network's own view of the peer, never the broker's state.
        let (at, ok) = match self.net.connect(p, b) {
            // SYNs unanswered: socket.connection.setup.timeout.ms
            Connect::Unanswered => (
                self.now + ms(self.spec.producer.socket_connection_setup_timeout_ms),
                false,
            ),
            Connect::Refused => (self.now + rtt, false), // connection refused (RST)
            Connect::Accepted => (self.now + rtt, true),
        };
        self.schedule(at, Event::ConnectDone { node, gen, ok });
    }

    pub(in crate::model) fn connect_done(&mut self, node: u32, gen: u64, ok: bool) {
        if self.sender.conns[node as usize].gen != gen {
            return;
        }
        if ok {
            let c = &mut self.sender.conns[node as usize];
            c.state = ConnState::Connected;
            c.failures = 0;
        } else {
            let failures = self.sender.conns[node as usize].failures;
            let backoff = self.sender.reconnect_backoff(&self.spec, failures);
            let c = &mut self.sender.conns[node as usize];
            c.failures += 1;
            c.gen += 1;
            let gen = c.gen;
            c.state = ConnState::Disconnected {
                ready_at: self.now + backoff,
            };
            let p = self.producer_node();
            self.net.set_connection_gen(p, World::broker_node(node), gen);
            self.sender.metadata_needed = true;
        }
        self.sender_schedule(self.now);
    }
}
