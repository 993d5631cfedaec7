use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a record came from, so that any finding can point back to the line it was read from.
///
/// The connector name and the source are shared (`Arc<str>`): a reader makes them once per file and
/// each record's provenance clones two pointers, not two strings. They serialise as plain JSON strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Provenance {
    /// The connector that read it (`people-csv`, `okta`, `osquery`, …).
    pub connector: Arc<str>,
    /// The file path or API batch id.
    pub source: Arc<str>,
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
            connector: connector.into(),
            source: source.into(),
            line: Some(line),
            byte_offset: None,
            ingested_at: None,
        }
    }

    /// A provenance for a record at `line`, byte `offset`, of `source`, sharing the reader's strings
    /// (each call clones two pointers).
    pub fn shared(connector: &Arc<str>, source: &Arc<str>, line: u64, offset: u64) -> Self {
        Self {
            connector: Arc::clone(connector),
            source: Arc::clone(source),
            line: Some(line),
            byte_offset: Some(offset),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Shared strings serialise as the plain strings they replaced, and read back equal.
    #[test]
    fn shared_strings_serialise_as_plain_strings() {
        let connector: Arc<str> = "okta".into();
        let source: Arc<str> = "/data/a \"b\".ndjson".into();
        let shared = Provenance::shared(&connector, &source, 7, 120);
        let mut owned = Provenance::at_line("okta", "/data/a \"b\".ndjson", 7);
        owned.byte_offset = Some(120);
        assert_eq!(shared, owned);
        let json = serde_json::to_string(&shared).unwrap();
        assert_eq!(
            json,
            r#"{"connector":"okta","source":"/data/a \"b\".ndjson","line":7,"byte_offset":120,"ingested_at":null}"#
        );
        assert_eq!(serde_json::from_str::<Provenance>(&json).unwrap(), shared);
        assert_eq!(shared.to_string(), "okta /data/a \"b\".ndjson:7");
    }
}
