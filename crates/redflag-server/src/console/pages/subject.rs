//! The subject page: score and level, each finding with its evidence and public sources, sanctions
//! matches field by field, the sign-in map, the timeline, the activity heatmap, identifiers and the
//! personas linked through each, facts and recent events. [`SubjectView`] gathers the data once; the
//! page and the evidence pack render the same view.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use chrono::{Datelike, Offset, TimeZone, Timelike, Utc};
use maud::{Markup, html};
use redflag_model::{Assessment, Event, EventKind, Fact, Identifier, Subject, SubjectId};
use redflag_netintel::NetIntel;
use redflag_store::console_queries::LinkedPersona;
use redflag_store::{Case, CaseFilter, Store};

use super::html;
use crate::AppState;
use crate::console::charts::{self, MapPoint, PointKind, TimelinePoint};
use crate::console::layout::{
    self, Nav, enc, level_badge, ring_href, severity_badge, subject_href,
};
use crate::console::{ConsoleError, PageResult, engines, store};

/// Events read for one subject's charts (the most recent ones).
pub(crate) const EVENT_LIMIT: i64 = 2000;

/// Evidence rows shown before the rest fold away.
const EVIDENCE_SHOWN: usize = 6;

/// Everything shown about one subject.
pub(crate) struct SubjectView {
    pub subject: Subject,
    pub assessment: Option<Assessment>,
    pub facts: Vec<Fact>,
    pub events: Vec<Event>,
    pub linked: Vec<LinkedPersona>,
    pub cases: Vec<Case>,
    pub map: Vec<MapPoint>,
    pub timeline: Vec<TimelinePoint>,
    pub heat: [[u32; 24]; 7],
    pub offset_hours: Option<i32>,
    pub zone: String,
}

impl SubjectView {
    /// Reads a subject and derives its charts; `None` when there is no such subject.
    pub(crate) async fn load(
        store: &Store,
        netintel: &NetIntel,
        id: &str,
    ) -> Result<Option<Self>, ConsoleError> {
        let id = SubjectId::from_stored(id.to_string());
        let Some(subject) = store.subject(&id).await? else {
            return Ok(None);
        };
        let assessment = store.assessment(&id).await?;
        let facts = store.console_facts(&id).await?;
        let events = store.console_events(&id, EVENT_LIMIT).await?;
        let linked = store.console_linked(&id, 200).await?;
        let cases = store
            .cases(&CaseFilter {
                target_id: Some(id.as_str().to_string()),
                limit: Some(20),
                ..CaseFilter::default()
            })
            .await?;
        let tz = subject.claimed.timezone;
        let reference = events.last().map(|e| e.time).unwrap_or_else(Utc::now);
        let offset_hours = tz.map(|tz| {
            tz.offset_from_utc_datetime(&reference.naive_utc())
                .fix()
                .local_minus_utc()
                / 3600
        });
        let zone = tz
            .map(|tz| tz.name().to_string())
            .unwrap_or_else(|| "UTC".to_string());
        let map = map_points(&subject, &events, netintel);
        let timeline = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::SignIn(s) => {
                    let info = s.ip.map(|ip| netintel.lookup(ip));
                    let kind = point_kind(info.as_ref());
                    let local = match tz {
                        Some(tz) => {
                            let t = e.time.with_timezone(&tz);
                            f64::from(t.hour()) + f64::from(t.minute()) / 60.0
                        }
                        None => f64::from(e.time.hour()) + f64::from(e.time.minute()) / 60.0,
                    };
                    Some(TimelinePoint {
                        unix: e.time.timestamp(),
                        local_hour: local,
                        kind,
                        failed: s.outcome == redflag_model::SignInOutcome::Failure,
                        label: format!(
                            "{} {}{}",
                            e.time.format("%Y-%m-%d %H:%M UTC"),
                            s.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                            info.as_ref()
                                .and_then(|i| i.vpn_provider().map(|v| format!(" via {v}")))
                                .unwrap_or_default()
                        ),
                    })
                }
                _ => None,
            })
            .collect();
        let mut heat = [[0u32; 24]; 7];
        for e in &events {
            let d = e.time.weekday().num_days_from_monday() as usize;
            heat[d][e.time.hour() as usize] += 1;
        }
        Ok(Some(Self {
            subject,
            assessment,
            facts,
            events,
            linked,
            cases,
            map,
            timeline,
            heat,
            offset_hours,
            zone,
        }))
    }
}

fn point_kind(info: Option<&redflag_netintel::IpInfo<'_>>) -> PointKind {
    match info {
        Some(i) if i.is_vpn() || i.is_tor() || i.is_relay() => PointKind::Vpn,
        Some(i) if i.is_hosting() => PointKind::Hosting,
        _ => PointKind::Direct,
    }
}

/// Sign-in places (grouped), the claimed location and payout / shipping addresses.
fn map_points(subject: &Subject, events: &[Event], netintel: &NetIntel) -> Vec<MapPoint> {
    let mut grouped: BTreeMap<(i64, i64, PointKind), MapPoint> = BTreeMap::new();
    let mut add = |lat: f64, lon: f64, kind: PointKind, label: String| {
        let key = ((lat * 10.0) as i64, (lon * 10.0) as i64, kind);
        grouped
            .entry(key)
            .and_modify(|p| p.count += 1)
            .or_insert(MapPoint {
                latitude: lat,
                longitude: lon,
                kind,
                label,
                count: 1,
            });
    };
    let centroid = |c: redflag_model::CountryCode| netintel.country_location(c);
    for e in events {
        match &e.kind {
            EventKind::SignIn(s) => {
                let Some(ip) = s.ip else { continue };
                let info = netintel.lookup(ip);
                let location = info.location.map(|l| l.value).or_else(|| {
                    info.country
                        .and_then(|c| netintel.country_location(c.value))
                });
                let Some(loc) = location else { continue };
                let place = [
                    info.city.map(|c| c.value.to_string()),
                    info.country.map(|c| c.value.as_str().to_string()),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                let network = info
                    .vpn_provider()
                    .map(|v| format!("VPN {v}"))
                    .or_else(|| {
                        info.asn
                            .and_then(|a| a.value.organization.map(str::to_string))
                    })
                    .unwrap_or_default();
                add(
                    loc.latitude,
                    loc.longitude,
                    point_kind(Some(&info)),
                    format!("{place} {network}").trim().to_string(),
                );
            }
            EventKind::PayoutChange(p) => {
                if let Some(loc) = p.country.and_then(centroid) {
                    add(
                        loc.latitude,
                        loc.longitude,
                        PointKind::Address,
                        format!(
                            "payout {} {}",
                            p.provider.clone().unwrap_or_default(),
                            p.country
                                .map(|c| c.as_str().to_string())
                                .unwrap_or_default()
                        ),
                    );
                }
            }
            EventKind::Shipment(s) => {
                if let Some(loc) = s.address.country.and_then(centroid) {
                    add(
                        loc.latitude,
                        loc.longitude,
                        PointKind::Address,
                        format!("shipping: {}", s.address.original),
                    );
                }
            }
            _ => {}
        }
    }
    for identifier in &subject.identifiers {
        if let Identifier::PostalAddress(a) = identifier
            && let Some(loc) = a.country.and_then(centroid)
        {
            add(
                loc.latitude,
                loc.longitude,
                PointKind::Address,
                format!("address: {}", a.original),
            );
        }
    }
    if let Some(country) = subject.claimed.country
        && let Some(loc) = centroid(country)
    {
        add(
            loc.latitude,
            loc.longitude,
            PointKind::Claimed,
            format!(
                "{}{}",
                subject
                    .claimed
                    .city
                    .as_ref()
                    .map(|c| format!("{c}, "))
                    .unwrap_or_default(),
                country.name()
            ),
        );
    }
    grouped.into_values().collect()
}

pub(crate) async fn page(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let store = store(&state);
    let engines = engines(&state).await?;
    let view = SubjectView::load(store, &engines.netintel, &id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("subject {id:?}")))?;
    let body = html! {
        (header(&view, true))
        (body(&view))
    };
    Ok(html(layout::page(
        &view.subject.name.full,
        Nav::Subjects,
        body,
    )))
}

/// The head of the page: who, score, level, actions.
pub(crate) fn header(view: &SubjectView, actions: bool) -> Markup {
    let s = &view.subject;
    let a = view.assessment.as_ref();
    html! {
        section.card.subject-head aria-label="Summary" {
            div {
                p.muted { (s.kind.as_str().replace('_', " ")) " · " span.mono { (s.id) } }
                h1 #subject-name { (s.name.full) }
                dl.kv {
                    @if let Some(role) = &s.role { dt { "Role" } dd { (role) } }
                    dt { "Claims to live in" } dd {
                        @if let Some(city) = &s.claimed.city { (city) ", " }
                        (s.claimed.country.map(|c| c.name()).unwrap_or_else(|| "—".into()))
                    }
                    dt { "Claimed time zone" } dd { (s.claimed.timezone.map(|t| t.name().to_string()).unwrap_or_else(|| "—".into())) }
                    dt { "Source" } dd { (s.provenance) }
                    @if let Some(a) = a {
                        @if let Some(ring) = &a.ring { dt { "Ring" } dd { a href=(ring_href(&ring.0)) { (ring.0) } } }
                        dt { "Assessed" } dd { (a.assessed_at.format("%Y-%m-%d %H:%M UTC")) " with rule pack " span.mono { (a.versions.rule_pack) } }
                    }
                }
            }
            div {
                @if let Some(a) = a {
                    div.big { (format!("{:.0}%", a.score * 100.0)) }
                    p { (level_badge(a.level.as_str())) " " span.muted { (a.findings.len()) " findings · log-odds " (format!("{:+.2}", a.log_odds)) } }
                } @else {
                    p.notice { "Not assessed yet." }
                }
                @if actions {
                    div.actions {
                        a.button href=(format!("{}/pack.zip", subject_href(s.id.as_str()))) download { "Download evidence pack" }
                        @if let Some(open) = view.cases.iter().find(|c| c.status == "open") {
                            a.button.secondary href=(format!("/console/cases/{}", open.id)) { "Case #" (open.id) }
                        } @else {
                            form method="post" action="/console/cases" {
                                input type="hidden" name="target_kind" value="subject";
                                input type="hidden" name="target_id" value=(s.id);
                                button.secondary type="submit" { "Open a case" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Findings, sanctions, charts, identifiers, facts and events.
pub(crate) fn body(view: &SubjectView) -> Markup {
    let a = view.assessment.as_ref();
    let mut findings: Vec<&redflag_model::Finding> =
        a.map(|a| a.findings.iter().collect()).unwrap_or_default();
    findings.sort_by(|x, y| y.weight.total_cmp(&x.weight));
    html! {
        div.grid.charts {
                section.card aria-labelledby="map-h" {
                    h2 #map-h { "Where: sign-ins, claimed location and addresses" }
                    (charts::world_map(&view.map))
                    details {
                        summary { "Places (" (view.map.len()) ")" }
                        table {
                            thead { tr { th { "What" } th { "Place" } th.num { "Count" } } }
                            tbody { @for p in &view.map { tr { td { (p.kind.label()) } td { (p.label) } td.num { (p.count) } } } }
                        }
                    }
                }
                section.card aria-labelledby="tl-h" {
                    h2 #tl-h { "When: sign-ins by local hour (" (view.zone) ")" }
                    @if view.timeline.is_empty() { p.muted { "No sign-ins recorded." } } @else { (charts::timeline(&view.timeline, &view.zone)) }
                }
                section.card aria-labelledby="hm-h" {
                    h2 #hm-h { "Activity hours (UTC) against the claimed working day" }
                    (charts::heatmap(&view.heat, view.offset_hours, &view.zone))
                    p.muted { "Darker: more events. Green outline: 09:00–18:00 Monday–Friday in " (view.zone) ", shown in UTC." }
                }
        }
        section.card aria-labelledby="findings-h" {
                h2 #findings-h { "Why: findings (" (findings.len()) ")" }
                @if findings.is_empty() { p.muted { "No rule fired." } }
                @for f in &findings {
                    article class=(format!("finding {}", f.severity.as_str())) {
                        header {
                            a.rule href=(format!("/console/rules#{}", f.rule_id)) { (f.rule_id) }
                            strong { (f.title) }
                            (severity_badge(f.severity.as_str()))
                            span.muted { (f.stage.as_str()) " · weight " (format!("{:+.1}", f.weight)) }
                        }
                        p { (f.explanation) }
                        @if !f.evidence.is_empty() {
                            table {
                                thead { tr { th scope="col" { "Evidence" } th scope="col" { "Value" } th scope="col" { "Record" } } }
                                tbody {
                                    @for e in f.evidence.iter().take(EVIDENCE_SHOWN) {
                                        tr { td { (e.label) } td.mono { (e.value) } td.muted { @if let Some(src) = &e.source { (src) } } }
                                    }
                                }
                            }
                            @if f.evidence.len() > EVIDENCE_SHOWN {
                                details {
                                    summary { (f.evidence.len() - EVIDENCE_SHOWN) " more evidence rows" }
                                    table {
                                        tbody {
                                            @for e in f.evidence.iter().skip(EVIDENCE_SHOWN) {
                                                tr { td { (e.label) } td.mono { (e.value) } td.muted { @if let Some(src) = &e.source { (src) } } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if !f.citations.is_empty() {
                            ul.sources aria-label="Public sources" {
                                @for c in &f.citations {
                                    li {
                                        a href=(c.url) rel="noreferrer noopener" target="_blank" { (c.title) }
                                        @if !c.indicators.is_empty() { " " span.muted { "indicators " (c.indicators.join(", ")) } }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(a) = a {
                    @if !a.sanctions.is_empty() {
                        h2 #sanctions-h { "Sanctions matches (" (a.sanctions.len()) ")" }
                        @for m in &a.sanctions {
                            article.finding.critical {
                                header {
                                    strong { (m.entry_name) }
                                    span.muted { (m.list) " " (m.list_version) " · entry " span.mono { (m.entry_id) } }
                                    span.badge.high { (format!("score {:.2}", m.score)) }
                                    @if m.exact_identifier { span.badge.critical { "exact identifier" } }
                                    @if m.corroborated { span.badge.high { "corroborated" } } @else { span.badge.low { "name only" } }
                                }
                                @if !m.programs.is_empty() { p.muted { "Programmes: " (m.programs.join(", ")) } }
                                ul.explain aria-label="Field by field" { @for line in &m.explanation { li.mono { (line) } } }
                            }
                        }
                    }
                }
            }
        section.card aria-labelledby="ids-h" {
            h2 #ids-h { "Identifiers and the personas linked through each" }
            table #identifiers {
                thead { tr { th scope="col" { "Kind" } th scope="col" { "Value" } th scope="col" { "Also claimed by" } } }
                tbody {
                    @for i in &view.subject.identifiers {
                        @let kind = i.kind().as_str();
                        @let value = i.value();
                        tr {
                            td { (kind.replace('_', " ")) }
                            td.mono { (value) }
                            td {
                                @for l in view.linked.iter().filter(|l| l.kind == kind && l.value == value) {
                                    a.chip href=(subject_href(&l.subject_id)) { (l.name) }
                                }
                            }
                        }
                    }
                }
            }
        }
        details.card {
            summary { "Facts (" (view.facts.len()) ")" }
            table {
                thead { tr { th { "Fact" } th { "Value" } th { "Evidence" } } }
                tbody {
                    @for f in &view.facts {
                        tr {
                            td.mono { (f.name) }
                            td.mono { (f.value.display()) }
                            td { @for e in &f.evidence { span.muted { (e.label) ": " } (e.value) br; } }
                        }
                    }
                }
            }
        }
        details.card {
            summary { "Events (" (view.events.len()) ", most recent last)" }
            div.timeline-list {
                table {
                    thead { tr { th { "Time (UTC)" } th { "Kind" } th { "Detail" } th { "Source" } } }
                    tbody {
                        @for e in view.events.iter().rev().take(300) {
                            tr { td { (e.time.format("%Y-%m-%d %H:%M")) } td { (e.kind.name()) } td.mono { (event_detail(e)) } td.muted { (e.provenance) } }
                        }
                    }
                }
            }
        }
        @if !view.cases.is_empty() {
            section.card {
                h2 { "Cases" }
                ul { @for c in &view.cases { li { a href=(format!("/console/cases/{}", c.id)) { "#" (c.id) " " (c.title) } " — " (c.status) } } }
            }
        }
        p.muted { "Search similar: " a href=(format!("/console/subjects?q={}", enc(&view.subject.name.full))) { "subjects with this name" } }
    }
}

/// One line about an event.
pub(crate) fn event_detail(e: &Event) -> String {
    match &e.kind {
        EventKind::SignIn(s) => format!(
            "{} {:?} {}",
            s.ip.map(|i| i.to_string()).unwrap_or_default(),
            s.outcome,
            s.application.clone().unwrap_or_default()
        ),
        EventKind::PayoutChange(p) => format!(
            "{:?} {} {}",
            p.method,
            p.provider.clone().unwrap_or_default(),
            p.country
                .map(|c| c.as_str().to_string())
                .unwrap_or_default()
        ),
        EventKind::Shipment(s) => format!(
            "{} {}",
            s.address.original,
            s.item.clone().unwrap_or_default()
        ),
        EventKind::Endpoint(o) => format!("{} {} {}", o.host, o.table, o.action),
        EventKind::ApplicationStep(a) => {
            format!("{} {}", a.step, a.detail.clone().unwrap_or_default())
        }
        EventKind::Activity { action, target, .. } => {
            format!("{action} {}", target.clone().unwrap_or_default())
        }
    }
}
