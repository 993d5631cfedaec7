//! Cross-subject signals: near-duplicate resumes, reused photos, and phones, emails, documents, payout
//! accounts, shipping addresses and references shared between subjects.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rayon::prelude::*;
use redflag_model::{Event, Evidence, Fact, FactValue, Identifier, PhotoHash, Subject};

use crate::config::{IdentityConfig, attributes};
use crate::linkage::{LinkageKey, event_linkage_keys, linkage_keys_with};
use crate::photo;
use crate::resume::{
    LshIndex, MinHasher, PassageIndex, SharedPassage, Signature, fingerprints, matched_passages,
};
use crate::signals::{FactSink, ev, home_addresses};

/// Words a passage must share to be shown as evidence of a duplicate.
const PASSAGE_WORDS: usize = 8;

/// Every subject with the cross-subject indexes built once: the resume LSH index, the photo index and the
/// inverted index of shared keys. Immutable after [`Population::new`].
pub struct Population<'a> {
    subjects: &'a [Subject],
    config: &'a IdentityConfig,
    /// Join keys per subject (own record plus own events).
    keys: Vec<Vec<LinkageKey>>,
    /// Subjects by key: `(hash of the key, subject, index in its keys)` sorted (one flat vector rather
    /// than a map of cloned values; see [`Population::holders`]).
    by_key: Vec<(u64, u32, u32)>,
    /// Home addresses per subject, to tell a household from a ring.
    homes: Vec<HashSet<String>>,
    /// Resume index: LSH id → subject position.
    resume_subject: Vec<usize>,
    resume_index: LshIndex,
    /// Winnowing index of the same resumes (same ids as the LSH index), for reused phrase blocks.
    passage_index: PassageIndex,
}

/// Passages one subject's resume shares with others: other subject position → passages (positions in the
/// subject's own text).
type PassagePairs = HashMap<usize, Vec<(usize, Vec<SharedPassage>)>>;

impl<'a> Population<'a> {
    /// Builds the indexes. `events` may hold every subject's events; each is counted for the subject it is
    /// attributed to (`Event::subject`), unattributed events are ignored here.
    pub fn new(subjects: &'a [Subject], events: &'a [Event], config: &'a IdentityConfig) -> Self {
        Self::new_with_laps(subjects, events, config, &mut |_| {})
    }

    /// [`Population::new`], calling `lap` with a phase name as each phase ends (for timing).
    pub fn new_with_laps(
        subjects: &'a [Subject],
        events: &'a [Event],
        config: &'a IdentityConfig,
        lap: &mut dyn FnMut(&str),
    ) -> Self {
        let position: HashMap<&str, usize> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut keys: Vec<Vec<LinkageKey>> = subjects
            .par_iter()
            .map(|s| linkage_keys_with(s, &config.email_lists))
            .collect();
        for e in events {
            if let Some(i) = e.subject.as_ref().and_then(|s| position.get(s.as_str())) {
                keys[*i].extend(event_linkage_keys(e));
            }
        }
        for k in &mut keys {
            k.sort();
            k.dedup();
        }
        lap("new: keys");
        let mut by_key: Vec<(u64, u32, u32)> = keys
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, ks)| {
                ks.iter()
                    .enumerate()
                    .map(move |(k, key)| (key_hash(key.kind, &key.value), i as u32, k as u32))
            })
            .collect();
        by_key.par_sort_unstable();
        lap("new: by_key");
        let homes = subjects
            .iter()
            .map(|s| {
                home_addresses(s)
                    .into_iter()
                    .map(|a| a.normalised)
                    .collect()
            })
            .collect();
        lap("new: homes");
        let hasher = MinHasher::new(config.minhash.clone());
        let with_resume: Vec<(usize, &String)> = subjects
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.attributes.get(attributes::RESUME_TEXT).map(|t| (i, t)))
            .collect();
        let resume_signatures: Vec<Signature> = with_resume
            .par_iter()
            .map(|(_, t)| hasher.signature(t))
            .collect();
        lap("new: minhash signatures");
        // The index keeps its own flat copy of the signatures; these are dropped.
        let resume_index = LshIndex::build(&hasher, &resume_signatures);
        drop(resume_signatures);
        lap("new: lsh index");
        let passage_index = PassageIndex::build(
            config.passages.clone(),
            with_resume
                .par_iter()
                .map(|(_, t)| fingerprints(t, &config.passages))
                .collect(),
        );
        lap("new: passage index");
        Self {
            subjects,
            config,
            keys,
            by_key,
            homes,
            resume_subject: with_resume.iter().map(|(i, _)| *i).collect(),
            resume_index,
            passage_index,
        }
    }

    fn resume_text(&self, resume_id: u32) -> Option<&'a str> {
        let i = *self.resume_subject.get(resume_id as usize)?;
        self.subjects[i]
            .attributes
            .get(attributes::RESUME_TEXT)
            .map(String::as_str)
    }

    /// Passages shared between resumes of different subjects, both ways round, by subject position.
    fn passage_pairs(&self) -> PassagePairs {
        let found: Vec<(usize, usize, Vec<SharedPassage>)> = self
            .passage_index
            .pair_passages(&|d| self.resume_text(d), &|a, b| {
                self.resume_subject[a as usize] != self.resume_subject[b as usize]
            })
            .into_iter()
            .map(|(a, b, passages)| {
                (
                    self.resume_subject[a as usize],
                    self.resume_subject[b as usize],
                    passages,
                )
            })
            .collect();
        let mut out: PassagePairs = HashMap::new();
        for (sa, sb, passages) in found {
            let mirrored = passages
                .iter()
                .map(|p| SharedPassage {
                    start_a: p.start_b,
                    start_b: p.start_a,
                    ..p.clone()
                })
                .collect();
            out.entry(sa).or_default().push((sb, passages));
            out.entry(sb).or_default().push((sa, mirrored));
        }
        out
    }

    fn same_household(&self, a: usize, b: usize) -> bool {
        !self.homes[a].is_disjoint(&self.homes[b])
    }

    /// Other subjects sharing a key of one of `kinds` with subject `i`: other position → shared values.
    fn sharing(&self, i: usize, kinds: &[&str]) -> BTreeMap<usize, BTreeSet<String>> {
        let mut out: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for k in self.keys[i].iter().filter(|k| kinds.contains(&k.kind)) {
            {
                for o in self.holders(k.kind, &k.value).filter(|&o| o != i) {
                    out.entry(o)
                        .or_default()
                        .insert(format!("{} {}", k.kind, k.value));
                }
            }
        }
        out
    }

    /// The subjects holding a key, in position order.
    fn holders<'s>(&'s self, kind: &'s str, value: &'s str) -> impl Iterator<Item = usize> + 's {
        let h = key_hash(kind, value);
        let start = self.by_key.partition_point(|e| e.0 < h);
        self.by_key[start..]
            .iter()
            .take_while(move |e| e.0 == h)
            .filter(move |&&(_, i, k)| {
                // A hash shared by two different keys is told apart here.
                let key = &self.keys[i as usize][k as usize];
                key.kind == kind && key.value == value
            })
            .map(|&(_, i, _)| i as usize)
    }

    fn has_kind(&self, i: usize, kinds: &[&str]) -> bool {
        self.keys[i].iter().any(|k| kinds.contains(&k.kind))
    }

    /// All cross-subject facts, for every subject.
    pub fn facts(&self) -> Vec<Fact> {
        self.facts_with_laps(&mut |_| {})
    }

    /// [`Population::facts`], calling `lap` with a phase name as each phase ends (for timing).
    pub fn facts_with_laps(&self, lap: &mut dyn FnMut(&str)) -> Vec<Fact> {
        self.facts_each_with_laps(lap, |_, facts| facts)
            .into_iter()
            .flatten()
            .collect()
    }

    /// Each subject's cross-subject facts handed to `keep` as soon as they are made (on the rayon
    /// pool), and what `keep` returns, in subject order. The same facts as [`Population::facts`]; a
    /// caller holding millions of subjects filters or packs them here instead of holding every
    /// subject's facts at once.
    pub fn facts_each<T, F>(&self, keep: F) -> Vec<T>
    where
        T: Send,
        F: Fn(usize, Vec<Fact>) -> T + Sync + Send,
    {
        self.facts_each_with_laps(&mut |_| {}, keep)
    }

    /// [`Population::facts_each`], calling `lap` with a phase name as each phase ends (for timing).
    pub fn facts_each_with_laps<T, F>(&self, lap: &mut dyn FnMut(&str), keep: F) -> Vec<T>
    where
        T: Send,
        F: Fn(usize, Vec<Fact>) -> T + Sync + Send,
    {
        let resume_pairs = self.resume_pairs();
        lap("facts: resume pairs");
        let passage_pairs = self.passage_pairs();
        lap("facts: passage pairs");
        let photo_pairs = self.photo_pairs();
        lap("facts: photo pairs");
        let kept = (0..self.subjects.len())
            .into_par_iter()
            .map(|i| {
                keep(
                    i,
                    self.subject_facts(i, &resume_pairs, &passage_pairs, &photo_pairs),
                )
            })
            .collect();
        lap("facts: per subject");
        kept
    }

    /// Near-duplicate resume pairs by subject position, with their estimated similarity.
    fn resume_pairs(&self) -> HashMap<usize, Vec<(usize, f64)>> {
        let (pairs, _skipped) = self.resume_index.pairs();
        let mut out: HashMap<usize, Vec<(usize, f64)>> = HashMap::new();
        for (a, b, s) in pairs {
            let (sa, sb) = (
                self.resume_subject[a as usize],
                self.resume_subject[b as usize],
            );
            if sa == sb {
                continue;
            }
            out.entry(sa).or_default().push((sb, s));
            out.entry(sb).or_default().push((sa, s));
        }
        out
    }

    /// Pairs of subjects with photos within the configured Hamming distance, by subject position.
    fn photo_pairs(&self) -> HashMap<usize, Vec<(usize, u32)>> {
        let max = self.config.photo_max_distance;
        let mut photos64: Vec<(usize, u64)> = Vec::new();
        let mut others: Vec<(usize, &PhotoHash)> = Vec::new();
        for (i, s) in self.subjects.iter().enumerate() {
            for id in &s.identifiers {
                if let Identifier::PhotoHash(h) = id {
                    match photo::as_u64(h) {
                        Some(v) => photos64.push((i, v)),
                        None => others.push((i, h)),
                    }
                }
            }
        }
        let values: Vec<u64> = photos64.iter().map(|p| p.1).collect();
        let mut found: HashSet<(usize, usize, u32)> = photo::near_pairs(&values, max)
            .into_iter()
            .filter_map(|(a, b, d)| {
                let (i, j) = (photos64[a as usize].0, photos64[b as usize].0);
                (i != j).then_some((i.min(j), i.max(j), d))
            })
            .collect();
        for (n, (i, a)) in others.iter().enumerate() {
            for (j, b) in &others[n + 1..] {
                if let Some(d) = photo::distance(a, b).filter(|d| *d <= max && i != j) {
                    found.insert((*i.min(j), *i.max(j), d));
                }
            }
        }
        let mut out: HashMap<usize, Vec<(usize, u32)>> = HashMap::new();
        for (a, b, d) in found {
            out.entry(a).or_default().push((b, d));
            out.entry(b).or_default().push((a, d));
        }
        out
    }

    fn subject_facts(
        &self,
        i: usize,
        resume_pairs: &HashMap<usize, Vec<(usize, f64)>>,
        passage_pairs: &PassagePairs,
        photo_pairs: &HashMap<usize, Vec<(usize, u32)>>,
    ) -> Vec<Fact> {
        let subject = &self.subjects[i];
        let src = &subject.provenance;
        let mut sink = FactSink::new(subject);
        let id = |j: usize| self.subjects[j].id.to_string();
        let other_ev = |j: usize, label: &str, what: String| Evidence {
            label: label.to_string(),
            value: format!("{} ({})", id(j), what),
            source: Some(self.subjects[j].provenance.clone()),
        };

        // Shared values, households set apart.
        let shared = |sink: &mut FactSink,
                      kinds: &[&str],
                      list: &str,
                      count: Option<&str>,
                      households_count: bool| {
            if !self.has_kind(i, kinds) {
                return;
            }
            let sharing = self.sharing(i, kinds);
            let mut members = Vec::new();
            let mut evidence = Vec::new();
            for (j, values) in &sharing {
                let values = values.iter().cloned().collect::<Vec<_>>().join(", ");
                if !households_count && self.same_household(i, *j) {
                    evidence.push(other_ev(
                        *j,
                        "same household (shares a home address), not counted",
                        values,
                    ));
                } else {
                    members.push(id(*j));
                    evidence.push(other_ev(*j, "shared with", values));
                }
            }
            if evidence.is_empty() {
                for k in self.keys[i].iter().filter(|k| kinds.contains(&k.kind)) {
                    evidence.push(ev(
                        format!("{} not shared with another subject", k.kind),
                        &k.value,
                        src,
                    ));
                }
            }
            if let Some(count) = count {
                sink.push(
                    count,
                    FactValue::Int(members.len() as i64),
                    evidence.clone(),
                );
            }
            if !members.is_empty() {
                sink.push(list, FactValue::TextList(members), evidence);
            }
        };
        shared(
            &mut sink,
            &["phone"],
            "phone.shared_with",
            Some("phone.shared_with_count"),
            false,
        );
        shared(&mut sink, &["email"], "email.shared_with", None, false);
        shared(
            &mut sink,
            &["payout_account", "wallet"],
            "payout.shared_with",
            Some("payout.shared_with_count"),
            false,
        );
        shared(
            &mut sink,
            &["shipping_address"],
            "shipping.shared_with",
            Some("shipping.shared_with_count"),
            false,
        );
        shared(&mut sink, &["document"], "document.shared_with", None, true);
        shared(
            &mut sink,
            &["reference_email", "reference_phone"],
            "reference.shared_with",
            Some("reference.shared_with_count"),
            true,
        );

        // A reference who is another subject: this subject's reference keys against others' own keys.
        let mut as_subject: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for k in self.keys[i]
            .iter()
            .filter(|k| k.kind == "reference_email" || k.kind == "reference_phone")
        {
            let own_kind = if k.kind == "reference_email" {
                "email"
            } else {
                "phone"
            };
            for j in self.holders(own_kind, &k.value) {
                if j != i {
                    as_subject
                        .entry(j)
                        .or_default()
                        .push(format!("{own_kind} {}", k.value));
                }
            }
        }
        if !as_subject.is_empty() {
            let evidence = as_subject
                .iter()
                .map(|(j, v)| other_ev(*j, "reference is this subject", v.join(", ")))
                .collect();
            sink.push(
                "reference.is_other_subject",
                FactValue::TextList(as_subject.keys().map(|j| id(*j)).collect()),
                evidence,
            );
        }

        // Resumes.
        if let Some(text) = subject.attributes.get(attributes::RESUME_TEXT) {
            let mut dups = resume_pairs.get(&i).cloned().unwrap_or_default();
            dups.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let max = dups.first().map(|d| d.1).unwrap_or(0.0);
            let mut evidence = Vec::new();
            for (j, s) in dups.iter().take(5) {
                evidence.push(other_ev(
                    *j,
                    "near-duplicate resume",
                    format!("estimated similarity {s:.2}"),
                ));
                if let Some(other) = self.subjects[*j].attributes.get(attributes::RESUME_TEXT) {
                    for p in matched_passages(text, other, PASSAGE_WORDS, 2) {
                        let shown: String = p.chars().take(240).collect();
                        evidence.push(ev(format!("passage shared with {}", id(*j)), shown, src));
                    }
                }
            }
            if evidence.is_empty() {
                evidence.push(ev(
                    "resume",
                    "no other resume at or above the similarity threshold",
                    src,
                ));
            }
            sink.push(
                "resume.max_similarity",
                FactValue::Float(max),
                evidence.clone(),
            );
            if !dups.is_empty() {
                sink.push(
                    "resume.duplicate_of",
                    FactValue::TextList(dups.iter().map(|d| id(d.0)).collect()),
                    evidence,
                );
            }
        }

        // Reused phrase blocks.
        if subject.attributes.contains_key(attributes::RESUME_TEXT) {
            self.passage_facts(&mut sink, i, passage_pairs.get(&i));
        }

        // Photos.
        if let Some(mut near) = photo_pairs.get(&i).cloned() {
            near.sort_by_key(|&(j, d)| (d, j));
            let evidence: Vec<Evidence> = near
                .iter()
                .map(|(j, d)| {
                    other_ev(
                        *j,
                        "same or near photo",
                        format!("Hamming distance {d} of 64"),
                    )
                })
                .collect();
            sink.push(
                "photo.min_distance",
                FactValue::Int(near[0].1 as i64),
                evidence.clone(),
            );
            sink.push(
                "photo.reused_by",
                FactValue::TextList(near.iter().map(|(j, _)| id(*j)).collect()),
                evidence,
            );
        }
        sink.facts
    }

    /// `resume.shared_passage_*` for subject `i`: households shown but not counted.
    fn passage_facts(
        &self,
        sink: &mut FactSink,
        i: usize,
        shared: Option<&Vec<(usize, Vec<SharedPassage>)>>,
    ) {
        let src = &self.subjects[i].provenance;
        let id = |j: usize| self.subjects[j].id.to_string();
        let mut shared: Vec<&(usize, Vec<SharedPassage>)> = shared.into_iter().flatten().collect();
        // Longest passage first, then subject order.
        shared.sort_by_key(|(j, ps)| (std::cmp::Reverse(ps.first().map_or(0, |p| p.words)), *j));
        let mut evidence = Vec::new();
        let mut members = Vec::new();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut longest = 0;
        for (j, passages) in &shared {
            let household = self.same_household(i, *j);
            let words = passages.first().map_or(0, |p| p.words);
            let summary = format!(
                "{} passage{}, longest {words} words",
                passages.len(),
                if passages.len() == 1 { "" } else { "s" }
            );
            if household {
                evidence.push(Evidence {
                    label: "same household (shares a home address), not counted".into(),
                    value: format!("{} (resume {summary})", id(*j)),
                    source: Some(self.subjects[*j].provenance.clone()),
                });
                continue;
            }
            members.push(id(*j));
            longest = longest.max(words);
            ranges.extend(passages.iter().map(|p| (p.start_a, p.start_a + p.words)));
            if members.len() <= 5 {
                evidence.push(Evidence {
                    label: "resume shares passages with".into(),
                    value: format!("{} ({summary})", id(*j)),
                    source: Some(self.subjects[*j].provenance.clone()),
                });
                for p in passages.iter().take(2) {
                    let mut shown: String = p.text.chars().take(300).collect();
                    if shown.len() < p.text.len() {
                        shown.push('…');
                    }
                    evidence.push(ev(
                        format!("passage shared with {} ({} words)", id(*j), p.words),
                        shown,
                        src,
                    ));
                }
            }
        }
        // Distinct passages of this resume: overlapping ranges merged.
        ranges.sort_unstable();
        let mut count = 0i64;
        let mut reach = 0usize;
        for (start, end) in ranges {
            if count == 0 || start >= reach {
                count += 1;
                reach = end;
            } else {
                reach = reach.max(end);
            }
        }
        if members.len() > 5 {
            evidence.push(ev(
                "and more subjects",
                format!("{} in all", members.len()),
                src,
            ));
        }
        if evidence.is_empty() {
            let c = self.passage_index.config();
            evidence.push(ev(
                "resume",
                format!(
                    "no passage of {}+ words shared with another subject's resume (text shared by more than {} resumes is boilerplate and ignored)",
                    c.min_passage_words, c.max_df
                ),
                src,
            ));
        }
        sink.push(
            "resume.shared_passage_count",
            FactValue::Int(count),
            evidence.clone(),
        );
        sink.push(
            "resume.shared_passage_max_words",
            FactValue::Int(longest as i64),
            evidence.clone(),
        );
        sink.push(
            "resume.shared_passage_subject_count",
            FactValue::Int(members.len() as i64),
            evidence.clone(),
        );
        if !members.is_empty() {
            sink.push(
                "resume.shared_passage_subjects",
                FactValue::TextList(members),
                evidence,
            );
        }
    }

    /// Subjects whose resumes share a passage with a text (for screening one new applicant against the
    /// population): subject id and the shared passages, longest first.
    pub fn shared_passages(&self, text: &str) -> Vec<(String, Vec<SharedPassage>)> {
        let fps = fingerprints(text, self.passage_index.config());
        let mut out: Vec<(String, Vec<SharedPassage>)> = self
            .passage_index
            .candidates(&fps, None)
            .into_iter()
            .filter_map(|(doc, _)| {
                let passages = self
                    .passage_index
                    .shared_passages(text, self.resume_text(doc)?);
                (!passages.is_empty()).then(|| {
                    (
                        self.subjects[self.resume_subject[doc as usize]]
                            .id
                            .to_string(),
                        passages,
                    )
                })
            })
            .collect();
        out.sort_by(|a, b| {
            let w = |x: &(String, Vec<SharedPassage>)| x.1.first().map_or(0, |p| p.words);
            w(b).cmp(&w(a)).then(a.0.cmp(&b.0))
        });
        out
    }

    /// Resumes similar to a text (for screening one new applicant against the population): subject ids
    /// and estimated similarity, best first.
    pub fn similar_resumes(&self, text: &str) -> Vec<(String, f64)> {
        let hasher = MinHasher::new(self.config.minhash.clone());
        self.resume_index
            .query(&hasher.signature(text))
            .into_iter()
            .map(|(id, s)| {
                (
                    self.subjects[self.resume_subject[id as usize]]
                        .id
                        .to_string(),
                    s,
                )
            })
            .collect()
    }

    /// The number of resumes indexed.
    pub fn resume_count(&self) -> usize {
        self.resume_index.len()
    }
}

/// The hash [`Population`] files a key under.
fn key_hash(kind: &str, value: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(
        value.as_bytes(),
        xxhash_rust::xxh3::xxh3_64(kind.as_bytes()),
    )
}

/// Cross-subject facts for every subject (see [`Population`]).
pub fn population_facts(
    subjects: &[Subject],
    events: &[Event],
    config: &IdentityConfig,
) -> Vec<Fact> {
    Population::new(subjects, events, config).facts()
}
