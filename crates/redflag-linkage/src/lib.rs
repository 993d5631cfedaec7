//! Persona linkage: finds the rings behind many personas (one operator, one facilitator's laptop farm)
//! and explains every link.
//!
//! Entry points: [`Linker`] (built from a [`LinkageConfig`]) links a batch with [`Linker::link`];
//! [`Linker::state`] gives a [`LinkState`] whose [`LinkState::add`] links new subjects and events into
//! the existing rings without recomputing the rest. Results ([`LinkageResult`]) carry rings
//! ([`redflag_model::Ring`] with its links), scored pairs with their waterfalls ([`ScoredPair`],
//! [`Contribution`]), `ring.*` facts ([`fact_specs`]), values excluded as placeholders or as held by
//! implausibly many subjects ([`ExcludedValue`]), and notes. [`ring_dot`] / [`ring_json`] export a ring's
//! evidence graph. A long batch reports its phases through [`Linker::with_progress`]; with
//! [`Linker::with_sparse_facts`] it leaves out the `ring.size = 1` of subjects with no ring and no pair.
//!
//! Pipeline: records (names folded by the watchlist normaliser, date of birth, location, exact keys from
//! `redflag_identity::linkage_keys`, photo hashes, resume MinHash) → blocking keys (no all-pairs; groups
//! over `max_block_size` make no pairs) → comparison vectors → Fellegi–Sunter weights, m and the prior by
//! EM over candidate patterns, u from random pairs, term-frequency u for agreed values → links → rings.
//!
//! **Design decision:** two scores per pair. The *person* weight is classic Fellegi–Sunter (names, date
//! of birth and location count for or against). The *operator* weight adds only shared identifiers
//! (payout, device, phone, document, photo, resume, shipping, egress), because personas of one hand have
//! different names by construction: name disagreement is no evidence against them. Household sharing
//! (same home address, declared families), configured benign values and NAT-like egress are capped, so
//! families and coworkers do not merge. Rings are a size-capped maximum spanning forest over the links,
//! and a link carried by one value held by more than `hub_degree` subjects does not join rings.
//!
//! ```
//! use redflag_linkage::{ExtraEvidence, LinkageConfig, Linker};
//! use redflag_model::{Identifier, PersonName, Provenance, Subject, SubjectId, SubjectKind};
//!
//! let person = |id: &str, name: &str, wallet: &str| Subject {
//!     id: SubjectId::new("ats", id).unwrap(),
//!     kind: SubjectKind::Applicant,
//!     name: PersonName::new(Some(name), None, None).unwrap(),
//!     claimed: Default::default(),
//!     role: None,
//!     identifiers: vec![Identifier::PayoutAccount(
//!         redflag_model::PayoutAccount::new("payoneer", wallet).unwrap(),
//!     )],
//!     attributes: Default::default(),
//!     provenance: Provenance::at_line("ats-csv", "applicants.csv", 2),
//! };
//! let subjects = vec![person("1", "Alex Kim", "77120931"), person("2", "Sam Lee", "77120931")];
//! let linker = Linker::new(LinkageConfig::default()).unwrap();
//! let result = linker.link(&subjects, &[], &ExtraEvidence::default());
//! assert_eq!(result.rings.len(), 1);
//! assert!(result.rings[0].links.iter().any(|l| l.kind == "payout"));
//! ```
//!
//! **Must never:** link on a name's origin or a nationality (names only compare spellings), touch the
//! store, the server or the network, or depend on the netintel engine (egress groups come in as data).

mod compare;
mod config;
mod error;
mod export;
mod facts;
mod model;
mod record;
mod state;
mod types;

pub use compare::{COMPARISONS, Comparison};
pub use config::{BenignValue, IpRange, LinkageConfig};
pub use error::LinkageError;
pub use export::{ring_dot, ring_json};
pub use facts::fact_specs;
pub use model::ModelParams;
pub use record::attributes;
pub use state::{LinkState, Linker, SubjectChunk, fingerprint};
pub use types::{
    Contribution, ExcludedValue, ExtraEvidence, LinkStats, LinkageResult, ScoredPair, SharedKind,
    SharedValue,
};
