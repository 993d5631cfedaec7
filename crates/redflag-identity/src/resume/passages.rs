//! Reused phrase blocks: passages that otherwise different resumes share word for word (an operator's stock
//! "About me" paragraph or project description pasted into many personas' resumes).
//!
//! Method: winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document
//! fingerprinting", SIGMOD 2003). A text becomes normalised words (lower case, letters and digits), the
//! words become hashed `k`-word grams, and in every window of `w` consecutive grams the smallest hash is kept
//! as a fingerprint (the rightmost on ties, once per run). Any passage of at least `k + w - 1` words shared by
//! two texts therefore yields at least one common fingerprint, and the fingerprints of a passage do not depend
//! on the text around it. An inverted index maps each fingerprint to the documents holding it; a fingerprint
//! held by more than `max_df` documents is **boilerplate** (a common skills list, "references available on
//! request", a bootcamp template) and is never a seed for a match. Passages are then reassembled from the two
//! texts: each shared, non-boilerplate fingerprint is extended word by word to the longest common run, the
//! words covered by boilerplate fingerprints are cut out, and what remains is reported when it is at least
//! `min_passage_words` long.
//!
//! The index is one sorted vector of `(fingerprint, document)` pairs (12 bytes of payload each, about 55 per
//! 250-word resume), so a million resumes index in well under a gigabyte and a lookup is a binary search.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::minhash::words;

/// Parameters of phrase-block detection.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageConfig {
    /// Words per gram (the noise threshold `k`, default 6): shorter shared runs are never seen.
    pub gram_words: usize,
    /// Grams per winnowing window (`w`, default 8): any shared run of `k + w - 1` = 13 words or more is
    /// guaranteed a common fingerprint. A fingerprint is kept for about `2 / (w + 1)` of the grams.
    pub window: usize,
    /// A fingerprint held by more documents than this is boilerplate (default 10). It is never a seed and its
    /// words are cut out of reported passages, so text that dozens of resumes share does not count.
    pub max_df: usize,
    /// The shortest passage reported, in words (default 20).
    pub min_passage_words: usize,
}

impl Default for PassageConfig {
    fn default() -> Self {
        Self {
            gram_words: 6,
            window: 8,
            max_df: 10,
            min_passage_words: 20,
        }
    }
}

/// One passage two texts share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPassage {
    /// The passage as normalised words joined by spaces (lower case, punctuation dropped).
    pub text: String,
    /// Its length in words.
    pub words: usize,
    /// Its first word's position in the first text (in normalised words).
    pub start_a: usize,
    /// Its first word's position in the second text.
    pub start_b: usize,
}

/// A text cut into normalised words with its gram hashes.
struct Grams {
    words: Vec<String>,
    grams: Vec<u64>,
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: spreads the gram hash over all 64 bits before the minimum is taken.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn grams(text: &str, k: usize) -> Grams {
    let words: Vec<String> = words(text).collect();
    let hashes: Vec<u64> = words.iter().map(|w| xxh3_64(w.as_bytes())).collect();
    let grams = gram_hashes(&hashes, k);
    Grams { words, grams }
}

/// The hashes of the `k`-word grams of a text's word hashes (none when it has fewer than `k` words).
fn gram_hashes(hashes: &[u64], k: usize) -> Vec<u64> {
    let k = k.max(1);
    if hashes.len() < k {
        return Vec::new();
    }
    hashes
        .windows(k)
        .map(|win| {
            mix(win.iter().fold(0x5041_5353_4147_4553, |h, &w| {
                (h.rotate_left(23) ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            }))
        })
        .collect()
}

/// The hashes of a text's normalised words (as [`grams`] makes them), without keeping the words: an
/// ASCII word is lower-cased into one reused buffer.
fn word_hashes(text: &str) -> Vec<u64> {
    let mut buf: Vec<u8> = Vec::new();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.is_ascii() {
                buf.clear();
                buf.extend(w.bytes().map(|b| b.to_ascii_lowercase()));
                xxh3_64(&buf)
            } else {
                xxh3_64(w.to_lowercase().as_bytes())
            }
        })
        .collect()
}

/// The positions of the grams winnowing keeps: in each window of `w` grams the smallest hash, the rightmost
/// on ties, each position once. A text with fewer than `w` grams keeps its smallest.
fn winnow_positions(grams: &[u64], w: usize) -> Vec<usize> {
    let w = w.max(1);
    let mut out: Vec<usize> = Vec::new();
    if grams.is_empty() {
        return out;
    }
    let last_start = grams.len().saturating_sub(w);
    for start in 0..=last_start {
        let end = (start + w).min(grams.len());
        let mut best = start;
        for p in start..end {
            if grams[p] <= grams[best] {
                best = p;
            }
        }
        if out.last() != Some(&best) {
            out.push(best);
        }
    }
    out
}

/// The winnowed fingerprints of a text: distinct hashes, sorted (what the index stores).
pub fn fingerprints(text: &str, config: &PassageConfig) -> Vec<u64> {
    let g = grams(text, config.gram_words);
    let mut out: Vec<u64> = winnow_positions(&g.grams, config.window)
        .into_iter()
        .map(|p| g.grams[p])
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The inverted index from fingerprint to documents, as one sorted vector. Immutable once built.
#[derive(Debug, Clone)]
pub struct PassageIndex {
    config: PassageConfig,
    entries: Vec<(u64, u32)>,
    documents: usize,
}

impl PassageIndex {
    /// Builds the index; document `i` is `fingerprints[i]` (as made by [`fingerprints`]). Consumes the lists
    /// so their memory is released as the index is filled.
    pub fn build(config: PassageConfig, fingerprints: Vec<Vec<u64>>) -> Self {
        let documents = fingerprints.len();
        let total: usize = fingerprints.iter().map(Vec::len).sum();
        let mut entries = Vec::with_capacity(total);
        for (doc, fps) in fingerprints.into_iter().enumerate() {
            entries.extend(fps.into_iter().map(|h| (h, doc as u32)));
        }
        entries.par_sort_unstable();
        entries.dedup();
        Self {
            config,
            entries,
            documents,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &PassageConfig {
        &self.config
    }

    /// The number of documents indexed.
    pub fn len(&self) -> usize {
        self.documents
    }

    /// Whether no document is indexed.
    pub fn is_empty(&self) -> bool {
        self.documents == 0
    }

    /// The number of `(fingerprint, document)` entries.
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    fn group(&self, hash: u64) -> &[(u64, u32)] {
        let start = self.entries.partition_point(|(h, _)| *h < hash);
        let end = start + self.entries[start..].partition_point(|(h, _)| *h == hash);
        &self.entries[start..end]
    }

    /// How many indexed documents hold a fingerprint.
    pub fn document_frequency(&self, hash: u64) -> usize {
        self.group(hash).len()
    }

    /// Whether a fingerprint is held by more than `max_df` documents (one binary search, then at most
    /// `max_df + 1` entries read).
    pub fn is_boilerplate(&self, hash: u64) -> bool {
        let start = self.entries.partition_point(|(h, _)| *h < hash);
        self.entries[start..]
            .iter()
            .take(self.config.max_df + 1)
            .take_while(|(h, _)| *h == hash)
            .count()
            > self.config.max_df
    }

    /// Every boilerplate fingerprint (held by more than `max_df` documents), sorted: one pass over the
    /// index, so that testing a fingerprint is a search of this short list rather than of the index.
    pub fn boilerplate(&self) -> Vec<u64> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.entries.len() {
            let h = self.entries[start].0;
            let mut end = start + 1;
            while end < self.entries.len() && self.entries[end].0 == h {
                end += 1;
            }
            if end - start > self.config.max_df {
                out.push(h);
            }
            start = end;
        }
        out
    }

    /// Documents sharing at least one non-boilerplate fingerprint with `fingerprints` (a new text's, from
    /// [`fingerprints`]), with how many they share, most first. `exclude` leaves out the text's own document
    /// when it is indexed.
    pub fn candidates(&self, fingerprints: &[u64], exclude: Option<u32>) -> Vec<(u32, u32)> {
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for &h in fingerprints {
            // One binary search; a group longer than `max_df` is boilerplate and is not read further.
            let start = self.entries.partition_point(|(x, _)| *x < h);
            let group: Vec<&(u64, u32)> = self.entries[start..]
                .iter()
                .take(self.config.max_df + 1)
                .take_while(|(x, _)| *x == h)
                .collect();
            if group.len() > self.config.max_df {
                continue;
            }
            for &&(_, d) in &group {
                if Some(d) != exclude {
                    *counts.entry(d).or_default() += 1;
                }
            }
        }
        let mut out: Vec<(u32, u32)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Every pair of documents sharing at least one non-boilerplate fingerprint: `(i, j, shared)` with
    /// `i < j`, sorted. A fingerprint held by `n ≤ max_df` documents adds at most `n (n - 1) / 2` pairs, so
    /// the listing is linear in the index.
    pub fn pairs(&self) -> Vec<(u32, u32, u32)> {
        let max_df = self.config.max_df;
        let n = self.entries.len();
        let chunks = (rayon::current_num_threads() * 8).max(1);
        let step = n.div_ceil(chunks).max(1);
        // Chunk boundaries moved forward to the start of a fingerprint's group.
        let mut bounds = vec![0usize];
        let mut at = step;
        while at < n {
            let h = self.entries[at].0;
            let next = at + self.entries[at..].partition_point(|(x, _)| *x == h);
            if next < n && bounds.last() != Some(&next) {
                bounds.push(next);
            }
            at = next.max(at + step);
        }
        bounds.push(n);
        let mut all: Vec<(u32, u32)> = bounds
            .par_windows(2)
            .flat_map_iter(|b| {
                let mut pairs = Vec::new();
                let mut start = b[0];
                while start < b[1] {
                    let h = self.entries[start].0;
                    let end = start + self.entries[start..b[1]].partition_point(|(x, _)| *x == h);
                    let group = &self.entries[start..end];
                    if group.len() >= 2 && group.len() <= max_df {
                        for (x, (_, a)) in group.iter().enumerate() {
                            for (_, c) in &group[x + 1..] {
                                pairs.push(((*a).min(*c), (*a).max(*c)));
                            }
                        }
                    }
                    start = end;
                }
                pairs
            })
            .collect();
        all.par_sort_unstable();
        let mut out: Vec<(u32, u32, u32)> = Vec::new();
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if last.0 == a && last.1 == b => last.2 += 1,
                _ => out.push((a, b, 1)),
            }
        }
        out
    }

    /// The passages texts `a` and `b` share, longest first, judged against this index's document
    /// frequencies (see the module notes). Either text may be outside the index.
    pub fn shared_passages(&self, a: &str, b: &str) -> Vec<SharedPassage> {
        shared_passages_with(a, b, &self.config, &|h| self.is_boilerplate(h))
    }

    /// Every pair of [`PassageIndex::pairs`] with the passages its two documents share (pairs sharing
    /// none left out), in the order of `pairs`. `text` gives a document's text (`None`: the pair is left
    /// out). Each first document is cut into words once for all its pairs, with its boilerplate look-ups
    /// remembered, on the rayon pool.
    pub fn pair_passages<'t>(
        &self,
        text: &(dyn Fn(u32) -> Option<&'t str> + Sync),
        keep: &(dyn Fn(u32, u32) -> bool + Sync),
    ) -> Vec<(u32, u32, Vec<SharedPassage>)> {
        let pairs = self.pairs();
        let boilerplate = self.boilerplate();
        // Runs of pairs with the same first document.
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        let mut start = 0;
        while start < pairs.len() {
            let a = pairs[start].0;
            let end = start + pairs[start..].partition_point(|p| p.0 == a);
            groups.push(start..end);
            start = end;
        }
        groups
            .into_par_iter()
            .flat_map_iter(|range| {
                let group = &pairs[range];
                let a = group[0].0;
                let mut out = Vec::new();
                let Some(text_a) = text(a) else {
                    return out;
                };
                // The first document by word hashes for the quick test of each pair (its fingerprints
                // sorted by hash); cut into words only when a pair passes.
                let hashes_a = word_hashes(text_a);
                let grams_a = gram_hashes(&hashes_a, self.config.gram_words);
                let mut fps: Vec<(u64, usize)> = winnow_positions(&grams_a, self.config.window)
                    .into_iter()
                    .map(|p| (grams_a[p], p))
                    .collect();
                fps.sort_unstable();
                let mut prepared_a: Option<Prepared> = None;
                let mut is_boiler = |h: u64| boilerplate.binary_search(&h).is_ok();
                for &(_, b, _) in group {
                    if !keep(a, b) {
                        continue;
                    }
                    let Some(text_b) = text(b) else { continue };
                    // Most candidate pairs share only a short run: told apart by word hashes, without
                    // cutting either text into words.
                    if !may_share(
                        &hashes_a,
                        &fps,
                        &word_hashes(text_b),
                        &self.config,
                        &mut is_boiler,
                    ) {
                        continue;
                    }
                    let prepared_a =
                        prepared_a.get_or_insert_with(|| Prepared::new(text_a, &self.config));
                    let prepared_b = Prepared::new(text_b, &self.config);
                    let passages =
                        shared_between(prepared_a, &prepared_b, &self.config, &mut is_boiler);
                    if !passages.is_empty() {
                        out.push((a, b, passages));
                    }
                }
                out
            })
            .collect()
    }
}

/// The passages texts `a` and `b` share, longest first: runs of equal words seeded by a fingerprint of `a`
/// that `is_boilerplate` rejects not, with the words of boilerplate fingerprints cut out, each at least
/// `min_passage_words` long.
pub fn shared_passages_with(
    a: &str,
    b: &str,
    config: &PassageConfig,
    is_boilerplate: &dyn Fn(u64) -> bool,
) -> Vec<SharedPassage> {
    let a = Prepared::new(a, config);
    let b = Prepared::new(b, config);
    shared_between(&a, &b, config, &mut |h| is_boilerplate(h))
}

/// A text cut into words and grams with its winnowed positions, to be matched against many others
/// without cutting it again.
pub(crate) struct Prepared {
    grams: Grams,
    fps: Vec<usize>,
}

impl Prepared {
    pub(crate) fn new(text: &str, config: &PassageConfig) -> Self {
        let grams = grams(text, config.gram_words.max(1));
        let fps = winnow_positions(&grams.grams, config.window);
        Self { grams, fps }
    }
}

/// Whether texts `a` and `b` (their word hashes; `fps` holds `a`'s winnowed fingerprints as sorted
/// `(hash, position)`) may share a passage: some run of equal word hashes through a shared,
/// non-boilerplate fingerprint of `a` is at least `min_passage_words` long. Equal words have equal
/// hashes, so such a run is never shorter than the run of equal words [`shared_between`] would find:
/// when this says no, it finds nothing.
fn may_share(
    a: &[u64],
    fps: &[(u64, usize)],
    b: &[u64],
    config: &PassageConfig,
    is_boiler: &mut dyn FnMut(u64) -> bool,
) -> bool {
    let k = config.gram_words.max(1);
    if a.len() < k {
        return false;
    }
    for (j, g) in gram_hashes(b, k).into_iter().enumerate() {
        let start = fps.partition_point(|x| x.0 < g);
        for &(_, i) in fps[start..].iter().take_while(|x| x.0 == g) {
            if is_boiler(g) {
                break;
            }
            let (mut s, mut t) = (i, j);
            while s > 0 && t > 0 && a[s - 1] == b[t - 1] {
                s -= 1;
                t -= 1;
            }
            let mut len = i + k - s;
            while s + len < a.len() && t + len < b.len() && a[s + len] == b[t + len] {
                len += 1;
            }
            if len >= config.min_passage_words {
                return true;
            }
        }
    }
    false
}

/// [`shared_passages_with`] over prepared texts.
pub(crate) fn shared_between(
    a: &Prepared,
    b: &Prepared,
    config: &PassageConfig,
    is_boiler: &mut dyn FnMut(u64) -> bool,
) -> Vec<SharedPassage> {
    let k = config.gram_words.max(1);
    let (ga, gb) = (&a.grams, &b.grams);
    if ga.grams.is_empty() || gb.grams.is_empty() {
        return Vec::new();
    }
    // Positions of `b`'s grams, sorted by hash: (hash, position).
    let mut in_b: Vec<(u64, usize)> = gb.grams.iter().enumerate().map(|(j, &h)| (h, j)).collect();
    in_b.sort_unstable();
    let positions_in_b = |h: u64| {
        let start = in_b.partition_point(|(x, _)| *x < h);
        in_b[start..]
            .iter()
            .take_while(move |(x, _)| *x == h)
            .map(|(_, j)| *j)
    };
    let fps = &a.fps;
    // Words of `a` covered by a boilerplate fingerprint, and positions of distinctive ones.
    // Only fingerprints `b` also holds can lie in a shared run, so only those are looked up.
    let mut cut = vec![false; ga.words.len()];
    let mut distinctive: Vec<usize> = Vec::new();
    for &p in fps
        .iter()
        .filter(|&&p| positions_in_b(ga.grams[p]).next().is_some())
    {
        if is_boiler(ga.grams[p]) {
            for c in &mut cut[p..p + k] {
                *c = true;
            }
        } else {
            distinctive.push(p);
        }
    }
    // Maximal runs of equal words through each shared distinctive fingerprint.
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for &i in &distinctive {
        for j in positions_in_b(ga.grams[i]) {
            if ga.words[i..i + k] != gb.words[j..j + k] {
                continue; // a hash collision
            }
            let (mut s, mut t) = (i, j);
            while s > 0 && t > 0 && ga.words[s - 1] == gb.words[t - 1] {
                s -= 1;
                t -= 1;
            }
            let mut len = i + k - s;
            while s + len < ga.words.len()
                && t + len < gb.words.len()
                && ga.words[s + len] == gb.words[t + len]
            {
                len += 1;
            }
            runs.push((s, t, len));
        }
    }
    // In order, so that of two runs giving the same stretch of `a` the first in `b` is reported.
    runs.sort_unstable();
    runs.dedup();
    // Each run minus its boilerplate words; the stretches that hold a distinctive fingerprint.
    let mut out: Vec<SharedPassage> = Vec::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for (s, t, len) in runs {
        let mut x = s;
        while x < s + len {
            if cut[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < s + len && !cut[x] {
                x += 1;
            }
            let end = x;
            let seeded = distinctive
                .iter()
                .any(|&p| p + k > start && p < end && p >= s && p + k <= s + len);
            if seeded && end - start >= config.min_passage_words && seen.insert((start, end)) {
                out.push(SharedPassage {
                    text: ga.words[start..end].join(" "),
                    words: end - start,
                    start_a: start,
                    start_b: t + (start - s),
                });
            }
        }
    }
    out.sort_by(|x, y| y.words.cmp(&x.words).then(x.start_a.cmp(&y.start_a)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(seed: u64, n: usize) -> String {
        (0..n)
            .map(|i| format!("w{}", (i as u64 * 7919 + seed * 104_729) % 100_003))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn winnowing_keeps_one_per_window_and_the_rightmost_minimum() {
        let check = |grams: &[u64], w: usize, expect: &[usize]| {
            assert_eq!(winnow_positions(grams, w), expect, "{grams:?} w={w}");
        };
        // The paper's example shape: minima of each window, each position once.
        check(
            &[
                77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98,
            ],
            4,
            &[3, 6, 8, 11, 15],
        );
        check(&[5, 5, 5], 2, &[1, 2]);
        check(&[9, 3], 4, &[1]);
        check(&[], 4, &[]);
    }

    #[test]
    fn every_window_of_grams_holds_a_fingerprint() {
        let config = PassageConfig::default();
        let g = grams(&text(3, 500), config.gram_words);
        let fps = winnow_positions(&g.grams, config.window);
        for win in fps.windows(2) {
            assert!(win[1] - win[0] <= config.window, "{win:?}");
        }
        // Density near 2 / (w + 1).
        let density = fps.len() as f64 / g.grams.len() as f64;
        assert!((0.15..0.3).contains(&density), "{density}");
    }

    #[test]
    fn a_planted_passage_is_reassembled_and_boilerplate_is_cut() {
        let config = PassageConfig::default();
        let passage = text(99, 40);
        let a = format!("{} {passage} {}", text(1, 120), text(2, 80));
        let b = format!("{} {passage} {}", text(3, 60), text(4, 150));
        let found = shared_passages_with(&a, &b, &config, &|_| false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].text, passage);
        assert_eq!(found[0].words, 40);
        assert_eq!((found[0].start_a, found[0].start_b), (120, 60));
        // Everything boilerplate: nothing.
        assert!(shared_passages_with(&a, &b, &config, &|_| true).is_empty());
        // Too short a shared run: nothing.
        let short = text(98, 15);
        let a = format!("{} {short} {}", text(1, 50), text(2, 50));
        let b = format!("{} {short} {}", text(3, 50), text(4, 50));
        assert!(shared_passages_with(&a, &b, &config, &|_| false).is_empty());
        assert!(shared_passages_with("", &b, &config, &|_| false).is_empty());
    }

    #[test]
    fn index_pairs_skip_fingerprints_over_the_document_frequency_cap() {
        let config = PassageConfig {
            max_df: 3,
            ..Default::default()
        };
        let ring = text(50, 40);
        let common = text(60, 40);
        let docs: Vec<String> = (0..8)
            .map(|d| {
                let mut s = text(d + 100, 60);
                if d < 2 {
                    s = format!("{s} {ring}");
                }
                format!("{s} {common} {}", text(d + 200, 30))
            })
            .collect();
        let index = PassageIndex::build(
            config.clone(),
            docs.iter().map(|d| fingerprints(d, &config)).collect(),
        );
        assert_eq!(index.len(), 8);
        // Candidate pairs: the ring pair, plus perhaps pairs seeded by a gram at the edge of the common block
        // (winnowing windows there differ per document); only the ring pair holds a passage.
        let pairs = index.pairs();
        let ring_pair = pairs.iter().find(|p| (p.0, p.1) == (0, 1)).unwrap();
        assert!(ring_pair.2 >= 3, "{ring_pair:?}");
        for &(x, y, _) in pairs.iter().filter(|p| (p.0, p.1) != (0, 1)) {
            let (x, y) = (x as usize, y as usize);
            assert!(
                index.shared_passages(&docs[x], &docs[y]).is_empty(),
                "{x} {y}"
            );
        }
        let found = index.shared_passages(&docs[0], &docs[1]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].text.starts_with(&ring[..20]));
        // The common block is cut out: the ring passage ends at most a window into it.
        assert!(
            found[0].words >= 40 && found[0].words < 40 + config.window,
            "{}",
            found[0].words
        );
        let fp0 = fingerprints(&docs[0], &config);
        assert_eq!(index.candidates(&fp0, Some(0))[0].0, 1);
        assert!(
            index
                .candidates(&fingerprints(&common, &config), None)
                .is_empty()
        );
    }

    #[test]
    fn word_hashes_are_the_hashes_of_the_normalised_words() {
        let check = |text: &str| {
            let expect: Vec<u64> = words(text).map(|w| xxh3_64(w.as_bytes())).collect();
            assert_eq!(word_hashes(text), expect, "{text:?}");
            assert_eq!(gram_hashes(&expect, 6), grams(text, 6).grams);
        };
        check("Led the MIGRATION of Payment-Services, to k8s (AWS) in 2021!");
        check("Äpfel ÉCOLE Straße İstanbul ΣΟΦΙΑ naïve Café 東京 DŽungla x");
        check("");
        check("  ,;  ");
    }

    #[test]
    fn pair_passages_equal_shared_passages_of_each_pair() {
        let config = PassageConfig {
            max_df: 3,
            ..Default::default()
        };
        let ring = text(50, 40);
        let ring_b = text(51, 30);
        let common = text(60, 40);
        // Two rings over five documents (document 2 in both; 4 repeats a passage twice), a common block.
        let docs: Vec<String> = (0..9)
            .map(|d| {
                let mut s = text(d + 100, 60);
                if d < 3 {
                    s = format!("{s} {ring}");
                }
                if (2..5).contains(&d) {
                    s = format!("{s} {ring_b}");
                }
                if d == 4 {
                    s = format!("{s} {} {ring_b}", text(7, 10));
                }
                format!("{s} {common} {}", text(d + 200, 30))
            })
            .collect();
        let index = PassageIndex::build(
            config.clone(),
            docs.iter().map(|d| fingerprints(d, &config)).collect(),
        );
        let expect: Vec<(u32, u32, Vec<SharedPassage>)> = index
            .pairs()
            .into_iter()
            .filter(|&(a, b, _)| (a, b) != (0, 2))
            .map(|(a, b, _)| {
                (
                    a,
                    b,
                    index.shared_passages(&docs[a as usize], &docs[b as usize]),
                )
            })
            .filter(|(_, _, p)| !p.is_empty())
            .collect();
        let boilerplate = index.boilerplate();
        assert!(!boilerplate.is_empty(), "the common block is boilerplate");
        for d in &docs {
            for h in fingerprints(d, &config) {
                assert_eq!(
                    boilerplate.binary_search(&h).is_ok(),
                    index.is_boilerplate(h)
                );
            }
        }
        let found = index
            .pair_passages(&|d| (d != 7).then(|| docs[d as usize].as_str()), &|a, b| {
                (a, b) != (0, 2)
            });
        assert_eq!(found, expect);
        let pairs: Vec<(u32, u32)> = found.iter().map(|p| (p.0, p.1)).collect();
        assert!(
            pairs.contains(&(0, 1)) && pairs.contains(&(3, 4)),
            "{pairs:?}"
        );
        assert!(!pairs.contains(&(0, 2)));
    }
}
