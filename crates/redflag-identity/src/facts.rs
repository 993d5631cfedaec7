//! The facts this engine produces: the registry entries rules are checked against.

use redflag_model::{FactSpec, FactType};

const P: &str = "redflag-identity";

const fn spec(
    name: &'static str,
    fact_type: FactType,
    meaning: &'static str,
    example: &'static str,
) -> FactSpec {
    FactSpec {
        name,
        fact_type,
        producer: P,
        meaning,
        example,
        protected: false,
    }
}

use FactType::{Bool, Float, Int, String as Str, StringList};

const SPECS: &[FactSpec] = &[
    // Emails (per subject).
    spec(
        "email.domain",
        Str,
        "The ASCII domain of the subject's first email address.",
        "gmail.com",
    ),
    spec(
        "email.is_free",
        Bool,
        "One of the subject's addresses is at a free-mail provider (vendored free-email-domains list).",
        "true",
    ),
    spec(
        "email.is_disposable",
        Bool,
        "One of the subject's addresses is at a disposable-mail provider (vendored disposable-email-domains list).",
        "false",
    ),
    spec(
        "email.is_idn",
        Bool,
        "One of the subject's addresses has an internationalised (punycode) domain.",
        "false",
    ),
    spec(
        "email.tld_country",
        Str,
        "The country of the first address whose domain is under a country-code TLD not sold as a generic name.",
        "RU",
    ),
    spec(
        "email.country_mismatch",
        Bool,
        "An address's country-code TLD names a country other than the claimed country of residence.",
        "true",
    ),
    spec(
        "email.domain_lookalike",
        Bool,
        "One of the subject's own addresses is at a domain imitating a claimed employer's real domain.",
        "false",
    ),
    spec(
        "email.shared_with",
        StringList,
        "Other subjects (not of the same household) with the same address in comparison form (gmail dots and +tags removed).",
        "[\"ats:118\"]",
    ),
    // Phones.
    spec(
        "phone.region",
        Str,
        "The region (ISO 3166-1) of the subject's first phone number per libphonenumber.",
        "GB",
    ),
    spec(
        "phone.line_type",
        Str,
        "The line type of the first phone number where the numbering plan tells it: voip, mobile, fixed_line, fixed_line_or_mobile, toll_free, …",
        "voip",
    ),
    spec(
        "phone.is_voip",
        Bool,
        "One of the subject's numbers is in a range the numbering plan reserves for VoIP (not knowable for US/Canada numbers).",
        "true",
    ),
    spec(
        "phone.country_mismatch",
        Bool,
        "A phone number belongs to a region other than the claimed country of residence.",
        "true",
    ),
    spec(
        "phone.shared_with",
        StringList,
        "Other subjects, not of the same household (same home address), with the same phone number.",
        "[\"ats:118\", \"ats:204\"]",
    ),
    spec(
        "phone.shared_with_count",
        Int,
        "How many other subjects, not of the same household, share one of the subject's phone numbers.",
        "2",
    ),
    // Documents.
    spec(
        "document.count",
        Int,
        "Identity documents known for the subject (keyed hashes).",
        "1",
    ),
    spec(
        "document.mrz_valid",
        Bool,
        "The passport or ID-card MRZ given for the subject passes every ICAO 9303 check digit.",
        "false",
    ),
    spec(
        "document.mrz_failed_checks",
        StringList,
        "The MRZ check digits that failed (document_number, birth_date, expiry_date, optional_data, composite).",
        "[\"document_number\", \"composite\"]",
    ),
    spec(
        "document.shared_with",
        StringList,
        "Other subjects with the same document (same keyed hash of type, country and number).",
        "[\"hris:77\"]",
    ),
    // Payouts.
    spec(
        "payout.method",
        Str,
        "Method of the latest payout change: bank, payment_service, crypto, other.",
        "payment_service",
    ),
    spec(
        "payout.provider",
        Str,
        "Provider of the latest payout change, lower case.",
        "payoneer",
    ),
    spec(
        "payout.country",
        Str,
        "Country of the latest payout account.",
        "CN",
    ),
    spec(
        "payout.via_payment_service",
        Bool,
        "A payout change goes to a payment service (Payoneer, Wise, PayPal, …).",
        "true",
    ),
    spec(
        "payout.via_crypto",
        Bool,
        "A payout change goes to crypto (a wallet, an exchange or a token).",
        "false",
    ),
    spec(
        "payout.country_mismatch",
        Bool,
        "The latest payout account's country differs from the claimed country of residence.",
        "true",
    ),
    spec(
        "payout.change_count",
        Int,
        "Payout changes seen for the subject.",
        "3",
    ),
    spec(
        "payout.change_count_90d",
        Int,
        "Payout changes in the window (default 90 days) before the reference date.",
        "3",
    ),
    spec(
        "payout.shared_with",
        StringList,
        "Other subjects, not of the same household, paid into the same account or wallet.",
        "[\"payroll:12\"]",
    ),
    spec(
        "payout.shared_with_count",
        Int,
        "How many other subjects, not of the same household, share a payout account or wallet.",
        "1",
    ),
    // Shipping.
    spec("shipping.count", Int, "Shipments to the subject.", "1"),
    spec(
        "shipping.differs_from_home",
        Bool,
        "A device was shipped to an address that is not the subject's home address.",
        "true",
    ),
    spec(
        "shipping.to_known_reshipper",
        Bool,
        "A device was shipped to an address on the loaded reshipper / freight-forwarder list.",
        "false",
    ),
    spec(
        "shipping.reshipper_matches",
        StringList,
        "The reshipper / freight-forwarder list entries (by name) the subject's devices were shipped to; evidence names the list, line and source.",
        "[\"Harbor Forwarding\"]",
    ),
    spec(
        "shipping.reshipper_countries",
        StringList,
        "Countries (ISO 3166-1 alpha-2) of the matched reshipper entries, where the list gives them.",
        "[\"US\"]",
    ),
    spec(
        "shipping.shared_with",
        StringList,
        "Other subjects, not of the same household, whose devices were shipped to one of the subject's shipping addresses.",
        "[\"hris:3\", \"hris:9\"]",
    ),
    spec(
        "shipping.shared_with_count",
        Int,
        "How many other subjects, not of the same household, had devices shipped to one of the subject's shipping addresses.",
        "2",
    ),
    // Resumes.
    spec(
        "resume.claimed_years",
        Int,
        "The largest \"N years of experience\" the resume claims.",
        "10",
    ),
    spec(
        "resume.dated_years",
        Int,
        "Years covered by the resume's dated positions, overlaps counted once.",
        "4",
    ),
    spec(
        "resume.experience_gap_years",
        Int,
        "Claimed years of experience minus the years the dated positions cover.",
        "6",
    ),
    spec(
        "resume.employers",
        StringList,
        "Employers named in the resume's dated positions.",
        "[\"Brightwave Labs\"]",
    ),
    spec(
        "resume.max_similarity",
        Float,
        "The highest estimated Jaccard similarity (MinHash, 5-word shingles) of the resume to another subject's resume.",
        "0.83",
    ),
    spec(
        "resume.duplicate_of",
        StringList,
        "Other subjects whose resumes are near-duplicates (estimated similarity at or above the threshold, default 0.5).",
        "[\"ats:118\"]",
    ),
    spec(
        "resume.shared_passage_count",
        Int,
        "Distinct passages (at least 20 words, found by winnowing fingerprints) of the resume that also appear word for word in other subjects' otherwise different resumes; text shared by more than 10 resumes is boilerplate and not counted. Households are not counted.",
        "1",
    ),
    spec(
        "resume.shared_passage_max_words",
        Int,
        "Length in words of the longest passage the resume shares with another subject's resume (0 when none).",
        "46",
    ),
    spec(
        "resume.shared_passage_subject_count",
        Int,
        "How many other subjects, not of the same household, have a resume sharing a passage with this one.",
        "2",
    ),
    spec(
        "resume.shared_passage_subjects",
        StringList,
        "Other subjects, not of the same household, whose resumes share a passage with this one (evidence quotes the passages).",
        "[\"ats:118\", \"ats:204\"]",
    ),
    // Photos.
    spec(
        "photo.reused_by",
        StringList,
        "Other subjects with the same or a near photo (perceptual-hash Hamming distance at most the threshold, default 8 of 64).",
        "[\"ats:118\"]",
    ),
    spec(
        "photo.min_distance",
        Int,
        "The smallest perceptual-hash distance from the subject's photo to another subject's photo.",
        "2",
    ),
    // References.
    spec(
        "reference.domain_lookalike",
        Bool,
        "A reference's email domain imitates a claimed employer's real domain (other TLD, homoglyph, added word, small edit).",
        "true",
    ),
    spec(
        "reference.lookalike_domains",
        StringList,
        "The imitating reference domains and what they imitate.",
        "[\"acme-inc.com imitates acme.com (added_word, distance 4)\"]",
    ),
    spec(
        "reference.shared_with",
        StringList,
        "Other subjects naming a reference with the same email or phone.",
        "[\"ats:118\"]",
    ),
    spec(
        "reference.shared_with_count",
        Int,
        "How many other subjects name a reference with the same email or phone.",
        "2",
    ),
    spec(
        "reference.is_other_subject",
        StringList,
        "Other subjects whose own email or phone is one of this subject's references.",
        "[\"ats:204\"]",
    ),
];

/// Every fact this crate produces.
pub fn fact_specs() -> Vec<FactSpec> {
    SPECS.to_vec()
}
