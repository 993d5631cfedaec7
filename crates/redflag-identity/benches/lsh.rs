//! MinHash/LSH build and query at scale, on synthetic resumes generated here.
//!
//! `cargo bench -p redflag-identity --bench lsh -- 100000 1000000`
//!
//! Each document is ~250 words drawn from a 20,000-word vocabulary with a skewed (Zipf-like) frequency,
//! generated from its id, so texts are never held in memory. One document in 100 is a near-duplicate of an
//! earlier one (about 3 % of its words replaced: names, employers, a few phrases); the bench reports how many of those planted pairs the
//! all-pairs search and the per-document query find.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use redflag_identity::resume::{LshIndex, MinHashConfig, MinHasher, Signature};

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

fn base_text(id: usize, vocab: &[String]) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(id as u64);
    let mut out = String::with_capacity(WORDS * 8);
    for _ in 0..WORDS {
        // Skewed choice: squares favour small indices (common words), like real text.
        let u: f64 = rng.r#gen();
        let w = ((u * u * u) * VOCAB as f64) as usize;
        out.push_str(&vocab[w.min(VOCAB - 1)]);
        out.push(' ');
    }
    out
}

/// Document `id`: every 100th document (id % 100 == 99) copies document `id - 37` with ~3 % of its
/// words replaced.
fn text(id: usize, vocab: &[String]) -> String {
    if id % 100 == 99 {
        let original = base_text(id - 37, vocab);
        let mut rng = ChaCha8Rng::seed_from_u64(0xd00d ^ id as u64);
        original
            .split(' ')
            .map(|w| {
                if rng.gen_bool(0.03) {
                    vocab[rng.gen_range(0..VOCAB)].as_str()
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        base_text(id, vocab)
    }
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
    let hasher = MinHasher::new(MinHashConfig::default());
    let t = Instant::now();
    let total_words: usize = (0..n).into_par_iter().map(|i| text(i, vocab).len()).sum();
    let gen_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let sigs: Vec<Signature> = (0..n)
        .into_par_iter()
        .map(|i| hasher.signature(&text(i, vocab)))
        .collect();
    let sig_s = t.elapsed().as_secs_f64() - gen_s;

    let t = Instant::now();
    let index = LshIndex::build(&hasher, &sigs);
    let build_s = t.elapsed().as_secs_f64();

    let queries: Vec<usize> = (0..n).filter(|i| i % 100 == 99).take(10_000).collect();
    let t = Instant::now();
    let found: usize = queries
        .iter()
        .filter(|&&q| {
            index
                .query(&sigs[q])
                .iter()
                .any(|(id, _)| *id as usize == q - 37)
        })
        .count();
    let query_us = t.elapsed().as_secs_f64() * 1e6 / queries.len() as f64;

    let t = Instant::now();
    let (pairs, skipped) = index.pairs();
    let pairs_s = t.elapsed().as_secs_f64();
    let planted = (0..n).filter(|i| i % 100 == 99).count();
    let planted_found = pairs
        .iter()
        .filter(|(a, b, _)| (*b as usize) % 100 == 99 && *b as usize - 37 == *a as usize)
        .count();
    let false_pairs = pairs.len() - planted_found;

    println!(
        "n={n} text_bytes={total_words} | signatures {sig_s:.2}s ({:.1} µs/doc, 2 threads) | index build {build_s:.2}s | \
         query {query_us:.1} µs (recall {found}/{}) | all pairs {pairs_s:.2}s: {} pairs, planted found {planted_found}/{planted}, \
         other pairs {false_pairs}, skipped buckets {skipped} | peak RSS {:.0} MB | text generation {gen_s:.2}s (excluded)",
        sig_s * 1e6 / n as f64,
        queries.len(),
        pairs.len(),
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
