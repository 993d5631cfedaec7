//! The domain model of redflag: the nouns every other crate speaks.
//!
//! redflag finds evidence of misrepresentation and sanctions exposure among applicants, contractors,
//! employees and marketplace accounts. Everything it knows is expressed in the types of this crate:
//!
//! - a [`Subject`] is one claimed person or account, known only through its [`Identifier`]s;
//! - an [`Event`] is something a source system saw (a sign-in, an endpoint observation, a payout change,
//!   a shipment, an application step), carrying the identifiers it saw and its [`Provenance`];
//! - enrichers write [`Fact`]s, detectors turn facts into [`Finding`]s, each with [`Evidence`] and the
//!   public [`Citation`]s behind the rule; the scorer combines findings into an [`Assessment`];
//! - linkage groups subjects into a [`Ring`].
//!
//! **Design decision:** every identifier is validated and normalised by its constructor, so a value that
//! exists in this model is already canonical (an EVM address with a correct EIP-55 checksum, a phone in
//! E.164, a document number that exists only as a keyed hash). Downstream code compares values, it never
//! re-parses them.
//!
//! **What this crate must never do:** I/O of any kind (files, network, database, clock reads are left to
//! callers where they matter for reproducibility). It depends on serde and small pure parsing crates only.
//!
//! ```
//! use redflag_model::{Identifier, IdentifierKind};
//!
//! let wallet = Identifier::wallet("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c").unwrap();
//! assert_eq!(wallet.kind(), IdentifierKind::Wallet);
//! let email = Identifier::email("  Dev.Person@Example.COM ").unwrap();
//! assert_eq!(email.value(), "dev.person@example.com");
//! assert!(Identifier::email("no-domain@").is_err());
//! ```

mod assessment;
mod columns;
mod country;
mod error;
mod event;
mod fact;
mod finding;
mod identifier;
mod provenance;
mod registry;
mod ring;
mod subject;
mod wallet;

pub use assessment::{Assessment, RiskLevel, SanctionsMatchSummary, VersionStamp};
pub use columns::{ColumnWriter, Columns, Iter as ColumnsIter, RowFiller};
pub use country::CountryCode;
pub use error::ModelError;
pub use event::{
    ApplicationStep, EndpointObservation, Event, EventId, EventKind, PayoutChange, PayoutMethod,
    Shipment, SignIn, SignInOutcome,
};
pub use fact::{Fact, FactValue};
pub use finding::{Citation, Evidence, Finding, Severity, Stage};
pub use identifier::{
    DeviceId, DeviceKind, DocumentHash, DocumentKey, EmailAddress, Identifier, IdentifierKind,
    PayoutAccount, PhoneNumber, PhotoHash, PostalAddress, ProfileUrl,
};
pub use provenance::Provenance;
pub use registry::{FactRegistry, FactSpec, FactType};
pub use ring::{Ring, RingId, RingLink};
pub use subject::{ClaimedAttributes, PersonName, Subject, SubjectId, SubjectKind, parse_timezone};
pub use wallet::{Chain, CryptoWallet};
