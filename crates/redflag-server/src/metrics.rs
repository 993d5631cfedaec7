//! Prometheus metrics: requests by route, method and status class, a latency histogram per route, and
//! store gauges. Counted by hand with atomics (no registry crate): the hot path is one map lookup under a
//! read lock and a few atomic increments.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Latency buckets in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Series {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

/// Series by (route, method).
type SeriesMap = BTreeMap<(String, String), Arc<Series>>;

/// The process's request metrics.
#[derive(Clone, Default)]
pub struct Metrics {
    series: Arc<RwLock<SeriesMap>>,
}

impl Metrics {
    fn series(&self, route: &str, method: &str) -> Option<Arc<Series>> {
        let key = (route.to_string(), method.to_string());
        if let Some(series) = self.series.read().ok()?.get(&key) {
            return Some(series.clone());
        }
        let mut map = self.series.write().ok()?;
        Some(map.entry(key).or_default().clone())
    }

    /// Records one request.
    pub fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let Some(series) = self.series(route, method) else {
            return;
        };
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        series.by_class[class].fetch_add(1, Ordering::Relaxed);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                series.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        series
            .sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        series.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with `extra` gauges appended.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP redflag_http_requests_total HTTP requests by route, method and status class.\n",
        );
        out.push_str("# TYPE redflag_http_requests_total counter\n");
        let map = match self.series.read() {
            Ok(map) => map.clone(),
            Err(_) => BTreeMap::new(),
        };
        for ((route, method), s) in &map {
            for (i, class) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
                let n = s.by_class[i].load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "redflag_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{class}\"}} {n}"
                    );
                }
            }
        }
        out.push_str("# HELP redflag_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE redflag_http_request_duration_seconds histogram\n");
        for ((route, method), s) in &map {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "redflag_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    s.buckets[i].load(Ordering::Relaxed)
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "redflag_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "redflag_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "redflag_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// Middleware recording every request under its route template (never the raw path, which may hold
/// ids), and logging method, route, status and latency at debug level (no query strings, no bodies).
pub(crate) async fn track(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().as_str().to_string();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    metrics.record(&route, &method, status, seconds);
    tracing::debug!(%method, %route, status, micros = (seconds * 1e6) as u64, "request");
    response
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record("/v1/screen", "POST", 200, 0.0007);
        m.record("/v1/screen", "POST", 422, 0.003);
        let text = m.render(&[("redflag_subjects", "Subjects stored.", 3.0)]);
        assert!(text.contains(
            "redflag_http_requests_total{route=\"/v1/screen\",method=\"POST\",status=\"2xx\"} 1"
        ));
        assert!(text.contains("status=\"4xx\"} 1"));
        assert!(text.contains("le=\"0.001\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("redflag_subjects 3"));
    }
}
