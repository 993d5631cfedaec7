//! Email addresses: provider lists (free, disposable), internationalised domains, the per-provider
//! comparison form, and the country a country-code domain points at.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use redflag_model::{CountryCode, EmailAddress};

use crate::IdentityError;
use crate::lists::{domain_set, rows};

const DISPOSABLE: &str = include_str!("../data/disposable-domains.txt");
const DISPOSABLE_WILDCARD: &str = include_str!("../data/disposable-wildcard-domains.txt");
const FREE: &str = include_str!("../data/free-email-domains.txt");
const PROVIDER_RULES: &str = include_str!("../data/email-provider-rules.txt");
const GENERIC_CCTLDS: &str = include_str!("../data/generic-cctlds.txt");

/// How a provider treats dots and `+tags` in the local part.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProviderRule {
    canonical_domain: String,
    ignore_dots: bool,
    strip_plus: bool,
}

/// The domain lists and provider rules used to describe addresses. Built once, immutable, shared.
#[derive(Debug, Clone)]
pub struct EmailLists {
    free: HashSet<String>,
    disposable: HashSet<String>,
    /// Domains any subdomain of which is disposable.
    disposable_wildcard: HashSet<String>,
    rules: HashMap<String, ProviderRule>,
    generic_cctlds: HashSet<String>,
}

impl EmailLists {
    /// The lists vendored in `data/` (see `data/README.md` for versions, sources and licences).
    pub fn builtin() -> &'static EmailLists {
        static LISTS: OnceLock<EmailLists> = OnceLock::new();
        LISTS.get_or_init(|| {
            // The vendored files are checked by a unit test, so parsing them cannot fail at run time;
            // an empty list is the safe fallback should it ever.
            EmailLists::from_texts(DISPOSABLE, DISPOSABLE_WILDCARD, FREE).unwrap_or_else(|_| {
                EmailLists::from_texts("", "", "").unwrap_or_else(|_| EmailLists::empty())
            })
        })
    }

    fn empty() -> Self {
        Self {
            free: HashSet::new(),
            disposable: HashSet::new(),
            disposable_wildcard: HashSet::new(),
            rules: HashMap::new(),
            generic_cctlds: HashSet::new(),
        }
    }

    /// Lists from texts in the vendored format (one domain per line, `#` comments), e.g. fresher copies
    /// loaded by the caller at run time.
    pub fn from_texts(
        disposable: &str,
        disposable_wildcard: &str,
        free: &str,
    ) -> Result<Self, IdentityError> {
        let mut rules = HashMap::new();
        for (line, cols) in rows(PROVIDER_RULES) {
            let [domain, canonical, dots, plus] = cols.as_slice() else {
                return Err(IdentityError::BadListLine {
                    list: "email-provider-rules.txt".into(),
                    line,
                    value: cols.join(" "),
                    reason: "expected four columns",
                });
            };
            rules.insert(
                domain.to_string(),
                ProviderRule {
                    canonical_domain: canonical.to_string(),
                    ignore_dots: *dots == "ignored",
                    strip_plus: *plus == "stripped",
                },
            );
        }
        Ok(Self {
            free: domain_set("free-email-domains", free)?,
            disposable: domain_set("disposable-domains", disposable)?,
            disposable_wildcard: domain_set("disposable-wildcard-domains", disposable_wildcard)?,
            rules,
            generic_cctlds: rows(GENERIC_CCTLDS).map(|(_, c)| c.join("")).collect(),
        })
    }

    /// Whether the (ASCII) domain is a free-mail provider.
    pub fn is_free(&self, domain: &str) -> bool {
        self.free.contains(domain)
    }

    /// Whether the (ASCII) domain, or a parent of it on the wildcard list, is a disposable provider.
    pub fn is_disposable(&self, domain: &str) -> bool {
        if self.disposable.contains(domain) {
            return true;
        }
        let mut rest = domain;
        loop {
            if self.disposable_wildcard.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return false,
            }
        }
    }

    /// Describes an address.
    pub fn describe(&self, email: &EmailAddress) -> EmailInfo {
        let domain = email.domain();
        let ascii = ascii_domain(domain).unwrap_or_else(|| domain.to_string());
        let unicode = unicode_domain(&ascii);
        let is_idn = ascii.split('.').any(|l| l.starts_with("xn--"));
        let comparison = self.comparison_form(email.local_part(), &ascii);
        let tld = ascii.rsplit('.').next().unwrap_or("");
        let tld_country = if tld.len() == 2 && !self.generic_cctlds.contains(tld) {
            CountryCode::parse(if tld == "uk" { "GB" } else { tld }).ok()
        } else {
            None
        };
        EmailInfo {
            address: email.as_str().to_string(),
            is_free: self.is_free(&ascii),
            is_disposable: self.is_disposable(&ascii),
            domain_ascii: ascii,
            domain_unicode: unicode,
            is_idn,
            comparison,
            tld_country,
        }
    }

    /// The form two addresses are compared in: the provider's canonical domain, dots removed where the
    /// provider ignores them, a `+tag` removed where it is an alias.
    pub fn comparison_form(&self, local: &str, ascii_domain: &str) -> String {
        let rule = self.rules.get(ascii_domain);
        let strip_plus = rule.map(|r| r.strip_plus).unwrap_or(true);
        let mut local = local.to_lowercase();
        if strip_plus
            && let Some((base, _tag)) = local.split_once('+')
            && !base.is_empty()
        {
            local = base.to_string();
        }
        if rule.is_some_and(|r| r.ignore_dots) {
            local.retain(|c| c != '.');
        }
        let domain = rule
            .map(|r| r.canonical_domain.as_str())
            .unwrap_or(ascii_domain);
        format!("{local}@{domain}")
    }
}

/// What is known about one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailInfo {
    /// The address as stored.
    pub address: String,
    /// The domain in ASCII (punycode for internationalised labels).
    pub domain_ascii: String,
    /// The domain in Unicode, for display and confusable checks.
    pub domain_unicode: String,
    /// Whether the domain has an internationalised label.
    pub is_idn: bool,
    /// On the free-mail list.
    pub is_free: bool,
    /// On the disposable list.
    pub is_disposable: bool,
    /// The comparison form (see [`EmailLists::comparison_form`]).
    pub comparison: String,
    /// The country of a country-code top-level domain, unless the TLD is sold as a generic name (`.io`).
    pub tld_country: Option<CountryCode>,
}

/// The ASCII (IDNA/punycode) form of a domain, or `None` if it is not a valid IDNA domain.
pub fn ascii_domain(domain: &str) -> Option<String> {
    idna::domain_to_ascii(domain.trim().trim_end_matches('.'))
        .ok()
        .filter(|d| !d.is_empty())
}

/// The Unicode form of an ASCII domain (punycode labels decoded); the input when decoding fails.
pub fn unicode_domain(ascii: &str) -> String {
    let (unicode, result) = idna::domain_to_unicode(ascii);
    if result.is_ok() {
        unicode
    } else {
        ascii.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(address: &str) -> EmailInfo {
        let lists = EmailLists::builtin();
        lists.describe(&EmailAddress::parse(address).unwrap())
    }

    #[test]
    fn vendored_lists_parse() {
        let lists = EmailLists::from_texts(DISPOSABLE, DISPOSABLE_WILDCARD, FREE).unwrap();
        assert!(lists.disposable.len() > 100_000);
        assert!(lists.free.len() > 10_000);
    }

    #[test]
    fn providers_are_classified() {
        let check = |address: &str, free: bool, disposable: bool| {
            let i = info(address);
            assert_eq!(
                (i.is_free, i.is_disposable),
                (free, disposable),
                "{address}"
            );
        };
        check("jane@gmail.com", true, false);
        check("jane@mailinator.com", true, true);
        check("jane@guerrillamail.com", true, true);
        check("jane.doe@acme-robotics.com", false, false);
        // Wildcard entries cover their subdomains.
        check("x@anything.33mail.com", false, true);
    }

    #[test]
    fn comparison_forms_follow_provider_rules() {
        let check = |address: &str, expect: &str| assert_eq!(info(address).comparison, expect);
        check("J.Doe+jobs@GoogleMail.com", "jdoe@gmail.com");
        check("j.doe@gmail.com", "jdoe@gmail.com");
        check("j.doe+x@outlook.com", "j.doe@outlook.com");
        check("j.doe@corp.example", "j.doe@corp.example");
        check("j.doe+ats@corp.example", "j.doe@corp.example");
        check("+tag@corp.example", "+tag@corp.example");
        check("jane-job@yahoo.com", "jane-job@yahoo.com");
        check("jane@me.com", "jane@icloud.com");
    }

    #[test]
    fn internationalised_domains_and_countries() {
        let i = info("kim@mail.예시.kr");
        assert!(i.is_idn);
        assert_eq!(i.domain_ascii, "mail.xn--vv4b11d.kr");
        assert_eq!(i.domain_unicode, "mail.예시.kr");
        assert_eq!(i.tld_country.map(|c| c.to_string()), Some("KR".into()));
        assert_eq!(
            info("a@shop.co.uk").tld_country.map(|c| c.to_string()),
            Some("GB".into())
        );
        assert_eq!(info("a@startup.io").tld_country, None);
        assert_eq!(info("a@example.com").tld_country, None);
    }
}
