//! Freelance-marketplace profiles (JSON) into [`Subject`]s of kind `marketplace_account`.
//!
//! Marketplaces do not share an export format, so redflag documents one shape, modelled on the public
//! profile fields of the large freelance platforms (Upwork-like: an opaque profile id such as
//! `~01ab…`, title, location, member-since date, hourly rate, earnings, job success, verification
//! badges, skills, linked accounts, payout methods). A trust-and-safety team fills it from its own
//! database or a platform's API. Records may come as NDJSON, a JSON array, or a page
//! `{"data": [...]}` / `{"items": [...]}`:
//!
//! ```json
//! {"platform": "upwork", "id": "~01a2b3c4d5", "name": "Jane Doe", "title": "Rust developer",
//!  "location": {"country": "US", "city": "Austin", "timezone": "America/Chicago"},
//!  "profile_url": "https://www.upwork.com/freelancers/~01a2b3c4d5", "member_since": "2023-04-01T00:00:00Z",
//!  "emails": ["jane@example.com"], "phones": ["+1 512 555 0100"],
//!  "hourly_rate": {"amount": 45, "currency": "USD"}, "total_earnings": 12000, "jobs_completed": 14,
//!  "job_success_score": 97, "identity_verified": true, "payment_verified": true,
//!  "skills": ["Rust", "Go"], "languages": ["English"], "employers": ["Acme Corp"],
//!  "linked_accounts": ["https://github.com/janedoe"], "portfolio": ["https://jane.dev"],
//!  "payout_methods": [{"provider": "payoneer", "account": "jane.pay@example.com"}],
//!  "wallets": ["TQ…"]}
//! ```
//!
//! Only `id` and a name are required; a field of the wrong type rejects the record with its JSON path.

use std::collections::BTreeMap;
use std::io::Read;

use redflag_model::{
    ClaimedAttributes, CryptoWallet, Identifier, PayoutAccount, PersonName, ProfileUrl, Provenance,
    Subject, SubjectId, SubjectKind, parse_timezone,
};
use serde::Deserialize;

use crate::framing::{Checkpoint, JsonFramer};
use crate::reader::{RecordError, json_error};
use crate::{ReadCounts, Record, Reject};

/// The connector name in provenance.
pub const CONNECTOR: &str = "marketplace-json";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    #[serde(default)]
    platform: Option<String>,
    id: IdValue,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    profile_url: Option<String>,
    #[serde(default)]
    member_since: Option<String>,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    hourly_rate: Option<Money>,
    #[serde(default)]
    total_earnings: Option<f64>,
    #[serde(default)]
    jobs_completed: Option<u64>,
    #[serde(default)]
    job_success_score: Option<f64>,
    #[serde(default)]
    identity_verified: Option<bool>,
    #[serde(default)]
    payment_verified: Option<bool>,
    #[serde(default)]
    skills: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    employers: Vec<String>,
    #[serde(default)]
    linked_accounts: Vec<String>,
    #[serde(default)]
    portfolio: Vec<String>,
    #[serde(default)]
    payout_methods: Vec<Payout>,
    #[serde(default)]
    wallets: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdValue {
    Text(String),
    Number(u64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Location {
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Money {
    amount: f64,
    #[serde(default)]
    currency: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Payout {
    provider: String,
    account: String,
}

/// Streams marketplace-account [`Subject`]s out of profile JSON.
pub struct MarketplaceReader<R: Read> {
    framer: JsonFramer<R>,
    source: String,
    platform: String,
    counts: ReadCounts,
}

impl<R: Read> MarketplaceReader<R> {
    /// A reader over a whole file; `platform` (e.g. `upwork`) prefixes subject ids unless a record
    /// names its own.
    pub fn new(input: R, source: &str, platform: &str) -> Self {
        Self::resume(input, source, platform, Checkpoint::START)
    }

    /// A reader over `input` positioned at `checkpoint.offset`.
    pub fn resume(input: R, source: &str, platform: &str, checkpoint: Checkpoint) -> Self {
        Self {
            framer: JsonFramer::resume(input, checkpoint),
            source: source.to_string(),
            platform: platform.to_string(),
            counts: ReadCounts::default(),
        }
    }

    /// Where to resume after the records handed out so far.
    pub fn checkpoint(&self) -> Checkpoint {
        self.framer.checkpoint()
    }

    /// What the reader has done so far.
    pub fn counts(&self) -> ReadCounts {
        self.counts
    }
}

fn subject(bytes: &[u8], platform: &str, provenance: Provenance) -> Result<Subject, RecordError> {
    let p: Profile = serde_json::from_slice(bytes).map_err(|e| json_error::<Profile>(bytes, e))?;
    let system = p.platform.as_deref().unwrap_or(platform);
    let external = match &p.id {
        IdValue::Text(t) => t.clone(),
        IdValue::Number(n) => n.to_string(),
    };
    let id =
        SubjectId::new(system, &external).map_err(|e| RecordError::field("id", e.to_string()))?;
    let name = PersonName::new(
        p.name.as_deref(),
        p.first_name.as_deref(),
        p.last_name.as_deref(),
    )
    .map_err(|e| RecordError::field("name", e.to_string()))?;
    let location = p.location.as_ref();
    let country = location
        .and_then(|l| l.country.as_deref())
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            crate::reader::country(c).ok_or_else(|| {
                RecordError::field("location.country", format!("{c:?} is not a country"))
            })
        })
        .transpose()?;
    let timezone = location
        .and_then(|l| l.timezone.as_deref())
        .filter(|t| !t.trim().is_empty())
        .map(parse_timezone)
        .transpose()
        .map_err(|e| RecordError::field("location.timezone", e.to_string()))?;
    let mut identifiers = Vec::new();
    for (i, email) in p.emails.iter().enumerate() {
        identifiers.push(
            Identifier::email(email)
                .map_err(|e| RecordError::field(&format!("emails[{i}]"), e.to_string()))?,
        );
    }
    for (i, phone) in p.phones.iter().enumerate() {
        identifiers.push(
            Identifier::phone(phone, country)
                .map_err(|e| RecordError::field(&format!("phones[{i}]"), e.to_string()))?,
        );
    }
    let urls = p
        .profile_url
        .iter()
        .map(|u| ("profile_url".to_string(), u))
        .chain(
            p.linked_accounts
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("linked_accounts[{i}]"), u)),
        )
        .chain(
            p.portfolio
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("portfolio[{i}]"), u)),
        );
    for (field, url) in urls {
        identifiers.push(Identifier::ProfileUrl(
            ProfileUrl::parse(url).map_err(|e| RecordError::field(&field, e.to_string()))?,
        ));
    }
    for (i, payout) in p.payout_methods.iter().enumerate() {
        identifiers.push(Identifier::PayoutAccount(
            PayoutAccount::new(&payout.provider, &payout.account)
                .map_err(|e| RecordError::field(&format!("payout_methods[{i}]"), e.to_string()))?,
        ));
    }
    for (i, wallet) in p.wallets.iter().enumerate() {
        identifiers.push(Identifier::Wallet(CryptoWallet::parse(wallet).map_err(
            |e| RecordError::field(&format!("wallets[{i}]"), e.to_string()),
        )?));
    }
    identifiers.sort();
    identifiers.dedup();
    if let Some(since) = p.member_since.as_deref() {
        crate::time::parse_zoned(since).map_err(|e| RecordError::field("member_since", e))?;
    }
    let mut attributes = BTreeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            attributes.insert(key.to_string(), v);
        }
    };
    put("platform", Some(system.to_string()));
    put("member_since", p.member_since.clone());
    put(
        "hourly_rate",
        p.hourly_rate
            .as_ref()
            .map(|m| format!("{} {}", m.amount, m.currency.as_deref().unwrap_or("USD"))),
    );
    put("total_earnings", p.total_earnings.map(|v| v.to_string()));
    put("jobs_completed", p.jobs_completed.map(|v| v.to_string()));
    put(
        "job_success_score",
        p.job_success_score.map(|v| v.to_string()),
    );
    put(
        "identity_verified",
        p.identity_verified.map(|v| v.to_string()),
    );
    put(
        "payment_verified",
        p.payment_verified.map(|v| v.to_string()),
    );
    put("skills", Some(p.skills.join("; ")));
    put("languages", Some(p.languages.join("; ")));
    put("employers", Some(p.employers.join("; ")));
    Ok(Subject {
        id,
        kind: SubjectKind::MarketplaceAccount,
        name,
        claimed: ClaimedAttributes {
            country,
            city: location
                .and_then(|l| l.city.clone())
                .filter(|c| !c.is_empty()),
            nationality: None,
            timezone,
        },
        role: p.title,
        identifiers,
        attributes,
        provenance,
    })
}

impl<R: Read> Iterator for MarketplaceReader<R> {
    type Item = Record<Subject>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.framer.next_record()? {
            Ok(raw) => raw,
            Err(e) => {
                self.counts.rejected += 1;
                return Some(Err(Reject {
                    source: self.source.clone(),
                    line: e.line,
                    field: None,
                    reason: e.reason,
                    raw: String::new(),
                }));
            }
        };
        self.counts.records += 1;
        let provenance = Provenance {
            connector: CONNECTOR.into(),
            source: self.source.as_str().into(),
            line: Some(raw.line),
            byte_offset: Some(raw.offset),
            ingested_at: None,
        };
        let line = raw.line;
        match subject(raw.bytes, &self.platform, provenance) {
            Ok(s) => {
                self.counts.accepted += 1;
                Some(Ok(s))
            }
            Err(e) => {
                self.counts.rejected += 1;
                let raw_text =
                    String::from_utf8_lossy(&raw.bytes[..raw.bytes.len().min(2048)]).into_owned();
                Some(Err(Reject {
                    source: self.source.clone(),
                    line,
                    field: e.field,
                    reason: e.reason,
                    raw: raw_text,
                }))
            }
        }
    }
}
