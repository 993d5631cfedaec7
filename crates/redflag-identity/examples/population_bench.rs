//! Times `population_facts` on a generated world, phase by phase, and prints the peak resident set.
//!
//! ```text
//! cargo run --release -p redflag-identity --example population_bench -- --subjects 50000 [--dir D]
//!     [--dump facts.jsonl] [--seed S] [--pdf-share 0.15 --docx-share 0.15]
//! ```
//!
//! The world comes from `redflag_synth` (one day of events): `people.csv` is read through the real people
//! connector, resumes are attached with `resumes::attach_named` and `redflag_identity::extract_text` (as the
//! CLI's sharded eval does), payout changes and shipments are read through their connectors and attributed
//! to the lowest subject id claiming one of their identifiers. `--dump` writes every fact as one JSON line,
//! sorted, so two builds can be compared with `cmp`. By default resumes are written as text (PDF and DOCX
//! extraction costs minutes at a million subjects and does not change the population stage).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_connectors::resumes::{self, ResumeLimits};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_identity::{IdentityConfig, Population};
use redflag_model::{Event, IdentifierKind, Subject};
use redflag_synth::WorldConfig;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// User plus system CPU time of the process so far, in seconds (`/proc/self/stat`, 100 ticks a second).
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(") ")?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

struct Args {
    subjects: usize,
    seed: u64,
    dir: Option<PathBuf>,
    dump: Option<PathBuf>,
    pdf_share: f64,
    docx_share: f64,
    stats: bool,
}

fn args() -> Args {
    let mut out = Args {
        subjects: 20_000,
        seed: WorldConfig::default().seed,
        dir: None,
        dump: None,
        pdf_share: 0.0,
        docx_share: 0.0,
        stats: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--stats" {
            out.stats = true;
            continue;
        }
        let v = it.next().unwrap_or_default();
        match a.as_str() {
            "--subjects" => out.subjects = v.parse().unwrap_or(out.subjects),
            "--seed" => out.seed = v.parse().unwrap_or(out.seed),
            "--dir" => out.dir = Some(v.into()),
            "--dump" => out.dump = Some(v.into()),
            "--pdf-share" => out.pdf_share = v.parse().unwrap_or(0.0),
            "--docx-share" => out.docx_share = v.parse().unwrap_or(0.0),
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

fn extract(bytes: &[u8], name: &str) -> Result<String, String> {
    redflag_identity::extract_text(bytes, name, &redflag_identity::ExtractLimits::default())
        .map(|r| r.text)
        .map_err(|e| e.to_string())
}

/// Sizes behind the resume phases: LSH buckets and passage candidate pairs.
fn stats(subjects: &[Subject], identity: &IdentityConfig) {
    use redflag_identity::resume::{LshIndex, MinHasher, PassageIndex, fingerprints};
    let texts: Vec<&str> = subjects
        .iter()
        .filter_map(|s| s.attributes.get("resume_text").map(String::as_str))
        .collect();
    let t = Instant::now();
    let index = PassageIndex::build(
        identity.passages.clone(),
        texts
            .par_iter()
            .map(|t| fingerprints(t, &identity.passages))
            .collect(),
    );
    let built = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pairs = index.pairs();
    let listed = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let found = index.pair_passages(&|d| texts.get(d as usize).copied(), &|_, _| true);
    eprintln!(
        "passages: {} resumes, {} index entries, {} candidate pairs, {} with a passage (index {built:.1} s, pairs {listed:.1} s, pairs with passages {:.1} s)",
        texts.len(),
        index.entries(),
        pairs.len(),
        found.len(),
        t.elapsed().as_secs_f64()
    );
    let hasher = MinHasher::new(identity.minhash.clone());
    let sigs: Vec<_> = texts.par_iter().map(|t| hasher.signature(t)).collect();
    let lsh = LshIndex::build(&hasher, &sigs);
    let (near, skipped) = lsh.pairs();
    eprintln!(
        "lsh: {} near-duplicate pairs, {skipped} over-full buckets skipped",
        near.len()
    );
}

fn main() {
    let args = args();
    let config = WorldConfig {
        seed: args.seed,
        subjects: args.subjects,
        days: 1,
        pdf_resume_share: args.pdf_share,
        docx_resume_share: args.docx_share,
        ..WorldConfig::default()
    };
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = std::env::temp_dir().join(format!(
                "population-bench-{}-{}-{}",
                args.subjects,
                args.seed,
                std::process::id()
            ));
            tmp.clone()
        }
    };
    let t = Instant::now();
    let (subjects, events) = {
        let world = redflag_synth::generate(&config);
        if !dir.join("people.csv").exists() {
            world.write_people_to(&dir).expect("people written");
            world
                .write_events(&dir, 0..config.subjects)
                .expect("events written");
        }
        let people = dir.join("people.csv");
        let reader = PeopleReader::new(
            BufReader::with_capacity(1 << 20, File::open(&people).expect("people.csv")),
            &people.display().to_string(),
            &config.system,
            PeopleMapping::generic(),
        )
        .expect("people reader");
        let mut subjects: Vec<Subject> = reader.filter_map(Result::ok).collect();
        let limits = ResumeLimits::default();
        let attached: usize = subjects
            .par_iter_mut()
            .map(|s| {
                usize::from(matches!(
                    resumes::attach_named(s, &dir, &limits, extract),
                    Ok(true)
                ))
            })
            .sum();
        let mut events: Vec<Event> = Vec::new();
        let payroll = dir.join("payroll_changes.csv");
        if let Ok(f) = File::open(&payroll) {
            let name = payroll.display().to_string();
            let reader = PayrollReader::new(BufReader::new(f), &name, &PayoutMapping::generic())
                .expect("payroll reader");
            events.extend(reader.filter_map(Result::ok));
        }
        let shipping = dir.join("laptop_shipments.csv");
        if let Ok(f) = File::open(&shipping) {
            let name = shipping.display().to_string();
            let reader = ShippingReader::new(BufReader::new(f), &name, &ShipmentMapping::generic())
                .expect("shipping reader");
            events.extend(reader.filter_map(Result::ok));
        }
        // Attribution as the CLI's eval does it: the lowest subject id claiming an identifier.
        let mut claims: HashMap<(IdentifierKind, String), usize> = HashMap::new();
        for (p, s) in subjects.iter().enumerate() {
            for i in &s.identifiers {
                claims
                    .entry((i.kind(), i.value()))
                    .and_modify(|q| {
                        if s.id < subjects[*q].id {
                            *q = p;
                        }
                    })
                    .or_insert(p);
            }
        }
        let events: Vec<Event> = events
            .into_iter()
            .filter_map(|mut e| {
                e.subject = e
                    .identifiers
                    .iter()
                    .filter_map(|i| claims.get(&(i.kind(), i.value())))
                    .map(|&p| &subjects[p].id)
                    .min()
                    .cloned();
                e.subject.is_some().then_some(e)
            })
            .collect();
        eprintln!(
            "prepared {} subjects ({attached} resumes attached), {} payout/shipment events in {:.1} s (dir {})",
            subjects.len(),
            events.len(),
            t.elapsed().as_secs_f64(),
            dir.display()
        );
        (subjects, events)
    };
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let identity = IdentityConfig::default();
    let base_rss = rss_mib();
    let base_peak = peak_rss_mib();
    let mut last = Instant::now();
    let start = last;
    let start_cpu = cpu_s();
    let mut last_cpu = start_cpu;
    let mut lap = |phase: &str| {
        let cpu = cpu_s();
        eprintln!(
            "  {phase:<28} {:>8.2} s wall {:>8.2} s cpu   rss {:>8.0} MiB",
            last.elapsed().as_secs_f64(),
            cpu - last_cpu,
            rss_mib()
        );
        last = Instant::now();
        last_cpu = cpu;
    };
    let population = Population::new_with_laps(&subjects, &events, &identity, &mut lap);
    let mut facts = population.facts_with_laps(&mut lap);
    drop(population);
    let total = start.elapsed().as_secs_f64();
    println!(
        "subjects {} payout/shipment events {} facts {} population_facts {:.2} s wall, {:.2} s cpu; rss before {:.0} MiB, peak before {:.0} MiB, peak after {:.0} MiB",
        subjects.len(),
        events.len(),
        facts.len(),
        total,
        cpu_s() - start_cpu,
        base_rss,
        base_peak,
        peak_rss_mib()
    );
    if args.stats {
        stats(&subjects, &identity);
    }
    if let Some(path) = &args.dump {
        let mut lines: Vec<String> = facts
            .par_drain(..)
            .map(|f| serde_json::to_string(&f).expect("fact serialises"))
            .collect();
        lines.par_sort_unstable();
        let mut out = BufWriter::new(File::create(path).expect("dump file"));
        for l in lines {
            writeln!(out, "{l}").expect("dump written");
        }
        eprintln!("facts written to {}", path.display());
    }
}
