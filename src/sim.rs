//! The engine: virtual time, one event queue ordered by (time, insertion sequence), seeded
//! random streams, and a digest of the event stream. Knows nothing of Kafka.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Virtual time in integer nanoseconds since the start of the run.
pub type SimTime = u64;

pub(crate) const NS_PER_US: u64 = 1_000;
pub(crate) const NS_PER_MS: u64 = 1_000_000;
pub(crate) const NS_PER_S: u64 = 1_000_000_000;

/// Milliseconds to `SimTime`.
pub const fn ms(v: u64) -> SimTime {
    v * NS_PER_MS
}

/// Fractional milliseconds to `SimTime`, rounded to the nearest nanosecond.
pub(crate) fn ms_f(v: f64) -> SimTime {
    (v * NS_PER_MS as f64).round().max(0.0) as SimTime
}

/// `SimTime` to fractional milliseconds (for reports only; never fed back into the model).
pub(crate) fn to_ms(t: SimTime) -> f64 {
    t as f64 / NS_PER_MS as f64
}

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // BinaryHeap is a max-heap: reverse so the earliest (time, seq) pops first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Future events, popped in (time, insertion sequence) order: FIFO among equal times, so the
/// order never depends on anything but the order of `push` calls.
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub(crate) fn push(&mut self, time: SimTime, event: E) {
        self.seq += 1;
        self.heap.push(Entry {
            time,
            seq: self.seq,
            event,
        });
    }

    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// Time of the next event, `SimTime::MAX` when empty.
    #[inline]
    pub(crate) fn peek_time(&self) -> SimTime {
        self.heap.peek().map_or(SimTime::MAX, |e| e.time)
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

/// A lazily cancelled timer for deadlines that are usually met early (request, purgatory and
/// fetch timeouts): at most one live queued event per timer, re-armed for the next deadline
/// when it fires, instead of one far-future event per request left to go stale in the queue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timer {
    armed_at: SimTime,
}

impl Default for Timer {
    fn default() -> Self {
        Timer { armed_at: SimTime::MAX }
    }
}

impl Timer {
    /// Arm for `at`. True when the caller must queue an event at `at` (none pending earlier).
    #[inline]
    pub(crate) fn arm(&mut self, at: SimTime) -> bool {
        if at < self.armed_at {
            self.armed_at = at;
            true
        } else {
            false
        }
    }

    /// An event of this timer fired at `now`: true if it is the live one (else it is stale).
    #[inline]
    pub(crate) fn fire(&mut self, now: SimTime) -> bool {
        if now == self.armed_at {
            self.armed_at = SimTime::MAX;
            true
        } else {
            false
        }
    }
}

/// Identifiers of the independent random streams of a run. One stream per component, so that
/// adding draws to one component never shifts the draws of another.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    /// The application's arrivals.
    App = 1,
    /// The built-in partitioner's sticky choices.
    Partitioner = 2,
    /// Latency jitter.
    Network = 3,
    /// Retry and reconnect backoff jitter.
    Sender = 4,
    /// Random faults.
    Faults = 5,
    /// A broker (seeded per broker id).
    Broker = 6,
}

/// A `ChaCha8Rng` for one component, derived from the run seed.
pub fn rng_stream(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// FNV-1a over 64-bit words: a cheap digest of the event stream (determinism check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Digest(pub u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    #[inline]
    pub(crate) fn mix(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(0x0000_0100_0000_01b3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::default();
        q.push(10, 'a');
        q.push(5, 'b');
        q.push(10, 'c');
        q.push(5, 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c']);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a1: u64 = rng_stream(7, Stream::App).gen();
        let a2: u64 = rng_stream(7, Stream::App).gen();
        let n: u64 = rng_stream(7, Stream::Network).gen();
        let other_seed: u64 = rng_stream(8, Stream::App).gen();
        assert_eq!(a1, a2);
        assert_ne!(a1, n);
        assert_ne!(a1, other_seed);
    }
}
