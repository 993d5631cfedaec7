//! A generated world and its writers.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::WorldConfig;
use crate::error::SynthError;
use crate::person::{self, Label, Person};
use crate::plan::Plan;
use crate::truth::{
    FacilitatorTruth, GroundTruth, HardNegativeTruth, OperatorTruth, PlantedSignal, RingTruth,
};

/// A generated world: the config and the plan of its special subjects. Subjects are generated on
/// demand from their own random streams, so a world of any size costs little memory until written, and
/// [`World::person`] gives the same subject whatever order it is asked in.
#[derive(Debug, Clone)]
pub struct World {
    config: WorldConfig,
    plan: Plan,
}

/// Generates the world a config describes.
pub fn generate(config: &WorldConfig) -> World {
    let mut plan = Plan::build(config);
    plan.redraws = person::chance_repeats(config, &plan);
    World {
        config: config.clone(),
        plan,
    }
}

/// One file a world was written to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenFile {
    /// Path relative to the world's directory.
    pub name: String,
    /// Records written (rows, events or documents).
    pub records: u64,
}

/// What [`World::write_to`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenWorld {
    /// The directory.
    pub dir: PathBuf,
    /// The files, in the order written.
    pub files: Vec<WrittenFile>,
    /// Subjects written.
    pub subjects: usize,
    /// Operators' personas among them.
    pub operators: usize,
    /// Rings.
    pub rings: usize,
    /// Hard negatives.
    pub hard_negatives: usize,
}

impl WrittenWorld {
    /// The path of a written file by name (`people.csv`, `ground_truth.json`, …).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Records written to a file, if it was written.
    pub fn records(&self, name: &str) -> Option<u64> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.records)
    }
}

/// The `people.csv` header. Names follow what the generic people mapping recognises; the extra columns
/// (`photo_hash`, `resume_file`, `employers`, `employer_domains`, `reference_*`, dates) are kept as
/// attributes, under the names the identity engine reads.
pub const PEOPLE_HEADER: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "work_email",
    "phone",
    "country",
    "city",
    "timezone",
    "nationality",
    "role",
    "kind",
    "wallet",
    "payout_provider",
    "payout_account",
    "linkedin",
    "github",
    "address",
    "photo_hash",
    "resume_file",
    "employers",
    "employer_domains",
    "reference_names",
    "reference_emails",
    "reference_phones",
    "applied_on",
    "start_date",
];

/// Subjects whose events one worker generates in memory at a time when a world is written.
const PEOPLE_PER_PART: usize = 64;

impl World {
    /// The config the world was generated from.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The plan of special subjects (crate-internal).
    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Number of subjects.
    pub fn len(&self) -> usize {
        self.config.subjects
    }

    /// Whether the world has no subjects.
    pub fn is_empty(&self) -> bool {
        self.config.subjects == 0
    }

    /// Subject `index` (0-based row of `people.csv`).
    pub fn person(&self, index: usize) -> Person {
        person::generate(&self.config, &self.plan, index)
    }

    /// Every subject, in `people.csv` order, generated as iterated.
    pub fn people(&self) -> impl Iterator<Item = Person> + '_ {
        (0..self.config.subjects).map(|i| self.person(i))
    }

    /// The ground truth (operators, rings, facilitators, hard negatives).
    pub fn ground_truth(&self) -> GroundTruth {
        let system = &self.config.system;
        let subject_id = |id: &str| format!("{}:{id}", system.to_lowercase());
        let mut operators = Vec::new();
        let mut rings = Vec::new();
        for ring in &self.plan.rings {
            let ring_id = format!("ring-{:03}", ring.id + 1);
            let mut members = Vec::new();
            let mut shared = BTreeMap::new();
            for &m in &ring.members {
                let p = self.person(m as usize);
                members.push(p.id.clone());
                operators.push(OperatorTruth {
                    subject_id: subject_id(&p.id),
                    id: p.id.clone(),
                    ring: ring_id.clone(),
                    name_origin: p.name_origin.to_string(),
                    claimed_country: p.country.to_string(),
                    true_timezone: p.true_timezone.to_string(),
                    hired: p.has_account(),
                    signals: p.signals.iter().map(|s| PlantedSignal::of(*s)).collect(),
                });
            }
            use crate::truth::Signal;
            let has = |s| ring.signals.contains(&s);
            if has(Signal::SharedPayoutAccount) {
                shared.insert(
                    "payout_account".into(),
                    format!("{}:{}", ring.payout_provider, ring.payout_account),
                );
            }
            if has(Signal::SharedWallet) {
                shared.insert("wallet".into(), ring.wallet.clone());
            }
            if has(Signal::ReusedPhoto) {
                shared.insert("photo_hash".into(), format!("{:016x}", ring.photo));
            }
            if has(Signal::LookalikeReference) {
                shared.insert("lookalike_domain".into(), ring.lookalike_domain.clone());
            }
            if has(Signal::ReusedResume) {
                shared.insert(
                    "resume_template".into(),
                    format!("operator-{:08x}", ring.resume_template),
                );
            }
            rings.push(RingTruth {
                id: ring_id,
                strength: ring.strength,
                true_timezone: ring.true_tz.to_string(),
                facilitator: ring
                    .facilitator
                    .map(|f| format!("facilitator-{:02}", f + 1)),
                members,
                signals: ring.signals.clone(),
                shared,
            });
        }
        let facilitators = self
            .plan
            .facilitators
            .iter()
            .map(|f| FacilitatorTruth {
                id: format!("facilitator-{:02}", f.id + 1),
                address: f.address.clone(),
                egress_ip: crate::events::facilitator_ip(&self.config, f.id).to_string(),
                rings: f
                    .rings
                    .iter()
                    .map(|r| format!("ring-{:03}", r + 1))
                    .collect(),
            })
            .collect();
        let mut hard_negatives: Vec<HardNegativeTruth> = self
            .plan
            .special
            .iter()
            .filter_map(|(&i, s)| match s {
                crate::plan::Special::Negative {
                    category, group, ..
                } => Some(HardNegativeTruth {
                    id: format!("P{:07}", i + 1),
                    category: *category,
                    group: group.map(|g| format!("group-{:05}", g + 1)),
                }),
                _ => None,
            })
            .collect();
        hard_negatives.sort_by(|a, b| a.id.cmp(&b.id));
        GroundTruth {
            generator: format!("redflag-synth {}", env!("CARGO_PKG_VERSION")),
            seed: self.config.seed,
            system: system.clone(),
            subjects: self.config.subjects,
            window: [
                self.config.start_date().to_string(),
                self.config.end_date.to_string(),
            ],
            operators,
            rings,
            facilitators,
            hard_negatives,
            subjects_file: "ground_truth_subjects.csv".into(),
        }
    }

    /// Writes the world into `dir` (created if missing): `people.csv`, `ground_truth.json`,
    /// `ground_truth_subjects.csv` and, when the config asks for events, the event files and resumes.
    /// Files are streamed: memory stays bounded whatever the world's size.
    pub fn write_to(&self, dir: &Path) -> Result<WrittenWorld, SynthError> {
        self.write(dir, self.config.events)
    }

    /// Writes `people.csv` and the ground truth of every subject, without event files or resumes,
    /// whatever the config says: the first step of writing a world in subject shards (see
    /// [`World::write_events`]).
    pub fn write_people_to(&self, dir: &Path) -> Result<WrittenWorld, SynthError> {
        self.write(dir, false)
    }

    /// Writes the event files (sign-ins, osquery, payroll, shipping) and the resumes of the subjects in
    /// `range` (0-based rows of `people.csv`) into `dir`, replacing event files already there. Each
    /// subject's events come from its own random streams, so writing a world's subjects in consecutive
    /// ranges gives, range by range, exactly the events [`World::write_to`] writes for them; rings are
    /// planned over the whole world, so a ring's personas may fall in different ranges.
    pub fn write_events(
        &self,
        dir: &Path,
        range: std::ops::Range<usize>,
    ) -> Result<Vec<WrittenFile>, SynthError> {
        std::fs::create_dir_all(dir).map_err(SynthError::io(dir))?;
        let mut events = crate::events::EventWriters::create(dir, &self.config)?;
        self.write_events_of(
            dir,
            &mut events,
            range.start..range.end.min(self.config.subjects),
        )?;
        events.finish()
    }

    /// Writes the events and resumes of the subjects in `range` to `events`: parts of
    /// [`PEOPLE_PER_PART`] subjects are generated in memory on the rayon pool and appended in subject
    /// order, a window of parts at a time (so memory stays bounded). The bytes are those of writing
    /// the subjects one by one: each subject's events come from its own random streams.
    fn write_events_of(
        &self,
        dir: &Path,
        events: &mut crate::events::EventWriters,
        range: std::ops::Range<usize>,
    ) -> Result<(), SynthError> {
        use rayon::prelude::*;
        let window = PEOPLE_PER_PART * 4 * rayon::current_num_threads().max(1);
        let mut start = range.start;
        while start < range.end {
            let end = (start + window).min(range.end);
            let parts: Vec<crate::events::EventWriters<Vec<u8>>> = (start..end)
                .step_by(PEOPLE_PER_PART)
                .collect::<Vec<usize>>()
                .into_par_iter()
                .map(|first| {
                    let mut part = crate::events::EventWriters::in_memory(dir);
                    for index in first..(first + PEOPLE_PER_PART).min(end) {
                        part.write_person(self, &self.person(index))?;
                    }
                    Ok(part)
                })
                .collect::<Result<_, SynthError>>()?;
            for part in parts {
                events.append(part)?;
            }
            start = end;
        }
        Ok(())
    }

    fn write(&self, dir: &Path, with_events: bool) -> Result<WrittenWorld, SynthError> {
        std::fs::create_dir_all(dir).map_err(SynthError::io(dir))?;
        let mut files = Vec::new();

        let people_path = dir.join("people.csv");
        let labels_path = dir.join("ground_truth_subjects.csv");
        let mut people = csv::Writer::from_writer(BufWriter::with_capacity(
            1 << 20,
            File::create(&people_path).map_err(SynthError::io(&people_path))?,
        ));
        let mut labels = csv::Writer::from_writer(BufWriter::new(
            File::create(&labels_path).map_err(SynthError::io(&labels_path))?,
        ));
        people
            .write_record(PEOPLE_HEADER)
            .map_err(SynthError::csv(&people_path))?;
        labels
            .write_record([
                "id",
                "label",
                "ring",
                "hard_negative",
                "name_origin",
                "claimed_country",
                "nationality",
                "kind",
            ])
            .map_err(SynthError::csv(&labels_path))?;
        let mut events = if with_events {
            Some(crate::events::EventWriters::create(dir, &self.config)?)
        } else {
            None
        };
        let (mut operators, mut negatives) = (0, 0);
        for person in self.people() {
            people
                .write_record(people_row(&self.config, &person))
                .map_err(SynthError::csv(&people_path))?;
            let (label, ring, negative) = match &person.label {
                Label::Innocent => ("innocent", String::new(), String::new()),
                Label::HardNegative { category, .. } => {
                    negatives += 1;
                    (
                        "hard_negative",
                        String::new(),
                        serde_json::to_value(category)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                    )
                }
                Label::Operator { ring } => {
                    operators += 1;
                    ("operator", format!("ring-{:03}", ring + 1), String::new())
                }
            };
            labels
                .write_record([
                    person.id.as_str(),
                    label,
                    &ring,
                    &negative,
                    person.name_origin,
                    person.country,
                    person.nationality.unwrap_or(""),
                    person.kind,
                ])
                .map_err(SynthError::csv(&labels_path))?;
        }
        if let Some(events) = events.as_mut() {
            self.write_events_of(dir, events, 0..self.config.subjects)?;
        }
        people.flush().map_err(SynthError::io(&people_path))?;
        labels.flush().map_err(SynthError::io(&labels_path))?;
        files.push(WrittenFile {
            name: "people.csv".into(),
            records: self.config.subjects as u64,
        });
        if let Some(events) = events {
            files.extend(events.finish()?);
        }

        let truth = self.ground_truth();
        let truth_path = dir.join("ground_truth.json");
        let mut out =
            BufWriter::new(File::create(&truth_path).map_err(SynthError::io(&truth_path))?);
        serde_json::to_writer_pretty(&mut out, &truth).map_err(SynthError::json(&truth_path))?;
        out.write_all(b"\n").map_err(SynthError::io(&truth_path))?;
        out.flush().map_err(SynthError::io(&truth_path))?;
        files.push(WrittenFile {
            name: "ground_truth.json".into(),
            records: truth.rings.len() as u64,
        });
        files.push(WrittenFile {
            name: "ground_truth_subjects.csv".into(),
            records: self.config.subjects as u64,
        });
        Ok(WrittenWorld {
            dir: dir.to_path_buf(),
            files,
            subjects: self.config.subjects,
            operators,
            rings: truth.rings.len(),
            hard_negatives: negatives,
        })
    }
}

fn people_row(config: &WorldConfig, p: &Person) -> Vec<String> {
    let join = |items: Vec<String>| items.join(";");
    vec![
        p.id.clone(),
        p.first_name.clone(),
        p.last_name.clone(),
        p.emails.join(";"),
        p.work_email.clone().unwrap_or_default(),
        p.phone.clone(),
        p.country_name.to_string(),
        p.city.to_string(),
        p.timezone.to_string(),
        p.nationality.unwrap_or("").to_string(),
        p.role.to_string(),
        p.kind.to_string(),
        p.wallet.clone().unwrap_or_default(),
        p.payout_provider.clone(),
        p.payout_account.clone(),
        p.linkedin.clone().unwrap_or_default(),
        p.github.clone().unwrap_or_default(),
        p.address.clone(),
        p.photo_hash.clone(),
        if p.has_resume {
            crate::resume::file_name(config, p)
        } else {
            String::new()
        },
        join(p.employers.iter().map(|(n, _)| n.to_string()).collect()),
        join(p.employers.iter().map(|(_, d)| d.to_string()).collect()),
        join(p.references.iter().map(|r| r.name.clone()).collect()),
        join(p.references.iter().map(|r| r.email.clone()).collect()),
        join(p.references.iter().map(|r| r.phone.clone()).collect()),
        p.applied_on.to_string(),
        p.started_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventWriters;

    /// Parts generated on the rayon pool and appended in order give the bytes of one writer going
    /// through the subjects in order (the world spans several windows of parts, and the range starts
    /// and ends inside parts).
    #[test]
    fn events_written_in_parallel_parts_are_the_bytes_written_in_order() {
        let config = WorldConfig {
            subjects: 1_300,
            days: 5,
            rings_per_10k: 100.0,
            ..WorldConfig::small()
        };
        let world = crate::generate(&config);
        let range = 37..1_290;
        assert!(range.len() > 2 * PEOPLE_PER_PART * 4 * rayon::current_num_threads());
        let in_order = tempfile::tempdir().unwrap();
        let mut writers = EventWriters::create(in_order.path(), &config).unwrap();
        for index in range.clone() {
            writers.write_person(&world, &world.person(index)).unwrap();
        }
        let expect = writers.finish().unwrap();
        let parallel = tempfile::tempdir().unwrap();
        let written = world.write_events(parallel.path(), range).unwrap();
        assert_eq!(written, expect);
        let mut compared = 0;
        for entry in std::fs::read_dir(in_order.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap();
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    std::fs::read(parallel.path().join(name)).unwrap(),
                    "{}",
                    path.display()
                );
                compared += 1;
            }
        }
        assert_eq!(compared, 6);
        let resumes = |dir: &Path| std::fs::read_dir(dir.join("resumes")).unwrap().count();
        assert!(resumes(in_order.path()) > 0);
        assert_eq!(resumes(in_order.path()), resumes(parallel.path()));
    }
}
