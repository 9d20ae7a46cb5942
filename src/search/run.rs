//! The search: sharded deterministic runners, shrinking, the counterexample.

use super::*;

/// A violation, shrunk.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The property's name.
    pub(crate) property: &'static str,
    /// The first failing case the search drew.
    pub spec: RunSpec,
    /// The minimal failing case after shrinking.
    pub minimal: RunSpec,
    /// The minimal case's result (`None` when the simulator panicked on it).
    pub result: Option<RunResult>,
    /// What the minimal case broke, in words.
    pub violation: String,
    /// When the minimal case is outside the property's precondition: why (Kafka does not
    /// promise the property there; the counterexample shows what happens instead).
    pub outside_precondition: Option<String>,
    /// New cases run before the first failure (all shards up to the failing one).
    pub cases_before: u64,
    /// Shrinking steps that made the case smaller.
    pub shrink_steps: u64,
}

/// What a search found.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The property held for this many cases.
    Held(u64),
    /// The property failed: the shrunk counterexample.
    Counterexample(Box<Counterexample>),
}

/// Progress of a running search (read it from another thread to draw a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// New cases run (all shards).
    pub cases: AtomicU64,
    /// Simulations run while shrinking.
    pub shrink_runs: AtomicU64,
    /// Whether some shard found a violation.
    pub found: AtomicBool,
}

/// How to search.
pub struct SearchOptions<'a> {
    /// New cases to run (persisted regressions aside).
    pub cases: u32,
    /// Seeds the RNG of every shard: the same seed gives the same search.
    pub seed: u64,
    /// Parallel shards (0 = one per core). The outcome does not depend on it.
    pub jobs: usize,
    /// Most shrinking steps per counterexample.
    pub max_shrink_iters: u32,
    /// proptest regression file (absolute path): failing seeds are appended to it and replayed
    /// first by later searches.
    pub regressions: Option<&'static str>,
    /// Where the search reports its progress, if anywhere.
    pub progress: Option<&'a Progress>,
}

impl Default for SearchOptions<'_> {
    fn default() -> Self {
        SearchOptions {
            cases: 256,
            seed: 1,
            jobs: 0,
            max_shrink_iters: MAX_SHRINK_ITERS,
            regressions: None,
            progress: None,
        }
    }
}

/// The ChaCha seed of shard `shard` of search `seed` (splitmix64 of both: no OS entropy).
fn shard_rng(seed: u64, shard: u32) -> TestRng {
    let mut bytes = [0u8; 32];
    let mut x = seed ^ (shard as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for chunk in bytes.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// What one shard found.
struct ShardResult {
    failure: Option<(RunSpec, RunSpec, String)>,
    cases: u64,
    shrink_steps: u64,
}

/// Searches `space` for a violation of `property` in `cases` cases from search seed `seed`.
pub fn search(space: &Space, property: &'static Property, cases: u32, seed: u64) -> Outcome {
    search_with(
        space,
        property,
        &SearchOptions {
            cases,
            seed,
            ..SearchOptions::default()
        },
    )
}

/// [`search`] with every option.
pub fn search_with(space: &Space, property: &'static Property, opts: &SearchOptions) -> Outcome {
    let shards = opts.cases.div_ceil(SHARD_CASES).max(1);
    // Lowest shard that failed so far: higher shards stop early, lower ones run on.
    let lowest_failed = AtomicUsize::new(usize::MAX);
    let run_shard = |shard: u32| -> ShardResult {
        let shard_cases = (opts.cases - shard * SHARD_CASES).min(SHARD_CASES);
        let config = Config {
            cases: shard_cases,
            max_shrink_iters: opts.max_shrink_iters,
            max_shrink_time: 0,
            // Cases are only rejected once a lower shard failed: stop soon after.
            max_global_rejects: 16,
            failure_persistence: opts
                .regressions
                .map(|p| Box::new(FileFailurePersistence::Direct(p)) as Box<_>),
            source_file: opts.regressions,
            // No forking, no timeouts: a case is a pure function of its spec.
            fork: false,
            timeout: 0,
            verbose: 0,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, shard_rng(opts.seed, shard));
        let strategy = space.strategy(property);
        let first: Mutex<Option<RunSpec>> = Mutex::new(None);
        let cases_run = AtomicU64::new(0);
        let shrink_steps = AtomicU64::new(0);
        let result = runner.run(&strategy, |spec| {
            let failed_before = first.lock().expect("lock").is_some();
            if !failed_before && lowest_failed.load(Ordering::Relaxed) < shard as usize {
                return Err(TestCaseError::reject("a lower shard already failed"));
            }
            if failed_before {
                if let Some(p) = opts.progress {
                    p.shrink_runs.fetch_add(1, Ordering::Relaxed);
                }
            } else {
                cases_run.fetch_add(1, Ordering::Relaxed);
                if let Some(p) = opts.progress {
                    p.cases.fetch_add(1, Ordering::Relaxed);
                }
            }
            match property.check_run(&spec) {
                Ok(_) => Ok(()),
                Err(violation) => {
                    let mut f = first.lock().expect("lock");
                    if f.is_none() {
                        *f = Some(spec);
                        lowest_failed.fetch_min(shard as usize, Ordering::Relaxed);
                        if let Some(p) = opts.progress {
                            p.found.store(true, Ordering::Relaxed);
                        }
                    } else {
                        shrink_steps.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TestCaseError::fail(violation))
                }
            }
        });
        let failure = match result {
            Err(TestError::Fail(reason, minimal)) => {
                let original = first.lock().expect("lock").clone().unwrap_or_else(|| minimal.clone());
                Some((original, minimal, reason.message().to_string()))
            }
            // Aborted (stopped because a lower shard failed) or held.
            _ => None,
        };
        ShardResult {
            failure,
            cases: cases_run.load(Ordering::Relaxed),
            shrink_steps: shrink_steps.load(Ordering::Relaxed),
        }
    };
    let results: Vec<ShardResult> = if opts.jobs == 1 {
        (0..shards).map(run_shard).collect()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.jobs)
            .build()
            .expect("thread pool");
        pool.install(|| (0..shards).into_par_iter().map(run_shard).collect())
    };
    let mut cases_before = 0;
    for r in results {
        match r.failure {
            None => cases_before += r.cases,
            Some((spec, minimal, violation)) => {
                let result = catch_unwind(AssertUnwindSafe(|| crate::run(&minimal))).ok();
                let outside_precondition = property.precondition(&minimal).err();
                return Outcome::Counterexample(Box::new(Counterexample {
                    property: property.name,
                    spec,
                    minimal,
                    result,
                    violation,
                    outside_precondition,
                    cases_before: cases_before + r.cases,
                    shrink_steps: r.shrink_steps,
                }));
            }
        }
    }
    Outcome::Held(cases_before)
}
