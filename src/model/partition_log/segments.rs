//! A log's entries in sealed chunks and an open tail (the way `UnifiedLog` rolls segments: old
//! ones are never rewritten, appends go to the active one).
//!
//! Why: one `Vec` per replica doubled as it grew, and every doubling copied the whole log into
//! fresh memory. Logs that coalesce (one producer per partition) stay small, but several
//! producers on a partition interleave their batches, which cannot coalesce, so a
//! many-producer run's logs grow with the run (bench-e: some 20 000 entries per simulated
//! second over its 30 replicas): the copies went through the second-level cache and the fresh
//! pages through the kernel's page faults. Sealed chunks are never moved: the tail's first
//! `CHUNK` entries become a chunk as they are, and a new tail takes the last few.
//!
//! Every operation sees one sequence of entries indexed from 0, exactly as the single `Vec`
//! did: appends, coalescing and truncation happen in the tail, which always holds the last
//! `KEEP_TAIL + 2` entries (truncation unseals chunks back into it), so coalescing decides as
//! before (`entries_are_one_sequence_whatever_the_chunks`).

use super::{LogEntry, KEEP_TAIL};

/// Entries per sealed chunk (56 KiB); three in unit tests, so that every test crosses chunks.
#[cfg(not(test))]
const CHUNK: usize = 1024;
#[cfg(test)]
const CHUNK: usize = 3;

/// The tail holds at least this many entries whenever a chunk is sealed (the entries
/// coalescing may still touch).
const TAIL_MIN: usize = KEEP_TAIL + 2;

#[derive(Clone, Debug, Default)]
pub(super) struct Segments {
    /// `CHUNK` entries each, oldest first.
    sealed: Vec<Vec<LogEntry>>,
    /// The newest entries: at least `TAIL_MIN` when a chunk is sealed.
    tail: Vec<LogEntry>,
}

impl Segments {
    fn sealed_len(&self) -> usize {
        self.sealed.len() * CHUNK
    }

    pub(super) fn get(&self, i: usize) -> Option<&LogEntry> {
        let s = self.sealed_len();
        if i >= s {
            self.tail.get(i - s)
        } else {
            Some(&self.sealed[i / CHUNK][i % CHUNK])
        }
    }

    pub(super) fn last(&self) -> Option<&LogEntry> {
        self.tail.last() // (a non-empty log's last entry is in its tail)
    }

    /// The open tail (its entries are the last `tail().0.len()`).
    pub(super) fn tail_mut(&mut self) -> &mut Vec<LogEntry> {
        &mut self.tail
    }

    /// The open tail and the index of its first entry.
    pub(super) fn tail(&self) -> (&[LogEntry], usize) {
        (&self.tail, self.sealed_len())
    }

    /// Index of the first sealed entry that ends after `offset` (the sealed entries' count
    /// when none does): a binary search over the chunks, then within one.
    pub(super) fn sealed_index(&self, offset: u64) -> usize {
        let k = self.sealed.partition_point(|c| c[CHUNK - 1].end_offset() <= offset);
        k * CHUNK
            + self
                .sealed
                .get(k)
                .map_or(0, |c| c.partition_point(|e| e.end_offset() <= offset))
    }

    pub(super) fn push(&mut self, e: LogEntry) {
        self.tail.push(e);
    }

    /// Seals the tail's first `CHUNK` entries once it holds `TAIL_MIN` more (after an
    /// append and its coalescing): they become a chunk without a copy; the last `TAIL_MIN`
    /// move to a new tail with room for a chunk's worth of appends.
    pub(super) fn seal_if_full(&mut self) {
        if self.tail.len() < CHUNK + TAIL_MIN {
            return;
        }
        let mut rest = Vec::with_capacity(CHUNK + TAIL_MIN);
        rest.extend_from_slice(&self.tail[CHUNK..]);
        self.tail.truncate(CHUNK);
        self.sealed.push(std::mem::replace(&mut self.tail, rest));
    }

    /// Keeps the first `len` entries.
    pub(super) fn truncate(&mut self, len: usize) {
        let s = self.sealed_len();
        if len >= s {
            self.tail.truncate(len - s);
        } else {
            let mut chunk = self.sealed.swap_remove(len / CHUNK);
            self.sealed.truncate(len / CHUNK);
            chunk.truncate(len % CHUNK);
            self.tail = chunk;
        }
        self.refill_tail();
    }

    pub(super) fn pop(&mut self) -> Option<LogEntry> {
        let e = self.tail.pop();
        self.refill_tail();
        e
    }

    /// Unseals chunks until the tail holds `TAIL_MIN` entries again (or everything).
    fn refill_tail(&mut self) {
        while self.tail.len() < TAIL_MIN {
            let Some(mut chunk) = self.sealed.pop() else {
                return;
            };
            chunk.extend_from_slice(&self.tail);
            self.tail = chunk;
        }
    }

    /// Every entry, oldest first.
    pub(super) fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + Clone + '_ {
        self.sealed.iter().flatten().chain(self.tail.iter())
    }

    /// The entries from index `i` on.
    pub(super) fn iter_from(&self, i: usize) -> impl Iterator<Item = &LogEntry> + Clone + '_ {
        let s = self.sealed_len();
        let (k, j) = if i < s {
            (i / CHUNK, i % CHUNK)
        } else {
            (self.sealed.len(), 0)
        };
        let first = self.sealed.get(k).map_or(&[][..], |c| &c[j..]);
        let rest = self.sealed.get(k + 1..).unwrap_or(&[]);
        first
            .iter()
            .chain(rest.iter().flatten())
            .chain(self.tail[i.saturating_sub(s).min(self.tail.len())..].iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::partition_log::ProducerInfo;
    use crate::sim::{rng_stream, Stream};
    use rand::Rng;

    fn entry(base_offset: u64, count: u32) -> LogEntry {
        LogEntry {
            base_offset,
            count,
            rec_start: base_offset * 7,
            leader_epoch: 0,
            producer: ProducerInfo::default(),
            bytes: count as u64 * 100,
            append_time: base_offset,
        }
    }

    /// Appends with coalescing of the entries `KEEP_TAIL` from the end, truncations and pops,
    /// checked against one `Vec` after each: the same sequence by every accessor, chunks of
    /// `CHUNK` entries, and a tail that holds the last `TAIL_MIN` entries whenever a chunk
    /// is sealed.
    #[test]
    fn entries_are_one_sequence_whatever_the_chunks() {
        let mut rng = rng_stream(3, Stream::App);
        let mut seg = Segments::default();
        let mut flat: Vec<LogEntry> = Vec::new();
        let mut max_chunks = 0;
        for step in 0..20_000 {
            let end = flat.last().map_or(0, LogEntry::end_offset);
            match rng.gen_range(0..100) {
                0..=84 => {
                    let e = entry(end, rng.gen_range(1..4));
                    seg.push(e);
                    flat.push(e);
                    let n = flat.len();
                    if n >= TAIL_MIN && rng.gen_bool(0.3) {
                        // maybe_coalesce: merge the two entries KEEP_TAIL from the end.
                        let tail = seg.tail_mut();
                        let t = tail.len();
                        let b = tail.remove(t - KEEP_TAIL - 1);
                        tail[t - KEEP_TAIL - 2].count += b.count;
                        let b = flat.remove(n - KEEP_TAIL - 1);
                        flat[n - KEEP_TAIL - 2].count += b.count;
                    }
                    seg.seal_if_full();
                }
                85..=94 => {
                    let len = rng.gen_range(flat.len().saturating_sub(20)..=flat.len());
                    seg.truncate(len);
                    flat.truncate(len);
                }
                _ => {
                    assert_eq!(seg.pop(), flat.pop());
                }
            }
            max_chunks = max_chunks.max(seg.sealed.len());
            assert!(seg.sealed.iter().all(|c| c.len() == CHUNK));
            assert!(seg.sealed.is_empty() || seg.tail.len() >= TAIL_MIN, "step {step}");
            assert!(seg.iter().eq(flat.iter()), "step {step}");
            assert!(seg.iter().rev().eq(flat.iter().rev()));
            assert_eq!(seg.last(), flat.last());
            let i = rng.gen_range(0..=flat.len());
            assert_eq!(seg.get(i), flat.get(i));
            assert!(seg.iter_from(i).eq(flat[i..].iter()), "step {step} from {i}");
            let (tail, s) = seg.tail();
            assert_eq!(tail, &flat[s..]);
            let offset = rng.gen_range(0..=end + 1);
            let expected = flat[..s].partition_point(|e| e.end_offset() <= offset);
            assert_eq!(seg.sealed_index(offset), expected, "step {step} offset {offset}");
        }
        assert!(max_chunks >= 5, "the test sealed too few chunks ({max_chunks})");
    }
}
