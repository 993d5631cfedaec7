//! The rule pack: loading (built-in and user directories, overrides, disabling, weights), the version
//! hash, and evaluation of facts into findings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cel::Env;
use cel::parser::Expression;
use rayon::prelude::*;
use redflag_model::{Evidence, Fact, FactRegistry, FactType, FactValue, Finding, SubjectId};
use sha2::{Digest, Sha256};

use crate::compile::{self, TypedTest};
use crate::error::{RuleError, RuleErrorKind};
use crate::eval::{Bound, Slots, fires_in, slot_ident};
use crate::format::{Rule, Status};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The file in `rules/` that maps catalogue indicators to the reason they are not automatable; it is
/// not a rule.
pub const NOT_AUTOMATABLE_FILE: &str = "not-automatable.yaml";

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Embedded from the repository's `rules/` directory.
    Builtin,
    /// Loaded from a user directory (`--rules DIR`).
    Dir(PathBuf),
    /// Given as text by the caller.
    Text,
}

/// A loaded, checked rule with its effective weight.
#[derive(Debug)]
pub struct LoadedRule {
    rule: Rule,
    file: String,
    origin: Origin,
    weight: f64,
    expr: Expression,
    reads: Vec<String>,
    read_slots: Vec<usize>,
    tests: Vec<TypedTest>,
    text_hash: [u8; 32],
}

impl LoadedRule {
    /// The rule as written.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.rule.id
    }

    /// The file it was read from, as named in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Where it came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The weight used (the rule's own unless overridden).
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// The facts its condition reads.
    pub fn reads(&self) -> &[String] {
        &self.reads
    }

    /// Its embedded tests with typed facts.
    pub fn tests(&self) -> &[TypedTest] {
        &self.tests
    }
}

/// One source of rule files for [`PackBuilder`].
#[derive(Debug, Clone)]
enum Source {
    Dir(PathBuf),
    Text { file: String, text: String },
}

/// Builds a [`RulePack`]: the built-in rules, then each directory in order (a rule with the same id as an
/// earlier one replaces it), then disabled ids and weight overrides. Broken files are reported in
/// [`RulePack::errors`] and skipped; they never take the other rules down.
#[derive(Debug, Clone)]
pub struct PackBuilder<'r> {
    registry: &'r FactRegistry,
    builtin: bool,
    sources: Vec<Source>,
    disabled: BTreeSet<String>,
    weights: BTreeMap<String, f64>,
    min_status: Status,
}

impl<'r> PackBuilder<'r> {
    /// A builder that includes the built-in rules.
    pub fn new(registry: &'r FactRegistry) -> Self {
        Self {
            registry,
            builtin: true,
            sources: Vec::new(),
            disabled: BTreeSet::new(),
            weights: BTreeMap::new(),
            min_status: Status::Experimental,
        }
    }

    /// Whether to include the built-in rules (default true).
    pub fn builtin(mut self, include: bool) -> Self {
        self.builtin = include;
        self
    }

    /// Adds the rule files of a directory (recursively, `*.yaml` / `*.yml`), overriding earlier rules by id.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.sources.push(Source::Dir(dir.into()));
        self
    }

    /// Adds one rule given as text (`file` names it in errors).
    pub fn text(mut self, file: &str, text: &str) -> Self {
        self.sources.push(Source::Text {
            file: file.to_string(),
            text: text.to_string(),
        });
        self
    }

    /// Disables a rule by id.
    pub fn disable(mut self, id: &str) -> Self {
        self.disabled.insert(id.to_string());
        self
    }

    /// Overrides a rule's weight.
    pub fn weight(mut self, id: &str, weight: f64) -> Self {
        self.weights.insert(id.to_string(), weight);
        self
    }

    /// Loads only rules at least this mature (default: all).
    pub fn min_status(mut self, status: Status) -> Self {
        self.min_status = status;
        self
    }

    /// Loads, checks and compiles everything.
    pub fn build(self) -> RulePack {
        let env = Arc::new(Env::stdlib());
        let mut errors = Vec::new();
        let mut layers: Vec<Vec<(String, String, Origin)>> = Vec::new();
        if self.builtin {
            layers.push(
                builtin::BUILTIN_FILES
                    .iter()
                    .filter(|(path, _)| is_rule_file(Path::new(path)))
                    .map(|(path, text)| {
                        (
                            format!("rules/{path}"),
                            (*text).to_string(),
                            Origin::Builtin,
                        )
                    })
                    .collect(),
            );
        }
        for source in &self.sources {
            match source {
                Source::Dir(dir) => {
                    let mut files = Vec::new();
                    if let Err(e) = walk(dir, &mut files) {
                        errors.push(RuleError::new(
                            &dir.display().to_string(),
                            1,
                            1,
                            RuleErrorKind::Io(e),
                        ));
                    }
                    let mut layer = Vec::new();
                    for path in files {
                        match std::fs::read_to_string(&path) {
                            Ok(text) => layer.push((
                                path.display().to_string(),
                                text,
                                Origin::Dir(dir.clone()),
                            )),
                            Err(e) => errors.push(RuleError::new(
                                &path.display().to_string(),
                                1,
                                1,
                                RuleErrorKind::Io(e.to_string()),
                            )),
                        }
                    }
                    layers.push(layer);
                }
                Source::Text { file, text } => {
                    layers.push(vec![(file.clone(), text.clone(), Origin::Text)])
                }
            }
        }

        let mut by_id: BTreeMap<String, LoadedRule> = BTreeMap::new();
        let mut overridden = Vec::new();
        for layer in layers {
            let compiled: Vec<_> = layer
                .par_iter()
                .map(|(file, text, origin)| {
                    let stem = Path::new(file).file_stem().and_then(|s| s.to_str());
                    let result = compile::compile(text, file, stem, self.registry, &env)
                        .and_then(|c| reject_vacuous(c, file, text, &env));
                    (file, text, origin, result)
                })
                .collect();
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            for (file, text, origin, result) in compiled {
                match result {
                    Err(mut e) => errors.append(&mut e),
                    Ok(c) => {
                        let id = c.rule.id.clone();
                        if let Some(other) = seen.get(&id) {
                            let (line, column) = crate::locate::key(text, "id").unwrap_or((1, 1));
                            errors.push(
                                RuleError::new(
                                    file,
                                    line,
                                    column,
                                    RuleErrorKind::DuplicateId {
                                        id: id.clone(),
                                        other: other.clone(),
                                    },
                                )
                                .with_rule(&id),
                            );
                            continue;
                        }
                        seen.insert(id.clone(), file.clone());
                        let weight = c.rule.weight;
                        let loaded = LoadedRule {
                            file: file.clone(),
                            origin: origin.clone(),
                            weight,
                            expr: c.expr,
                            reads: c.reads,
                            read_slots: Vec::new(),
                            tests: c.tests,
                            text_hash: Sha256::digest(text.as_bytes()).into(),
                            rule: c.rule,
                        };
                        if let Some(previous) = by_id.insert(id.clone(), loaded) {
                            overridden.push((id, previous.file));
                        }
                    }
                }
            }
        }

        for id in self.disabled.iter().chain(self.weights.keys()) {
            if !by_id.contains_key(id) {
                errors.push(RuleError::new(
                    "<options>",
                    1,
                    1,
                    RuleErrorKind::Field {
                        field: "rule id",
                        value: id.clone(),
                        reason: "no loaded rule has this id (disable/weight override ignored)"
                            .into(),
                    },
                ));
            }
        }
        let mut rules: Vec<LoadedRule> = by_id
            .into_values()
            .filter(|r| !self.disabled.contains(&r.rule.id) && r.rule.status >= self.min_status)
            .collect();
        for rule in &mut rules {
            if let Some(w) = self.weights.get(&rule.rule.id) {
                rule.weight = *w;
            }
        }
        RulePack::assemble(rules, errors, overridden, env, self.registry)
    }
}

/// A compiled rule whose condition holds with no facts at all would fire on everyone: refuse it.
fn reject_vacuous(
    c: compile::Compiled,
    file: &str,
    text: &str,
    env: &Arc<Env>,
) -> Result<compile::Compiled, Vec<RuleError>> {
    let slots = Slots::default();
    let bound = Bound::empty(&slots);
    if bound.fires(env, &c.expr) {
        let (line, column) = crate::locate::key(text, "condition").unwrap_or((1, 1));
        return Err(vec![
            RuleError::new(
                file,
                line,
                column,
                RuleErrorKind::Field {
                    field: "condition",
                    value: c.rule.condition.clone(),
                    reason:
                        "holds even when the subject has no facts at all, so it would flag everyone"
                            .into(),
                },
            )
            .with_rule(&c.rule.id),
        ]);
    }
    Ok(c)
}

fn is_rule_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
        && name != NOT_AUTOMATABLE_FILE
        && !name.starts_with('.')
        && !name.starts_with('_')
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read directory: {e}"))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_rule_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The active rules, compiled once, immutable and `Send + Sync`: share one pack across threads.
pub struct RulePack {
    rules: Vec<LoadedRule>,
    errors: Vec<RuleError>,
    overridden: Vec<(String, String)>,
    env: Arc<Env>,
    slots: Slots,
    version: String,
}

impl std::fmt::Debug for RulePack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulePack")
            .field("version", &self.version)
            .field("rules", &self.rules.len())
            .field("errors", &self.errors.len())
            .finish_non_exhaustive()
    }
}

impl RulePack {
    /// The built-in rules, checked against `registry`. Rules that fail to load are in [`RulePack::errors`].
    pub fn builtin(registry: &FactRegistry) -> RulePack {
        PackBuilder::new(registry).build()
    }

    /// The built-in rules plus the rules of `dirs`, in order; a rule with the id of an earlier one
    /// replaces it.
    pub fn load_dirs<P: AsRef<Path>>(registry: &FactRegistry, dirs: &[P]) -> RulePack {
        dirs.iter()
            .fold(PackBuilder::new(registry), |b, d| b.dir(d.as_ref()))
            .build()
    }

    /// A builder for everything else (no built-ins, disabled ids, weights, text sources).
    pub fn builder(registry: &FactRegistry) -> PackBuilder<'_> {
        PackBuilder::new(registry)
    }

    fn assemble(
        mut rules: Vec<LoadedRule>,
        errors: Vec<RuleError>,
        overridden: Vec<(String, String)>,
        env: Arc<Env>,
        registry: &FactRegistry,
    ) -> RulePack {
        rules.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
        let mut slots = Slots::default();
        for rule in &mut rules {
            let names = rule.reads.iter().chain(rule.rule.evidence.iter());
            for name in names {
                let t = registry.get(name).map_or(FactType::String, |s| s.fact_type);
                slots.intern(name, t);
            }
            rule.read_slots = rule.reads.iter().filter_map(|n| slots.slot(n)).collect();
            let slots = &slots;
            crate::check::rewrite_facts(&mut rule.expr, &|name| slots.slot(name).map(slot_ident));
        }
        let mut hasher = Sha256::new();
        for rule in &rules {
            hasher.update(rule.rule.id.as_bytes());
            hasher.update(rule.text_hash);
            hasher.update(rule.weight.to_le_bytes());
        }
        let version = hex::encode(&hasher.finalize()[..8]);
        RulePack {
            rules,
            errors,
            overridden,
            env,
            slots,
            version,
        }
    }

    /// A content hash of the active pack (rule texts, ids and effective weights): 16 hex digits, recorded on
    /// every assessment.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The active rules, sorted by id.
    pub fn rules(&self) -> &[LoadedRule] {
        &self.rules
    }

    /// A rule by id.
    pub fn get(&self, id: &str) -> Option<&LoadedRule> {
        self.rules
            .binary_search_by(|r| r.rule.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    /// Files that failed to load, with file, line, column and reason.
    pub fn errors(&self) -> &[RuleError] {
        &self.errors
    }

    /// Rules replaced by a later source: (id, file of the replaced rule).
    pub fn overridden(&self) -> &[(String, String)] {
        &self.overridden
    }

    /// The number of active rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule is active.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Evaluates every active rule on one subject's facts. Facts the pack does not read are ignored; a
    /// missing fact makes a condition not fire; evaluation never fails.
    pub fn evaluate(&self, subject: &SubjectId, facts: &[Fact]) -> Vec<Finding> {
        let bound = Bound::bind(&self.slots, facts);
        let ctx = bound.context(&self.env);
        let mut findings = Vec::new();
        for rule in &self.rules {
            if !rule.read_slots.iter().any(|&s| bound.has(s)) {
                continue; // checked at load: no rule fires without any of its facts
            }
            if fires_in(&ctx, &rule.expr) {
                findings.push(self.finding(subject, rule, &bound, facts));
            }
        }
        findings
    }

    /// Evaluates many subjects in parallel (rayon); results are in input order.
    pub fn evaluate_all(&self, subjects: &[(SubjectId, Vec<Fact>)]) -> Vec<Vec<Finding>> {
        subjects
            .par_iter()
            .map(|(subject, facts)| self.evaluate(subject, facts))
            .collect()
    }

    /// Whether one rule fires on a fact set (used by rule tests).
    pub fn fires(&self, id: &str, facts: &[(String, FactValue)]) -> Option<bool> {
        let rule = self.get(id)?;
        let subject = SubjectId::from_stored("test:subject".to_string());
        let facts: Vec<Fact> = facts
            .iter()
            .map(|(n, v)| Fact::new(subject.clone(), n, v.clone()))
            .collect();
        let bound = Bound::bind(&self.slots, &facts);
        Some(bound.fires(&self.env, &rule.expr))
    }

    fn finding(
        &self,
        subject: &SubjectId,
        rule: &LoadedRule,
        bound: &Bound<'_>,
        facts: &[Fact],
    ) -> Finding {
        let mut evidence = Vec::new();
        for name in &rule.rule.evidence {
            if let Some(fact) = self
                .slots
                .slot(name)
                .and_then(|s| bound.fact(s))
                .map(|i| &facts[i])
            {
                evidence.push(Evidence::new(name.clone(), fact.value.display()));
                evidence.extend(fact.evidence.iter().cloned());
            }
        }
        let value_of = |name: &str| {
            self.slots
                .slot(name)
                .and_then(|s| bound.fact(s))
                .map(|i| facts[i].value.display())
        };
        let explanation = match &rule.rule.explanation {
            Some(template) => fill(template, &value_of),
            None => {
                let values: Vec<String> = rule
                    .reads
                    .iter()
                    .filter_map(|n| value_of(n).map(|v| format!("{n} = {v}")))
                    .collect();
                format!(
                    "{} Fired because `{}` holds with {}.",
                    rule.rule.description.trim(),
                    rule.rule.condition.trim(),
                    values.join(", ")
                )
            }
        };
        Finding {
            subject: subject.clone(),
            rule_id: rule.rule.id.clone(),
            title: rule.rule.title.clone(),
            stage: rule.rule.stage,
            severity: rule.rule.severity,
            weight: rule.weight,
            explanation,
            evidence,
            citations: rule.rule.citations(),
        }
    }
}

fn fill(template: &str, value_of: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = template.to_string();
    for name in compile::placeholders(template) {
        let value = value_of(name).unwrap_or_else(|| "(missing)".into());
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

/// The files embedded from `rules/`: (path under `rules/`, text), rule files and data files alike.
pub(crate) fn builtin_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    builtin::BUILTIN_FILES.iter().copied()
}
