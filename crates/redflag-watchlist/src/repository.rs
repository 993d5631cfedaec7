//! Lists as versioned data on disk: `<data-dir>/lists/<list-id>/`.
//!
//! An import parses the whole file first (a malformed or empty file never gets further), writes the
//! compact snapshot under a new name, then switches the list's `ACTIVE` pointer with a rename, which is
//! atomic on every platform redflag runs on: a reader sees the old version or the new one, never a mix.
//! Earlier versions stay on disk; [`ListRepository::activate`] switches back to one of them.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::builtin::builtin_snapshots;
use crate::entity::{ListInfo, ListSnapshot};
use crate::error::WatchlistError;
use crate::parse::{ListFormat, load_path};

const ACTIVE: &str = "ACTIVE";

/// Where a list in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListOrigin {
    /// Vendored in the binary.
    Builtin,
    /// Imported into the data directory.
    Imported,
}

/// One list as `lists status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListStatus {
    /// The list's metadata (id, name, version, publication date, source URL, entity count, hash).
    pub info: ListInfo,
    /// Builtin or imported.
    pub origin: ListOrigin,
    /// When the active version was imported (None for builtin lists).
    pub imported_at: Option<DateTime<Utc>>,
    /// The file it was imported from.
    pub imported_from: Option<String>,
    /// Stored versions of this list other than the active one.
    pub previous_versions: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOutcome {
    /// The list now active.
    pub info: ListInfo,
    /// The version that was active before, if any.
    pub replaced: Option<String>,
    /// True when the same content was already active (nothing changed).
    pub unchanged: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    imported_at: DateTime<Utc>,
    imported_from: String,
}

/// The list directory of a data directory.
#[derive(Debug, Clone)]
pub struct ListRepository {
    root: PathBuf,
}

fn repo_err(path: &Path, reason: impl Into<String>) -> WatchlistError {
    WatchlistError::Repository {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WatchlistError + '_ {
    move |source| WatchlistError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl ListRepository {
    /// The repository under `<data_dir>/lists` (created on first import).
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("lists"),
        }
    }

    /// Its directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Parses `path` completely, stores it and makes it the active version of its list.
    pub fn import(
        &self,
        path: &Path,
        format: ListFormat,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome, WatchlistError> {
        let snapshot = load_path(path, format)?;
        self.import_snapshot(&snapshot, &path.display().to_string(), now)
    }

    /// Stores a parsed snapshot and makes it active.
    pub fn import_snapshot(
        &self,
        snapshot: &ListSnapshot,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome, WatchlistError> {
        let id = &snapshot.info.id;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(repo_err(&self.root, format!("invalid list id {id:?}")));
        }
        let dir = self.root.join(id);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let hash12 = snapshot.info.sha256.get(..12).unwrap_or("nohash");
        let version = snapshot.info.version.replace(['/', ':', '\\'], "_");
        let name = format!("{version}-{hash12}.jsonl.zst");
        let previous = self.active_file(id)?;
        if previous.as_deref() == Some(name.as_str()) {
            return Ok(ImportOutcome {
                info: snapshot.info.clone(),
                replaced: None,
                unchanged: true,
            });
        }
        let target = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        {
            let file = fs::File::create(&tmp).map_err(io_err(&tmp))?;
            crate::compact::write_compact(snapshot, std::io::BufWriter::new(file), 9)
                .map_err(io_err(&tmp))?;
        }
        // Read it back before it can become active.
        let check = load_path(&tmp, ListFormat::Compact)?;
        if check.info != snapshot.info || check.entities.len() != snapshot.entities.len() {
            return Err(repo_err(
                &tmp,
                "stored snapshot does not read back identically",
            ));
        }
        fs::rename(&tmp, &target).map_err(io_err(&target))?;
        let meta = Meta {
            imported_at: now,
            imported_from: source.to_string(),
        };
        let meta_path = dir.join(format!("{name}.meta.json"));
        fs::write(
            &meta_path,
            serde_json::to_vec_pretty(&meta).unwrap_or_default(),
        )
        .map_err(io_err(&meta_path))?;
        let pointer_tmp = dir.join(".ACTIVE.tmp");
        {
            let mut f = fs::File::create(&pointer_tmp).map_err(io_err(&pointer_tmp))?;
            f.write_all(name.as_bytes()).map_err(io_err(&pointer_tmp))?;
            f.sync_all().map_err(io_err(&pointer_tmp))?;
        }
        fs::rename(&pointer_tmp, dir.join(ACTIVE)).map_err(io_err(&dir))?;
        Ok(ImportOutcome {
            info: snapshot.info.clone(),
            replaced: previous,
            unchanged: false,
        })
    }

    /// Makes a stored version (a file name from [`ListStatus::previous_versions`]) active again.
    pub fn activate(&self, list: &str, version_file: &str) -> Result<(), WatchlistError> {
        let dir = self.root.join(list);
        let file = dir.join(version_file);
        if version_file.contains(['/', '\\']) || !file.is_file() {
            return Err(repo_err(
                &dir,
                format!("no stored version {version_file:?}"),
            ));
        }
        load_path(&file, ListFormat::Compact)?;
        let pointer_tmp = dir.join(".ACTIVE.tmp");
        fs::write(&pointer_tmp, version_file).map_err(io_err(&pointer_tmp))?;
        fs::rename(&pointer_tmp, dir.join(ACTIVE)).map_err(io_err(&dir))
    }

    fn active_file(&self, list: &str) -> Result<Option<String>, WatchlistError> {
        let pointer = self.root.join(list).join(ACTIVE);
        match fs::read_to_string(&pointer) {
            Ok(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&pointer)(e)),
        }
    }

    fn list_ids(&self) -> Result<Vec<String>, WatchlistError> {
        let mut ids = Vec::new();
        match fs::read_dir(&self.root) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    if entry.path().join(ACTIVE).is_file() {
                        ids.push(entry.file_name().to_string_lossy().into_owned());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&self.root)(e)),
        }
        ids.sort();
        Ok(ids)
    }

    /// The active imported snapshots.
    pub fn load_imported(&self) -> Result<Vec<ListSnapshot>, WatchlistError> {
        let mut out = Vec::new();
        for id in self.list_ids()? {
            if let Some(file) = self.active_file(&id)? {
                out.push(load_path(
                    &self.root.join(&id).join(file),
                    ListFormat::Compact,
                )?);
            }
        }
        Ok(out)
    }

    /// The lists to screen against: the builtin lists, each replaced by an imported version of the same
    /// list id when there is one, plus every other imported list.
    pub fn load_active(&self) -> Result<Vec<ListSnapshot>, WatchlistError> {
        let imported = self.load_imported()?;
        let mut out: Vec<ListSnapshot> = builtin_snapshots()?
            .into_iter()
            .filter(|b| !imported.iter().any(|i| i.info.id == b.info.id))
            .collect();
        out.extend(imported);
        out.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        Ok(out)
    }

    /// Every list in use, with where it comes from and its stored versions.
    pub fn status(&self) -> Result<Vec<ListStatus>, WatchlistError> {
        let mut out = Vec::new();
        let ids = self.list_ids()?;
        for b in builtin_snapshots()? {
            if !ids.contains(&b.info.id) {
                out.push(ListStatus {
                    info: b.info,
                    origin: ListOrigin::Builtin,
                    imported_at: None,
                    imported_from: None,
                    previous_versions: Vec::new(),
                });
            }
        }
        for id in ids {
            let dir = self.root.join(&id);
            let Some(active) = self.active_file(&id)? else {
                continue;
            };
            let info = read_info(&dir.join(&active))?;
            let meta: Option<Meta> = fs::read(dir.join(format!("{active}.meta.json")))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let mut previous: Vec<String> = fs::read_dir(&dir)
                .map_err(io_err(&dir))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".jsonl.zst") && !n.starts_with('.') && *n != active)
                .collect();
            previous.sort();
            out.push(ListStatus {
                info,
                origin: ListOrigin::Imported,
                imported_at: meta.as_ref().map(|m| m.imported_at),
                imported_from: meta.map(|m| m.imported_from),
                previous_versions: previous,
            });
        }
        out.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        Ok(out)
    }
}

/// Reads only the header of a stored compact snapshot.
fn read_info(path: &Path) -> Result<ListInfo, WatchlistError> {
    let file = fs::File::open(path).map_err(io_err(path))?;
    let decoder = zstd::stream::read::Decoder::new(file).map_err(io_err(path))?;
    let mut line = String::new();
    BufReader::new(decoder)
        .read_line(&mut line)
        .map_err(io_err(path))?;
    #[derive(Deserialize)]
    struct Header {
        info: ListInfo,
    }
    serde_json::from_str::<Header>(&line)
        .map(|h| h.info)
        .map_err(|e| repo_err(path, format!("unreadable header: {e}")))
}
