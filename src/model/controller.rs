//! The KRaft controller: broker heartbeats and session expiry (`BrokerHeartbeatManager`,
//! `broker.session.timeout.ms`), fencing, leader election (`PartitionChangeBuilder`:
//! first ISR member in assignment order; unclean election when enabled), ISR changes
//! (`AlterPartition`), and publishing partition state to brokers. Reference 7.4, 7.7, 7.8.

use super::context::Ctx;
use super::{Envelope, Event, Message, PartitionState, World};
use crate::config::{ClusterConfig, RunSpec};
use crate::model::observe::Observation;
use crate::sim::{ms, SimTime};

/// Replica assignment as `AdminUtils.assignReplicasToBrokersRackUnaware` with start index 0:
/// leaders round-robin over brokers, followers shifted so replicas spread evenly.
pub fn assign_replicas(c: &ClusterConfig) -> Vec<Vec<u32>> {
    assign_topic(c.brokers, c.partitions, c.replication_factor, 0)
}

/// Every topic's assignment, in the cluster-wide partition numbering. Kafka draws each topic's
/// start index at random (`assignReplicasToBrokersRackUnaware(startIndex = -1)`) so that the
/// leaders of many small topics spread over the brokers; here topic `t` starts where the
/// previous topics' leaders left off (the first topic at broker 0, as with one topic), which
/// spreads them the same way and keeps a run reproducible without a draw.
pub(crate) fn assign_all(spec: &RunSpec) -> Vec<Vec<u32>> {
    let n = spec.cluster.brokers;
    let mut out = Vec::new();
    for t in spec.topic_list() {
        let start = t.first % n.max(1);
        out.extend(assign_topic(n, t.partitions, t.replication_factor, start));
    }
    out
}

fn assign_topic(n: u32, partitions: u32, rf: u32, start: u32) -> Vec<Vec<u32>> {
    let rf = rf.min(n);
    let mut shift = 0u32;
    (0..partitions)
        .map(|p| {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            let first = (p + start) % n;
            let mut reps = vec![first];
            for j in 0..rf.saturating_sub(1) {
                let s = 1 + (shift + j) % (n - 1).max(1);
                reps.push((first + s) % n);
            }
            reps
        })
        .collect()
}

/// The KRaft controller's state: partition states, fenced brokers, broker sessions.
pub struct Controller {
    /// Every partition's state, the metadata the controller publishes.
    pub parts: Vec<PartitionState>,
    /// Per broker: fenced (session expired, not yet re-registered).
    pub fenced: Vec<bool>,
    incarnation: Vec<u64>,
    /// Per broker: the metadata version of its registration (a fenced broker is unfenced once
    /// it reports that version).
    registered_at: Vec<u64>,
    /// Heartbeats received per broker (a session check compares against it).
    hb_seen: Vec<u64>,
    /// Metadata version: bumped at every publication.
    pub version: u64,
    /// Leader elections made so far.
    pub elections: u64,
    /// Partitions whose leader was elected uncleanly since the last publication (for the
    /// trace: `explain` names the mechanism).
    unclean_elected: Vec<u32>,
    /// Per partition: its topic's `unclean.leader.election.enable`.
    unclean: Vec<bool>,
    /// KIP-966 eligible leader replicas, and the min ISR they are kept against.
    elr: bool,
    /// KIP-380 / KRaft: a registration of a broker's new incarnation inside its old session is
    /// detected (refused until the session expires).
    bounce_detection: bool,
    /// Per partition: its topic's effective `min.insync.replicas`.
    min_isr: Vec<usize>,
    session_timeout: SimTime,
    /// `leader.imbalance.check.interval.seconds` when `auto.leader.rebalance.enable`.
    balance_interval: Option<SimTime>,
    /// `QuorumController.imbalancedScheduled`: a balance is scheduled; or the last one hit
    /// `maxElectionsPerImbalance` and the next runs at once.
    balance_scheduled: bool,
    balance_immediately: bool,
}

/// `QuorumController`'s `maxElectionsPerImbalance` (1000): preferred elections per balance.
const MAX_ELECTIONS_PER_IMBALANCE: usize = 1_000;

impl Controller {
    /// The controller at the start of a run: every replica in the ISR, the first assigned
    /// replica leading in epoch 0, no broker fenced.
    pub fn new(spec: &RunSpec, assignment: &[Vec<u32>]) -> Controller {
        Controller {
            parts: assignment
                .iter()
                .map(|reps| PartitionState {
                    replicas: reps.clone(),
                    leader: Some(reps[0]),
                    leader_epoch: 0,
                    isr: reps.clone(),
                    partition_epoch: 0,
                    elr: Vec::new(),
                })
                .collect(),
            fenced: vec![false; spec.cluster.brokers as usize],
            incarnation: vec![1; spec.cluster.brokers as usize],
            registered_at: vec![0; spec.cluster.brokers as usize],
            hb_seen: vec![0; spec.cluster.brokers as usize],
            version: 1,
            elections: 0,
            unclean_elected: Vec::new(),
            unclean: (0..assignment.len())
                .map(|p| spec.partition_settings(p as u32).2)
                .collect(),
            elr: spec.cluster.eligible_leader_replicas_enable,
            bounce_detection: spec.cluster.broker_bounce_detection,
            min_isr: (0..assignment.len())
                .map(|p| crate::model::broker::effective_min_isr(spec, p))
                .collect(),
            session_timeout: ms(spec.cluster.broker_session_timeout_ms),
            balance_interval: spec
                .cluster
                .auto_leader_rebalance_enable
                .then(|| ms(spec.cluster.leader_imbalance_check_interval_seconds * 1_000)),
            balance_scheduled: false,
            balance_immediately: false,
        }
    }

    /// Every partition's state, as published to a broker that (re-)registers.
    pub fn snapshot(&self) -> Vec<(u32, PartitionState)> {
        self.parts
            .iter()
            .enumerate()
            .map(|(p, s)| (p as u32, s.clone()))
            .collect()
    }

    /// A heartbeat of broker `b` arrived: returns how many it sent so far (a session check
    /// later compares against it).
    pub fn note_heartbeat(&mut self, b: u32) -> u64 {
        self.hb_seen[b as usize] += 1;
        self.hb_seen[b as usize]
    }

    /// `PartitionChangeBuilder.electAnyLeader`: the first replica in assignment order that is
    /// a valid new leader (`isValidNewLeader`: in the ISR, or, with ELR and an empty ISR, in the
    /// ELR; and unfenced); else, with unclean election, the first unfenced replica.
    /// Returns (leader, unclean). (`lastKnownElr`, the last resort when every ELR member shut
    /// down uncleanly, is not modelled.)
    pub fn elect(&self, p: usize) -> Option<(u32, bool)> {
        let st = &self.parts[p];
        let ok = |b: &u32| !self.fenced[*b as usize];
        let valid = |b: &u32| st.isr.contains(b) || (st.isr.is_empty() && st.elr.contains(b));
        if let Some(&l) = st.replicas.iter().find(|b| valid(b) && ok(b)) {
            return Some((l, false));
        }
        if self.unclean[p] {
            if let Some(&l) = st.replicas.iter().find(|b| ok(b)) {
                return Some((l, true));
            }
        }
        None
    }

    /// `PartitionChangeBuilder.electPreferredLeader` (`Election.PREFERRED`): the preferred
    /// (first assigned) replica if it is in the ISR and unfenced; else the current leader if
    /// still valid; else the next valid replica in assignment order (none: leaderless; ELR is
    /// not modelled).
    pub fn elect_preferred(&self, p: usize) -> Option<u32> {
        let st = &self.parts[p];
        let valid = |b: u32| st.isr.contains(&b) && !self.fenced[b as usize];
        let preferred = st.replicas.first().copied().filter(|&b| valid(b));
        preferred
            .or(st.leader.filter(|&l| valid(l)))
            .or_else(|| st.replicas.iter().skip(1).copied().find(|&b| valid(b)))
    }

    /// `PartitionRegistration.hasPreferredLeader` for every partition (the controller's
    /// `imbalancedPartitions` is empty).
    fn balanced(&self) -> bool {
        self.parts
            .iter()
            .all(|s| s.leader.is_some() && s.leader == s.replicas.first().copied())
    }

    fn set_leader(&mut self, p: usize, leader: Option<(u32, bool)>) {
        let st = &mut self.parts[p];
        let new = leader.map(|l| l.0);
        if st.leader != new {
            st.leader_epoch += 1;
            if new.is_some() {
                self.elections += 1;
            }
        }
        st.leader = new;
        if let Some((l, unclean)) = leader {
            if unclean {
                self.unclean_elected.push(p as u32);
            }
            if unclean || !st.isr.contains(&l) {
                // Unclean: the elected out-of-sync replica's log becomes the truth. From the
                // ELR (KIP-966, `PartitionChangeBuilder.build`): the ISR restarts with it.
                st.isr = vec![l];
                st.elr.retain(|&b| b != l);
            }
        }
        st.partition_epoch += 1;
    }

    /// `PartitionChangeBuilder.populateTargetElr` for partition `p` about to take ISR
    /// `target`: without ELR, or with an ISR of at least min ISR, none; else the ELR and the
    /// current ISR, less the target ISR.
    fn target_elr(&self, p: usize, target: &[u32]) -> Vec<u32> {
        if !self.elr || target.len() >= self.min_isr[p] {
            return Vec::new();
        }
        let st = &self.parts[p];
        st.replicas
            .iter()
            .copied()
            .filter(|b| (st.elr.contains(b) || st.isr.contains(b)) && !target.contains(b))
            .collect()
    }

    /// Sets partition `p`'s ISR to `isr`, with its ELR.
    fn set_isr(&mut self, p: usize, isr: Vec<u32>) {
        self.parts[p].elr = self.target_elr(p, &isr);
        self.parts[p].isr = isr;
    }
}

impl Controller {
    /// The controller's network node (after the brokers).
    fn node(&self) -> usize {
        self.fenced.len()
    }

    /// Publish changed partitions to every broker (the metadata log, pushed after
    /// `metadata_propagation_ms`), with the fenced brokers; `fencing` says a broker was fenced or
    /// unfenced (a `BrokerRegistrationChangeRecord`: published even when no partition changed).
    fn publish(&mut self, changed: Vec<u32>, fencing: bool, ctx: &mut Ctx<'_>) {
        if changed.is_empty() && !fencing {
            return;
        }
        self.version += 1;
        let version = self.version;
        let partitions: Vec<(u32, PartitionState)> =
            changed.iter().map(|&p| (p, self.parts[p as usize].clone())).collect();
        for (p, st) in &partitions {
            // KRaft's PartitionChangeBuilder keeps the leader in the ISR (an unclean leader
            // becomes the whole ISR).
            if let Some(l) = st.leader {
                assert!(
                    st.isr.contains(&l),
                    "partition {p}: leader b{l} published outside its ISR {:?}",
                    st.isr
                );
            }
        }
        for p in std::mem::take(&mut self.unclean_elected) {
            if let Some(leader) = self.parts[p as usize].leader {
                ctx.observe(Observation::UncleanElection { partition: p, leader });
            }
        }
        ctx.observe(Observation::Published {
            partitions: &partitions,
        });
        self.maybe_schedule_balance(ctx);
        let at = ctx.now + ms(ctx.spec.cluster.metadata_propagation_ms);
        for b in 0..self.fenced.len() {
            let msg = Message::MetadataUpdate {
                version,
                partitions: partitions.clone(),
                registered: None,
                fenced: self.fenced.clone(),
            };
            ctx.send_at(at, self.node(), World::broker_node(b as u32), 0, msg);
        }
    }

    /// Fence a broker whose session expired: leave ISRs (never the last member), move
    /// leadership (`ReplicationControlManager.handleBrokerFenced`).
    fn fence(&mut self, b: u32, ctx: &mut Ctx<'_>) {
        if self.fenced[b as usize] {
            return;
        }
        self.fenced[b as usize] = true;
        ctx.observe(Observation::Fenced { broker: b });
        let mut changed = Vec::new();
        for p in 0..self.parts.len() {
            let st = &self.parts[p];
            if !st.replicas.contains(&b) {
                continue;
            }
            let mut touched = false;
            // Without ELR the last ISR member stays (the partition goes leaderless instead);
            // with ELR the ISR may become empty (`generateLeaderAndIsrUpdates`).
            if st.isr.contains(&b) && (st.isr.len() > 1 || self.elr) {
                let isr: Vec<u32> = st.isr.iter().copied().filter(|&x| x != b).collect();
                self.set_isr(p, isr);
                touched = true;
            }
            if self.parts[p].leader == Some(b) {
                let l = self.elect(p);
                self.set_leader(p, l);
                touched = false;
                changed.push(p as u32);
            }
            if touched {
                self.parts[p].partition_epoch += 1;
                changed.push(p as u32);
            }
        }
        self.publish(changed, true, ctx);
    }

    /// Broker `b` registered after an unclean shutdown: it is no longer an eligible leader.
    fn leave_elrs(&mut self, b: u32, ctx: &mut Ctx<'_>) {
        let mut changed = Vec::new();
        for (p, st) in self.parts.iter_mut().enumerate() {
            if st.elr.contains(&b) {
                st.elr.retain(|&x| x != b);
                st.partition_epoch += 1;
                changed.push(p as u32);
            }
        }
        self.publish(changed, false, ctx);
    }

    /// An unfenced broker can lead partitions that have no leader.
    fn unfence(&mut self, b: u32, ctx: &mut Ctx<'_>) {
        self.fenced[b as usize] = false;
        let mut changed = Vec::new();
        for p in 0..self.parts.len() {
            if self.parts[p].leader.is_none() && self.parts[p].replicas.contains(&b) {
                if let Some(l) = self.elect(p) {
                    self.set_leader(p, Some(l));
                    changed.push(p as u32);
                }
            }
        }
        self.publish(changed, true, ctx);
    }

    /// `QuorumController.maybeScheduleNextBalancePartitionLeaders`, after every write: when a
    /// partition is off its preferred leader and no balance is scheduled, schedule one
    /// `leader.imbalance.check.interval.seconds` from now (10 ms when the last one hit
    /// `maxElectionsPerImbalance`). `leader.imbalance.per.broker.percentage` is not read by the
    /// KRaft controller (KAFKA-13682): any imbalanced partition triggers it.
    fn maybe_schedule_balance(&mut self, ctx: &mut Ctx<'_>) {
        let Some(interval) = self.balance_interval else {
            return;
        };
        if self.balance_scheduled || self.balanced() {
            return;
        }
        let delay = if self.balance_immediately { ms(10) } else { interval };
        ctx.schedule(ctx.now + delay, Event::LeaderBalance);
        self.balance_scheduled = true;
    }

    /// The scheduled `maybeBalancePartitionLeaders` event
    /// (`ReplicationControlManager.maybeTriggerLeaderChangeForPartitionsWithoutPreferredLeader`):
    /// a preferred election ([`Controller::elect_preferred`]) for every partition off its
    /// preferred leader, at most `maxElectionsPerImbalance`, published; then scheduled again if
    /// some partition is still imbalanced (its preferred replica not in the ISR, or fenced).
    pub(crate) fn balance_leaders(&mut self, ctx: &mut Ctx<'_>) {
        self.balance_scheduled = false;
        let mut changed = Vec::new();
        for p in 0..self.parts.len() {
            if changed.len() >= MAX_ELECTIONS_PER_IMBALANCE {
                break;
            }
            let st = &self.parts[p];
            if st.leader.is_some() && st.leader == st.replicas.first().copied() {
                continue;
            }
            let new = self.elect_preferred(p);
            if new != self.parts[p].leader {
                self.set_leader(p, new.map(|l| (l, false)));
                changed.push(p as u32);
            }
        }
        self.balance_immediately = changed.len() >= MAX_ELECTIONS_PER_IMBALANCE;
        self.publish(changed, false, ctx);
        self.maybe_schedule_balance(ctx);
    }

    /// `BrokerHeartbeatManager`: no heartbeat since `seen` within the session: fence.
    pub(crate) fn session_check(&mut self, b: u32, seen: u64, ctx: &mut Ctx<'_>) {
        if self.hb_seen[b as usize] == seen && !self.fenced[b as usize] {
            self.fence(b, ctx);
        }
    }

    /// A message reached the controller: a broker heartbeat (registration, session, metadata
    /// catch-up) or an AlterPartition.
    pub(crate) fn on_message(&mut self, env: Envelope, ctx: &mut Ctx<'_>) {
        match env.msg {
            Message::Heartbeat {
                broker,
                incarnation,
                metadata_version,
            } => {
                let bi = broker as usize;
                if incarnation != self.incarnation[bi] {
                    // A registration of a restarted broker. `ClusterControlManager
                    // .registerBroker` refuses it with DuplicateBrokerRegistrationException
                    // while the old incarnation's session is valid (`hasValidSession`: here,
                    // not fenced yet); the broker retries with its next heartbeat until
                    // the old session expires and `maybeFenceOneStaleBroker` fences it
                    // (reference 7.8, correction 2026-11-30). A refused heartbeat does not
                    // extend the old session.
                    if !self.fenced[bi] && self.bounce_detection {
                        return;
                    }
                    // Before KIP-380 (2.2) a ZooKeeper controller did not see a bounce inside
                    // the session (the broker's ephemeral node was replaced, its watch
                    // coalesced): the new incarnation is registered at once, unfenced, still
                    // in every ISR, and takes its partitions back (`onBrokerStartup`).
                    // Accepted: the new incarnation starts fenced, registered at the current
                    // metadata version (its RegisterBrokerRecord's offset).
                    self.incarnation[bi] = incarnation;
                    self.registered_at[bi] = self.version;
                    // A crash is an unclean shutdown: KIP-966 takes the broker out of every
                    // ELR (`ReplicationControlManager.handleBrokerUncleanShutdown`).
                    self.leave_elrs(broker, ctx);
                }
                let seen = self.note_heartbeat(broker);
                let at = ctx.now + self.session_timeout;
                ctx.schedule(at, Event::SessionCheck { broker, seen });
                // `BrokerHeartbeatManager.calculateNextBrokerState`: a fenced broker is
                // unfenced once its metadata has caught up with its registration.
                if self.fenced[bi] && metadata_version >= self.registered_at[bi] {
                    self.unfence(broker, ctx);
                }
                if metadata_version < self.version {
                    // The broker is behind on the metadata log (or just registered): send it
                    // everything, and tell it its registration is done.
                    let msg = Message::MetadataUpdate {
                        version: self.version,
                        partitions: self.snapshot(),
                        registered: Some(incarnation),
                        fenced: self.fenced.clone(),
                    };
                    ctx.send(self.node(), World::broker_node(broker), 0, msg);
                }
            }
            Message::AlterPartition {
                broker,
                partition,
                leader_epoch,
                partition_epoch,
                new_isr,
            } => {
                let p = partition as usize;
                let st = &self.parts[p];
                let valid = st.leader == Some(broker)
                    && st.leader_epoch == leader_epoch
                    && st.partition_epoch == partition_epoch
                    && new_isr.contains(&broker)
                    && new_isr.iter().all(|b| st.isr.contains(b) || !self.fenced[*b as usize]);
                if valid {
                    let mut isr: Vec<u32> = st.replicas.iter().copied().filter(|b| new_isr.contains(b)).collect();
                    isr.dedup();
                    ctx.observe(Observation::IsrChanged {
                        broker,
                        partition,
                        from: &self.parts[p].isr,
                        to: &isr,
                    });
                    self.set_isr(p, isr);
                    self.parts[p].partition_epoch += 1;
                    self.publish(vec![partition], false, ctx);
                } else {
                    // Rejected (stale epoch, zombie leader): tell the sender the current state.
                    let msg = Message::MetadataUpdate {
                        version: self.version,
                        partitions: vec![(partition, self.parts[p].clone())],
                        registered: None,
                        fenced: self.fenced.clone(),
                    };
                    ctx.send(self.node(), World::broker_node(broker), 0, msg);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_spreads_leaders_and_replicas() {
        let c = ClusterConfig {
            brokers: 3,
            partitions: 6,
            replication_factor: 3,
            ..ClusterConfig::default()
        };
        let a = assign_replicas(&c);
        assert_eq!(
            a,
            vec![
                vec![0, 1, 2],
                vec![1, 2, 0],
                vec![2, 0, 1],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![2, 1, 0]
            ]
        );
        let c = ClusterConfig {
            brokers: 5,
            partitions: 10,
            replication_factor: 2,
            ..ClusterConfig::default()
        };
        for reps in assign_replicas(&c) {
            assert_eq!(reps.len(), 2);
            assert_ne!(reps[0], reps[1]);
        }
    }

    #[test]
    fn clean_election_takes_first_isr_member_in_assignment_order() {
        let spec = RunSpec::default();
        let a = assign_replicas(&spec.cluster);
        let mut c = Controller::new(&spec, &a);
        c.fenced[0] = true;
        c.parts[0].isr = vec![0, 2];
        assert_eq!(c.elect(0), Some((2, false)));
        c.fenced[2] = true;
        assert_eq!(c.elect(0), None, "unclean election is off by default");
        c.unclean.fill(true);
        assert_eq!(c.elect(0), Some((1, true)));
    }

    #[test]
    fn leader_epoch_bumps_on_every_leader_change() {
        let spec = RunSpec::default();
        let a = assign_replicas(&spec.cluster);
        let mut c = Controller::new(&spec, &a);
        c.set_leader(0, Some((1, false)));
        assert_eq!(c.parts[0].leader_epoch, 1);
        c.set_leader(0, None);
        assert_eq!(c.parts[0].leader_epoch, 2);
        c.set_leader(0, Some((1, true)));
        assert_eq!((c.parts[0].leader_epoch, c.parts[0].isr.clone()), (3, vec![1]));
    }

    /// The controller alone, driven through a bare [`Ctx`]: a session that expires fences the
    /// broker, the next ISR member in assignment order leads in a new epoch, and the change is
    /// published to every broker after `metadata_propagation_ms` (the outbox says so).
    #[test]
    fn an_expired_session_fences_elects_and_publishes() {
        use crate::model::context::Command;
        use crate::model::monitor::Monitor;
        let spec = RunSpec::default();
        let mut c = Controller::new(&spec, &assign_replicas(&spec.cluster));
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(6), None);
        let now = ms(9_000);
        let mut ctx = Ctx::new(now, &spec, &mut out, &mut monitor, &mut tracer);
        // Broker 0 sent no heartbeat since the start (seen = 0).
        c.session_check(0, 0, &mut ctx);
        assert!(c.fenced[0]);
        assert_eq!((c.parts[0].leader, c.parts[0].leader_epoch), (Some(1), 1));
        assert!(!c.parts[0].isr.contains(&0));
        let sends: Vec<(SimTime, usize)> = out
            .iter()
            .filter_map(|cmd| match cmd {
                Command::Send { at, to, .. } => Some((*at, *to)),
                _ => None,
            })
            .collect();
        let at = now + ms(spec.cluster.metadata_propagation_ms);
        assert_eq!(sends, vec![(at, 0), (at, 1), (at, 2)], "one publication to each broker");
        // A second check of the same session does nothing.
        out.clear();
        let mut ctx = Ctx::new(now, &spec, &mut out, &mut monitor, &mut tracer);
        c.session_check(0, 0, &mut ctx);
        assert!(out.is_empty());
    }

    /// A heartbeat of broker 1 (incarnation, applied metadata version) to the controller.
    fn broker_1_heartbeat(incarnation: u64, metadata_version: u64) -> Envelope {
        Envelope {
            from: 1,
            to: 3,
            gen: 0,
            msg: Message::Heartbeat {
                broker: 1,
                incarnation,
                metadata_version,
            },
        }
    }

    /// Fast restart (`ClusterControlManagerTest`-style registration, `BrokerHeartbeatManagerTest
    /// .testCalculateNextBrokerState`): a restarted broker's new incarnation is refused while
    /// the old session is valid, accepted fenced once the session expired, and unfenced only
    /// after its metadata caught up with its registration.
    #[test]
    fn a_fast_restart_waits_for_the_old_session_and_for_metadata() {
        use crate::model::monitor::Monitor;
        let spec = RunSpec::default();
        let mut c = Controller::new(&spec, &assign_replicas(&spec.cluster));
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(6), None);
        let hb = broker_1_heartbeat;
        // Broker 1 heartbeats at 1 s (seen = 1), crashes, restarts at 3 s as incarnation 2.
        let mut ctx = Ctx::new(ms(1_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.on_message(hb(1, 1), &mut ctx);
        let mut ctx = Ctx::new(ms(3_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.on_message(hb(2, 0), &mut ctx);
        assert_eq!(c.incarnation[1], 1, "refused: the old session is valid");
        assert_eq!(c.hb_seen[1], 1, "a refused heartbeat does not extend the old session");
        // The old session expires at 10 s: fenced, leadership moves.
        let mut ctx = Ctx::new(ms(10_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.session_check(1, 1, &mut ctx);
        assert!(c.fenced[1]);
        assert_ne!(c.parts[1].leader, Some(1));
        // The next heartbeat registers the new incarnation, still fenced: its metadata is
        // behind its registration.
        let mut ctx = Ctx::new(ms(11_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.on_message(hb(2, 0), &mut ctx);
        assert_eq!(c.incarnation[1], 2);
        assert!(c.fenced[1], "fenced until caught up");
        // Caught up: unfenced.
        let v = c.version;
        let mut ctx = Ctx::new(ms(13_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.on_message(hb(2, v), &mut ctx);
        assert!(!c.fenced[1]);
    }

    /// Before KIP-380 (`cluster.broker_bounce_detection = false`, ZooKeeper controllers before
    /// 2.2): the same fast restart is registered at once, never fenced, its ISR memberships
    /// and leaderships kept; the broker learns its partitions from the snapshot it is sent.
    #[test]
    fn before_kip_380_a_fast_restart_goes_unnoticed() {
        use crate::model::context::Command;
        use crate::model::monitor::Monitor;
        let mut spec = RunSpec::default();
        spec.cluster.broker_bounce_detection = false;
        let mut c = Controller::new(&spec, &assign_replicas(&spec.cluster));
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(6), None);
        let hb = |incarnation| broker_1_heartbeat(incarnation, 0);
        let mut ctx = Ctx::new(ms(1_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.on_message(hb(1), &mut ctx);
        let before = c.parts.clone();
        let mut ctx = Ctx::new(ms(3_000), &spec, &mut out, &mut monitor, &mut tracer);
        c.on_message(hb(2), &mut ctx);
        assert_eq!(c.incarnation[1], 2, "registered inside the old session");
        assert!(!c.fenced[1]);
        assert_eq!(c.parts, before, "no ISR change, no election");
        assert!(out.iter().any(|cmd| matches!(
            cmd,
            Command::Send {
                msg: Message::MetadataUpdate {
                    registered: Some(2),
                    ..
                },
                ..
            }
        )));
    }

    /// `QuorumController.maybeScheduleNextBalancePartitionLeaders` and
    /// `ReplicationControlManager.maybeBalancePartitionLeaders` (as
    /// `ReplicationControlManagerTest.testBalancePartitionLeaders`): a write that leaves a
    /// partition off its preferred replica schedules a balance `leader.imbalance.check
    /// .interval.seconds` later; the balance elects the preferred replica only once it is in
    /// the ISR and unfenced (`PartitionChangeBuilder.electPreferredLeader`), and is scheduled
    /// again while the imbalance lasts.
    #[test]
    fn preferred_leaders_return_after_the_imbalance_check_interval() {
        use crate::model::context::Command;
        use crate::model::monitor::Monitor;
        let spec = RunSpec::default();
        let interval = ms(spec.cluster.leader_imbalance_check_interval_seconds * 1_000);
        let mut c = Controller::new(&spec, &assign_replicas(&spec.cluster));
        let (mut out, mut monitor, mut tracer) = (Vec::new(), Monitor::new(6), None);
        let balances = |out: &[Command]| -> Vec<SimTime> {
            out.iter()
                .filter_map(|cmd| match cmd {
                    Command::Schedule {
                        at,
                        event: Event::LeaderBalance,
                    } => Some(*at),
                    _ => None,
                })
                .collect()
        };
        // Broker 0's session expires at 9 s: partitions 0 and 3 (preferred b0) move.
        let t0 = ms(9_000);
        let mut ctx = Ctx::new(t0, &spec, &mut out, &mut monitor, &mut tracer);
        c.session_check(0, 0, &mut ctx);
        assert_eq!(c.parts[0].leader, Some(1));
        assert_eq!(
            balances(&out),
            vec![t0 + interval],
            "scheduled once, one interval later"
        );
        // Broker 0 is back (unfenced) but not in the ISR yet: the balance keeps the leader and
        // is scheduled again.
        c.fenced[0] = false;
        out.clear();
        let t1 = t0 + interval;
        let mut ctx = Ctx::new(t1, &spec, &mut out, &mut monitor, &mut tracer);
        c.balance_leaders(&mut ctx);
        assert_eq!((c.parts[0].leader, c.parts[0].leader_epoch), (Some(1), 1));
        assert_eq!(balances(&out), vec![t1 + interval]);
        // Back in the ISR: the next balance moves leadership home in a new leader epoch, and
        // publishes it; balanced, nothing more is scheduled.
        for p in [0, 3] {
            c.parts[p].isr = c.parts[p].replicas.clone();
        }
        out.clear();
        let t2 = t1 + interval;
        let mut ctx = Ctx::new(t2, &spec, &mut out, &mut monitor, &mut tracer);
        c.balance_leaders(&mut ctx);
        assert_eq!((c.parts[0].leader, c.parts[0].leader_epoch), (Some(0), 2));
        assert_eq!(c.parts[3].leader, Some(0));
        assert!(out.iter().any(|cmd| matches!(cmd, Command::Send { .. })), "published");
        assert!(balances(&out).is_empty());
    }
}
