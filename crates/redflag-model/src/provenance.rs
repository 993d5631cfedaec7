use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a record came from, so that any finding can point back to the line it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Provenance {
    /// The connector that read it (`people-csv`, `okta`, `osquery`, …).
    pub connector: String,
    /// The file path or API batch id.
    pub source: String,
    /// 1-based line (or record number for formats without lines).
    pub line: Option<u64>,
    /// Byte offset of the record's start, where the reader knows it.
    pub byte_offset: Option<u64>,
    /// When it was ingested.
    pub ingested_at: Option<DateTime<Utc>>,
}

impl Provenance {
    /// A provenance for a record at `line` of `source`.
    pub fn at_line(connector: &str, source: &str, line: u64) -> Self {
        Self {
            connector: connector.to_string(),
            source: source.to_string(),
            line: Some(line),
            byte_offset: None,
            ingested_at: None,
        }
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.connector, self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        Ok(())
    }
}
