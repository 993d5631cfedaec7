//! Resumes attached to subjects: the people export's `resume_file` column (a path relative to the
//! export's folder), or a folder of resumes named by subject id (`P0000042.pdf`).
//!
//! The text is put into the subject attribute [`RESUME_TEXT`], which the identity engine reads. Reading
//! is bounded (file size and text length) and every unreadable resume is reported per file, never
//! silently dropped and never a reason to refuse the subject. Text extraction itself (PDF, DOCX, text)
//! is passed in by the caller (`redflag_identity::extract_text` in the CLI), so this crate depends on
//! no engine.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use redflag_model::Subject;

/// The subject attribute naming the resume file.
pub const RESUME_FILE: &str = "resume_file";
/// The subject attribute holding the resume's text (read by the identity engine).
pub const RESUME_TEXT: &str = "resume_text";

/// Bounds on reading resumes.
#[derive(Debug, Clone, Copy)]
pub struct ResumeLimits {
    /// The largest file read, in bytes.
    pub max_file_bytes: u64,
    /// The longest text kept, in characters (longer text is cut).
    pub max_text_chars: usize,
}

impl Default for ResumeLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 << 20,
            max_text_chars: 200_000,
        }
    }
}

/// A resume that could not be attached, for the per-file report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeProblem {
    /// The subject it belongs to.
    pub subject: String,
    /// The file as named.
    pub file: String,
    /// Why it could not be read.
    pub reason: String,
}

impl std::fmt::Display for ResumeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (subject {}): {}",
            self.file, self.subject, self.reason
        )
    }
}

/// Resolves a resume path named in an export against the export's folder. Absolute paths and paths
/// that climb out of the folder (`..`) are refused: an export must not make redflag read arbitrary files.
pub fn resolve(base_dir: &Path, named: &str) -> Result<PathBuf, String> {
    let relative = Path::new(named.trim());
    if relative.as_os_str().is_empty() {
        return Err("empty file name".into());
    }
    for component in relative.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err("the path climbs out of the export's folder (`..`)".into());
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(
                    "absolute paths are refused; name the file relative to the export".into(),
                );
            }
        }
    }
    Ok(base_dir.join(relative))
}

/// Reads a resume file within `limits` and extracts its text with `extract(bytes, file_name)`.
pub fn read_resume<E>(
    path: &Path,
    limits: &ResumeLimits,
    extract: E,
) -> Result<(String, bool), String>
where
    E: FnOnce(&[u8], &str) -> Result<String, String>,
{
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limits.max_file_bytes {
        return Err(format!(
            "{size} bytes is over the {} byte limit",
            limits.max_file_bytes
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(format!("over the {} byte limit", limits.max_file_bytes));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut text = extract(&bytes, &name)?;
    let truncated = match text.char_indices().nth(limits.max_text_chars) {
        Some((cut, _)) => {
            text.truncate(cut);
            true
        }
        None => false,
    };
    if text.trim().is_empty() {
        return Err("no text could be extracted (a scanned image?)".into());
    }
    Ok((text, truncated))
}

/// Attaches the resume the subject's `resume_file` attribute names (relative to `base_dir`). Returns
/// `Ok(false)` when the subject names no resume, `Ok(true)` when the text was attached.
pub fn attach_named<E>(
    subject: &mut Subject,
    base_dir: &Path,
    limits: &ResumeLimits,
    extract: E,
) -> Result<bool, ResumeProblem>
where
    E: FnOnce(&[u8], &str) -> Result<String, String>,
{
    let Some(named) = subject.attributes.get(RESUME_FILE).cloned() else {
        return Ok(false);
    };
    let problem = |reason: String| ResumeProblem {
        subject: subject.id.as_str().to_string(),
        file: named.clone(),
        reason,
    };
    let path = resolve(base_dir, &named).map_err(problem)?;
    attach_file(subject, &path, limits, extract)
        .map(|_| true)
        .map_err(|mut p| {
            p.file = named.clone();
            p
        })
}

/// Attaches the resume at `path` to `subject` (text into [`RESUME_TEXT`], the file name into
/// [`RESUME_FILE`] when the subject had none).
pub fn attach_file<E>(
    subject: &mut Subject,
    path: &Path,
    limits: &ResumeLimits,
    extract: E,
) -> Result<(), ResumeProblem>
where
    E: FnOnce(&[u8], &str) -> Result<String, String>,
{
    let (text, truncated) = read_resume(path, limits, extract).map_err(|reason| ResumeProblem {
        subject: subject.id.as_str().to_string(),
        file: path.display().to_string(),
        reason,
    })?;
    if truncated {
        tracing::info!(file = %path.display(), "resume text cut at the length limit");
    }
    subject.attributes.insert(RESUME_TEXT.to_string(), text);
    subject
        .attributes
        .entry(RESUME_FILE.to_string())
        .or_insert_with(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    Ok(())
}

/// The subject id a resume file in a resumes folder names: its file stem (`P0000042.pdf` →
/// `P0000042`), to be prefixed with the source system.
pub fn external_id_of(path: &Path) -> Option<String> {
    path.file_stem()
        .map(|s| s.to_string_lossy().trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(named: &str, expect: Result<&str, &str>) {
        let got = resolve(Path::new("/exports"), named);
        match (got, expect) {
            (Ok(p), Ok(want)) => assert_eq!(p, Path::new(want), "{named}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{named}: {e}"),
            (got, want) => panic!("{named}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn resume_paths_stay_inside_the_export_folder() {
        check("resumes/P1.pdf", Ok("/exports/resumes/P1.pdf"));
        check("./cv.docx", Ok("/exports/./cv.docx"));
        check("../secrets.txt", Err("climbs out"));
        check("resumes/../../x", Err("climbs out"));
        check("/etc/passwd", Err("absolute"));
        check("  ", Err("empty"));
        assert_eq!(
            external_id_of(Path::new("/r/P0000042.pdf")).as_deref(),
            Some("P0000042")
        );
    }

    #[test]
    fn reading_is_bounded_and_reports_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cv.txt");
        std::fs::write(&path, "Jane Doe\nRust engineer, 10 years").unwrap();
        let text = |b: &[u8], _: &str| Ok(String::from_utf8_lossy(b).into_owned());
        let limits = ResumeLimits {
            max_file_bytes: 1000,
            max_text_chars: 8,
        };
        assert_eq!(
            read_resume(&path, &limits, text).unwrap(),
            ("Jane Doe".to_string(), true)
        );
        let small = ResumeLimits {
            max_file_bytes: 4,
            ..limits
        };
        assert!(
            read_resume(&path, &small, text)
                .unwrap_err()
                .contains("byte limit")
        );
        assert!(
            read_resume(&dir.path().join("missing.pdf"), &limits, text)
                .unwrap_err()
                .contains("cannot open")
        );
        let failing = |_: &[u8], name: &str| Err(format!("{name}: not a PDF"));
        assert!(
            read_resume(&path, &limits, failing)
                .unwrap_err()
                .contains("not a PDF")
        );
    }
}
