//! The engine: virtual time, one event queue ordered by (time, cause, insertion sequence), seeded
//! random streams, and a digest of the event stream. Knows nothing of Kafka.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::{Ordering, Reverse};
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
    /// When the push was made (its cause's time).
    cause: SimTime,
    /// The cause's rank among causes at one time (high bits) and the insertion sequence.
    rank_seq: u64,
    lane: u32,
    event: E,
}

/// Bits of `Entry::rank_seq` that hold the insertion sequence.
const SEQ_BITS: u32 = 40;

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.cause == other.cause && self.rank_seq == other.rank_seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // BinaryHeap is a max-heap: reverse so the earliest (time, cause, rank, seq) pops first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.cause.cmp(&self.cause))
            .then_with(|| other.rank_seq.cmp(&self.rank_seq))
    }
}

/// An event's place in the lanes of [`EventQueue::lane_next`]: none.
pub(crate) const NO_LANE: u32 = u32::MAX;

/// Future events, popped in (time, cause, rank, insertion sequence) order. Among equal times,
/// the event whose push was made earlier (its `cause`, the pusher's time) comes first; among
/// equal causes, pushes ranked by [`EventQueue::set_rank`] (in rank order) before the others;
/// then the earlier push. A run whose pushes are made in time order, one actor at a time, pops
/// in (time, insertion sequence) order, FIFO among equal times; a run whose actors each run
/// ahead on their own clock (see `World::run_ahead`) pops exactly as if every push had been
/// made in time order.
///
/// Each event may also belong to a lane: the queue answers the earliest pending time of a lane
/// (what may next touch one component) without scanning.
///
/// Events pushed [`FAR`] or more ahead of their cause wait in a heap of their own: timeouts
/// (`request.timeout.ms`, `delivery.timeout.ms`) and wake-ups superseded by earlier ones pile
/// up there by the hundred thousand (a producer that sends a request every 0.7 ms re-arms a
/// 120 s delivery deadline each time), and every pop of one heap holding them all cost a
/// descent through them. A pop takes the least of the two heaps' heads, so the order is
/// exactly that of one heap.
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    far: BinaryHeap<Entry<E>>,
    seq: u64,
    /// Pushes caused after `rank_after` take `rank` (above the sequence bits); the others rank
    /// last.
    rank: u64,
    rank_after: SimTime,
    /// Per lane: the pending events' times (min-heaps), near and far as the events are.
    lanes: Vec<[BinaryHeap<Reverse<SimTime>>; 2]>,
    /// Per lane: the heads of its two heaps (`SimTime::MAX` when empty), kept beside each
    /// other: a run of arrivals asks its lane and the barrier's before every step, and many
    /// producers' heaps, each in an allocation of its own, were a cache line or two to miss
    /// per question.
    lane_heads: Vec<[SimTime; 2]>,
}

/// How far ahead of its cause an event must be to wait in the far heap: beyond what a run's
/// traffic schedules (latencies, `linger.ms`, backoffs, `fetch.max.wait.ms`), short of its
/// timeouts.
const FAR: SimTime = NS_PER_S;

/// The rank of pushes not ranked by [`EventQueue::set_rank`]: after every ranked one.
const LAST_RANK: u64 = (1 << (64 - SEQ_BITS)) - 1;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            far: BinaryHeap::new(),
            seq: 0,
            rank: LAST_RANK << SEQ_BITS,
            rank_after: SimTime::MAX,
            lanes: Vec::new(),
            lane_heads: Vec::new(),
        }
    }
}

impl<E> EventQueue<E> {
    /// Queues `event` at `time`, pushed at `cause` (the pusher's time, never later than `time`),
    /// in `lane` (or [`NO_LANE`]).
    #[inline]
    pub(crate) fn push(&mut self, time: SimTime, cause: SimTime, lane: u32, event: E) {
        self.seq += 1;
        debug_assert!(self.seq < 1 << SEQ_BITS);
        let far = time.saturating_sub(cause) >= FAR;
        if lane != NO_LANE {
            let l = lane as usize;
            if l >= self.lanes.len() {
                self.lanes.resize_with(l + 1, Default::default);
                self.lane_heads.resize(l + 1, [SimTime::MAX; 2]);
            }
            self.lanes[l][usize::from(far)].push(Reverse(time));
            let head = &mut self.lane_heads[l][usize::from(far)];
            *head = (*head).min(time);
        }
        let heap = if far { &mut self.far } else { &mut self.heap };
        heap.push(Entry {
            time,
            cause,
            rank_seq: if cause > self.rank_after {
                self.rank | self.seq
            } else {
                LAST_RANK << SEQ_BITS | self.seq
            },
            lane,
            event,
        });
    }

    /// Pushes from now on caused after `after` rank `rank` among pushes with the same time and
    /// cause (before every unranked push, in rank order), until [`EventQueue::clear_rank`]:
    /// what one actor pushes while running ahead of the others, so that the order of
    /// simultaneous pushes does not depend on which actor ran first.
    #[inline]
    pub(crate) fn set_rank(&mut self, rank: u32, after: SimTime) {
        debug_assert!(u64::from(rank) < LAST_RANK);
        self.rank = u64::from(rank) << SEQ_BITS;
        self.rank_after = after;
    }

    /// Pushes from now on are unranked.
    #[inline]
    pub(crate) fn clear_rank(&mut self) {
        self.rank_after = SimTime::MAX;
    }

    /// Whether the next event waits in the far heap.
    #[inline]
    fn next_is_far(&self) -> bool {
        // `Entry`'s order is reversed: the greater entry comes first.
        match (self.heap.peek(), self.far.peek()) {
            (Some(near), Some(far)) => far > near,
            (None, Some(_)) => true,
            _ => false,
        }
    }

    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        let far = self.next_is_far();
        let e = if far { self.far.pop() } else { self.heap.pop() }?;
        if e.lane != NO_LANE {
            let heap = &mut self.lanes[e.lane as usize][usize::from(far)];
            let t = heap.pop();
            // The popped entry is the least of its heap, so its time is its lane's least there.
            debug_assert_eq!(t, Some(Reverse(e.time)), "a lane's earliest event pops first");
            self.lane_heads[e.lane as usize][usize::from(far)] = heap.peek().map_or(SimTime::MAX, |r| r.0);
        }
        Some((e.time, e.event))
    }

    /// Time of the next event, `SimTime::MAX` when empty.
    #[inline]
    pub(crate) fn peek_time(&self) -> SimTime {
        let near = self.heap.peek().map_or(SimTime::MAX, |e| e.time);
        near.min(self.far.peek().map_or(SimTime::MAX, |e| e.time))
    }

    /// The lane of the next event ([`NO_LANE`] when empty).
    #[inline]
    pub(crate) fn peek_lane(&self) -> u32 {
        let heap = if self.next_is_far() { &self.far } else { &self.heap };
        heap.peek().map_or(NO_LANE, |e| e.lane)
    }

    /// How many pushes were made so far.
    #[inline]
    pub(crate) fn pushes(&self) -> u64 {
        self.seq
    }

    /// Time of the next event of `lane`, `SimTime::MAX` when it has none.
    #[inline]
    pub(crate) fn lane_next(&self, lane: u32) -> SimTime {
        self.lane_heads
            .get(lane as usize)
            .map_or(SimTime::MAX, |&[near, far]| near.min(far))
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len() + self.far.len()
    }
}

/// The earliest of n clocks (each `SimTime::MAX` when idle): the earliest clock (ties: the
/// lowest index) and the earliest of the others are read without a scan. The run loop asks both
/// before every event, with a clock per client ([`crate::model`]'s open-loop arrivals), and sets
/// the clock of the client that just ran; a scan of ten clients at every ask cost more than the
/// arrivals it was choosing between.
///
/// Up to [`FEW_CLOCKS`] clocks, their keys (time above index) are kept in order in a ring: the
/// two earliest are its first two, and a set moves one key (the client that ran was the
/// earliest and ran past the others: off the front, onto the back, a compare or two).
/// Beyond, a tournament tree: a set costs log n. For ten clocks the tree's walk was 140
/// instructions per set (bounds checks and a dependent load per level) and the walk for the
/// earliest other clock 40 more, about 3 % of bench-e; with the cached scan (callgrind, 10 s
/// simulated) bench-e ran 3.366 G -> 3.338 G instructions and 18.6 M -> 18.1 M L1 data misses,
/// bench-a (one clock) 3.458 G -> 3.476 G with the compiler's inlining of the event queue
/// reshuffled, and 6.0 M -> 5.0 M misses. The scan's choices are data: as branches they
/// mispredicted 0.9 M more times per 5 s of bench-e than the tree's walk; as selects, 0.3 M
/// fewer than that (`--branch-sim=yes`). The selects still mispredicted 1.15 M times per 10 s
/// (the compiler made branches of some): the scan now takes the two least of per-clock keys
/// (time above index, one integer each) by min and max in two interleaved chains, 2.5 K
/// mispredictions, for 14 M more instructions of 3.34 G. A small gain, not a large one. The
/// ordered ring replaced that scan: 167 instructions per set in bench-e (one set per run of a
/// client's arrivals, 474 000 per 10 s) to 104 (the run took 3.342 G to 3.291 G instructions);
/// the client that ran lands past 1.5 others on average, not always last, which costs 0.23 M
/// mispredicted exits of the insertion loop.
#[derive(Clone, Debug)]
pub(crate) struct EarliestOf {
    clocks: Clocks,
}

/// Clocks kept in an ordered ring, not a tree (their indices fit a key's four low bits).
const FEW_CLOCKS: usize = 16;

/// Slots of the ring of keys (all clocks fit).
const RING: usize = FEW_CLOCKS;

/// Times at or above this (about 36 years, and idle) share one key time; the scan of the
/// times decides between them.
const KEY_TIME_CAP: SimTime = (1 << 60) - 1;

#[derive(Clone, Debug)]
enum Clocks {
    /// Each clock's time; the earliest `(time, index)` and the earliest among the others.
    Few {
        times: Vec<SimTime>,
        /// Per clock, `(time << 4) | index` ([`EarliestOf::key`]): one integer compare orders
        /// clocks by time, then index.
        keys: Vec<u64>,
        /// The keys in ascending order: the k-th least at `ring[(head + k) % RING]`.
        ring: [u64; RING],
        head: usize,
        first: (SimTime, usize),
        second: (SimTime, usize),
    },
    /// Leaves at `size..size + n` (`(time, index)`), padding `(MAX, MAX)`; node `i` holds the
    /// least of nodes `2i` and `2i + 1`.
    Many { tree: Vec<(SimTime, u32)>, size: usize },
}

impl EarliestOf {
    /// `n` idle clocks.
    pub(crate) fn new(n: usize) -> EarliestOf {
        if n <= FEW_CLOCKS {
            let times = vec![SimTime::MAX; n];
            let keys: Vec<u64> = (0..n).map(|i| Self::key(SimTime::MAX, i)).collect();
            let mut ring = [u64::MAX; RING];
            ring[..n].copy_from_slice(&keys); // idle: in index order
            let (first, second) = Self::two_earliest(&times);
            return EarliestOf {
                clocks: Clocks::Few {
                    times,
                    keys,
                    ring,
                    head: 0,
                    first,
                    second,
                },
            };
        }
        let size = n.next_power_of_two();
        let mut tree = vec![(SimTime::MAX, u32::MAX); 2 * size];
        for i in 0..n {
            tree[size + i] = (SimTime::MAX, i as u32);
        }
        for i in (1..size).rev() {
            tree[i] = tree[2 * i].min(tree[2 * i + 1]);
        }
        EarliestOf {
            clocks: Clocks::Many { tree, size },
        }
    }

    /// Clock `i`'s sort key: its time (capped at [`KEY_TIME_CAP`]) above its index.
    #[inline]
    fn key(t: SimTime, i: usize) -> u64 {
        debug_assert!(i < FEW_CLOCKS);
        (t.min(KEY_TIME_CAP) << 4) | i as u64
    }

    /// Moves clock `i`'s key from `old` to `new` in the ordered ring of `n` keys.
    #[inline]
    fn reorder(ring: &mut [u64; RING], head: &mut usize, n: usize, old: u64, new: u64) {
        let at = |h: usize, k: usize| (h + k) % RING;
        // Out: usually the least (the client that ran was the earliest).
        let mut p = 0;
        while ring[at(*head, p)] != old {
            p += 1;
            debug_assert!(p < n, "clock key {old:#x} missing from the ring");
        }
        while p > 0 {
            ring[at(*head, p)] = ring[at(*head, p - 1)];
            p -= 1;
        }
        *head = at(*head, 1);
        // In: from the back (a client that ran usually ran past every other's clock).
        let mut j = n - 1;
        while j > 0 && ring[at(*head, j - 1)] > new {
            ring[at(*head, j)] = ring[at(*head, j - 1)];
            j -= 1;
        }
        ring[at(*head, j)] = new;
    }

    /// The earliest `(time, index)` and the earliest of the others, from the ring's first two
    /// keys; the exact scan of the times when either is idle or beyond the keys' time cap (the
    /// keys order those by index alone).
    fn two_earliest_of_ring(
        times: &[SimTime],
        ring: &[u64; RING],
        head: usize,
    ) -> ((SimTime, usize), (SimTime, usize)) {
        let a = ring[head];
        let b = if times.len() > 1 {
            ring[(head + 1) % RING]
        } else {
            u64::MAX
        };
        if (a.max(b) >> 4) >= KEY_TIME_CAP {
            return Self::two_earliest(times);
        }
        ((a >> 4, (a & 15) as usize), (b >> 4, (b & 15) as usize))
    }

    /// The least `(time, index)` and the least of the others, by a scan (`(MAX, usize::MAX)`
    /// for none).
    fn two_earliest(times: &[SimTime]) -> ((SimTime, usize), (SimTime, usize)) {
        // Times only, strictly earlier: in index order, ties keep the lower index.
        let none = (SimTime::MAX, usize::MAX);
        let (mut a, mut b) = (none, none);
        for (j, &t) in times.iter().enumerate() {
            // Selects, not branches: which clock wins is data (mispredicted branches were most
            // of a scan's cost).
            let (before_a, before_b) = (t < a.0, t < b.0);
            b = if before_a {
                a
            } else if before_b {
                (t, j)
            } else {
                b
            };
            a = if before_a { (t, j) } else { a };
        }
        if a.1 == usize::MAX && !times.is_empty() {
            a = (SimTime::MAX, 0); // all idle: the first, as a tree's ties give
        }
        (a, b)
    }

    /// Clock `i`'s time.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> SimTime {
        match &self.clocks {
            Clocks::Few { times, .. } => times[i],
            Clocks::Many { tree, size } => tree[size + i].0,
        }
    }

    /// Sets clock `i` to `t` (most calls leave it as it was: inlined, they cost a compare).
    #[inline]
    pub(crate) fn set(&mut self, i: usize, t: SimTime) {
        if self.get(i) != t {
            self.update(i, t);
        }
    }

    #[inline(never)]
    fn update(&mut self, i: usize, t: SimTime) {
        match &mut self.clocks {
            Clocks::Few {
                times,
                keys,
                ring,
                head,
                first,
                second,
            } => {
                times[i] = t;
                let new = Self::key(t, i);
                if keys[i] != new {
                    Self::reorder(ring, head, times.len(), keys[i], new);
                    keys[i] = new;
                }
                (*first, *second) = Self::two_earliest_of_ring(times, ring, *head);
            }
            Clocks::Many { tree, size } => {
                let mut k = *size + i;
                tree[k].0 = t;
                while k > 1 {
                    k /= 2;
                    // The right child only when strictly earlier (ties: the left, lower
                    // indices), chosen by index, not by a branch: which child wins is a coin
                    // toss, and a mispredicted branch per level was most of this walk's cost.
                    let right = usize::from(tree[2 * k + 1].0 < tree[2 * k].0);
                    tree[k] = tree[2 * k + right];
                }
            }
        }
    }

    /// The earliest clock: (its time, its index); ties go to the lowest index.
    #[inline]
    pub(crate) fn first(&self) -> (SimTime, usize) {
        match &self.clocks {
            Clocks::Few { first, .. } => *first,
            // (the tree has at least two nodes: for one clock, node 1 is its leaf)
            Clocks::Many { tree, .. } => (tree[1].0, tree[1].1 as usize),
        }
    }

    /// The earliest time among the clocks other than `i`.
    #[inline]
    pub(crate) fn earliest_except(&self, i: usize) -> SimTime {
        match &self.clocks {
            Clocks::Few { first, second, .. } => {
                if i == first.1 {
                    second.0
                } else {
                    first.0
                }
            }
            Clocks::Many { tree, size } => {
                // The siblings along the path from the root to leaf `i` cover every other leaf.
                let mut k = *size + i;
                let mut best = SimTime::MAX;
                while k > 1 {
                    best = best.min(tree[k ^ 1].0);
                    k /= 2;
                }
                best
            }
        }
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

    /// The tournament answers what a scan of the clocks answers, through random updates
    /// (first: earliest, ties to the lowest index; the earliest of the others).
    #[test]
    fn earliest_of_answers_what_a_scan_answers() {
        let mut rng = rng_stream(7, Stream::App);
        // Both kinds: an ordered ring (up to FEW_CLOCKS), a tree beyond.
        for n in [1usize, 2, 3, 5, 8, 10, FEW_CLOCKS, FEW_CLOCKS + 1, 40] {
            let mut clocks = EarliestOf::new(n);
            let mut plain = vec![SimTime::MAX; n];
            for step in 0..2000 {
                let i = rng.gen_range(0..n);
                // Few distinct values, so that ties are common; MAX (idle) too, and times
                // about the keys' cap (which the keys alone cannot order).
                let t = match rng.gen_range(0..8) {
                    0 => SimTime::MAX,
                    6 => KEY_TIME_CAP - 1 + rng.gen_range(0..3),
                    7 => SimTime::MAX - rng.gen_range(1..3),
                    v => v * 10,
                };
                clocks.set(i, t);
                plain[i] = t;
                let first = (0..n).min_by_key(|&j| (plain[j], j)).unwrap();
                assert_eq!(clocks.first(), (plain[first], first), "n {n} step {step}");
                for j in 0..n {
                    let others = (0..n).filter(|&k| k != j).map(|k| plain[k]).min();
                    assert_eq!(clocks.earliest_except(j), others.unwrap_or(SimTime::MAX));
                    assert_eq!(clocks.get(j), plain[j]);
                }
            }
        }
    }
    use rand::Rng;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::default();
        q.push(10, 0, NO_LANE, 'a');
        q.push(5, 0, NO_LANE, 'b');
        q.push(10, 0, NO_LANE, 'c');
        q.push(5, 0, NO_LANE, 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c']);
    }

    /// Among equal times, an earlier cause comes first whatever the push order; then the ranked
    /// pushes, lower rank first (a push caused no later than its rank's `after` is unranked);
    /// then the push order.
    #[test]
    fn equal_times_pop_in_cause_then_rank_order() {
        let mut q = EventQueue::default();
        q.set_rank(2, 5);
        q.push(10, 7, NO_LANE, 'a'); // pushed first by an actor running ahead (at 7)
        q.push(10, 5, NO_LANE, 'b'); // caused at its `after`: unranked
        q.set_rank(1, 5);
        q.push(10, 7, NO_LANE, 'c'); // same cause time, lower rank
        q.clear_rank();
        q.push(10, 3, NO_LANE, 'd'); // pushed late, caused earliest
        q.push(10, 7, NO_LANE, 'e');
        q.push(10, 5, NO_LANE, 'f');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['d', 'b', 'f', 'c', 'a', 'e']);
    }

    /// Far and near events (see [`FAR`]) interleave exactly as in one queue: by time, then
    /// cause, then push order; each lane answers its earliest pending event wherever it waits.
    #[test]
    fn far_events_pop_in_the_order_of_one_queue() {
        let mut rng = rng_stream(7, Stream::App);
        let mut q = EventQueue::default();
        // The reference: every pending (time, cause, push number, lane), scanned.
        let mut pending: Vec<(SimTime, SimTime, u32, u32)> = Vec::new();
        let mut now: SimTime = 0;
        let mut pushes = 0u32;
        let mut far_pushes = 0;
        for _ in 0..20_000 {
            if pending.is_empty() || rng.gen_bool(0.55) {
                // Near and far, with equal times across the two (round multiples of FAR / 4).
                let ahead = match rng.gen_range(0..4) {
                    0 => rng.gen_range(0..1_000),
                    1 => rng.gen_range(0..4) * FAR / 4,
                    2 => FAR + rng.gen_range(0..3) * FAR / 4,
                    _ => rng.gen_range(0..3 * FAR),
                };
                let lane = if rng.gen_bool(0.2) {
                    NO_LANE
                } else {
                    rng.gen_range(0..3)
                };
                far_pushes += usize::from(ahead >= FAR);
                q.push(now + ahead, now, lane, pushes);
                pending.push((now + ahead, now, pushes, lane));
                pushes += 1;
            } else {
                let i = (0..pending.len()).min_by_key(|&i| pending[i]).unwrap();
                let want = pending.swap_remove(i);
                assert_eq!(q.pop(), Some((want.0, want.2)));
                now = want.0;
            }
            for lane in 0..3 {
                let earliest = pending.iter().filter(|p| p.3 == lane).map(|p| p.0).min();
                assert_eq!(q.lane_next(lane), earliest.unwrap_or(SimTime::MAX));
            }
            assert_eq!(q.peek_time(), pending.iter().map(|p| p.0).min().unwrap_or(SimTime::MAX));
            // The next event's lane, of the entry that pops next (ties included).
            assert_eq!(q.peek_lane(), pending.iter().min().map_or(NO_LANE, |p| p.3));
            assert_eq!(q.len(), pending.len());
        }
        assert!(far_pushes > 2_000, "the far heap is exercised: {far_pushes}");
    }

    #[test]
    fn lanes_answer_their_earliest_pending_event() {
        let mut q = EventQueue::default();
        q.push(30, 0, 1, 'a');
        q.push(10, 0, NO_LANE, 'b');
        q.push(20, 0, 1, 'c');
        q.push(25, 0, 0, 'd');
        assert_eq!((q.lane_next(0), q.lane_next(1), q.lane_next(7)), (25, 20, SimTime::MAX));
        q.pop();
        q.pop();
        assert_eq!((q.lane_next(0), q.lane_next(1)), (25, 30));
        q.pop();
        q.pop();
        assert_eq!((q.lane_next(0), q.lane_next(1)), (SimTime::MAX, SimTime::MAX));
        assert!(q.pop().is_none());
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
