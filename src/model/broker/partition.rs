//! `Partition` on one broker: appends to the replica's log (page cache and write-back), the
//! high-watermark rule (`maybeIncrementLeaderHW`, the 3.7 min-ISR switch KAFKA-15583), the
//! leader's view of its followers (`updateFollowerFetchState`), ISR shrink / expand through
//! AlterPartition (`maybeShrinkIsr`, `maybeExpandIsr`, KIP-497), and the leader / follower switch
//! (`makeLeader`, `makeFollower`).

use super::*;
use crate::model::partition_log::LogEntry;
use crate::model::{Event, FetchPartition, Message, PartitionState, World};
use crate::sim::{ms, SimTime};

impl World {
    /// Append to a replica's log; returns the base offset.
    pub(in crate::model) fn replica_append(&mut self, b: u32, p: usize, entry: LogEntry) -> u64 {
        let tick = ms(self.spec.cluster.dirty_writeback_ms);
        let durable = self.durable_before();
        let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
        r.log.append(entry, tick, durable)
    }

    /// Page cache older than this has been written back (Linux `dirty_expire_centisecs`,
    /// flusher every `dirty_writeback_centisecs`; reference 7.9).
    pub(in crate::model) fn durable_before(&self) -> SimTime {
        let wb = ms(self.spec.cluster.dirty_writeback_ms).max(1);
        ((self.now / wb) * wb).saturating_sub(ms(self.spec.cluster.dirty_expire_ms))
    }

    /// `Partition.maybeIncrementLeaderHW`.
    pub(in crate::model) fn maybe_advance_hw(&mut self, b: u32, p: usize) {
        let min_isr = self.effective_min_isr();
        let hw_rule = self.spec.cluster.hw_requires_min_isr;
        let br = &self.brokers[b as usize];
        let Some(r) = br.replicas[p].as_ref() else {
            return;
        };
        if !r.is_leader {
            return;
        }
        // 3.7+ (KAFKA-15583): no advance while |ISR| < min.insync.replicas.
        if hw_rule && br.isr_len(p) < min_isr {
            return;
        }
        let isr = br.maximal_isr(p);
        let mut candidate = r.log.log_end_offset();
        for f in &r.followers {
            if isr.contains(&f.broker) {
                candidate = candidate.min(f.leo);
            }
        }
        if candidate <= r.hw {
            return;
        }
        let old = r.hw;
        let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
        r.hw = candidate;
        if candidate > self.monitor.max_committed[p] {
            self.monitor.max_committed[p] = candidate;
            self.monitor.committed_rec[p] = r.log.record_at(candidate - 1).map(|x| x.0);
        }
        assert!(r.hw <= r.log.log_end_offset(), "high watermark above log end");
        if self.trace.is_some() {
            self.trace_offsets(
                b,
                p,
                old,
                candidate,
                &format!("committed: high watermark {old} -> {candidate}"),
            );
        }
        self.complete_delayed_for(b);
    }

    /// Trace an event about offsets `[from, to)` if the traced record is among them.
    pub(in crate::model) fn trace_offsets(&mut self, b: u32, p: usize, from: u64, to: u64, what: &str) {
        let Some(t) = self.trace.as_ref() else { return };
        if t.partition as usize != p {
            return;
        }
        let rec = t.rec;
        let r = self.brokers[b as usize].replicas[p].as_ref().unwrap();
        let hit = r
            .log
            .entries_below(to)
            .filter(|e| e.end_offset() > from)
            .find(|e| rec >= e.rec_start && rec < e.rec_start + e.count as u64);
        if let Some(e) = hit {
            let off = e.base_offset + (rec - e.rec_start);
            let line = format!("b{b}: offset {off}: {what}");
            self.trace_line(line);
        }
    }

    pub(in crate::model) fn update_follower_state(&mut self, b: u32, follower: u32, fp: &FetchPartition) {
        let p = fp.partition as usize;
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        let Some(r) = br.replicas[p].as_mut() else {
            return;
        };
        if !r.is_leader || fp.current_leader_epoch != r.leader_epoch {
            return;
        }
        // A diverging follower is not credited until it truncated.
        if let Some(lfe) = fp.last_fetched_epoch {
            match r.log.end_offset_for_epoch(lfe) {
                Some((e, end)) if e == lfe && end >= fp.fetch_offset => {}
                _ => return,
            }
        }
        let leo = r.log.log_end_offset();
        let Some(f) = r.followers.iter_mut().find(|f| f.broker == follower) else {
            return;
        };
        // Replica.updateFetchStateOrThrow
        if fp.fetch_offset >= leo {
            f.last_caught_up = now;
        } else if fp.fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up = f.last_caught_up.max(f.last_fetch_time);
        }
        f.last_fetch_leader_leo = leo;
        f.last_fetch_time = now;
        f.leo = fp.fetch_offset.min(leo);
        let f_leo = f.leo;
        if r.pending_isr.is_some() && now >= r.pending_until {
            // Never answered (the controller unreachable): forget it; the change is retried.
            r.pending_isr = None;
        }
        let (hw, epoch_start) = (r.hw, r.epoch_start);
        let in_isr = br.maximal_isr(p).contains(&follower);
        // Partition.maybeExpandIsr: caught up to the HW and to the epoch start offset.
        if !in_isr && f_leo >= hw && f_leo >= epoch_start {
            let mut new_isr = br.meta[p].as_ref().map(|s| s.isr.clone()).unwrap_or_default();
            new_isr.push(follower);
            self.alter_partition(b, p, new_isr);
        }
        self.maybe_advance_hw(b, p);
    }

    /// Ask the controller to change the ISR (`AlterPartition`, KIP-497).
    pub(in crate::model) fn alter_partition(&mut self, b: u32, p: usize, new_isr: Vec<u32>) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        let Some(st) = br.meta[p].clone() else { return };
        let r = br.replicas[p].as_mut().unwrap();
        if r.pending_isr.is_some() && now < r.pending_until {
            return;
        }
        r.pending_isr = Some(new_isr.clone());
        r.pending_epoch = st.partition_epoch;
        r.pending_until = now + ms(5_000);
        let msg = Message::AlterPartition {
            broker: b,
            partition: p as u32,
            leader_epoch: st.leader_epoch,
            partition_epoch: st.partition_epoch,
            new_isr,
        };
        let to = self.controller_node();
        self.send_message(World::broker_node(b), to, 0, msg);
    }

    /// `ReplicaManager.maybeShrinkIsr`, every `replica.lag.time.max.ms / 2`.
    pub(in crate::model) fn isr_check(&mut self, b: u32, incarnation: u64) {
        if self.brokers[b as usize].incarnation != incarnation || !self.brokers[b as usize].alive {
            return;
        }
        let lag = ms(self.spec.cluster.replica_lag_time_max_ms);
        let now = self.now;
        for p in 0..self.brokers[b as usize].replicas.len() {
            let br = &self.brokers[b as usize];
            let Some(r) = br.replicas[p].as_ref() else {
                continue;
            };
            if !r.is_leader {
                continue;
            }
            let Some(st) = br.meta[p].as_ref() else {
                continue;
            };
            let leo = r.log.log_end_offset();
            let out: Vec<u32> = r
                .followers
                .iter()
                .filter(|f| st.isr.contains(&f.broker) && f.leo != leo && now.saturating_sub(f.last_caught_up) > lag)
                .map(|f| f.broker)
                .collect();
            if !out.is_empty() {
                let new_isr: Vec<u32> = st.isr.iter().copied().filter(|x| !out.contains(x)).collect();
                self.alter_partition(b, p, new_isr);
            }
        }
        self.schedule(now + lag / 2, Event::IsrCheck { broker: b, incarnation });
    }

    /// `Partition.makeLeader`.
    pub(in crate::model) fn become_leader(&mut self, b: u32, p: usize, st: &PartitionState) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        for f in br.fetchers.iter_mut() {
            f.partitions.retain(|&x| x as usize != p);
        }
        let r = br.replicas[p].as_mut().unwrap();
        assert!(st.leader_epoch >= r.leader_epoch, "leader epochs only grow");
        r.is_leader = true;
        r.leader_epoch = st.leader_epoch;
        r.log.assign_epoch_start(st.leader_epoch);
        r.epoch_start = r.log.log_end_offset();
        // Ghost check of LeaderCompletenessProperty: the new leader holds every committed record.
        let committed = self.monitor.max_committed[p];
        let leo = r.epoch_start;
        let complete = committed == 0
            || (leo >= committed && r.log.record_at(committed - 1).map(|x| x.0) == self.monitor.committed_rec[p]);
        if !complete {
            self.monitor.leader_completeness_violations += 1;
            self.monitor.committed_lost += committed.saturating_sub(leo).max(1);
            // From here on the new leader's log is the truth the monitor tracks.
            let keep = leo.min(committed);
            self.monitor.max_committed[p] = keep;
            self.monitor.committed_rec[p] = keep.checked_sub(1).and_then(|o| r.log.record_at(o)).map(|x| x.0);
        }
        r.hw = r.hw.min(r.log.log_end_offset());
        r.followers = st
            .replicas
            .iter()
            .filter(|&&x| x != b)
            .map(|&x| FollowerState {
                broker: x,
                leo: 0,
                last_caught_up: if st.isr.contains(&x) { now } else { 0 },
                last_fetch_time: now,
                last_fetch_leader_leo: 0,
            })
            .collect();
        r.pending_isr = None;
        if self.trace.as_ref().is_some_and(|t| t.partition as usize == p) {
            let leo = self.brokers[b as usize].replicas[p]
                .as_ref()
                .unwrap()
                .log
                .log_end_offset();
            let line = format!(
                "b{b}: becomes leader of partition {p} (epoch {}, log end {leo}, ISR {:?})",
                st.leader_epoch, st.isr
            );
            self.trace_line(line);
        }
    }

    /// `Partition.makeFollower`: stop leading, fetch from the new leader (truncation happens
    /// through the first fetch's divergence check).
    pub(in crate::model) fn become_follower(&mut self, b: u32, p: usize, st: &PartitionState) {
        let br = &mut self.brokers[b as usize];
        let r = br.replicas[p].as_mut().unwrap();
        let was_leader = r.is_leader;
        if st.leader_epoch < r.leader_epoch {
            return;
        }
        r.is_leader = false;
        r.leader_epoch = st.leader_epoch;
        r.followers.clear();
        for f in br.fetchers.iter_mut() {
            f.partitions.retain(|&x| x as usize != p);
        }
        if was_leader {
            // Pending produces and parked fetches of this partition fail.
            self.complete_delayed_for(b);
            let ids: Vec<u64> = self.brokers[b as usize]
                .parked
                .iter()
                .filter(|f| f.partitions.iter().any(|x| x.partition as usize == p))
                .map(|f| f.id)
                .collect();
            for id in ids {
                self.complete_parked_fetch(b, id);
            }
        }
        if let Some(l) = st.leader {
            let br = &mut self.brokers[b as usize];
            br.fetchers[l as usize].partitions.push(p as u32);
            let f = &br.fetchers[l as usize];
            if f.in_flight.is_none() && !f.scheduled {
                br.fetchers[l as usize].scheduled = true;
                let inc = br.incarnation;
                self.schedule(
                    self.now,
                    Event::SendFetch {
                        broker: b,
                        incarnation: inc,
                        leader: l,
                    },
                );
            }
        }
    }
}
