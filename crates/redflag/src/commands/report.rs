//! `redflag report`: show stored assessments, or one subject's findings with their evidence.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use redflag_model::{RiskLevel, SubjectId};

use crate::Cli;
use crate::output::{Format, print_assessments, table};

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Lowest level shown.
    #[arg(long, default_value = "medium", value_parser = parse_level)]
    pub min_level: RiskLevel,
    /// Most subjects shown.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Show one subject in full: every finding, its evidence and sources.
    #[arg(long)]
    pub subject: Option<String>,
}

fn parse_level(s: &str) -> Result<RiskLevel, String> {
    RiskLevel::parse(s)
        .ok_or_else(|| format!("unknown level {s:?}: expected low, medium, high or critical"))
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let subjects = store.subjects().await?;
    let names: HashMap<String, String> = subjects
        .iter()
        .map(|s| (s.id.to_string(), s.name.full.clone()))
        .collect();
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    if let Some(id) = &args.subject {
        let id = SubjectId::from_stored(id.clone());
        let all = store.assessments(RiskLevel::Low, i64::MAX).await?;
        let Some(assessment) = all.into_iter().find(|a| a.subject == id) else {
            bail!("no assessment for subject {id} (run `redflag assess` first, or check the id)");
        };
        match args.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &assessment)?;
                writeln!(out)?;
            }
            Format::Csv | Format::Table => {
                writeln!(
                    out,
                    "{} ({}): {} risk, score {:.3}",
                    assessment.subject,
                    name_of(id.as_str()),
                    assessment.level.as_str(),
                    assessment.score
                )?;
                let mut t = table(&["rule", "severity", "weight", "why", "evidence", "sources"]);
                for f in &assessment.findings {
                    t.add_row(vec![
                        f.rule_id.clone(),
                        f.severity.as_str().to_string(),
                        format!("{:+.2}", f.weight),
                        f.explanation.clone(),
                        f.evidence
                            .iter()
                            .map(|e| format!("{}: {}", e.label, e.value))
                            .collect::<Vec<_>>()
                            .join("\n"),
                        f.citations
                            .iter()
                            .map(|c| c.title.clone())
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ]);
                }
                writeln!(out, "{t}")?;
                for m in &assessment.sanctions {
                    writeln!(
                        out,
                        "sanctions: {} {} {:?} score {:.3}",
                        m.list, m.entry_id, m.entry_name, m.score
                    )?;
                    for line in &m.explanation {
                        writeln!(out, "  {line}")?;
                    }
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let assessments = store.assessments(args.min_level, args.limit).await?;
    print_assessments(&mut out, &assessments, &name_of, args.format)?;
    Ok(ExitCode::SUCCESS)
}
