//! The subcommands of the `prodsim` command line, one file each: options (clap `Args`) and the
//! command. Shared helpers (loading a scenario, errors with exit codes) live in `main.rs`.

pub(crate) mod explain;
pub(crate) mod merge;
pub(crate) mod perf_test;
pub(crate) mod plot;
pub(crate) mod progress;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod what_if;

pub(crate) use super::{bad_input, io_failure, load, print_notes, Failure};
