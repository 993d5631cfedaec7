//! The machinery shared by the column-mapped CSV readers (payroll changes, device shipments): a
//! declarative [`ColumnMapping`] read from YAML, header resolution, per-row access, rejects naming the
//! column, explicit time zones, attribution by email or employee id, and byte-offset checkpoints.
//!
//! A reader is a [`MappedReader`] over a [`RowKind`]: the kind names its fields, built-in mappings and
//! required columns, and turns one row into an [`Event`]; everything else (opening, counting, resuming,
//! iterating) is here once.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::io::{Read, Seek};
use std::marker::PhantomData;

use redflag_model::{Event, Identifier};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::framing::{Checkpoint, FrameState};
use crate::time::{DeclaredZone, parse_with_zone};
use crate::{ConnectorError, ReadCounts, Record, Reject};

/// The system assumed to have issued employee ids when a mapping does not name one: the default
/// `--system` of `redflag ingest`, so that people, payroll and shipping files ingested with the defaults
/// agree on whose numbers they are.
pub const DEFAULT_EMPLOYEE_ID_SYSTEM: &str = "ats";

/// The field enum of one kind of mapped export, with that kind's built-in mappings.
pub trait MappedField: Copy + Eq + Hash + Ord + DeserializeOwned + 'static {
    /// The kind's name in messages (`payroll`, `shipping`).
    const KIND: &'static str;
    /// Built-in mappings by name, embedded from `mappings/<kind>-*.yaml`.
    const BUILTINS: &'static [(&'static str, &'static str)];
}

/// One kind of column-mapped CSV export: its fields, the columns it cannot do without, and how one row
/// becomes an event.
pub trait RowKind {
    /// The fields a mapping can fill.
    type Field: MappedField;
    /// Groups of fields of which at least one must have a column, with the message when none has.
    const REQUIRED: &'static [(&'static [Self::Field], &'static str)];
    /// Turns the current row (at `line`) into an event, or a reject naming the column at fault.
    fn event<R: Read>(table: &CsvTable<R, Self::Field>, line: u64) -> Result<Event, Reject>;
}

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
    /// The system that issued the numbers in the `employee_id` column (`workday`, `ats`, …): the same
    /// name people files were ingested with, so a row with an employee id and no email is attributed to
    /// that system's person. Default [`DEFAULT_EMPLOYEE_ID_SYSTEM`].
    #[serde(default)]
    pub employee_id_system: Option<String>,
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

impl<F: MappedField> ColumnMapping<F> {
    /// A built-in mapping by name (case-insensitive), from `mappings/<kind>-*.yaml`.
    pub fn builtin(name: &str) -> Option<Self> {
        builtin(F::BUILTINS, name, Self::from_yaml)
    }

    /// The `generic` built-in mapping (the column names of common exports and of redflag-synth).
    pub fn generic() -> Self {
        #[allow(clippy::expect_used)]
        Self::builtin("generic").expect("the embedded generic mappings parse (tested)")
    }

    /// A built-in mapping by name, or a YAML mapping file at that path.
    pub fn load(name_or_path: &str) -> Result<Self, ConnectorError> {
        load(F::KIND, F::BUILTINS, name_or_path, Self::from_yaml)
    }
}

/// The built-in mapping called `name` (case-insensitive) among `builtins`, parsed with `parse`.
pub(crate) fn builtin<M>(
    builtins: &[(&str, &str)],
    name: &str,
    parse: impl Fn(&str, &str) -> Result<M, ConnectorError>,
) -> Option<M> {
    builtins
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(n, text)| parse(text, n).ok())
}

/// A built-in mapping by name, or else the YAML mapping file at `name_or_path`; `kind` names the
/// export kind in the error.
pub(crate) fn load<M>(
    kind: &str,
    builtins: &[(&str, &str)],
    name_or_path: &str,
    parse: impl Fn(&str, &str) -> Result<M, ConnectorError>,
) -> Result<M, ConnectorError> {
    if let Some(mapping) = builtin(builtins, name_or_path, &parse) {
        return Ok(mapping);
    }
    let text = std::fs::read_to_string(name_or_path).map_err(|e| ConnectorError::Mapping {
        path: name_or_path.to_string(),
        reason: format!(
            "not a built-in {kind} mapping ({}) and not a readable file: {e}",
            builtins
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    parse(&text, name_or_path)
}

/// Normalises a header name: letters and digits only, lower-cased.
pub(crate) fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A CSV file read through a [`ColumnMapping`]: the current row and its cells by field. Opaque outside
/// the crate; [`RowKind::event`] reads it.
pub struct CsvTable<R: Read, F> {
    reader: csv::Reader<R>,
    source: String,
    header_len: usize,
    header_names: Vec<String>,
    columns: HashMap<F, Vec<usize>>,
    zone: Option<DeclaredZone>,
    employee_id_system: String,
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
            employee_id_system: mapping
                .employee_id_system
                .clone()
                .unwrap_or_else(|| DEFAULT_EMPLOYEE_ID_SYSTEM.to_string()),
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

    /// The identifiers the current row is attributed by: its email and its employee id (scoped by the
    /// mapping's `employee_id_system`), whichever it has; a reject when it has neither. `what` names the
    /// record in that reject (`change`, `shipment`).
    pub(crate) fn attribution(
        &self,
        line: u64,
        email_field: F,
        id_field: F,
        what: &str,
    ) -> Result<(Option<Identifier>, Option<Identifier>), Reject> {
        let email = self
            .first(email_field)
            .map(|e| {
                Identifier::email(e)
                    .map_err(|err| self.reject(line, Some(email_field), err.to_string()))
            })
            .transpose()?;
        let employee = self
            .first(id_field)
            .map(|id| {
                Identifier::employee_id(&self.employee_id_system, id)
                    .map_err(|err| self.reject(line, Some(id_field), err.to_string()))
            })
            .transpose()?;
        if email.is_none() && employee.is_none() {
            let field = if self.columns.contains_key(&email_field) {
                email_field
            } else {
                id_field
            };
            return Err(self.reject(
                line,
                Some(field),
                format!("no email and no employee id to attribute the {what} to"),
            ));
        }
        Ok((email, employee))
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

/// Streams [`Event`]s out of a CSV export of kind `K` read through a [`ColumnMapping`].
pub struct MappedReader<R: Read, K: RowKind> {
    table: CsvTable<R, K::Field>,
    kind: PhantomData<K>,
}

impl<R: Read, K: RowKind> MappedReader<R, K> {
    /// Opens a reader; `source` names the file in provenance and rejects.
    pub fn new(
        input: R,
        source: &str,
        mapping: &ColumnMapping<K::Field>,
    ) -> Result<Self, ConnectorError> {
        Ok(Self {
            table: CsvTable::open(input, source, mapping, K::REQUIRED)?,
            kind: PhantomData,
        })
    }

    /// Sets the system whose employee ids the file carries (overrides the mapping's
    /// `employee_id_system`; use the `--system` people files were ingested with).
    pub fn with_employee_id_system(mut self, system: &str) -> Self {
        self.table.employee_id_system = system.to_string();
        self
    }

    /// What the reader has done so far.
    pub fn counts(&self) -> ReadCounts {
        self.table.counts
    }

    /// Where to resume after the rows handed out so far.
    pub fn checkpoint(&self) -> Checkpoint {
        self.table.checkpoint()
    }
}

impl<R: Read + Seek, K: RowKind> MappedReader<R, K> {
    /// Opens a reader and moves it to `checkpoint` (taken from the same file).
    pub fn resume(
        input: R,
        source: &str,
        mapping: &ColumnMapping<K::Field>,
        checkpoint: Checkpoint,
    ) -> Result<Self, ConnectorError> {
        let mut reader = Self::new(input, source, mapping)?;
        reader.table.seek(checkpoint)?;
        Ok(reader)
    }
}

impl<R: Read, K: RowKind> Iterator for MappedReader<R, K> {
    type Item = Record<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self.table.next_row()? {
            Ok(line) => K::event(&self.table, line),
            Err(reject) => Err(reject),
        };
        match item {
            Ok(_) => self.table.counts.accepted += 1,
            Err(_) => self.table.counts.rejected += 1,
        }
        Some(item)
    }
}
