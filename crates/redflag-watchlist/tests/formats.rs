//! Every list format parses its real (or schema-built) fixture, and malformed files are refused with an
//! error naming the file, the line and the element.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use redflag_watchlist::{
    Entity, EntityKind, Index, ListFormat, ListSnapshot, NameStrength, Query, ScreenOptions,
    WatchlistError, load_bytes, load_path, write_compact,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> ListSnapshot {
    load_path(&fixture(name), ListFormat::Auto).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn entity<'a>(s: &'a ListSnapshot, id: &str) -> &'a Entity {
    s.entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entity {id}"))
}

#[test]
fn ofac_advanced_excerpt() {
    let s = load("ofac_sdn_advanced_excerpt.xml");
    assert_eq!(s.info.id, "us-ofac-sdn");
    assert_eq!(s.info.version, "2025-11-19");
    assert_eq!(s.info.format, "ofac-advanced-xml");
    assert_eq!(s.entities.len(), 5);
    let sim = entity(&s, "42498");
    assert_eq!(sim.kind, EntityKind::Person);
    assert_eq!(sim.primary_name(), "Sim Hyon Sop");
    assert_eq!(sim.names[1].full, "Sim Hyo'n-so'p");
    assert_eq!(sim.birth_dates[0].to_string(), "1983-11-25");
    assert_eq!(sim.nationalities, vec!["KP"]);
    assert_eq!(sim.programs, vec!["NPWMD"]);
    assert_eq!(sim.listed_on.unwrap().to_string(), "2023-04-24");
    assert_eq!(sim.documents[0].number, "109484100");
    assert!(sim.wallets.iter().all(|w| w.wallet.is_some()));
    let kim = entity(&s, "43377");
    assert!(
        kim.names
            .iter()
            .any(|n| n.full == "김 상만" && n.script.is_some())
    );
    let lazarus = entity(&s, "27307");
    assert_eq!(lazarus.kind, EntityKind::Organization);
    assert!(lazarus.wallets.len() >= 8);
}

#[test]
fn ofac_legacy_csv_set() {
    let s = load_path(&fixture("ofac_csv"), ListFormat::Auto).unwrap();
    assert_eq!(s.info.id, "us-ofac-sdn");
    assert_eq!(s.info.format, "ofac-csv");
    assert!(s.info.version.starts_with("sha256:"));
    assert_eq!(s.entities.len(), 6);
    let e = entity(&s, "26137");
    assert_eq!(e.primary_name(), "KHORASHADIZADEH, Ali");
    assert_eq!(e.nationalities, vec!["IR"]);
    assert!(e.emails.contains(&"iranvisacart@yahoo.com".to_string()));
    assert_eq!(e.wallets[0].raw, "149w62rY42aZBox8fGcmqNsXUzSStKeq8C");
    assert!(
        e.names
            .iter()
            .any(|n| n.full == "Mastercartaria" && n.strength == NameStrength::Weak)
    );
    let bank = entity(&s, "306");
    assert!(
        bank.names
            .iter()
            .any(|n| n.full == "NATIONAL BANK OF CUBA" && n.strength == NameStrength::Strong)
    );
    assert!(!bank.addresses.is_empty());
    // the main file alone, by name
    let main_only = load_path(&fixture("ofac_csv/sdn.csv"), ListFormat::OfacCsv).unwrap();
    assert_eq!(main_only.entities.len(), 6);
}

#[test]
fn un_excerpt() {
    let s = load("un_consolidated_excerpt.xml");
    assert_eq!(s.info.id, "un-sc-consolidated");
    assert_eq!(s.info.version, "2026-02-27");
    let kim = entity(&s, "KPi.066");
    assert_eq!(kim.primary_name(), "KIM JONG SIK");
    assert!(kim.names.iter().any(|n| n.full == "Kim Cho’ng-sik"));
    assert_eq!(kim.nationalities, vec!["KP"]);
    assert_eq!(kim.birth_dates[0].to_string(), "1967-01-01 to 1969-12-31");
    assert_eq!(kim.programs, vec!["DPRK"]);
    assert!(
        s.entities
            .iter()
            .any(|e| e.kind == EntityKind::Organization)
    );
}

#[test]
fn ofsi_excerpt() {
    let s = load("ofsi_conlist_excerpt.csv");
    assert_eq!(s.info.id, "gb-ofsi-conlist");
    let e = entity(&s, "13349");
    assert_eq!(e.kind, EntityKind::Person);
    assert!(e.names.iter().any(|n| n.full.contains("AL-QAHTANI")));
    assert!(e.nationalities.contains(&"SA".to_string()));
    assert!(e.documents.iter().any(|d| d.number == "592667"));
    assert!(e.birth_dates.iter().any(|d| d.to_string() == "1980"));
    assert!(s.entities.len() > 10);
}

#[test]
fn opensanctions_ftm_sample() {
    let s = load("opensanctions_ftm_sample.ftm.json");
    assert_eq!(s.info.id, "opensanctions");
    assert_eq!(s.info.format, "ftm-json");
    // 6 parties (the Address entity is not one)
    assert_eq!(s.entities.len(), 6);
    let org = entity(&s, "NK-2GdmHtZTeNXjNVrBGEXZNj");
    assert_eq!(org.kind, EntityKind::Organization);
    assert_eq!(org.names[0].strength, NameStrength::Primary);
    assert_eq!(org.countries, vec!["BY"]);
}

#[test]
fn eu_fsf_sample() {
    let s = load("eu_fsf_sample.xml");
    assert_eq!(s.info.id, "eu-fsf");
    assert_eq!(s.info.version, "2025-11-18");
    assert_eq!(s.entities.len(), 3);
    let kim = entity(&s, "EU.4321.76");
    assert_eq!(kim.kind, EntityKind::Person);
    assert_eq!(kim.primary_name(), "Kim Jong Sik");
    assert!(
        kim.names
            .iter()
            .any(|n| n.full == "Comrade Kim" && n.strength == NameStrength::Weak)
    );
    assert_eq!(kim.documents[0].number, "745110288");
    assert_eq!(kim.emails, vec!["munitions@star-co.net.kp"]);
    assert_eq!(kim.wallets.len(), 1);
    assert_eq!(kim.programs, vec!["PRK"]);
    let fict = entity(&s, "990001");
    assert_eq!(fict.primary_name(), "Testa Fictitia");
    assert_eq!(fict.birth_dates[0].to_string(), "1990-02-03");
}

#[test]
fn uk_sanctions_list_sample() {
    let s = load("uk_sanctions_list_sample.xml");
    assert_eq!(s.info.id, "gb-fcdo-sanctions");
    assert_eq!(s.info.version, "2025-11-19");
    let kim = entity(&s, "DPR0301");
    assert_eq!(kim.primary_name(), "Sang Man KIM");
    assert!(kim.names.iter().any(|n| n.full == "김상만"));
    assert!(kim.names.iter().any(|n| n.strength == NameStrength::Weak));
    assert_eq!(kim.birth_dates[0].to_string(), "1965-04-25");
    assert_eq!(kim.nationalities, vec!["KP"]);
    assert_eq!(kim.documents[0].country.as_deref(), Some("KP"));
    assert!(kim.emails.contains(&"kimsangman@example.kp".to_string()));
    assert!(kim.emails.contains(&"ksm@chinyong.example".to_string()));
    assert_eq!(kim.phones, vec!["+7 423 555 0101"]);
    assert_eq!(entity(&s, "TST0001").kind, EntityKind::Organization);
}

#[test]
fn all_formats_screen_together() {
    let snapshots = vec![
        load("ofac_sdn_advanced_excerpt.xml"),
        load("un_consolidated_excerpt.xml"),
        load("eu_fsf_sample.xml"),
        load("uk_sanctions_list_sample.xml"),
    ];
    let index = Index::build(snapshots);
    let hits = index
        .screen(&Query::name("Kim Sangman"), &ScreenOptions::default())
        .unwrap();
    let lists: Vec<&str> = hits.iter().map(|m| m.list.as_str()).collect();
    assert!(
        lists.contains(&"us-ofac-sdn") && lists.contains(&"gb-fcdo-sanctions"),
        "{lists:?}"
    );
    let hits = index
        .screen(&Query::name("Kim Jong Sik"), &ScreenOptions::default())
        .unwrap();
    assert!(hits.iter().any(|m| m.list == "un-sc-consolidated"));
    assert!(hits.iter().any(|m| m.list == "eu-fsf"));
    let hits = index
        .screen(
            &Query::default().with_phone("+74235550101"),
            &ScreenOptions::default(),
        )
        .unwrap();
    assert_eq!(hits[0].entity_id, "DPR0301");
}

#[test]
fn compact_round_trip() {
    let s = load("un_consolidated_excerpt.xml");
    let mut buf = Vec::new();
    write_compact(&s, &mut buf, 3).unwrap();
    let back = load_bytes(&buf, "mem.zst", ListFormat::Auto).unwrap();
    assert_eq!(back, s);
    // a truncated compact file is refused
    let mut plain = Vec::new();
    write_compact(&s, &mut plain, 0).unwrap();
    let cut = &plain[..plain.len() * 2 / 3];
    let cut = &cut[..cut.iter().rposition(|b| *b == b'\n').unwrap() + 1];
    let err = load_bytes(cut, "cut.jsonl", ListFormat::Compact).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

fn malformed(bytes: &[u8], format: ListFormat) -> String {
    load_bytes(bytes, "bad-file.xml", format)
        .unwrap_err()
        .to_string()
}

#[test]
fn truncated_xml_is_refused_with_file_line_and_element() {
    let text = std::fs::read_to_string(fixture("ofac_sdn_advanced_excerpt.xml")).unwrap();
    let cut = &text[..text.find("<DistinctParty FixedRef=\"42498\"").unwrap() + 300];
    let err = malformed(cut.as_bytes(), ListFormat::Auto);
    assert!(err.starts_with("bad-file.xml:"), "{err}");
    assert!(err.contains("truncated") && err.contains("(in <"), "{err}");
    let un = std::fs::read_to_string(fixture("un_consolidated_excerpt.xml")).unwrap();
    let err = malformed(&un.as_bytes()[..un.len() / 2], ListFormat::UnXml);
    assert!(err.contains("truncated"), "{err}");
    let line: u64 = err.split(':').nth(1).unwrap().parse().unwrap();
    assert!(line > 10, "{err}");
}

#[test]
fn broken_xml_names_the_element() {
    let err = malformed(
        b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</FOO>",
        ListFormat::UnXml,
    );
    assert!(err.contains("</FOO>") && err.contains("<DATAID>"), "{err}");
    let err = malformed(
        b"<export><sanctionEntity euReferenceNumber=\"EU.1\"></sanctionEntity></export>",
        ListFormat::EuXml,
    );
    assert!(err.contains("no nameAlias"), "{err}");
}

#[test]
fn wrong_format_is_refused() {
    let csv = std::fs::read(fixture("ofsi_conlist_excerpt.csv")).unwrap();
    let err = malformed(&csv, ListFormat::UnXml);
    assert!(err.contains("bad-file.xml"), "{err}");
    let err = malformed(
        b"<html><body>Service unavailable</body></html>",
        ListFormat::Auto,
    );
    assert!(
        err.contains("<html>") && err.contains("cannot tell the list format"),
        "{err}"
    );
    let err = malformed(
        b"<CONSOLIDATED_LIST dateGenerated=\"2026-01-01\"><INDIVIDUALS/></CONSOLIDATED_LIST>",
        ListFormat::Auto,
    );
    assert!(err.contains("holds no entity"), "{err}");
    let err = malformed(b"\"a\",\"b\"\n1,2\n", ListFormat::OfsiCsv);
    assert!(err.contains("Name 6"), "{err}");
    assert!(matches!(
        load_bytes(b"{\"id\": 3}\n", "x.json", ListFormat::FtmJson),
        Err(WatchlistError::Malformed { .. })
    ));
    assert!("nonsense".parse::<ListFormat>().is_err());
    assert_eq!(
        "ofac-advanced-xml".parse::<ListFormat>().unwrap(),
        ListFormat::OfacAdvancedXml
    );
}
