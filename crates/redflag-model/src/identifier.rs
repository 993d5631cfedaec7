use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{CountryCode, CryptoWallet, ModelError};

/// The kind of an [`Identifier`], used as a key in the store and in linkage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// An email address.
    Email,
    /// A phone number in E.164.
    Phone,
    /// A crypto wallet address.
    Wallet,
    /// A payout account at a bank or payment provider.
    PayoutAccount,
    /// An IP address.
    Ip,
    /// A device: host name, serial, osquery host identifier or MDM id.
    Device,
    /// A public profile URL (GitHub, LinkedIn, a freelance marketplace, …).
    ProfileUrl,
    /// An identity document, stored only as a keyed hash.
    Document,
    /// A perceptual hash of a photo.
    PhotoHash,
    /// A postal address (home, shipping).
    PostalAddress,
    /// An identity-provider login name or user id.
    IdpUser,
    /// An HR or ATS employee / candidate number, scoped by the system that issued it.
    EmployeeId,
}

impl IdentifierKind {
    /// The stable snake_case name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Email => "email",
            IdentifierKind::Phone => "phone",
            IdentifierKind::Wallet => "wallet",
            IdentifierKind::PayoutAccount => "payout_account",
            IdentifierKind::Ip => "ip",
            IdentifierKind::Device => "device",
            IdentifierKind::ProfileUrl => "profile_url",
            IdentifierKind::Document => "document",
            IdentifierKind::PhotoHash => "photo_hash",
            IdentifierKind::PostalAddress => "postal_address",
            IdentifierKind::IdpUser => "idp_user",
            IdentifierKind::EmployeeId => "employee_id",
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that points at a person or account. Constructed only through validating constructors, so
/// every value is canonical and two equal identifiers are the same real-world value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identifier {
    /// An email address.
    Email(EmailAddress),
    /// A phone number.
    Phone(PhoneNumber),
    /// A crypto wallet.
    Wallet(CryptoWallet),
    /// A payout account.
    PayoutAccount(PayoutAccount),
    /// An IP address (IPv4-mapped IPv6 addresses are stored as IPv4).
    Ip {
        /// The address.
        address: IpAddr,
    },
    /// A device.
    Device(DeviceId),
    /// A profile URL.
    ProfileUrl(ProfileUrl),
    /// An identity document's keyed hash.
    Document(DocumentHash),
    /// A photo's perceptual hash.
    PhotoHash(PhotoHash),
    /// A postal address.
    PostalAddress(PostalAddress),
    /// An identity-provider login or user id.
    IdpUser {
        /// The provider's name, e.g. `okta`, `entra`, `google`.
        provider: String,
        /// The login or user id, lower-cased.
        login: String,
    },
    /// An employee or candidate number from an HR system or ATS. Numbers are only unique inside the
    /// system that issued them, so the system is part of the value: `E1001` in Workday and `E1001` in
    /// another HRIS are different identifiers.
    EmployeeId {
        /// The issuing system's name, lower-cased (e.g. `workday`, `greenhouse`, `ats`).
        system: String,
        /// The number as the system writes it, trimmed.
        id: String,
    },
}

impl Identifier {
    /// An email identifier; see [`EmailAddress::parse`].
    pub fn email(input: &str) -> Result<Self, ModelError> {
        EmailAddress::parse(input).map(Identifier::Email)
    }

    /// A phone identifier; see [`PhoneNumber::parse`].
    pub fn phone(input: &str, default_region: Option<CountryCode>) -> Result<Self, ModelError> {
        PhoneNumber::parse(input, default_region).map(Identifier::Phone)
    }

    /// A wallet identifier; see [`CryptoWallet::parse`].
    pub fn wallet(input: &str) -> Result<Self, ModelError> {
        CryptoWallet::parse(input).map(Identifier::Wallet)
    }

    /// An IP identifier, parsed from text.
    pub fn ip(input: &str) -> Result<Self, ModelError> {
        let address: IpAddr = input.trim().parse().map_err(|_| ModelError::Invalid {
            field: "ip",
            value: input.to_string(),
            reason: "not an IPv4 or IPv6 address".into(),
        })?;
        Ok(Identifier::Ip {
            address: canonical_ip(address),
        })
    }

    /// An identity-provider user.
    pub fn idp_user(provider: &str, login: &str) -> Result<Self, ModelError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(ModelError::Empty { field: "idp_user" });
        }
        Ok(Identifier::IdpUser {
            provider: provider.trim().to_ascii_lowercase(),
            login: login.to_lowercase(),
        })
    }

    /// An employee or candidate number issued by `system` (both trimmed; the system lower-cased).
    pub fn employee_id(system: &str, id: &str) -> Result<Self, ModelError> {
        let id = id.trim();
        let system = system.trim();
        if id.is_empty() {
            return Err(ModelError::Empty {
                field: "employee_id",
            });
        }
        if system.is_empty() {
            return Err(ModelError::Empty {
                field: "employee_id system",
            });
        }
        Ok(Identifier::EmployeeId {
            system: system.to_ascii_lowercase(),
            id: id.to_string(),
        })
    }

    /// The kind of this identifier.
    pub fn kind(&self) -> IdentifierKind {
        match self {
            Identifier::Email(_) => IdentifierKind::Email,
            Identifier::Phone(_) => IdentifierKind::Phone,
            Identifier::Wallet(_) => IdentifierKind::Wallet,
            Identifier::PayoutAccount(_) => IdentifierKind::PayoutAccount,
            Identifier::Ip { .. } => IdentifierKind::Ip,
            Identifier::Device(_) => IdentifierKind::Device,
            Identifier::ProfileUrl(_) => IdentifierKind::ProfileUrl,
            Identifier::Document(_) => IdentifierKind::Document,
            Identifier::PhotoHash(_) => IdentifierKind::PhotoHash,
            Identifier::PostalAddress(_) => IdentifierKind::PostalAddress,
            Identifier::IdpUser { .. } => IdentifierKind::IdpUser,
            Identifier::EmployeeId { .. } => IdentifierKind::EmployeeId,
        }
    }

    /// The canonical value as text; together with [`Identifier::kind`] it is the identifier's key.
    pub fn value(&self) -> String {
        match self {
            Identifier::Email(e) => e.as_str().to_string(),
            Identifier::Phone(p) => p.e164().to_string(),
            Identifier::Wallet(w) => w.address.clone(),
            Identifier::PayoutAccount(p) => format!("{}:{}", p.provider, p.account),
            Identifier::Ip { address } => address.to_string(),
            Identifier::Device(d) => format!("{}:{}", d.kind, d.value),
            Identifier::ProfileUrl(u) => u.0.clone(),
            Identifier::Document(d) => format!(
                "{}:{}:{}",
                d.document_type,
                d.country.map(|c| c.to_string()).unwrap_or_default(),
                d.hash
            ),
            Identifier::PhotoHash(h) => h.0.clone(),
            Identifier::PostalAddress(a) => a.normalised.clone(),
            Identifier::IdpUser { provider, login } => format!("{provider}:{login}"),
            Identifier::EmployeeId { system, id } => format!("{system}:{id}"),
        }
    }

    /// `kind:value`, unique across kinds.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind(), self.value())
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.value())
    }
}

/// Maps IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) to IPv4 so one host has one form.
pub(crate) fn canonical_ip(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// A syntactically valid email address, lower-cased and trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address: exactly one `@`, a non-empty local part, a domain with at least one dot and no
    /// empty labels, no white space. Internationalised domains are accepted as given (lower-cased).
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let value = input.trim();
        let fail = |reason| ModelError::InvalidEmail {
            value: input.to_string(),
            reason,
        };
        if value.is_empty() {
            return Err(fail("empty"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail("contains white space or control characters"));
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(|| fail("no @"))?;
        if local.is_empty() {
            return Err(fail("empty local part"));
        }
        if local.contains('@') {
            return Err(fail("more than one @"));
        }
        if domain.is_empty() {
            return Err(fail("no domain"));
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(fail("domain must have at least two non-empty labels"));
        }
        if local.len() > 64 || domain.len() > 255 {
            return Err(fail("too long"));
        }
        Ok(Self(value.to_lowercase()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }

    /// The domain after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

/// A phone number that libphonenumber's metadata calls valid, stored in E.164.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number written internationally (`+81 3-1234-5678`) or nationally with a default region.
    pub fn parse(input: &str, default_region: Option<CountryCode>) -> Result<Self, ModelError> {
        // Numbers repeat (every stored subject is decoded again on each read, and a ring's members
        // share theirs), so the outcome of each input is memoised. The memo is cut into shards by
        // the input's hash, so that threads parsing at once rarely wait on one another's lock; a
        // shard maps a default region to its inputs, so a lookup borrows the input (no allocation:
        // on a batch of new numbers the memo's own cost was larger than validating them).
        type Outcomes =
            std::collections::HashMap<Box<str>, Result<String, String>, foldhash::fast::FixedState>;
        type Memo = Vec<(Option<CountryCode>, Outcomes)>;
        const SHARDS: usize = 16;
        static MEMO: std::sync::OnceLock<[std::sync::Mutex<Memo>; SHARDS]> =
            std::sync::OnceLock::new();
        const MEMO_LIMIT: usize = (1 << 20) / SHARDS;
        let shard = |text: &str| {
            // FNV-1a: only spreads inputs over the shards.
            let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            (h % SHARDS as u64) as usize
        };
        let memos = MEMO.get_or_init(Default::default);
        let known = memos[shard(input)].lock().ok().and_then(|m| {
            m.iter()
                .find(|(r, _)| *r == default_region)
                .and_then(|(_, outcomes)| outcomes.get(input).cloned())
        });
        let outcome = match known {
            Some(outcome) => outcome,
            None => {
                let outcome = Self::parse_uncached(input, default_region);
                let remember = |text: &str, region: Option<CountryCode>, outcome| {
                    if let Ok(mut m) = memos[shard(text)].lock() {
                        let at = match m.iter().position(|(r, _)| *r == region) {
                            Some(at) => at,
                            None => {
                                m.push((region, Outcomes::default()));
                                m.len() - 1
                            }
                        };
                        let outcomes = &mut m[at].1;
                        if outcomes.len() >= MEMO_LIMIT {
                            outcomes.clear();
                        }
                        outcomes.insert(text.into(), outcome);
                    }
                };
                // The E.164 form parses to itself: a stored number read back is a memo hit.
                if let Ok(e164) = &outcome
                    && (e164 != input || default_region.is_some())
                {
                    remember(e164, None, Ok(e164.clone()));
                }
                remember(input, default_region, outcome.clone());
                outcome
            }
        };
        outcome
            .map(Self)
            .map_err(|reason| ModelError::InvalidPhone {
                value: input.to_string(),
                reason,
            })
    }

    /// [`PhoneNumber::parse`] without the memo: the E.164 text, or why the input is not a number.
    fn parse_uncached(input: &str, default_region: Option<CountryCode>) -> Result<String, String> {
        use rlibphonenumber::{PhoneNumberFormat, PhoneNumberUtil, Region};
        thread_local! {
            // One libphonenumber per thread rather than the crate's shared one: each of its patterns
            // is a `regex` whose scratch space is taken from a pool that only its first user thread
            // reaches without a shared write, so threads validating at once through the shared
            // instance were no faster than one thread (3.0 µs a number on two threads, 2.9 µs on one;
            // 1.9 µs with one instance per thread). An instance costs about 10 ms to build.
            static PHONE_UTIL: Result<PhoneNumberUtil, String> =
                PhoneNumberUtil::new().map_err(|e| e.to_string());
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("empty".into());
        }
        // A number written internationally carries its own country code: judging it against the
        // default region's plan would reject every foreign number (a +86 mobile given with a US address).
        let region = match default_region.filter(|_| !trimmed.starts_with('+')) {
            Some(code) => Some(
                Region::from_code(code.as_str())
                    .map_err(|_| format!("no numbering plan for region {code}"))?,
            ),
            None => None,
        };
        PHONE_UTIL.with(|util| {
            let util = util
                .as_ref()
                .map_err(|e| format!("phone number metadata failed to load: {e}"))?;
            let number = util.parse(trimmed, region).map_err(|e| e.to_string())?;
            if !util.is_valid_number(&number) {
                return Err("not a valid number for its region".into());
            }
            Ok(util.format(&number, PhoneNumberFormat::E164).into_owned())
        })
    }

    /// The number in E.164 (`+81312345678`).
    pub fn e164(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value, None)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

/// A payout account: the provider (a bank, Payoneer, Wise, …) and the account reference there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PayoutAccount {
    /// Lower-case provider name, e.g. `payoneer`, `wise`, `bank`.
    pub provider: String,
    /// The account reference with spaces and dashes removed and letters upper-cased (an email-like
    /// reference is lower-cased instead).
    pub account: String,
}

impl PayoutAccount {
    /// Builds a payout account, normalising both parts.
    pub fn new(provider: &str, account: &str) -> Result<Self, ModelError> {
        let provider = provider.trim().to_lowercase();
        if provider.is_empty() {
            return Err(ModelError::Empty {
                field: "payout_provider",
            });
        }
        let account = account.trim();
        if account.is_empty() {
            return Err(ModelError::Empty {
                field: "payout_account",
            });
        }
        let account = if account.contains('@') {
            account.to_lowercase()
        } else {
            account
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .flat_map(char::to_uppercase)
                .collect()
        };
        Ok(Self { provider, account })
    }
}

/// The kind of a device identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A host name (lower-cased).
    Hostname,
    /// A hardware serial number (upper-cased).
    Serial,
    /// osquery's `hostIdentifier`.
    OsqueryHost,
    /// A mobile-device-management id.
    Mdm,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Hostname => "hostname",
            DeviceKind::Serial => "serial",
            DeviceKind::OsqueryHost => "osquery_host",
            DeviceKind::Mdm => "mdm",
        })
    }
}

/// A device identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeviceId {
    /// Which kind of id this is.
    pub kind: DeviceKind,
    /// The normalised value.
    pub value: String,
}

impl DeviceId {
    /// Builds a device id, normalising the value's case by kind.
    pub fn new(kind: DeviceKind, value: &str) -> Result<Self, ModelError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(ModelError::Empty { field: "device" });
        }
        let value = match kind {
            DeviceKind::Serial => value.to_uppercase(),
            DeviceKind::Hostname => value.to_lowercase(),
            DeviceKind::OsqueryHost | DeviceKind::Mdm => value.to_string(),
        };
        Ok(Self { kind, value })
    }
}

/// A profile URL reduced to `host/path` (scheme, `www.`, query, fragment and trailing slash removed,
/// host lower-cased) so that the same profile written two ways compares equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProfileUrl(pub(crate) String);

impl ProfileUrl {
    /// Parses and normalises a profile URL.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let trimmed = input.trim();
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| ModelError::Invalid {
            field: "profile_url",
            value: input.to_string(),
            reason: e.to_string(),
        })?;
        let host = url.host_str().ok_or_else(|| ModelError::Invalid {
            field: "profile_url",
            value: input.to_string(),
            reason: "no host".into(),
        })?;
        let host = host.trim_start_matches("www.").to_lowercase();
        let path = url.path().trim_end_matches('/');
        Ok(Self(format!("{host}{path}")))
    }

    /// The normalised `host/path`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The per-installation secret that keys document hashes, so that a leaked database does not reveal
/// document numbers and hashes cannot be compared across installations.
#[derive(Clone)]
pub struct DocumentKey(Vec<u8>);

impl DocumentKey {
    /// A key from raw bytes; at least 16 bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, ModelError> {
        if bytes.len() < 16 {
            return Err(ModelError::Invalid {
                field: "document_key",
                value: format!("{} bytes", bytes.len()),
                reason: "a document key needs at least 16 bytes".into(),
            });
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocumentKey(..)")
    }
}

/// An identity document known only by the HMAC-SHA256 of its normalised number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocumentHash {
    /// Document type, lower-case (`passport`, `national_id`, `driver_licence`, …).
    pub document_type: String,
    /// Issuing country, where known.
    pub country: Option<CountryCode>,
    /// Hex HMAC-SHA256 over `type|country|number` with the installation's key.
    pub hash: String,
}

impl DocumentHash {
    /// Hashes a document number. The number is upper-cased with spaces, dashes and dots removed first,
    /// so `AB 123-456` and `ab123456` hash alike. The clear number is not kept.
    pub fn new(
        key: &DocumentKey,
        document_type: &str,
        country: Option<CountryCode>,
        number: &str,
    ) -> Result<Self, ModelError> {
        let document_type = document_type.trim().to_lowercase();
        if document_type.is_empty() {
            return Err(ModelError::Empty {
                field: "document_type",
            });
        }
        let normalised: String = number
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/'))
            .flat_map(char::to_uppercase)
            .collect();
        if normalised.is_empty() {
            return Err(ModelError::Empty {
                field: "document_number",
            });
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).map_err(|e| ModelError::Invalid {
            field: "document_key",
            value: String::new(),
            reason: e.to_string(),
        })?;
        let country_code = country.map(|c| c.to_string()).unwrap_or_default();
        mac.update(format!("{document_type}|{country_code}|{normalised}").as_bytes());
        Ok(Self {
            document_type,
            country,
            hash: hex::encode(mac.finalize().into_bytes()),
        })
    }
}

/// A perceptual hash of a photo, as lower-case hex (8 to 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PhotoHash(pub(crate) String);

impl PhotoHash {
    /// Parses a hex perceptual hash.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let value = input.trim().to_ascii_lowercase();
        if !(16..=128).contains(&value.len())
            || !value.len().is_multiple_of(2)
            || !value.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(ModelError::Invalid {
                field: "photo_hash",
                value: input.to_string(),
                reason: "expected 16 to 128 hexadecimal digits".into(),
            });
        }
        Ok(Self(value))
    }

    /// The hash as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A postal address with a normalised comparison form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PostalAddress {
    /// The address as the source wrote it.
    pub original: String,
    /// Upper-case, punctuation and unit words (`Apt`, `Suite`, …) removed, white space collapsed, common
    /// street words abbreviated.
    pub normalised: String,
    /// The country, where known.
    pub country: Option<CountryCode>,
}

impl PostalAddress {
    /// Builds an address and its comparison form.
    pub fn new(original: &str, country: Option<CountryCode>) -> Result<Self, ModelError> {
        let original = original.trim();
        if original.is_empty() {
            return Err(ModelError::Empty { field: "address" });
        }
        let cleaned: String = original
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    ' '
                }
            })
            .collect();
        let normalised = cleaned
            .split_whitespace()
            .filter(|word| {
                !matches!(
                    *word,
                    "APARTMENT" | "APT" | "UNIT" | "SUITE" | "STE" | "NUMBER" | "NO"
                )
            })
            .map(|word| match word {
                "STREET" => "ST",
                "AVENUE" => "AVE",
                "ROAD" => "RD",
                "BOULEVARD" => "BLVD",
                "DRIVE" => "DR",
                other => other,
            })
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self {
            original: original.to_string(),
            normalised,
            country,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employee_ids_are_scoped_by_system() {
        let a = Identifier::employee_id(" Workday ", " E1001 ").unwrap();
        assert_eq!(a.kind(), IdentifierKind::EmployeeId);
        assert_eq!(a.key(), "employee_id:workday:E1001");
        assert_ne!(a, Identifier::employee_id("bamboohr", "E1001").unwrap());
        assert!(Identifier::employee_id("workday", "  ").is_err());
        assert!(Identifier::employee_id("", "E1").is_err());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"employee_id","value":{"system":"workday","id":"E1001"}}"#
        );
        assert_eq!(serde_json::from_str::<Identifier>(&json).unwrap(), a);
    }

    #[test]
    fn emails_are_validated_and_lowercased() {
        let check =
            |input: &str, expect: Result<&str, &str>| match (EmailAddress::parse(input), expect) {
                (Ok(e), Ok(v)) => assert_eq!(e.as_str(), v),
                (Err(e), Err(fragment)) => {
                    assert!(e.to_string().contains(fragment), "{input}: {e}")
                }
                (got, expect) => panic!("{input}: got {got:?}, expected {expect:?}"),
            };
        check(" Jane.Doe@Example.COM ", Ok("jane.doe@example.com"));
        check("kim@mail.예시.kr", Ok("kim@mail.예시.kr"));
        check("jane@", Err("no domain"));
        check("jane", Err("no @"));
        check("@example.com", Err("empty local part"));
        check("a@b@example.com", Err("more than one @"));
        check("jane@localhost", Err("two non-empty labels"));
        check("jane@example..com", Err("two non-empty labels"));
        check("jane doe@example.com", Err("white space"));
    }

    /// Every region's example numbers in libphonenumber's metadata (fixed line, mobile, toll free,
    /// VoIP), written internationally and nationally with the region as default, are valid and give
    /// one E.164 form, `+`, the calling code and the national number; each region's invalid example
    /// is refused, written either way.
    #[test]
    fn every_regions_example_numbers_are_valid_and_its_invalid_example_is_not() {
        use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat, PhoneNumberType};
        let (mut valid, mut refused) = (0, 0);
        for region in PHONE_NUMBER_UTIL.get_supported_regions() {
            let Ok(code) = CountryCode::parse(region.as_region_str().as_str()) else {
                continue;
            };
            for kind in [
                PhoneNumberType::FixedLine,
                PhoneNumberType::Mobile,
                PhoneNumberType::TollFree,
                PhoneNumberType::VoIP,
            ] {
                let Ok(example) =
                    PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(region, kind)
                else {
                    continue;
                };
                let international = example.format_as(PhoneNumberFormat::International);
                let national = example.format_as(PhoneNumberFormat::National);
                let expected = format!(
                    "+{}{}",
                    example.country_code,
                    example.get_national_significant_number()
                );
                assert_eq!(
                    PhoneNumber::parse_uncached(&international, None).as_deref(),
                    Ok(expected.as_str()),
                    "{international} ({code}, {kind:?})"
                );
                assert_eq!(
                    PhoneNumber::parse_uncached(&national, Some(code)).as_deref(),
                    Ok(expected.as_str()),
                    "{national} in {code} ({kind:?})"
                );
                valid += 1;
            }
            if let Ok(invalid) = PHONE_NUMBER_UTIL.get_invalid_example_number(region) {
                let international = format!(
                    "+{} {}",
                    invalid.country_code,
                    invalid.get_national_significant_number()
                );
                assert!(
                    PhoneNumber::parse_uncached(&international, None).is_err(),
                    "{international} ({code}) is libphonenumber's invalid example"
                );
                refused += 1;
            }
        }
        assert!(
            valid > 400 && refused > 200,
            "{valid} valid, {refused} refused"
        );
    }

    /// The memo gives the same answer as parsing afresh, for valid and invalid inputs, for a stored
    /// E.164 form read back, and for one national number under two default regions (the memo keeps
    /// each region's answer apart).
    #[test]
    fn memoised_phones_answer_as_parsing_afresh() {
        let us = CountryCode::parse("US").ok();
        let jp = CountryCode::parse("JP").ok();
        for (input, region) in [
            ("03-1234-5678", jp),
            ("03-1234-5678", us),
            ("03-1234-5678", None),
            ("+81312345678", None),
            ("(201) 555-0123", us),
            ("+44 20 7946 0018", None),
            ("(512) 555-01", us),
            ("+12015550123", None),
        ] {
            for _ in 0..2 {
                assert_eq!(
                    PhoneNumber::parse(input, region)
                        .map(|p| p.e164().to_string())
                        .map_err(|e| e.to_string()),
                    PhoneNumber::parse_uncached(input, region).map_err(|reason| {
                        ModelError::InvalidPhone {
                            value: input.to_string(),
                            reason,
                        }
                        .to_string()
                    }),
                    "{input}"
                );
            }
        }
    }

    /// Each thread validates with its own libphonenumber: threads at once answer as one thread alone
    /// (valid and invalid North American numbers, national and international, several regions).
    #[test]
    fn phones_validated_on_several_threads_answer_as_on_one() {
        let us = CountryCode::parse("US").ok();
        let inputs: Vec<(String, Option<CountryCode>)> = (0..400u32)
            .map(|k| match k % 4 {
                0 => (
                    format!("+1{}{:07}", 201 + k % 700, k * 24_691 % 9_999_999),
                    None,
                ),
                1 => (format!("({}) 555-{:04}", 201 + k % 90, k), us),
                2 => (format!("+44 20 7946 {:04}", k), None),
                _ => (format!("+81 3-{:04}-{:04}", k, k * 7), None),
            })
            .collect();
        let alone: Vec<Result<String, String>> = inputs
            .iter()
            .map(|(input, region)| PhoneNumber::parse_uncached(input, *region))
            .collect();
        assert!(alone.iter().any(Result::is_ok) && alone.iter().any(Result::is_err));
        let together: Vec<Vec<Result<String, String>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        inputs
                            .iter()
                            .map(|(input, region)| PhoneNumber::parse_uncached(input, *region))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        for answers in together {
            assert_eq!(answers, alone);
        }
    }

    #[test]
    fn phones_are_e164() {
        let jp = PhoneNumber::parse("+81 3-1234-5678", None).unwrap();
        assert_eq!(jp.e164(), "+81312345678");
        let us = PhoneNumber::parse("(201) 555-0123", CountryCode::parse("US").ok()).unwrap();
        assert_eq!(us.e164(), "+12015550123");
        // A foreign number written internationally is valid whatever the default region.
        let cn = PhoneNumber::parse("+86 186 8476 4848", CountryCode::parse("US").ok()).unwrap();
        assert_eq!(cn.e164(), "+8618684764848");
        assert!(PhoneNumber::parse("12345", None).is_err());
        assert!(PhoneNumber::parse("not a phone", CountryCode::parse("US").ok()).is_err());
        assert!(
            PhoneNumber::parse("", None)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn ip_mapped_addresses_are_canonical() {
        assert_eq!(
            Identifier::ip("::ffff:175.45.176.1").unwrap().value(),
            "175.45.176.1"
        );
        assert_eq!(
            Identifier::ip("2001:db8::1").unwrap().value(),
            "2001:db8::1"
        );
        assert!(Identifier::ip("300.1.1.1").is_err());
    }

    #[test]
    fn document_numbers_are_only_kept_hashed() {
        let key = DocumentKey::new(vec![7; 32]).unwrap();
        let a = DocumentHash::new(
            &key,
            "Passport",
            CountryCode::parse("US").ok(),
            "AB 123-456",
        )
        .unwrap();
        let b =
            DocumentHash::new(&key, "passport", CountryCode::parse("US").ok(), "ab123456").unwrap();
        assert_eq!(a, b);
        assert!(!a.hash.contains("123456"));
        let other_key = DocumentKey::new(vec![8; 32]).unwrap();
        let c = DocumentHash::new(
            &other_key,
            "passport",
            CountryCode::parse("US").ok(),
            "ab123456",
        )
        .unwrap();
        assert_ne!(a.hash, c.hash);
        assert!(DocumentKey::new(vec![1; 4]).is_err());
    }

    #[test]
    fn profile_urls_and_addresses_normalise() {
        let a = ProfileUrl::parse("https://www.GitHub.com/someone/").unwrap();
        let b = ProfileUrl::parse("github.com/someone?tab=repos").unwrap();
        assert_eq!(a, b);
        let x = PostalAddress::new("12 Main Street, Apt. 4", None).unwrap();
        let y = PostalAddress::new("12 MAIN ST #4", None).unwrap();
        assert_eq!(x.normalised, y.normalised);
    }

    #[test]
    fn identifiers_serialise_with_their_kind() {
        let id = Identifier::email("a@b.co").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#"{"kind":"email","value":"a@b.co"}"#);
        let back: Identifier = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
    }
}
