//! Faults: the kinds ([`FaultType`], one table for names, keys, docs and random-fault knobs),
//! a scheduled fault with its targets ([`Fault`], [`FaultKind`]), the nodes faults name
//! ([`Node`]), and random faults ([`RandomFaults`]).

use std::fmt;

/// Kinds of fault a schedule can inject.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Process crash of a broker; restarts after the duration; page cache survives.
    Crash {
        /// The broker.
        broker: u32,
    },
    /// Machine crash of brokers: unflushed page cache is lost; restart after the duration.
    PowerLoss {
        /// The brokers (a rack).
        brokers: Vec<u32>,
    },
    /// Crash whichever broker leads `partition` when the fault starts.
    CrashLeader {
        /// The topic whose partition it is (`None`: `partition` is in the cluster-wide
        /// numbering). Resolved per run ([`RunSpec::fault_partition`](crate::config::RunSpec::fault_partition)), since a sweep may change
        /// the partition counts of the topics before it.
        topic: Option<String>,
        /// The partition.
        partition: u32,
    },
    /// Cut the current leader of `partition` off from the other brokers and the controller;
    /// the producer still reaches it.
    IsolateLeader {
        /// The topic whose partition it is, as for [`FaultKind::CrashLeader`].
        topic: Option<String>,
        /// The partition.
        partition: u32,
    },
    /// Network partition between groups of nodes; `one_way` cuts only the direction from the
    /// first group to the others.
    Partition {
        /// The groups: nodes of different groups cannot reach each other.
        groups: Vec<Vec<Node>>,
        /// Cut only from the first group to the others.
        one_way: bool,
    },
    /// Slow link from `from` to `to` (both directions unless `one_way`).
    SlowLink {
        /// One end.
        from: Node,
        /// The other end.
        to: Node,
        /// Latency added to the link, milliseconds.
        extra_latency_ms: f64,
        /// Factor applied to the link's bandwidth (0.1 = ten times slower).
        bandwidth_factor: f64,
    },
    /// Drop produce responses from brokers to the producer (the request was processed).
    LoseResponses {
        /// Probability that a produce response is lost.
        probability: f64,
    },
    /// The producer process named `producer` dies (its accumulator, buffer pool, callbacks and
    /// futures are gone; its connections close) and restarts after the duration as a new
    /// `KafkaProducer` session (a new producer id, fresh sequences and metadata).
    ProducerCrash {
        /// The `[[producers]]` entry's name (`default` for the one producer of a scenario
        /// without `[[producers]]`).
        producer: String,
    },
}

impl FaultKind {
    /// `crash-leader` of cluster-wide partition `partition` (no topic).
    pub fn crash_leader(partition: u32) -> FaultKind {
        FaultKind::CrashLeader { topic: None, partition }
    }

    /// `isolate-leader` of cluster-wide partition `partition` (no topic).
    pub fn isolate_leader(partition: u32) -> FaultKind {
        FaultKind::IsolateLeader { topic: None, partition }
    }

    /// The kind's name in scenario files (`crash-leader`).
    pub fn name(&self) -> &'static str {
        self.fault_type().name()
    }
}

/// Every fault kind, one row each: the single source of truth for a kind's name (`kind = ".."`
/// in `[[faults]]`, `--faults`, traces, charts), its `[[faults]]` keys, its line in the key
/// reference and its `[random_faults]` rate and mean-duration keys (with the mean's default).
///
/// Rows are in the order scenario files, error messages, the key reference and the random-fault
/// draw use ([`FaultType::ALL`]); the draw order fixes which random numbers each kind takes, so
/// a new kind goes last. The search has its own order, simplest first
/// (`search::ALL_FAULT_KINDS`). Each row's variant is also a [`FaultKind`] variant.
///
/// `fault_type_table!(m)` calls `m!` with the rows: here [`define_fault_types!`] builds
/// [`FaultType`], [`RandomFaults`] and [`FaultKind::fault_type`]; `scenario::keys` builds the
/// `[random_faults]` keys.
macro_rules! fault_type_table {
    ($then:ident) => {
        $then! {
            Crash = "crash" {
                keys: ["broker"],
                example: r#"`broker = "b1"`"#,
                meaning: "Process crash; restarts after the duration; page cache survives.",
                random: crash_per_min, crash_mean_ms = 15_000.0,
            }
            PowerLoss = "power-loss" {
                keys: ["brokers"],
                example: r#"`brokers = ["b0", "b1"]`"#,
                meaning: "Machine crash: unflushed page cache is lost.",
                random: power_loss_per_min, power_loss_mean_ms = 15_000.0,
            }
            CrashLeader = "crash-leader" {
                keys: ["partition", "topic"],
                example: r#"`partition = 0`, `topic = "orders"` (optional: that topic's partition)"#,
                meaning: "Crash the broker leading the partition when the fault starts.",
                random: crash_leader_per_min, crash_leader_mean_ms = 15_000.0,
            }
            IsolateLeader = "isolate-leader" {
                keys: ["partition", "topic"],
                example: r#"`partition = 0`, `topic = "orders"` (optional: that topic's partition)"#,
                meaning: "Cut the partition's leader off from the other brokers and the controller (the producer still reaches it).",
                random: isolate_leader_per_min, isolate_leader_mean_ms = 15_000.0,
            }
            Partition = "partition" {
                keys: ["groups", "one_way"],
                example: r#"`groups = [["b0"], ["b1", "b2", "producer"]]`, `one_way = false`"#,
                meaning: "Network partition between groups; `one_way` cuts only first group -> others.",
                random: partition_per_min, partition_mean_ms = 15_000.0,
            }
            SlowLink = "slow-link" {
                keys: ["from", "to", "extra_latency_ms", "bandwidth_factor", "one_way"],
                example: r#"`from = "producer"`, `to = "b0"`, `extra_latency_ms = 50.0`, `bandwidth_factor = 0.1`"#,
                meaning: "Slower link, both directions.",
                random: slow_link_per_min, slow_link_mean_ms = 10_000.0,
            }
            LoseResponses = "lose-responses" {
                keys: ["probability"],
                example: "`probability = 0.5`",
                meaning: "Drop produce responses (the request was processed).",
                random: lose_responses_per_min, lose_responses_mean_ms = 5_000.0,
            }
            ProducerCrash = "producer-crash" {
                keys: ["producer"],
                example: r#"`producer = "orders"` (omitted: the only producer)"#,
                meaning: "The producer process dies (buffered records, callbacks and futures are gone; requests already written may still land) and restarts after the duration as a new session (new producer id).",
                random: producer_crash_per_min, producer_crash_mean_ms = 5_000.0,
            }
        }
    };
}
pub(crate) use fault_type_table;

/// Builds [`FaultType`], [`RandomFaults`] and [`FaultKind::fault_type`] from the rows of
/// [`fault_type_table!`].
macro_rules! define_fault_types {
    ($(
        $variant:ident = $name:literal {
            keys: [$($key:literal),*],
            example: $example:literal,
            meaning: $meaning:literal,
            random: $rate:ident, $mean:ident = $mean_default:literal $(,)?
        }
    )*) => {
        /// A fault kind without its targets: what [`FaultKind`] is, named as in scenario files.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum FaultType {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        impl FaultType {
            /// Every kind, in the order of [`fault_type_table!`] (scenario files, error messages,
            /// the key reference, the random-fault draw).
            pub(crate) const ALL: &'static [FaultType] = &[$(FaultType::$variant),*];

            /// The names of [`FaultType::ALL`], in its order.
            pub(crate) const NAMES: &'static [&'static str] = &[$($name),*];

            /// The kind's name in scenario files (`crash-leader`).
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    $(FaultType::$variant => $name,)*
                }
            }

            /// The keys a `[[faults]]` entry of this kind may have besides `at_ms`, `kind` and
            /// `duration_ms`.
            pub(crate) const fn keys(self) -> &'static [&'static str] {
                match self {
                    $(FaultType::$variant => &[$($key),*],)*
                }
            }

            /// The kind's keys as the key reference shows them (Markdown).
            pub(crate) const fn example(self) -> &'static str {
                match self {
                    $(FaultType::$variant => $example,)*
                }
            }

            /// What the kind does, one line (Markdown).
            pub(crate) const fn meaning(self) -> &'static str {
                match self {
                    $(FaultType::$variant => $meaning,)*
                }
            }
        }

        impl FaultKind {
            /// The kind of this fault, targets aside.
            pub fn fault_type(&self) -> FaultType {
                match self {
                    $(FaultKind::$variant { .. } => FaultType::$variant,)*
                }
            }
        }

        /// Random faults drawn from the run's seed: rates per minute of simulated time and mean
        /// durations. A rate of 0 disables the kind.
        #[derive(Clone, Debug, PartialEq)]
        pub struct RandomFaults {
            $(
                #[doc = concat!("Random `", $name, "` faults per minute of simulated time (0 = none).")]
                pub $rate: f64,
                #[doc = concat!("Mean duration of a random `", $name, "` fault, milliseconds.")]
                pub $mean: f64,
            )*
        }

        impl Default for RandomFaults {
            fn default() -> Self {
                RandomFaults {
                    $(
                        $rate: 0.0,
                        $mean: $mean_default,
                    )*
                }
            }
        }

        impl RandomFaults {
            /// Random faults of kind `t` per minute of simulated time (0 = none).
            pub(crate) fn rate_per_min(&self, t: FaultType) -> f64 {
                match t {
                    $(FaultType::$variant => self.$rate,)*
                }
            }

            /// Mean duration of a random fault of kind `t`, milliseconds.
            pub(crate) fn mean_ms(&self, t: FaultType) -> f64 {
                match t {
                    $(FaultType::$variant => self.$mean,)*
                }
            }
        }
    };
}

fault_type_table!(define_fault_types);

impl FaultType {
    /// The kind named `name` (`crash-leader`).
    pub fn parse(name: &str) -> Option<FaultType> {
        FaultType::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The names of `kinds`, comma-separated (`crash, crash-leader`), for messages.
    pub fn list(kinds: &[FaultType]) -> String {
        kinds.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for FaultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A node of the simulated system, as named in scenario files.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// Every producer's machine (`producer`).
    Producer,
    /// The KRaft controller (`controller`).
    Controller,
    /// Broker `n` (`bn`).
    Broker(u32),
    /// One producer machine: a `[[producers]]` `host`, or the name of a producer without one
    /// (resolved against the scenario's producers when the fault is parsed).
    Host(String),
}

impl Node {
    /// Parses a node's name: `producer`, `controller` or `b0`, `b1`, ...
    pub(crate) fn parse(s: &str) -> Option<Node> {
        match s {
            "producer" => Some(Node::Producer),
            "controller" => Some(Node::Controller),
            _ => s
                .strip_prefix('b')
                .and_then(|n| n.parse::<u32>().ok())
                .map(Node::Broker),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Producer => f.write_str("producer"),
            Node::Controller => f.write_str("controller"),
            Node::Broker(b) => write!(f, "b{b}"),
            Node::Host(h) => f.write_str(h),
        }
    }
}

/// One scheduled fault: starts at `at_ms`, heals after `duration_ms` (or at the end of the
/// production window when `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Start, milliseconds of simulated time.
    pub at_ms: u64,
    /// How long it lasts, milliseconds (`None`: to the end of the production window).
    pub duration_ms: Option<u64>,
    /// What it does, to whom.
    pub kind: FaultKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fault of each kind, in the order of [`FaultType::ALL`].
    fn one_of_each() -> Vec<FaultKind> {
        vec![
            FaultKind::Crash { broker: 0 },
            FaultKind::PowerLoss { brokers: vec![0, 1] },
            FaultKind::crash_leader(0),
            FaultKind::isolate_leader(0),
            FaultKind::Partition {
                groups: vec![vec![Node::Broker(0)], vec![Node::Broker(1)]],
                one_way: false,
            },
            FaultKind::SlowLink {
                from: Node::Producer,
                to: Node::Broker(0),
                extra_latency_ms: 1.0,
                bandwidth_factor: 1.0,
            },
            FaultKind::LoseResponses { probability: 0.5 },
            FaultKind::ProducerCrash {
                producer: "default".into(),
            },
        ]
    }

    /// The names and their order are part of the file format and of every random-fault run
    /// (the draw goes through `ALL` in order): they must not change.
    #[test]
    fn names_and_order_are_pinned() {
        assert_eq!(
            FaultType::NAMES,
            [
                "crash",
                "power-loss",
                "crash-leader",
                "isolate-leader",
                "partition",
                "slow-link",
                "lose-responses",
                "producer-crash"
            ]
        );
        let types: Vec<FaultType> = one_of_each().iter().map(FaultKind::fault_type).collect();
        assert_eq!(types, FaultType::ALL);
        for (k, name) in one_of_each().iter().zip(FaultType::NAMES) {
            assert_eq!(k.name(), *name);
        }
    }

    #[test]
    fn names_parse_back_and_nothing_else_does() {
        for (&t, &name) in FaultType::ALL.iter().zip(FaultType::NAMES) {
            assert_eq!(t.name(), name);
            assert_eq!(t.to_string(), name);
            assert_eq!(FaultType::parse(name), Some(t));
        }
        for bad in ["", "Crash", "crash_leader", "crash-ledaer", "power loss", " crash"] {
            assert_eq!(FaultType::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            FaultType::list(&[FaultType::Crash, FaultType::PowerLoss]),
            "crash, power-loss"
        );
        assert_eq!(FaultType::list(&[]), "");
    }

    /// Each kind reads its own `[random_faults]` fields, and the defaults are the table's.
    #[test]
    fn random_faults_read_each_kind_s_own_fields() {
        let d = RandomFaults::default();
        assert_eq!(d.crash_mean_ms, 15_000.0);
        assert_eq!(d.slow_link_mean_ms, 10_000.0);
        assert_eq!(d.lose_responses_mean_ms, 5_000.0);
        for &t in FaultType::ALL {
            assert_eq!(d.rate_per_min(t), 0.0, "{t}");
        }
        let r = RandomFaults {
            crash_per_min: 1.0,
            power_loss_per_min: 2.0,
            crash_leader_per_min: 3.0,
            isolate_leader_per_min: 4.0,
            partition_per_min: 5.0,
            slow_link_per_min: 6.0,
            lose_responses_per_min: 7.0,
            producer_crash_per_min: 8.0,
            crash_mean_ms: 10.0,
            power_loss_mean_ms: 20.0,
            crash_leader_mean_ms: 30.0,
            isolate_leader_mean_ms: 40.0,
            partition_mean_ms: 50.0,
            slow_link_mean_ms: 60.0,
            lose_responses_mean_ms: 70.0,
            producer_crash_mean_ms: 80.0,
        };
        for (i, &t) in FaultType::ALL.iter().enumerate() {
            assert_eq!(r.rate_per_min(t), (i + 1) as f64, "{t}");
            assert_eq!(r.mean_ms(t), 10.0 * (i + 1) as f64, "{t}");
        }
    }

    /// The `[[faults]]` grammar: which keys each kind takes (the parser allows exactly these).
    #[test]
    fn keys_are_pinned() {
        assert_eq!(FaultType::Crash.keys(), ["broker"]);
        assert_eq!(FaultType::PowerLoss.keys(), ["brokers"]);
        assert_eq!(FaultType::CrashLeader.keys(), ["partition", "topic"]);
        assert_eq!(FaultType::IsolateLeader.keys(), ["partition", "topic"]);
        assert_eq!(FaultType::Partition.keys(), ["groups", "one_way"]);
        assert_eq!(
            FaultType::SlowLink.keys(),
            ["from", "to", "extra_latency_ms", "bandwidth_factor", "one_way"]
        );
        assert_eq!(FaultType::LoseResponses.keys(), ["probability"]);
        assert_eq!(FaultType::ProducerCrash.keys(), ["producer"]);
    }
}
