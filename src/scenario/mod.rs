//! Scenario files: their types, loading with `extends` and overrides, and validation.
//! The model only ever sees a validated [`Scenario`].

pub mod controls;
pub mod error;
pub mod load;
pub mod params;
pub mod ranges;
pub mod source;
pub mod synthetic;
pub mod types;
pub mod validate;

pub use error::ScenarioError;
pub use load::{Loaded, Overrides, load, load_str, resolve_source};
pub use source::{Source, scenario_hash, to_ron};
pub use types::{Action, Alliance, Date, Event, Firm, Input, InputRole, Scenario, Sector, State};
