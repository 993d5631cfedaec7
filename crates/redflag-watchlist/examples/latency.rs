//! Measures index build time, single-query latency (p50, p99) and throughput per core on the labelled
//! query set, over the vendored lists (OFAC SDN + UN), plus a synthetic list of N entities.
//!
//! `cargo run -p redflag-watchlist --release --example latency -- bench/watchlist/eval_set.jsonl [synthetic_n]`

use std::time::{Duration, Instant};

use redflag_watchlist::{
    Entity, EntityKind, EntityName, Index, ListInfo, ListSnapshot, NameStrength, Query,
    ScreenOptions, builtin_snapshots,
};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn run(index: &Index, queries: &[String], label: &str) {
    let opts = ScreenOptions::default();
    // warm-up
    for q in queries.iter().take(200) {
        let _ = index.screen(&Query::name(q.clone()), &opts);
    }
    let mut times = Vec::with_capacity(queries.len());
    let start = Instant::now();
    let mut hits = 0usize;
    for q in queries {
        let query = Query::name(q.clone());
        let t = Instant::now();
        hits += index.screen(&query, &opts).map(|m| m.len()).unwrap_or(0);
        times.push(t.elapsed());
    }
    let total = start.elapsed();
    let mut slowest: Vec<(Duration, &String)> = times.iter().copied().zip(queries).collect();
    slowest.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (d, q) in slowest.iter().take(5) {
        println!("  slow: {q:?} {:.0} µs", d.as_secs_f64() * 1e6);
    }
    times.sort();
    println!(
        "{label}: {} queries, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs, throughput {:.0} queries/s on one core ({} matches)",
        queries.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1e6),
        queries.len() as f64 / total.as_secs_f64(),
        hits
    );
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A synthetic list of `n` entities with realistic names: combinations of family and given names seen on
/// the real lists.
fn synthetic(n: usize, real: &[ListSnapshot]) -> ListSnapshot {
    let mut family = Vec::new();
    let mut given = Vec::new();
    for s in real {
        for e in &s.entities {
            let words: Vec<&str> = e.primary_name().split_whitespace().collect();
            if e.kind == EntityKind::Person && words.len() >= 2 {
                family.push(words[0].to_string());
                given.push(words[1..].join(" "));
            }
        }
    }
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let entities = (0..n)
        .map(|i| {
            let f = &family[(next() % family.len() as u64) as usize];
            let g = &given[(next() % given.len() as u64) as usize];
            let g2 = &given[(next() % given.len() as u64) as usize];
            let mut e = Entity::new(format!("S{i}"), EntityKind::Person);
            e.names.push(EntityName {
                full: format!("{f} {g}"),
                strength: NameStrength::Primary,
                alias_type: None,
                script: None,
                parts: Vec::new(),
            });
            e.names.push(EntityName {
                full: format!("{g2} {f}"),
                strength: NameStrength::Strong,
                alias_type: None,
                script: None,
                parts: Vec::new(),
            });
            e
        })
        .collect::<Vec<_>>();
    ListSnapshot {
        info: ListInfo {
            id: "synthetic".into(),
            name: "synthetic".into(),
            version: "1".into(),
            published: None,
            source_url: String::new(),
            format: "synthetic".into(),
            entity_count: n,
            sha256: String::new(),
        },
        entities,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: latency EVAL_SET.jsonl [synthetic_n]")?;
    let queries: Vec<String> = std::fs::read_to_string(path)?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("query").and_then(|q| q.as_str()).map(str::to_string))
        .collect();
    let rss0 = rss_kb();
    let t = Instant::now();
    let snapshots = builtin_snapshots()?;
    let load = t.elapsed();
    let t = Instant::now();
    let index = Index::build(snapshots.clone());
    let build = t.elapsed();
    println!(
        "lists {}: {} entities; load (decompress + parse compact) {:.0} ms, index build {:.0} ms, resident memory +{} MB",
        index.versions().join(", "),
        index.entity_count(),
        load.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3,
        (rss_kb().saturating_sub(rss0)) / 1024
    );
    run(&index, &queries, "official lists");
    let wallet = Query::default().with_wallet("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c");
    let t = Instant::now();
    for _ in 0..10_000 {
        let _ = index.screen(&wallet, &ScreenOptions::default());
    }
    println!(
        "exact wallet query: {:.2} µs each",
        t.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
    if let Some(n) = args.get(2).and_then(|n| n.parse::<usize>().ok()) {
        drop(index);
        let rss0 = rss_kb();
        let syn = synthetic(n, &snapshots);
        let t = Instant::now();
        let index = Index::build(vec![syn]);
        println!(
            "synthetic list of {n} entities ({} names): index build {:.1} s, resident memory +{} MB",
            2 * n,
            t.elapsed().as_secs_f64(),
            (rss_kb().saturating_sub(rss0)) / 1024
        );
        run(&index, &queries, "synthetic list");
    }
    Ok(())
}
