//! The produce path of a leader: `ReplicaManager.appendRecords` with acks 0 / 1 / all,
//! `NOT_ENOUGH_REPLICAS[_AFTER_APPEND]`, and the produce purgatory (`DelayedProduce`): a request
//! waiting for the ISR to reach its offsets, completed by a high-watermark advance or expired at
//! the producer's `request.timeout.ms`.

use super::*;
use crate::config::Acks;
use crate::model::observe::{observe, Observation};
use crate::model::partition_log::{LogEntry, SequenceCheck};
use crate::model::{ErrorCode, Event, Message, PartitionResponse, ProduceRequest, World};
use crate::sim::SimTime;
use rand::Rng;

/// An acks=all produce request waiting in the purgatory for its partitions' high watermarks.
#[derive(Clone, Debug)]
pub struct DelayedProduce {
    /// The broker's id for it in its purgatory.
    pub id: u64,
    /// The producer connection's generation it came on (its answer goes back on it).
    pub gen: u64,
    /// The ProduceRequest's id (its answer names it).
    pub request: u64,
    /// Per partition: the response being built, the offset the HW must reach (the batch's
    /// end), and whether it still waits.
    pub parts: Vec<(PartitionResponse, u64, bool)>,
    /// The request's timeout (`request.timeout.ms` sent by the producer) from now.
    pub deadline: SimTime,
}

impl DelayedProduce {
    /// `DelayedProduce.tryComplete` / `Partition.checkEnoughReplicasReachOffset` on this
    /// broker's `replicas` and metadata `meta`: a partition is done when its leader's HW reached
    /// the required offset (with `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the ISR is below
    /// `min_isr` by then: the records stay in the log), or when this broker no longer leads it
    /// (`NOT_LEADER_OR_FOLLOWER`, with the leader it knows, KIP-951). True when every partition
    /// is done.
    pub fn try_complete(
        &mut self,
        replicas: &[Option<Replica>],
        meta: &[Option<PartitionState>],
        min_isr: usize,
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
                        let isr = meta[p].as_ref().map_or(0, |s| s.isr.len());
                        if isr < min_isr {
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

impl World {
    /// `ReplicaManager.appendRecords` on the leader.
    pub(in crate::model) fn handle_produce(&mut self, b: u32, gen: u64, req: ProduceRequest) {
        let min_isr = self.effective_min_isr();
        let mut parts: Vec<(PartitionResponse, u64, bool)> = Vec::with_capacity(req.batches.len());
        let mut any_error = false;
        for pb in &req.batches {
            let p = pb.partition as usize;
            let mut resp = PartitionResponse {
                batch: pb.batch,
                partition: pb.partition,
                error: ErrorCode::None,
                base_offset: 0,
                leader_hint: None,
            };
            let br = &self.brokers[b as usize];
            let is_leader = br.replicas[p].as_ref().is_some_and(|r| r.is_leader);
            if !is_leader {
                resp.error = ErrorCode::NotLeaderOrFollower;
                resp.leader_hint = br.meta[p].as_ref().and_then(|s| s.leader.map(|l| (l, s.leader_epoch)));
            } else if req.acks == Acks::All && br.isr_len(p) < min_isr {
                // Partition.appendRecordsToLeader: checked before the append.
                resp.error = ErrorCode::NotEnoughReplicas;
            } else {
                let r = br.replicas[p].as_ref().unwrap();
                match r.log.check_sequence(pb.producer, pb.count) {
                    SequenceCheck::Duplicate { base_offset } => {
                        resp.base_offset = base_offset;
                        if self.tracing() {
                            self.observe(Observation::Duplicate {
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
                            append_time: self.now,
                        };
                        resp.base_offset = self.replica_append(b, p, entry);
                        if self.tracing() {
                            let br = &self.brokers[b as usize];
                            let r = br.replicas[p].as_ref().unwrap();
                            let isr = br.meta[p].as_ref().map_or(&[][..], |s| &s.isr[..]);
                            observe(
                                &mut self.monitor,
                                &mut self.trace,
                                self.now,
                                Observation::LeaderAppended {
                                    broker: b,
                                    partition: pb.partition,
                                    rec_start: pb.rec_start,
                                    count: pb.count,
                                    leader_epoch: r.leader_epoch,
                                    base_offset: resp.base_offset,
                                    hw: r.hw,
                                    isr,
                                },
                            );
                        }
                        self.wake_parked_fetches(b, p as u32);
                        self.maybe_advance_hw(b, p);
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
                    self.reset_producer_connection(b, gen);
                }
                self.request_finished(b, gen);
            }
            Acks::One => {
                let responses = parts.into_iter().map(|x| x.0).collect();
                self.send_produce_response(b, gen, req.id, responses);
                self.request_finished(b, gen);
            }
            Acks::All => {
                let id = self.brokers[b as usize].id();
                let deadline = self.now + req.timeout;
                self.brokers[b as usize].purgatory.push(DelayedProduce {
                    id,
                    gen,
                    request: req.id,
                    parts,
                    deadline,
                });
                if !self.try_complete_delayed(b, id) {
                    self.arm_purgatory_timer(b, deadline);
                }
            }
        }
    }

    /// The response went out: unmute the connection it came on.
    pub(in crate::model) fn request_finished(&mut self, b: u32, gen: u64) {
        let br = &mut self.brokers[b as usize];
        if br.muted_gen == Some(gen) {
            br.muted_gen = None;
        }
        self.maybe_start_request(b);
    }

    pub(in crate::model) fn send_produce_response(
        &mut self,
        b: u32,
        gen: u64,
        request: u64,
        responses: Vec<PartitionResponse>,
    ) {
        let p = self.faults.lose_responses;
        if p > 0.0 && self.brokers[b as usize].rng.gen::<f64>() < p {
            // lose-responses fault: the connection breaks after the broker processed the request.
            self.reset_producer_connection(b, gen);
            return;
        }
        let to = self.producer_node();
        self.send_message(
            World::broker_node(b),
            to,
            gen,
            Message::ProduceResponse { request, responses },
        );
    }

    /// A TCP reset from broker `b` reaches the producer (if the path is up).
    /// The broker closes its side: requests not yet read from the socket are gone (the
    /// connection was muted, so at most the one being handled was read).
    pub(in crate::model) fn reset_producer_connection(&mut self, b: u32, gen: u64) {
        let br = &mut self.brokers[b as usize];
        if br.conn_gen == gen {
            br.conn_queue.clear();
            br.conn_gen = gen + 1;
        }
        let from = World::broker_node(b);
        let to = self.producer_node();
        if self.net.reachable(from, to) {
            let at = self.net.signal(self.now, from, to);
            self.schedule(at, Event::ConnectionReset { node: b, gen });
        }
    }

    /// Complete the parts of a delayed produce that are satisfied; answer when all are.
    /// Returns true when the request was answered.
    pub(in crate::model) fn try_complete_delayed(&mut self, b: u32, id: u64) -> bool {
        let min_isr = self.effective_min_isr();
        let br = &mut self.brokers[b as usize];
        let Some(pos) = br.purgatory.iter().position(|d| d.id == id) else {
            return true;
        };
        let (replicas, meta) = (&br.replicas, &br.meta);
        if !br.purgatory[pos].try_complete(replicas, meta, min_isr) {
            return false;
        }
        let d = br.purgatory.remove(pos);
        self.send_produce_response(b, d.gen, d.request, d.parts.into_iter().map(|x| x.0).collect());
        self.request_finished(b, d.gen);
        true
    }

    pub(in crate::model) fn complete_delayed_for(&mut self, b: u32) {
        let ids: Vec<u64> = self.brokers[b as usize].purgatory.iter().map(|d| d.id).collect();
        for id in ids {
            self.try_complete_delayed(b, id);
        }
    }

    pub(in crate::model) fn arm_purgatory_timer(&mut self, b: u32, at: SimTime) {
        let br = &mut self.brokers[b as usize];
        if br.purgatory_timer.arm(at) {
            let incarnation = br.incarnation;
            self.schedule(at, Event::PurgatoryTimeout { broker: b, incarnation });
        }
    }

    /// `DelayedProduce.onExpiration`: REQUEST_TIMED_OUT for what is still waiting; the records
    /// stay in the log and may still commit.
    pub(in crate::model) fn purgatory_timeout(&mut self, b: u32, incarnation: u64) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.purgatory_timer.fire(now) {
            return;
        }
        let mut expired = Vec::new();
        for d in br.purgatory.iter_mut().filter(|d| d.deadline <= now) {
            for (resp, _, waiting) in d.parts.iter_mut() {
                if *waiting {
                    *waiting = false;
                    resp.error = ErrorCode::RequestTimedOut;
                }
            }
            expired.push(d.id);
        }
        for id in expired {
            self.try_complete_delayed(b, id);
        }
        if let Some(next) = self.brokers[b as usize].purgatory.iter().map(|d| d.deadline).min() {
            self.arm_purgatory_timer(b, next);
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
            gen: 1,
            request: 1,
            parts: vec![part(0, required[0]), part(1, required[1])],
            deadline: ms(30_000),
        }
    }

    /// acks=all waits until every partition's HW reached its batch end.
    #[test]
    fn completes_when_every_partition_is_committed() {
        let mut d = request([10, 10]);
        let (replicas, meta) = broker([10, 4], &[0, 1, 2]);
        assert!(!d.try_complete(&replicas, &meta, 2), "partition 1 not committed yet");
        assert!(!d.parts[0].2 && d.parts[1].2, "partition 0 is done, 1 still waits");
        let (replicas, meta) = broker([10, 10], &[0, 1, 2]);
        assert!(d.try_complete(&replicas, &meta, 2));
        assert!(d.parts.iter().all(|p| p.0.error == ErrorCode::None));
    }

    /// `NOT_ENOUGH_REPLICAS_AFTER_APPEND`: committed, but the ISR shrank below min.insync.replicas
    /// meanwhile (the records stay in the log).
    #[test]
    fn committed_with_a_shrunken_isr_is_not_enough_replicas_after_append() {
        let mut d = request([10, 10]);
        let (replicas, meta) = broker([10, 10], &[0]);
        assert!(d.try_complete(&replicas, &meta, 2));
        assert!(d
            .parts
            .iter()
            .all(|p| p.0.error == ErrorCode::NotEnoughReplicasAfterAppend));
        // With min.insync.replicas = 1 the same request succeeds.
        let mut d = request([10, 10]);
        assert!(d.try_complete(&replicas, &meta, 1));
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
        assert!(d.try_complete(&replicas, &meta, 2));
        assert_eq!(d.parts[0].0.error, ErrorCode::NotLeaderOrFollower);
        assert_eq!(d.parts[0].0.leader_hint, Some((1, 2)));
        assert_eq!(d.parts[1].0.error, ErrorCode::None);
    }

    /// A partition already answered keeps its answer when the request is checked again.
    #[test]
    fn an_answered_partition_is_not_reconsidered() {
        let mut d = request([10, 10]);
        let (replicas, meta) = broker([10, 0], &[0, 1, 2]);
        assert!(!d.try_complete(&replicas, &meta, 2));
        let (replicas, meta) = broker([10, 10], &[0]);
        assert!(d.try_complete(&replicas, &meta, 2));
        assert_eq!(d.parts[0].0.error, ErrorCode::None, "answered before the ISR shrank");
        assert_eq!(d.parts[1].0.error, ErrorCode::NotEnoughReplicasAfterAppend);
    }
}
