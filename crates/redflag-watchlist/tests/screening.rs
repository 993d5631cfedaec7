//! Screening against the vendored OFAC SDN snapshot of 2025-11-19 (`data/sanctions/`).
#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::sync::OnceLock;

use redflag_watchlist::{Index, PartialDate, Query, QueryError, ScreenOptions, builtin_snapshots};

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| Index::build(builtin_snapshots().unwrap()))
}

fn top(query: &Query) -> Vec<redflag_watchlist::Match> {
    index().screen(query, &ScreenOptions::default()).unwrap()
}

/// The name finds `entity_id` at rank 1.
fn check_found(name: &str, entity_id: &str) {
    let hits = top(&Query::name(name));
    assert!(!hits.is_empty(), "{name:?}: no match");
    assert_eq!(
        hits[0].entity_id, entity_id,
        "{name:?}: rank 1 is {:?}",
        hits[0]
    );
}

/// The name matches nothing above the default threshold.
fn check_clear(name: &str) {
    let hits = top(&Query::name(name));
    assert!(hits.is_empty(), "{name:?} matched: {:#?}", hits.first());
}

#[test]
fn builtin_lists_are_ofac_sdn_and_un() {
    let lists = index().lists();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].id, "un-sc-consolidated");
    assert_eq!(lists[1].id, "us-ofac-sdn");
    assert_eq!(lists[1].version, "2025-11-19");
    assert_eq!(lists[1].entity_count, 18367);
    assert_eq!(index().entity_count(), 18367 + 1003);
    assert_eq!(
        index().versions(),
        vec!["un-sc-consolidated@2026-02-27", "us-ofac-sdn@2025-11-19"]
    );
}

#[test]
fn sim_hyon_sop_is_found_with_list_programme_and_explanation() {
    let hits = top(&Query::name("Sim Hyon Sop"));
    let m = &hits[0];
    assert_eq!(m.entity_id, "42498");
    assert_eq!(m.list, "us-ofac-sdn");
    assert_eq!(m.list_version, "2025-11-19");
    assert_eq!(m.entity_name, "Sim Hyon Sop");
    assert_eq!(m.programs, vec!["NPWMD".to_string()]);
    assert!(m.dprk_nexus);
    assert!(m.score >= 0.99, "{m:?}");
    assert!(!m.exact_identifier);
    let name = m.explanation.iter().find(|e| e.feature == "name").unwrap();
    assert!(name.detail.contains("sim=sim"), "{name:?}");
    let summary = m.summary();
    assert_eq!(summary.entry_id, "42498");
    assert!(summary.explanation[0].starts_with("name:"));
}

#[test]
fn spelling_variants_find_their_entry() {
    for (name, id) in [
        ("Shim Hyun-seop", "42498"),
        ("Hyon Sop Sim", "42498"),
        ("SIM, Hyon-Sop", "42498"),
        ("심현섭", "42498"),
        ("Kim Sangman", "43377"),
        ("Sang-man Kim", "43377"),
        ("김상만", "43377"),
        ("Gim Sang Man", "43377"),
        ("Yanbian Silver Star Network Technology", "24977"),
        ("Chinyong Information Technology Cooperation Co.", "43379"),
        ("Jon Yun Gun", "48262"),
        ("Chon Yon Kun", "48262"),
    ] {
        check_found(name, id);
    }
}

#[test]
fn one_typo_in_an_unknown_word_is_found_at_rank_1() {
    for (name, id) in [
        // a Korean syllable mistyped into no syllable at all
        ("Kim Kwrng Chun", "17617"),
        ("Jong Kyrng Thaek", "23212"),
        // short organisation names: one letter in five or six
        // (Koryo Bank is on the UN list too, which sorts first on a tie)
        ("Korso Bank", "KPe.045"),
        ("Mukran LLC", "30083"),
        ("Knmsuky", "45430"),
        ("Nurth East Asia Bank", "20568"),
    ] {
        check_found(name, id);
    }
    // The explanation says which listed word the mistyped one met.
    let hits = top(&Query::name("Kim Kwrng Chun"));
    let name = hits[0]
        .explanation
        .iter()
        .find(|e| e.feature == "name")
        .unwrap();
    assert!(name.detail.contains("kwrng=kwang(0.80)"), "{name:?}");
}

#[test]
fn a_typo_that_spells_another_syllable_is_another_name() {
    // "Sung" is a Korean syllable of its own: "Kim Sung-ho" is not "Kim Sang-ho" mistyped.
    let hits = top(&Query::name("Kim Sung-ho"));
    assert!(hits.iter().all(|m| m.entity_id != "22991"), "{hits:?}");
}

#[test]
fn wallet_matches_exactly_in_any_case() {
    for w in [
        "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c",
        "0x4F47BC496083C727C5FBE3CE9CDF2B0F6496270C",
        "0x4f47Bc496083c727C5fbe3ce9cdf2b0f6496270C", // wrong checksum case: still the same address
    ] {
        let hits = top(&Query::default().with_wallet(w));
        assert_eq!(hits.len(), 1, "{w}: {hits:?}");
        assert_eq!(hits[0].entity_id, "42498");
        assert!(hits[0].exact_identifier);
        assert_eq!(hits[0].score, 1.0);
        assert_eq!(hits[0].explanation[0].feature, "wallet");
    }
    // An exact identifier wins whatever the name says.
    let hits =
        top(&Query::name("John Smith").with_wallet("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c"));
    assert_eq!(hits[0].entity_id, "42498");
    assert!(hits[0].exact_identifier);
}

#[test]
fn email_and_btc_wallet_match_exactly() {
    let hits = top(&Query::default().with_email("417136259@QQ.com"));
    assert_eq!(hits[0].entity_id, "28263");
    let hits = top(&Query::default().with_wallet("134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"));
    assert_eq!(hits[0].entity_id, "28263");
    // Bitcoin addresses are case-sensitive.
    assert!(top(&Query::default().with_wallet("134R8IHV69XDT6P5QVKTSHRCUEUBVZAYAK")).is_empty());
}

#[test]
fn common_names_do_not_match() {
    for name in [
        "Maria Rossi",
        "Kim Min-jun",
        "Park Ji-hoon",
        "Lee Seo-yeon",
        "Nguyen Van An",
        "Wang Wei",
        "Sato Haruto",
    ] {
        check_clear(name);
    }
}

#[test]
fn date_of_birth_agreement_and_contradiction() {
    let agree =
        top(&Query::name("Sim Hyon Sop").with_dob(PartialDate::parse("1983-11-25").unwrap()));
    assert_eq!(agree[0].dob_agrees, Some(true));
    let contra = index()
        .screen(
            &Query::name("Sim Hyon Sop").with_dob(PartialDate::parse("1999-01-01").unwrap()),
            &ScreenOptions {
                threshold: 0.0,
                ..ScreenOptions::default()
            },
        )
        .unwrap();
    let m = contra.iter().find(|m| m.entity_id == "42498").unwrap();
    assert_eq!(m.dob_agrees, Some(false));
    assert!(m.score < 0.8, "{m:?}");
}

#[test]
fn empty_query_is_refused() {
    let err = index()
        .screen(&Query::name("  "), &ScreenOptions::default())
        .unwrap_err();
    assert_eq!(err, QueryError::Empty);
    assert!(err.to_string().contains("empty name and no identifier"));
    assert!(matches!(
        index().screen(&Query::name("--"), &ScreenOptions::default()),
        Err(QueryError::NoNameTokens(_))
    ));
}

#[test]
fn output_is_deterministic() {
    let q = Query::name("Kim Chol");
    let opts = ScreenOptions {
        threshold: 0.5,
        top_k: 50,
        ..ScreenOptions::default()
    };
    let a = index().screen(&q, &opts).unwrap();
    let b = index().screen(&q, &opts).unwrap();
    assert_eq!(a, b);
    assert!(a.windows(2).all(|w| w[0].score >= w[1].score));
}

fn one_person_list(names: &[&str]) -> Index {
    use redflag_watchlist::{Entity, EntityKind, EntityName, ListInfo, ListSnapshot, NameStrength};
    let mut e = Entity::new("P1", EntityKind::Person);
    for (i, n) in names.iter().enumerate() {
        e.names.push(EntityName {
            full: n.to_string(),
            strength: if i == 0 {
                NameStrength::Primary
            } else {
                NameStrength::Strong
            },
            alias_type: None,
            script: None,
            parts: Vec::new(),
        });
    }
    Index::build(vec![ListSnapshot {
        info: ListInfo {
            id: "test".into(),
            name: "test".into(),
            version: "1".into(),
            published: None,
            source_url: String::new(),
            format: "test".into(),
            entity_count: 1,
            sha256: String::new(),
        },
        entities: vec![e],
    }])
}

#[test]
fn wade_giles_meets_pinyin_per_syllable() {
    let index = one_person_list(&["ZHANG Zhiming"]);
    let opts = ScreenOptions::default();
    for q in [
        "Chang Chih-ming",
        "Chang Chihming",
        "Zhiming Zhang",
        "张志明",
    ] {
        let hits = index.screen(&Query::name(q), &opts).unwrap();
        assert_eq!(hits.len(), 1, "{q}");
        assert!(hits[0].score >= 0.95, "{q}: {:?}", hits[0]);
    }
    let hits = index
        .screen(&Query::name("Chang Chih-ming"), &opts)
        .unwrap();
    let name = &hits[0].explanation[0];
    assert!(name.detail.contains("chang=zhang(1.00)"), "{name:?}");
    assert!(name.detail.contains("chih=zhi(1.00)"), "{name:?}");
    // Another syllable is another name: Zhang Zhiping, Zhang Ming and Chang Chih-min are not him.
    for q in ["Zhang Zhiping", "Chang Chih-min", "Zhang Ming"] {
        let hits = index.screen(&Query::name(q), &opts).unwrap();
        assert!(hits.is_empty(), "{q}: {hits:?}");
    }
    let index = one_person_list(&["HSU Chien", "Chiang Ching-kuo"]);
    for q in ["Xu Qian", "Jiang Jingguo"] {
        assert_eq!(
            index.screen(&Query::name(q), &opts).unwrap().len(),
            1,
            "{q}"
        );
    }
}
