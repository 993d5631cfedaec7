//! Charts drawn server-side as SVG: the sign-in map, the sign-in timeline, the activity heatmap and
//! the ring graph. Each takes plain data (no store, no engines), so it is unit-tested and reused by the
//! evidence pack. Every chart has a text title and description for screen readers, and the pages
//! print the same data as a table next to it.

use maud::{Markup, html};

/// The land outline: one SVG path on a 1000 × 500 equirectangular canvas (see `static/world/README.md`).
pub(crate) const LAND: &str = include_str!("../../static/world/land-110m.path");

/// What a point on the map stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PointKind {
    /// A sign-in from an address that is not a VPN or a server.
    Direct,
    /// A sign-in through a VPN, Tor or a relay.
    Vpn,
    /// A sign-in from a hosting provider / data centre.
    Hosting,
    /// Where the subject says they live.
    Claimed,
    /// A payout or shipping address.
    Address,
}

impl PointKind {
    pub(crate) fn colour(self) -> &'static str {
        match self {
            PointKind::Direct => "#1d4ed8",
            PointKind::Vpn => "#d92d20",
            PointKind::Hosting => "#f79009",
            PointKind::Claimed => "#067647",
            PointKind::Address => "#7a5af8",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            PointKind::Direct => "sign-in (direct)",
            PointKind::Vpn => "sign-in via VPN / Tor / relay",
            PointKind::Hosting => "sign-in from a hosting provider",
            PointKind::Claimed => "claimed location",
            PointKind::Address => "payout / shipping address",
        }
    }
}

/// A point on the map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapPoint {
    pub latitude: f64,
    pub longitude: f64,
    pub kind: PointKind,
    pub label: String,
    pub count: u32,
}

/// Equirectangular projection onto the 1000 × 500 canvas of [`LAND`].
pub(crate) fn project(latitude: f64, longitude: f64) -> (f64, f64) {
    (
        (longitude.clamp(-180.0, 180.0) + 180.0) / 360.0 * 1000.0,
        (90.0 - latitude.clamp(-90.0, 90.0)) / 180.0 * 500.0,
    )
}

/// The world map with sign-ins, the claimed location (a ring) and addresses (diamonds); dashed lines join
/// the claimed location to each place the subject signed in from.
pub(crate) fn world_map(points: &[MapPoint]) -> Markup {
    let claimed: Vec<&MapPoint> = points
        .iter()
        .filter(|p| p.kind == PointKind::Claimed)
        .collect();
    let mut ordered: Vec<&MapPoint> = points.iter().collect();
    ordered.sort_by_key(|p| std::cmp::Reverse(p.count));
    html! {
        svg.chart #map role="img" viewBox="0 20 1000 390" aria-labelledby="map-title map-desc" data-points=(points.len()) {
            title #map-title { "Map of sign-in locations, claimed location and addresses" }
            desc #map-desc { (points.len()) " places; the table below lists them." }
            rect x="0" y="20" width="1000" height="390" fill="#eef4fb" {}
            path d=(LAND) fill="#d7dde6" stroke="#b8c2d1" stroke-width="0.5" {}
            @for c in &claimed {
                @for p in points.iter().filter(|p| matches!(p.kind, PointKind::Direct | PointKind::Vpn | PointKind::Hosting)) {
                    @let (x1, y1) = project(c.latitude, c.longitude);
                    @let (x2, y2) = project(p.latitude, p.longitude);
                    line x1=(fmt1(x1)) y1=(fmt1(y1)) x2=(fmt1(x2)) y2=(fmt1(y2)) stroke="#667085" stroke-width="0.8" stroke-dasharray="4 3" opacity="0.6" {}
                }
            }
            @for p in &ordered {
                @let (x, y) = project(p.latitude, p.longitude);
                @let r = 3.5 + (f64::from(p.count.max(1))).ln() * 1.6;
                @match p.kind {
                    PointKind::Claimed => {
                        circle.pt cx=(fmt1(x)) cy=(fmt1(y)) r="9" fill="none" stroke=(p.kind.colour()) stroke-width="3" {
                            title { (p.kind.label()) ": " (p.label) }
                        }
                    }
                    PointKind::Address => {
                        rect.pt x=(fmt1(x - 5.0)) y=(fmt1(y - 5.0)) width="10" height="10" transform=(format!("rotate(45 {} {})", fmt1(x), fmt1(y))) fill=(p.kind.colour()) stroke="#fff" stroke-width="1" {
                            title { (p.kind.label()) ": " (p.label) }
                        }
                    }
                    _ => {
                        circle.pt cx=(fmt1(x)) cy=(fmt1(y)) r=(fmt1(r)) fill=(p.kind.colour()) fill-opacity="0.8" stroke="#fff" stroke-width="1" {
                            title { (p.kind.label()) ": " (p.label) " (" (p.count) ")" }
                        }
                    }
                }
            }
        }
        div.legend {
            @for kind in [PointKind::Direct, PointKind::Vpn, PointKind::Hosting, PointKind::Claimed, PointKind::Address] {
                span { span class=(format!("sw {}", legend_class(kind))) {} (kind.label()) }
            }
        }
    }
}

fn legend_class(kind: PointKind) -> &'static str {
    match kind {
        PointKind::Direct => "direct",
        PointKind::Vpn => "vpn",
        PointKind::Hosting => "hosting",
        PointKind::Claimed => "claimed",
        PointKind::Address => "address",
    }
}

fn fmt1(v: f64) -> String {
    format!("{v:.1}")
}

/// One sign-in on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimelinePoint {
    /// Seconds since the epoch (UTC).
    pub unix: i64,
    /// Hour of day (fractional) in the displayed time zone.
    pub local_hour: f64,
    pub kind: PointKind,
    pub failed: bool,
    pub label: String,
}

/// Sign-ins over time (x) by local hour of day (y), coloured by VPN / hosting; the band of the claimed
/// working day (09:00–18:00) is shaded.
pub(crate) fn timeline(points: &[TimelinePoint], zone_label: &str) -> Markup {
    let (w, h, left, right, top, bottom) = (600.0, 270.0, 46.0, 12.0, 12.0, 34.0);
    let (min, max) = match (
        points.iter().map(|p| p.unix).min(),
        points.iter().map(|p| p.unix).max(),
    ) {
        (Some(a), Some(b)) if b > a => (a, b),
        (Some(a), _) => (a - 43_200, a + 43_200),
        _ => (0, 1),
    };
    let span = (max - min) as f64;
    let x_of = |t: i64| left + (t - min) as f64 / span * (w - left - right);
    let y_of = |hour: f64| top + hour / 24.0 * (h - top - bottom);
    let days = span / 86_400.0;
    let ticks: Vec<i64> = (0..=4)
        .map(|i| min + (span * f64::from(i) / 4.0) as i64)
        .collect();
    html! {
        svg.chart #timeline role="img" viewBox=(format!("0 0 {w} {h}")) aria-labelledby="tl-title tl-desc" data-points=(points.len()) {
            title #tl-title { "Timeline of sign-ins by hour of day (" (zone_label) ")" }
            desc #tl-desc { (points.len()) " sign-ins over " (format!("{days:.0}")) " days; red: VPN, orange: hosting, blue: direct." }
            rect x=(left) y=(fmt1(y_of(9.0))) width=(w - left - right) height=(fmt1(y_of(18.0) - y_of(9.0))) fill="#ecfdf3" {}
            text x=(w - right - 4.0) y=(fmt1(y_of(9.0) + 12.0)) text-anchor="end" font-size="11" fill="#067647" { "claimed working day 09–18" }
            @for hour in [0, 6, 12, 18, 24] {
                line x1=(left) x2=(w - right) y1=(fmt1(y_of(f64::from(hour)))) y2=(fmt1(y_of(f64::from(hour)))) stroke="#e4e7ec" {}
                text x=(left - 6.0) y=(fmt1(y_of(f64::from(hour)) + 4.0)) text-anchor="end" font-size="11" fill="#475467" { (format!("{hour:02}:00")) }
            }
            @for t in &ticks {
                text x=(fmt1(x_of(*t))) y=(h - 12.0) text-anchor="middle" font-size="11" fill="#475467" {
                    (chrono::DateTime::from_timestamp(*t, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default())
                }
            }
            @for p in points {
                @if p.failed {
                    path.pt d=(format!("M{x0} {y0}l6 6m0 -6l-6 6", x0 = fmt1(x_of(p.unix) - 3.0), y0 = fmt1(y_of(p.local_hour) - 3.0))) stroke=(p.kind.colour()) stroke-width="1.6" {
                        title { (p.label) " (failed)" }
                    }
                } @else {
                    circle.pt cx=(fmt1(x_of(p.unix))) cy=(fmt1(y_of(p.local_hour))) r="3" fill=(p.kind.colour()) fill-opacity="0.75" {
                        title { (p.label) }
                    }
                }
            }
        }
        div.legend {
            span { span.sw.direct {} "direct" }
            span { span.sw.vpn {} "VPN / Tor / relay" }
            span { span.sw.hosting {} "hosting provider" }
            span { "× failed sign-in" }
            span { span.sw.work {} "claimed working day" }
        }
    }
}

/// Weekday (Mon = 0) × UTC hour activity counts, with the claimed working day (09:00–18:00 local,
/// Monday–Friday) outlined after converting it to UTC with `offset_hours`.
pub(crate) fn heatmap(counts: &[[u32; 24]; 7], offset_hours: Option<i32>, zone: &str) -> Markup {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let (cell, left, top) = (22.0, 34.0, 20.0);
    let max = counts.iter().flatten().copied().max().unwrap_or(0).max(1);
    let mut work = [[false; 24]; 7];
    if let Some(offset) = offset_hours {
        for day in 0..5i32 {
            for hour in 9..18i32 {
                let utc = day * 24 + hour - offset;
                let utc = utc.rem_euclid(7 * 24);
                work[(utc / 24) as usize][(utc % 24) as usize] = true;
            }
        }
    }
    let total: u32 = counts.iter().flatten().sum();
    html! {
        svg.chart #heatmap role="img" viewBox=(format!("0 0 {} {}", left + cell * 24.0 + 6.0, top + cell * 7.0 + 8.0)) aria-labelledby="hm-title hm-desc" data-total=(total) {
            title #hm-title { "Activity by weekday and hour (UTC)" }
            desc #hm-desc { (total) " events. Outlined: the claimed working day (" (zone) ") in UTC." }
            @for h in (0..24).step_by(3) {
                text x=(fmt1(left + cell * f64::from(h) + cell / 2.0)) y="15" text-anchor="middle" font-size="11" fill="#475467" { (format!("{h:02}")) }
            }
            @for (d, name) in DAYS.iter().enumerate() {
                text x=(left - 8.0) y=(fmt1(top + cell * d as f64 + cell / 2.0 + 4.0)) text-anchor="end" font-size="11" fill="#475467" { (name) }
                @for h in 0..24 {
                    @let n = counts[d][h];
                    @let t = f64::from(n) / f64::from(max);
                    rect.cell x=(fmt1(left + cell * h as f64 + 1.0)) y=(fmt1(top + cell * d as f64 + 1.0)) width=(cell - 2.0) height=(cell - 2.0) rx="3"
                        fill=(if n == 0 { "#f2f4f7".to_string() } else { heat(t) }) {
                        title { (name) " " (format!("{h:02}:00")) " UTC: " (n) }
                    }
                }
            }
            @for d in 0..7 {
                @for h in 0..24 {
                    @if work[d][h] {
                        @let x = left + cell * h as f64;
                        @let y = top + cell * d as f64;
                        @if h == 0 || !work[d][h - 1] { line x1=(fmt1(x)) x2=(fmt1(x)) y1=(fmt1(y)) y2=(fmt1(y + cell)) stroke="#067647" stroke-width="2.5" {} }
                        @if h == 23 || !work[d][h + 1] { line x1=(fmt1(x + cell)) x2=(fmt1(x + cell)) y1=(fmt1(y)) y2=(fmt1(y + cell)) stroke="#067647" stroke-width="2.5" {} }
                        @if d == 0 || !work[d - 1][h] { line x1=(fmt1(x)) x2=(fmt1(x + cell)) y1=(fmt1(y)) y2=(fmt1(y)) stroke="#067647" stroke-width="2.5" {} }
                        @if d == 6 || !work[d + 1][h] { line x1=(fmt1(x)) x2=(fmt1(x + cell)) y1=(fmt1(y + cell)) y2=(fmt1(y + cell)) stroke="#067647" stroke-width="2.5" {} }
                    }
                }
            }
        }
    }
}

/// A blue ramp from light to dark.
fn heat(t: f64) -> String {
    let t = t.clamp(0.0, 1.0).sqrt();
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(219.0, 23.0),
        lerp(234.0, 37.0),
        lerp(254.0, 84.0)
    )
}

/// A persona in the ring graph.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GraphPersona {
    pub id: String,
    pub name: String,
    pub level: String,
    pub href: String,
}

/// A shared identifier linking personas.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GraphLink {
    /// `email`, `payout_account`, `device`, or a non-identifier link kind.
    pub kind: String,
    pub value: String,
    /// Indexes into the persona list.
    pub members: Vec<usize>,
}

/// Deterministic force-directed layout of the bipartite persona–identifier graph; returns positions in
/// [0, 1]² for personas then links.
pub(crate) fn layout(personas: usize, links: &[GraphLink]) -> Vec<(f64, f64)> {
    let n = personas + links.len();
    if n == 0 {
        return Vec::new();
    }
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let r = if i < personas { 0.35 } else { 0.2 };
            (0.5 + r * a.cos(), 0.5 + r * a.sin())
        })
        .collect();
    let edges: Vec<(usize, usize)> = links
        .iter()
        .enumerate()
        .flat_map(|(j, l)| {
            l.members
                .iter()
                .filter(|&&m| m < personas)
                .map(move |&m| (m, personas + j))
        })
        .collect();
    let k = (1.0 / n as f64).sqrt() * 0.9;
    let mut temperature = 0.1;
    for _ in 0..300 {
        let mut disp = vec![(0.0f64, 0.0f64); n];
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let d = (dx * dx + dy * dy).sqrt().max(1e-4);
                let f = k * k / d;
                disp[i].0 += dx / d * f;
                disp[i].1 += dy / d * f;
                disp[j].0 -= dx / d * f;
                disp[j].1 -= dy / d * f;
            }
        }
        for &(a, b) in &edges {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(1e-4);
            let f = d * d / k;
            disp[a].0 -= dx / d * f;
            disp[a].1 -= dy / d * f;
            disp[b].0 += dx / d * f;
            disp[b].1 += dy / d * f;
        }
        for i in 0..n {
            // A weak pull to the centre keeps unlinked nodes on the canvas.
            disp[i].0 += (0.5 - pos[i].0) * 0.05;
            disp[i].1 += (0.5 - pos[i].1) * 0.05;
            let d = (disp[i].0 * disp[i].0 + disp[i].1 * disp[i].1)
                .sqrt()
                .max(1e-9);
            let step = d.min(temperature);
            pos[i].0 += disp[i].0 / d * step;
            pos[i].1 += disp[i].1 / d * step;
        }
        temperature *= 0.985;
    }
    // Normalise into [0.15, 0.85] x [0.1, 0.9] so labels fit.
    let (minx, maxx) = pos
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (miny, maxy) = pos
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let sx = (maxx - minx).max(1e-6);
    let sy = (maxy - miny).max(1e-6);
    pos.iter()
        .map(|p| {
            (
                0.15 + (p.0 - minx) / sx * 0.7,
                0.1 + (p.1 - miny) / sy * 0.8,
            )
        })
        .collect()
}

fn identifier_colour(kind: &str) -> &'static str {
    match kind {
        "payout_account" | "wallet" => "#7a5af8",
        "device" => "#0e9384",
        "email" => "#1d4ed8",
        "phone" => "#155eef",
        "ip" => "#d92d20",
        "photo_hash" | "document" => "#c11574",
        "postal_address" => "#a15c07",
        _ => "#475467",
    }
}

fn level_colour(level: &str) -> &'static str {
    match level {
        "critical" => "#b42318",
        "high" => "#e04f16",
        "medium" => "#f79009",
        _ => "#98a2b3",
    }
}

/// Shortens a long value for a label.
pub(crate) fn short(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        value.to_string()
    } else {
        let head: String = value.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// The ring graph: personas (circles, coloured by level, linking to their pages) and the identifiers
/// that link them (squares, coloured by kind).
pub(crate) fn ring_graph(personas: &[GraphPersona], links: &[GraphLink]) -> Markup {
    let (w, h) = (1000.0, 560.0);
    let pos = layout(personas.len(), links);
    let at = |i: usize| {
        pos.get(i)
            .map(|p| (p.0 * w, p.1 * h))
            .unwrap_or((w / 2.0, h / 2.0))
    };
    html! {
        svg.chart #ring-graph role="img" viewBox=(format!("0 0 {w} {h}")) aria-labelledby="rg-title rg-desc" data-personas=(personas.len()) data-links=(links.len()) {
            title #rg-title { "Graph of the ring's personas and the identifiers they share" }
            desc #rg-desc { (personas.len()) " personas linked through " (links.len()) " shared identifiers; the table below lists them." }
            rect width=(w) height=(h) fill="#fbfcfd" {}
            @for (j, link) in links.iter().enumerate() {
                @for &m in &link.members {
                    @if m < personas.len() {
                        @let (x1, y1) = at(m);
                        @let (x2, y2) = at(personas.len() + j);
                        line x1=(fmt1(x1)) y1=(fmt1(y1)) x2=(fmt1(x2)) y2=(fmt1(y2)) stroke=(identifier_colour(&link.kind)) stroke-width="1.6" stroke-opacity="0.55" {}
                    }
                }
            }
            @for (j, link) in links.iter().enumerate() {
                @let (x, y) = at(personas.len() + j);
                g.link {
                    rect.node x=(fmt1(x - 7.0)) y=(fmt1(y - 7.0)) width="14" height="14" rx="2" fill=(identifier_colour(&link.kind)) stroke="#fff" stroke-width="1.5" {
                        title { (link.kind) ": " (link.value) " (" (link.members.len()) " personas)" }
                    }
                    text x=(fmt1(x)) y=(fmt1(y + 20.0)) text-anchor="middle" font-size="10.5" fill="#344054" { (link.kind.replace('_', " ")) ": " (short(&link.value, 22)) }
                }
            }
            @for (i, p) in personas.iter().enumerate() {
                @let (x, y) = at(i);
                a href=(p.href) {
                    circle.node cx=(fmt1(x)) cy=(fmt1(y)) r="16" fill=(level_colour(&p.level)) stroke="#fff" stroke-width="2.5" {
                        title { (p.name) " (" (p.id) "), " (p.level) }
                    }
                    text x=(fmt1(x)) y=(fmt1(y - 22.0)) text-anchor="middle" font-size="13" font-weight="600" fill="#101828" { (short(&p.name, 26)) }
                }
            }
        }
        div.legend {
            span { "Circles: personas (colour = risk level); squares: shared identifiers — " }
            span { span.sw.direct {} "email / phone" }
            span { span.sw.address {} "payout / wallet" }
            span { span.sw.claimed {} "device" }
            span { span.sw.vpn {} "IP" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_corners() {
        assert_eq!(project(90.0, -180.0), (0.0, 0.0));
        assert_eq!(project(-90.0, 180.0), (1000.0, 500.0));
        assert_eq!(project(0.0, 0.0), (500.0, 250.0));
    }

    #[test]
    fn land_outline_is_a_path() {
        assert!(LAND.starts_with('M'));
        assert!(LAND.len() > 20_000, "{}", LAND.len());
    }

    #[test]
    fn layout_is_deterministic_and_inside() {
        let links = vec![
            GraphLink {
                kind: "device".into(),
                value: "d1".into(),
                members: vec![0, 1, 2],
            },
            GraphLink {
                kind: "payout_account".into(),
                value: "p".into(),
                members: vec![2, 3],
            },
        ];
        let a = layout(4, &links);
        assert_eq!(a, layout(4, &links));
        assert_eq!(a.len(), 6);
        assert!(
            a.iter()
                .all(|p| (0.0..=1.0).contains(&p.0) && (0.0..=1.0).contains(&p.1))
        );
        // Linked nodes end up nearer each other than the farthest pair.
        let d = |i: usize, j: usize| ((a[i].0 - a[j].0).powi(2) + (a[i].1 - a[j].1).powi(2)).sqrt();
        assert!(d(3, 5) < d(0, 3), "{a:?}");
    }

    #[test]
    fn heatmap_outlines_working_day_in_utc() {
        let mut counts = [[0u32; 24]; 7];
        counts[0][1] = 5;
        // UTC-5: 09:00 local is 14:00 UTC.
        let svg = heatmap(&counts, Some(-5), "America/New_York").into_string();
        assert!(svg.contains("Mon 01:00 UTC: 5"));
        assert!(svg.matches("stroke=\"#067647\"").count() > 10);
        let none = heatmap(&counts, None, "none").into_string();
        assert!(!none.contains("stroke=\"#067647\""));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = world_map(&[MapPoint {
            latitude: 1.0,
            longitude: 2.0,
            kind: PointKind::Claimed,
            label: "<script>alert(1)</script>".into(),
            count: 1,
        }])
        .into_string();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
