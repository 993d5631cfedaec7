//! The generic streaming reader behind every JSON connector: framing, per-record parsing, rejects,
//! counts, wrong-format detection and checkpoints.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;

use redflag_model::{Event, Provenance};
use serde::Serialize;

use crate::framing::{Checkpoint, FrameError, JsonFramer};
use crate::{Record, Reject};

/// The longest raw record copied into a reject.
const RAW_LIMIT: usize = 2048;

/// Counts of what a reader did with its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadCounts {
    /// Records (lines, array elements, CSV rows) read.
    pub records: u64,
    /// Events (or subjects) accepted.
    pub accepted: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Well-formed records of kinds the connector does not translate (e.g. an Okta `user.lifecycle`
    /// event): counted, not rejected.
    pub skipped: u64,
}

/// The source formats the connectors know, used to name a wrong format given to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Okta System Log events.
    Okta,
    /// Microsoft Graph `signIns` resources.
    EntraGraph,
    /// Entra ID sign-in logs exported through Azure Monitor diagnostic settings.
    EntraMonitor,
    /// Google Workspace Admin SDK Reports API activities.
    GoogleReports,
    /// osquery scheduled-query results.
    Osquery,
    /// GitHub REST API objects or audit-log events.
    Github,
}

impl SourceFormat {
    /// The `redflag ingest` kind that reads this format.
    pub fn ingest_kind(self) -> &'static str {
        match self {
            SourceFormat::Okta => "okta",
            SourceFormat::EntraGraph | SourceFormat::EntraMonitor => "entra",
            SourceFormat::GoogleReports => "google",
            SourceFormat::Osquery => "osquery",
            SourceFormat::Github => "github",
        }
    }

    /// A human name.
    pub fn label(self) -> &'static str {
        match self {
            SourceFormat::Okta => "an Okta System Log event",
            SourceFormat::EntraGraph => "a Microsoft Graph signIn (Entra ID sign-in log)",
            SourceFormat::EntraMonitor => "an Entra ID sign-in log record from Azure Monitor",
            SourceFormat::GoogleReports => "a Google Workspace Reports API activity",
            SourceFormat::Osquery => "an osquery result log line",
            SourceFormat::Github => "a GitHub REST API object",
        }
    }

    /// Guesses the format of one record from its top-level keys (used on a file's first record only).
    pub fn detect(record: &[u8]) -> Option<SourceFormat> {
        let value: serde_json::Value = serde_json::from_slice(record).ok()?;
        let o = value.as_object()?;
        let has = |k: &str| o.contains_key(k);
        if has("eventType") && has("published") && has("uuid") {
            Some(SourceFormat::Okta)
        } else if has("category") && has("properties") && (has("time") || has("operationName")) {
            Some(SourceFormat::EntraMonitor)
        } else if has("createdDateTime") && (has("userPrincipalName") || has("appDisplayName")) {
            Some(SourceFormat::EntraGraph)
        } else if o.get("kind").and_then(|k| k.as_str()) == Some("admin#reports#activity")
            || (has("id") && has("events") && has("actor"))
        {
            Some(SourceFormat::GoogleReports)
        } else if has("hostIdentifier") && has("name") {
            Some(SourceFormat::Osquery)
        } else if has("node_id") || (has("sha") && has("commit")) || has("@timestamp") {
            Some(SourceFormat::Github)
        } else {
            None
        }
    }
}

/// Where a record sits, handed to a format's parser.
#[derive(Debug, Clone, Copy)]
pub struct RecordAt<'a> {
    /// The file name as given to the reader.
    pub source: &'a str,
    /// The record's first line.
    pub line: u64,
    /// Its first byte's offset.
    pub offset: u64,
    /// String stops the framer found in the record (the parser then classifies only the rest).
    pub(crate) pre: Option<crate::simd::Preclassified<'a>>,
    /// The reader's shared provenance strings, when a [`JsonEventReader`] hands out the record.
    pub(crate) names: Option<&'a Names>,
}

/// A reader's provenance strings, made once per file: each event's provenance clones two pointers.
#[derive(Debug)]
pub(crate) struct Names {
    source: Arc<str>,
    /// The connector names the format writes (one, or two for Entra's two export shapes).
    connectors: Vec<Arc<str>>,
}

impl Names {
    fn new(source: &str, connectors: &[&str]) -> Self {
        Self {
            source: source.into(),
            connectors: connectors.iter().map(|c| Arc::from(*c)).collect(),
        }
    }
}

impl<'a> RecordAt<'a> {
    /// A record of `source` starting at `line` and byte `offset`.
    pub fn new(source: &'a str, line: u64, offset: u64) -> Self {
        Self {
            source,
            line,
            offset,
            pre: None,
            names: None,
        }
    }
}

impl RecordAt<'_> {
    /// The provenance of an event read from this record.
    pub fn provenance(&self, connector: &str) -> Provenance {
        if let Some(names) = self.names
            && let Some(shared) = names.connectors.iter().find(|c| ***c == *connector)
        {
            return Provenance::shared(shared, &names.source, self.line, self.offset);
        }
        Provenance {
            connector: connector.into(),
            source: self.source.into(),
            line: Some(self.line),
            byte_offset: Some(self.offset),
            ingested_at: None,
        }
    }
}

/// Why one record was refused, before the reader adds its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The field at fault (a JSON path such as `client.ipAddress`), when known.
    pub field: Option<String>,
    /// What is wrong, naming the value.
    pub reason: String,
}

impl RecordError {
    /// An error about one field.
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            reason: reason.into(),
        }
    }
}

/// Turns a serde_json failure into a record error naming the JSON path, by re-reading the record with
/// path tracking (only on the error path, so the happy path pays nothing).
pub fn json_error<'de, T: serde::Deserialize<'de>>(
    bytes: &'de [u8],
    e: serde_json::Error,
) -> RecordError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(pe) => {
            let p = pe.path().to_string();
            (p != ".").then_some(p)
        }
        Ok(_) => None,
    };
    let message = e.to_string();
    let reason =
        if message.contains("invalid unicode code point") || message.contains("invalid UTF-8") {
            "not valid UTF-8 (export the file as UTF-8)".to_string()
        } else if e.is_eof() {
            format!("truncated JSON: {message}")
        } else {
            format!("malformed record: {message}")
        };
    RecordError {
        field: path,
        reason,
    }
}

/// One source format read by a [`JsonEventReader`].
pub trait JsonFormat {
    /// The connector name written into provenance (`okta`, `entra-graph`, …).
    fn connector(&self) -> &'static str;
    /// Every connector name the format writes into provenance, when it writes more than
    /// [`connector`](Self::connector) (the reader shares each one among its events).
    fn connectors(&self) -> Vec<&'static str> {
        vec![self.connector()]
    }
    /// The formats this reader accepts (for wrong-format detection).
    fn accepts(&self, format: SourceFormat) -> bool;
    /// Parses one record, pushing zero or more events. `Ok(0)` means a well-formed record of a kind the
    /// connector does not translate.
    fn parse(
        &self,
        bytes: &[u8],
        at: RecordAt<'_>,
        out: &mut VecDeque<Event>,
    ) -> Result<usize, RecordError>;
}

/// Streams [`Event`]s out of a JSON export in one of the vendor formats.
///
/// Items are [`Record`]s: an event, or a [`Reject`] with file, line, field and reason. After handling an
/// item, [`JsonEventReader::checkpoint`] gives the position to resume from after a crash.
pub struct JsonEventReader<R: Read, F: JsonFormat> {
    framer: JsonFramer<R>,
    format: F,
    source: String,
    names: Names,
    pending: VecDeque<Event>,
    record_start: Checkpoint,
    counts: ReadCounts,
    first: bool,
    wrong_format: Option<SourceFormat>,
}

impl<R: Read, F: JsonFormat> JsonEventReader<R, F> {
    /// A reader over a whole file. `source` names the file in provenance and rejects.
    pub fn new(input: R, source: &str, format: F) -> Self {
        Self::resume(input, source, format, Checkpoint::START)
    }

    /// A reader over `input`, already positioned at `checkpoint.offset` (re-open the file and seek).
    pub fn resume(input: R, source: &str, format: F, checkpoint: Checkpoint) -> Self {
        Self {
            framer: JsonFramer::resume(input, checkpoint),
            names: Names::new(source, &format.connectors()),
            format,
            source: source.to_string(),
            pending: VecDeque::new(),
            record_start: checkpoint,
            counts: ReadCounts::default(),
            first: checkpoint.offset == 0,
            wrong_format: None,
        }
    }

    /// Sets the longest record accepted, in bytes (default 4 MiB).
    pub fn with_max_record(mut self, bytes: usize) -> Self {
        self.framer = self.framer.with_max_record(bytes);
        self
    }

    /// Where to resume so that nothing handed out before is read again and nothing after is lost. While
    /// the events of one record are still being handed out, this is the start of that record (re-reading
    /// it is harmless: event ids are stable).
    pub fn checkpoint(&self) -> Checkpoint {
        if self.pending.is_empty() {
            self.framer.checkpoint()
        } else {
            self.record_start
        }
    }

    /// What the reader has done so far.
    pub fn counts(&self) -> ReadCounts {
        self.counts
    }

    /// Set when the file's first record was recognisably another vendor's format; reading stopped.
    pub fn wrong_format(&self) -> Option<SourceFormat> {
        self.wrong_format
    }

    fn frame_reject(&mut self, e: FrameError) -> Reject {
        self.counts.rejected += 1;
        Reject {
            source: self.source.clone(),
            line: e.line,
            field: None,
            reason: e.reason,
            raw: String::new(),
        }
    }
}

impl<R: Read, F: JsonFormat> Iterator for JsonEventReader<R, F> {
    type Item = Record<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.counts.accepted += 1;
                return Some(Ok(event));
            }
            if self.wrong_format.is_some() {
                return None;
            }
            self.record_start = self.framer.checkpoint();
            let raw = match self.framer.next_record()? {
                Ok(raw) => raw,
                Err(e) => {
                    let reject = self.frame_reject(e);
                    return Some(Err(reject));
                }
            };
            self.counts.records += 1;
            let at = RecordAt {
                source: &self.source,
                line: raw.line,
                offset: raw.offset,
                pre: raw.pre,
                names: Some(&self.names),
            };
            let bytes = raw.bytes;
            let first = std::mem::replace(&mut self.first, false);
            match self.format.parse(bytes, at, &mut self.pending) {
                Ok(0) => self.counts.skipped += 1,
                Ok(_) => {}
                Err(e) => {
                    let detected = SourceFormat::detect(bytes).filter(|f| !self.format.accepts(*f));
                    let (reason, field) = match detected {
                        Some(other) => {
                            if first {
                                self.wrong_format = Some(other);
                            }
                            (
                                format!(
                                    "wrong format: this is {}, not what the `{}` reader reads; ingest it as `{}`{}",
                                    other.label(),
                                    self.format.connector(),
                                    other.ingest_kind(),
                                    if first { " (file refused)" } else { "" }
                                ),
                                None,
                            )
                        }
                        None => (e.reason, e.field),
                    };
                    self.counts.rejected += 1;
                    let raw_text =
                        String::from_utf8_lossy(&bytes[..bytes.len().min(RAW_LIMIT)]).into_owned();
                    return Some(Err(Reject {
                        source: self.source.clone(),
                        line: at.line,
                        field,
                        reason,
                        raw: raw_text,
                    }));
                }
            }
        }
    }
}

thread_local! {
    static COUNTRIES: std::cell::RefCell<foldhash::HashMap<String, Option<redflag_model::CountryCode>>> =
        std::cell::RefCell::new(foldhash::HashMap::default());
}

/// A provider's country name or code as a [`redflag_model::CountryCode`], memoised per thread (the
/// model's parser scans its alias table; sign-in logs repeat a few hundred names millions of times).
pub fn country(name: &str) -> Option<redflag_model::CountryCode> {
    COUNTRIES.with(|cache| {
        if let Some(hit) = cache.borrow().get(name) {
            return *hit;
        }
        let parsed = redflag_model::CountryCode::parse(name).ok();
        let mut cache = cache.borrow_mut();
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(name.to_string(), parsed);
        parsed
    })
}
