//! The page shell (header, navigation, skip link) and small formatting helpers shared by every page.

use maud::{DOCTYPE, Markup, html};

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Overview,
    Subjects,
    Rings,
    Screen,
    Cases,
    Rules,
    Lists,
    None,
}

const NAV: &[(Nav, &str, &str)] = &[
    (Nav::Overview, "/console", "Overview"),
    (Nav::Subjects, "/console/subjects", "Subjects"),
    (Nav::Rings, "/console/rings", "Rings"),
    (Nav::Cases, "/console/cases", "Cases"),
    (Nav::Screen, "/console/screen", "Screening"),
    (Nav::Rules, "/console/rules", "Rules"),
    (Nav::Lists, "/console/lists", "Lists"),
];

/// A full HTML page.
pub(crate) fn page(title: &str, nav: Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · redflag" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" aria-label="redflag overview" {
                        span.logo aria-hidden="true" { "▲" } "redflag"
                    }
                    nav aria-label="Main" {
                        ul {
                            @for (id, href, label) in NAV {
                                li {
                                    @if *id == nav {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    form.quick role="search" action="/console/subjects" method="get" {
                        label.visually-hidden for="quick-q" { "Find a subject" }
                        input #quick-q type="search" name="q" placeholder="Name, id, email, wallet…  ( / )" autocomplete="off";
                    }
                }
                main #main tabindex="-1" { (body) }
                footer.bottom {
                    "Flags are evidence for a person to weigh, never a verdict. No one is flagged for name, ethnicity or nationality."
                }
            }
        }
    }
}

/// A risk level badge.
pub(crate) fn level_badge(level: &str) -> Markup {
    let class = match level {
        "critical" => "badge critical",
        "high" => "badge high",
        "medium" => "badge medium",
        _ => "badge low",
    };
    html! { span class=(class) { (level) } }
}

/// A severity badge.
pub(crate) fn severity_badge(severity: &str) -> Markup {
    let class = match severity {
        "critical" => "badge critical",
        "high" => "badge high",
        "medium" => "badge medium",
        "low" => "badge low",
        _ => "badge info",
    };
    html! { span class=(class) { (severity) } }
}

/// A score as a percentage with a small bar (SVG, so no inline style is needed).
pub(crate) fn score_bar(score: f64) -> Markup {
    let pct = (score.clamp(0.0, 1.0) * 100.0).round();
    let fill = if score >= 0.8 {
        "#b42318"
    } else if score >= 0.5 {
        "#c4320a"
    } else if score >= 0.2 {
        "#a15c07"
    } else {
        "#5d6b82"
    };
    html! {
        span.score {
            svg.bar width="60" height="8" viewBox="0 0 100 8" aria-hidden="true" focusable="false" {
                rect width="100" height="8" rx="2" fill="#e4e7ec" {}
                rect width=(pct) height="8" rx="2" fill=(fill) {}
            }
            " " (format!("{pct:.0}%"))
        }
    }
}

/// Percent-encodes a value for a URL path segment or query value.
pub(crate) fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The link to a subject's page.
pub(crate) fn subject_href(id: &str) -> String {
    format!("/console/subjects/{}", enc(id))
}

/// The link to a ring's page.
pub(crate) fn ring_href(id: &str) -> String {
    format!("/console/rings/{}", enc(id))
}

/// An RFC 3339 stamp shortened to `YYYY-MM-DD HH:MM` (UTC).
pub(crate) fn short_time(stamp: &str) -> String {
    if stamp.len() >= 16 {
        format!("{} {}", &stamp[..10], &stamp[11..16])
    } else {
        stamp.to_string()
    }
}
