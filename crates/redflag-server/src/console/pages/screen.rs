//! Ad-hoc screening of a name, email, phone or wallet against the loaded sanctions lists, with the
//! field-by-field explanation of every match. The form posts (so that names stay out of URLs and logs).

use axum::Form;
use axum::extract::State;
use maud::{Markup, html};
use redflag_watchlist::{Match, PartialDate, Query, ScreenOptions};
use serde::Deserialize;

use super::html;
use crate::AppState;
use crate::console::layout::{self, Nav};
use crate::console::{PageResult, engines};

/// The screening form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScreenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    wallet: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    dob: String,
    #[serde(default)]
    threshold: String,
}

pub(crate) async fn page(State(state): State<AppState>) -> PageResult {
    let engines = engines(&state).await?;
    let lists: Vec<String> = engines
        .watchlist
        .lists()
        .iter()
        .map(|l| format!("{} ({})", l.name, l.version))
        .collect();
    Ok(html(layout::page(
        "Screening",
        Nav::Screen,
        render(&ScreenForm::default(), &lists, None),
    )))
}

pub(crate) async fn page_post(
    State(state): State<AppState>,
    Form(form): Form<ScreenForm>,
) -> PageResult {
    let engines = engines(&state).await?;
    let lists: Vec<String> = engines
        .watchlist
        .lists()
        .iter()
        .map(|l| format!("{} ({})", l.name, l.version))
        .collect();
    let mut query = Query::name(form.name.trim());
    for (field, list) in [
        (&form.email, &mut query.emails),
        (&form.phone, &mut query.phones),
        (&form.wallet, &mut query.wallets),
    ] {
        if !field.trim().is_empty() {
            list.push(field.trim().to_string());
        }
    }
    if !form.country.trim().is_empty() {
        query.country = Some(form.country.trim().to_string());
    }
    let mut problems = Vec::new();
    if !form.dob.trim().is_empty() {
        match PartialDate::parse(&form.dob) {
            Some(d) => query.dob = Some(d),
            None => problems.push(format!(
                "The date of birth {:?} was not understood (use YYYY-MM-DD, YYYY-MM or YYYY); it was ignored.",
                form.dob
            )),
        }
    }
    let mut options = ScreenOptions::default();
    if let Ok(t) = form.threshold.trim().parse::<f64>()
        && (0.5..=1.0).contains(&t)
    {
        options.threshold = t;
    }
    let started = std::time::Instant::now();
    let result = engines.watchlist.screen(&query, &options);
    let elapsed = started.elapsed();
    let outcome = Outcome {
        result: result.map_err(|e| e.to_string()),
        problems,
        micros: elapsed.as_micros(),
        threshold: options.threshold,
    };
    Ok(html(layout::page(
        "Screening",
        Nav::Screen,
        render(&form, &lists, Some(&outcome)),
    )))
}

struct Outcome {
    result: Result<Vec<Match>, String>,
    problems: Vec<String>,
    micros: u128,
    threshold: f64,
}

fn render(form: &ScreenForm, lists: &[String], outcome: Option<&Outcome>) -> Markup {
    html! {
        h1 { "Screening" }
        p.muted { "Screen a name, email, phone or crypto wallet against: " (lists.join("; ")) ". A name match alone is a lead, not a finding: check the explanation." }
        form.filters method="post" action="/console/screen" aria-label="Screen" {
            label for="s-name" { "Name" input #s-name name="name" value=(form.name) size="28" autocomplete="off"; }
            label for="s-email" { "Email" input #s-email name="email" type="text" value=(form.email) size="22"; }
            label for="s-phone" { "Phone" input #s-phone name="phone" value=(form.phone) size="14"; }
            label for="s-wallet" { "Wallet" input #s-wallet name="wallet" value=(form.wallet) size="30"; }
            label for="s-country" { "Country" input #s-country name="country" value=(form.country) size="6" placeholder="KP"; }
            label for="s-dob" { "Date of birth" input #s-dob name="dob" value=(form.dob) size="10" placeholder="1980-05-01"; }
            label for="s-threshold" { "Threshold" input #s-threshold name="threshold" value=(form.threshold) size="4" placeholder="0.80"; }
            button type="submit" { "Screen" }
        }
        @if let Some(o) = outcome {
            @for p in &o.problems { p.notice { (p) } }
            @match &o.result {
                Err(e) => { p.notice #screen-error { (e) } }
                Ok(matches) if matches.is_empty() => {
                    p.notice #screen-none { "No match at or above " (format!("{:.2}", o.threshold)) " (" (o.micros) " µs)." }
                }
                Ok(matches) => {
                    p.muted #screen-count { (matches.len()) " matches (" (o.micros) " µs)." }
                    @for m in matches {
                        article class=(if m.exact_identifier || m.score >= 0.92 { "finding critical" } else { "finding high" }) {
                            header {
                                strong { (m.entity_name) }
                                span.muted { (m.list_name) " " (m.list_version) " · entry " span.mono { (m.entity_id) } " · " (format!("{:?}", m.entity_kind).to_lowercase()) }
                                span.badge.high { (format!("score {:.3}", m.score)) }
                                @if m.exact_identifier { span.badge.critical { "exact identifier" } }
                                @if m.dprk_nexus { span.badge.critical { "DPRK nexus" } }
                            }
                            @if let Some(n) = &m.matched_name { p { "Matched name: " strong { (n) } " (name score " (format!("{:.3}", m.name_score)) ")" } }
                            @if !m.programs.is_empty() { p.muted { "Programmes: " (m.programs.join(", ")) } }
                            table {
                                thead { tr { th scope="col" { "Field" } th scope="col" { "You gave" } th scope="col" { "Listed" } th.num scope="col" { "Score" } th scope="col" { "Why" } } }
                                tbody {
                                    @for e in &m.explanation {
                                        tr { td { (e.feature) } td.mono { (e.query) } td.mono { (e.listed) } td.num { (format!("{:+.3}", e.score)) } td { (e.detail) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
