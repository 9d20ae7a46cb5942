//! Byte accounting of the record batch format v2 (magic 2), exactly as the Java client counts
//! it: `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`, `DefaultRecord.sizeInBytes`,
//! `ByteUtils.sizeOfVarint/Varlong`, `AbstractRecords.estimateSizeInBytesUpperBound`
//! (reference section 3).

/// `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`: the v2 batch header.
pub(super) const RECORD_BATCH_OVERHEAD: u32 = 61;

/// `DefaultRecord.MAX_RECORD_OVERHEAD`: 5 (length) + 10 (timestamp delta) + 5 (offset delta)
/// + 1 (attributes).
pub(super) const MAX_RECORD_OVERHEAD: u32 = 21;

/// `ByteUtils.sizeOfVarint`: zig-zag encoded 32-bit varint size.
#[inline]
pub(super) fn size_of_varint(value: i32) -> u32 {
    let v = ((value << 1) ^ (value >> 31)) as u32;
    // (38 - leadingZeros) / 7 as in ByteUtils, with v == 0 -> 1.
    let lz = v.leading_zeros();
    (38 - lz) / 7 + (lz >> 5)
}

/// `ByteUtils.sizeOfVarlong`: zig-zag encoded 64-bit varint size.
#[inline]
pub(super) fn size_of_varlong(value: i64) -> u32 {
    let v = ((value << 1) ^ (value >> 63)) as u64;
    let lz = v.leading_zeros();
    (70 - lz) / 7 + (lz >> 6)
}

/// Size of the key or value part of a record: varint length plus bytes (-1 for null).
#[inline]
fn part_size(len: Option<u32>) -> u32 {
    match len {
        None => 1,
        Some(n) => size_of_varint(n as i32) + n,
    }
}

/// `DefaultRecord.sizeInBytes(offsetDelta, timestampDelta, key, value, headers = [])`:
/// the exact size of one record inside a batch, including its own length prefix.
#[inline]
pub(super) fn record_size(offset_delta: u32, timestamp_delta_ms: i64, key: Option<u32>, value: Option<u32>) -> u32 {
    let body = 1 // attributes
        + size_of_varlong(timestamp_delta_ms)
        + size_of_varint(offset_delta as i32)
        + part_size(key)
        + part_size(value)
        + size_of_varint(0); // header count
    body + size_of_varint(body as i32)
}

/// Size of the zig-zag varint of a non-negative value, by comparisons (the hot path: the same
/// result as `size_of_varlong` for `v >= 0`).
#[inline(always)]
pub(super) fn zigzag_size_nonneg(v: u64) -> u32 {
    if v < 64 {
        1
    } else if v < 8_192 {
        2
    } else if v < 1 << 20 {
        3
    } else if v < 1 << 27 {
        4
    } else {
        size_of_varlong(v as i64)
    }
}

/// The part of a record's body that does not depend on its position in the batch:
/// attributes, key, value and header count.
#[inline]
pub(super) fn record_fixed_part(key: Option<u32>, value: Option<u32>) -> u32 {
    1 + part_size(key) + part_size(value) + size_of_varint(0)
}

/// The largest [`record_size`] of a record with fixed part `fixed`, wherever it sits in a
/// batch: the timestamp and offset deltas and the length prefix at their widest
/// (`DefaultRecord.MAX_RECORD_OVERHEAD`, the attributes byte being part of `fixed`).
#[inline]
pub(super) fn record_size_max(fixed: u32) -> u32 {
    fixed + MAX_RECORD_OVERHEAD - 1
}

/// [`record_size`] from a precomputed [`record_fixed_part`].
#[inline(always)]
pub(super) fn record_size_fast(fixed: u32, offset_delta: u32, timestamp_delta_ms: u64) -> u32 {
    let body = fixed + zigzag_size_nonneg(timestamp_delta_ms) + zigzag_size_nonneg(offset_delta as u64);
    body + zigzag_size_nonneg(body as u64)
}

/// `AbstractRecords.estimateSizeInBytesUpperBound` for magic v2: the allocation size of a
/// new batch for this record and the figure checked against `max.request.size` and
/// `buffer.memory` (`KafkaProducer.ensureValidRecordSize`).
#[inline]
pub(super) fn estimate_size_upper_bound(key: Option<u32>, value: Option<u32>) -> u32 {
    RECORD_BATCH_OVERHEAD + MAX_RECORD_OVERHEAD + part_size(key) + part_size(value) + size_of_varint(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_sizes_follow_zigzag() {
        assert_eq!(size_of_varint(0), 1);
        assert_eq!(size_of_varint(63), 1);
        assert_eq!(size_of_varint(64), 2);
        assert_eq!(size_of_varint(-1), 1);
        assert_eq!(size_of_varint(100), 2);
        assert_eq!(size_of_varint(8191), 2);
        assert_eq!(size_of_varint(8192), 3);
        assert_eq!(size_of_varint(i32::MAX), 5);
        assert_eq!(size_of_varlong(0), 1);
        assert_eq!(size_of_varlong(63), 1);
        assert_eq!(size_of_varlong(64), 2);
        assert_eq!(size_of_varlong(i64::MAX), 10);
    }

    #[test]
    fn fast_record_size_agrees_with_the_exact_rules() {
        for key in [None, Some(0), Some(16), Some(100)] {
            for value in [Some(0), Some(10), Some(100), Some(1000), Some(100_000)] {
                let fixed = record_fixed_part(key, value);
                for off in [0u32, 1, 63, 64, 100, 8191, 8192, 1 << 20, 1 << 27] {
                    for ts in [0u64, 5, 63, 64, 8191, 8192, 1 << 21, 1 << 30] {
                        assert_eq!(
                            record_size_fast(fixed, off, ts),
                            record_size(off, ts as i64, key, value)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn upper_bound_of_keyless_100_byte_record_is_186() {
        // reference 3.3: the Java client's record-size-avg for 100-byte values.
        assert_eq!(estimate_size_upper_bound(None, Some(100)), 186);
    }

    /// Fill a batch with the `MemoryRecordsBuilder.hasRoomFor` rule, all records with
    /// timestamp delta 0: returns (records, bytes).
    fn fill(limit: u32, key: Option<u32>, value: u32) -> (u32, u32) {
        let mut bytes = RECORD_BATCH_OVERHEAD;
        let mut n = 0;
        loop {
            let s = record_size(n, 0, key, Some(value));
            if n > 0 && bytes + s > limit {
                return (n, bytes);
            }
            bytes += s;
            n += 1;
        }
    }

    #[test]
    fn worked_examples_of_reference_3_4() {
        assert_eq!(record_size(0, 0, None, Some(100)), 109);
        assert_eq!(record_size(64, 0, None, Some(100)), 110);
        assert_eq!(fill(16_384, None, 100), (148, 16_277));
        assert_eq!(fill(8_196, None, 100), (74, 8_137));
        assert_eq!(fill(16_384, None, 10), (910, 16_377));
        assert_eq!(fill(8_196, None, 10).0, 455);
        assert_eq!(fill(1 << 20, None, 10).0, 55_619);
        assert_eq!(fill(16_384, Some(16), 100), (130, 16_377));
        assert_eq!(fill(16_384, None, 1000), (16, 16_205));
        assert_eq!(fill(16_384, None, 1024), (15, 15_556));
        assert_eq!(fill(1 << 20, None, 100).0, 9_520);
        assert_eq!(fill(1 << 20, Some(16), 100).0, 8_321);
        assert_eq!(fill(1 << 20, None, 1000).0, 1_038);
        assert_eq!(fill(1 << 20, None, 1024).0, 1_014);
    }
}
