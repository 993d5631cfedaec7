//! Running the rules' embedded tests, and the lint (load errors plus failing tests).

use crate::error::RuleError;
use crate::format::Expect;
use crate::pack::RulePack;

/// The outcome of one embedded test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's file.
    pub file: String,
    /// The test's name.
    pub test: String,
    /// What it expected.
    pub expect: Expect,
    /// Whether the rule fired.
    pub fired: bool,
}

impl TestOutcome {
    /// Whether the rule did what the test expected.
    pub fn passed(&self) -> bool {
        self.fired == (self.expect == Expect::Fire)
    }
}

impl std::fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = if self.passed() { "ok" } else { "FAILED" };
        let expected = match self.expect {
            Expect::Fire => "fire",
            Expect::NoFire => "no_fire",
        };
        write!(
            f,
            "{verdict}: {} {:?} (expected {expected}, {}) [{}]",
            self.rule_id,
            self.test,
            if self.fired { "fired" } else { "did not fire" },
            self.file
        )
    }
}

/// The outcomes of every embedded test of a pack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// One per test, in rule order.
    pub outcomes: Vec<TestOutcome>,
}

impl TestReport {
    /// The failed tests.
    pub fn failures(&self) -> impl Iterator<Item = &TestOutcome> {
        self.outcomes.iter().filter(|o| !o.passed())
    }

    /// The number of passed tests.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    /// Whether every test passed.
    pub fn is_ok(&self) -> bool {
        self.failures().next().is_none()
    }
}

/// Runs every active rule's embedded tests: each test's facts alone, the rule alone.
pub fn run_tests(pack: &RulePack) -> TestReport {
    let mut outcomes = Vec::new();
    for rule in pack.rules() {
        for test in rule.tests() {
            let fired = pack.fires(rule.id(), &test.facts).unwrap_or(false);
            outcomes.push(TestOutcome {
                rule_id: rule.id().to_string(),
                file: rule.file().to_string(),
                test: test.name.clone(),
                expect: test.expect,
                fired,
            });
        }
    }
    TestReport { outcomes }
}

/// What `redflag rules lint` reports: files that failed to load, and embedded tests that fail.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Load errors (file, line, column, reason).
    pub errors: Vec<RuleError>,
    /// The embedded tests of the rules that loaded.
    pub tests: TestReport,
}

impl LintReport {
    /// Whether nothing is wrong (lint exits non-zero otherwise).
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.tests.is_ok()
    }
}

/// Lints a pack: its load errors plus its failing embedded tests.
pub fn lint(pack: &RulePack) -> LintReport {
    LintReport {
        errors: pack.errors().to_vec(),
        tests: run_tests(pack),
    }
}
