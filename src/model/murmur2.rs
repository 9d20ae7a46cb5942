//! Kafka's `Utils.murmur2` and `Utils.toPositive`, used by the built-in partitioner for keyed
//! records: `partition = toPositive(murmur2(keyBytes)) % numPartitions` ([BIP]
//! `partitionForKey`, reference 2.2).

/// `org.apache.kafka.common.utils.Utils.murmur2`: 32-bit wrapping arithmetic, little-endian
/// blocks, seed 0x9747b28c.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let blocks = length / 4;
    for i in 0..blocks {
        let b = &data[i * 4..i * 4 + 4];
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = &data[blocks * 4..];
    // Java's switch with fall-through over length % 4.
    if tail.len() >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clears the sign bit (not `abs`).
pub fn to_positive(v: i32) -> u32 {
    (v as u32) & 0x7fff_ffff
}

/// `BuiltInPartitioner.partitionForKey`.
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    to_positive(murmur2(key)) % partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors of `UtilsTest.testMurmur2` (reference 2.2).
    #[test]
    fn kafka_test_vectors() {
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn partitions_of_the_vectors_with_six_partitions() {
        let keys: [&[u8]; 6] = [
            b"21",
            b"foobar",
            b"a-little-bit-long-string",
            b"a-little-bit-longer-string",
            b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            b"abc",
        ];
        let parts: Vec<u32> = keys.iter().map(|k| partition_for_key(k, 6)).collect();
        assert_eq!(parts, vec![0, 0, 2, 5, 5, 3]);
    }
}
