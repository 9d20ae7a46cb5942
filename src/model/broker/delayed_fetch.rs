//! The leader's side of replication: follower fetch requests read from the log
//! (`ReplicaManager.fetchMessages`), parked in the fetch purgatory (`DelayedFetch`) until
//! `replica.fetch.min.bytes` are there or `replica.fetch.wait.max.ms` passes.

use super::*;
use crate::model::{ErrorCode, FetchPartitionData};
use crate::sim::{ms, SimTime};

/// The leader's side of replica fetching.
impl Broker {
    /// Answer the parked fetches that read partition `p` (new data was appended).
    pub(in crate::model) fn wake_parked_fetches(&mut self, p: u32, ctx: &mut Ctx<'_>) {
        let ids: Vec<u64> = self
            .parked
            .iter()
            .filter(|f| f.partitions.iter().any(|x| x.partition == p))
            .map(|f| f.id)
            .collect();
        for id in ids {
            self.complete_parked_fetch(id, ctx);
        }
    }

    /// Answer parked fetch `id` with what there is now.
    pub(in crate::model) fn complete_parked_fetch(&mut self, id: u64, ctx: &mut Ctx<'_>) {
        let Some(pos) = self.parked.iter().position(|f| f.id == id) else {
            return;
        };
        let f = self.parked.remove(pos);
        let (data, _) = self.read_fetch(&f.partitions, false, ctx.spec);
        self.send_fetch_response(f.follower, f.fetch_id, data, ctx);
    }

    pub(super) fn arm_fetch_wait_timer(&mut self, at: SimTime, ctx: &mut Ctx<'_>) {
        if self.fetch_wait_timer.arm(at) {
            ctx.schedule(
                at,
                Event::FetchWaitExpired {
                    broker: self.id,
                    incarnation: self.incarnation,
                },
            );
        }
    }

    /// Parked fetches whose `replica.fetch.wait.max.ms` ran out are answered (with whatever
    /// there is, often nothing but the high watermark).
    pub(in crate::model) fn fetch_wait_expired(&mut self, incarnation: u64, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.incarnation != incarnation || !self.fetch_wait_timer.fire(now) {
            return;
        }
        let due: Vec<u64> = self.parked.iter().filter(|f| f.deadline <= now).map(|f| f.id).collect();
        for id in due {
            self.complete_parked_fetch(id, ctx);
        }
        let consumers = if self.parked_consumers.is_empty() {
            None
        } else {
            self.expire_consumer_fetches(ctx)
        };
        let followers = self.parked.iter().map(|f| f.deadline).min();
        if let Some(next) = followers.into_iter().chain(consumers).min() {
            self.arm_fetch_wait_timer(next, ctx);
        }
    }

    fn send_fetch_response(
        &mut self,
        follower: u32,
        fetch_id: u64,
        partitions: Vec<FetchPartitionData>,
        ctx: &mut Ctx<'_>,
    ) {
        let bytes = fetched_bytes(&partitions);
        let msg = Message::FetchResponse {
            id: fetch_id,
            partitions,
        };
        self.answer_fetch(World::broker_node(follower), bytes, msg, ctx);
    }

    /// Sends a fetch response of `bytes` record bytes to node `to` once the request handler
    /// (the broker's CPU queue) has read them.
    pub(super) fn answer_fetch(&mut self, to: usize, bytes: u64, msg: Message, ctx: &mut Ctx<'_>) {
        let at = self.cpu(bytes, ctx);
        ctx.send_at(at, World::broker_node(self.id), to, 0, msg);
    }

    /// The leader side of a replica fetch (`ReplicaManager.fetchMessages` for a follower).
    pub(in crate::model) fn leader_handle_fetch(
        &mut self,
        fetch_id: u64,
        follower: u32,
        partitions: Vec<FetchPartition>,
        ctx: &mut Ctx<'_>,
    ) {
        // First record the follower's position for every partition (Replica.updateFetchState).
        for fp in &partitions {
            self.update_follower_state(follower, fp, ctx);
        }
        let (data, respond_now) = self.read_fetch(&partitions, true, ctx.spec);
        if respond_now {
            self.send_fetch_response(follower, fetch_id, data, ctx);
        } else {
            let id = self.id();
            let deadline = ctx.now + ms(ctx.spec.cluster.replica_fetch_wait_max_ms);
            self.parked.push(ParkedFetch {
                id,
                fetch_id,
                follower,
                partitions,
                deadline,
            });
            self.arm_fetch_wait_timer(deadline, ctx);
        }
    }

    /// Build the fetch response data; the bool says whether to answer now (data, error,
    /// divergence) or park the fetch (`replica.fetch.min.bytes` not reached).
    fn read_fetch(
        &self,
        partitions: &[FetchPartition],
        first: bool,
        spec: &RunSpec,
    ) -> (Vec<FetchPartitionData>, bool) {
        let max_bytes = spec.cluster.replica_fetch_max_bytes as u64;
        let mut out = Vec::with_capacity(partitions.len());
        let mut bytes = 0u64;
        let mut urgent = false;
        for fp in partitions {
            let p = fp.partition as usize;
            let mut d = FetchPartitionData::empty(fp.partition);
            match self.replicas[p].as_ref() {
                Some(r) if r.is_leader && r.leader_epoch == fp.current_leader_epoch => {
                    d.high_watermark = r.hw;
                    d.leader_log_end = r.log.log_end_offset();
                    if fp.last_fetched_epoch.is_none() && fp.fetch_offset > d.leader_log_end {
                        // Nothing to find the divergence by: `OFFSET_OUT_OF_RANGE`.
                        d.error = ErrorCode::OffsetOutOfRange;
                        urgent = true;
                        out.push(d);
                        continue;
                    }
                    let diverged = fp
                        .last_fetched_epoch
                        .and_then(|lfe| match r.log.end_offset_for_epoch(lfe) {
                            Some((e, end)) if e == lfe && end >= fp.fetch_offset => None,
                            Some((e, end)) => Some((e, end)),
                            None => Some((0, 0)),
                        });
                    if let Some(div) = diverged {
                        d.diverging = Some(div);
                        urgent = true;
                    } else {
                        r.log.read(fp.fetch_offset, max_bytes, &mut d.entries);
                        bytes += d.entries.iter().map(|e| e.bytes).sum::<u64>();
                    }
                }
                _ => {
                    // FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER
                    d.error = ErrorCode::NotLeaderOrFollower;
                    urgent = true;
                }
            }
            out.push(d);
        }
        let enough = bytes >= spec.cluster.replica_fetch_min_bytes.max(1) as u64;
        (out, urgent || enough || !first)
    }
}

/// Record bytes a fetch response carries.
pub(super) fn fetched_bytes(partitions: &[FetchPartitionData]) -> u64 {
    partitions.iter().flat_map(|p| p.entries.iter()).map(|e| e.bytes).sum()
}
