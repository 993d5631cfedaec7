//! Errors of the linkage crate.

use thiserror::Error;

/// Something the linker was given that it cannot use. Messages name the field and the value.
#[derive(Debug, Error)]
pub enum LinkageError {
    /// A configuration or input value is out of range or malformed.
    #[error("{field}: invalid value {value:?}: {reason}")]
    InvalidValue {
        /// The field (`person_threshold`, `ip range`, …).
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A model or state file could not be read.
    #[error("{file}: line {line}, column {column}: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// What the parser said.
        reason: String,
    },
    /// A saved linking state cannot be used: not a state, corrupt, of another format version, or made
    /// under another configuration. The caller falls back to a full run.
    #[error("linkage state: {reason}")]
    State {
        /// What is wrong.
        reason: String,
    },
}
