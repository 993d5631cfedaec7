//! Text from resumes: PDF (`pdf-extract`), DOCX (`zip` + `quick-xml`) and plain text, each bounded in
//! input size, decompressed size, XML depth and wall-clock time.

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;

use crate::IdentityError;

/// Bounds on one extraction. A crafted file (a decompression bomb, thousands of nested elements, a
/// multi-gigabyte upload) hits one of these and is reported, never crashes or hangs the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractLimits {
    /// The largest file accepted (default 20 MiB).
    pub max_input_bytes: u64,
    /// The most bytes a DOCX part may decompress to (default 64 MiB).
    pub max_decompressed_bytes: u64,
    /// The most entries a DOCX archive may have (default 5 000).
    pub max_zip_entries: usize,
    /// The deepest XML nesting accepted (default 512).
    pub max_xml_depth: usize,
    /// The most characters of text kept; longer text is cut and marked truncated (default 2 000 000).
    pub max_text_chars: usize,
    /// Wall-clock limit for one file (default 10 s). A parser still running then is abandoned on its own
    /// thread (Rust cannot kill a thread); the input-size cap keeps such a thread's work finite.
    pub timeout: Duration,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 20 * 1024 * 1024,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_zip_entries: 5_000,
            max_xml_depth: 512,
            max_text_chars: 2_000_000,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The format a resume was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeFormat {
    /// PDF.
    Pdf,
    /// Office Open XML word-processing document.
    Docx,
    /// Plain text (UTF-8, or UTF-16 with a byte-order mark).
    Text,
}

/// The text of one resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeText {
    /// The format it was read as.
    pub format: ResumeFormat,
    /// The text, paragraphs separated by new lines.
    pub text: String,
    /// Whether the text was cut at [`ExtractLimits::max_text_chars`].
    pub truncated: bool,
}

/// Extracts the text of a resume. The format is taken from the content (`%PDF`, a zip header), falling
/// back to the file name's extension; errors name `file_name`.
pub fn extract_text(
    bytes: &[u8],
    file_name: &str,
    limits: &ExtractLimits,
) -> Result<ResumeText, IdentityError> {
    let file = file_name.to_string();
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(IdentityError::TooLarge {
            file,
            size: bytes.len() as u64,
            limit: limits.max_input_bytes,
        });
    }
    let lower = file_name.to_ascii_lowercase();
    let format = if bytes.starts_with(b"%PDF") {
        ResumeFormat::Pdf
    } else if bytes.starts_with(b"PK\x03\x04") {
        ResumeFormat::Docx
    } else if lower.ends_with(".pdf") || lower.ends_with(".docx") {
        return Err(IdentityError::Unreadable {
            file,
            format: if lower.ends_with(".pdf") {
                "pdf"
            } else {
                "docx"
            },
            reason: "the content does not start with the format's signature".into(),
        });
    } else if lower.ends_with(".doc") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(IdentityError::UnsupportedFormat {
            file,
            reason: "legacy binary Word (.doc); convert it to DOCX or PDF".into(),
        });
    } else {
        ResumeFormat::Text
    };
    let text = match format {
        ResumeFormat::Text => decode_text(bytes, &file)?,
        ResumeFormat::Pdf => {
            let owned = bytes.to_vec();
            let name = file.clone();
            bounded(&file, limits.timeout, move || {
                pdf_extract::extract_text_from_mem(&owned).map_err(|e| IdentityError::Unreadable {
                    file: name,
                    format: "pdf",
                    reason: e.to_string(),
                })
            })?
        }
        ResumeFormat::Docx => {
            let owned = bytes.to_vec();
            let name = file.clone();
            let limits_owned = limits.clone();
            bounded(&file, limits.timeout, move || {
                docx_text(&owned, &name, &limits_owned)
            })?
        }
    };
    let text = tidy(&text);
    let (text, truncated) = match text.char_indices().nth(limits.max_text_chars) {
        Some((cut, _)) => (text[..cut].to_string(), true),
        None => (text, false),
    };
    Ok(ResumeText {
        format,
        text,
        truncated,
    })
}

/// Runs a parser on its own thread, catching panics and giving up after `timeout`.
fn bounded<T: Send + 'static>(
    file: &str,
    timeout: Duration,
    work: impl FnOnce() -> Result<T, IdentityError> + Send + 'static,
) -> Result<T, IdentityError> {
    let (tx, rx) = mpsc::channel();
    let name = file.to_string();
    let spawned = std::thread::Builder::new()
        .name("redflag-extract".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
                Err(IdentityError::Unreadable {
                    file: name,
                    format: "document",
                    reason: "the parser panicked on this file".into(),
                })
            });
            // The receiver may have given up already; nothing to do then.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(IdentityError::Unreadable {
            file: file.to_string(),
            format: "document",
            reason: format!("could not start a parser thread: {e}"),
        });
    }
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(IdentityError::TimedOut {
            file: file.to_string(),
            millis: timeout.as_millis(),
        }),
    }
}

fn decode_text(bytes: &[u8], file: &str) -> Result<String, IdentityError> {
    let utf16 = |be: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Ok(utf16(false));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Ok(utf16(true));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(IdentityError::UnsupportedFormat {
            file: file.to_string(),
            reason: "binary content (NUL bytes) in a file taken as text".into(),
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        // Latin-1 and Windows-1252 exports: every byte maps to one character.
        Err(_) => Ok(bytes.iter().map(|&b| b as char).collect()),
    }
}

fn docx_text(bytes: &[u8], file: &str, limits: &ExtractLimits) -> Result<String, IdentityError> {
    let unreadable = |reason: String| IdentityError::Unreadable {
        file: file.to_string(),
        format: "docx",
        reason,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    if archive.len() > limits.max_zip_entries {
        return Err(IdentityError::LimitExceeded {
            file: file.to_string(),
            what: "zip entries",
            limit: limits.max_zip_entries as u64,
        });
    }
    let mut text = String::new();
    // The body, then headers and footers (contact lines often live there).
    let mut parts = vec!["word/document.xml".to_string()];
    for i in 0..archive.len() {
        if let Ok(entry) = archive.by_index_raw(i) {
            let Ok(name) = entry.name().map(|n| n.to_string()) else {
                continue;
            };
            if (name.starts_with("word/header") || name.starts_with("word/footer"))
                && name.ends_with(".xml")
            {
                parts.push(name);
            }
        }
    }
    let mut budget = limits.max_decompressed_bytes;
    for (i, part) in parts.iter().enumerate() {
        let entry = match archive.by_name(part) {
            Ok(entry) => entry,
            Err(_) if i > 0 => continue,
            Err(e) => return Err(unreadable(format!("no word/document.xml: {e}"))),
        };
        // The declared size can lie, so the read itself is capped as well.
        let mut xml = Vec::new();
        entry
            .take(budget + 1)
            .read_to_end(&mut xml)
            .map_err(|e| unreadable(format!("{part}: {e}")))?;
        if xml.len() as u64 > budget {
            return Err(IdentityError::LimitExceeded {
                file: file.to_string(),
                what: "decompressed bytes",
                limit: limits.max_decompressed_bytes,
            });
        }
        budget -= xml.len() as u64;
        word_xml_text(&xml, file, limits.max_xml_depth, &mut text)?;
        text.push('\n');
    }
    Ok(text)
}

/// Appends the text of a WordprocessingML part: `w:t` runs, `w:tab` as a tab, paragraph ends as new lines.
fn word_xml_text(
    xml: &[u8],
    file: &str,
    max_depth: usize,
    out: &mut String,
) -> Result<(), IdentityError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut in_text = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(e)) => {
                depth += 1;
                if depth > max_depth {
                    return Err(IdentityError::LimitExceeded {
                        file: file.to_string(),
                        what: "xml depth",
                        limit: max_depth as u64,
                    });
                }
                in_text = e.local_name().as_ref() == b"t";
            }
            Ok(XmlEvent::Empty(e)) => match e.local_name().as_ref() {
                b"tab" => out.push('\t'),
                b"br" | b"cr" => out.push('\n'),
                _ => {}
            },
            Ok(XmlEvent::End(e)) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"p" => out.push('\n'),
                    _ => {}
                }
            }
            Ok(XmlEvent::Text(t)) if in_text => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                out.push_str(&unescape(&raw));
            }
            Ok(XmlEvent::GeneralRef(r)) if in_text => {
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                out.push_str(&unescape(&format!("&{name};")));
            }
            Ok(XmlEvent::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                return Err(IdentityError::Unreadable {
                    file: file.to_string(),
                    format: "docx",
                    reason: format!("XML at byte {}: {e}", reader.buffer_position()),
                });
            }
        }
        buf.clear();
    }
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

/// Normalises line ends, trims trailing spaces and collapses runs of blank lines.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.replace("\r\n", "\n").replace('\r', "\n").lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}
