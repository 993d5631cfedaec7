//! Integration tests of redflag-identity: realistic positives and hard negatives for every signal.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use redflag_identity::*;
use redflag_model::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

struct S(Subject);

impl S {
    fn new(id: &str) -> Self {
        S(Subject {
            id: SubjectId::new("ats", id).unwrap(),
            kind: SubjectKind::Applicant,
            name: PersonName::new(Some(&format!("Person {id}")), None, None).unwrap(),
            claimed: ClaimedAttributes::default(),
            role: None,
            identifiers: vec![],
            attributes: BTreeMap::new(),
            provenance: Provenance::at_line("ats-csv", "applicants.csv", 2),
        })
    }
    fn country(mut self, c: &str) -> Self {
        self.0.claimed.country = Some(CountryCode::parse(c).unwrap());
        self
    }
    fn email(mut self, e: &str) -> Self {
        self.0.identifiers.push(Identifier::email(e).unwrap());
        self
    }
    fn phone(mut self, p: &str) -> Self {
        self.0.identifiers.push(Identifier::phone(p, None).unwrap());
        self
    }
    fn home(mut self, a: &str) -> Self {
        self.0.identifiers.push(Identifier::PostalAddress(
            PostalAddress::new(a, None).unwrap(),
        ));
        self
    }
    fn attr(mut self, k: &str, v: &str) -> Self {
        self.0.attributes.insert(k.into(), v.into());
        self
    }
    fn id(mut self, i: Identifier) -> Self {
        self.0.identifiers.push(i);
        self
    }
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap() + chrono::Duration::days(day as i64)
}

fn event(subject: &str, day: u32, kind: EventKind) -> Event {
    Event {
        id: EventId::derive("test", &[subject, &day.to_string(), kind.name()]),
        time: at(day),
        utc_offset_seconds: 0,
        kind,
        identifiers: vec![],
        subject: Some(SubjectId::new("ats", subject).unwrap()),
        provenance: Provenance::at_line("payroll-csv", "payroll.csv", day as u64 + 2),
    }
}

fn payout(
    method: PayoutMethod,
    provider: &str,
    account: Option<&str>,
    wallet: Option<&str>,
    country: &str,
) -> EventKind {
    EventKind::PayoutChange(PayoutChange {
        method,
        provider: Some(provider.into()),
        account: account.map(|a| PayoutAccount::new(provider, a).unwrap()),
        wallet: wallet.map(|w| CryptoWallet::parse(w).unwrap()),
        country: Some(CountryCode::parse(country).unwrap()),
    })
}

fn shipment(address: &str) -> EventKind {
    EventKind::Shipment(Shipment {
        address: PostalAddress::new(address, None).unwrap(),
        item: Some("laptop".into()),
        serial: None,
    })
}

/// Facts of one subject by name.
fn facts_of<'a>(facts: &'a [Fact], subject: &str) -> BTreeMap<&'a str, &'a Fact> {
    let id = SubjectId::new("ats", subject).unwrap();
    facts
        .iter()
        .filter(|f| f.subject == id)
        .map(|f| (f.name.as_str(), f))
        .collect()
}

fn value<'a>(facts: &'a [Fact], subject: &str, name: &str) -> Option<&'a FactValue> {
    facts_of(facts, subject).get(name).map(|f| &f.value)
}

fn list(ids: &[&str]) -> FactValue {
    FactValue::TextList(ids.iter().map(|i| format!("ats:{i}")).collect())
}

fn all_facts(subjects: &[Subject], events: &[Event], config: &IdentityConfig) -> Vec<Fact> {
    let mut facts: Vec<Fact> = subjects
        .iter()
        .flat_map(|s| subject_facts(s, events, config))
        .collect();
    let population = population_facts(subjects, events, config);
    // The per-subject hand-over gives the same facts, in the same order.
    let each: Vec<Fact> = Population::new(subjects, events, config)
        .facts_each(|_, facts| facts)
        .concat();
    assert_eq!(each, population);
    facts.extend(population);
    check_registered(&facts);
    facts
}

/// Every fact produced is registered, with its registered type, and carries evidence.
fn check_registered(facts: &[Fact]) {
    let specs = fact_specs();
    for f in facts {
        let spec = specs
            .iter()
            .find(|s| s.name == f.name)
            .unwrap_or_else(|| panic!("unregistered fact {}", f.name));
        assert!(
            spec.fact_type.accepts(&f.value),
            "{} has type {}",
            f.name,
            f.value.type_name()
        );
        assert!(!f.evidence.is_empty(), "{} has no evidence", f.name);
    }
}

#[test]
fn specs_are_unique_and_registrable() {
    let mut registry = FactRegistry::new();
    registry.register(fact_specs()).unwrap();
    assert_eq!(registry.len(), fact_specs().len());
    assert!(
        fact_specs()
            .iter()
            .all(|s| !s.protected && s.producer == "redflag-identity")
    );
}

// ---- Resumes: extraction ----

#[test]
fn resumes_are_read_from_docx_pdf_and_text() {
    let limits = ExtractLimits::default();
    let docx = extract_text(&fixture("resume.docx"), "resume.docx", &limits).unwrap();
    assert_eq!(docx.format, ResumeFormat::Docx);
    assert!(
        docx.text
            .contains("Senior Backend Engineer | Brightwave Labs | Jan 2022 - Present"),
        "{}",
        docx.text
    );
    assert!(docx.text.contains("payments & fintech"));
    assert!(
        docx.text
            .contains("jordan.lee@example.com\t+1 604 555 0199"),
        "header read: {}",
        docx.text
    );
    let pdf = extract_text(&fixture("resume.pdf"), "resume.pdf", &limits).unwrap();
    assert_eq!(pdf.format, ResumeFormat::Pdf);
    assert!(pdf.text.contains("Brightwave Labs"), "{}", pdf.text);
    assert!(pdf.text.contains("University of Toronto"));
    let txt = extract_text("Jane\r\n\r\n\r\nEngineer".as_bytes(), "cv.txt", &limits).unwrap();
    assert_eq!(txt.text, "Jane\n\nEngineer");
    let latin1 = extract_text(b"Jos\xe9 Garc\xeda", "cv.txt", &limits).unwrap();
    assert_eq!(latin1.text, "José García");
}

#[test]
fn crafted_and_broken_files_are_reported_not_fatal() {
    let limits = ExtractLimits::default();
    let err = |name: &str, limits: &ExtractLimits| {
        extract_text(&fixture(name), name, limits)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("bomb.docx", &limits),
        "bomb.docx: refused: decompressed bytes exceeds the limit of 67108864"
    );
    assert_eq!(
        err("deep.docx", &limits),
        "deep.docx: refused: xml depth exceeds the limit of 512"
    );
    assert!(err("broken.docx", &limits).starts_with("broken.docx: unreadable docx"));
    assert!(err("truncated.docx", &limits).starts_with("truncated.docx: unreadable docx"));
    assert!(err("broken.pdf", &limits).starts_with("broken.pdf: unreadable"));
    let small = ExtractLimits {
        max_input_bytes: 1000,
        ..Default::default()
    };
    assert_eq!(
        err("resume.docx", &small),
        "resume.docx: 1414 bytes is over the limit of 1000 bytes"
    );
    assert!(
        extract_text(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], "old.doc", &limits)
            .unwrap_err()
            .to_string()
            .contains("legacy binary Word")
    );
    assert!(extract_text(b"\0\0binary", "x.bin", &limits).is_err());
    let cut = ExtractLimits {
        max_text_chars: 10,
        ..Default::default()
    };
    let t = extract_text(b"0123456789abcdef", "a.txt", &cut).unwrap();
    assert_eq!((t.text.as_str(), t.truncated), ("0123456789", true));
}

// ---- Resumes: near-duplicates ----

const TEMPLATE: &str = "PROFESSIONAL SUMMARY\n\
Results-driven senior full stack developer with 8+ years of experience designing scalable web \
applications and distributed systems for fintech and e-commerce clients across North America.\n\
EXPERIENCE\n\
Senior Full Stack Developer | {EMPLOYER} | Jan 2021 - Present\n\
Architected a microservices platform on AWS handling two million daily transactions with 99.99 percent uptime.\n\
Led a team of five engineers migrating a legacy monolith to React and Node.js, reducing page load time by sixty percent.\n\
Implemented CI/CD pipelines with GitHub Actions and Terraform, cutting release time from days to hours.\n\
Full Stack Developer | Crestline Digital | Jun 2017 - Dec 2020\n\
Built real-time dashboards with WebSockets and Redis for logistics customers in twelve countries.\n\
Designed REST and GraphQL APIs consumed by mobile applications with four hundred thousand users.\n\
EDUCATION\n\
Bachelor of Science in Computer Science, {SCHOOL}, 2013 - 2017\n\
SKILLS\n\
JavaScript, TypeScript, React, Node.js, Python, AWS, Docker, Kubernetes, PostgreSQL, MongoDB\n";

const SKILLS: &str = "SKILLS\nJavaScript, TypeScript, React, Node.js, Python, AWS, Docker, Kubernetes, PostgreSQL, MongoDB\n";

#[test]
fn template_resumes_under_different_names_are_near_duplicates() {
    let r = |e: &str, s: &str| TEMPLATE.replace("{EMPLOYER}", e).replace("{SCHOOL}", s);
    let subjects = vec![
        S::new("1").attr(attributes::RESUME_TEXT, &r("Northbridge Systems", "University of Lagos")).0,
        S::new("2").attr(attributes::RESUME_TEXT, &r("Bluefin Analytics", "Kyiv Polytechnic Institute")).0,
        S::new("3").attr(attributes::RESUME_TEXT, &r("Harbor Point Software", "University of Manila").replace("sixty", "fifty")).0,
        // Hard negative: an honest resume that shares only the very common skills list.
        S::new("4")
            .attr(
                attributes::RESUME_TEXT,
                &format!(
                    "SUMMARY\nData engineer who enjoys building reliable batch pipelines for hospital \
                     analytics teams, with a background in biostatistics and clinical reporting.\n\
                     EXPERIENCE\nData Engineer, Mercy Health Network, 2019 - 2024\nOwned the nightly \
                     warehouse loads and the quality checks that feed the readmission reports.\n{SKILLS}"
                ),
            )
            .0,
        S::new("5").0, // no resume at all
    ];
    let facts = all_facts(&subjects, &[], &IdentityConfig::default());
    assert_eq!(
        value(&facts, "1", "resume.duplicate_of"),
        Some(&list(&["2", "3"]))
    );
    assert_eq!(
        value(&facts, "3", "resume.duplicate_of"),
        Some(&list(&["1", "2"]))
    );
    let Some(FactValue::Float(s)) = value(&facts, "1", "resume.max_similarity") else {
        panic!()
    };
    assert!(*s > 0.7, "{s}");
    // Evidence names the other subject and quotes a matched passage.
    let dup = facts_of(&facts, "1")["resume.duplicate_of"];
    assert!(
        dup.evidence
            .iter()
            .any(|e| e.label == "near-duplicate resume" && e.value.starts_with("ats:2"))
    );
    assert!(dup.evidence.iter().any(|e| {
        e.label == "passage shared with ats:2"
            && e.value
                .contains("architected a microservices platform on aws")
    }));
    // The skills-list-only overlap is not a duplicate.
    assert_eq!(value(&facts, "4", "resume.duplicate_of"), None);
    let Some(FactValue::Float(s4)) = value(&facts, "4", "resume.max_similarity") else {
        panic!()
    };
    assert!(*s4 < 0.5, "{s4}");
    assert_eq!(value(&facts, "5", "resume.max_similarity"), None);
    // One new applicant screened against the population.
    let config = IdentityConfig::default();
    let population = Population::new(&subjects, &[], &config);
    assert_eq!(population.resume_count(), 4);
    let hits = population.similar_resumes(&r("Acme", "MIT"));
    let mut ids: Vec<&str> = hits.iter().map(|h| h.0.as_str()).collect();
    ids.sort();
    assert_eq!(ids, vec!["ats:1", "ats:2", "ats:3"]);
}

#[test]
fn claimed_experience_is_compared_with_dates() {
    let text = "Engineer with 12 years of experience.\nEXPERIENCE\nDeveloper, Acme, 2021 - 2023\nEngineer at Globex (2023 - 2024)\n";
    let s = S::new("1").attr(attributes::RESUME_TEXT, text).0;
    let config = IdentityConfig {
        as_of: Some(at(0)),
        ..Default::default()
    };
    let facts = subject_facts(&s, &[], &config);
    let get = |n: &str| facts.iter().find(|f| f.name == n).map(|f| f.value.clone());
    assert_eq!(get("resume.claimed_years"), Some(FactValue::Int(12)));
    assert_eq!(get("resume.dated_years"), Some(FactValue::Int(4)));
    assert_eq!(get("resume.experience_gap_years"), Some(FactValue::Int(8)));
    assert_eq!(
        get("resume.employers"),
        Some(FactValue::TextList(vec!["Acme".into(), "Globex".into()]))
    );
}

// ---- Emails and phones ----

#[test]
fn email_and_phone_facts() {
    let config = IdentityConfig::default();
    let subjects = vec![
        S::new("1")
            .country("US")
            .email("dev.star@mailinator.com")
            .phone("+44 56 1234 5678")
            .0,
        S::new("2")
            .country("US")
            .email("ivan@yandex.ru")
            .phone("+1 201 555 0123")
            .0,
        // Hard negatives: a .io startup address and a local number for a US resident.
        S::new("3")
            .country("US")
            .email("sam@startup.io")
            .phone("+1 415 555 0142")
            .0,
        // A UK resident with a UK VoIP number: VoIP yes, mismatch no.
        S::new("4")
            .country("GB")
            .email("a@example.co.uk")
            .phone("+44 56 1234 5678")
            .0,
    ];
    let facts = all_facts(&subjects, &[], &config);
    let b = |s: &str, n: &str| value(&facts, s, n).cloned();
    assert_eq!(b("1", "email.is_disposable"), Some(FactValue::Bool(true)));
    assert_eq!(b("1", "phone.is_voip"), Some(FactValue::Bool(true)));
    assert_eq!(
        b("1", "phone.line_type"),
        Some(FactValue::Text("voip".into()))
    );
    assert_eq!(
        b("1", "phone.country_mismatch"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(b("2", "email.is_free"), Some(FactValue::Bool(true)));
    assert_eq!(
        b("2", "email.country_mismatch"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(
        b("2", "email.tld_country"),
        Some(FactValue::Text("RU".into()))
    );
    assert_eq!(b("2", "phone.is_voip"), Some(FactValue::Bool(false)));
    assert_eq!(
        b("2", "phone.country_mismatch"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(b("3", "email.is_free"), Some(FactValue::Bool(false)));
    assert_eq!(
        b("3", "email.country_mismatch"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(
        b("3", "phone.line_type"),
        Some(FactValue::Text("fixed_line_or_mobile".into()))
    );
    assert_eq!(b("4", "phone.is_voip"), Some(FactValue::Bool(true)));
    assert_eq!(
        b("4", "phone.country_mismatch"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(
        b("4", "email.country_mismatch"),
        Some(FactValue::Bool(false))
    );
    // Evidence carries the record's provenance.
    let f = facts_of(&facts, "1")["phone.is_voip"];
    assert_eq!(f.evidence[0].value, "+445612345678");
    assert_eq!(
        &*f.evidence[0].source.as_ref().unwrap().source,
        "applicants.csv"
    );
}

#[test]
fn a_shared_family_phone_is_not_a_ring_but_a_shared_facilitator_phone_is() {
    let subjects = vec![
        // A married couple: same home, same landline.
        S::new("1")
            .phone("+1 206 555 0100")
            .home("12 Oak Street, Seattle WA")
            .0,
        S::new("2")
            .phone("+1 206 555 0100")
            .home("12 Oak St Seattle WA")
            .0,
        // Three unrelated applicants behind one number.
        S::new("3")
            .phone("+1 346 555 0177")
            .home("1 Elm Rd, Houston TX")
            .0,
        S::new("4")
            .phone("+1 346 555 0177")
            .home("77 Pine Ave, Austin TX")
            .0,
        S::new("5").phone("+1 346 555 0177").0,
    ];
    let facts = all_facts(&subjects, &[], &IdentityConfig::default());
    assert_eq!(
        value(&facts, "1", "phone.shared_with_count"),
        Some(&FactValue::Int(0))
    );
    assert_eq!(value(&facts, "1", "phone.shared_with"), None);
    assert!(
        facts_of(&facts, "1")["phone.shared_with_count"].evidence[0]
            .label
            .starts_with("same household")
    );
    assert_eq!(
        value(&facts, "3", "phone.shared_with_count"),
        Some(&FactValue::Int(2))
    );
    assert_eq!(
        value(&facts, "3", "phone.shared_with"),
        Some(&list(&["4", "5"]))
    );
}

#[test]
fn gmail_dot_and_plus_variants_are_one_address() {
    let a = S::new("1").email("jane.doe+jobs@gmail.com").0;
    let b = S::new("2").email("janedoe@googlemail.com").0;
    let ka: Vec<_> = linkage_keys(&a)
        .into_iter()
        .filter(|k| k.kind == "email")
        .collect();
    assert_eq!(
        ka,
        linkage_keys(&b)
            .into_iter()
            .filter(|k| k.kind == "email")
            .collect::<Vec<_>>()
    );
    assert_eq!(ka[0].value, "janedoe@gmail.com");
    let facts = all_facts(&[a, b], &[], &IdentityConfig::default());
    assert_eq!(value(&facts, "1", "email.shared_with"), Some(&list(&["2"])));
    // Two colleagues at one large company share a domain, not an address.
    let c = S::new("3").email("li.wei@google.com").0;
    let d = S::new("4").email("maria.santos@google.com").0;
    let facts = all_facts(&[c, d], &[], &IdentityConfig::default());
    assert_eq!(value(&facts, "3", "email.shared_with"), None);
}

// ---- References ----

#[test]
fn reference_signals() {
    let mut config = IdentityConfig::default();
    config
        .company_domains
        .insert("Acme Robotics", "acmerobotics.com");
    let subjects = vec![
        S::new("1")
            .attr(attributes::EMPLOYERS, "Acme Robotics")
            .attr(
                attributes::REFERENCE_EMAILS,
                "tom.baker@acmerobotics-inc.com",
            )
            .attr(attributes::REFERENCE_PHONES, "+1 312 555 0150")
            .0,
        S::new("2")
            .attr(
                attributes::RESUME_TEXT,
                "EXPERIENCE\nQA Engineer | Acme Robotics | 2019 - 2023\n",
            )
            .attr(
                attributes::REFERENCE_EMAILS,
                "tom.baker@acmerobotics-inc.com",
            )
            .0,
        // The reference of 3 is applicant 4.
        S::new("3")
            .attr(attributes::REFERENCE_EMAILS, "k.novak@outlook.com")
            .0,
        S::new("4").email("k.novak+cv@outlook.com").0,
        // Hard negatives: references at the real company domain, and two applicants whose references are
        // different people at one big company.
        S::new("5")
            .attr(attributes::EMPLOYER_DOMAINS, "acmerobotics.com")
            .attr(attributes::REFERENCE_EMAILS, "hr@acmerobotics.com")
            .0,
        S::new("6")
            .attr(attributes::REFERENCE_EMAILS, "li.wei@microsoft.com")
            .0,
        S::new("7")
            .attr(attributes::REFERENCE_EMAILS, "maria.santos@microsoft.com")
            .0,
    ];
    let facts = all_facts(&subjects, &[], &config);
    assert_eq!(
        value(&facts, "1", "reference.domain_lookalike"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        value(&facts, "1", "reference.lookalike_domains"),
        Some(&FactValue::TextList(vec![
            "acmerobotics-inc.com imitates acmerobotics.com (added_word, distance 4)".into()
        ]))
    );
    assert_eq!(
        value(&facts, "2", "reference.domain_lookalike"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        value(&facts, "1", "reference.shared_with"),
        Some(&list(&["2"]))
    );
    assert_eq!(
        value(&facts, "3", "reference.is_other_subject"),
        Some(&list(&["4"]))
    );
    assert_eq!(
        value(&facts, "5", "reference.domain_lookalike"),
        Some(&FactValue::Bool(false))
    );
    assert_eq!(
        value(&facts, "6", "reference.shared_with_count"),
        Some(&FactValue::Int(0))
    );
    assert_eq!(value(&facts, "6", "reference.domain_lookalike"), None);
}

// ---- Documents ----

#[test]
fn document_signals() {
    let key = DocumentKey::new(b"installation-secret-0123456789".to_vec()).unwrap();
    let doc = |n: &str| {
        Identifier::Document(
            DocumentHash::new(&key, "passport", CountryCode::parse("US").ok(), n).unwrap(),
        )
    };
    let td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
    let subjects = vec![
        S::new("1").id(doc("X1234567")).0,
        S::new("2").id(doc("x 123-4567")).home("5 Shared Home Rd").0,
        S::new("3").id(doc("Y7654321")).home("5 Shared Home Rd").0,
        S::new("4").attr(attributes::PASSPORT_MRZ, td3).0,
        S::new("5")
            .attr(
                attributes::PASSPORT_MRZ,
                &td3.replace("L898902C36", "L898903C36"),
            )
            .0,
    ];
    let config = IdentityConfig {
        document_key: Some(key.clone()),
        ..Default::default()
    };
    let facts = all_facts(&subjects, &[], &config);
    assert_eq!(
        value(&facts, "1", "document.shared_with"),
        Some(&list(&["2"]))
    );
    assert_eq!(value(&facts, "3", "document.shared_with"), None);
    assert_eq!(
        value(&facts, "4", "document.mrz_valid"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        value(&facts, "5", "document.mrz_valid"),
        Some(&FactValue::Bool(false))
    );
    assert_eq!(
        value(&facts, "5", "document.mrz_failed_checks"),
        Some(&FactValue::TextList(vec![
            "document_number".into(),
            "composite".into()
        ]))
    );
    // The clear number never appears in facts or evidence.
    let dump = format!("{facts:?}");
    assert!(!dump.contains("X1234567") && !dump.contains("L898902C3"));
}

// ---- Payouts ----

#[test]
fn payout_signals() {
    let subjects = vec![
        S::new("1").country("US").home("1 Main St, Denver CO").0,
        S::new("2").country("US").home("9 Lake Rd, Tampa FL").0,
        S::new("3").country("US").home("4 Birch Street, Boise ID").0,
        S::new("4").country("US").home("4 Birch St, Boise ID").0,
        S::new("5").country("GB").0,
    ];
    let events = vec![
        event(
            "1",
            0,
            payout(
                PayoutMethod::Bank,
                "Chase",
                Some("021000021-1234"),
                None,
                "US",
            ),
        ),
        event(
            "1",
            40,
            payout(
                PayoutMethod::PaymentService,
                "Payoneer",
                Some("PYN-88812"),
                None,
                "HK",
            ),
        ),
        event(
            "1",
            70,
            payout(
                PayoutMethod::PaymentService,
                "Payoneer",
                Some("PYN-99120"),
                None,
                "CN",
            ),
        ),
        event(
            "2",
            10,
            payout(
                PayoutMethod::PaymentService,
                "Payoneer",
                Some("PYN 99120"),
                None,
                "CN",
            ),
        ),
        event(
            "2",
            60,
            payout(
                PayoutMethod::Crypto,
                "Binance",
                None,
                Some("TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz"),
                "SG",
            ),
        ),
        // A married couple with a joint account: not a shared-account signal.
        event(
            "3",
            5,
            payout(PayoutMethod::Bank, "Wells Fargo", Some("55501"), None, "US"),
        ),
        event(
            "4",
            5,
            payout(PayoutMethod::Bank, "Wells Fargo", Some("55501"), None, "US"),
        ),
        // A UK contractor paid through Wise into a UK account: rail yes, mismatch no.
        event(
            "5",
            5,
            payout(
                PayoutMethod::PaymentService,
                "Wise",
                Some("GB29NWBK60161331926819"),
                None,
                "GB",
            ),
        ),
    ];
    let config = IdentityConfig {
        as_of: Some(at(80)),
        ..Default::default()
    };
    let facts = all_facts(&subjects, &events, &config);
    let v = |s: &str, n: &str| value(&facts, s, n).cloned();
    assert_eq!(
        v("1", "payout.method"),
        Some(FactValue::Text("payment_service".into()))
    );
    assert_eq!(
        v("1", "payout.provider"),
        Some(FactValue::Text("payoneer".into()))
    );
    assert_eq!(
        v("1", "payout.via_payment_service"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(v("1", "payout.via_crypto"), Some(FactValue::Bool(false)));
    assert_eq!(
        v("1", "payout.country_mismatch"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(v("1", "payout.change_count"), Some(FactValue::Int(3)));
    assert_eq!(v("1", "payout.change_count_90d"), Some(FactValue::Int(3)));
    assert_eq!(v("1", "payout.shared_with"), Some(list(&["2"])));
    assert_eq!(v("2", "payout.via_crypto"), Some(FactValue::Bool(true)));
    assert_eq!(v("2", "payout.shared_with_count"), Some(FactValue::Int(1)));
    assert_eq!(v("3", "payout.shared_with_count"), Some(FactValue::Int(0)));
    assert_eq!(
        v("3", "payout.via_payment_service"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(
        v("3", "payout.country_mismatch"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(
        v("5", "payout.via_payment_service"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(
        v("5", "payout.country_mismatch"),
        Some(FactValue::Bool(false))
    );
    // Evidence names the payroll record.
    let f = facts_of(&facts, "1")["payout.country_mismatch"];
    assert!(f.evidence[0].value.contains("payoneer") || f.evidence[0].value.contains("Payoneer"));
    assert_eq!(
        &*f.evidence[0].source.as_ref().unwrap().source,
        "payroll.csv"
    );
    // The window counts only changes in the last 90 days.
    let later = IdentityConfig {
        as_of: Some(at(150)),
        ..Default::default()
    };
    let facts = subject_facts(&subjects[0], &events, &later);
    assert_eq!(
        facts
            .iter()
            .find(|f| f.name == "payout.change_count_90d")
            .unwrap()
            .value,
        FactValue::Int(1)
    );
}

// ---- Shipping ----

#[test]
fn shipping_signals() {
    let farm = "850 Commerce Pkwy Unit 12, Nashville TN 37211";
    let subjects = vec![
        S::new("1").home("31 Cedar Ave, Portland OR").0,
        S::new("2").home("700 Grand Blvd, Kansas City MO").0,
        S::new("3").0,
        // A couple living together, both shipped laptops at home.
        S::new("4").home("18 Willow Dr, Reno NV").0,
        S::new("5").home("18 Willow Drive, Reno NV").0,
    ];
    let events = vec![
        event("1", 1, shipment(farm)),
        event(
            "2",
            2,
            shipment(
                "850 Commerce Parkway #12 Nashville TN 37211"
                    .replace("Parkway", "Pkwy")
                    .as_str(),
            ),
        ),
        event("3", 3, shipment(farm)),
        event("4", 4, shipment("18 Willow Dr, Reno NV")),
        event("5", 4, shipment("18 Willow Dr, Reno NV")),
    ];
    let config = IdentityConfig {
        reshippers: ReshipperList::parse("reshippers.txt", farm).unwrap(),
        ..Default::default()
    };
    let facts = all_facts(&subjects, &events, &config);
    let v = |s: &str, n: &str| value(&facts, s, n).cloned();
    assert_eq!(
        v("1", "shipping.differs_from_home"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(
        v("1", "shipping.to_known_reshipper"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(
        v("1", "shipping.shared_with_count"),
        Some(FactValue::Int(2))
    );
    assert_eq!(v("1", "shipping.shared_with"), Some(list(&["2", "3"])));
    assert_eq!(v("3", "shipping.differs_from_home"), None); // no home address known
    assert_eq!(
        v("4", "shipping.differs_from_home"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(
        v("4", "shipping.shared_with_count"),
        Some(FactValue::Int(0))
    );
    assert_eq!(
        v("4", "shipping.to_known_reshipper"),
        Some(FactValue::Bool(false))
    );
}

// ---- Reused phrase blocks ----

const CITIES: [&str; 12] = [
    "Austin", "Denver", "Leeds", "Porto", "Lyon", "Tallinn", "Raleigh", "Tucson", "Bristol",
    "Ghent", "Malmo", "Halifax",
];
const STACKS: [&str; 9] = [
    "Go and gRPC",
    "Rust and Tokio",
    "Java and Spring",
    "Elixir and Phoenix",
    "Ruby on Rails",
    "Kotlin and Ktor",
    "Django",
    "Laravel",
    "dotnet Core",
];
const DOMAINS: [&str; 7] = [
    "insurance claims",
    "hotel bookings",
    "school timetables",
    "grocery delivery",
    "clinical trials",
    "freight tracking",
    "public libraries",
];

/// A resume in the subject's own words: every sentence carries the subject's own details a few words apart,
/// so two such resumes never share a 13-word run.
fn own_words(d: usize) -> String {
    let (c1, c2) = (CITIES[d % 12], CITIES[(d * 5 + 3) % 12]);
    let (s1, s2) = (STACKS[d % 9], STACKS[(d * 4 + 1) % 9]);
    let (m1, m2) = (DOMAINS[d % 7], DOMAINS[(d * 3 + 2) % 7]);
    format!(
        "Person {d} lives in {c1}. Since {y} builds {m1} software in {s1} for {n} users. \
         Previously at a {m2} startup in {c2}, wrote {s2} services handling {k} requests a day. \
         Mentored {t} juniors and gave {g} talks about {m1} in {c1}.\n\
         EXPERIENCE\n{s1} developer, {m2} team {d}, {y} to {z}: moved {k} nightly jobs of the {m1} \
         platform to {s2}, kept {t} services on call in {c2} and cut page load by {g}0 percent. \
         {s2} engineer, {c1} office, {z} to present: owns billing for {n} {m2} customers, wrote the \
         {m1} import in {s1}, reviews {k} pull requests a year with {t} peers in {c2}.",
        z = 2012 + d % 9,
        y = 2010 + d % 11,
        n = 1000 + 37 * d,
        k = 500 + 91 * d,
        t = 1 + d % 6,
        g = 2 + d % 5,
    )
}

const OPERATOR_ABOUT: &str = "I am a passionate and results driven senior software engineer with a proven \
    track record of delivering scalable blockchain and fintech solutions for clients across North America, \
    and I thrive in fast paced remote environments where ownership, clear communication and clean \
    maintainable code matter most.";
const OPERATOR_PROJECT: &str = "Designed and implemented a decentralized exchange aggregator that routes \
    swaps across six liquidity pools with gas aware pathfinding, cutting slippage for retail traders by a \
    third within two months.";
const HOUSEHOLD: &str = "Volunteer organisers of the Bend Oregon community coding club, where we run free \
    weekend workshops for teenagers on building small games, personal websites and simple robots from kits \
    donated by local businesses.";
const BOOTCAMP: &str = "Graduate of the Full Stack Web Development Immersive at Launchpad Academy, a sixteen \
    week intensive program covering HTML, CSS, JavaScript, React, Node.js, Express, PostgreSQL, agile \
    workflows, pair programming, test driven development and deployment to cloud platforms, culminating in a \
    capstone project presented to hiring partners.";
const COMMON_SKILLS: &str = "SKILLS JavaScript, TypeScript, React, Node.js, Python, AWS, Docker, Kubernetes, \
    PostgreSQL, MongoDB, Git, REST APIs, GraphQL, CI/CD, Agile, Scrum, Jira, Linux. References available \
    upon request.";

#[test]
fn reused_phrase_blocks_are_found_and_shared_boilerplate_is_not() {
    let mut subjects = Vec::new();
    for d in 1..=40usize {
        let mut text = format!("SUMMARY\n{}\n", own_words(d));
        // An operator's stock paragraph in three otherwise different resumes, at different places.
        if d == 1 || d == 2 {
            text = format!("SUMMARY\n{OPERATOR_ABOUT}\n{}\n", own_words(d));
        }
        if d == 3 {
            text.push_str(OPERATOR_ABOUT);
            text.push('\n');
        }
        // A project description in two more.
        if d == 4 || d == 5 {
            text.push_str(&format!("PROJECTS\n{OPERATOR_PROJECT}\n"));
        }
        // Hard negatives: 30 resumes from one bootcamp's template, 36 with the same skills list.
        if d <= 30 {
            text.push_str(&format!("EDUCATION\n{BOOTCAMP}\n"));
        }
        if d <= 36 {
            text.push_str(COMMON_SKILLS);
        }
        let mut s = S::new(&d.to_string()).attr(attributes::RESUME_TEXT, &text);
        // A couple at one address wrote their resumes together (household, not counted).
        if d == 39 || d == 40 {
            s = s
                .home("9 Orchard Lane, Bend OR")
                .attr(attributes::RESUME_TEXT, &format!("{text}\n{HOUSEHOLD}"));
        }
        subjects.push(s.0);
    }
    let facts = all_facts(&subjects, &[], &IdentityConfig::default());
    let v = |s: &str, n: &str| value(&facts, s, n).cloned();
    let about_words = OPERATOR_ABOUT.split_whitespace().count() as i64;

    assert_eq!(
        v("1", "resume.shared_passage_subjects"),
        Some(list(&["2", "3"]))
    );
    assert_eq!(
        v("3", "resume.shared_passage_subjects"),
        Some(list(&["1", "2"]))
    );
    assert_eq!(
        v("1", "resume.shared_passage_count"),
        Some(FactValue::Int(1))
    );
    assert_eq!(
        v("1", "resume.shared_passage_subject_count"),
        Some(FactValue::Int(2))
    );
    let Some(FactValue::Int(w)) = v("3", "resume.shared_passage_max_words") else {
        panic!()
    };
    // The whole paragraph (one word of the surrounding text may match too), not the bootcamp block after it.
    assert!(
        (about_words..about_words + 3).contains(&w),
        "{w} vs {about_words}"
    );
    let f = facts_of(&facts, "3")["resume.shared_passage_subjects"];
    assert!(f.evidence.iter().any(|e| {
        e.label.starts_with("passage shared with ats:1")
            && e.value
                .contains("proven track record of delivering scalable blockchain")
    }));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.label == "resume shares passages with"
                && e.value.starts_with("ats:1 (1 passage, longest"))
    );
    assert_eq!(v("4", "resume.shared_passage_subjects"), Some(list(&["5"])));
    // Not near-duplicates: the rest of the resumes differ.
    assert_eq!(v("1", "resume.duplicate_of"), None);
    assert_eq!(v("4", "resume.duplicate_of"), None);

    // Bootcamp template (30 resumes) and skills list (36) are boilerplate: not found.
    for d in [6, 7, 20, 30, 33, 36, 37] {
        let d = d.to_string();
        assert_eq!(
            v(&d, "resume.shared_passage_count"),
            Some(FactValue::Int(0)),
            "{d}"
        );
        assert_eq!(
            v(&d, "resume.shared_passage_max_words"),
            Some(FactValue::Int(0)),
            "{d}"
        );
        assert_eq!(v(&d, "resume.shared_passage_subjects"), None, "{d}");
    }
    let zero = facts_of(&facts, "6")["resume.shared_passage_count"];
    assert!(
        zero.evidence[0]
            .value
            .starts_with("no passage of 20+ words")
    );

    // The household: shown, not counted.
    assert_eq!(
        v("39", "resume.shared_passage_subject_count"),
        Some(FactValue::Int(0))
    );
    let h = facts_of(&facts, "39")["resume.shared_passage_count"];
    assert!(
        h.evidence
            .iter()
            .any(|e| e.label.starts_with("same household") && e.value.starts_with("ats:40"))
    );

    // A new applicant screened against the population.
    let config = IdentityConfig::default();
    let population = Population::new(&subjects, &[], &config);
    let new = format!(
        "{}\n{OPERATOR_ABOUT}\n{BOOTCAMP}\n{COMMON_SKILLS}",
        own_words(77)
    );
    let hits = population.shared_passages(&new);
    let ids: Vec<&str> = hits.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(ids, vec!["ats:1", "ats:2", "ats:3"]);
    assert!(
        population
            .shared_passages(&format!("{}\n{BOOTCAMP}", own_words(78)))
            .is_empty()
    );
}

#[test]
fn reshipper_csv_list_matches_shipments_with_the_entry_as_evidence() {
    let text = String::from_utf8(fixture("reshippers.csv")).unwrap();
    let reshippers = ReshipperList::parse_csv("reshippers.csv", &text).unwrap();
    assert_eq!(reshippers.entries().len(), 3);
    let subjects = vec![
        S::new("1").home("31 Cedar Ave, Portland OR 97201").0,
        S::new("2").home("700 Grand Blvd, Kansas City MO").0,
        S::new("3").home("5 Elm Street, Dover DE 19901").0,
    ];
    let events = vec![
        // The forwarder's building with the customer's own suite number, written another way.
        event(
            "1",
            1,
            shipment("4410 Industrial Parkway Ste 200 #4821, Newark, DE 19702-3307"),
        ),
        event(
            "2",
            2,
            shipment("12 Dock Rd, Felixstowe, Suffolk IP11 3QN, United Kingdom"),
        ),
        // Hard negative: same street, another building.
        event(
            "3",
            3,
            shipment("4412 Industrial Pkwy Suite 200, Newark DE 19702"),
        ),
    ];
    let config = IdentityConfig {
        reshippers,
        ..Default::default()
    };
    let facts = all_facts(&subjects, &events, &config);
    let v = |s: &str, n: &str| value(&facts, s, n).cloned();
    assert_eq!(
        v("1", "shipping.to_known_reshipper"),
        Some(FactValue::Bool(true))
    );
    assert_eq!(
        v("1", "shipping.reshipper_matches"),
        Some(FactValue::TextList(vec![
            "Bluewater Parcel Forwarding".into()
        ]))
    );
    assert_eq!(
        v("2", "shipping.reshipper_countries"),
        Some(FactValue::TextList(vec!["GB".into()]))
    );
    let f = facts_of(&facts, "1")["shipping.to_known_reshipper"];
    assert!(f.evidence.iter().any(|e| e.label == "reshipper list entry"
        && e.value == "Bluewater Parcel Forwarding, 4410 Industrial Pkwy, Suite 200, Newark, 19702 (source: synthetic test entry; reshippers.csv line 4)"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.label == "shipment" && e.source.is_some())
    );
    assert_eq!(
        v("3", "shipping.to_known_reshipper"),
        Some(FactValue::Bool(false))
    );
    assert_eq!(v("3", "shipping.reshipper_matches"), None);
    // No list loaded: the fact is not stated at all (unknown, not false).
    let none = all_facts(&subjects, &events, &IdentityConfig::default());
    assert_eq!(value(&none, "1", "shipping.to_known_reshipper"), None);
}

// ---- Photos ----

fn portrait(seed: u32, w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let (cx, cy) = (0.5 + 0.1 * (seed as f32).sin(), 0.4);
        let d = ((fx - cx).powi(2) + (fy - cy).powi(2) * 0.6).sqrt();
        let face = if d < 0.25 { 200.0 } else { 60.0 + 120.0 * fy };
        let stripes = 30.0
            * ((fx * (3.0 + seed as f32)) * std::f32::consts::TAU).sin()
            * ((fy * (2.0 + seed as f32 * 0.7)) * std::f32::consts::TAU).cos();
        let v = (face + stripes).clamp(0.0, 255.0) as u8;
        image::Rgb([v, v.saturating_sub(20), v / 2 + 40])
    })
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn reused_photos_are_found_within_the_documented_distance() {
    let limits = ImageLimits::default();
    let original = portrait(1, 400, 400);
    let hash = |bytes: Vec<u8>, name: &str| photo_hash(&bytes, name, &limits).unwrap();
    let a = hash(encode(&original, image::ImageFormat::Png), "a.png");
    let jpeg = hash(encode(&original, image::ImageFormat::Jpeg), "a.jpg");
    let half = hash(
        encode(
            &image::imageops::resize(&original, 200, 200, image::imageops::FilterType::Triangle),
            image::ImageFormat::Png,
        ),
        "half.png",
    );
    let cropped = hash(
        encode(
            &image::imageops::crop_imm(&original, 10, 10, 380, 380).to_image(),
            image::ImageFormat::Png,
        ),
        "crop.png",
    );
    let other = hash(
        encode(&portrait(4, 400, 400), image::ImageFormat::Png),
        "b.png",
    );
    for (name, near) in [("jpeg", &jpeg), ("half", &half), ("crop", &cropped)] {
        let d = photo_distance(&a, near).unwrap();
        assert!(d <= DEFAULT_MAX_DISTANCE, "{name}: {d}");
    }
    assert!(photo_distance(&a, &other).unwrap() > 16);

    let subjects = vec![
        S::new("1").id(Identifier::PhotoHash(a.clone())).0,
        S::new("2").id(Identifier::PhotoHash(jpeg)).0,
        S::new("3").id(Identifier::PhotoHash(cropped)).0,
        S::new("4").id(Identifier::PhotoHash(other)).0,
    ];
    let facts = all_facts(&subjects, &[], &IdentityConfig::default());
    assert_eq!(
        value(&facts, "1", "photo.reused_by"),
        Some(&list(&["2", "3"]))
    );
    assert_eq!(value(&facts, "4", "photo.reused_by"), None);
    // The brute-force path (thresholds above 11) finds the same pairs.
    let wide = IdentityConfig {
        photo_max_distance: 12,
        ..Default::default()
    };
    let facts = all_facts(&subjects, &[], &wide);
    assert_eq!(
        value(&facts, "1", "photo.reused_by"),
        Some(&list(&["2", "3"]))
    );
    // Unreadable and oversized images are reported.
    assert!(
        photo_hash(b"not an image", "x.png", &limits)
            .unwrap_err()
            .to_string()
            .starts_with("x.png: unreadable image")
    );
    let tiny = ImageLimits {
        max_side: 100,
        ..Default::default()
    };
    assert!(
        photo_hash(
            &encode(&original, image::ImageFormat::Png),
            "big.png",
            &tiny
        )
        .unwrap_err()
        .to_string()
        .contains("refused")
    );
}
