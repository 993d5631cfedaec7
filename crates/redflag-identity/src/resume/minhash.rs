//! MinHash signatures over word shingles and a banded LSH index built as sorted tables, for finding
//! near-duplicate resumes among a million.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// Parameters of the MinHash/LSH index.
#[derive(Debug, Clone, PartialEq)]
pub struct MinHashConfig {
    /// Hash functions per signature (default 128).
    pub num_perm: usize,
    /// LSH bands; `num_perm` must be a multiple (default 32 bands of 4 rows: two texts with Jaccard 0.5
    /// become candidates with probability 0.87, at 0.6 with 0.99, at 0.2 with 0.05).
    pub bands: usize,
    /// Words per shingle (default 5).
    pub shingle_words: usize,
    /// Estimated Jaccard similarity at or above which two texts are near-duplicates (default 0.5).
    pub threshold: f64,
    /// LSH buckets with more members than this are skipped when listing all pairs: a bucket that large
    /// is shared boilerplate, not a template (default 2 000).
    pub max_bucket: usize,
    /// Seed of the hash functions; two indexes compare only when built with the same seed.
    pub seed: u64,
}

impl Default for MinHashConfig {
    fn default() -> Self {
        Self {
            num_perm: 128,
            bands: 32,
            shingle_words: 5,
            threshold: 0.5,
            max_bucket: 2_000,
            seed: 0x7265_6466_6c61_6721,
        }
    }
}

/// A MinHash signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub Vec<u32>);

impl Signature {
    /// The estimated Jaccard similarity: the share of positions where two signatures agree.
    pub fn jaccard(&self, other: &Signature) -> f64 {
        estimate(&self.0, &other.0)
    }

    /// Whether the text had no words (such signatures never match).
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&v| v == u32::MAX)
    }
}

fn estimate(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() || a.iter().all(|&v| v == u32::MAX) {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
}

/// Lower-case words of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The distinct hashed shingles of a text (`k` consecutive words). A text shorter than `k` words is one
/// shingle.
pub fn shingles(text: &str, k: usize) -> Vec<u64> {
    let hashes: Vec<u64> = words(text).map(|w| xxh3_64(w.as_bytes())).collect();
    let k = k.max(1);
    let mut out: Vec<u64> = if hashes.is_empty() {
        Vec::new()
    } else if hashes.len() < k {
        vec![combine(&hashes)]
    } else {
        hashes.windows(k).map(combine).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn combine(window: &[u64]) -> u64 {
    let mut bytes = Vec::with_capacity(window.len() * 8);
    for h in window {
        bytes.extend_from_slice(&h.to_le_bytes());
    }
    xxh3_64(&bytes)
}

/// Computes signatures with `num_perm` multiply-shift hash functions of one 64-bit shingle hash.
#[derive(Debug, Clone)]
pub struct MinHasher {
    config: MinHashConfig,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl MinHasher {
    /// A hasher for a configuration. `num_perm` is rounded up to a multiple of `bands`.
    pub fn new(mut config: MinHashConfig) -> Self {
        config.bands = config.bands.max(1);
        config.num_perm = config.num_perm.max(config.bands).div_ceil(config.bands) * config.bands;
        let a = (0..config.num_perm as u64)
            .map(|i| xxh3_64_with_seed(&i.to_le_bytes(), config.seed) | 1)
            .collect();
        let b = (0..config.num_perm as u64)
            .map(|i| xxh3_64_with_seed(&i.to_le_bytes(), config.seed ^ 0x9e37_79b9_7f4a_7c15))
            .collect();
        Self { config, a, b }
    }

    /// The configuration in force.
    pub fn config(&self) -> &MinHashConfig {
        &self.config
    }

    /// The signature of a text.
    pub fn signature(&self, text: &str) -> Signature {
        self.signature_of_shingles(&shingles(text, self.config.shingle_words))
    }

    /// The signature of precomputed shingle hashes.
    pub fn signature_of_shingles(&self, shingles: &[u64]) -> Signature {
        let mut sig = vec![u32::MAX; self.config.num_perm];
        for &x in shingles {
            for ((slot, &a), &b) in sig.iter_mut().zip(&self.a).zip(&self.b) {
                let h = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                if h < *slot {
                    *slot = h;
                }
            }
        }
        Signature(sig)
    }
}

/// A banded LSH index over signatures. Each band is one sorted vector of `(band hash, document)`, so the
/// index is two flat allocations per band rather than millions of small hash-map buckets: 1 M documents
/// with 32 bands take 512 MB of signatures plus 512 MB of tables, and a lookup is a binary search.
#[derive(Debug, Clone)]
pub struct LshIndex {
    config: MinHashConfig,
    rows: usize,
    signatures: Vec<u32>,
    tables: Vec<Vec<(u64, u32)>>,
}

impl LshIndex {
    /// Builds the index over signatures made by `hasher`; document `i` is `signatures[i]`. Empty
    /// signatures are kept (so ids stay positions) but never put in a bucket.
    pub fn build(hasher: &MinHasher, signatures: &[Signature]) -> Self {
        let config = hasher.config().clone();
        let rows = config.num_perm / config.bands;
        let mut flat = Vec::with_capacity(signatures.len() * config.num_perm);
        for s in signatures {
            let mut row = s.0.clone();
            row.resize(config.num_perm, u32::MAX);
            flat.extend_from_slice(&row);
        }
        let n = signatures.len();
        let tables = (0..config.bands)
            .into_par_iter()
            .map(|band| {
                let mut table: Vec<(u64, u32)> = (0..n)
                    .filter(|&i| !signatures[i].is_empty())
                    .map(|i| {
                        let start = i * config.num_perm + band * rows;
                        (band_key(&flat[start..start + rows]), i as u32)
                    })
                    .collect();
                table.sort_unstable();
                table
            })
            .collect();
        Self {
            config,
            rows,
            signatures: flat,
            tables,
        }
    }

    /// The number of documents.
    pub fn len(&self) -> usize {
        self.signatures.len() / self.config.num_perm.max(1)
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stored signature of a document.
    pub fn signature(&self, id: u32) -> &[u32] {
        let k = self.config.num_perm;
        let start = id as usize * k;
        &self.signatures[start..start + k]
    }

    /// Documents whose estimated similarity to `signature` is at least the threshold, best first.
    pub fn query(&self, signature: &Signature) -> Vec<(u32, f64)> {
        if signature.is_empty() || signature.0.len() != self.config.num_perm {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        for (band, table) in self.tables.iter().enumerate() {
            let key = band_key(&signature.0[band * self.rows..(band + 1) * self.rows]);
            let start = table.partition_point(|(k, _)| *k < key);
            for (k, id) in &table[start..] {
                if *k != key {
                    break;
                }
                seen.insert(*id);
            }
        }
        let mut out: Vec<(u32, f64)> = seen
            .into_iter()
            .map(|id| (id, estimate(&signature.0, self.signature(id))))
            .filter(|(_, s)| *s >= self.config.threshold)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Every pair of documents at or above the threshold, `(i, j, similarity)` with `i < j`, sorted. Also
    /// returns how many buckets were skipped as larger than `max_bucket`.
    pub fn pairs(&self) -> (Vec<(u32, u32, f64)>, usize) {
        // Each band's buckets are read on the rayon pool and a pair is kept only when its estimate reaches
        // the threshold (the estimate depends on the two signatures alone, so judging a pair in every band
        // it meets gives the same answer): the candidate pairs of template buckets are never held at once.
        let per_band: Vec<(Vec<ScoredPair>, usize)> = self
            .tables
            .par_iter()
            .map(|table| {
                let mut buckets = Vec::new();
                let mut skipped = 0;
                let mut start = 0;
                while start < table.len() {
                    let key = table[start].0;
                    let end = start + table[start..].partition_point(|(k, _)| *k == key);
                    let len = end - start;
                    if len > self.config.max_bucket {
                        skipped += 1;
                    } else if len >= 2 {
                        buckets.push(start..end);
                    }
                    start = end;
                }
                let pairs: Vec<(u32, u32, f64)> = buckets
                    .into_par_iter()
                    .flat_map_iter(|range| {
                        let bucket = &table[range];
                        let mut out = Vec::new();
                        for (x, (_, a)) in bucket.iter().enumerate() {
                            let sa = self.signature(*a);
                            for (_, b) in &bucket[x + 1..] {
                                let s = estimate(sa, self.signature(*b));
                                if s >= self.config.threshold {
                                    out.push(((*a).min(*b), (*a).max(*b), s));
                                }
                            }
                        }
                        out
                    })
                    .collect();
                (pairs, skipped)
            })
            .collect();
        let mut out: Vec<(u32, u32, f64)> = Vec::new();
        let mut skipped = 0;
        for (pairs, s) in per_band {
            out.extend(pairs);
            skipped += s;
        }
        out.par_sort_unstable_by_key(|x| (x.0, x.1));
        out.dedup_by_key(|x| (x.0, x.1));
        (out, skipped)
    }
}

/// Two documents and their estimated similarity.
type ScoredPair = (u32, u32, f64);

fn band_key(rows: &[u32]) -> u64 {
    let mut bytes = [0u8; 64];
    let mut len = 0;
    for (chunk, v) in bytes.chunks_exact_mut(4).zip(rows) {
        chunk.copy_from_slice(&v.to_le_bytes());
        len += 4;
    }
    if rows.len() <= 16 {
        xxh3_64(&bytes[..len])
    } else {
        let all: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
        xxh3_64(&all)
    }
}

/// The longest passages (runs of at least `min_words` words) two texts share, longest first, at most
/// `max` of them, each as the words of `a`.
pub fn matched_passages(a: &str, b: &str, min_words: usize, max: usize) -> Vec<String> {
    let wa: Vec<String> = words(a).collect();
    let wb: Vec<String> = words(b).collect();
    let k = min_words.max(1);
    if wa.len() < k || wb.len() < k {
        return Vec::new();
    }
    let hash_at = |w: &[String], i: usize| {
        let joined = w[i..i + k].join(" ");
        xxh3_64(joined.as_bytes())
    };
    let mut starts_b: HashMap<u64, Vec<usize>> = HashMap::new();
    for j in 0..=wb.len() - k {
        starts_b.entry(hash_at(&wb, j)).or_default().push(j);
    }
    let mut covered = vec![false; wa.len()];
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i + k <= wa.len() {
        if covered[i] {
            i += 1;
            continue;
        }
        let mut best = 0;
        if let Some(js) = starts_b.get(&hash_at(&wa, i)) {
            for &j in js {
                let mut len = 0;
                while i + len < wa.len() && j + len < wb.len() && wa[i + len] == wb[j + len] {
                    len += 1;
                }
                best = best.max(len);
            }
        }
        if best >= k {
            runs.push((i, best));
            for c in covered.iter_mut().skip(i).take(best) {
                *c = true;
            }
            i += best;
        } else {
            i += 1;
        }
    }
    runs.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    runs.into_iter()
        .take(max)
        .map(|(start, len)| wa[start..start + len].join(" "))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> MinHasher {
        MinHasher::new(MinHashConfig::default())
    }

    #[test]
    fn estimates_track_true_jaccard() {
        let h = hasher();
        let base: Vec<String> = (0..400).map(|i| format!("word{i}")).collect();
        let a = base.join(" ");
        // Replace the last 100 words: shingle Jaccard of about 0.6.
        let mut changed = base.clone();
        for w in changed.iter_mut().skip(300) {
            w.push('x');
        }
        let b = changed.join(" ");
        let sa = shingles(&a, 5);
        let sb = shingles(&b, 5);
        let inter = sa.iter().filter(|x| sb.binary_search(x).is_ok()).count() as f64;
        let truth = inter / (sa.len() as f64 + sb.len() as f64 - inter);
        let est = h.signature(&a).jaccard(&h.signature(&b));
        assert!((est - truth).abs() < 0.12, "estimate {est}, truth {truth}");
        assert_eq!(h.signature(&a).jaccard(&h.signature(&a)), 1.0);
        assert_eq!(h.signature("").jaccard(&h.signature("")), 0.0);
    }

    #[test]
    fn index_finds_near_duplicates_and_not_strangers() {
        let h = hasher();
        let text = |seed: usize, n: usize| {
            (0..n)
                .map(|i| format!("w{}", (i * 7919 + seed * 104729) % 100_003))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let original = text(1, 300);
        let edited = original.replacen("w", "q", 20); // a few words changed near the start
        let docs = [
            original.clone(),
            text(2, 300),
            edited,
            text(3, 300),
            String::new(),
        ];
        let sigs: Vec<Signature> = docs.iter().map(|d| h.signature(d)).collect();
        let index = LshIndex::build(&h, &sigs);
        assert_eq!(index.len(), 5);
        let hits = index.query(&sigs[0]);
        let ids: Vec<u32> = hits.iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![0, 2]);
        let (pairs, skipped) = index.pairs();
        assert_eq!(
            pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
            vec![(0, 2)]
        );
        assert_eq!(skipped, 0);
        assert!(index.query(&sigs[4]).is_empty());
    }

    #[test]
    fn pairs_are_every_bucket_pair_at_the_threshold_and_skip_full_buckets() {
        let h = MinHasher::new(MinHashConfig {
            max_bucket: 6,
            ..MinHashConfig::default()
        });
        // A template many texts share with small edits (big buckets), a family of near-copies, strangers.
        let template: Vec<String> = (0..200).map(|i| format!("t{i}")).collect();
        let mut docs: Vec<String> = Vec::new();
        for d in 0..30 {
            let mut w = template.clone();
            for k in 0..(d % 7) * 12 {
                w[(k * 13 + d) % 200] = format!("e{d}x{k}");
            }
            docs.push(w.join(" "));
        }
        for d in 0..40 {
            docs.push(
                (0..150)
                    .map(|i| format!("s{d}w{i}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        docs.push(String::new());
        let sigs: Vec<Signature> = docs.iter().map(|d| h.signature(d)).collect();
        let index = LshIndex::build(&h, &sigs);
        // Every pair sharing a band bucket of at most `max_bucket` members, judged by its estimate.
        let rows = h.config().num_perm / h.config().bands;
        let mut expect: Vec<(u32, u32, f64)> = Vec::new();
        let mut skipped = 0;
        for band in 0..h.config().bands {
            let key = |i: usize| band_key(&sigs[i].0[band * rows..(band + 1) * rows]);
            let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
            for i in (0..docs.len()).filter(|&i| !sigs[i].is_empty()) {
                buckets.entry(key(i)).or_default().push(i);
            }
            for bucket in buckets.values() {
                if bucket.len() > 6 {
                    skipped += 1;
                    continue;
                }
                for (x, &a) in bucket.iter().enumerate() {
                    for &b in &bucket[x + 1..] {
                        let s = sigs[a].jaccard(&sigs[b]);
                        if s >= 0.5 {
                            expect.push((a.min(b) as u32, a.max(b) as u32, s));
                        }
                    }
                }
            }
        }
        expect.sort_by_key(|x| (x.0, x.1));
        expect.dedup_by_key(|x| (x.0, x.1));
        let (pairs, skipped_found) = index.pairs();
        assert_eq!(pairs, expect);
        assert_eq!(skipped_found, skipped);
        assert!(skipped > 0, "the template fills some buckets");
        assert!(!pairs.is_empty());
    }

    #[test]
    fn passages_are_the_shared_runs() {
        let a = "Led the migration of payment services to Kubernetes on AWS, cutting costs by forty percent. Enjoys chess.";
        let b = "Built things. Led the migration of payment services to Kubernetes on AWS, cutting costs by forty percent.";
        assert_eq!(
            matched_passages(a, b, 6, 3),
            vec![
                "led the migration of payment services to kubernetes on aws cutting costs by forty percent"
            ]
        );
        assert!(matched_passages("short text", b, 6, 3).is_empty());
    }
}
