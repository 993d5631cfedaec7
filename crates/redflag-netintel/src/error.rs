use std::path::PathBuf;

use thiserror::Error;

/// A data file could not be loaded. Every variant names the source (a file path, or `builtin:<name>` for
/// vendored data) and, for text formats, the 1-based line, so the user can fix the file.
#[derive(Debug, Error)]
pub enum NetIntelError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A compressed vendored table could not be decompressed.
    #[error("cannot decompress {origin}: {source}")]
    Decompress {
        /// The data set.
        origin: String,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// A line of a range table or IP set does not parse.
    #[error("{origin}:{line}: invalid {field} {value:?}: {reason}")]
    Line {
        /// The file or data set.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// The field that is wrong (`start`, `end`, `country`, `asn`, `cidr`, …).
        field: &'static str,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file whose content is not what its loader expects (empty, wrong header).
    #[error("{origin}: {reason}")]
    Format {
        /// The file or data set.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A MaxMind DB file that the reader refuses (truncated, corrupt, unknown layout).
    #[error("{origin}: not a usable MaxMind DB file: {reason}")]
    Mmdb {
        /// The file.
        origin: String,
        /// What the reader said.
        reason: String,
    },
    /// An address given to a lookup that is not an IP address.
    #[error("{origin}:{line}: invalid IP address {value:?}")]
    BadAddress {
        /// Where it was read (`argument`, a file name).
        origin: String,
        /// 1-based line, or the argument's position.
        line: usize,
        /// The text.
        value: String,
    },
}
