use std::fs::File;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::ConnectorError;

/// A record a connector could not accept, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// The file (or batch) it was read from.
    pub source: String,
    /// 1-based line of the record.
    pub line: u64,
    /// The field (column) at fault, where one is.
    pub field: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// The raw record, for the rejects file.
    pub raw: String,
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.source, self.line)?;
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Writes rejected records to a CSV file (`source,line,field,reason,raw`), created on the first reject
/// so that a clean run leaves no empty file behind.
pub struct RejectWriter {
    path: PathBuf,
    writer: Option<csv::Writer<File>>,
    count: u64,
    append: bool,
}

impl RejectWriter {
    /// A writer for `path`; nothing is created until [`RejectWriter::write`] is first called.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            writer: None,
            count: 0,
            append: false,
        }
    }

    /// A writer that appends to `path` (used when an ingest resumes from a checkpoint, so that the
    /// rejects of the interrupted run are kept); the header is written only into a new or empty file.
    pub fn append(path: impl Into<PathBuf>) -> Self {
        Self {
            append: true,
            ..Self::new(path)
        }
    }

    /// Flushes what was written so far (before a checkpoint is saved).
    pub fn flush(&mut self) -> Result<(), ConnectorError> {
        if let Some(writer) = self.writer.as_mut() {
            writer.flush().map_err(|e| ConnectorError::RejectsFile {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// The rejects file path for an input file: `<input>.rejects.csv` in `dir`.
    pub fn path_for(dir: &Path, input: &Path) -> PathBuf {
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "input".into());
        dir.join(format!("{name}.rejects.csv"))
    }

    /// Appends one reject.
    pub fn write(&mut self, reject: &Reject) -> Result<(), ConnectorError> {
        let path = self.path.display().to_string();
        let err = |e: &dyn std::fmt::Display| ConnectorError::RejectsFile {
            path: path.clone(),
            reason: e.to_string(),
        };
        if self.writer.is_none() {
            if let Some(parent) = self.path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| err(&e))?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(self.append)
                .truncate(!self.append)
                .open(&self.path)
                .map_err(|e| err(&e))?;
            let fresh = file.metadata().map(|m| m.len() == 0).unwrap_or(true);
            let mut writer = csv::Writer::from_writer(file);
            if fresh {
                writer
                    .write_record(["source", "line", "field", "reason", "raw"])
                    .map_err(|e| err(&e))?;
            }
            self.writer = Some(writer);
        }
        if let Some(writer) = self.writer.as_mut() {
            writer
                .write_record([
                    reject.source.as_str(),
                    &reject.line.to_string(),
                    reject.field.as_deref().unwrap_or(""),
                    &reject.reason,
                    &reject.raw,
                ])
                .map_err(|e| err(&e))?;
        }
        self.count += 1;
        Ok(())
    }

    /// Flushes and reports how many rejects were written and where (None when there were none).
    pub fn finish(mut self) -> Result<Option<(PathBuf, u64)>, ConnectorError> {
        match self.writer.take() {
            Some(mut writer) => {
                writer.flush().map_err(|e| ConnectorError::RejectsFile {
                    path: self.path.display().to_string(),
                    reason: e.to_string(),
                })?;
                Ok(Some((self.path, self.count)))
            }
            None => Ok(None),
        }
    }
}
