//! Look-alike domains: is a domain seen on a reference or an employer email an imitation of the real
//! domain of the company named on the resume?

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use unicode_security::confusable_detection::skeleton;

use crate::email::{ascii_domain, unicode_domain};
use crate::lists::rows;

const SECOND_LEVEL: &str = include_str!("../data/second-level-suffixes.txt");

/// Words impostors add to a company's name to make a plausible domain (`acme-inc.com`, `acmehr.com`).
const ADDED_WORDS: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "corp",
    "co",
    "company",
    "group",
    "global",
    "hr",
    "careers",
    "career",
    "jobs",
    "team",
    "mail",
    "usa",
    "us",
    "tech",
    "labs",
    "io",
    "hq",
    "official",
    "online",
    "international",
];

/// How a seen domain imitates a real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookAlikeKind {
    /// Same name, other top-level domain (`acme.co` for `acme.com`).
    OtherTld,
    /// Characters that look alike (`аcme.com` with a Cyrillic `а`, `rnicrosoft.com`).
    Homoglyph,
    /// A word added to the name (`acme-inc.com`, `acmecareers.com`).
    AddedWord,
    /// One or two letters changed, added, removed or swapped (`acrne.com`, `amce.com`).
    EditDistance,
}

impl LookAlikeKind {
    /// The snake_case name used in evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OtherTld => "other_tld",
            Self::Homoglyph => "homoglyph",
            Self::AddedWord => "added_word",
            Self::EditDistance => "edit_distance",
        }
    }
}

/// A seen domain that imitates a real one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    /// The domain seen (Unicode form).
    pub seen: String,
    /// The real domain it imitates.
    pub real: String,
    /// How.
    pub kind: LookAlikeKind,
    /// The edit distance between the two names (0 for pure homoglyph or TLD changes).
    pub distance: usize,
}

impl fmt::Display for LookAlike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} imitates {} ({}",
            self.seen,
            self.real,
            self.kind.as_str()
        )?;
        if self.distance > 0 {
            write!(f, ", distance {}", self.distance)?;
        }
        f.write_str(")")
    }
}

fn second_level() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| rows(SECOND_LEVEL).map(|(_, c)| c.join("")).collect())
}

/// Splits an ASCII domain into its registrable name and public suffix: `mail.acme.co.uk` →
/// (`acme`, `co.uk`). Uses a small subset of the Public Suffix List (`data/second-level-suffixes.txt`).
pub fn registrable(ascii: &str) -> Option<(String, String)> {
    let labels: Vec<&str> = ascii.trim_end_matches('.').split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    let n = labels.len();
    let two = format!("{}.{}", labels[n - 2], labels[n - 1]);
    if n >= 3 && second_level().contains(&two) {
        return Some((labels[n - 3].to_string(), two));
    }
    Some((labels[n - 2].to_string(), labels[n - 1].to_string()))
}

fn confusable_skeleton(s: &str) -> String {
    // The skeleton maps look-alikes to one prototype (Cyrillic а → a, "rn" → m, 0 → O); lower-casing
    // afterwards folds the prototypes' case so that `0` and `o` meet.
    skeleton(s)
        .collect::<String>()
        .to_lowercase()
        .replace(['-', '_'], "")
}

/// Compares a seen domain with the real domain of the company it claims to be. Returns `None` when they
/// are the same registrable domain (a subdomain of the real one is the real company) or unrelated.
pub fn compare(seen: &str, real: &str) -> Option<LookAlike> {
    let seen_ascii = ascii_domain(seen)?;
    let real_ascii = ascii_domain(real)?;
    let (seen_name, seen_suffix) = registrable(&seen_ascii)?;
    let (real_name, real_suffix) = registrable(&real_ascii)?;
    if seen_name == real_name && seen_suffix == real_suffix {
        return None;
    }
    let make = |kind, distance| {
        Some(LookAlike {
            seen: unicode_domain(&seen_ascii),
            real: unicode_domain(&real_ascii),
            kind,
            distance,
        })
    };
    if seen_name == real_name {
        return make(LookAlikeKind::OtherTld, 0);
    }
    let seen_u = unicode_domain(&seen_name);
    let real_u = unicode_domain(&real_name);
    if confusable_skeleton(&seen_u) == confusable_skeleton(&real_u) {
        return make(LookAlikeKind::Homoglyph, 0);
    }
    let distance = strsim::damerau_levenshtein(&seen_u, &real_u);
    if added_word(&seen_u, &real_u) {
        return make(LookAlikeKind::AddedWord, distance);
    }
    let real_len = real_u.chars().count();
    let allowed = match real_len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    if distance > 0 && distance <= allowed {
        return make(LookAlikeKind::EditDistance, distance);
    }
    None
}

/// `acme-inc`, `acmeinc`, `inc-acme`, `acmecareers` for `acme`.
fn added_word(seen: &str, real: &str) -> bool {
    if real.chars().count() < 3 {
        return false;
    }
    let compact = seen.replace(['-', '_'], "");
    let real_compact = real.replace(['-', '_'], "");
    if let Some(rest) = compact.strip_prefix(real_compact.as_str()) {
        return ADDED_WORDS.contains(&rest);
    }
    if let Some(rest) = compact.strip_suffix(real_compact.as_str()) {
        return ADDED_WORDS.contains(&rest);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(seen: &str, real: &str, expect: Option<LookAlikeKind>) {
        assert_eq!(
            compare(seen, real).map(|l| l.kind),
            expect,
            "{seen} vs {real}"
        );
    }

    #[test]
    fn imitations_are_found() {
        check("acme.co", "acme.com", Some(LookAlikeKind::OtherTld));
        check("acme.co.uk", "acme.com", Some(LookAlikeKind::OtherTld));
        check("аcme.com", "acme.com", Some(LookAlikeKind::Homoglyph)); // Cyrillic а
        check(
            "xn--cme-5cd.com",
            "acme.com",
            Some(LookAlikeKind::Homoglyph),
        );
        check(
            "rnicrosoft.com",
            "microsoft.com",
            Some(LookAlikeKind::Homoglyph),
        );
        check("g00gle.com", "google.com", Some(LookAlikeKind::Homoglyph));
        check("acme-inc.com", "acme.com", Some(LookAlikeKind::AddedWord));
        check(
            "acmecareers.com",
            "acme.com",
            Some(LookAlikeKind::AddedWord),
        );
        check(
            "brightwave-llc.com",
            "brightwave.io",
            Some(LookAlikeKind::AddedWord),
        );
        check(
            "brigthwave.io",
            "brightwave.io",
            Some(LookAlikeKind::EditDistance),
        );
        check("stripe-payments.com", "stripe.com", None);
    }

    #[test]
    fn the_real_company_and_unrelated_domains_are_not() {
        check("acme.com", "acme.com", None);
        check("mail.acme.com", "acme.com", None);
        check("ACME.COM", "acme.com", None);
        check("gmail.com", "acme.com", None);
        check("ibm.com", "ihm.com", None); // three letters: too short to call a one-letter change
        check("globex.com", "initech.com", None);
        check("not a domain", "acme.com", None);
    }

    #[test]
    fn display_names_the_kind() {
        let l = compare("acme-inc.com", "acme.com").unwrap();
        assert_eq!(
            l.to_string(),
            "acme-inc.com imitates acme.com (added_word, distance 4)"
        );
    }
}
