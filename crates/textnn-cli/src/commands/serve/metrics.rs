//! `GET /metrics`: Prometheus text (exposition format 0.0.4).
//!
//! - `textnn_http_requests_total{endpoint, status}`: requests answered.
//! - `textnn_http_request_duration_seconds{endpoint}`: latency histogram.
//! - `textnn_http_requests_in_flight`: classification requests being answered.
//! - `textnn_model_reloads_total{result="ok|error"}`: reload attempts.
//! - `textnn_model_generation`, `textnn_model_loaded_timestamp_seconds`:
//!   which model serves, and since when.
//!
//! Every figure is a relaxed atomic in a fixed table (endpoint × status
//! code 100–599), so recording a request takes no lock and allocates
//! nothing; only rendering walks the table.
//!
//! This module knows nothing of the service's state: the middleware that
//! records each answer and the `/metrics` endpoint live with the other
//! handlers (`handlers.rs`), so that `state` and `metrics` do not import
//! each other.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

/// The endpoints, in the order `/metrics` lists them; any other path is
/// counted as `other` so that scanners cannot grow the metrics without bound.
pub(super) const ROUTES: [&str; 11] = [
    "/",
    "/health",
    "/ready",
    "/version",
    "/status",
    "/openapi.json",
    "/metrics",
    "/model/parse",
    "/v1/classify",
    "/admin/reload",
    "other",
];

/// Upper bounds, in seconds, of the latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// The status codes counted one by one: 100 to 599. A code outside (hyper
/// accepts up to 999) is counted at the nearer end, so that the table stays
/// fixed.
const FIRST_STATUS: u16 = 100;
/// How many status codes the table counts.
const STATUS_SLOTS: usize = 500;

/// The counters of one endpoint.
struct RouteStats {
    by_status: [AtomicU64; STATUS_SLOTS],
    /// Non-cumulative counts per bucket of [`LATENCY_BUCKETS`], then +Inf.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    nanoseconds: AtomicU64,
    count: AtomicU64,
}

impl Default for RouteStats {
    fn default() -> Self {
        RouteStats {
            by_status: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            nanoseconds: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

/// Everything `/metrics` reports.
pub(super) struct Metrics {
    routes: Box<[RouteStats; ROUTES.len()]>,
    /// Classification requests being answered; the concurrency limit
    /// counts with it.
    pub(super) in_flight: AtomicUsize,
    reloads_ok: AtomicU64,
    reloads_error: AtomicU64,
    generation: AtomicU64,
    loaded_at_seconds: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            routes: Box::new(std::array::from_fn(|_| RouteStats::default())),
            in_flight: AtomicUsize::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_error: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            loaded_at_seconds: AtomicU64::new(0),
        }
    }
}

/// The index in [`ROUTES`] of `path` (`other` if none).
pub(super) fn route_index(path: &str) -> usize {
    ROUTES
        .iter()
        .position(|&r| r == path)
        .unwrap_or(ROUTES.len() - 1)
}

impl Metrics {
    /// Counts one answer of the endpoint `ROUTES[route]`.
    pub(super) fn record(&self, route: usize, status: u16, seconds: f64) {
        let stats = &self.routes[route];
        let slot = usize::from(
            status.clamp(FIRST_STATUS, FIRST_STATUS + STATUS_SLOTS as u16 - 1) - FIRST_STATUS,
        );
        stats.by_status[slot].fetch_add(1, Relaxed);
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(LATENCY_BUCKETS.len());
        stats.buckets[bucket].fetch_add(1, Relaxed);
        stats.nanoseconds.fetch_add((seconds * 1e9) as u64, Relaxed);
        stats.count.fetch_add(1, Relaxed);
    }

    /// Notes the model of `generation`, loaded at `loaded_at`, as the one
    /// in service.
    pub(super) fn model_loaded(&self, generation: u64, loaded_at: SystemTime) {
        self.generation.store(generation, Relaxed);
        let seconds = loaded_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.loaded_at_seconds.store(seconds, Relaxed);
    }

    /// Counts a successful reload that put the model of `generation` in
    /// service.
    pub(super) fn reload_succeeded(&self, generation: u64, loaded_at: SystemTime) {
        self.reloads_ok.fetch_add(1, Relaxed);
        self.model_loaded(generation, loaded_at);
    }

    /// Counts a refused reload.
    pub(super) fn reload_failed(&self) {
        self.reloads_error.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition format, version 0.0.4.
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail, hence the ignored results.
        header_lines(
            &mut out,
            "textnn_http_requests_total",
            "counter",
            "HTTP requests answered, by endpoint and status.",
        );
        for (route, stats) in self.active_routes() {
            for (slot, n) in stats.by_status.iter().enumerate() {
                let n = n.load(Relaxed);
                if n > 0 {
                    let status = FIRST_STATUS as usize + slot;
                    let _ = writeln!(
                        out,
                        "textnn_http_requests_total{{endpoint=\"{route}\",status=\"{status}\"}} {n}"
                    );
                }
            }
        }
        header_lines(
            &mut out,
            "textnn_http_request_duration_seconds",
            "histogram",
            "Time to answer HTTP requests, by endpoint.",
        );
        for (route, stats) in self.active_routes() {
            let mut cumulative = 0;
            for (i, n) in stats.buckets.iter().enumerate() {
                cumulative += n.load(Relaxed);
                let le = LATENCY_BUCKETS
                    .get(i)
                    .map_or("+Inf".to_string(), |b| b.to_string());
                let _ = writeln!(
                    out,
                    "textnn_http_request_duration_seconds_bucket{{endpoint=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let seconds = stats.nanoseconds.load(Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "textnn_http_request_duration_seconds_sum{{endpoint=\"{route}\"}} {seconds}"
            );
            let _ = writeln!(
                out,
                "textnn_http_request_duration_seconds_count{{endpoint=\"{route}\"}} {cumulative}"
            );
        }
        header_lines(
            &mut out,
            "textnn_http_requests_in_flight",
            "gauge",
            "Classification requests (/model/parse, /v1/classify) being answered; --max-concurrency bounds it.",
        );
        let _ = writeln!(
            out,
            "textnn_http_requests_in_flight {}",
            self.in_flight.load(Relaxed)
        );
        header_lines(
            &mut out,
            "textnn_model_reloads_total",
            "counter",
            "Model reloads (SIGHUP, POST /admin/reload), by result; a refused file leaves the old model serving.",
        );
        for (result, n) in [("ok", &self.reloads_ok), ("error", &self.reloads_error)] {
            let _ = writeln!(
                out,
                "textnn_model_reloads_total{{result=\"{result}\"}} {}",
                n.load(Relaxed)
            );
        }
        header_lines(
            &mut out,
            "textnn_model_generation",
            "gauge",
            "The model in service: 1 at start, one more per successful reload.",
        );
        let _ = writeln!(
            out,
            "textnn_model_generation {}",
            self.generation.load(Relaxed)
        );
        header_lines(
            &mut out,
            "textnn_model_loaded_timestamp_seconds",
            "gauge",
            "When the model in service was loaded, in seconds since the Unix epoch.",
        );
        let _ = writeln!(
            out,
            "textnn_model_loaded_timestamp_seconds {}",
            self.loaded_at_seconds.load(Relaxed)
        );
        out
    }

    /// The endpoints that have answered at least once, in [`ROUTES`] order.
    fn active_routes(&self) -> impl Iterator<Item = (&'static str, &RouteStats)> {
        ROUTES
            .iter()
            .zip(self.routes.iter())
            .filter(|(_, stats)| stats.count.load(Relaxed) > 0)
            .map(|(&route, stats)| (route, stats))
    }
}

/// The `# HELP` and `# TYPE` lines of one metric.
fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_histogram_is_cumulative() {
        let metrics = Metrics::default();
        let health = route_index("/health");
        metrics.record(health, 200, 0.0002);
        metrics.record(health, 200, 2.0);
        metrics.record(health, 404, 0.00005);
        let text = metrics.render();
        assert!(text.contains("textnn_http_requests_total{endpoint=\"/health\",status=\"200\"} 2"));
        assert!(text.contains("textnn_http_requests_total{endpoint=\"/health\",status=\"404\"} 1"));
        assert!(text.contains("le=\"0.0001\"} 1\n"));
        assert!(text.contains("le=\"0.00025\"} 2\n"));
        assert!(text.contains("le=\"1\"} 2\n"));
        assert!(text.contains("le=\"+Inf\"} 3\n"));
        assert!(text.contains("textnn_http_request_duration_seconds_count{endpoint=\"/health\"} 3"));
        // Endpoints that never answered are left out.
        assert!(!text.contains("endpoint=\"/ready\""));
    }

    #[test]
    fn unknown_paths_and_odd_statuses_stay_in_the_table() {
        // (path, route)
        let table = [
            ("/", "/"),
            ("/admin/reload", "/admin/reload"),
            ("/model/parse/", "other"),
            ("/wp-login.php", "other"),
        ];
        for (path, route) in table {
            assert_eq!(ROUTES[route_index(path)], route, "{path}");
        }
        let metrics = Metrics::default();
        metrics.record(route_index("/x"), 999, 0.0);
        assert!(metrics
            .render()
            .contains("textnn_http_requests_total{endpoint=\"other\",status=\"599\"} 1"));
    }

    #[test]
    fn reloads_are_counted_by_result() {
        let metrics = Metrics::default();
        metrics.reload_failed();
        metrics.reload_failed();
        let text = metrics.render();
        assert!(text.contains("textnn_model_reloads_total{result=\"ok\"} 0\n"));
        assert!(text.contains("textnn_model_reloads_total{result=\"error\"} 2\n"));
    }
}
