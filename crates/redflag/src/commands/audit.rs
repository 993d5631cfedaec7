//! `redflag audit`: show and verify the hash-chained audit log.

use std::process::ExitCode;

use redflag_store::AuditVerdict;

use crate::Cli;

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Recompute every record's hash and link; exit 1 and name the first broken record if any.
    Verify,
    /// Print records (JSON lines).
    Show {
        /// Only records after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    match args.command {
        Command::Verify => match store.verify_audit().await? {
            AuditVerdict::Intact { records, head } => {
                println!("audit log intact: {records} records, head {head}");
                Ok(ExitCode::SUCCESS)
            }
            AuditVerdict::Broken { seq, reason } => {
                println!("audit log BROKEN at record {seq}: {reason}");
                Ok(ExitCode::from(1))
            }
        },
        Command::Show { after, limit } => {
            for record in store.audit_records(after, limit).await? {
                println!("{}", serde_json::to_string(&record)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
