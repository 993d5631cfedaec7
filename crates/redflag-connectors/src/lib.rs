//! Connectors: readers that translate the files defenders already have into redflag's domain model.
//!
//! Each connector reads one source format and yields [`Subject`](redflag_model::Subject)s or
//! [`Event`](redflag_model::Event)s, one [`Record`] at a time, so a file of any size is read in bounded
//! memory. A record that cannot be read becomes a [`Reject`] naming the file, line, field and reason; it
//! never stops the other records, and the caller writes rejects to a rejects file with [`RejectWriter`].
//!
//! **Design decision:** connectors only translate. They do not look anything up, score, or store: the
//! same reader serves the CLI, the HTTP API and the background workers, and stays testable on fixtures.
//!
//! Connectors: [`people`] (ATS / HRIS CSV through a [`people::PeopleMapping`]); sign-ins from [`okta`]
//! (System Log arrays and NDJSON), [`entra`] (Graph `signIns` pages and Azure Monitor exports) and
//! [`google`] (Reports API login, Drive and token activities); endpoint rows from [`osquery`] result logs;
//! developer activity from [`github`] REST API JSON and audit logs. The JSON readers share
//! [`framing::JsonFramer`] (NDJSON, arrays, API pages, bounded memory) and [`JsonEventReader`], which
//! gives counts, rejects with line and field, wrong-format refusal and a resumable [`Checkpoint`].
//! Payroll changes ([`payroll`]) and device shipments ([`shipping`]) are CSV read through declarative
//! YAML [`table::ColumnMapping`]s; people exports have built-in mappings for Greenhouse, Lever and
//! Workday; [`resumes`] attaches resume text; [`marketplace`] reads freelance-marketplace profiles.
//!
//! ```
//! use redflag_connectors::people::{PeopleMapping, PeopleReader};
//!
//! let csv = "id,first_name,last_name,email,country\n7,Hana,Sato,hana@example.jp,Japan\n8,Bad,Row,not-an-email,Japan\n";
//! let reader = PeopleReader::new(csv.as_bytes(), "export.csv", "ats", PeopleMapping::generic()).unwrap();
//! let (accepted, rejected): (Vec<_>, Vec<_>) = reader.partition(|r| r.is_ok());
//! assert_eq!(accepted.len(), 1);
//! assert_eq!(rejected.len(), 1);
//! ```
//!
//! **What this crate must never do:** depend on the store, the server or any engine.

mod fastjson;
mod ids;
mod reject;
mod simd;
mod swar;

pub mod entra;
pub mod framing;
pub mod github;
pub mod google;
pub mod marketplace;
pub mod okta;
pub mod osquery;
pub mod payroll;
pub mod people;
pub mod reader;
pub mod resumes;
pub mod shipping;
pub mod table;
pub mod time;

pub use framing::{Checkpoint, FrameState};
pub use reader::{JsonEventReader, ReadCounts, SourceFormat};
pub use reject::{Reject, RejectWriter};

/// One record read by a connector: accepted, or rejected with its location and reason.
pub type Record<T> = Result<T, Reject>;

/// A connector failure that stops a whole file (as opposed to a [`Reject`] of one record).
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's header is unusable.
    #[error("{path}: {reason}")]
    Header {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A column mapping file is unusable.
    #[error("column mapping {path}: {reason}")]
    Mapping {
        /// The mapping file (or built-in name).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A rejects file could not be written.
    #[error("cannot write rejects file {path}: {reason}")]
    RejectsFile {
        /// The rejects file.
        path: String,
        /// The cause.
        reason: String,
    },
}
