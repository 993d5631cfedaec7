//! Configuration of the identity engine: lists, keys, thresholds and the reference date.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use redflag_model::DocumentKey;
#[cfg(test)]
use redflag_model::PostalAddress;

use crate::IdentityError;
use crate::email::{EmailLists, ascii_domain};
use crate::lists::rows;
pub use crate::reshipper::ReshipperList;
use crate::resume::{MinHashConfig, PassageConfig};

const PAYOUT_PROVIDERS: &str = include_str!("../data/payout-providers.txt");

/// The kind of a payout provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// A bank.
    Bank,
    /// A payment service (Payoneer, Wise, PayPal, …).
    PaymentService,
    /// A crypto exchange or token.
    Crypto,
}

/// Payout provider names by kind (`data/payout-providers.txt`, or a file loaded at run time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutProviders(Vec<(String, ProviderKind)>);

impl PayoutProviders {
    /// The vendored list.
    pub fn builtin() -> Self {
        // The vendored file is checked by a unit test.
        Self::parse("payout-providers.txt", PAYOUT_PROVIDERS).unwrap_or(Self(Vec::new()))
    }

    /// Parses `fragment kind` lines (the fragment may contain spaces; the kind is the last column).
    pub fn parse(list: &str, text: &str) -> Result<Self, IdentityError> {
        let mut out = Vec::new();
        for (line, cols) in rows(text) {
            let (kind, name) = match cols.split_last() {
                Some((kind, name)) if !name.is_empty() => (*kind, name.join(" ")),
                _ => {
                    return Err(IdentityError::BadListLine {
                        list: list.into(),
                        line,
                        value: cols.join(" "),
                        reason: "expected a name and a kind",
                    });
                }
            };
            let kind = match kind {
                "bank" => ProviderKind::Bank,
                "payment_service" => ProviderKind::PaymentService,
                "crypto" => ProviderKind::Crypto,
                _ => {
                    return Err(IdentityError::BadListLine {
                        list: list.into(),
                        line,
                        value: cols.join(" "),
                        reason: "kind must be bank, payment_service or crypto",
                    });
                }
            };
            out.push((name.to_lowercase(), kind));
        }
        Ok(Self(out))
    }

    /// The kind of a provider name, if listed.
    pub fn kind(&self, provider: &str) -> Option<ProviderKind> {
        let p = provider.to_lowercase();
        self.0
            .iter()
            .find(|(name, _)| p.contains(name.as_str()))
            .map(|(_, k)| *k)
    }
}

/// Real domains of companies, by lower-cased name, so that an employer named on a resume can be compared
/// with the domains its references write from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyDomains(HashMap<String, String>);

impl CompanyDomains {
    /// `domain<TAB or two+ spaces>company name` lines, e.g. `acme.com  Acme Corporation`.
    pub fn parse(list: &str, text: &str) -> Result<Self, IdentityError> {
        let mut out = HashMap::new();
        for (line, cols) in rows(text) {
            let bad = |reason| IdentityError::BadListLine {
                list: list.into(),
                line,
                value: cols.join(" "),
                reason,
            };
            let (domain, name) = cols.split_first().ok_or_else(|| bad("empty"))?;
            if name.is_empty() {
                return Err(bad("expected a domain and a company name"));
            }
            let domain = ascii_domain(domain).ok_or_else(|| bad("not a domain"))?;
            out.insert(company_key(&name.join(" ")), domain);
        }
        Ok(Self(out))
    }

    /// Adds one company.
    pub fn insert(&mut self, name: &str, domain: &str) {
        if let Some(d) = ascii_domain(domain) {
            self.0.insert(company_key(name), d);
        }
    }

    /// The real domain of a company name, if known.
    pub fn domain_of(&self, name: &str) -> Option<&str> {
        self.0.get(&company_key(name)).map(String::as_str)
    }
}

/// A company name reduced for lookup: lower case, punctuation and legal suffixes removed.
pub fn company_key(name: &str) -> String {
    let cleaned: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    cleaned
        .split_whitespace()
        .filter(|w| {
            !matches!(
                *w,
                "inc"
                    | "llc"
                    | "ltd"
                    | "limited"
                    | "corp"
                    | "corporation"
                    | "co"
                    | "company"
                    | "gmbh"
                    | "plc"
                    | "sa"
                    | "ag"
                    | "bv"
                    | "the"
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything the identity engine is configured with. Immutable once built; share it across threads.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// Free and disposable domain lists and provider rules.
    pub email_lists: Arc<EmailLists>,
    /// Payout provider kinds.
    pub payout_providers: PayoutProviders,
    /// Known reshipper addresses (empty unless loaded).
    pub reshippers: ReshipperList,
    /// Real domains of companies named on resumes.
    pub company_domains: CompanyDomains,
    /// The installation's key for document hashes (needed to hash an MRZ read from attributes).
    pub document_key: Option<DocumentKey>,
    /// The date windows and "present" on resumes are measured from; the latest event time when unset.
    pub as_of: Option<DateTime<Utc>>,
    /// Days in the payout-change window (default 90).
    pub payout_window_days: i64,
    /// MinHash/LSH parameters for resumes.
    pub minhash: MinHashConfig,
    /// Winnowing parameters for phrase blocks reused across resumes.
    pub passages: PassageConfig,
    /// Largest Hamming distance (of 64 bits) at which two photos are the same photo (default 8; up to 11
    /// uses the indexed search, larger values fall back to comparing every pair).
    pub photo_max_distance: u32,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            email_lists: Arc::new(EmailLists::builtin().clone()),
            payout_providers: PayoutProviders::builtin(),
            reshippers: ReshipperList::default(),
            company_domains: CompanyDomains::default(),
            document_key: None,
            as_of: None,
            payout_window_days: 90,
            minhash: MinHashConfig::default(),
            passages: PassageConfig::default(),
            photo_max_distance: crate::photo::DEFAULT_MAX_DISTANCE,
        }
    }
}

/// The `Subject::attributes` keys this crate reads. Lists are separated by `,`, `;` or new lines.
pub mod attributes {
    /// The resume's text (from [`crate::extract_text`] or the ATS).
    pub const RESUME_TEXT: &str = "resume_text";
    /// Email addresses of the subject's references.
    pub const REFERENCE_EMAILS: &str = "reference_emails";
    /// Phone numbers of the subject's references (international form, or national in the claimed country).
    pub const REFERENCE_PHONES: &str = "reference_phones";
    /// Names of claimed employers (added to those parsed from the resume).
    pub const EMPLOYERS: &str = "employers";
    /// Real domains of the claimed employers, where the ATS or an analyst recorded them.
    pub const EMPLOYER_DOMAINS: &str = "employer_domains";
    /// The home address, where not given as a postal-address identifier.
    pub const HOME_ADDRESS: &str = "home_address";
    /// A passport or ID-card machine-readable zone (lines separated by new lines or `|`).
    pub const PASSPORT_MRZ: &str = "passport_mrz";
}

/// Splits a list attribute.
pub(crate) fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A map helper so callers can build company domains from pairs.
impl FromIterator<(String, String)> for CompanyDomains {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        let mut out = CompanyDomains::default();
        for (name, domain) in iter {
            out.insert(&name, &domain);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_shareable() {
        fn is<T: Send + Sync>() {}
        is::<IdentityConfig>();
    }

    #[test]
    fn vendored_payout_providers_parse_and_classify() {
        let p = PayoutProviders::parse("t", PAYOUT_PROVIDERS).unwrap();
        assert_eq!(p.kind("Payoneer Inc."), Some(ProviderKind::PaymentService));
        assert_eq!(
            p.kind("Wise (TransferWise)"),
            Some(ProviderKind::PaymentService)
        );
        assert_eq!(p.kind("Binance"), Some(ProviderKind::Crypto));
        assert_eq!(p.kind("Western Union"), Some(ProviderKind::PaymentService));
        assert_eq!(p.kind("Chase Bank"), None);
        assert!(PayoutProviders::parse("t", "payoneer cash\n").is_err());
    }

    #[test]
    fn lists_load_and_refuse_bad_lines() {
        let r = ReshipperList::parse("r", "# forwarders\n100 Cargo Way Suite 5, Wilmington DE\n")
            .unwrap();
        assert!(
            r.contains(&PostalAddress::new("100 cargo way, ste 5 wilmington de", None).unwrap())
        );
        let c = CompanyDomains::parse(
            "c",
            "acme.com  Acme Corporation\nbrightwave.io Brightwave Labs Inc.\n",
        )
        .unwrap();
        assert_eq!(c.domain_of("ACME Corp."), Some("acme.com"));
        assert_eq!(c.domain_of("Brightwave Labs"), Some("brightwave.io"));
        assert!(CompanyDomains::parse("c", "acme.com\n").is_err());
        assert_eq!(company_key("The Acme Company, Inc."), "acme");
    }
}
