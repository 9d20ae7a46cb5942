//! The follower's side of replication: one `ReplicaFetcherThread` per leader broker
//! (`num.replica.fetchers = 1`), its fetch timeout and backoff, appending what the leader sends,
//! and truncation by leader epoch (`AbstractFetcherThread`, KIP-101/279/320).

use crate::config::FollowerTruncation;
use crate::model::broker::partition::Fetched;
use crate::model::broker::Broker;
use crate::model::context::Ctx;
use crate::model::network::Connect;
use crate::model::observe::{Observation, TruncationCause};
use crate::model::partition_log::LogEntry;
use crate::model::{ErrorCode, Event, FetchPartition, FetchPartitionData, Message, World};
use crate::sim::{ms, SimTime};

/// The follower's side of replication.
impl Broker {
    /// The replica fetcher sends one FetchRequest for all partitions it follows on `leader`.
    /// The fetch leaves at `at` (now, or when the broker's CPU is done with the previous
    /// response).
    pub(in crate::model) fn send_fetch(&mut self, incarnation: u64, leader: u32, at: SimTime, ctx: &mut Ctx<'_>) {
        if self.incarnation != incarnation || !self.alive {
            return;
        }
        let l = leader as usize;
        self.fetchers[l].scheduled = false;
        if self.fetchers[l].in_flight.is_some() || self.fetchers[l].partitions.is_empty() {
            return;
        }
        let c = &ctx.spec.cluster;
        let mode = c.follower_truncation;
        let partitions: Vec<FetchPartition> = self.fetchers[l]
            .partitions
            .iter()
            .map(|&p| {
                let r = self.replicas[p as usize]
                    .as_ref()
                    .expect("a fetcher follows hosted partitions");
                // What the follower asks the leader to check its log against: every fetch
                // (KIP-279 / KIP-595), the first after it became follower (KIP-101's single
                // OffsetsForLeaderEpoch round), or nothing (before KIP-101).
                let check = match mode {
                    FollowerTruncation::LeaderEpoch => true,
                    FollowerTruncation::LeaderEpochSingleRound => r.reconcile_pending,
                    FollowerTruncation::HighWatermark => false,
                };
                FetchPartition {
                    partition: p,
                    fetch_offset: r.log.log_end_offset(),
                    current_leader_epoch: r.leader_epoch,
                    last_fetched_epoch: if check { r.log.latest_epoch() } else { None },
                }
            })
            .collect();
        let id = self.id();
        self.fetchers[l].in_flight = Some(id);
        self.fetchers[l].deadline = SimTime::MAX;
        let (from, to) = (World::broker_node(self.id), World::broker_node(leader));
        // The network's own view of the leader's host.
        if ctx.net().connect(from, to) == Connect::Refused {
            // connection refused: fail fast, back off replica.fetch.backoff.ms
            let refused_at = at + ctx.net().rtt(from, to);
            self.set_fetch_deadline(leader, refused_at, ctx);
            return;
        }
        let msg = Message::Fetch {
            id,
            follower: self.id,
            partitions,
        };
        ctx.send_at(at, from, to, 0, msg);
        // replica.socket.timeout.ms (30 s) bounds a fetch that gets no answer.
        self.set_fetch_deadline(leader, at + ms(30_000), ctx);
    }

    /// Give up the fetch in flight to `leader` at `at` (earlier deadlines win).
    pub(in crate::model) fn set_fetch_deadline(&mut self, leader: u32, at: SimTime, ctx: &mut Ctx<'_>) {
        let f = &mut self.fetchers[leader as usize];
        f.deadline = f.deadline.min(at);
        if f.timer.arm(f.deadline) {
            ctx.schedule(
                f.deadline,
                Event::FetchTimeout {
                    broker: self.id,
                    incarnation: self.incarnation,
                    leader,
                },
            );
        }
    }

    /// The fetch in flight to `leader` may have timed out.
    pub(in crate::model) fn fetch_timeout(&mut self, incarnation: u64, leader: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.incarnation != incarnation || !self.fetchers[leader as usize].timer.fire(now) {
            return;
        }
        let broker = self.id;
        let f = &mut self.fetchers[leader as usize];
        if f.in_flight.is_none() {
            return;
        }
        if f.deadline > now {
            let at = f.deadline;
            f.timer.arm(at);
            ctx.schedule(
                at,
                Event::FetchTimeout {
                    broker,
                    incarnation,
                    leader,
                },
            );
            return;
        }
        f.in_flight = None;
        f.deadline = SimTime::MAX;
        f.scheduled = true;
        ctx.schedule(
            now + ms(ctx.spec.cluster.replica_fetch_backoff_ms),
            Event::SendFetch {
                broker,
                incarnation,
                leader,
            },
        );
    }

    /// The follower side: truncate on divergence, append, learn the HW, fetch again.
    pub(in crate::model) fn follower_handle_fetch_response(
        &mut self,
        leader: u32,
        id: u64,
        partitions: Vec<FetchPartitionData>,
        ctx: &mut Ctx<'_>,
    ) {
        let b = self.id;
        let l = leader as usize;
        if self.fetchers[l].in_flight != Some(id) {
            return;
        }
        self.fetchers[l].in_flight = None;
        self.fetchers[l].deadline = SimTime::MAX;
        let mut bytes = 0u64;
        let mut all_errors = !partitions.is_empty();
        for d in partitions {
            let p = d.partition as usize;
            if !self.fetchers[l].partitions.contains(&d.partition) {
                continue;
            }
            if d.error == ErrorCode::OffsetOutOfRange {
                // `ReplicaFetcherThread.handleOffsetOutOfRange`: the leader's log is shorter
                // than this one (after an unclean election, or logs that diverged unseen):
                // truncate to its end. (Kafka before 0.11 halted the broker here when unclean
                // election was disabled; not modelled: the follower truncates.)
                all_errors = false;
                let r = self.replicas[p].as_mut().expect("a fetcher follows hosted partitions");
                let old = r.log.log_end_offset();
                let target = d.leader_log_end.min(old);
                self.truncate_replica(p, target, old, TruncationCause::LeaderLogShorter, ctx);
                continue;
            }
            if d.error != ErrorCode::None {
                continue;
            }
            all_errors = false;
            let single_round = ctx.spec.cluster.follower_truncation == FollowerTruncation::LeaderEpochSingleRound;
            let r = self.replicas[p].as_mut().expect("a fetcher follows hosted partitions");
            if single_round && r.reconcile_pending {
                r.reconcile_pending = false;
            }
            if let Some((e, end)) = d.diverging {
                let old = r.log.log_end_offset();
                let target = if single_round {
                    // KIP-101 (0.11-1.1) `ReplicaFetcherThread.maybeTruncate`: the leader's end
                    // of this log's latest epoch, capped at the log end, without looking at
                    // where this log's own epochs end: the gap KIP-279 closed.
                    end.min(old)
                } else {
                    r.divergence_truncation_offset(e, end)
                };
                let cause = if single_round {
                    TruncationCause::LeaderEpochSingleRound
                } else {
                    TruncationCause::LeaderEpoch
                };
                self.truncate_replica(p, target, old, cause, ctx);
                continue;
            }
            for e in d.entries {
                let fetched = self.replicas[p].as_ref().expect("hosted").fetched_entry(e);
                let mut e = match fetched {
                    Fetched::Held => continue,
                    Fetched::Gap => break,
                    Fetched::Append(e) => e,
                };
                bytes += e.bytes;
                e.append_time = ctx.now;
                if ctx.tracing() {
                    ctx.observe(Observation::FollowerAppended {
                        broker: b,
                        leader,
                        partition: d.partition,
                        rec_start: e.rec_start,
                        count: e.count,
                        first_offset: e.base_offset,
                        last_offset: e.end_offset() - 1,
                    });
                }
                self.replica_append(p, e, ctx);
            }
            let r = self.replicas[p].as_mut().expect("hosted");
            r.follower_update_hw(d.high_watermark);
        }
        let inc = self.incarnation;
        if all_errors {
            self.fetchers[l].scheduled = true;
            let at = ctx.now + ms(ctx.spec.cluster.replica_fetch_backoff_ms);
            ctx.schedule(
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
            let at = self.cpu(bytes, ctx);
            self.send_fetch(inc, leader, at, ctx);
        }
    }
}

impl Broker {
    /// Truncates partition `p`'s log from `old` to `target`, reported after the fact.
    pub(in crate::model) fn truncate_replica(
        &mut self,
        p: usize,
        target: u64,
        old: u64,
        cause: TruncationCause,
        ctx: &mut Ctx<'_>,
    ) {
        let b = self.id;
        let r = self.replicas[p].as_mut().expect("truncation of a hosted partition");
        let removed: Vec<LogEntry> = if ctx.tracing() && target < old {
            r.log.entries_below(old).filter(|e| e.end_offset() > target).collect()
        } else {
            Vec::new()
        };
        // Also when nothing is removed: the epoch no longer matches; forget it so the next
        // fetch carries the right epoch.
        r.truncate_to(target);
        // Reported after the fact, from the log as it now is.
        let to = r.log.log_end_offset();
        if to < old {
            ctx.observe(Observation::Truncated {
                broker: b,
                partition: p,
                from: old,
                to,
                removed: &removed,
                cause,
            });
        }
    }
}

/// The follower side alone (a `Replica` without a `World`): the rules of
/// `AbstractFetcherThread` (the conformance suite ports `AbstractFetcherThreadTest` itself).
#[cfg(test)]
mod tests {
    use super::Fetched;
    use crate::model::broker::Replica;
    use crate::model::partition_log::{LogEntry, ProducerInfo};
    use crate::sim::ms;

    fn entry(base: u64, count: u32, epoch: u32) -> LogEntry {
        LogEntry {
            base_offset: base,
            count,
            rec_start: base,
            leader_epoch: epoch,
            producer: ProducerInfo {
                pid: 7,
                epoch: 0,
                base_seq: base as i32,
            },
            bytes: 100 * count as u64,
            append_time: 0,
        }
    }

    /// A follower whose log holds `(count, epoch)` runs in order.
    fn follower(runs: &[(u32, u32)]) -> Replica {
        let mut r = Replica::default();
        for &(count, epoch) in runs {
            let base = r.log.log_end_offset();
            r.log.assign_epoch_start(epoch);
            r.log.append(entry(base, count, epoch), ms(5000), 0);
        }
        r
    }

    /// KIP-101/279: a follower that
    /// wrote past the leader in epoch 1 truncates to the leader's end of epoch 1.
    #[test]
    fn truncates_to_the_leaders_end_of_the_diverging_epoch() {
        let mut r = follower(&[(10, 0), (10, 1)]);
        r.hw = 15;
        let target = r.divergence_truncation_offset(1, 15);
        assert_eq!(target, 15);
        r.truncate_to(target);
        assert_eq!(r.log.log_end_offset(), 15);
        assert_eq!(r.hw, 15);
    }

    /// The follower's own end of the epoch
    /// bounds the truncation when it is shorter than the leader's (multi-round lookup, KIP-279).
    #[test]
    fn the_followers_own_epoch_end_bounds_the_truncation() {
        let r = follower(&[(10, 0), (5, 2)]);
        // The leader says epoch 1 ends at 30; this log's epochs <= 1 end at 10.
        assert_eq!(r.divergence_truncation_offset(1, 30), 10);
    }

    /// `AbstractFetcherThread.getOffsetTruncationState` when this log has no epoch at or
    /// below the leader's ("leader replied with epoch below any replica's tracked epochs"):
    /// truncate to the leader's end offset, capped at this log's end, not to 0; as
    /// `ReplicaFetcherThreadTest.shouldTruncateToOffsetSpecifiedInEpochOffsetResponseIfFollowerHasNoMoreEpochs`
    /// (leader epoch 4 ends at 156 and 202, follower's epochs start at 5, LEO 200).
    #[test]
    fn no_common_epoch_truncates_to_the_leaders_end_capped_at_the_log_end() {
        let r = follower(&[(200, 5)]);
        assert_eq!(r.divergence_truncation_offset(4, 156), 156);
        assert_eq!(r.divergence_truncation_offset(4, 202), 200);
        let r = follower(&[(10, 3)]);
        assert_eq!(r.divergence_truncation_offset(1, 30), 10);
    }

    /// `getOffsetTruncationState` when this log does not know the leader's epoch: truncate to
    /// the end of its largest smaller epoch (capped at its log end) and ask again, whatever
    /// the leader's end offset (`ReplicaFetcherThreadTest
    /// .shouldTruncateIfLeaderRepliesWithDivergingEpochNotKnownToFollower`); the next fetch
    /// carries that smaller epoch and the leader answers for it.
    #[test]
    fn an_unknown_epoch_truncates_to_the_end_of_the_largest_smaller_one() {
        let r = follower(&[(10, 0), (5, 2)]);
        assert_eq!(
            r.divergence_truncation_offset(1, 5),
            10,
            "not 5: the leader's end of epoch 1"
        );
        let mut r = follower(&[(10, 0), (5, 2)]);
        r.truncate_to(10);
        assert_eq!(r.log.latest_epoch(), Some(0));
        assert_eq!(
            r.divergence_truncation_offset(0, 5),
            5,
            "the second round agrees on epoch 0"
        );
    }

    /// Truncation takes the high watermark down with the log (a follower's HW may fall only by
    /// truncation).
    #[test]
    fn truncation_lowers_the_high_watermark() {
        let mut r = follower(&[(20, 0)]);
        r.hw = 18;
        r.truncate_to(12);
        assert_eq!((r.log.log_end_offset(), r.hw), (12, 12));
    }

    /// Entries are appended from the log end: held ones
    /// are skipped, an overlapping one is cut (its producer sequence too), a gap waits.
    #[test]
    fn fetched_entries_append_from_the_log_end() {
        let r = follower(&[(10, 0)]);
        assert_eq!(r.fetched_entry(entry(0, 10, 0)), Fetched::Held);
        assert_eq!(r.fetched_entry(entry(12, 5, 0)), Fetched::Gap);
        match r.fetched_entry(entry(8, 5, 0)) {
            Fetched::Append(e) => {
                assert_eq!((e.base_offset, e.count, e.rec_start), (10, 3, 10));
                assert_eq!(e.producer.base_seq, 10, "the sequence moves with the cut");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.fetched_entry(entry(10, 2, 0)), Fetched::Append(entry(10, 2, 0)));
    }

    /// The follower's HW is the leader's, capped at its own log end, and does not go back.
    #[test]
    fn follower_hw_follows_the_leader_capped_at_its_log_end() {
        let mut r = follower(&[(10, 0)]);
        r.follower_update_hw(25);
        assert_eq!(r.hw, 10);
        r.follower_update_hw(4);
        assert_eq!(r.hw, 10);
    }
}
