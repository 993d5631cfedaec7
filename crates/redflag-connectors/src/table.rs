//! The machinery shared by the column-mapped CSV readers (payroll changes, device shipments): a
//! declarative [`ColumnMapping`] read from YAML, header resolution, per-row access, rejects naming the
//! column, explicit time zones and byte-offset checkpoints.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::io::{Read, Seek};

use serde::Deserialize;

use crate::framing::{Checkpoint, FrameState};
use crate::time::{DeclaredZone, parse_with_zone};
use crate::{ConnectorError, ReadCounts, Reject};

/// Which columns feed which field of a CSV export, with the zone of zone-less times. Read from YAML:
///
/// ```yaml
/// name: generic
/// fields:
///   email: [email, work_email]
///   time: [effective_date]
/// timezone: UTC          # optional: only then are zone-less times and bare dates accepted
/// ```
///
/// Header names are compared case-insensitively with spaces, dashes and underscores ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "F: Deserialize<'de> + Ord"), deny_unknown_fields)]
pub struct ColumnMapping<F> {
    /// A short name (`generic`, `workday`, …).
    #[serde(default)]
    pub name: Option<String>,
    /// Where the column names come from (the vendor's export documentation).
    #[serde(default)]
    pub source: Option<String>,
    /// For each field, the header names that carry it, in order of preference.
    pub fields: BTreeMap<F, Vec<String>>,
    /// The zone of times written without one. Without it such times are rejected.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Separator for several values in one cell.
    #[serde(default = "default_separator")]
    pub multi_value_separator: char,
}

fn default_separator() -> char {
    ';'
}

impl<F: for<'de> Deserialize<'de> + Ord> ColumnMapping<F> {
    /// Parses a mapping from YAML; `origin` names the file in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, ConnectorError> {
        serde_yaml_ng::from_str(text).map_err(|e| ConnectorError::Mapping {
            path: origin.to_string(),
            reason: e.to_string(),
        })
    }
}

/// Normalises a header name: letters and digits only, lower-cased.
pub(crate) fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A CSV file read through a [`ColumnMapping`].
pub(crate) struct CsvTable<R: Read, F> {
    reader: csv::Reader<R>,
    source: String,
    header_len: usize,
    header_names: Vec<String>,
    columns: HashMap<F, Vec<usize>>,
    zone: Option<DeclaredZone>,
    pub(crate) record: csv::StringRecord,
    finished: bool,
    pub(crate) counts: ReadCounts,
}

impl<R: Read, F: Copy + Eq + Hash + Ord> CsvTable<R, F> {
    /// Opens the table, resolving the mapping against the header. `required` lists groups of fields of
    /// which at least one must have a column, with the message to give when none has.
    pub(crate) fn open(
        input: R,
        source: &str,
        mapping: &ColumnMapping<F>,
        required: &[(&[F], &str)],
    ) -> Result<Self, ConnectorError> {
        let header_err = |reason: String| ConnectorError::Header {
            path: source.to_string(),
            reason,
        };
        let zone = mapping
            .timezone
            .as_deref()
            .map(DeclaredZone::parse)
            .transpose()
            .map_err(|e| ConnectorError::Mapping {
                path: mapping.name.clone().unwrap_or_else(|| "mapping".into()),
                reason: format!("timezone: {e}"),
            })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| header_err(format!("cannot read the header row: {e}")))?
            .clone();
        let by_key: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (header_key(h), i))
            .collect();
        let mut columns: HashMap<F, Vec<usize>> = HashMap::new();
        let mut used = vec![false; headers.len()];
        for (field, names) in &mapping.fields {
            for name in names {
                if let Some(&index) = by_key.get(&header_key(name))
                    && !used[index]
                {
                    used[index] = true;
                    columns.entry(*field).or_default().push(index);
                }
            }
        }
        for (group, message) in required {
            if !group.iter().any(|f| columns.contains_key(f)) {
                return Err(header_err(format!(
                    "{message} (header is: {}); map one with a column mapping",
                    headers.iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(Self {
            reader,
            source: source.to_string(),
            header_len: headers.len(),
            header_names: headers.iter().map(str::to_string).collect(),
            columns,
            zone,
            record: csv::StringRecord::new(),
            finished: false,
            counts: ReadCounts::default(),
        })
    }

    /// The file name given to the reader.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Reads the next row: `Some(Ok(line))` with the row in `self.record`, a reject for a row of the
    /// wrong width or undecodable bytes, `None` at the end.
    pub(crate) fn next_row(&mut self) -> Option<Result<u64, Reject>> {
        if self.finished {
            return None;
        }
        let mut record = std::mem::take(&mut self.record);
        let result = self.reader.read_record(&mut record);
        self.record = record;
        match result {
            Ok(false) => None,
            Ok(true) => {
                self.counts.records += 1;
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                if self.record.len() != self.header_len {
                    let reason = format!(
                        "{} fields where the header has {}",
                        self.record.len(),
                        self.header_len
                    );
                    return Some(Err(self.reject_raw(line, None, reason)));
                }
                Some(Ok(line))
            }
            Err(e) => {
                self.counts.records += 1;
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let reason = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "not valid UTF-8 (export the file as UTF-8)".to_string()
                    }
                    _ => e.to_string(),
                };
                self.finished = e.is_io_error();
                Some(Err(Reject {
                    source: self.source.clone(),
                    line,
                    field: None,
                    reason,
                    raw: String::new(),
                }))
            }
        }
    }

    /// The first non-empty cell of a field's columns (not split on the separator).
    pub(crate) fn first(&self, field: F) -> Option<&str> {
        self.columns
            .get(&field)?
            .iter()
            .find_map(|&i| self.record.get(i).map(str::trim).filter(|v| !v.is_empty()))
    }

    /// All non-empty cells of a field's columns, joined with `joiner`.
    pub(crate) fn joined(&self, field: F, joiner: &str) -> Option<String> {
        let parts: Vec<&str> = self
            .columns
            .get(&field)?
            .iter()
            .filter_map(|&i| self.record.get(i).map(str::trim).filter(|v| !v.is_empty()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(joiner))
    }

    /// The header of a field's first column, for rejects.
    pub(crate) fn column_name(&self, field: F) -> Option<String> {
        self.columns
            .get(&field)
            .and_then(|c| c.first())
            .and_then(|&i| self.header_names.get(i).cloned())
    }

    /// A reject of the current row naming a field's column.
    pub(crate) fn reject(&self, line: u64, field: Option<F>, reason: impl Into<String>) -> Reject {
        self.reject_raw(line, field.and_then(|f| self.column_name(f)), reason.into())
    }

    fn reject_raw(&self, line: u64, field: Option<String>, reason: String) -> Reject {
        Reject {
            source: self.source.clone(),
            line,
            field,
            reason,
            raw: self.record.iter().collect::<Vec<_>>().join(","),
        }
    }

    /// A field's time, in UTC with the written (or declared) offset.
    pub(crate) fn time(
        &self,
        line: u64,
        field: F,
    ) -> Result<(chrono::DateTime<chrono::Utc>, i32), Reject> {
        let text = self
            .first(field)
            .ok_or_else(|| self.reject(line, Some(field), "no time"))?;
        parse_with_zone(text, self.zone.as_ref()).map_err(|e| self.reject(line, Some(field), e))
    }

    /// Where to resume: the start of the next unread row.
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        let p = self.reader.position();
        Checkpoint {
            offset: p.byte(),
            line: p.line(),
            state: FrameState::Lines,
        }
    }
}

impl<R: Read + Seek, F: Copy + Eq + Hash + Ord> CsvTable<R, F> {
    /// Moves to a checkpoint taken from this file (after the header has been read).
    pub(crate) fn seek(&mut self, checkpoint: Checkpoint) -> Result<(), ConnectorError> {
        if checkpoint.offset == 0 {
            return Ok(());
        }
        let mut position = csv::Position::new();
        position
            .set_byte(checkpoint.offset)
            .set_line(checkpoint.line.max(1))
            .set_record(checkpoint.line.saturating_sub(1));
        self.reader.seek(position).map_err(|e| ConnectorError::Io {
            path: self.source.clone(),
            source: std::io::Error::other(e.to_string()),
        })
    }
}
