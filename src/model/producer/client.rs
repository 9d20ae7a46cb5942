//! One producer client: Kafka's `KafkaProducer` (its `RecordAccumulator`, its `Sender` with the
//! `NetworkClient` and the `TransactionManager`) together with the application threads that
//! call `send()` and the application's view of the outcomes (the [`Ledger`]).
//!
//! Its handlers (`impl Client` in `model/app.rs` and `producer/sender/`) take `&mut self` and a
//! [`Ctx`]: the client never touches the network, a broker or the queue itself; its sends,
//! connects, window updates and connection generations are commands of its outbox, which
//! `World::with_client` applies in order.

use super::accumulator::Accumulator;
use super::sender::Sender;
use crate::config::RunSpec;
use crate::model::app::App;
use crate::model::context::Ctx;
use crate::model::ledger::Ledger;
use crate::sim::{rng_stream, Stream};

/// A producer client and the application threads that use it.
///
/// Laid out in declaration order (`repr(C)`): a run of open-loop arrivals reads the first
/// lines of the application, accumulator and sender (each of which puts what the run reads
/// first), its session (`incarnation`) and the ledger's `sent`, which share a line
/// (`a_runs_session_and_sent_counts_share_a_line`).
#[repr(C)]
pub(crate) struct Client {
    /// The application threads calling `send()`.
    pub(crate) app: App,
    /// `RecordAccumulator` (with the `BufferPool` and the partitioner's sticky state).
    pub(crate) acc: Accumulator,
    /// The I/O thread: `Sender`, `NetworkClient`, `TransactionManager`, metadata.
    pub(crate) sender: Sender,
    /// Its network node.
    pub(crate) node: usize,
    /// Its process's session: 0 for the first, one more after each `producer-crash`
    /// (events of an older session are ignored).
    pub(crate) incarnation: u32,
    /// Its process runs (false between a `producer-crash` and the restart).
    pub(crate) alive: bool,
    /// What the application was told, per record range.
    pub(crate) ledger: Ledger,
}

/// Added to a client's producer id at each restart: more than any run's number of producers,
/// so that no two sessions of any clients share an id (`InitProducerId` never reuses one).
pub(crate) const PRODUCER_ID_STRIDE: u64 = 1000;

impl Client {
    /// Client number `index` of `spec` (the run as it sees it) at network node `node`, on its
    /// own seeded random streams (the first client's are the run's), with producer id
    /// `1000 + index` (each `KafkaProducer` gets its own from `InitProducerId`).
    pub(crate) fn new(spec: &RunSpec, node: usize, index: u32) -> Client {
        let seed = spec.seed ^ (index as u64) << 48;
        let mut sender = Sender::new(spec, rng_stream(seed, Stream::Sender));
        sender.tm.producer_id += index as u64;
        Client {
            node,
            app: App::new(spec, rng_stream(seed, Stream::App)),
            acc: Accumulator::new(spec, rng_stream(seed, Stream::Partitioner)),
            sender,
            ledger: Ledger::new(spec),
            incarnation: 0,
            alive: true,
        }
    }

    /// The process died (`producer-crash`): the client that replaces it, dormant until the
    /// restart. A new `KafkaProducer`: a new producer id, fresh accumulator and buffer pool,
    /// no connections or metadata, sequences from 0, on random streams of its own. The
    /// application is the same: its ledger (what it was told, the identities it numbered) and
    /// the run's counters go on. Records without an outcome are left to the caller
    /// ([`Ledger::orphan_unresolved`]).
    pub(crate) fn successor(&mut self, spec: &RunSpec, index: u32) -> Client {
        let incarnation = self.incarnation + 1;
        let seed = spec.seed ^ (index as u64) << 48 ^ (incarnation as u64) << 32;
        let mut sender = Sender::new(spec, rng_stream(seed, Stream::Sender));
        sender.tm.producer_id = self.sender.tm.producer_id + PRODUCER_ID_STRIDE;
        sender.succeed(&self.sender);
        let mut acc = Accumulator::new(spec, rng_stream(seed, Stream::Partitioner));
        acc.batches_created = self.acc.batches_created;
        acc.records_batched = self.acc.records_batched;
        acc.bytes_batched = self.acc.bytes_batched;
        acc.compression_saved = self.acc.compression_saved;
        let mut app = App::new(spec, rng_stream(seed, Stream::App));
        app.blocked_ns = self.app.blocked_ns;
        app.stopped = true;
        Client {
            node: self.node,
            app,
            acc,
            sender,
            ledger: std::mem::replace(&mut self.ledger, Ledger::new(spec)),
            incarnation,
            alive: false,
        }
    }

    /// Nothing queued, in flight, or blocked in `send()`.
    pub(crate) fn is_idle(&self) -> bool {
        self.acc.is_empty() && self.app.is_idle()
    }

    /// Window end: the application stops sending.
    pub(crate) fn stop(&mut self) {
        self.app.stopped = true;
    }

    /// `flush()` / `close()`: every batch becomes ready; the sender looks now.
    pub(crate) fn flush(&mut self, ctx: &mut Ctx<'_>) {
        self.sender.flushing = true;
        self.sender_schedule(ctx.now, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See [`Client`]'s layout.
    #[test]
    fn a_runs_session_and_sent_counts_share_a_line() {
        use std::mem::{offset_of, size_of};
        let sent = offset_of!(Client, ledger) + offset_of!(Ledger, sent);
        let line = |at: usize| at / 64;
        assert_eq!(
            line(offset_of!(Client, incarnation)),
            line(sent + size_of::<Vec<u64>>() - 1)
        );
        assert_eq!(line(offset_of!(Client, alive)), line(sent));
    }
}
