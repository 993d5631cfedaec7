//! `redflag screen`: screen a name and identifiers (or a CSV / JSON-lines file of people) against the
//! sanctions lists in use (`redflag lists status`).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use redflag_watchlist::{
    BatchScreener, EntityKind, Index, Match, PartialDate, Query, ScreenOptions,
};

use crate::Cli;
use crate::output::{Format, table};

/// Arguments of `screen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The name, in any script and order.
    #[arg(long, default_value = "")]
    name: String,
    /// Date of birth: YYYY-MM-DD, YYYY-MM or YYYY.
    #[arg(long, value_parser = parse_dob)]
    dob: Option<PartialDate>,
    /// Country of nationality or residence (ISO code or English name).
    #[arg(long)]
    country: Option<String>,
    /// Email address (repeatable).
    #[arg(long)]
    email: Vec<String>,
    /// Phone number (repeatable).
    #[arg(long)]
    phone: Vec<String>,
    /// Crypto wallet address (repeatable).
    #[arg(long)]
    wallet: Vec<String>,
    /// Website (repeatable).
    #[arg(long)]
    website: Vec<String>,
    /// Identity document number (repeatable).
    #[arg(long)]
    document: Vec<String>,
    /// person or organization.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<EntityKind>,
    /// Minimum score of a name match (exact identifier matches are always shown).
    #[arg(long, default_value_t = redflag_watchlist::DEFAULT_THRESHOLD)]
    threshold: f64,
    /// Maximum matches per query.
    #[arg(long, default_value_t = redflag_watchlist::DEFAULT_TOP_K)]
    top_k: usize,
    /// Only these lists (repeatable), e.g. us-ofac-sdn.
    #[arg(long = "list")]
    lists: Vec<String>,
    /// Batch mode: a CSV (columns name, dob, country, email, phone, wallet, kind, id) or JSON-lines
    /// file of people, streamed in chunks and screened in parallel; output is JSON lines (default) or
    /// CSV, one line per match, in input order.
    #[arg(long, visible_alias = "batch")]
    input: Option<PathBuf>,
    /// Batch mode: worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output format (single query: table, json or csv; batch: json = JSON lines, or csv).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Exit with code 1 when anything matched.
    #[arg(long)]
    fail_on_match: bool,
}

fn parse_dob(s: &str) -> Result<PartialDate, String> {
    PartialDate::parse(s)
        .ok_or_else(|| format!("not a date: {s:?} (expected YYYY-MM-DD, YYYY-MM or YYYY)"))
}

fn parse_kind(s: &str) -> Result<EntityKind, String> {
    match EntityKind::parse(s) {
        EntityKind::Other => Err(format!(
            "unknown kind {s:?}: expected person or organization"
        )),
        k => Ok(k),
    }
}

/// Runs `screen`.
pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let index = Index::build(super::lists::load_active(&cli.data_dir)?);
    tracing::info!(
        "{} entities from {} loaded in {:?}",
        index.entity_count(),
        index.versions().join(", "),
        started.elapsed()
    );
    let options = ScreenOptions {
        threshold: args.threshold,
        top_k: args.top_k,
        lists: args.lists.clone(),
    };
    let matched = match &args.input {
        Some(path) => batch(
            cli,
            &index,
            options,
            path,
            args.format.unwrap_or(Format::Json),
            args.threads,
        )?,
        None => single(&index, &options, args)?,
    };
    Ok(if args.fail_on_match && matched {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn single(index: &Index, options: &ScreenOptions, args: &Args) -> anyhow::Result<bool> {
    let query = Query {
        name: args.name.clone(),
        kind: args.kind,
        dob: args.dob,
        country: args.country.clone(),
        emails: args.email.clone(),
        phones: args.phone.clone(),
        wallets: args.wallet.clone(),
        websites: args.website.clone(),
        documents: args.document.clone(),
    };
    let matches = index.screen(&query, options)?;
    let mut out = std::io::stdout().lock();
    match args.format.unwrap_or(Format::Table) {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "query": query,
                    "lists": index.versions(),
                    "matches": matches,
                }),
            )?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            write_csv_header(&mut w)?;
            for m in &matches {
                write_csv_row(&mut w, "", &query.name, m)?;
            }
            w.flush()?;
        }
        Format::Table => {
            if matches.is_empty() {
                writeln!(
                    out,
                    "no match above {:.2} in {}",
                    options.threshold,
                    index.versions().join(", ")
                )?;
            } else {
                let mut t = table(&["score", "list", "id", "name", "programmes", "why"]);
                for m in &matches {
                    t.add_row(vec![
                        format!(
                            "{:.3}{}",
                            m.score,
                            if m.exact_identifier { " exact" } else { "" }
                        ),
                        format!("{}@{}", m.list, m.list_version),
                        m.entity_id.clone(),
                        match &m.matched_name {
                            Some(n) if *n != m.entity_name => format!("{} (as {n})", m.entity_name),
                            _ => m.entity_name.clone(),
                        },
                        m.programs.join(", "),
                        m.explanation
                            .iter()
                            .map(|e| format!("{}: {}", e.feature, e.detail))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ]);
                }
                writeln!(out, "{t}")?;
            }
        }
    }
    Ok(!matches.is_empty())
}

fn write_csv_header<W: Write>(w: &mut csv::Writer<W>) -> anyhow::Result<()> {
    w.write_record([
        "row_id",
        "query_name",
        "score",
        "exact_identifier",
        "list",
        "list_version",
        "entity_id",
        "entity_name",
        "matched_name",
        "programs",
        "explanation",
    ])?;
    Ok(())
}

fn write_csv_row<W: Write>(
    w: &mut csv::Writer<W>,
    row_id: &str,
    name: &str,
    m: &Match,
) -> anyhow::Result<()> {
    w.write_record([
        row_id,
        name,
        &format!("{:.3}", m.score),
        &m.exact_identifier.to_string(),
        &m.list,
        &m.list_version,
        &m.entity_id,
        &m.entity_name,
        m.matched_name.as_deref().unwrap_or(""),
        &m.programs.join(";"),
        &m.summary().explanation.join(" | "),
    ])?;
    Ok(())
}

/// One input row of batch mode.
#[derive(Debug, Default, serde::Deserialize)]
struct Person {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    dob: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    wallet: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

impl Person {
    fn query(&self) -> Query {
        let list = |s: &Option<String>| -> Vec<String> {
            s.iter()
                .flat_map(|v| v.split(';'))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        };
        Query {
            name: self.name.clone(),
            kind: self
                .kind
                .as_deref()
                .map(EntityKind::parse)
                .filter(|k| *k != EntityKind::Other),
            dob: self.dob.as_deref().and_then(PartialDate::parse),
            country: self.country.clone().filter(|c| !c.trim().is_empty()),
            emails: list(&self.email),
            phones: list(&self.phone),
            wallets: list(&self.wallet),
            websites: Vec::new(),
            documents: Vec::new(),
        }
    }
}

/// Rows screened together: enough to keep every thread busy, few enough to bound memory.
const CHUNK: usize = 4096;

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Totals of a batch run.
#[derive(Default)]
struct Totals {
    rows: u64,
    hits: u64,
    refused: u64,
}

fn batch(
    cli: &Cli,
    index: &Index,
    options: ScreenOptions,
    path: &PathBuf,
    format: Format,
    threads: usize,
) -> anyhow::Result<bool> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            read: read.clone(),
        },
    );
    let jsonl = path
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "json" || e == "ndjson");
    let screener = BatchScreener::new(index, options, threads)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let csv_out = format != Format::Json;
    if csv_out {
        let mut w = csv::Writer::from_writer(&mut out);
        write_csv_header(&mut w)?;
        w.flush()?;
    }
    // A real progress bar on a terminal (hidden when stderr is not one, or with --quiet): bytes of the
    // file, rows and rows per second, ETA.
    let bar = if cli.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(size);
        let style = ProgressStyle::with_template(
            "screen [{bar:30}] {percent}% {bytes}/{total_bytes} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar
    };
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut chunk: Vec<(u64, Person)> = Vec::with_capacity(CHUNK);
    let flush = |chunk: &mut Vec<(u64, Person)>,
                 totals: &mut Totals,
                 out: &mut dyn Write|
     -> anyhow::Result<()> {
        let queries: Vec<Query> = chunk.iter().map(|(_, p)| p.query()).collect();
        let results = screener.screen(&queries);
        for ((line, person), result) in chunk.iter().zip(results) {
            totals.rows += 1;
            let row_id = person.id.clone().unwrap_or_else(|| line.to_string());
            match result {
                Ok(matches) => {
                    totals.hits += u64::from(!matches.is_empty());
                    if csv_out {
                        let mut w = csv::Writer::from_writer(&mut *out);
                        for m in &matches {
                            write_csv_row(&mut w, &row_id, &person.name, m)?;
                        }
                        w.flush()?;
                    } else if !matches.is_empty() {
                        serde_json::to_writer(
                            &mut *out,
                            &serde_json::json!({"row": row_id, "name": person.name, "matches": matches}),
                        )?;
                        writeln!(out)?;
                    }
                }
                Err(e) => {
                    totals.refused += 1;
                    bar.suspend(|| tracing::warn!("{}:{line}: {e}", path.display()));
                }
            }
        }
        chunk.clear();
        bar.set_position(read.load(std::sync::atomic::Ordering::Relaxed));
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "{} rows, {} with matches, {:.0} rows/s",
            totals.rows,
            totals.hits,
            totals.rows as f64 / secs
        ));
        Ok(())
    };
    if jsonl {
        for (i, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let person: Person = serde_json::from_str(&line).with_context(|| {
                format!(
                    "{}:{}: not a JSON object with a name",
                    path.display(),
                    i + 1
                )
            })?;
            chunk.push((i as u64 + 1, person));
            if chunk.len() == CHUNK {
                flush(&mut chunk, &mut totals, &mut out)?;
            }
        }
    } else {
        let mut r = csv::Reader::from_reader(reader);
        for (i, rec) in r.deserialize::<Person>().enumerate() {
            let person = rec.with_context(|| format!("{}: row {}", path.display(), i + 2))?;
            chunk.push((i as u64 + 2, person));
            if chunk.len() == CHUNK {
                flush(&mut chunk, &mut totals, &mut out)?;
            }
        }
    }
    flush(&mut chunk, &mut totals, &mut out)?;
    out.flush()?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    if !cli.quiet {
        eprintln!(
            "screened {} rows on {} threads in {secs:.2} s ({:.0} rows/s), {} with matches",
            totals.rows,
            screener.threads(),
            totals.rows as f64 / secs,
            totals.hits
        );
    }
    if totals.refused > 0 {
        bail!(
            "{} of {} rows had neither a name nor an identifier and were not screened",
            totals.refused,
            totals.rows
        );
    }
    Ok(totals.hits > 0)
}
