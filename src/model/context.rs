//! What a component's handler gets besides `&mut self`: the time, the configuration, an outbox
//! and the observer (after stateright's `Out` and simcore's `SimulationContext`). The handler
//! decides on its own state; sending and scheduling are commands that [`World`] applies, in
//! order, once the handler returns, so a component never touches another one, and can be driven
//! alone in a test by a bare `Ctx` and an inspection of its outbox.

use super::monitor::Monitor;
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
        }
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
                Command::Schedule { at, event } => self.schedule(at, event),
            }
        }
    }
}
