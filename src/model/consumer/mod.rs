//! A consumer group member (`KafkaConsumer`, classic group protocol): its assigned partitions
//! (`RangeAssignor`, the first of the default `partition.assignment.strategy`), the fetcher
//! (`AbstractFetch.prepareFetchRequests`: one fetch in flight per leader, for the partitions
//! with nothing buffered) and the application's poll loop (`poll()` returns at most
//! `max.poll.records`, then the application processes them).
//!
//! Simplifications, stated: the assignment is fixed for the run (no member joins, leaves or
//! crashes, so no rebalance and no offset commit matters); positions start at offset 0 (the
//! run starts with empty logs, so `auto.offset.reset` = latest is the log start); a consumer
//! learns leaders from any broker's metadata (it asks every broker and keeps the newest epoch
//! per partition); consumer connections are not modelled (a crashed leader's reset or the
//! request timeout fails the fetch in flight).

mod assignor;

pub(crate) use assignor::range_assign;

use super::context::Ctx;
use super::observe::Observation;
use super::{ConsumerFetchRequest, ErrorCode, Event, FetchPartition, FetchPartitionData, Message, PartitionState};
use crate::config::ConsumerConfig;
use crate::sim::{ms, ms_f, SimTime, Timer};
use std::collections::VecDeque;

/// Consumer `request.timeout.ms` (30 s, `ConsumerConfig`): a fetch unanswered this long
/// fails and the consumer asks for metadata again.
const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Consumer `retry.backoff.ms` (100 ms): the wait before asking for metadata again while a
/// partition has no known leader.
const RETRY_BACKOFF_MS: u64 = 100;

/// One assigned partition's fetch state (`SubscriptionState.TopicPartitionState`).
#[derive(Clone, Debug)]
struct Assigned {
    /// Cluster-wide partition.
    partition: u32,
    /// The next offset to fetch (`FetchPosition.offset`).
    position: u64,
    /// The epoch of the last record fetched (`FetchPosition.offsetEpoch`).
    last_epoch: Option<u32>,
    /// The leader and epoch as the consumer's metadata knows them.
    leader: Option<u32>,
    leader_epoch: u32,
    /// Fetched records of this partition not yet returned by poll() (none is fetched again
    /// until they are: `AbstractFetch.fetchablePartitions`).
    buffered: u64,
}

/// Fetched records waiting for poll(): one log entry's records of one partition.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    /// Index into `assigned`.
    slot: usize,
    rec_start: u64,
    count: u32,
    first_offset: u64,
}

/// One member of a consumer group.
pub(crate) struct ConsumerClient {
    /// Its index among the run's consumers.
    pub index: u32,
    /// Its network node.
    pub node: usize,
    /// Its group's index.
    pub group: u32,
    cfg: ConsumerConfig,
    assigned: Vec<Assigned>,
    /// Per broker: the fetch in flight to it (`nodesWithPendingFetchRequests`), and when it
    /// times out (`request.timeout.ms`; one lazy timer per broker, not one event per fetch).
    pending: Vec<Option<u64>>,
    deadline: Vec<SimTime>,
    timers: Vec<Timer>,
    next_id: u64,
    buffer: VecDeque<Chunk>,
    /// In poll(), waiting for records (nothing buffered).
    waiting: bool,
    /// A metadata refresh is scheduled.
    metadata_due: bool,
}

impl ConsumerClient {
    pub(crate) fn new(
        index: u32,
        node: usize,
        group: u32,
        cfg: ConsumerConfig,
        partitions: &[u32],
        brokers: usize,
    ) -> Self {
        ConsumerClient {
            index,
            node,
            group,
            cfg,
            assigned: partitions
                .iter()
                .map(|&p| Assigned {
                    partition: p,
                    position: 0,
                    last_epoch: None,
                    leader: None,
                    leader_epoch: 0,
                    buffered: 0,
                })
                .collect(),
            pending: vec![None; brokers],
            deadline: vec![SimTime::MAX; brokers],
            timers: vec![Timer::default(); brokers],
            next_id: 1,
            buffer: VecDeque::new(),
            waiting: false,
            metadata_due: false,
        }
    }

    /// Its partitions (cluster-wide) and positions.
    pub(crate) fn positions(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.assigned.iter().map(|a| (a.partition, a.position))
    }

    /// Nothing fetched is waiting for poll().
    pub(crate) fn drained(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Whether it has a fetch in flight to `broker`, and its id.
    pub(crate) fn pending_fetch(&self, broker: u32) -> Option<u64> {
        self.pending[broker as usize]
    }

    /// Starts with the cluster's metadata (as after its first metadata fetch) and calls poll().
    pub(crate) fn start(&mut self, snapshot: &[(u32, PartitionState)], ctx: &mut Ctx<'_>) {
        for a in &mut self.assigned {
            let st = &snapshot[a.partition as usize].1;
            a.leader = st.leader;
            a.leader_epoch = st.leader_epoch;
        }
        self.poll(ctx);
    }

    /// The application calls poll(): records buffered are returned at once (at most
    /// `max.poll.records`), and the fetches for the next round are sent before it returns
    /// (`ClassicKafkaConsumer.poll`: "before returning the fetched records, we can send off
    /// the next round of fetches and avoid block waiting for their responses to enable
    /// pipelining while the user is handling the fetched records");
    /// with nothing buffered it waits for the next fetch response.
    pub(crate) fn poll(&mut self, ctx: &mut Ctx<'_>) {
        loop {
            if self.buffer.is_empty() {
                self.send_fetches(ctx);
                self.waiting = true;
                return;
            }
            let n = self.take_records(ctx);
            self.send_fetches(ctx);
            let busy = n as f64 * self.cfg.processing_us_per_record / 1000.0;
            if busy > 0.0 {
                self.waiting = false;
                ctx.schedule(
                    ctx.now + ms_f(busy).max(1),
                    Event::ConsumerPoll { consumer: self.index },
                );
                return;
            }
        }
    }

    /// Returns up to `max.poll.records` buffered records to the application (`FetchCollector`).
    fn take_records(&mut self, ctx: &mut Ctx<'_>) -> u64 {
        let mut left = self.cfg.max_poll_records as u64;
        let mut taken = 0;
        while left > 0 {
            let Some(c) = self.buffer.front_mut() else { break };
            let n = (c.count as u64).min(left) as u32;
            let a = &mut self.assigned[c.slot];
            a.buffered -= n as u64;
            ctx.observe(Observation::Polled {
                consumer: self.index,
                group: self.group,
                partition: a.partition,
                rec_start: c.rec_start,
                count: n,
                first_offset: c.first_offset,
            });
            if n == c.count {
                self.buffer.pop_front();
            } else {
                c.rec_start += n as u64;
                c.first_offset += n as u64;
                c.count -= n;
            }
            left -= n as u64;
            taken += n as u64;
        }
        taken
    }

    /// One fetch per leader without one in flight, for its partitions with nothing buffered.
    fn send_fetches(&mut self, ctx: &mut Ctx<'_>) {
        let mut leaderless = false;
        for b in 0..self.pending.len() {
            if self.pending[b].is_some() {
                continue;
            }
            let partitions: Vec<FetchPartition> = self
                .assigned
                .iter()
                .filter(|a| a.leader == Some(b as u32) && a.buffered == 0)
                .map(|a| FetchPartition {
                    partition: a.partition,
                    fetch_offset: a.position,
                    current_leader_epoch: a.leader_epoch,
                    last_fetched_epoch: a.last_epoch,
                })
                .collect();
            if partitions.is_empty() {
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            self.pending[b] = Some(id);
            let req = ConsumerFetchRequest {
                id,
                partitions,
                min_bytes: self.cfg.fetch_min_bytes,
                max_wait: ms(self.cfg.fetch_max_wait_ms),
                max_bytes: self.cfg.fetch_max_bytes,
                partition_max_bytes: self.cfg.max_partition_fetch_bytes,
            };
            ctx.send(self.node, b, 0, Message::ConsumerFetch(req));
            self.deadline[b] = ctx.now + ms(REQUEST_TIMEOUT_MS);
            self.arm_timeout(b, ctx);
        }
        for a in &self.assigned {
            leaderless |= a.leader.is_none();
        }
        if leaderless {
            self.schedule_metadata(ctx);
        }
    }

    /// A message arrives.
    pub(crate) fn on_message(&mut self, from: usize, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::ConsumerFetchResponse { id, partitions } => self.on_fetch_response(from, id, partitions, ctx),
            Message::MetadataResponse { partitions, .. } => {
                for a in &mut self.assigned {
                    if let Some(&(leader, epoch)) = partitions.get(a.partition as usize) {
                        if epoch > a.leader_epoch || (epoch == a.leader_epoch && a.leader.is_none()) {
                            a.leader = leader;
                            a.leader_epoch = epoch;
                        }
                    }
                }
                if self.waiting {
                    self.poll(ctx);
                } else {
                    self.send_fetches(ctx);
                }
            }
            _ => {}
        }
    }

    fn on_fetch_response(&mut self, from: usize, id: u64, partitions: Vec<FetchPartitionData>, ctx: &mut Ctx<'_>) {
        if self.pending.get(from) != Some(&Some(id)) {
            return; // a fetch given up on (timed out, reset)
        }
        self.pending[from] = None;
        let mut refresh = false;
        for d in partitions {
            let Some(slot) = self.assigned.iter().position(|a| a.partition == d.partition) else {
                continue;
            };
            let a = &mut self.assigned[slot];
            if let Some((epoch, end)) = d.diverging {
                // KIP-320: the log under the position was truncated; seek to the end offset
                // of the diverging epoch (`SubscriptionState.maybeCompleteValidation` with a
                // reset policy: "resetting offset to the first offset known to diverge").
                a.position = a.position.min(end);
                a.last_epoch = Some(epoch);
                continue;
            }
            match d.error {
                ErrorCode::None => {}
                ErrorCode::OffsetOutOfRange => {
                    // Out of range, or truncated below any epoch the leader knows:
                    // auto.offset.reset = latest, the high watermark (`ListOffsets` LATEST for
                    // read_uncommitted).
                    a.position = d.high_watermark;
                    a.last_epoch = None;
                    continue;
                }
                _ => {
                    a.leader = None;
                    refresh = true;
                    continue;
                }
            }
            for e in d.entries {
                debug_assert!(e.end_offset() <= d.high_watermark, "read above the high watermark");
                if e.end_offset() <= a.position {
                    continue;
                }
                let skip = a.position.saturating_sub(e.base_offset);
                let count = e.count - skip as u32;
                a.position = e.end_offset();
                a.last_epoch = Some(e.leader_epoch);
                a.buffered += count as u64;
                self.buffer.push_back(Chunk {
                    slot,
                    rec_start: e.rec_start + skip,
                    count,
                    first_offset: e.base_offset + skip,
                });
            }
        }
        if refresh {
            self.schedule_metadata(ctx);
        }
        if self.waiting {
            self.poll(ctx);
        }
    }

    /// The application's processing of the last records is done: poll() again.
    pub(crate) fn processing_done(&mut self, ctx: &mut Ctx<'_>) {
        self.poll(ctx);
    }

    fn arm_timeout(&mut self, b: usize, ctx: &mut Ctx<'_>) {
        if self.timers[b].arm(self.deadline[b]) {
            let (consumer, broker) = (self.index, b as u32);
            ctx.schedule(self.deadline[b], Event::ConsumerFetchTimeout { consumer, broker });
        }
    }

    /// The timeout timer towards `broker` fired: the fetch in flight fails if it is due.
    pub(crate) fn fetch_timeout(&mut self, broker: u32, ctx: &mut Ctx<'_>) {
        let b = broker as usize;
        if !self.timers[b].fire(ctx.now) {
            return;
        }
        match self.pending[b] {
            Some(id) if self.deadline[b] <= ctx.now => self.fetch_failed(broker, id, ctx),
            Some(_) => self.arm_timeout(b, ctx),
            None => {}
        }
    }

    /// The fetch `id` to `broker` failed (request timeout, or the connection reset): its
    /// partitions' leader is in doubt.
    pub(crate) fn fetch_failed(&mut self, broker: u32, id: u64, ctx: &mut Ctx<'_>) {
        if self.pending[broker as usize] != Some(id) {
            return;
        }
        self.pending[broker as usize] = None;
        for a in &mut self.assigned {
            if a.leader == Some(broker) {
                a.leader = None;
            }
        }
        self.schedule_metadata(ctx);
    }

    fn schedule_metadata(&mut self, ctx: &mut Ctx<'_>) {
        if !self.metadata_due {
            self.metadata_due = true;
            ctx.schedule(
                ctx.now + ms(RETRY_BACKOFF_MS),
                Event::ConsumerMetadataDue { consumer: self.index },
            );
        }
    }

    /// Asks every broker for metadata (the newest epoch per partition wins).
    pub(crate) fn metadata_due(&mut self, ctx: &mut Ctx<'_>) {
        self.metadata_due = false;
        for b in 0..self.pending.len() {
            ctx.send(self.node, b, 0, Message::MetadataRequest { id: 0 });
        }
        if self.assigned.iter().any(|a| a.leader.is_none()) {
            self.schedule_metadata(ctx);
        }
    }
}
