//! One replica's log of a partition: batch *ranges*, not records (design principle 3).
//!
//! Models `UnifiedLog` (append, truncation, log end offset), the `LeaderEpochFileCache`
//! (epoch -> start offset, `endOffsetFor`, KIP-101/279) and the producer state the broker keeps
//! per producer id for idempotence (`ProducerStateEntry`, five retained batches,
//! `ProducerAppendInfo.checkSequence`). Old contiguous entries are coalesced so that memory
//! follows the number of write-back windows and epochs, not the number of records.

use crate::sim::SimTime;

mod segments;
use segments::Segments;

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: why `max.in.flight <= 5` with idempotence.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// Producer identity carried by an idempotent batch (`pid == 0`: not idempotent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProducerInfo {
    /// The producer id (`producerId`).
    pub pid: u64,
    /// The producer epoch (`producerEpoch`).
    pub epoch: u16,
    /// `baseSequence` of the batch; -1 when not idempotent.
    pub base_seq: i32,
}

/// A run of records with consecutive offsets, consecutive record identities and one leader
/// epoch: one producer batch when appended, possibly several after coalescing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Offset of the first record (`baseOffset`).
    pub base_offset: u64,
    /// Records in the entry.
    pub count: u32,
    /// Identity of the first record: the application's per-partition send sequence.
    pub rec_start: u64,
    /// The leader epoch the records were appended in (`partitionLeaderEpoch`).
    pub leader_epoch: u32,
    /// The producer's identity and base sequence.
    pub producer: ProducerInfo,
    /// Size on disk (and on the wire), bytes.
    pub bytes: u64,
    /// Time of the latest append folded into this entry (page-cache write-back model).
    pub append_time: SimTime,
}

impl LogEntry {
    /// One past the last record's offset.
    pub fn end_offset(&self) -> u64 {
        self.base_offset + self.count as u64
    }

    /// The suffix of this entry starting `skip` records in.
    fn suffix(&self, skip: u32) -> LogEntry {
        debug_assert!(skip < self.count);
        let mut e = *self;
        e.base_offset += skip as u64;
        e.rec_start += skip as u64;
        e.count -= skip;
        e.bytes = self.bytes * e.count as u64 / self.count as u64;
        if e.producer.base_seq >= 0 {
            e.producer.base_seq = e.producer.base_seq.wrapping_add(skip as i32);
        }
        e
    }

    /// The first `keep` records of this entry.
    pub(crate) fn prefix(&self, keep: u32) -> LogEntry {
        debug_assert!(keep > 0 && keep <= self.count);
        let mut e = *self;
        e.count = keep;
        e.bytes = self.bytes * keep as u64 / self.count as u64;
        e
    }

    fn last_seq(&self) -> i32 {
        self.producer.base_seq.wrapping_add(self.count as i32 - 1)
    }

    /// Whether `next` continues this entry where coalescing asks it to, whatever the times and
    /// sizes: same producer session, the sequence, the record identities and the leader epoch
    /// carrying on. An entry merged with its successor ends as that successor did, so the
    /// answer for the merged entry is the successor's.
    fn continued_by(&self, next: &LogEntry) -> bool {
        self.producer.pid == next.producer.pid
            && self.producer.epoch == next.producer.epoch
            && (self.producer.base_seq < 0) == (next.producer.base_seq < 0)
            && (self.producer.base_seq < 0 || self.last_seq().wrapping_add(1) == next.producer.base_seq)
            && self.rec_start + self.count as u64 == next.rec_start
            && self.leader_epoch == next.leader_epoch
    }
}

/// Outcome of the broker's idempotence check for an incoming batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Append it.
    Accept,
    /// Same (pid, epoch, first..last sequence) as one of the retained batches: do not append,
    /// answer success with the original base offset.
    Duplicate {
        /// Base offset of the retained batch.
        base_offset: u64,
    },
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER`.
    OutOfOrder,
    /// `INVALID_PRODUCER_EPOCH` (epoch older than the broker's).
    InvalidEpoch,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ProducerState {
    pid: u64,
    epoch: u16,
    last_seq: i32,
    /// (first seq, last seq, base offset) of the last batches, oldest first.
    recent: RecentBatches,
}

/// A producer's last batches (`ProducerStateEntry.batchMetadata`: at most
/// [`NUM_BATCHES_TO_RETAIN`]), oldest first, held inline: every append reads and writes them,
/// and as a `VecDeque` they were a separate allocation per producer and partition replica, one
/// more cache line to miss when many producers share the brokers.
#[derive(Clone, Copy, Debug, Default)]
struct RecentBatches {
    batches: [(i32, i32, u64); NUM_BATCHES_TO_RETAIN],
    len: u8,
}

/// Equal when the batches held are (whatever the unused slots hold).
impl PartialEq for RecentBatches {
    fn eq(&self, other: &Self) -> bool {
        self.held() == other.held()
    }
}

impl Eq for RecentBatches {}

impl RecentBatches {
    /// Adds the newest, dropping the oldest beyond [`NUM_BATCHES_TO_RETAIN`].
    fn push(&mut self, b: (i32, i32, u64)) {
        let n = self.len as usize;
        if n == NUM_BATCHES_TO_RETAIN {
            self.batches.copy_within(1.., 0);
            self.batches[n - 1] = b;
        } else {
            self.batches[n] = b;
            self.len += 1;
        }
    }

    /// The batches held, oldest first.
    fn held(&self) -> &[(i32, i32, u64)] {
        &self.batches[..self.len as usize]
    }

    fn iter(&self) -> std::slice::Iter<'_, (i32, i32, u64)> {
        self.held().iter()
    }

    fn back(&self) -> Option<&(i32, i32, u64)> {
        self.held().last()
    }
}

/// How many trailing entries are kept uncoalesced (batch boundaries matter near the end:
/// idempotence dedup and truncation).
const KEEP_TAIL: usize = 8;

/// One replica's log of a partition (`UnifiedLog` with its `LeaderEpochFileCache` and producer
/// state).
#[derive(Clone, Debug, Default)]
pub struct PartitionLog {
    /// Oldest first, in sealed chunks and an open tail ([`segments`]).
    entries: Segments,
    leo: u64,
    /// Leader epoch cache: (epoch, start offset), epochs strictly increasing.
    epochs: Vec<(u32, u64)>,
    /// Per producer id (`ProducerStateManager.producers`): several producers write one
    /// partition, each deduplicated against its own last batches. Sorted by id: a partition
    /// of hundreds of producers finds one in a binary search, not a scan per batch.
    producers: Vec<ProducerState>,
    /// Bit `i`: whether the entry `i + 1` from the end continued the one before it when it
    /// was appended ([`LogEntry::continued_by`]; all set after a truncation: unknown). Coalescing
    /// looks `KEEP_TAIL` entries back, at lines long since left: where producers interleave
    /// their batches nothing merges, and this bit says so without reading them (bench-e: 400 K
    /// first-level misses per 10 simulated seconds, two per append).
    continues: u32,
}

impl PartitionLog {
    /// The log end offset (LEO).
    pub fn log_end_offset(&self) -> u64 {
        self.leo
    }

    /// The entries, oldest first (older contiguous ones coalesced).
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + '_ {
        self.entries.iter()
    }

    /// The entries from the one holding `offset` (or the first after it) on, found from the
    /// log's end ([`PartitionLog::entry_index`]).
    pub fn entries_from(&self, offset: u64) -> impl Iterator<Item = &LogEntry> + '_ {
        self.entries.iter_from(self.entry_index(offset))
    }

    /// The latest epoch of the epoch cache (`LeaderEpochFileCache.latestEpoch`).
    pub fn latest_epoch(&self) -> Option<u32> {
        self.epochs.last().map(|e| e.0)
    }

    /// Record a new leader epoch starting at the current log end (a replica becoming leader:
    /// `Partition.makeLeader` assigns the epoch start offset = LEO).
    pub fn assign_epoch_start(&mut self, epoch: u32) {
        if let Some(&(last, _)) = self.epochs.last() {
            assert!(epoch >= last, "leader epochs only grow: {epoch} after {last}");
            if epoch == last {
                return;
            }
        }
        self.epochs.push((epoch, self.leo));
    }

    /// Idempotence check of `ProducerAppendInfo` / `UnifiedLog.analyzeAndValidateProducerState`
    /// for a batch of `count` records from `p`.
    pub fn check_sequence(&self, p: ProducerInfo, count: u32) -> SequenceCheck {
        if p.pid == 0 {
            return SequenceCheck::Accept;
        }
        let Ok(i) = self.producers.binary_search_by_key(&p.pid, |s| s.pid) else {
            // No state for this producer: any sequence is accepted (reference 6.2 rule 5).
            return SequenceCheck::Accept;
        };
        let s = &self.producers[i];
        let last = p.base_seq.wrapping_add(count as i32 - 1);
        if p.epoch == s.epoch {
            if let Some(&(_, _, off)) = s.recent.iter().find(|b| b.0 == p.base_seq && b.1 == last) {
                return SequenceCheck::Duplicate { base_offset: off };
            }
        }
        if p.epoch < s.epoch {
            return SequenceCheck::InvalidEpoch;
        }
        if p.epoch > s.epoch {
            return if p.base_seq == 0 {
                SequenceCheck::Accept
            } else {
                SequenceCheck::OutOfOrder
            };
        }
        let expected = if s.last_seq == i32::MAX { 0 } else { s.last_seq + 1 };
        if p.base_seq == expected {
            SequenceCheck::Accept
        } else {
            SequenceCheck::OutOfOrder
        }
    }

    /// Append a batch at the log end; returns its base offset. `now` and `durable_before`
    /// drive coalescing: entries merge only within one write-back window (`tick`), or when both
    /// are already durable, so that power-loss truncation stays exact.
    pub fn append(&mut self, mut e: LogEntry, tick_ns: SimTime, durable_before: SimTime) -> u64 {
        e.base_offset = self.leo;
        if self.epochs.last().is_none_or(|&(ep, _)| e.leader_epoch > ep) {
            self.epochs.push((e.leader_epoch, e.base_offset));
        }
        assert!(
            e.leader_epoch <= self.latest_epoch().unwrap_or(0),
            "batch epoch above the epoch cache"
        );
        self.leo += e.count as u64;
        self.note_producer_batch(&e);
        let continues = self.entries.last().is_some_and(|p| p.continued_by(&e));
        self.continues = self.continues << 1 | u32::from(continues);
        self.entries.push(e);
        self.maybe_coalesce(tick_ns, durable_before);
        self.entries.seal_if_full();
        e.base_offset
    }

    fn note_producer_batch(&mut self, e: &LogEntry) {
        if e.producer.pid == 0 {
            return;
        }
        let i = match self.producers.binary_search_by_key(&e.producer.pid, |s| s.pid) {
            Ok(i) => i,
            Err(i) => {
                self.producers.insert(
                    i,
                    ProducerState {
                        pid: e.producer.pid,
                        epoch: e.producer.epoch,
                        ..ProducerState::default()
                    },
                );
                i
            }
        };
        let s = &mut self.producers[i];
        if s.epoch != e.producer.epoch {
            *s = ProducerState {
                pid: e.producer.pid,
                epoch: e.producer.epoch,
                ..ProducerState::default()
            };
        }
        s.last_seq = e.last_seq();
        s.recent.push((e.producer.base_seq, e.last_seq(), e.base_offset));
    }

    fn maybe_coalesce(&mut self, tick_ns: SimTime, durable_before: SimTime) {
        // The last KEEP_TAIL + 2 entries are always in the tail.
        let tail = self.entries.tail_mut();
        let n = tail.len();
        if n < KEEP_TAIL + 2 {
            return;
        }
        if self.continues >> KEEP_TAIL & 1 == 0 {
            debug_assert!(
                !tail[n - KEEP_TAIL - 2].continued_by(&tail[n - KEEP_TAIL - 1]),
                "an entry marked as not continuing its predecessor continues it"
            );
            return;
        }
        let (a, b) = (tail[n - KEEP_TAIL - 2], tail[n - KEEP_TAIL - 1]);
        let same_window = tick_ns > 0 && a.append_time / tick_ns == b.append_time / tick_ns;
        let both_durable = b.append_time < durable_before;
        if a.end_offset() == b.base_offset
            && a.continued_by(&b)
            && (same_window || both_durable)
            && (a.count as u64 + b.count as u64) < u32::MAX as u64
        {
            let m = &mut tail[n - KEEP_TAIL - 2];
            m.count += b.count;
            m.bytes += b.bytes;
            m.append_time = m.append_time.max(b.append_time);
            tail.remove(n - KEEP_TAIL - 1);
            // The entries before `b` come one nearer the end; the merged one continues its
            // predecessor as `a` did, and `b`'s successor continues it as it continued `b`.
            let newer = (1 << KEEP_TAIL) - 1;
            self.continues = self.continues & newer | (self.continues >> (KEEP_TAIL + 1)) << KEEP_TAIL;
        }
    }

    /// Index of the entry holding `offset` (or the first entry after it).
    fn entry_index(&self, offset: u64) -> usize {
        let (tail, s) = self.entries.tail();
        if s == 0 || tail.first().is_some_and(|e| e.base_offset <= offset) {
            return s + Self::gallop(tail, offset);
        }
        // Before the tail (offsets are contiguous, so it is in a sealed chunk).
        self.entries.sealed_index(offset)
    }

    /// Index in `entries` of the entry holding `offset` (or the first after it).
    fn gallop(entries: &[LogEntry], offset: u64) -> usize {
        // Reads are mostly near the end (followers fetch what is new): gallop back from the
        // end, then search the last step, instead of a binary search over the whole log that
        // misses the cache at every probe. `entries[hi..]` all end above `offset`.
        let mut hi = entries.len();
        let mut step = 1;
        loop {
            let lo = hi.saturating_sub(step);
            if lo == 0 || entries[lo].end_offset() <= offset {
                return lo + entries[lo..hi].partition_point(|e| e.end_offset() <= offset);
            }
            hi = lo;
            step *= 2;
        }
    }

    /// Remove every record at or above `offset` (follower truncation, KIP-101; recovery).
    pub fn truncate_to(&mut self, offset: u64) {
        if offset > self.leo {
            return;
        }
        if offset == self.leo {
            // Nothing to remove but epochs that start at the end (LeaderEpochFileCache
            // .truncateFromEnd), e.g. an epoch this replica led without appending.
            while self.epochs.last().is_some_and(|&(_, start)| start >= offset) {
                self.epochs.pop();
            }
            return;
        }
        let i = self.entry_index(offset);
        self.entries.truncate(i + 1);
        self.continues = u32::MAX; // (unknown: coalescing checks every pair in full again)
        if let Some(last) = self.entries.last().copied() {
            if last.base_offset >= offset {
                self.entries.pop();
            } else if last.end_offset() > offset {
                let tail = self.entries.tail_mut();
                *tail.last_mut().expect("the last entry is in the tail") =
                    last.prefix((offset - last.base_offset) as u32);
            }
        }
        self.leo = offset;
        // LeaderEpochFileCache.truncateFromEnd: drop epochs starting at or after the new end.
        while self.epochs.last().is_some_and(|&(_, start)| start >= offset) {
            self.epochs.pop();
        }
        self.rebuild_producer_state(offset);
    }

    /// Power loss: keep only entries written back to disk (appended before `durable_before`).
    pub fn lose_unflushed(&mut self, durable_before: SimTime) {
        let keep = self
            .entries
            .iter()
            .take_while(|e| e.append_time < durable_before)
            .count();
        let offset = self.entries.get(keep).map_or(self.leo, |e| e.base_offset);
        self.truncate_to(offset);
    }

    /// The idempotence state after truncation to `offset`, as `ProducerStateManager
    /// .truncateAndReload` leaves it: every producer's state as replaying the remaining log
    /// would build it. A producer none of whose batches was removed keeps its state; the others
    /// are rebuilt from their last batches below `offset` (back to their epoch's start, at most
    /// `NUM_BATCHES_TO_RETAIN`), found from the end. A coalesced entry counts as one batch.
    fn rebuild_producer_state(&mut self, offset: u64) {
        // Producers with a record at or above `offset` (in their last batch, then; a batch may
        // be cut short).
        let stale: Vec<u64> = self
            .producers
            .iter()
            .filter(|s| {
                s.recent
                    .back()
                    .is_some_and(|&(first, last, off)| off + last.wrapping_sub(first) as u32 as u64 + 1 > offset)
            })
            .map(|s| s.pid)
            .collect();
        if stale.is_empty() {
            return;
        }
        self.producers.retain(|s| stale.binary_search(&s.pid).is_err());
        // Per stale producer, its batches below `offset`, newest first, until its epoch changes
        // or `NUM_BATCHES_TO_RETAIN` are found; the walk ends when every one is complete.
        let mut found: Vec<(Vec<LogEntry>, bool)> = vec![(Vec::new(), false); stale.len()];
        let mut open = found.len();
        for e in self.entries.iter().rev() {
            if open == 0 {
                break;
            }
            let Ok(i) = stale.binary_search(&e.producer.pid) else {
                continue;
            };
            let (batches, done) = &mut found[i];
            if *done {
                continue;
            }
            if batches
                .first()
                .is_some_and(|b: &LogEntry| b.producer.epoch != e.producer.epoch)
            {
                *done = true;
                open -= 1;
                continue;
            }
            batches.push(*e);
            if batches.len() == NUM_BATCHES_TO_RETAIN {
                *done = true;
                open -= 1;
            }
        }
        for (batches, _) in found {
            for e in batches.iter().rev() {
                self.note_producer_batch(e);
            }
        }
    }

    /// `LeaderEpochFileCache.endOffsetFor(epoch)`: the largest epoch <= `epoch` and its end
    /// offset (start of the next epoch, or the LEO for the latest). `None` when no such epoch.
    pub fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, u64)> {
        let i = self.epochs.partition_point(|&(e, _)| e <= epoch);
        if i == 0 {
            return None;
        }
        let (e, _) = self.epochs[i - 1];
        let end = self.epochs.get(i).map_or(self.leo, |&(_, s)| s);
        Some((e, end))
    }

    /// Entries from `offset` on, at most about `max_bytes` (soft: the first entry is always
    /// returned, as `replica.fetch.max.bytes` is soft).
    pub fn read(&self, offset: u64, max_bytes: u64, out: &mut Vec<LogEntry>) {
        let i = self.entry_index(offset);
        let (tail, s) = self.entries.tail();
        if i >= s {
            // (what followers fetch: the tail's entries, as a slice)
            Self::read_entries(tail[i - s..].iter(), offset, max_bytes, out);
        } else {
            Self::read_entries(self.entries.iter_from(i), offset, max_bytes, out);
        }
    }

    fn read_entries<'a>(
        entries: impl Iterator<Item = &'a LogEntry>,
        offset: u64,
        max_bytes: u64,
        out: &mut Vec<LogEntry>,
    ) {
        let mut bytes = 0;
        for e in entries {
            let e = if e.base_offset < offset {
                e.suffix((offset - e.base_offset) as u32)
            } else {
                *e
            };
            if !out.is_empty() && bytes + e.bytes > max_bytes {
                break;
            }
            bytes += e.bytes;
            out.push(e);
        }
    }

    /// Record identity at every offset below `end`, as (offset range start, entry).
    pub fn entries_below(&self, end: u64) -> impl Iterator<Item = LogEntry> + '_ {
        self.entries
            .iter()
            .take_while(move |e| e.base_offset < end)
            .map(move |e| {
                if e.end_offset() > end {
                    e.prefix((end - e.base_offset) as u32)
                } else {
                    *e
                }
            })
    }

    /// Identity of the record at `offset` (for log-matching checks).
    pub fn record_at(&self, offset: u64) -> Option<(u64, u32)> {
        let e = self.entries.get(self.entry_index(offset))?;
        (e.base_offset <= offset).then(|| (e.rec_start + (offset - e.base_offset), e.leader_epoch))
    }
}

/// A producer's records in a final committed log: `count` records at offsets from
/// `base_offset`, identities from `rec_start` (its log entries merged where both continue).
/// What the checker and `explain` read of a log: 24 bytes where an entry takes 56, for the
/// one copy of the committed logs a run hands out (each producer's share).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSpan {
    /// Offset of the first record.
    pub base_offset: u64,
    /// Identity of the first record.
    pub rec_start: u64,
    /// Records in the span.
    pub count: u64,
}

impl LogSpan {
    /// One past the last record's identity.
    pub fn rec_end(&self) -> u64 {
        self.rec_start + self.count
    }

    /// Appends `e`'s records to `spans`, into the last span when they continue it in both
    /// offset and identity.
    pub(crate) fn push_entry(spans: &mut Vec<LogSpan>, e: &LogEntry, rec_start: u64) {
        if let Some(last) = spans.last_mut() {
            if last.base_offset + last.count == e.base_offset && last.rec_end() == rec_start {
                last.count += e.count as u64;
                return;
            }
        }
        spans.push(LogSpan {
            base_offset: e.base_offset,
            rec_start,
            count: e.count as u64,
        });
    }
}

/// A partition's final committed log, read in place: one replica's entries below its high
/// watermark, or none (a partition without a live replica). The checker's input; reading it
/// where it lies, not as a copy, spares a many-producer run a copy of every leader's log at its
/// end (bench-e at 60 s: some 23 MB and their page faults).
#[derive(Clone, Copy, Default)]
pub(crate) struct Committed<'a> {
    log: Option<&'a PartitionLog>,
    hw: u64,
}

impl<'a> Committed<'a> {
    /// `log`'s records below `hw`.
    pub(crate) fn new(log: &'a PartitionLog, hw: u64) -> Committed<'a> {
        Committed { log: Some(log), hw }
    }

    /// The entries, oldest first (the one holding the high watermark cut at it).
    pub(crate) fn entries(self) -> impl Iterator<Item = LogEntry> + 'a {
        self.log.into_iter().flat_map(move |l| l.entries_below(self.hw))
    }

    /// One past the last committed record's offset (0 when none).
    pub(crate) fn end_offset(self) -> u64 {
        self.log.map_or(0, |l| {
            // from the end: only the entries at and above the high watermark are passed over
            l.entries()
                .rev()
                .find(|e| e.base_offset < self.hw)
                .map_or(0, |e| e.end_offset().min(self.hw))
        })
    }

    /// The identity of the committed record at `offset`, if there is one.
    pub(crate) fn record_at(self, offset: u64) -> Option<u64> {
        let log = self.log.filter(|_| offset < self.hw)?;
        log.record_at(offset).map(|(rec, _)| rec)
    }
}

/// Whether two replicas hold the same records (identity and epoch) at every offset below `end`
/// (`LogMatchingProperty`). Cost follows entries, not records.
pub(crate) fn logs_match(a: &PartitionLog, b: &PartitionLog, end: u64) -> bool {
    // Streamed, not collected: copies of both logs would cost more than the walk.
    let (mut ea, mut eb) = (a.entries_below(end), b.entries_below(end));
    let (mut x, mut y) = (ea.next(), eb.next());
    while let (Some(p), Some(q)) = (x, y) {
        let lo = p.base_offset.max(q.base_offset);
        let hi = p.end_offset().min(q.end_offset());
        if lo < hi {
            let rx = p.rec_start + (lo - p.base_offset);
            let ry = q.rec_start + (lo - q.base_offset);
            if rx != ry || p.leader_epoch != q.leader_epoch {
                return false;
            }
        }
        // (both when they end together, as replicas' entries mostly do: one step per entry)
        let (pe, qe) = (p.end_offset(), q.end_offset());
        if pe <= qe {
            x = ea.next();
        }
        if qe <= pe {
            y = eb.next();
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(rec_start: u64, count: u32, epoch: u32, seq: i32, t: SimTime) -> LogEntry {
        LogEntry {
            base_offset: 0,
            count,
            rec_start,
            leader_epoch: epoch,
            producer: ProducerInfo {
                pid: 1,
                epoch: 0,
                base_seq: seq,
            },
            bytes: 100 * count as u64,
            append_time: t,
        }
    }

    /// The entry holding an offset (or the first past it) is the one a binary search over the
    /// whole log finds, wherever the offset is.
    #[test]
    fn entry_index_finds_what_a_full_binary_search_finds() {
        for n in [0u64, 1, 2, 3, 7, 64, 100] {
            let mut log = PartitionLog::default();
            for i in 0..n {
                let mut b = batch(i << 20, 1 + (i * 7 % 5) as u32, 0, 0, 1);
                b.producer.pid = 1 + i % 2; // alternate producers: nothing coalesces
                log.append(b, 0, 0);
            }
            let flat: Vec<LogEntry> = log.entries().copied().collect();
            assert_eq!(flat.len() as u64, n);
            for offset in 0..log.log_end_offset() + 3 {
                let want = flat.partition_point(|e| e.end_offset() <= offset);
                assert_eq!(log.entry_index(offset), want, "{n} entries, offset {offset}");
            }
        }
    }

    /// The committed view answers what a copy of the entries below the high watermark
    /// answers (the checker's reads, before it read the log in place): the entries, the end,
    /// and the record at each offset, for every high watermark, across sealed chunks.
    #[test]
    fn committed_reads_what_a_copy_below_the_high_watermark_holds() {
        let mut log = PartitionLog::default();
        for i in 0..40u64 {
            let mut b = batch(1000 - i * 10, 1 + (i * 3 % 4) as u32, 0, 0, 1);
            b.producer.pid = 1 + i % 2; // nothing coalesces
            log.append(b, 0, 0);
        }
        assert!(Committed::default().entries().next().is_none());
        assert_eq!(
            (Committed::default().end_offset(), Committed::default().record_at(0)),
            (0, None)
        );
        for hw in 0..=log.log_end_offset() {
            let copy: Vec<LogEntry> = log.entries_below(hw).collect();
            let c = Committed::new(&log, hw);
            assert_eq!(c.entries().collect::<Vec<_>>(), copy, "hw {hw}");
            assert_eq!(c.end_offset(), copy.last().map_or(0, |e| e.end_offset()), "hw {hw}");
            for off in 0..log.log_end_offset() + 2 {
                let want = copy
                    .iter()
                    .find(|e| e.base_offset <= off && off < e.end_offset())
                    .map(|e| e.rec_start + (off - e.base_offset));
                assert_eq!(c.record_at(off), want, "hw {hw}, offset {off}");
            }
        }
    }

    /// `LogMatchingProperty`: replicas agree below `end` whatever their entry boundaries; a
    /// different record or epoch at one offset below it is a divergence, one above is not.
    #[test]
    fn logs_match_compares_records_not_entry_boundaries() {
        let log = |parts: &[(u64, u32, u32)]| {
            let mut l = PartitionLog::default();
            for (i, &(rec, n, epoch)) in parts.iter().enumerate() {
                l.assign_epoch_start(epoch);
                let mut b = batch(rec, n, epoch, 0, 1);
                b.producer.pid = 1 + i as u64 % 2; // nothing coalesces
                l.append(b, 0, 0);
            }
            l
        };
        let a = log(&[(0, 10, 0), (10, 10, 0), (20, 5, 1)]);
        assert!(logs_match(&a, &log(&[(0, 4, 0), (4, 16, 0), (20, 5, 1)]), 25));
        assert!(
            !logs_match(&a, &log(&[(0, 10, 0), (10, 10, 0), (21, 5, 1)]), 25),
            "record"
        );
        assert!(
            !logs_match(&a, &log(&[(0, 10, 0), (10, 10, 0), (20, 5, 2)]), 25),
            "epoch"
        );
        assert!(
            logs_match(&a, &log(&[(0, 10, 0), (10, 10, 0), (20, 5, 2)]), 20),
            "above end"
        );
    }

    #[test]
    fn append_assigns_offsets_and_epochs() {
        let mut log = PartitionLog::default();
        assert_eq!(log.append(batch(0, 10, 0, 0, 1), 0, 0), 0);
        assert_eq!(log.append(batch(10, 5, 0, 10, 2), 0, 0), 10);
        log.assign_epoch_start(3);
        assert_eq!(log.append(batch(15, 5, 3, 15, 3), 0, 0), 15);
        assert_eq!(log.log_end_offset(), 20);
        assert_eq!(log.end_offset_for_epoch(0), Some((0, 15)));
        assert_eq!(log.end_offset_for_epoch(2), Some((0, 15)));
        assert_eq!(log.end_offset_for_epoch(3), Some((3, 20)));
    }

    #[test]
    fn duplicate_and_out_of_order_sequences() {
        let mut log = PartitionLog::default();
        log.append(batch(0, 10, 0, 0, 1), 0, 0);
        log.append(batch(10, 10, 0, 10, 1), 0, 0);
        let p = |seq| ProducerInfo {
            pid: 1,
            epoch: 0,
            base_seq: seq,
        };
        assert_eq!(
            log.check_sequence(p(0), 10),
            SequenceCheck::Duplicate { base_offset: 0 }
        );
        assert_eq!(log.check_sequence(p(20), 10), SequenceCheck::Accept);
        assert_eq!(log.check_sequence(p(25), 10), SequenceCheck::OutOfOrder);
        let bumped = ProducerInfo {
            pid: 1,
            epoch: 1,
            base_seq: 0,
        };
        assert_eq!(log.check_sequence(bumped, 5), SequenceCheck::Accept);
        assert_eq!(
            log.check_sequence(ProducerInfo { base_seq: 3, ..bumped }, 5),
            SequenceCheck::OutOfOrder
        );
    }

    /// `ProducerStateManager` keeps a state per producer id: a retry of producer 1's batch
    /// after producer 2 wrote the partition is still a duplicate (with one shared slot,
    /// producer 2's write erased producer 1's state and the retry was appended again).
    #[test]
    fn each_producer_is_deduplicated_against_its_own_batches() {
        let mut log = PartitionLog::default();
        log.append(batch(0, 10, 0, 0, 1), 0, 0);
        let mut other = batch(1 << 40, 4, 0, 0, 1);
        other.producer.pid = 2;
        log.append(other, 0, 0);
        let retry = ProducerInfo {
            pid: 1,
            epoch: 0,
            base_seq: 0,
        };
        assert_eq!(
            log.check_sequence(retry, 10),
            SequenceCheck::Duplicate { base_offset: 0 }
        );
        let next_of_2 = ProducerInfo {
            pid: 2,
            epoch: 0,
            base_seq: 5,
        };
        assert_eq!(
            log.check_sequence(next_of_2, 1),
            SequenceCheck::OutOfOrder,
            "2 expects 4"
        );
        // And after a rebuild (a new leader loads the state from the log).
        log.truncate_to(14);
        assert_eq!(
            log.check_sequence(retry, 10),
            SequenceCheck::Duplicate { base_offset: 0 }
        );
    }

    #[test]
    fn only_five_batches_are_retained_for_dedup() {
        let mut log = PartitionLog::default();
        for i in 0..6 {
            log.append(batch(i * 10, 10, 0, (i * 10) as i32, 1), 0, 0);
        }
        let p = ProducerInfo {
            pid: 1,
            epoch: 0,
            base_seq: 0,
        };
        assert_eq!(log.check_sequence(p, 10), SequenceCheck::OutOfOrder);
        assert_eq!(
            log.check_sequence(ProducerInfo { base_seq: 10, ..p }, 10),
            SequenceCheck::Duplicate { base_offset: 10 }
        );
    }

    #[test]
    fn truncation_splits_entries_and_epochs_and_rebuilds_dedup() {
        let mut log = PartitionLog::default();
        log.append(batch(0, 10, 0, 0, 1), 0, 0);
        log.assign_epoch_start(2);
        log.append(batch(10, 10, 2, 10, 1), 0, 0);
        log.truncate_to(15);
        assert_eq!(log.log_end_offset(), 15);
        assert_eq!(log.record_at(14), Some((14, 2)));
        assert_eq!(log.record_at(15), None);
        log.truncate_to(10);
        assert_eq!(log.latest_epoch(), Some(0));
        assert_eq!(log.end_offset_for_epoch(5), Some((0, 10)));
        let p = ProducerInfo {
            pid: 1,
            epoch: 0,
            base_seq: 10,
        };
        assert_eq!(log.check_sequence(p, 10), SequenceCheck::Accept);
    }

    /// After any truncation, every producer's idempotence state is what replaying the
    /// remaining log builds (`truncateAndReload`): 60 producers, epoch bumps, 3 000 batches (a
    /// producer's last batch often hundreds of entries back), truncated at random offsets.
    #[test]
    fn truncation_leaves_every_producers_state_as_a_replay_of_the_log() {
        use crate::sim::{rng_stream, Stream};
        use rand::Rng;
        let mut rng = rng_stream(11, Stream::App);
        for round in 0..20 {
            let mut log = PartitionLog::default();
            let mut seqs = vec![(0u16, 0i32); 60];
            for i in 0..3_000u64 {
                // A few producers write most batches; the rest now and then.
                let pid = if rng.gen_bool(0.7) {
                    rng.gen_range(0..4)
                } else {
                    rng.gen_range(4..60)
                };
                let (epoch, seq) = &mut seqs[pid];
                if rng.gen_bool(0.01) {
                    *epoch += 1;
                    *seq = 0;
                }
                let count = rng.gen_range(1..5);
                let mut b = batch(i << 8, count, 0, *seq, 1);
                b.producer = ProducerInfo {
                    pid: pid as u64 + 1,
                    epoch: *epoch,
                    base_seq: *seq,
                };
                *seq += count as i32;
                log.append(b, 0, 0);
            }
            let mut deepest = 0;
            for _ in 0..3 {
                let leo = log.log_end_offset();
                log.truncate_to(rng.gen_range(leo.saturating_sub(400)..=leo));
                let mut replay = PartitionLog::default();
                for e in log.entries() {
                    replay.note_producer_batch(e);
                }
                assert_eq!(log.producers, replay.producers, "round {round}");
                let n = log.entries().count();
                for s in &log.producers {
                    let last = log
                        .entries()
                        .collect::<Vec<_>>()
                        .iter()
                        .rposition(|e| e.producer.pid == s.pid)
                        .unwrap();
                    deepest = deepest.max(n - last);
                }
            }
            assert!(deepest > 256, "a producer's last batch lies deep in the log: {deepest}");
        }
    }

    #[test]
    fn coalescing_keeps_identities_and_bounded_entries() {
        let mut log = PartitionLog::default();
        for i in 0..1000u64 {
            log.append(batch(i * 3, 3, 0, (i * 3) as i32, i), 1_000_000, 0);
        }
        assert!(log.entries().count() <= KEEP_TAIL + 2, "{}", log.entries().count());
        assert_eq!(log.record_at(2000), Some((2000, 0)));
        let total: u64 = log.entries_below(3000).map(|e| e.count as u64).sum();
        assert_eq!(total, 3000);
    }

    /// Coalescing skips a pair only when its bits say it cannot merge: a log that checks every
    /// pair in full (its bits all set before each append) ends with the same entries, over
    /// interleaved and consecutive batches of three producers, producer epoch bumps, leader
    /// epochs, write-back windows and truncations. Negative control: bits that lie (all clear)
    /// lose merges the full check makes (and debug builds' assertion stops them).
    #[test]
    fn skipping_pairs_that_cannot_continue_changes_no_entry() {
        use crate::sim::{rng_stream, Stream};
        use rand::Rng;
        let mut rng = rng_stream(11, Stream::App);
        for round in 0..40 {
            let (mut fast, mut full) = (PartitionLog::default(), PartitionLog::default());
            let mut liar = Some(PartitionLog::default());
            // Per producer: next identity, next sequence, producer epoch.
            let mut next = [(0u64, 0i32, 0u16); 3];
            let mut epoch = 0;
            for i in 0..600u64 {
                let k = if rng.gen_bool(0.6) {
                    (i / 7 % 3) as usize
                } else {
                    rng.gen_range(0..3)
                };
                if rng.gen_bool(0.01) {
                    next[k].2 += 1;
                    next[k].1 = 0;
                }
                if rng.gen_bool(0.005) {
                    epoch += 1;
                    fast.assign_epoch_start(epoch);
                    full.assign_epoch_start(epoch);
                    liar.iter_mut().for_each(|l| l.assign_epoch_start(epoch));
                }
                let count = rng.gen_range(1..5);
                let mut b = batch((k as u64) << 40 | next[k].0, count, epoch, next[k].1, i * 10);
                b.producer.pid = k as u64 + 1;
                b.producer.epoch = next[k].2;
                next[k].0 += count as u64;
                next[k].1 += count as i32;
                let durable = (i * 10).saturating_sub(rng.gen_range(0..200));
                let tick = if round % 2 == 0 { 30 } else { 0 };
                fast.append(b, tick, durable);
                full.continues = u32::MAX;
                full.append(b, tick, durable);
                if let Some(mut l) = liar.take() {
                    let lied = std::panic::catch_unwind(move || {
                        l.append(b, tick, durable);
                        l.continues = 0;
                        l
                    });
                    // (a debug build's assertion catches the lie: no liar from then on)
                    liar = lied.ok();
                }
                if rng.gen_bool(0.01) {
                    let to = rng.gen_range(0..=fast.log_end_offset());
                    fast.truncate_to(to);
                    full.truncate_to(to);
                    liar.iter_mut().for_each(|l| l.truncate_to(to));
                }
            }
            let entries = |l: &PartitionLog| l.entries().copied().collect::<Vec<_>>();
            assert_eq!(entries(&fast), entries(&full), "round {round}");
            assert!(entries(&fast).len() < 600, "round {round}: something merged");
            match liar {
                Some(l) => assert_ne!(entries(&l), entries(&full), "round {round}: the bits decide"),
                // Only a debug build's assertion stops a liar.
                None if cfg!(debug_assertions) => {}
                None => panic!("round {round}: the liar stopped without an assertion"),
            }
        }
    }

    #[test]
    fn power_loss_keeps_only_written_back_entries() {
        let mut log = PartitionLog::default();
        for i in 0..20u64 {
            log.append(batch(i, 1, 0, i as i32, i * 10), 0, 0);
        }
        log.lose_unflushed(55);
        assert_eq!(log.log_end_offset(), 6);
    }

    /// A producer's retained batches: the newest five, oldest first.
    #[test]
    fn recent_batches_keep_the_newest_five_oldest_first() {
        let mut r = RecentBatches::default();
        assert_eq!(r.back(), None);
        for i in 0..7 {
            r.push((i, i, i as u64));
            let kept: Vec<i32> = r.iter().map(|b| b.0).collect();
            let want: Vec<i32> = (0.max(i + 1 - NUM_BATCHES_TO_RETAIN as i32)..=i).collect();
            assert_eq!(kept, want);
            assert_eq!(r.back(), Some(&(i, i, i as u64)));
        }
    }

    #[test]
    fn read_from_mid_entry_returns_suffix() {
        let mut log = PartitionLog::default();
        log.append(batch(0, 10, 0, 0, 1), 0, 0);
        let mut out = Vec::new();
        log.read(4, 1 << 20, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].base_offset, out[0].rec_start, out[0].count), (4, 4, 6));
        assert_eq!(out[0].producer.base_seq, 4);
    }
}
