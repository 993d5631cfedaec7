//! The fact registry the tests of this crate check the rules of `rules/endpoint/`, `rules/work/` and
//! `rules/linkage/` against.
//!
//! Endpoint and work facts come from the real engine, `redflag_endpoint::fact_specs()` (a dev-dependency:
//! engines never depend on each other in normal dependencies). The linkage engine has not landed yet, so the
//! `ring.*` facts its rules read are still declared here, PROVISIONALLY; when it exports `fact_specs()`,
//! register those instead. A few facts of other areas (`claim.*`, `net.*`, …) are declared only to exercise
//! the fairness lint and evaluation. The CLI's tests check the whole pack against the pipeline's registry.

use redflag_model::{FactRegistry, FactSpec, FactType};

const fn spec(
    name: &'static str,
    fact_type: FactType,
    producer: &'static str,
    meaning: &'static str,
) -> FactSpec {
    FactSpec {
        name,
        fact_type,
        producer,
        meaning,
        example: "",
        protected: false,
    }
}

const fn protected(name: &'static str, meaning: &'static str) -> FactSpec {
    FactSpec {
        name,
        fact_type: FactType::String,
        producer: "provisional",
        meaning,
        example: "",
        protected: true,
    }
}

/// The `ring.*` facts the linkage rules read, with provisional types, until the linkage engine lands.
pub fn provisional_specs() -> Vec<FactSpec> {
    use FactType::*;
    vec![
        spec(
            "ring.size",
            Int,
            "provisional:linkage",
            "Members of the subject's ring (1 when alone).",
        ),
        spec(
            "ring.shared_payout_account",
            Bool,
            "provisional:linkage",
            "Payout account shared with another member.",
        ),
        spec(
            "ring.shared_shipping_address",
            Bool,
            "provisional:linkage",
            "Laptop shipping address shared with another member.",
        ),
        spec(
            "ring.member_with_sanctions_hit",
            Bool,
            "provisional:linkage",
            "Another member matches a sanctions entry.",
        ),
    ]
}

/// Facts of other areas, for lint and evaluation tests only.
pub fn other_specs() -> Vec<FactSpec> {
    vec![
        protected("claim.nationality", "Claimed nationality."),
        protected("claim.language", "Claimed native language."),
        protected("claim.name_origin", "Inferred origin of the name."),
        spec(
            "claim.country",
            FactType::String,
            "provisional",
            "Claimed country of residence.",
        ),
        spec(
            "net.signin_country",
            FactType::String,
            "provisional",
            "Most frequent observed sign-in country.",
        ),
        spec(
            "net.vpn_share",
            FactType::Float,
            "provisional",
            "Share of sign-ins through a VPN.",
        ),
        spec(
            "net.vpn_sign_in_count",
            FactType::Int,
            "provisional",
            "Sign-ins through a VPN.",
        ),
        spec(
            "net.signin_countries",
            FactType::StringList,
            "provisional",
            "Observed sign-in countries.",
        ),
        spec(
            "tz.inferred_offset_hours",
            FactType::IntList,
            "provisional",
            "Candidate UTC offsets from activity.",
        ),
        spec(
            "identity.phone.line_type",
            FactType::String,
            "provisional",
            "Line type of the phone (three segments).",
        ),
    ]
}

/// The endpoint engine's facts, the provisional linkage facts and the other-area facts.
pub fn registry() -> FactRegistry {
    let mut registry = FactRegistry::new();
    registry.register(redflag_endpoint::fact_specs()).unwrap();
    registry.register(provisional_specs()).unwrap();
    registry.register(other_specs()).unwrap();
    registry
}

/// Every endpoint/work rule must load against the real engine's facts ALONE (no provisional name can stand in
/// for a fact the engine does not produce), and every fact the engine registers is read by a rule's
/// condition or shown as a rule's evidence, except `endpoint.host_count` (context, not a signal).
#[test]
fn endpoint_and_work_rules_load_against_the_real_engine() {
    use redflag_rules::{RulePack, run_tests};
    let mut registry = FactRegistry::new();
    registry.register(redflag_endpoint::fact_specs()).unwrap();
    let pack = RulePack::builtin(&registry);
    let ours = |file: &str| file.starts_with("rules/endpoint/") || file.starts_with("rules/work/");
    let errors: Vec<String> = pack
        .errors()
        .iter()
        .filter(|e| ours(&e.location.file))
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let rules: Vec<_> = pack.rules().iter().filter(|r| ours(r.file())).collect();
    assert!(rules.len() >= 20, "{}", rules.len());
    let report = run_tests(&pack);
    let failures: Vec<String> = report
        .failures()
        .filter(|o| ours(&o.file))
        .map(ToString::to_string)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let used: std::collections::BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.reads().iter().chain(&r.rule().evidence))
        .map(String::as_str)
        .collect();
    let unused: Vec<&str> = redflag_endpoint::fact_specs()
        .iter()
        .map(|s| s.name)
        .filter(|n| !used.contains(n) && *n != "endpoint.host_count")
        .collect();
    assert!(
        unused.is_empty(),
        "engine facts no rule reads or shows: {unused:?}"
    );
    // No rule is left in the interview folder: no engine produces `interview.*` facts.
    assert!(
        !pack
            .rules()
            .iter()
            .any(|r| r.file().starts_with("rules/interview/"))
    );
}
