//! Kafka's history as data: releases, and the defaults and behaviours that changed between
//! them and matter for delivery.
//!
//! Each row of [`HISTORY`] says that from release `since` on, a key's default is `value`, and
//! cites the KIP or JIRA. A run's release (`cluster.kafka_version`, and
//! `producer.client_version` for the client's keys) picks, for every key the scenario does not
//! set itself, the value of the latest row at or before that release; the first row of a key
//! covers every older release. The default release is [`DEFAULT_VERSION`], whose values are the
//! knob table's defaults (a test checks it), so a scenario that names no version runs as before.
//! Where a release changed a behaviour rather than a config, the key is a model switch named
//! after the behaviour (`cluster.follower_truncation`, `cluster.hw_requires_min_isr`, ...).

use std::cmp::Ordering;
use std::fmt;

/// A Kafka release, `major.minor` with an optional patch (`0.10`, `3.7`, `3.0.1`). Compared
/// number by number: 0.10 comes after 0.9 and is not 0.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KafkaVersion {
    major: u8,
    minor: u8,
    patch: Option<u8>,
}

/// The release lines prodsim knows, oldest first: a version names one of them (and may add a
/// patch).
pub const RELEASES: &[&str] = &[
    "0.8", "0.9", "0.10", "0.11", "1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "3.0",
    "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.0", "4.1",
];

/// The release a scenario runs when it names none: today's behaviour.
pub const DEFAULT_VERSION: &str = "4.0";

impl KafkaVersion {
    /// Parses `"0.10"`, `"3.7"`, `"3.0.1"`: a known release line, optionally a patch.
    pub fn parse(s: &str) -> Option<KafkaVersion> {
        let mut parts = s.split('.');
        let num = |p: Option<&str>| -> Option<u8> {
            let p = p?;
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        let patch = match parts.next() {
            None => None,
            p => Some(num(p)?),
        };
        if parts.next().is_some() {
            return None;
        }
        let line = format!("{major}.{minor}");
        RELEASES
            .contains(&line.as_str())
            .then_some(KafkaVersion { major, minor, patch })
    }

    /// As a scenario writes it.
    pub fn as_str(&self) -> String {
        match self.patch {
            Some(p) => format!("{}.{}.{p}", self.major, self.minor),
            None => format!("{}.{}", self.major, self.minor),
        }
    }

    fn key(&self) -> (u8, u8, u8) {
        (self.major, self.minor, self.patch.unwrap_or(0))
    }
}

impl Default for KafkaVersion {
    fn default() -> Self {
        KafkaVersion::parse(DEFAULT_VERSION).expect("the default release is known")
    }
}

impl Ord for KafkaVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for KafkaVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// Whose release decides a key: the brokers' and controller's (`cluster.kafka_version`) or the
/// client's (`producer.client_version`, else the cluster's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Brokers and controller.
    Cluster,
    /// The producer client.
    Client,
}

/// One change of a key's default: from release `since` on, the key's value is `value` (as a
/// TOML value: `5`, `true`, `"leader_epoch"`).
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// The registry key (`producer.linger_ms`).
    pub key: &'static str,
    /// First release with this value; the oldest row of a key is written `"0.8"` and covers
    /// every release before the next row.
    pub since: &'static str,
    /// The value, as a TOML literal.
    pub value: &'static str,
    /// The KIP or JIRA that made the change, and what it was.
    pub source: &'static str,
}

impl Change {
    /// Brokers' and controller's keys follow the cluster's release, `producer.*` the client's.
    pub fn side(&self) -> Side {
        if self.key.starts_with("producer.") {
            Side::Client
        } else {
            Side::Cluster
        }
    }
}

/// The history: per key, its rows oldest first. Every row's key is a registry key and its value
/// a valid value of it; the newest row at or before [`DEFAULT_VERSION`] is the knob table's
/// default (tests check both).
#[rustfmt::skip]
pub const HISTORY: &[Change] = &[
    // ---- the client ----
    Change { key: "producer.acks", since: "0.8", value: "\"1\"",
        source: "acks default 1 before 3.0" },
    Change { key: "producer.acks", since: "3.0", value: "\"all\"",
        source: "KIP-679: acks=all by default (3.0)" },
    Change { key: "producer.idempotence_default_on", since: "0.8", value: "false",
        source: "enable.idempotence default false before 3.0; in 3.0.0 and 3.1.0 the new default did not take effect unless set (KAFKA-13598, fixed in 3.0.1, 3.1.1, 3.2.0)" },
    Change { key: "producer.idempotence_default_on", since: "3.2", value: "true",
        source: "KIP-679 / KAFKA-13598 / KAFKA-13673: idempotence on by default, silently off when acks != all or retries = 0 (3.2)" },
    Change { key: "producer.retries", since: "0.8", value: "0",
        source: "retries default 0 before 2.1" },
    Change { key: "producer.retries", since: "2.1", value: "2147483647",
        source: "KIP-91: retries = Integer.MAX_VALUE, bounded by delivery.timeout.ms (2.1)" },
    Change { key: "producer.retry_backoff_max_ms", since: "0.8", value: "100",
        source: "a constant retry.backoff.ms before 3.7" },
    Change { key: "producer.retry_backoff_max_ms", since: "3.7", value: "1000",
        source: "KIP-580: exponential retry backoff up to retry.backoff.max.ms = 1000 (3.7)" },
    Change { key: "producer.linger_ms", since: "0.8", value: "0",
        source: "linger.ms default 0 before 4.0" },
    Change { key: "producer.linger_ms", since: "4.0", value: "5",
        source: "KIP-1030: linger.ms default 5 (4.0)" },
    // ---- brokers and controller ----
    Change { key: "cluster.unclean_leader_election_enable", since: "0.8", value: "true",
        source: "unclean.leader.election.enable default true before 0.11" },
    Change { key: "cluster.unclean_leader_election_enable", since: "0.11", value: "false",
        source: "KIP-106: unclean leader election off by default (0.11)" },
    Change { key: "cluster.follower_truncation", since: "0.8", value: "\"high_watermark\"",
        source: "a follower truncated to its high watermark before 0.11" },
    Change { key: "cluster.follower_truncation", since: "0.11", value: "\"leader_epoch_single_round\"",
        source: "KIP-101: truncation by leader epoch, one OffsetsForLeaderEpoch round (0.11)" },
    Change { key: "cluster.follower_truncation", since: "2.0", value: "\"leader_epoch\"",
        source: "KIP-279: multi-round epoch lookup, bounded by the follower's own epoch end (2.0)" },
    Change { key: "cluster.replica_lag_time_max_ms", since: "0.8", value: "10000",
        source: "replica.lag.time.max.ms default 10 s before 2.5" },
    Change { key: "cluster.replica_lag_time_max_ms", since: "2.5", value: "30000",
        source: "KIP-537: replica.lag.time.max.ms 30 s (2.5)" },
    Change { key: "cluster.broker_session_timeout_ms", since: "0.8", value: "6000",
        source: "ZooKeeper era: zookeeper.session.timeout.ms 6 s before 2.5" },
    Change { key: "cluster.broker_session_timeout_ms", since: "2.5", value: "18000",
        source: "KIP-537: zookeeper.session.timeout.ms 18 s (2.5)" },
    Change { key: "cluster.broker_session_timeout_ms", since: "3.3", value: "9000",
        source: "KRaft production-ready (KIP-833, 3.3): broker.session.timeout.ms 9 s" },
    Change { key: "cluster.broker_bounce_detection", since: "0.8", value: "false",
        source: "a ZooKeeper controller missed a broker that restarted inside its session before 2.2" },
    Change { key: "cluster.broker_bounce_detection", since: "2.2", value: "true",
        source: "KIP-380: broker epochs let the controller detect a bounced broker (2.2)" },
    Change { key: "cluster.hw_requires_min_isr", since: "0.8", value: "false",
        source: "the high watermark advanced with any ISR before 3.7" },
    Change { key: "cluster.hw_requires_min_isr", since: "3.7", value: "true",
        source: "KAFKA-15583 (KIP-966 part 1): no HW advance while ISR < min.insync.replicas (3.7)" },
    Change { key: "cluster.eligible_leader_replicas_enable", since: "0.8", value: "false",
        source: "no eligible leader replicas before 4.0 (opt-in in 4.0)" },
    Change { key: "cluster.eligible_leader_replicas_enable", since: "4.1", value: "true",
        source: "KIP-966: ELR on by default for new 4.1 clusters" },
];

/// The value of `change.key` at release `v`: its newest row at or before `v`, else its oldest.
pub fn value_at(key: &str, v: KafkaVersion) -> Option<&'static str> {
    let rows: Vec<&Change> = HISTORY.iter().filter(|c| c.key == key).collect();
    let first = rows.first()?;
    let at = rows
        .iter()
        .rev()
        .find(|c| KafkaVersion::parse(c.since).is_some_and(|s| s <= v))
        .unwrap_or(first);
    Some(at.value)
}

/// The keys with a history, each once, in table order.
pub fn history_keys() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in HISTORY {
        if !out.contains(&c.key) {
            out.push(c.key);
        }
    }
    out
}

/// "0.11: false (KIP-106 ...); 2.0: ..." for the key reference: the releases where `key`'s
/// default changed (its oldest row is the value before them).
pub fn changes_text(key: &str) -> Option<String> {
    let rows: Vec<&Change> = HISTORY.iter().filter(|c| c.key == key).collect();
    let (first, rest) = rows.split_first()?;
    let mut s = format!("before {}: {}", rest.first().map_or("now", |c| c.since), first.value);
    for c in rest {
        s.push_str(&format!("; {}: {} ({})", c.since, c.value, c.source));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> KafkaVersion {
        KafkaVersion::parse(s).unwrap()
    }

    #[test]
    fn versions_compare_number_by_number() {
        assert!(v("0.10") > v("0.9"), "0.10 is not 0.1");
        assert!(v("0.11") > v("0.10"));
        assert!(v("2.0") > v("0.11"));
        assert!(v("3.0.1") > v("3.0"));
        assert!(v("3.1") > v("3.0.1"));
        assert_eq!(v("4.0").as_str(), "4.0");
        assert_eq!(v("3.0.1").as_str(), "3.0.1");
    }

    #[test]
    fn unknown_or_malformed_versions_are_refused() {
        for bad in [
            "0.1", "5.0", "4", "4.", "4.0.", "4.0.1.2", "v4.0", "4.0 ", "-1.0", "4.x", "",
        ] {
            assert_eq!(KafkaVersion::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_row_names_a_known_release_in_order() {
        for key in history_keys() {
            let rows: Vec<&Change> = HISTORY.iter().filter(|c| c.key == key).collect();
            assert_eq!(rows[0].since, "0.8", "{key}: the first row covers every older release");
            for w in rows.windows(2) {
                assert!(v(w[0].since) < v(w[1].since), "{key}: rows oldest first");
            }
        }
    }

    #[test]
    fn a_key_takes_its_newest_row_at_or_before_the_release() {
        let k = "cluster.follower_truncation";
        assert_eq!(value_at(k, v("0.10")), Some("\"high_watermark\""));
        assert_eq!(value_at(k, v("0.11")), Some("\"leader_epoch_single_round\""));
        assert_eq!(value_at(k, v("1.1")), Some("\"leader_epoch_single_round\""));
        assert_eq!(value_at(k, v("2.0")), Some("\"leader_epoch\""));
        assert_eq!(value_at(k, v("4.1")), Some("\"leader_epoch\""));
        assert_eq!(value_at("cluster.broker_session_timeout_ms", v("2.8")), Some("18000"));
        assert_eq!(value_at("cluster.broker_session_timeout_ms", v("3.3")), Some("9000"));
        assert_eq!(value_at("producer.batch_size", v("0.8")), None);
    }
}
