//! The produce path of a leader: `ReplicaManager.appendRecords` with acks 0 / 1 / all,
//! `NOT_ENOUGH_REPLICAS[_AFTER_APPEND]`, and the produce purgatory (`DelayedProduce`): a request
//! waiting for the ISR to reach its offsets, completed by a high-watermark advance or expired at
//! the producer's `request.timeout.ms`.

use super::*;
use crate::config::Acks;
use crate::model::context::{Command, Ctx};
use crate::model::observe::Observation;
use crate::model::partition_log::{LogEntry, SequenceCheck};
use crate::model::{ErrorCode, Event, Message, PartitionResponse, ProduceRequest, World};
use crate::sim::SimTime;
use rand::Rng;

/// An acks=all produce request waiting in the purgatory for its partitions' high watermarks.
#[derive(Clone, Debug)]
pub struct DelayedProduce {
    /// The broker's id for it in its purgatory.
    pub id: u64,
    /// The network node of the producer client it came from.
    pub client: usize,
    /// The producer connection's generation it came on (its answer goes back on it).
    pub gen: u64,
    /// The ProduceRequest's id (its answer names it).
    pub request: u64,
    /// Per partition: the response being built, the offset the HW must reach (the batch's
    /// end), and whether it still waits.
    pub parts: Vec<(PartitionResponse, u64, bool)>,
    /// The request's timeout (`request.timeout.ms` sent by the producer) from now.
    pub deadline: SimTime,
    /// The partitions it waited on when parked, as bits `p % 64`: its watch keys
    /// (`DelayedOperationPurgatory.tryCompleteElseWatch` with one `TopicPartitionOperationKey`
    /// per partition), which a high-watermark advance of one partition checks
    /// (`ReplicaManager.tryCompleteDelayedRequests`: `checkAndComplete(key)`).
    pub watch: u64,
}

impl DelayedProduce {
    /// The watch bits of `parts`' waiting partitions.
    pub fn watch_of(parts: &[(PartitionResponse, u64, bool)]) -> u64 {
        parts
            .iter()
            .filter(|x| x.2)
            .fold(0, |w, x| w | 1 << (x.0.partition % 64))
    }

    /// Whether partition `p`'s high watermark may complete it.
    #[inline]
    pub fn watches(&self, p: usize) -> bool {
        self.watch & 1 << (p % 64) != 0
    }

    /// Whether [`DelayedProduce::try_complete`] would finish some partition it waits on now.
    fn can_progress(&self, replicas: &[Option<Replica>]) -> bool {
        self.parts.iter().filter(|x| x.2).any(|(resp, required, _)| {
            replicas[resp.partition as usize]
                .as_ref()
                .is_none_or(|r| !r.is_leader || r.hw >= *required)
        })
    }

    /// `DelayedProduce.tryComplete` / `Partition.checkEnoughReplicasReachOffset` on this
    /// broker's `replicas` and metadata `meta`: a partition is done when its leader's HW reached
    /// the required offset (with `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the maximal ISR, KIP-497,
    /// is below `min_isr` by then: the records stay in the log), or when this broker no longer leads it
    /// (`NOT_LEADER_OR_FOLLOWER`, with the leader it knows, KIP-951). True when every partition
    /// is done.
    pub fn try_complete(
        &mut self,
        replicas: &[Option<Replica>],
        meta: &[Option<PartitionState>],
        min_isr: impl Fn(usize) -> usize,
    ) -> bool {
        let mut pending = false;
        for (resp, required, waiting) in self.parts.iter_mut() {
            if !*waiting {
                continue;
            }
            let p = resp.partition as usize;
            match replicas[p].as_ref() {
                Some(r) if r.is_leader => {
                    if r.hw >= *required {
                        *waiting = false;
                        // `Partition.checkEnoughReplicasReachOffset`: `minIsr <= curMaximalIsr.size`.
                        let isr = meta[p].as_ref().map_or(0, |s| r.maximal_isr_len(&s.isr));
                        if isr < min_isr(p) {
                            resp.error = ErrorCode::NotEnoughReplicasAfterAppend;
                        }
                    } else {
                        pending = true;
                    }
                }
                _ => {
                    *waiting = false;
                    resp.error = ErrorCode::NotLeaderOrFollower;
                    resp.leader_hint = meta[p].as_ref().and_then(|s| s.leader.map(|l| (l, s.leader_epoch)));
                }
            }
        }
        !pending
    }
}

/// The produce path of a broker.
impl Broker {
    /// `ReplicaManager.appendRecords` on the leader.
    pub(in crate::model) fn handle_produce(&mut self, client: usize, gen: u64, req: ProduceRequest, ctx: &mut Ctx<'_>) {
        let b = self.id;
        let mut parts: Vec<(PartitionResponse, u64, bool)> = Vec::with_capacity(req.batches.len());
        let mut any_error = false;
        for pb in &req.batches {
            let p = pb.partition as usize;
            let min_isr = effective_min_isr(ctx.spec, p);
            let mut resp = PartitionResponse {
                batch: pb.batch,
                partition: pb.partition,
                error: ErrorCode::None,
                base_offset: 0,
                leader_hint: None,
            };
            let is_leader = self.replicas[p].as_ref().is_some_and(|r| r.is_leader);
            if !is_leader {
                resp.error = ErrorCode::NotLeaderOrFollower;
                resp.leader_hint = self.meta[p]
                    .as_ref()
                    .and_then(|s| s.leader.map(|l| (l, s.leader_epoch)));
            } else if req.acks == Acks::All && self.isr_len(p) < min_isr {
                // Partition.appendRecordsToLeader: checked before the append.
                resp.error = ErrorCode::NotEnoughReplicas;
            } else if pb.bytes > ctx.spec.cluster.message_max_bytes {
                // UnifiedLog.appendAsLeader -> analyzeAndValidateRecords: "The record batch size
                // in the append to ... exceeds the maximum configured value of
                // max.message.bytes" (RecordTooLargeException -> MESSAGE_TOO_LARGE), before the
                // producer-state check and without appending anything.
                resp.error = ErrorCode::MessageTooLarge;
            } else {
                let r = self.replicas[p].as_ref().expect("checked: leads it");
                match r.log.check_sequence(pb.producer, pb.count) {
                    SequenceCheck::Duplicate { base_offset } => {
                        resp.base_offset = base_offset;
                        if ctx.tracing() {
                            ctx.observe(Observation::Duplicate {
                                broker: b,
                                partition: pb.partition,
                                rec_start: pb.rec_start,
                                count: pb.count,
                                seq: pb.producer.base_seq,
                                base_offset,
                            });
                        }
                    }
                    SequenceCheck::OutOfOrder => resp.error = ErrorCode::OutOfOrderSequenceNumber,
                    SequenceCheck::InvalidEpoch => resp.error = ErrorCode::InvalidProducerEpoch,
                    SequenceCheck::Accept => {
                        let entry = LogEntry {
                            base_offset: 0,
                            count: pb.count,
                            rec_start: pb.rec_start,
                            leader_epoch: r.leader_epoch,
                            producer: pb.producer,
                            bytes: pb.bytes as u64,
                            append_time: ctx.now,
                        };
                        resp.base_offset = self.replica_append(p, entry, ctx);
                        if ctx.tracing() {
                            let r = self.replicas[p].as_ref().expect("just appended");
                            let isr = self.meta[p].as_ref().map_or(&[][..], |s| &s.isr[..]);
                            ctx.observe(Observation::LeaderAppended {
                                broker: b,
                                partition: pb.partition,
                                rec_start: pb.rec_start,
                                count: pb.count,
                                leader_epoch: r.leader_epoch,
                                base_offset: resp.base_offset,
                                hw: r.hw,
                                isr,
                            });
                        }
                        self.wake_parked_fetches(p as u32, ctx);
                        self.maybe_advance_hw(p, ctx);
                    }
                }
            }
            any_error |= resp.error != ErrorCode::None;
            let required = resp.base_offset + pb.count as u64;
            parts.push((resp, required, resp.error == ErrorCode::None));
        }
        match req.acks {
            Acks::Zero => {
                // No response. On an error the broker closes the connection (KafkaApis).
                if any_error {
                    self.reset_producer_connection(client, gen, ctx);
                }
                self.request_finished(client, gen, ctx);
            }
            Acks::One => {
                let responses = parts.into_iter().map(|x| x.0).collect();
                self.send_produce_response(client, gen, req.id, responses, ctx);
                self.request_finished(client, gen, ctx);
            }
            Acks::All => {
                let id = self.id();
                let deadline = ctx.now + req.timeout;
                self.purgatory.push(DelayedProduce {
                    id,
                    client,
                    gen,
                    request: req.id,
                    watch: DelayedProduce::watch_of(&parts),
                    parts,
                    deadline,
                });
                if !self.try_complete_delayed(id, ctx) {
                    self.arm_purgatory_timer(deadline, ctx);
                }
            }
        }
    }

    /// The response went out: unmute the connection it came on.
    pub(in crate::model) fn request_finished(&mut self, client: usize, gen: u64, ctx: &mut Ctx<'_>) {
        if let Some(c) = self.conns.get_mut(&client) {
            if c.muted_gen == Some(gen) {
                c.muted_gen = None;
            }
        }
        self.maybe_start_request(client, ctx);
    }

    /// Answer a produce request on connection `gen`.
    pub(in crate::model) fn send_produce_response(
        &mut self,
        client: usize,
        gen: u64,
        request: u64,
        responses: Vec<PartitionResponse>,
        ctx: &mut Ctx<'_>,
    ) {
        let p = self.lose_responses;
        if p > 0.0 && self.rng.gen::<f64>() < p {
            // lose-responses fault: the connection breaks after the broker processed the request.
            self.reset_producer_connection(client, gen, ctx);
            return;
        }
        ctx.send(
            World::broker_node(self.id),
            client,
            gen,
            Message::ProduceResponse { request, responses },
        );
    }

    /// A TCP reset from this broker reaches the producer (if the path is up).
    /// The broker closes its side: requests not yet read from the socket are gone (the
    /// connection was muted, so at most the one being handled was read).
    pub(in crate::model) fn reset_producer_connection(&mut self, client: usize, gen: u64, ctx: &mut Ctx<'_>) {
        if let Some(c) = self.conns.get_mut(&client).filter(|c| c.gen == gen) {
            c.queue.clear();
            c.gen = gen + 1;
        }
        ctx.push(Command::Reset {
            from: World::broker_node(self.id),
            to: client,
            event: Event::ConnectionReset { node: self.id, gen },
        });
    }

    /// Complete the parts of a delayed produce that are satisfied; answer when all are.
    /// Returns true when the request was answered.
    pub(in crate::model) fn try_complete_delayed(&mut self, id: u64, ctx: &mut Ctx<'_>) -> bool {
        let Some(pos) = self.purgatory.iter().position(|d| d.id == id) else {
            return true;
        };
        self.try_complete_at(pos, ctx)
    }

    /// [`Broker::try_complete_delayed`] for the delayed produce at `pos` in the purgatory.
    fn try_complete_at(&mut self, pos: usize, ctx: &mut Ctx<'_>) -> bool {
        let spec = ctx.spec;
        let min_isr = |p: usize| effective_min_isr(spec, p);
        let (replicas, meta) = (&self.replicas, &self.meta);
        if !self.purgatory[pos].try_complete(replicas, meta, min_isr) {
            return false;
        }
        let d = self.purgatory.remove(pos);
        self.send_produce_response(
            d.client,
            d.gen,
            d.request,
            d.parts.into_iter().map(|x| x.0).collect(),
            ctx,
        );
        self.request_finished(d.client, d.gen, ctx);
        true
    }

    /// Try to complete every delayed produce (after an HW advance or a leadership change), in
    /// purgatory order. One pass: answering one adds nothing to the purgatory and removes no
    /// other (a response, an unmuted connection, a request started on the handler), so the
    /// entries after a removed one are the rest of the pass. (Looking each one up by id cost
    /// a scan per entry: quadratic in the requests waiting, with many producers per broker.)
    pub(in crate::model) fn complete_delayed_for(&mut self, ctx: &mut Ctx<'_>) {
        self.complete_delayed(None, ctx);
    }

    /// [`Broker::complete_delayed_for`] after partition `p`'s high watermark advanced: only the
    /// delayed produces watching `p` (`checkAndComplete(TopicPartitionOperationKey(p))`). The
    /// others cannot have moved: a partition's part is done only when its high watermark
    /// advances (checked then, by this) or its leadership goes (which checks them all).
    pub(in crate::model) fn complete_delayed_watching(&mut self, p: usize, ctx: &mut Ctx<'_>) {
        self.complete_delayed(Some(p), ctx);
        debug_assert!(
            self.purgatory.iter().all(|d| !d.can_progress(&self.replicas)),
            "a delayed produce not watching partition {p} was left completable"
        );
    }

    fn complete_delayed(&mut self, watching: Option<usize>, ctx: &mut Ctx<'_>) {
        let (mut i, mut left) = (0, self.purgatory.len());
        while left > 0 {
            left -= 1;
            if watching.is_some_and(|p| !self.purgatory[i].watches(p)) {
                i += 1;
                continue;
            }
            let before = self.purgatory.len();
            if self.try_complete_at(i, ctx) {
                debug_assert_eq!(self.purgatory.len(), before - 1, "an answer changed the purgatory");
            } else {
                i += 1;
            }
        }
    }

    fn arm_purgatory_timer(&mut self, at: SimTime, ctx: &mut Ctx<'_>) {
        if self.purgatory_timer.arm(at) {
            ctx.schedule(
                at,
                Event::PurgatoryTimeout {
                    broker: self.id,
                    incarnation: self.incarnation,
                },
            );
        }
    }

    /// `DelayedProduce.onExpiration`: REQUEST_TIMED_OUT for what is still waiting; the records
    /// stay in the log and may still commit.
    pub(in crate::model) fn purgatory_timeout(&mut self, incarnation: u64, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.incarnation != incarnation || !self.purgatory_timer.fire(now) {
            return;
        }
        let mut expired = Vec::new();
        for d in self.purgatory.iter_mut().filter(|d| d.deadline <= now) {
            for (resp, _, waiting) in d.parts.iter_mut() {
                if *waiting {
                    *waiting = false;
                    resp.error = ErrorCode::RequestTimedOut;
                }
            }
            expired.push(d.id);
        }
        for id in expired {
            self.try_complete_delayed(id, ctx);
        }
        if let Some(next) = self.purgatory.iter().map(|d| d.deadline).min() {
            self.arm_purgatory_timer(next, ctx);
        }
    }
}

/// `DelayedProduce` alone: the completion rule of `DelayedProduce.tryComplete` (acks=all).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::partition_log::{LogEntry, ProducerInfo};
    use crate::sim::ms;

    fn state(leader: u32, isr: &[u32]) -> PartitionState {
        PartitionState {
            replicas: vec![0, 1, 2],
            leader: Some(leader),
            leader_epoch: 1,
            isr: isr.to_vec(),
            partition_epoch: 1,
            elr: Vec::new(),
        }
    }

    /// Two partitions led by broker 0, each with 10 records and HW `hw`.
    fn broker(hw: [u64; 2], isr: &[u32]) -> (Vec<Option<Replica>>, Vec<Option<PartitionState>>) {
        let mut replicas = Vec::new();
        for h in hw {
            let mut r = Replica::default();
            r.make_leader(0, &state(0, isr), 0);
            let e = LogEntry {
                base_offset: 0,
                count: 10,
                rec_start: 0,
                leader_epoch: 1,
                producer: ProducerInfo::default(),
                bytes: 1000,
                append_time: 0,
            };
            r.log.append(e, ms(5000), 0);
            r.hw = h;
            replicas.push(Some(r));
        }
        (replicas, vec![Some(state(0, isr)), Some(state(0, isr))])
    }

    fn request(required: [u64; 2]) -> DelayedProduce {
        let part = |p: u32, req: u64| {
            (
                PartitionResponse {
                    batch: p,
                    partition: p,
                    error: ErrorCode::None,
                    base_offset: 0,
                    leader_hint: None,
                },
                req,
                true,
            )
        };
        DelayedProduce {
            id: 1,
            client: 4,
            gen: 1,
            request: 1,
            parts: vec![part(0, required[0]), part(1, required[1])],
            deadline: ms(30_000),
            watch: 0b11,
        }
    }

    /// acks=all waits until every partition's HW reached its batch end.
    #[test]
    fn completes_when_every_partition_is_committed() {
        let mut d = request([10, 10]);
        let (replicas, meta) = broker([10, 4], &[0, 1, 2]);
        assert!(
            !d.try_complete(&replicas, &meta, |_| 2),
            "partition 1 not committed yet"
        );
        assert!(!d.parts[0].2 && d.parts[1].2, "partition 0 is done, 1 still waits");
        let (replicas, meta) = broker([10, 10], &[0, 1, 2]);
        assert!(d.try_complete(&replicas, &meta, |_| 2));
        assert!(d.parts.iter().all(|p| p.0.error == ErrorCode::None));
    }

    /// `NOT_ENOUGH_REPLICAS_AFTER_APPEND`: committed, but the ISR shrank below min.insync.replicas
    /// meanwhile (the records stay in the log).
    #[test]
    fn committed_with_a_shrunken_isr_is_not_enough_replicas_after_append() {
        let mut d = request([10, 10]);
        let (replicas, meta) = broker([10, 10], &[0]);
        assert!(d.try_complete(&replicas, &meta, |_| 2));
        assert!(d
            .parts
            .iter()
            .all(|p| p.0.error == ErrorCode::NotEnoughReplicasAfterAppend));
        // With min.insync.replicas = 1 the same request succeeds.
        let mut d = request([10, 10]);
        assert!(d.try_complete(&replicas, &meta, |_| 1));
        assert!(d.parts.iter().all(|p| p.0.error == ErrorCode::None));
    }

    /// `Partition.checkEnoughReplicasReachOffset` compares min.insync.replicas with the
    /// maximal ISR (`partitionState.maximalIsr`: the ISR with a pending AlterPartition's
    /// members, KIP-497), not the committed ISR: a pending expansion counts, a pending shrink
    /// does not shrink it yet.
    #[test]
    fn not_enough_replicas_after_append_is_decided_on_the_maximal_isr() {
        // ISR [0], expansion to [0, 1] pending: maximal ISR of 2.
        let mut d = request([10, 10]);
        let (mut replicas, meta) = broker([10, 10], &[0]);
        for r in replicas.iter_mut().flatten() {
            r.pending_isr = Some(vec![0, 1]);
        }
        assert!(d.try_complete(&replicas, &meta, |_| 2));
        assert!(
            d.parts.iter().all(|p| p.0.error == ErrorCode::None),
            "a pending expansion counts"
        );
        // ISR [0, 1], shrink to [0] pending: still 2.
        let mut d = request([10, 10]);
        let (mut replicas, meta) = broker([10, 10], &[0, 1]);
        for r in replicas.iter_mut().flatten() {
            r.pending_isr = Some(vec![0]);
        }
        assert!(d.try_complete(&replicas, &meta, |_| 2));
        assert!(d.parts.iter().all(|p| p.0.error == ErrorCode::None));
    }

    /// Leadership lost while waiting: `NOT_LEADER_OR_FOLLOWER`, with the new leader (KIP-951).
    #[test]
    fn leadership_lost_answers_not_leader_with_a_hint() {
        let mut d = request([10, 10]);
        let (mut replicas, mut meta) = broker([2, 10], &[0, 1, 2]);
        replicas[0].as_mut().unwrap().make_follower(&state(1, &[1, 2])).unwrap();
        let mut moved = state(1, &[1, 2]);
        moved.leader_epoch = 2;
        meta[0] = Some(moved);
        assert!(d.try_complete(&replicas, &meta, |_| 2));
        assert_eq!(d.parts[0].0.error, ErrorCode::NotLeaderOrFollower);
        assert_eq!(d.parts[0].0.leader_hint, Some((1, 2)));
        assert_eq!(d.parts[1].0.error, ErrorCode::None);
    }

    /// A partition already answered keeps its answer when the request is checked again.
    #[test]
    fn an_answered_partition_is_not_reconsidered() {
        let mut d = request([10, 10]);
        let (replicas, meta) = broker([10, 0], &[0, 1, 2]);
        assert!(!d.try_complete(&replicas, &meta, |_| 2));
        let (replicas, meta) = broker([10, 10], &[0]);
        assert!(d.try_complete(&replicas, &meta, |_| 2));
        assert_eq!(d.parts[0].0.error, ErrorCode::None, "answered before the ISR shrank");
        assert_eq!(d.parts[1].0.error, ErrorCode::NotEnoughReplicasAfterAppend);
    }
}
