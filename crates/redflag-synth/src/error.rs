//! Errors of writing a world.

use std::path::PathBuf;

/// A world could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file or directory could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A CSV row could not be written.
    #[error("cannot write CSV file {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// A JSON document could not be written.
    #[error("cannot write JSON file {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A document (a PDF or DOCX resume) could not be built.
    #[error("cannot build document {path}: {reason}")]
    Document {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl SynthError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
        move |source| SynthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn csv(path: &std::path::Path) -> impl FnOnce(csv::Error) -> SynthError + '_ {
        move |source| SynthError::Csv {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn json(
        path: &std::path::Path,
    ) -> impl FnOnce(serde_json::Error) -> SynthError + '_ {
        move |source| SynthError::Json {
            path: path.to_path_buf(),
            source,
        }
    }
}
