//! What a component's handler gets besides `&mut self`: the time, the configuration, an outbox
//! and the observer (after stateright's `Out` and simcore's `SimulationContext`). The handler
//! decides on its own state; sending and scheduling are commands that [`World`] applies, in
//! order, once the handler returns, so a component never touches another one, and can be driven
//! alone in a test by a bare `Ctx` and an inspection of its outbox.

use super::monitor::Monitor;
use super::network::{Connect, Network};
use super::observe::{observe, Observation};
use super::tracer::Tracer;
use super::{Event, Message, World};
use crate::config::RunSpec;
use crate::sim::SimTime;

/// A command of a handler's outbox.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send `msg` from node `from` to node `to` on connection generation `gen`, leaving at `at`
    /// (later than now for a delayed send, e.g. metadata propagation).
    Send {
        at: SimTime,
        from: usize,
        to: usize,
        gen: u64,
        msg: Message,
    },
    /// Schedule `event` at `at`.
    Schedule { at: SimTime, event: Event },
    /// Send `msg` now, and schedule `then` when its last byte has left the sender's NIC (an
    /// acks=0 request completes when written: `NetworkClient.handleCompletedSends`).
    Write {
        from: usize,
        to: usize,
        gen: u64,
        msg: Message,
        then: Event,
    },
    /// A packet without payload (a TCP window update) from `from` to `to`: `events` happen
    /// when it arrives.
    Signal { from: usize, to: usize, events: Vec<Event> },
    /// A TCP reset from `from`: `event` happens when it reaches `to`, if the path is up.
    Reset { from: usize, to: usize, event: Event },
    /// Open a connection from `from` to `to` (node `node` of the client, generation `gen`):
    /// the network answers from its own view of the peer with `ConnectDone`, after a round
    /// trip, or after `setup_timeout` when the SYNs go unanswered.
    Connect {
        from: usize,
        to: usize,
        node: u32,
        gen: u64,
        setup_timeout: SimTime,
    },
    /// The client at `from` closed its connection to `to`: the network's generation of it.
    ConnectionGen { from: usize, to: usize, gen: u64 },
    /// The broker at `reader` read `bytes` of connection `gen` from the client at `writer`:
    /// the client's socket buffer has room again (TCP flow control).
    WindowOpened {
        reader: usize,
        writer: usize,
        gen: u64,
        bytes: u64,
    },
}

/// A handler's narrow view of the world.
pub(crate) struct Ctx<'a> {
    /// The current simulated time.
    pub(crate) now: SimTime,
    /// The run's configuration.
    pub(crate) spec: &'a RunSpec,
    out: &'a mut Vec<Command>,
    monitor: &'a mut Monitor,
    tracer: &'a mut Option<Tracer>,
    /// A read-only view of the network, for handlers that ask it something (does a peer
    /// accept connections, what is the round trip); changes to it are commands.
    net: Option<&'a Network>,
}

impl<'a> Ctx<'a> {
    /// A context at `now` whose commands go to `out`.
    pub(crate) fn new(
        now: SimTime,
        spec: &'a RunSpec,
        out: &'a mut Vec<Command>,
        monitor: &'a mut Monitor,
        tracer: &'a mut Option<Tracer>,
    ) -> Ctx<'a> {
        Ctx {
            now,
            spec,
            out,
            monitor,
            tracer,
            net: None,
        }
    }

    /// The same context, with a read-only view of the network.
    pub(crate) fn with_net(mut self, net: &'a Network) -> Ctx<'a> {
        self.net = Some(net);
        self
    }

    /// The network, as it answers a handler's questions (set by [`Ctx::with_net`]).
    pub(crate) fn net(&self) -> &Network {
        self.net.expect("this handler's context has no view of the network")
    }

    /// Sends `msg` now.
    pub(crate) fn send(&mut self, from: usize, to: usize, gen: u64, msg: Message) {
        let at = self.now;
        self.send_at(at, from, to, gen, msg);
    }

    /// Sends `msg` at `at` (not before now).
    pub(crate) fn send_at(&mut self, at: SimTime, from: usize, to: usize, gen: u64, msg: Message) {
        debug_assert!(at >= self.now);
        self.out.push(Command::Send { at, from, to, gen, msg });
    }

    /// Schedules `event` at `at`.
    pub(crate) fn schedule(&mut self, at: SimTime, event: Event) {
        self.out.push(Command::Schedule { at, event });
    }

    /// Sends `msg` now and schedules `then` once it is written (see [`Command::Write`]).
    pub(crate) fn write(&mut self, from: usize, to: usize, gen: u64, msg: Message, then: Event) {
        self.out.push(Command::Write {
            from,
            to,
            gen,
            msg,
            then,
        });
    }

    /// Queues any other command.
    pub(crate) fn push(&mut self, c: Command) {
        self.out.push(c);
    }

    /// Whether a record tracer listens (facts only it reads are built only then).
    #[inline]
    pub(crate) fn tracing(&self) -> bool {
        self.tracer.is_some()
    }

    /// Reports a fact to the monitor and the tracer.
    pub(crate) fn observe(&mut self, o: Observation<'_>) {
        observe(self.monitor, self.tracer, self.now, o);
    }
}

impl World {
    /// Applies a handler's outbox, in order: the queue sees exactly the pushes the handler
    /// would have made itself.
    pub(crate) fn apply(&mut self, out: &mut Vec<Command>) {
        for c in out.drain(..) {
            match c {
                Command::Send { at, from, to, gen, msg } => {
                    self.send_message_at(at, from, to, gen, msg);
                }
                Command::Schedule { at, event } => self.schedule_for(self.owner, at, event),
                Command::Write {
                    from,
                    to,
                    gen,
                    msg,
                    then,
                } => {
                    let written = self.send_message(from, to, gen, msg);
                    let c = self.client_at(from).map_or(0, |c| self.client_owner(c));
                    self.schedule_for(c, written, then);
                }
                Command::Signal { from, to, events } => {
                    let at = self.net.signal(self.now, from, to);
                    let c = self
                        .client_at(to)
                        .or(self.client_at(from))
                        .map_or(0, |c| self.client_owner(c));
                    for e in events {
                        self.schedule_for(c, at, e);
                    }
                }
                Command::Reset { from, to, event } => {
                    if self.net.reachable(from, to) {
                        let at = self.net.signal(self.now, from, to);
                        let c = self.client_at(to).map_or(0, |c| self.client_owner(c));
                        self.schedule_for(c, at, event);
                    }
                }
                Command::Connect {
                    from,
                    to,
                    node,
                    gen,
                    setup_timeout,
                } => {
                    let rtt = self.net.rtt(from, to);
                    // The network's own view of the peer, never the broker's state.
                    let (at, ok) = match self.net.connect(from, to) {
                        Connect::Unanswered => (self.now + setup_timeout, false),
                        Connect::Refused => (self.now + rtt, false), // connection refused (RST)
                        Connect::Accepted => (self.now + rtt, true),
                    };
                    let c = self.client_at(from).map_or(0, |c| self.client_owner(c));
                    self.schedule_for(c, at, Event::ConnectDone { node, gen, ok });
                }
                Command::ConnectionGen { from, to, gen } => self.net.set_connection_gen(from, to, gen),
                Command::WindowOpened {
                    reader,
                    writer,
                    gen,
                    bytes,
                } => self.window_opened(reader, writer, gen, bytes),
            }
        }
    }
}
