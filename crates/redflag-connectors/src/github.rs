//! GitHub data saved from the REST API as JSON — a user (`GET /users/{login}`), repositories
//! (`GET /users/{login}/repos`), commits (`GET /repos/{owner}/{repo}/commits`) — and organisation
//! audit-log events (`git.clone`, `repo.download_zip`, from the audit-log API or its streaming export).
//! Each object is recognised by its own keys, so one file may mix them.
//!
//! Translations, all [`EventKind::Activity`]:
//! - user → `github_account_created` at `created_at`, target the login, count `public_repos`;
//! - repository → `github_repo_created` or `github_repo_forked` at `created_at`, target `full_name`;
//! - commit → `commit` at the author date, target `Name <email>` (git's own identity form);
//! - audit `git.clone` / `repo.download_zip` → `repo_clone` at `@timestamp` (Unix ms), target the repo.
//!
//! Identifiers: the profile URL `github.com/<login>` of the account, and a commit's author e-mail.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Read;

use redflag_model::{Event, EventId, EventKind, Identifier, ProfileUrl};
use serde::Deserialize;

use crate::framing::Checkpoint;
use crate::reader::{JsonEventReader, JsonFormat, RecordAt, RecordError, SourceFormat, json_error};
use crate::time::{from_unix_millis, parse_zoned};

/// The connector name in provenance.
pub const CONNECTOR: &str = "github";

#[derive(Deserialize)]
struct Object<'a> {
    // user
    #[serde(borrow, default)]
    login: Option<Cow<'a, str>>,
    #[serde(default)]
    public_repos: Option<u64>,
    // repository
    #[serde(borrow, default)]
    full_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    owner: Option<Login<'a>>,
    #[serde(default)]
    fork: Option<bool>,
    // user + repository
    #[serde(borrow, default)]
    created_at: Option<Cow<'a, str>>,
    #[serde(default)]
    id: Option<u64>,
    // commit
    #[serde(borrow, default)]
    sha: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    commit: Option<Commit<'a>>,
    #[serde(borrow, default)]
    author: Option<Login<'a>>,
    // audit log
    #[serde(default, rename = "@timestamp")]
    timestamp: Option<i64>,
    #[serde(borrow, default)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    actor: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    repo: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    repository: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "_document_id")]
    document_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Login<'a> {
    #[serde(borrow)]
    login: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    author: GitIdent<'a>,
}

#[derive(Deserialize)]
struct GitIdent<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    email: Option<Cow<'a, str>>,
    #[serde(borrow)]
    date: Cow<'a, str>,
}

fn profile(login: &str, field: &str) -> Result<Identifier, RecordError> {
    ProfileUrl::parse(&format!("https://github.com/{login}"))
        .map(Identifier::ProfileUrl)
        .map_err(|e| RecordError::field(field, e.to_string()))
}

/// The GitHub format for [`JsonEventReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GithubFormat;

impl JsonFormat for GithubFormat {
    fn connector(&self) -> &'static str {
        CONNECTOR
    }

    fn accepts(&self, format: SourceFormat) -> bool {
        format == SourceFormat::Github
    }

    fn parse(
        &self,
        bytes: &[u8],
        at: RecordAt<'_>,
        out: &mut VecDeque<Event>,
    ) -> Result<usize, RecordError> {
        let o: Object<'_> =
            serde_json::from_slice(bytes).map_err(|e| json_error::<Object<'_>>(bytes, e))?;
        let zoned =
            |text: &str, field: &str| parse_zoned(text).map_err(|r| RecordError::field(field, r));
        let (key, time, action, target, count, identifiers) = if let (Some(sha), Some(commit)) =
            (&o.sha, &o.commit)
        {
            let a = &commit.author;
            let (time, offset) = zoned(&a.date, "commit.author.date")?;
            let mut ids = Vec::new();
            if let Some(login) = &o.author {
                ids.push(profile(&login.login, "author.login")?);
            }
            if let Some(email) = a.email.as_deref().filter(|e| !e.is_empty())
                && let Ok(email) = Identifier::email(email)
            {
                ids.push(email);
            }
            let ident = format!(
                "{} <{}>",
                a.name.as_deref().unwrap_or(""),
                a.email.as_deref().unwrap_or("")
            );
            (
                format!("commit:{sha}"),
                (time, offset),
                "commit",
                Some(ident),
                None,
                ids,
            )
        } else if let (Some(ts), Some(action)) = (o.timestamp, &o.action) {
            let name = match action.as_ref() {
                "git.clone" | "repo.download_zip" => "repo_clone",
                "git.fetch" | "git.push" => return Ok(0),
                _ => return Ok(0),
            };
            let actor = o
                .actor
                .as_deref()
                .ok_or_else(|| RecordError::field("actor", "missing"))?;
            let repo = o
                .repository
                .as_deref()
                .or(o.repo.as_deref())
                .map(str::to_string);
            let time = from_unix_millis(ts).map_err(|r| RecordError::field("@timestamp", r))?;
            let key = match &o.document_id {
                Some(d) => format!("audit:{d}"),
                None => format!(
                    "audit:{ts}:{actor}:{action}:{}",
                    repo.as_deref().unwrap_or("")
                ),
            };
            let ids = vec![
                profile(actor, "actor")?,
                Identifier::idp_user("github", actor)
                    .map_err(|e| RecordError::field("actor", e.to_string()))?,
            ];
            (key, time, name, repo, Some(1), ids)
        } else if let (Some(full_name), Some(owner)) = (&o.full_name, &o.owner) {
            let created = o
                .created_at
                .as_deref()
                .ok_or_else(|| RecordError::field("created_at", "missing"))?;
            let time = zoned(created, "created_at")?;
            let action = if o.fork == Some(true) {
                "github_repo_forked"
            } else {
                "github_repo_created"
            };
            (
                format!(
                    "repo:{}",
                    o.id.map(|i| i.to_string())
                        .unwrap_or_else(|| full_name.to_string())
                ),
                time,
                action,
                Some(full_name.to_string()),
                None,
                vec![profile(&owner.login, "owner.login")?],
            )
        } else if let Some(login) = &o.login {
            let created = o
                .created_at
                .as_deref()
                .ok_or_else(|| RecordError::field("created_at", "missing"))?;
            let time = zoned(created, "created_at")?;
            (
                format!("user:{login}"),
                time,
                "github_account_created",
                Some(login.to_string()),
                o.public_repos,
                vec![profile(login, "login")?],
            )
        } else {
            return Err(RecordError {
                field: None,
                reason: "not a GitHub user, repository, commit or audit-log event (no login, full_name, sha or @timestamp)".into(),
            });
        };
        out.push_back(Event {
            id: EventId::derive(CONNECTOR, &[&key]),
            time: time.0,
            utc_offset_seconds: time.1,
            kind: EventKind::Activity {
                action: action.to_string(),
                target,
                count,
            },
            identifiers,
            subject: None,
            provenance: at.provenance(CONNECTOR),
        });
        Ok(1)
    }
}

/// A reader of GitHub REST API JSON.
pub type GithubReader<R> = JsonEventReader<R, GithubFormat>;

/// Opens a GitHub reader over a whole file.
pub fn reader<R: Read>(input: R, source: &str) -> GithubReader<R> {
    JsonEventReader::new(input, source, GithubFormat)
}

/// Resumes a GitHub reader at a checkpoint (`input` positioned at `checkpoint.offset`).
pub fn resume<R: Read>(input: R, source: &str, checkpoint: Checkpoint) -> GithubReader<R> {
    JsonEventReader::resume(input, source, GithubFormat, checkpoint)
}
