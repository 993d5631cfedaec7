//! `redflag cases`: list, open, comment on and decide cases from the command line (audited as `cli`
//! unless `--actor` names the analyst).

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use redflag_store::{CaseFilter, CaseTarget, Decision};

use crate::Cli;

/// Arguments of `cases`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Who is acting (recorded in the audit log).
    #[arg(long, default_value = "cli")]
    pub actor: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List cases (JSON lines).
    List {
        /// Only `open` or `decided`.
        #[arg(long)]
        status: Option<String>,
    },
    /// Open a case on a subject (or a ring with --ring).
    Open {
        /// Subject or ring id.
        target: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// The target is a ring.
        #[arg(long)]
        ring: bool,
    },
    /// Show a case with its comments and decisions.
    Show {
        /// Case id.
        id: i64,
    },
    /// Assign a case.
    Assign {
        /// Case id.
        id: i64,
        /// Analyst.
        assignee: String,
    },
    /// Comment on a case.
    Comment {
        /// Case id.
        id: i64,
        /// Text.
        text: String,
    },
    /// Decide a case: cleared, escalated, confirmed or false_positive, with a reason.
    Decide {
        /// Case id.
        id: i64,
        /// The decision.
        decision: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let actor = format!("user:{}", args.actor);
    match &args.command {
        Command::List { status } => {
            let filter = CaseFilter {
                status: status.clone(),
                limit: Some(1000),
                ..Default::default()
            };
            for case in store.cases(&filter).await? {
                println!("{}", serde_json::to_string(&case)?);
            }
        }
        Command::Open {
            target,
            title,
            ring,
        } => {
            let kind = if *ring {
                CaseTarget::Ring
            } else {
                CaseTarget::Subject
            };
            let exists = match kind {
                CaseTarget::Subject => store
                    .subject(&redflag_model::SubjectId::from_stored(target.clone()))
                    .await?
                    .is_some(),
                CaseTarget::Ring => store.ring(target).await?.is_some(),
            };
            if !exists {
                bail!("no {} {target}", kind.as_str());
            }
            let case = store.open_case(&actor, kind, target, title).await?;
            println!("{}", serde_json::to_string(&case)?);
        }
        Command::Show { id } => {
            let case = store
                .case(*id)
                .await?
                .ok_or_else(|| anyhow!("no case {id}"))?;
            let comments = store.case_comments(*id).await?;
            let decisions = store.case_decisions(*id).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "case": case, "comments": comments, "decisions": decisions })
                )?
            );
        }
        Command::Assign { id, assignee } => {
            let case = store.assign_case(&actor, *id, assignee).await?;
            println!("{}", serde_json::to_string(&case)?);
        }
        Command::Comment { id, text } => {
            let comment = store.comment_case(&actor, *id, text).await?;
            println!("{}", serde_json::to_string(&comment)?);
        }
        Command::Decide {
            id,
            decision,
            reason,
        } => {
            let decision = Decision::parse(decision).ok_or_else(|| {
                anyhow!("unknown decision {decision:?}: use cleared, escalated, confirmed or false_positive")
            })?;
            if reason.trim().is_empty() {
                bail!("a decision needs a reason");
            }
            let case = store.decide_case(&actor, *id, decision, reason).await?;
            println!("{}", serde_json::to_string(&case)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
