//! `work.*` facts from activity events: GitHub account and commits, Drive downloads, OAuth grants and
//! repository clones (research W2, W7, W8, W11, W12, L7).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc};
use redflag_model::{Event, EventKind, Evidence, Fact, FactSpec, FactType, FactValue, SubjectId};

use crate::PRODUCER;

/// Commits needed before an activity-hours time zone is inferred.
pub const MIN_COMMITS_FOR_TZ: usize = 10;
/// Local hour taken as the middle of a working day when inferring a time zone from commit hours.
pub const WORKDAY_CENTRE_HOUR: f64 = 14.0;
/// Days before a subject's exit date in which downloads and clones are counted.
pub const EXIT_WINDOW_DAYS: i64 = 14;

pub(crate) fn specs() -> Vec<FactSpec> {
    use FactType::*;
    let s = |name, fact_type, meaning, example| FactSpec {
        name,
        fact_type,
        producer: PRODUCER,
        meaning,
        example,
        protected: false,
    };
    vec![
        s(
            "work.commit_count",
            Int,
            "Commits attributed to the subject (GitHub commits API).",
            "42",
        ),
        s(
            "work.commit_email_count",
            Int,
            "Distinct author e-mails on the subject's commits (W11, L7).",
            "3",
        ),
        s(
            "work.commit_name_count",
            Int,
            "Distinct author names on the subject's commits (W11, L7).",
            "2",
        ),
        s(
            "work.commit_hours_utc",
            IntList,
            "Commits per UTC hour of day, 24 counts (W2).",
            "0, 0, 5, …",
        ),
        s(
            "work.commit_inferred_utc_offset",
            Float,
            "UTC offset (hours) implied by the circular mean of commit hours, taking 14:00 local as mid-workday; set from 10 commits (W2).",
            "9.0",
        ),
        s(
            "work.commit_claimed_tz_gap_hours",
            Float,
            "Hours between the commit-inferred offset and the claimed time zone's offset (0-12) (W2).",
            "8.0",
        ),
        s(
            "work.github_commits_before_account",
            Int,
            "Commits dated before the GitHub account was created: history copied or back-dated (A-stage profile fabrication).",
            "12",
        ),
        s(
            "work.github_account_age_days",
            Int,
            "Days from the GitHub account's creation to the subject's latest activity (W12 throwaway accounts).",
            "30",
        ),
        s(
            "work.github_forked_repo_share",
            Float,
            "Share of the account's repositories that are forks (copied portfolios).",
            "0.8",
        ),
        s(
            "work.drive_download_max_per_day",
            Int,
            "Most Drive downloads by the subject in one UTC day (W7, W8 bulk download).",
            "250",
        ),
        s(
            "work.oauth_grant_count",
            Int,
            "OAuth consent grants by the subject (Okta, Google token audit) (W7).",
            "3",
        ),
        s(
            "work.oauth_grant_apps",
            StringList,
            "Applications the subject granted OAuth access to.",
            "DriveSync Pro",
        ),
        s(
            "work.repo_clone_max_per_day",
            Int,
            "Most repository clones by the subject in one UTC day (W7 mass cloning).",
            "40",
        ),
        s(
            "work.exit_window_downloads",
            Int,
            "Drive downloads in the 14 days before the subject's exit date (W8).",
            "120",
        ),
        s(
            "work.exit_window_clones",
            Int,
            "Repository clones in the 14 days before the subject's exit date (W7, W8).",
            "35",
        ),
    ]
}

fn ev(label: &str, value: String, e: &Event) -> Evidence {
    Evidence {
        label: label.into(),
        value,
        source: Some(e.provenance.clone()),
    }
}

/// The subject's exit date from source attributes (`termination_date`, `end_date`, `exit_date`,
/// `last_day`, `last_working_day`), as a date or an RFC 3339 time.
pub fn exit_date(attributes: &BTreeMap<String, String>) -> Option<DateTime<Utc>> {
    attributes.iter().find_map(|(k, v)| {
        let key: String = k
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if !matches!(
            key.as_str(),
            "terminationdate" | "enddate" | "exitdate" | "lastday" | "lastworkingday"
        ) {
            return None;
        }
        let v = v.trim();
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(|t| t.and_utc())
            .or_else(|| {
                DateTime::parse_from_rfc3339(v)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            })
    })
}

/// Splits git's `Name <email>` identity.
fn ident(target: &str) -> (String, String) {
    match target.rsplit_once(" <") {
        Some((name, email)) => (
            name.trim().to_lowercase(),
            email.trim_end_matches('>').trim().to_lowercase(),
        ),
        None => (target.trim().to_lowercase(), String::new()),
    }
}

fn circular_mean_hour(hours: &[u32]) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for h in hours {
        let a = f64::from(*h) / 24.0 * std::f64::consts::TAU;
        s += a.sin();
        c += a.cos();
    }
    (s.atan2(c) / std::f64::consts::TAU * 24.0).rem_euclid(24.0)
}

fn wrap12(x: f64) -> f64 {
    let w = (x + 12.0).rem_euclid(24.0) - 12.0;
    if w == -12.0 { 12.0 } else { w }
}

fn max_per_day<'a>(events: &[&'a Event]) -> (i64, Option<&'a Event>, String) {
    let mut days: BTreeMap<NaiveDate, (i64, &Event)> = BTreeMap::new();
    for e in events {
        let entry = days.entry(e.time.date_naive()).or_insert((0, e));
        entry.0 += 1;
    }
    days.iter()
        .max_by_key(|(_, (n, _))| *n)
        .map(|(d, (n, e))| (*n, Some(*e), d.to_string()))
        .unwrap_or((0, None, String::new()))
}

/// The `work.*` facts from a subject's activity events.
pub fn work_facts(
    id: &SubjectId,
    claimed_tz: Option<chrono_tz::Tz>,
    attributes: &BTreeMap<String, String>,
    events: &[&Event],
) -> Vec<Fact> {
    let mut by_action: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for e in events {
        if let EventKind::Activity { action, .. } = &e.kind {
            by_action.entry(action.as_str()).or_default().push(e);
        }
    }
    if by_action.is_empty() {
        return Vec::new();
    }
    let target = |e: &Event| match &e.kind {
        EventKind::Activity { target, .. } => target.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let fact = |name: &str, value: FactValue| Fact::new(id.clone(), name, value);
    let mut out = Vec::new();
    let commits = by_action.get("commit").cloned().unwrap_or_default();
    if !commits.is_empty() {
        let mut emails: BTreeMap<String, &Event> = BTreeMap::new();
        let mut names: BTreeMap<String, &Event> = BTreeMap::new();
        let mut hist = vec![0i64; 24];
        let mut hours = Vec::new();
        for e in &commits {
            let (name, email) = ident(&target(e));
            if !email.is_empty() {
                emails.entry(email).or_insert(e);
            }
            if !name.is_empty() {
                names.entry(name).or_insert(e);
            }
            hist[e.time.hour() as usize] += 1;
            hours.push(e.time.hour());
        }
        out.push(fact(
            "work.commit_count",
            FactValue::Int(commits.len() as i64),
        ));
        let mut f = fact(
            "work.commit_email_count",
            FactValue::Int(emails.len() as i64),
        );
        f.evidence = emails
            .iter()
            .map(|(m, e)| ev("commit e-mail", m.clone(), e))
            .collect();
        out.push(f);
        let mut f = fact("work.commit_name_count", FactValue::Int(names.len() as i64));
        f.evidence = names
            .iter()
            .map(|(n, e)| ev("commit author name", n.clone(), e))
            .collect();
        out.push(f);
        out.push(fact("work.commit_hours_utc", FactValue::IntList(hist)));
        if commits.len() >= MIN_COMMITS_FOR_TZ {
            let mean = circular_mean_hour(&hours);
            let inferred = wrap12(WORKDAY_CENTRE_HOUR - mean);
            out.push(
                fact(
                    "work.commit_inferred_utc_offset",
                    FactValue::Float(inferred),
                )
                .with_evidence(Evidence::new(
                    "mean commit hour (UTC)",
                    format!("{mean:.1} over {} commits", commits.len()),
                )),
            );
            if let Some(tz) = claimed_tz {
                let mut times: Vec<DateTime<Utc>> = commits.iter().map(|e| e.time).collect();
                times.sort();
                let mid = times[times.len() / 2];
                let claimed = f64::from(
                    tz.offset_from_utc_datetime(&mid.naive_utc())
                        .fix()
                        .local_minus_utc(),
                ) / 3600.0;
                let gap = wrap12(inferred - claimed).abs();
                out.push(
                    fact("work.commit_claimed_tz_gap_hours", FactValue::Float(gap)).with_evidence(
                        Evidence::new(
                            "claimed vs inferred offset",
                            format!(
                                "{} ({claimed:+.1} h) vs commits {inferred:+.1} h",
                                tz.name()
                            ),
                        ),
                    ),
                );
            }
        }
    }
    if let Some(accounts) = by_action.get("github_account_created")
        && let Some(created) = accounts.iter().min_by_key(|e| e.time)
    {
        let before: Vec<&&Event> = commits.iter().filter(|c| c.time < created.time).collect();
        let mut f = fact(
            "work.github_commits_before_account",
            FactValue::Int(before.len() as i64),
        )
        .with_evidence(ev("account created", created.time.to_rfc3339(), created));
        f.evidence.extend(
            before
                .iter()
                .take(5)
                .map(|c| ev("commit dated", c.time.to_rfc3339(), c)),
        );
        out.push(f);
        let latest = events.iter().map(|e| e.time).max().unwrap_or(created.time);
        out.push(
            fact(
                "work.github_account_age_days",
                FactValue::Int((latest - created.time).num_days()),
            )
            .with_evidence(ev("account created", created.time.to_rfc3339(), created)),
        );
    }
    let forks = by_action.get("github_repo_forked").map_or(0, Vec::len);
    let repos = forks + by_action.get("github_repo_created").map_or(0, Vec::len);
    if repos > 0 {
        out.push(
            fact(
                "work.github_forked_repo_share",
                FactValue::Float(forks as f64 / repos as f64),
            )
            .with_evidence(Evidence::new(
                "forked / repositories",
                format!("{forks} / {repos}"),
            )),
        );
    }
    let downloads = by_action.get("drive_download").cloned().unwrap_or_default();
    if !downloads.is_empty() {
        let (n, e, day) = max_per_day(&downloads);
        let mut f = fact("work.drive_download_max_per_day", FactValue::Int(n));
        if let Some(e) = e {
            f = f.with_evidence(ev("busiest day", format!("{n} downloads on {day}"), e));
        }
        out.push(f);
    }
    if let Some(grants) = by_action.get("oauth_grant") {
        let apps: BTreeSet<String> = grants
            .iter()
            .map(|e| target(e))
            .filter(|t| !t.is_empty())
            .collect();
        let mut f = fact(
            "work.oauth_grant_count",
            FactValue::Int(grants.len() as i64),
        );
        f.evidence = grants
            .iter()
            .map(|e| ev("OAuth grant", target(e), e))
            .collect();
        out.push(f);
        out.push(fact(
            "work.oauth_grant_apps",
            FactValue::TextList(apps.into_iter().collect()),
        ));
    }
    let clones = by_action.get("repo_clone").cloned().unwrap_or_default();
    if !clones.is_empty() {
        let (n, e, day) = max_per_day(&clones);
        let mut f = fact("work.repo_clone_max_per_day", FactValue::Int(n));
        if let Some(e) = e {
            f = f.with_evidence(ev("busiest day", format!("{n} clones on {day}"), e));
        }
        out.push(f);
    }
    if let Some(exit) = exit_date(attributes) {
        let window = |list: &[&Event]| {
            list.iter()
                .filter(|e| e.time <= exit && e.time > exit - Duration::days(EXIT_WINDOW_DAYS))
                .count() as i64
        };
        let label = Evidence::new("exit date", exit.date_naive().to_string());
        out.push(
            fact(
                "work.exit_window_downloads",
                FactValue::Int(window(&downloads)),
            )
            .with_evidence(label.clone()),
        );
        out.push(
            fact("work.exit_window_clones", FactValue::Int(window(&clones))).with_evidence(label),
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offsets_wrap_and_circular_means() {
        assert_eq!(wrap12(14.0 - 5.0), 9.0);
        assert_eq!(wrap12(14.0 - 22.0), -8.0);
        assert!(
            (circular_mean_hour(&[23, 1]) - 0.0).abs() < 1e-9
                || (circular_mean_hour(&[23, 1]) - 24.0).abs() < 1e-9
        );
        assert!((circular_mean_hour(&[4, 5, 6]) - 5.0).abs() < 1e-9);
        assert_eq!(
            ident("Kim Ji <KimJi@Example.net>"),
            ("kim ji".into(), "kimji@example.net".into())
        );
        let attrs = BTreeMap::from([("Termination Date".to_string(), "2024-06-10".to_string())]);
        assert_eq!(
            exit_date(&attrs).unwrap().to_rfc3339(),
            "2024-06-10T23:59:59+00:00"
        );
    }
}
