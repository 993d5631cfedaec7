use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    Columns, CountryCode, CryptoWallet, Identifier, PayoutAccount, PostalAddress, Provenance,
    SubjectId,
};

/// A stable event id: the hex SHA-256 of the connector's stable key for the record (the IdP's event uuid,
/// or the fields that make the record unique), so that ingesting the same record twice stores it once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    /// Derives an id from the connector name and its stable key parts.
    pub fn derive(connector: &str, key_parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(connector.as_bytes());
        for part in key_parts {
            hasher.update([0u8]);
            hasher.update(part.as_bytes());
        }
        Self(hex::encode(&hasher.finalize()[..16]))
    }

    /// Wraps an id read back from storage.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Something a source system saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable id (see [`EventId`]).
    pub id: EventId,
    /// When it happened, in UTC.
    pub time: DateTime<Utc>,
    /// The offset from UTC, in seconds, that the source wrote the time with (0 for `Z`).
    pub utc_offset_seconds: i32,
    /// What happened.
    pub kind: EventKind,
    /// The identifiers the source saw on the event; the store attributes the event to a subject by them.
    pub identifiers: Vec<Identifier>,
    /// The subject the event was attributed to, once the store has done so.
    pub subject: Option<SubjectId>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// The kinds of event redflag reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// An identity-provider sign-in.
    SignIn(SignIn),
    /// A row of an endpoint inventory.
    Endpoint(EndpointObservation),
    /// A change of payout method or account.
    PayoutChange(PayoutChange),
    /// A device shipped to an address.
    Shipment(Shipment),
    /// A step of a hiring process.
    ApplicationStep(ApplicationStep),
    /// Work activity: a commit, a download, an OAuth grant, a repository clone.
    Activity {
        /// What was done (`commit`, `drive_download`, `oauth_grant`, `repo_clone`, …).
        action: String,
        /// What it was done to.
        target: Option<String>,
        /// How many items, where the source counts them.
        count: Option<u64>,
    },
}

impl EventKind {
    /// The snake_case name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::SignIn(_) => "sign_in",
            EventKind::Endpoint(_) => "endpoint",
            EventKind::PayoutChange(_) => "payout_change",
            EventKind::Shipment(_) => "shipment",
            EventKind::ApplicationStep(_) => "application_step",
            EventKind::Activity { .. } => "activity",
        }
    }
}

/// Whether a sign-in succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInOutcome {
    /// Allowed.
    Success,
    /// Denied or failed.
    Failure,
    /// Challenged (MFA) or unknown.
    Other,
}

/// An identity-provider sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    /// The client address (IPv4-mapped IPv6 stored as IPv4).
    pub ip: Option<IpAddr>,
    /// The user agent string.
    pub user_agent: Option<String>,
    /// Outcome.
    pub outcome: SignInOutcome,
    /// The application signed in to.
    pub application: Option<String>,
    /// The provider's own geolocation of the address, kept as a second opinion.
    pub provider_country: Option<CountryCode>,
}

/// A row of an endpoint inventory (osquery `programs`, `processes`, `usb_devices`, `listening_ports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointObservation {
    /// The host's identifier.
    pub host: String,
    /// The inventory table (borrowed for the known tables, so a reader allocates nothing for it).
    pub table: Cow<'static, str>,
    /// `added`, `removed` or `snapshot` (borrowed for those three).
    pub action: Cow<'static, str>,
    /// The row's columns, in key order (serialised as the JSON object of text values a
    /// `BTreeMap<String, String>` wrote).
    pub columns: Columns,
}

/// How a person is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutMethod {
    /// A bank transfer to an account in the person's name.
    Bank,
    /// A payment-service provider such as Payoneer or Wise.
    PaymentService,
    /// Crypto currency.
    Crypto,
    /// Anything else (cheque, cash, unknown).
    Other,
}

/// A change of payout method or account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayoutChange {
    /// Method.
    pub method: PayoutMethod,
    /// Provider (bank name, `payoneer`, `wise`, …).
    pub provider: Option<String>,
    /// The account, if not a wallet.
    pub account: Option<PayoutAccount>,
    /// The wallet, for crypto payouts.
    pub wallet: Option<CryptoWallet>,
    /// The account's country.
    pub country: Option<CountryCode>,
}

/// A device shipped to an address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    /// Where it went.
    pub address: PostalAddress,
    /// What was shipped (asset tag, model).
    pub item: Option<String>,
    /// Device serial, if known.
    pub serial: Option<String>,
}

/// A step of a hiring process (applied, interviewed, offered, hired, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationStep {
    /// Step name.
    pub step: String,
    /// Free-text detail.
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_stable_and_separate_parts() {
        let a = EventId::derive("okta", &["uuid-1"]);
        assert_eq!(a, EventId::derive("okta", &["uuid-1"]));
        assert_ne!(a, EventId::derive("entra", &["uuid-1"]));
        assert_ne!(
            EventId::derive("x", &["ab", "c"]),
            EventId::derive("x", &["a", "bc"])
        );
        assert_eq!(a.as_str().len(), 32);
    }
}
