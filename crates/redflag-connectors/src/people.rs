//! People exports (ATS / HRIS / marketplace account lists) in CSV with a header row.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek};

use redflag_model::{
    ClaimedAttributes, CountryCode, CryptoWallet, Identifier, ModelError, PayoutAccount,
    PersonName, PhotoHash, PostalAddress, ProfileUrl, Provenance, Subject, SubjectId, SubjectKind,
    parse_timezone,
};
use serde::Deserialize;

use crate::framing::{Checkpoint, FrameState};
use crate::table::header_key;
use crate::{ConnectorError, Record, Reject};

/// The fields a people export can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeopleField {
    /// The source system's id for the person (required, or an email column to derive it from).
    Id,
    /// Full name.
    FullName,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Email addresses (several columns, or `;`-separated values).
    Email,
    /// Phone numbers.
    Phone,
    /// Claimed country of residence.
    Country,
    /// Claimed city.
    City,
    /// Claimed nationality.
    Nationality,
    /// Claimed IANA time zone.
    Timezone,
    /// Role applied for or held.
    Role,
    /// applicant / contractor / employee / marketplace_account.
    Kind,
    /// Crypto wallets given for payment.
    Wallet,
    /// The profile or ID photo's perceptual hash (hex), as a photo-hashing step or the ATS gives it;
    /// kept as an [`Identifier::PhotoHash`] so the same photo on several personas is seen.
    PhotoHash,
    /// Payout provider (bank, payoneer, wise, …), paired with [`PeopleField::PayoutAccount`].
    PayoutProvider,
    /// Payout account reference.
    PayoutAccount,
    /// Profile URLs (LinkedIn, GitHub, portfolio).
    ProfileUrl,
    /// Home address.
    Address,
    /// A resume file's name or path (relative to the export's folder), kept as the attribute
    /// `resume_file` for [`crate::resumes`] to read.
    ResumeFile,
    /// The HR employee or ATS candidate number, kept as an [`Identifier::EmployeeId`] scoped by the
    /// reader's system, so that payroll and shipping rows carrying only that number find the person.
    /// Its columns may also feed [`PeopleField::Id`] (the subject id and the employee id are often one
    /// column).
    EmployeeId,
}

/// Which columns feed which field. Header names are compared case-insensitively with spaces, dashes and
/// underscores ignored, so `First Name`, `first_name` and `firstName` are one header.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleMapping {
    /// A short name (`generic`, `greenhouse`, …).
    #[serde(default)]
    pub name: Option<String>,
    /// Where the column names come from (the vendor's export documentation).
    #[serde(default)]
    pub source: Option<String>,
    /// For each field, the header names that carry it.
    pub fields: BTreeMap<PeopleField, Vec<String>>,
    /// Separator for several values in one cell.
    #[serde(default = "default_separator")]
    pub multi_value_separator: char,
    /// The kind of a row whose kind column is absent or empty (`employee` for an HRIS worker export).
    #[serde(default)]
    pub default_kind: Option<String>,
    /// A vendor's kind wording mapped to applicant / contractor / employee / marketplace_account
    /// (e.g. Workday `Contingent Worker: contractor`); keys compare case-insensitively.
    #[serde(default)]
    pub kind_values: BTreeMap<String, String>,
}

fn default_separator() -> char {
    ';'
}

/// The built-in people mappings, by name, embedded from `mappings/people-*.yaml`.
pub const BUILTIN_MAPPINGS: &[(&str, &str)] = &[
    ("generic", include_str!("../mappings/people-generic.yaml")),
    (
        "greenhouse",
        include_str!("../mappings/people-greenhouse.yaml"),
    ),
    ("lever", include_str!("../mappings/people-lever.yaml")),
    ("workday", include_str!("../mappings/people-workday.yaml")),
];

impl PeopleMapping {
    /// Parses a mapping from YAML; `origin` names the file in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, ConnectorError> {
        serde_yaml_ng::from_str(text).map_err(|e| ConnectorError::Mapping {
            path: origin.to_string(),
            reason: e.to_string(),
        })
    }

    /// A built-in mapping by name (`generic`, `greenhouse`, `lever`, `workday`).
    pub fn builtin(name: &str) -> Option<Self> {
        crate::table::builtin(BUILTIN_MAPPINGS, name, Self::from_yaml)
    }

    /// A built-in mapping by name, or a YAML mapping file at that path.
    pub fn load(name_or_path: &str) -> Result<Self, ConnectorError> {
        crate::table::load("people", BUILTIN_MAPPINGS, name_or_path, Self::from_yaml)
    }

    /// A mapping that recognises the header names common ATS and HRIS exports use
    /// (`mappings/people-generic.yaml`).
    pub fn generic() -> Self {
        #[allow(clippy::expect_used)]
        Self::builtin("generic").expect("the embedded generic people mapping parses (tested)")
    }
}

/// Streams subjects out of a people CSV.
pub struct PeopleReader<R: Read> {
    reader: csv::Reader<R>,
    source_name: String,
    system: String,
    header_len: usize,
    header_names: Vec<String>,
    columns: HashMap<PeopleField, Vec<usize>>,
    other_columns: Vec<(usize, String)>,
    separator: char,
    default_kind: String,
    kind_values: HashMap<String, String>,
    record: csv::StringRecord,
    finished: bool,
}

const CONNECTOR: &str = "people-csv";

impl<R: Read> PeopleReader<R> {
    /// Opens a reader over `input`. `source_name` names the file in provenance and rejects; `system` is the
    /// source system (`greenhouse`, `workday`, …) that prefixes subject ids.
    pub fn new(
        input: R,
        source_name: &str,
        system: &str,
        mapping: PeopleMapping,
    ) -> Result<Self, ConnectorError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| ConnectorError::Header {
                path: source_name.to_string(),
                reason: format!("cannot read the header row: {e}"),
            })?
            .clone();
        let by_key: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (header_key(h), i))
            .collect();
        let mut columns: HashMap<PeopleField, Vec<usize>> = HashMap::new();
        let mut used = vec![false; headers.len()];
        for (field, names) in &mapping.fields {
            for name in names {
                if let Some(&index) = by_key.get(&header_key(name))
                    && (!used[index] || *field == PeopleField::EmployeeId)
                {
                    used[index] = true;
                    columns.entry(*field).or_default().push(index);
                }
            }
        }
        if !columns.contains_key(&PeopleField::Id) && !columns.contains_key(&PeopleField::Email) {
            return Err(ConnectorError::Header {
                path: source_name.to_string(),
                reason: format!(
                    "no id or email column (header is: {}); map one with a column mapping",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        if !columns.contains_key(&PeopleField::FullName)
            && !columns.contains_key(&PeopleField::FirstName)
            && !columns.contains_key(&PeopleField::LastName)
        {
            return Err(ConnectorError::Header {
                path: source_name.to_string(),
                reason: "no name column (name, full_name, first_name or last_name)".into(),
            });
        }
        let other_columns = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, h)| (i, h.to_string()))
            .collect();
        Ok(Self {
            reader,
            source_name: source_name.to_string(),
            system: system.to_string(),
            header_len: headers.len(),
            header_names: headers.iter().map(str::to_string).collect(),
            columns,
            other_columns,
            separator: mapping.multi_value_separator,
            default_kind: mapping.default_kind.clone().unwrap_or_default(),
            kind_values: mapping
                .kind_values
                .iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v.clone()))
                .collect(),
            record: csv::StringRecord::new(),
            finished: false,
        })
    }

    fn values(&self, field: PeopleField) -> Vec<(usize, &str)> {
        let Some(indices) = self.columns.get(&field) else {
            return Vec::new();
        };
        indices
            .iter()
            .filter_map(|&i| self.record.get(i).map(|v| (i, v)))
            .flat_map(|(i, cell)| cell.split(self.separator).map(move |v| (i, v.trim())))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// The first non-empty cell of a single-valued field (not split on the separator, so that an
    /// address or a name with the separator in it stays whole).
    fn first(&self, field: PeopleField) -> Option<&str> {
        self.columns
            .get(&field)?
            .iter()
            .find_map(|&i| self.record.get(i).map(str::trim).filter(|v| !v.is_empty()))
    }

    fn header_name(&self, index: usize) -> String {
        self.header_names
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("column {}", index + 1))
    }

    fn reject(&self, line: u64, field: Option<String>, reason: String) -> Reject {
        Reject {
            source: self.source_name.clone(),
            line,
            field,
            reason,
            raw: self.record.iter().collect::<Vec<_>>().join(","),
        }
    }

    fn subject_from_record(&self, line: u64) -> Result<Subject, Reject> {
        let field_err = |field: PeopleField, e: ModelError| {
            let column = self
                .columns
                .get(&field)
                .and_then(|c| c.first())
                .map(|&i| self.header_name(i));
            self.reject(line, column, e.to_string())
        };
        let at = |index: usize, e: ModelError| {
            self.reject(line, Some(self.header_name(index)), e.to_string())
        };

        let emails = self.values(PeopleField::Email);
        let external_id = match self.first(PeopleField::Id) {
            Some(id) => id.to_string(),
            None => match emails.first() {
                Some((_, email)) => email.to_lowercase(),
                None => {
                    return Err(self.reject(
                        line,
                        Some("id".into()),
                        "no id and no email to identify the record".into(),
                    ));
                }
            },
        };
        let id = SubjectId::new(&self.system, &external_id)
            .map_err(|e| field_err(PeopleField::Id, e))?;
        let name = PersonName::new(
            self.first(PeopleField::FullName),
            self.first(PeopleField::FirstName),
            self.first(PeopleField::LastName),
        )
        .map_err(|e| field_err(PeopleField::FullName, e))?;
        let country = self
            .first(PeopleField::Country)
            .map(CountryCode::parse)
            .transpose()
            .map_err(|e| field_err(PeopleField::Country, e))?;
        let nationality = self
            .first(PeopleField::Nationality)
            .map(CountryCode::parse)
            .transpose()
            .map_err(|e| field_err(PeopleField::Nationality, e))?;
        let timezone = self
            .first(PeopleField::Timezone)
            .map(parse_timezone)
            .transpose()
            .map_err(|e| field_err(PeopleField::Timezone, e))?;
        let kind_text = self.first(PeopleField::Kind).unwrap_or(&self.default_kind);
        let kind_text = self
            .kind_values
            .get(&kind_text.to_lowercase())
            .map(String::as_str)
            .unwrap_or(kind_text);
        let kind = SubjectKind::parse(kind_text).map_err(|e| field_err(PeopleField::Kind, e))?;

        let mut identifiers = Vec::new();
        for (i, email) in emails {
            identifiers.push(Identifier::email(email).map_err(|e| at(i, e))?);
        }
        for (i, phone) in self.values(PeopleField::Phone) {
            identifiers.push(Identifier::phone(phone, country).map_err(|e| at(i, e))?);
        }
        for (i, wallet) in self.values(PeopleField::Wallet) {
            identifiers.push(Identifier::Wallet(
                CryptoWallet::parse(wallet).map_err(|e| at(i, e))?,
            ));
        }
        for (i, hash) in self.values(PeopleField::PhotoHash) {
            identifiers.push(Identifier::PhotoHash(
                PhotoHash::parse(hash).map_err(|e| at(i, e))?,
            ));
        }
        if let Some(account) = self.first(PeopleField::PayoutAccount) {
            let provider = self.first(PeopleField::PayoutProvider).unwrap_or("bank");
            let account = PayoutAccount::new(provider, account)
                .map_err(|e| field_err(PeopleField::PayoutAccount, e))?;
            identifiers.push(Identifier::PayoutAccount(account));
        }
        for (i, url) in self.values(PeopleField::ProfileUrl) {
            identifiers.push(Identifier::ProfileUrl(
                ProfileUrl::parse(url).map_err(|e| at(i, e))?,
            ));
        }
        if let Some(address) = self.first(PeopleField::Address) {
            let address = PostalAddress::new(address, country)
                .map_err(|e| field_err(PeopleField::Address, e))?;
            identifiers.push(Identifier::PostalAddress(address));
        }
        if let Some(number) = self.first(PeopleField::EmployeeId) {
            identifiers.push(
                Identifier::employee_id(&self.system, number)
                    .map_err(|e| field_err(PeopleField::EmployeeId, e))?,
            );
        }
        identifiers.dedup();

        let mut attributes: BTreeMap<String, String> = self
            .other_columns
            .iter()
            .filter_map(|(i, header)| {
                self.record
                    .get(*i)
                    .filter(|v| !v.is_empty())
                    .map(|v| (header.clone(), v.to_string()))
            })
            .collect();
        if let Some(file) = self.first(PeopleField::ResumeFile) {
            attributes.insert(crate::resumes::RESUME_FILE.to_string(), file.to_string());
        }
        Ok(Subject {
            id,
            kind,
            name,
            claimed: ClaimedAttributes {
                country,
                city: self.first(PeopleField::City).map(str::to_string),
                nationality,
                timezone,
            },
            role: self.first(PeopleField::Role).map(str::to_string),
            identifiers,
            attributes,
            provenance: Provenance::at_line(CONNECTOR, &self.source_name, line),
        })
    }
}

impl<R: Read> PeopleReader<R> {
    /// Where to resume after the rows handed out so far (the start of the next row).
    pub fn checkpoint(&self) -> Checkpoint {
        let p = self.reader.position();
        Checkpoint {
            offset: p.byte(),
            line: p.line(),
            state: FrameState::Lines,
        }
    }
}

impl<R: Read + Seek> PeopleReader<R> {
    /// Opens a reader (the header is read from the start) and moves it to `checkpoint`, taken from the
    /// same file by [`PeopleReader::checkpoint`].
    pub fn resume(
        input: R,
        source_name: &str,
        system: &str,
        mapping: PeopleMapping,
        checkpoint: Checkpoint,
    ) -> Result<Self, ConnectorError> {
        let mut reader = Self::new(input, source_name, system, mapping)?;
        if checkpoint.offset > 0 {
            let mut position = csv::Position::new();
            position
                .set_byte(checkpoint.offset)
                .set_line(checkpoint.line.max(1))
                .set_record(checkpoint.line.saturating_sub(1));
            reader
                .reader
                .seek(position)
                .map_err(|e| ConnectorError::Io {
                    path: source_name.to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
        }
        Ok(reader)
    }
}

impl<R: Read> Iterator for PeopleReader<R> {
    type Item = Record<Subject>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let mut record = std::mem::take(&mut self.record);
        let result = self.reader.read_record(&mut record);
        self.record = record;
        match result {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                if self.record.len() != self.header_len {
                    return Some(Err(self.reject(
                        line,
                        None,
                        format!(
                            "{} fields where the header has {}",
                            self.record.len(),
                            self.header_len
                        ),
                    )));
                }
                Some(self.subject_from_record(line))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let reason = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "not valid UTF-8 (export the file as UTF-8)".to_string()
                    }
                    _ => e.to_string(),
                };
                // An I/O error ends the file: report it once and stop.
                self.finished = e.is_io_error();
                Some(Err(Reject {
                    source: self.source_name.clone(),
                    line,
                    field: None,
                    reason,
                    raw: String::new(),
                }))
            }
        }
    }
}
