//! Facts hidden in free text: OFAC's legacy `Remarks` (`DOB 25 Mar 1977; nationality Iran; Email Address
//! x@y; Digital Currency Address - XBT 1ABC…; Passport T1455 (Iran); a.k.a. 'X'`), and emails or wallets
//! in UN/OFSI comments.

use crate::entity::{
    Document, Entity, EntityName, NameStrength, PartialDate, WalletEntry, country_code_or_text,
};

/// Document labels in OFAC remarks, longest first.
const DOCUMENT_LABELS: &[&str] = &[
    "Unified Social Credit Code (USCC)",
    "Citizen's Card Number",
    "Identification Number",
    "Registration Number",
    "National ID No.",
    "Registration ID",
    "Tax ID No.",
    "Cedula No.",
    "Diplomatic Passport",
    "Passport",
    "D.N.I.",
    "SSN",
];

/// Applies the `;`-separated items of an OFAC legacy remark to an entity.
pub(crate) fn apply_ofac_remarks(remarks: &str, e: &mut Entity) {
    for item in remarks.split(';') {
        let item = item.trim().trim_end_matches('.').trim();
        let item = item.strip_prefix("alt. ").unwrap_or(item).trim();
        if item.is_empty() {
            continue;
        }
        if let Some(rest) = item.strip_prefix("DOB ") {
            e.birth_dates.extend(parse_ofac_date(rest));
        } else if let Some(rest) = item.strip_prefix("POB ") {
            e.birth_places.push(rest.trim().to_string());
        } else if let Some(rest) = item
            .strip_prefix("nationality ")
            .or_else(|| item.strip_prefix("citizen "))
        {
            e.nationalities.extend(country_code_or_text(rest));
        } else if let Some(rest) = item.strip_prefix("Email Address ") {
            e.emails.push(rest.trim().to_string());
        } else if let Some(rest) = item.strip_prefix("Website ") {
            e.websites.push(rest.trim().to_string());
        } else if let Some(rest) = item
            .strip_prefix("Phone Number ")
            .or_else(|| item.strip_prefix("Telephone "))
        {
            e.phones.push(rest.trim().to_string());
        } else if let Some(rest) = item.strip_prefix("Digital Currency Address - ") {
            let mut it = rest.split_whitespace();
            if let (Some(code), Some(addr)) = (it.next(), it.next()) {
                e.wallets.push(WalletEntry::new(addr, Some(code)));
            }
        } else if let Some(rest) = item
            .strip_prefix("a.k.a. ")
            .or_else(|| item.strip_prefix("f.k.a. "))
        {
            let alias = rest.trim().trim_matches(['\'', '"']).trim();
            if !alias.is_empty() {
                e.names.push(EntityName {
                    full: alias.to_string(),
                    strength: NameStrength::Weak,
                    alias_type: Some("a.k.a. (remarks)".into()),
                    script: None,
                    parts: Vec::new(),
                });
            }
        } else if let Some((label, rest)) = DOCUMENT_LABELS
            .iter()
            .find_map(|l| item.strip_prefix(l).map(|r| (*l, r)))
        {
            let rest = rest.trim();
            if let Some(number) = rest.split_whitespace().next() {
                let country = rest
                    .split_once('(')
                    .and_then(|(_, c)| c.split_once(')'))
                    .and_then(|(c, _)| country_code_or_text(c));
                e.documents.push(Document {
                    kind: label.to_string(),
                    number: number.trim_end_matches(',').to_string(),
                    country,
                });
            }
        } else {
            e.remarks.push(item.to_string());
        }
    }
}

/// Parses OFAC's date forms: `25 Mar 1977`, `Mar 1977`, `1977`, `circa 1977`, `1970 to 1972`.
pub(crate) fn parse_ofac_date(input: &str) -> Option<PartialDate> {
    let s = input.trim().trim_start_matches("circa ").trim();
    if let Some((a, b)) = s.split_once(" to ") {
        let (a, b) = (parse_ofac_date(a)?, parse_ofac_date(b)?);
        return PartialDate::range(a.earliest, b.latest);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%d %b %Y") {
        return Some(PartialDate::day(d));
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if let [m, y] = parts.as_slice() {
        let d = chrono::NaiveDate::parse_from_str(&format!("1 {m} {y}"), "%d %b %Y").ok()?;
        use chrono::Datelike;
        return PartialDate::month(d.year(), d.month());
    }
    PartialDate::parse(s)
}

/// Finds emails and wallet addresses in free text (UN and OFSI comments).
pub(crate) fn extract_contacts(text: &str, e: &mut Entity) {
    for raw in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"')) {
        let token = raw.trim_matches(['.', ':', '\'']);
        if token.len() > 5 && token.contains('@') && token.contains('.') && !token.starts_with('@')
        {
            e.emails.push(token.to_string());
        } else if token.len() == 42
            && token.to_ascii_lowercase().starts_with("0x")
            && token[2..].bytes().all(|b| b.is_ascii_hexdigit())
        {
            e.wallets.push(WalletEntry::new(token, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityKind;

    #[test]
    fn ofac_remarks() {
        let mut e = Entity::new("26137", EntityKind::Person);
        apply_ofac_remarks(
            "DOB 21 Sep 1979; POB Tehran, Iran; nationality Iran; Email Address iranvisacart@yahoo.com; alt. Email Address x@y.com; Gender Male; Digital Currency Address - XBT 149w62rY42aZBox8fGcmqNsXUzSStKeq8C; Passport T14553558 (Iran) issued 28 Oct 2008; a.k.a. 'Mastercartaria'.",
            &mut e,
        );
        assert_eq!(e.birth_dates[0].to_string(), "1979-09-21");
        assert_eq!(e.nationalities, vec!["IR"]);
        assert_eq!(e.emails, vec!["iranvisacart@yahoo.com", "x@y.com"]);
        assert_eq!(e.wallets[0].currency.as_deref(), Some("XBT"));
        assert!(e.wallets[0].wallet.is_some());
        assert_eq!(e.documents[0].number, "T14553558");
        assert_eq!(e.documents[0].country.as_deref(), Some("IR"));
        assert_eq!(e.names[0].full, "Mastercartaria");
        assert_eq!(e.names[0].strength, NameStrength::Weak);
        assert_eq!(e.remarks, vec!["Gender Male"]);
    }

    #[test]
    fn ofac_dates() {
        for (input, expect) in [
            ("25 Mar 1977", "1977-03-25"),
            ("Mar 1977", "1977-03"),
            ("1977", "1977"),
            ("circa 1977", "1977"),
            ("1970 to 1972", "1970-01-01 to 1972-12-31"),
        ] {
            assert_eq!(
                parse_ofac_date(input).map(|d| d.to_string()).as_deref(),
                Some(expect),
                "{input}"
            );
        }
        assert_eq!(parse_ofac_date("sometime"), None);
    }
}
