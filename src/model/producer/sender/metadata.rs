//! Producer metadata (`Metadata`, `MetadataUpdater`): a refresh after an error that invalidates
//! it, and its timeout.

use super::*;
use crate::model::context::Ctx;
use crate::model::producer::client::Client;
use crate::model::{Event, Message, World};
use crate::sim::ms;

impl Client {
    /// A metadata request to the least loaded broker, unless one is in flight.
    pub(crate) fn request_metadata(&mut self, ctx: &mut Ctx<'_>) {
        self.sender.metadata_needed = false;
        if self.sender.metadata_in_flight.is_some() {
            return;
        }
        // NetworkClient.leastLoadedNode: prefer a connected node, else one not backing off.
        let n = ctx.spec.cluster.brokers as usize;
        let now = ctx.now;
        let pick = (0..n)
            .map(|i| (self.sender.metadata_rr + i) % n)
            .find(|&b| self.sender.conns[b].state == ConnState::Connected)
            .or_else(|| {
                (0..n).map(|i| (self.sender.metadata_rr + i) % n).find(
                    |&b| matches!(self.sender.conns[b].state, ConnState::Disconnected { ready_at } if ready_at <= now),
                )
            })
            .unwrap_or(self.sender.metadata_rr % n);
        self.sender.metadata_rr = pick + 1;
        let id = self.sender.next_id;
        self.sender.next_id += 1;
        self.sender.metadata_in_flight = Some(id);
        ctx.send(
            self.node,
            World::broker_node(pick as u32),
            0,
            Message::MetadataRequest { id },
        );
        let p = &ctx.spec.producer;
        let timeout = ms(p.request_timeout_ms.min(p.reconnect_backoff_max_ms.max(1_000)));
        ctx.schedule(ctx.now + timeout, Event::MetadataTimeout { id });
    }

    /// The metadata request `id` went unanswered: ask again.
    pub(crate) fn metadata_timeout(&mut self, id: u64, ctx: &mut Ctx<'_>) {
        if self.sender.metadata_in_flight == Some(id) {
            self.sender.metadata_in_flight = None;
            self.request_metadata(ctx);
        }
    }
}
