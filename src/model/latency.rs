//! Latency histograms (HdrHistogram: microseconds, 3 significant digits, up to a day) whose
//! recordings wait in a short buffer and are applied together.
//!
//! Why: a run of many producers keeps two histograms per producer (acknowledgement and
//! visibility latency), each spanning tens of kilobytes where latencies fall. Recording each
//! batch's points as they come touched a different histogram almost every time, a cache miss
//! per point (205 producers: a quarter of the run). Applied thousands at a time, a flush
//! touches the histogram's lines where latencies fall about once each, for thousands of points.
//! The counts are sums, so the order of recording changes nothing: every read sees exactly the
//! histogram direct recording builds.
//!
//! How many: a few hundred kept a histogram's lines in the core's first-level cache while its
//! points landed, but not when ten producers' twenty histograms (some 20 KB each where a
//! millisecond's latencies fall: microsecond buckets) compete with the rest of the run for the
//! second level. bench-e (10 producers) spent 6.7 % of its time on the counter loads of
//! 256-point flushes, bench-a 2.9 %; with 4096-point flushes, 3.0 % and 2.8 % (`perf record -e
//! cpu-clock`, 30 s simulated each). Bigger buffers are themselves memory to stream through:
//! with the second level modelled (`valgrind --tool=callgrind --cache-sim=yes
//! --LL=2097152,16,64`, bench-e, 10 s), its data misses were 1.57 M with 4096 16-byte points,
//! 1.05 M with 1024, 1.09 M with 2048 8-byte points (bench-a: 0.08 M); 2048 packed points also
//! had the fewest first-level misses.

use hdrhistogram::Histogram;
use std::borrow::Cow;

/// Points buffered before they are applied (at most 16 KiB per histogram, grown as needed).
const BUFFERED: usize = 2048;

/// The highest latency tracked, in microseconds (a day); larger values are dropped, as
/// `Histogram::record_n` refuses them.
const MAX_US: u64 = 24 * 3600 * 1_000_000;

#[derive(Clone, Debug)]
pub(crate) struct LatencyHistogram {
    applied: Histogram<u64>,
    /// (microseconds, records) not applied yet, packed in 8 bytes: half the memory traffic.
    pending: Vec<(u32, u32)>,
}

impl Default for LatencyHistogram {
    fn default() -> LatencyHistogram {
        LatencyHistogram {
            // Auto-resizing: counts up to the largest latency recorded so far (some 24 KB for
            // latencies of milliseconds), not up to a day (229 KB). Buckets are those of
            // `new_with_bounds(1, MAX_US, 3)` (they follow from the lowest value and the
            // digits, not the highest), so every count and quantile is the same; `record_n`
            // drops what lies beyond a day as the bounded histogram did. A run of ten producers
            // allocated, zeroed and finally merged over twenty 229 KB arrays.
            applied: Histogram::new(3).expect("histogram digits"),
            pending: Vec::new(),
        }
    }
}

impl LatencyHistogram {
    /// `n` records of latency `us`.
    #[inline]
    pub(crate) fn record_n(&mut self, us: u64, n: u64) {
        let (Ok(us32), Ok(n32)) = (u32::try_from(us), u32::try_from(n)) else {
            // Beyond 71 minutes (or 4 G records at once): applied now, not buffered; beyond a
            // day, dropped.
            if us <= MAX_US {
                let _ = self.applied.record_n(us, n);
            }
            return;
        };
        self.pending.push((us32, n32));
        if self.pending.len() == BUFFERED {
            self.flush();
        }
    }

    /// Applies the buffered points.
    pub(crate) fn flush(&mut self) {
        for (us, n) in self.pending.drain(..) {
            let _ = self.applied.record_n(us.into(), n.into());
        }
    }

    /// The histogram of every point recorded (a copy only when some are still buffered:
    /// flush first to read without one).
    pub(crate) fn get(&self) -> Cow<'_, Histogram<u64>> {
        if self.pending.is_empty() {
            return Cow::Borrowed(&self.applied);
        }
        let mut h = self.applied.clone();
        for &(us, n) in &self.pending {
            let _ = h.record_n(us.into(), n.into());
        }
        Cow::Owned(h)
    }

    /// Adds `other`'s points to these.
    pub(crate) fn add(&mut self, other: &LatencyHistogram) {
        self.flush();
        let _ = self.applied.add(&*other.get());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{rng_stream, Stream};
    use rand::Rng;

    /// Buffered or not, flushed or not, merged or not: every read equals the histogram of
    /// direct recordings (values beyond a day dropped by both).
    #[test]
    fn reads_see_exactly_what_direct_recording_builds() {
        let mut rng = rng_stream(5, Stream::App);
        let mut direct = Histogram::<u64>::new_with_bounds(1, MAX_US, 3).unwrap();
        let mut other_direct = direct.clone();
        let mut h = LatencyHistogram::default();
        let mut other = LatencyHistogram::default();
        // More than two buffers' worth: flushes when the buffer fills, and reads between them.
        let points = 2 * BUFFERED as u64 + 700;
        let mut flushed = 0;
        for i in 0..points {
            let us = if i % 997 == 5 {
                MAX_US * 2
            } else if i % 991 == 7 {
                // Tracked, but too long for a buffered point (over 71 minutes).
                u64::from(u32::MAX) + rng.gen_range(1..1_000_000_000)
            } else {
                rng.gen_range(1..50_000)
            };
            let n = rng.gen_range(1..20);
            let _ = direct.record_n(us, n);
            let before = h.pending.len();
            h.record_n(us, n);
            if i % 3 == 0 {
                let _ = other_direct.record_n(us + 7, n);
                other.record_n(us + 7, n);
            }
            if h.pending.len() < before {
                flushed += 1;
            }
            if i % 1201 == 0 {
                // Mid-buffer reads see every point.
                assert!(!h.pending.is_empty(), "a read with points still buffered");
                assert_eq!(*h.get(), direct);
            }
        }
        assert_eq!(flushed, 2, "the buffer applies itself when full");
        assert_eq!(*h.get(), direct);
        assert_eq!(h.get().value_at_quantile(0.99), direct.value_at_quantile(0.99));
        h.add(&other);
        let _ = direct.add(&other_direct);
        assert_eq!(*h.get(), direct);
        h.flush();
        assert!(matches!(h.get(), Cow::Borrowed(_)));
        assert_eq!(*h.get(), direct);
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                h.get().value_at_quantile(q),
                direct.value_at_quantile(q),
                "quantile {q}"
            );
        }
        assert_eq!(h.get().max(), direct.max());
        // Counts only as far as the largest latency recorded (here 5 s: a fifth fewer than a
        // day's), and for milliseconds a tenth of a day's.
        assert!(h.get().distinct_values() < direct.distinct_values());
        let mut ms = LatencyHistogram::default();
        ms.record_n(4_000, 1);
        ms.flush();
        assert!(
            ms.get().distinct_values() * 8 < direct.distinct_values(),
            "{}",
            ms.get().distinct_values()
        );
    }
}
