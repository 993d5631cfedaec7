//! Evidence packs: one zip per subject or ring that HR or counsel can read offline — a self-contained,
//! print-ready HTML report (styles inline, charts as inline SVG, no script, no remote resource), the
//! findings and evidence as JSON, and the events as CSV.

use std::io::Write;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use redflag_model::Event;
use zip::write::SimpleFileOptions;

use super::pages::rings::{RingView, ring_body};
use super::pages::subject::{SubjectView, body, event_detail, header};
use super::{CSS, ConsoleError, PageResult, engines, store};
use crate::AppState;

/// Extra rules for paper: no navigation, no forms, charts kept whole.
const PRINT_CSS: &str = "body{background:#fff} main{max-width:none;padding:0 1rem} .actions,form{display:none} \
     details{display:block} details>summary{font-weight:600;margin:.5rem 0} .timeline-list{max-height:none} \
     section,article,svg{break-inside:avoid} @page{margin:14mm}";

fn report(title: &str, content: Markup) -> String {
    let generated = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · redflag evidence pack" }
                style { (PreEscaped(CSS)) (PreEscaped(PRINT_CSS)) }
            }
            body {
                main {
                    p.muted { "redflag evidence pack · generated " (generated) " · for the reviewer's judgement, not a verdict. "
                        "Every finding names its rule, its evidence and the public source behind the rule." }
                    (content)
                }
            }
        }
    }
    .into_string()
}

fn events_csv(events: &[(String, &Event)]) -> Result<Vec<u8>, ConsoleError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ConsoleError::BadRequest(format!("CSV: {e}"));
    writer
        .write_record([
            "subject",
            "event_id",
            "time_utc",
            "kind",
            "detail",
            "identifiers",
            "source",
        ])
        .map_err(fail)?;
    for (subject, e) in events {
        let ids = e
            .identifiers
            .iter()
            .map(|i| i.key())
            .collect::<Vec<_>>()
            .join(" ");
        writer
            .write_record([
                subject.as_str(),
                e.id.as_str(),
                &e.time.to_rfc3339(),
                e.kind.name(),
                &event_detail(e),
                &ids,
                &e.provenance.to_string(),
            ])
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| ConsoleError::BadRequest(format!("CSV: {e}")))
}

fn zip_files(files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, ConsoleError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let fail = |e: String| ConsoleError::BadRequest(format!("zip: {e}"));
    for (name, bytes) in files {
        zip.start_file(*name, options)
            .map_err(|e| fail(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| fail(e.to_string()))?;
    }
    Ok(zip.finish().map_err(|e| fail(e.to_string()))?.into_inner())
}

fn download(name: &str, bytes: Vec<u8>) -> axum::response::Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"redflag-{safe}.zip\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ConsoleError> {
    serde_json::to_vec_pretty(value).map_err(|e| ConsoleError::BadRequest(format!("JSON: {e}")))
}

/// The pack of one subject.
pub(crate) async fn subject_pack(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let engines = engines(&state).await?;
    let view = SubjectView::load(store(&state), &engines.netintel, &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("subject {id:?}")))?;
    let html = report(
        &view.subject.name.full,
        html! { (header(&view, false)) (body(&view)) },
    );
    let findings = serde_json::json!({
        "subject": view.subject,
        "assessment": view.assessment,
        "facts": view.facts,
    });
    let events: Vec<(String, &Event)> = view
        .events
        .iter()
        .map(|e| (view.subject.id.to_string(), e))
        .collect();
    let bytes = zip_files(&[
        ("report.html", html.into_bytes()),
        ("findings.json", json(&findings)?),
        ("events.csv", events_csv(&events)?),
        ("README.txt", README.as_bytes().to_vec()),
    ])?;
    Ok(download(view.subject.id.as_str(), bytes))
}

/// The pack of one ring: the ring report, every member's findings, and their events.
pub(crate) async fn ring_pack(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let store = store(&state);
    let view = RingView::load(store, &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("ring {id:?}")))?;
    let mut events = Vec::new();
    for (subject, _) in &view.members {
        for e in store
            .console_events(&subject.id, super::pages::subject::EVENT_LIMIT)
            .await?
        {
            events.push((subject.id.to_string(), e));
        }
    }
    let content = html! {
        h1 { "Ring " (view.ring.id.0) }
        p { (view.members.len()) " personas, " (view.ring.links.len()) " links." }
        (ring_body(&view))
        h2 { "Members' findings" }
        @for (s, a) in &view.members {
            section.card {
                h3 { (s.name.full) " " span.muted.mono { (s.id) } }
                @if let Some(a) = a {
                    p { (format!("{:.0}%", a.score * 100.0)) " · " (a.level.as_str()) }
                    ul { @for f in &a.findings { li { span.mono { (f.rule_id) } " " (f.title) ": " (f.explanation) } } }
                }
            }
        }
    };
    let html = report(&format!("Ring {}", view.ring.id.0), content);
    let members: Vec<_> = view
        .members
        .iter()
        .map(|(s, a)| serde_json::json!({ "subject": s, "assessment": a }))
        .collect();
    let findings = serde_json::json!({ "ring": view.ring, "members": members });
    let borrowed: Vec<(String, &Event)> = events.iter().map(|(s, e)| (s.clone(), e)).collect();
    let bytes = zip_files(&[
        ("report.html", html.into_bytes()),
        ("findings.json", json(&findings)?),
        ("events.csv", events_csv(&borrowed)?),
        ("README.txt", README.as_bytes().to_vec()),
    ])?;
    Ok(download(&view.ring.id.0, bytes))
}

const README: &str = "redflag evidence pack\n\n\
report.html    the report: open it in any browser, offline; print it to PDF from the browser.\n\
findings.json  the subject(s), assessment(s) with every finding, its evidence and public sources, and facts.\n\
events.csv     the events behind the findings (UTC times).\n\n\
A flag is evidence for a person to weigh, never a verdict. No one is flagged for name, ethnicity or nationality.\n";
