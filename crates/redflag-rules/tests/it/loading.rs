//! Loading: the built-in pack, errors with file/line/column, overrides, disabling, weights, versions.

use redflag_rules::{RuleErrorKind, RulePack, run_tests};

use crate::provisional::registry;

/// The folders whose rules this crate owns; their rules must load against the provisional registry.
const OWN: &[&str] = &[
    "rules/endpoint/",
    "rules/work/",
    "rules/linkage/",
    "rules/interview/",
];

fn own(file: &str) -> bool {
    OWN.iter().any(|p| file.starts_with(p))
}

/// A valid rule to start from; `patch` replaces one line.
pub const GOOD: &str = "id: RF-NET-901
title: Most sign-ins through a VPN
description: Most of the subject's sign-ins came through VPN exit nodes.
stage: network
status: test
severity: medium
weight: 1.0
condition: 'net.vpn_share > 0.5'
evidence: [net.vpn_share]
references:
  - title: FBI PSA
    url: https://www.ic3.gov/
    indicators: [N5]
tests:
  - name: heavy VPN use fires
    facts: { net.vpn_share: 0.9 }
    expect: fire
  - name: no VPN does not fire
    facts: { net.vpn_share: 0.0 }
    expect: no_fire
";

pub fn patch(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

/// Loads `text` as `RF-NET-901.yaml` next to GOOD as `RF-NET-902`; returns the errors and how many loaded.
fn load_bad(text: &str) -> (Vec<redflag_rules::RuleError>, usize) {
    let registry = registry();
    let other = GOOD.replace("RF-NET-901", "RF-NET-902");
    let pack = RulePack::builder(&registry)
        .builtin(false)
        .text("bad/RF-NET-901.yaml", text)
        .text("ok/RF-NET-902.yaml", &other)
        .build();
    assert!(
        pack.get("RF-NET-902").is_some(),
        "a broken file took the others down"
    );
    (pack.errors().to_vec(), pack.len())
}

/// Asserts exactly one error at `line:column` whose message contains `needle`.
fn check_error(text: &str, line: usize, column: usize, needle: &str) {
    let (errors, loaded) = load_bad(text);
    assert_eq!(loaded, 1, "the bad rule must not load: {errors:?}");
    assert!(!errors.is_empty());
    let e = &errors[0];
    let shown = e.to_string();
    assert!(shown.contains(needle), "{shown}");
    assert!(shown.starts_with("bad/RF-NET-901.yaml:"), "{shown}");
    assert_eq!(
        (e.location.line, e.location.column),
        (line, column),
        "{shown}"
    );
}

#[test]
fn own_builtin_rules_load_and_pass_their_tests() {
    let registry = registry();
    let pack = RulePack::builtin(&registry);
    let own_errors: Vec<String> = pack
        .errors()
        .iter()
        .filter(|e| own(&e.location.file))
        .map(ToString::to_string)
        .collect();
    assert!(own_errors.is_empty(), "{own_errors:#?}");
    // Other areas' rules read facts of engines this crate does not depend on; the CLI checks them against
    // the real registry. Show what did not load here, for information.
    for e in pack.errors().iter().filter(|e| !own(&e.location.file)) {
        eprintln!("(other area, not checked here) {e}");
    }
    let own_rules: Vec<_> = pack.rules().iter().filter(|r| own(r.file())).collect();
    assert!(own_rules.len() >= 20, "{}", own_rules.len());
    let report = run_tests(&pack);
    let failures: Vec<String> = report
        .failures()
        .filter(|o| own(&o.file))
        .map(ToString::to_string)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.passed() >= 2 * own_rules.len());
}

#[test]
fn yaml_errors_name_line_and_column() {
    check_error(&patch("weight: 1.0", "weight: [1.0"), 7, 9, "YAML");
    check_error(
        &patch("severity: medium", "severty: medium"),
        6,
        1,
        "unknown field `severty`",
    );
    check_error(
        &patch("stage: network", "stage: netwrk"),
        4,
        8,
        "unknown variant `netwrk`",
    );
}

#[test]
fn field_errors_name_the_field_and_value() {
    check_error(
        &patch("weight: 1.0", "weight: 42.0"),
        7,
        1,
        "field `weight` = \"42\"",
    );
    check_error(
        &patch("id: RF-NET-901", "id: NET-901"),
        1,
        1,
        "RF-<AREA>-<NNN>",
    );
    check_error(
        &patch("    url: https://www.ic3.gov/", "    url: www.ic3.gov"),
        12,
        10,
        "must be an http(s) URL",
    );
    check_error(
        &patch("    indicators: [N5]", "    indicators: [X5]"),
        13,
        18,
        "indicator id",
    );
    check_error(
        &patch("    expect: fire", "    expect: no_fire"),
        14,
        1,
        "expect: fire",
    );
}

#[test]
fn the_file_must_be_named_after_the_id() {
    check_error(
        &patch("id: RF-NET-901", "id: RF-NET-909"),
        1,
        1,
        "rename `RF-NET-901.yaml`",
    );
}

#[test]
fn unknown_facts_are_located_and_suggested() {
    check_error(
        &patch(
            "condition: 'net.vpn_share > 0.5'",
            "condition: 'net.vpn_shar > 0.5'",
        ),
        8,
        13,
        "unknown fact `net.vpn_shar` in `condition`",
    );
    let (errors, _) = load_bad(&patch(
        "condition: 'net.vpn_share > 0.5'",
        "condition: 'net.vpn_shar > 0.5'",
    ));
    assert!(
        errors[0]
            .to_string()
            .contains("did you mean `net.vpn_share`?")
    );
    check_error(
        &patch(
            "evidence: [net.vpn_share]",
            "evidence: [net.vpn_share, net.nope]",
        ),
        9,
        27,
        "unknown fact `net.nope` in `evidence`",
    );
    check_error(
        &patch(
            "    facts: { net.vpn_share: 0.9 }",
            "    facts: { net.vpn_sharing: 0.9 }",
        ),
        15,
        11,
        "unknown fact `net.vpn_sharing`",
    );
}

#[test]
fn cel_syntax_errors_are_located() {
    check_error(
        &patch(
            "condition: 'net.vpn_share > 0.5'",
            "condition: 'net.vpn_share > > 0.5'",
        ),
        8,
        29,
        "CEL syntax error",
    );
}

#[test]
fn type_errors_are_reported() {
    let cases = [
        (
            "'net.vpn_share > \"high\"'",
            "cannot compare a double with a string",
        ),
        ("'net.vpn_share + 1 > 2.0'", "does not mix int and double"),
        ("'net.vpn_share'", "must be a bool"),
        (
            "'net.signin_countries.contains(\"US\")'",
            "works on strings",
        ),
        ("'size(net.vpn_share) > 1'", "size() of a double"),
        ("'has(net.vpn_share)'", "has() is not supported"),
        (
            "'frobnicate(net.vpn_share)'",
            "unknown function `frobnicate`",
        ),
        ("'net.vpn_share.value > 1.0'", "has no field `value`"),
    ];
    for (condition, needle) in cases {
        let text = patch("'net.vpn_share > 0.5'", condition);
        let (errors, loaded) = load_bad(&text);
        assert_eq!(loaded, 1, "{condition}");
        assert!(
            errors.iter().any(|e| e.to_string().contains(needle)),
            "{condition}: {errors:#?}"
        );
    }
}

#[test]
fn test_values_are_type_checked() {
    check_error(
        &patch(
            "    facts: { net.vpn_share: 0.9 }",
            "    facts: { net.vpn_share: high }",
        ),
        15,
        11,
        "expected a float, got high",
    );
}

#[test]
fn a_condition_true_without_facts_is_refused() {
    let (errors, loaded) = load_bad(&patch(
        "'net.vpn_share > 0.5'",
        "'net.vpn_share > 0.5 || true'",
    ));
    assert_eq!(loaded, 1);
    assert!(
        errors[0].to_string().contains("flag everyone"),
        "{errors:?}"
    );
}

#[test]
fn duplicate_ids_within_a_source_are_refused() {
    let registry = registry();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/RF-NET-901.yaml"), GOOD).unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    std::fs::write(dir.path().join("b/RF-NET-901.yaml"), GOOD).unwrap();
    let pack = RulePack::builder(&registry)
        .builtin(false)
        .dir(dir.path())
        .build();
    assert_eq!(pack.len(), 1);
    assert!(matches!(
        *pack.errors()[0].kind,
        RuleErrorKind::DuplicateId { .. }
    ));
}

#[test]
fn directories_override_builtins_and_options_apply() {
    let registry = registry();
    let base = RulePack::builtin(&registry);
    let builtin_weight = base.get("RF-END-004").unwrap().weight();
    let dir = tempfile::tempdir().unwrap();
    let own = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/endpoint/RF-END-004.yaml"
    ))
    .unwrap();
    std::fs::write(
        dir.path().join("RF-END-004.yaml"),
        own.replace("weight: 1.0", "weight: 0.25"),
    )
    .unwrap();
    std::fs::write(dir.path().join("RF-NET-901.yaml"), GOOD).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "id: [").unwrap();
    let pack = RulePack::load_dirs(&registry, &[dir.path()]);
    assert_eq!(pack.get("RF-END-004").unwrap().weight(), 0.25);
    assert_ne!(builtin_weight, 0.25);
    assert!(pack.get("RF-NET-901").is_some());
    assert!(
        pack.overridden()
            .iter()
            .any(|(id, file)| id == "RF-END-004" && file.starts_with("rules/endpoint"))
    );
    assert!(
        pack.errors()
            .iter()
            .any(|e| e.location.file.ends_with("broken.yaml"))
    );
    assert_ne!(pack.version(), base.version());

    let tuned = RulePack::builder(&registry)
        .disable("RF-END-001")
        .weight("RF-END-002", 4.0)
        .disable("RF-XXX-000")
        .build();
    assert!(tuned.get("RF-END-001").is_none());
    assert_eq!(tuned.get("RF-END-002").unwrap().weight(), 4.0);
    assert!(
        tuned
            .errors()
            .iter()
            .any(|e| e.to_string().contains("RF-XXX-000"))
    );
    assert_ne!(tuned.version(), base.version());
    assert_eq!(
        RulePack::builtin(&registry).version(),
        base.version(),
        "the version is a content hash"
    );
    assert_eq!(base.version().len(), 16);
}

#[test]
fn an_unreadable_directory_is_an_error_not_a_panic() {
    let registry = registry();
    let pack = RulePack::builder(&registry)
        .builtin(false)
        .dir("/nonexistent/rules")
        .build();
    assert!(pack.is_empty());
    assert!(pack.errors()[0].to_string().contains("cannot read"));
}

#[test]
fn every_builtin_rule_file_is_well_formed() {
    // Format only (no registry): other areas' facts are checked by the CLI against the real registry.
    let mut problems = Vec::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules");
    for stage in std::fs::read_dir(dir).unwrap() {
        let stage = stage.unwrap().path();
        if !stage.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&stage).unwrap() {
            let path = file.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let stem = path.file_stem().and_then(|s| s.to_str());
            let shown = format!(
                "rules/{}/{}",
                stage.file_name().unwrap().to_string_lossy(),
                path.file_name().unwrap().to_string_lossy()
            );
            match redflag_rules::parse_rule(&text, &shown, stem) {
                Ok(rule) if rule.stage.as_str() != stage.file_name().unwrap().to_string_lossy() => {
                    problems.push(format!(
                        "{shown}: stage `{}` but folder `{}`",
                        rule.stage.as_str(),
                        stage.display()
                    ));
                }
                Ok(_) => {}
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
