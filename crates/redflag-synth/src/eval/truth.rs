//! Reading a world's ground truth back for scoring: `ground_truth.json` and the per-subject label file
//! `ground_truth_subjects.csv`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::truth::{GroundTruth, Strength};

/// The ground truth of a world could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `ground_truth.json` is not a synth ground truth.
    #[error("{path} is not a redflag-synth ground truth: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A row of the label file could not be read.
    #[error("{path}, line {line}: {reason}")]
    Row {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// What is wrong (names the field and value).
        reason: String,
    },
    /// The label file lacks a column the evaluation needs.
    #[error("{path}: no `{column}` column in the header")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
}

/// One subject's label, as `ground_truth_subjects.csv` states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectTruth {
    /// The `people.csv` id (`P0000042`).
    pub id: String,
    /// The subject id a reader derives with the truth's system name (`synth:P0000042`).
    pub subject_id: String,
    /// Whether the subject is an operator's persona.
    pub operator: bool,
    /// The planted ring, for operators.
    pub ring: Option<String>,
    /// The hard-negative category, for innocents built to look suspicious.
    pub hard_negative: Option<String>,
    /// The name's origin (for the fairness table only).
    pub name_origin: String,
    /// The claimed nationality, empty when none was claimed (for the fairness table only).
    pub nationality: String,
    /// The claimed country of residence.
    pub claimed_country: String,
    /// applicant, employee, contractor or marketplace_account.
    pub kind: String,
}

/// A planted ring with members as subject ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedRing {
    /// `ring-001`.
    pub id: String,
    /// How strongly it shows.
    pub strength: Strength,
    /// Members' subject ids.
    pub members: Vec<String>,
}

/// Everything the evaluation knows about a world's truth.
#[derive(Debug, Clone)]
pub struct Truth {
    /// The world-level ground truth.
    pub ground: GroundTruth,
    /// One label per subject, in file order.
    pub subjects: Vec<SubjectTruth>,
}

impl Truth {
    /// Reads `ground_truth.json` and the label file it names from a world directory.
    pub fn read(dir: &Path) -> Result<Self, EvalError> {
        let path = dir.join("ground_truth.json");
        let file = File::open(&path).map_err(|source| EvalError::Io {
            path: path.clone(),
            source,
        })?;
        let ground: GroundTruth = serde_json::from_reader(BufReader::new(file))
            .map_err(|source| EvalError::Json { path, source })?;
        let labels_path = dir.join(&ground.subjects_file);
        let file = File::open(&labels_path).map_err(|source| EvalError::Io {
            path: labels_path.clone(),
            source,
        })?;
        let subjects = read_labels(BufReader::new(file), &labels_path, &ground.system)?;
        Ok(Self { ground, subjects })
    }

    /// A truth from parts (tests, in-memory worlds).
    pub fn from_parts(ground: GroundTruth, subjects: Vec<SubjectTruth>) -> Self {
        Self { ground, subjects }
    }

    /// The subject id of a `people.csv` id under this truth's system name.
    pub fn subject_id(&self, id: &str) -> String {
        subject_id(&self.ground.system, id)
    }

    /// The planted rings, members as subject ids.
    pub fn planted_rings(&self) -> Vec<PlantedRing> {
        self.ground
            .rings
            .iter()
            .map(|r| PlantedRing {
                id: r.id.clone(),
                strength: r.strength,
                members: r.members.iter().map(|m| self.subject_id(m)).collect(),
            })
            .collect()
    }

    /// Whether each operator (by subject id) holds an account, i.e. has events.
    pub fn hired(&self) -> BTreeMap<String, bool> {
        self.ground
            .operators
            .iter()
            .map(|o| (self.subject_id(&o.id), o.hired))
            .collect()
    }
}

/// `system:id`, as `redflag_model::SubjectId::new` builds it.
pub fn subject_id(system: &str, id: &str) -> String {
    format!("{}:{}", system.trim().to_lowercase(), id.trim())
}

/// Reads a `ground_truth_subjects.csv` stream. `system` prefixes the subject ids.
pub fn read_labels<R: std::io::Read>(
    input: R,
    path: &Path,
    system: &str,
) -> Result<Vec<SubjectTruth>, EvalError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| EvalError::Row {
            path: path.to_path_buf(),
            line: 1,
            reason: format!("cannot read the header: {e}"),
        })?
        .clone();
    let column = |name: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(EvalError::MissingColumn {
                path: path.to_path_buf(),
                column: name,
            })
    };
    let id = column("id")?;
    let label = column("label")?;
    let ring = column("ring")?;
    let negative = column("hard_negative")?;
    let origin = column("name_origin")?;
    let nationality = column("nationality")?;
    let country = column("claimed_country")?;
    let kind = column("kind")?;
    let mut out = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row as u64 + 2;
        let record = record.map_err(|e| EvalError::Row {
            path: path.to_path_buf(),
            line,
            reason: e.to_string(),
        })?;
        let get = |i: usize| record.get(i).unwrap_or("").to_string();
        let subject = get(id);
        if subject.is_empty() {
            return Err(EvalError::Row {
                path: path.to_path_buf(),
                line,
                reason: "field `id` is empty".into(),
            });
        }
        let operator = match get(label).as_str() {
            "operator" => true,
            "innocent" | "hard_negative" => false,
            other => {
                return Err(EvalError::Row {
                    path: path.to_path_buf(),
                    line,
                    reason: format!(
                        "field `label` is {other:?}; expected operator, innocent or hard_negative"
                    ),
                });
            }
        };
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        out.push(SubjectTruth {
            subject_id: subject_id(system, &subject),
            id: subject,
            operator,
            ring: non_empty(get(ring)),
            hard_negative: non_empty(get(negative)),
            name_origin: get(origin),
            nationality: get(nationality),
            claimed_country: get(country),
            kind: get(kind),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "id,label,ring,hard_negative,name_origin,claimed_country,nationality,kind\n";

    #[test]
    fn labels_are_read_with_subject_ids() {
        let csv = format!(
            "{HEADER}P1,operator,ring-001,,korean,US,,employee\nP2,hard_negative,,night_shift,us,US,US,contractor\n"
        );
        let rows = read_labels(csv.as_bytes(), Path::new("t.csv"), "Synth").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].subject_id, "synth:P1");
        assert!(rows[0].operator);
        assert_eq!(rows[0].ring.as_deref(), Some("ring-001"));
        assert_eq!(rows[0].nationality, "");
        assert!(!rows[1].operator);
        assert_eq!(rows[1].hard_negative.as_deref(), Some("night_shift"));
    }

    #[test]
    fn malformed_label_files_name_line_and_field() {
        let check = |csv: &str, expect: &str| {
            let error = read_labels(csv.as_bytes(), Path::new("t.csv"), "synth")
                .unwrap_err()
                .to_string();
            assert!(error.contains(expect), "{error:?} lacks {expect:?}");
        };
        check(
            &format!("{HEADER}P1,spy,,,korean,US,,employee\n"),
            "line 2: field `label` is \"spy\"",
        );
        check(
            &format!("{HEADER},innocent,,,us,US,,employee\n"),
            "field `id` is empty",
        );
        check("id,label\nP1,innocent\n", "no `ring` column");
        check(
            &format!("{HEADER}P1,innocent,,,us,US,,employee\nP2,innocent\n"),
            "line 3",
        );
    }
}
