//! A synthetic world for redflag: a seeded, deterministic population of a company or a freelance
//! marketplace, with operators' rings of DPRK IT-worker personas and hard negatives planted among
//! ordinary innocents, written in the formats the connectors read, with the ground truth next to it.
//!
//! Entry points: [`WorldConfig`] (size, window, seed, ring rate; [`WorldConfig::default`] is the
//! ~10,000-subject, 90-day demo world, [`WorldConfig::small`] a 1,000-subject one), [`generate`] which
//! plans the world, and [`World::write_to`] which streams `people.csv`, the event files (Okta, Entra ID
//! and Google Workspace sign-ins by department, osquery, payroll, shipping), resumes (text, PDF, DOCX)
//! and `ground_truth.json` into a directory. [`World::person`] generates any one subject. The [`eval`] module
//! scores a detector's run against a world's ground truth (precision, recall, rings, fairness).
//!
//! **Design decision:** every subject, ring and event stream draws from its own ChaCha generator keyed by
//! the seed and the item's index, and only the special subjects (personas, hard negatives) are planned up
//! front. So a world's bytes depend on the config alone, any subject can be generated alone, and a
//! world of millions of subjects is written in bounded memory.
//!
//! Realism is the point: most people who use a VPN, work at night, travel, share a home, get paid through
//! Payoneer or have Korean, Chinese or Vietnamese names are innocent here, as in life. Operators carry
//! the signals of the public research catalogue in different mixes and strengths; see [`Signal`] and
//! [`HardNegative`].
//!
//! ```
//! use redflag_synth::{WorldConfig, generate};
//!
//! let config = WorldConfig { subjects: 300, days: 7, events: false, ..WorldConfig::small() };
//! let world = generate(&config);
//! let dir = std::env::temp_dir().join(format!("redflag-synth-doc-{}", std::process::id()));
//! let written = world.write_to(&dir).unwrap();
//! assert_eq!(written.subjects, 300);
//! assert!(written.operators >= 2);
//! assert!(dir.join("people.csv").exists() && dir.join("ground_truth.json").exists());
//! # std::fs::remove_dir_all(&dir).ok();
//! ```
//!
//! **What this crate must never do:** read the ground truth back into a detector, depend on the
//! engines, the store, the server or an async runtime, or read the clock (the window is in the config).

mod config;
mod data;
mod document;
mod error;
pub mod eval;
mod events;
mod ident;
mod person;
mod plan;
mod resume;
mod rng;
mod truth;
mod world;

pub use config::{IdentityProvider, PopulationKind, WorldConfig};
pub use error::SynthError;
pub use person::{Label, Person, Reference};
pub use truth::{
    FacilitatorTruth, GroundTruth, HardNegative, HardNegativeTruth, OperatorTruth, PlantedSignal,
    RingTruth, Signal, Strength,
};
pub use world::{PEOPLE_HEADER, World, WrittenFile, WrittenWorld, generate};
