//! `redflag subject`: data-subject rights: export everything held about a subject, or erase it.

use std::process::ExitCode;

use anyhow::bail;

use crate::Cli;

/// Arguments of `subject`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print everything stored about a subject as JSON.
    Export {
        /// Subject id, e.g. `ats:1042`.
        id: String,
    },
    /// Delete a subject's data; the audit log keeps only the fact of the erasure.
    Erase {
        /// Subject id.
        id: String,
        /// Confirm (erasure cannot be undone).
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    match &args.command {
        Command::Export { id } => {
            let Some(export) = store.export_subject(id).await? else {
                bail!("no subject {id}");
            };
            store
                .audit(
                    "cli",
                    "subject.export",
                    &format!("subject:{id}"),
                    &serde_json::json!({}),
                )
                .await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Erase { id, yes } => {
            if !yes {
                bail!("erasure cannot be undone: add --yes to erase {id}");
            }
            let counts = store.erase_subject("cli", id).await?;
            println!("{}", serde_json::to_string(&counts)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
