use thiserror::Error;

/// Something this crate could not read. Every variant names the file (or list) and what was wrong, so a
/// caller can report it per file and carry on with the next one.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// The file is larger than [`crate::ExtractLimits::max_input_bytes`].
    #[error("{file}: {size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// The file name given by the caller.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file name's extension and its first bytes name no format this crate reads.
    #[error("{file}: unsupported format ({reason})")]
    UnsupportedFormat {
        /// The file name given by the caller.
        file: String,
        /// What was seen.
        reason: String,
    },
    /// The file is damaged or is not what its extension says.
    #[error("{file}: unreadable {format}: {reason}")]
    Unreadable {
        /// The file name given by the caller.
        file: String,
        /// `pdf`, `docx`, `text`, `image`.
        format: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// A bound on decompressed size, nesting, entries or pixels was hit: the file may be a decompression
    /// bomb or crafted to exhaust memory.
    #[error("{file}: refused: {what} exceeds the limit of {limit}")]
    LimitExceeded {
        /// The file name given by the caller.
        file: String,
        /// The bound that was hit (`decompressed bytes`, `xml depth`, `zip entries`, `pixels`, …).
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// Extraction took longer than [`crate::ExtractLimits::timeout`].
    #[error("{file}: gave up after {millis} ms")]
    TimedOut {
        /// The file name given by the caller.
        file: String,
        /// The time limit in milliseconds.
        millis: u128,
    },
    /// A data list (domain list, reshipper list, company-domain list) has a bad line.
    #[error("{list} line {line}: {reason}: {value:?}")]
    BadListLine {
        /// The list's name or path.
        list: String,
        /// 1-based line number.
        line: usize,
        /// The line as read.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}
