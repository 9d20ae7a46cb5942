//! Producer metadata: Kafka's `Metadata` / `ProducerMetadata` bookkeeping of when to refresh
//! (the refresh backoff, exponential in failed attempts and in consecutive *equivalent*
//! responses, and `metadata.max.age.ms`), and `NetworkClient.DefaultMetadataUpdater`: the
//! request to the least loaded broker and its timeout.

use super::*;
use crate::model::context::Ctx;
use crate::model::producer::client::Client;
use crate::model::{Event, Message, World};
use crate::sim::ms;

/// When the producer refreshes its metadata: `org.apache.kafka.clients.Metadata`'s
/// `lastRefreshMs`, `lastSuccessfulRefreshMs`, `attempts`, `needFullUpdate` and
/// `equivalentResponseCount`, with its `refreshBackoff = ExponentialBackoff(retry.backoff.ms,
/// 2, retry.backoff.max.ms, 0.2)`.
///
/// Kafka draws the backoff's jitter at every `timeToAllowUpdate` call (every poll); a
/// simulation decides once, so the two backoff terms are drawn when the state they depend on
/// changes (a response, a failed attempt) and kept as deadlines.
#[derive(Clone, Debug)]
pub struct Metadata {
    backoff_ms: u64,
    backoff_max_ms: u64,
    max_age: SimTime,
    last_refresh: SimTime,
    last_successful_refresh: SimTime,
    attempts: u32,
    equivalent_responses: u32,
    need_update: bool,
    /// `lastRefreshMs + refreshBackoff.backoff(max(attempts - 1, 0))`.
    attempts_until: SimTime,
    /// `lastRefreshMs + refreshBackoff.backoff(equivalentResponseCount - 1)` (or
    /// `lastRefreshMs` with no equivalent response).
    equivalent_until: SimTime,
}

impl Metadata {
    /// Metadata as after the producer's first fetch at time 0 (which found every partition's
    /// epoch new: no equivalent response yet), with `retry.backoff.ms`,
    /// `retry.backoff.max.ms` and `metadata.max.age.ms`. The first refresh may go at once.
    pub fn new(backoff_ms: u64, backoff_max_ms: u64, max_age_ms: u64) -> Metadata {
        Metadata {
            backoff_ms,
            backoff_max_ms,
            max_age: ms(max_age_ms),
            last_refresh: 0,
            last_successful_refresh: 0,
            attempts: 0,
            equivalent_responses: 0,
            need_update: false,
            attempts_until: 0,
            equivalent_until: 0,
        }
    }

    fn backoff(&self, rng: &mut ChaCha8Rng, attempts: u32) -> SimTime {
        exponential_backoff(rng, self.backoff_ms, self.backoff_max_ms, attempts)
    }

    /// `Metadata.requestUpdate(false)`: every request of the producer's (an unknown leader,
    /// an invalid-metadata error, a disconnect) keeps the equivalent-response backoff.
    pub fn request_update(&mut self) {
        self.need_update = true;
    }

    /// `Metadata.updateRequested`.
    pub fn update_requested(&self) -> bool {
        self.need_update
    }

    /// `Metadata.update` with a full response at `now`: `progressed` when it told the client
    /// something new (`updateLatestMetadata` saw a partition's leader epoch go up, which resets
    /// `equivalentResponseCount`); otherwise the response is equivalent and the count grows.
    pub fn update(&mut self, now: SimTime, progressed: bool, rng: &mut ChaCha8Rng) {
        self.last_refresh = now;
        self.attempts = 0;
        self.need_update = false;
        self.last_successful_refresh = now;
        self.equivalent_responses = if progressed { 0 } else { self.equivalent_responses + 1 };
        self.attempts_until = now + self.backoff(rng, 0);
        self.equivalent_until = match self.equivalent_responses {
            0 => now,
            n => now + self.backoff(rng, n - 1),
        };
    }

    /// `Metadata.failedUpdate`: a request that failed (timed out, or its connection closed).
    pub fn failed_update(&mut self, now: SimTime, rng: &mut ChaCha8Rng) {
        self.last_refresh = now;
        self.attempts += 1;
        self.equivalent_responses = 0;
        self.attempts_until = now + self.backoff(rng, self.attempts - 1);
        self.equivalent_until = now;
    }

    /// `Metadata.timeToNextUpdate`: 0 when a refresh is due now. An update requested waits
    /// only for the backoff; otherwise the metadata expires `metadata.max.age.ms` after the
    /// last successful refresh, and expiry forgets the equivalent responses (`timeToAllowUpdate`).
    pub fn time_to_next_update(&mut self, now: SimTime) -> SimTime {
        let expires = self.last_successful_refresh.saturating_add(self.max_age);
        let to_expire = if self.need_update {
            0
        } else {
            expires.saturating_sub(now)
        };
        if expires <= now {
            self.equivalent_responses = 0;
            self.equivalent_until = self.last_refresh;
        }
        let allow = self.attempts_until.max(self.equivalent_until).saturating_sub(now);
        to_expire.max(allow)
    }

    /// Consecutive equivalent responses (`equivalentResponseCount`).
    pub fn equivalent_responses(&self) -> u32 {
        self.equivalent_responses
    }
}

impl Client {
    /// `DefaultMetadataUpdater.maybeUpdate` at the end of a sender pass: a metadata request
    /// when one is due and none is in flight, else a wake-up when the next one is due.
    pub(crate) fn maybe_update_metadata(&mut self, next_wake: &mut SimTime, ctx: &mut Ctx<'_>) {
        if self.sender.metadata_in_flight.is_some() {
            return; // its response or its timeout runs the next pass
        }
        let wait = self.sender.metadata.time_to_next_update(ctx.now);
        if wait == 0 {
            self.request_metadata(ctx);
        } else {
            *next_wake = (*next_wake).min(ctx.now + wait);
        }
    }

    /// The metadata refresh timer fired: the sender's poll wakes up.
    pub(crate) fn metadata_due(&mut self, ctx: &mut Ctx<'_>) {
        if self.sender.metadata_timer.fire(ctx.now) {
            self.sender_schedule(ctx.now, ctx);
        }
    }

    /// `DefaultMetadataUpdater.handleServerDisconnect`: a disconnect while an update is due
    /// counts as a failed update (so the next one backs off), and asks for an update.
    pub(crate) fn metadata_server_disconnect(&mut self, ctx: &mut Ctx<'_>) {
        let s = &mut self.sender;
        if s.metadata_in_flight.is_none() && s.metadata.time_to_next_update(ctx.now) == 0 {
            s.metadata.failed_update(ctx.now, &mut s.rng);
        }
        s.metadata.request_update();
    }

    /// A metadata request to the least loaded broker.
    fn request_metadata(&mut self, ctx: &mut Ctx<'_>) {
        // NetworkClient.leastLoadedNode: prefer a ready node, else one not backing off.
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

    /// The metadata request `id` went unanswered (`DefaultMetadataUpdater.handleFailedRequest`:
    /// `Metadata.failedUpdate`); the next pass asks again after the backoff.
    pub(crate) fn metadata_timeout(&mut self, id: u64, ctx: &mut Ctx<'_>) {
        if self.sender.metadata_in_flight == Some(id) {
            self.sender.metadata_in_flight = None;
            let s = &mut self.sender;
            s.metadata.failed_update(ctx.now, &mut s.rng);
            self.sender_schedule(ctx.now, ctx);
        }
    }

    /// `DefaultMetadataUpdater.handleSuccessfulResponse` -> `Metadata.update`: the leaders
    /// (epochs not older than known, KIP-320); the response made progress when a partition's
    /// leader epoch went up (`updateLatestMetadata`). A partition still without a leader asks
    /// for another update (its `LEADER_NOT_AVAILABLE` is an `InvalidMetadataException`), which
    /// waits for the backoff.
    pub(crate) fn metadata_response(&mut self, id: u64, partitions: Vec<(Option<u32>, u32)>, ctx: &mut Ctx<'_>) {
        if self.sender.metadata_in_flight != Some(id) {
            return;
        }
        self.sender.metadata_in_flight = None;
        let mut changed = false;
        let mut progressed = false;
        for (p, (leader, epoch)) in partitions.into_iter().enumerate() {
            progressed |= epoch > self.sender.leader_epochs[p];
            changed |= self.sender.update_leader(p, leader, epoch);
        }
        if changed {
            self.sender.rebuild_node_partitions();
        }
        let s = &mut self.sender;
        s.metadata.update(ctx.now, progressed, &mut s.rng);
        if s.leaders.iter().any(|l| l.is_none()) {
            s.metadata.request_update();
        }
        self.sender_schedule(ctx.now, ctx);
    }
}
