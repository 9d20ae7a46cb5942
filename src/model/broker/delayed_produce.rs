//! The produce path of a leader: `ReplicaManager.appendRecords` with acks 0 / 1 / all,
//! `NOT_ENOUGH_REPLICAS[_AFTER_APPEND]`, and the produce purgatory (`DelayedProduce`): a request
//! waiting for the ISR to reach its offsets, completed by a high-watermark advance or expired at
//! the producer's `request.timeout.ms`.

use super::*;
use crate::config::Acks;
use crate::model::partition_log::{LogEntry, SequenceCheck};
use crate::model::{ErrorCode, Event, Message, PartitionResponse, ProduceRequest, World};
use crate::sim::SimTime;
use rand::Rng;

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
                        if self.trace.is_some() && self.traced(pb.partition, pb.rec_start, pb.count as u64) {
                            let line = format!("b{b}: duplicate of an appended batch (seq {}), not appended again; original offset {base_offset}", pb.producer.base_seq);
                            self.trace_line(line);
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
                        if self.trace.is_some() && self.traced(pb.partition, pb.rec_start, pb.count as u64) {
                            let r = self.brokers[b as usize].replicas[p].as_ref().unwrap();
                            let line = format!(
                                "b{b} (leader, epoch {}): appended at offsets {}..{} (HW {}, ISR {:?})",
                                r.leader_epoch,
                                resp.base_offset,
                                resp.base_offset + pb.count as u64 - 1,
                                r.hw,
                                self.brokers[b as usize].meta[p]
                                    .as_ref()
                                    .map(|s| s.isr.clone())
                                    .unwrap_or_default()
                            );
                            self.trace_line(line);
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
        let mut pending = false;
        for (resp, required, waiting) in br.purgatory[pos].parts.iter_mut() {
            if !*waiting {
                continue;
            }
            let p = resp.partition as usize;
            match br.replicas[p].as_ref() {
                Some(r) if r.is_leader => {
                    if r.hw >= *required {
                        *waiting = false;
                        // DelayedProduce: acks=all completes with NOT_ENOUGH_REPLICAS_AFTER_APPEND
                        // when the ISR shrank below min.insync.replicas (records stay in the log).
                        let isr = br.meta[p].as_ref().map_or(0, |s| s.isr.len());
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
                    resp.leader_hint = br.meta[p].as_ref().and_then(|s| s.leader.map(|l| (l, s.leader_epoch)));
                }
            }
        }
        if pending {
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
