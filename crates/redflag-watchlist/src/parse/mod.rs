//! Readers for the official list formats. Every reader streams its input and yields a whole
//! [`ListSnapshot`] or an error naming the file, line/column and element: never a partial list.

mod ofac_advanced;
pub(crate) mod xml;

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
    /// redflag's own compact snapshot (JSON lines, usually zstd-compressed), as vendored and as stored by
    /// the list repository.
    Compact,
}

impl ListFormat {
    /// Every accepted name, for help texts.
    pub const NAMES: &'static [&'static str] = &["auto", "ofac-advanced-xml", "compact"];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListFormat::Auto => "auto",
            ListFormat::OfacAdvancedXml => "ofac-advanced-xml",
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
        ListFormat::Compact => return crate::compact::read(&mut reader, name),
        ListFormat::Auto => unreachable_auto(name)?,
    };
    // Drain what the parser did not read (trailing white space) so the hash covers the whole file.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(io)?;
    let digest = hex::encode(reader.get_mut().finish());
    finish(&mut snapshot, digest, name)?;
    Ok(snapshot)
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
    if trimmed.starts_with('<') {
        if trimmed.contains("<Sanctions") && trimmed.contains("ADVANCED_XML") {
            return Ok(ListFormat::OfacAdvancedXml);
        }
        return Err(WatchlistError::UnknownFormat {
            path: name.into(),
            reason: format!("XML with an unrecognised root ({})", first_tag(trimmed)),
        });
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
