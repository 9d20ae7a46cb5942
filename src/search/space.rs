//! The search space: what a scenario lets the search vary.

use super::*;

/// One swept key and its values (a scenario's `[sweep]` axis).
#[derive(Clone, Debug)]
pub struct Axis {
    /// The key (`producer.linger_ms`).
    pub(crate) key: String,
    /// Its values.
    pub(crate) values: Vec<Value>,
}

/// What a search draws its cases from.
#[derive(Clone, Debug)]
pub struct Space {
    /// Configuration of every case (with `random_config`, the part not drawn).
    pub(crate) base: RunSpec,
    /// Swept keys: each case takes one value of each axis (shrinking towards the first).
    pub(crate) sweep: Vec<Axis>,
    /// Draw producer, cluster, network and workload settings ([`arb_config`]) and make them
    /// meet the property's precondition ([`Property::conform`]).
    pub(crate) random_config: bool,
    /// Faults of the scenario's own schedule: each case keeps a subset of them.
    pub scripted: Vec<Fault>,
    /// Fault kinds drawn; `None`: the property's fault model.
    pub fault_kinds: Option<Vec<FaultType>>,
    /// Most faults drawn per case (scripted ones aside).
    pub max_faults: usize,
    /// Apply the property's fault budgets ([`Property::down_budget`],
    /// [`Property::power_loss_budget`]) when it has them.
    pub(crate) enforce_down_budget: bool,
    /// Keys with a release history that the scenario sets or sweeps itself: a swept
    /// `cluster.kafka_version` leaves them alone.
    pub(crate) explicit: Vec<&'static str>,
}

impl Space {
    /// Searches over fault schedules of one fixed configuration.
    pub fn from_spec(spec: &RunSpec) -> Space {
        Space {
            base: spec.clone(),
            sweep: Vec::new(),
            random_config: false,
            scripted: spec.faults.clone(),
            fault_kinds: None,
            max_faults: 4,
            enforce_down_budget: true,
            explicit: Vec::new(),
        }
    }

    /// Searches over fault schedules (and sweep points) of a scenario.
    pub fn from_scenario(sc: &Scenario) -> Space {
        Space {
            base: sc.base_spec(),
            explicit: history_keys().into_iter().filter(|k| sc.sets(k)).collect(),
            sweep: sc
                .sweep
                .iter()
                .map(|a| Axis {
                    key: a.key.clone(),
                    values: a.values.clone(),
                })
                .collect(),
            random_config: false,
            scripted: sc.base.faults.clone(),
            fault_kinds: None,
            max_faults: 4,
            enforce_down_budget: true,
        }
    }

    /// Searches over random configurations meeting the property's precondition, with `base`
    /// giving the run length (sized for tests: `duration_ms` of 5 to 20 s).
    pub fn random(base: &RunSpec) -> Space {
        Space {
            base: base.clone(),
            sweep: Vec::new(),
            random_config: true,
            scripted: Vec::new(),
            fault_kinds: None,
            max_faults: 4,
            enforce_down_budget: true,
            explicit: Vec::new(),
        }
    }

    /// The longest production window any case has (sweeps may change `duration_ms`).
    fn window_ms(&self) -> u64 {
        let mut w = self.base.duration_ms;
        for a in self.sweep.iter().filter(|a| a.key == "duration_ms") {
            for v in &a.values {
                if let Value::Integer(i) = v {
                    w = w.max(*i as u64);
                }
            }
        }
        w
    }

    /// The fault kinds a search of `property` draws.
    pub fn kinds(&self, property: &Property) -> Vec<FaultType> {
        match &self.fault_kinds {
            Some(k) => k.clone(),
            None => property.fault_kinds.to_vec(),
        }
    }

    /// The strategy of cases: full run specs, fault schedule first (shrunk first).
    pub fn strategy(&self, property: &'static Property) -> BoxedStrategy<RunSpec> {
        let faults = arb_faults(&self.kinds(property), self.window_ms(), self.max_faults);
        let scripted = subsequence(self.scripted.clone(), 0..=self.scripted.len());
        let sweep: Vec<std::ops::Range<usize>> = self.sweep.iter().map(|a| 0..a.values.len()).collect();
        let config = if self.random_config {
            arb_config(self.base.clone())
        } else {
            Just(self.base.clone()).boxed()
        };
        // The seed changes everything at once: shrinking it simplifies nothing.
        let seed = (1u64..1_000_000_000).no_shrink();
        let space = self.clone();
        (faults, scripted, sweep, config, seed)
            .prop_map(move |(drawn, kept, picks, mut spec, seed)| {
                for (axis, &i) in space.sweep.iter().zip(&picks) {
                    set_key(&mut spec, &axis.key, &axis.values[i]).expect("sweep values were validated");
                }
                if !space.random_config && !space.sweep.is_empty() {
                    // A swept release brings its own defaults (the scenario's keys still win).
                    apply_release_defaults(&mut spec, |k| space.explicit.contains(&k));
                }
                if space.random_config {
                    (property.conform)(&mut spec);
                }
                spec.faults = kept;
                spec.faults.extend(drawn);
                spec.random_faults = RandomFaults::default();
                let enforce = space.enforce_down_budget;
                let budget = property.down_budget.filter(|_| enforce).map(|b| b(&spec));
                normalize_faults(&mut spec, budget);
                if let Some(b) = property.power_loss_budget.filter(|_| enforce) {
                    let budget = b(&spec);
                    limit_power_losses(&mut spec, budget);
                }
                spec.seed = seed;
                spec
            })
            .boxed()
    }
}
