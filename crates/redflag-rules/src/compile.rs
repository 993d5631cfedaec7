//! From rule text to a checked, compiled rule: parse, CEL syntax, registry, types, fairness, tests.

use std::collections::BTreeSet;
use std::sync::Arc;

use cel::Env;
use cel::parser::Expression;
use redflag_model::{FactRegistry, FactType, FactValue};

use crate::check::{self, Problem};
use crate::error::{RuleError, RuleErrorKind};
use crate::format::{Expect, Rule, parse_rule};
use crate::locate::{self, ValueMap};

/// A test case with typed facts.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTest {
    /// Its name.
    pub name: String,
    /// Facts by name.
    pub facts: Vec<(String, FactValue)>,
    /// What it expects.
    pub expect: Expect,
}

/// A rule that passed every load-time check.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub rule: Rule,
    pub expr: Expression,
    /// Distinct facts the condition reads, sorted.
    pub reads: Vec<String>,
    pub tests: Vec<TypedTest>,
}

/// The closest registered fact name, when close enough to be a typo.
fn suggestion(name: &str, registry: &FactRegistry) -> String {
    let best = registry
        .iter()
        .map(|s| (levenshtein(name, s.name), s.name))
        .min();
    match best {
        Some((d, n)) if d <= 3.max(name.len() / 5) => format!("; did you mean `{n}`?"),
        _ => String::new(),
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Converts a YAML test value to a fact value of the registered type (an integer is accepted for a float).
pub(crate) fn typed_value(value: &serde_yaml_ng::Value, t: FactType) -> Result<FactValue, String> {
    use serde_yaml_ng::Value as Y;
    let wrong = || format!("expected a {}, got {}", t.as_str(), yaml_display(value));
    Ok(match (t, value) {
        (FactType::Bool, Y::Bool(b)) => FactValue::Bool(*b),
        (FactType::Int, Y::Number(n)) => FactValue::Int(n.as_i64().ok_or_else(wrong)?),
        (FactType::Float, Y::Number(n)) => FactValue::Float(n.as_f64().ok_or_else(wrong)?),
        (FactType::String, Y::String(s)) => FactValue::Text(s.clone()),
        (FactType::StringList, Y::Sequence(items)) => FactValue::TextList(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(wrong))
                .collect::<Result<_, _>>()?,
        ),
        (FactType::IntList, Y::Sequence(items)) => FactValue::IntList(
            items
                .iter()
                .map(|i| i.as_i64().ok_or_else(wrong))
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(wrong()),
    })
}

fn yaml_display(v: &serde_yaml_ng::Value) -> String {
    serde_yaml_ng::to_string(v)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| format!("{v:?}"))
}

/// Parses and checks one rule file. All problems of the file are returned together.
pub(crate) fn compile(
    text: &str,
    file: &str,
    stem: Option<&str>,
    registry: &FactRegistry,
    env: &Arc<Env>,
) -> Result<Compiled, Vec<RuleError>> {
    let rule = parse_rule(text, file, stem).map_err(|e| vec![e])?;
    let id = rule.id.clone();
    let cond_map = ValueMap::of(text, "condition");
    let at = |pos: (usize, usize), kind: RuleErrorKind| {
        RuleError::new(file, pos.0, pos.1, kind).with_rule(&id)
    };

    let program = match env.compile(&rule.condition) {
        Ok(p) => p,
        Err(errors) => {
            return Err(errors
                .errors
                .iter()
                .map(|e| {
                    let line = usize::try_from(e.pos.0).unwrap_or(1).max(1);
                    let col = usize::try_from(e.pos.1).unwrap_or(0);
                    let offset = locate::offset_of(&rule.condition, line, col.max(1));
                    at(
                        cond_map.position(offset),
                        RuleErrorKind::CelSyntax(e.msg.clone()),
                    )
                })
                .collect());
        }
    };
    let expr = program.expression().clone();
    let info = program.source_info();
    let pos_of = |expr_id: u64| {
        let offset = info
            .offset_for(expr_id)
            .map_or(0, |(start, _)| usize::try_from(start).unwrap_or(0));
        cond_map.position(offset)
    };

    let mut errors = Vec::new();
    let analysis = check::analyse(&expr, registry);
    for problem in &analysis.problems {
        errors.push(match problem {
            Problem::UnknownFact { name, expr_id } => at(
                pos_of(*expr_id),
                RuleErrorKind::UnknownFact {
                    field: "condition",
                    fact: name.clone(),
                    hint: suggestion(name, registry),
                },
            ),
            Problem::Type { message, expr_id } => {
                at(pos_of(*expr_id), RuleErrorKind::Type(message.clone()))
            }
            Problem::Fairness { message, expr_id } => {
                at(pos_of(*expr_id), RuleErrorKind::Fairness(message.clone()))
            }
        });
    }
    // An unknown fact is reported once, where it is first met (condition, evidence, explanation, tests).
    let mut reported: BTreeSet<String> = analysis
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::UnknownFact { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    for fact in &rule.evidence {
        if registry.get(fact).is_none() && reported.insert(fact.clone()) {
            errors.push(at(
                locate::find_after(text, "evidence", fact),
                RuleErrorKind::UnknownFact {
                    field: "evidence",
                    fact: fact.clone(),
                    hint: suggestion(fact, registry),
                },
            ));
        }
    }
    let reads: BTreeSet<String> = analysis.fact_names();
    if analysis.problems.is_empty()
        && let Some(message) = check::fairness(&reads, &rule.evidence, registry)
    {
        errors.push(at(
            locate::key(text, "condition").unwrap_or((1, 1)),
            RuleErrorKind::Fairness(message),
        ));
    }
    if let Some(template) = &rule.explanation {
        for placeholder in placeholders(template) {
            if registry.get(placeholder).is_none() && reported.insert(placeholder.to_string()) {
                errors.push(at(
                    locate::find_after(text, "explanation", placeholder),
                    RuleErrorKind::UnknownFact {
                        field: "explanation",
                        fact: placeholder.to_string(),
                        hint: suggestion(placeholder, registry),
                    },
                ));
            }
        }
    }

    let mut tests = Vec::new();
    for test in &rule.tests {
        let mut facts = Vec::new();
        let test_err = |reason: String| {
            at(
                locate::find_after(text, "tests", &test.name),
                RuleErrorKind::Test {
                    test: test.name.clone(),
                    reason,
                },
            )
        };
        for (name, value) in &test.facts {
            match registry.get(name) {
                None if reported.contains(name) => {}
                None => errors.push(test_err(format!(
                    "unknown fact `{name}`{}",
                    suggestion(name, registry)
                ))),
                Some(spec) => match typed_value(value, spec.fact_type) {
                    Ok(v) => facts.push((name.clone(), v)),
                    Err(reason) => errors.push(test_err(format!("fact `{name}`: {reason}"))),
                },
            }
        }
        tests.push(TypedTest {
            name: test.name.clone(),
            facts,
            expect: test.expect,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Compiled {
        rule,
        expr,
        reads: reads.into_iter().collect(),
        tests,
    })
}

/// The `{fact.name}` placeholders of an explanation template.
pub(crate) fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start + 1..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + 1 + len].trim());
        rest = &rest[start + 1 + len + 1..];
    }
    out
}
