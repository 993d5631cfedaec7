//! Identity signals: phones, emails and their domains, identity documents, resumes, photos, references,
//! payouts and shipping — turned into [`redflag_model::Fact`]s with evidence, and into join keys for
//! linkage.
//!
//! Entry points: [`fact_specs`] declares every fact; [`subject_facts`] describes one subject from its own
//! record and events (free or disposable email, VoIP phone, phone or email country against the claimed
//! country, MRZ check digits, payout rails and changes, shipping away from home, resume experience
//! claims, look-alike reference domains); [`Population`] / [`population_facts`] compare all subjects
//! (near-duplicate resumes by MinHash/LSH, phrase blocks reused across otherwise different resumes by
//! winnowing fingerprints, reused photos by perceptual hash, and phones, emails,
//! documents, payout accounts, shipping addresses and references shared between subjects);
//! [`linkage_keys`] gives the normalised values linkage joins on; [`extract_text`] and [`photo_hash`]
//! turn uploaded files into text and hashes, bounded in time and memory.
//!
//! **Design decision:** a shared value is a signal only between *households*: subjects that share a
//! home address are reported in the evidence but not counted in `phone.shared_with`, `payout.shared_with`
//! or `shipping.shared_with`, because a family phone or a joint account is ordinary, while one phone,
//! account or shipping address behind several unrelated "employees" is how facilitators work. Documents
//! and references are counted regardless. Data (domain lists, provider rules, payout providers) lives in
//! `data/` with its source and licence and is embedded, so the engine runs offline.
//!
//! ```
//! use redflag_identity::{IdentityConfig, subject_facts};
//! use redflag_model::{Identifier, PersonName, Provenance, Subject, SubjectId, SubjectKind};
//!
//! let subject = Subject {
//!     id: SubjectId::new("ats", "1").unwrap(),
//!     kind: SubjectKind::Applicant,
//!     name: PersonName::new(Some("Alex Kim"), None, None).unwrap(),
//!     claimed: Default::default(),
//!     role: None,
//!     identifiers: vec![Identifier::email("alex@mailinator.com").unwrap()],
//!     attributes: Default::default(),
//!     provenance: Provenance::at_line("ats-csv", "applicants.csv", 2),
//! };
//! let facts = subject_facts(&subject, &[], &IdentityConfig::default());
//! let disposable = facts.iter().find(|f| f.name == "email.is_disposable").unwrap();
//! assert_eq!(disposable.value, redflag_model::FactValue::Bool(true));
//! ```
//!
//! **Must never:** touch the store, the server or the network; keep a document number in clear; flag
//! anyone for a name, a nationality or a language — every fact here is about the subject's own evidence.

mod config;
mod document;
mod email;
mod error;
mod facts;
mod linkage;
mod lists;
mod lookalike;
mod phone;
mod photo;
mod population;
mod reshipper;
pub mod resume;
mod signals;

pub use config::{
    CompanyDomains, IdentityConfig, PayoutProviders, ProviderKind, ReshipperList, attributes,
    company_key,
};
pub use document::{Mrz, MrzError, MrzFormat, check_digit, hash_mrz_number, parse_mrz};
pub use email::{EmailInfo, EmailLists, ascii_domain, unicode_domain};
pub use error::IdentityError;
pub use facts::fact_specs;
pub use linkage::{LinkageKey, event_linkage_keys, linkage_keys, linkage_keys_with};
pub use lookalike::{LookAlike, LookAlikeKind, compare as compare_domains, registrable};
pub use phone::{LineType, PhoneInfo, describe as describe_phone};
pub use photo::{DEFAULT_MAX_DISTANCE, ImageLimits, distance as photo_distance, photo_hash};
pub use population::{Population, population_facts};
pub use reshipper::ReshipperEntry;
pub use resume::{ExtractLimits, ResumeFormat, ResumeText, extract_text};
pub use signals::subject_facts;
