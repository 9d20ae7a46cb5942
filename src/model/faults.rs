//! Fault injection: the scripted `[[faults]]` schedule plus random faults drawn from the run's
//! seed (`[random_faults]`). Every fault heals at its end, and all heal when the production
//! window closes, so the settle phase sees a healthy cluster.

use super::network::Host;
use super::observe::{observe, Observation};
use super::{Event, World};
use crate::config::{Fault, FaultKind, FaultType, Node, RunSpec};
use crate::result::FaultInterval;
use crate::sim::{ms, ms_f, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(crate) struct FaultState {
    pub faults: Vec<Fault>,
    active: Vec<bool>,
    /// Brokers / links a fault acted on, resolved when it started.
    resolved: Vec<Vec<(usize, usize)>>,
    crashed: Vec<Vec<u32>>,
    /// Producer clients a `producer-crash` killed, restarted when it heals.
    crashed_clients: Vec<Vec<usize>>,
    started: Vec<Option<SimTime>>,
    ended: Vec<Option<SimTime>>,
    targets: Vec<String>,
}

/// Draw the random faults of a run from its seed: a Poisson process per kind over the
/// production window, exponential durations.
fn draw_random(spec: &RunSpec, rng: &mut ChaCha8Rng) -> Vec<Fault> {
    let rf = &spec.random_faults;
    let window = spec.duration_ms as f64;
    let brokers = spec.cluster.brokers;
    let partitions = spec.total_partitions();
    let producers = spec.producer_list();
    let mut out = Vec::new();
    // In the order of `FaultType::ALL`: it fixes which random numbers each kind draws.
    for &ty in FaultType::ALL {
        let (rate, mean) = (rf.rate_per_min(ty), rf.mean_ms(ty));
        if rate <= 0.0 {
            continue;
        }
        let mean_gap = 60_000.0 / rate;
        let mut t = 0.0;
        loop {
            let u: f64 = rng.gen();
            t += -(1.0 - u).ln() * mean_gap;
            if t >= window {
                break;
            }
            let u: f64 = rng.gen();
            let duration = (-(1.0 - u).ln() * mean).max(1.0) as u64;
            let b = rng.gen_range(0..brokers);
            let p = rng.gen_range(0..partitions);
            let kind = match ty {
                FaultType::Crash => FaultKind::Crash { broker: b },
                FaultType::PowerLoss => FaultKind::PowerLoss { brokers: vec![b] },
                FaultType::CrashLeader => FaultKind::crash_leader(p),
                FaultType::IsolateLeader => FaultKind::isolate_leader(p),
                FaultType::Partition => {
                    let rest: Vec<Node> = (0..brokers)
                        .filter(|&x| x != b)
                        .map(Node::Broker)
                        .chain([Node::Producer, Node::Controller])
                        .collect();
                    FaultKind::Partition {
                        groups: vec![vec![Node::Broker(b)], rest],
                        one_way: false,
                    }
                }
                FaultType::SlowLink => FaultKind::SlowLink {
                    from: Node::Producer,
                    to: Node::Broker(b),
                    extra_latency_ms: 50.0,
                    bandwidth_factor: 0.1,
                },
                FaultType::LoseResponses => FaultKind::LoseResponses { probability: 0.2 },
                FaultType::ProducerCrash => FaultKind::ProducerCrash {
                    producer: producers[rng.gen_range(0..producers.len())].name.clone(),
                },
            };
            out.push(Fault {
                at_ms: t as u64,
                duration_ms: Some(duration),
                kind,
            });
        }
    }
    out
}

impl FaultState {
    pub(crate) fn new(spec: &RunSpec, mut rng: ChaCha8Rng) -> FaultState {
        let mut faults = spec.faults.clone();
        faults.extend(draw_random(spec, &mut rng));
        let n = faults.len();
        FaultState {
            faults,
            active: vec![false; n],
            resolved: vec![Vec::new(); n],
            crashed: vec![Vec::new(); n],
            crashed_clients: vec![Vec::new(); n],
            started: vec![None; n],
            ended: vec![None; n],
            targets: vec![String::new(); n],
        }
    }

    pub(crate) fn intervals(&self, end: SimTime) -> Vec<FaultInterval> {
        (0..self.faults.len())
            .filter_map(|i| {
                let s = self.started[i]?;
                Some(FaultInterval {
                    kind: self.faults[i].kind.name(),
                    target: self.targets[i].clone(),
                    start_ms: s / 1_000_000,
                    end_ms: self.ended[i].unwrap_or(end) / 1_000_000,
                })
            })
            .collect()
    }
}

impl World {
    /// The network nodes a fault's node name stands for: `producer` is every producer's
    /// machine, a host name the producers on that machine.
    fn node_indices(&self, n: &Node) -> Vec<usize> {
        match n {
            Node::Producer => (0..self.clients.len()).map(|c| self.client_node(c)).collect(),
            Node::Controller => vec![self.controller_node()],
            Node::Broker(b) => vec![World::broker_node(*b)],
            Node::Host(h) => {
                let mut nodes: Vec<usize> = self
                    .spec
                    .producer_list()
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.host_name == *h)
                    .map(|(c, _)| self.client_node(c))
                    .collect();
                // Consumers on that machine (their host names follow the producers').
                let first = self.brokers.len() + 1 + self.clients.len();
                let consumers = self.spec.consumer_list();
                nodes.extend(
                    consumers
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.host_name == *h)
                        .map(|(k, _)| first + k),
                );
                nodes
            }
        }
    }

    /// Every (from, to) link between the nodes of `a` and those of `b`.
    fn links_between(&self, a: &Node, b: &Node) -> Vec<(usize, usize)> {
        let to = self.node_indices(b);
        self.node_indices(a)
            .into_iter()
            .flat_map(|x| to.iter().map(move |&y| (x, y)))
            .collect()
    }

    pub(super) fn faults_start(&mut self) {
        let window = ms(self.spec.duration_ms);
        for i in 0..self.faults.faults.len() {
            let f = &self.faults.faults[i];
            let at = ms(f.at_ms);
            if at >= window {
                continue;
            }
            let end = f.duration_ms.map(|d| ms(f.at_ms + d));
            self.schedule(at, Event::FaultStart { index: i as u32 });
            if let Some(end) = end.filter(|&e| e < window) {
                self.schedule(end, Event::FaultEnd { index: i as u32 });
            }
        }
    }

    /// The leader of `p` as the controller knows it.
    fn current_leader(&self, p: u32) -> Option<u32> {
        self.controller.parts.get(p as usize).and_then(|s| s.leader)
    }

    /// The cluster-wide partition a leader fault names: a topic's partition is resolved
    /// against this run's topics (a sweep may move the topic's first partition). A partition
    /// the run lacks (a spec built without validation) is past every partition: no leader.
    fn fault_partition(&self, topic: &Option<String>, partition: u32) -> u32 {
        match topic {
            None => partition,
            Some(t) => self.spec.fault_partition(Some(t), partition).unwrap_or(u32::MAX),
        }
    }

    fn cut_links(&mut self, i: usize, links: Vec<(usize, usize)>) {
        for &(a, b) in &links {
            self.net.cut(a, b, true);
        }
        self.faults.resolved[i] = links;
    }

    pub(super) fn fault_start(&mut self, i: usize) {
        if self.faults.active[i] || self.phase != super::Phase::Production {
            return;
        }
        self.faults.active[i] = true;
        self.faults.started[i] = Some(self.now);
        let kind = self.faults.faults[i].kind.clone();
        let target = match &kind {
            FaultKind::Crash { broker } => {
                self.broker_crash(*broker, false);
                self.faults.crashed[i] = vec![*broker];
                format!("b{broker}")
            }
            FaultKind::PowerLoss { brokers } => {
                for &b in brokers {
                    self.broker_crash(b, true);
                }
                self.faults.crashed[i] = brokers.clone();
                brokers.iter().map(|b| format!("b{b}")).collect::<Vec<_>>().join(",")
            }
            FaultKind::CrashLeader { topic, partition } => {
                let partition = self.fault_partition(topic, *partition);
                match self.current_leader(partition) {
                    Some(l) => {
                        self.broker_crash(l, false);
                        self.faults.crashed[i] = vec![l];
                        format!("b{l} (leader of {partition})")
                    }
                    None => format!("none (partition {partition} has no leader)"),
                }
            }
            FaultKind::IsolateLeader { topic, partition } => {
                let partition = self.fault_partition(topic, *partition);
                match self.current_leader(partition) {
                    Some(l) => {
                        let ln = World::broker_node(l);
                        let mut links = Vec::new();
                        let others: Vec<usize> = (0..self.brokers.len())
                            .filter(|&x| x != ln)
                            .chain([self.controller_node()])
                            .collect();
                        for o in others {
                            links.push((ln, o));
                            links.push((o, ln));
                        }
                        self.cut_links(i, links);
                        format!("b{l} (leader of {partition})")
                    }
                    None => format!("none (partition {partition} has no leader)"),
                }
            }
            FaultKind::Partition { groups, one_way } => {
                let mut links = Vec::new();
                for (gi, g) in groups.iter().enumerate() {
                    for (hi, h) in groups.iter().enumerate() {
                        if gi == hi || (*one_way && gi > hi) {
                            continue;
                        }
                        for a in g {
                            for b in h {
                                links.extend(self.links_between(a, b));
                            }
                        }
                    }
                }
                self.cut_links(i, links);
                groups
                    .iter()
                    .map(|g| g.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","))
                    .collect::<Vec<_>>()
                    .join(" | ")
            }
            FaultKind::SlowLink {
                from,
                to,
                extra_latency_ms,
                bandwidth_factor,
            } => {
                let extra = ms_f(*extra_latency_ms);
                for (a, b) in self.links_between(from, to) {
                    self.net.set_slow(a, b, extra, *bandwidth_factor);
                    self.net.set_slow(b, a, extra, *bandwidth_factor);
                }
                format!("{from}<->{to}")
            }
            FaultKind::LoseResponses { probability } => {
                for b in self.brokers.iter_mut() {
                    b.lose_responses = *probability;
                }
                format!("p={probability}")
            }
            FaultKind::ProducerCrash { producer } => {
                match self.spec.producer_list().iter().position(|p| p.name == *producer) {
                    // Restarted by the fault that killed it (not by an overlapping one's heal).
                    Some(c) => {
                        if self.producer_crash(c) {
                            self.faults.crashed_clients[i] = vec![c];
                        }
                    }
                    None => debug_assert!(false, "producer {producer} resolved when parsed"),
                }
                producer.clone()
            }
        };
        if self.trace.is_some() {
            self.trace_line(format!("FAULT {} {target}", kind.name()));
        }
        self.faults.targets[i] = target;
    }

    pub(super) fn fault_end(&mut self, i: usize) {
        if !self.faults.active[i] {
            return;
        }
        self.faults.active[i] = false;
        self.faults.ended[i] = Some(self.now);
        for (a, b) in std::mem::take(&mut self.faults.resolved[i]) {
            self.net.cut(a, b, false);
            self.path_healed(a, b);
        }
        for b in std::mem::take(&mut self.faults.crashed[i]) {
            self.broker_restart(b);
        }
        for c in std::mem::take(&mut self.faults.crashed_clients[i]) {
            self.producer_restart(c);
        }
        match self.faults.faults[i].kind.clone() {
            FaultKind::SlowLink { from, to, .. } => {
                for (a, b) in self.links_between(&from, &to) {
                    self.net.set_slow(a, b, 0, 1.0);
                    self.net.set_slow(b, a, 0, 1.0);
                }
            }
            FaultKind::LoseResponses { .. } => {
                for b in self.brokers.iter_mut() {
                    b.lose_responses = 0.0;
                }
            }
            _ => {}
        }
        if self.trace.is_some() {
            let name = self.faults.faults[i].kind.name();
            self.trace_line(format!("FAULT {name} healed"));
        }
    }

    /// Process crash (`power = false`: the kernel still answers, page cache survives) or
    /// machine crash (`power = true`: the host is gone, unflushed page cache lost): the broker
    /// loses its state; the network refuses or drops its connections; a process crash resets
    /// the connections its peers have open to it.
    fn broker_crash(&mut self, b: u32, power: bool) {
        if !self.brokers[b as usize].alive && !power {
            return;
        }
        let node = World::broker_node(b);
        // The network's view of each producer's connection: a crashed process resets it.
        let pgens: Vec<(usize, u64)> = (0..self.clients.len())
            .filter(|&c| self.clients[c].alive)
            .map(|c| (c, self.net.connection_gen(self.client_node(c), node)))
            .collect();
        let was_alive = self.with_broker(b, |br, ctx| br.crash(power, ctx));
        self.net.set_host(node, if power { Host::Down } else { Host::Refusing });
        if !power && was_alive {
            // The kernel still answers: peers see a TCP reset.
            for (c, pgen) in pgens {
                let producer = self.client_node(c);
                if self.net.reachable(node, producer) {
                    let at = self.net.signal(self.now, node, producer);
                    let owner = self.client_owner(c);
                    self.schedule_for(owner, at, Event::ConnectionReset { node: b, gen: pgen });
                }
            }
            for f in 0..self.brokers.len() as u32 {
                if f != b && self.brokers[f as usize].fetching_from(b) {
                    let at = self.net.signal(self.now, node, World::broker_node(f));
                    self.with_broker(f, |fb, ctx| fb.set_fetch_deadline(b, at, ctx));
                }
            }
        }
        if !power && was_alive {
            // Consumers with a fetch in flight to it see the reset (their fetch fails).
            for k in 0..self.consumers.len() {
                let Some(id) = self.consumers[k].pending_fetch(b) else {
                    continue;
                };
                let to = self.consumers[k].node;
                if self.net.reachable(node, to) {
                    let at = self.net.signal(self.now, node, to);
                    let consumer = k as u32;
                    self.schedule(
                        at,
                        Event::ConsumerFetchFailed {
                            consumer,
                            broker: b,
                            id,
                        },
                    );
                }
            }
        }
        observe(
            &mut self.monitor,
            &mut self.trace,
            self.now,
            Observation::Crashed { broker: b, power },
        );
    }

    /// Restart after a crash: the host accepts connections again, the broker recovers its log
    /// and registers with the controller.
    fn broker_restart(&mut self, b: u32) {
        if self.brokers[b as usize].alive {
            return;
        }
        self.net.set_host(World::broker_node(b), Host::Listening);
        self.with_broker(b, |br, ctx| br.restart(ctx));
    }

    /// The producer process of client `c` dies (`producer-crash`): its accumulator, buffer
    /// pool, callbacks and futures are gone (what it held and never resolved is
    /// `Outcome::Unseen`, its blocked `send()` calls lost unsent); its sockets close, so every
    /// answer to its requests finds no reader. Requests it already wrote travel on: a broker
    /// may still append them (`KafkaApis` handles a request it read; the response to a closed
    /// connection is dropped). Its events are ignored from now on (`Client::incarnation`).
    /// Returns whether it was running.
    fn producer_crash(&mut self, c: usize) -> bool {
        if !self.clients[c].alive {
            return false;
        }
        if self.trace.is_some() {
            self.trace_line(format!(
                "producer {c} process crashed: its buffer, callbacks and futures are gone; what it had not \
                 resolved the application will never hear of"
            ));
        }
        let blocked = self.clients[c].app.blocked_sends();
        self.clients[c].ledger.orphan_unresolved(blocked);
        let next = self.clients[c].successor(&self.client_specs[c], c as u32);
        let node = self.client_node(c);
        for (b, conn) in next.sender.conns.iter().enumerate() {
            self.net
                .set_connection_gen(node, World::broker_node(b as u32), conn.gen);
        }
        self.clients[c] = next;
        // The dead process sends nothing (the run loop reads its next arrival from here).
        self.arrivals_due.set(c, SimTime::MAX);
        true
    }

    /// The crashed producer process of client `c` starts again, a new `KafkaProducer` session
    /// (a new producer id: `InitProducerId`); its application sends again if the production
    /// window is still open.
    fn producer_restart(&mut self, c: usize) {
        if self.clients[c].alive {
            return;
        }
        self.clients[c].alive = true;
        if self.phase == super::Phase::Production {
            self.clients[c].app.stopped = false;
            let snapshot = self.controller.snapshot();
            self.client_start(c, &snapshot);
        }
    }

    pub(super) fn faults_heal_all(&mut self) {
        for i in 0..self.faults.faults.len() {
            self.fault_end(i);
        }
    }
}
