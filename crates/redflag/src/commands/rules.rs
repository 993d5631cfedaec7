//! `redflag rules`: list, show, test and lint the rule pack (built-in rules plus `--rules DIR` overrides).
//!
//! Rules are checked against the registry of every fact the engines produce; a broken rule file is
//! reported with file, line and column and skipped, and `lint`/`test` exit 1 when anything is wrong.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use redflag_rules::{RulePack, lint, run_tests};

use crate::Cli;
use crate::output::{Format, table};

/// Arguments of `rules`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Extra rule directories, loaded after the built-in rules (a rule with the same id replaces it).
    #[arg(long = "rules", global = true)]
    dirs: Vec<PathBuf>,
    /// Disable a rule by id (repeatable).
    #[arg(long, global = true)]
    disable: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List the active rules.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one rule: its YAML, file, effective weight and the facts it reads.
    Show {
        /// The rule id, e.g. RF-END-001.
        id: String,
    },
    /// Run every rule's embedded tests (of DIR only, when given).
    Test {
        /// A rule directory to test instead of the built-in pack.
        dir: Option<PathBuf>,
    },
    /// Check rule files: format, facts, types, CEL syntax, fairness, embedded tests (of DIR only, when given).
    Lint {
        /// A rule directory to lint instead of the built-in pack.
        dir: Option<PathBuf>,
    },
    /// Print the coverage of the indicator catalogue (docs/COVERAGE.md) for the built-in rules.
    Coverage,
}

fn pack(args: &Args, only: Option<&PathBuf>) -> anyhow::Result<RulePack> {
    let registry = redflag_pipeline::registry().context("building the fact registry")?;
    let mut builder = RulePack::builder(&registry);
    match only {
        Some(dir) => builder = builder.builtin(false).dir(dir),
        None => {
            for dir in &args.dirs {
                builder = builder.dir(dir);
            }
        }
    }
    for id in &args.disable {
        builder = builder.disable(id);
    }
    Ok(builder.build())
}

pub async fn run(_cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match &args.command {
        Command::List { format } => {
            let pack = pack(args, None)?;
            for error in pack.errors() {
                eprintln!("not loaded: {error}");
            }
            match format {
                Format::Json => {
                    let rules: Vec<_> = pack.rules().iter().map(|r| r.rule()).collect();
                    serde_json::to_writer_pretty(&mut out, &rules)?;
                    writeln!(out)?;
                }
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    w.write_record([
                        "id", "stage", "severity", "weight", "status", "title", "file",
                    ])?;
                    for r in pack.rules() {
                        let rule = r.rule();
                        w.write_record([
                            rule.id.as_str(),
                            rule.stage.as_str(),
                            rule.severity.as_str(),
                            &r.weight().to_string(),
                            rule.status.as_str(),
                            &rule.title,
                            r.file(),
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    let mut t = table(&["id", "stage", "severity", "weight", "status", "title"]);
                    for r in pack.rules() {
                        let rule = r.rule();
                        t.add_row(vec![
                            rule.id.clone(),
                            rule.stage.as_str().to_string(),
                            rule.severity.as_str().to_string(),
                            format!("{:.1}", r.weight()),
                            rule.status.as_str().to_string(),
                            rule.title.clone(),
                        ]);
                    }
                    writeln!(out, "{t}")?;
                    writeln!(out, "{} rules, pack version {}", pack.len(), pack.version())?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => {
            let pack = pack(args, None)?;
            let Some(r) = pack.get(id) else {
                bail!("no active rule has id {id:?} (`redflag rules list` shows them)");
            };
            writeln!(
                out,
                "# {} (weight used: {}, reads: {})",
                r.file(),
                r.weight(),
                r.reads().join(", ")
            )?;
            write!(out, "{}", r.rule().to_yaml())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Test { dir } => {
            let pack = pack(args, dir.as_ref())?;
            let report = run_tests(&pack);
            for failure in report.failures() {
                writeln!(out, "{failure}")?;
            }
            for error in pack.errors() {
                writeln!(out, "not loaded: {error}")?;
            }
            let failed = report.outcomes.len() - report.passed();
            writeln!(out, "rules: {} passed, {} failed", report.passed(), failed)?;
            Ok(if failed == 0 && pack.errors().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Lint { dir } => {
            let pack = pack(args, dir.as_ref())?;
            let report = lint(&pack);
            for error in &report.errors {
                writeln!(out, "{error}")?;
            }
            for failure in report.tests.failures() {
                writeln!(out, "{failure}")?;
            }
            let broken: std::collections::BTreeSet<&str> = report
                .errors
                .iter()
                .map(|e| e.location.file.as_str())
                .collect();
            writeln!(
                out,
                "{} rules loaded, {} broken files ({} problems), {} failing tests",
                pack.len(),
                broken.len(),
                report.errors.len(),
                report.tests.failures().count()
            )?;
            Ok(if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Coverage => {
            let report = redflag_rules::coverage::builtin_coverage()?;
            write!(out, "{}", report.to_markdown())?;
            Ok(if report.missing().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
