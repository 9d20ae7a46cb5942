//! The producer's `NetworkClient` and `ClusterConnectionStates`: one connection per broker
//! (connect, refused or unanswered SYNs after the connection-setup timeout, exponential in the
//! failed connects; one `ApiVersions` round trip before the node is ready; the reconnect
//! backoff with jitter), `request.timeout.ms` disconnects that fail the requests in flight,
//! socket-buffer flow control and the written state of each request, and connection resets.

use super::*;
use crate::config::Acks;
use crate::model::context::{Command, Ctx};
use crate::model::observe::Observation;
use crate::model::producer::client::Client;
use crate::model::{ErrorCode, Event, Message, World};
use crate::sim::ms;

impl Client {
    /// Removes request `request` from the requests in flight to `node`.
    pub(crate) fn take_request(&mut self, node: u32, request: u64) -> Option<InFlightRequest> {
        let q = &mut self.sender.in_flight[node as usize];
        let pos = q.iter().position(|r| r.id == request)?;
        q.remove(pos)
    }

    /// Request `request` to `node` is fully written to the socket (`Selector.completedSends`):
    /// an acks=0 request completes and its batches succeed (`handleCompletedSends`); any other
    /// one may now be followed by the next (`InFlightRequests.canSendMore`).
    pub(crate) fn request_written(&mut self, node: u32, request: u64, ctx: &mut Ctx<'_>) {
        if ctx.spec.producer.acks == Acks::Zero {
            if let Some(req) = self.take_request(node, request) {
                for b in req.batches {
                    self.complete_batch(b, ErrorCode::None, ctx);
                }
                self.sender_schedule(ctx.now, ctx);
            }
            return;
        }
        let q = &mut self.sender.in_flight[node as usize];
        if let Some(r) = q.iter_mut().find(|r| r.id == request) {
            r.written = true;
            // Only a sender held back by this write needs waking (any other pass reads the
            // flag when it gets here).
            if self.sender.take_waiting_for_write(node as usize) {
                self.sender_schedule(ctx.now, ctx);
            }
        }
    }

    /// The broker read `bytes` from the connection: the socket buffers have room again, and
    /// blocked writes complete once the window update reaches the producer.
    pub(crate) fn socket_drained(&mut self, node: u32, gen: u64, bytes: u64, ctx: &mut Ctx<'_>) {
        let c = &mut self.sender.conns[node as usize];
        if c.gen != gen {
            return;
        }
        c.buffered = c.buffered.saturating_sub(bytes);
        let mut events = Vec::new();
        while let Some(&(id, b)) = c.blocked_writes.front() {
            if c.buffered > 0 && c.buffered + b > SOCKET_BUFFER_BYTES {
                break;
            }
            c.buffered += b;
            c.blocked_writes.pop_front();
            events.push(Event::RequestWritten { node, request: id });
        }
        if !events.is_empty() {
            ctx.push(Command::Signal {
                from: World::broker_node(node),
                to: self.node,
                events,
            });
        }
    }

    /// The request timer of `node` fired: `NetworkClient.handleTimedOutRequests`.
    pub(crate) fn request_timeout(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        if !self.sender.request_timers[node as usize].fire(ctx.now) {
            return;
        }
        // Requests on a connection are in send order: the oldest has the earliest deadline.
        let Some(deadline) = self.sender.in_flight[node as usize].front().map(|r| r.deadline) else {
            return;
        };
        if deadline <= ctx.now {
            // NetworkClient.handleTimedOutRequests: close the connection; every in-flight
            // request on it fails.
            self.disconnect(node, ErrorCode::RequestTimedOut, ctx);
        } else if self.sender.request_timers[node as usize].arm(deadline) {
            ctx.schedule(deadline, Event::RequestTimeout { node });
        }
    }

    /// A TCP reset of connection `gen` to `node` reached the client.
    pub(crate) fn connection_reset(&mut self, node: u32, gen: u64, ctx: &mut Ctx<'_>) {
        if self.sender.conns[node as usize].gen == gen
            && !matches!(self.sender.conns[node as usize].state, ConnState::Disconnected { .. })
        {
            self.disconnect(node, ErrorCode::NetworkException, ctx);
        }
    }

    /// Close the connection to `node` (`NetworkClient.processDisconnection`): the node's
    /// state (`ClusterConnectionStates.disconnected`), every in-flight request fails
    /// (retriable), and the metadata updater hears of it.
    pub(crate) fn disconnect(&mut self, node: u32, error: ErrorCode, ctx: &mut Ctx<'_>) {
        self.connection_states_disconnected(node, ctx);
        let reqs: Vec<InFlightRequest> = self.sender.in_flight[node as usize].drain(..).collect();
        for r in reqs {
            for b in r.batches {
                if ctx.tracing() {
                    let x = &self.acc.batches[b as usize];
                    let (partition, rec_start, count) = (x.partition, x.rec_start, x.count);
                    ctx.observe(Observation::RequestFailed {
                        partition,
                        rec_start,
                        count,
                        node,
                        request: r.id,
                        error,
                    });
                }
                self.complete_batch(b, error, ctx);
            }
        }
        self.metadata_server_disconnect(ctx);
        self.sender_schedule(ctx.now, ctx);
    }

    /// `ClusterConnectionStates.disconnected`: the reconnect backoff grows with the failed
    /// attempts (reset only when a node is ready); a connect that failed while connecting
    /// also grows the setup timeout, any other disconnect resets it. The connection's
    /// generation ends.
    fn connection_states_disconnected(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        let spec = ctx.spec;
        let s = &mut self.sender;
        let c = &s.conns[node as usize];
        let (failures, connecting, connect_failures) =
            (c.failures, c.state == ConnState::Connecting, c.connect_failures);
        let backoff = s.reconnect_backoff(spec, failures);
        let connect_failures = if connecting { connect_failures + 1 } else { 0 };
        let setup_timeout = s.setup_timeout(spec, connect_failures);
        let c = &mut s.conns[node as usize];
        c.failures = failures + 1;
        c.connect_failures = connect_failures;
        c.setup_timeout = Some(setup_timeout);
        c.gen += 1;
        let gen = c.gen;
        c.state = ConnState::Disconnected {
            ready_at: ctx.now + backoff,
        };
        c.buffered = 0;
        c.blocked_writes.clear();
        ctx.push(Command::ConnectionGen {
            from: self.node,
            to: World::broker_node(node),
            gen,
        });
    }

    /// Opens a connection to `node` (`ClusterConnectionStates.connecting`); the network
    /// answers with `ConnectDone`, after the node's connection-setup timeout when the SYNs go
    /// unanswered (`NetworkClient.handleTimedOutConnections`).
    pub(crate) fn initiate_connect(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        let setup_timeout = match self.sender.conns[node as usize].setup_timeout {
            Some(t) => t,
            None => {
                // a new NodeConnectionState: connectionSetupTimeout.backoff(0)
                let t = self.sender.setup_timeout(ctx.spec, 0);
                self.sender.conns[node as usize].setup_timeout = Some(t);
                t
            }
        };
        let c = &mut self.sender.conns[node as usize];
        c.state = ConnState::Connecting;
        ctx.push(Command::Connect {
            from: self.node,
            to: World::broker_node(node),
            node,
            gen: c.gen,
            setup_timeout,
        });
    }

    /// The connection attempt `gen` to `node` succeeded or failed. Connected, the client
    /// sends an `ApiVersionsRequest` (`handleConnections`, `handleInitiateApiVersionRequests`:
    /// `ClusterConnectionStates.checkingApiVersions` resets the setup timeout); the node is
    /// ready when it is answered.
    pub(crate) fn connect_done(&mut self, node: u32, gen: u64, ok: bool, ctx: &mut Ctx<'_>) {
        if self.sender.conns[node as usize].gen != gen {
            return;
        }
        if ok {
            let t = self.sender.setup_timeout(ctx.spec, 0);
            let id = self.sender.next_id;
            self.sender.next_id += 1;
            let c = &mut self.sender.conns[node as usize];
            c.state = ConnState::CheckingApiVersions;
            c.connect_failures = 0;
            c.setup_timeout = Some(t);
            ctx.send(
                self.node,
                World::broker_node(node),
                gen,
                Message::ApiVersionsRequest { id },
            );
            // An in-flight request like any other: request.timeout.ms bounds it.
            let deadline = ctx.now + ms(ctx.spec.producer.request_timeout_ms);
            self.sender.in_flight[node as usize].push_back(InFlightRequest {
                id,
                batches: Vec::new(),
                deadline,
                written: true,
            });
            if self.sender.request_timers[node as usize].arm(deadline) {
                ctx.schedule(deadline, Event::RequestTimeout { node });
            }
        } else {
            self.connection_states_disconnected(node, ctx);
            self.metadata_server_disconnect(ctx);
        }
        self.sender_schedule(ctx.now, ctx);
    }

    /// The `ApiVersionsResponse` to request `id` from `node` on connection `gen`
    /// (`NetworkClient.handleApiVersionsResponse`): the node is ready
    /// (`ClusterConnectionStates.ready` resets the reconnect backoff and the setup timeout).
    pub(crate) fn api_versions_response(&mut self, node: u32, gen: u64, id: u64, ctx: &mut Ctx<'_>) {
        if self.sender.conns[node as usize].gen != gen
            || self.sender.conns[node as usize].state != ConnState::CheckingApiVersions
            || self.take_request(node, id).is_none()
        {
            return;
        }
        let t = self.sender.setup_timeout(ctx.spec, 0);
        let c = &mut self.sender.conns[node as usize];
        c.state = ConnState::Connected;
        c.failures = 0;
        c.connect_failures = 0;
        c.setup_timeout = Some(t);
        self.sender_schedule(ctx.now, ctx);
    }
}
