//! The world's other formats through the real readers: Entra ID and Google Workspace sign-ins through
//! the connectors' Entra and Google readers, PDF and DOCX resumes through the identity engine's text
//! extraction.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use redflag_connectors::{Record, entra, google, okta};
use redflag_model::{Event, EventKind, Identifier};
use redflag_synth::{IdentityProvider, WorldConfig, WrittenWorld, generate};

/// Checks that `written` counted `records` records in `file`.
fn assert_wrote(written: &WrittenWorld, file: &str, records: usize) {
    assert_eq!(written.records(file), Some(records as u64), "{file}");
}

fn config(seed: u64) -> WorldConfig {
    WorldConfig {
        subjects: 500,
        days: 14,
        rings_per_10k: 200.0,
        ..WorldConfig::small().with_seed(seed)
    }
}

fn read_all(reader: impl Iterator<Item = Record<Event>>) -> (Vec<Event>, Vec<String>) {
    let (mut events, mut rejects) = (Vec::new(), Vec::new());
    for r in reader {
        match r {
            Ok(e) => events.push(e),
            Err(e) => rejects.push(e.to_string()),
        }
    }
    (events, rejects)
}

/// Work email → (subject id, role area is not in the file, so the login is the key).
fn logins(dir: &Path) -> BTreeMap<String, String> {
    let mut people = csv::Reader::from_path(dir.join("people.csv")).unwrap();
    let headers = people.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, work) = (col("id"), col("work_email"));
    people
        .records()
        .map(|r| r.unwrap())
        .filter(|r| !r[work].is_empty())
        .map(|r| (r[work].to_lowercase(), r[id].to_string()))
        .collect()
}

fn email_of(event: &Event) -> String {
    event
        .identifiers
        .iter()
        .find_map(|i| match i {
            Identifier::Email(e) => Some(e.as_str().to_string()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn every_sign_in_log_reads_through_its_connector_with_zero_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let written = generate(&config(11)).write_to(dir.path()).unwrap();
    let logins = logins(dir.path());
    let open = |name: &str| std::fs::File::open(written.path(name)).unwrap();

    let (okta_events, okta_rejects) =
        read_all(okta::reader(open("okta_system_log.ndjson"), "okta"));
    let (entra_events, entra_rejects) =
        read_all(entra::reader(open("entra_sign_ins.ndjson"), "entra"));
    let (google_events, google_rejects) = read_all(google::reader(
        open("google_login_activities.ndjson"),
        "google",
    ));
    assert!(okta_rejects.is_empty(), "{:?}", okta_rejects.first());
    assert!(entra_rejects.is_empty(), "{:?}", entra_rejects.first());
    assert!(google_rejects.is_empty(), "{:?}", google_rejects.first());
    assert_wrote(&written, "entra_sign_ins.ndjson", entra_events.len());
    assert_wrote(
        &written,
        "google_login_activities.ndjson",
        google_events.len(),
    );

    // Each provider holds a real share of the population, and nobody signs in through two.
    let mut by_provider: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, events) in [
        ("okta", &okta_events),
        ("entra", &entra_events),
        ("google", &google_events),
    ] {
        assert!(events.len() > 200, "{name}: only {} sign-ins", events.len());
        let mut failures = 0;
        for e in events.iter() {
            let EventKind::SignIn(s) = &e.kind else {
                panic!("{name}: not a sign-in: {e:?}");
            };
            assert!(s.ip.is_some(), "{name}: a sign-in without an address");
            failures += usize::from(s.outcome == redflag_model::SignInOutcome::Failure);
            let email = email_of(e);
            let subject = logins
                .get(&email)
                .unwrap_or_else(|| panic!("{name}: {email} is nobody's work email"));
            by_provider.entry(name).or_default().insert(subject.clone());
        }
        assert!(failures > 0, "{name}: no failed sign-in at all");
    }
    assert!(by_provider["entra"].is_disjoint(&by_provider["okta"]));
    assert!(by_provider["google"].is_disjoint(&by_provider["okta"]));
    assert!(by_provider["google"].is_disjoint(&by_provider["entra"]));
    // Entra carries the Graph user id, the device and the country; Google the profile id.
    let first = &entra_events[0];
    assert!(
        first
            .identifiers
            .iter()
            .any(|i| matches!(i, Identifier::IdpUser { .. }))
    );
    assert!(
        first
            .identifiers
            .iter()
            .any(|i| matches!(i, Identifier::Device(_)))
    );
    let EventKind::SignIn(s) = &first.kind else {
        unreachable!()
    };
    assert!(s.provider_country.is_some() && s.user_agent.is_some());
    assert!(
        google_events[0]
            .identifiers
            .iter()
            .any(|i| matches!(i, Identifier::IdpUser { .. }))
    );
}

#[test]
fn an_okta_only_company_writes_empty_entra_and_google_logs() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorldConfig {
        identity_providers: vec![IdentityProvider::Okta],
        ..config(12)
    };
    let written = generate(&config).write_to(dir.path()).unwrap();
    assert_eq!(written.records("entra_sign_ins.ndjson"), Some(0));
    assert_eq!(written.records("google_login_activities.ndjson"), Some(0));
    assert!(written.records("okta_system_log.ndjson").unwrap() > 1000);
}

/// Lower-case words, letters reduced to their base (a PDF's standard font has no `ễ`).
fn words(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    text.replace(['ł', 'Ł'], "l")
        .replace(['đ', 'Đ'], "d")
        .nfd()
        .filter(|c| c.is_ascii() || (*c as u32) < 0x300 || (*c as u32) > 0x36F)
        .collect::<String>()
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.')
        .map(|w| w.trim_matches('.').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn pdf_and_docx_resumes_read_back_through_the_identity_extractor() {
    let dir = tempfile::tempdir().unwrap();
    let text_dir = tempfile::tempdir().unwrap();
    let config = config(13);
    let written = generate(&config).write_to(dir.path()).unwrap();
    // The same world with every resume as text: the reference.
    let as_text = WorldConfig {
        pdf_resume_share: 0.0,
        docx_resume_share: 0.0,
        ..config.clone()
    };
    generate(&as_text).write_to(text_dir.path()).unwrap();

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let limits = redflag_identity::ExtractLimits::default();
    for entry in std::fs::read_dir(written.path("resumes")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (stem, ext) = name.rsplit_once('.').unwrap();
        *counts
            .entry(match ext {
                "pdf" => "pdf",
                "docx" => "docx",
                _ => "txt",
            })
            .or_default() += 1;
        if ext == "txt" {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let got = redflag_identity::extract_text(&bytes, &name, &limits).unwrap();
        let expect =
            std::fs::read_to_string(text_dir.path().join("resumes").join(format!("{stem}.txt")))
                .unwrap();
        let (got_words, expect_words) = (words(&got.text), words(&expect));
        let found: BTreeSet<&String> = got_words.iter().collect();
        let missing: Vec<&String> = expect_words.iter().filter(|w| !found.contains(w)).collect();
        assert!(
            missing.is_empty(),
            "{name}: words of the resume not read back: {missing:?}\n--- read:\n{}",
            got.text
        );
        // Nothing invented either, and the order of the text kept (headings in sequence).
        assert!(
            got_words.len() <= expect_words.len() + 2,
            "{name}: {}",
            got.text
        );
        let at = |h: &str| got.text.find(h).unwrap_or_else(|| panic!("{name}: no {h}"));
        assert!(at("SUMMARY") < at("SKILLS") && at("SKILLS") < at("EXPERIENCE"));
        assert!(at("EXPERIENCE") < at("EDUCATION"), "{name}");
    }
    // Roughly the configured shares (15 % each) of about 450 resumes.
    assert!(counts["pdf"] >= 30 && counts["docx"] >= 30, "{counts:?}");
    assert!(counts["txt"] > counts["pdf"] + counts["docx"], "{counts:?}");
    // people.csv names each file as written.
    let people = std::fs::read_to_string(written.path("people.csv")).unwrap();
    assert!(people.contains(".pdf,") && people.contains(".docx,"));
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn applications_opened_in_a_session_follow_it_and_leave_the_sessions_as_they_were() {
    let (plain_dir, apps_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let plain = generate(&config(12)).write_to(plain_dir.path()).unwrap();
    let with_apps = WorldConfig {
        app_sign_ins_per_session: 1.5,
        ..config(12)
    };
    let apps = generate(&with_apps).write_to(apps_dir.path()).unwrap();

    // The sessions are the same bytes with or without the applications (their own random stream);
    // Google's login audit log records sessions only.
    let okta_plain = lines(&plain.path("okta_system_log.ndjson"));
    let okta_apps = lines(&apps.path("okta_system_log.ndjson"));
    let sessions: Vec<&String> = okta_apps
        .iter()
        .filter(|l| l.contains("\"eventType\":\"user.session.start\""))
        .collect();
    assert_eq!(sessions, okta_plain.iter().collect::<Vec<_>>());
    let entra_plain = lines(&plain.path("entra_sign_ins.ndjson"));
    let entra_apps = lines(&apps.path("entra_sign_ins.ndjson"));
    let mut rest = entra_apps.iter();
    for line in &entra_plain {
        assert!(rest.any(|l| l == line), "an Entra session is missing");
    }
    assert_eq!(
        std::fs::read(plain.path("google_login_activities.ndjson")).unwrap(),
        std::fs::read(apps.path("google_login_activities.ndjson")).unwrap()
    );

    // Each single sign-on event belongs to a successful session of the same person: its session id,
    // address and agent, minutes after it; through the connector it is a sign-in to the application.
    let parsed: Vec<serde_json::Value> = okta_apps
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_session: BTreeMap<&str, &serde_json::Value> = parsed
        .iter()
        .filter(|e| e["eventType"] == "user.session.start")
        .map(|e| {
            (
                e["authenticationContext"]["externalSessionId"]
                    .as_str()
                    .unwrap(),
                e,
            )
        })
        .collect();
    let time = |e: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(e["published"].as_str().unwrap()).unwrap()
    };
    let mut opened = 0;
    for sso in parsed
        .iter()
        .filter(|e| e["eventType"] == "user.authentication.sso")
    {
        opened += 1;
        let id = sso["authenticationContext"]["externalSessionId"]
            .as_str()
            .unwrap();
        let session = by_session[id];
        assert_eq!(session["outcome"]["result"], "SUCCESS");
        assert_eq!(sso["outcome"]["result"], "SUCCESS");
        assert_eq!(sso["actor"], session["actor"]);
        assert_eq!(sso["client"], session["client"]);
        assert_eq!(sso["target"][0]["type"], "AppInstance");
        let after = time(sso) - time(session);
        assert!(
            after > chrono::Duration::zero() && after < chrono::Duration::hours(2),
            "{after}"
        );
    }
    let successful = by_session
        .values()
        .filter(|e| e["outcome"]["result"] == "SUCCESS")
        .count();
    let mean = opened as f64 / successful as f64;
    assert!((1.3..1.7).contains(&mean), "{mean} applications a session");
    assert_wrote(&apps, "okta_system_log.ndjson", okta_apps.len());
    assert_wrote(&apps, "entra_sign_ins.ndjson", entra_apps.len());
    assert!(entra_apps.len() as f64 > entra_plain.len() as f64 * 2.0);

    let open = |name: &str| std::fs::File::open(apps.path(name)).unwrap();
    let (events, rejects) = read_all(okta::reader(open("okta_system_log.ndjson"), "okta"));
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    assert_eq!(events.len(), okta_apps.len());
    let applications: BTreeSet<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SignIn(s) => s.application.clone(),
            _ => None,
        })
        .collect();
    assert!(applications.contains("Slack"), "{applications:?}");
    assert!(applications.len() >= 5, "{applications:?}");
}
