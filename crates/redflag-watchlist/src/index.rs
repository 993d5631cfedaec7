//! The in-memory index and the matcher.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind, ListInfo, ListSnapshot, NameStrength, PartialDate};
use crate::error::QueryError;
use crate::normalize::{self, NormName, Unit};

/// Default score a match must reach to be reported.
pub const DEFAULT_THRESHOLD: f64 = 0.80;
/// How many candidate names, best covered first, a query scores in full.
const MAX_CANDIDATES: usize = 200;

/// A blocking key in more names than this is too common to generate candidates on its own.
const FREQUENT_KEY: usize = 3000;

/// Default number of matches returned.
pub const DEFAULT_TOP_K: usize = 10;

/// What to look for. Build with [`Query::name`] and the `with_*` methods, or fill the fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The name as written (any script, any order). May be empty when an identifier is given.
    #[serde(default)]
    pub name: String,
    /// Person, organisation, …, when known.
    #[serde(default)]
    pub kind: Option<EntityKind>,
    /// Date of birth (exact day, month, year or range).
    #[serde(default)]
    pub dob: Option<PartialDate>,
    /// Country of nationality or residence (ISO alpha-2 or English name).
    #[serde(default)]
    pub country: Option<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Crypto wallet addresses.
    #[serde(default)]
    pub wallets: Vec<String>,
    /// Websites.
    #[serde(default)]
    pub websites: Vec<String>,
    /// Identity document numbers.
    #[serde(default)]
    pub documents: Vec<String>,
}

impl Query {
    /// A query for a name.
    pub fn name(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Adds a date of birth.
    pub fn with_dob(mut self, dob: PartialDate) -> Self {
        self.dob = Some(dob);
        self
    }

    /// Adds a country.
    pub fn with_country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }

    /// Adds a wallet address.
    pub fn with_wallet(mut self, wallet: impl Into<String>) -> Self {
        self.wallets.push(wallet.into());
        self
    }

    /// Adds an email address.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.emails.push(email.into());
        self
    }

    /// Adds a phone number.
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phones.push(phone.into());
        self
    }

    /// Sets the kind.
    pub fn with_kind(mut self, kind: EntityKind) -> Self {
        self.kind = Some(kind);
        self
    }

    fn has_identifier(&self) -> bool {
        [
            &self.emails,
            &self.phones,
            &self.wallets,
            &self.websites,
            &self.documents,
        ]
        .iter()
        .any(|v| v.iter().any(|s| !s.trim().is_empty()))
    }
}

/// Matching parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenOptions {
    /// Minimum score of a reported name match, in [0, 1]. Exact identifier matches are always reported.
    /// Default [`DEFAULT_THRESHOLD`] (0.80): at this value every labelled positive is found and under 1 %
    /// of the labelled hard negatives are (see `docs/EVALUATION-watchlist.md`).
    pub threshold: f64,
    /// Maximum number of matches returned. Default [`DEFAULT_TOP_K`] (10).
    pub top_k: usize,
    /// Only these list ids (empty: all lists).
    pub lists: Vec<String>,
}

impl Default for ScreenOptions {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            top_k: DEFAULT_TOP_K,
            lists: Vec::new(),
        }
    }
}

/// One line of a match's explanation: which query field met which list field, and how it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// `name`, `dob`, `country`, `kind`, `wallet`, `email`, `phone`, `website`, `document`.
    pub feature: String,
    /// The query's value.
    pub query: String,
    /// The listed value it was compared with.
    pub listed: String,
    /// The feature's score or adjustment.
    pub score: f64,
    /// In words.
    pub detail: String,
}

impl Explanation {
    fn line(&self) -> String {
        format!(
            "{}: {:?} ~ {:?} ({:+.3}) {}",
            self.feature, self.query, self.listed, self.score, self.detail
        )
    }
}

/// A listed entity that matched a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// List id, e.g. `us-ofac-sdn`.
    pub list: String,
    /// List name.
    pub list_name: String,
    /// List version.
    pub list_version: String,
    /// The entry's id on the list.
    pub entity_id: String,
    /// The entry's primary name.
    pub entity_name: String,
    /// Person, organisation, …
    pub entity_kind: EntityKind,
    /// Programmes.
    pub programs: Vec<String>,
    /// The listed name that matched best (primary or alias), if a name matched.
    pub matched_name: Option<String>,
    /// Score in [0, 1].
    pub score: f64,
    /// The name part of the score, before date, country and kind adjustments.
    pub name_score: f64,
    /// Whether an exact identifier matched (then `score` is 1).
    pub exact_identifier: bool,
    /// Whether a date of birth was compared and agreed.
    pub dob_agrees: Option<bool>,
    /// Whether the entry has a DPRK nexus: a DPRK programme (OFAC `DPRK*`, `NKSPEA`, UN/UK/EU DPRK regimes),
    /// a North Korea Sanctions Regulations remark, or a North Korean nationality.
    pub dprk_nexus: bool,
    /// Field by field.
    pub explanation: Vec<Explanation>,
}

impl Match {
    /// The summary an assessment carries.
    pub fn summary(&self) -> redflag_model::SanctionsMatchSummary {
        redflag_model::SanctionsMatchSummary {
            list: self.list.clone(),
            list_version: self.list_version.clone(),
            entry_id: self.entity_id.clone(),
            entry_name: self.entity_name.clone(),
            programs: self.programs.clone(),
            score: self.score,
            exact_identifier: self.exact_identifier,
            // A country agreeing is no corroboration: it correlates with the name's origin, and a
            // common Chinese name agreeing with a Chinese listed person is still only a namesake.
            corroborated: self.exact_identifier || self.dob_agrees == Some(true),
            explanation: self.explanation.iter().map(Explanation::line).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum IdKind {
    Wallet,
    Email,
    Phone,
    Website,
    Document,
}

impl IdKind {
    fn as_str(self) -> &'static str {
        match self {
            IdKind::Wallet => "wallet",
            IdKind::Email => "email",
            IdKind::Phone => "phone",
            IdKind::Website => "website",
            IdKind::Document => "document",
        }
    }
}

thread_local! {
    /// Per-thread candidate accumulator: a bit mask of query units per listed name, and the names
    /// touched (reset after each query), so blocking allocates nothing per posting.
    static MASKS: std::cell::RefCell<(Vec<u32>, Vec<u32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// A query unit with the symbols it shares with the listed names.
struct QUnit<'q> {
    unit: &'q Unit,
    /// Symbol of its text, when a listed unit has that text.
    text: Option<u32>,
    /// Symbols of its keys that listed units have, sorted.
    keys: Vec<u32>,
    syllable: bool,
}

/// A query's name, prepared once for scoring every candidate.
struct QueryName<'q> {
    norm: &'q NormName,
    units: Vec<QUnit<'q>>,
    /// (word, syllable) of each unit.
    shape: Vec<(usize, bool)>,
    multi_syllable: bool,
    any_plain: bool,
    weights: Vec<f32>,
    weight_sum: f32,
    /// Units that are neither romanised syllables nor listed words: possibly mistyped.
    unknown: Vec<bool>,
    /// Joined forms and the words concatenated.
    probes: Vec<String>,
    concat: String,
}

/// Buffers reused across the candidates of one query.
#[derive(Default)]
struct Scratch {
    pairs: Vec<(f64, usize, usize)>,
    eshape: Vec<(usize, bool)>,
    qused: Vec<bool>,
    eused: Vec<bool>,
}

fn strength_factor(s: NameStrength) -> f64 {
    match s {
        NameStrength::Primary | NameStrength::Strong => 1.0,
        NameStrength::Weak => 0.9,
    }
}

/// A listed name's unit, interned: 12 bytes instead of a unit's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CUnit {
    /// Symbol of the unit's text.
    text: u32,
    /// Its keys: an entry of `Index::keysets`.
    keys: u32,
    /// Index of the written word it came from.
    word: u16,
    /// A romanised Korean or Chinese syllable.
    syllable: bool,
}

/// A name group: every listed name that normalises to the same words and units, scored once per
/// query and then expanded to the entities carrying it (a watchlist holds dozens of "Kim Chol" or
/// "Olga Smirnova"; capping candidates per name would cut the true one arbitrarily).
struct IndexedName {
    /// (entity, index of the name in the entity's names, weak alias), in entity order (list id, then
    /// list order).
    members: Box<[(u32, u16, bool)]>,
    units: Box<[CUnit]>,
    weights: Box<[f32]>,
    /// Sum of `weights`.
    weight_sum: f32,
    /// Some written word is made of two or more syllables.
    multi_syllable: bool,
    /// Some unit is not a syllable.
    any_plain: bool,
    /// Symbols of the name written without spaces: words in order, rotated and reversed
    /// (`joined_forms`), and the words concatenated.
    targets: Box<[u32]>,
}

/// Interned strings (unit texts, keys, joined forms) and key sets, built with the index.
#[derive(Default)]
struct Interner {
    symbols: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
    keysets: Vec<Box<[u32]>>,
    keyset_ids: HashMap<Box<[u32]>, u32>,
}

impl Interner {
    fn symbol(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.symbols.len() as u32;
        self.symbols.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    fn keyset(&mut self, keys: &[String]) -> u32 {
        let mut ids: Vec<u32> = keys.iter().map(|k| self.symbol(k)).collect();
        ids.sort_unstable();
        ids.dedup();
        let ids: Box<[u32]> = ids.into();
        if let Some(&id) = self.keyset_ids.get(&ids) {
            return id;
        }
        let id = self.keysets.len() as u32;
        self.keysets.push(ids.clone());
        self.keyset_ids.insert(ids, id);
        id
    }
}

/// The name groups holding a blocking key.
#[derive(Default)]
struct Posting {
    /// Name groups, ascending.
    groups: Vec<u32>,
    /// Listed names (with their repetitions) holding the key: its document frequency for weights.
    names: u32,
}

impl Posting {
    fn df(&self) -> usize {
        self.names as usize
    }
}

/// An immutable, thread-safe screening index over one or more list snapshots.
pub struct Index {
    lists: Vec<ListInfo>,
    entities: Vec<(u16, Entity)>,
    /// Each entity's rank by (list id, entity id): the last tie-break, compared as an integer.
    rank: Vec<u32>,
    /// Name groups.
    names: Vec<IndexedName>,
    /// Listed names indexed (all members of all groups): the total of the unit weights' frequencies.
    name_count: usize,
    postings: HashMap<String, Posting>,
    exact: HashMap<(IdKind, String), Vec<(u32, String)>>,
    /// Symbols (unit texts, keys, joined forms) of the listed names.
    symbols: Vec<Box<str>>,
    symbol_ids: HashMap<Box<str>, u32>,
    /// Key sets of listed units, each sorted.
    keysets: Vec<Box<[u32]>>,
    /// Listed words and units of four letters or more, with the blocking keys they stand for: the
    /// vocabulary a mistyped query word is looked up in.
    vocab: Vec<(String, Vec<String>)>,
    /// Deletion neighbourhood (SymSpell): hash of a vocabulary word and of each of its one-letter
    /// deletions -> vocabulary entries. Two words within one substitution, insertion, deletion or
    /// transposition share a key.
    deletes: HashMap<u64, Vec<u32>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("lists", &self.lists)
            .field("entities", &self.entities.len())
            .field("names", &self.name_count)
            .field("name_groups", &self.names.len())
            .field("keys", &self.postings.len())
            .finish()
    }
}

/// The name written without spaces: its words in order, the first moved last, and the last moved
/// first (family name first or last). Empty for a one-word name.
fn joined_forms(norm: &NormName) -> Vec<String> {
    joined_word_forms(&norm.words)
}

/// [`joined_forms`] of written words.
fn joined_word_forms(w: &[String]) -> Vec<String> {
    if w.len() < 2 {
        return Vec::new();
    }
    let mut out = vec![w.concat()];
    let mut rotated = w[1..].to_vec();
    rotated.push(w[0].clone());
    out.push(rotated.concat());
    let mut back = vec![w[w.len() - 1].clone()];
    back.extend_from_slice(&w[..w.len() - 1]);
    out.push(back.concat());
    out.sort();
    out.dedup();
    out
}

/// The blocking keys of a listed name: its units' keys and its joined forms' keys, sorted, once each.
fn name_keys(words: &[String], units: &[Unit]) -> Vec<String> {
    let mut keys: Vec<String> = units
        .iter()
        .flat_map(|u| u.keys.iter().cloned())
        .chain(joined_word_forms(words).iter().map(|t| joined_key(t)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The blocking key of a joined form.
fn joined_key(form: &str) -> String {
    format!("j:{form}")
}

/// FNV-1a, for the deletion neighbourhood's keys (a collision only adds a candidate that the edit
/// distance then rejects).
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The hashes of a word and of its one-letter deletions.
fn deletion_hashes(word: &str) -> Vec<u64> {
    let b = word.as_bytes();
    let mut out = Vec::with_capacity(b.len() + 1);
    out.push(fnv(&[b]));
    for i in 0..b.len() {
        out.push(fnv(&[&b[..i], &b[i + 1..]]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Least weight of a unit missing from a partly matched word, counted again as a penalty.
const PARTIAL_WORD_WEIGHT: f64 = 0.6;

/// Shortest word looked up with one typo.
const FUZZY_MIN_LEN: usize = 4;

impl Index {
    /// Builds the index. Later snapshots of the same list id replace earlier ones.
    pub fn build(snapshots: Vec<ListSnapshot>) -> Index {
        let mut by_id: Vec<ListSnapshot> = Vec::new();
        for s in snapshots {
            if let Some(pos) = by_id.iter().position(|x| x.info.id == s.info.id) {
                by_id[pos] = s;
            } else {
                by_id.push(s);
            }
        }
        by_id.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        let mut lists = Vec::new();
        let mut entities = Vec::new();
        let mut names: Vec<IndexedName> = Vec::new();
        let mut name_count = 0usize;
        // hash of a name's interned units and joined forms -> its group
        let mut groups: HashMap<u64, u32> = HashMap::new();
        let mut postings: HashMap<String, Posting> = HashMap::new();
        let mut exact: HashMap<(IdKind, String), Vec<(u32, String)>> = HashMap::new();
        let mut vocab_map: HashMap<String, Vec<String>> = HashMap::new();
        let mut interner = Interner::default();
        for (li, snapshot) in by_id.into_iter().enumerate() {
            lists.push(snapshot.info);
            for entity in snapshot.entities {
                let ei = entities.len() as u32;
                for (ni, name) in entity.names.iter().enumerate().take(u16::MAX as usize) {
                    let norm = normalize::normalize(&name.full);
                    if norm.units.is_empty() {
                        continue;
                    }
                    name_count += 1;
                    let forms = joined_forms(&norm);
                    let mut targets = forms;
                    let concat = norm.words.concat();
                    if !targets.contains(&concat) {
                        targets.push(concat);
                    }
                    // Interned units and joined forms: everything a name is scored on. Names equal in
                    // both score alike against any query and form one group.
                    let units: Box<[CUnit]> = norm
                        .units
                        .iter()
                        .map(|u| CUnit {
                            text: interner.symbol(&u.text),
                            keys: interner.keyset(&u.keys),
                            word: u.word.min(u16::MAX as usize) as u16,
                            syllable: is_syllable(u),
                        })
                        .collect();
                    let targets: Box<[u32]> = targets.iter().map(|t| interner.symbol(t)).collect();
                    let hash = {
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        units.hash(&mut h);
                        targets.hash(&mut h);
                        h.finish()
                    };
                    if let Some(&g) = groups.get(&hash)
                        && names[g as usize].units == units
                        && names[g as usize].targets == targets
                    {
                        let group = &mut names[g as usize];
                        let mut members = std::mem::take(&mut group.members).into_vec();
                        members.push((ei, ni as u16, name.strength == NameStrength::Weak));
                        group.members = members.into();
                        for k in name_keys(&norm.words, &norm.units) {
                            if let Some(p) = postings.get_mut(&k) {
                                p.names += 1;
                            }
                        }
                        continue;
                    }
                    let id = names.len() as u32;
                    groups.entry(hash).or_insert(id);
                    for k in name_keys(&norm.words, &norm.units) {
                        let p = postings.entry(k).or_default();
                        p.groups.push(id);
                        p.names += 1;
                    }
                    // Vocabulary for mistyped query words: each written word (with the keys of its units)
                    // and each unit of four letters or more.
                    for (wi, word) in norm.words.iter().enumerate() {
                        let units = norm.units.iter().filter(|u| u.word == wi);
                        if word.len() >= FUZZY_MIN_LEN {
                            let mut k: Vec<String> =
                                units.clone().flat_map(|u| u.keys.iter().cloned()).collect();
                            k.sort_unstable();
                            k.dedup();
                            vocab_map.entry(word.clone()).or_insert(k);
                        }
                        for u in units.filter(|u| u.text.len() >= FUZZY_MIN_LEN) {
                            vocab_map
                                .entry(u.text.clone())
                                .or_insert_with(|| u.keys.clone());
                        }
                    }
                    names.push(IndexedName {
                        members: Box::new([(ei, ni as u16, name.strength == NameStrength::Weak)]),
                        multi_syllable: multi_syllable_word(&norm.units),
                        any_plain: norm.units.iter().any(|u| !is_syllable(u)),
                        units,
                        weights: Box::new([]),
                        weight_sum: 0.0,
                        targets,
                    });
                }
                let mut add = |kind: IdKind, key: Option<String>, raw: &str| {
                    if let Some(k) = key {
                        let v = exact.entry((kind, k)).or_default();
                        if !v.iter().any(|(e, _)| *e == ei) {
                            v.push((ei, raw.to_string()));
                        }
                    }
                };
                for w in &entity.wallets {
                    let key = w
                        .wallet
                        .as_ref()
                        .map(|x| x.address.clone())
                        .or_else(|| normalize::wallet_key(&w.raw));
                    add(IdKind::Wallet, key, &w.raw);
                }
                for e in &entity.emails {
                    add(IdKind::Email, normalize::email_key(e), e);
                }
                for p in &entity.phones {
                    add(IdKind::Phone, normalize::phone_key(p), p);
                }
                for w in &entity.websites {
                    add(IdKind::Website, normalize::website_key(w), w);
                }
                for d in &entity.documents {
                    add(
                        IdKind::Document,
                        normalize::document_key(&d.number),
                        &d.number,
                    );
                }
                entities.push((li as u16, entity));
            }
        }
        drop(groups);
        let total = name_count.max(2) as f64;
        let Interner {
            symbols,
            ids: symbol_ids,
            keysets,
            ..
        } = interner;
        let keyset_weights: Vec<f32> = keysets
            .iter()
            .map(|ks| {
                let df = ks
                    .iter()
                    .map(|&k| postings.get(&*symbols[k as usize]).map_or(1, Posting::df))
                    .max()
                    .unwrap_or(1) as f64;
                unit_weight(df, total)
            })
            .collect();
        for n in &mut names {
            n.weights = n
                .units
                .iter()
                .map(|u| keyset_weights[u.keys as usize])
                .collect();
            n.weight_sum = n.weights.iter().sum();
        }
        let mut vocab: Vec<(String, Vec<String>)> = vocab_map.into_iter().collect();
        vocab.sort_unstable();
        let mut deletes: HashMap<u64, Vec<u32>> = HashMap::new();
        for (vi, (word, _)) in vocab.iter().enumerate() {
            for h in deletion_hashes(word) {
                deletes.entry(h).or_default().push(vi as u32);
            }
        }
        let mut order: Vec<u32> = (0..entities.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (la, ea) = &entities[a as usize];
            let (lb, eb) = &entities[b as usize];
            (lists[*la as usize].id.as_str(), ea.id.as_str())
                .cmp(&(lists[*lb as usize].id.as_str(), eb.id.as_str()))
        });
        let mut rank = vec![0u32; entities.len()];
        for (r, &e) in order.iter().enumerate() {
            rank[e as usize] = r as u32;
        }
        Index {
            lists,
            entities,
            rank,
            names,
            name_count,
            postings,
            exact,
            symbols,
            symbol_ids,
            keysets,
            vocab,
            deletes,
        }
    }

    /// The lists in the index, by id.
    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    /// Number of entities.
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// `list@version` of every list, for version stamps.
    pub fn versions(&self) -> Vec<String> {
        self.lists
            .iter()
            .map(|l| format!("{}@{}", l.id, l.version))
            .collect()
    }

    /// Looks an entity up by list id and entity id.
    pub fn entity(&self, list: &str, id: &str) -> Option<&Entity> {
        self.entities
            .iter()
            .find(|(li, e)| self.lists[*li as usize].id == list && e.id == id)
            .map(|(_, e)| e)
    }

    fn query_weight(&self, u: &Unit) -> f32 {
        let total = self.name_count.max(2) as f64;
        let df = u
            .keys
            .iter()
            .map(|k| self.postings.get(k).map_or(1, Posting::df))
            .max()
            .unwrap_or(1) as f64;
        unit_weight(df, total)
    }

    /// The query's name with what scoring needs: unit weights, which units are unknown words (possible
    /// typos), and its joined forms.
    fn query_name<'q>(&self, norm: &'q NormName) -> QueryName<'q> {
        let weights: Vec<f32> = norm.units.iter().map(|u| self.query_weight(u)).collect();
        let unknown = norm
            .units
            .iter()
            .map(|u| {
                !is_syllable(u)
                    && u.text.len() >= FUZZY_MIN_LEN
                    && u.keys.iter().all(|k| !self.postings.contains_key(k))
            })
            .collect();
        let mut probes = joined_forms(norm);
        let concat = norm.words.concat();
        if !probes.contains(&concat) {
            probes.push(concat.clone());
        }
        let units = norm
            .units
            .iter()
            .map(|u| {
                let mut keys: Vec<u32> = u
                    .keys
                    .iter()
                    .filter_map(|k| self.symbol_ids.get(k.as_str()).copied())
                    .collect();
                keys.sort_unstable();
                QUnit {
                    unit: u,
                    text: self.symbol_ids.get(u.text.as_str()).copied(),
                    keys,
                    syllable: is_syllable(u),
                }
            })
            .collect();
        QueryName {
            norm,
            shape: norm
                .units
                .iter()
                .map(|u| (u.word, is_syllable(u)))
                .collect(),
            units,
            multi_syllable: multi_syllable_word(&norm.units),
            any_plain: norm.units.iter().any(|u| !is_syllable(u)),
            weight_sum: weights.iter().sum(),
            weights,
            unknown,
            probes,
            concat,
        }
    }

    /// Vocabulary entries within one edit of `word` (substitution, insertion, deletion, transposition).
    fn fuzzy_vocab(&self, word: &str) -> Vec<u32> {
        let mut out: Vec<u32> = deletion_hashes(word)
            .into_iter()
            .filter_map(|h| self.deletes.get(&h))
            .flatten()
            .copied()
            .filter(|&vi| osa_distance(word.as_bytes(), self.vocab[vi as usize].0.as_bytes()) <= 1)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Candidate names for a query, most promising first, at most [`MAX_CANDIDATES`]: names sharing a
    /// blocking key with enough of the query's units (a unit's romanisation keys, or the keys of the
    /// listed words one typo away from an unknown query word), or its joined form.
    fn candidates(&self, q: &QueryName<'_>) -> Vec<u32> {
        let units = &q.norm.units;
        // Units whose every key is very common ("Kim", "Korea", "Trading") do not generate candidates
        // when rarer units exist; they still count when candidates are scored.
        // (Cost is the number of name groups a key reaches, not of names.)
        let rarest = |u: &Unit| {
            u.keys
                .iter()
                .map(|k| self.postings.get(k).map_or(0, |p| p.groups.len()))
                .max()
                .unwrap_or(0)
        };
        // (unit, its blocking keys)
        let mut blocking: Vec<(usize, Vec<&str>)> = Vec::new();
        for (i, u) in units.iter().enumerate() {
            let df = rarest(u);
            if (1..=FREQUENT_KEY).contains(&df) {
                blocking.push((i, u.keys.iter().map(String::as_str).collect()));
            } else if df == 0 && q.unknown[i] {
                // An unknown word: block on the listed words one typo away.
                let keys: Vec<&str> = self
                    .fuzzy_vocab(&u.text)
                    .into_iter()
                    .flat_map(|vi| self.vocab[vi as usize].1.iter().map(String::as_str))
                    .filter(|k| {
                        self.postings
                            .get(*k)
                            .is_some_and(|p| p.groups.len() <= FREQUENT_KEY)
                    })
                    .collect();
                if !keys.is_empty() {
                    blocking.push((i, keys));
                }
            }
        }
        // With fewer than two rare units, the rarest frequent ones block too (their bits rank the
        // candidates), so that on a large list the names sharing *both* common words ("Olga Smirnov")
        // come first instead of an arbitrary slice of one posting list.
        let rare = blocking.len();
        let want = units.len().min(2);
        if rare < want {
            let mut rest: Vec<usize> = (0..units.len())
                .filter(|i| !blocking.iter().any(|(b, _)| b == i) && rarest(&units[*i]) > 0)
                .collect();
            rest.sort_by_key(|&i| (rarest(&units[i]), i));
            for i in rest.into_iter().take(want - rare) {
                blocking.push((i, units[i].keys.iter().map(String::as_str).collect()));
            }
        }
        let all_bits = if units.len() >= 32 {
            u32::MAX
        } else {
            (1u32 << units.len()) - 1
        };
        let need = if units.len() >= 3 { 2 } else { 1 }.min(rare).max(1);
        MASKS.with_borrow_mut(|scratch| {
            let (masks, touched) = scratch;
            if masks.len() < self.names.len() {
                masks.resize(self.names.len(), 0);
            }
            touched.clear();
            let mut mark = |n: u32, bits: u32, touched: &mut Vec<u32>| {
                let m = &mut masks[n as usize];
                if *m == 0 {
                    touched.push(n);
                }
                *m |= bits;
            };
            for (ui, keys) in &blocking {
                let bit = 1u32 << (*ui).min(31);
                for k in keys {
                    if let Some(p) = self.postings.get(*k) {
                        for &n in &p.groups {
                            mark(n, bit, touched);
                        }
                    }
                }
            }
            for form in &q.probes {
                if let Some(p) = self.postings.get(&joined_key(form)) {
                    for &n in &p.groups {
                        mark(n, all_bits, touched);
                    }
                }
            }
            // Score only the most promising candidates: those whose blocking keys cover the most query
            // weight (a name sharing only "Korea" and "Trading" with the query cannot win).
            let mut ranked: Vec<(f32, u32)> = Vec::with_capacity(touched.len().min(4096));
            for &nid in touched.iter() {
                let mask = std::mem::take(&mut masks[nid as usize]);
                if (mask.count_ones() as usize) < need {
                    continue;
                }
                let covered: f32 = q
                    .weights
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1u32 << (*i).min(31)) != 0)
                    .map(|(_, w)| *w)
                    .sum();
                ranked.push((covered, nid));
            }
            touched.clear();
            let by_cover = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
            if ranked.len() > MAX_CANDIDATES {
                ranked.select_nth_unstable_by(MAX_CANDIDATES - 1, by_cover);
                ranked.truncate(MAX_CANDIDATES);
            }
            ranked.sort_unstable_by(by_cover);
            ranked.into_iter().map(|(_, n)| n).collect()
        })
    }

    /// Screens one query. Results are ordered by score (descending), then exact identifier first, then
    /// the score before it was capped at 1 (of namesakes, the one whose date of birth or country agrees
    /// first), then name score, list id and entity id, so the same query on the same list versions gives
    /// the same output. Listed names that normalise alike are scored once and every entity carrying
    /// them is considered, however many.
    pub fn screen(&self, query: &Query, options: &ScreenOptions) -> Result<Vec<Match>, QueryError> {
        let qname = normalize::normalize(&query.name);
        let has_ids = query.has_identifier();
        if query.name.trim().is_empty() && !has_ids {
            return Err(QueryError::Empty);
        }
        if qname.units.is_empty() && !has_ids {
            return Err(QueryError::NoNameTokens(query.name.clone()));
        }
        let list_ok = |li: u16| {
            options.lists.is_empty()
                || options
                    .lists
                    .iter()
                    .any(|l| *l == self.lists[li as usize].id)
        };
        // entity -> (exact explanations)
        let mut exact_hits: HashMap<u32, Vec<Explanation>> = HashMap::new();
        let id_inputs: [(IdKind, &Vec<String>, KeyFn); 5] = [
            (IdKind::Wallet, &query.wallets, normalize::wallet_key),
            (IdKind::Email, &query.emails, normalize::email_key),
            (IdKind::Phone, &query.phones, normalize::phone_key),
            (IdKind::Website, &query.websites, normalize::website_key),
            (IdKind::Document, &query.documents, normalize::document_key),
        ];
        for (kind, values, keyer) in id_inputs {
            for v in values {
                let Some(key) = keyer(v) else { continue };
                if let Some(hits) = self.exact.get(&(kind, key)) {
                    for (ei, listed) in hits {
                        exact_hits.entry(*ei).or_default().push(Explanation {
                            feature: kind.as_str().into(),
                            query: v.trim().into(),
                            listed: listed.clone(),
                            score: 1.0,
                            detail: format!("exact {} match (decisive)", kind.as_str()),
                        });
                    }
                }
            }
        }

        // Name candidates by blocking keys: never a scan. Each candidate name group is scored once,
        // then expanded to every entity carrying the name.
        // (entity, name score, group, index of the name in the entity), then the best per entity
        let mut expanded: Vec<(u32, f64, u32, u16)> = Vec::new();
        let filtered = !options.lists.is_empty();
        let mut qctx = None;
        if !qname.units.is_empty() {
            let q = self.query_name(&qname);
            let ranked = self.candidates(&q);
            let mut scratch = Scratch::default();
            for nid in ranked {
                let n = &self.names[nid as usize];
                let (score, _) = self.name_similarity(&q, n, &mut scratch, false);
                // Date, country and type can add at most 0.13: a name this far below the threshold
                // matters only to an entity an identifier matched.
                let reachable = score + MAX_BONUS >= options.threshold;
                if !reachable && exact_hits.is_empty() {
                    continue;
                }
                for &(ei, ni, weak) in n.members.iter() {
                    if !reachable && !exact_hits.contains_key(&ei) {
                        continue;
                    }
                    if filtered && !list_ok(self.entities[ei as usize].0) {
                        continue;
                    }
                    let strength = if weak {
                        NameStrength::Weak
                    } else {
                        NameStrength::Strong
                    };
                    expanded.push((ei, score * strength_factor(strength), nid, ni));
                }
            }
            qctx = Some((q, scratch));
        }
        // Best name per entity: highest score, then its first name.
        expanded
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.3.cmp(&b.3)));
        expanded.dedup_by_key(|e| e.0);
        let best_name = |ei: u32| {
            expanded
                .binary_search_by_key(&ei, |e| e.0)
                .ok()
                .map(|i| (expanded[i].1, expanded[i].2, expanded[i].3))
        };

        let country = query
            .country
            .as_deref()
            .and_then(crate::entity::country_code_or_text);
        // First every entity's score (no explanation written), then the top k, explained.
        let mut seen: Vec<u32> = exact_hits
            .keys()
            .copied()
            .chain(expanded.iter().map(|e| e.0))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        // (score, exact, score before clamping to 1, name score, entity): among names that all score 1
        // (namesakes), the one whose date of birth or country agrees ranks first.
        let mut scored: Vec<Scored> = Vec::with_capacity(seen.len());
        // Without a date, country or type the entity's record is not read (a cache miss per namesake).
        let adjusts = query.dob.is_some() || country.is_some() || query.kind.is_some();
        for ei in seen {
            if filtered && !list_ok(self.entities[ei as usize].0) {
                continue;
            }
            let exact = exact_hits.contains_key(&ei);
            let name_score = best_name(ei).map_or(0.0, |b| b.0);
            if !exact && name_score + MAX_BONUS < options.threshold {
                continue;
            }
            let raw = if adjusts {
                let entity = &self.entities[ei as usize].1;
                features(query, country.as_deref(), entity, name_score, false).0
            } else {
                name_score
            };
            let score = if exact { 1.0 } else { raw };
            let score = (score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
            if !exact && score < options.threshold {
                continue;
            }
            let raw = (raw * 1000.0).round() / 1000.0;
            let name_score = (name_score * 1000.0).round() / 1000.0;
            scored.push((score, exact, raw, name_score, ei));
        }
        let key = |ei: u32| self.rank[ei as usize];
        type Scored = (f64, bool, f64, f64, u32);
        let order = |a: &Scored, b: &Scored| {
            b.0.total_cmp(&a.0)
                .then(b.1.cmp(&a.1))
                .then(b.2.total_cmp(&a.2))
                .then(b.3.total_cmp(&a.3))
                .then_with(|| key(a.4).cmp(&key(b.4)))
        };
        if scored.len() > options.top_k && options.top_k > 0 {
            scored.select_nth_unstable_by(options.top_k - 1, order);
        }
        scored.truncate(options.top_k);
        scored.sort_by(order);

        let mut out: Vec<Match> = Vec::with_capacity(scored.len());
        for (score, is_exact, _, name_score, ei) in scored {
            let (li, entity) = &self.entities[ei as usize];
            let info = &self.lists[*li as usize];
            let mut explanation = Vec::new();
            let mut matched_name = None;
            let best = best_name(ei);
            if let (Some((s, nid, ni)), Some((q, scratch))) = (best, qctx.as_mut()) {
                let n = &self.names[nid as usize];
                let listed = &entity.names[ni as usize];
                matched_name = Some(listed.full.clone());
                let (_, detail) = self.name_similarity(q, n, scratch, true);
                let factor = strength_factor(listed.strength);
                explanation.push(Explanation {
                    feature: "name".into(),
                    query: query.name.trim().into(),
                    listed: listed.full.clone(),
                    score: s,
                    detail: format!(
                        "{} ({}){}",
                        detail.unwrap_or_default(),
                        listed.strength.as_str(),
                        if factor < 1.0 {
                            ", weak alias x0.9"
                        } else {
                            ""
                        }
                    ),
                });
            }
            let raw_name_score = best.map_or(0.0, |b| b.0);
            let (_, dob_agrees, lines) =
                features(query, country.as_deref(), entity, raw_name_score, true);
            explanation.extend(lines);
            if let Some(e) = exact_hits.get(&ei) {
                explanation.splice(0..0, e.iter().cloned());
            }
            out.push(Match {
                list: info.id.clone(),
                list_name: info.name.clone(),
                list_version: info.version.clone(),
                entity_id: entity.id.clone(),
                entity_name: entity.primary_name().to_string(),
                entity_kind: entity.kind,
                programs: entity.programs.clone(),
                matched_name,
                score,
                name_score,
                exact_identifier: is_exact,
                dob_agrees,
                dprk_nexus: dprk_nexus(entity),
                explanation,
            });
        }
        Ok(out)
    }
}

/// Most that date of birth, country and type can add to a name's score.
const MAX_BONUS: f64 = 0.13;

/// A name score adjusted by the date of birth, country and entity type (before any exact identifier):
/// the score, whether the dates agree, and, when `explain` is set, a line per feature compared.
fn features(
    query: &Query,
    country: Option<&str>,
    entity: &Entity,
    name_score: f64,
    explain: bool,
) -> (f64, Option<bool>, Vec<Explanation>) {
    let mut explanation = Vec::new();
    let mut score = name_score;
    let mut dob_agrees = None;
    if let Some(dob) = &query.dob
        && !entity.birth_dates.is_empty()
    {
        let (adj, agrees, detail) = compare_dob(dob, &entity.birth_dates);
        dob_agrees = Some(agrees);
        score = if adj < 0.0 {
            score * (1.0 + adj)
        } else {
            score + adj
        };
        if explain {
            explanation.push(Explanation {
                feature: "dob".into(),
                query: dob.to_string(),
                listed: entity
                    .birth_dates
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                score: adj,
                detail: detail.into(),
            });
        }
    }
    if let Some(country) = country {
        let mut listed = entity.nationalities.iter().chain(&entity.countries);
        if listed.clone().next().is_some() {
            let agrees = listed.any(|c| c.eq_ignore_ascii_case(country));
            let adj = if agrees { 0.03 } else { 0.0 };
            score += adj;
            if explain {
                explanation.push(Explanation {
                    feature: "country".into(),
                    query: country.to_string(),
                    listed: entity
                        .nationalities
                        .iter()
                        .chain(&entity.countries)
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    score: adj,
                    detail: if agrees {
                        "agrees".into()
                    } else {
                        "differs (not held against the match: claimed locations are often false)"
                            .into()
                    },
                });
            }
        }
    }
    if let Some(kind) = query.kind
        && kind != entity.kind
        && entity.kind != EntityKind::Other
        && kind != EntityKind::Other
    {
        let factor = match (kind, entity.kind) {
            (EntityKind::Person, EntityKind::Organization)
            | (EntityKind::Organization, EntityKind::Person) => 0.8,
            _ => 0.7,
        };
        score *= factor;
        if explain {
            explanation.push(Explanation {
                feature: "kind".into(),
                query: kind.as_str().into(),
                listed: entity.kind.as_str().into(),
                score: factor - 1.0,
                detail: format!("different entity type, score x{factor}"),
            });
        }
    }
    (score, dob_agrees, explanation)
}

fn dprk_nexus(e: &Entity) -> bool {
    e.programs.iter().any(|p| {
        let p = p.to_ascii_uppercase();
        p.starts_with("DPRK")
            || p == "NKSPEA"
            || p.contains("NORTH KOREA")
            || p.contains("DEMOCRATIC PEOPLE")
    }) || e
        .remarks
        .iter()
        .any(|r| r.contains("North Korea Sanctions Regulations"))
        || e.nationalities.iter().any(|n| n == "KP")
}

/// Normalises an identifier to its exact-comparison key.
type KeyFn = fn(&str) -> Option<String>;

/// A unit's weight from how many listed names contain it: rare units count more.
fn unit_weight(df: f64, total: f64) -> f32 {
    let w = (total / df).ln() / total.ln();
    w.clamp(0.3, 1.0) as f32
}

/// Whether a unit is a romanised Korean syllable (its keys are Hangul syllables, not its own text).
fn is_syllable(u: &Unit) -> bool {
    u.keys.first().is_some_and(|k| *k != u.text)
}

/// The L1 distance of two strings' letter counts: a lower bound of twice their edit distance, computed
/// without allocating, so most pairs never reach the edit-distance computation.
fn letter_distance(a: &str, b: &str) -> usize {
    let mut counts = [0i32; 64];
    for c in a.bytes() {
        counts[(c & 63) as usize] += 1;
    }
    for c in b.bytes() {
        counts[(c & 63) as usize] -= 1;
    }
    counts.iter().map(|c| c.unsigned_abs() as usize).sum()
}

/// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring) of
/// two byte strings, with two rows on the stack for names up to 63 bytes.
fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    const N: usize = 64;
    if a.len() >= N || b.len() >= N {
        return strsim::osa_distance(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b));
    }
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let (mut prev2, mut prev, mut cur) = ([0usize; N], [0usize; N], [0usize; N]);
    for (j, p) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[b.len()]
}

/// Similarity of two strings that may differ by a typo: one edit in six letters or more, two in eight or
/// more; an edit costs more than its share of the length, so a typo never looks like a romanisation.
/// When the query's word is *unknown* (no romanised syllable, no listed word), it is more likely a typo
/// than another name, and one edit is allowed from four letters on.
fn typo_similarity(a: &str, b: &str, unknown: bool) -> f64 {
    let longest = a.len().max(b.len());
    let (min_len, penalty) = if unknown {
        (FUZZY_MIN_LEN, 0.0)
    } else {
        (6, 0.1)
    };
    if longest < min_len {
        return 0.0;
    }
    let allowed = if longest >= 8 { 2 } else { 1 };
    if a.len().abs_diff(b.len()) > allowed || letter_distance(a, b) > 2 * allowed {
        return 0.0;
    }
    let d = osa_distance(a.as_bytes(), b.as_bytes());
    if d == 0 {
        1.0
    } else if d <= allowed {
        1.0 - d as f64 / longest as f64 - penalty
    } else {
        0.0
    }
}

/// Whether some written word is made of two or more Korean syllables ("Sang-man", "Jewon").
fn multi_syllable_word(units: &[Unit]) -> bool {
    units.iter().enumerate().any(|(i, u)| {
        is_syllable(u)
            && units
                .iter()
                .skip(i + 1)
                .any(|v| v.word == u.word && is_syllable(v))
            && units.iter().filter(|v| v.word == u.word).all(is_syllable)
    })
}

/// Similarity of two whole names written without spaces: one edit in seven letters or more, two in twelve.
fn joined_typo_similarity(a: &str, b: &str) -> f64 {
    let longest = a.len().max(b.len());
    if longest < 7 || a.len().abs_diff(b.len()) > 2 || letter_distance(a, b) > 4 {
        return 0.0;
    }
    let d = osa_distance(a.as_bytes(), b.as_bytes());
    let allowed = if longest >= 12 { 2 } else { 1 };
    if d <= allowed {
        1.0 - d as f64 / longest as f64
    } else {
        0.0
    }
}

impl Index {
    fn text(&self, symbol: u32) -> &str {
        self.symbols.get(symbol as usize).map_or("", |s| s)
    }

    /// Similarity of a query unit and a listed unit in [0, 1]; `unknown`: the query unit is no known word.
    fn unit_similarity(&self, a: &QUnit<'_>, b: &CUnit, unknown: bool) -> f64 {
        let bkeys = self.keysets.get(b.keys as usize).map_or(&[][..], |k| k);
        if a.text == Some(b.text) || a.keys.iter().any(|k| bkeys.binary_search(k).is_ok()) {
            return 1.0;
        }
        let (at, bt) = (a.unit.text.as_str(), self.text(b.text));
        let (la, lb) = (at.len(), bt.len());
        if la == 0 || lb == 0 {
            return 0.0;
        }
        if la == 1 || lb == 1 {
            // an initial
            return if at.as_bytes()[0] == bt.as_bytes()[0] {
                0.6
            } else {
                0.0
            };
        }
        // Korean syllables are a closed set: a letter's difference is another syllable, not a typo.
        if a.syllable && b.syllable {
            return 0.0;
        }
        typo_similarity(at, bt, unknown)
    }

    /// Name similarity: best one-to-one alignment of units (any order), weighted by rarity, as a Dice
    /// coefficient in which a written word matched only in part (`Min-jun` against `Min`) counts its
    /// unmatched units twice; or the similarity of the names written without spaces, whichever is higher.
    /// The detail (which unit met which) is written only when `explain` is set: scoring a candidate
    /// allocates nothing.
    fn name_similarity(
        &self,
        q: &QueryName<'_>,
        n: &IndexedName,
        scratch: &mut Scratch,
        explain: bool,
    ) -> (f64, Option<String>) {
        let (qu, eu) = (&q.units, &n.units);
        let (qw, ew) = (&q.weights, &n.weights);
        let pairs = &mut scratch.pairs;
        pairs.clear();
        for (i, a) in qu.iter().enumerate() {
            for (j, b) in eu.iter().enumerate() {
                let s = self.unit_similarity(a, b, q.unknown[i]);
                if s > 0.0 {
                    pairs.push((s, i, j));
                }
            }
        }
        pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let qused = &mut scratch.qused;
        qused.clear();
        qused.resize(qu.len(), false);
        let eused = &mut scratch.eused;
        eused.clear();
        eused.resize(eu.len(), false);
        let mut matched = 0.0f64;
        let mut parts = Vec::new();
        for &(s, i, j) in pairs.iter() {
            if qused[i] || eused[j] {
                continue;
            }
            qused[i] = true;
            eused[j] = true;
            matched += s * (qw[i] as f64 + ew[j] as f64);
            if explain {
                parts.push((
                    i,
                    format!("{}={}({:.2})", qu[i].unit.text, self.text(eu[j].text), s),
                ));
            }
        }
        // A syllable missing from a word that otherwise matched changes the name whatever its frequency
        // ("Wei-ta" is not "Wei"): it counts at least PARTIAL_WORD_WEIGHT; and a romanised syllable left
        // unmatched counts at least that much even in a word of its own ("Wei Ta Chou" is not "Zhou
        // Wei", however common "Ta" is).
        fn penalty(units: &[(usize, bool)], used: &[bool], w: &[f32]) -> f64 {
            let mut extra = 0.0;
            for (k, &(word, syllable)) in units.iter().enumerate() {
                if used[k] {
                    continue;
                }
                let w = f64::from(w[k]);
                if units.iter().zip(used).any(|(v, &x)| x && v.0 == word) {
                    extra += w.max(PARTIAL_WORD_WEIGHT);
                } else if syllable {
                    extra += (PARTIAL_WORD_WEIGHT - w).max(0.0);
                }
            }
            extra
        }
        let eshape = &mut scratch.eshape;
        eshape.clear();
        eshape.extend(eu.iter().map(|u| (usize::from(u.word), u.syllable)));
        let total: f64 = q.weight_sum as f64
            + n.weight_sum as f64
            + penalty(&q.shape, qused, qw)
            + penalty(eshape, eused, ew);
        let mut score = if total > 0.0 { matched / total } else { 0.0 };
        let mut joined_detail = None;
        // Joined forms: "Alrashid" = "Al Rashid", "Silverstar" = "Silver Star", family name first or
        // last; and, for romanised Korean names, a typo that broke a word's syllables ("Je-uon" for
        // "Je-won").
        if q.concat.len() >= 6 && score < 0.99 {
            // Only where one side has a word of several syllables and the other a word that is not
            // syllables: "Wang Min" is not a typo of "Kang Min".
            let korean = (q.multi_syllable && n.any_plain) || (n.multi_syllable && q.any_plain);
            for p in &q.probes {
                for &t in n.targets.iter() {
                    let t = self.text(t);
                    let sim = if p == t {
                        0.99
                    } else if korean {
                        joined_typo_similarity(p, t) * 0.97
                    } else {
                        0.0
                    };
                    if sim > score {
                        score = sim;
                        if explain {
                            joined_detail = Some(if p == t {
                                format!("same name written without spaces: {t}")
                            } else {
                                format!("written without spaces, {p} ~ {t} ({sim:.2})")
                            });
                        }
                    }
                }
            }
        }
        if !explain {
            return (score, None);
        }
        if let Some(d) = joined_detail {
            return (score, Some(format!("units {d}")));
        }
        parts.sort();
        let mut detail = parts
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let unmatched: Vec<&str> = qu
            .iter()
            .zip(qused.iter())
            .filter(|(_, u)| !**u)
            .map(|(u, _)| u.unit.text.as_str())
            .chain(
                eu.iter()
                    .zip(eused.iter())
                    .filter(|(_, u)| !**u)
                    .map(|(u, _)| self.text(u.text)),
            )
            .collect();
        if !unmatched.is_empty() {
            detail.push_str(&format!(" unmatched: {}", unmatched.join(" ")));
        }
        (score, Some(format!("units {detail}")))
    }
}

/// The best agreement of a date of birth with the listed ones: the adjustment, whether they agree, and
/// in words.
fn compare_dob(q: &PartialDate, listed: &[PartialDate]) -> (f64, bool, &'static str) {
    use chrono::Datelike;
    let mut best: Option<(f64, &str)> = None;
    for d in listed {
        let (adj, detail) = if q.overlaps(d) {
            if q.is_exact() && d.is_exact() {
                (0.10, "same day")
            } else {
                (0.05, "consistent (listed or given date is imprecise)")
            }
        } else {
            let gap =
                (q.earliest.year() - d.latest.year()).max(d.earliest.year() - q.latest.year());
            if gap <= 1 {
                (0.0, "close but different")
            } else {
                (-0.25, "contradicts (more than a year apart), score x0.75")
            }
        };
        if best.is_none_or(|(b, _)| adj > b) {
            best = Some((adj, detail));
        }
    }
    let (adj, detail) = best.unwrap_or((0.0, "no listed date"));
    (adj, adj > 0.0, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_osa(a: &str, b: &str, expect: usize) {
        assert_eq!(
            osa_distance(a.as_bytes(), b.as_bytes()),
            expect,
            "{a} / {b}"
        );
        assert_eq!(
            osa_distance(a.as_bytes(), b.as_bytes()),
            strsim::osa_distance(a, b),
            "{a} / {b} against strsim"
        );
    }

    #[test]
    fn osa() {
        check_osa("", "", 0);
        check_osa("abc", "", 3);
        check_osa("kwang", "kwrng", 1);
        check_osa("koryo", "korso", 1);
        check_osa("kimsuky", "kmisuky", 1);
        check_osa("silverstar", "silverstra", 1);
        check_osa("ca", "abc", 3);
        check_osa("pyongyang", "pyongyan", 1);
        let long = "a".repeat(70);
        check_osa(&long, &"a".repeat(68), 2);
    }

    fn check_typo(a: &str, b: &str, unknown: bool, expect: f64) {
        let got = typo_similarity(a, b, unknown);
        assert!((got - expect).abs() < 1e-9, "{a} / {b} ({unknown}): {got}");
    }

    #[test]
    fn typos() {
        // a known word needs six letters, and pays 0.1 on top of its edit
        check_typo("koryo", "korso", false, 0.0);
        check_typo("mokran", "mukran", false, 1.0 - 1.0 / 6.0 - 0.1);
        // an unknown word (no syllable, no listed word) is more likely a typo: one edit from four letters
        check_typo("koryo", "korso", true, 0.8);
        check_typo("kwang", "kwrng", true, 0.8);
        check_typo("kim", "kin", true, 0.0);
        check_typo("reconnaissance", "reconnaisrance", true, 1.0 - 1.0 / 14.0);
        check_typo("kwang", "kwrag", true, 0.0);
    }

    #[test]
    fn deletion_neighbourhood_meets_one_edit() {
        let shared = |a: &str, b: &str| {
            let (x, y) = (deletion_hashes(a), deletion_hashes(b));
            x.iter().any(|h| y.contains(h))
        };
        assert!(shared("kwang", "kwrng")); // substitution
        assert!(shared("kwang", "kwanng")); // insertion
        assert!(shared("kwang", "kwag")); // deletion
        assert!(shared("kwang", "kawng")); // transposition
        assert!(!shared("kwang", "krong"));
    }
}

#[cfg(test)]
mod group_tests {
    use super::*;
    use crate::entity::EntityName;

    fn person(id: &str, name: &str, year: i32, nationality: &str) -> Entity {
        let mut e = Entity::new(id, EntityKind::Person);
        e.names.push(EntityName {
            full: name.into(),
            strength: NameStrength::Primary,
            alias_type: None,
            script: None,
            parts: Vec::new(),
        });
        e.birth_dates.extend(PartialDate::from_parts(year, 3, 14));
        e.nationalities.push(nationality.into());
        e
    }

    /// 600 namesakes (three times the candidate cap) written three ways, and one other name.
    fn namesakes() -> Index {
        let mut entities: Vec<Entity> = (0..600)
            .map(|i| {
                let name = match i % 3 {
                    0 => "Olga SMIRNOVA",
                    1 => "olga smirnova",
                    _ => "Smirnova, Olga",
                };
                person(&format!("E{i:04}"), name, 1940 + (i % 60), "RU")
            })
            .collect();
        entities.push(person("X1", "Olga SMIRNOVA-PETROVA", 1975, "BY"));
        Index::build(vec![ListSnapshot {
            info: ListInfo {
                id: "test".into(),
                name: "test".into(),
                version: "1".into(),
                published: None,
                source_url: String::new(),
                format: "test".into(),
                entity_count: entities.len(),
                sha256: String::new(),
            },
            entities,
        }])
    }

    #[test]
    fn identical_names_form_one_group() {
        let index = namesakes();
        // "Olga SMIRNOVA" and "olga smirnova" normalise alike; "Smirnova, Olga" is another word order.
        assert_eq!(index.name_count, 601);
        assert_eq!(index.names.len(), 3);
        let group = index
            .names
            .iter()
            .map(|g| g.members.len())
            .max()
            .unwrap_or(0);
        assert_eq!(group, 400);
    }

    #[test]
    fn every_namesake_is_considered_and_the_one_whose_dob_agrees_ranks_first() {
        let index = namesakes();
        // Entity i is born on 14 March of 1940 + i % 60: ten namesakes share the day asked for, those born
        // a year either side are not contradicted (but do not agree), the rest are.
        let q = Query::name("Olga Smirnova")
            .with_dob(PartialDate::from_parts(1957, 3, 14).unwrap())
            .with_country("RU");
        let hits = index.screen(&q, &ScreenOptions::default()).unwrap();
        let same_year: Vec<String> = (0..600)
            .filter(|i| 1940 + (i % 60) == 1957)
            .map(|i| format!("E{i:04}"))
            .collect();
        assert_eq!(same_year.len(), 10);
        // all ten namesakes born that day come first, in list-id order, above every other namesake
        let top: Vec<&str> = hits.iter().map(|m| m.entity_id.as_str()).collect();
        assert_eq!(
            top,
            same_year.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert!(hits.iter().all(|m| m.dob_agrees == Some(true)));
        assert!(hits[0].explanation.iter().any(|e| e.feature == "dob"));
    }

    #[test]
    fn ties_are_broken_by_list_and_entity_id_and_top_k_holds() {
        let index = namesakes();
        let opts = ScreenOptions {
            top_k: 5,
            ..ScreenOptions::default()
        };
        let hits = index.screen(&Query::name("Smirnova Olga"), &opts).unwrap();
        let ids: Vec<&str> = hits.iter().map(|m| m.entity_id.as_str()).collect();
        assert_eq!(ids, ["E0000", "E0001", "E0002", "E0003", "E0004"]);
        let again = index.screen(&Query::name("Smirnova Olga"), &opts).unwrap();
        assert_eq!(hits, again);
        // with a wide top k, all 600 namesakes are returned (none cut by the candidate cap)
        let wide = ScreenOptions {
            top_k: 1000,
            ..ScreenOptions::default()
        };
        let hits = index.screen(&Query::name("Olga Smirnova"), &wide).unwrap();
        let namesakes = hits.iter().filter(|m| m.entity_id.starts_with('E')).count();
        assert_eq!(namesakes, 600);
    }
}
