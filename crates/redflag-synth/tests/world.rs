//! Integration tests: determinism, readability by the real people connector, ground-truth consistency
//! and fairness of the planted population.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_synth::{GroundTruth, HardNegative, Label, Person, World, WorldConfig, generate};

fn small(seed: u64) -> WorldConfig {
    WorldConfig::small().with_seed(seed)
}

fn read_dir_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    generate(&small(1)).write_to(a.path()).unwrap();
    generate(&small(1)).write_to(b.path()).unwrap();
    generate(&small(2)).write_to(c.path()).unwrap();
    let (fa, fb, fc) = (
        read_dir_bytes(a.path()),
        read_dir_bytes(b.path()),
        read_dir_bytes(c.path()),
    );
    assert!(fa.len() >= 3, "{:?}", fa.keys());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two runs with one seed"
        );
    }
    assert_ne!(fa["people.csv"], fc["people.csv"]);
    assert_ne!(fa["ground_truth.json"], fc["ground_truth.json"]);
}

#[test]
fn subjects_do_not_depend_on_generation_order() {
    let world = generate(&small(3));
    let forward: Vec<_> = world.people().collect();
    for i in (0..world.len()).rev().step_by(97) {
        assert_eq!(world.person(i), forward[i]);
    }
}

#[test]
fn people_csv_passes_the_people_connector_with_zero_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorldConfig {
        subjects: 3_000,
        events: false,
        ..small(4)
    };
    let written = generate(&config).write_to(dir.path()).unwrap();
    let file = std::fs::File::open(written.path("people.csv")).unwrap();
    let reader = PeopleReader::new(file, "people.csv", "synth", PeopleMapping::generic()).unwrap();
    let mut accepted = 0;
    let mut rejects = Vec::new();
    let mut identifiers = 0;
    for record in reader {
        match record {
            Ok(subject) => {
                accepted += 1;
                identifiers += subject.identifiers.len();
                assert!(subject.claimed.country.is_some());
                assert!(subject.claimed.timezone.is_some());
            }
            Err(reject) => rejects.push(reject),
        }
    }
    assert!(
        rejects.is_empty(),
        "{} rejects, first: {:?}",
        rejects.len(),
        rejects.first()
    );
    assert_eq!(accepted, config.subjects);
    // Email(s), phone, payout account and address at least.
    assert!(identifiers >= accepted * 4, "{identifiers}");
}

fn truth_of(dir: &Path) -> GroundTruth {
    serde_json::from_slice(&std::fs::read(dir.join("ground_truth.json")).unwrap()).unwrap()
}

#[test]
fn ground_truth_is_consistent_with_the_people_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorldConfig {
        events: false,
        ..small(5)
    };
    let written = generate(&config).write_to(dir.path()).unwrap();
    let truth = truth_of(dir.path());
    let mut csv = csv::Reader::from_path(written.path("people.csv")).unwrap();
    let ids: BTreeSet<String> = csv.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(ids.len(), config.subjects, "ids are unique");
    assert_eq!(truth.rings.len(), config.ring_count());
    let mut members = BTreeSet::new();
    for ring in &truth.rings {
        assert!((2..=8).contains(&ring.members.len()), "{}", ring.id);
        assert!(!ring.signals.is_empty());
        for m in &ring.members {
            assert!(ids.contains(m), "ring member {m} is not in people.csv");
            assert!(members.insert(m.clone()), "{m} is in two rings");
        }
    }
    let operators: BTreeSet<String> = truth.operators.iter().map(|o| o.id.clone()).collect();
    assert_eq!(operators, members);
    for o in &truth.operators {
        assert_eq!(o.subject_id, format!("synth:{}", o.id));
        for s in &o.signals {
            assert!(!s.indicators.is_empty() && !s.observable_in.is_empty());
        }
    }
    for n in &truth.hard_negatives {
        assert!(ids.contains(&n.id));
        assert!(
            !operators.contains(&n.id),
            "{} is both operator and hard negative",
            n.id
        );
    }
    // The per-subject label file agrees.
    let mut labels = csv::Reader::from_path(written.path("ground_truth_subjects.csv")).unwrap();
    let mut labelled_operators = BTreeSet::new();
    for row in labels.records() {
        let row = row.unwrap();
        if &row[1] == "operator" {
            labelled_operators.insert(row[0].to_string());
        }
    }
    assert_eq!(labelled_operators, operators);
    assert_eq!(written.operators, operators.len());
    assert_eq!(written.hard_negatives, truth.hard_negatives.len());
}

#[test]
fn name_origin_does_not_single_out_operators() {
    // The default world's population, without writing it.
    let world = generate(&WorldConfig::default());
    let mut by_origin: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut operator_origins = BTreeSet::new();
    for p in world.people() {
        let e = by_origin.entry(p.name_origin).or_default();
        e.0 += 1;
        if p.is_operator() {
            e.1 += 1;
            operator_origins.insert(p.name_origin);
        }
    }
    for (origin, (total, operators)) in &by_origin {
        if *total >= 100 {
            let share = *operators as f64 / *total as f64;
            assert!(
                share < 0.05,
                "{origin}: {operators} of {total} are operators"
            );
        }
    }
    for origin in [
        "korean",
        "chinese",
        "japanese",
        "vietnamese",
        "italian",
        "us",
    ] {
        let (total, _) = by_origin[origin];
        assert!(total >= 150, "too few {origin}-named subjects: {total}");
    }
    assert!(
        operator_origins.len() >= 4,
        "operators' names come from {operator_origins:?}"
    );
}

#[test]
fn event_files_follow_their_schemas_and_carry_the_planted_signals() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorldConfig {
        subjects: 600,
        days: 21,
        rings_per_10k: 200.0,
        ..small(6)
    };
    let written = generate(&config).write_to(dir.path()).unwrap();
    let truth = truth_of(dir.path());
    let mut people = csv::Reader::from_path(written.path("people.csv")).unwrap();
    let headers = people.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id_col, work_col) = (col("id"), col("work_email"));
    let mut login_to_id = BTreeMap::new();
    for row in people.records() {
        let row = row.unwrap();
        if !row[work_col].is_empty() {
            login_to_id.insert(row[work_col].to_string(), row[id_col].to_string());
        }
    }

    // Okta: the LogEvent fields connectors read, every actor a known login.
    let okta = std::fs::read_to_string(written.path("okta_system_log.ndjson")).unwrap();
    let mut okta_ids = BTreeSet::new();
    let mut lines = 0;
    for line in okta.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["eventType"], "user.session.start");
        assert!(e["uuid"].as_str().unwrap().len() == 36);
        chrono::DateTime::parse_from_rfc3339(e["published"].as_str().unwrap()).unwrap();
        let ip: std::net::IpAddr = e["client"]["ipAddress"].as_str().unwrap().parse().unwrap();
        assert!(!ip.is_unspecified());
        assert!(e["client"]["userAgent"]["rawUserAgent"].as_str().is_some());
        assert!(
            e["client"]["geographicalContext"]["country"]
                .as_str()
                .is_some()
        );
        assert!(matches!(
            e["outcome"]["result"].as_str(),
            Some("SUCCESS" | "FAILURE")
        ));
        let login = e["actor"]["alternateId"].as_str().unwrap();
        okta_ids.insert(login_to_id[login].clone());
        lines += 1;
    }
    assert_eq!(Some(lines), written.records("okta_system_log.ndjson"));

    // osquery: event-format results; planted IP-KVMs appear on the planted hosts.
    let osq = std::fs::read_to_string(written.path("osquery_results.ndjson")).unwrap();
    let mut kvm_users = BTreeSet::new();
    for line in osq.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "name",
            "hostIdentifier",
            "calendarTime",
            "unixTime",
            "columns",
            "action",
        ] {
            assert!(!r[key].is_null(), "{key} missing in {line}");
        }
        if r["columns"]["vendor_id"] == "1d6b"
            && r["columns"]["model"] != "Multifunction Composite Gadget"
        {
            kvm_users.insert(r["decorations"]["username"].as_str().unwrap().to_string());
        }
    }
    let planted_kvm: BTreeSet<String> = truth
        .operators
        .iter()
        .filter(|o| {
            o.signals
                .iter()
                .any(|s| s.signal == redflag_synth::Signal::IpKvmDevice)
        })
        .map(|o| o.id.clone())
        .collect();
    let kvm_ids: BTreeSet<String> = login_to_id
        .iter()
        .filter(|(login, _)| kvm_users.contains(login.split('@').next().unwrap()))
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(
        kvm_ids, planted_kvm,
        "IP-KVM devices only and always on planted hosts"
    );

    // Payroll and shipping: CSV with the expected columns and known subjects.
    for (file, columns) in [
        (
            "payroll_changes.csv",
            &[
                "employee_id",
                "effective_date",
                "method",
                "provider",
                "account",
            ][..],
        ),
        (
            "laptop_shipments.csv",
            &["employee_id", "ship_date", "address", "serial", "asset_tag"][..],
        ),
    ] {
        let mut r = csv::Reader::from_path(written.path(file)).unwrap();
        let h = r.headers().unwrap().clone();
        for c in columns {
            assert!(h.iter().any(|x| x == *c), "{file} lacks {c}");
        }
        assert!(r.records().count() > 0, "{file} is empty");
    }
    // Every operator persona with a resume-reuse signal has a resume file.
    for o in &truth.operators {
        if o.signals
            .iter()
            .any(|s| s.signal == redflag_synth::Signal::ReusedResume)
        {
            assert!(
                ["txt", "pdf", "docx"]
                    .iter()
                    .any(|ext| written.path(&format!("resumes/{}.{ext}", o.id)).exists()),
                "{} has no resume",
                o.id
            );
        }
    }
}

/// Writing a world's events in subject ranges gives, range after range, the bytes of the whole world.
#[test]
fn events_written_in_ranges_concatenate_to_the_whole_world() {
    let config = WorldConfig {
        subjects: 400,
        days: 7,
        rings_per_10k: 100.0,
        ..WorldConfig::small()
    };
    let world = generate(&config);
    let whole = tempfile::tempdir().unwrap();
    world.write_to(whole.path()).unwrap();
    let people = tempfile::tempdir().unwrap();
    let written = world.write_people_to(people.path()).unwrap();
    assert!(written.records("okta_system_log.ndjson").is_none());
    for name in [
        "people.csv",
        "ground_truth.json",
        "ground_truth_subjects.csv",
    ] {
        assert_eq!(
            std::fs::read(whole.path().join(name)).unwrap(),
            std::fs::read(people.path().join(name)).unwrap(),
            "{name}"
        );
    }
    let files = [
        "okta_system_log.ndjson",
        "entra_sign_ins.ndjson",
        "google_login_activities.ndjson",
        "osquery_results.ndjson",
        "payroll_changes.csv",
        "laptop_shipments.csv",
    ];
    let mut joined: Vec<String> = vec![String::new(); files.len()];
    let mut resumes = 0;
    for (i, range) in [0..150, 150..151, 151..400].into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        world.write_events(dir.path(), range).unwrap();
        for (f, name) in files.iter().enumerate() {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            // CSV files repeat their header in every range.
            let body = if name.ends_with(".csv") && i > 0 {
                text.split_once('\n').map(|(_, b)| b.to_string()).unwrap()
            } else {
                text
            };
            joined[f].push_str(&body);
        }
        resumes += std::fs::read_dir(dir.path().join("resumes"))
            .unwrap()
            .count();
    }
    for (f, name) in files.iter().enumerate() {
        let expect = std::fs::read_to_string(whole.path().join(name)).unwrap();
        assert!(!expect.is_empty(), "{name}");
        assert_eq!(joined[f], expect, "{name}");
    }
    let expect = std::fs::read_dir(whole.path().join("resumes"))
        .unwrap()
        .count();
    assert!(expect > 0);
    assert_eq!(resumes, expect);
}

/// A 30,000-subject world, generated once for the tests that count collisions in a large population.
fn large_world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        generate(&WorldConfig {
            subjects: 30_000,
            ..WorldConfig::default()
        })
    })
}

/// Who (by index) holds each of the values `values_of` gives the people `keep` admits, and how many
/// values were given in all.
fn holders_of(
    world: &World,
    keep: impl Fn(&Person) -> bool,
    values_of: impl Fn(&Person) -> Vec<String>,
) -> (BTreeMap<String, BTreeSet<usize>>, usize) {
    let mut holders: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut given = 0;
    for p in world.people().filter(|p| keep(p)) {
        for value in values_of(&p) {
            given += 1;
            holders.entry(value).or_default().insert(p.index);
        }
    }
    (holders, given)
}

#[test]
fn innocents_do_not_share_referees_by_name_collisions() {
    // A large world: common names at one employer were one mailbox before referees had their own
    // addresses, and a fifth of a 200,000-subject world's innocents "shared" a reference.
    let (holders, references) = holders_of(
        large_world(),
        |p| !p.is_operator(),
        |p| p.references.iter().map(|r| r.email.clone()).collect(),
    );
    assert!(references > 10_000, "{references} references");
    let shared: usize = holders.values().filter(|h| h.len() > 1).count();
    assert!(
        shared * 1_000 < references,
        "{shared} referee addresses named by several innocents among {references} references"
    );
}

#[test]
fn profile_urls_are_one_person_each() {
    // GitHub handles were `<initial><family><index mod 1000>`: in a 20,000-subject world fourteen pairs
    // of strangers with one family name shared an account, and linkage linked them.
    let (holders, _) = holders_of(
        large_world(),
        |_| true,
        |p| p.github.iter().chain(p.linkedin.iter()).cloned().collect(),
    );
    assert!(holders.len() > 10_000, "{} profile URLs", holders.len());
    let shared: Vec<(&String, &BTreeSet<usize>)> =
        holders.iter().filter(|(_, h)| h.len() > 1).collect();
    assert!(shared.is_empty(), "{shared:?}");
}

#[test]
fn no_two_people_at_one_address_share_a_full_name() {
    // Family members' given names were drawn one by one from small pools: in a 100,000-subject world
    // eighteen family members shared their whole name with a relative at the same address, and
    // linkage took each pair for one person entered twice.
    let (holders, given) = holders_of(
        large_world(),
        |_| true,
        |p| vec![format!("{} {} | {}", p.first_name, p.last_name, p.address)],
    );
    assert_eq!(given, 30_000);
    let shared: Vec<(&String, &BTreeSet<usize>)> =
        holders.iter().filter(|(_, h)| h.len() > 1).collect();
    assert!(shared.is_empty(), "{shared:?}");
}

#[test]
fn strangers_share_no_phone_home_or_referee_by_chance() {
    // Phones, homes and referees' contacts were drawn with replacement: at 100,000 subjects seven
    // pairs of innocents had one phone, nine named one referee, and hundreds lived at one address,
    // and linkage took each pair for one operator's personas. A value the world plants (a family's
    // home, a persona naming another as referee, a laptop farm) is the only one two subjects share.
    let world = large_world();
    let family = |p: &Person| {
        matches!(
            p.label,
            Label::HardNegative {
                category: HardNegative::Family,
                ..
            }
        )
    };
    let (phones, n_phones) = holders_of(
        world,
        |p| !p.is_operator(),
        |p| {
            std::iter::once(p.phone.clone())
                .chain(p.references.iter().map(|r| r.phone.clone()))
                .collect()
        },
    );
    let (mailboxes, n_mailboxes) = holders_of(
        world,
        |p| !p.is_operator(),
        |p| {
            p.references
                .iter()
                .map(|r| r.email.to_lowercase())
                .collect()
        },
    );
    let (homes, n_homes) = holders_of(
        world,
        |p| !p.is_operator() && !family(p),
        |p| vec![p.address.clone()],
    );
    assert!(n_phones > 40_000 && n_mailboxes > 10_000 && n_homes > 25_000);
    for (what, holders) in [
        ("phone", phones),
        ("referee mailbox", mailboxes),
        ("home", homes),
    ] {
        let shared: Vec<_> = holders.iter().filter(|(_, h)| h.len() > 1).collect();
        assert!(shared.is_empty(), "{what}: {shared:?}");
    }
}
