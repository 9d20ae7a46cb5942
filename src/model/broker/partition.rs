//! `Partition` on one broker: appends to the replica's log (page cache and write-back), the
//! high-watermark rule (`maybeIncrementLeaderHW`, the 3.7 min-ISR switch KAFKA-15583), the
//! leader's view of its followers (`updateFollowerFetchState`), ISR shrink / expand through
//! AlterPartition (`maybeShrinkIsr`, `maybeExpandIsr`, KIP-497), and the leader / follower switch
//! (`makeLeader`, `makeFollower`).
//!
//! [`Replica`] holds one partition's state on one broker and decides on it alone (no `World`):
//! the HW candidate, crediting a follower's fetch, who fell out of sync, who may rejoin, the
//! leader / follower switch. The `Broker` handlers below apply those decisions and do the side
//! effects (messages, timers, the ghost monitor, the trace). Invariants are asserted where the
//! state changes: leader epochs only grow, a leader's HW only grows and never passes its log end
//! nor the LEO of any ISR member it knows.

use crate::config::FollowerTruncation;
use crate::model::broker::{durable_before, effective_min_isr, Broker};
use crate::model::context::Ctx;
use crate::model::observe::{Observation, TruncationCause};
use crate::model::partition_log::{LogEntry, PartitionLog};
use crate::model::{Event, FetchPartition, Message, PartitionState, World};
use crate::sim::{ms, SimTime};

/// The leader's view of one follower (`Replica` in Replica.scala).
#[derive(Clone, Debug)]
pub struct FollowerState {
    /// The follower's broker id.
    pub broker: u32,
    /// Its log end offset as the leader knows it (the last fetch offset).
    pub leo: u64,
    /// Last time it was caught up (`lastCaughtUpTimeMs`); `None`: never, since this replica
    /// became leader (Kafka's 0).
    pub last_caught_up: Option<SimTime>,
    /// Time of its last fetch (`lastFetchTimeMs`); `None` since this replica became leader.
    pub(in crate::model) last_fetch_time: Option<SimTime>,
    pub(in crate::model) last_fetch_leader_leo: u64,
}

impl FollowerState {
    /// `Replica.isCaughtUp`: at the leader's log end, or caught up within `lag`
    /// (`replica.lag.time.max.ms`).
    pub fn is_caught_up(&self, leader_leo: u64, now: SimTime, lag: SimTime) -> bool {
        self.leo == leader_leo || self.last_caught_up.is_some_and(|t| now.saturating_sub(t) <= lag)
    }
}

/// One replica of a partition on this broker (Kafka's `Partition` object on that broker).
#[derive(Clone, Debug, Default)]
pub struct Replica {
    /// The replica's log.
    pub log: PartitionLog,
    /// High watermark.
    pub hw: u64,
    /// Whether this broker leads the partition.
    pub is_leader: bool,
    /// The leader epoch this replica knows.
    pub leader_epoch: u32,
    /// Leader-epoch start offset when this replica became leader.
    pub epoch_start: u64,
    /// As leader: the other replicas' fetch state.
    pub followers: Vec<FollowerState>,
    /// AlterPartition in flight: the proposed ISR, and until when we wait for it.
    pub(in crate::model) pending_isr: Option<Vec<u32>>,
    /// Partition epoch the AlterPartition was based on: any answer at or past it settles it.
    pub(in crate::model) pending_epoch: u32,
    pub(in crate::model) pending_until: SimTime,
    /// A follower of a new leader epoch (or a restarted replica) that has not reconciled its
    /// log with the leader yet: before KIP-279 that happens once, when it becomes follower
    /// (`cluster.follower_truncation`).
    pub(in crate::model) reconcile_pending: bool,
}

/// What `Partition.maybeIncrementLeaderHW` reads beside the replica itself: the time, the
/// partition's `replica.lag.time.max.ms` (`Replica.isCaughtUp`), and which brokers this
/// broker's metadata cache says are fenced (`Partition.isReplicaIsrEligible`).
#[derive(Clone, Copy, Debug)]
pub struct FollowerView<'a> {
    /// Now.
    pub now: SimTime,
    /// `replica.lag.time.max.ms`.
    pub lag: SimTime,
    /// Per broker id: fenced in the metadata this broker applied.
    pub fenced: &'a [bool],
}

impl FollowerView<'_> {
    /// `KRaftMetadataCache.isBrokerFenced`.
    pub fn is_fenced(&self, broker: u32) -> bool {
        self.fenced.get(broker as usize).copied().unwrap_or(false)
    }
}

/// What a follower does with one fetched entry ([`Replica::fetched_entry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// Already in the log.
    Held,
    /// Starts past the log end: wait for the next fetch.
    Gap,
    /// Append this (the part past the log end).
    Append(LogEntry),
}

/// How long a leader waits for the controller's answer to an AlterPartition before it forgets
/// the proposal (and may propose again).
const ALTER_PARTITION_WAIT: SimTime = 5_000_000_000;

impl Replica {
    /// `Partition.maybeIncrementLeaderHW`: the offset the high watermark may advance to, if it
    /// can advance: the minimum LEO over the leader and every follower that is in the maximal
    /// ISR (KIP-497: the ISR plus pending additions) or about to join it
    /// (`shouldWaitForReplicaToJoinIsr`: `Replica.isCaughtUp` at `view.now` within `view.lag`,
    /// and `isReplicaIsrEligible`: not fenced). With `hw_requires_min_isr` (3.7+, KAFKA-15583)
    /// no advance while the ISR (`isr_len`) is below `min.insync.replicas`.
    pub fn hw_candidate(
        &self,
        maximal_isr: &[u32],
        isr_len: usize,
        min_isr: usize,
        hw_requires_min_isr: bool,
        view: FollowerView<'_>,
    ) -> Option<u64> {
        if !self.is_leader || (hw_requires_min_isr && isr_len < min_isr) {
            return None;
        }
        let leo = self.log.log_end_offset();
        let candidate = self
            .followers
            .iter()
            .filter(|f| {
                maximal_isr.contains(&f.broker)
                    || (f.is_caught_up(leo, view.now, view.lag) && !view.is_fenced(f.broker))
            })
            .fold(leo, |c, f| c.min(f.leo));
        (candidate > self.hw).then_some(candidate)
    }

    /// Moves the leader's high watermark to `to` (from [`Replica::hw_candidate`]), asserting
    /// both sides of the hand-off: it only grows while leading, stays within the log, and no
    /// follower of `maximal_isr` is behind it (the rule also waits for caught-up followers
    /// outside it, so this bound holds a fortiori).
    pub fn advance_hw(&mut self, to: u64, maximal_isr: &[u32]) {
        assert!(self.is_leader, "only a leader advances its high watermark");
        assert!(
            to > self.hw,
            "a leader's high watermark only grows ({} -> {to})",
            self.hw
        );
        assert!(to <= self.log.log_end_offset(), "high watermark above log end");
        assert!(
            self.followers
                .iter()
                .all(|f| !maximal_isr.contains(&f.broker) || f.leo >= to),
            "high watermark above an ISR member's log end"
        );
        self.hw = to;
    }

    /// `Partition.updateFollowerFetchState` / `Replica.updateFetchStateOrThrow`: credits a
    /// follower's fetch at `now` and returns its new LEO, or `None` when the fetch is not
    /// credited (not leader, another leader epoch, a diverging follower that must truncate
    /// first, an unknown follower).
    pub fn update_follower_fetch_state(&mut self, follower: u32, fp: &FetchPartition, now: SimTime) -> Option<u64> {
        if !self.is_leader || fp.current_leader_epoch != self.leader_epoch {
            return None;
        }
        // A diverging follower is not credited until it truncated.
        if let Some(lfe) = fp.last_fetched_epoch {
            match self.log.end_offset_for_epoch(lfe) {
                Some((e, end)) if e == lfe && end >= fp.fetch_offset => {}
                _ => return None,
            }
        }
        let leo = self.log.log_end_offset();
        let f = self.followers.iter_mut().find(|f| f.broker == follower)?;
        let caught_up_at = if fp.fetch_offset >= leo {
            Some(now)
        } else if fp.fetch_offset >= f.last_fetch_leader_leo {
            f.last_fetch_time
        } else {
            None
        };
        if let Some(t) = caught_up_at {
            f.last_caught_up = Some(f.last_caught_up.map_or(t, |c| c.max(t)));
        }
        f.last_fetch_leader_leo = leo;
        f.last_fetch_time = Some(now);
        f.leo = fp.fetch_offset.min(leo);
        Some(f.leo)
    }

    /// Forgets an AlterPartition the controller never answered (it was unreachable): the
    /// change will be proposed again.
    pub fn expire_pending_isr(&mut self, now: SimTime) {
        if self.pending_isr.is_some() && now >= self.pending_until {
            self.pending_isr = None;
        }
    }

    /// `Partition.isFollowerInSync` for `maybeExpandIsr`: a follower may rejoin the ISR once its
    /// LEO reached the high watermark and the leader epoch's start offset.
    pub fn can_join_isr(&self, follower_leo: u64) -> bool {
        follower_leo >= self.hw && follower_leo >= self.epoch_start
    }

    /// `Partition.getOutOfSyncReplicas` for `maybeShrinkIsr`: ISR followers that are not at the
    /// log end and have not been caught up for more than `lag` (`replica.lag.time.max.ms`).
    pub fn out_of_sync_followers(&self, isr: &[u32], now: SimTime, lag: SimTime) -> Vec<u32> {
        let leo = self.log.log_end_offset();
        self.followers
            .iter()
            .filter(|f| isr.contains(&f.broker) && !f.is_caught_up(leo, now, lag))
            .map(|f| f.broker)
            .collect()
    }

    /// Records an AlterPartition proposal based on `partition_epoch`; false while another one
    /// is still awaited.
    pub fn begin_alter_isr(&mut self, new_isr: Vec<u32>, partition_epoch: u32, now: SimTime) -> bool {
        if self.pending_isr.is_some() && now < self.pending_until {
            return false;
        }
        self.pending_isr = Some(new_isr);
        self.pending_epoch = partition_epoch;
        self.pending_until = now + ALTER_PARTITION_WAIT;
        true
    }

    /// `Partition.makeLeader` on broker `me`: the epoch's start offset is the log end, every
    /// other assigned replica becomes a follower (`Replica.resetReplicaState` for a new
    /// leader: caught up now if in the ISR, else never; no fetch seen yet), the HW stays within
    /// the log, a pending ISR change is dropped.
    pub fn make_leader(&mut self, me: u32, st: &PartitionState, now: SimTime) {
        assert!(st.leader_epoch >= self.leader_epoch, "leader epochs only grow");
        self.is_leader = true;
        self.leader_epoch = st.leader_epoch;
        self.log.assign_epoch_start(st.leader_epoch);
        self.epoch_start = self.log.log_end_offset();
        self.hw = self.hw.min(self.log.log_end_offset());
        self.followers = st
            .replicas
            .iter()
            .filter(|&&x| x != me)
            .map(|&x| FollowerState {
                broker: x,
                leo: 0,
                last_caught_up: st.isr.contains(&x).then_some(now),
                last_fetch_time: None,
                last_fetch_leader_leo: 0,
            })
            .collect();
        self.pending_isr = None;
    }

    /// `AbstractFetcherThread.truncateOnFetchResponse` / `getOffsetTruncationState` (KIP-279):
    /// the leader says this follower's log diverges at `epoch`, which ends at `leader_end` on the
    /// leader. Where this log also has `epoch`: the smallest of the two ends and this log's end.
    /// Where it does not but has a smaller one: the end of its largest smaller epoch, capped at
    /// its log end (truncation not complete: the next fetch carries that epoch and the leader
    /// answers for it). Where it has no epoch at or below it ("below any replica's tracked
    /// epochs"): the leader's end offset, capped at this log's end.
    pub fn divergence_truncation_offset(&self, epoch: u32, leader_end: u64) -> u64 {
        let leo = self.log.log_end_offset();
        match self.log.end_offset_for_epoch(epoch) {
            Some((e, own_end)) if e == epoch => own_end.min(leader_end).min(leo),
            Some((_, own_end)) => own_end.min(leo),
            None => leader_end.min(leo),
        }
    }

    /// The size of the maximal ISR (`PartitionState.maximalIsr`, KIP-497): the committed `isr`
    /// with the members of a pending AlterPartition.
    pub fn maximal_isr_len(&self, isr: &[u32]) -> usize {
        let pending = self.pending_isr.as_deref().unwrap_or_default();
        isr.len() + pending.iter().filter(|b| !isr.contains(b)).count()
    }

    /// Truncates the log to `offset` (the high watermark follows it down), also forgetting an
    /// epoch that no longer matches when nothing is removed.
    pub fn truncate_to(&mut self, offset: u64) {
        self.log.truncate_to(offset);
        self.hw = self.hw.min(offset);
    }

    /// What a follower does with an entry the leader sent: skip what it holds, wait on a gap
    /// (the next fetch starts at its log end), or append the part past its log end.
    pub fn fetched_entry(&self, e: LogEntry) -> Fetched {
        let leo = self.log.log_end_offset();
        if e.end_offset() <= leo {
            return Fetched::Held;
        }
        if e.base_offset > leo {
            return Fetched::Gap;
        }
        let mut e = e;
        if e.base_offset < leo {
            let skip = (leo - e.base_offset) as u32;
            e.base_offset += skip as u64;
            e.rec_start += skip as u64;
            e.count -= skip;
            if e.producer.base_seq >= 0 {
                e.producer.base_seq += skip as i32;
            }
        }
        Fetched::Append(e)
    }

    /// A follower's high watermark after a fetch: the leader's, capped at its own log end;
    /// it does not move back here (only truncation lowers it).
    pub fn follower_update_hw(&mut self, leader_hw: u64) {
        let new_hw = leader_hw.min(self.log.log_end_offset());
        if new_hw > self.hw {
            self.hw = new_hw;
        }
    }

    /// `Partition.makeFollower`: stop leading. `None` (no change) for a stale leader epoch,
    /// otherwise whether this replica was the leader.
    pub fn make_follower(&mut self, st: &PartitionState) -> Option<bool> {
        if st.leader_epoch < self.leader_epoch {
            return None;
        }
        let was_leader = self.is_leader;
        if st.leader_epoch > self.leader_epoch || was_leader {
            self.reconcile_pending = true;
        }
        self.is_leader = false;
        self.leader_epoch = st.leader_epoch;
        self.followers.clear();
        Some(was_leader)
    }
}

impl Broker {
    /// Ask the controller to change partition `p`'s ISR (`AlterPartition`, KIP-497); one
    /// proposal at a time ([`Replica::begin_alter_isr`]).
    pub(in crate::model) fn alter_partition(&mut self, p: usize, new_isr: Vec<u32>, ctx: &mut Ctx<'_>) {
        let Some(st) = self.meta[p].clone() else { return };
        let r = self.replicas[p].as_mut().unwrap();
        if !r.begin_alter_isr(new_isr.clone(), st.partition_epoch, ctx.now) {
            return;
        }
        let msg = Message::AlterPartition {
            broker: self.id,
            partition: p as u32,
            leader_epoch: st.leader_epoch,
            partition_epoch: st.partition_epoch,
            new_isr,
        };
        ctx.send(World::broker_node(self.id), self.controller, 0, msg);
    }

    /// `ReplicaManager.maybeShrinkIsr`, every `replica.lag.time.max.ms / 2`: ISR followers out
    /// of sync for longer leave the ISR (through the controller).
    pub(in crate::model) fn isr_check(&mut self, incarnation: u64, ctx: &mut Ctx<'_>) {
        if self.incarnation != incarnation || !self.alive {
            return;
        }
        let lag = ms(ctx.spec.cluster.replica_lag_time_max_ms);
        for p in 0..self.replicas.len() {
            let Some(r) = self.replicas[p].as_ref() else {
                continue;
            };
            if !r.is_leader {
                continue;
            }
            let Some(st) = self.meta[p].as_ref() else {
                continue;
            };
            let out = r.out_of_sync_followers(&st.isr, ctx.now, lag);
            if !out.is_empty() {
                let new_isr: Vec<u32> = st.isr.iter().copied().filter(|x| !out.contains(x)).collect();
                self.alter_partition(p, new_isr, ctx);
            }
        }
        ctx.schedule(
            ctx.now + lag / 2,
            Event::IsrCheck {
                broker: self.id,
                incarnation,
            },
        );
    }
}

/// The partition handlers of a broker: appends, the HW, follower state, leader / follower
/// switch.
impl Broker {
    /// Append to a replica's log; returns the base offset.
    pub(in crate::model) fn replica_append(&mut self, p: usize, entry: LogEntry, ctx: &Ctx<'_>) -> u64 {
        let tick = ms(ctx.spec.cluster.dirty_writeback_ms);
        let durable = durable_before(ctx.spec, ctx.now);
        let r = self.replicas[p]
            .as_mut()
            .expect("append to a partition this broker hosts");
        r.log.append(entry, tick, durable)
    }

    /// `Partition.maybeIncrementLeaderHW`, then the purgatory it may complete.
    pub(in crate::model) fn maybe_advance_hw(&mut self, p: usize, ctx: &mut Ctx<'_>) {
        let min_isr = effective_min_isr(ctx.spec, p);
        let hw_rule = ctx.spec.cluster.hw_requires_min_isr;
        let Some(r) = self.replicas[p].as_ref() else {
            return;
        };
        let isr = self.maximal_isr(p);
        let view = FollowerView {
            now: ctx.now,
            lag: ms(ctx.spec.cluster.replica_lag_time_max_ms),
            fenced: &self.fenced,
        };
        let Some(candidate) = r.hw_candidate(&isr, self.isr_len(p), min_isr, hw_rule, view) else {
            return;
        };
        let old = r.hw;
        let r = self.replicas[p].as_mut().expect("checked above");
        r.advance_hw(candidate, &isr);
        ctx.observe(Observation::HwAdvanced {
            broker: self.id,
            partition: p,
            from: old,
            to: candidate,
            log: &r.log,
        });
        self.complete_delayed_watching(p, ctx);
        if !self.parked_consumers.is_empty() {
            self.wake_consumer_fetches(p as u32, ctx);
        }
    }

    /// A follower's fetch reached this leader: credit it, maybe expand the ISR, maybe advance
    /// the HW.
    pub(in crate::model) fn update_follower_state(&mut self, follower: u32, fp: &FetchPartition, ctx: &mut Ctx<'_>) {
        let p = fp.partition as usize;
        let now = ctx.now;
        let Some(r) = self.replicas[p].as_mut() else {
            return;
        };
        let Some(f_leo) = r.update_follower_fetch_state(follower, fp, now) else {
            return;
        };
        r.expire_pending_isr(now);
        // `isReplicaIsrEligible`: a fenced broker does not join.
        let can_join = r.can_join_isr(f_leo) && !self.fenced[follower as usize];
        let in_isr = self.in_maximal_isr(p, follower);
        // Partition.maybeExpandIsr
        if !in_isr && can_join {
            let mut new_isr = self.meta[p].as_ref().map(|s| s.isr.clone()).unwrap_or_default();
            new_isr.push(follower);
            self.alter_partition(p, new_isr, ctx);
        }
        self.maybe_advance_hw(p, ctx);
    }

    /// `Partition.makeLeader`.
    pub(in crate::model) fn become_leader(&mut self, p: usize, st: &PartitionState, ctx: &mut Ctx<'_>) {
        for f in self.fetchers.iter_mut() {
            f.partitions.retain(|&x| x as usize != p);
        }
        let me = self.id;
        let r = self.replicas[p].as_mut().expect("a leader hosts its partition");
        r.make_leader(me, st, ctx.now);
        ctx.observe(Observation::BecameLeader {
            broker: me,
            partition: p,
            state: st,
            log: &r.log,
        });
    }

    /// `Partition.makeFollower`: stop leading, fetch from the new leader (truncation happens
    /// through the first fetch's divergence check).
    pub(in crate::model) fn become_follower(&mut self, p: usize, st: &PartitionState, ctx: &mut Ctx<'_>) {
        let r = self.replicas[p].as_mut().expect("a follower hosts its partition");
        let Some(was_leader) = r.make_follower(st) else {
            return;
        };
        if ctx.spec.cluster.follower_truncation == FollowerTruncation::HighWatermark && r.reconcile_pending {
            // Before KIP-101 (0.11): `ReplicaManager.makeFollowers` truncates every new
            // follower to its own high watermark, which may lag the leader's: the loss of
            // KIP-101's first scenario.
            r.reconcile_pending = false;
            let (old, hw) = (r.log.log_end_offset(), r.hw);
            self.truncate_replica(p, hw, old, TruncationCause::HighWatermark, ctx);
        }
        for f in self.fetchers.iter_mut() {
            f.partitions.retain(|&x| x as usize != p);
        }
        if was_leader {
            // Pending produces and parked fetches of this partition fail.
            self.complete_delayed_for(ctx);
            let ids: Vec<u64> = self
                .parked
                .iter()
                .filter(|f| f.partitions.iter().any(|x| x.partition as usize == p))
                .map(|f| f.id)
                .collect();
            for id in ids {
                self.complete_parked_fetch(id, ctx);
            }
        }
        if let Some(l) = st.leader {
            self.fetchers[l as usize].partitions.push(p as u32);
            let f = &self.fetchers[l as usize];
            if f.in_flight.is_none() && !f.scheduled {
                self.fetchers[l as usize].scheduled = true;
                ctx.schedule(
                    ctx.now,
                    Event::SendFetch {
                        broker: self.id,
                        incarnation: self.incarnation,
                        leader: l,
                    },
                );
            }
        }
    }
}

/// `Partition` alone, without a `World`: the HW rule, follower fetch state, ISR shrink and
/// expand, the leader / follower switch, each case named by the Kafka method whose rule it
/// checks (the conformance suite ports `PartitionTest` itself).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::partition_log::ProducerInfo;
    use crate::sim::ms;

    const ME: u32 = 0;

    fn state(epoch: u32, isr: &[u32]) -> PartitionState {
        PartitionState {
            replicas: vec![0, 1, 2],
            leader: Some(ME),
            leader_epoch: epoch,
            isr: isr.to_vec(),
            partition_epoch: epoch,
            elr: Vec::new(),
        }
    }

    /// A leader of epoch 1 with `records` records in its log.
    fn leader_with(records: u32, now: SimTime) -> Replica {
        let mut r = Replica::default();
        r.make_leader(ME, &state(1, &[0, 1, 2]), now);
        if records > 0 {
            append(&mut r, records, 1);
        }
        r
    }

    fn append(r: &mut Replica, count: u32, epoch: u32) {
        let e = LogEntry {
            base_offset: 0,
            count,
            rec_start: r.log.log_end_offset(),
            leader_epoch: epoch,
            producer: ProducerInfo::default(),
            bytes: 100 * count as u64,
            append_time: 0,
        };
        r.log.append(e, ms(5000), 0);
    }

    fn fetch(offset: u64, epoch: u32, last_fetched_epoch: Option<u32>) -> FetchPartition {
        FetchPartition {
            partition: 0,
            fetch_offset: offset,
            current_leader_epoch: epoch,
            last_fetched_epoch,
        }
    }

    const LAG: SimTime = 30_000_000_000;
    const UNFENCED: [bool; 3] = [false; 3];

    fn view(now: SimTime) -> FollowerView<'static> {
        FollowerView {
            now,
            lag: LAG,
            fenced: &UNFENCED,
        }
    }

    /// `Partition.maybeIncrementLeaderHW`: the HW is the minimum
    /// LEO over the leader and the ISR followers.
    #[test]
    fn hw_is_the_minimum_leo_of_the_isr() {
        let mut r = leader_with(10, 0);
        let isr = [0, 1, 2];
        let now = ms(1);
        assert_eq!(
            r.hw_candidate(&isr, 3, 1, true, view(now)),
            None,
            "followers at 0: no advance"
        );
        r.update_follower_fetch_state(1, &fetch(6, 1, Some(1)), ms(1)).unwrap();
        assert_eq!(
            r.hw_candidate(&isr, 3, 1, true, view(now)),
            None,
            "follower 2 still at 0"
        );
        r.update_follower_fetch_state(2, &fetch(4, 1, Some(1)), ms(1)).unwrap();
        assert_eq!(r.hw_candidate(&isr, 3, 1, true, view(now)), Some(4));
        r.advance_hw(4, &isr);
        assert_eq!(r.hw, 4);
        // A follower outside the ISR, not caught up for longer than replica.lag.time.max.ms,
        // does not hold the HW back.
        let later = ms(1) + LAG + 1;
        assert_eq!(r.hw_candidate(&[0, 1], 2, 1, true, view(later)), Some(6));
    }

    /// `Partition.maybeIncrementLeaderHW` also waits for a follower outside the maximal ISR
    /// that is caught up (`Replica.isCaughtUp`: at the leader's log end, or caught up within
    /// replica.lag.time.max.ms) and ISR-eligible (`isReplicaIsrEligible`: not fenced); as
    /// `PartitionTest.testHighWatermarkIncreasesWithFencedOrShutdownFollower` ("unfenced": the
    /// HW stays, "fenced": it advances).
    #[test]
    fn hw_waits_for_a_caught_up_follower_about_to_join_the_isr() {
        let mut r = leader_with(10, 0);
        r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(100))
            .unwrap();
        r.update_follower_fetch_state(2, &fetch(10, 1, Some(1)), ms(100))
            .unwrap();
        assert_eq!(r.hw_candidate(&[0, 1, 2], 3, 1, true, view(ms(100))), Some(10));
        r.advance_hw(10, &[0, 1, 2]);
        append(&mut r, 10, 1); // leader LEO 20
        r.update_follower_fetch_state(2, &fetch(20, 1, Some(1)), ms(200))
            .unwrap();
        // The controller took broker 1 out of the ISR; it was caught up 100 ms ago.
        let shrunk = [0, 2];
        assert_eq!(
            r.hw_candidate(&shrunk, 2, 1, true, view(ms(200))),
            None,
            "unfenced and caught up: the HW waits for broker 1"
        );
        let fenced = [false, true, false];
        let v = FollowerView {
            fenced: &fenced,
            ..view(ms(200))
        };
        assert_eq!(
            r.hw_candidate(&shrunk, 2, 1, true, v),
            Some(20),
            "fenced: not waited for"
        );
        let late = ms(100) + LAG + 1;
        assert_eq!(
            r.hw_candidate(&shrunk, 2, 1, true, view(late)),
            Some(20),
            "not caught up for longer than replica.lag.time.max.ms"
        );
        // At the leader's log end it is caught up whatever the time (it cannot hold the HW).
        r.update_follower_fetch_state(1, &fetch(20, 1, Some(1)), late).unwrap();
        assert_eq!(r.hw_candidate(&shrunk, 2, 1, true, view(late)), Some(20));
    }

    /// `Replica.resetReplicaState` on a new leader: a follower outside the ISR starts never
    /// caught up (lastCaughtUpTimeMs and lastFetchTimeMs 0), so its first fetch below the log
    /// end does not make it caught up and it does not hold the new leader's HW back.
    #[test]
    fn a_new_leaders_out_of_sync_follower_is_not_caught_up() {
        let mut r = Replica::default();
        append(&mut r, 10, 0);
        r.make_leader(ME, &state(1, &[0, 2]), ms(1_000));
        append(&mut r, 5, 1); // leader LEO 15
        r.update_follower_fetch_state(1, &fetch(4, 1, Some(0)), ms(1_500))
            .unwrap();
        r.update_follower_fetch_state(2, &fetch(15, 1, Some(1)), ms(1_500))
            .unwrap();
        assert_eq!(r.followers[0].last_caught_up, None);
        assert_eq!(r.hw_candidate(&[0, 2], 2, 1, true, view(ms(1_500))), Some(15));
    }

    /// KAFKA-15583 (3.7+): no HW advance while the ISR is below min.insync.replicas; before
    /// 3.7 the HW followed the shrunken ISR.
    #[test]
    fn hw_waits_for_min_isr_only_with_the_3_7_rule() {
        let r = leader_with(10, 0);
        let late = LAG + 1;
        assert_eq!(r.hw_candidate(&[0], 1, 2, true, view(late)), None);
        assert_eq!(r.hw_candidate(&[0], 1, 2, false, view(late)), Some(10));
    }

    /// The HW only grows while leading (asserted: an invariant of the model).
    #[test]
    #[should_panic(expected = "only grows")]
    fn hw_never_moves_back_while_leading() {
        let mut r = leader_with(10, 0);
        r.advance_hw(5, &[0]);
        r.advance_hw(4, &[0]);
    }

    /// The new HW is never above an ISR member's LEO (both sides of the hand-off asserted).
    #[test]
    #[should_panic(expected = "ISR member")]
    fn hw_above_an_isr_member_is_refused() {
        let mut r = leader_with(10, 0);
        r.advance_hw(5, &[0, 1]);
    }

    /// `Replica.updateFetchStateOrThrow` (as in `ReplicaTest.testUpdateFetchState`): caught up when fetching at the log end; otherwise caught up as
    /// of the previous fetch, if that fetch reached the leader's LEO of its time.
    #[test]
    fn last_caught_up_time_follows_replica_update_fetch_state() {
        let mut r = leader_with(10, 0);
        r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(100))
            .unwrap();
        assert_eq!(r.followers[0].last_caught_up, Some(ms(100)));
        append(&mut r, 5, 1); // leader LEO 15
                              // Fetch at 10 >= the leader LEO at the previous fetch (10): caught up as of ms(100)...
        r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(200))
            .unwrap();
        assert_eq!(r.followers[0].last_caught_up, Some(ms(100)));
        // ...fetch at 12 < the leader LEO at the previous fetch (15): no credit.
        r.update_follower_fetch_state(1, &fetch(12, 1, Some(1)), ms(300))
            .unwrap();
        assert_eq!(r.followers[0].last_caught_up, Some(ms(100)));
        assert_eq!(r.followers[0].leo, 12);
        // At the log end: caught up now.
        r.update_follower_fetch_state(1, &fetch(15, 1, Some(1)), ms(400))
            .unwrap();
        assert_eq!(r.followers[0].last_caught_up, Some(ms(400)));
    }

    /// Fetches of another leader epoch, of a diverging follower, or to a non-leader are not
    /// credited (KIP-320 fetch validation).
    #[test]
    fn stale_or_diverging_fetches_are_not_credited() {
        let mut r = leader_with(10, 0);
        assert_eq!(r.update_follower_fetch_state(1, &fetch(5, 0, Some(0)), ms(1)), None);
        // The follower claims epoch 3 which this log never had: diverging, truncate first.
        assert_eq!(r.update_follower_fetch_state(1, &fetch(5, 1, Some(3)), ms(1)), None);
        assert_eq!(r.update_follower_fetch_state(9, &fetch(5, 1, Some(1)), ms(1)), None);
        assert_eq!(r.update_follower_fetch_state(1, &fetch(5, 1, Some(1)), ms(1)), Some(5));
        // Past the end of its claimed epoch: diverging too (the follower must truncate).
        assert_eq!(r.update_follower_fetch_state(1, &fetch(50, 1, Some(1)), ms(2)), None);
        // Without a last fetched epoch (pre-KIP-320 fetch), the offset is capped at the log end.
        assert_eq!(r.update_follower_fetch_state(1, &fetch(50, 1, None), ms(2)), Some(10));
        let mut f = r.clone();
        f.make_follower(&state(2, &[1, 2])).unwrap();
        assert_eq!(f.update_follower_fetch_state(1, &fetch(5, 2, Some(1)), ms(3)), None);
    }

    /// `Partition.getOutOfSyncReplicas`: an ISR follower behind the log end and not caught
    /// up for more than replica.lag.time.max.ms is out of sync; one at the log end never is.
    #[test]
    fn out_of_sync_followers_are_lagging_isr_members() {
        let lag = ms(30_000);
        let mut r = leader_with(10, 0);
        assert!(r.out_of_sync_followers(&[0, 1, 2], ms(30_000), lag).is_empty());
        r.update_follower_fetch_state(1, &fetch(10, 1, Some(1)), ms(100))
            .unwrap();
        assert_eq!(r.out_of_sync_followers(&[0, 1, 2], ms(30_001), lag), vec![2]);
        // Outside the ISR already: not reported again.
        assert!(r.out_of_sync_followers(&[0, 1], ms(60_000), lag).is_empty());
    }

    /// `Partition.maybeExpandIsr`: a follower rejoins once its LEO reached both the
    /// HW and the leader epoch's start offset.
    #[test]
    fn a_follower_joins_at_the_hw_and_the_epoch_start() {
        let mut r = Replica::default();
        append(&mut r, 8, 0);
        r.make_leader(ME, &state(1, &[0]), 0);
        assert_eq!(r.epoch_start, 8);
        append(&mut r, 4, 1);
        r.advance_hw(12, &[0]);
        assert!(!r.can_join_isr(8), "below the HW");
        assert!(r.can_join_isr(12));
        let mut r2 = r.clone();
        r2.hw = 6;
        assert!(!r2.can_join_isr(7), "below the epoch start offset");
        assert!(r2.can_join_isr(8));
    }

    /// One AlterPartition at a time, until its answer or a timeout (KIP-497).
    #[test]
    fn one_alter_partition_at_a_time() {
        let mut r = leader_with(1, 0);
        assert!(r.begin_alter_isr(vec![0, 1], 1, ms(10)));
        assert!(!r.begin_alter_isr(vec![0], 1, ms(20)));
        r.expire_pending_isr(ms(20));
        assert!(r.pending_isr.is_some());
        r.expire_pending_isr(ms(10) + ALTER_PARTITION_WAIT);
        assert!(r.pending_isr.is_none());
        assert!(r.begin_alter_isr(vec![0], 1, ms(10) + ALTER_PARTITION_WAIT));
    }

    /// `makeLeader` / `makeFollower`: epochs only grow, the new leader's followers start caught
    /// up if in the ISR, a stale epoch is ignored.
    #[test]
    fn leader_and_follower_switch() {
        let mut r = leader_with(3, ms(7));
        assert!(r.is_leader && r.leader_epoch == 1);
        let f1 = r.followers.iter().find(|f| f.broker == 1).unwrap();
        assert_eq!((f1.leo, f1.last_caught_up), (0, Some(ms(7))));
        assert_eq!(r.make_follower(&state(0, &[1])), None, "stale epoch");
        assert!(r.is_leader);
        assert_eq!(r.make_follower(&state(2, &[1])), Some(true));
        assert!(!r.is_leader && r.followers.is_empty() && r.leader_epoch == 2);
        let mut out = state(3, &[0, 1]);
        out.isr = vec![0, 1];
        r.make_leader(ME, &out, ms(9));
        let f2 = r.followers.iter().find(|f| f.broker == 2).unwrap();
        assert_eq!(f2.last_caught_up, None, "not in the ISR: not caught up");
    }

    #[test]
    #[should_panic(expected = "leader epochs only grow")]
    fn leader_epochs_only_grow() {
        let mut r = leader_with(0, 0);
        r.make_leader(ME, &state(0, &[0]), 0);
    }
}
