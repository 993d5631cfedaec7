//! `redflag lists`: sanctions lists as versioned data in `<data-dir>/lists/`.
//!
//! `import` parses a file completely before it switches the list's active version (atomically, by
//! rename); `update` downloads the official files and imports each, so an unreachable source or a broken
//! download leaves the previous version active; `status` shows what screening uses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use redflag_watchlist::{ListFormat, ListOrigin, ListRepository, ListSnapshot};

use crate::Cli;
use crate::output::{Format, table};

/// Arguments of `lists`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Parse a list file (OFAC advanced XML or legacy CSV, UN XML, OFSI CSV, UK FCDO XML, EU FSF XML,
    /// OpenSanctions FtM JSON lines) and make it the active version of its list.
    Import {
        /// The file (or an OFAC legacy CSV directory).
        file: PathBuf,
        /// The format; `auto` recognises it from the content.
        #[arg(long, default_value = "auto", value_parser = parse_format)]
        format: ListFormat,
    },
    /// Show every list in use: source, version, publication date, entity count, when it was imported.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Download the official files, verify that they parse, and switch to them; on any failure the
    /// previous version stays active.
    Update {
        /// Lists to update (default: us-ofac-sdn, us-ofac-consolidated, un-sc-consolidated,
        /// gb-fcdo-sanctions, eu-fsf).
        #[arg(long = "list")]
        lists: Vec<String>,
        /// Replace a list's URL: `--source us-ofac-sdn=https://mirror.example/sdn_advanced.xml`.
        #[arg(long = "source", value_parser = parse_source)]
        sources: Vec<(String, String)>,
        /// Seconds before a download is abandoned.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Make a stored earlier version of a list active again (file names from `lists status --format json`).
    Activate {
        /// The list id.
        list: String,
        /// The stored version's file name.
        version: String,
    },
}

fn parse_format(s: &str) -> Result<ListFormat, String> {
    s.parse()
}

fn parse_source(s: &str) -> Result<(String, String), String> {
    let (id, url) = s
        .split_once('=')
        .ok_or_else(|| format!("expected LIST=URL, got {s:?}"))?;
    Ok((id.trim().to_string(), url.trim().to_string()))
}

/// The official download location of each list.
pub const OFFICIAL_SOURCES: &[(&str, &str)] = &[
    (
        "us-ofac-sdn",
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML",
    ),
    (
        "us-ofac-consolidated",
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_ADVANCED.XML",
    ),
    (
        "un-sc-consolidated",
        "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
    ),
    (
        "gb-fcdo-sanctions",
        "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
    ),
    (
        "eu-fsf",
        "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
    ),
    (
        "gb-ofsi-conlist",
        "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
    ),
];

const DEFAULT_UPDATE: &[&str] = &[
    "us-ofac-sdn",
    "us-ofac-consolidated",
    "un-sc-consolidated",
    "gb-fcdo-sanctions",
    "eu-fsf",
];

/// The lists screening uses: the builtin ones, replaced or extended by imported ones.
pub fn load_active(data_dir: &Path) -> anyhow::Result<Vec<ListSnapshot>> {
    ListRepository::new(data_dir)
        .load_active()
        .with_context(|| {
            format!(
                "loading sanctions lists from {}",
                data_dir.join("lists").display()
            )
        })
}

/// Runs `lists`.
pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let repo = ListRepository::new(&cli.data_dir);
    let mut out = std::io::stdout().lock();
    match &args.command {
        Command::Import { file, format } => {
            let outcome = repo.import(file, *format, Utc::now())?;
            let i = &outcome.info;
            if outcome.unchanged {
                writeln!(
                    out,
                    "{} {} is already active (same content)",
                    i.id, i.version
                )?;
            } else {
                writeln!(
                    out,
                    "imported {} version {} ({} entities, {}){}",
                    i.id,
                    i.version,
                    i.entity_count,
                    i.format,
                    outcome
                        .replaced
                        .map(|r| format!("; previous version {r} kept"))
                        .unwrap_or_default()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { format } => {
            let status = repo.status()?;
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &status)?;
                    writeln!(out)?;
                }
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    w.write_record([
                        "list",
                        "name",
                        "version",
                        "published",
                        "entities",
                        "origin",
                        "imported_at",
                        "source_url",
                        "sha256",
                    ])?;
                    for s in &status {
                        w.write_record([
                            s.info.id.as_str(),
                            &s.info.name,
                            &s.info.version,
                            &s.info.published.map(|d| d.to_string()).unwrap_or_default(),
                            &s.info.entity_count.to_string(),
                            origin(s.origin),
                            &s.imported_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                            &s.info.source_url,
                            &s.info.sha256,
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    let mut t = table(&[
                        "list",
                        "version",
                        "published",
                        "entities",
                        "origin",
                        "loaded at",
                        "source",
                    ]);
                    for s in &status {
                        t.add_row(vec![
                            s.info.id.clone(),
                            s.info.version.clone(),
                            s.info
                                .published
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| "-".into()),
                            s.info.entity_count.to_string(),
                            origin(s.origin).to_string(),
                            s.imported_at
                                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                                .unwrap_or_else(|| "built in".into()),
                            s.info.source_url.clone(),
                        ]);
                    }
                    writeln!(out, "{t}")?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Update {
            lists,
            sources,
            timeout,
        } => {
            let failed = update(
                &repo,
                lists,
                sources,
                Duration::from_secs(*timeout),
                &mut out,
            )?;
            Ok(if failed > 0 {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Activate { list, version } => {
            repo.activate(list, version)?;
            writeln!(out, "{list}: {version} is active")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Downloads and imports each list; returns how many failed (their previous versions stay active).
fn update(
    repo: &ListRepository,
    lists: &[String],
    sources: &[(String, String)],
    timeout: Duration,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let ids: Vec<String> = if lists.is_empty() {
        DEFAULT_UPDATE.iter().map(|s| s.to_string()).collect()
    } else {
        lists.to_vec()
    };
    let agent = ureq::AgentBuilder::new()
        .timeout(timeout)
        .user_agent(concat!("redflag/", env!("CARGO_PKG_VERSION")))
        .build();
    let downloads = repo.root().join(".downloads");
    std::fs::create_dir_all(&downloads)
        .with_context(|| format!("creating {}", downloads.display()))?;
    let mut failed = 0;
    for id in &ids {
        let url = sources
            .iter()
            .find(|(s, _)| s == id)
            .map(|(_, u)| u.as_str())
            .or_else(|| {
                OFFICIAL_SOURCES
                    .iter()
                    .find(|(s, _)| s == id)
                    .map(|(_, u)| *u)
            });
        let Some(url) = url else {
            bail!(
                "unknown list {id:?}; known lists: {}",
                OFFICIAL_SOURCES
                    .iter()
                    .map(|(s, _)| *s)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let file = downloads.join(format!("{id}.download"));
        let result = download(&agent, url, &file).and_then(|()| {
            let outcome = repo
                .import(&file, ListFormat::Auto, Utc::now())
                .with_context(|| format!("{url} did not parse"))?;
            if outcome.info.id != *id {
                bail!("{url} holds list {}, not {id}", outcome.info.id);
            }
            Ok(outcome)
        });
        match result {
            Ok(outcome) => writeln!(
                out,
                "{id}: {} ({} entities){}",
                outcome.info.version,
                outcome.info.entity_count,
                if outcome.unchanged {
                    ", unchanged"
                } else {
                    ", now active"
                }
            )?,
            Err(e) => {
                failed += 1;
                writeln!(
                    out,
                    "{id}: update failed, previous version stays active: {e:#}"
                )?;
            }
        }
        let _ = std::fs::remove_file(&file);
    }
    Ok(failed)
}

fn origin(o: ListOrigin) -> &'static str {
    match o {
        ListOrigin::Builtin => "builtin",
        ListOrigin::Imported => "imported",
    }
}

fn download(agent: &ureq::Agent, url: &str, to: &Path) -> anyhow::Result<()> {
    let response = agent.get(url).call().map_err(|e| {
        anyhow::anyhow!("cannot download {url}: {e} (offline? the current version stays active)")
    })?;
    let mut reader = response.into_reader();
    let mut file =
        std::fs::File::create(to).with_context(|| format!("creating {}", to.display()))?;
    std::io::copy(&mut reader, &mut file).with_context(|| format!("downloading {url}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../redflag-watchlist/tests/fixtures")
            .join(name);
        std::fs::read(path).unwrap()
    }

    /// Serves `bodies` to successive requests on 127.0.0.1, one connection each.
    fn serve(bodies: Vec<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for body in bodies {
                let (mut stream, _) = listener.accept().unwrap();
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&body).unwrap();
            }
        });
        format!("http://{addr}/consolidated.xml")
    }

    #[test]
    fn update_downloads_verifies_and_keeps_the_old_version_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let repo = ListRepository::new(dir.path());
        let good = fixture("un_consolidated_excerpt.xml");
        let truncated = good[..good.len() / 2].to_vec();
        let url = serve(vec![good.clone(), truncated]);
        let lists = vec!["un-sc-consolidated".to_string()];
        let sources = vec![("un-sc-consolidated".to_string(), url)];
        let mut out = Vec::new();
        let failed = update(&repo, &lists, &sources, Duration::from_secs(10), &mut out).unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        assert_eq!(failed, 0, "{text}");
        assert!(text.contains("un-sc-consolidated: 2026-02-27"), "{text}");
        let imported = |repo: &ListRepository| {
            repo.status()
                .unwrap()
                .into_iter()
                .find(|s| s.info.id == "un-sc-consolidated")
                .unwrap()
        };
        let before = imported(&repo);
        assert_eq!(before.origin, ListOrigin::Imported);

        // The second download is truncated: refused, the imported version stays.
        let mut out = Vec::new();
        let failed = update(&repo, &lists, &sources, Duration::from_secs(10), &mut out).unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        assert_eq!(failed, 1);
        assert!(
            text.contains("previous version stays active") && text.contains("did not parse"),
            "{text}"
        );
        assert_eq!(imported(&repo).info, before.info);

        // Offline (nothing listens): a clear error, nothing changes.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let sources = vec![(
            "un-sc-consolidated".to_string(),
            format!("http://{closed}/x.xml"),
        )];
        let mut out = Vec::new();
        let failed = update(&repo, &lists, &sources, Duration::from_secs(5), &mut out).unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        assert_eq!(failed, 1);
        assert!(
            text.contains("cannot download") && text.contains("current version stays active"),
            "{text}"
        );
        assert_eq!(imported(&repo).info, before.info);
    }
}
