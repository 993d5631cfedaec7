//! The linker and its incremental state: records, blocking index, value holders, scored pairs, rings.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use rayon::prelude::*;
use redflag_identity::resume::{MinHashConfig, MinHasher};
use redflag_model::{Event, EventKind, Fact, Ring, RingId, RingLink, Subject, SubjectId};
use xxhash_rust::xxh3::xxh3_64;

use crate::LinkageError;
use crate::compare::{
    COMPARISONS, Comparison, Gamma, N_COMP, agreed_hashes, compare, names_swapped,
};
use crate::config::LinkageConfig;
use crate::facts;
use crate::model::{ModelParams, em, u_from_counts};
use crate::record::{self, Placeholder, Record, date_hash, hash_value, keys_of};
mod index;
mod persist;
mod photos;

use index::{IdIndex, KeyIndex, PassThrough};
use photos::PhotoIndex;
use std::hash::BuildHasherDefault;
/// Largest [`LinkageConfig::photo_max_distance`] the photo search is exact for.
pub(crate) const MAX_PHOTO_SEARCH_DISTANCE: u32 = photos::MAX_SEARCH_DISTANCE;

pub use persist::fingerprint;

use crate::types::{
    Contribution, ExcludedValue, ExtraEvidence, LinkStats, LinkageResult, ScoredPair,
};

/// Builds linkage runs from a configuration: [`Linker::link`] for a batch, [`Linker::state`] for
/// incremental linking.
#[derive(Debug, Clone)]
pub struct Linker {
    config: LinkageConfig,
    model: Option<ModelParams>,
    progress: Option<fn(&str)>,
    sparse_facts: bool,
}

impl Linker {
    /// A linker that fits its model (EM) on the data of its first run.
    pub fn new(config: LinkageConfig) -> Result<Self, LinkageError> {
        config.validate()?;
        Ok(Self {
            config,
            model: None,
            progress: None,
            sparse_facts: false,
        })
    }

    /// A linker that scores with a given model instead of fitting one.
    pub fn with_model(config: LinkageConfig, model: ModelParams) -> Result<Self, LinkageError> {
        config.validate()?;
        Ok(Self {
            config,
            model: Some(model),
            progress: None,
            sparse_facts: false,
        })
    }

    /// Reports the phases of a run (records built, blocks indexed, model fitted, chunks scored,
    /// rings) to `progress`, for long batches; the linker itself never prints.
    pub fn with_progress(mut self, progress: fn(&str)) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Batch results ([`Linker::link`], [`Linker::link_chunks`]) leave out the `ring.size = 1` fact of
    /// subjects that are in no ring and in no reported pair, instead of one fact for every subject
    /// (about 170 bytes each: 1.4 GB of a ten-million-subject result). Rules read a missing fact as not
    /// firing, as `ring.size >= 2` does not fire on 1; a caller that stores facts must then clear a
    /// subject's old `ring.*` facts itself (the store's `replace_facts` does). Incremental states
    /// ([`Linker::state`]) always write it, so a subject that leaves a ring has its old value replaced.
    pub fn with_sparse_facts(mut self) -> Self {
        self.sparse_facts = true;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &LinkageConfig {
        &self.config
    }

    /// Links a batch: every subject against every other through the blocking keys.
    pub fn link(
        &self,
        subjects: &[Subject],
        events: &[Event],
        extra: &ExtraEvidence,
    ) -> LinkageResult {
        let mut state = self.state();
        state.consume = true;
        state.sparse_facts = self.sparse_facts;
        state.add_with(subjects, events, extra)
    }

    /// Links a batch whose subjects come in chunks (see [`LinkState::add_chunks`]): the same result as
    /// [`Linker::link`] on the concatenation, without holding every subject in memory.
    pub fn link_chunks<'a, I>(
        &self,
        chunks: I,
        events: &[Event],
        extra: &ExtraEvidence,
    ) -> LinkageResult
    where
        I: IntoIterator,
        I::Item: Into<SubjectChunk<'a>>,
    {
        let mut state = self.state();
        state.consume = true;
        state.sparse_facts = self.sparse_facts;
        state.add_chunks(chunks, events, extra)
    }

    /// An empty state for incremental linking.
    pub fn state(&self) -> LinkState {
        let mut state = LinkState::new(self.config.clone(), self.model.clone());
        state.progress = self.progress;
        state
    }
}

/// A pair's internal score.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Scored {
    pair: ScoredPair,
    margin: f64,
}

/// Incremental linking state. [`LinkState::add`] links a new batch of subjects and events into the
/// existing rings, re-comparing only the records whose blocks or values the batch touched.
#[derive(Debug)]
pub struct LinkState {
    config: LinkageConfig,
    model: Option<ModelParams>,
    hasher: MinHasher,
    ids: Vec<SubjectId>,
    index: IdIndex,
    records: Vec<Record>,
    /// Value hash → holders (sorted record indices): term frequencies and dirty tracking.
    holders: KeyIndex,
    /// Blocking key → members.
    blocks: KeyIndex,
    /// Photo hashes of the records, searched for near duplicates (rebuilt from the records on load).
    photos: PhotoIndex,
    excluded: HashMap<u64, ExcludedValue>,
    placeholders: BTreeMap<(Comparison, String), usize>,
    /// Reported pairs (linked or above the report threshold), by record indices.
    pairs: BTreeMap<(u32, u32), Scored>,
    households: HashMap<SubjectId, usize>,
    sanctioned: HashSet<u32>,
    /// Sign-in hours (bit per UTC hour) per record and IP.
    hours: HashMap<u32, Vec<(IpAddr, u32)>>,
    rings: Vec<Vec<u32>>,
    ring_of: HashMap<u32, usize>,
    /// Fingerprints of inputs a caller has linked (see [`LinkState::mark_seen`]).
    seen: HashSet<u64>,
    /// Where phases are reported (see [`Linker::with_progress`]).
    progress: Option<fn(&str)>,
    /// Set for a batch whose state is dropped after the run: pairs move into the result.
    consume: bool,
    /// With `consume`: no facts for subjects in no ring and no reported pair
    /// ([`Linker::with_sparse_facts`]).
    sparse_facts: bool,
}

/// Candidate pairs handled at once (comparison vectors, scores): 4 M pairs, 64 MiB.
const CHUNK_PAIRS: u64 = 1 << 22;
/// Comparison vectors kept between the model fit and scoring, as pattern numbers (2 bytes a pair):
/// 1 G pairs, 2 GiB. Beyond that, chunks are compared again for scoring (time, not memory).
const CACHE_PAIRS: usize = 1 << 30;

/// The candidate pairs of a run (packed `i << 32 | j`, `i < j`), handed out in chunks.
enum Candidates {
    /// Listed, sorted and de-duplicated (incremental runs).
    List(Vec<u64>),
    /// Enumerated from the blocks of a batch.
    Blocks(BlockPairs),
}

/// The blocks of a batch that make pairs, and for each record its keys of such blocks. A pair is
/// emitted by the smallest blocking key its two records share, so once, as in a de-duplicated list.
struct BlockPairs {
    /// `(key, record)` grouped by key, records ascending in a group; groups of 2..=cap members.
    entries: Vec<(u64, u32)>,
    /// Groups: start in `entries` and length.
    runs: Vec<(usize, usize)>,
    /// For record `i`, its pairing keys are `rec_keys[rec_off[i]..rec_off[i + 1]]`, ascending.
    rec_off: Vec<usize>,
    rec_keys: Vec<u64>,
    /// Ranges of `runs` of at most [`CHUNK_PAIRS`] pairs each (before de-duplication).
    chunks: Vec<std::ops::Range<usize>>,
    upper: u64,
    /// Pairs of near-duplicate photos sharing no pairing block (sorted), handed out after the blocks.
    photo_pairs: Vec<u64>,
}

/// A chunk of subjects for [`LinkState::add_chunks`] and [`Linker::link_chunks`]: borrowed (the
/// caller keeps them) or owned (the linker keeps each subject's id and drops the rest as soon as its
/// record is built).
#[derive(Debug)]
pub enum SubjectChunk<'a> {
    /// Subjects the caller keeps.
    Borrowed(&'a [Subject]),
    /// Subjects handed over.
    Owned(Vec<Subject>),
}

impl<'a> From<&'a [Subject]> for SubjectChunk<'a> {
    fn from(subjects: &'a [Subject]) -> Self {
        SubjectChunk::Borrowed(subjects)
    }
}

impl<'a> From<&'a Vec<Subject>> for SubjectChunk<'a> {
    fn from(subjects: &'a Vec<Subject>) -> Self {
        SubjectChunk::Borrowed(subjects)
    }
}

impl From<Vec<Subject>> for SubjectChunk<'_> {
    fn from(subjects: Vec<Subject>) -> Self {
        SubjectChunk::Owned(subjects)
    }
}

/// A chunk's candidate pairs for the model pass, with (for a chunk of blocks) how many pairs each block
/// gave and each pair's places among its block's members, so that scoring finds a pair again without
/// enumerating its block (2 bytes a pair).
struct CountedChunk<'a> {
    pairs: std::borrow::Cow<'a, [u64]>,
    per_block: Option<Vec<u32>>,
    placed: Option<Vec<[u8; 2]>>,
    /// The rule each pair is credited to, as runs (rule, pairs) in pair order; empty for a listed chunk
    /// (an incremental run), whose pairs' rules are found from their records.
    credited: Vec<(BlockRule, usize)>,
}

impl Candidates {
    fn blocks(entries: Vec<(u64, u32)>, n: usize, chunk_pairs: u64) -> Self {
        let mut runs = Vec::new();
        let mut start = 0;
        for run in entries.chunk_by(|x, y| x.0 == y.0) {
            runs.push((start, run.len()));
            start += run.len();
        }
        let mut chunks = Vec::new();
        let (mut from, mut acc, mut upper) = (0, 0u64, 0u64);
        for (r, &(_, len)) in runs.iter().enumerate() {
            let pairs = (len * (len - 1) / 2) as u64;
            if acc > 0 && acc + pairs > chunk_pairs {
                chunks.push(from..r);
                from = r;
                acc = 0;
            }
            acc += pairs;
            upper += pairs;
        }
        if from < runs.len() {
            chunks.push(from..runs.len());
        }
        let mut rec_off = vec![0usize; n + 1];
        for (_, i) in &entries {
            rec_off[*i as usize + 1] += 1;
        }
        for i in 0..n {
            rec_off[i + 1] += rec_off[i];
        }
        let mut fill = rec_off.clone();
        let mut rec_keys = vec![0u64; entries.len()];
        // Entries are sorted by key, so each record's keys come out ascending.
        for (k, i) in &entries {
            rec_keys[fill[*i as usize]] = *k;
            fill[*i as usize] += 1;
        }
        Candidates::Blocks(BlockPairs {
            entries,
            runs,
            rec_off,
            rec_keys,
            chunks,
            upper,
            photo_pairs: Vec::new(),
        })
    }

    /// Entries of pairing blocks (0 for a list).
    fn entries(&self) -> usize {
        match self {
            Candidates::List(_) => 0,
            Candidates::Blocks(b) => b.entries.len(),
        }
    }

    /// Pairs before de-duplication.
    fn upper_bound(&self) -> u64 {
        match self {
            Candidates::List(v) => v.len() as u64,
            Candidates::Blocks(b) => b.upper + b.photo_pairs.len() as u64,
        }
    }

    fn n_chunks(&self) -> usize {
        match self {
            Candidates::List(v) => v.len().div_ceil(CHUNK_PAIRS as usize),
            Candidates::Blocks(b) => {
                b.chunks.len() + b.photo_pairs.len().div_ceil(CHUNK_PAIRS as usize)
            }
        }
    }

    /// The pairs of chunk `c` (blocks: in block order, each pair once over all chunks).
    fn chunk(&self, c: usize) -> std::borrow::Cow<'_, [u64]> {
        match self {
            Candidates::List(v) => {
                let size = CHUNK_PAIRS as usize;
                std::borrow::Cow::Borrowed(&v[c * size..((c + 1) * size).min(v.len())])
            }
            Candidates::Blocks(b) if c >= b.chunks.len() => {
                let size = CHUNK_PAIRS as usize;
                let c = c - b.chunks.len();
                std::borrow::Cow::Borrowed(
                    &b.photo_pairs[c * size..((c + 1) * size).min(b.photo_pairs.len())],
                )
            }
            Candidates::Blocks(b) => std::borrow::Cow::Owned(
                b.chunks[c]
                    .clone()
                    .into_par_iter()
                    .flat_map_iter(|r| b.run_pairs(r))
                    .collect(),
            ),
        }
    }

    /// [`Candidates::chunk`], and for a chunk of blocks how many pairs each of its blocks gave, in
    /// order (so that a block's pairs can be found again by [`BlockPairs::run_pairs`] alone).
    fn chunk_counted(&self, c: usize) -> CountedChunk<'_> {
        match self {
            Candidates::Blocks(b) if c < b.chunks.len() => {
                let per_run: Vec<(Vec<u64>, Vec<[u8; 2]>)> = b.chunks[c]
                    .clone()
                    .into_par_iter()
                    .map(|r| b.run_pairs_placed(r))
                    .collect();
                let counts: Vec<u32> = per_run.iter().map(|(p, _)| p.len() as u32).collect();
                let credited = b.chunks[c]
                    .clone()
                    .zip(&counts)
                    .map(|(r, n)| (BlockRule::of(b.entries[b.runs[r].0].0), *n as usize))
                    .collect();
                let total = per_run.iter().map(|(p, _)| p.len()).sum();
                let mut placed = per_run
                    .iter()
                    .all(|(p, at)| p.len() == at.len())
                    .then(|| Vec::with_capacity(total));
                let mut pairs = Vec::with_capacity(total);
                for (p, at) in per_run {
                    pairs.extend_from_slice(&p);
                    if let Some(placed) = &mut placed {
                        placed.extend_from_slice(&at);
                    }
                }
                CountedChunk {
                    pairs: std::borrow::Cow::Owned(pairs),
                    per_block: Some(counts),
                    placed,
                    credited,
                }
            }
            Candidates::Blocks(_) => {
                let pairs = self.chunk(c);
                let credited = vec![(BlockRule::identifier(Comparison::Photo), pairs.len())];
                CountedChunk {
                    pairs,
                    per_block: None,
                    placed: None,
                    credited,
                }
            }
            Candidates::List(_) => CountedChunk {
                pairs: self.chunk(c),
                per_block: None,
                placed: None,
                credited: Vec::new(),
            },
        }
    }
}

impl BlockPairs {
    /// The pairs block `r` (an index into `runs`) gives: those whose smallest shared pairing key is
    /// the block's, in order.
    fn run_pairs(&self, r: usize) -> Vec<u64> {
        self.run_pairs_placed(r).0
    }

    /// [`BlockPairs::run_pairs`], with each pair's two places among the block's members (empty when
    /// the block has over 256 members, which a place does not fit in a byte).
    fn run_pairs_placed(&self, r: usize) -> (Vec<u64>, Vec<[u8; 2]>) {
        let (start, len) = self.runs[r];
        let members = &self.entries[start..start + len];
        let key = members[0].0;
        let fits = len <= 256;
        let mut out = Vec::with_capacity(len * (len - 1) / 2);
        let mut placed = Vec::with_capacity(if fits { out.capacity() } else { 0 });
        for x in 0..len {
            for y in x + 1..len {
                let (i, j) = pair_key(members[x].1, members[y].1);
                if self.first_shared(i, j) == Some(key) {
                    out.push((u64::from(i) << 32) | u64::from(j));
                    if fits {
                        placed.push([x as u8, y as u8]);
                    }
                }
            }
        }
        (out, placed)
    }

    /// The pair of block `r` at places `at` among its members.
    fn pair_at(&self, r: usize, at: [u8; 2]) -> u64 {
        let members = &self.entries[self.runs[r].0..];
        let (i, j) = pair_key(members[usize::from(at[0])].1, members[usize::from(at[1])].1);
        (u64::from(i) << 32) | u64::from(j)
    }

    fn keys_of(&self, i: u32) -> &[u64] {
        let i = i as usize;
        &self.rec_keys[self.rec_off[i]..self.rec_off[i + 1]]
    }

    /// The smallest pairing key two records share.
    fn first_shared(&self, i: u32, j: u32) -> Option<u64> {
        first_common(self.keys_of(i), self.keys_of(j))
    }
}

/// Pairs compared after one pass that reads the records of all of them (see [`warm`]).
const WARM_PAIRS: usize = 32;

/// Packed comparison vectors of packed pairs.
fn gammas_of(records: &[Record], pairs: &[u64], photo_max: u32) -> Vec<u64> {
    pairs
        .par_chunks(WARM_PAIRS)
        .flat_map_iter(|group| {
            warm(records, group);
            group.iter().map(|&p| {
                let (i, j) = unpack_pair(p);
                pack(&compare(&records[i], &records[j], photo_max))
            })
        })
        .collect()
}

/// Reads what [`compare`] reads first of the records of some pairs, in one pass of loads that do not
/// depend on one another, so that their cache misses are waited for together rather than one after
/// another inside the comparisons (comparing is bound by reaching the records: docs/bench/linkage.md).
fn warm(records: &[Record], pairs: &[u64]) {
    let mut seen = 0u64;
    for &p in pairs {
        let (i, j) = unpack_pair(p);
        for r in [&records[i], &records[j]] {
            seen ^= r.given_key
                ^ r.family_key
                ^ r.city_key
                ^ r.address_key
                ^ r.postcode_key
                ^ u64::from(r.dob.unwrap_or(0))
                ^ r.keys.first().map_or(0, |k| k.hash)
                ^ r.address_words.first().map_or(0, |w| u64::from(*w))
                ^ r.postcode
                    .as_deref()
                    .and_then(|p| p.bytes().next())
                    .map_or(0, u64::from);
        }
    }
    std::hint::black_box(seen);
}

/// The holder count of a quarter-bit bucket ([`LinkState::count_bucket`]; 0 for a value held by none).
fn tf_of_bucket(bucket: i64) -> f64 {
    if bucket < 0 {
        0.0
    } else {
        (bucket as f64 / 4.0).exp2()
    }
}

/// The two record numbers of a packed pair (`i << 32 | j`).
fn unpack_pair(p: u64) -> (usize, usize) {
    ((p >> 32) as usize, (p & 0xffff_ffff) as usize)
}

fn pair_key(i: u32, j: u32) -> (u32, u32) {
    if i < j { (i, j) } else { (j, i) }
}

/// Photos a band bucket may hold and still be searched ([`photos`]): far above the ~15 a bucket of a
/// million distinct photos, so a bucket goes over it for one image held by many (re-encoded) or for a
/// population of hundreds of millions.
fn photo_bucket_limit(config: &LinkageConfig) -> usize {
    config.max_block_size.saturating_mul(16)
}

fn mix(tag: u64, parts: &[&[u8]]) -> u64 {
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(&tag.to_le_bytes());
    for p in parts {
        buf.extend_from_slice(p);
        buf.push(0xff);
    }
    xxh3_64(&buf)
}

/// The bits of a blocking key above this one name the rule that made it ([`BlockRule`]); the bits below
/// are the blocked value's hash.
const RULE_SHIFT: u32 = 59;

/// The rule behind a blocking key. Keys are ordered by their rule first, and a pair shared by several
/// blocks is emitted by the smallest key, so the order decides which rule a pair is credited to when the
/// model is fitted: identifiers first, then resume, address, date of birth, postcode, and the full name
/// last — a pair is credited to a rule that says more than "same name" whenever one found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct BlockRule(u8);

impl BlockRule {
    const RESUME: BlockRule = BlockRule(20);
    const ADDRESS: BlockRule = BlockRule(21);
    const BIRTH_DATE_GIVEN: BlockRule = BlockRule(22);
    const BIRTH_DATE_FAMILY: BlockRule = BlockRule(23);
    const POSTCODE: BlockRule = BlockRule(24);
    const FULL_NAME: BlockRule = BlockRule(25);

    /// The rule of an exact identifier key (and of a photo pair, for the photo comparison).
    fn identifier(comp: Comparison) -> BlockRule {
        BlockRule(1 + comp as u8)
    }

    /// The most members a block of this rule may have and still make pairs.
    fn limit(self, config: &LinkageConfig) -> usize {
        if self == BlockRule::FULL_NAME {
            config.max_block_size.min(config.max_name_block_size)
        } else {
            config.max_block_size
        }
    }

    fn of(key: u64) -> BlockRule {
        BlockRule((key >> RULE_SHIFT) as u8)
    }

    /// `hash` as a blocking key of this rule.
    fn key(self, hash: u64) -> u64 {
        (u64::from(self.0) << RULE_SHIFT) | (hash & ((1 << RULE_SHIFT) - 1))
    }

    /// The comparisons this rule's pairs agree on by construction, as the bits of a packed comparison
    /// vector: the model leaves them out for the pairs credited to the rule (they are not evidence of
    /// a match there, as in Splink's training with the blocked columns fixed).
    fn forced_levels(self) -> u64 {
        let comps: &[Comparison] = match self {
            BlockRule::RESUME => &[Comparison::Resume],
            BlockRule::ADDRESS => &[Comparison::Address, Comparison::Postcode, Comparison::City],
            BlockRule::BIRTH_DATE_GIVEN => &[Comparison::DateOfBirth, Comparison::GivenName],
            BlockRule::BIRTH_DATE_FAMILY => &[Comparison::DateOfBirth, Comparison::FamilyName],
            BlockRule::POSTCODE => &[
                Comparison::Postcode,
                Comparison::City,
                Comparison::FamilyName,
            ],
            BlockRule::FULL_NAME => &[Comparison::GivenName, Comparison::FamilyName],
            BlockRule(r) => match COMPARISONS.get(usize::from(r).wrapping_sub(1)) {
                Some(c @ Comparison::Photo) => std::slice::from_ref(c),
                _ => &[],
            },
        };
        comps.iter().fold(0, |acc, c| acc | (7 << (3 * *c as u64)))
    }
}

/// Rules a blocking key may name (the values of its top bits).
const RULES: usize = 1 << (64 - RULE_SHIFT);

/// The rule a listed pair is credited to: that of the smallest blocking key its records share, or the
/// photo comparison when they share none.
fn credited_rule(records: &[Record], pair: u64) -> BlockRule {
    let (i, j) = unpack_pair(pair);
    first_common(&block_keys(&records[i]), &block_keys(&records[j]))
        .map_or(BlockRule::identifier(Comparison::Photo), BlockRule::of)
}

/// The smallest value two ascending lists share.
fn first_common(a: &[u64], b: &[u64]) -> Option<u64> {
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        match a[x].cmp(&b[y]) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => return Some(a[x]),
        }
    }
    None
}

/// The blocking keys of a record, ascending. Candidate pairs are the pairs of records sharing one.
fn block_keys(r: &Record) -> Vec<u64> {
    let mut out = Vec::new();
    let (g, f) = (r.given.as_bytes(), r.family.as_bytes());
    if !g.is_empty() && !f.is_empty() {
        let (x, y) = if g <= f { (g, f) } else { (f, g) };
        out.push(BlockRule::FULL_NAME.key(mix(1, &[x, y])));
    }
    if let Some(d) = r.dob {
        let d = d.to_le_bytes();
        if let Some(c) = g.first() {
            out.push(BlockRule::BIRTH_DATE_GIVEN.key(mix(2, &[&d, &[*c]])));
        }
        if let Some(c) = f.first() {
            out.push(BlockRule::BIRTH_DATE_FAMILY.key(mix(3, &[&d, &[*c]])));
        }
    }
    if let Some(id) = &r.id_number {
        out.push(BlockRule::identifier(Comparison::IdNumber).key(mix(4, &[id.as_bytes()])));
    }
    if let Some(p) = &r.postcode
        && !f.is_empty()
    {
        // The given initial keeps a household's members (one postcode, one family name) apart.
        let (family_prefix, given_initial) = (&f[..f.len().min(3)], &g[..g.len().min(1)]);
        out.push(BlockRule::POSTCODE.key(mix(5, &[p.as_bytes(), family_prefix, given_initial])));
    }
    if let Some(a) = &r.address {
        out.push(BlockRule::ADDRESS.key(hash_value(Comparison::Address, a)));
    }
    for k in &r.keys {
        out.push(BlockRule::identifier(k.comp).key(k.hash));
    }
    if let Some(sig) = &r.resume {
        for (band, rows) in sig.chunks(4).enumerate() {
            let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
            out.push(BlockRule::RESUME.key(mix(7, &[&(band as u32).to_le_bytes(), &bytes])));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The values of a record that are counted (term frequencies, exclusion, dirty tracking).
fn value_hashes(r: &Record) -> Vec<(Comparison, u64)> {
    let mut out = Vec::new();
    // From the hashes the record keeps (`keyed` of a text's key is its `hash_value`).
    if !r.given.is_empty() {
        out.push((
            Comparison::GivenName,
            record::keyed(Comparison::GivenName, r.given_key),
        ));
    }
    if !r.family.is_empty() {
        out.push((
            Comparison::FamilyName,
            record::keyed(Comparison::FamilyName, r.family_key),
        ));
    }
    if let Some(d) = r.dob {
        out.push((Comparison::DateOfBirth, date_hash(d)));
    }
    for (comp, held, key) in [
        (Comparison::Address, r.address.is_some(), r.address_key),
        (Comparison::Postcode, r.postcode.is_some(), r.postcode_key),
        (Comparison::City, r.city.is_some(), r.city_key),
    ] {
        if held {
            out.push((comp, record::keyed(comp, key)));
        }
    }
    if let Some(v) = &r.id_number {
        out.push((Comparison::IdNumber, hash_value(Comparison::IdNumber, v)));
    }
    for k in &r.keys {
        out.push((k.comp, k.hash));
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn excludable(comp: Comparison) -> bool {
    comp.floored() || comp == Comparison::Address
}

fn pack(g: &Gamma) -> u64 {
    g.iter()
        .enumerate()
        .fold(0u64, |acc, (i, l)| acc | (u64::from(*l) << (3 * i)))
}

fn unpack(v: u64) -> Gamma {
    let mut g = [0u8; N_COMP];
    for (i, l) in g.iter_mut().enumerate() {
        *l = ((v >> (3 * i)) & 7) as u8;
    }
    g
}

fn insert_sorted(v: &mut Vec<u32>, x: u32) {
    if let Err(pos) = v.binary_search(&x) {
        v.insert(pos, x);
    }
}

fn remove_sorted(v: &mut Vec<u32>, x: u32) {
    if let Ok(pos) = v.binary_search(&x) {
        v.remove(pos);
    }
}

/// The running sums of a pair's score, one type for [`LinkState::score`] and for its bound
/// [`LinkState::may_keep`], so that the bound takes every step the score takes.
struct Tally {
    /// Person bits: the prior and every comparison, the location group capped.
    person: f64,
    /// Positive shared-identifier bits.
    operator: f64,
    /// Positive bits of the location group (address, postcode, city).
    location: f64,
    /// Whether some comparison beyond names and place agrees.
    corroborated: bool,
}

impl Tally {
    fn new(prior: f64) -> Self {
        Self {
            person: prior,
            operator: 0.0,
            location: 0.0,
            corroborated: false,
        }
    }

    /// The largest contribution of a comparison, if it has one, and its name.
    fn cap_of(comp: Comparison, cfg: &LinkageConfig) -> Option<(f64, &'static str)> {
        match comp {
            Comparison::Egress => Some((cfg.egress_cap_bits, "egress cap")),
            Comparison::Resume => Some((cfg.resume_cap_bits, "resume cap")),
            _ => None,
        }
    }

    /// Adds a comparison's (capped) bits; whether they count as operator evidence.
    fn add(&mut self, comp: Comparison, bits: f64) -> bool {
        if comp.is_location() {
            self.location += bits.max(0.0);
        }
        self.person += bits;
        let operator = comp.is_operator() && bits > 0.0;
        if operator {
            self.operator += bits;
        }
        operator
    }

    /// Caps the location group: the adjustment made to the person bits, if any.
    fn cap_location(&mut self, cfg: &LinkageConfig) -> Option<f64> {
        (self.location > cfg.location_cap_bits).then(|| {
            let adjustment = cfg.location_cap_bits - self.location;
            self.person += adjustment;
            adjustment
        })
    }
}

fn logit2(p: f64) -> f64 {
    (p / (1.0 - p)).log2()
}

impl LinkState {
    fn new(config: LinkageConfig, model: Option<ModelParams>) -> Self {
        let households = config
            .households
            .iter()
            .enumerate()
            .flat_map(|(i, h)| {
                h.iter()
                    .map(move |s| (SubjectId::from_stored(s.clone()), i))
            })
            .collect();
        Self {
            hasher: MinHasher::new(MinHashConfig::default()),
            config,
            model,
            ids: Vec::new(),
            index: IdIndex::default(),
            records: Vec::new(),
            holders: KeyIndex::default(),
            blocks: KeyIndex::default(),
            photos: PhotoIndex::default(),
            excluded: HashMap::new(),
            placeholders: BTreeMap::new(),
            pairs: BTreeMap::new(),
            households,
            sanctioned: HashSet::new(),
            hours: HashMap::new(),
            rings: Vec::new(),
            ring_of: HashMap::new(),
            seen: HashSet::new(),
            progress: None,
            consume: false,
            sparse_facts: false,
        }
    }

    /// Reports the phases of later runs to `progress` (see [`Linker::with_progress`]).
    pub fn set_progress(&mut self, progress: fn(&str)) {
        self.progress = Some(progress);
    }

    fn progress(&self, what: &str) {
        if let Some(f) = self.progress {
            f(what);
        }
    }

    /// Records fingerprints of inputs (a hash of a subject's contents, of an event's id) the caller has
    /// linked. They are kept with the state ([`LinkState::to_bytes`]) so that a later run can pass only
    /// what is new or changed. Passing an input again is harmless (linking is idempotent), only slower.
    pub fn mark_seen(&mut self, fingerprints: impl IntoIterator<Item = u64>) {
        self.seen.extend(fingerprints);
    }

    /// Whether [`LinkState::mark_seen`] recorded this fingerprint.
    pub fn is_seen(&self, fingerprint: u64) -> bool {
        self.seen.contains(&fingerprint)
    }

    /// The model in use (fitted by the first run unless one was given).
    pub fn model(&self) -> Option<&ModelParams> {
        self.model.as_ref()
    }

    /// Number of subjects known.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no subject is known.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Current rings.
    pub fn rings(&self) -> Vec<Ring> {
        (0..self.rings.len())
            .into_par_iter()
            .map(|r| self.ring(r))
            .collect()
    }

    /// Links a new batch of subjects and events (no extra evidence) into the state.
    pub fn add(&mut self, subjects: &[Subject], events: &[Event]) -> LinkageResult {
        self.add_with(subjects, events, &ExtraEvidence::default())
    }

    /// Links a new batch with evidence from other engines. A subject already known is updated: its
    /// identifiers and event keys accumulate, its other fields are replaced. Events of known subjects
    /// that are not in `subjects` add their keys to those subjects.
    pub fn add_with(
        &mut self,
        subjects: &[Subject],
        events: &[Event],
        extra: &ExtraEvidence,
    ) -> LinkageResult {
        self.add_chunks(std::iter::once(subjects), events, extra)
    }

    /// [`LinkState::add_with`] over subjects that come in chunks (read from a file or a database page by
    /// page): each chunk is turned into compact records and may be dropped before the next is made, so
    /// a batch of ten million subjects never needs all of them in memory at once. The result is the same
    /// as one call with the chunks concatenated.
    pub fn add_chunks<'a, I>(
        &mut self,
        chunks: I,
        events: &[Event],
        extra: &ExtraEvidence,
    ) -> LinkageResult
    where
        I: IntoIterator,
        I::Item: Into<SubjectChunk<'a>>,
    {
        let mut notes = Vec::new();
        // Events by subject.
        let mut by_subject: HashMap<&SubjectId, Vec<&Event>> = HashMap::new();
        for e in events {
            if let Some(s) = &e.subject {
                by_subject.entry(s).or_default().push(e);
            }
        }
        // 1. Build records for the batch (parallel, chunk by chunk). A fresh state's records go
        // straight into place (no second copy of ten million records while they are indexed).
        let in_place = self.holders.is_empty() && self.blocks.is_empty();
        let mut changed: BTreeMap<u32, Record> = BTreeMap::new();
        // Records of the batch (a bit per record).
        let mut batch: Vec<bool> = vec![false; self.records.len()];
        let mut chunks = chunks.into_iter();
        while let Some(chunk) = chunks.next() {
            let chunk: SubjectChunk<'a> = chunk.into();
            let n = match &chunk {
                SubjectChunk::Borrowed(s) => s.len(),
                SubjectChunk::Owned(s) => s.len(),
            };
            // Room for the chunks still to come, taken as large as this one when their number is
            // known: growing a vector of a million records chunk by chunk copied it each time.
            let expected = n.saturating_mul(1 + chunks.size_hint().0);
            self.records.reserve_exact(expected);
            self.ids.reserve_exact(expected);
            self.index.reserve(n);
            batch.reserve_exact(expected);
            let hasher = &self.hasher;
            let by_subject = &by_subject;
            let build = move |s: &Subject| {
                let evs = by_subject.get(&s.id).map(Vec::as_slice).unwrap_or(&[]);
                let mut ph = Vec::new();
                let r = record::build(s, evs, Some(hasher), &mut ph);
                (r, ph)
            };
            // Owned subjects give up their ids and are dropped on the threads that built their
            // records (dropping a million of them one after another was 0.6 s).
            let built: Vec<(SubjectId, Record, Vec<Placeholder>)> = match chunk {
                SubjectChunk::Borrowed(subjects) => subjects
                    .par_iter()
                    .map(|s| {
                        let (r, ph) = build(s);
                        (s.id.clone(), r, ph)
                    })
                    .collect(),
                SubjectChunk::Owned(subjects) => subjects
                    .into_par_iter()
                    .map(|s| {
                        let (r, ph) = build(&s);
                        (s.id, r, ph)
                    })
                    .collect(),
            };
            for (id, mut r, ph) in built {
                for p in ph {
                    *self.placeholders.entry((p.comp, p.value)).or_default() += 1;
                }
                match self.index.get(&id, &self.ids) {
                    Some(i) => {
                        let old = changed.get(&i).unwrap_or(&self.records[i as usize]);
                        for k in &old.keys {
                            record::add_key(&mut r, k.comp, &k.value);
                        }
                        batch[i as usize] = true;
                        if in_place {
                            self.records[i as usize] = r;
                        } else {
                            changed.insert(i, r);
                        }
                    }
                    None => {
                        let i = self.ids.len() as u32;
                        self.index.insert(&id, i, &self.ids);
                        self.ids.push(id);
                        batch.push(true);
                        // A new record goes straight into place (one move of it, not two).
                        if in_place {
                            self.records.push(r);
                        } else {
                            self.records.push(Record::default());
                            changed.insert(i, r);
                        }
                    }
                }
            }
        }
        // Events of known subjects not in the batch.
        for (sid, evs) in &by_subject {
            let Some(i) = self.index.get(sid, &self.ids) else {
                continue;
            };
            if batch[i as usize] {
                continue;
            }
            let mut r = changed
                .get(&i)
                .cloned()
                .unwrap_or_else(|| self.records[i as usize].clone());
            let before = r.keys.len();
            for e in evs {
                for k in redflag_identity::event_linkage_keys(e) {
                    let comp = match k.kind {
                        "payout_account" | "wallet" => Comparison::Payout,
                        "shipping_address" => Comparison::Shipping,
                        _ => continue,
                    };
                    if !record::is_placeholder(comp, &k.value) {
                        record::add_key(&mut r, comp, &k.value);
                    }
                }
                if let EventKind::Endpoint(o) = &e.kind
                    && !o.host.trim().is_empty()
                {
                    record::add_key(&mut r, Comparison::Device, &o.host.trim().to_lowercase());
                }
            }
            if r.keys.len() != before {
                if in_place {
                    self.records[i as usize] = r;
                } else {
                    changed.insert(i, r);
                }
            }
        }
        // Egress groups.
        for g in &extra.egress {
            let value = g.key_value();
            for sid in &g.subjects {
                let Some(i) = self.index.get(sid, &self.ids) else {
                    continue;
                };
                let mut r = changed
                    .get(&i)
                    .cloned()
                    .unwrap_or_else(|| self.records[i as usize].clone());
                let before = r.keys.len();
                record::add_key(&mut r, Comparison::Egress, &value);
                if r.keys.len() != before {
                    if in_place {
                        self.records[i as usize] = r;
                    } else {
                        changed.insert(i, r);
                    }
                }
            }
        }
        // Sign-in hours of the batch's events (for shift facts), sanctions hits.
        for (sid, evs) in &by_subject {
            let Some(i) = self.index.get(sid, &self.ids) else {
                continue;
            };
            for e in evs {
                if let EventKind::SignIn(s) = &e.kind
                    && let Some(ip) = s.ip
                {
                    let hour = chrono::Timelike::hour(&e.time);
                    let entry = self.hours.entry(i).or_default();
                    match entry.iter_mut().find(|(x, _)| *x == ip) {
                        Some((_, mask)) => *mask |= 1 << hour,
                        None => entry.push((ip, 1 << hour)),
                    }
                }
            }
        }
        let mut sanction_touched: Vec<u32> = Vec::new();
        for sid in &extra.sanctions_hits {
            if let Some(i) = self.index.get(sid, &self.ids)
                && self.sanctioned.insert(i)
            {
                sanction_touched.push(i);
            }
        }

        let fresh = in_place;
        self.progress(&format!("{} records built", self.records.len()));
        let (dirty, candidates, oversized) = if fresh {
            self.fresh_candidates(changed)
        } else {
            let (d, c, o) = self.incremental_candidates(changed);
            (d, Candidates::List(c), o)
        };
        let dirty_vec: Vec<u32> = dirty.iter().copied().collect();
        if oversized > 0 {
            notes.push(format!(
                "{oversized} blocking groups had more than {} members ({} for one full name) and made no pairs (common values; see max_block_size and max_name_block_size)",
                self.config.max_block_size,
                BlockRule::FULL_NAME.limit(&self.config)
            ));
        }
        let photo_limit = photo_bucket_limit(&self.config);
        let photo_oversized = self.photos.oversized(photo_limit);
        if photo_oversized > 0 {
            notes.push(format!(
                "{photo_oversized} photo hash buckets held more than {photo_limit} photos and were not searched (one image held by many subjects; 16 × max_block_size)"
            ));
        }
        // 4-5. Comparison vectors chunk by chunk; on the first run they fit the model (EM over the
        // patterns). A chunk's vectors are kept for scoring as pattern numbers (2 bytes a pair, up to
        // `CACHE_PAIRS` pairs and 65 536 patterns); its pairs are enumerated again, which is cheap.
        let photo_max = self.config.photo_max_distance;
        let n_chunks = candidates.n_chunks();
        let mut cache: Vec<Option<Vec<u16>>> = Vec::new();
        let mut run_counts: Vec<Option<Vec<u32>>> = Vec::new();
        let mut run_places: Vec<Option<Vec<[u8; 2]>>> = Vec::new();
        let mut pattern_list: Vec<u64> = Vec::new();
        let mut n_candidates = 0usize;
        let mut em_iterations = 0;
        if self.model.is_none() {
            // Keyed by the pattern mixed (a bijection), so the map's hash is the key itself.
            let mut ids: HashMap<u64, usize, BuildHasherDefault<PassThrough>> = HashMap::default();
            // Pairs per pattern and rule credited (index `pattern * RULES + rule`).
            let mut credited_counts: Vec<u64> = Vec::new();
            let mut caching = true;
            for c in 0..n_chunks {
                let CountedChunk {
                    pairs,
                    per_block,
                    placed,
                    mut credited,
                } = candidates.chunk_counted(c);
                if credited.is_empty() {
                    credited = pairs
                        .iter()
                        .map(|&p| (credited_rule(&self.records, p), 1))
                        .collect();
                }
                let gammas = gammas_of(&self.records, &pairs, photo_max);
                caching &= n_candidates + pairs.len() <= CACHE_PAIRS;
                let mut coded: Vec<u16> =
                    Vec::with_capacity(if caching { gammas.len() } else { 0 });
                let rules = credited
                    .iter()
                    .flat_map(|&(rule, n)| std::iter::repeat_n(rule, n));
                for (g, rule) in gammas.iter().zip(rules) {
                    let id = *ids.entry(splitmix(*g)).or_insert_with(|| {
                        pattern_list.push(*g);
                        credited_counts.resize(credited_counts.len() + RULES, 0);
                        pattern_list.len() - 1
                    });
                    credited_counts[id * RULES + usize::from(rule.0)] += 1;
                    match u16::try_from(id) {
                        Ok(id) if caching => coded.push(id),
                        _ => caching = false,
                    }
                }
                n_candidates += pairs.len();
                cache.push(caching.then_some(coded));
                run_counts.push(per_block.filter(|_| caching));
                run_places.push(placed.filter(|_| caching));
                if (c + 1) % 25 == 0 {
                    self.progress(&format!(
                        "comparison vectors: chunk {}/{n_chunks}, {n_candidates} pairs",
                        c + 1
                    ));
                }
            }
            // EM sees each pair without the comparisons its rule forced to agree.
            let mut patterns: HashMap<Gamma, u64> = HashMap::new();
            for (id, g) in pattern_list.iter().enumerate() {
                for (rule, k) in credited_counts[id * RULES..(id + 1) * RULES]
                    .iter()
                    .enumerate()
                {
                    if *k > 0 {
                        let forced = BlockRule(rule as u8).forced_levels();
                        *patterns.entry(unpack(g & !forced)).or_default() += k;
                    }
                }
            }
            let u = u_from_counts(&self.sample_u_counts());
            let (lambda_candidates, m, it) = em(&patterns, &u, self.config.em_iterations);
            // The prior of a random pair: matches among candidates spread over all pairs (blocking is
            // assumed to find the matches).
            let n = self.records.len() as f64;
            let all_pairs = (n * (n - 1.0) / 2.0).max(1.0);
            let lambda = (lambda_candidates * n_candidates as f64 / all_pairs).clamp(1e-12, 0.5);
            em_iterations = it;
            // Counts of whole records: the sums are exact in any order.
            let mut tf_denominator: Vec<f64> = self
                .records
                .par_iter()
                .fold(
                    || vec![0.0; N_COMP],
                    |mut acc, r| {
                        for (comp, _) in value_hashes(r) {
                            acc[comp as usize] += 1.0;
                        }
                        acc
                    },
                )
                .reduce(
                    || vec![0.0; N_COMP],
                    |mut a, b| {
                        for (x, y) in a.iter_mut().zip(b) {
                            *x += y;
                        }
                        a
                    },
                );
            for d in &mut tf_denominator {
                *d = d.max(1.0);
            }
            self.model = Some(ModelParams {
                lambda,
                lambda_candidates,
                m,
                u,
                tf_denominator,
                iterations: it,
            });
            self.progress(&format!(
                "model fitted on {n_candidates} candidate pairs ({it} EM iterations, {} patterns; match share among candidates {lambda_candidates:.3e}, prior {:.1} bits)",
                patterns.len(),
                (lambda / (1.0 - lambda)).log2()
            ));
        }
        // 6. Score.
        for i in &dirty_vec {
            // Drop the old pairs of dirty records (re-scored below when still candidates).
            let stale: Vec<(u32, u32)> = self
                .pairs
                .range((*i, 0)..=(*i, u32::MAX))
                .map(|(k, _)| *k)
                .collect();
            for k in stale {
                self.pairs.remove(&k);
            }
        }
        if !dirty_vec.is_empty() {
            let stale: Vec<(u32, u32)> = self
                .pairs
                .keys()
                .filter(|(_, b)| dirty.contains(b))
                .copied()
                .collect();
            for k in stale {
                self.pairs.remove(&k);
            }
        }
        let count_now = cache.is_empty();
        // Patterns whose best case cannot be kept (most candidate pairs: a shared date of birth and
        // initial, little else) are not scored pair by pair.
        let keep_by_id: Vec<bool> = pattern_list
            .iter()
            .map(|&g| self.may_keep(&unpack(g)))
            .collect();
        let keep_by_pattern: HashMap<u64, bool> = pattern_list
            .iter()
            .copied()
            .zip(keep_by_id.iter().copied())
            .collect();
        let mut new_keys: Vec<(u32, u32)> = Vec::new();
        for c in 0..n_chunks {
            let coded = cache.get_mut(c).and_then(Option::take);
            let counts = run_counts.get_mut(c).and_then(Option::take);
            let placed = run_places.get_mut(c).and_then(Option::take);
            let scored: Vec<((u32, u32), Scored)> = match (coded, counts, &candidates) {
                (Some(coded), Some(counts), Candidates::Blocks(b)) => {
                    // Only the blocks that gave a pair of a pattern that may be kept (a few percent
                    // of them) are enumerated again; their pairs come out in the same order, so a
                    // block's pattern numbers start where the blocks before it left off.
                    let first_run = b.chunks[c].start;
                    let mut offset = 0usize;
                    let needed: Vec<(usize, usize)> = counts
                        .iter()
                        .enumerate()
                        .filter_map(|(k, &n)| {
                            let start = offset;
                            offset += n as usize;
                            coded[start..offset]
                                .iter()
                                .any(|id| keep_by_id[*id as usize])
                                .then_some((first_run + k, start))
                        })
                        .collect();
                    let (coded, pattern_list, keep_by_id) = (&coded, &pattern_list, &keep_by_id);
                    let this = &*self;
                    match &placed {
                        // Each pair found again from its places in its block.
                        Some(placed) => needed
                            .par_iter()
                            .flat_map_iter(|&(r, start)| {
                                let n = counts[r - first_run] as usize;
                                (start..start + n).filter_map(move |k| {
                                    let id = coded[k] as usize;
                                    let p = b.pair_at(r, placed[k]);
                                    this.score_candidate(p, pattern_list[id], keep_by_id[id])
                                })
                            })
                            .collect(),
                        None => needed
                            .par_iter()
                            .flat_map_iter(|&(r, start)| {
                                b.run_pairs(r)
                                    .into_iter()
                                    .enumerate()
                                    .filter_map(move |(k, p)| {
                                        let id = coded[start + k] as usize;
                                        this.score_candidate(p, pattern_list[id], keep_by_id[id])
                                    })
                            })
                            .collect(),
                    }
                }
                (coded, _, _) => {
                    let pairs = candidates.chunk(c);
                    let (gammas, keep): (Vec<u64>, Vec<bool>) = match coded {
                        Some(coded) => coded
                            .iter()
                            .map(|id| (pattern_list[*id as usize], keep_by_id[*id as usize]))
                            .unzip(),
                        None => gammas_of(&self.records, &pairs, photo_max)
                            .into_iter()
                            .map(|g| (g, keep_by_pattern.get(&g).copied().unwrap_or(true)))
                            .unzip(),
                    };
                    if count_now {
                        n_candidates += pairs.len();
                    }
                    pairs
                        .par_iter()
                        .zip(gammas.par_iter())
                        .zip(keep.par_iter())
                        .filter_map(|((&p, &g), &keep)| self.score_candidate(p, g, keep))
                        .collect()
                }
            };
            for (k, s) in scored {
                new_keys.push(k);
                self.pairs.insert(k, s);
            }
            if (c + 1) % 25 == 0 {
                self.progress(&format!(
                    "scored chunk {}/{n_chunks}, {} pairs kept",
                    c + 1,
                    new_keys.len()
                ));
            }
        }
        drop(cache);
        drop(candidates);
        self.progress(&format!("scored: {} pairs kept", new_keys.len()));
        // 7. Rings.
        let old_ring_of = std::mem::take(&mut self.ring_of);
        self.cluster();
        self.progress(&format!("{} rings", self.rings.len()));
        if self.consume {
            // A batch's state is dropped after the run: what only candidate search and scoring
            // needed goes now, before the result (rings, facts, waterfalls) is built, so that the two
            // are not held at once. Facts read the records of ring members only. Records are cleared
            // in parallel, so their memory returns to the allocator arenas of the threads that build
            // the facts below.
            self.blocks = KeyIndex::default();
            self.holders = KeyIndex::default();
            self.photos = PhotoIndex::default();
            let ring_of = &self.ring_of;
            self.records
                .par_iter_mut()
                .enumerate()
                .filter(|(i, _)| !ring_of.contains_key(&(*i as u32)))
                .for_each(|(_, r)| *r = Record::default());
        }
        // 8. Facts of the touched subjects: dirty ones, members of their old and new rings, rings with a
        // new sanctions hit.
        let mut affected: BTreeSet<u32> = dirty.clone();
        let mut ring_ids: BTreeSet<usize> = BTreeSet::new();
        for i in dirty.iter().chain(sanction_touched.iter()) {
            if let Some(&r) = self.ring_of.get(i) {
                ring_ids.insert(r);
            }
            if let Some(&r) = old_ring_of.get(i) {
                // Members of a ring this record left also change.
                for (m, rr) in &old_ring_of {
                    if *rr == r {
                        affected.insert(*m);
                    }
                }
            }
        }
        for r in &ring_ids {
            affected.extend(self.rings[*r].iter().copied());
        }
        if self.consume && self.sparse_facts {
            let mut paired = vec![false; self.records.len()];
            for &(i, j) in self.pairs.keys() {
                paired[i as usize] = true;
                paired[j as usize] = true;
            }
            affected.retain(|i| self.ring_of.contains_key(i) || paired[*i as usize]);
        }
        let rings_now = self.rings();
        let affected: Vec<u32> = affected.into_iter().collect();
        // In parallel, in subject order, into one vector sized in advance (a ring member has
        // `facts::RING_FACTS` facts, anyone else one); a part of 64 K subjects at a time, so that no
        // second copy of every fact is held while they are gathered.
        let expected: usize = affected
            .iter()
            .map(|i| {
                if self.ring_of.contains_key(i) {
                    facts::RING_FACTS
                } else {
                    1
                }
            })
            .sum();
        let mut facts_out: Vec<Fact> = Vec::with_capacity(expected);
        for part in affected.chunks(1 << 16) {
            // Extended in place: a part collected apart and appended was copied twice.
            facts_out.par_extend(
                part.par_iter()
                    .flat_map_iter(|&i| self.facts_of(i, &rings_now)),
            );
        }
        drop(affected);
        let mut excluded_values: Vec<ExcludedValue> = self.excluded.values().cloned().collect();
        for ((comp, value), n) in &self.placeholders {
            excluded_values.push(ExcludedValue {
                comparison: *comp,
                value: value.clone(),
                holders: *n,
                reason: "placeholder".into(),
            });
        }
        excluded_values.sort_by(|a, b| (a.comparison, &a.value).cmp(&(b.comparison, &b.value)));
        let linked_pairs = self.pairs.values().filter(|p| p.pair.linked).count();
        // A batch's state is dropped after the run: its pairs move into the result instead of being
        // copied (a copy of every waterfall was a fifth of the peak memory at a million subjects).
        let mut new_pairs: Vec<ScoredPair> = if self.consume {
            std::mem::take(&mut self.pairs)
                .into_values()
                .map(|s| s.pair)
                .collect()
        } else {
            new_keys
                .iter()
                .filter_map(|k| self.pairs.get(k))
                .map(|s| s.pair.clone())
                .collect()
        };
        let hub_pairs = new_pairs
            .iter()
            .filter(|p| p.linked && !p.ring_edge)
            .count();
        if hub_pairs > 0 {
            notes.push(format!(
                "{hub_pairs} linked pairs rest on one value held by more than {} subjects and do not join rings (hub guard)",
                self.config.hub_degree
            ));
        }
        new_pairs.sort_by(|a, b| (&a.a, &a.b).cmp(&(&b.a, &b.b)));
        let stats = LinkStats {
            subjects: self.records.len(),
            dirty_subjects: dirty.len(),
            candidate_pairs: n_candidates,
            oversized_blocks: oversized,
            linked_pairs,
            rings: self.rings.len(),
            em_iterations,
            lambda: self.model.as_ref().map_or(0.0, |m| m.lambda),
        };
        LinkageResult {
            rings: rings_now,
            pairs: new_pairs,
            facts: facts_out,
            excluded_values,
            notes,
            stats,
        }
    }

    /// Steps 2-5 of an incremental run: update holders, exclusions and blocks for the changed records,
    /// find the dirty records and their candidate pairs.
    fn incremental_candidates(
        &mut self,
        mut changed: BTreeMap<u32, Record>,
    ) -> (BTreeSet<u32>, Vec<u64>, usize) {
        // 2. Update value holders. A pair's weight depends on its values' holder counts only through
        // their count class (quarter-bit buckets, over the hub degree or not), so only the holders of a
        // value whose class changed are re-compared: amortised, a batch touches few old records.
        let mut old_counts: HashMap<u64, usize> = HashMap::new();
        for (&i, new) in &changed {
            let old = &self.records[i as usize];
            for (_, h) in value_hashes(old).into_iter().chain(value_hashes(new)) {
                old_counts
                    .entry(h)
                    .or_insert_with(|| self.holders.len_of(&h));
            }
        }
        for (&i, new) in &changed {
            for (_, h) in value_hashes(&self.records[i as usize]) {
                if let Some(v) = self.holders.get_mut(&h) {
                    remove_sorted(v, i);
                }
            }
            for (_, h) in value_hashes(new) {
                insert_sorted(self.holders.entry(h), i);
            }
        }
        // Exclusion of values held by too many subjects.
        let mut reindex: BTreeSet<u32> = changed.keys().copied().collect();
        for new in changed.values() {
            for (comp, h) in value_hashes(new) {
                let n = self.holders.len_of(&h);
                if excludable(comp)
                    && n > self.config.max_value_holders
                    && !self.excluded.contains_key(&h)
                {
                    let value = value_text(new, comp, h).unwrap_or_default();
                    self.excluded.insert(
                        h,
                        ExcludedValue {
                            comparison: comp,
                            value,
                            holders: n,
                            reason: format!(
                                "held by {n} subjects (limit {})",
                                self.config.max_value_holders
                            ),
                        },
                    );
                    if let Some(hs) = self.holders.get(&h) {
                        reindex.extend(hs.iter().copied());
                    }
                }
            }
        }
        for e in self.excluded.values_mut() {
            let h = hash_value(e.comparison, &e.value);
            if let Some(hs) = self.holders.get(&h) {
                e.holders = hs.len();
            }
        }
        // 3. Re-index the blocks of changed records (stripped of excluded values).
        let excluded: HashSet<u64> = self.excluded.keys().copied().collect();
        let mut old_sizes: HashMap<u64, usize> = HashMap::new();
        let mut staged: Vec<(u32, Record)> = Vec::new();
        for &i in &reindex {
            let mut r = changed
                .remove(&i)
                .unwrap_or_else(|| self.records[i as usize].clone());
            strip(&mut r, &excluded);
            for b in block_keys(&self.records[i as usize])
                .into_iter()
                .chain(block_keys(&r))
            {
                old_sizes.entry(b).or_insert_with(|| self.blocks.len_of(&b));
            }
            staged.push((i, r));
        }
        let mut old_photo_sizes: HashMap<usize, usize> = HashMap::new();
        for (i, r) in &staged {
            for p in self.records[*i as usize].photos.iter().chain(&r.photos) {
                for (b, n) in self.photos.bucket_sizes(*p) {
                    old_photo_sizes.entry(b).or_insert(n);
                }
            }
        }
        for (i, r) in staged {
            for b in block_keys(&self.records[i as usize]) {
                if let Some(v) = self.blocks.get_mut(&b) {
                    remove_sorted(v, i);
                }
            }
            for b in block_keys(&r) {
                insert_sorted(self.blocks.entry(b), i);
            }
            for &p in &self.records[i as usize].photos {
                self.photos.remove(p, i);
            }
            for &p in &r.photos {
                self.photos.insert(p, i);
            }
            self.records[i as usize] = r;
        }
        // 4. Dirty records: re-indexed ones, holders of values whose count class changed, members of
        // blocks that crossed the size cap.
        let hub = self.config.hub_degree;
        let class = |n: usize| -> (i64, bool) {
            let bucket = if n == 0 {
                -1
            } else {
                (4.0 * (n as f64).log2()).floor() as i64
            };
            (bucket, n > hub)
        };
        let mut dirty: BTreeSet<u32> = reindex.clone();
        for (h, before) in &old_counts {
            let now = self.holders.len_of(h);
            if class(*before) != class(now)
                && let Some(m) = self.holders.get(h)
            {
                dirty.extend(m.iter().copied());
            }
        }
        for (b, before) in &old_sizes {
            let now = self.blocks.len_of(b);
            let limit = BlockRule::of(*b).limit(&self.config);
            if (*before > limit) != (now > limit)
                && let Some(m) = self.blocks.get(b)
            {
                dirty.extend(m.iter().copied());
            }
        }
        // Photo buckets that crossed their limit: every search probing them changes.
        let photo_limit = photo_bucket_limit(&self.config);
        for (b, before) in &old_photo_sizes {
            if (*before > photo_limit) != (self.photos.bucket_len(*b) > photo_limit) {
                dirty.extend(self.photos.searchers_of(*b));
            }
        }

        // 5. Candidate pairs touching a dirty record.
        let mut oversized: HashSet<u64> = HashSet::new();
        let dirty_vec: Vec<u32> = dirty.iter().copied().collect();
        let dirty_set: &BTreeSet<u32> = &dirty;
        let blocks = &self.blocks;
        let records = &self.records;
        let config = &self.config;
        let per_record: Vec<(Vec<u64>, Vec<u64>)> = dirty_vec
            .par_iter()
            .map(|&i| {
                let mut pairs = Vec::new();
                let mut over = Vec::new();
                for b in block_keys(&records[i as usize]) {
                    let Some(m) = blocks.get(&b) else { continue };
                    if m.len() > BlockRule::of(b).limit(config) {
                        over.push(b);
                        continue;
                    }
                    for &j in m {
                        // A pair of two dirty records is emitted by the smaller one only.
                        if j == i || (j < i && dirty_set.contains(&j)) {
                            continue;
                        }
                        let (a, c) = pair_key(i, j);
                        pairs.push((u64::from(a) << 32) | u64::from(c));
                    }
                }
                pairs.extend(self.photo_pairs_of(i));
                pairs.sort_unstable();
                pairs.dedup();
                (pairs, over)
            })
            .collect();
        let mut candidates: Vec<u64> = Vec::new();
        for (p, o) in per_record {
            candidates.extend(p);
            oversized.extend(o);
        }
        candidates.par_sort_unstable();
        candidates.dedup();
        (dirty, candidates, oversized.len())
    }

    /// The same for a fresh state (a batch): sort-based grouping instead of per-record updates. The
    /// candidate pairs are not listed: they are enumerated block by block ([`Candidates::Blocks`]), each
    /// pair once (by the smallest blocking key its two records share), so that a batch of millions of
    /// subjects never holds its hundreds of millions of pairs.
    fn fresh_candidates(
        &mut self,
        changed: BTreeMap<u32, Record>,
    ) -> (BTreeSet<u32>, Candidates, usize) {
        for (i, r) in changed {
            self.records[i as usize] = r;
        }
        // (value hash, holder); a value's comparison is looked up again only for excluded values.
        let mut vh: Vec<(u64, u32)> = self
            .records
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, r)| value_hashes(r).into_iter().map(move |(_, h)| (h, i as u32)))
            .collect();
        vh.par_sort_unstable();
        for run in vh.chunk_by(|x, y| x.0 == y.0) {
            let (h, holder) = run[0];
            if run.len() <= self.config.max_value_holders {
                continue;
            }
            let record = &self.records[holder as usize];
            let Some(comp) = value_hashes(record)
                .into_iter()
                .find(|(c, x)| *x == h && excludable(*c))
                .map(|(c, _)| c)
            else {
                continue;
            };
            let value = value_text(record, comp, h).unwrap_or_default();
            self.excluded.insert(
                h,
                ExcludedValue {
                    comparison: comp,
                    value,
                    holders: run.len(),
                    reason: format!(
                        "held by {} subjects (limit {})",
                        run.len(),
                        self.config.max_value_holders
                    ),
                },
            );
        }
        self.holders = KeyIndex::from_sorted(&vh);
        drop(vh);
        self.progress(&format!(
            "value holders indexed ({} excluded values)",
            self.excluded.len()
        ));
        let excluded: HashSet<u64> = self.excluded.keys().copied().collect();
        self.records
            .par_iter_mut()
            .for_each(|r| strip(r, &excluded));
        let mut bk: Vec<(u64, u32)> = self
            .records
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, r)| block_keys(r).into_iter().map(move |b| (b, i as u32)))
            .collect();
        bk.par_sort_unstable();
        // A batch's state is dropped after the run: nothing links into it later, so it keeps no
        // blocks index (candidates are enumerated from the sorted entries below).
        if !self.consume {
            self.blocks = KeyIndex::from_sorted(&bk);
        }
        // Blocks that make pairs: 2..=cap members.
        let mut oversized = 0;
        let mut pairing: Vec<(u64, u32)> = Vec::new();
        for run in bk.chunk_by(|x, y| x.0 == y.0) {
            if run.len() > BlockRule::of(run[0].0).limit(&self.config) {
                oversized += 1;
            } else if run.len() >= 2 {
                pairing.extend_from_slice(run);
            }
        }
        drop(bk);
        pairing.shrink_to_fit();
        let mut candidates = Candidates::blocks(pairing, self.records.len(), CHUNK_PAIRS);
        for (i, r) in self.records.iter().enumerate() {
            for &p in &r.photos {
                self.photos.insert(p, i as u32);
            }
        }
        if let Candidates::Blocks(b) = &mut candidates {
            // Each pair once: from its smaller record, and only if no pairing block already makes it.
            let mut photo_pairs: Vec<u64> = (0..self.records.len() as u32)
                .into_par_iter()
                .filter(|&i| !self.records[i as usize].photos.is_empty())
                .flat_map_iter(|i| {
                    self.photo_pairs_of(i)
                        .into_iter()
                        .filter(move |&p| (p >> 32) as u32 == i)
                })
                .filter(|&p| b.first_shared((p >> 32) as u32, p as u32).is_none())
                .collect();
            photo_pairs.par_sort_unstable();
            b.photo_pairs = photo_pairs;
        }
        self.progress(&format!(
            "blocks indexed ({} pairing entries, up to {} pairs before de-duplication)",
            candidates.entries(),
            candidates.upper_bound()
        ));
        let dirty: BTreeSet<u32> = (0..self.records.len() as u32).collect();
        (dirty, candidates, oversized)
    }

    /// The pairs (packed, smaller record first) of record `i` with the records holding a photo within
    /// [`LinkageConfig::photo_max_distance`] of one of its photos, sorted.
    fn photo_pairs_of(&self, i: u32) -> Vec<u64> {
        let (max, limit) = (
            self.config.photo_max_distance,
            photo_bucket_limit(&self.config),
        );
        let mut out = Vec::new();
        for &p in &self.records[i as usize].photos {
            self.photos.near(p, max, limit, |j| {
                if j != i {
                    let (a, b) = pair_key(i, j);
                    out.push((u64::from(a) << 32) | u64::from(b));
                }
            });
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Level counts of random pairs (for u).
    fn sample_u_counts(&self) -> Vec<Vec<u64>> {
        let n = self.records.len() as u64;
        let mut counts: Vec<Vec<u64>> = COMPARISONS
            .iter()
            .map(|c| vec![0; c.levels().len()])
            .collect();
        if n < 2 {
            return counts;
        }
        let all = n * (n - 1) / 2;
        let k = (self.config.u_sample_pairs as u64).min(all);
        let seed = self.config.seed;
        let photo_max = self.config.photo_max_distance;
        let records = &self.records;
        let pair_at = |t: u64| -> u64 {
            let (i, j) = if all <= k {
                // Enumerate every pair of a small set.
                unrank(t, n)
            } else {
                let x = splitmix(seed ^ t.wrapping_mul(0x2545_F491_4F6C_DD1D));
                let i = x % n;
                let mut j = splitmix(x) % (n - 1);
                if j >= i {
                    j += 1;
                }
                (i, j)
            };
            (i << 32) | j
        };
        let groups = k.div_ceil(WARM_PAIRS as u64);
        let partial: Vec<Vec<Vec<u64>>> = (0..groups)
            .into_par_iter()
            .fold(
                || {
                    COMPARISONS
                        .iter()
                        .map(|c| vec![0u64; c.levels().len()])
                        .collect::<Vec<_>>()
                },
                |mut acc, group| {
                    let from = group * WARM_PAIRS as u64;
                    let pairs: Vec<u64> = (from..(from + WARM_PAIRS as u64).min(k))
                        .map(pair_at)
                        .collect();
                    warm(records, &pairs);
                    for p in pairs {
                        let (i, j) = unpack_pair(p);
                        let g = compare(&records[i], &records[j], photo_max);
                        for (c, l) in g.iter().enumerate() {
                            acc[c][*l as usize] += 1;
                        }
                    }
                    acc
                },
            )
            .collect();
        for p in partial {
            for (c, row) in p.into_iter().enumerate() {
                for (l, v) in row.into_iter().enumerate() {
                    counts[c][l] += v;
                }
            }
        }
        counts
    }

    fn is_benign(
        &self,
        comp: Comparison,
        value: &str,
        household: bool,
    ) -> Option<Cow<'static, str>> {
        if let Some(b) = self
            .config
            .benign_values
            .iter()
            .find(|b| b.comparison == comp.name() && b.value.eq_ignore_ascii_case(value))
        {
            return Some(Cow::Owned(format!("known benign: {}", b.reason)));
        }
        if comp == Comparison::Egress {
            let addr = value.split_once(':').map_or(value, |(_, v)| v);
            let addr = addr.split('/').next().unwrap_or(addr);
            if let Ok(ip) = addr.parse::<IpAddr>()
                && self.config.benign_networks.iter().any(|r| r.contains(ip))
            {
                return Some(Cow::Borrowed("configured corporate range"));
            }
        }
        if household && comp.household_shared() {
            return Some(Cow::Borrowed(
                "shared within a household (same home address)",
            ));
        }
        None
    }

    fn holders_of(&self, h: u64) -> usize {
        self.holders.len_of(&h)
    }

    /// The holder count used for term frequencies, as a bucket: rounded down to a quarter bit, so that
    /// a pair's weight changes only when the bucket does (see the dirty tracking in `add_with`); -1
    /// for a value held by none. [`tf_of_bucket`] gives the count back.
    fn count_bucket(&self, h: u64) -> i64 {
        let n = self.holders_of(h);
        if n == 0 {
            -1
        } else {
            (4.0 * (n as f64).log2()).floor() as i64
        }
    }

    /// Whether any pair with comparison vector `g` may be kept by [`LinkState::score`]: its score
    /// computed with every term-frequency level as strong as a value held once (and every other level
    /// as fitted), which bounds every pair's score from above because each step of the score (caps
    /// included) never decreases when a comparison's weight grows.
    fn may_keep(&self, g: &Gamma) -> bool {
        let Some(model) = self.model.as_ref() else {
            return false;
        };
        let cfg = &self.config;
        let mut tally = Tally::new(model.prior_bits());
        for comp in COMPARISONS {
            let c = comp as usize;
            let level = g[c];
            if level == 0 {
                continue;
            }
            tally.corroborated |= comp.corroborates(level);
            let m = model.m[c][level as usize].max(1e-9);
            let fitted = (m / model.u[c][level as usize].clamp(1e-12, 1.0)).log2();
            let tf = comp.tf_level() == Some(level);
            let mut bits = if tf || comp == Comparison::Egress {
                let mut denom = model.tf_denominator[c];
                if comp.floored() || comp == Comparison::Egress {
                    denom = denom.max(cfg.population_floor);
                }
                let rarest = (m / (1.0 / denom).clamp(1e-12, 1.0)).log2();
                let best = fitted.max(rarest);
                if tf { best.max(0.0) } else { best }
            } else {
                fitted
            };
            if let Some((cap, _)) = Tally::cap_of(comp, cfg) {
                bits = bits.min(cap);
            }
            tally.add(comp, bits);
        }
        tally.cap_location(cfg);
        // A little slack for rounding: a pattern at the edge is scored.
        const SLACK: f64 = 1e-6;
        let person_needed = logit2(cfg.person_threshold).min(logit2(cfg.report_threshold));
        (tally.corroborated && tally.person + SLACK >= person_needed)
            || tally.operator + SLACK >= cfg.operator_threshold
    }

    /// Whether two records are one household: the same home address (by its hash), or one of the
    /// households the configuration declares.
    fn same_household(&self, i: u32, j: u32) -> bool {
        let (a, b) = (&self.records[i as usize], &self.records[j as usize]);
        // Most configurations declare no households: no two id lookups for every scored pair then.
        (a.address.is_some() && b.address.is_some() && a.address_key == b.address_key)
            || !self.households.is_empty()
                && matches!(
                    (
                        self.households.get(&self.ids[i as usize]),
                        self.households.get(&self.ids[j as usize])
                    ),
                    (Some(x), Some(y)) if x == y
                )
    }

    /// Scores a candidate pair (packed `i << 32 | j`) of packed comparison vector `g`, with its
    /// waterfall when kept; `keep` is [`LinkState::may_keep`] of its pattern (debug builds check
    /// that a pair it rules out is indeed not kept).
    fn score_candidate(&self, p: u64, g: u64, keep: bool) -> Option<((u32, u32), Scored)> {
        let (i, j) = ((p >> 32) as u32, (p & 0xffff_ffff) as u32);
        let g = unpack(g);
        if !keep {
            debug_assert!(
                self.score(i, j, &g, false).is_none(),
                "a pair of pattern {g:?} kept above its pattern's bound"
            );
            return None;
        }
        self.score(i, j, &g, false)?;
        self.score(i, j, &g, true).map(|s| ((i, j), s))
    }

    /// Scores a pair; without `detail`, only says whether the pair is kept (no waterfall is built).
    fn score(&self, i: u32, j: u32, g: &Gamma, detail: bool) -> Option<Scored> {
        let model = self.model.as_ref()?;
        let cfg = &self.config;
        let (a, b) = (&self.records[i as usize], &self.records[j as usize]);
        let (ida, idb) = (&self.ids[i as usize], &self.ids[j as usize]);
        let household = self.same_household(i, j);
        let prior = model.prior_bits();
        let mut hashes: Vec<u64> = Vec::new();
        let mut contributions = Vec::new();
        if detail {
            contributions.push(Contribution {
                comparison: Cow::Borrowed("prior"),
                level: Cow::Owned(format!("lambda {:.4}", model.lambda)),
                value: None,
                bits: prior,
                m: model.lambda,
                u: 1.0 - model.lambda,
                operator: false,
                note: None,
            });
        }
        let mut tally = Tally::new(prior);
        let mut carrier: Option<(f64, u64)> = None;
        let mut swapped: Option<bool> = None;
        for comp in COMPARISONS {
            let c = comp as usize;
            let level = g[c];
            if level == 0 {
                continue;
            }
            tally.corroborated |= comp.corroborates(level);
            let mut m = model.m[c][level as usize];
            let mut u = model.u[c][level as usize];
            let mut value = None;
            let mut note = None;
            let mut value_hash = None;
            let tf = comp.tf_level() == Some(level);
            if tf {
                agreed_hashes(
                    a,
                    b,
                    comp,
                    || *swapped.get_or_insert_with(|| names_swapped(a, b)),
                    &mut hashes,
                );
                // The rarest agreed value, its holders counted once.
                if let Some((bucket, h)) = hashes.iter().map(|&h| (self.count_bucket(h), h)).min() {
                    let v = if detail || !cfg.benign_values.is_empty() {
                        crate::compare::value_text(a, comp, h).unwrap_or_default()
                    } else {
                        String::new()
                    };
                    let mut denom = model.tf_denominator[c];
                    if comp.floored() {
                        denom = denom.max(cfg.population_floor);
                    }
                    u = (tf_of_bucket(bucket) / denom).max(1.0 / denom);
                    value = Some(v);
                    value_hash = Some(h);
                }
            } else if comp == Comparison::Egress {
                let s = crate::compare::shared(a, b, comp);
                let pick = s
                    .iter()
                    .filter(|k| (level == 2) == k.value.starts_with("ip:"))
                    .map(|k| ((self.count_bucket(k.hash), k.hash), k))
                    .min_by_key(|(key, _)| *key);
                if let Some(((bucket, _), k)) = pick {
                    value = Some(k.value.to_string());
                    value_hash = Some(k.hash);
                    // A shared egress is as common as its number of holders.
                    let denom = model.tf_denominator[c].max(cfg.population_floor);
                    u = (tf_of_bucket(bucket) / denom).max(1.0 / denom);
                }
            }
            m = m.max(1e-9);
            u = u.clamp(1e-12, 1.0);
            let mut bits = (m / u).log2();
            if tf {
                bits = bits.max(0.0);
            }
            if bits > 0.0
                && let Some(v) = &value
                && let Some(reason) = self.is_benign(comp, v, household)
                && bits > cfg.benign_cap_bits
            {
                bits = cfg.benign_cap_bits;
                note = Some(reason);
            }
            if let Some((cap, why)) = Tally::cap_of(comp, cfg)
                && bits > cap
            {
                bits = cap;
                note.get_or_insert(Cow::Borrowed(why));
            }
            let op = tally.add(comp, bits);
            if op
                && let Some(h) = value_hash
                && carrier.is_none_or(|(cb, _)| bits > cb)
            {
                carrier = Some((bits, h));
            }
            if detail {
                contributions.push(Contribution {
                    comparison: Cow::Borrowed(comp.name()),
                    level: Cow::Borrowed(comp.levels()[level as usize]),
                    value,
                    bits,
                    m,
                    u,
                    operator: op,
                    note,
                });
            }
        }
        let location_adjustment = tally.cap_location(cfg);
        if let Some(adj) = location_adjustment
            && detail
        {
            contributions.push(Contribution {
                comparison: Cow::Borrowed("location cap"),
                level: Cow::Owned(format!(
                    "address, postcode and city count as one ({:.1} bits at most)",
                    cfg.location_cap_bits
                )),
                value: None,
                bits: adj,
                m: 1.0,
                u: 1.0,
                operator: false,
                note: None,
            });
        }
        let Tally {
            person,
            operator,
            corroborated,
            ..
        } = tally;
        let probability = 1.0 / (1.0 + (-person * std::f64::consts::LN_2).exp());
        // Names and place alone never make one person, however rare the name: at a million
        // subjects, strangers sharing an uncommon name in one city outnumber true duplicates, and the
        // fitted prior follows them (docs/crates/redflag-linkage.md, "Corroboration").
        let person_margin = if corroborated {
            person - logit2(cfg.person_threshold)
        } else {
            f64::NEG_INFINITY
        };
        let operator_margin = operator - cfg.operator_threshold;
        let linked = person_margin >= 0.0 || operator_margin >= 0.0;
        if !linked && (probability < cfg.report_threshold || !corroborated) {
            return None;
        }
        // Hub guard: a link that rests on one value held by many does not join rings.
        let mut ring_edge = linked;
        if linked
            && let Some((cb, h)) = carrier
            && self.holders_of(h) > cfg.hub_degree
            && person_margin - cb < 0.0
            && operator_margin - cb < 0.0
        {
            ring_edge = false;
        }
        let (sa, sb) = if ida <= idb { (ida, idb) } else { (idb, ida) };
        Some(Scored {
            margin: person_margin.max(operator_margin),
            pair: ScoredPair {
                a: sa.clone(),
                b: sb.clone(),
                person_bits: person,
                probability,
                operator_bits: operator,
                linked,
                ring_edge,
                contributions,
            },
        })
    }

    /// Rings: edges in decreasing margin, joined while the ring stays within `max_ring_size`
    /// (a size-capped maximum spanning forest). Deterministic in the set of edges.
    fn cluster(&mut self) {
        let mut edges: Vec<(f64, u32, u32)> = self
            .pairs
            .iter()
            .filter(|(_, s)| s.pair.ring_edge)
            .map(|((i, j), s)| (s.margin, *i, *j))
            .collect();
        edges.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        let mut uf = UnionFind::default();
        for (_, i, j) in edges {
            uf.union_capped(i, j, self.config.max_ring_size);
        }
        let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let nodes: Vec<u32> = uf.parent.keys().copied().collect();
        for x in nodes {
            let r = uf.find(x);
            groups.entry(r).or_default().push(x);
        }
        let mut rings: Vec<Vec<u32>> = groups
            .into_values()
            .filter(|g| g.len() >= 2)
            .map(|mut g| {
                g.sort_by(|a, b| self.ids[*a as usize].cmp(&self.ids[*b as usize]));
                g
            })
            .collect();
        rings.sort_by(|a, b| self.ids[a[0] as usize].cmp(&self.ids[b[0] as usize]));
        self.ring_of = rings
            .iter()
            .enumerate()
            .flat_map(|(r, m)| m.iter().map(move |i| (*i, r)))
            .collect();
        self.rings = rings;
    }

    fn ring(&self, r: usize) -> Ring {
        let members = &self.rings[r];
        let set: HashSet<u32> = members.iter().copied().collect();
        let mut links = Vec::new();
        let mut score: f64 = 0.0;
        for &i in members {
            for (&(a, b), s) in self.pairs.range((i, 0)..=(i, u32::MAX)) {
                if !set.contains(&b) || !s.pair.linked || a != i {
                    continue;
                }
                score = score.max(s.pair.probability.max(
                    if s.pair.operator_bits >= self.config.operator_threshold {
                        1.0 - 2f64.powf(-s.pair.operator_bits)
                    } else {
                        0.0
                    },
                ));
                for c in &s.pair.contributions {
                    if c.bits <= 0.0 || c.comparison == "prior" {
                        continue;
                    }
                    links.push(RingLink {
                        a: s.pair.a.clone(),
                        b: s.pair.b.clone(),
                        kind: c.comparison.to_string(),
                        identifier_kind: facts::identifier_kind(&c.comparison),
                        value: c.value.clone().unwrap_or_else(|| c.level.to_string()),
                        weight: c.bits,
                    });
                }
            }
        }
        links.sort_by(|x, y| (&x.a, &x.b, &x.kind, &x.value).cmp(&(&y.a, &y.b, &y.kind, &y.value)));
        let ids: Vec<SubjectId> = members
            .iter()
            .map(|i| self.ids[*i as usize].clone())
            .collect();
        Ring {
            id: RingId(format!("ring:{}", ids[0])),
            members: ids,
            links,
            score,
        }
    }

    fn facts_of(&self, i: u32, rings: &[Ring]) -> Vec<Fact> {
        let id = &self.ids[i as usize];
        let Some(&r) = self.ring_of.get(&i) else {
            return vec![facts::not_in_ring(id)];
        };
        let members = &self.rings[r];
        let rec = &self.records[i as usize];
        let others: Vec<u32> = members.iter().copied().filter(|m| *m != i).collect();
        let benign = |comp: Comparison, v: &str, other: u32| {
            self.is_benign(comp, v, self.same_household(i, other))
                .is_some()
        };
        let sharing = |comp: Comparison| -> Vec<(String, Vec<SubjectId>)> {
            keys_of(rec, comp)
                .iter()
                .map(|k| {
                    let with: Vec<SubjectId> = others
                        .iter()
                        .filter(|o| {
                            keys_of(&self.records[**o as usize], comp)
                                .iter()
                                .any(|x| x.hash == k.hash)
                                && !benign(comp, &k.value, **o)
                        })
                        .map(|o| self.ids[*o as usize].clone())
                        .collect();
                    (k.value.to_string(), with)
                })
                .filter(|(_, w)| !w.is_empty())
                .collect()
        };
        let payout = sharing(Comparison::Payout);
        let shipping = sharing(Comparison::Shipping);
        // Shifts: another member on a shared egress, whose sign-in hours there do not overlap ours.
        let mut shifts = Vec::new();
        for k in keys_of(rec, Comparison::Egress) {
            for &o in &others {
                if !keys_of(&self.records[o as usize], Comparison::Egress)
                    .iter()
                    .any(|x| x.hash == k.hash)
                    || benign(Comparison::Egress, &k.value, o)
                {
                    continue;
                }
                let (ma, mb) = (self.hours_on(i, &k.value), self.hours_on(o, &k.value));
                let (na, nb) = (ma.count_ones(), mb.count_ones());
                if na >= 2 && nb >= 2 {
                    let overlap = f64::from((ma & mb).count_ones()) / f64::from(na.min(nb));
                    if overlap <= self.config.shift_overlap_max {
                        shifts.push((k.value.to_string(), self.ids[o as usize].clone(), ma, mb));
                    }
                }
            }
        }
        let sanctioned: Vec<SubjectId> = others
            .iter()
            .filter(|o| self.sanctioned.contains(o))
            .map(|o| self.ids[*o as usize].clone())
            .collect();
        facts::ring_facts(id, &rings[r], &payout, &shipping, &shifts, &sanctioned)
    }

    fn hours_on(&self, i: u32, key: &str) -> u32 {
        let Some(list) = self.hours.get(&i) else {
            return 0;
        };
        let (kind, v) = key.split_once(':').unwrap_or(("", key));
        list.iter()
            .filter(|(ip, _)| match kind {
                "ip" => ip.to_string() == v,
                _ => crate::config::IpRange::parse(v).is_ok_and(|r| r.contains(*ip)),
            })
            .fold(0, |acc, (_, m)| acc | m)
    }
}

fn strip(r: &mut Record, excluded: &HashSet<u64>) {
    if excluded.is_empty() {
        return;
    }
    // A photo held by too many subjects (a default avatar) is searched for near duplicates no more.
    let overshared: Vec<u64> = keys_of(r, Comparison::Photo)
        .iter()
        .filter(|k| excluded.contains(&k.hash))
        .filter_map(|k| record::photo_u64(&k.value))
        .collect();
    r.photos.retain(|p| !overshared.contains(p));
    r.keys.retain(|k| !excluded.contains(&k.hash));
    if r.address
        .as_ref()
        .is_some_and(|a| excluded.contains(&hash_value(Comparison::Address, a)))
    {
        r.address = None;
        r.derive_keys();
    }
    if r.id_number
        .as_ref()
        .is_some_and(|a| excluded.contains(&hash_value(Comparison::IdNumber, a)))
    {
        r.id_number = None;
    }
}

fn value_text(r: &Record, comp: Comparison, h: u64) -> Option<String> {
    match comp {
        Comparison::Address => r.address.as_deref().map(str::to_string),
        Comparison::IdNumber => r.id_number.as_deref().map(str::to_string),
        _ => r
            .keys
            .iter()
            .find(|k| k.hash == h)
            .map(|k| k.value.to_string()),
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The `t`-th pair (i < j) of `n` items.
fn unrank(t: u64, n: u64) -> (u64, u64) {
    let mut i = 0;
    let mut rem = t;
    while rem >= n - 1 - i {
        rem -= n - 1 - i;
        i += 1;
    }
    (i, i + 1 + rem)
}

#[derive(Default)]
struct UnionFind {
    parent: BTreeMap<u32, u32>,
    size: HashMap<u32, usize>,
}

impl UnionFind {
    fn find(&mut self, x: u32) -> u32 {
        let mut root = x;
        while let Some(&p) = self.parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        let mut cur = x;
        while cur != root {
            let next = self.parent.get(&cur).copied().unwrap_or(root);
            self.parent.insert(cur, root);
            cur = next;
        }
        self.parent.entry(x).or_insert(x);
        root
    }

    fn union_capped(&mut self, a: u32, b: u32, cap: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let sa = *self.size.get(&ra).unwrap_or(&1);
        let sb = *self.size.get(&rb).unwrap_or(&1);
        if sa + sb > cap {
            return;
        }
        // The smaller root id becomes the root (deterministic).
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent.insert(child, root);
        self.size.insert(root, sa + sb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys sort by their rule, so a pair several blocks make is credited to the first rule in the
    /// documented order; each rule clears exactly the comparisons it forces from what EM sees.
    #[test]
    fn block_rules_order_keys_and_clear_what_they_force() {
        let email = BlockRule::identifier(Comparison::Email);
        let order = [
            BlockRule::identifier(Comparison::IdNumber),
            email,
            BlockRule::identifier(Comparison::ProfileUrl),
            BlockRule::RESUME,
            BlockRule::ADDRESS,
            BlockRule::BIRTH_DATE_GIVEN,
            BlockRule::BIRTH_DATE_FAMILY,
            BlockRule::POSTCODE,
            BlockRule::FULL_NAME,
        ];
        for w in order.windows(2) {
            // The largest hash of a rule sorts before the smallest of the next.
            assert!(w[0].key(u64::MAX) < w[1].key(0), "{w:?}");
        }
        for rule in order {
            assert_eq!(BlockRule::of(rule.key(0x1234_5678_9abc_def0)), rule);
        }
        let cleared = |rule: BlockRule| -> Vec<Comparison> {
            let g = unpack(pack(&[4; N_COMP]) & !rule.forced_levels());
            COMPARISONS
                .into_iter()
                .filter(|c| g[*c as usize] == 0)
                .collect()
        };
        use Comparison::*;
        assert_eq!(cleared(BlockRule::FULL_NAME), [GivenName, FamilyName]);
        assert_eq!(cleared(BlockRule::POSTCODE), [FamilyName, Postcode, City]);
        assert_eq!(cleared(BlockRule::ADDRESS), [Address, Postcode, City]);
        assert_eq!(
            cleared(BlockRule::BIRTH_DATE_GIVEN),
            [GivenName, DateOfBirth]
        );
        assert_eq!(cleared(BlockRule::RESUME), [Resume]);
        assert_eq!(cleared(BlockRule::identifier(Photo)), [Photo]);
        // An exact identifier stays: strangers rarely share one, and its m is learnt from the pairs
        // that share it.
        assert!(cleared(email).is_empty());
    }

    /// A listed pair (an incremental run) is credited as the blocks would credit it.
    #[test]
    fn a_listed_pair_is_credited_to_its_first_shared_rule() {
        let subject = |id: &str, email: &str| {
            let mut s = Subject {
                id: SubjectId::new("t", id).unwrap(),
                kind: redflag_model::SubjectKind::Employee,
                name: redflag_model::PersonName::new(None, Some("Ana"), Some("Lima")).unwrap(),
                claimed: Default::default(),
                role: None,
                identifiers: Vec::new(),
                attributes: Default::default(),
                provenance: redflag_model::Provenance::at_line("t", "t.csv", 2),
            };
            s.identifiers
                .push(redflag_model::Identifier::email(email).unwrap());
            s
        };
        let state = |a: Subject, b: Subject| {
            let mut st = LinkState::new(LinkageConfig::default(), None);
            st.add_chunks([vec![a, b]], &[], &ExtraEvidence::default());
            st
        };
        let shared = state(subject("a", "ana@x.example"), subject("b", "ana@x.example"));
        assert_eq!(
            credited_rule(&shared.records, 1),
            BlockRule::identifier(Comparison::Email)
        );
        let namesakes = state(
            subject("a", "ana@x.example"),
            subject("b", "lima@y.example"),
        );
        assert_eq!(credited_rule(&namesakes.records, 1), BlockRule::FULL_NAME);
    }

    #[test]
    fn unrank_enumerates_all_pairs() {
        let n = 5;
        let pairs: Vec<(u64, u64)> = (0..10).map(|t| unrank(t, n)).collect();
        assert_eq!(pairs[0], (0, 1));
        assert_eq!(pairs[3], (0, 4));
        assert_eq!(pairs[4], (1, 2));
        assert_eq!(pairs[9], (3, 4));
    }

    #[test]
    fn block_enumeration_gives_each_pair_once_across_chunks() {
        // Records 0-5 in overlapping blocks; the expected set is the de-duplicated list of pairs.
        let blocks: Vec<(u64, Vec<u32>)> = vec![
            (10, vec![0, 1, 2]),
            (20, vec![1, 2, 3]),
            (30, vec![0, 2, 4, 5]),
            (40, vec![3, 5]),
        ];
        let mut entries: Vec<(u64, u32)> = blocks
            .iter()
            .flat_map(|(k, m)| m.iter().map(move |i| (*k, *i)))
            .collect();
        entries.sort_unstable();
        let mut expect: Vec<u64> = blocks
            .iter()
            .flat_map(|(_, m)| {
                let m = m.clone();
                (0..m.len()).flat_map(move |x| {
                    let m = m.clone();
                    (x + 1..m.len()).map(move |y| (u64::from(m[x]) << 32) | u64::from(m[y]))
                })
            })
            .collect();
        expect.sort_unstable();
        expect.dedup();
        for chunk_pairs in [1, 3, 100] {
            let c = Candidates::blocks(entries.clone(), 6, chunk_pairs);
            let mut got: Vec<u64> = (0..c.n_chunks())
                .flat_map(|k| c.chunk(k).into_owned())
                .collect();
            assert_eq!(got.len(), expect.len(), "chunk size {chunk_pairs}");
            got.sort_unstable();
            assert_eq!(got, expect);
            assert_eq!(c.upper_bound(), 3 + 3 + 6 + 1);
            // Each chunk's per-block counts find every block's pairs again in place (scoring
            // enumerates only some blocks and reads their pattern numbers at these offsets), and
            // each pair's places in its block give the pair back.
            let Candidates::Blocks(b) = &c else {
                panic!("blocks expected")
            };
            for k in 0..c.n_chunks() {
                let CountedChunk {
                    pairs,
                    per_block,
                    placed,
                    credited,
                } = c.chunk_counted(k);
                assert_eq!(pairs, c.chunk(k));
                // Each block's pairs are credited to its key's rule.
                let rules: Vec<(BlockRule, usize)> = b.chunks[k]
                    .clone()
                    .map(|r| {
                        (
                            BlockRule::of(b.entries[b.runs[r].0].0),
                            b.run_pairs(r).len(),
                        )
                    })
                    .collect();
                assert_eq!(credited, rules);
                let counts = per_block.expect("a chunk of blocks has per-block counts");
                let placed = placed.expect("blocks of a few members have places");
                assert_eq!(counts.len(), b.chunks[k].len());
                assert_eq!(placed.len(), pairs.len());
                let mut offset = 0;
                for (r, n) in b.chunks[k].clone().zip(counts) {
                    let n = n as usize;
                    assert_eq!(b.run_pairs(r), pairs[offset..offset + n]);
                    for at in offset..offset + n {
                        assert_eq!(b.pair_at(r, placed[at]), pairs[at]);
                    }
                    offset += n;
                }
                assert_eq!(offset, pairs.len());
            }
        }
        assert!(Candidates::blocks(entries.clone(), 6, 1).n_chunks() == 4);
        // A block of over 256 members (a cap raised above the default) has no places in a byte:
        // scoring enumerates it again.
        let big: Vec<(u64, u32)> = (0..300u32).map(|i| (9, i)).collect();
        let c = Candidates::blocks(big, 300, 1 << 20);
        let counted = c.chunk_counted(0);
        assert_eq!(counted.pairs.len(), 300 * 299 / 2);
        assert!(counted.placed.is_none());
    }

    /// Comparing in warmed groups gives every pair's vector in the pairs' order, a short last group
    /// included.
    #[test]
    fn gammas_in_warmed_groups_are_each_pairs_comparison_in_order() {
        let records: Vec<Record> = (0..40u32)
            .map(|k| {
                let mut r = Record {
                    given: ["anna", "anne", "ivan", "minh"][k as usize % 4].into(),
                    family: ["kim", "park", "nguyen"][(k / 4) as usize % 3].into(),
                    dob: Some(19_800_101 + (k * 37) % 300),
                    city: Some(["hanoi", "hue", "seoul", "busan", "hanoj"][k as usize % 5].into()),
                    ..Record::default()
                };
                r.derive_keys();
                r
            })
            .collect();
        let pairs: Vec<u64> = (0..(3 * WARM_PAIRS as u64 + 5))
            .map(|t| {
                let i = (t * 7) % 40;
                let j = (i + 1 + (t * 13) % 39) % 40;
                (i << 32) | j
            })
            .collect();
        let expected: Vec<u64> = pairs
            .iter()
            .map(|&p| {
                let (i, j) = unpack_pair(p);
                pack(&compare(&records[i], &records[j], 6))
            })
            .collect();
        assert_eq!(gammas_of(&records, &pairs, 6), expected);
        assert!(
            expected
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 5
        );
    }

    #[test]
    fn gamma_packs() {
        let mut g = [0u8; N_COMP];
        g[0] = 4;
        g[17] = 2;
        g[5] = 3;
        assert_eq!(unpack(pack(&g)), g);
    }

    #[test]
    fn capped_union_find() {
        let mut uf = UnionFind::default();
        uf.union_capped(1, 2, 3);
        uf.union_capped(2, 3, 3);
        uf.union_capped(3, 4, 3);
        assert_eq!(uf.find(1), uf.find(3));
        assert_ne!(uf.find(1), uf.find(4));
    }
}
