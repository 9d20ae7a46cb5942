//! The network: one NIC per node (egress bandwidth, bytes take time on the wire) and one
//! ordered connection per node pair (TCP: messages arrive in the order sent). Links can be cut
//! (network partitions, one way or both) and slowed (`slow-link` faults).

use crate::config::NetworkConfig;
use crate::sim::{SimTime, NS_PER_MS};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How a node's TCP stack answers a connect ([`Network::connect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// A process listens.
    Listening,
    /// The machine is up, no process listens: connects get a reset.
    Refusing,
    /// The machine is off: SYNs go unanswered.
    Down,
}

/// The outcome of a TCP connect ([`Network::connect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Connect {
    /// The handshake completes after a round trip.
    Accepted,
    /// A reset after a round trip ("connection refused").
    Refused,
    /// No answer: the client gives up at its connection-setup timeout.
    Unanswered,
}

pub(crate) struct Network {
    nodes: usize,
    /// Each node's TCP stack as peers meet it (the network's own view, set by crashes and
    /// restarts): a component asks the network, never the peer, how a connect goes.
    hosts: Vec<Host>,
    /// Per directed pair: the generation of the TCP connection the client side opened (a
    /// new one after every close), so that a crashed peer's reset names the connection it kills.
    conn_gen: Vec<u64>,
    latency_ns: f64,
    jitter: f64,
    ns_per_byte: f64,
    /// Per NIC: when its egress is free. Nodes on one machine share a NIC (`nic`).
    tx_free: Vec<SimTime>,
    /// Per node: its machine's NIC (co-located producers, `[[producers]]` `host`).
    nic: Vec<usize>,
    last_arrival: Vec<SimTime>,
    /// Active cuts per directed pair (overlapping faults stack).
    cuts: Vec<u32>,
    /// Extra one-way latency and bandwidth factor per directed pair.
    slow: Vec<(SimTime, f64)>,
    rng: ChaCha8Rng,
}

impl Network {
    pub(crate) fn new(cfg: &NetworkConfig, nodes: usize, rng: ChaCha8Rng) -> Network {
        Network {
            nodes,
            latency_ns: cfg.latency_ms * NS_PER_MS as f64,
            jitter: cfg.latency_jitter.clamp(0.0, 1.0),
            // bandwidth in megabits per second -> nanoseconds per byte
            ns_per_byte: 8_000.0 / cfg.bandwidth_mbps,
            hosts: vec![Host::Listening; nodes],
            conn_gen: vec![1; nodes * nodes],
            tx_free: vec![0; nodes],
            nic: (0..nodes).collect(),
            last_arrival: vec![0; nodes * nodes],
            cuts: vec![0; nodes * nodes],
            slow: vec![(0, 1.0); nodes * nodes],
            rng,
        }
    }

    /// Node `node` sends through `nic` (the NIC of another node on the same machine).
    pub(crate) fn share_nic(&mut self, node: usize, nic: usize) {
        self.nic[node] = nic;
    }

    #[inline]
    fn pair(&self, from: usize, to: usize) -> usize {
        from * self.nodes + to
    }

    /// Whether messages from `from` currently reach `to`.
    #[inline]
    pub(crate) fn reachable(&self, from: usize, to: usize) -> bool {
        self.cuts[self.pair(from, to)] == 0
    }

    /// Sets how `node`'s TCP stack answers (a broker process crash: `Refusing`; its machine
    /// off: `Down`; a restart: `Listening`).
    pub(crate) fn set_host(&mut self, node: usize, host: Host) {
        self.hosts[node] = host;
    }

    /// The client `from` now uses generation `gen` for its connection to `to`.
    pub(crate) fn set_connection_gen(&mut self, from: usize, to: usize, gen: u64) {
        let i = self.pair(from, to);
        self.conn_gen[i] = gen;
    }

    /// The generation of the connection from `from` to `to` (what a reset from `to` kills).
    pub(crate) fn connection_gen(&self, from: usize, to: usize) -> u64 {
        self.conn_gen[self.pair(from, to)]
    }

    /// How a TCP connect from `from` to `to` goes now: unanswered SYNs when the path is cut
    /// either way or the machine is down (the client waits for
    /// `socket.connection.setup.timeout.ms`), a reset when the machine is up but no process
    /// listens (connection refused, one round trip), otherwise accepted.
    pub(crate) fn connect(&self, from: usize, to: usize) -> Connect {
        if !self.reachable(from, to) || !self.reachable(to, from) || self.hosts[to] == Host::Down {
            Connect::Unanswered
        } else if self.hosts[to] == Host::Refusing {
            Connect::Refused
        } else {
            Connect::Accepted
        }
    }

    pub(crate) fn cut(&mut self, from: usize, to: usize, on: bool) {
        let i = self.pair(from, to);
        if on {
            self.cuts[i] += 1;
        } else {
            self.cuts[i] = self.cuts[i].saturating_sub(1);
        }
    }

    pub(crate) fn set_slow(&mut self, from: usize, to: usize, extra: SimTime, factor: f64) {
        let i = self.pair(from, to);
        self.slow[i] = (extra, factor.max(1e-6));
    }

    /// One-way latency drawn for one message on a link.
    fn latency(&mut self, from: usize, to: usize) -> SimTime {
        let base = if self.jitter > 0.0 {
            let u: f64 = self.rng.gen();
            self.latency_ns * (1.0 - self.jitter + 2.0 * self.jitter * u)
        } else {
            self.latency_ns
        };
        base as SimTime + self.slow[self.pair(from, to)].0
    }

    /// A lower bound of every one-way latency ([`Network::transmit`], signals, retransmissions):
    /// whatever a node does at `t` reaches another node no earlier than `t + min_latency()`.
    pub(crate) fn min_latency(&self) -> SimTime {
        (self.latency_ns * (1.0 - self.jitter)) as SimTime
    }

    /// Mean round trip between two nodes, for timeouts and estimates.
    pub(crate) fn rtt(&self, from: usize, to: usize) -> SimTime {
        (2.0 * self.latency_ns) as SimTime + self.slow[self.pair(from, to)].0 + self.slow[self.pair(to, from)].0
    }

    /// Put `bytes` on the wire from `from` to `to` at `now`: returns (time the last byte left
    /// the NIC, arrival time). Arrival is never earlier than the previous arrival on the same
    /// connection (in-order delivery).
    pub(crate) fn transmit(&mut self, now: SimTime, from: usize, to: usize, bytes: u64) -> (SimTime, SimTime) {
        let factor = self.slow[self.pair(from, to)].1;
        let nic = self.nic[from];
        let start = now.max(self.tx_free[nic]);
        let wire = (bytes as f64 * self.ns_per_byte / factor) as SimTime;
        let tx_end = start + wire;
        self.tx_free[nic] = tx_end;
        let lat = self.latency(from, to);
        let i = self.pair(from, to);
        let arrival = (tx_end + lat).max(self.last_arrival[i]);
        self.last_arrival[i] = arrival;
        (tx_end, arrival)
    }

    /// Arrival time of bytes retransmitted at `at` from `from` to `to` after a cut healed (in
    /// order with everything sent on the link).
    pub(crate) fn retransmitted(&mut self, at: SimTime, from: usize, to: usize) -> SimTime {
        let lat = self.latency(from, to);
        let i = self.pair(from, to);
        let arrival = (at + lat).max(self.last_arrival[i]);
        self.last_arrival[i] = arrival;
        arrival
    }

    /// Arrival time of a zero-byte signal (TCP RST, connection refused) from `from` to `to`.
    pub(crate) fn signal(&mut self, now: SimTime, from: usize, to: usize) -> SimTime {
        now + self.latency(from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{rng_stream, Stream};

    fn net(latency_ms: f64, mbps: f64) -> Network {
        let cfg = NetworkConfig {
            latency_ms,
            latency_jitter: 0.0,
            bandwidth_mbps: mbps,
        };
        Network::new(&cfg, 3, rng_stream(1, Stream::Network))
    }

    #[test]
    fn bytes_take_time_on_the_wire_and_share_the_nic() {
        let mut n = net(1.0, 8.0); // 1 byte per microsecond
        let (tx1, a1) = n.transmit(0, 0, 1, 1000);
        assert_eq!(tx1, 1_000_000);
        assert_eq!(a1, 2_000_000);
        // second message from the same NIC waits for the first
        let (tx2, a2) = n.transmit(0, 0, 2, 1000);
        assert_eq!(tx2, 2_000_000);
        assert_eq!(a2, 3_000_000);
    }

    #[test]
    fn delivery_is_in_order_per_connection() {
        let cfg = NetworkConfig {
            latency_ms: 1.0,
            latency_jitter: 1.0,
            bandwidth_mbps: 1e9,
        };
        let mut n = Network::new(&cfg, 2, rng_stream(3, Stream::Network));
        let mut last = 0;
        for t in 0..1000 {
            let (_, a) = n.transmit(t * 1000, 0, 1, 10);
            assert!(a >= last);
            last = a;
        }
    }

    #[test]
    fn no_message_arrives_sooner_than_the_minimum_latency() {
        for (latency_ms, jitter) in [(0.1, 0.2), (0.5, 1.0), (0.3, 0.0), (1.0 / 3.0, 0.7)] {
            let cfg = NetworkConfig {
                latency_ms,
                latency_jitter: jitter,
                bandwidth_mbps: 1e12,
            };
            let mut n = Network::new(&cfg, 2, rng_stream(5, Stream::Network));
            let min = n.min_latency();
            assert!(min as f64 >= latency_ms * 1e6 * (1.0 - jitter) - 1.0);
            let mut lowest = SimTime::MAX;
            for t in 0..20_000u64 {
                let now = t * 10_000_000; // far apart: no queueing, no ordering wait
                let (tx_end, a) = n.transmit(now, 0, 1, 1);
                lowest = lowest.min(a - tx_end).min(n.signal(now, 1, 0) - now);
            }
            assert!(lowest >= min, "{lowest} < {min}");
            assert!(
                lowest < min + (latency_ms * 1e6 * jitter * 0.01) as SimTime + 2,
                "the bound is tight"
            );
        }
    }

    #[test]
    fn cuts_stack() {
        let mut n = net(1.0, 1000.0);
        n.cut(0, 1, true);
        n.cut(0, 1, true);
        n.cut(0, 1, false);
        assert!(!n.reachable(0, 1));
        assert!(n.reachable(1, 0));
        n.cut(0, 1, false);
        assert!(n.reachable(0, 1));
    }

    /// A connect asks the network's view of the peer: a process crash refuses (a reset after a
    /// round trip), a machine off or a cut path leaves SYNs unanswered, a restart listens again.
    #[test]
    fn connects_follow_the_hosts_state_and_the_cuts() {
        let mut n = net(1.0, 1000.0);
        assert_eq!(n.connect(0, 1), Connect::Accepted);
        n.set_host(1, Host::Refusing);
        assert_eq!(n.connect(0, 1), Connect::Refused);
        n.set_host(1, Host::Down);
        assert_eq!(n.connect(0, 1), Connect::Unanswered);
        n.set_host(1, Host::Listening);
        n.cut(1, 0, true);
        assert_eq!(n.connect(0, 1), Connect::Unanswered, "the SYN-ACK cannot come back");
        n.cut(1, 0, false);
        assert_eq!(n.connect(0, 1), Connect::Accepted);
    }
}
