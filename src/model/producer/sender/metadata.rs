//! Producer metadata (`Metadata`, `MetadataUpdater`): a refresh after an error that invalidates
//! it, and its timeout.

use super::*;
use crate::model::{Event, Message, World};
use crate::sim::ms;

impl World {
    pub(in crate::model) fn request_metadata(&mut self) {
        self.sender.metadata_needed = false;
        if self.sender.metadata_in_flight.is_some() {
            return;
        }
        // NetworkClient.leastLoadedNode: prefer a connected node, else one not backing off.
        let n = self.brokers.len();
        let now = self.now;
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
        let from = self.producer_node();
        self.send_message(
            from,
            World::broker_node(pick as u32),
            0,
            Message::MetadataRequest { id },
        );
        let timeout = ms(self
            .spec
            .producer
            .request_timeout_ms
            .min(self.spec.producer.reconnect_backoff_max_ms.max(1_000)));
        self.schedule(self.now + timeout, Event::MetadataTimeout { id });
    }

    pub(in crate::model) fn metadata_timeout(&mut self, id: u64) {
        if self.sender.metadata_in_flight == Some(id) {
            self.sender.metadata_in_flight = None;
            self.request_metadata();
        }
    }
}
