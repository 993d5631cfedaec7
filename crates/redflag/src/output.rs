//! Printing results as a table, JSON or CSV.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use redflag_model::Assessment;

/// How a command prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// A table for people.
    #[default]
    Table,
    /// JSON for machines (one document).
    Json,
    /// CSV for spreadsheets.
    Csv,
}

/// A new table in the house style.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(140);
    table.set_header(header.to_vec());
    table
}

/// The short "why" column: the strongest findings' rule ids.
pub fn top_rules(assessment: &Assessment, n: usize) -> String {
    let mut ids: Vec<&str> = assessment
        .findings
        .iter()
        .take(n)
        .map(|f| f.rule_id.as_str())
        .collect();
    if assessment.findings.len() > n {
        ids.push("…");
    }
    ids.join(" ")
}

/// Prints assessments in the chosen format.
pub fn print_assessments(
    out: &mut dyn Write,
    assessments: &[Assessment],
    names: &dyn Fn(&str) -> String,
    format: Format,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, assessments)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record([
                "subject",
                "name",
                "level",
                "score",
                "log_odds",
                "findings",
                "rules",
                "sanctions",
            ])?;
            for a in assessments {
                writer.write_record([
                    a.subject.as_str(),
                    &names(a.subject.as_str()),
                    a.level.as_str(),
                    &format!("{:.4}", a.score),
                    &format!("{:.3}", a.log_odds),
                    &a.findings.len().to_string(),
                    &a.findings
                        .iter()
                        .map(|f| f.rule_id.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    &a.sanctions
                        .iter()
                        .map(|m| format!("{}:{}", m.list, m.entry_id))
                        .collect::<Vec<_>>()
                        .join(" "),
                ])?;
            }
            writer.flush()?;
        }
        Format::Table => {
            let mut t = table(&[
                "subject",
                "name",
                "level",
                "score",
                "findings",
                "strongest rules",
            ]);
            for a in assessments {
                t.add_row(vec![
                    a.subject.to_string(),
                    names(a.subject.as_str()),
                    a.level.as_str().to_string(),
                    format!("{:.3}", a.score),
                    a.findings.len().to_string(),
                    top_rules(a, 4),
                ]);
            }
            writeln!(out, "{t}")?;
        }
    }
    Ok(())
}
