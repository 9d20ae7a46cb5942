//! `BuiltInPartitioner` (Kafka 3.3+, KIP-794): the uniform sticky partitioner for keyless
//! records. It sticks to one partition until about `batch.size` bytes were produced to it, then
//! picks the next one (`nextPartition`): among partitions with a known leader, weighted by
//! inverse queue length when `partitioner.adaptive.partitioning.enable` is on, else uniformly.
//! Keyed records go through `murmur2` instead ([`super::super::murmur2`]).
//!
//! The switch (`updatePartitionInfo(info, appendedBytes, cluster, enableSwitch)`) happens once
//! `batch.size` bytes were produced and switching is enabled, or regardless once twice that was
//! produced. The accumulator enables it only when the partition's deque has no open batch
//! (`RecordAccumulator.allBatchesFull`), and calls it with 0 bytes before each append
//! (`RecordAccumulator.partitionChanged`) to complete a switch suppressed while the last batch
//! was open: see [`super::accumulator::Accumulator::sticky_partition`].

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The sticky state of the built-in partitioner.
///
/// Laid out in declaration order (`repr(C)`): the sticky state every `send()` reads before the
/// random stream a switch draws from.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct BuiltInPartitioner {
    sticky: Option<u32>,
    sticky_bytes: u64,
    batch_size: u64,
    adaptive: bool,
    partitions: usize,
    rng: ChaCha8Rng,
}

impl BuiltInPartitioner {
    /// A partitioner over `partitions` partitions for `batch.size` `batch_size`, adaptive or
    /// uniform; `rng` draws its choices.
    pub fn new(partitions: usize, batch_size: u32, adaptive: bool, rng: ChaCha8Rng) -> BuiltInPartitioner {
        BuiltInPartitioner {
            partitions,
            batch_size: batch_size.max(1) as u64,
            adaptive,
            sticky: None,
            sticky_bytes: 0,
            rng,
        }
    }

    /// The partition keyless records currently stick to, if one is chosen.
    #[inline]
    pub fn current(&self) -> Option<u32> {
        self.sticky
    }

    /// Bytes still to produce to the sticky partition before it switches even with an open
    /// batch (twice `batch.size`).
    #[inline]
    pub fn bytes_to_forced_switch(&self) -> u64 {
        (2 * self.batch_size).saturating_sub(self.sticky_bytes)
    }

    /// Whether a 0-byte `updatePartitionInfo` with switching enabled lets go of the sticky
    /// partition now (`batch.size` bytes were produced to it): before that it changes nothing,
    /// so its caller need not look at the partition's batches.
    #[inline]
    pub fn switch_due(&self) -> bool {
        self.sticky.is_some() && self.sticky_bytes >= self.batch_size
    }

    /// Bytes produced to the sticky partition since it was chosen (`producedBytes`).
    #[inline]
    pub fn produced_bytes(&self) -> u64 {
        self.sticky_bytes
    }

    /// `BuiltInPartitioner.updatePartitionInfo(partitionInfo, appendedBytes, cluster,
    /// enableSwitch)`: `appended` more bytes went to the sticky partition; it switches once
    /// `batch.size` bytes were produced if `enable_switch` (the partition's last batch is full
    /// or closed, or its deque is empty: `RecordAccumulator.allBatchesFull`), or once twice that
    /// was produced regardless. True when the partitioner lets go of it (the next keyless record
    /// picks anew, `nextPartition`).
    #[inline]
    pub fn update_partition_info(&mut self, appended: u64, enable_switch: bool) -> bool {
        if self.sticky.is_none() {
            return false;
        }
        self.sticky_bytes += appended;
        let bs = self.batch_size;
        if (self.sticky_bytes >= bs && enable_switch) || self.sticky_bytes >= 2 * bs {
            self.sticky = None;
            return true;
        }
        false
    }

    /// The sticky partition for a keyless record, choosing one when needed (`nextPartition`):
    /// among partitions with a leader (`has_leader`), weighted by `(max queue + 1) - queue`
    /// over the partitions' queue lengths (`queue_len`) when adaptive, else uniform.
    pub fn partition(&mut self, has_leader: &[bool], queue_len: impl Fn(usize) -> u64) -> u32 {
        if let Some(p) = self.sticky {
            return p;
        }
        let n = self.partitions;
        let available: Vec<u32> = (0..n as u32).filter(|&p| has_leader[p as usize]).collect();
        let candidates: Vec<u32> = if available.is_empty() {
            (0..n as u32).collect()
        } else {
            available
        };
        let p = if self.adaptive && candidates.len() > 1 {
            let lens: Vec<u64> = candidates.iter().map(|&p| queue_len(p as usize)).collect();
            let max = lens.iter().copied().max().unwrap_or(0);
            if lens.iter().all(|&l| l == max) {
                candidates[self.rng.gen_range(0..candidates.len())]
            } else {
                // weights (maxQueueLen + 1) - queueLen, sampled from the cumulative table
                let weights: Vec<u64> = lens.iter().map(|&l| max + 1 - l).collect();
                let total: u64 = weights.iter().sum();
                let mut r = self.rng.gen_range(0..total);
                let mut chosen = candidates[candidates.len() - 1];
                for (i, w) in weights.iter().enumerate() {
                    if r < *w {
                        chosen = candidates[i];
                        break;
                    }
                    r -= w;
                }
                chosen
            }
        } else {
            candidates[self.rng.gen_range(0..candidates.len())]
        };
        self.sticky = Some(p);
        self.sticky_bytes = 0;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{rng_stream, Stream};

    /// `BuiltInPartitionerTest.testStickyPartitioning`-style: the choice sticks until
    /// `batch.size` bytes with a full batch, or twice that without.
    #[test]
    fn sticks_until_one_to_two_batch_sizes() {
        let mut bp = BuiltInPartitioner::new(6, 1000, false, rng_stream(1, Stream::Partitioner));
        let p = bp.partition(&[true; 6], |_| 0);
        assert_eq!(bp.partition(&[true; 6], |_| 0), p, "sticky");
        assert!(!bp.update_partition_info(999, true));
        assert!(
            bp.update_partition_info(1, true),
            "batch.size reached with a full batch"
        );
        let _ = bp.partition(&[true; 6], |_| 0);
        assert!(
            !bp.update_partition_info(1500, false),
            "not full: up to twice batch.size"
        );
        assert!(bp.update_partition_info(500, false));
        assert_eq!(bp.current(), None);
    }

    /// `switch_due` says exactly when a 0-byte update with switching enabled switches, in every
    /// state a run of appends (full batch or not) and switches goes through.
    #[test]
    fn switch_due_predicts_a_zero_byte_update() {
        use rand::Rng;
        let mut rng = rng_stream(9, Stream::App);
        let mut bp = BuiltInPartitioner::new(4, 100, false, rng_stream(2, Stream::Partitioner));
        let (mut due, mut not_due) = (0, 0);
        for _ in 0..5_000 {
            if rng.gen_bool(0.2) {
                let _ = bp.partition(&[true; 4], |_| 0);
            }
            let _ = bp.update_partition_info(rng.gen_range(0..60), rng.gen_bool(0.3));
            let predicted = bp.switch_due();
            let mut probe = bp.clone();
            assert_eq!(probe.update_partition_info(0, true), predicted, "{bp:?}");
            if predicted {
                due += 1;
            } else {
                not_due += 1;
            }
        }
        assert!(due > 100 && not_due > 100, "{due} due, {not_due} not");
    }

    /// `BuiltInPartitionerTest.testStickyPartitioning` (sticky batch size 3, records of 1 byte:
    /// the partition switches after the third), then `updatePartitionInfo`'s `enableSwitch`:
    /// past `batch.size` with the last batch open, the switch is only suppressed, and a 0-byte
    /// update with switching enabled (`RecordAccumulator.partitionChanged`, once the batch is
    /// full, closed or drained) completes it; and switching works with one partition.
    #[test]
    fn a_suppressed_switch_is_completed_by_partition_changed() {
        let mut bp = BuiltInPartitioner::new(3, 3, false, rng_stream(4, Stream::Partitioner));
        let a = bp.partition(&[true; 3], |_| 0);
        for _ in 0..2 {
            assert!(!bp.update_partition_info(1, true));
            assert_eq!(bp.partition(&[true; 3], |_| 0), a);
        }
        assert!(bp.update_partition_info(1, true), "switched after 3 bytes");
        assert_eq!(bp.current(), None);

        let b = bp.partition(&[true; 3], |_| 0);
        assert!(
            !bp.update_partition_info(4, false),
            "suppressed: the last batch is open"
        );
        assert!(!bp.update_partition_info(0, false));
        assert_eq!(bp.current(), Some(b));
        assert_eq!(bp.produced_bytes(), 4);
        assert!(bp.update_partition_info(0, true), "completed by partitionChanged");
        let _ = bp.partition(&[true; 3], |_| 0);
        assert!(!bp.update_partition_info(5, false));
        assert!(bp.update_partition_info(1, false), "forced at twice batch.size");

        let mut one = BuiltInPartitioner::new(1, 1, false, rng_stream(5, Stream::Partitioner));
        for _ in 0..10 {
            assert_eq!(one.partition(&[true], |_| 0), 0);
            assert!(one.update_partition_info(1, true));
        }
        assert!(
            !one.update_partition_info(0, true),
            "no partition chosen: nothing to switch"
        );
    }

    /// `BuiltInPartitionerTest.testAdaptivePartitioning`-style: partitions without a leader
    /// are skipped; adaptive weights favour short queues (a partition with the longest queue
    /// gets weight 1 against 4 for an empty one).
    #[test]
    fn skips_leaderless_partitions_and_favours_short_queues() {
        let mut bp = BuiltInPartitioner::new(3, 1000, false, rng_stream(2, Stream::Partitioner));
        for _ in 0..50 {
            let p = bp.partition(&[false, true, false], |_| 0);
            assert_eq!(p, 1);
            bp.update_partition_info(2000, false);
        }
        let mut bp = BuiltInPartitioner::new(2, 1000, true, rng_stream(3, Stream::Partitioner));
        let mut counts = [0u32; 2];
        for _ in 0..4000 {
            let p = bp.partition(&[true, true], |p| if p == 0 { 3 } else { 0 });
            counts[p as usize] += 1;
            bp.update_partition_info(2000, false);
        }
        // weights 1 : 4
        let share = counts[0] as f64 / 4000.0;
        assert!((0.15..0.25).contains(&share), "{counts:?}");
    }
}
