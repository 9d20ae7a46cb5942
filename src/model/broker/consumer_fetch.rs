//! The leader's side of consumer fetching (`ReplicaManager.fetchMessages` for a consumer,
//! `FetchIsolation.HIGH_WATERMARK`): a consumer reads only below the high watermark
//! (`Partition.fetchRecords` -> `UnifiedLog.read` with `maxOffset = highWatermark`, reference
//! 7.3); a fetch with fewer than `fetch.min.bytes` readable waits in the fetch purgatory
//! (`DelayedFetch`) until the high watermark moves enough, the leadership changes, or
//! `fetch.max.wait.ms` passes.

use super::*;
use crate::model::partition_log::LogEntry;
use crate::model::{ConsumerFetchRequest, ErrorCode, FetchPartitionData};
use crate::sim::SimTime;

/// A consumer fetch waiting in the purgatory.
pub(super) struct ParkedConsumerFetch {
    /// The consumer's network node.
    node: usize,
    req: ConsumerFetchRequest,
    /// `fetch.max.wait.ms` from when it was parked.
    pub(super) deadline: SimTime,
}

impl Broker {
    /// A consumer's fetch arrives: answer now when `fetch.min.bytes` are readable (or there is
    /// an error to report), else park it.
    pub(in crate::model) fn consumer_fetch(&mut self, node: usize, req: ConsumerFetchRequest, ctx: &mut Ctx<'_>) {
        let (data, bytes, urgent) = self.read_consumer_fetch(&req);
        if urgent || bytes >= req.min_bytes.max(1) as u64 || req.max_wait == 0 {
            self.send_consumer_fetch_response(node, req.id, data, ctx);
        } else {
            let deadline = ctx.now + req.max_wait;
            self.parked_consumers.push(ParkedConsumerFetch { node, req, deadline });
            self.arm_fetch_wait_timer(deadline, ctx);
        }
    }

    /// The leader's high watermark of partition `p` moved, or its leadership changed: the
    /// parked consumer fetches reading `p` that can complete now do
    /// (`DelayedFetch.tryComplete`: enough bytes, or this broker no longer leads).
    pub(in crate::model) fn wake_consumer_fetches(&mut self, p: u32, ctx: &mut Ctx<'_>) {
        let mut i = 0;
        while i < self.parked_consumers.len() {
            let f = &self.parked_consumers[i];
            if !f.req.partitions.iter().any(|x| x.partition == p) {
                i += 1;
                continue;
            }
            let (data, bytes, urgent) = self.read_consumer_fetch(&f.req);
            if urgent || bytes >= f.req.min_bytes.max(1) as u64 {
                let f = self.parked_consumers.remove(i);
                self.send_consumer_fetch_response(f.node, f.req.id, data, ctx);
            } else {
                i += 1;
            }
        }
    }

    /// Parked consumer fetches whose `fetch.max.wait.ms` ran out are answered with what there
    /// is; returns the next deadline of those still parked.
    pub(in crate::model) fn expire_consumer_fetches(&mut self, ctx: &mut Ctx<'_>) -> Option<SimTime> {
        let now = ctx.now;
        let mut i = 0;
        while i < self.parked_consumers.len() {
            if self.parked_consumers[i].deadline <= now {
                let f = self.parked_consumers.remove(i);
                let (data, _, _) = self.read_consumer_fetch(&f.req);
                self.send_consumer_fetch_response(f.node, f.req.id, data, ctx);
            } else {
                i += 1;
            }
        }
        self.parked_consumers.iter().map(|f| f.deadline).min()
    }

    /// Reads a consumer fetch: per partition, from the consumer's position up to the high
    /// watermark, at most `max.partition.fetch.bytes` (and `fetch.max.bytes` over the
    /// response), each at least one record batch (the limits are soft, KIP-74). Returns the
    /// data, the bytes read and whether there is an error or divergence to report now.
    fn read_consumer_fetch(&self, req: &ConsumerFetchRequest) -> (Vec<FetchPartitionData>, u64, bool) {
        let mut out = Vec::with_capacity(req.partitions.len());
        let mut bytes = 0u64;
        let mut urgent = false;
        for fp in &req.partitions {
            let p = fp.partition as usize;
            let mut d = FetchPartitionData::empty(fp.partition);
            match self.replicas[p].as_ref() {
                Some(r) if self.alive && r.is_leader && r.leader_epoch == fp.current_leader_epoch => {
                    let hw = r.hw;
                    d.high_watermark = hw;
                    d.leader_log_end = r.log.log_end_offset();
                    // KIP-320: the consumer's last fetched epoch tells whether the log it read
                    // was truncated away under it (`OffsetsForLeaderEpoch`, which the consumer
                    // sends after a leader change; the model folds it into the fetch, as the
                    // follower's fetch does since KIP-595).
                    // No epoch at or below it (`UNDEFINED_EPOCH_OFFSET`): the consumer resets
                    // its position (`maybeCompleteValidation` -> `requestOffsetReset`), as for
                    // an offset out of range.
                    let mut undefined = false;
                    let diverged = fp
                        .last_fetched_epoch
                        .and_then(|lfe| match r.log.end_offset_for_epoch(lfe) {
                            Some((e, end)) if e == lfe && end >= fp.fetch_offset => None,
                            Some((e, end)) => Some((e, end.min(fp.fetch_offset))),
                            None => {
                                undefined = true;
                                None
                            }
                        });
                    if let Some(div) = diverged {
                        d.diverging = Some(div);
                        urgent = true;
                    } else if undefined || fp.fetch_offset > d.leader_log_end {
                        d.error = ErrorCode::OffsetOutOfRange;
                        urgent = true;
                    } else if fp.fetch_offset < hw && (out.is_empty() || bytes < req.max_bytes as u64) {
                        let budget = (req.partition_max_bytes as u64).min((req.max_bytes as u64).saturating_sub(bytes));
                        r.log.read(fp.fetch_offset, budget.max(1), &mut d.entries);
                        cap_entries(&mut d.entries, hw, budget.max(1));
                        debug_assert!(
                            d.entries.last().is_none_or(|e| e.end_offset() <= hw),
                            "a consumer read above the high watermark"
                        );
                        bytes += d.entries.iter().map(|e| e.bytes).sum::<u64>();
                    }
                }
                _ => {
                    // NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH: the
                    // consumer refreshes its metadata.
                    d.error = ErrorCode::NotLeaderOrFollower;
                    urgent = true;
                }
            }
            out.push(d);
        }
        (out, bytes, urgent)
    }

    fn send_consumer_fetch_response(
        &mut self,
        node: usize,
        id: u64,
        partitions: Vec<FetchPartitionData>,
        ctx: &mut Ctx<'_>,
    ) {
        let bytes = super::delayed_fetch::fetched_bytes(&partitions);
        self.answer_fetch(node, bytes, Message::ConsumerFetchResponse { id, partitions }, ctx);
    }
}

/// Drops what `read` returned at or above the high watermark `hw`, and cuts an entry larger
/// than `budget` bytes to about `budget` (a log entry may stand for several coalesced
/// batches; Kafka returns whole batches, the first one even when it alone is larger).
fn cap_entries(entries: &mut Vec<LogEntry>, hw: u64, budget: u64) {
    entries.retain(|e| e.base_offset < hw);
    if let Some(last) = entries.last_mut() {
        if last.end_offset() > hw {
            *last = last.prefix((hw - last.base_offset) as u32);
        }
    }
    let mut total = 0u64;
    for i in 0..entries.len() {
        let e = entries[i];
        if total + e.bytes > budget && e.count > 1 {
            let per = (e.bytes / e.count as u64).max(1);
            let keep = ((budget.saturating_sub(total)) / per).clamp(1, e.count as u64) as u32;
            entries[i] = e.prefix(keep);
            entries.truncate(i + 1);
            return;
        }
        total += e.bytes;
        if total >= budget {
            entries.truncate(i + 1);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::partition_log::ProducerInfo;

    fn entry(base: u64, count: u32, bytes: u64) -> LogEntry {
        LogEntry {
            base_offset: base,
            count,
            rec_start: base,
            leader_epoch: 0,
            producer: ProducerInfo::default(),
            bytes,
            append_time: 0,
        }
    }

    #[test]
    fn nothing_at_or_above_the_high_watermark_is_returned() {
        let mut v = vec![entry(0, 10, 1000), entry(10, 10, 1000), entry(20, 10, 1000)];
        cap_entries(&mut v, 15, 1 << 20);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].end_offset(), 15);
    }

    #[test]
    fn a_large_entry_is_cut_to_the_budget_but_never_to_nothing() {
        let mut v = vec![entry(0, 100, 10_000)];
        cap_entries(&mut v, 100, 2_500);
        assert_eq!(v[0].count, 25);
        let mut v = vec![entry(0, 100, 10_000)];
        cap_entries(&mut v, 100, 1);
        assert_eq!(v[0].count, 1, "at least one record");
    }
}
