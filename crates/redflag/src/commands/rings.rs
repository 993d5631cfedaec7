//! `redflag rings list | show ID`: the persona rings linkage found (stored by `redflag link` and
//! `redflag assess`).

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use crate::Cli;
use crate::output::table;

/// Arguments of `rings`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RingsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RingsCommand {
    /// Every ring, largest first.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// One ring with every link that holds it together.
    Show {
        /// The ring's id.
        id: String,
        /// Output format: a table, the evidence graph as JSON, or as Graphviz DOT.
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ShowFormat {
    Table,
    Json,
    Dot,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let rings = store.rings().await?;
    let subjects = store.subjects().await?;
    let names: HashMap<&str, &str> = subjects
        .iter()
        .map(|s| (s.id.as_str(), s.name.full.as_str()))
        .collect();
    let name_of = |id: &str| names.get(id).copied().unwrap_or("").to_string();
    let mut out = std::io::stdout().lock();
    match &args.command {
        RingsCommand::List { format } => match format {
            ListFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &rings)?;
                writeln!(out)?;
            }
            ListFormat::Table => {
                let mut t = table(&["ring", "members", "score", "linked by", "names"]);
                for ring in &rings {
                    let mut kinds: Vec<&str> = ring.links.iter().map(|l| l.kind.as_str()).collect();
                    kinds.sort_unstable();
                    kinds.dedup();
                    t.add_row(vec![
                        ring.id.0.clone(),
                        ring.members.len().to_string(),
                        format!("{:.3}", ring.score),
                        kinds.join(", "),
                        ring.members
                            .iter()
                            .map(|m| name_of(m.as_str()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]);
                }
                writeln!(out, "{t}")?;
                if rings.is_empty() {
                    writeln!(
                        out,
                        "no rings (run `redflag link` or `redflag assess` after ingesting people and events)"
                    )?;
                }
            }
        },
        RingsCommand::Show { id, format } => {
            let Some(ring) = rings.iter().find(|r| &r.id.0 == id) else {
                bail!("no ring {id:?} (see `redflag rings list`)");
            };
            match format {
                ShowFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &redflag_linkage::ring_json(ring))?;
                    writeln!(out)?;
                }
                ShowFormat::Dot => write!(out, "{}", redflag_linkage::ring_dot(ring))?,
                ShowFormat::Table => {
                    writeln!(
                        out,
                        "ring {} ({} members, score {:.3})",
                        ring.id.0,
                        ring.members.len(),
                        ring.score
                    )?;
                    let mut t = table(&[
                        "member",
                        "name",
                        "other member",
                        "linked by",
                        "value",
                        "weight",
                    ]);
                    for link in &ring.links {
                        t.add_row(vec![
                            link.a.to_string(),
                            name_of(link.a.as_str()),
                            link.b.to_string(),
                            link.kind.clone(),
                            link.value.clone(),
                            format!("{:+.2}", link.weight),
                        ]);
                    }
                    writeln!(out, "{t}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
