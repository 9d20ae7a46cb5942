//! The leader's side of replication: follower fetch requests read from the log
//! (`ReplicaManager.fetchMessages`), parked in the fetch purgatory (`DelayedFetch`) until
//! `replica.fetch.min.bytes` are there or `replica.fetch.wait.max.ms` passes.

use super::*;
use crate::model::{ErrorCode, Event, FetchPartition, FetchPartitionData, Message, World};
use crate::sim::{ms, SimTime};

impl World {
    pub(in crate::model) fn wake_parked_fetches(&mut self, b: u32, p: u32) {
        let ids: Vec<u64> = self.brokers[b as usize]
            .parked
            .iter()
            .filter(|f| f.partitions.iter().any(|x| x.partition == p))
            .map(|f| f.id)
            .collect();
        for id in ids {
            self.complete_parked_fetch(b, id);
        }
    }

    pub(in crate::model) fn complete_parked_fetch(&mut self, b: u32, id: u64) {
        let br = &mut self.brokers[b as usize];
        let Some(pos) = br.parked.iter().position(|f| f.id == id) else {
            return;
        };
        let f = br.parked.remove(pos);
        let (data, _) = self.read_fetch(b, &f.partitions, false);
        self.send_fetch_response(b, f.follower, f.fetch_id, data);
    }

    pub(in crate::model) fn arm_fetch_wait_timer(&mut self, b: u32, at: SimTime) {
        let br = &mut self.brokers[b as usize];
        if br.fetch_wait_timer.arm(at) {
            let incarnation = br.incarnation;
            self.schedule(at, Event::FetchWaitExpired { broker: b, incarnation });
        }
    }

    /// Parked fetches whose `replica.fetch.wait.max.ms` ran out are answered (with whatever
    /// there is, often nothing but the high watermark).
    pub(in crate::model) fn fetch_wait_expired(&mut self, b: u32, incarnation: u64) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.fetch_wait_timer.fire(now) {
            return;
        }
        let due: Vec<u64> = br.parked.iter().filter(|f| f.deadline <= now).map(|f| f.id).collect();
        for id in due {
            self.complete_parked_fetch(b, id);
        }
        if let Some(next) = self.brokers[b as usize].parked.iter().map(|f| f.deadline).min() {
            self.arm_fetch_wait_timer(b, next);
        }
    }

    pub(in crate::model) fn send_fetch_response(
        &mut self,
        b: u32,
        follower: u32,
        fetch_id: u64,
        partitions: Vec<FetchPartitionData>,
    ) {
        let bytes: u64 = partitions.iter().flat_map(|p| p.entries.iter()).map(|e| e.bytes).sum();
        let at = self.cpu(b, bytes);
        self.send_message_at(
            at,
            World::broker_node(b),
            World::broker_node(follower),
            0,
            Message::FetchResponse {
                id: fetch_id,
                partitions,
            },
        );
    }

    /// The leader side of a replica fetch (`ReplicaManager.fetchMessages` for a follower).
    pub(in crate::model) fn leader_handle_fetch(
        &mut self,
        b: u32,
        fetch_id: u64,
        follower: u32,
        partitions: Vec<FetchPartition>,
    ) {
        // First record the follower's position for every partition (Replica.updateFetchState).
        for fp in &partitions {
            self.update_follower_state(b, follower, fp);
        }
        let (data, respond_now) = self.read_fetch(b, &partitions, true);
        if respond_now {
            self.send_fetch_response(b, follower, fetch_id, data);
        } else {
            let br = &mut self.brokers[b as usize];
            let id = br.id();
            let deadline = self.now + ms(self.spec.cluster.replica_fetch_wait_max_ms);
            br.parked.push(ParkedFetch {
                id,
                fetch_id,
                follower,
                partitions,
                deadline,
            });
            self.arm_fetch_wait_timer(b, deadline);
        }
    }

    /// Build the fetch response data; the bool says whether to answer now (data, error,
    /// divergence) or park the fetch (`replica.fetch.min.bytes` not reached).
    pub(in crate::model) fn read_fetch(
        &mut self,
        b: u32,
        partitions: &[FetchPartition],
        first: bool,
    ) -> (Vec<FetchPartitionData>, bool) {
        let max_bytes = self.spec.cluster.replica_fetch_max_bytes as u64;
        let br = &self.brokers[b as usize];
        let mut out = Vec::with_capacity(partitions.len());
        let mut bytes = 0u64;
        let mut urgent = false;
        for fp in partitions {
            let p = fp.partition as usize;
            let mut d = FetchPartitionData {
                partition: fp.partition,
                error: ErrorCode::None,
                high_watermark: 0,
                entries: Vec::new(),
                diverging: None,
            };
            match br.replicas[p].as_ref() {
                Some(r) if r.is_leader && r.leader_epoch == fp.current_leader_epoch => {
                    d.high_watermark = r.hw;
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
        let enough = bytes >= self.spec.cluster.replica_fetch_min_bytes.max(1) as u64;
        (out, urgent || enough || !first)
    }
}
