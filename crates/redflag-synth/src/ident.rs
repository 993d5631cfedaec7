//! Generators of realistic, *valid* identifiers: phone numbers in real numbering ranges (checked with the
//! model's libphonenumber-backed parser), IBANs with correct check digits, US routing numbers with a
//! correct ABA checksum, EVM and Tron wallet addresses with correct checksums, postcodes and addresses in
//! each country's shape, email local parts.

use rand::Rng;
use redflag_model::CountryCode;
use sha2::{Digest, Sha256};

use crate::data::{City, Country};
use crate::rng::pick;

/// A phone number in international format (`+81 90 1234 5678`).
///
/// `prefixes` are national prefixes after the calling code (a mobile or VoIP range, or a city's area
/// codes); `digits` digits follow, the first of them 2–9. The embedded prefixes are chosen so that every
/// such number is valid in libphonenumber's metadata; the tests check every prefix on many draws, because
/// validating at run time (libphonenumber compiles regular expressions) would dominate generation time.
pub(crate) fn phone<R: Rng + ?Sized>(
    rng: &mut R,
    calling_code: &str,
    prefixes: &[String],
    digits: usize,
) -> Option<String> {
    if prefixes.is_empty() {
        return None;
    }
    let prefix = pick(rng, prefixes);
    let mut rest = String::with_capacity(digits);
    for i in 0..digits {
        let d = if i == 0 {
            rng.gen_range(2..10)
        } else {
            rng.gen_range(0..10)
        };
        rest.push(char::from(b'0' + d as u8));
    }
    Some(format_phone(calling_code, prefix, &rest))
}

fn format_phone(calling_code: &str, prefix: &str, rest: &str) -> String {
    match calling_code {
        "1" => format!("+1 {prefix}-{}-{}", &rest[..3], &rest[3..]),
        _ => {
            let (a, b) = rest.split_at(rest.len() / 2);
            format!("+{calling_code} {prefix} {a} {b}")
        }
    }
}

/// A mobile number for a person living in `city` of `country` (US and Canada: the city's area codes).
pub(crate) fn mobile<R: Rng + ?Sized>(rng: &mut R, country: &Country, city: &City) -> String {
    let prefixes = if country.mobile.is_empty() {
        &city.area_codes
    } else {
        &country.mobile
    };
    phone(rng, &country.calling_code, prefixes, country.digits)
        .unwrap_or_else(|| fallback_phone(country))
}

/// A number in a range the country's numbering plan reserves for VoIP, where it has one.
pub(crate) fn voip<R: Rng + ?Sized>(rng: &mut R, country: &Country) -> Option<String> {
    phone(
        rng,
        &country.calling_code,
        &country.voip,
        country.voip_digits,
    )
}

/// A number known to be valid, used only if a numbering range yields nothing valid (tests check that
/// this never happens for the embedded data).
fn fallback_phone(country: &Country) -> String {
    match country.code.as_str() {
        "US" | "CA" => "+1 212-736-5000".into(),
        _ => "+44 7412 345678".into(),
    }
}

/// Fills a pattern: `#` a digit, `@` an upper-case letter, anything else as is.
pub(crate) fn pattern<R: Rng + ?Sized>(rng: &mut R, pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| match c {
            '#' => char::from(b'0' + rng.gen_range(0..10u8)),
            '@' => char::from(b'A' + rng.gen_range(0..26u8)),
            other => other,
        })
        .collect()
}

/// A street address in the country's shape.
pub(crate) fn address<R: Rng + ?Sized>(rng: &mut R, country: &Country, city: &City) -> String {
    address_numbered(rng, country, city, 400)
}

/// [`address`] with house numbers below `houses`: an address drawn again after a chance repeat takes
/// them from a wider range, because some countries' formats (no flat, no postcode) give a big city
/// fewer addresses than it has residents in a world of a million.
pub(crate) fn address_numbered<R: Rng + ?Sized>(
    rng: &mut R,
    country: &Country,
    city: &City,
    houses: u32,
) -> String {
    let street = pick(rng, &country.streets).clone();
    let postcode = pattern(rng, &city.postcode);
    let out = country
        .address
        .replace("{n2}", &rng.gen_range(1..30).to_string())
        .replace("{n}", &rng.gen_range(1..houses).to_string())
        .replace("{apt}", &rng.gen_range(1..40).to_string())
        .replace("{street}", &street)
        .replace("{city}", &city.name)
        .replace("{region}", &city.region)
        .replace("{postcode}", &postcode);
    // Empty regions or postcodes leave stray separators behind.
    out.replace(", ,", ",")
        .replace(" ,", ",")
        .trim_end_matches([',', ' '])
        .to_string()
}

/// A bank account reference in the country's usual form.
pub(crate) fn bank_account<R: Rng + ?Sized>(rng: &mut R, kind: &str) -> String {
    if let Some(cc) = kind.strip_prefix("iban:") {
        return iban(rng, cc);
    }
    match kind {
        "us" => format!("{}-{}", aba_routing(rng), digits(rng, 10)),
        "ca" => format!(
            "{}-{}-{}",
            digits(rng, 5),
            pattern(rng, "0##"),
            digits(rng, 7)
        ),
        "jp" => format!("{}-{}-{}", digits(rng, 4), digits(rng, 3), digits(rng, 7)),
        "kr" => format!("{}-{}-{}", digits(rng, 3), digits(rng, 6), digits(rng, 5)),
        "cn" => format!("6222{}", digits(rng, 15)),
        "in" => format!("{}{}", digits(rng, 12), pattern(rng, " IFSC @@@@0######")),
        _ => digits(rng, 12),
    }
}

fn digits<R: Rng + ?Sized>(rng: &mut R, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// BBAN shapes by country (`#` digit, `@` letter).
fn bban_pattern(cc: &str) -> &'static str {
    match cc {
        "GB" => "@@@@##############",
        "DE" => "##################",
        "IT" => "@######################",
        "PL" => "########################",
        "UA" => "#########################",
        "NL" => "@@@@##########",
        "ES" => "####################",
        _ => "################",
    }
}

/// An IBAN with correct ISO 13616 check digits, printed in groups of four.
pub(crate) fn iban<R: Rng + ?Sized>(rng: &mut R, cc: &str) -> String {
    let bban = pattern(rng, bban_pattern(cc));
    let check = iban_check_digits(cc, &bban);
    let compact = format!("{cc}{check:02}{bban}");
    compact
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// 98 − (BBAN ‖ country ‖ "00" as digits mod 97).
pub(crate) fn iban_check_digits(cc: &str, bban: &str) -> u32 {
    let rearranged = format!("{bban}{cc}00");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => 0,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    98 - rem
}

/// A US ABA routing number with a valid 3-7-1 checksum.
pub(crate) fn aba_routing<R: Rng + ?Sized>(rng: &mut R) -> String {
    // First two digits: a Federal Reserve district (01-12).
    let mut d: Vec<u32> = vec![0, rng.gen_range(1..10)];
    for _ in 0..6 {
        d.push(rng.gen_range(0..10));
    }
    let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5]);
    d.push((10 - sum % 10) % 10);
    d.iter()
        .map(|&x| char::from(b'0' + x as u8))
        .collect::<String>()
}

/// A random EVM address, lower case (no checksum to carry).
pub(crate) fn evm_wallet<R: Rng + ?Sized>(rng: &mut R) -> String {
    let bytes: [u8; 20] = rng.r#gen();
    format!("0x{}", hex::encode(bytes))
}

/// A random Tron address (base58check, version byte 0x41).
pub(crate) fn tron_wallet<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut payload = vec![0x41u8];
    let body: [u8; 20] = rng.r#gen();
    payload.extend_from_slice(&body);
    let checksum = Sha256::digest(Sha256::digest(&payload));
    payload.extend_from_slice(&checksum[..4]);
    bs58::encode(payload).into_string()
}

/// Lower-case ASCII for an email local part: accents folded, spaces, hyphens and apostrophes dropped.
pub(crate) fn ascii_fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' | 'ą' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ę' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => "o",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ç' | 'ć' => "c",
            'ñ' | 'ń' => "n",
            'ł' => "l",
            'ś' => "s",
            'ź' | 'ż' => "z",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(folded);
    }
    out
}

/// Checks a generated country code (used by tests and debug assertions).
#[allow(dead_code)]
pub(crate) fn is_country(code: &str) -> bool {
    CountryCode::parse(code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Data;
    use crate::rng::{Stream, stream};
    use redflag_model::{CryptoWallet, PhoneNumber};

    #[test]
    fn every_embedded_phone_prefix_yields_valid_numbers() {
        let data = Data::get();
        let mut rng = stream(1, Stream::Plan, 0);
        let mut bad = Vec::new();
        let mut check = |country: &crate::data::Country, prefix: &String, digits: usize| {
            for _ in 0..60 {
                let p = phone(
                    &mut rng,
                    &country.calling_code,
                    std::slice::from_ref(prefix),
                    digits,
                )
                .unwrap();
                let region = CountryCode::parse(&country.code).ok();
                if PhoneNumber::parse(&p, region).is_err() {
                    bad.push(format!("{} {prefix}: {p}", country.code));
                    break;
                }
            }
        };
        for country in &data.countries {
            for prefix in &country.mobile {
                check(country, prefix, country.digits);
            }
            for city in &country.cities {
                for prefix in &city.area_codes {
                    check(country, prefix, country.digits);
                }
            }
            for prefix in &country.voip {
                check(country, prefix, country.voip_digits);
            }
        }
        assert!(bad.is_empty(), "invalid numbers from prefixes: {bad:#?}");
    }

    #[test]
    fn no_country_repeats_mobile_numbers_by_chance_in_a_million_subject_world() {
        // Each subject draws about three numbers (their own and two referees'). A country's share of
        // a million subjects draws n of them from `room` numbers, and about n / (2 room) of them
        // repeat one drawn before: strangers then "share" a phone or a referee. Singapore had 56,000
        // numbers (RF-ID-006 flagged 6 % of its innocents at a million); India had 960,000, so 9 %
        // of its numbers repeated, and two applicants "named the same referee" in rings of
        // innocents at 100,000 subjects.
        let data = Data::get();
        let total_weight: f64 = data.countries.iter().map(|c| f64::from(c.weight)).sum();
        for country in data.countries.iter().filter(|c| !c.mobile.is_empty()) {
            let room = country.mobile.len() as f64 * 8.0 * 10f64.powi(country.digits as i32 - 1);
            let drawn = 3.0 * 1_000_000.0 * f64::from(country.weight) / total_weight;
            let repeated = drawn / (2.0 * room);
            assert!(
                repeated <= 0.02,
                "{}: {room} mobile numbers, {drawn} drawn, {repeated:.3} repeat",
                country.code
            );
        }
    }

    #[test]
    fn ibans_have_valid_check_digits() {
        // Published example IBAN: GB82 WEST 1234 5698 7654 32.
        assert_eq!(iban_check_digits("GB", "WEST12345698765432"), 82);
        assert_eq!(iban_check_digits("DE", "370400440532013000"), 89);
        let mut rng = stream(2, Stream::Plan, 0);
        for cc in ["GB", "DE", "IT", "PL", "UA", "NL", "ES"] {
            let value = iban(&mut rng, cc).replace(' ', "");
            let (head, bban) = value.split_at(4);
            assert_eq!(
                head[2..].parse::<u32>().unwrap(),
                iban_check_digits(cc, bban)
            );
        }
    }

    #[test]
    fn routing_numbers_pass_the_aba_checksum() {
        let mut rng = stream(3, Stream::Plan, 0);
        for _ in 0..100 {
            let r = aba_routing(&mut rng);
            let d: Vec<u32> = r.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
            assert_eq!(sum % 10, 0, "{r}");
        }
    }

    #[test]
    fn wallets_are_valid() {
        let mut rng = stream(4, Stream::Plan, 0);
        for _ in 0..50 {
            CryptoWallet::parse(&evm_wallet(&mut rng)).unwrap();
            CryptoWallet::parse(&tron_wallet(&mut rng)).unwrap();
        }
    }

    #[test]
    fn names_fold_to_ascii() {
        let check = |input: &str, expect: &str| assert_eq!(ascii_fold(input), expect);
        check("José", "jose");
        check("Wiśniewski", "wisniewski");
        check("Min-jun", "minjun");
        check("De Luca", "deluca");
        check("Müller", "muller");
        check("Łukasz", "lukasz");
    }

    #[test]
    fn patterns_fill_digits_and_letters() {
        let mut rng = stream(5, Stream::Plan, 0);
        let p = pattern(&mut rng, "M#@ #@#");
        assert_eq!(p.len(), 7);
        assert!(p.starts_with('M'));
        assert!(p.as_bytes()[1].is_ascii_digit() && p.as_bytes()[2].is_ascii_uppercase());
    }
}
