//! Runs the labelled evaluation set (`bench/watchlist/eval_set.jsonl`) against the vendored lists and
//! prints recall, rank-1 rate and false-hit rate by variant, as Markdown.
//!
//! `cargo run -p redflag-watchlist --release --example evaluate -- bench/watchlist/eval_set.jsonl [threshold]`

use std::collections::BTreeMap;
use std::io::BufRead;

use redflag_watchlist::{Index, Query, ScreenOptions, builtin_snapshots};

#[derive(serde::Deserialize)]
struct Row {
    query: String,
    expect: Option<String>,
    variant: String,
    #[serde(default)]
    kind: Option<redflag_watchlist::EntityKind>,
}

#[derive(Default)]
struct Tally {
    total: usize,
    rank1: usize,
    found: usize,
    false_hits: usize,
    collisions: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: evaluate EVAL_SET.jsonl [threshold]")?;
    let mut options = ScreenOptions::default();
    if let Some(t) = args.get(2) {
        options.threshold = t.parse()?;
    }
    let index = Index::build(builtin_snapshots()?);
    let ofac_only = ScreenOptions {
        lists: vec!["us-ofac-sdn".into()],
        ..options.clone()
    };
    let mut collisions = Vec::new();
    let mut by_variant: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    for line in file.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(&line)?;
        // Labels are OFAC SDN entries: positives are screened against that list (the UN list holds the
        // same parties under other ids); negatives against every list.
        let opts = if row.expect.is_some() {
            &ofac_only
        } else {
            &options
        };
        let mut query = Query::name(row.query.clone());
        query.kind = row.kind;
        let hits = index.screen(&query, opts)?;
        let t = by_variant.entry(row.variant.clone()).or_default();
        t.total += 1;
        match &row.expect {
            Some(expect) => {
                let key = |m: &redflag_watchlist::Match| format!("{}:{}", m.list, m.entity_id);
                // Rank 1, ties included: two listed parties may bear the very same name.
                let top = hits.first().map(|m| m.score);
                if hits
                    .iter()
                    .any(|m| Some(m.score) == top && key(m) == *expect)
                {
                    t.rank1 += 1;
                    t.found += 1;
                } else if hits.iter().any(|m| key(m) == *expect) {
                    t.found += 1;
                    failures.push(format!(
                        "not rank 1: {:?} ({}) expected {expect}, rank 1 {} {:?} {:.3}",
                        row.query,
                        row.variant,
                        key(&hits[0]),
                        hits[0].entity_name,
                        hits[0].score
                    ));
                } else {
                    failures.push(format!(
                        "missed: {:?} ({}) expected {expect}",
                        row.query, row.variant
                    ));
                }
            }
            None => {
                if let Some(m) = hits.first() {
                    if m.name_score >= 0.99 {
                        // The name *is* a listed name under romanisation equivalence (e.g. "Kim Hyun-woo" =
                        // the alias "Kim Hyon U"): a correct name hit, counted apart.
                        collisions.push(format!(
                            "{:?} = listed name {:?} of {}:{} {:?}",
                            row.query,
                            m.matched_name.as_deref().unwrap_or(""),
                            m.list,
                            m.entity_id,
                            m.entity_name
                        ));
                        t.collisions += 1;
                        continue;
                    }
                    t.false_hits += 1;
                    failures.push(format!(
                        "false hit: {:?} -> {}:{} {:?} {:.3}",
                        row.query, m.list, m.entity_id, m.entity_name, m.score
                    ));
                }
            }
        }
    }
    println!(
        "threshold {:.2}, top-k {}, lists {}\n",
        options.threshold,
        options.top_k,
        index.versions().join(", ")
    );
    println!(
        "| variant | queries | found (top-k) | rank 1 | false hits above threshold | equal to a listed name |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let (mut pt, mut pf, mut p1, mut nt, mut nf, mut nc) = (0, 0, 0, 0, 0, 0);
    for (v, t) in &by_variant {
        if v.starts_with("negative") {
            nt += t.total - t.collisions;
            nf += t.false_hits;
            nc += t.collisions;
            println!(
                "| {v} | {} | – | – | {} ({:.2} %) | {} |",
                t.total - t.collisions,
                t.false_hits,
                100.0 * t.false_hits as f64 / (t.total - t.collisions).max(1) as f64,
                t.collisions
            );
        } else {
            pt += t.total;
            pf += t.found;
            p1 += t.rank1;
            println!(
                "| {v} | {} | {} ({:.1} %) | {} ({:.1} %) | – | – |",
                t.total,
                t.found,
                100.0 * t.found as f64 / t.total as f64,
                t.rank1,
                100.0 * t.rank1 as f64 / t.total as f64
            );
        }
    }
    println!(
        "| **all positives** | {pt} | {pf} ({:.1} %) | {p1} ({:.1} %) | – | – |",
        100.0 * pf as f64 / pt.max(1) as f64,
        100.0 * p1 as f64 / pt.max(1) as f64
    );
    println!(
        "| **all negatives** | {nt} | – | – | {nf} ({:.2} %) | {nc} |",
        100.0 * nf as f64 / nt.max(1) as f64
    );
    println!(
        "\nNegatives equal to a listed name under romanisation equivalence ({}):\n",
        collisions.len()
    );
    for c in &collisions {
        println!("- {c}");
    }
    println!("\n{} failures:\n", failures.len());
    for f in &failures {
        println!("- {f}");
    }
    Ok(())
}
