//! The subject list: filters (level, rule, stage, source, ring, case state), sort, search and keyset
//! pagination (`after_key` + `after_id` name the last row of the previous page).

use axum::extract::{Query, State};
use maud::html;
use redflag_store::console_queries::{SortKey, SubjectFilter, SubjectSort};
use serde::Deserialize;

use super::html;
use crate::AppState;
use crate::console::layout::{self, Nav, enc, level_badge, ring_href, score_bar, subject_href};
use crate::console::{ConsoleError, PageResult, engines, ensure_indexes, store};

/// Rows per page.
pub(crate) const PAGE: i64 = 50;

const STAGES: &[&str] = &[
    "application",
    "interview",
    "identity",
    "network",
    "endpoint",
    "payment",
    "work",
    "linkage",
    "sanctions",
];

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    level: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    ring: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    case: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after_key: String,
    #[serde(default)]
    after_id: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl ListQuery {
    /// The query string of this list without the cursor (for the next-page link and the sort links).
    fn base(&self) -> Vec<(&'static str, &str)> {
        [
            ("level", self.level.as_str()),
            ("rule", self.rule.as_str()),
            ("stage", self.stage.as_str()),
            ("ring", self.ring.as_str()),
            ("source", self.source.as_str()),
            ("case", self.case.as_str()),
            ("q", self.q.as_str()),
            ("sort", self.sort.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
    }
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let store = store(&state);
    ensure_indexes(store).await?;
    let sort = SubjectSort::parse(query.sort.trim())
        .ok_or_else(|| ConsoleError::BadRequest(format!("Unknown sort {:?}.", query.sort)))?;
    let level = some(&query.level);
    if let Some(l) = &level
        && redflag_model::RiskLevel::parse(l).is_none()
    {
        return Err(ConsoleError::BadRequest(format!("Unknown level {l:?}.")));
    }
    let rules_any = match some(&query.stage) {
        None => None,
        Some(stage) => {
            if !STAGES.contains(&stage.as_str()) {
                return Err(ConsoleError::BadRequest(format!(
                    "Unknown stage {stage:?}."
                )));
            }
            let engines = engines(&state).await?;
            Some(
                engines
                    .rules
                    .rules()
                    .iter()
                    .filter(|r| r.rule().stage.as_str() == stage)
                    .map(|r| r.id().to_string())
                    .collect(),
            )
        }
    };
    let filter = SubjectFilter {
        level,
        rule: some(&query.rule),
        rules_any,
        ring: some(&query.ring),
        source: some(&query.source),
        case_status: some(&query.case),
        search: some(&query.q),
    };
    let after = match (some(&query.after_key), some(&query.after_id)) {
        (Some(key), Some(id)) => Some((
            match sort {
                SubjectSort::ScoreDesc | SubjectSort::ScoreAsc => {
                    SortKey::Score(key.parse::<f64>().map_err(|_| {
                        ConsoleError::BadRequest(format!("Bad page cursor {key:?}."))
                    })?)
                }
                _ => SortKey::Text(key),
            },
            id,
        )),
        _ => None,
    };
    let first_page = after.is_none();
    let mut rows = store
        .console_subjects(&filter, sort, after, PAGE + 1)
        .await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let rules = store.console_rules_of(&ids).await?;
    let next = match (more, rows.last()) {
        (true, Some(last)) => {
            let key = match last.sort_key(sort) {
                SortKey::Score(v) => format!("{v:?}"),
                SortKey::Text(t) => t,
            };
            let mut pairs = query.base();
            pairs.push(("after_key", key.as_str()));
            pairs.push(("after_id", last.id.as_str()));
            Some(format!("/console/subjects?{}", query_string(&pairs)))
        }
        _ => None,
    };
    let sort_link = |s: SubjectSort| {
        let mut pairs: Vec<(&str, &str)> = query
            .base()
            .into_iter()
            .filter(|(k, _)| *k != "sort")
            .collect();
        pairs.push(("sort", s.as_str()));
        format!("/console/subjects?{}", query_string(&pairs))
    };
    let selected = |a: &str, b: &str| a == b;
    let body = html! {
        h1 { "Subjects" }
        form.filters method="get" action="/console/subjects" aria-label="Filter subjects" {
            label for="q" { "Search" input #q type="search" name="q" value=(query.q) placeholder="Name prefix, id, email, phone, wallet"; }
            label for="level" { "Level"
                select #level name="level" {
                    option value="" { "any" }
                    @for l in ["critical", "high", "medium", "low"] {
                        option value=(l) selected[selected(&query.level, l)] { (l) }
                    }
                }
            }
            label for="stage" { "Stage"
                select #stage name="stage" {
                    option value="" { "any" }
                    @for s in STAGES {
                        option value=(s) selected[selected(&query.stage, s)] { (s) }
                    }
                }
            }
            label for="rule" { "Rule" input #rule name="rule" value=(query.rule) placeholder="RF-NET-004" size="12"; }
            label for="ring" { "Ring" input #ring name="ring" value=(query.ring) size="10"; }
            label for="source" { "Source" input #source name="source" value=(query.source) placeholder="ats" size="8"; }
            label for="case" { "Case"
                select #case name="case" {
                    option value="" { "any" }
                    @for c in ["open", "decided"] {
                        option value=(c) selected[selected(&query.case, c)] { (c) }
                    }
                }
            }
            label for="sort" { "Sort"
                select #sort name="sort" {
                    @for (value, label) in [("score", "score, highest first"), ("score_asc", "score, lowest first"), ("name", "name"), ("recent", "recently assessed")] {
                        option value=(value) selected[sort.as_str() == value] { (label) }
                    }
                }
            }
            button type="submit" { "Apply" }
            a.button.secondary href="/console/subjects" { "Reset" }
        }
        @if rows.is_empty() {
            p.notice { "No subject matches these filters." }
        } @else {
            table.rows #subjects aria-describedby="subjects-caption" {
                caption #subjects-caption .visually-hidden { "Subjects, " (sort.as_str()) " order" }
                thead {
                    tr {
                        th scope="col" { a href=(sort_link(SubjectSort::Name)) { "Subject" } }
                        th scope="col" { "Kind" }
                        th scope="col" { "Level" }
                        th scope="col" { a href=(sort_link(if sort == SubjectSort::ScoreDesc { SubjectSort::ScoreAsc } else { SubjectSort::ScoreDesc })) { "Score" } }
                        th scope="col" { "Findings" }
                        th scope="col" { "Ring" }
                        th scope="col" { a href=(sort_link(SubjectSort::Recent)) { "Assessed" } }
                    }
                }
                tbody {
                    @for row in &rows {
                        tr {
                            td { a href=(subject_href(&row.id)) { (row.name) } br; span.muted.mono { (row.id) } }
                            td { (row.kind.replace('_', " ")) }
                            td { (level_badge(&row.level)) }
                            td { (score_bar(row.score)) }
                            td {
                                @for (_, rule) in rules.iter().filter(|(s, _)| s == &row.id).take(5) {
                                    a.chip href=(format!("/console/subjects?rule={}", enc(rule))) { (rule) }
                                }
                            }
                            td { @if let Some(ring) = &row.ring { a href=(ring_href(ring)) { (ring) } } }
                            td { (layout::short_time(&row.assessed_at)) }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if first_page { span {} } @else { a.button.secondary href=(format!("/console/subjects?{}", query_string(&query.base()))) { "← First page" } }
            span.muted { (rows.len()) " shown" }
            @if let Some(next) = &next { a.button #next-page href=(next) rel="next" { "Next page →" } } @else { span {} }
        }
    };
    Ok(html(layout::page("Subjects", Nav::Subjects, body)))
}
