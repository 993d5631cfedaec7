//! Identity documents: ICAO 9303 machine-readable-zone check digits, and keyed hashes of document
//! numbers (the clear number is never kept).

use redflag_model::{CountryCode, DocumentHash, DocumentKey, ModelError};

/// The MRZ layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrzFormat {
    /// TD3: passports, two lines of 44 characters.
    Td3,
    /// TD1: ID cards, three lines of 30 characters.
    Td1,
}

/// A machine-readable zone read from text, with the result of each check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrz {
    /// The layout.
    pub format: MrzFormat,
    /// Document code (`P`, `I`, `ID`, …) with fillers removed.
    pub document_code: String,
    /// Issuing state or organisation (three letters, as printed: `UTO`, `D<<` for Germany).
    pub issuer: String,
    /// Document number with fillers removed. Hash it with [`hash_mrz_number`]; never store it.
    pub document_number: String,
    /// Date of birth `YYMMDD` as printed.
    pub birth_date: String,
    /// Date of expiry `YYMMDD` as printed.
    pub expiry_date: String,
    /// The names of the check digits that failed (`document_number`, `birth_date`, `expiry_date`,
    /// `optional_data`, `composite`); empty when all pass.
    pub failed_checks: Vec<&'static str>,
}

impl Mrz {
    /// Whether every check digit is correct.
    pub fn is_valid(&self) -> bool {
        self.failed_checks.is_empty()
    }
}

/// Why a text is not an MRZ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrzError(pub String);

/// The ICAO 9303 check digit (weights 7, 3, 1; `<` is 0, `A`–`Z` are 10–35) of a field, or `None` if
/// the field has a character outside the MRZ alphabet.
pub fn check_digit(field: &str) -> Option<u32> {
    let mut sum = 0u32;
    for (i, c) in field.chars().enumerate() {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => return None,
        };
        sum += value * [7, 3, 1][i % 3];
    }
    Some(sum % 10)
}

fn digit_ok(field: &str, digit: char) -> bool {
    // A filler in the check position is allowed only for an empty (all-filler) optional field.
    match (check_digit(field), digit) {
        (Some(0), '<') => field.chars().all(|c| c == '<'),
        (Some(expected), d) => d.to_digit(10) == Some(expected),
        (None, _) => false,
    }
}

/// Parses a TD3 or TD1 machine-readable zone (lines separated by new lines or `|`; surrounding white
/// space ignored) and verifies its check digits.
pub fn parse_mrz(text: &str) -> Result<Mrz, MrzError> {
    let lines: Vec<String> = text
        .split(['\n', '|'])
        .map(|l| l.trim().replace(' ', "").to_ascii_uppercase())
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(bad) = lines
        .iter()
        .flat_map(|l| l.chars())
        .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<'))
    {
        return Err(MrzError(format!(
            "character {bad:?} is not in the MRZ alphabet"
        )));
    }
    let fields = |s: &str| s.trim_matches('<').replace('<', "");
    match lines.as_slice() {
        [l1, l2] if l1.len() == 44 && l2.len() == 44 => {
            let mut failed = Vec::new();
            let at = |s: &str, a: usize, b: usize| s[a..b].to_string();
            let ch = |s: &str, i: usize| s.as_bytes()[i] as char;
            if !digit_ok(&l2[0..9], ch(l2, 9)) {
                failed.push("document_number");
            }
            if !digit_ok(&l2[13..19], ch(l2, 19)) {
                failed.push("birth_date");
            }
            if !digit_ok(&l2[21..27], ch(l2, 27)) {
                failed.push("expiry_date");
            }
            if !digit_ok(&l2[28..42], ch(l2, 42)) {
                failed.push("optional_data");
            }
            let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
            if !digit_ok(&composite, ch(l2, 43)) {
                failed.push("composite");
            }
            Ok(Mrz {
                format: MrzFormat::Td3,
                document_code: fields(&l1[0..2]),
                issuer: at(l1, 2, 5),
                document_number: fields(&l2[0..9]),
                birth_date: at(l2, 13, 19),
                expiry_date: at(l2, 21, 27),
                failed_checks: failed,
            })
        }
        [l1, l2, l3] if l1.len() == 30 && l2.len() == 30 && l3.len() == 30 => {
            let mut failed = Vec::new();
            let ch = |s: &str, i: usize| s.as_bytes()[i] as char;
            if !digit_ok(&l1[5..14], ch(l1, 14)) {
                failed.push("document_number");
            }
            if !digit_ok(&l2[0..6], ch(l2, 6)) {
                failed.push("birth_date");
            }
            if !digit_ok(&l2[8..14], ch(l2, 14)) {
                failed.push("expiry_date");
            }
            let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
            if !digit_ok(&composite, ch(l2, 29)) {
                failed.push("composite");
            }
            Ok(Mrz {
                format: MrzFormat::Td1,
                document_code: fields(&l1[0..2]),
                issuer: l1[2..5].to_string(),
                document_number: fields(&l1[5..14]),
                birth_date: l2[0..6].to_string(),
                expiry_date: l2[8..14].to_string(),
                failed_checks: failed,
            })
        }
        _ => Err(MrzError(format!(
            "expected 2 lines of 44 (TD3) or 3 lines of 30 (TD1) characters, got lengths {:?}",
            lines.iter().map(String::len).collect::<Vec<_>>()
        ))),
    }
}

/// The keyed hash of an MRZ's document number, typed `passport` (TD3) or `national_id` (TD1), with the
/// issuing country when the issuer code is an ISO country.
pub fn hash_mrz_number(key: &DocumentKey, mrz: &Mrz) -> Result<DocumentHash, ModelError> {
    let document_type = match mrz.format {
        MrzFormat::Td3 => "passport",
        MrzFormat::Td1 => "national_id",
    };
    let issuer = mrz.issuer.trim_matches('<');
    // ICAO uses `D` for Germany; other issuers use their alpha-3 code.
    let country = if issuer == "D" {
        CountryCode::parse("DE").ok()
    } else {
        CountryCode::parse(issuer).ok()
    };
    DocumentHash::new(key, document_type, country, &mrz.document_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The specimens of ICAO Doc 9303 Part 4 (TD3) and Part 5 (TD1), fictitious state "Utopia".
    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
    const TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<";

    #[test]
    fn icao_specimens_validate() {
        let p = parse_mrz(TD3).unwrap();
        assert!(p.is_valid(), "{:?}", p.failed_checks);
        assert_eq!(
            (p.format, p.issuer.as_str(), p.document_number.as_str()),
            (MrzFormat::Td3, "UTO", "L898902C3")
        );
        assert_eq!(
            (p.birth_date.as_str(), p.expiry_date.as_str()),
            ("740812", "120415")
        );
        let i = parse_mrz(TD1).unwrap();
        assert!(i.is_valid(), "{:?}", i.failed_checks);
        assert_eq!(i.document_number, "D23145890");
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("740812"), Some(2));
    }

    #[test]
    fn altered_numbers_fail_their_checks() {
        // One digit of the document number changed: its check and the composite fail.
        let forged = TD3.replace("L898902C36", "L898903C36");
        assert_eq!(
            parse_mrz(&forged).unwrap().failed_checks,
            vec!["document_number", "composite"]
        );
        // A changed birth date.
        let forged = TD3.replace("7408122F", "7508122F");
        assert_eq!(
            parse_mrz(&forged).unwrap().failed_checks,
            vec!["birth_date", "composite"]
        );
    }

    #[test]
    fn malformed_zones_are_refused() {
        assert!(parse_mrz("").is_err());
        assert!(parse_mrz("P<UTO|short").is_err());
        assert!(
            parse_mrz(&TD3.replace('<', "*"))
                .unwrap_err()
                .0
                .contains("'*'")
        );
        // Lower case and spaces are tolerated (OCR output), separators may be `|`.
        assert!(
            parse_mrz(&TD3.to_lowercase().replace('\n', " | "))
                .unwrap()
                .is_valid()
        );
    }

    #[test]
    fn numbers_hash_by_key() {
        let key = DocumentKey::new(vec![7; 32]).unwrap();
        let other = DocumentKey::new(vec![8; 32]).unwrap();
        let p = parse_mrz(TD3).unwrap();
        let a = hash_mrz_number(&key, &p).unwrap();
        assert_eq!(a.document_type, "passport");
        assert_eq!(a, hash_mrz_number(&key, &p).unwrap());
        assert_ne!(a.hash, hash_mrz_number(&other, &p).unwrap().hash);
        assert!(!a.hash.contains("L898902C3"));
    }
}
