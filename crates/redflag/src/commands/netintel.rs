//! `redflag netintel`: import network-intelligence data files, show what is loaded, look addresses up.
//!
//! Imported files are validated, then copied to `<data-dir>/netintel/`; every command (and the pipeline,
//! through [`load`]) loads them before the vendored data, so a fresher or commercial file wins.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use redflag_netintel::{FileKind, IpInfo, NetIntel, SetKind, detect_file, parse_ip};

use crate::Cli;
use crate::output::{Format, table};

/// Arguments of `netintel`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Validate a data file (MMDB, ip-location-db range CSV, IP set, Tor exit list, Private Relay CSV)
    /// and add it to the data directory.
    Import {
        /// The file.
        file: PathBuf,
        /// What an IP set means, when the file has no `# kind:` header.
        #[arg(long, value_parser = parse_kind)]
        kind: Option<SetKind>,
    },
    /// List the loaded data sets: name, role, size, source, licence and date.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Everything the data say about each address, and which data set said it.
    Lookup {
        /// IPv4 or IPv6 addresses.
        #[arg(required = true)]
        ips: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

fn parse_kind(s: &str) -> Result<SetKind, String> {
    SetKind::parse(s)
        .ok_or_else(|| format!("unknown kind {s:?}: expected vpn, hosting, tor, relay or dprk"))
}

/// The folder of imported files.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("netintel")
}

/// Loads the imported files of `data_dir` (in name order) and then the vendored data.
pub fn load(data_dir: &Path) -> anyhow::Result<NetIntel> {
    let mut builder = NetIntel::builder();
    let folder = dir(data_dir);
    if folder.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            builder = builder.file(&file, None)?.0;
        }
    }
    Ok(builder.with_builtin().build()?)
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match &args.command {
        Command::Import { file, kind } => {
            let detected = detect_file(file, *kind)?;
            // Load it alone first: a bad file is refused before anything is copied.
            let (builder, _) = NetIntel::builder().file(file, *kind)?;
            let intel = builder.build()?;
            let folder = dir(&cli.data_dir);
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("creating {}", folder.display()))?;
            let Some(name) = file.file_name() else {
                bail!("{} is not a file name", file.display());
            };
            let target = folder.join(name);
            match (detected, kind) {
                // A set imported with --kind gets the kind written into its header, so it loads alone later.
                (FileKind::Set(k), Some(_)) => {
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let has_header = text.lines().any(|l| {
                        l.trim()
                            .strip_prefix('#')
                            .and_then(|c| c.split_once(':'))
                            .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case("kind"))
                    });
                    let body = if has_header {
                        text
                    } else {
                        format!("# kind: {}\n{text}", k.as_str())
                    };
                    std::fs::write(&target, body)
                        .with_context(|| format!("writing {}", target.display()))?;
                }
                _ => {
                    std::fs::copy(file, &target)
                        .with_context(|| format!("copying to {}", target.display()))?;
                }
            }
            for status in intel.status() {
                writeln!(
                    out,
                    "imported {} as {} ({} entries, {} skipped) into {}",
                    file.display(),
                    status.role,
                    status.entries,
                    status.skipped,
                    target.display()
                )?;
            }
        }
        Command::Status { format } => {
            let intel = load(&cli.data_dir)?;
            let status = intel.status();
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &status)?;
                    writeln!(out)?;
                }
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(out);
                    w.write_record([
                        "name", "role", "entries", "skipped", "origin", "source", "licence", "date",
                    ])?;
                    for s in &status {
                        w.write_record([
                            s.dataset.name.as_str(),
                            &s.role,
                            &s.entries.to_string(),
                            &s.skipped.to_string(),
                            &s.dataset.origin,
                            &s.dataset.source,
                            &s.dataset.licence,
                            &s.dataset.date,
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    let mut t =
                        table(&["data set", "role", "entries", "origin", "licence", "date"]);
                    for s in &status {
                        t.add_row(vec![
                            s.dataset.name.clone(),
                            s.role.clone(),
                            s.entries.to_string(),
                            s.dataset.origin.clone(),
                            s.dataset.licence.clone(),
                            s.dataset.date.clone(),
                        ]);
                    }
                    writeln!(out, "{t}")?;
                }
            }
        }
        Command::Lookup { ips, format } => {
            let addrs = ips
                .iter()
                .enumerate()
                .map(|(i, s)| parse_ip("argument", i + 1, s))
                .collect::<Result<Vec<_>, _>>()?;
            let intel = load(&cli.data_dir)?;
            let infos: Vec<IpInfo<'_>> = addrs.iter().map(|ip| intel.lookup(*ip)).collect();
            write_lookups(&mut out, &infos, *format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per fact: address, fact, value, data set.
fn rows(info: &IpInfo<'_>) -> Vec<[String; 4]> {
    let ip = info.ip.to_string();
    let mut rows = Vec::new();
    let mut add = |fact: &str, value: String, by: &str| {
        rows.push([ip.clone(), fact.to_string(), value, by.to_string()])
    };
    if let Some(c) = info.country {
        add("country", c.value.to_string(), c.by);
    }
    if let Some(r) = info.region {
        add("region", r.value.to_string(), r.by);
    }
    if let Some(c) = info.city {
        add("city", c.value.to_string(), c.by);
    }
    if let Some(l) = info.location {
        add(
            "location",
            format!(
                "{:.4},{:.4} ±{:.0} km",
                l.value.latitude, l.value.longitude, l.value.accuracy_km
            ),
            l.by,
        );
    }
    if let Some(a) = info.asn {
        add("asn", format!("AS{}", a.value.number), a.by);
        if let Some(org) = a.value.organization {
            add("as_org", org.to_string(), a.by);
        }
    }
    match info.vpn {
        Some(v) => add("vpn", v.value.to_string(), v.by),
        None => add("vpn", "no".into(), "all sets"),
    }
    for (name, hit) in [
        ("hosting", info.hosting),
        ("tor", info.tor),
        ("relay", info.relay),
        ("dprk", info.dprk),
    ] {
        match hit {
            Some(by) => add(name, "yes".into(), by),
            None => add(name, "no".into(), "all sets"),
        }
    }
    rows
}

fn write_lookups(out: &mut dyn Write, infos: &[IpInfo<'_>], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, infos)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["ip", "fact", "value", "data_set"])?;
            for info in infos {
                for row in rows(info) {
                    w.write_record(&row)?;
                }
            }
            w.flush()?;
        }
        Format::Table => {
            let mut t = table(&["ip", "fact", "value", "data set"]);
            for info in infos {
                for row in rows(info) {
                    t.add_row(row.to_vec());
                }
            }
            writeln!(out, "{t}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(addrs: &[&str], format: Format) -> String {
        let intel = NetIntel::builtin().unwrap();
        let infos: Vec<IpInfo<'_>> = addrs
            .iter()
            .map(|a| intel.lookup(a.parse().unwrap()))
            .collect();
        let mut buf = Vec::new();
        write_lookups(&mut buf, &infos, format).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn lookup_names_every_data_set() {
        insta::assert_snapshot!(render(
            &["175.45.178.10", "142.214.202.2", "8.8.8.8"],
            Format::Csv
        ));
    }

    #[test]
    fn lookup_json() {
        insta::assert_snapshot!(render(&["::ffff:155.94.199.59"], Format::Json));
    }

    #[test]
    fn imported_files_load_before_builtin_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = super::dir(dir.path());
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("farm.txt"),
            "# kind: hosting\n# name: my-farms\n73.15.22.0/24\n",
        )
        .unwrap();
        let intel = load(dir.path()).unwrap();
        assert_eq!(
            intel.lookup("73.15.22.10".parse().unwrap()).hosting,
            Some("my-farms")
        );
        std::fs::write(folder.join("zz-bad.csv"), "1.0.0.0,1.0.0.300,AU\n").unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("zz-bad.csv"), "{err}");
    }
}
