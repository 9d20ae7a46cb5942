//! The follower's side of replication: one `ReplicaFetcherThread` per leader broker
//! (`num.replica.fetchers = 1`), its fetch timeout and backoff, appending what the leader sends,
//! and truncation by leader epoch (`AbstractFetcherThread`, KIP-101/279/320).

use crate::model::{ErrorCode, Event, FetchPartition, FetchPartitionData, Message, World};
use crate::sim::{ms, SimTime};

impl World {
    /// The replica fetcher sends one FetchRequest for all partitions it follows on `leader`.
    pub(in crate::model) fn send_fetch(&mut self, b: u32, incarnation: u64, leader: u32) {
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.alive {
            return;
        }
        br.fetchers[leader as usize].scheduled = false;
        if br.fetchers[leader as usize].in_flight.is_some() || br.fetchers[leader as usize].partitions.is_empty() {
            return;
        }
        let partitions: Vec<FetchPartition> = br.fetchers[leader as usize]
            .partitions
            .iter()
            .map(|&p| {
                let r = br.replicas[p as usize].as_ref().unwrap();
                FetchPartition {
                    partition: p,
                    fetch_offset: r.log.log_end_offset(),
                    current_leader_epoch: r.leader_epoch,
                    last_fetched_epoch: r.log.latest_epoch(),
                }
            })
            .collect();
        let id = br.id();
        br.fetchers[leader as usize].in_flight = Some(id);
        br.fetchers[leader as usize].deadline = SimTime::MAX;
        let target = &self.brokers[leader as usize];
        let (from, to) = (World::broker_node(b), World::broker_node(leader));
        if !target.alive && target.machine_up && self.net.reachable(from, to) && self.net.reachable(to, from) {
            // connection refused: fail fast, back off replica.fetch.backoff.ms
            let at = self.now + self.net.rtt(from, to);
            self.set_fetch_deadline(b, leader, at);
            return;
        }
        self.send_message(
            from,
            to,
            0,
            Message::Fetch {
                id,
                follower: b,
                partitions,
            },
        );
        // replica.socket.timeout.ms (30 s) bounds a fetch that gets no answer.
        self.set_fetch_deadline(b, leader, self.now + ms(30_000));
    }

    /// Give up the fetch in flight from `b` to `leader` at `at` (earlier deadlines win).
    pub(in crate::model) fn set_fetch_deadline(&mut self, b: u32, leader: u32, at: SimTime) {
        let br = &mut self.brokers[b as usize];
        let incarnation = br.incarnation;
        let f = &mut br.fetchers[leader as usize];
        f.deadline = f.deadline.min(at);
        if f.timer.arm(f.deadline) {
            let at = f.deadline;
            self.schedule(
                at,
                Event::FetchTimeout {
                    broker: b,
                    incarnation,
                    leader,
                },
            );
        }
    }

    pub(in crate::model) fn fetch_timeout(&mut self, b: u32, incarnation: u64, leader: u32) {
        let now = self.now;
        let br = &mut self.brokers[b as usize];
        if br.incarnation != incarnation || !br.fetchers[leader as usize].timer.fire(now) {
            return;
        }
        let f = &mut br.fetchers[leader as usize];
        if f.in_flight.is_none() {
            return;
        }
        if f.deadline > now {
            let at = f.deadline;
            f.timer.arm(at);
            self.schedule(
                at,
                Event::FetchTimeout {
                    broker: b,
                    incarnation,
                    leader,
                },
            );
            return;
        }
        f.in_flight = None;
        f.deadline = SimTime::MAX;
        f.scheduled = true;
        self.schedule(
            now + ms(self.spec.cluster.replica_fetch_backoff_ms),
            Event::SendFetch {
                broker: b,
                incarnation,
                leader,
            },
        );
    }

    /// The follower side: truncate on divergence, append, learn the HW, fetch again.
    pub(in crate::model) fn follower_handle_fetch_response(
        &mut self,
        b: u32,
        leader: u32,
        id: u64,
        partitions: Vec<FetchPartitionData>,
    ) {
        if self.brokers[b as usize].fetchers[leader as usize].in_flight != Some(id) {
            return;
        }
        self.brokers[b as usize].fetchers[leader as usize].in_flight = None;
        self.brokers[b as usize].fetchers[leader as usize].deadline = SimTime::MAX;
        let mut bytes = 0u64;
        let mut all_errors = !partitions.is_empty();
        for d in partitions {
            let p = d.partition as usize;
            let following = self.brokers[b as usize].fetchers[leader as usize]
                .partitions
                .contains(&d.partition);
            if !following {
                continue;
            }
            if d.error != ErrorCode::None {
                continue;
            }
            all_errors = false;
            if let Some((e, end)) = d.diverging {
                let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
                // AbstractFetcherThread.truncateOnFetchResponse / getOffsetTruncationState
                let target = match r.log.end_offset_for_epoch(e) {
                    Some((_, fend)) => fend.min(end),
                    None => 0,
                };
                let old = r.log.log_end_offset();
                if target < old {
                    if self.trace.is_some() {
                        self.trace_offsets(b, p, target, old, &format!("TRUNCATED on this follower: log end {old} -> {target} (diverged from the leader's log, KIP-101/279)"));
                    }
                    let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
                    r.log.truncate_to(target);
                    r.hw = r.hw.min(target);
                } else {
                    // Nothing to remove, but the epoch no longer matches: forget it so the next
                    // fetch carries the right epoch.
                    r.log.truncate_to(target);
                }
                continue;
            }
            for e in d.entries {
                let leo = self.brokers[b as usize].replicas[p]
                    .as_ref()
                    .unwrap()
                    .log
                    .log_end_offset();
                if e.end_offset() <= leo {
                    continue;
                }
                if e.base_offset > leo {
                    break; // a gap: wait for the next fetch from our LEO
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
                bytes += e.bytes;
                e.append_time = self.now;
                if self.trace.is_some() && self.traced(d.partition, e.rec_start, e.count as u64) {
                    let line = format!(
                        "b{b} (follower): fetched and appended offsets {}..{} from b{leader}",
                        e.base_offset,
                        e.end_offset() - 1
                    );
                    self.trace_line(line);
                }
                self.replica_append(b, p, e);
            }
            let r = self.brokers[b as usize].replicas[p].as_mut().unwrap();
            let new_hw = d.high_watermark.min(r.log.log_end_offset());
            if new_hw > r.hw {
                r.hw = new_hw;
            }
        }
        let inc = self.brokers[b as usize].incarnation;
        if all_errors {
            self.brokers[b as usize].fetchers[leader as usize].scheduled = true;
            let at = self.now + ms(self.spec.cluster.replica_fetch_backoff_ms);
            self.schedule(
                at,
                Event::SendFetch {
                    broker: b,
                    incarnation: inc,
                    leader,
                },
            );
        } else {
            // The next fetch leaves as soon as this response is processed (the fetcher
            // thread's loop); built now, sent when the broker's CPU is done with the data.
            let at = self.cpu(b, bytes);
            let saved = self.now;
            self.now = at;
            self.send_fetch(b, inc, leader);
            self.now = saved;
        }
    }
}
