//! `--timeline-run`: which run the timeline (timeline.csv, the chart, index.html) shows, and
//! why, said aloud in the chart and the page.

use crate::expect::values_match;
use crate::scenario::RunPoint;
use crate::RunResult;

/// How the timeline's run is chosen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TimelineRun {
    /// `worst-p99` (the default): the run with the highest p99 latency among the runs with
    /// faults (among all runs when none has any); the first on ties.
    #[default]
    WorstP99,
    /// `first-loss`: the first run (results.csv order) that lost acknowledged records; the
    /// default's choice, saying so, when none did.
    FirstLoss,
    /// `N`: row N of results.csv (1 = the first run).
    Row(usize),
    /// `column=value,...`: the first run whose results.csv columns (parameters, `seed`) have
    /// these values.
    Matching(Vec<(String, String)>),
}

/// The run chosen and why, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct ChosenRun {
    /// Index into the report's runs (results.csv row - 1).
    pub index: usize,
    /// Why this run: "the first run that lost acknowledged records (12 lost)".
    pub why: String,
}

/// What `--timeline-run` accepts, for messages.
const SYNTAX: &str =
    "worst-p99, first-loss, a results.csv row number (1 = the first run) or column=value[,column=value...]";

impl TimelineRun {
    /// Parses `--timeline-run`'s value.
    pub fn parse(s: &str) -> Result<TimelineRun, String> {
        let s = s.trim();
        match s {
            "worst-p99" => return Ok(TimelineRun::WorstP99),
            "first-loss" => return Ok(TimelineRun::FirstLoss),
            _ => {}
        }
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
            return match s.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(TimelineRun::Row(n)),
                _ => Err(format!("--timeline-run {s}: rows count from 1; expected {SYNTAX}")),
            };
        }
        if s.contains('=') {
            let mut pairs = Vec::new();
            for part in s.split(',') {
                match part.split_once('=') {
                    Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                        pairs.push((k.trim().replace('.', "_"), v.trim().to_string()))
                    }
                    _ => {
                        return Err(format!(
                            "--timeline-run {s:?}: `{part}` is not column=value; expected {SYNTAX}"
                        ))
                    }
                }
            }
            return Ok(TimelineRun::Matching(pairs));
        }
        Err(format!("--timeline-run {s:?}: expected {SYNTAX}"))
    }

    /// Checks a row number or a selector against the runs before they run: the row exists, the
    /// columns exist and some run matches.
    pub fn check(&self, points: &[RunPoint]) -> Result<(), String> {
        match self {
            TimelineRun::Row(n) if *n > points.len() => Err(format!(
                "--timeline-run {n}: there are {} runs (results.csv rows 1 to {})",
                points.len(),
                points.len()
            )),
            TimelineRun::Matching(pairs) => {
                let columns: Vec<String> = points
                    .first()
                    .map(|p| p.params_with_seed().into_iter().map(|(c, _)| c).collect())
                    .unwrap_or_default();
                if let Some((c, _)) = pairs.iter().find(|(c, _)| !columns.contains(c)) {
                    return Err(format!(
                        "--timeline-run: `{c}` is not a results.csv column of these runs ({})",
                        columns.join(", ")
                    ));
                }
                if matching(points, pairs).is_none() {
                    return Err(format!("--timeline-run: no run has {}", pairs_text(pairs)));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The run to show and why; `None` when there is no run.
    pub fn choose(&self, points: &[RunPoint], results: &[RunResult]) -> Option<ChosenRun> {
        let n = points.len().min(results.len());
        if n == 0 {
            return None;
        }
        let (points, results) = (&points[..n], &results[..n]);
        match self {
            TimelineRun::WorstP99 => Some(worst_p99(results, "the default: --timeline-run chooses another")),
            TimelineRun::FirstLoss => match (0..n).find(|&i| results[i].delivery.lost_acked > 0) {
                Some(i) => Some(ChosenRun {
                    index: i,
                    why: format!(
                        "the first run that lost acknowledged records ({} lost; --timeline-run first-loss)",
                        results[i].delivery.lost_acked
                    ),
                }),
                None => {
                    let mut chosen = worst_p99(results, "--timeline-run first-loss");
                    chosen.why = format!("no run lost an acknowledged record, so {}", chosen.why);
                    Some(chosen)
                }
            },
            TimelineRun::Row(r) => (*r <= n).then(|| ChosenRun {
                index: r - 1,
                why: format!("row {r} of results.csv (--timeline-run {r})"),
            }),
            TimelineRun::Matching(pairs) => matching(points, pairs).map(|i| ChosenRun {
                index: i,
                why: format!(
                    "the first run with {} (--timeline-run {})",
                    pairs_text(pairs),
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            }),
        }
    }
}

/// The run a timeline comparison shows for one value of its `per` column, and why.
impl TimelineRun {
    /// Among the runs whose `column` is `value`: the only one; or the one this rule chooses
    /// among them (a row or a selector: the run like it, `column` aside, or the default's
    /// choice, saying so, when none is). `index` is into `points`.
    pub fn choose_for_value(
        &self,
        points: &[RunPoint],
        results: &[RunResult],
        column: &str,
        value: &str,
    ) -> Option<ChosenRun> {
        let n = points.len().min(results.len());
        let has_value = |i: &usize| points[*i].params.iter().any(|(c, v)| c == column && v == value);
        let pool: Vec<usize> = (0..n).filter(has_value).collect();
        if pool.is_empty() {
            return None;
        }
        if let [only] = pool[..] {
            return Some(ChosenRun {
                index: only,
                why: format!("the only run with {column} = {value}"),
            });
        }
        let sub_points: Vec<RunPoint> = pool.iter().map(|&i| points[i].clone()).collect();
        let sub_results: Vec<RunResult> = pool.iter().map(|&i| results[i].clone()).collect();
        // A row or a selector names runs of every value: keep its other columns.
        let like = |pairs: Vec<(String, String)>, how: String| -> Option<ChosenRun> {
            let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(c, _)| c != column).collect();
            match matching(&sub_points, &pairs) {
                Some(i) => Some(ChosenRun {
                    index: i,
                    why: format!("the first run with {column} = {value}{} ({how})", with_pairs(&pairs)),
                }),
                None => {
                    let mut chosen = worst_p99(&sub_results, &how);
                    chosen.why = format!(
                        "no run with {column} = {value} has {}, so {}",
                        pairs_text(&pairs),
                        chosen.why
                    );
                    Some(chosen)
                }
            }
        };
        let chosen = match self {
            TimelineRun::Row(r) if *r > n => None,
            TimelineRun::Row(r) => {
                let mut chosen = like(points[r - 1].params_with_seed(), format!("--timeline-run {r}"))?;
                if !chosen.why.starts_with("no run") {
                    chosen.why = if pool[chosen.index] == r - 1 {
                        format!("row {r} of results.csv (--timeline-run {r})")
                    } else {
                        format!("the run like row {r} of results.csv but with {column} = {value} (--timeline-run {r})")
                    };
                }
                Some(chosen)
            }
            TimelineRun::Matching(pairs) => like(pairs.clone(), "--timeline-run".to_string()),
            _ => TimelineRun::choose(self, &sub_points, &sub_results),
        }?;
        Some(ChosenRun {
            index: pool[chosen.index],
            why: chosen.why,
        })
    }
}

/// `" and acks = 1, seed = 2"`, or nothing for no pairs.
fn with_pairs(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        String::new()
    } else {
        format!(" and {}", pairs_text(pairs))
    }
}

/// The first run whose columns have the selector's values.
fn matching(points: &[RunPoint], pairs: &[(String, String)]) -> Option<usize> {
    points.iter().position(|p| {
        let params = p.params_with_seed();
        pairs.iter().all(|(c, want)| {
            params
                .iter()
                .find(|(k, _)| k == c)
                .is_some_and(|(_, got)| values_match(got, want))
        })
    })
}

fn pairs_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The highest p99 among the faulted runs (or all runs), the first on ties.
fn worst_p99(results: &[RunResult], how: &str) -> ChosenRun {
    let faulted: Vec<usize> = (0..results.len()).filter(|&i| !results[i].faults.is_empty()).collect();
    let pool: Vec<usize> = if faulted.is_empty() {
        (0..results.len()).collect()
    } else {
        faulted.clone()
    };
    let index = pool.iter().copied().fold(pool[0], |best, i| {
        if results[i].latency_p99_ms > results[best].latency_p99_ms {
            i
        } else {
            best
        }
    });
    let among = if faulted.is_empty() || faulted.len() == results.len() {
        String::new()
    } else {
        format!(" among the {} runs with faults", faulted.len())
    };
    ChosenRun {
        index,
        why: format!(
            "the run with the worst p99 latency{among} ({} ms; {how})",
            super::axis::format_compact(results[index].latency_p99_ms)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{DeliveryReport, FaultInterval};
    use crate::scenario::Scenario;
    use std::path::Path;

    fn sweep() -> (Vec<RunPoint>, Vec<RunResult>) {
        let sc = Scenario::parse_str(
            "name = \"t\"\nseeds = 2\n[sweep]\n\"producer.acks\" = [\"1\", \"all\"]\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let points = sc.expand().unwrap();
        let fault = FaultInterval {
            kind: "crash",
            target: "b1".into(),
            start_ms: 0,
            end_ms: 1,
        };
        // acks=1 seed 1, seed 2, acks=all seed 1, seed 2.
        let results: Vec<RunResult> = [(5.0, 0, false), (9.0, 0, true), (7.0, 3, true), (1.0, 4, false)]
            .iter()
            .map(|&(p99, lost, faulted)| RunResult {
                latency_p99_ms: p99,
                delivery: DeliveryReport {
                    lost_acked: lost,
                    ..DeliveryReport::default()
                },
                faults: if faulted { vec![fault.clone()] } else { vec![] },
                ..RunResult::default()
            })
            .collect();
        (points, results)
    }

    #[test]
    fn parses_the_four_forms_and_refuses_others() {
        assert_eq!(TimelineRun::parse("worst-p99"), Ok(TimelineRun::WorstP99));
        assert_eq!(TimelineRun::parse("first-loss"), Ok(TimelineRun::FirstLoss));
        assert_eq!(TimelineRun::parse("7"), Ok(TimelineRun::Row(7)));
        assert_eq!(
            TimelineRun::parse("acks=1, min.insync.replicas=2"),
            Ok(TimelineRun::Matching(vec![
                ("acks".into(), "1".into()),
                ("min_insync_replicas".into(), "2".into())
            ]))
        );
        for bad in ["0", "worst", "acks=", "=1", "acks=1,x", ""] {
            assert!(TimelineRun::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_form_chooses_its_run_and_says_why() {
        let (points, results) = sweep();
        let chosen = TimelineRun::WorstP99.choose(&points, &results).unwrap();
        assert_eq!(
            chosen.index, 1,
            "the worst p99 among the faulted runs (9 > 7), not 5 of a healthy run"
        );
        assert!(
            chosen
                .why
                .contains("worst p99 latency among the 2 runs with faults (9 ms; the default"),
            "{}",
            chosen.why
        );
        let chosen = TimelineRun::FirstLoss.choose(&points, &results).unwrap();
        assert_eq!(chosen.index, 2);
        assert!(
            chosen.why.contains("first run that lost acknowledged records (3 lost"),
            "{}",
            chosen.why
        );
        let healthy: Vec<RunResult> = results
            .iter()
            .map(|r| RunResult {
                delivery: DeliveryReport::default(),
                ..r.clone()
            })
            .collect();
        let chosen = TimelineRun::FirstLoss.choose(&points, &healthy).unwrap();
        assert_eq!(chosen.index, 1);
        assert!(chosen
            .why
            .starts_with("no run lost an acknowledged record, so the run with the worst p99"));
        assert_eq!(TimelineRun::Row(4).choose(&points, &results).unwrap().index, 3);
        let sel = TimelineRun::parse("acks=all,seed=2").unwrap();
        assert_eq!(sel.check(&points), Ok(()));
        let chosen = sel.choose(&points, &results).unwrap();
        assert_eq!(chosen.index, 3);
        assert!(chosen.why.contains("acks = all, seed = 2"), "{}", chosen.why);
    }

    #[test]
    fn each_value_gets_the_rules_run_among_its_own() {
        let (points, results) = sweep();
        let pick = |rule: &TimelineRun, value: &str| rule.choose_for_value(&points, &results, "acks", value).unwrap();
        // Worst p99 among each value's faulted runs: acks=1's run 2 (9 ms), acks=all's run 3.
        assert_eq!(pick(&TimelineRun::WorstP99, "1").index, 1);
        assert_eq!(pick(&TimelineRun::WorstP99, "all").index, 2);
        // A row names its counterpart in the other value: row 4 (acks=all seed 2) -> run 2.
        let row = pick(&TimelineRun::Row(4), "1");
        assert_eq!(row.index, 1);
        assert!(
            row.why
                .starts_with("the run like row 4 of results.csv but with acks = 1"),
            "{}",
            row.why
        );
        assert_eq!(
            pick(&TimelineRun::Row(4), "all").why,
            "row 4 of results.csv (--timeline-run 4)"
        );
        // A selector's own value of the column is set aside.
        let sel = TimelineRun::parse("acks=all,seed=1").unwrap();
        assert_eq!(pick(&sel, "1").index, 0);
        assert!(
            pick(&sel, "1").why.contains("acks = 1 and seed = 1"),
            "{}",
            pick(&sel, "1").why
        );
        assert!(TimelineRun::WorstP99
            .choose_for_value(&points, &results, "acks", "0")
            .is_none());
    }

    #[test]
    fn check_refuses_rows_and_selectors_no_run_has() {
        let (points, _) = sweep();
        assert!(TimelineRun::Row(5)
            .check(&points)
            .unwrap_err()
            .contains("there are 4 runs"));
        assert!(TimelineRun::parse("acks=0")
            .unwrap()
            .check(&points)
            .unwrap_err()
            .contains("no run has acks = 0"));
        assert!(TimelineRun::parse("linger=5")
            .unwrap()
            .check(&points)
            .unwrap_err()
            .contains("`linger` is not a results.csv column"));
    }
}
