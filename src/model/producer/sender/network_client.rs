//! The producer's `NetworkClient`: one connection per broker (connect, refused or unanswered
//! SYNs after `socket.connection.setup.timeout.ms`, `reconnect.backoff.ms` with jitter),
//! `request.timeout.ms` disconnects that fail the requests in flight, socket-buffer flow control
//! for acks=0, and connection resets.

use super::*;
use crate::model::context::{Command, Ctx};
use crate::model::observe::Observation;
use crate::model::producer::client::Client;
use crate::model::{ErrorCode, Event, World};
use crate::sim::ms;

impl Client {
    /// Removes request `request` from the requests in flight to `node`.
    pub(crate) fn take_request(&mut self, node: u32, request: u64) -> Option<InFlightRequest> {
        let q = &mut self.sender.in_flight[node as usize];
        let pos = q.iter().position(|r| r.id == request)?;
        q.remove(pos)
    }

    /// An acks=0 request was written: its batches succeed.
    pub(crate) fn acks_zero_written(&mut self, node: u32, request: u64, ctx: &mut Ctx<'_>) {
        if let Some(req) = self.take_request(node, request) {
            for b in req.batches {
                self.complete_batch(b, ErrorCode::None, ctx);
            }
            self.sender_schedule(ctx.now, ctx);
        }
    }

    /// The broker read `bytes` from the connection: the socket buffers have room again, and
    /// blocked acks=0 writes complete once the window update reaches the producer.
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
            events.push(Event::AcksZeroWritten { node, request: id });
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

    /// Close the connection to `node`: all in-flight requests fail (retriable), metadata refresh.
    pub(crate) fn disconnect(&mut self, node: u32, error: ErrorCode, ctx: &mut Ctx<'_>) {
        let failures = self.sender.conns[node as usize].failures;
        let backoff = self.sender.reconnect_backoff(ctx.spec, failures);
        let c = &mut self.sender.conns[node as usize];
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
        self.sender.metadata_needed = true;
        self.sender_schedule(ctx.now, ctx);
    }

    /// Opens a connection to `node`; the network answers with `ConnectDone`.
    pub(crate) fn initiate_connect(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        let c = &mut self.sender.conns[node as usize];
        c.state = ConnState::Connecting;
        ctx.push(Command::Connect {
            from: self.node,
            to: World::broker_node(node),
            node,
            gen: c.gen,
            // SYNs unanswered: socket.connection.setup.timeout.ms
            setup_timeout: ms(ctx.spec.producer.socket_connection_setup_timeout_ms),
        });
    }

    /// The connection attempt `gen` to `node` succeeded or failed.
    pub(crate) fn connect_done(&mut self, node: u32, gen: u64, ok: bool, ctx: &mut Ctx<'_>) {
        if self.sender.conns[node as usize].gen != gen {
            return;
        }
        if ok {
            let c = &mut self.sender.conns[node as usize];
            c.state = ConnState::Connected;
            c.failures = 0;
        } else {
            let failures = self.sender.conns[node as usize].failures;
            let backoff = self.sender.reconnect_backoff(ctx.spec, failures);
            let c = &mut self.sender.conns[node as usize];
            c.failures += 1;
            c.gen += 1;
            let gen = c.gen;
            c.state = ConnState::Disconnected {
                ready_at: ctx.now + backoff,
            };
            ctx.push(Command::ConnectionGen {
                from: self.node,
                to: World::broker_node(node),
                gen,
            });
            self.sender.metadata_needed = true;
        }
        self.sender_schedule(ctx.now, ctx);
    }
}
