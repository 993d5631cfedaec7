//! Readers for the official list formats. Every reader streams its input and yields a whole
//! [`ListSnapshot`] or an error naming the file, line/column and element: never a partial list.

mod eu;
mod ftm;
mod ofac_advanced;
mod ofac_csv;
mod ofsi;
mod remarks;
mod uk;
mod un;
pub(crate) mod xml;

pub(crate) use remarks::extract_contacts;

/// Trimmed text, or `None` when empty.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::entity::{ListInfo, ListSnapshot};
use crate::error::WatchlistError;

/// The format of a list file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListFormat {
    /// Recognise the format from the file's first bytes (compression is always recognised).
    Auto,
    /// OFAC SDN or Consolidated list, "Advanced" XML (`sdn_advanced.xml`, `cons_advanced.xml`).
    OfacAdvancedXml,
    /// OFAC legacy CSV set (`sdn.csv` with `add.csv`, `alt.csv`, `sdn_comments.csv` beside it, or the
    /// Consolidated `cons_prim.csv` set). Give the main file or the directory.
    OfacCsv,
    /// UN Security Council Consolidated List XML.
    UnXml,
    /// UK OFSI Consolidated List CSV (`ConList.csv`).
    OfsiCsv,
    /// UK Sanctions List XML of the FCDO.
    UkXml,
    /// EU Financial Sanctions Files consolidated XML.
    EuXml,
    /// OpenSanctions FollowTheMoney entities, JSON lines.
    FtmJson,
    /// redflag's own compact snapshot (JSON lines, usually zstd-compressed), as vendored and as stored by
    /// the list repository.
    Compact,
}

impl ListFormat {
    /// Every accepted name, for help texts.
    pub const NAMES: &'static [&'static str] = &[
        "auto",
        "ofac-advanced-xml",
        "ofac-csv",
        "un-xml",
        "ofsi-csv",
        "uk-xml",
        "eu-xml",
        "ftm-json",
        "compact",
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListFormat::Auto => "auto",
            ListFormat::OfacAdvancedXml => "ofac-advanced-xml",
            ListFormat::OfacCsv => "ofac-csv",
            ListFormat::UnXml => "un-xml",
            ListFormat::OfsiCsv => "ofsi-csv",
            ListFormat::UkXml => "uk-xml",
            ListFormat::EuXml => "eu-xml",
            ListFormat::FtmJson => "ftm-json",
            ListFormat::Compact => "compact",
        }
    }
}

impl fmt::Display for ListFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ListFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match key.as_str() {
            "auto" => ListFormat::Auto,
            "ofac-advanced-xml" | "ofac-advanced" | "sdn-advanced" => ListFormat::OfacAdvancedXml,
            "compact" | "redflag" => ListFormat::Compact,
            "ofac-csv" | "sdn-csv" => ListFormat::OfacCsv,
            "un-xml" | "un" => ListFormat::UnXml,
            "ofsi-csv" | "ofsi" | "conlist" => ListFormat::OfsiCsv,
            "uk-xml" | "fcdo" | "uk" => ListFormat::UkXml,
            "eu-xml" | "eu" | "fsf" => ListFormat::EuXml,
            "ftm-json" | "ftm" | "opensanctions" => ListFormat::FtmJson,
            _ => {
                return Err(format!(
                    "unknown list format {s:?}; expected one of {}",
                    ListFormat::NAMES.join(", ")
                ));
            }
        })
    }
}

/// Reads and parses a list file (plain, bzip2- or zstd-compressed).
pub fn load_path(path: &Path, format: ListFormat) -> Result<ListSnapshot, WatchlistError> {
    if path.is_dir()
        || (format == ListFormat::OfacCsv)
        || (format == ListFormat::Auto && ofac_csv_main(path))
    {
        return load_ofac_csv_set(path);
    }
    let file = std::fs::File::open(path).map_err(|source| WatchlistError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_reader(BufReader::new(file), &path.display().to_string(), format)
}

/// Parses a list from bytes in memory; `name` is used in errors.
pub fn load_bytes(
    bytes: &[u8],
    name: &str,
    format: ListFormat,
) -> Result<ListSnapshot, WatchlistError> {
    load_reader(bytes, name, format)
}

/// Parses a list from a reader; `name` is used in errors.
pub fn load_reader<R: BufRead>(
    mut input: R,
    name: &str,
    format: ListFormat,
) -> Result<ListSnapshot, WatchlistError> {
    let io = |source| WatchlistError::Io {
        path: name.into(),
        source,
    };
    let head = input.fill_buf().map_err(io)?;
    let decompressed: Box<dyn Read + '_> = if head.starts_with(b"BZh") {
        Box::new(bzip2::bufread::MultiBzDecoder::new(input))
    } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(input).map_err(io)?)
    } else {
        Box::new(input)
    };
    let mut reader = BufReader::with_capacity(1 << 16, HashingReader::new(decompressed));
    let format = match format {
        ListFormat::Auto => sniff(&mut reader, name)?,
        f => f,
    };
    let mut snapshot = match format {
        ListFormat::OfacAdvancedXml => {
            let parsed = ofac_advanced::parse(&mut reader, name)?;
            let (id, title, url) = if parsed.consolidated {
                (
                    "us-ofac-consolidated",
                    "OFAC Consolidated (non-SDN) Sanctions List",
                    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_ADVANCED.XML",
                )
            } else {
                (
                    "us-ofac-sdn",
                    "OFAC Specially Designated Nationals (SDN) List",
                    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML",
                )
            };
            ListSnapshot {
                info: ListInfo {
                    id: id.into(),
                    name: title.into(),
                    version: String::new(),
                    published: parsed.published,
                    source_url: url.into(),
                    format: format.as_str().into(),
                    entity_count: 0,
                    sha256: String::new(),
                },
                entities: parsed.entities,
            }
        }
        ListFormat::UnXml => {
            let parsed = un::parse(&mut reader, name)?;
            snapshot_of(
                "un-sc-consolidated",
                "UN Security Council Consolidated List",
                "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
                format,
                parsed.published,
                parsed.entities,
            )
        }
        ListFormat::EuXml => {
            let parsed = eu::parse(&mut reader, name)?;
            snapshot_of(
                "eu-fsf",
                "EU Financial Sanctions Files (consolidated list)",
                "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
                format,
                parsed.published,
                parsed.entities,
            )
        }
        ListFormat::UkXml => {
            let parsed = uk::parse(&mut reader, name)?;
            snapshot_of(
                "gb-fcdo-sanctions",
                "UK Sanctions List (FCDO)",
                "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
                format,
                parsed.published,
                parsed.entities,
            )
        }
        ListFormat::FtmJson => {
            let parsed = ftm::parse(&mut reader, name)?;
            snapshot_of(
                "opensanctions",
                "OpenSanctions (FollowTheMoney entities)",
                "https://data.opensanctions.org/datasets/latest/default/entities.ftm.json",
                format,
                parsed.latest_change,
                parsed.entities,
            )
        }
        ListFormat::OfsiCsv => {
            let text = read_text(&mut reader, name)?;
            let parsed = ofsi::parse(name, &text)?;
            snapshot_of(
                "gb-ofsi-conlist",
                "UK OFSI Consolidated List of Financial Sanctions Targets",
                "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
                format,
                parsed.published,
                parsed.entities,
            )
        }
        ListFormat::OfacCsv => {
            let text = read_text(&mut reader, name)?;
            let consolidated = name.contains("cons_");
            let set = ofac_csv::OfacCsvSet {
                main: (name, text),
                add: None,
                alt: None,
                comments: None,
            };
            ofac_csv_snapshot(consolidated, ofac_csv::parse(&set)?)
        }
        ListFormat::Compact => return crate::compact::read(&mut reader, name),
        ListFormat::Auto => unreachable_auto(name)?,
    };
    // Drain what the parser did not read (trailing white space) so the hash covers the whole file.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(io)?;
    let digest = hex::encode(reader.get_mut().finish());
    finish(&mut snapshot, digest, name)?;
    Ok(snapshot)
}

fn snapshot_of(
    id: &str,
    title: &str,
    url: &str,
    format: ListFormat,
    published: Option<chrono::NaiveDate>,
    entities: Vec<crate::entity::Entity>,
) -> ListSnapshot {
    ListSnapshot {
        info: ListInfo {
            id: id.into(),
            name: title.into(),
            version: String::new(),
            published,
            source_url: url.into(),
            format: format.as_str().into(),
            entity_count: 0,
            sha256: String::new(),
        },
        entities,
    }
}

fn ofac_csv_snapshot(consolidated: bool, entities: Vec<crate::entity::Entity>) -> ListSnapshot {
    if consolidated {
        snapshot_of(
            "us-ofac-consolidated",
            "OFAC Consolidated (non-SDN) Sanctions List",
            "https://www.treasury.gov/ofac/downloads/consolidated/cons_prim.csv",
            ListFormat::OfacCsv,
            None,
            entities,
        )
    } else {
        snapshot_of(
            "us-ofac-sdn",
            "OFAC Specially Designated Nationals (SDN) List",
            "https://www.treasury.gov/ofac/downloads/sdn.csv",
            ListFormat::OfacCsv,
            None,
            entities,
        )
    }
}

/// Whether a path names the main file of an OFAC legacy CSV set.
fn ofac_csv_main(path: &Path) -> bool {
    matches!(
        path.file_name()
            .and_then(|n| n.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("sdn.csv" | "cons_prim.csv")
    )
}

/// Reads an OFAC legacy CSV set from its directory or main file, with whichever companions exist.
fn load_ofac_csv_set(path: &Path) -> Result<ListSnapshot, WatchlistError> {
    let (dir, main) = if path.is_dir() {
        let main = ["sdn.csv", "cons_prim.csv"]
            .iter()
            .map(|n| path.join(n))
            .find(|p| p.exists())
            .ok_or_else(|| WatchlistError::UnknownFormat {
                path: path.display().to_string(),
                reason: "a directory without sdn.csv or cons_prim.csv".into(),
            })?;
        (path.to_path_buf(), main)
    } else {
        (
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            path.to_path_buf(),
        )
    };
    let consolidated = main
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("cons_"));
    let names = if consolidated {
        ["cons_add.csv", "cons_alt.csv", "cons_comments.csv"]
    } else {
        ["add.csv", "alt.csv", "sdn_comments.csv"]
    };
    let read = |p: &Path| -> Result<(String, String, Vec<u8>), WatchlistError> {
        let bytes = std::fs::read(p).map_err(|source| WatchlistError::Io {
            path: p.to_path_buf(),
            source,
        })?;
        Ok((p.display().to_string(), decode_text(&bytes), bytes))
    };
    let (main_name, main_text, main_bytes) = read(&main)?;
    let mut hasher = Sha256::new();
    hasher.update(&main_bytes);
    let mut companions: Vec<Option<(String, String)>> = Vec::new();
    for n in names {
        let p = dir.join(n);
        if p.exists() {
            let (name, text, bytes) = read(&p)?;
            hasher.update(&bytes);
            companions.push(Some((name, text)));
        } else {
            companions.push(None);
        }
    }
    fn as_ref(c: &Option<(String, String)>) -> Option<(&str, String)> {
        c.as_ref().map(|(n, t)| (n.as_str(), t.clone()))
    }
    let set = ofac_csv::OfacCsvSet {
        main: (&main_name, main_text),
        add: as_ref(&companions[0]),
        alt: as_ref(&companions[1]),
        comments: as_ref(&companions[2]),
    };
    let mut snapshot = ofac_csv_snapshot(consolidated, ofac_csv::parse(&set)?);
    finish(&mut snapshot, hex::encode(hasher.finalize()), &main_name)?;
    Ok(snapshot)
}

/// Decodes text: UTF-8 when valid, else Windows-1252 (OFAC and OFSI CSVs).
fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn read_text<R: Read>(reader: &mut R, name: &str) -> Result<String, WatchlistError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| WatchlistError::Io {
            path: name.into(),
            source,
        })?;
    Ok(decode_text(&bytes))
}

fn unreachable_auto(name: &str) -> Result<ListSnapshot, WatchlistError> {
    Err(WatchlistError::UnknownFormat {
        path: name.into(),
        reason: "format detection returned auto".into(),
    })
}

/// Fills the computed fields of a fresh snapshot and refuses an empty one.
fn finish(snapshot: &mut ListSnapshot, digest: String, name: &str) -> Result<(), WatchlistError> {
    if snapshot.entities.is_empty() {
        return Err(WatchlistError::Empty {
            path: name.into(),
            format: snapshot.info.format.clone(),
        });
    }
    snapshot.info.entity_count = snapshot.entities.len();
    snapshot.info.version = match snapshot.info.published {
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => format!("sha256:{}", &digest[..12.min(digest.len())]),
    };
    snapshot.info.sha256 = digest;
    Ok(())
}

/// Looks at the first bytes to tell the format.
fn sniff<R: BufRead>(reader: &mut R, name: &str) -> Result<ListFormat, WatchlistError> {
    let head = reader.fill_buf().map_err(|source| WatchlistError::Io {
        path: name.into(),
        source,
    })?;
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]).to_string();
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') && trimmed.contains("\"redflag_list_snapshot\"") {
        return Ok(ListFormat::Compact);
    }
    if trimmed.starts_with('{') && trimmed.contains("\"schema\"") {
        return Ok(ListFormat::FtmJson);
    }
    if trimmed.starts_with('<') {
        if trimmed.contains("<Sanctions") && trimmed.contains("ADVANCED_XML") {
            return Ok(ListFormat::OfacAdvancedXml);
        }
        match first_tag(trimmed).as_str() {
            "<CONSOLIDATED_LIST>" => return Ok(ListFormat::UnXml),
            "<export>" => return Ok(ListFormat::EuXml),
            "<Designations>" => return Ok(ListFormat::UkXml),
            _ => {}
        }
        return Err(WatchlistError::UnknownFormat {
            path: name.into(),
            reason: format!("XML with an unrecognised root ({})", first_tag(trimmed)),
        });
    }
    let first_line = trimmed.lines().next().unwrap_or("");
    if first_line.starts_with("Last Updated")
        || (first_line.contains("Name 6") && first_line.contains("Group ID"))
    {
        return Ok(ListFormat::OfsiCsv);
    }
    let mut fields = first_line.split(',');
    if fields
        .next()
        .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        && fields.next().is_some_and(|f| f.starts_with('"'))
    {
        return Ok(ListFormat::OfacCsv);
    }
    let shown: String = trimmed.chars().take(40).collect();
    Err(WatchlistError::UnknownFormat {
        path: name.into(),
        reason: format!("starts with {shown:?}"),
    })
}

fn first_tag(xml: &str) -> String {
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find([' ', '>', '\n', '\r', '/']).unwrap_or(rest.len());
        return format!("<{}>", &rest[..end]);
    }
    "no element".into()
}

/// Hashes everything read through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.hasher).finalize().to_vec()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
