//! Rings: the list, and one ring's graph of personas and linking identifiers with a side-by-side
//! comparison of its members.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use maud::{Markup, html};
use redflag_model::{Assessment, IdentifierKind, Ring, Subject};
use redflag_store::Store;

use super::html;
use super::overview::link_kinds;
use crate::AppState;
use crate::console::charts::{self, GraphLink, GraphPersona};
use crate::console::layout::{self, Nav, enc, level_badge, ring_href, score_bar, subject_href};
use crate::console::{ConsoleError, PageResult, store};

pub(crate) async fn list(State(state): State<AppState>) -> PageResult {
    let rings = store(&state).console_top_rings(500).await?;
    let body = html! {
        h1 { "Rings" }
        p.muted { "Groups of personas that share identifiers (payout accounts, devices, phones, addresses…). Highest score first." }
        table.rows {
            thead { tr { th { "Ring" } th.num { "Personas" } th.num { "Links" } th { "Linked through" } th { "Score" } } }
            tbody {
                @for ring in &rings {
                    tr {
                        td { a href=(ring_href(&ring.id.0)) { (ring.id.0) } }
                        td.num { (ring.members.len()) }
                        td.num { (ring.links.len()) }
                        td { @for k in link_kinds(ring) { span.chip { (k) } } }
                        td { (score_bar(ring.score.clamp(0.0, 1.0))) }
                    }
                }
            }
        }
        @if rings.is_empty() { p.notice { "No rings found." } }
    };
    Ok(html(layout::page("Rings", Nav::Rings, body)))
}

/// A ring with its members' records.
pub(crate) struct RingView {
    pub ring: Ring,
    pub members: Vec<(Subject, Option<Assessment>)>,
}

impl RingView {
    pub(crate) async fn load(store: &Store, id: &str) -> Result<Option<Self>, ConsoleError> {
        let Some(ring) = store.ring(id).await? else {
            return Ok(None);
        };
        let subjects = store.console_subjects_by_id(&ring.members).await?;
        let assessments = store.console_assessments_of(&ring.members).await?;
        let mut members: Vec<(Subject, Option<Assessment>)> = subjects
            .into_iter()
            .map(|s| {
                let a = assessments.iter().find(|a| a.subject == s.id).cloned();
                (s, a)
            })
            .collect();
        members.sort_by(|a, b| {
            let score = |m: &(Subject, Option<Assessment>)| m.1.as_ref().map_or(0.0, |a| a.score);
            score(b)
                .total_cmp(&score(a))
                .then_with(|| a.0.id.cmp(&b.0.id))
        });
        Ok(Some(Self { ring, members }))
    }

    /// Graph data: personas in member order, and one link node per shared value.
    pub(crate) fn graph(&self) -> (Vec<GraphPersona>, Vec<GraphLink>) {
        let personas: Vec<GraphPersona> = self
            .members
            .iter()
            .map(|(s, a)| GraphPersona {
                id: s.id.to_string(),
                name: s.name.full.clone(),
                level: a
                    .as_ref()
                    .map(|a| a.level.as_str().to_string())
                    .unwrap_or_else(|| "low".into()),
                href: subject_href(s.id.as_str()),
            })
            .collect();
        let index = |id: &str| personas.iter().position(|p| p.id == id);
        let mut links: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for l in &self.ring.links {
            let kind = l
                .identifier_kind
                .map(|k| k.as_str().to_string())
                .unwrap_or_else(|| l.kind.clone());
            let entry = links.entry((kind, l.value.clone())).or_default();
            for m in [index(l.a.as_str()), index(l.b.as_str())]
                .into_iter()
                .flatten()
            {
                if !entry.contains(&m) {
                    entry.push(m);
                }
            }
        }
        let links = links
            .into_iter()
            .map(|((kind, value), members)| GraphLink {
                kind,
                value,
                members,
            })
            .collect();
        (personas, links)
    }
}

pub(crate) async fn page(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let store = store(&state);
    let view = RingView::load(store, &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("ring {id:?}")))?;
    let cases = store
        .cases(&redflag_store::CaseFilter {
            target_id: Some(view.ring.id.0.clone()),
            limit: Some(10),
            ..Default::default()
        })
        .await?;
    let body = html! {
        section.card.subject-head {
            div {
                p.muted { "Ring" }
                h1 { (view.ring.id.0) }
                p { (view.members.len()) " personas linked by " (view.ring.links.len()) " shared identifiers or signals. "
                    "Members of a ring may be one operator behind several identities — or colleagues sharing an office; read the links." }
            }
            div.actions {
                a.button href=(format!("{}/pack.zip", ring_href(&view.ring.id.0))) download { "Download evidence pack" }
                a.button.secondary href=(format!("/console/subjects?ring={}", enc(&view.ring.id.0))) { "List members" }
                @if let Some(open) = cases.iter().find(|c| c.status == "open") {
                    a.button.secondary href=(format!("/console/cases/{}", open.id)) { "Case #" (open.id) }
                } @else {
                    form method="post" action="/console/cases" {
                        input type="hidden" name="target_kind" value="ring";
                        input type="hidden" name="target_id" value=(view.ring.id.0);
                        button.secondary type="submit" { "Open a case" }
                    }
                }
            }
        }
        (ring_body(&view))
    };
    Ok(html(layout::page(&view.ring.id.0, Nav::Rings, body)))
}

fn values(subject: &Subject, kind: IdentifierKind) -> Vec<String> {
    subject.identifiers_of(kind).map(|i| i.value()).collect()
}

/// Graph, links and comparison table (shared with the evidence pack).
pub(crate) fn ring_body(view: &RingView) -> Markup {
    let (personas, links) = view.graph();
    let shared: std::collections::HashSet<(String, String)> = links
        .iter()
        .map(|l| (l.kind.clone(), l.value.clone()))
        .collect();
    let cell = |s: &Subject, kind: IdentifierKind| -> Markup {
        html! {
            @for v in values(s, kind) {
                @if shared.contains(&(kind.as_str().to_string(), v.clone())) {
                    mark.chip title="shared within the ring" { (v) }
                } @else {
                    span.chip { (v) }
                }
            }
        }
    };
    html! {
        section.card aria-labelledby="graph-h" {
            h2 #graph-h { "Graph" }
            (charts::ring_graph(&personas, &links))
        }
        section.card aria-labelledby="cmp-h" {
            h2 #cmp-h { "Members side by side" }
            p.muted { "Highlighted values are shared with another member." }
            div.timeline-list {
                table.rows #ring-members {
                    thead { tr {
                        th scope="col" { "Persona" } th scope="col" { "Level" } th scope="col" { "Score" } th scope="col" { "Claims" }
                        th scope="col" { "Emails" } th scope="col" { "Phones" } th scope="col" { "Payout / wallets" } th scope="col" { "Devices" } th scope="col" { "Findings" }
                    } }
                    tbody {
                        @for (s, a) in &view.members {
                            tr {
                                td { a href=(subject_href(s.id.as_str())) { (s.name.full) } br; span.muted.mono { (s.id) } }
                                td { @if let Some(a) = a { (level_badge(a.level.as_str())) } }
                                td { @if let Some(a) = a { (score_bar(a.score)) } }
                                td { (s.claimed.country.map(|c| c.as_str().to_string()).unwrap_or_default()) br; span.muted { (s.claimed.timezone.map(|t| t.name().to_string()).unwrap_or_default()) } }
                                td { (cell(s, IdentifierKind::Email)) }
                                td { (cell(s, IdentifierKind::Phone)) }
                                td { (cell(s, IdentifierKind::PayoutAccount)) (cell(s, IdentifierKind::Wallet)) }
                                td { (cell(s, IdentifierKind::Device)) }
                                td { @if let Some(a) = a { @for f in a.findings.iter().take(6) { a.chip href=(format!("/console/rules#{}", f.rule_id)) title=(f.title) { (f.rule_id) } } } }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="links-h" {
            h2 #links-h { "Links" }
            table {
                thead { tr { th { "Kind" } th { "Value" } th { "Personas" } } }
                tbody {
                    @for l in &links {
                        tr {
                            td { (l.kind.replace('_', " ")) }
                            td.mono { (l.value) }
                            td { @for &m in &l.members { @if let Some(p) = personas.get(m) { a.chip href=(p.href) { (p.name) } } } }
                        }
                    }
                }
            }
        }
    }
}
