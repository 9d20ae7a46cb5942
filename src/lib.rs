//! prodsim: a deterministic discrete-event simulator of Apache Kafka producer semantics.
//!
//! Layers (dependencies point down only): `cli` (binary) -> `report` -> `scenario` -> `check`
//! -> `model` -> `sim`. The one entry point of the model is [`run`].

pub mod config;
pub mod expect;
pub mod result;
pub mod scenario;

pub use config::RunSpec;
pub use result::RunResult;
