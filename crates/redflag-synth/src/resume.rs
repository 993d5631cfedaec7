//! Resumes as plain text. Ordinary people's resumes are assembled from a phrase pool in their own order,
//! so two innocents rarely share more than a sentence or two; an operator's personas reuse one ring
//! template with edits (name, contacts, employers, one bullet swapped), and a bootcamp cohort shares its
//! boilerplate — the near-duplicates a resume engine must tell apart.

use std::fmt::Write as _;
use std::sync::OnceLock;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::document::ResumeFile;
use crate::person::{Label, Person};
use crate::rng::{Stream, SynthRng, stream};
use crate::truth::{HardNegative, Signal};
use crate::world::World;

const PHRASES: &str = include_str!("../data/resume-phrases.txt");

struct Phrases {
    summary: Vec<&'static str>,
    bullet: Vec<&'static str>,
    operator: Vec<&'static str>,
    bootcamp: Vec<&'static str>,
}

fn phrases() -> &'static Phrases {
    static P: OnceLock<Phrases> = OnceLock::new();
    P.get_or_init(|| {
        let mut p = Phrases {
            summary: Vec::new(),
            bullet: Vec::new(),
            operator: Vec::new(),
            bootcamp: Vec::new(),
        };
        let mut section = "";
        for line in PHRASES.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') {
                section = line;
                continue;
            }
            match section {
                "[summary]" => p.summary.push(line),
                "[bullet]" => p.bullet.push(line),
                "[operator]" => p.operator.push(line),
                "[bootcamp]" => p.bootcamp.push(line),
                _ => {}
            }
        }
        p
    })
}

fn fill(template: &str, p: &Person, years: u32) -> String {
    let skill = |i: usize| p.skills.get(i).copied().unwrap_or("software");
    template
        .replace("{s1}", skill(0))
        .replace("{s2}", skill(1))
        .replace("{s3}", skill(2))
        .replace("{years}", &years.to_string())
        .replace("{title}", p.role)
}

/// The file a subject's resume is written as: a draw of its own (independent of everything else about
/// the person, so the format says nothing about who they are), against the config's shares.
pub(crate) fn file_kind(config: &crate::config::WorldConfig, p: &Person) -> ResumeFile {
    let draw = (crate::rng::mix(config.seed ^ crate::rng::mix(0x7e5u64 << 40 | p.index as u64))
        % 1_000_000) as f64
        / 1_000_000.0;
    if draw < config.pdf_resume_share {
        ResumeFile::Pdf
    } else if draw < config.pdf_resume_share + config.docx_resume_share {
        ResumeFile::Docx
    } else {
        ResumeFile::Text
    }
}

/// The path of a subject's resume relative to the world's directory (`resumes/P0000042.pdf`).
pub(crate) fn file_name(config: &crate::config::WorldConfig, p: &Person) -> String {
    format!("resumes/{}.{}", p.id, file_kind(config, p).extension())
}

/// The resume of a subject as the bytes of its file.
pub(crate) fn render_file(world: &World, p: &Person) -> Result<Vec<u8>, String> {
    let text = render(world, p);
    match file_kind(world.config(), p) {
        ResumeFile::Text => Ok(text.into_bytes()),
        ResumeFile::Pdf => crate::document::pdf(&text),
        // The contact line (after the name and title) in the page header.
        ResumeFile::Docx => {
            let contact = text.lines().position(|l| l.contains(" | "));
            crate::document::docx(&text, contact)
        }
    }
}

/// The resume of a subject.
pub(crate) fn render(world: &World, p: &Person) -> String {
    let config = world.config();
    let mut rng = stream(config.seed, Stream::Resume, p.index as u64);
    let pool = phrases();
    let years = rng.gen_range(3..15);

    // Which text the summary and bullets come from.
    let ring_template = match p.label {
        Label::Operator { ring } if p.has_signal(Signal::ReusedResume) => world
            .plan()
            .rings
            .get(ring as usize)
            .map(|r| u64::from(r.resume_template)),
        _ => None,
    };
    let cohort = match p.label {
        Label::HardNegative {
            category: HardNegative::BootcampCohort,
            group: Some(g),
        } => world.plan().groups.get(g as usize).map(|g| g.seed),
        _ => None,
    };
    let (summary, mut bullets): (Vec<String>, Vec<String>) = if let Some(t) = ring_template {
        // One template for the ring: same sentences, same order; each persona swaps one bullet.
        let mut trng: SynthRng = stream(config.seed, Stream::Resume, 1 << 40 | t);
        let mut op = pool.operator.clone();
        op.shuffle(&mut trng);
        let summary = op[..3].iter().map(|s| fill(s, p, 7)).collect();
        let mut bullets: Vec<String> = op[3..].iter().map(|s| fill(s, p, 7)).collect();
        if let Some(slot) = (0..bullets.len()).nth(rng.gen_range(0..bullets.len().max(1))) {
            bullets[slot] = fill(pool.bullet[rng.gen_range(0..pool.bullet.len())], p, years);
        }
        (summary, bullets)
    } else if let Some(seed) = cohort {
        let mut crng: SynthRng = stream(config.seed, Stream::Resume, 2 << 40 | seed);
        let mut own = pool.bullet.clone();
        own.shuffle(&mut crng);
        let summary = pool.bootcamp.iter().map(|s| fill(s, p, 1)).collect();
        let bullets = own[..2].iter().map(|s| fill(s, p, 1)).collect();
        (summary, bullets)
    } else {
        let mut s = pool.summary.clone();
        s.shuffle(&mut rng);
        let mut b = pool.bullet.clone();
        b.shuffle(&mut rng);
        let n = rng.gen_range(2..4);
        (
            s[..n].iter().map(|x| fill(x, p, years)).collect(),
            b[..rng.gen_range(4..8)]
                .iter()
                .map(|x| fill(x, p, years))
                .collect(),
        )
    };

    let mut out = String::with_capacity(2048);
    let name = format!("{} {}", p.first_name, p.last_name);
    let layout = rng.gen_range(0..3);
    let _ = match layout {
        0 => writeln!(out, "{}\n{}", name.to_uppercase(), p.role),
        1 => writeln!(out, "{name} — {}", p.role),
        _ => writeln!(out, "{name}\n{}\n", p.role),
    };
    let _ = writeln!(
        out,
        "{} | {} | {}, {}",
        p.emails[0], p.phone, p.city, p.country_name
    );
    if let Some(l) = &p.linkedin {
        let _ = writeln!(out, "{l}");
    }
    if let Some(g) = &p.github {
        let _ = writeln!(out, "{g}");
    }
    let _ = writeln!(out, "\nSUMMARY\n{}", summary.join(" "));
    let _ = writeln!(out, "\nSKILLS\n{}", p.skills.join(", "));
    let _ = writeln!(out, "\nEXPERIENCE");
    let end_year = world.config().end_date.format("%Y").to_string();
    let mut year: i32 = end_year.parse().unwrap_or(2026);
    let per_job = (bullets.len() / p.employers.len().max(1)).max(1);
    for (i, (employer, _)) in p.employers.iter().enumerate() {
        let span = rng.gen_range(1..4);
        let _ = writeln!(
            out,
            "\n{} — {}   {}–{}",
            p.role,
            employer,
            year - span,
            if i == 0 {
                "Present".to_string()
            } else {
                year.to_string()
            }
        );
        for b in bullets.drain(..per_job.min(bullets.len())) {
            let _ = writeln!(out, "• {b}");
        }
        year -= span;
    }
    for b in bullets {
        let _ = writeln!(out, "• {b}");
    }
    let _ = writeln!(
        out,
        "\nEDUCATION\nB.Sc. Computer Science, {}   {}",
        p.university.0,
        year - rng.gen_range(1..4)
    );
    out
}
