//! Record batch compression (`compression.type`, the KIP-390 levels `compression.*.level`):
//! what a codec does to a batch's size and what it costs in CPU, and the producer's
//! `CompressionRatioEstimator`.
//!
//! Kafka compresses the records of a batch (not its 61-byte header) as they are appended:
//! `ProducerBatch.tryAppend` -> `MemoryRecordsBuilder.appendWithOffset` writes each record
//! into the codec's output stream on the thread that calls `send()`; `ProducerBatch.close()`
//! (at drain) flushes the stream, writes the header and computes the batch's actual ratio
//! (`MemoryRecordsBuilder.close`: compressed records / uncompressed records). The leader
//! decompresses every compressed batch to validate it (`LogValidator
//! .validateMessagesAndAssignOffsetsCompressed`) and, with the topic's `compression.type =
//! producer` (the default), appends the producer's bytes as they are.
//!
//! The model's codec is a ratio and two speeds. Sources: lzbench 1.7.1 on the Silesia corpus
//! (silesia.tar, 211,947,520 bytes: text, XML, databases, executables, images; one core of an
//! Intel Core i5-4300U), the table in `https://github.com/inikep/lzbench` README.md (commit
//! 00484c451ce3e7e4581844f523e091700e422549): zlib 1.2.11 for gzip, snappy 1.1.4, lz4 1.7.5
//! and lz4hc 1.7.5, zstd 1.1.4. Levels between the table's rows are interpolated (the ratio
//! linearly, the speeds geometrically); levels beyond its rows take the nearest row. A
//! workload's own ratio (`workload.compression_ratio`, e.g. measured on its data) replaces the
//! table's; the speeds stay the codec's.

use crate::config::{CompressionType, RunSpec};
use crate::model::record_batch::RECORD_BATCH_OVERHEAD;

/// `MemoryRecordsBuilder.COMPRESSION_RATE_ESTIMATION_FACTOR`: the estimate is inflated by 5 %.
pub(crate) const COMPRESSION_RATE_ESTIMATION_FACTOR: f32 = 1.05;
/// `CompressionRatioEstimator.COMPRESSION_RATIO_IMPROVING_STEP`.
pub(crate) const COMPRESSION_RATIO_IMPROVING_STEP: f32 = 0.005;
/// `CompressionRatioEstimator.COMPRESSION_RATIO_DETERIORATE_STEP`.
pub(crate) const COMPRESSION_RATIO_DETERIORATE_STEP: f32 = 0.05;

/// One lzbench row: (level, compressed / original, compression MB/s, decompression MB/s).
type Row = (i32, f64, f64, f64);

/// zlib 1.2.11 (Kafka's gzip is the JDK's `Deflater`, zlib).
const GZIP: &[Row] = &[
    (1, 0.3645, 66.0, 250.0),
    (6, 0.3219, 20.0, 267.0),
    (9, 0.3192, 8.30, 269.0),
];
/// snappy 1.1.4 (no levels).
const SNAPPY: &[Row] = &[(0, 0.4819, 327.0, 1075.0)];
/// lz4 1.7.5's fast compressor: Kafka's lz4 level 9, the default
/// (`Lz4BlockOutputStream`: `fastCompressor()` at the default level, `highCompressor(level)`
/// at any other).
const LZ4_FAST: Row = (9, 0.4760, 452.0, 2244.0);
/// lz4hc 1.7.5 (LZ4 HC levels stop at 12; 13-17 compress as 12).
const LZ4_HC: &[Row] = &[
    (1, 0.4133, 100.0, 2056.0),
    (4, 0.3765, 56.0, 2200.0),
    (9, 0.3675, 23.0, 2253.0),
    (12, 0.3646, 3.52, 2281.0),
];
/// zstd 1.1.4 (levels below 1, zstd's fast modes, take level 1's row).
const ZSTD: &[Row] = &[
    (1, 0.3475, 242.0, 636.0),
    (2, 0.3310, 185.0, 587.0),
    (5, 0.3067, 88.0, 553.0),
    (8, 0.2879, 30.0, 609.0),
    (11, 0.2808, 15.0, 603.0),
    (15, 0.2737, 4.78, 626.0),
    (18, 0.2609, 2.75, 573.0),
    (22, 0.2487, 1.39, 459.0),
];

/// The row at `level`: interpolated between the two rows around it, the nearest row outside.
fn at_level(rows: &[Row], level: i32) -> Row {
    let first = rows[0];
    let last = rows[rows.len() - 1];
    if level <= first.0 {
        return (level, first.1, first.2, first.3);
    }
    if level >= last.0 {
        return (level, last.1, last.2, last.3);
    }
    let i = rows.iter().position(|r| r.0 >= level).unwrap_or(rows.len() - 1);
    let (a, b) = (rows[i - 1], rows[i]);
    let t = (level - a.0) as f64 / (b.0 - a.0) as f64;
    let geo = |x: f64, y: f64| x * (y / x).powf(t);
    (level, a.1 + (b.1 - a.1) * t, geo(a.2, b.2), geo(a.3, b.3))
}

/// A codec as the model sees it: how much it shrinks a batch's records and what it costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Codec {
    /// The codec.
    pub kind: CompressionType,
    /// Compressed / uncompressed size of the records (1 for none).
    pub ratio: f64,
    /// CPU per uncompressed byte compressed, nanoseconds (0 for none).
    pub compress_ns_per_byte: f64,
    /// CPU per uncompressed byte decompressed, nanoseconds (0 for none).
    pub decompress_ns_per_byte: f64,
}

impl Codec {
    /// The codec of `spec`'s producer at its level, with the workload's ratio if it sets one.
    pub fn from_spec(spec: &RunSpec) -> Codec {
        let p = &spec.producer;
        let row = match p.compression_type {
            CompressionType::None => {
                return Codec {
                    kind: CompressionType::None,
                    ratio: 1.0,
                    compress_ns_per_byte: 0.0,
                    decompress_ns_per_byte: 0.0,
                }
            }
            // Deflater.DEFAULT_COMPRESSION (-1) is zlib's level 6.
            CompressionType::Gzip => at_level(
                GZIP,
                if p.compression_gzip_level < 0 {
                    6
                } else {
                    p.compression_gzip_level
                },
            ),
            CompressionType::Snappy => SNAPPY[0],
            CompressionType::Lz4 if p.compression_lz4_level == LZ4_FAST.0 => LZ4_FAST,
            CompressionType::Lz4 => at_level(LZ4_HC, p.compression_lz4_level),
            // zstd's level 0 is its default, 3.
            CompressionType::Zstd => at_level(
                ZSTD,
                if p.compression_zstd_level == 0 {
                    3
                } else {
                    p.compression_zstd_level
                },
            ),
        };
        let ratio = if spec.workload.compression_ratio > 0.0 {
            spec.workload.compression_ratio
        } else {
            row.1
        };
        Codec {
            kind: p.compression_type,
            ratio,
            // MB/s -> ns per byte.
            compress_ns_per_byte: 1e3 / row.2,
            decompress_ns_per_byte: 1e3 / row.3,
        }
    }

    /// Whether batches are compressed.
    pub fn compressed(&self) -> bool {
        self.kind != CompressionType::None
    }

    /// The codec's own framing inside a batch, bytes, for `records` uncompressed record bytes:
    /// Kafka's LZ4 frame (`Lz4BlockOutputStream`: 7-byte header, a 4-byte length per 64 KiB
    /// block, 4-byte end mark), gzip's 10-byte header and 8-byte trailer, snappy-java's
    /// stream (16-byte header, a 4-byte length per 32 KiB block), a zstd frame (about 6 bytes
    /// of header, 3 per 128 KiB block).
    fn framing(&self, records: u32) -> u32 {
        let blocks = |size: u32| records.div_ceil(size).max(1);
        match self.kind {
            CompressionType::None => 0,
            CompressionType::Gzip => 18,
            CompressionType::Snappy => 16 + 4 * blocks(32 << 10),
            CompressionType::Lz4 => 7 + 4 * blocks(64 << 10) + 4,
            CompressionType::Zstd => 6 + 3 * blocks(128 << 10),
        }
    }

    /// A closed batch's size on the wire and in the log, header included, from its uncompressed
    /// size (header included): the header plus the compressed records.
    pub fn wire_size(&self, uncompressed: u32) -> u32 {
        if !self.compressed() {
            return uncompressed;
        }
        let records = uncompressed.saturating_sub(RECORD_BATCH_OVERHEAD);
        let packed = (records as f64 * self.ratio).ceil() as u64 + self.framing(records) as u64;
        RECORD_BATCH_OVERHEAD + packed.min(u32::MAX as u64 - RECORD_BATCH_OVERHEAD as u64) as u32
    }

    /// The leader's CPU time to decompress a batch of `uncompressed` bytes (header included)
    /// for validation, nanoseconds (0 uncompressed).
    pub fn decompress_ns(&self, uncompressed: u32) -> f64 {
        if !self.compressed() {
            return 0.0;
        }
        uncompressed.saturating_sub(RECORD_BATCH_OVERHEAD) as f64 * self.decompress_ns_per_byte
    }
}

/// `MemoryRecordsBuilder.estimatedBytesWritten` of a batch of `uncompressed` bytes (header
/// included) built with the estimate `ratio`: exact without compression; with it the header
/// plus `(int) (uncompressedRecordsSizeInBytes * estimatedCompressionRatio *
/// COMPRESSION_RATE_ESTIMATION_FACTOR)`, in Java's float arithmetic.
#[inline(always)]
pub(crate) fn estimated_bytes_written(uncompressed: u32, compressed: bool, ratio: f32) -> u32 {
    if !compressed {
        return uncompressed;
    }
    let records = uncompressed - RECORD_BATCH_OVERHEAD;
    RECORD_BATCH_OVERHEAD + (records as f32 * ratio * COMPRESSION_RATE_ESTIMATION_FACTOR) as u32
}

/// `CompressionRatioEstimator` for the producer's one topic and codec: starts at 1.0
/// (`CompressionType.rate`), read when a batch is created (`ProducerBatch`'s constructor sets it
/// on its builder) and updated when a batch is closed at drain (`ProducerBatch.close`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatioEstimator {
    estimate: f32,
}

impl Default for RatioEstimator {
    fn default() -> Self {
        RatioEstimator { estimate: 1.0 }
    }
}

impl RatioEstimator {
    /// `CompressionRatioEstimator.estimation`.
    pub fn estimation(&self) -> f32 {
        self.estimate
    }

    /// `CompressionRatioEstimator.setEstimation`.
    pub fn set_estimation(&mut self, ratio: f32) {
        self.estimate = ratio;
    }

    /// `CompressionRatioEstimator.updateEstimation`: a batch that compressed worse than
    /// estimated raises the estimate at once (by at least 0.05, to the observed ratio); one
    /// that compressed better lowers it by 0.005 at most. Returns the new estimate.
    pub fn update_estimation(&mut self, observed: f32) -> f32 {
        let current = self.estimate;
        if observed > current {
            self.estimate = (current + COMPRESSION_RATIO_DETERIORATE_STEP).max(observed);
        } else if observed < current {
            self.estimate = (current - COMPRESSION_RATIO_IMPROVING_STEP).max(observed);
        }
        self.estimate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(kind: &str, level: Option<i32>) -> Codec {
        let mut spec = RunSpec::default();
        spec.producer.compression_type = CompressionType::parse(kind).unwrap();
        if let Some(l) = level {
            spec.producer.compression_gzip_level = l;
            spec.producer.compression_lz4_level = l;
            spec.producer.compression_zstd_level = l;
        }
        Codec::from_spec(&spec)
    }

    /// The default levels give lzbench's rows: gzip -1 is zlib 6, lz4 9 the fast compressor,
    /// zstd 3 between zstd 2 and 5.
    #[test]
    fn default_levels_follow_the_benchmark_rows() {
        assert_eq!(codec("none", None).ratio, 1.0);
        assert_eq!(codec("gzip", None).ratio, 0.3219);
        assert_eq!(codec("snappy", None).ratio, 0.4819);
        assert_eq!(codec("lz4", None).ratio, 0.4760);
        let z = codec("zstd", None);
        assert!((z.ratio - (0.3310 + (0.3067 - 0.3310) / 3.0)).abs() < 1e-12);
        assert!(z.compress_ns_per_byte > 1e3 / 185.0 && z.compress_ns_per_byte < 1e3 / 88.0);
    }

    /// Levels trade CPU for size: a higher level compresses smaller and slower; lz4 level 9
    /// (the fast compressor) is faster and larger than HC at level 1.
    #[test]
    fn higher_levels_are_smaller_and_slower() {
        for kind in ["gzip", "zstd"] {
            let (lo, hi) = (codec(kind, Some(1)), codec(kind, Some(9)));
            assert!(
                hi.ratio < lo.ratio && hi.compress_ns_per_byte > lo.compress_ns_per_byte,
                "{kind}"
            );
        }
        let (fast, hc1, hc12, hc17) = (
            codec("lz4", Some(9)),
            codec("lz4", Some(1)),
            codec("lz4", Some(12)),
            codec("lz4", Some(17)),
        );
        assert!(fast.ratio > hc1.ratio && fast.compress_ns_per_byte < hc1.compress_ns_per_byte);
        assert_eq!(hc12, Codec { ..hc17 });
    }

    #[test]
    fn the_wire_size_is_the_header_plus_compressed_records_and_framing() {
        let lz4 = codec("lz4", None);
        // 16 277 bytes: 148 keyless 100-byte records.
        let records = 16_277 - 61;
        let want = 61 + (records as f64 * 0.4760).ceil() as u32 + 15;
        assert_eq!(lz4.wire_size(16_277), want);
        assert_eq!(codec("none", None).wire_size(16_277), 16_277);
    }

    /// `CompressionRatioEstimatorTest.testUpdateEstimation`: worse than estimated jumps up by at
    /// least the deteriorate step; better creeps down by the improving step.
    #[test]
    fn the_estimate_rises_fast_and_falls_slowly() {
        let mut e = RatioEstimator::default();
        assert_eq!(e.estimation(), 1.0);
        assert_eq!(e.update_estimation(0.5), 0.995);
        assert_eq!(e.update_estimation(0.994), 0.994);
        assert_eq!(e.update_estimation(0.995), 0.994 + 0.05);
        e.set_estimation(0.3);
        assert_eq!(e.update_estimation(0.9), 0.9);
    }

    /// `MemoryRecordsBuilder.estimatedBytesWritten`: the uncompressed records times the
    /// estimate times 1.05, truncated, plus the header.
    #[test]
    fn estimated_bytes_written_inflates_the_estimate_by_five_percent() {
        assert_eq!(estimated_bytes_written(1061, false, 0.5), 1061);
        assert_eq!(estimated_bytes_written(1061, true, 1.0), 61 + 1050);
        assert_eq!(estimated_bytes_written(1061, true, 0.5), 61 + 525);
    }
}
