//! People exports (ATS / HRIS / marketplace account lists) in CSV with a header row.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use redflag_model::{
    ClaimedAttributes, CountryCode, CryptoWallet, Identifier, ModelError, PayoutAccount,
    PersonName, PostalAddress, ProfileUrl, Provenance, Subject, SubjectId, SubjectKind,
    parse_timezone,
};
use serde::Deserialize;

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
    /// Payout provider (bank, payoneer, wise, …), paired with [`PeopleField::PayoutAccount`].
    PayoutProvider,
    /// Payout account reference.
    PayoutAccount,
    /// Profile URLs (LinkedIn, GitHub, portfolio).
    ProfileUrl,
    /// Home address.
    Address,
}

/// Which columns feed which field. Header names are compared case-insensitively with spaces, dashes and
/// underscores ignored, so `First Name`, `first_name` and `firstName` are one header.
#[derive(Debug, Clone, Deserialize)]
pub struct PeopleMapping {
    /// For each field, the header names that carry it.
    pub fields: BTreeMap<PeopleField, Vec<String>>,
    /// Separator for several values in one cell.
    #[serde(default = "default_separator")]
    pub multi_value_separator: char,
}

fn default_separator() -> char {
    ';'
}

impl PeopleMapping {
    /// A mapping that recognises the header names common ATS and HRIS exports use.
    pub fn generic() -> Self {
        let f = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let fields = BTreeMap::from([
            (
                PeopleField::Id,
                f(&[
                    "id",
                    "candidate_id",
                    "applicant_id",
                    "employee_id",
                    "worker_id",
                    "account_id",
                    "person_id",
                ]),
            ),
            (
                PeopleField::FullName,
                f(&["name", "full_name", "candidate_name", "legal_name"]),
            ),
            (
                PeopleField::FirstName,
                f(&["first_name", "given_name", "firstname"]),
            ),
            (
                PeopleField::LastName,
                f(&["last_name", "family_name", "surname", "lastname"]),
            ),
            (
                PeopleField::Email,
                f(&[
                    "email",
                    "email_address",
                    "personal_email",
                    "work_email",
                    "emails",
                ]),
            ),
            (
                PeopleField::Phone,
                f(&["phone", "phone_number", "mobile", "phones"]),
            ),
            (
                PeopleField::Country,
                f(&[
                    "country",
                    "residence_country",
                    "location_country",
                    "home_country",
                ]),
            ),
            (
                PeopleField::City,
                f(&["city", "location_city", "home_city"]),
            ),
            (PeopleField::Nationality, f(&["nationality", "citizenship"])),
            (PeopleField::Timezone, f(&["timezone", "time_zone", "tz"])),
            (
                PeopleField::Role,
                f(&["role", "job", "job_title", "position", "title"]),
            ),
            (
                PeopleField::Kind,
                f(&["kind", "type", "worker_type", "status"]),
            ),
            (
                PeopleField::Wallet,
                f(&["wallet", "crypto_wallet", "wallet_address"]),
            ),
            (
                PeopleField::PayoutProvider,
                f(&["payout_provider", "payment_provider", "bank"]),
            ),
            (
                PeopleField::PayoutAccount,
                f(&["payout_account", "payment_account", "bank_account", "iban"]),
            ),
            (
                PeopleField::ProfileUrl,
                f(&["linkedin", "github", "portfolio", "website", "profile_url"]),
            ),
            (
                PeopleField::Address,
                f(&["address", "home_address", "street_address"]),
            ),
        ]);
        Self {
            fields,
            multi_value_separator: ';',
        }
    }
}

fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
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
                    && !used[index]
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

    fn first(&self, field: PeopleField) -> Option<&str> {
        self.values(field).into_iter().next().map(|(_, v)| v)
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
        let kind = SubjectKind::parse(self.first(PeopleField::Kind).unwrap_or(""))
            .map_err(|e| field_err(PeopleField::Kind, e))?;

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
        identifiers.dedup();

        let attributes = self
            .other_columns
            .iter()
            .filter_map(|(i, header)| {
                self.record
                    .get(*i)
                    .filter(|v| !v.is_empty())
                    .map(|v| (header.clone(), v.to_string()))
            })
            .collect();
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
