//! The ghost monitor: watches the replication invariants of the TLA+ specs (reference 10,
//! `NoCommittedRecordLostGlobally`, `LeaderCompletenessProperty`) from [`Observation`]s. The
//! model never reads it; its counts become result columns.

use super::observe::Observation;
use super::visibility::Visibility;
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
    /// The client whose handler runs: its topic's first partition and its identity base
    /// (its observations are in its own numbering; `(0, 0)` for everything else).
    pub route: (u32, u64),
}

impl Monitor {
    /// A monitor for `partitions` partitions, nothing committed.
    pub(crate) fn new(partitions: usize) -> Monitor {
        Monitor {
            max_committed: vec![0; partitions],
            committed_rec: vec![None; partitions],
            leader_completeness_violations: 0,
            committed_lost: 0,
            visibility: Visibility::new(partitions),
            route: (0, 0),
        }
    }

    /// Consumes one observation (only HW advances, new leaders and outcomes concern it).
    #[inline]
    pub(crate) fn on(&mut self, now: SimTime, o: &Observation<'_>) {
        self.visibility.on(now, o, self.route);
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
