//! The ghost monitor: watches the replication invariants of the TLA+ specs (reference 10,
//! `NoCommittedRecordLostGlobally`, `LeaderCompletenessProperty`) from [`Observation`]s. The
//! model never reads it; its counts become result columns.

use super::observe::Observation;
use super::visibility::Visibility;
use crate::config::{Consumer, Topic, IDENTITY_BITS};
use crate::sim::SimTime;

/// Ghost state per partition.
#[derive(Default)]
pub(crate) struct Monitor {
    /// Per partition: the highest high watermark any leader reached ("true HW") and the
    /// identity of the record just below it.
    pub max_committed: Vec<u64>,
    pub committed_rec: Vec<Option<u64>>,
    /// Leaders elected without every committed record (`LeaderCompletenessProperty`).
    pub leader_completeness_violations: u64,
    /// Committed records such leaders lacked (`NoCommittedRecordLostGlobally`).
    pub committed_lost: u64,
    /// Consumer visibility: send() to the leader's HW covering each acknowledged record.
    pub visibility: Visibility,
    /// Per consumer group: send() to the poll() that first returned each acknowledged record.
    pub e2e: Vec<Visibility>,
    /// Per producer (identity >> IDENTITY_BITS): records the consumers' polls returned.
    pub consumed: Vec<u64>,
    /// When a poll last returned records.
    pub last_poll: SimTime,
    /// The client whose handler runs: its topic's first partition and its identity base
    /// (its observations are in its own numbering; `(0, 0)` for everything else).
    pub route: (u32, u64),
}

impl Monitor {
    /// A monitor for `partitions` partitions, nothing committed.
    pub(crate) fn new(partitions: usize) -> Monitor {
        Monitor::with_consumers(partitions, &[], &[])
    }

    /// A monitor that also measures each consumer group's end-to-end latency.
    pub(crate) fn with_consumers(partitions: usize, consumers: &[Consumer], topics: &[Topic]) -> Monitor {
        let groups = consumers.iter().map(|c| c.group + 1).max().unwrap_or(0);
        let e2e = (0..groups)
            .map(|g| {
                let mut tracked = vec![false; partitions];
                for c in consumers.iter().filter(|c| c.group == g) {
                    for &t in &c.topics {
                        let t = &topics[t];
                        tracked[t.first as usize..(t.first + t.partitions) as usize].fill(true);
                    }
                }
                Visibility::end_to_end(tracked)
            })
            .collect();
        Monitor {
            max_committed: vec![0; partitions],
            committed_rec: vec![None; partitions],
            leader_completeness_violations: 0,
            committed_lost: 0,
            visibility: Visibility::new(partitions),
            e2e,
            consumed: Vec::new(),
            last_poll: 0,
            route: (0, 0),
        }
    }

    /// Consumes one observation (only HW advances, new leaders and outcomes concern it).
    #[inline]
    pub(crate) fn on(&mut self, now: SimTime, o: &Observation<'_>) {
        self.visibility.on(now, o, self.route);
        if !self.e2e.is_empty() {
            for v in &mut self.e2e {
                v.on(now, o, self.route);
            }
            if let Observation::Polled {
                group,
                partition,
                rec_start,
                count,
                ..
            } = *o
            {
                self.e2e[group as usize].covered(now, partition as usize, rec_start, rec_start + count as u64);
                let producer = (rec_start >> IDENTITY_BITS) as usize;
                if self.consumed.len() <= producer {
                    self.consumed.resize(producer + 1, 0);
                }
                self.consumed[producer] += count as u64;
                self.last_poll = now;
            }
        }
        match *o {
            Observation::HwAdvanced {
                partition: p, to, log, ..
            } if to > self.max_committed[p] => {
                self.max_committed[p] = to;
                self.committed_rec[p] = log.record_at(to - 1).map(|x| x.0);
            }
            Observation::BecameLeader { partition: p, log, .. } => {
                // LeaderCompletenessProperty: the new leader holds every committed record.
                let committed = self.max_committed[p];
                let leo = log.log_end_offset();
                let complete = committed == 0
                    || (leo >= committed && log.record_at(committed - 1).map(|x| x.0) == self.committed_rec[p]);
                if !complete {
                    self.leader_completeness_violations += 1;
                    self.committed_lost += committed.saturating_sub(leo).max(1);
                    // From here on the new leader's log is the truth the monitor tracks.
                    let keep = leo.min(committed);
                    self.max_committed[p] = keep;
                    self.committed_rec[p] = keep.checked_sub(1).and_then(|o| log.record_at(o)).map(|x| x.0);
                }
            }
            _ => {}
        }
    }
}
