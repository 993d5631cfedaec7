//! One module per subcommand. Each exposes `Args` (clap) and `async fn run(cli, args) -> Result<ExitCode>`.

pub mod assess;
pub mod audit;
pub mod cases;
pub mod demo;
pub mod eval;
pub mod ingest;
pub mod link;
pub mod lists;
pub mod netintel;
pub mod report;
pub mod rings;
pub mod rules;
pub mod screen;
pub mod serve;
pub mod subject;
pub mod tokens;
pub mod users;
pub mod worker;

use anyhow::Context;
use redflag_store::Store;

use crate::Cli;

/// Opens the store the global options name.
pub async fn open_store(cli: &Cli) -> anyhow::Result<Store> {
    match &cli.database_url {
        Some(url) => Store::open(url).await.context("opening the database"),
        None => Store::open_data_dir(&cli.data_dir).await.with_context(|| {
            format!(
                "opening the embedded database in {}",
                cli.data_dir.display()
            )
        }),
    }
}
