use std::path::PathBuf;

/// Where in a list file something went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file (or `<builtin:…>` / `<memory>`).
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// 1-based column, where known.
    pub column: Option<u64>,
    /// The element, column or field being read.
    pub element: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(el) = &self.element {
            write!(f, " (in {el})")?;
        }
        Ok(())
    }
}

/// An error reading, parsing or storing a list.
#[derive(Debug, thiserror::Error)]
pub enum WatchlistError {
    /// The file could not be read.
    #[error("cannot read list file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not well-formed or not of the expected structure.
    #[error("{at}: {reason}")]
    Malformed {
        /// Where.
        at: Location,
        /// What is wrong.
        reason: String,
    },
    /// The file's format could not be recognised.
    #[error("{path}: cannot tell the list format ({reason}); pass the format explicitly")]
    UnknownFormat {
        /// The file.
        path: String,
        /// What was seen.
        reason: String,
    },
    /// A file parsed but contains no entity: refused so that an empty list never becomes active.
    #[error("{path}: parsed as {format} but holds no entity; refusing an empty list")]
    Empty {
        /// The file.
        path: String,
        /// The format it was read as.
        format: String,
    },
    /// The list repository on disk is inconsistent.
    #[error("list repository {path}: {reason}")]
    Repository {
        /// The directory or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A query that cannot be screened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Neither a name nor an identifier was given.
    #[error(
        "nothing to screen: the query has an empty name and no identifier (give a name, or an email, phone, wallet, website or document number)"
    )]
    Empty,
    /// A name made only of punctuation, legal forms or stop words.
    #[error(
        "the name {0:?} has no searchable word after normalisation (only punctuation, titles or legal forms)"
    )]
    NoNameTokens(String),
}
