//! Integration tests: persona rings, hard negatives, bad input, incremental against batch, exports.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use redflag_linkage::{
    ExtraEvidence, LinkageConfig, LinkageResult, Linker, SharedValue, fact_specs, ring_dot,
    ring_json,
};
use redflag_model::{
    DeviceId, DeviceKind, Event, EventId, EventKind, FactValue, Identifier, PayoutAccount,
    PayoutChange, PayoutMethod, PersonName, PostalAddress, Provenance, Shipment, SignIn,
    SignInOutcome, Subject, SubjectId, SubjectKind,
};

struct S {
    subject: Subject,
}

impl S {
    fn new(id: &str, given: &str, family: &str) -> Self {
        Self {
            subject: Subject {
                id: SubjectId::new("ats", id).unwrap(),
                kind: SubjectKind::Employee,
                name: PersonName::new(None, Some(given), Some(family)).unwrap(),
                claimed: Default::default(),
                role: None,
                identifiers: Vec::new(),
                attributes: Default::default(),
                provenance: Provenance::at_line("ats-csv", "people.csv", 2),
            },
        }
    }
    fn attr(mut self, k: &str, v: &str) -> Self {
        self.subject.attributes.insert(k.into(), v.into());
        self
    }
    fn dob(self, d: &str) -> Self {
        self.attr("date_of_birth", d)
    }
    fn home(self, a: &str) -> Self {
        self.attr("home_address", a)
    }
    fn id(mut self, i: Identifier) -> Self {
        self.subject.identifiers.push(i);
        self
    }
    fn email(self, e: &str) -> Self {
        self.id(Identifier::email(e).unwrap())
    }
    fn phone(self, p: &str) -> Self {
        self.id(Identifier::phone(p, None).unwrap())
    }
    fn payout(self, acct: &str) -> Self {
        self.id(Identifier::PayoutAccount(
            PayoutAccount::new("payoneer", acct).unwrap(),
        ))
    }
    fn device(self, serial: &str) -> Self {
        self.id(Identifier::Device(
            DeviceId::new(DeviceKind::Serial, serial).unwrap(),
        ))
    }
    fn done(self) -> Subject {
        self.subject
    }
}

fn sid(id: &str) -> SubjectId {
    SubjectId::new("ats", id).unwrap()
}

fn event(subject: &str, n: u32, hour: u32, kind: EventKind) -> Event {
    Event {
        id: EventId::derive("test", &[subject, &n.to_string(), &hour.to_string()]),
        time: Utc
            .with_ymd_and_hms(2025, 3, 1 + n % 20, hour, 5, 0)
            .unwrap(),
        utc_offset_seconds: 0,
        kind,
        identifiers: Vec::new(),
        subject: Some(sid(subject)),
        provenance: Provenance::at_line("okta", "signins.jsonl", u64::from(n)),
    }
}

fn shipment(subject: &str, address: &str) -> Event {
    event(
        subject,
        1,
        12,
        EventKind::Shipment(Shipment {
            address: PostalAddress::new(address, None).unwrap(),
            item: Some("laptop".into()),
            serial: None,
        }),
    )
}

fn sign_in(subject: &str, n: u32, hour: u32, ip: &str) -> Event {
    event(
        subject,
        n,
        hour,
        EventKind::SignIn(SignIn {
            ip: Some(ip.parse().unwrap()),
            user_agent: None,
            outcome: SignInOutcome::Success,
            application: None,
            provider_country: None,
        }),
    )
}

/// Unrelated background people so that the model has something to learn from.
fn background(n: usize) -> Vec<Subject> {
    let given = [
        "james", "maria", "wei", "olga", "ahmed", "lucia", "tom", "anna", "raj", "sofia", "ken",
        "emma", "ivan", "nora", "paul", "mia", "omar", "lena", "hugo", "zoe",
    ];
    let family = [
        "garcia", "muller", "chen", "novak", "haddad", "rossi", "brown", "kowalski", "patel",
        "silva", "tanaka", "dubois", "petrov", "larsen", "okafor", "fischer", "moreau", "berg",
        "costa", "walsh", "nguyen", "schmidt", "romero", "ali",
    ];
    (0..n)
        .map(|i| {
            let g = given[i % given.len()];
            let f = family[(i * 7 + i / 3) % family.len()];
            S::new(&format!("bg{i}"), g, f)
                .dob(&format!(
                    "19{:02}-{:02}-{:02}",
                    60 + i % 40,
                    1 + i % 12,
                    1 + (i * 13) % 28
                ))
                .home(&format!("{} {} Street, Springfield", 10 + i, f))
                .email(&format!("{g}.{f}{i}@mail.example.org"))
                .phone(&format!("+1415555{:04}", i))
                .done()
        })
        .collect()
}

fn ring_sets(r: &LinkageResult) -> BTreeSet<BTreeSet<String>> {
    r.rings
        .iter()
        .map(|ring| ring.members.iter().map(|m| m.to_string()).collect())
        .collect()
}

fn fact<'r>(r: &'r LinkageResult, subject: &str, name: &str) -> Option<&'r FactValue> {
    r.facts
        .iter()
        .find(|f| f.subject == sid(subject) && f.name == name)
        .map(|f| &f.value)
}

fn ring_of(r: &LinkageResult, subject: &str) -> Option<BTreeSet<String>> {
    let s = sid(subject);
    r.rings
        .iter()
        .find(|ring| ring.members.contains(&s))
        .map(|ring| ring.members.iter().map(|m| m.to_string()).collect())
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|i| format!("ats:{i}")).collect()
}

/// Three personas of one operator: different names, one payout account (p1, p2), one device (p2, p3), one
/// shipping address (all three, a laptop farm), and a fourth persona with the same resume photo.
fn persona_ring() -> (Vec<Subject>, Vec<Event>) {
    let subjects = vec![
        S::new("p1", "Daniel", "Harper")
            .dob("1991-02-03")
            .home("12 Oak Ave, Austin TX")
            .payout("8812003471")
            .done(),
        S::new("p2", "Kevin", "Lau")
            .dob("1989-07-21")
            .home("77 Pine Rd, Dallas TX")
            .payout("8812003471")
            .device("C02XK1ABCD")
            .done(),
        S::new("p3", "Ryan", "Choi")
            .dob("1993-11-30")
            .home("5 Elm Blvd, Miami FL")
            .device("C02XK1ABCD")
            .done(),
        S::new("p4", "Brian", "Sato")
            .dob("1990-01-15")
            .home("9 Birch Ln, Reno NV")
            .id(Identifier::PhotoHash(
                redflag_model::PhotoHash::parse("f0e1d2c3b4a59687").unwrap(),
            ))
            .done(),
        S::new("p5", "Leo", "Park")
            .dob("1992-05-05")
            .home("3 Cedar Ct, Boise ID")
            .id(Identifier::PhotoHash(
                redflag_model::PhotoHash::parse("f0e1d2c3b4a59686").unwrap(),
            ))
            .payout("8812003471")
            .done(),
    ];
    let farm = "4410 Maple Street, Nashville TN";
    let events = vec![
        shipment("p1", farm),
        shipment("p2", farm),
        shipment("p3", farm),
    ];
    (subjects, events)
}

#[test]
fn personas_of_one_operator_form_one_ring_with_facts() {
    let (mut subjects, events) = persona_ring();
    subjects.extend(background(300));
    let linker = Linker::new(LinkageConfig::default()).unwrap();
    let r = linker.link(&subjects, &events, &ExtraEvidence::default());
    assert_eq!(
        ring_of(&r, "p1"),
        Some(set(&["p1", "p2", "p3", "p4", "p5"])),
        "{:#?}",
        r.rings
    );
    assert_eq!(fact(&r, "p1", "ring.size"), Some(&FactValue::Int(5)));
    assert_eq!(
        fact(&r, "p1", "ring.shared_payout_account"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        fact(&r, "p3", "ring.shared_payout_account"),
        Some(&FactValue::Bool(false))
    );
    assert_eq!(
        fact(&r, "p3", "ring.shared_shipping_address"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        fact(&r, "p3", "ring.shipping_address_members"),
        Some(&FactValue::Int(3))
    );
    assert_eq!(fact(&r, "bg1", "ring.size"), Some(&FactValue::Int(1)));
    // Every link is explained.
    let pair = r
        .pairs
        .iter()
        .find(|p| p.a == sid("p1") && p.b == sid("p2"))
        .unwrap();
    assert!(pair.linked && pair.ring_edge);
    let payout = pair
        .contributions
        .iter()
        .find(|c| c.comparison == "payout")
        .unwrap();
    assert!(payout.bits > 10.0, "{payout:?}");
    assert_eq!(payout.value.as_deref(), Some("payoneer:8812003471"));
    assert!(
        pair.contributions
            .iter()
            .any(|c| c.comparison == "given_name" && c.bits < 0.0)
    );
    assert_eq!(pair.contributions[0].comparison, "prior");
    // No background subject joins.
    assert_eq!(r.rings.len(), 1, "{:#?}", ring_sets(&r));
    // Sparse facts: the same result less the `ring.size = 1` of subjects in no ring and no pair.
    let sparse = Linker::new(LinkageConfig::default())
        .unwrap()
        .with_sparse_facts()
        .link(&subjects, &events, &ExtraEvidence::default());
    assert_eq!(sparse.pairs, r.pairs);
    assert_eq!(sparse.rings, r.rings);
    let paired: BTreeSet<&SubjectId> = r.pairs.iter().flat_map(|p| [&p.a, &p.b]).collect();
    let in_ring: BTreeSet<&SubjectId> = r.rings.iter().flat_map(|x| &x.members).collect();
    let kept: Vec<_> = r
        .facts
        .iter()
        .filter(|f| paired.contains(&f.subject) || in_ring.contains(&f.subject))
        .cloned()
        .collect();
    assert_eq!(sparse.facts, kept);
    assert!(sparse.facts.len() < r.facts.len());
    let lone = subjects
        .iter()
        .find(|s| !paired.contains(&s.id) && !in_ring.contains(&s.id))
        .unwrap();
    assert!(
        r.facts
            .iter()
            .any(|f| f.subject == lone.id && f.name == "ring.size" && f.value == FactValue::Int(1))
    );
    assert!(sparse.facts.iter().all(|f| f.subject != lone.id));
    assert_eq!(fact(&sparse, "p1", "ring.size"), Some(&FactValue::Int(5)));
    assert!(
        r.facts
            .iter()
            .filter(|f| !kept.contains(f))
            .all(|f| f.name == "ring.size" && f.value == FactValue::Int(1))
    );
}

#[test]
fn a_family_at_one_address_does_not_merge() {
    let home = "221 Baker Street, Springfield";
    let mut subjects = vec![
        S::new("f1", "John", "Miller")
            .dob("1970-04-02")
            .home(home)
            .phone("+12125550199")
            .payout("5550001111")
            .done(),
        S::new("f2", "Mary", "Miller")
            .dob("1972-09-14")
            .home(home)
            .phone("+12125550199")
            .payout("5550001111")
            .done(),
        S::new("f3", "Jake", "Miller")
            .dob("2001-01-30")
            .home(home)
            .phone("+12125550199")
            .done(),
        S::new("f4", "Lily", "Miller")
            .dob("2004-06-08")
            .home(home)
            .phone("+12125550199")
            .done(),
    ];
    subjects.extend(background(300));
    let events = vec![shipment("f1", home), shipment("f2", home)];
    let r = Linker::new(LinkageConfig::default()).unwrap().link(
        &subjects,
        &events,
        &ExtraEvidence::default(),
    );
    for f in ["f1", "f2", "f3", "f4"] {
        assert_eq!(ring_of(&r, f), None, "{f}: {:#?}", r.pairs);
    }
    // The waterfall says why the shared phone did not count.
    let p = r
        .pairs
        .iter()
        .find(|p| p.a == sid("f1") && p.b == sid("f2"));
    if let Some(p) = p {
        let phone = p
            .contributions
            .iter()
            .find(|c| c.comparison == "phone")
            .unwrap();
        assert!(
            phone.note.as_deref().unwrap_or("").contains("household"),
            "{phone:?}"
        );
    }
}

#[test]
fn coworkers_behind_one_nat_do_not_merge() {
    let mut subjects = background(300);
    let ids: Vec<SubjectId> = (0..40).map(|i| sid(&format!("bg{i}"))).collect();
    let mut events = Vec::new();
    for i in 0..40 {
        events.push(sign_in(
            &format!("bg{i}"),
            1,
            9 + (i % 8) as u32,
            "198.51.100.7",
        ));
    }
    let extra = ExtraEvidence {
        egress: vec![
            SharedValue::egress_ip("198.51.100.7".parse().unwrap(), ids.clone()),
            SharedValue::egress_prefix("198.51.100.0/24", ids),
        ],
        sanctions_hits: Vec::new(),
    };
    subjects.truncate(300);
    let r = Linker::new(LinkageConfig::default())
        .unwrap()
        .link(&subjects, &events, &extra);
    assert!(r.rings.is_empty(), "{:#?}", ring_sets(&r));
}

/// A bootcamp's resume template: the same summary and project bullets for every graduate, under each
/// graduate's own name and contacts.
fn bootcamp_resume(name: &str, email: &str) -> String {
    format!(
        "{name}\nFull-stack web developer\n{email}\n\nSummary\nGraduate of the Northside Coding \
         Academy full-stack immersive program with hands-on experience building responsive web \
         applications in React, Node.js and PostgreSQL, passionate about clean code, agile teamwork \
         and continuous learning.\n\nProjects\n- Built a recipe sharing platform with user \
         authentication, image uploads and a REST API deployed on Heroku.\n- Developed a real-time \
         chat application using WebSockets, Express and MongoDB with a team of four students.\n- \
         Created a budgeting dashboard with charts, CSV import and unit tests written in Jest.\n\n\
         Skills\nJavaScript, TypeScript, React, Node.js, Express, PostgreSQL, MongoDB, Git, Docker\n"
    )
}

#[test]
fn a_bootcamp_cohort_sharing_a_resume_template_does_not_merge() {
    let given = ["alex", "bea", "carl", "dina", "eli", "fay", "gus", "hana"];
    let cohort: Vec<Subject> = given
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let family = [
                "ortiz", "lund", "meyer", "sato", "quinn", "volk", "ibe", "reyes",
            ][i];
            let email = format!("{g}.{family}@mail.example.org");
            S::new(&format!("bc{i}"), g, family)
                .dob(&format!("199{i}-0{}-1{i}", 1 + i))
                .home(&format!("{} Elm Road, Riverton", 20 + 3 * i))
                .email(&email)
                .attr(
                    "resume_text",
                    &bootcamp_resume(&format!("{g} {family}"), &email),
                )
                .done()
        })
        .collect();
    // Everyone else has a resume of their own, so that a near copy is as rare as in a real population.
    let mut subjects: Vec<Subject> = background(600)
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            let own: Vec<String> = (0..40).map(|w| format!("w{}x{w}", i * 97 + w)).collect();
            s.attributes.insert("resume_text".into(), own.join(" "));
            s
        })
        .collect();
    subjects.extend(cohort);
    // Every corroborated pair is returned, so that the unlinked cohort pairs can be read.
    let linker = Linker::new(LinkageConfig {
        report_threshold: f64::MIN_POSITIVE,
        ..LinkageConfig::default()
    })
    .unwrap();
    let r = linker.link(&subjects, &[], &ExtraEvidence::default());
    // The template is seen (near-duplicate resumes, in the pairs' waterfalls)...
    let resume_pair = r.pairs.iter().find(|p| {
        p.a.as_str() == "ats:bc0"
            && p.b.as_str() == "ats:bc1"
            && p.contributions
                .iter()
                .any(|c| c.comparison == "resume" && c.bits > 0.0)
    });
    assert!(resume_pair.is_some_and(|p| !p.linked), "{resume_pair:#?}");
    // ...but a shared template alone does not make one operator's ring.
    assert!(r.rings.is_empty(), "{:#?}", ring_sets(&r));
    // With one more piece of shared evidence (two graduates sign in from one address), the two link.
    let pair = vec![sid("bc2"), sid("bc3")];
    let extra = ExtraEvidence {
        egress: vec![SharedValue::egress_ip("203.0.113.9".parse().unwrap(), pair)],
        sanctions_hits: Vec::new(),
    };
    let events = vec![
        sign_in("bc2", 1, 10, "203.0.113.9"),
        sign_in("bc3", 2, 11, "203.0.113.9"),
    ];
    let r = linker.link(&subjects, &events, &extra);
    assert_eq!(ring_sets(&r), BTreeSet::from([set(&["bc2", "bc3"])]));
}

/// The prior (the share of all pairs that match) is estimated from what the candidates' comparisons say
/// beyond what their blocking rule forced them to share, so that it does not move with the blocking:
/// dropping every full-name block (namesakes are most of the candidates here) leaves it where it was,
/// and the same duplicates link.
#[test]
fn the_prior_does_not_follow_the_blocking() {
    let mut subjects = background(3000);
    // Sixty people enrolled twice, with a new email and phone the second time.
    for i in (0..3000).step_by(50) {
        let (g, f) = {
            let s = &subjects[i];
            (
                s.name.given.clone().unwrap_or_default(),
                s.name.family.clone().unwrap_or_default(),
            )
        };
        let dob = subjects[i]
            .attributes
            .get("date_of_birth")
            .cloned()
            .unwrap_or_default();
        let home = subjects[i]
            .attributes
            .get("home_address")
            .cloned()
            .unwrap_or_default();
        subjects.push(
            S::new(&format!("again{i}"), &g, &f)
                .dob(&dob)
                .home(&home)
                .email(&format!("{g}{i}.second@web.example.net"))
                .done(),
        );
    }
    let link = |max_name_block_size| {
        Linker::new(LinkageConfig {
            max_name_block_size,
            ..LinkageConfig::default()
        })
        .unwrap()
        .link(&subjects, &[], &ExtraEvidence::default())
    };
    let (wide, narrow) = (link(200), link(2));
    eprintln!("{:?}\n{:?}", wide.stats, narrow.stats);
    assert!(
        narrow.stats.candidate_pairs * 2 < wide.stats.candidate_pairs,
        "{:?} {:?}",
        narrow.stats,
        wide.stats
    );
    let ratio = wide.stats.lambda / narrow.stats.lambda;
    assert!(
        (0.8..1.25).contains(&ratio),
        "{:?} {:?}",
        narrow.stats,
        wide.stats
    );
    for r in [&wide, &narrow] {
        for i in (0..3000).step_by(50) {
            assert_eq!(
                ring_of(r, &format!("again{i}")),
                Some(set(&[
                    format!("bg{i}").as_str(),
                    format!("again{i}").as_str()
                ])),
                "{:?}",
                r.stats
            );
        }
    }
}

#[test]
fn people_with_a_common_name_do_not_merge() {
    let mut subjects = background(300);
    for i in 0..25 {
        subjects.push(
            S::new(&format!("js{i}"), "John", "Smith")
                .dob(&format!(
                    "19{:02}-{:02}-{:02}",
                    50 + i,
                    1 + i % 12,
                    1 + i % 28
                ))
                .home(&format!("{} Main Street, Town{i}", 100 + i))
                .done(),
        );
    }
    let r = Linker::new(LinkageConfig::default()).unwrap().link(
        &subjects,
        &[],
        &ExtraEvidence::default(),
    );
    assert!(r.rings.is_empty(), "{:#?}", ring_sets(&r));
}

#[test]
fn a_rare_name_in_one_city_without_corroboration_is_not_one_person() {
    let pair = |dob: Option<&str>| {
        let mut subjects = background(300);
        for (id, email) in [
            ("n1", "nga.mai@mail.example.org"),
            ("n2", "ngamai88@web.example.net"),
        ] {
            let mut s = S::new(id, "Nga", "Mai")
                .attr("city", "Ho Chi Minh City")
                .attr("postcode", "700000")
                .email(email);
            if let Some(d) = dob {
                s = s.dob(d);
            }
            subjects.push(s.done());
        }
        Linker::new(LinkageConfig::default()).unwrap().link(
            &subjects,
            &[],
            &ExtraEvidence::default(),
        )
    };
    // Name, city and postcode agree, nothing else: neither linked nor reported.
    let r = pair(None);
    assert_eq!(ring_of(&r, "n1"), None, "{:#?}", r.pairs);
    assert!(
        !r.pairs.iter().any(|p| p.a == sid("n1") && p.b == sid("n2")),
        "{:#?}",
        r.pairs
    );
    // The same two with one date of birth: corroborated, one person.
    let r = pair(Some("1991-07-23"));
    assert_eq!(
        ring_of(&r, "n1"),
        Some(set(&["n1", "n2"])),
        "{:#?}",
        r.pairs
    );
}

#[test]
fn a_duplicate_person_record_links_despite_typos() {
    let mut subjects = background(300);
    subjects.push(
        S::new("d1", "Jonathan", "Whitfield")
            .dob("1984-03-17")
            .home("48 Harbour View Road, Portsmouth")
            .done(),
    );
    subjects.push(
        S::new("d2", "Jonathon", "Whitfeild")
            .dob("1984-03-17")
            .home("48 Harbour View Rd, Portsmouth")
            .done(),
    );
    let r = Linker::new(LinkageConfig::default()).unwrap().link(
        &subjects,
        &[],
        &ExtraEvidence::default(),
    );
    assert_eq!(
        ring_of(&r, "d1"),
        Some(set(&["d1", "d2"])),
        "{:#?}",
        r.pairs
    );
}

#[test]
fn placeholders_and_overshared_values_are_excluded_with_a_note() {
    let mut subjects = background(100);
    for i in 0..30 {
        subjects.push(
            S::new(
                &format!("x{i}"),
                &format!("given{i}"),
                &format!("family{i}"),
            )
            .attr("id_number", "N/A")
            .payout("4000123412341234")
            .email("test@example.com")
            // A default avatar, one copy re-encoded a bit off: not searched once excluded.
            .id(photo(0x0f0f_0f0f_0f0f_0f0f ^ u64::from(i == 29)))
            .done(),
        );
    }
    let config = LinkageConfig {
        max_value_holders: 20,
        ..Default::default()
    };
    let r = Linker::new(config)
        .unwrap()
        .link(&subjects, &[], &ExtraEvidence::default());
    assert!(r.rings.is_empty(), "{:#?}", ring_sets(&r));
    let payout = r
        .excluded_values
        .iter()
        .find(|e| e.value == "payoneer:4000123412341234")
        .unwrap();
    assert_eq!(payout.holders, 30);
    assert!(payout.reason.contains("limit 20"));
    assert!(
        r.excluded_values
            .iter()
            .any(|e| e.value == "0f0f0f0f0f0f0f0f" && e.holders == 29)
    );
    assert!(
        r.excluded_values
            .iter()
            .any(|e| e.reason == "placeholder" && e.value == "N/A")
    );
    assert!(
        r.excluded_values
            .iter()
            .any(|e| e.reason == "placeholder" && e.value.contains("test"))
    );
}

#[test]
fn missing_fields_lower_the_evidence_and_never_crash() {
    let subjects = vec![
        S::new("m1", "A", "B").done(),
        S::new("m2", "A", "B").done(),
        S::new("m3", "Ω", "漢字")
            .attr("date_of_birth", "garbage")
            .attr("postcode", "")
            .done(),
    ];
    let r = Linker::new(LinkageConfig::default()).unwrap().link(
        &subjects,
        &[],
        &ExtraEvidence::default(),
    );
    assert!(
        r.rings.is_empty(),
        "names alone are not enough: {:#?}",
        r.pairs
    );
    let empty =
        Linker::new(LinkageConfig::default())
            .unwrap()
            .link(&[], &[], &ExtraEvidence::default());
    assert!(empty.rings.is_empty() && empty.pairs.is_empty());
}

#[test]
fn shift_separated_personas_on_one_egress_and_a_sanctioned_member() {
    let (mut subjects, mut events) = persona_ring();
    subjects.extend(background(200));
    for n in 0..6 {
        events.push(sign_in("p1", n, n, "203.0.113.9"));
        events.push(sign_in("p2", n, 12 + n, "203.0.113.9"));
    }
    let extra = ExtraEvidence {
        egress: vec![SharedValue::egress_ip(
            "203.0.113.9".parse().unwrap(),
            vec![sid("p1"), sid("p2")],
        )],
        sanctions_hits: vec![sid("p3")],
    };
    let r = Linker::new(LinkageConfig::default())
        .unwrap()
        .link(&subjects, &events, &extra);
    assert_eq!(
        fact(&r, "p1", "ring.shift_separated_egress"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        fact(&r, "p3", "ring.shift_separated_egress"),
        Some(&FactValue::Bool(false))
    );
    assert_eq!(
        fact(&r, "p1", "ring.member_with_sanctions_hit"),
        Some(&FactValue::Bool(true))
    );
    assert_eq!(
        fact(&r, "p3", "ring.member_with_sanctions_hit"),
        Some(&FactValue::Bool(false))
    );
    // The egress contribution is capped: a NAT alone never links.
    let pair = r
        .pairs
        .iter()
        .find(|p| p.a == sid("p1") && p.b == sid("p2"))
        .unwrap();
    let egress = pair
        .contributions
        .iter()
        .find(|c| c.comparison == "egress")
        .unwrap();
    assert!(egress.bits <= 6.0);
}

#[test]
fn declared_benign_values_are_down_weighted() {
    let (mut subjects, events) = persona_ring();
    subjects.extend(background(100));
    let config = LinkageConfig {
        benign_values: vec![redflag_linkage::BenignValue {
            comparison: "shipping_address".into(),
            value: "4410 MAPLE ST NASHVILLE TN".into(),
            reason: "company hub".into(),
        }],
        ..Default::default()
    };
    let r = Linker::new(config)
        .unwrap()
        .link(&subjects, &events, &ExtraEvidence::default());
    let pair = r
        .pairs
        .iter()
        .find(|p| p.a == sid("p1") && p.b == sid("p3"));
    if let Some(pair) = pair {
        let c = pair
            .contributions
            .iter()
            .find(|c| c.comparison == "shipping_address")
            .unwrap();
        assert!(
            c.bits <= 1.0 && c.note.as_deref().unwrap_or("").contains("company hub"),
            "{c:?}"
        );
    }
    assert_eq!(
        fact(&r, "p3", "ring.shared_shipping_address"),
        Some(&FactValue::Bool(false))
    );
}

/// Synthetic people with planted duplicates and persona rings, for incremental-vs-batch.
fn mixed(n: usize) -> (Vec<Subject>, Vec<Event>) {
    let mut subjects = background(n);
    let mut events = Vec::new();
    for k in 0..n / 20 {
        let b = &subjects[k * 7 % n];
        let mut d = b.clone();
        d.id = sid(&format!("dup{k}"));
        d.name = PersonName::new(
            None,
            d.name.given.as_deref(),
            Some(&format!("{}e", d.name.family.clone().unwrap())),
        )
        .unwrap();
        d.identifiers.retain(|i| !matches!(i, Identifier::Phone(_)));
        subjects.push(d);
    }
    for r in 0..n / 50 {
        for p in 0..3 {
            let id = format!("ring{r}m{p}");
            subjects.push(
                S::new(&id, ["alex", "chris", "sam"][p], &format!("persona{r}x{p}"))
                    .payout(&format!("99{r:06}{}", p.min(1)))
                    .done(),
            );
            events.push(shipment(&id, &format!("{r} Farm Road, Dover")));
        }
    }
    (subjects, events)
}

#[test]
fn incremental_linking_equals_batch_under_one_model() {
    let (subjects, events) = mixed(400);
    let linker = Linker::new(LinkageConfig::default()).unwrap();
    let fitted = linker.link(&subjects, &events, &ExtraEvidence::default());
    let model = linker.state();
    drop(model);
    let mut st = Linker::new(LinkageConfig::default()).unwrap().state();
    let first = st.add(&subjects, &events);
    assert_eq!(ring_sets(&first), ring_sets(&fitted));
    let params = st.model().unwrap().clone();
    let fixed = Linker::with_model(LinkageConfig::default(), params).unwrap();
    let batch = fixed.link(&subjects, &events, &ExtraEvidence::default());
    // Incremental: three batches, events of batch-one subjects arriving in batch three.
    let mut inc = fixed.state();
    let (a, rest) = subjects.split_at(subjects.len() - 30);
    let (b, c) = rest.split_at(15);
    let ev_a: Vec<Event> = events
        .iter()
        .filter(|e| a.iter().any(|s| Some(&s.id) == e.subject.as_ref()))
        .cloned()
        .collect();
    let ev_rest: Vec<Event> = events
        .iter()
        .filter(|e| !ev_a.contains(e))
        .cloned()
        .collect();
    inc.add(a, &[]);
    let mid = inc.add(b, &[]);
    assert!(
        mid.stats.dirty_subjects < inc.len() / 2,
        "not everything is re-compared: {:?}",
        mid.stats
    );
    let mut late = ev_a.clone();
    late.extend(ev_rest);
    let last = inc.add(c, &late);
    assert!(!batch.rings.is_empty());
    assert_eq!(ring_sets(&last), ring_sets(&batch));
    let links = |r: &[redflag_model::Ring]| -> Vec<(String, String, String)> {
        r.iter()
            .flat_map(|x| {
                x.links
                    .iter()
                    .map(|l| (l.a.to_string(), l.b.to_string(), l.kind.clone()))
            })
            .collect()
    };
    assert_eq!(links(&last.rings), links(&batch.rings));
}

/// Chunks handed over (owned, dropped as their records are built) and chunks lent give the result of
/// one call on all subjects: the same pairs with their waterfalls, rings and facts.
#[test]
fn chunked_linking_owned_or_borrowed_equals_one_call() {
    let (subjects, events) = mixed(400);
    let linker = Linker::new(LinkageConfig::default()).unwrap();
    let whole = linker.link(&subjects, &events, &ExtraEvidence::default());
    let owned: Vec<Vec<Subject>> = subjects.chunks(97).map(<[Subject]>::to_vec).collect();
    let from_owned = linker.link_chunks(owned, &events, &ExtraEvidence::default());
    let from_borrowed = linker.link_chunks(subjects.chunks(97), &events, &ExtraEvidence::default());
    assert!(!whole.rings.is_empty());
    for chunked in [&from_owned, &from_borrowed] {
        assert_eq!(chunked.pairs, whole.pairs);
        assert_eq!(chunked.rings, whole.rings);
        assert_eq!(chunked.facts, whole.facts);
    }
}

#[test]
fn ring_exports() {
    let (mut subjects, events) = persona_ring();
    subjects.extend(background(50));
    let r = Linker::new(LinkageConfig::default()).unwrap().link(
        &subjects,
        &events,
        &ExtraEvidence::default(),
    );
    let ring = &r.rings[0];
    let dot = ring_dot(ring);
    assert!(dot.starts_with("graph \"ring:ats:p1\""), "{dot}");
    assert!(dot.contains("\"ats:p1\" -- \"ats:p2\""), "{dot}");
    assert!(dot.contains("payout: payoneer:8812003471"), "{dot}");
    let json = ring_json(ring);
    assert_eq!(json["nodes"].as_array().unwrap().len(), 5);
    assert!(json["edges"].as_array().unwrap().iter().any(|e| {
        e["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "device")
    }));
}

#[test]
fn fact_specs_cover_the_rules() {
    let names: Vec<&str> = fact_specs().iter().map(|s| s.name).collect();
    for n in [
        "ring.size",
        "ring.shared_payout_account",
        "ring.shared_shipping_address",
        "ring.member_with_sanctions_hit",
    ] {
        assert!(names.contains(&n));
    }
}

#[test]
fn payout_events_link_like_identifiers() {
    let mut subjects = background(100);
    subjects.push(S::new("e1", "Nina", "Volk").done());
    subjects.push(S::new("e2", "Omar", "Reyes").done());
    let payout = |s: &str| {
        event(
            s,
            3,
            10,
            EventKind::PayoutChange(PayoutChange {
                method: PayoutMethod::PaymentService,
                provider: Some("wise".into()),
                account: Some(PayoutAccount::new("wise", "GB33BUKB20201555555555").unwrap()),
                wallet: None,
                country: None,
            }),
        )
    };
    let r = Linker::new(LinkageConfig::default()).unwrap().link(
        &subjects,
        &[payout("e1"), payout("e2")],
        &ExtraEvidence::default(),
    );
    assert_eq!(ring_of(&r, "e1"), Some(set(&["e1", "e2"])));
    // Incremental: the payout event of an already known subject arrives later.
    let mut st = Linker::new(LinkageConfig::default()).unwrap().state();
    st.add(&subjects, &[payout("e1")]);
    let later = st.add(&[], &[payout("e2")]);
    assert!(
        later.rings.iter().any(|r| r.members.contains(&sid("e2"))),
        "{:#?}",
        later.rings
    );
}

#[test]
fn a_saved_state_links_later_batches_like_the_state_it_was_saved_from() {
    let (subjects, events) = mixed(300);
    let (a, b) = subjects.split_at(subjects.len() - 40);
    let ev_a: Vec<Event> = events
        .iter()
        .filter(|e| a.iter().any(|s| Some(&s.id) == e.subject.as_ref()))
        .cloned()
        .collect();
    let ev_b: Vec<Event> = events
        .iter()
        .filter(|e| !ev_a.contains(e))
        .cloned()
        .collect();
    let config = LinkageConfig::default();
    let mut live = Linker::new(config.clone()).unwrap().state();
    live.add(a, &ev_a);
    live.mark_seen([7, 11]);
    let bytes = live.to_bytes().unwrap();
    let mut loaded = redflag_linkage::LinkState::from_bytes(&bytes, &config).unwrap();
    assert!(loaded.is_seen(7) && loaded.is_seen(11) && !loaded.is_seen(8));
    assert_eq!(loaded.len(), a.len());
    assert_eq!(loaded.rings(), live.rings());
    let from_live = live.add(b, &ev_b);
    let from_loaded = loaded.add(b, &ev_b);
    assert!(!from_live.rings.is_empty());
    assert_eq!(from_loaded.rings, from_live.rings);
    assert_eq!(from_loaded.pairs, from_live.pairs);
    assert_eq!(from_loaded.stats, from_live.stats);
}

#[test]
fn a_damaged_or_foreign_state_is_refused_with_the_reason() {
    let (subjects, events) = mixed(100);
    let config = LinkageConfig::default();
    let mut st = Linker::new(config.clone()).unwrap().state();
    st.add(&subjects, &events);
    let bytes = st.to_bytes().unwrap();
    let check = |bytes: &[u8], config: &LinkageConfig, expect: &str| {
        let err = redflag_linkage::LinkState::from_bytes(bytes, config)
            .err()
            .unwrap_or_else(|| panic!("accepted; expected {expect}"))
            .to_string();
        assert!(err.contains(expect), "{err} (expected {expect})");
    };
    check(b"", &config, "wrong magic");
    check(b"{\"rings\": []}", &config, "wrong magic");
    check(&bytes[..10], &config, "truncated");
    check(&bytes[..bytes.len() / 2], &config, "corrupt or truncated");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    check(&flipped, &config, "corrupt");
    let mut version = bytes.clone();
    version[8] = 99;
    check(&version, &config, "format version 99");
    let other = LinkageConfig {
        operator_threshold: 12.0,
        ..config.clone()
    };
    check(&bytes, &other, "another linkage configuration");
}

fn photo(hash: u64) -> Identifier {
    Identifier::PhotoHash(redflag_model::PhotoHash::parse(&format!("{hash:016x}")).unwrap())
}

/// Reproducible scattered 64-bit photo hashes.
fn scattered(seed: u64) -> u64 {
    let mut x = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn pair_ids(r: &LinkageResult) -> BTreeSet<(String, String)> {
    r.pairs
        .iter()
        .map(|p| (p.a.to_string(), p.b.to_string()))
        .collect()
}

fn photo_contribution(r: &LinkageResult, a: &str, b: &str) -> Option<String> {
    r.pairs
        .iter()
        .find(|p| p.a == sid(a) && p.b == sid(b))?
        .contributions
        .iter()
        .find(|c| c.comparison == "photo")
        .map(|c| c.level.to_string())
}

/// Two personas whose only shared evidence is one photo, re-encoded (5 bits apart), among 3,000 people
/// with photos of their own. With a block cap of 10, each of the 256 values of a one-byte band is held
/// by ~12 photos, so blocking on byte bands found nothing here (as at a million photos with the
/// default cap); the search over 16-bit bands does.
#[test]
fn a_re_encoded_photo_links_two_personas_among_thousands_of_photos() {
    let mut subjects = background(3000);
    for (i, s) in subjects.iter_mut().enumerate() {
        s.identifiers.push(photo(scattered(i as u64)));
    }
    let shared = scattered(77_777);
    subjects.push(
        S::new("pa", "Marco", "Bellini")
            .dob("1994-03-09")
            .email("marco.bellini.dev@mail.example.com")
            .id(photo(shared))
            .done(),
    );
    subjects.push(
        S::new("pb", "Hiro", "Tanabe")
            .dob("1990-10-21")
            .email("h.tanabe.codes@mail.example.net")
            .id(photo(shared ^ 0x8000_0100_0020_0003))
            .done(),
    );
    let config = LinkageConfig {
        max_block_size: 10,
        ..Default::default()
    };
    let r = Linker::new(config)
        .unwrap()
        .link(&subjects, &[], &ExtraEvidence::default());
    assert_eq!(
        photo_contribution(&r, "pa", "pb").as_deref(),
        Some("near"),
        "{:?}",
        r.notes
    );
    assert_eq!(ring_of(&r, "pa"), Some(set(&["pa", "pb"])));
}

/// Incremental linking keeps the photo search's answers equal to a batch's, also when a later batch
/// crowds a photo bucket over its limit (the pairs that met only through it go).
#[test]
fn incremental_photo_links_equal_batch_when_a_bucket_fills_up() {
    // Cap 2: photo buckets over 32 photos are not searched.
    let config = LinkageConfig {
        max_block_size: 2,
        photo_max_distance: 7,
        ..Default::default()
    };
    let with_photo = |id: &str, given: &str, family: &str, hash: u64| {
        S::new(id, given, family)
            .email(&format!("{id}@mail.example.org"))
            .id(photo(hash))
            .done()
    };
    let mut first = Vec::new();
    for i in 0..60u64 {
        first.push(with_photo(
            &format!("bg{i}"),
            "pat",
            &format!("person{i}"),
            scattered(i),
        ));
    }
    // x1 and x2 meet only through the lowest band (one bit apart there, two bits apart in the others).
    let x = (scattered(500) & !0xffff) | 0xbeef;
    first.push(with_photo("x1", "ana", "lopez", x));
    first.push(with_photo("x2", "bo", "kim", x ^ 0x0003_0003_0003_0001));
    // y1 and y2: two bits apart, away from the crowd.
    let y = scattered(600);
    first.push(with_photo("y1", "cy", "ruiz", y));
    first.push(with_photo("y2", "di", "wong", y ^ 0x0100_0000_0000_0001));
    // Forty strangers whose photos share x's lowest band.
    let crowd: Vec<Subject> = (0..40u64)
        .map(|i| {
            with_photo(
                &format!("c{i}"),
                "eve",
                &format!("crowd{i}"),
                (scattered(1000 + i) & !0xffff) | 0xbeef,
            )
        })
        .collect();
    let all: Vec<Subject> = first.iter().chain(&crowd).cloned().collect();

    let mut fit = Linker::new(config.clone()).unwrap().state();
    fit.add(&all, &[]);
    let fixed = Linker::with_model(config.clone(), fit.model().unwrap().clone()).unwrap();
    let batch = fixed.link(&all, &[], &ExtraEvidence::default());
    assert_eq!(
        photo_contribution(&batch, "y1", "y2").as_deref(),
        Some("near")
    );
    assert_eq!(photo_contribution(&batch, "x1", "x2"), None);
    assert!(batch.notes.iter().any(|n| n.contains("photo hash buckets")));

    let mut inc = fixed.state();
    let before = inc.add(&first, &[]);
    assert_eq!(
        photo_contribution(&before, "x1", "x2").as_deref(),
        Some("near")
    );
    // Through a saved state: the photo index is rebuilt on load.
    let mut inc =
        redflag_linkage::LinkState::from_bytes(&inc.to_bytes().unwrap(), &config).unwrap();
    let (c1, c2) = crowd.split_at(20);
    inc.add(c1, &[]);
    let after = inc.add(c2, &[]);
    assert!(after.stats.dirty_subjects < inc.len());
    assert_eq!(inc.rings(), batch.rings);
    let linked = |r: &[redflag_model::Ring]| -> BTreeSet<(String, String)> {
        r.iter()
            .flat_map(|x| x.links.iter().map(|l| (l.a.to_string(), l.b.to_string())))
            .collect()
    };
    assert!(!linked(&inc.rings()).contains(&("ats:x1".to_string(), "ats:x2".to_string())));
    assert!(pair_ids(&batch).contains(&("ats:y1".to_string(), "ats:y2".to_string())));
}
