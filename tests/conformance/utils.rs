//! `UtilsTest` (clients/src/test/java/org/apache/kafka/common/utils) and the keyed partition
//! choice of `BuiltInPartitioner.partitionForKey`: prodsim's [`murmur2`].

use prodsim::model::components::{murmur2, partition_for_key, to_positive};

/// `UtilsTest.testMurmur2`: Kafka's own test vectors.
#[test]
fn murmur2_matches_kafkas_vectors() {
    let cases: [(&[u8], i32); 6] = [
        (b"21", -973932308),
        (b"foobar", -790332482),
        (b"a-little-bit-long-string", -985981536),
        (b"a-little-bit-longer-string", -1486304829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        (b"abc", 479470107),
    ];
    for (k, v) in cases {
        assert_eq!(murmur2(k), v, "{:?}", std::str::from_utf8(k));
    }
}

/// `BuiltInPartitioner.partitionForKey` (as `DefaultPartitionerTest.testKeyPartitionIsStable`):
/// a key's partition is `toPositive(murmur2(key)) % partitions`, the same every time.
#[test]
fn a_keys_partition_is_positive_murmur2_modulo_partitions() {
    for key in [&b"21"[..], b"foobar", b"abc"] {
        let p = partition_for_key(key, 6);
        assert_eq!(p, to_positive(murmur2(key)) % 6);
        assert_eq!(partition_for_key(key, 6), p);
    }
    assert_eq!(to_positive(-1), 0x7fff_ffff);
}
