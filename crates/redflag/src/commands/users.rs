//! `redflag users`: console users from the command line: add, list, disable, change a password.
//! Passwords come from a hidden prompt (typed twice) or, for scripts, the first line of stdin with
//! `--password-stdin`; they are hashed with argon2id and never printed or logged. Every change is
//! written to the audit log with the actor `cli:<OS user>`.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use redflag_server::Role;

use super::tokens::cli_actor;
use crate::Cli;
use crate::output::{Format, table};

/// Arguments of `users`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Add a console user.
    Add {
        /// Login name (letters, digits, `.`, `_`, `-`).
        name: String,
        /// Role: analyst (read, screen, decide), admin (everything) or read-only.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Disable a user: sign-ins are refused and live sessions end.
    Disable {
        /// Login name.
        name: String,
    },
    /// Set a user's password (their sessions end).
    Passwd {
        /// Login name.
        name: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Shortest password accepted (the API's rule too).
const MIN_PASSWORD: usize = 12;

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("Password: ")
            .context("reading the password (no terminal? use --password-stdin)")?;
        let again = rpassword::prompt_password("Password again: ")
            .context("reading the password (no terminal? use --password-stdin)")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        first
    };
    let n = password.chars().count();
    anyhow::ensure!(
        (MIN_PASSWORD..=1024).contains(&n),
        "the password must have {MIN_PASSWORD} to 1024 characters (it has {n})"
    );
    Ok(password)
}

async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || redflag_server::auth::hash_password(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("hashing the password: {e:?}"))
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let actor = cli_actor();
    match &args.command {
        Command::Add {
            name,
            role,
            password_stdin,
        } => {
            anyhow::ensure!(
                valid_name(name),
                "user name {name:?}: letters, digits, '.', '_' and '-' (at most 100)"
            );
            let role = Role::parse(role)
                .with_context(|| format!("--role {role:?}: use analyst, admin or read-only"))?;
            let password = read_password(*password_stdin)?;
            let store = super::open_store(cli).await?;
            let user = store
                .create_user(&actor, name, &hash(password).await?, role.as_str())
                .await?;
            if !cli.quiet {
                eprintln!("user {} added ({})", user.username, user.role);
            }
        }
        Command::List { format } => {
            let store = super::open_store(cli).await?;
            let users = store.users().await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&users)?),
                Format::Csv => {
                    let mut out = csv::Writer::from_writer(std::io::stdout());
                    out.write_record(["id", "name", "role", "status", "created_at"])?;
                    for u in &users {
                        out.write_record([
                            u.id.to_string().as_str(),
                            &u.username,
                            &u.role,
                            if u.disabled { "disabled" } else { "active" },
                            &u.created_at,
                        ])?;
                    }
                    out.flush()?;
                }
                Format::Table => {
                    let mut t = table(&["id", "name", "role", "status", "created"]);
                    for u in &users {
                        t.add_row(vec![
                            u.id.to_string(),
                            u.username.clone(),
                            u.role.clone(),
                            (if u.disabled { "disabled" } else { "active" }).to_string(),
                            u.created_at.clone(),
                        ]);
                    }
                    println!("{t}");
                }
            }
        }
        Command::Disable { name } => {
            let store = super::open_store(cli).await?;
            store.set_user_disabled(&actor, name, true).await?;
            if !cli.quiet {
                eprintln!("user {name} disabled");
            }
        }
        Command::Passwd {
            name,
            password_stdin,
        } => {
            let store = super::open_store(cli).await?;
            // Fail on an unknown name before asking for a password.
            anyhow::ensure!(
                store.user_with_hash(name).await?.is_some(),
                "no user {name}"
            );
            let password = read_password(*password_stdin)?;
            store
                .set_user_password(&actor, name, &hash(password).await?)
                .await?;
            if !cli.quiet {
                eprintln!("password of {name} changed; their sessions have ended");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
