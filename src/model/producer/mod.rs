//! The Java producer's internals, where Kafka keeps them (`org.apache.kafka.clients.producer.internals`):
//! `RecordAccumulator` with the `BufferPool` ([`accumulator`]), the `BuiltInPartitioner`
//! ([`partitioner`]),
//! and the `Sender` with its `NetworkClient` and `TransactionManager` ([`sender`]). The
//! application threads calling `send()` are `model/app.rs`; [`client`] puts them together as
//! one `KafkaProducer` and its application, a component with its own handlers.

pub(crate) mod accumulator;
pub(crate) mod client;
pub(crate) mod partitioner;
pub(crate) mod sender;
