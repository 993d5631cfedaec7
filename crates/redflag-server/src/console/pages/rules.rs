//! Rules in force (with per-rule hit counts and public sources) and the sanctions lists loaded.

use axum::extract::State;
use maud::html;

use super::html;
use crate::AppState;
use crate::console::layout::{self, Nav, enc, severity_badge, short_time};
use crate::console::{PageResult, engines, ensure_indexes, rule_hits, store};

pub(crate) async fn rules(State(state): State<AppState>) -> PageResult {
    let store = store(&state);
    ensure_indexes(store).await?;
    let engines = engines(&state).await?;
    let hits = rule_hits(store).await?;
    let packs = store.rule_pack_versions().await?;
    let mut rules: Vec<_> = engines.rules.rules().iter().collect();
    rules.sort_by(|a, b| {
        a.rule()
            .stage
            .cmp(&b.rule().stage)
            .then_with(|| a.id().cmp(b.id()))
    });
    let body = html! {
        h1 { "Rules" }
        p.muted {
            "Rule pack " span.mono { (engines.rules.version()) } ": " (engines.rules.len()) " active rules"
            @if !engines.rules.errors().is_empty() { ", " (engines.rules.errors().len()) " not loaded (run " code { "redflag rules lint" } ")" }
            ". Hit counts: subjects each rule fired for (refreshed every minute)."
        }
        table.rows #rules {
            thead { tr {
                th scope="col" { "Rule" } th scope="col" { "Stage" } th scope="col" { "Severity" } th.num scope="col" { "Weight" }
                th scope="col" { "Status" } th.num scope="col" { "Hits" } th scope="col" { "What it means and where it comes from" }
            } }
            tbody {
                @for r in &rules {
                    @let rule = r.rule();
                    @let n = hits.iter().find(|(id, _)| id == r.id()).map_or(0, |(_, n)| *n);
                    tr id=(r.id()) {
                        td.mono { (r.id()) }
                        td { (rule.stage.as_str()) }
                        td { (severity_badge(rule.severity.as_str())) }
                        td.num { (format!("{:+.1}", r.weight())) }
                        td { (rule.status.as_str()) }
                        td.num { @if n > 0 { a href=(format!("/console/subjects?rule={}", enc(r.id()))) { (n) } } @else { "0" } }
                        td {
                            strong { (rule.title) } br;
                            (rule.description) br;
                            span.mono.muted { (rule.condition) }
                            ul.sources { @for reference in &rule.references { li { a href=(reference.url) rel="noreferrer noopener" target="_blank" { (reference.title) } @if !reference.indicators.is_empty() { " " span.muted { (reference.indicators.join(", ")) } } } } }
                            @if !rule.false_positives.is_empty() { details { summary { "Known false positives" } ul { @for fp in &rule.false_positives { li { (fp) } } } } }
                        }
                    }
                }
            }
        }
        @if !packs.is_empty() {
            section.card {
                h2 { "Rule-pack history" }
                table { thead { tr { th { "Version" } th.num { "Rules" } th { "First used" } } }
                    tbody { @for p in &packs { tr { td.mono { (p.version) } td.num { (p.rule_count) } td { (short_time(&p.activated_at)) } } } } }
            }
        }
    };
    Ok(html(layout::page("Rules", Nav::Rules, body)))
}

pub(crate) async fn lists(State(state): State<AppState>) -> PageResult {
    let store = store(&state);
    let engines = engines(&state).await?;
    let recorded = store.list_versions().await?;
    let body = html! {
        h1 { "Lists" }
        h2 { "Sanctions lists in force" }
        table.rows #lists {
            thead { tr { th { "List" } th { "Id" } th { "Version" } th { "Published" } th.num { "Entries" } th { "SHA-256" } th { "Source" } } }
            tbody {
                @for l in engines.watchlist.lists() {
                    tr {
                        td { (l.name) } td.mono { (l.id) } td.mono { (l.version) }
                        td { (l.published.map(|d| d.to_string()).unwrap_or_default()) }
                        td.num { (l.entity_count) }
                        td.mono { (l.sha256.get(..16).unwrap_or(&l.sha256)) "…" }
                        td { a href=(l.source_url) rel="noreferrer noopener" target="_blank" { "official download" } }
                    }
                }
            }
        }
        h2 { "Network data" }
        table {
            thead { tr { th { "Data set" } th { "Role" } th.num { "Entries" } th { "Date" } th { "Licence" } th { "Source" } } }
            tbody {
                @for s in engines.netintel.status() {
                    tr {
                        td { (s.dataset.name) } td.mono { (s.role) } td.num { (s.entries) } td { (s.dataset.date) }
                        td { (s.dataset.licence) } td.mono { (s.dataset.source) }
                    }
                }
            }
        }
        @if !recorded.is_empty() {
            h2 { "Version history" }
            table {
                thead { tr { th { "List" } th { "Version" } th.num { "Entries" } th { "First used" } } }
                tbody { @for v in &recorded { tr { td.mono { (v.list_id) } td.mono { (v.version) } td.num { (v.entity_count) } td { (short_time(&v.activated_at)) } } } }
            }
        }
    };
    Ok(html(layout::page("Lists", Nav::Lists, body)))
}
