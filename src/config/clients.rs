//! Several producers and several topics (`[[producers]]`, `[[topics]]`): each producer is its
//! own `KafkaProducer` (connections, buffer pool, producer id, sequences) on its own machine
//! unless a `host` co-locates several; topics are placed on the brokers together.
//!
//! A scenario without `[[producers]]` has one producer, `default`, built from `[producer]` and
//! `[workload]`; without `[[topics]]`, one topic, `default`, from `[cluster]`. Everything the
//! model reads goes through [`RunSpec::producer_list`] and [`RunSpec::topic_list`], so a
//! single-producer run is exactly what it was before these existed.

use super::{ClusterConfig, ConsumerConfig, ProducerConfig, RunSpec, WorkloadConfig};

/// The name of the one producer (and the one topic) of a scenario without `[[producers]]`
/// (`[[topics]]`).
pub const DEFAULT_NAME: &str = "default";

/// Record identities of producer `i` in a partition's log start at `i << IDENTITY_BITS`: each
/// producer numbers its records per partition from 0, and the checker tells them apart by the
/// high bits (producer 0's identities are its own numbers).
pub const IDENTITY_BITS: u32 = 40;

/// One `[[producers]]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerEntry {
    /// Its name (a plain name: letters, digits, `_`, `-`).
    pub name: String,
    /// The topic it writes to (`None`: the only topic).
    pub topic: Option<String>,
    /// Its machine: producers with the same host share one NIC (`None`: a machine of its own).
    pub host: Option<String>,
    /// Instances of this producer (`count`: N application instances, each its own
    /// `KafkaProducer` named `NAME-1` .. `NAME-N`, each on its own machine unless `host` puts
    /// them on one).
    pub count: u32,
    /// The `[producer]` and `[workload]` keys the entry sets (`producer.acks`), in the order
    /// set; every other key falls back to the top level's value.
    pub set: Vec<(String, toml::Value)>,
    /// The configuration the producer runs with: the top level's, then `set` (filled by the
    /// scenario layer when it expands a run: `scenario::resolve_producers`).
    pub producer: ProducerConfig,
    /// Its application (rate, arrival, records, keys, threads), resolved likewise.
    pub workload: WorkloadConfig,
}

/// One `[[topics]]` entry: unset fields fall back to `[cluster]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TopicEntry {
    /// Its name.
    pub name: String,
    /// `num.partitions`.
    pub partitions: Option<u32>,
    /// `replication.factor`.
    pub replication_factor: Option<u32>,
    /// `min.insync.replicas`.
    pub min_insync_replicas: Option<u32>,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election_enable: Option<bool>,
}

/// A topic as the model sees it: its partitions are the cluster-wide partitions
/// `first..first + partitions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    /// Its name.
    pub name: String,
    /// Its first partition in the cluster-wide numbering.
    pub first: u32,
    /// `num.partitions`.
    pub partitions: u32,
    /// `replication.factor`.
    pub replication_factor: u32,
    /// `min.insync.replicas`.
    pub min_insync_replicas: u32,
    /// `unclean.leader.election.enable`.
    pub unclean: bool,
}

/// One `[[consumers]]` entry: `count` members of consumer group `group` reading `topics`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerEntry {
    /// Its name (a plain name).
    pub name: String,
    /// Its consumer group (`group.id`; `None`: its own name). Entries naming one group share
    /// its partitions; different groups each read every record.
    pub group: Option<String>,
    /// The topics it subscribes to (empty: every topic).
    pub topics: Vec<String>,
    /// Its machine, in the producers' namespace of hosts (`None`: a machine of its own).
    pub host: Option<String>,
    /// Members (`count` instances `NAME-1` .. `NAME-N`, each its own `KafkaConsumer`).
    pub count: u32,
    /// The `[consumer]` keys the entry sets, in the order set.
    pub set: Vec<(String, toml::Value)>,
    /// The configuration it runs with: the top level's `[consumer]`, then `set` (filled by
    /// `scenario::resolve_consumers`).
    pub consumer: ConsumerConfig,
}

/// A consumer (one group member) as the model sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    /// Its name.
    pub name: String,
    /// Index of its group (in order of first appearance).
    pub group: usize,
    /// Its group's name.
    pub group_name: String,
    /// Indexes of its topics in [`RunSpec::topic_list`].
    pub topics: Vec<usize>,
    /// Index of its machine (shared with producers of the same host name).
    pub host: usize,
    /// Its host's name (its own name when it has a machine of its own).
    pub host_name: String,
    /// Its configuration.
    pub consumer: ConsumerConfig,
}

/// A producer as the model sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Producer {
    /// Its name.
    pub name: String,
    /// Index of its topic in [`RunSpec::topic_list`].
    pub topic: usize,
    /// Index of its machine (producers sharing a host share one).
    pub host: usize,
    /// Its host's name (its own name when it has a machine of its own).
    pub host_name: String,
    /// Its configuration.
    pub producer: ProducerConfig,
    /// Its application.
    pub workload: WorkloadConfig,
}

/// The `count` instances of entry `name` (`NAME-1` .. `NAME-N`, or `NAME` alone): each one's
/// name, host name (`host`, or its own name: a machine of its own) and index in `hosts`, which
/// gains the host names not seen before.
fn instances(name: &str, count: u32, host: Option<&str>, hosts: &mut Vec<String>) -> Vec<(String, String, usize)> {
    (1..=count.max(1))
        .map(|k| {
            let name = if count > 1 {
                format!("{name}-{k}")
            } else {
                name.to_string()
            };
            let host_name = host.map_or_else(|| name.clone(), str::to_string);
            let index = hosts.iter().position(|h| *h == host_name).unwrap_or_else(|| {
                hosts.push(host_name.clone());
                hosts.len() - 1
            });
            (name, host_name, index)
        })
        .collect()
}

impl ConsumerEntry {
    /// An entry named `name` reading every topic with the top level's `[consumer]`.
    pub fn named(name: &str) -> ConsumerEntry {
        ConsumerEntry {
            name: name.to_string(),
            group: None,
            topics: Vec::new(),
            host: None,
            count: 1,
            set: Vec::new(),
            consumer: ConsumerConfig::default(),
        }
    }
}

impl RunSpec {
    /// The topics, in order, with their cluster-wide partition ranges.
    pub fn topic_list(&self) -> Vec<Topic> {
        let c = &self.cluster;
        if self.topics.is_empty() {
            return vec![Topic {
                name: DEFAULT_NAME.into(),
                first: 0,
                partitions: c.partitions,
                replication_factor: c.replication_factor,
                min_insync_replicas: c.min_insync_replicas,
                unclean: c.unclean_leader_election_enable,
            }];
        }
        let mut first = 0;
        self.topics
            .iter()
            .map(|t| {
                let topic = Topic {
                    name: t.name.clone(),
                    first,
                    partitions: t.partitions.unwrap_or(c.partitions),
                    replication_factor: t.replication_factor.unwrap_or(c.replication_factor),
                    min_insync_replicas: t.min_insync_replicas.unwrap_or(c.min_insync_replicas),
                    unclean: t
                        .unclean_leader_election_enable
                        .unwrap_or(c.unclean_leader_election_enable),
                };
                first += topic.partitions;
                topic
            })
            .collect()
    }

    /// Partitions over all topics.
    pub fn total_partitions(&self) -> u32 {
        if self.topics.is_empty() {
            self.cluster.partitions
        } else {
            self.topic_list().iter().map(|t| t.partitions).sum()
        }
    }

    /// The cluster-wide partition a leader fault names: partition `partition` of `topic`
    /// (`None`: already cluster-wide). `None` when this run has no such topic or partition (a
    /// sweep point may give the topic, or a topic before it, another partition count).
    pub fn fault_partition(&self, topic: Option<&str>, partition: u32) -> Option<u32> {
        match topic {
            None => (partition < self.total_partitions()).then_some(partition),
            Some(name) => self
                .topic_list()
                .into_iter()
                .find(|t| t.name == name)
                .filter(|t| partition < t.partitions)
                .map(|t| t.first + partition),
        }
    }

    /// The producers, in order (one, `default`, without `[[producers]]`).
    pub fn producer_list(&self) -> Vec<Producer> {
        if self.producers.is_empty() {
            return vec![Producer {
                name: DEFAULT_NAME.into(),
                topic: 0,
                host: 0,
                host_name: "producer".into(),
                producer: self.producer.clone(),
                workload: self.workload.clone(),
            }];
        }
        let topics = self.topic_list();
        let mut hosts: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for e in &self.producers {
            let topic = match &e.topic {
                Some(t) => topics.iter().position(|x| x.name == *t).unwrap_or(0),
                None => 0,
            };
            for (name, host_name, host) in instances(&e.name, e.count, e.host.as_deref(), &mut hosts) {
                out.push(Producer {
                    name,
                    topic,
                    host,
                    host_name,
                    producer: e.producer.clone(),
                    workload: e.workload.clone(),
                });
            }
        }
        out
    }

    /// Host names of every producer, in index order (what [`Producer::host`] indexes); the
    /// consumers' hosts continue the list.
    fn host_names(&self) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for p in self.producer_list() {
            if !hosts.contains(&p.host_name) {
                hosts.push(p.host_name);
            }
        }
        hosts
    }

    /// The consumers (group members), in order: each `[[consumers]]` entry's `count` members.
    pub fn consumer_list(&self) -> Vec<Consumer> {
        let topics = self.topic_list();
        let mut hosts = self.host_names();
        let mut groups: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for e in &self.consumers {
            let group_name = e.group.clone().unwrap_or_else(|| e.name.clone());
            let group = groups.iter().position(|g| *g == group_name).unwrap_or_else(|| {
                groups.push(group_name.clone());
                groups.len() - 1
            });
            let mine: Vec<usize> = if e.topics.is_empty() {
                (0..topics.len()).collect()
            } else {
                e.topics
                    .iter()
                    .filter_map(|t| topics.iter().position(|x| x.name == *t))
                    .collect()
            };
            for (name, host_name, host) in instances(&e.name, e.count, e.host.as_deref(), &mut hosts) {
                out.push(Consumer {
                    name,
                    group,
                    group_name: group_name.clone(),
                    topics: mine.clone(),
                    host,
                    host_name,
                    consumer: e.consumer.clone(),
                });
            }
        }
        out
    }

    /// The run as producer `p`'s client sees it: its own `[producer]` and `[workload]`, and its
    /// topic's partitions as `cluster.partitions` (the client numbers them from 0).
    pub fn client_view(&self, p: &Producer, topic: &Topic) -> RunSpec {
        let mut v = self.clone();
        v.producer = p.producer.clone();
        v.workload = p.workload.clone();
        v.cluster = ClusterConfig {
            partitions: topic.partitions,
            replication_factor: topic.replication_factor,
            min_insync_replicas: topic.min_insync_replicas,
            unclean_leader_election_enable: topic.unclean,
            ..self.cluster.clone()
        };
        v.producers.clear();
        v.topics.clear();
        v.consumers.clear();
        v
    }

    /// `(replication factor, min.insync.replicas, unclean.leader.election.enable)` of
    /// cluster-wide partition `p`'s topic (no allocation: the brokers ask per request).
    pub fn partition_settings(&self, p: u32) -> (u32, u32, bool) {
        let c = &self.cluster;
        let mut first = 0;
        for t in &self.topics {
            first += t.partitions.unwrap_or(c.partitions);
            if p < first {
                return (
                    t.replication_factor.unwrap_or(c.replication_factor),
                    t.min_insync_replicas.unwrap_or(c.min_insync_replicas),
                    t.unclean_leader_election_enable
                        .unwrap_or(c.unclean_leader_election_enable),
                );
            }
        }
        (
            c.replication_factor,
            c.min_insync_replicas,
            c.unclean_leader_election_enable,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, host: Option<&str>, topic: Option<&str>) -> ProducerEntry {
        ProducerEntry {
            name: name.into(),
            topic: topic.map(Into::into),
            host: host.map(Into::into),
            count: 1,
            set: Vec::new(),
            producer: ProducerConfig::default(),
            workload: WorkloadConfig::default(),
        }
    }

    #[test]
    fn without_entries_one_producer_and_one_topic_from_the_sections() {
        let spec = RunSpec::default();
        let t = spec.topic_list();
        assert_eq!((t.len(), t[0].first, t[0].partitions), (1, 0, spec.cluster.partitions));
        let p = spec.producer_list();
        assert_eq!((p.len(), p[0].name.as_str()), (1, DEFAULT_NAME));
        let v = spec.client_view(&p[0], &t[0]);
        assert_eq!(v, spec, "the single producer's view is the run itself");
    }

    #[test]
    fn topics_number_partitions_in_order_and_fall_back_to_the_cluster() {
        let mut spec = RunSpec::default();
        spec.cluster.min_insync_replicas = 2;
        spec.topics = vec![
            TopicEntry {
                name: "a".into(),
                partitions: Some(3),
                ..TopicEntry::default()
            },
            TopicEntry {
                name: "b".into(),
                partitions: Some(2),
                min_insync_replicas: Some(1),
                ..TopicEntry::default()
            },
        ];
        let t = spec.topic_list();
        assert_eq!((t[1].first, t[1].partitions, t[1].min_insync_replicas), (3, 2, 1));
        assert_eq!(t[0].min_insync_replicas, 2);
        assert_eq!(spec.total_partitions(), 5);
        // Partition 3 is topic b's first (its min ISR), partition 2 topic a's last.
        assert_eq!(spec.partition_settings(3).1, 1);
        assert_eq!(spec.partition_settings(2).1, 2);
    }

    #[test]
    fn producers_with_one_host_share_a_machine() {
        let mut spec = RunSpec {
            producers: vec![
                entry("a", Some("app1"), None),
                entry("b", None, None),
                entry("c", Some("app1"), None),
            ],
            ..RunSpec::default()
        };
        let hosts: Vec<usize> = spec.producer_list().iter().map(|p| p.host).collect();
        assert_eq!(hosts, vec![0, 1, 0]);
        // `count` makes instances, each on its own machine unless a host is given.
        spec.producers[1].count = 3;
        let list = spec.producer_list();
        let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b-1", "b-2", "b-3", "c"]);
        let hosts: Vec<usize> = list.iter().map(|p| p.host).collect();
        assert_eq!(hosts, vec![0, 1, 2, 3, 0]);
    }
}
