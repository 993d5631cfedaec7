//! The overview: counts by level, open cases, the highest-scoring rings, new high-risk subjects, and
//! the versions of the lists and rule pack in force.

use axum::extract::State;
use maud::html;

use super::html;
use crate::AppState;
use crate::console::layout::{self, Nav, enc, level_badge, ring_href, score_bar, subject_href};
use crate::console::{PageResult, engines, ensure_indexes, store};

pub(crate) async fn page(State(state): State<AppState>) -> PageResult {
    let store = store(&state);
    ensure_indexes(store).await?;
    let engines = engines(&state).await?;
    let levels = store.console_level_counts().await?;
    let open_cases = store.console_case_count("open").await?;
    let rings = store.console_top_rings(8).await?;
    let recent = store.console_recent_high(12).await?;
    let ids: Vec<String> = recent.iter().map(|r| r.id.clone()).collect();
    let rules = store.console_rules_of(&ids).await?;
    let recorded_packs = store.rule_pack_versions().await?;
    let recorded_lists = store.list_versions().await?;
    let total: i64 = levels.iter().map(|(_, n)| n).sum();
    let body = html! {
        h1 { "Overview" }
        section.grid.four aria-label="Subjects by risk level" {
            @for (level, n) in &levels {
                a class=(format!("card stat {level}")) href=(format!("/console/subjects?level={level}")) {
                    span.n { (n) }
                    span.l { (level) " risk" }
                }
            }
            a.card.stat href="/console/cases?status=open" {
                span.n { (open_cases) }
                span.l { "open cases" }
            }
        }
        p.muted { (total) " subjects assessed. Click a level to list its subjects." }
        div.grid.two {
            section.card.flush aria-labelledby="rings-h" {
                div.section-title { h2 #rings-h { "Rings: personas linked by shared identifiers" } }
                @if rings.is_empty() {
                    p.muted { "No rings found." }
                } @else {
                    table.rows {
                        thead { tr { th { "Ring" } th.num { "Personas" } th.num { "Links" } th { "Linked through" } th.num { "Score" } } }
                        tbody {
                            @for ring in &rings {
                                @let kinds = link_kinds(ring);
                                tr {
                                    td { a href=(ring_href(&ring.id.0)) { (ring.id.0) } }
                                    td.num { (ring.members.len()) }
                                    td.num { (ring.links.len()) }
                                    td { @for k in &kinds { span.chip { (k) } } }
                                    td.num { (score_bar(ring.score.clamp(0.0, 1.0))) }
                                }
                            }
                        }
                    }
                }
            }
            section.card.flush aria-labelledby="recent-h" {
                h2 #recent-h { "Highest-risk subjects" }
                @if recent.is_empty() {
                    p.muted { "No subject is at high or critical risk." }
                } @else {
                    table.rows {
                        thead { tr { th { "Subject" } th { "Level" } th { "Score" } th { "Top findings" } } }
                        tbody {
                            @for row in &recent {
                                tr {
                                    td { a href=(subject_href(&row.id)) { (row.name) } br; span.muted.mono { (row.id) } }
                                    td { (level_badge(&row.level)) }
                                    td { (score_bar(row.score)) }
                                    td {
                                        @for (_, rule) in rules.iter().filter(|(s, _)| s == &row.id).take(4) {
                                            a.chip href=(format!("/console/subjects?rule={}", enc(rule))) { (rule) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p { a href="/console/subjects?level=critical" { "All critical subjects →" } }
                }
            }
        }
        section.card aria-labelledby="versions-h" {
            h2 #versions-h { "What is in force" }
            div.grid.two {
                div {
                    h3 { "Rule pack" }
                    dl.kv {
                        dt { "Version" } dd.mono { (engines.rules.version()) }
                        dt { "Active rules" } dd { (engines.rules.len()) " (" a href="/console/rules" { "see rules" } ")" }
                        @if let Some(first) = recorded_packs.first() {
                            dt { "Recorded" } dd { (first.version) " since " (layout::short_time(&first.activated_at)) }
                        }
                    }
                }
                div {
                    h3 { "Sanctions lists" }
                    table {
                        thead { tr { th { "List" } th { "Version" } th.num { "Entries" } } }
                        tbody {
                            @for list in engines.watchlist.lists() {
                                tr { td { (list.name) } td.mono { (list.version) } td.num { (list.entity_count) } }
                            }
                        }
                    }
                    @if !recorded_lists.is_empty() {
                        p.muted { (recorded_lists.len()) " list versions recorded (" a href="/console/lists" { "history" } ")." }
                    }
                }
            }
        }
    };
    Ok(html(layout::page("Overview", Nav::Overview, body)))
}

/// The distinct kinds of a ring's links (`device`, `payout_account`, …).
pub(crate) fn link_kinds(ring: &redflag_model::Ring) -> Vec<String> {
    let mut kinds: Vec<String> = ring
        .links
        .iter()
        .map(|l| {
            l.identifier_kind
                .map(|k| k.as_str().to_string())
                .unwrap_or_else(|| l.kind.clone())
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}
