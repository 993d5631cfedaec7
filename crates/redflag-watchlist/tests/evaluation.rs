//! The labelled evaluation set (`bench/watchlist/eval_set.jsonl`, made by
//! `bench/watchlist/make_eval_set.py`) meets its targets at the default threshold: every non-typo
//! positive at rank 1 (ties included), at least 95 % of one-typo variants found, under 1 % of hard negatives
//! above the threshold (negatives equal to a listed name under romanisation equivalence set apart).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use redflag_watchlist::{EntityKind, Index, Query, ScreenOptions, builtin_snapshots};

#[derive(serde::Deserialize)]
struct Row {
    query: String,
    expect: Option<String>,
    variant: String,
    kind: Option<EntityKind>,
}

#[test]
fn labelled_set_meets_targets() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/watchlist/eval_set.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let index = Index::build(builtin_snapshots().unwrap());
    let all = ScreenOptions::default();
    let ofac = ScreenOptions {
        lists: vec!["us-ofac-sdn".into()],
        ..ScreenOptions::default()
    };
    let (mut pos, mut pos_ok, mut typo, mut typo_ok, mut neg, mut neg_hit) = (0, 0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Row = serde_json::from_str(line).unwrap();
        let mut q = Query::name(row.query.clone());
        q.kind = row.kind;
        match &row.expect {
            Some(expect) => {
                let hits = index.screen(&q, &ofac).unwrap();
                let top = hits.first().map(|m| m.score);
                let ok = hits.iter().any(|m| {
                    Some(m.score) == top && format!("{}:{}", m.list, m.entity_id) == *expect
                });
                if row.variant == "typo" {
                    typo += 1;
                    typo_ok += usize::from(ok);
                } else {
                    pos += 1;
                    pos_ok += usize::from(ok);
                    if !ok {
                        failures.push(format!(
                            "{:?} ({}) expected {expect}",
                            row.query, row.variant
                        ));
                    }
                }
            }
            None => {
                let hits = index.screen(&q, &all).unwrap();
                match hits.first() {
                    Some(m) if m.name_score >= 0.99 => {} // equal to a listed name: a correct name hit
                    Some(_) => {
                        neg += 1;
                        neg_hit += 1;
                    }
                    None => neg += 1,
                }
            }
        }
    }
    assert!(
        pos > 1500 && neg > 900,
        "set too small: {pos} positives, {neg} negatives"
    );
    assert_eq!(pos_ok, pos, "positives not at rank 1: {failures:#?}");
    assert!(typo_ok * 100 >= typo * 95, "typo recall {typo_ok}/{typo}");
    assert!(neg_hit * 100 < neg, "false hits {neg_hit}/{neg}");
}
