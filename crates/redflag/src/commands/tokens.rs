//! `redflag tokens`: create, list and revoke API tokens from the command line (for the first token of
//! a new system, or when no admin token is at hand). Every change is written to the audit log with the
//! actor `cli:<OS user>`; the store keeps only a token's SHA-256, so a secret is printed once.

use std::process::ExitCode;

use anyhow::Context;
use redflag_server::Scope;
use redflag_store::ApiToken;

use crate::Cli;
use crate::output::{Format, table};

/// Arguments of `tokens`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create a token and print its secret (once: only its hash is stored).
    Create {
        /// What uses the token (e.g. `greenhouse-webhook`).
        #[arg(long)]
        name: String,
        /// Scopes, comma-separated: read, screen, ingest, decide, admin.
        #[arg(long, value_delimiter = ',', required = true)]
        scope: Vec<String>,
        /// Days until the token stops working (default: never).
        #[arg(long)]
        expires: Option<u32>,
        /// Output format (json prints the id, secret, scopes and expiry as one document).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List tokens (never their secrets).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revoke a token by id; it stops working at once for new servers, within 30 s for running ones.
    Revoke {
        /// The token's id (from `tokens list`).
        id: i64,
    },
}

/// The audit actor of a command-line change: `cli:<OS user>`.
pub fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| {
            !u.is_empty()
                && u.len() <= 64
                && u.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .unwrap_or_else(|| "unknown".into());
    format!("cli:{user}")
}

/// Parses `--scope` values.
fn scopes(values: &[String]) -> anyhow::Result<Vec<Scope>> {
    let mut scopes = Vec::new();
    for value in values {
        let value = value.trim();
        let scope = Scope::parse(value).with_context(|| {
            format!(
                "--scope {value:?}: not a scope; use {}",
                Scope::ALL.map(Scope::as_str).join(", ")
            )
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    anyhow::ensure!(!scopes.is_empty(), "--scope: give at least one scope");
    Ok(scopes)
}

fn status(token: &ApiToken, now: &str) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at.as_deref().is_some_and(|e| e <= now) {
        "expired"
    } else {
        "active"
    }
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let actor = cli_actor();
    match &args.command {
        Command::Create {
            name,
            scope,
            expires,
            format,
        } => {
            let name = name.trim();
            anyhow::ensure!(
                !name.is_empty()
                    && name.chars().count() <= 100
                    && !name.chars().any(char::is_control),
                "--name: 1 to 100 printable characters"
            );
            let scopes = scopes(scope)?;
            let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            let expires_at = expires
                .map(|days| {
                    anyhow::ensure!(days > 0, "--expires: at least 1 day");
                    Ok(chrono::Utc::now() + chrono::Duration::days(i64::from(days)))
                })
                .transpose()?;
            let secret = redflag_server::auth::new_token();
            let token = store
                .create_token_expiring(&actor, name, &secret, &names, expires_at)
                .await?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({ "id": token.id, "name": token.name, "token": secret, "scopes": token.scopes, "expires_at": token.expires_at })
                ),
                _ => {
                    println!("{secret}");
                    if !cli.quiet {
                        eprintln!(
                            "token {} ({}) created with scopes {}{}; the secret above is shown once",
                            token.id,
                            token.name,
                            token.scopes.join(","),
                            token
                                .expires_at
                                .as_deref()
                                .map(|e| format!(", expiring {e}"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
        }
        Command::List { format } => {
            let tokens = store.tokens().await?;
            let now = redflag_store::ts(chrono::Utc::now());
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&tokens)?),
                Format::Csv => {
                    let mut out = csv::Writer::from_writer(std::io::stdout());
                    out.write_record([
                        "id",
                        "name",
                        "scopes",
                        "status",
                        "created_by",
                        "created_at",
                        "expires_at",
                        "revoked_at",
                    ])?;
                    for t in &tokens {
                        out.write_record([
                            t.id.to_string().as_str(),
                            &t.name,
                            &t.scopes.join(","),
                            status(t, &now),
                            &t.created_by,
                            &t.created_at,
                            t.expires_at.as_deref().unwrap_or(""),
                            t.revoked_at.as_deref().unwrap_or(""),
                        ])?;
                    }
                    out.flush()?;
                }
                Format::Table => {
                    let mut t = table(&[
                        "id",
                        "name",
                        "scopes",
                        "status",
                        "created by",
                        "created",
                        "expires",
                    ]);
                    for token in &tokens {
                        t.add_row(vec![
                            token.id.to_string(),
                            token.name.clone(),
                            token.scopes.join(","),
                            status(token, &now).to_string(),
                            token.created_by.clone(),
                            token.created_at.clone(),
                            token.expires_at.clone().unwrap_or_else(|| "never".into()),
                        ]);
                    }
                    println!("{t}");
                }
            }
        }
        Command::Revoke { id } => {
            store
                .revoke_token(&actor, *id)
                .await
                .with_context(|| format!("revoking token {id} (no such live token?)"))?;
            if !cli.quiet {
                eprintln!("token {id} revoked");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
