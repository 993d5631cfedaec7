//! Cases: open one on a subject or ring, assign, comment, decide with a reason; the history comes from
//! the case's comments and decisions and the audit log. Every write goes through the store's case
//! functions, which audit it in the same transaction.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::Extensions;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use redflag_store::{CaseFilter, CaseTarget, Decision};
use serde::Deserialize;

use super::html;
use crate::AppState;
use crate::console::layout::{self, Nav, ring_href, short_time, subject_href};
use crate::console::{ConsoleError, PageResult, actor, store};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    assignee: String,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let filter = CaseFilter {
        status: (!query.status.is_empty()).then(|| query.status.clone()),
        assignee: (!query.assignee.is_empty()).then(|| query.assignee.clone()),
        target_id: None,
        limit: Some(200),
    };
    let cases = store(&state).cases(&filter).await?;
    let body = html! {
        h1 { "Cases" }
        form.filters method="get" action="/console/cases" aria-label="Filter cases" {
            label for="c-status" { "Status"
                select #c-status name="status" {
                    option value="" { "any" }
                    @for s in ["open", "decided"] { option value=(s) selected[query.status == s] { (s) } }
                }
            }
            label for="c-assignee" { "Assignee" input #c-assignee name="assignee" value=(query.assignee) size="14"; }
            button type="submit" { "Apply" }
        }
        @if cases.is_empty() {
            p.notice { "No cases. Open one from a subject's or a ring's page." }
        } @else {
            table.rows #cases {
                thead { tr { th { "Case" } th { "About" } th { "Status" } th { "Assignee" } th { "Decision" } th { "Updated" } } }
                tbody {
                    @for c in &cases {
                        tr {
                            td { a href=(format!("/console/cases/{}", c.id)) { "#" (c.id) " " (c.title) } }
                            td { (target_link(c.target_kind, &c.target_id)) }
                            td { span class=(if c.status == "open" { "badge high" } else { "badge ok" }) { (c.status) } }
                            td { (c.assignee.clone().unwrap_or_else(|| "—".into())) }
                            td { (c.decision.map(|d| d.as_str().replace('_', " ")).unwrap_or_default()) }
                            td { (short_time(&c.updated_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(html(layout::page("Cases", Nav::Cases, body)))
}

fn target_link(kind: CaseTarget, id: &str) -> maud::Markup {
    let href = match kind {
        CaseTarget::Subject => subject_href(id),
        CaseTarget::Ring => ring_href(id),
    };
    html! { (kind.as_str()) " " a.mono href=(href) { (id) } }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OpenForm {
    target_kind: String,
    target_id: String,
}

pub(crate) async fn open(
    State(state): State<AppState>,
    extensions: Extensions,
    Form(form): Form<OpenForm>,
) -> PageResult {
    let kind = CaseTarget::parse(&form.target_kind).ok_or_else(|| {
        ConsoleError::BadRequest(format!("Unknown case target {:?}.", form.target_kind))
    })?;
    let store = store(&state);
    let exists = match kind {
        CaseTarget::Subject => store
            .subject(&redflag_model::SubjectId::from_stored(
                form.target_id.clone(),
            ))
            .await?
            .is_some(),
        CaseTarget::Ring => store.ring(&form.target_id).await?.is_some(),
    };
    if !exists {
        return Err(ConsoleError::NotFound(format!(
            "{} {:?}",
            kind.as_str(),
            form.target_id
        )));
    }
    let title = format!("Review of {} {}", kind.as_str(), form.target_id);
    let case = store
        .open_case(&actor(&extensions), kind, &form.target_id, &title)
        .await?;
    Ok(Redirect::to(&format!("/console/cases/{}", case.id)).into_response())
}

pub(crate) async fn page(State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let store = store(&state);
    let case = store
        .case(id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("case #{id}")))?;
    let comments = store.case_comments(id).await?;
    let decisions = store.case_decisions(id).await?;
    let audit = store.console_audit_for(&format!("case:{id}"), 200).await?;
    let body = html! {
        section.card.subject-head {
            div {
                p.muted { "Case #" (case.id) " · opened by " (case.opened_by) " on " (short_time(&case.opened_at)) }
                h1 { (case.title) }
                p { (target_link(case.target_kind, &case.target_id)) }
                dl.kv {
                    dt { "Status" } dd #case-status { (case.status) }
                    dt { "Assignee" } dd #case-assignee { (case.assignee.clone().unwrap_or_else(|| "nobody".into())) }
                    @if let Some(d) = case.decision {
                        dt { "Decision" } dd #case-decision { strong { (d.as_str().replace('_', " ")) } " by " (case.decided_by.clone().unwrap_or_default()) }
                        dt { "Reason" } dd { (case.decision_reason.clone().unwrap_or_default()) }
                    }
                }
            }
        }
        div.grid.two {
            section.card aria-labelledby="work-h" {
                h2 #work-h { "Work the case" }
                form.stack method="post" action=(format!("/console/cases/{id}/assign")) {
                    label for="assignee" { "Assign to" input #assignee name="assignee" required value=(case.assignee.clone().unwrap_or_default()); }
                    div { button type="submit" { "Assign" } }
                }
                hr;
                form.stack method="post" action=(format!("/console/cases/{id}/comment")) {
                    label for="comment" { "Comment" textarea #comment name="body" required {} }
                    div { button type="submit" { "Add comment" } }
                }
                hr;
                form.stack method="post" action=(format!("/console/cases/{id}/decide")) {
                    label for="decision" { "Decision"
                        select #decision name="decision" required {
                            option value="" { "choose…" }
                            option value="cleared" { "cleared — nothing to act on" }
                            option value="escalated" { "escalated — to a senior reviewer, legal or security" }
                            option value="confirmed" { "confirmed — the evidence holds" }
                            option value="false_positive" { "false positive — the flags were wrong" }
                        }
                    }
                    label for="reason" { "Reason (required; say which evidence you relied on)" textarea #reason name="reason" required minlength="10" {} }
                    div { button type="submit" { "Record decision" } }
                }
            }
            section.card aria-labelledby="hist-h" {
                h2 #hist-h { "History" }
                ul.history #case-history {
                    @for d in &decisions {
                        li { strong { (d.decision.as_str().replace('_', " ")) } " by " (d.actor) " · " (short_time(&d.at)) br; (d.reason) }
                    }
                    @for c in &comments {
                        li { span.muted { (c.author) " · " (short_time(&c.at)) } br; (c.body) }
                    }
                }
                h3 { "Audit log" }
                table {
                    thead { tr { th.num { "#" } th { "When" } th { "Who" } th { "What" } } }
                    tbody { @for r in &audit { tr { td.num { (r.seq) } td { (short_time(&r.at)) } td { (r.actor) } td.mono { (r.action) } } } }
                }
            }
        }
    };
    Ok(html(layout::page(&case.title, Nav::Cases, body)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    assignee: String,
}

pub(crate) async fn assign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    extensions: Extensions,
    Form(form): Form<AssignForm>,
) -> PageResult {
    let assignee = form.assignee.trim();
    if assignee.is_empty() || assignee.len() > 100 {
        return Err(ConsoleError::BadRequest(
            "Give the analyst's name (at most 100 characters).".into(),
        ));
    }
    store(&state)
        .assign_case(&actor(&extensions), id, assignee)
        .await?;
    Ok(Redirect::to(&format!("/console/cases/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CommentForm {
    body: String,
}

pub(crate) async fn comment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    extensions: Extensions,
    Form(form): Form<CommentForm>,
) -> PageResult {
    let body = form.body.trim();
    if body.is_empty() || body.len() > 10_000 {
        return Err(ConsoleError::BadRequest(
            "A comment needs text (at most 10 000 characters).".into(),
        ));
    }
    store(&state)
        .comment_case(&actor(&extensions), id, body)
        .await?;
    Ok(Redirect::to(&format!("/console/cases/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecideForm {
    decision: String,
    reason: String,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    extensions: Extensions,
    Form(form): Form<DecideForm>,
) -> PageResult {
    let decision = Decision::parse(form.decision.trim()).ok_or_else(|| {
        ConsoleError::BadRequest(format!("Unknown decision {:?}.", form.decision))
    })?;
    let reason = form.reason.trim();
    if reason.chars().count() < 10 {
        return Err(ConsoleError::BadRequest(
            "A decision needs a reason of at least 10 characters.".into(),
        ));
    }
    store(&state)
        .decide_case(&actor(&extensions), id, decision, reason)
        .await?;
    Ok(Redirect::to(&format!("/console/cases/{id}")).into_response())
}
