//! A small, deterministic population for the console's tests, the browser tests, the benchmark and
//! screenshots: a planted ring of three personas behind one payout account and one laptop, signing in
//! through Astrill VPN and from Shenyang at Asian working hours while claiming to live in the US; one of
//! them holds a wallet on the OFAC SDN list; a subject whose name and fields carry HTML/JS payloads;
//! and ordinary people who sign in from where they say they live, in their working hours.
//!
//! Everything goes through the real pipeline ([`Engines::assess`]) and the real store methods; only the
//! ring is built here (the linkage engine is not in the pipeline yet).

use chrono::{DateTime, Duration, TimeZone, Utc};
use redflag_model::{
    ClaimedAttributes, CountryCode, DeviceId, DeviceKind, Event, EventId, EventKind, Identifier,
    IdentifierKind, PayoutAccount, PayoutChange, PayoutMethod, PersonName, Provenance, Ring,
    RingId, RingLink, SignIn, SignInOutcome, Subject, SubjectId, SubjectKind, parse_timezone,
};
use redflag_pipeline::Engines;
use redflag_store::{Store, StoreError};

/// The ids a test needs.
#[derive(Debug, Clone)]
pub struct FixtureIds {
    /// The ring's members.
    pub ring_members: Vec<String>,
    /// The ring id.
    pub ring: String,
    /// The member holding a sanctioned wallet.
    pub sanctioned: String,
    /// The subject with HTML/JS payloads in its fields.
    pub hostile: String,
    /// An ordinary subject.
    pub ordinary: String,
}

/// The HTML/JS payload carried by the hostile subject's name.
pub const PAYLOAD_NAME: &str = "<script>alert('xss')</script><img src=x onerror=alert(1)>";
/// The payload in its role.
pub const PAYLOAD_ROLE: &str = "\"><svg onload=alert(2)>";
/// A wallet listed on the OFAC SDN snapshot the watchlist vendors.
pub const SANCTIONED_WALLET: &str = "149w62rY42aZBox8fGcmqNsXUzSStKeq8C";

/// A fixture failure.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// A model value was refused (a bug in the fixture).
    #[error("fixture value refused: {0}")]
    Model(#[from] redflag_model::ModelError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

fn cc(code: &str) -> Result<CountryCode, FixtureError> {
    Ok(CountryCode::parse(code)?)
}

struct Person {
    id: &'static str,
    name: &'static str,
    country: &'static str,
    city: &'static str,
    tz: &'static str,
    email: String,
}

fn subject(p: &Person, role: &str) -> Result<Subject, FixtureError> {
    Ok(Subject {
        id: SubjectId::new("demo", p.id)?,
        kind: SubjectKind::Contractor,
        name: PersonName::new(Some(p.name), None, None)?,
        claimed: ClaimedAttributes {
            country: Some(cc(p.country)?),
            city: Some(p.city.to_string()),
            nationality: None,
            timezone: Some(parse_timezone(p.tz)?),
        },
        role: Some(role.to_string()),
        identifiers: vec![Identifier::email(&p.email)?],
        attributes: Default::default(),
        provenance: Provenance::at_line("people_csv", "fixture/people.csv", 2),
    })
}

fn sign_in(
    email: &str,
    at: DateTime<Utc>,
    ip: &str,
    outcome: SignInOutcome,
    n: usize,
) -> Result<Event, FixtureError> {
    Ok(Event {
        id: EventId::derive("fixture", &[email, &n.to_string()]),
        time: at,
        utc_offset_seconds: 0,
        kind: EventKind::SignIn(SignIn {
            ip: Some(ip.parse().map_err(|_| redflag_model::ModelError::Invalid {
                field: "ip",
                value: ip.to_string(),
                reason: "fixture".into(),
            })?),
            user_agent: Some("Mozilla/5.0".into()),
            outcome,
            application: Some("Okta Dashboard".into()),
            provider_country: None,
        }),
        identifiers: vec![Identifier::email(email)?],
        subject: None,
        provenance: Provenance::at_line("okta", "fixture/okta.jsonl", n as u64 + 1),
    })
}

/// Fills `store` with the fixture population, assessed by `engines`.
pub async fn populate(store: &Store, engines: &Engines) -> Result<FixtureIds, FixtureError> {
    let start = Utc
        .with_ymd_and_hms(2025, 9, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let mut subjects = Vec::new();
    let mut events = Vec::new();
    let mut n = 0usize;

    // The ring: three personas, one laptop, one payout account.
    let ring_people = [
        Person {
            id: "1001",
            name: "Daniel Whitaker",
            country: "US",
            city: "Austin",
            tz: "America/Chicago",
            email: "d.whitaker.dev@gmail.com".into(),
        },
        Person {
            id: "1002",
            name: "Ethan Brooks",
            country: "US",
            city: "Denver",
            tz: "America/Denver",
            email: "ethanbrooks.codes@outlook.com".into(),
        },
        Person {
            id: "1003",
            name: "Ryan Coleman",
            country: "US",
            city: "Seattle",
            tz: "America/Los_Angeles",
            email: "ryan.coleman.fullstack@gmail.com".into(),
        },
    ];
    let device = DeviceId::new(DeviceKind::Serial, "C02XK1ZJH7JY")?;
    let payout = PayoutAccount::new("payoneer", "payee-88213407")?;
    for (i, p) in ring_people.iter().enumerate() {
        let mut s = subject(p, "Senior full-stack engineer")?;
        s.identifiers.push(Identifier::Device(device.clone()));
        s.identifiers
            .push(Identifier::PayoutAccount(payout.clone()));
        if i == 0 {
            s.identifiers.push(Identifier::wallet(SANCTIONED_WALLET)?);
        }
        subjects.push(s);
        // 60 working days of sign-ins at 00:00–09:00 UTC (09:00–18:00 in Shenyang), mostly through
        // Astrill, some direct from a Chinese residential range, one from a data centre.
        for day in 0..60i64 {
            let at =
                start + Duration::days(day) + Duration::hours(((day * 7 + i as i64 * 3) % 9) + 1);
            let ip = match day % 6 {
                0 => "175.167.10.20",
                5 => "1.44.96.10",
                _ if i == 1 => "155.94.199.59",
                _ => "142.214.202.2",
            };
            let outcome = if day % 13 == 4 {
                SignInOutcome::Failure
            } else {
                SignInOutcome::Success
            };
            events.push(sign_in(&p.email, at, ip, outcome, n)?);
            n += 1;
        }
        events.push(Event {
            id: EventId::derive("fixture", &["payout", p.id]),
            time: start + Duration::days(20 + i as i64),
            utc_offset_seconds: 0,
            kind: EventKind::PayoutChange(PayoutChange {
                method: PayoutMethod::PaymentService,
                provider: Some("payoneer".into()),
                account: Some(payout.clone()),
                wallet: None,
                country: Some(cc("CN")?),
            }),
            identifiers: vec![Identifier::email(&p.email)?],
            subject: None,
            provenance: Provenance::at_line("payouts", "fixture/payouts.csv", i as u64 + 2),
        });
    }

    // A subject whose fields carry HTML and script: it must render as text.
    let hostile = Person {
        id: "6666",
        name: PAYLOAD_NAME,
        country: "GB",
        city: "<b>London</b>",
        tz: "Europe/London",
        email: "payload.tester@example.org".into(),
    };
    let mut h = subject(&hostile, PAYLOAD_ROLE)?;
    h.attributes
        .insert("note".into(), "<iframe src=javascript:alert(3)>".into());
    subjects.push(h);
    for day in 0..10i64 {
        events.push(sign_in(
            &hostile.email,
            start + Duration::days(day) + Duration::hours(10),
            "81.2.69.160",
            SignInOutcome::Success,
            n,
        )?);
        n += 1;
    }

    // Ordinary people: sign in from home during their own working day.
    let ordinary: [(&str, &str, &str, &str, &str, &str, i64); 8] = [
        (
            "2001",
            "Maria Fernandes",
            "PT",
            "Lisbon",
            "Europe/Lisbon",
            "85.240.10.12",
            9,
        ),
        (
            "2002",
            "Jonas Becker",
            "DE",
            "Berlin",
            "Europe/Berlin",
            "91.64.20.7",
            8,
        ),
        (
            "2003",
            "Aisha Bello",
            "NG",
            "Lagos",
            "Africa/Lagos",
            "105.112.10.9",
            9,
        ),
        (
            "2004",
            "Priya Raman",
            "IN",
            "Chennai",
            "Asia/Kolkata",
            "49.204.30.2",
            4,
        ),
        (
            "2005",
            "Sofia Lindqvist",
            "SE",
            "Malmö",
            "Europe/Stockholm",
            "78.69.10.3",
            8,
        ),
        (
            "2006",
            "Carlos Mendoza",
            "MX",
            "Guadalajara",
            "America/Mexico_City",
            "187.188.20.4",
            15,
        ),
        (
            "2007",
            "Hannah Okafor",
            "CA",
            "Toronto",
            "America/Toronto",
            "99.224.10.5",
            14,
        ),
        (
            "2008",
            "Lucas Martin",
            "FR",
            "Lyon",
            "Europe/Paris",
            "90.45.10.6",
            8,
        ),
    ];
    for (id, name, country, city, tz, ip, utc_hour) in ordinary {
        let p = Person {
            id,
            name,
            country,
            city,
            tz,
            email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        };
        subjects.push(subject(&p, "Software engineer")?);
        for day in 0..40i64 {
            let at = start + Duration::days(day) + Duration::hours(utc_hour + day % 3);
            events.push(sign_in(&p.email, at, ip, SignInOutcome::Success, n)?);
            n += 1;
        }
    }

    store.upsert_subjects(&subjects).await?;
    store.insert_events(&events).await?;
    let attributed = store.attributed_events().await?;
    let output = engines.assess(&subjects, &attributed, start + Duration::days(61));
    let ids: Vec<SubjectId> = subjects.iter().map(|s| s.id.clone()).collect();
    store.replace_facts(&ids, &output.facts).await?;

    let ring_id = RingId("ring-001".into());
    let members: Vec<SubjectId> = subjects[..3].iter().map(|s| s.id.clone()).collect();
    let mut links = Vec::new();
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        for (kind, value) in [
            (
                IdentifierKind::Device,
                Identifier::Device(device.clone()).value(),
            ),
            (
                IdentifierKind::PayoutAccount,
                Identifier::PayoutAccount(payout.clone()).value(),
            ),
        ] {
            links.push(RingLink {
                a: members[a].clone(),
                b: members[b].clone(),
                kind: "shared_identifier".into(),
                identifier_kind: Some(kind),
                value,
                weight: 1.0,
            });
        }
    }
    links.push(RingLink {
        a: members[0].clone(),
        b: members[2].clone(),
        kind: "shared_egress".into(),
        identifier_kind: None,
        value: "142.214.202.2".into(),
        weight: 0.5,
    });
    let ring = Ring {
        id: ring_id.clone(),
        members: members.clone(),
        links,
        score: 0.93,
    };
    let mut assessments = output.assessments;
    for a in &mut assessments {
        if members.contains(&a.subject) {
            a.ring = Some(ring_id.clone());
        }
    }
    store.save_assessments(&assessments).await?;
    store.replace_rings(&[ring]).await?;
    Ok(FixtureIds {
        ring_members: members.iter().map(|m| m.to_string()).collect(),
        ring: ring_id.0,
        sanctioned: members[0].to_string(),
        hostile: subjects[3].id.to_string(),
        ordinary: subjects[4].id.to_string(),
    })
}
