//! `compression.type`: batches fill against an estimated compressed size
//! (`MemoryRecordsBuilder.estimatedBytesWritten`, `CompressionRatioEstimator`), and the wire,
//! the log and `mean_batch_bytes` carry compressed bytes; the records and their fate do not
//! change.

use prodsim::config::CompressionType;
use prodsim::model::components::{rng_stream, Accumulator, Append, Stream};
use prodsim::RunSpec;

/// Fills and drains (closes) `n` batches of partition 0 one after the other: their record counts.
fn batch_counts(spec: &RunSpec, n: usize) -> Vec<u32> {
    let mut a = Accumulator::new(spec, rng_stream(1, Stream::Partitioner));
    let mut rec = 0u64;
    let mut counts = Vec::new();
    while counts.len() < n {
        match a.append(0, 0, 0, rec) {
            Append::Done { .. } => rec += 1,
            _ => panic!("not appended"),
        }
        if a.deques[0].len() > 1 {
            // The record opened a new batch behind a closed one: drain (close) the head.
            let head = a.pop_head(0).unwrap();
            a.close_for_send(head);
            counts.push(a.batches[head as usize].count);
            a.release(head);
        }
    }
    counts
}

fn spec(codec: CompressionType) -> RunSpec {
    let mut s = RunSpec::default();
    s.producer.compression_type = codec;
    s
}

/// The estimator starts at 1.0 (`CompressionType.rate`) and the estimate is inflated by 5 %,
/// so the first lz4 batches close with fewer records than uncompressed ones (141 against 148:
/// 61 + 1.05 x records must stay within 16 384). Each drained batch lowers the estimate by
/// 0.005 only (`COMPRESSION_RATIO_IMPROVING_STEP`), so batches grow over about a hundred
/// batches until the estimate reaches lz4's ratio (0.476), when they hold twice as many. From
/// then on a batch that compresses a hair worse than the estimate (its framing and rounding)
/// raises it by 0.05 at once (`COMPRESSION_RATIO_DETERIORATE_STEP`): a sawtooth between about
/// 268 and 296 records.
#[test]
fn compressed_batches_start_small_and_grow_as_the_estimate_improves() {
    let none = batch_counts(&spec(CompressionType::None), 200);
    assert!(none.iter().all(|&c| c == 148), "{:?}", &none[..5]);
    let lz4 = batch_counts(&spec(CompressionType::Lz4), 200);
    assert!(lz4[0] < 148, "the first compressed batch closes early: {}", lz4[0]);
    assert!(lz4[..100].windows(2).all(|w| w[1] >= w[0]), "batches grow: {lz4:?}");
    assert!(lz4[50] < 200, "{}", lz4[50]);
    assert!(lz4[120..].iter().all(|&c| (260..=300).contains(&c)), "{lz4:?}");
    assert!(
        lz4[120..].iter().any(|&c| c < 270) && lz4[120..].iter().any(|&c| c > 290),
        "{lz4:?}"
    );
    let a = Accumulator::new(&spec(CompressionType::Lz4), rng_stream(1, Stream::Partitioner));
    assert_eq!(a.ratio_estimator.estimation(), 1.0);
}

/// A drained lz4 batch goes out with the header plus its compressed records
/// (`MemoryRecordsBuilder.close`), and its ratio feeds the estimator.
#[test]
fn a_drained_batch_is_compressed_and_teaches_the_estimator() {
    let s = spec(CompressionType::Lz4);
    let mut a = Accumulator::new(&s, rng_stream(1, Stream::Partitioner));
    for rec in 0..100 {
        a.append(0, 0, 0, rec);
    }
    let id = a.pop_head(0).unwrap();
    let uncompressed = a.batches[id as usize].bytes;
    let wire = a.close_for_send(id);
    assert_eq!(wire, a.codec.wire_size(uncompressed));
    assert!(wire < uncompressed / 2 + 61, "{wire} of {uncompressed}");
    assert_eq!(a.ratio_estimator.estimation(), 0.995);
}

fn run(codec: &str, sets: &[&str]) -> prodsim::result::RunResult {
    let mut sc = prodsim::scenario::Scenario::parse_str(
        "name = \"c\"\nduration_ms = 3000\n[workload]\nrate = 100000\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    sc.apply_set(&format!("producer.compression_type={codec}")).unwrap();
    for s in sets {
        sc.apply_set(s).unwrap();
    }
    prodsim::run(&sc.expand().unwrap()[0].spec)
}

/// End to end: with lz4 a 16 KiB batch carries more records, and `mean_batch_bytes`
/// (`batch-size-avg`) counts them compressed (batches that fill batch.size by their estimated
/// compressed size are about as large on the wire, with twice the records); every record is
/// still delivered once, in order.
#[test]
fn lz4_batches_carry_more_records_in_fewer_bytes_and_lose_nothing() {
    let none = run("none", &[]);
    let lz4 = run("lz4", &[]);
    assert!(lz4.mean_batch_records > 1.3 * none.mean_batch_records);
    let per_record = |r: &prodsim::result::RunResult| r.mean_batch_bytes / r.mean_batch_records;
    assert!(per_record(&lz4) < 0.6 * per_record(&none));
    assert!(lz4.mean_batch_bytes <= 16_384.0);
    assert!(lz4.batches < none.batches && lz4.requests < none.requests);
    for r in [&none, &lz4] {
        let d = &r.delivery;
        assert_eq!(r.records_acked, r.records_sent);
        assert_eq!((d.lost_acked, d.duplicates, d.reordered, d.phantom), (0, 0, 0, 0));
    }
}

/// Compressing costs the application thread CPU per byte: at the thread's limit
/// (`rate = "max"`), gzip at level 9 offers far fewer records per second than none.
#[test]
fn compression_costs_the_sending_thread() {
    let sets = [
        "workload.rate=max",
        "duration_ms=300",
        "producer.compression_gzip_level=9",
    ];
    let none = run("none", &sets);
    let gzip = run("gzip", &sets);
    assert!(
        gzip.offered_rps < 0.2 * none.offered_rps,
        "{} vs {}",
        gzip.offered_rps,
        none.offered_rps
    );
}
