use thiserror::Error;

/// A value was refused by a validating constructor of the model.
///
/// Every variant names the field (or the kind of value) and the offending input, so that a connector can
/// report it next to the file and line it read it from.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// An email address without exactly one `@`, with an empty local part or without a domain.
    #[error("invalid email address {value:?}: {reason}")]
    InvalidEmail {
        /// The input as given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A phone number that libphonenumber cannot parse or that is not a possible number.
    #[error("invalid phone number {value:?}: {reason}")]
    InvalidPhone {
        /// The input as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A crypto wallet address with a wrong checksum or an unknown shape.
    #[error("invalid {chain} wallet address {value:?}: {reason}")]
    InvalidWallet {
        /// The chain the address was taken for.
        chain: String,
        /// The input as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value that is not an ISO 3166-1 country.
    #[error(
        "unknown country {value:?} (expected an ISO 3166-1 alpha-2 code or an English country name)"
    )]
    UnknownCountry {
        /// The input as given.
        value: String,
    },
    /// A time zone name that is not in the IANA database.
    #[error("unknown time zone {value:?} (expected an IANA name such as America/Los_Angeles)")]
    UnknownTimeZone {
        /// The input as given.
        value: String,
    },
    /// A field that must not be empty was empty.
    #[error("field {field} must not be empty")]
    Empty {
        /// The field's name.
        field: &'static str,
    },
    /// A value that does not have the expected form.
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// The input as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}
