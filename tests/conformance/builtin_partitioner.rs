//! `BuiltInPartitionerTest` (clients/src/test/java/org/apache/kafka/clients/producer/internals):
//! the uniform sticky partitioner alone, prodsim's [`BuiltInPartitioner`].

use prodsim::model::components::{rng_stream, BuiltInPartitioner, Stream};

/// `BuiltInPartitionerTest.testStickyPartitioning`: only partitions with a leader are chosen;
/// the choice sticks until `updatePartitionInfo` lets go of it.
#[test]
fn sticky_choices_only_among_available_partitions() {
    let avail = [false, true, false, true, false];
    let mut bp = BuiltInPartitioner::new(5, 1000, false, rng_stream(3, Stream::Partitioner));
    let mut seen = [false; 5];
    for _ in 0..100 {
        let p = bp.partition(&avail, |_| 0);
        assert!(avail[p as usize], "partition {p} has no leader");
        assert_eq!(bp.partition(&avail, |_| 0), p, "sticky");
        seen[p as usize] = true;
        assert!(!bp.update_partition_info(999, true));
        assert!(bp.update_partition_info(1, true));
    }
    assert!(seen[1] && seen[3]);
}

/// `BuiltInPartitionerTest.testStickyPartitioning` (no partition available): any partition
/// may be chosen.
#[test]
fn without_any_leader_any_partition_may_be_chosen() {
    let mut bp = BuiltInPartitioner::new(3, 1000, true, rng_stream(4, Stream::Partitioner));
    let mut seen = [false; 3];
    for _ in 0..100 {
        seen[bp.partition(&[false; 3], |_| 0) as usize] = true;
        bp.update_partition_info(2000, false);
    }
    assert_eq!(seen, [true; 3]);
}

/// `BuiltInPartitionerTest.testStickyBatchSizeMoreThatZero`: the sticky batch size is at least
/// 1 (`KafkaProducer` passes `max(1, batch.size)`): with `batch.size = 0` every record is a
/// full batch's worth.
#[test]
fn the_sticky_batch_size_is_at_least_one() {
    let mut bp = BuiltInPartitioner::new(3, 0, false, rng_stream(5, Stream::Partitioner));
    bp.partition(&[true; 3], |_| 0);
    assert_eq!((bp.produced_bytes(), bp.bytes_to_forced_switch()), (0, 2));
    assert!(bp.update_partition_info(1, true));
}
