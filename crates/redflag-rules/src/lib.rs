//! Red-flag rules as data: the rule format (YAML with a CEL condition), the built-in pack embedded from the
//! repository's `rules/` directory, evaluation of a subject's facts into explained [`Finding`]s, and the
//! scorer that turns findings into an [`Assessment`].
//!
//! - [`Rule`] is one YAML file (`rules/<stage>/<ID>.yaml`): id, stage, severity, log-odds weight, a CEL
//!   `condition` over dotted fact names (`net.vpn_share > 0.5`), the facts shown as evidence, the public
//!   sources (with research-catalogue indicator ids), known false positives, and must-fire/must-not-fire tests.
//! - [`RulePack`] holds the active rules, compiled once and checked against a [`FactRegistry`] passed in by the
//!   caller: an unknown fact, a type error, a CEL syntax error or an unfair condition is a [`RuleError`] with
//!   file, line and column, and only that rule is skipped. [`RulePack::version`] hashes the active pack.
//! - [`Scorer`] combines findings in log-odds with a prior ([`ScoringConfig`], `docs/SCORING.md`).
//! - [`coverage`] maps the research catalogue's indicator ids to rules or to reasons they are not automatable.
//!
//! **Design decision:** a fact is bound as a CEL variable under its full dotted name, not as a field of a
//! per-domain map. cel-rust resolves a qualified name such as `net.vpn_share` by trying the whole name first,
//! so conditions read naturally while evaluation builds no maps: each subject's facts are converted once into
//! slots (strings borrowed, not copied) and every rule reads them by name. A missing fact is an unbound
//! variable, so its sub-expression errors and the rule does not fire (CEL's `||`/`&&` still absorb errors the
//! usual way); a rule that would fire with no facts at all is refused at load.
//!
//! ```
//! use redflag_model::{Fact, FactRegistry, FactSpec, FactType, FactValue, SubjectId};
//! use redflag_rules::RulePack;
//!
//! let mut registry = FactRegistry::new();
//! registry.register([FactSpec { name: "net.vpn_share", fact_type: FactType::Float, producer: "doc",
//!     meaning: "Share of sign-ins through a VPN.", example: "0.4", protected: false }]).unwrap();
//! let rule = r#"
//! id: RF-NET-900
//! title: Most sign-ins through a VPN
//! description: Most of the subject's sign-ins came through VPN exit nodes.
//! stage: network
//! status: test
//! severity: medium
//! weight: 1.0
//! condition: 'net.vpn_share > 0.5'
//! evidence: [net.vpn_share]
//! references: [{ title: "FBI PSA", url: "https://www.ic3.gov/", indicators: [N5] }]
//! tests:
//!   - { name: heavy VPN use, facts: { net.vpn_share: 0.9 }, expect: fire }
//!   - { name: no VPN, facts: { net.vpn_share: 0.0 }, expect: no_fire }
//! "#;
//! let pack = RulePack::builder(&registry).builtin(false).text("RF-NET-900.yaml", rule).build();
//! assert!(pack.errors().is_empty(), "{:?}", pack.errors());
//! let subject = SubjectId::new("ats", "42").unwrap();
//! let facts = [Fact::new(subject.clone(), "net.vpn_share", FactValue::Float(0.8))];
//! let findings = pack.evaluate(&subject, &facts);
//! assert_eq!(findings[0].rule_id, "RF-NET-900");
//! assert!(pack.evaluate(&subject, &[]).is_empty()); // a missing fact never fires
//! ```
//!
//! **What this crate must never do:** compute facts itself, depend on an engine (the registry is passed in),
//! touch the store, the server or the network, or load a rule that fires on protected attributes alone.

mod check;
mod compile;
pub mod coverage;
mod error;
mod eval;
mod format;
mod locate;
mod pack;
mod score;
mod testing;

pub use score::{
    Calibration, CalibrationConfig, LabelledSubject, LevelThresholds, RING_SUFFIX, Scorer,
    ScoringConfig, fit_weights, logit, sigmoid,
};

pub use compile::TypedTest;
pub use error::{Location, RuleError, RuleErrorKind};
pub use format::{AREAS, Expect, Reference, Rule, RuleTest, Status, parse_rule};
pub use pack::{LoadedRule, NOT_AUTOMATABLE_FILE, Origin, PackBuilder, RulePack};

pub use testing::{LintReport, TestOutcome, TestReport, lint, run_tests};

#[doc(no_inline)]
pub use redflag_model::{Assessment, FactRegistry, Finding};
