//! Reused phrase blocks (winnowing fingerprints, inverted index) at scale, on synthetic resumes generated
//! here from their id, so texts are never held in memory.
//!
//! `cargo bench -p redflag-identity --bench passages -- 100000 1000000`
//!
//! Each document is ~250 words drawn from a 20,000-word vocabulary with a skewed (Zipf-like) frequency.
//! Planted: one document in 100 carries a 40-word operator passage, the same passage in three consecutive
//! planted documents (so three pairs per passage) at a different place in each. Boilerplate: one document
//! in 20 carries the same 50-word bootcamp paragraph and one in 3 the same 25-word skills list; neither may
//! be reported. The bench reports the planted pairs the all-pairs search finds, the pairs found that were not
//! planted, and the per-document screening query.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use redflag_identity::resume::{PassageConfig, PassageIndex, fingerprints};

const VOCAB: usize = 20_000;
const WORDS: usize = 250;

fn word(i: usize) -> String {
    const SYL: [&str; 16] = [
        "ka", "lo", "mi", "ra", "te", "so", "nu", "vi", "de", "po", "sha", "ri", "gu", "le", "ta",
        "ne",
    ];
    let mut s = String::new();
    let mut n = i + 1;
    while n > 0 {
        s.push_str(SYL[n % 16]);
        n /= 16;
    }
    s
}

fn words(seed: u64, n: usize, vocab: &[String]) -> Vec<&str> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            // Skewed choice: cubes favour small indices (common words), like real text.
            let u: f64 = rng.r#gen();
            vocab[(((u * u * u) * VOCAB as f64) as usize).min(VOCAB - 1)].as_str()
        })
        .collect()
}

fn is_planted(id: usize) -> bool {
    id % 100 == 7
}

/// The passage group of a planted document: three consecutive planted documents share one passage.
fn group(id: usize) -> usize {
    id / 300
}

fn text(id: usize, vocab: &[String]) -> String {
    let mut w = words(id as u64, WORDS, vocab);
    if id.is_multiple_of(3) {
        let skills = words(0x0005_1115, 25, vocab);
        let at = (id * 7) % w.len();
        w.splice(at..at, skills);
    }
    if id.is_multiple_of(20) {
        let bootcamp = words(0xb007, 50, vocab);
        let at = (id * 11) % w.len();
        w.splice(at..at, bootcamp);
    }
    if is_planted(id) {
        let passage = words(0xface_0000 + group(id) as u64, 40, vocab);
        let at = (id * 13) % w.len();
        w.splice(at..at, passage);
    }
    w.join(" ")
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn run(n: usize, vocab: &[String]) {
    let config = PassageConfig::default();
    let t = Instant::now();
    let bytes: usize = (0..n).into_par_iter().map(|i| text(i, vocab).len()).sum();
    let gen_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let fps: Vec<Vec<u64>> = (0..n)
        .into_par_iter()
        .map(|i| fingerprints(&text(i, vocab), &config))
        .collect();
    let fp_s = t.elapsed().as_secs_f64() - gen_s;

    let t = Instant::now();
    let index = PassageIndex::build(config, fps);
    let build_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let candidates = index.pairs();
    let pairs_s = t.elapsed().as_secs_f64();

    // Verification: reassemble the passages of every candidate pair (texts regenerated, time included).
    let t = Instant::now();
    let confirmed: Vec<(u32, u32, usize)> = candidates
        .par_iter()
        .filter_map(|&(a, b, _)| {
            let p = index.shared_passages(&text(a as usize, vocab), &text(b as usize, vocab));
            p.first().map(|p| (a, b, p.words))
        })
        .collect();
    let verify_s = t.elapsed().as_secs_f64();
    let is_planted_pair = |a: u32, b: u32| {
        let (a, b) = (a as usize, b as usize);
        is_planted(a) && is_planted(b) && group(a) == group(b)
    };
    let planted_pairs: usize = {
        let mut per_group = std::collections::HashMap::new();
        for id in (0..n).filter(|&i| is_planted(i)) {
            *per_group.entry(group(id)).or_insert(0usize) += 1;
        }
        per_group.values().map(|m| m * (m - 1) / 2).sum()
    };
    let found = confirmed
        .iter()
        .filter(|(a, b, _)| is_planted_pair(*a, *b))
        .count();
    let other = confirmed.len() - found;
    let min_words = confirmed
        .iter()
        .filter(|(a, b, _)| is_planted_pair(*a, *b))
        .map(|p| p.2)
        .min()
        .unwrap_or(0);

    // Screening one resume against the index: fingerprints, candidates, passages (text generation of the
    // query and the candidates included).
    let queries: Vec<usize> = (0..n).filter(|&i| is_planted(i)).take(10_000).collect();
    let t = Instant::now();
    let mut recall = 0;
    let mut expected = 0;
    for &q in &queries {
        let qt = text(q, vocab);
        let fq = fingerprints(&qt, index.config());
        let hits: Vec<usize> = index
            .candidates(&fq, Some(q as u32))
            .into_iter()
            .filter(|(d, _)| {
                !index
                    .shared_passages(&qt, &text(*d as usize, vocab))
                    .is_empty()
            })
            .map(|(d, _)| d as usize)
            .collect();
        let want = (group(q) * 300..(group(q) + 1) * 300)
            .filter(|&i| i < n && i != q && is_planted(i))
            .count();
        expected += want;
        recall += hits
            .iter()
            .filter(|&&d| is_planted(d) && group(d) == group(q))
            .count();
    }
    let query_us = t.elapsed().as_secs_f64() * 1e6 / queries.len() as f64;

    println!(
        "n={n} text_bytes={bytes} | fingerprints {fp_s:.2}s ({:.1} µs/doc, 2 threads), {} entries | index build {build_s:.2}s | \
         candidate pairs {pairs_s:.2}s: {} | verify {verify_s:.2}s | planted pairs found {found}/{planted_pairs} (shortest {min_words} words), \
         other pairs reported {other} | query {query_us:.0} µs (recall {recall}/{expected}) | peak RSS {:.0} MB | text generation {gen_s:.2}s (excluded from fingerprints)",
        fp_s * 1e6 / n as f64,
        index.entries(),
        candidates.len(),
        peak_rss_mb()
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000]
    } else {
        sizes
    };
    let vocab: Vec<String> = (0..VOCAB).map(word).collect();
    for n in sizes {
        run(n, &vocab);
    }
}
