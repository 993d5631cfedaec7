//! The evaluation report as Markdown.

use std::fmt::Write;

use super::EvalReport;

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn pct2(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// A Markdown table: the header row, its rule, then one line per row of formatted cells.
fn table(md: &mut String, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
}

/// Renders a report as a Markdown document (headings from level 2 down, so it can be pasted into a
/// larger document). `command` is the command line that produced it; `svg` the curve's file name, if one
/// was written next to the report.
pub fn render_markdown(report: &EvalReport, command: &str, svg: Option<&str>) -> String {
    let mut md = String::new();
    let w = &report.world;
    let s = &report.subjects;
    let c = &s.confusion;
    // Writing to a String cannot fail.
    let _ = writeln!(
        md,
        "## Evaluation: {} subjects, seed {}\n",
        w.subjects, w.seed
    );
    let _ = writeln!(md, "Command: `{command}`\n");
    let _ = writeln!(
        md,
        "World: {} ({} subjects: {} operators' personas in {} rings, {} innocents of which {} hard negatives; events {} to {}).\n",
        w.generator,
        w.subjects,
        w.operators,
        w.rings,
        w.innocents,
        w.hard_negatives,
        w.window[0],
        w.window[1]
    );
    for note in &report.notes {
        let _ = writeln!(md, "> {note}\n");
    }

    let _ = writeln!(
        md,
        "### Subjects (flagged = level {} or above)\n",
        s.level.as_str()
    );
    let _ = writeln!(
        md,
        "| precision | recall | F1 | false-positive rate | average precision | TP | FP | FN | TN |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
    let _ = writeln!(
        md,
        "| {:.3} | {:.3} | {:.3} | {} | {:.3} | {} | {} | {} | {} |\n",
        s.precision,
        s.recall,
        s.f1,
        pct2(s.false_positive_rate),
        s.average_precision,
        c.true_positives,
        c.false_positives,
        c.false_negatives,
        c.true_negatives
    );
    let _ = writeln!(md, "At every level:\n");
    table(
        &mut md,
        &["flagged at", "precision", "recall", "F1", "TP", "FP"],
        s.by_level.iter().map(|row| {
            vec![
                format!("{} or above", row.level.as_str()),
                format!("{:.3}", row.precision),
                format!("{:.3}", row.recall),
                format!("{:.3}", row.f1),
                row.confusion.true_positives.to_string(),
                row.confusion.false_positives.to_string(),
            ]
        }),
    );
    if let Some(best) = &s.best_f1 {
        let _ = writeln!(
            md,
            "\nBest F1 on this world's curve: {:.3} at score ≥ {:.4} (precision {:.3}, recall {:.3}); fitted to this world, so an optimistic figure.\n",
            best.f1, best.threshold, best.precision, best.recall
        );
    }
    if s.unscored > 0 {
        let _ = writeln!(
            md,
            "{} subjects of the truth were not assessed (rejected input rows) and count as not flagged.\n",
            s.unscored
        );
    }
    if let Some(svg) = svg {
        let _ = writeln!(md, "Precision–recall curve: [{svg}]({svg})\n");
    }

    let _ = writeln!(md, "Recall by ring strength:\n");
    table(
        &mut md,
        &["strength", "operators", "flagged", "recall"],
        report.by_strength.iter().map(|row| {
            vec![
                format!("{:?}", row.strength),
                row.operators.to_string(),
                row.flagged.to_string(),
                format!("{:.3}", row.recall),
            ]
        }),
    );
    let _ = writeln!(md, "\nFalse-positive rate by kind of innocent:\n");
    table(
        &mut md,
        &["kind", "innocents", "flagged", "rate"],
        report.by_category.iter().map(|row| {
            vec![
                row.category.to_string(),
                row.innocents.to_string(),
                row.flagged.to_string(),
                pct2(row.rate),
            ]
        }),
    );

    let r = &report.rings;
    let _ = writeln!(md, "\n### Rings\n");
    let _ = writeln!(
        md,
        "A planted ring is found when one stored ring holds more than half of its members; a stored ring is correct when more than half of its members come from one planted ring.\n"
    );
    let _ = writeln!(
        md,
        "| planted | stored | found | recall | correct stored | precision | planted rings with a flagged member |\n|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| {} | {} | {} | {:.3} | {} | {} | {} |\n",
        r.linkage.planted,
        r.linkage.stored,
        r.linkage.found,
        r.linkage.recall,
        r.linkage.correct,
        r.linkage
            .precision
            .map_or("n/a (no rings stored)".to_string(), |p| format!("{p:.3}")),
        r.rings_with_a_flagged_member
    );
    if !r.wrong_rings.is_empty() {
        let _ = writeln!(md, "Stored rings that are not correct, by make-up:\n");
        table(
            &mut md,
            &["make-up", "rings", "members"],
            r.wrong_rings.iter().map(|row| {
                vec![
                    row.kind.clone(),
                    row.rings.to_string(),
                    row.members.to_string(),
                ]
            }),
        );
        md.push('\n');
        let _ = writeln!(md, "The same rings by the kinds of link that hold them:\n");
        table(
            &mut md,
            &["links", "rings"],
            r.wrong_ring_links
                .iter()
                .map(|row| vec![row.links.clone(), row.rings.to_string()]),
        );
        md.push('\n');
    }

    let _ = writeln!(md, "### Rules\n");
    table(
        &mut md,
        &[
            "rule",
            "fired on operators",
            "fired on innocents",
            "in true positives",
            "in false positives",
        ],
        report.rules.iter().map(|rule| {
            vec![
                rule.rule.to_string(),
                rule.fired_on_operators.to_string(),
                rule.fired_on_innocents.to_string(),
                rule.true_positives.to_string(),
                rule.false_positives.to_string(),
            ]
        }),
    );

    let _ = writeln!(
        md,
        "\n### False positives ({} in all{})\n",
        c.false_positives,
        if report.false_positives.len() < c.false_positives as usize {
            format!(", first {} by score", report.false_positives.len())
        } else {
            String::new()
        }
    );
    if report.false_positives.is_empty() {
        let _ = writeln!(md, "None.");
    } else {
        table(
            &mut md,
            &["subject", "score", "level", "hard negative", "rules"],
            report.false_positives.iter().map(|fp| {
                vec![
                    fp.subject.to_string(),
                    format!("{:.3}", fp.score),
                    fp.level.as_str().to_string(),
                    fp.hard_negative.as_deref().unwrap_or("—").to_string(),
                    fp.rules.join(" "),
                ]
            }),
        );
    }

    if !report.by_signal.is_empty() {
        let _ = writeln!(
            md,
            "\n### Recall by planted signal\n\nAn operator counts under every signal planted on it.\n\n| signal | operators | flagged | recall |\n|---|---|---|---|"
        );
        for row in &report.by_signal {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.3} |",
                snake(&row.signal),
                row.operators,
                row.flagged,
                row.recall
            );
        }
    }
    if !report.missed_operators.is_empty() {
        let _ = writeln!(
            md,
            "\n### Missed operators ({} in all{})\n\n| subject | ring | strength | hired | score | planted signals | rules fired |\n|---|---|---|---|---|---|---|",
            c.false_negatives,
            if report.missed_operators.len() < c.false_negatives as usize {
                format!(", first {} by score", report.missed_operators.len())
            } else {
                String::new()
            }
        );
        for m in &report.missed_operators {
            let _ = writeln!(
                md,
                "| {} | {} | {:?} | {} | {:.3} | {} | {} |",
                m.subject,
                m.ring,
                m.strength,
                if m.hired { "yes" } else { "no" },
                m.score,
                m.signals.iter().map(snake).collect::<Vec<_>>().join(" "),
                if m.rules.is_empty() {
                    "—".to_string()
                } else {
                    m.rules.join(" ")
                }
            );
        }
    }

    let f = &report.fairness;
    let _ = writeln!(md, "\n### Fairness\n");
    let _ = writeln!(
        md,
        "Overall false-positive rate among {} innocents: {} ({} flagged). Tolerance: {}; limit {}. Violations: **{}**.\n",
        f.innocents,
        pct2(f.overall_rate),
        f.false_positives,
        f.tolerance.describe(),
        pct2(f.limit),
        f.violations
    );
    table(
        &mut md,
        &[
            "dimension",
            "group",
            "innocents",
            "flagged",
            "rate",
            "judged",
            "within tolerance",
        ],
        f.rows.iter().map(|row| {
            let within = if !row.judged {
                "—"
            } else if row.violation {
                "**NO**"
            } else {
                "yes"
            };
            vec![
                row.dimension.to_string(),
                row.group.to_string(),
                row.innocents.to_string(),
                row.false_positives.to_string(),
                pct2(row.rate),
                (if row.judged { "yes" } else { "no (small)" }).to_string(),
                within.to_string(),
            ]
        }),
    );

    if let Some(t) = &report.time_to_detect {
        let _ = writeln!(md, "\n### Time to detect\n");
        let _ = writeln!(
            md,
            "A world of {} subjects (seed {}, {} operators, {} of them hired and so with events), assessed on the first N days of its event window. Median days to detect: {} over all operators flagged, {} over hired ones; {} operators never flagged.\n",
            t.subjects,
            t.seed,
            t.operators,
            t.hired,
            t.median_days.map_or("n/a".into(), |d| d.to_string()),
            t.median_days_hired.map_or("n/a".into(), |d| d.to_string()),
            t.never_flagged
        );
        table(
            &mut md,
            &[
                "days",
                "operators flagged",
                "recall",
                "hired flagged",
                "hired recall",
                "innocents flagged",
            ],
            t.prefixes.iter().map(|p| {
                vec![
                    p.days.to_string(),
                    p.operators_flagged.to_string(),
                    pct(p.recall),
                    p.hired_flagged.to_string(),
                    pct(p.hired_recall),
                    p.innocents_flagged.to_string(),
                ]
            }),
        );
    }

    if !report.timings.is_empty() {
        let _ = writeln!(md, "\n### Timings\n");
        let _ = writeln!(md, "| stage | seconds |\n|---|---|");
        for (stage, secs) in &report.timings {
            let _ = writeln!(md, "| {stage} | {secs:.2} |");
        }
    }
    md
}

/// A signal as its snake_case name.
fn snake(signal: &crate::truth::Signal) -> String {
    serde_json::to_value(signal)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{signal:?}"))
}
