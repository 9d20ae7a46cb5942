//! Kafka's own producer config names: every key Kafka's producer accepts, and the serializer
//! classes whose output size is fixed.
//!
//! Source: the `apache/kafka` trunk snapshot at commit
//! `1eb7644349cb07139d6a3c1ad1986979647cac99` (2024-10-25), the one the semantics reference
//! cites (`../shared/reference/kafka-semantics.md` section 0):
//! `clients/src/main/java/org/apache/kafka/clients/producer/ProducerConfig.java` (the `CONFIG`
//! definition, whose names come from `CommonClientConfigs`, `SecurityConfig`, and, through
//! `withClientSslSupport()` / `withClientSaslSupport()`, `SslConfigs.addClientSslSupport` and
//! `SaslConfigs.addClientSaslSupport`), and the serializers of
//! `clients/src/main/java/org/apache/kafka/common/serialization/`.

/// Every name `ProducerConfig.CONFIG` defines, in definition order. Those the key registry
/// models are accepted as aliases of their registry key (`linger.ms` = `producer.linger_ms`);
/// `key.serializer` / `value.serializer` set record sizes ([`serializer_size`]); the others are
/// accepted with a note that they have no effect.
pub(crate) const PRODUCER_CONFIGS: &[&str] = &[
    "bootstrap.servers",
    "client.dns.lookup",
    "buffer.memory",
    "retries",
    "acks",
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "batch.size",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.ignore.keys",
    "linger.ms",
    "delivery.timeout.ms",
    "client.id",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "max.request.size",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "enable.metrics.push",
    "max.block.ms",
    "request.timeout.ms",
    "metadata.max.age.ms",
    "metadata.max.idle.ms",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "metrics.recording.level",
    "metric.reporters",
    "max.in.flight.requests.per.connection",
    "key.serializer",
    "value.serializer",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "connections.max.idle.ms",
    "partitioner.class",
    "interceptor.classes",
    "security.protocol",
    "security.providers",
    // SslConfigs.addClientSslSupport
    "ssl.protocol",
    "ssl.provider",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.certificates",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.endpoint.identification.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
    // SaslConfigs.addClientSaslSupport
    "sasl.kerberos.service.name",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.buffer.seconds",
    "sasl.mechanism",
    "sasl.jaas.config",
    "sasl.client.callback.handler.class",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.header.urlencode",
    // back in ProducerConfig
    "enable.idempotence",
    "transaction.timeout.ms",
    "transactional.id",
    "metadata.recovery.strategy",
];

/// Which half of a record a serializer config serializes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SerializerRole {
    /// `key.serializer`: `workload.key_bytes`.
    Key,
    /// `value.serializer`: `workload.record_bytes`.
    Value,
}

impl SerializerRole {
    /// The Kafka config name.
    pub(super) fn kafka(self) -> &'static str {
        match self {
            SerializerRole::Key => "key.serializer",
            SerializerRole::Value => "value.serializer",
        }
    }
    /// The registry key holding the serialized size.
    pub(crate) fn size_key(self) -> &'static str {
        match self {
            SerializerRole::Key => "workload.key_bytes",
            SerializerRole::Value => "workload.record_bytes",
        }
    }
    /// `key.serializer` / `value.serializer` -> the role.
    pub(super) fn of(kafka: &str) -> Option<SerializerRole> {
        match kafka {
            "key.serializer" => Some(SerializerRole::Key),
            "value.serializer" => Some(SerializerRole::Value),
            _ => None,
        }
    }
}

/// Package of Kafka's built-in serializers.
pub(crate) const SERIALIZATION_PACKAGE: &str = "org.apache.kafka.common.serialization.";

/// Built-in serializers whose output has one size for every non-null value, in bytes:
/// `IntegerSerializer`, `FloatSerializer` (`floatToRawIntBits`) 4 big-endian bytes,
/// `LongSerializer`, `DoubleSerializer` (`doubleToLongBits`) 8, `ShortSerializer` 2,
/// `BooleanSerializer` 1, `UUIDSerializer` 36 (`UUID.toString()`, 32 hex digits and 4 hyphens,
/// in UTF-8).
const FIXED_SIZE: &[(&str, u32)] = &[
    ("IntegerSerializer", 4),
    ("LongSerializer", 8),
    ("ShortSerializer", 2),
    ("FloatSerializer", 4),
    ("DoubleSerializer", 8),
    ("BooleanSerializer", 1),
    ("UUIDSerializer", 36),
];

/// Built-in serializers whose output size is the data's: the workload's sizes stand for it
/// (`StringSerializer`: the string's bytes; `ByteArraySerializer`, `ByteBufferSerializer`,
/// `BytesSerializer`: the bytes as given; `ListSerializer`: the list's encoding).
const DATA_SIZE: &[&str] = &[
    "StringSerializer",
    "ByteArraySerializer",
    "ByteBufferSerializer",
    "BytesSerializer",
    "ListSerializer",
];

/// What a serializer class means for record sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SerializerSize {
    /// Every serialized key (or value) has this many bytes.
    Fixed(u32),
    /// The size follows the data: the workload's size is used.
    Workload,
    /// A class prodsim does not know (a custom or `VoidSerializer`): the workload's size is used.
    Unknown,
}

/// The serialized size a `key.serializer` / `value.serializer` class (fully qualified, as Kafka
/// requires: `Class.forName`) fixes.
pub(crate) fn serializer_size(class: &str) -> SerializerSize {
    let Some(simple) = class.trim().strip_prefix(SERIALIZATION_PACKAGE) else {
        return SerializerSize::Unknown;
    };
    if let Some(&(_, n)) = FIXED_SIZE.iter().find(|(c, _)| *c == simple) {
        SerializerSize::Fixed(n)
    } else if DATA_SIZE.contains(&simple) {
        SerializerSize::Workload
    } else {
        SerializerSize::Unknown
    }
}

/// The fully qualified name of a built-in serializer written by its simple name
/// (`IntegerSerializer`), for a hint: Kafka needs the fully qualified name.
pub(super) fn qualified_serializer(class: &str) -> Option<String> {
    let simple = class.trim();
    let known = FIXED_SIZE.iter().any(|(c, _)| *c == simple) || DATA_SIZE.contains(&simple);
    (known && !simple.contains('.')).then(|| format!("{SERIALIZATION_PACKAGE}{simple}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producer_configs_are_distinct_and_dotted() {
        let mut names: Vec<&str> = PRODUCER_CONFIGS.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PRODUCER_CONFIGS.len());
        assert_eq!(PRODUCER_CONFIGS.len(), 94);
        assert!(PRODUCER_CONFIGS
            .iter()
            .all(|n| n.contains('.') || *n == "acks" || *n == "retries"));
    }

    #[test]
    fn serializer_sizes() {
        let q = |s: &str| format!("{SERIALIZATION_PACKAGE}{s}");
        assert_eq!(serializer_size(&q("IntegerSerializer")), SerializerSize::Fixed(4));
        assert_eq!(serializer_size(&q("LongSerializer")), SerializerSize::Fixed(8));
        assert_eq!(serializer_size(&q("UUIDSerializer")), SerializerSize::Fixed(36));
        assert_eq!(serializer_size(&q("ShortSerializer")), SerializerSize::Fixed(2));
        assert_eq!(serializer_size(&q("DoubleSerializer")), SerializerSize::Fixed(8));
        assert_eq!(serializer_size(&q("FloatSerializer")), SerializerSize::Fixed(4));
        assert_eq!(
            serializer_size(&format!(" {} ", q("LongSerializer"))),
            SerializerSize::Fixed(8)
        );
        for s in [
            "StringSerializer",
            "ByteArraySerializer",
            "ByteBufferSerializer",
            "BytesSerializer",
        ] {
            assert_eq!(serializer_size(&q(s)), SerializerSize::Workload, "{s}");
        }
        assert_eq!(serializer_size(&q("VoidSerializer")), SerializerSize::Unknown);
        assert_eq!(
            serializer_size("io.confluent.kafka.serializers.KafkaAvroSerializer"),
            SerializerSize::Unknown
        );
        // Kafka loads the class by its fully qualified name: a simple name is not the class.
        assert_eq!(serializer_size("LongSerializer"), SerializerSize::Unknown);
        assert_eq!(qualified_serializer("LongSerializer"), Some(q("LongSerializer")));
        assert_eq!(qualified_serializer("com.x.LongSerializer"), None);
        assert_eq!(qualified_serializer("AvroSerializer"), None);
    }
}
