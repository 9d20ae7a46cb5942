//! `RangeAssignor` (the first of the default `partition.assignment.strategy`,
//! `[RangeAssignor, CooperativeStickyAssignor]`): per topic, the members subscribed to it,
//! sorted by member id, each get a contiguous range; the first `partitions % members` get one
//! more (`RangeAssignor.assignPartitions`).

/// `members[m]` = the topics member `m` subscribes to (indexes into `topics`), `topics[t]` =
/// (first cluster-wide partition, partitions). Returns each member's partitions.
pub(crate) fn range_assign(members: &[Vec<usize>], topics: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); members.len()];
    for (t, &(first, n)) in topics.iter().enumerate() {
        let subs: Vec<usize> = (0..members.len()).filter(|&m| members[m].contains(&t)).collect();
        if subs.is_empty() {
            continue;
        }
        let per = n / subs.len() as u32;
        let extra = n % subs.len() as u32;
        for (i, &m) in subs.iter().enumerate() {
            let i = i as u32;
            let start = per * i + i.min(extra);
            let len = per + u32::from(i < extra);
            out[m].extend((start..start + len).map(|p| first + p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_kafkas_range_assignor() {
        // RangeAssignorTest.testTwoConsumersOneTopicThreePartitions: c1 gets [0, 1], c2 [2].
        let a = range_assign(&[vec![0], vec![0]], &[(0, 3)]);
        assert_eq!(a, vec![vec![0, 1], vec![2]]);
        // More members than partitions: the last gets nothing.
        let a = range_assign(&[vec![0], vec![0], vec![0]], &[(0, 2)]);
        assert_eq!(a, vec![vec![0], vec![1], vec![]]);
        // Per topic: a member reads only what it subscribes to (topic 1 starts at partition 3).
        let a = range_assign(&[vec![0, 1], vec![1]], &[(0, 3), (3, 2)]);
        assert_eq!(a, vec![vec![0, 1, 2, 3], vec![4]]);
    }
}
