//! `prodsim explain` with several producers (`[[producers]]`): the traced record is one
//! producer's, in that producer's own numbering, and every line of the story is about that
//! record only (its client's lines, the brokers' lines at its offsets, a consumer's poll of it),
//! however many producers write a record with the same partition and sequence; its fate is
//! that producer's. `--producer` chooses the producer; the first anomaly is searched over all.

mod common;

use prodsim::scenario::Scenario;
use prodsim::TracedRecord;
use std::path::Path;
use std::process::{Command, Output};

/// Two producers writing the same numbers: both on one topic (the same partitions, records
/// told apart only by the brokers' identity bits) or on a topic each (the second's partitions
/// follow the first's in the brokers' numbering). `b` sends slower than `a`, so `b`'s record
/// 1:40 lands at other offsets than `a`'s. A consumer group reads everything.
fn two_producers(own_topics: bool) -> String {
    let (topics, a, b) = if own_topics {
        (
            "[[topics]]\nname = \"ta\"\npartitions = 2\n[[topics]]\nname = \"tb\"\npartitions = 2\n",
            "topic = \"ta\"\n",
            "topic = \"tb\"\n",
        )
    } else {
        ("", "", "")
    };
    format!(
        "duration_ms = 1000\nsettle_ms = 2000\nseeds = [1]\n[producer]\nlinger_ms = 5\n\
         [cluster]\nbrokers = 3\npartitions = 2\nreplication_factor = 3\n{topics}\
         [[producers]]\nname = \"a\"\n{a}[producers.workload]\nrate = 2000\n\
         [[producers]]\nname = \"b\"\n{b}[producers.workload]\nrate = 300\n\
         [[consumers]]\nname = \"reader\"\n"
    )
}

fn spec(text: &str) -> prodsim::RunSpec {
    let sc = Scenario::parse_str(text, Path::new("two.toml")).unwrap_or_else(|e| panic!("{e}"));
    sc.expand().unwrap().remove(0).spec
}

/// The number after `marker` in `s` (up to the first character that is not a digit).
fn number_after(s: &str, marker: &str) -> u64 {
    let at = s.find(marker).unwrap_or_else(|| panic!("no {marker:?} in {s}")) + marker.len();
    let digits: String = s[at..].chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {marker:?} in {s}"))
}

fn count(lines: &[String], what: &str) -> usize {
    lines.iter().filter(|l| l.contains(what)).count()
}

/// Producer `b`'s record 1:40 (the same numbers as `a`'s record 1:40): one send(), one batch
/// sent, one leader append whose offsets hold the record's final offset, the commit of that
/// offset, one poll of it, and `b`'s fate. Before the fix the trace followed every producer's
/// 1:40 in the client lines (two send() lines) and producer 0's in the brokers' lines, and the
/// fate was producer 0's.
#[test]
fn explain_of_one_producer_tells_only_its_record() {
    for own_topics in [false, true] {
        let s = spec(&two_producers(own_topics));
        let b = TracedRecord {
            producer: 1,
            partition: 1,
            seq: 40,
        };
        let (fate, lines, r) = prodsim::explain_record_with_progress(&s, b, None);
        let story = format!("own topics: {own_topics}\n{}\n{fate}", lines.join("\n"));
        assert!(r.aborted.is_none(), "{:?}", r.aborted);
        assert_eq!(count(&lines, "send(): record 1:40 appended"), 1, "{story}");
        assert_eq!(count(&lines, "sender: batch #"), 1, "{story}");
        assert_eq!(count(&lines, "(leader, epoch"), 1, "{story}");
        assert_eq!(count(&lines, "poll() returned it"), 1, "{story}");
        assert!(fate.contains("delivered"), "{story}");
        // The final offset is `b`'s (from `b`'s records in the final log), and the brokers'
        // lines are about it: the leader's append covers it, and it is committed.
        let offset = number_after(&fate, "(offset ");
        let append = lines.iter().find(|l| l.contains("(leader, epoch")).unwrap();
        let first = number_after(append, "appended at offsets ");
        let last = number_after(append, &format!("offsets {first}.."));
        assert!((first..=last).contains(&offset), "{story}");
        assert_eq!(count(&lines, &format!(": offset {offset}: committed")), 1, "{story}");
        let poll = lines.iter().find(|l| l.contains("poll() returned it")).unwrap();
        assert_eq!(number_after(poll, "returned it (offset "), offset, "{story}");
        // Producer `a`'s 1:40 is elsewhere: at another offset of the shared partition, or in
        // its own topic's partition (the brokers' partition 1; `b`'s is 3).
        let a = TracedRecord { producer: 0, ..b };
        let (fate_a, lines_a, _) = prodsim::explain_record_with_progress(&s, a, None);
        assert_eq!(count(&lines_a, "send(): record 1:40 appended"), 1, "{lines_a:?}");
        if own_topics {
            assert_eq!(count(&lines, "leader of partition 3 "), 1, "{story}");
            assert_eq!(count(&lines_a, "leader of partition 1 "), 1, "{lines_a:?}");
        } else {
            assert_ne!(number_after(&fate_a, "(offset "), offset, "{story}\n{fate_a}");
        }
    }
}

/// The binary under test; `PRODSIM_BIN` points the suite at another build.
fn bin() -> String {
    std::env::var("PRODSIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_prodsim").to_string())
}

fn explain(text: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    Command::new(bin())
        .current_dir(dir.path())
        .args(["explain", "s.toml", "--seed", "1"])
        .args(args)
        .output()
        .expect("run prodsim")
}

fn out(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `--producer` takes a producer's name; an unknown one is bad input (exit 2) naming the
/// option and the producers there are, as is a partition the producer's topic lacks.
#[test]
fn explain_producer_option() {
    let text = two_producers(true);
    let (code, stdout, stderr) = out(&explain(&text, &["--producer", "b", "--record", "1:40"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("record 1:40 of producer b (topic \"tb\"; the brokers' partition 3)"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("send(): record 1:40 appended").count(), 1, "{stdout}");
    assert!(stdout.contains("producer b totals: sent 300,"), "{stdout}");
    let (code, stdout, stderr) = out(&explain(&text, &["--producer", "c", "--record", "1:40"]));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("--producer") && stderr.contains("\"a\", \"b\""),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (code, _, stderr) = out(&explain(&text, &["--producer", "b", "--record", "2:0"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("partition 2 does not exist in producer b's topic \"tb\""),
        "{stderr}"
    );
}

/// Without `--record`, the first anomaly is searched over every producer: here only the
/// second producer loses records (acks=1 on a topic with unclean elections: its leader b0, cut
/// off from the other brokers, acknowledges alone, then crashes, and an out-of-sync replica
/// takes over), and explain follows that producer's lost record to its lost_acked fate.
/// Before the fix, the record was followed in the first producer's numbering and its fate was
/// the first producer's.
#[test]
fn the_first_anomaly_is_any_producers() {
    // many_producers.rs's scenario: only `hasty` (acks=1, unclean topic) loses records.
    let text = &format!("seeds = [1]\n{}", common::TWO_TOPICS);
    let s = spec(text);
    let a = prodsim::first_anomaly(&s).unwrap().expect("hasty loses records");
    assert_eq!((a.record.producer, a.what), (1, "lost_acked"), "{a:?}");
    let (code, stdout, stderr) = out(&explain(text, &[]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("of producer hasty (lost_acked)"), "{stdout}");
    assert!(stdout.contains("=> lost_acked"), "{stdout}");
    // --producer keeps the search to one producer: careful lost nothing.
    let (code, stdout, _) = out(&explain(text, &["--producer", "careful"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("no record by producer careful was lost"), "{stdout}");
}
