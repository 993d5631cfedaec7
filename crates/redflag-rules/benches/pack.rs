//! Throughput of the rule pack: the built-in pack (endpoint/work/linkage rules, checked against the registry
//! of the tests: the endpoint engine's facts plus provisional `ring.*`) and a 4× larger pack of threshold variants, over N synthetic subjects'
//! facts (default 1,000,000; `RULES_BENCH_SUBJECTS` overrides), evaluated with `evaluate_all` on all cores.
//! Facts are generated in batches of 50,000 outside the timed section. Prints rules × subjects per second.
//!
//! Run: `cargo bench -p redflag-rules --bench pack`

#![allow(clippy::unwrap_used, clippy::cast_precision_loss, missing_docs)]

#[path = "../tests/it/provisional.rs"]
mod provisional;

use std::time::{Duration, Instant};

use redflag_model::{Fact, FactValue, SubjectId};
use redflag_rules::RulePack;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// How often rules fire in a generated population.
#[derive(Clone, Copy)]
enum Mix {
    /// A realistic screening population: nearly everyone benign, each rule hitting well under 1 %.
    Typical,
    /// Every rule hits often (several findings per subject): finding construction dominates.
    Stress,
}

/// 23 facts per subject (the endpoint engine's names and the provisional `ring.*`).
fn subject_facts(i: usize, rng: &mut Rng, mix: Mix) -> (SubjectId, Vec<Fact>) {
    let s = SubjectId::from_stored(format!("hris:{i}"));
    // `k` scales how far values reach past the rules' thresholds
    let (rare, k): (u64, u64) = match mix {
        Mix::Typical => (2, 1),
        Mix::Stress => (50, 3),
    };
    let tools = rng.below(1000) as u64;
    let tool_count: i64 = if tools < 1000 - 10 * rare {
        0
    } else if tools < 1000 - 2 * rare {
        1
    } else {
        2
    };
    let f = |name: &str, v: FactValue| Fact::new(s.clone(), name, v);
    let facts = vec![
        f("endpoint.remote_tool_count", FactValue::Int(tool_count)),
        f(
            "endpoint.remote_tools",
            FactValue::TextList((0..tool_count).map(|t| format!("tool{t}")).collect()),
        ),
        f(
            "endpoint.remote_tools_first_week",
            FactValue::Int(if rng.chance(rare) { tool_count } else { 0 }),
        ),
        f(
            "endpoint.crd_unattended_pin",
            FactValue::Bool(rng.chance(rare / 2)),
        ),
        f(
            "endpoint.remote_access_ports",
            FactValue::IntList(if rng.chance(rare) { vec![3389] } else { vec![] }),
        ),
        f(
            "endpoint.ip_kvm_seen",
            FactValue::Bool(rng.chance(rare / 2)),
        ),
        f(
            "endpoint.usb_gadget_composite_seen",
            FactValue::Bool(rng.chance(rare)),
        ),
        f(
            "endpoint.mouse_jiggler_seen",
            FactValue::Bool(rng.chance(rare)),
        ),
        f(
            "endpoint.astrill_vpn_seen",
            FactValue::Bool(rng.chance(rare)),
        ),
        f(
            "endpoint.is_virtual_machine",
            FactValue::Bool(rng.chance(rare)),
        ),
        f(
            "work.drive_download_max_per_day",
            FactValue::Int(rng.below(250 * k)),
        ),
        f(
            "work.repo_clone_max_per_day",
            FactValue::Int(rng.below(10 * k)),
        ),
        f(
            "work.github_commits_before_account",
            FactValue::Int(i64::from(rng.chance(rare))),
        ),
        f("work.commit_count", FactValue::Int(rng.below(200))),
        f(
            "work.commit_email_count",
            FactValue::Int(1 + rng.below(2 * k)),
        ),
        f("work.commit_name_count", FactValue::Int(1 + rng.below(k))),
        f(
            "work.commit_claimed_tz_gap_hours",
            FactValue::Float(if rng.chance(rare * 2) { 9.0 } else { 1.0 }),
        ),
        f(
            "work.github_account_age_days",
            FactValue::Int(rng.below(3000)),
        ),
        f(
            "work.exit_window_downloads",
            FactValue::Int(rng.below(60 * k)),
        ),
        f(
            "ring.size",
            FactValue::Int(1 + i64::from(rng.chance(rare * 5)) * rng.below(2 * k)),
        ),
        f(
            "ring.shared_payout_account",
            FactValue::Bool(rng.chance(rare)),
        ),
        f(
            "ring.shared_shipping_address",
            FactValue::Bool(rng.chance(rare)),
        ),
        f(
            "ring.member_with_sanctions_hit",
            FactValue::Bool(rng.chance(rare / 2)),
        ),
    ];
    (s, facts)
}

/// The built-in rules again under new ids with shifted thresholds (`RF-XXX-1NN` …), to measure a pack of
/// realistic full size (~90 rules) while other areas' facts are not in this crate's registry.
fn variants(pack: &RulePack, copies: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for copy in 1..=copies {
        for rule in pack.rules() {
            let text = std::fs::read_to_string(format!(
                "{}/../../{}",
                env!("CARGO_MANIFEST_DIR"),
                rule.file()
            ))
            .unwrap();
            let (area, num) = rule.id().rsplit_once('-').unwrap();
            let id = format!(
                "{area}-{}",
                100 * copy + num.parse::<usize>().unwrap() % 100
            );
            out.push((format!("{id}.yaml"), text.replace(rule.id(), &id)));
        }
    }
    out
}

fn run(label: &str, pack: &RulePack, subjects: usize, mix: Mix) {
    const BATCH: usize = 50_000;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut elapsed = Duration::ZERO;
    let mut findings = 0usize;
    let mut done = 0;
    while done < subjects {
        let n = BATCH.min(subjects - done);
        let batch: Vec<_> = (done..done + n)
            .map(|i| subject_facts(i, &mut rng, mix))
            .collect();
        let start = Instant::now();
        let results = pack.evaluate_all(&batch);
        elapsed += start.elapsed();
        findings += results.iter().map(Vec::len).sum::<usize>();
        done += n;
    }
    let secs = elapsed.as_secs_f64();
    println!(
        "{label}: {} rules × {subjects} subjects in {secs:.2} s = {:.1} M rule-evaluations/s, {:.0} subjects/s, {:.3} findings/subject",
        pack.len(),
        (pack.len() * subjects) as f64 / secs / 1e6,
        subjects as f64 / secs,
        findings as f64 / subjects as f64,
    );
}

fn main() {
    let subjects: usize = std::env::var("RULES_BENCH_SUBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let registry = provisional::registry();
    let builtin = RulePack::builtin(&registry);
    println!("threads: {}", rayon::current_num_threads());
    run("built-in pack, typical", &builtin, subjects, Mix::Typical);
    let big = variants(&builtin, 3)
        .iter()
        .fold(RulePack::builder(&registry), |b, (file, text)| {
            b.text(file, text)
        })
        .build();
    // other areas' built-in rules read facts outside the provisional registry: only the variants must load
    let variant_errors: Vec<_> = big
        .errors()
        .iter()
        .filter(|e| !e.location.file.starts_with("rules/"))
        .collect();
    assert!(variant_errors.is_empty(), "{variant_errors:?}");
    run("4× pack, typical", &big, subjects, Mix::Typical);
    run("built-in pack, stress", &builtin, subjects, Mix::Stress);
    run("4× pack, stress", &big, subjects, Mix::Stress);
}
