//! A precision–recall curve as a small standalone SVG (no script, no external fonts or styles).

use std::fmt::Write;

use super::metrics::PrPoint;

const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// Renders the curve (recall on x, precision on y, as a step line) with the operating point marked.
/// `title` is escaped.
pub fn pr_curve_svg(curve: &[PrPoint], operating: Option<(f64, f64)>, title: &str) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |recall: f64| LEFT + recall.clamp(0.0, 1.0) * plot_w;
    let y = |precision: f64| TOP + (1.0 - precision.clamp(0.0, 1.0)) * plot_h;
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    for i in 0..=5 {
        let v = f64::from(i) / 5.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{x0:.1}" y1="{yv:.1}" x2="{x1:.1}" y2="{yv:.1}" stroke="#e5e5e5"/><line x1="{xv:.1}" y1="{y0:.1}" x2="{xv:.1}" y2="{y1:.1}" stroke="#e5e5e5"/><text x="{lx:.1}" y="{ly:.1}" text-anchor="end">{v:.1}</text><text x="{xv:.1}" y="{by:.1}" text-anchor="middle">{v:.1}</text>"##,
            x0 = x(0.0),
            x1 = x(1.0),
            yv = y(v),
            xv = x(v),
            y0 = y(0.0),
            y1 = y(1.0),
            lx = LEFT - 6.0,
            ly = y(v) + 4.0,
            by = y(0.0) + 18.0,
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/><text x="{:.1}" y="{:.1}" text-anchor="middle">recall</text><text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">precision</text>"##,
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
    );
    if !curve.is_empty() {
        // A step curve: precision holds until recall moves to the next point.
        let mut points = String::new();
        let mut previous_recall = 0.0;
        for p in curve {
            let _ = write!(
                points,
                "{:.1},{:.1} {:.1},{:.1} ",
                x(previous_recall),
                y(p.precision),
                x(p.recall),
                y(p.precision)
            );
            previous_recall = p.recall;
        }
        let _ = writeln!(
            svg,
            r##"<polyline fill="none" stroke="#c0392b" stroke-width="2" points="{}"/>"##,
            points.trim_end()
        );
    }
    if let Some((recall, precision)) = operating {
        let _ = writeln!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="#2c3e50"/><text x="{:.1}" y="{:.1}">operating point (P {:.2}, R {:.2})</text>"##,
            x(recall),
            y(precision),
            (x(recall) - 170.0).max(LEFT + 4.0),
            (y(precision) + 18.0).min(y(0.0) - 6.0),
            precision,
            recall
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metrics::pr_curve;

    #[test]
    fn svg_has_a_step_line_and_the_operating_point() {
        let curve = pr_curve(&[(0.9, true), (0.5, false), (0.4, true)]);
        let svg = pr_curve_svg(&curve, Some((0.5, 1.0)), "PR <10k> & co");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("PR &lt;10k&gt; &amp; co"));
        // Three points → six vertices; first from recall 0 at precision 1 to recall 0.5.
        let line = svg.lines().find(|l| l.starts_with("<polyline")).unwrap();
        assert_eq!(line.matches(',').count(), 6);
        assert!(line.contains("points=\"60.0,40.0 280.0,40.0 "));
        assert!(svg.contains("operating point (P 1.00, R 0.50)"));
    }

    #[test]
    fn empty_curve_still_draws_axes() {
        let svg = pr_curve_svg(&[], None, "empty");
        assert!(!svg.contains("<polyline"));
        assert!(svg.contains(">recall</text>"));
    }
}
