//! chokepoint — an agent-based simulation of technology statecraft in the semiconductor supply
//! chain. States and firms are agents in a bevy_ecs World; scenarios script export controls and
//! other policies over time; runs report market shares, self-sufficiency and technology gaps.
//!
//! The data path: scenario file → validated [`scenario::Scenario`] → [`model::Simulation`]
//! (agents and tick systems) → metric rows → tidy tables ([`output`]).

pub mod charts;
pub mod effect;
pub mod labels;
pub mod model;
pub mod output;
pub mod provenance;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod sweep;
