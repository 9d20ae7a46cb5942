//! The record tracer behind `prodsim explain`: follows one record (partition, per-partition
//! send sequence) through the [`Observation`]s that concern it, as timestamped lines.

use super::ledger::Outcome;
use super::observe::Observation;
use super::partition_log::{LogEntry, PartitionLog};
use super::ErrorCode;
use crate::sim::SimTime;

/// The record `prodsim explain` follows, in its producer's own numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TracedRecord {
    /// The producer, by its index in the run's producers (`RunSpec::producer_list`).
    pub producer: usize,
    /// The partition, numbered within the producer's topic (from 0).
    pub partition: u32,
    /// The record's per-partition send sequence in that producer (from 0).
    pub seq: u64,
}

/// Optional record-level trace for `prodsim explain`.
pub(crate) struct Tracer {
    /// The traced record's partition (cluster-wide).
    pub partition: u32,
    /// Its record identity in the brokers' numbering (its producer's per-partition send
    /// sequence plus the producer's identity base).
    pub rec: u64,
    /// The route of the observation being read: the first partition and identity base of the
    /// client whose handler made it, `(0, 0)` for everything else.
    route: (u32, u64),
    /// The story so far.
    pub lines: Vec<String>,
    /// When send() first appended it.
    sent: Option<SimTime>,
}

impl Tracer {
    /// A tracer of record `partition:rec` (brokers' numbering).
    pub(crate) fn new(partition: u32, rec: u64) -> Tracer {
        Tracer {
            partition,
            rec,
            route: (0, 0),
            lines: Vec::new(),
            sent: None,
        }
    }

    /// Whether the traced record is in `[rec_start, rec_start + count)` of `partition`, given
    /// in the numbering of the observation being read (put in the brokers' by its route).
    #[inline]
    pub(crate) fn covers(&self, partition: u32, rec_start: u64, count: u64) -> bool {
        let (partition, rec_start) = (partition + self.route.0, rec_start + self.route.1);
        self.partition == partition && self.rec >= rec_start && self.rec < rec_start + count
    }

    /// Adds a line at `now`.
    pub(crate) fn line(&mut self, now: SimTime, line: String) {
        self.lines
            .push(format!("{:>12.3} ms  {}", crate::sim::to_ms(now), line));
    }

    /// A line about offsets `[from, to)` of broker `b`'s log, if the traced record is among them.
    fn offsets(&mut self, now: SimTime, (b, p): (u32, usize), log: &PartitionLog, (from, to): (u64, u64), what: &str) {
        if self.partition as usize != p {
            return;
        }
        self.offsets_in(now, (b, p), log.entries_below(to), (from, to), what);
    }

    /// [`Tracer::offsets`] over given entries (e.g. those a truncation removed).
    fn offsets_in(
        &mut self,
        now: SimTime,
        (b, p): (u32, usize),
        entries: impl Iterator<Item = LogEntry>,
        (from, to): (u64, u64),
        what: &str,
    ) {
        if self.partition as usize != p {
            return;
        }
        let rec = self.rec;
        let hit = entries
            .filter(|e| e.base_offset < to && e.end_offset() > from)
            .find(|e| rec >= e.rec_start && rec < e.rec_start + e.count as u64);
        if let Some(e) = hit {
            let off = e.base_offset + (rec - e.rec_start);
            self.line(now, format!("b{b}: offset {off}: {what}"));
        }
    }

    /// Consumes one observation, made by a handler on `route` (a client's: its topic's first
    /// partition and its identity base; `(0, 0)` otherwise): a line when it concerns the traced
    /// record.
    pub(crate) fn on(&mut self, now: SimTime, o: &Observation<'_>, route: (u32, u64)) {
        self.route = route;
        match *o {
            Observation::Appended {
                partition,
                rec,
                batch,
                first,
                last,
                new_batch,
            } if self.covers(partition, rec, 1) => {
                self.sent.get_or_insert(now);
                self.line(
                now,
                format!(
                    "send(): record {partition}:{rec} appended to batch #{batch} (partition {partition}, records {first}..{last}, {})",
                    if new_batch { "new batch" } else { "open batch" }
                ),
            )
            }
            Observation::BatchSent {
                partition,
                rec_start,
                count,
                batch,
                bytes,
                node,
                request,
                attempt,
                producer,
                acks,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "sender: batch #{batch} ({count} records, {bytes} bytes) sent to b{node} in request {request} (attempt {attempt}{}, acks={acks})",
                    if producer.pid != 0 {
                        format!(", producer epoch {} seq {}", producer.epoch, producer.base_seq)
                    } else {
                        String::new()
                    },
                ),
            ),
            Observation::RequestFailed {
                partition,
                rec_start,
                count,
                node,
                request,
                error,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!("sender: connection to b{node} closed ({}): request {request} fails", error.name()),
            ),
            Observation::Response {
                partition,
                rec_start,
                count,
                batch,
                error,
                base_offset,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "sender: response for batch #{batch}: {}{}",
                    error.name(),
                    if error == ErrorCode::None {
                        format!(" (base offset {base_offset})")
                    } else {
                        String::new()
                    }
                ),
            ),
            Observation::LateResponse {
                partition,
                rec_start,
                count,
                batch,
                error,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "sender: late {} for expired batch #{batch} ignored (outcome stays failed)",
                    error.name()
                ),
            ),
            Observation::Split {
                partition,
                rec_start,
                count,
                batch,
                into,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!("sender: batch #{batch} split into {into} batch(es) of batch.size, sent again (no retry counted)"),
            ),
            Observation::Completed {
                partition,
                rec_start,
                count,
                batch,
                outcome,
                error,
                ambiguous,
                ..
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                match outcome {
                    Outcome::Acked => format!("application: batch #{batch} acknowledged (future completed, callbacks run)"),
                    Outcome::Failed if ambiguous => format!(
                        "application: batch #{batch} FAILED with {} after it was sent: AMBIGUOUS, the \
                         broker may have written it (ProducerBatch.done: a late answer is only logged)",
                        error.name()
                    ),
                    Outcome::Failed => format!("application: batch #{batch} FAILED with {}", error.name()),
                    Outcome::Unseen => format!("application: batch #{batch} never resolved"),
                },
            ),
            Observation::Resent {
                partition,
                rec_start,
                count,
                batch,
                resend,
                of,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "application: RE-SENT by the application (re-send {resend} of {of}): records \
                     {rec_start}..{} appended again, as new batch #{batch}: a new send() to the producer \
                     (new sequence numbers: idempotence cannot tell it from a copy the broker already wrote)",
                    rec_start + count as u64 - 1
                ),
            ),
            Observation::Polled {
                consumer,
                group,
                partition,
                rec_start,
                count,
                first_offset,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "consumer #{consumer} (group #{group}): poll() returned it (offset {}){}",
                    first_offset + (self.rec - rec_start),
                    self.sent.map_or(String::new(), |t| format!(
                        ", {:.3} ms after send() (end to end)",
                        crate::sim::to_ms(now.saturating_sub(t))
                    )),
                ),
            ),
            Observation::LeaderAppended {
                broker,
                partition,
                rec_start,
                count,
                leader_epoch,
                base_offset,
                hw,
                isr,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "b{broker} (leader, epoch {leader_epoch}): appended at offsets {base_offset}..{} (HW {hw}, ISR {isr:?})",
                    base_offset + count as u64 - 1,
                ),
            ),
            Observation::Duplicate {
                broker,
                partition,
                rec_start,
                count,
                seq,
                base_offset,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!(
                    "b{broker}: duplicate of an appended batch (seq {seq}), not appended again; original offset {base_offset}"
                ),
            ),
            Observation::HwAdvanced {
                broker,
                partition,
                from,
                to,
                log,
            } => self.offsets(
                now,
                (broker, partition),
                log,
                (from, to),
                &format!("committed: high watermark {from} -> {to}"),
            ),
            Observation::BecameLeader {
                broker,
                partition,
                state,
                log,
            } if self.partition as usize == partition => self.line(
                now,
                format!(
                    "b{broker}: becomes leader of partition {partition} (epoch {}, log end {}, ISR {:?})",
                    state.leader_epoch,
                    log.log_end_offset(),
                    state.isr
                ),
            ),
            Observation::Truncated {
                broker,
                partition,
                from,
                to,
                removed,
                cause,
            } => self.offsets_in(
                now,
                (broker, partition),
                removed.iter().copied(),
                (to, from),
                &format!("TRUNCATED on this follower: log end {from} -> {to} ({})", cause.story()),
            ),
            Observation::FollowerAppended {
                broker,
                leader,
                partition,
                rec_start,
                count,
                first_offset,
                last_offset,
            } if self.covers(partition, rec_start, count as u64) => self.line(
                now,
                format!("b{broker} (follower): fetched and appended offsets {first_offset}..{last_offset} from b{leader}"),
            ),
            Observation::Crashed { broker, power } => self.line(
                now,
                format!(
                    "b{broker}: {}",
                    if power {
                        "POWER LOSS (unflushed page cache lost)"
                    } else {
                        "process crash"
                    }
                ),
            ),
            Observation::Restarted { broker } => self.line(now, format!("b{broker}: restarted")),
            Observation::Published { partitions } => {
                let tp = self.partition;
                if let Some((_, st)) = partitions.iter().find(|(p, _)| *p == tp) {
                    let line = format!(
                        "controller: partition {tp} now leader {} (epoch {}), ISR {:?}",
                        st.leader.map_or("none".to_string(), |l| format!("b{l}")),
                        st.leader_epoch,
                        st.isr
                    );
                    self.line(now, line);
                }
            }
            Observation::UncleanElection { partition, leader } if partition == self.partition => self.line(
                now,
                format!(
                    "controller: UNCLEAN election: b{leader}, an out-of-sync replica, leads partition {partition} \
                     (it may lack committed records; its log becomes the truth)"
                ),
            ),
            Observation::Fenced { broker } => self.line(
                now,
                format!("controller: fenced b{broker} (no heartbeat within broker.session.timeout.ms)"),
            ),
            Observation::IsrChanged {
                broker,
                partition,
                from,
                to,
            } if self.partition == partition => self.line(
                now,
                format!("controller: AlterPartition from b{broker}: ISR {from:?} -> {to:?}"),
            ),
            _ => {}
        }
    }
}
