//! `textnn serve`: every endpoint and every error path, on an ephemeral
//! loopback port, through a few lines of plain HTTP/1.1 over `TcpStream`
//! (no HTTP client dependency). Every wait is bounded, so a hung server
//! fails the test instead of hanging CI.
//!
//! Slow requests (for shedding, timeouts, reloads and shutdown with
//! requests in flight) come from the hidden, test-only `--debug-delays`
//! option: a request with `X-Debug-Delay-Ms: N` sleeps N ms after taking
//! its model snapshot. Tests wait for such a request to be in flight by
//! polling the `textnn_http_requests_in_flight` gauge, not by sleeping.
#![cfg(unix)]

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest any single step (start, request, shutdown) may take.
const STEP: Duration = Duration::from_secs(20);

/// Polls `condition` every 20 ms until it holds; fails after [`STEP`].
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + STEP;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The address in a `... on http://ADDR` line, whatever surrounds it (the
/// text log format ends the line with it; the JSON one closes a string).
fn address_in(line: &str) -> Option<SocketAddr> {
    let after = line.rsplit("http://").next()?;
    let end = after
        .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']')))
        .unwrap_or(after.len());
    after[..end].parse().ok()
}

/// A running `textnn serve`, killed on drop if a test failed before
/// stopping it. Its requests go through [`Client`] (`server.get(...)`).
struct Server {
    child: Child,
    client: Client,
    /// Every stderr line so far.
    logs: Arc<Mutex<Vec<String>>>,
}

impl std::ops::Deref for Server {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Server {
    /// Starts `textnn serve MODEL --addr 127.0.0.1:0 EXTRA` and reads the
    /// bound address from the first line of its stderr.
    fn start(model: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("textnn"))
            .args(["serve", model, "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("textnn starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, receiver) = mpsc::channel();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&logs);
        // Reading a pipe blocks, so a thread reads and the test waits with a timeout.
        // The thread keeps draining stderr so that the server never blocks on it.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            if let Some(Ok(first)) = lines.next() {
                kept.lock().unwrap().push(first.clone());
                let _ = sender.send(first);
            }
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let first = match receiver.recv_timeout(STEP) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                panic!("no address line from textnn serve: {e}");
            }
        };
        let addr = address_in(&first).unwrap_or_else(|| panic!("no address in {first:?}"));
        Server {
            child,
            client: Client { addr },
            logs,
        }
    }

    /// Sends `signal` (TERM, INT, HUP) to the server.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Sends `signal` (TERM, INT), waits, bounded, for the exit and
    /// asserts that it was clean (code 0).
    fn stop(mut self, signal: &str) {
        self.signal(signal);
        let status = self.wait_for_exit();
        assert_eq!(status.code(), Some(0), "textnn serve exited with {status}");
    }

    /// Waits, bounded, for the server to exit.
    fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting on textnn") {
                return status;
            }
            assert!(Instant::now() < deadline, "textnn serve did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The stderr lines read so far.
    fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Waits, bounded, for a stderr line that contains every one of
    /// `pieces`, and returns it.
    fn wait_for_log(&self, pieces: &[&str]) -> String {
        let mut found = None;
        wait_until(&format!("a log line with {pieces:?}"), || {
            found = self
                .logs()
                .into_iter()
                .find(|line| pieces.iter().all(|p| line.contains(p)));
            found.is_some()
        });
        found.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends requests to a server; `Copy`, so that threads can hold requests
/// in flight while the test goes on.
#[derive(Clone, Copy)]
struct Client {
    addr: SocketAddr,
}

impl Client {
    /// One request; returns the status, the headers (names lowercased) and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        self.request_with(method, path, content_type, &[], body)
    }

    /// [`Client::request`] with extra header lines such as `Authorization: Bearer x`.
    fn request_with(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        extra_headers: &[&str],
        body: &[u8],
    ) -> Response {
        let mut stream = TcpStream::connect_timeout(&self.addr, STEP).expect("connects");
        stream.set_read_timeout(Some(STEP)).unwrap();
        stream.set_write_timeout(Some(STEP)).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(t) = content_type {
            head.push_str(&format!("Content-Type: {t}\r\n"));
        }
        for line in extra_headers {
            head.push_str(&format!("{line}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // The server may answer (413) and close before reading the whole
        // body, so a failed write of the body is not an error here.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        // Likewise a reset after a complete answer: keep what was read.
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8(raw).expect("the answer is UTF-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        assert!(
            !headers
                .iter()
                .any(|(k, v)| k == "transfer-encoding" && v == "chunked"),
            "this test client reads only Content-Length bodies"
        );
        Response {
            status: status.parse().unwrap(),
            headers,
            body: body.to_string(),
        }
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, b"")
    }

    fn post_json(&self, path: &str, body: &str) -> Response {
        self.post_json_with(path, &[], body)
    }

    /// [`Client::post_json`] with extra header lines.
    fn post_json_with(&self, path: &str, extra_headers: &[&str], body: &str) -> Response {
        self.request_with(
            "POST",
            path,
            Some("application/json"),
            extra_headers,
            body.as_bytes(),
        )
    }

    /// `GET path` with `Authorization: Bearer token`.
    fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.request_with("GET", path, None, &[&bearer(token)], b"")
    }

    /// `POST /model/parse` for `text`, slept `delay_ms` on the server
    /// (which must run with `--debug-delays`).
    fn slow_parse(&self, text: &str, delay_ms: u64) -> Response {
        let body = serde_json::json!({ "text": text }).to_string();
        self.post_json_with(
            "/model/parse",
            &[&format!("X-Debug-Delay-Ms: {delay_ms}")],
            &body,
        )
    }

    /// The `textnn_http_requests_total` sample of `endpoint` and `status`.
    fn requests_total(&self, endpoint: &str, status: u16) -> f64 {
        self.metric(&format!(
            "textnn_http_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}}"
        ))
    }

    /// The value of the sample `name` (with its labels, as written) in
    /// `/metrics`, 0 if absent; `/metrics` must need no token.
    fn metric(&self, name: &str) -> f64 {
        let metrics = self.get("/metrics");
        assert_eq!(metrics.status, 200, "{}", metrics.body);
        metrics
            .body
            .lines()
            .filter_map(|line| line.rsplit_once(' '))
            .find(|(sample, _)| *sample == name)
            .map_or(0.0, |(_, value)| value.parse().expect("a number"))
    }

    /// `/version`'s body (no token needed).
    fn version(&self) -> Value {
        self.get("/version").json(200)
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status and a JSON body, and returns the body.
    fn json(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{}",
            self.body
        );
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Asserts the one error schema with this code, and returns the message.
    fn error(&self, code: u16, reason: &str) -> String {
        let body = self.json(code);
        assert_eq!(body["status"], "failure", "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["reason"], reason, "{body}");
        assert!(body["version"].is_string(), "{body}");
        // Rasa's `details` (an object) and `help` (a hint or null).
        assert!(body["details"].is_object(), "{body}");
        assert!(
            body.get("help")
                .is_some_and(|h| h.is_string() || h.is_null()),
            "{body}"
        );
        body["message"].as_str().expect("a message").to_string()
    }
}

/// The label names of a `/version` body.
fn labels_of(version: &Value) -> Vec<String> {
    version["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

/// The header line `Authorization: Bearer token`.
fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

/// Asserts that the `/metrics` text holds every one of `lines`.
fn assert_metrics_contain(metrics: &str, lines: &[&str]) {
    for line in lines {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
}

/// Writes `token` (and a newline) to a file `token` in `dir`; returns its
/// path for `--token-file`.
fn token_file(dir: &Path, token: &str) -> String {
    let path = dir.join("token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs `textnn serve MODEL --addr 127.0.0.1:0 EXTRA` to its end, bounded:
/// for the runs that must fail before serving.
fn serve_to_the_end(model: &Path, extra: &[&str]) -> std::process::Output {
    common::textnn()
        .arg("serve")
        .arg(model)
        .args(["--addr", "127.0.0.1:0"])
        .args(extra)
        .timeout(STEP)
        .output()
        .unwrap()
}

/// Asserts that each argument list is a usage error (exit code 2).
fn assert_usage_errors(cases: &[[&str; 4]]) {
    for args in cases {
        let output = common::textnn().args(args).timeout(STEP).output().unwrap();
        common::failure(&output, 2, &[]);
    }
}

/// A copy of `trained`'s model, `served.textnn` in its folder, for the
/// reload tests to replace.
fn served_copy(trained: &common::Trained) -> std::path::PathBuf {
    let served = trained.dir.path().join("served.textnn");
    std::fs::copy(trained.path(), &served).unwrap();
    served
}

/// Replaces `path` with `bytes` the way a deployment should: write a
/// sibling file, then rename it over the old one.
fn replace_file(path: &Path, bytes: &[u8]) {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// A second model, with other labels than [`model`]'s: greet and bye.
fn other_model() -> common::Trained {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("greetings.txt");
    std::fs::write(
        &data,
        "__label__greet hello there\n__label__greet hi friend\n__label__greet good morning\n\
         __label__bye goodbye now\n__label__bye see you later\n__label__bye good night\n",
    )
    .unwrap();
    common::train(
        &data,
        &["--epochs", "20", "--buckets", "1000", "--dim", "8"],
    )
}

fn model() -> common::Trained {
    common::train(
        &common::data("train.txt"),
        &["--epochs", "20", "--buckets", "1000", "--dim", "8"],
    )
}

#[test]
fn serve_answers_every_endpoint_and_stops_on_sigterm() {
    let trained = model();
    let server = Server::start(trained.path(), &[]);

    let greeting = server.get("/");
    assert_eq!(greeting.status, 200);
    assert!(greeting.body.starts_with("Hello from textnn: "));
    assert_eq!(server.get("/health").json(200)["status"], "ok");
    assert_eq!(server.get("/ready").json(200)["status"], "ready");

    let version = server.get("/version").json(200);
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    assert!(version["format_version"].as_u64().unwrap() >= 1);
    let labels: Vec<&str> = version["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 3, "{version}");
    assert_eq!(version["settings"]["epochs"], 20);
    assert_eq!(version["model"]["path"], trained.path());
    assert_eq!(version["model"]["generation"], 1);
    assert!(version["model"]["loaded_at_unix_seconds"].as_u64().unwrap() > 0);

    // Rasa's ParseResult.
    let parse = server
        .post_json(
            "/model/parse",
            r#"{"text": "turn on the lights", "message_id": "m1"}"#,
        )
        .json(200);
    assert_eq!(parse["text"], "turn on the lights");
    assert_eq!(parse["entities"], serde_json::json!([]));
    let ranking = parse["intent_ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 3);
    assert_eq!(parse["intent"], ranking[0]);
    let confidences: Vec<f64> = ranking
        .iter()
        .map(|i| i["confidence"].as_f64().unwrap())
        .collect();
    assert!(confidences.windows(2).all(|w| w[0] >= w[1]), "{parse}");
    assert!(
        (confidences.iter().sum::<f64>() - 1.0).abs() < 1e-3,
        "{parse}"
    );
    for intent in ranking {
        assert!(labels.contains(&intent["name"].as_str().unwrap()));
    }
    // message_id is optional, as in Rasa.
    server
        .post_json("/model/parse", r#"{"text": "play some music"}"#)
        .json(200);

    // One ranked list per text, k and threshold respected.
    let classify = server
        .post_json(
            "/v1/classify",
            r#"{"texts": ["turn on the lights", "play some music", ""], "k": 2}"#,
        )
        .json(200);
    let results = classify["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for list in results {
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "{classify}");
        assert!(list[0]["confidence"].as_f64() >= list[1]["confidence"].as_f64());
        assert!(labels.contains(&list[0]["label"].as_str().unwrap()));
    }
    // The same text gives the same top label and confidence on both endpoints.
    assert_eq!(results[0][0]["label"], parse["intent"]["name"]);
    assert_eq!(results[0][0]["confidence"], parse["intent"]["confidence"]);
    let all = server
        .post_json("/v1/classify", r#"{"texts": ["hello"], "k": 0}"#)
        .json(200);
    assert_eq!(all["results"][0].as_array().unwrap().len(), 3);
    let none = server
        .post_json(
            "/v1/classify",
            r#"{"texts": ["hello"], "k": 3, "threshold": 1.0}"#,
        )
        .json(200);
    assert!(none["results"][0].as_array().unwrap().len() <= 1, "{none}");
    let empty = server
        .post_json("/v1/classify", r#"{"texts": []}"#)
        .json(200);
    assert_eq!(empty["results"], serde_json::json!([]));
    // k defaults to 1.
    let default_k = server
        .post_json("/v1/classify", r#"{"texts": ["hello"]}"#)
        .json(200);
    assert_eq!(default_k["results"][0].as_array().unwrap().len(), 1);

    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let expected = [
        "textnn_http_requests_total{endpoint=\"/model/parse\",status=\"200\"} 2",
        "textnn_http_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 5",
        "textnn_http_requests_total{endpoint=\"/health\",status=\"200\"} 1",
        "textnn_http_request_duration_seconds_bucket{endpoint=\"/model/parse\",le=\"+Inf\"} 2",
        "textnn_http_request_duration_seconds_count{endpoint=\"/v1/classify\"} 5",
        "textnn_http_requests_in_flight 0\n",
        "textnn_model_reloads_total{result=\"ok\"} 0\n",
        "textnn_model_reloads_total{result=\"error\"} 0\n",
        "textnn_model_generation 1\n",
    ];
    assert_metrics_contain(&metrics.body, &expected);

    // Without --access-log, requests are not logged one by one.
    let logs = server.logs();
    assert!(
        !logs.iter().any(|line| line.contains("/model/parse")),
        "{logs:#?}"
    );
    server.stop("TERM");
}

#[test]
fn serve_answers_every_error_with_one_json_schema() {
    let trained = model();
    let server = Server::start(
        trained.path(),
        &[
            "--max-body-bytes",
            "300",
            "--max-text-chars",
            "20",
            "--max-batch",
            "2",
        ],
    );
    let parse_ok = r#"{"text": "hello"}"#.as_bytes();

    // Issue 18: the body is JSON whatever the content type says (none,
    // curl's form default, text/plain), as Rasa reads it.
    server
        .request("POST", "/model/parse", None, parse_ok)
        .json(200);
    server
        .request(
            "POST",
            "/model/parse",
            Some("application/x-www-form-urlencoded"),
            parse_ok,
        )
        .json(200);
    server
        .request(
            "POST",
            "/v1/classify",
            Some("text/plain"),
            br#"{"texts": []}"#,
        )
        .json(200);
    // A body that is not JSON is still 400, whatever the content type.
    server
        .request("POST", "/model/parse", None, b"text=hello")
        .error(400, "BadRequest");
    server
        .request(
            "POST",
            "/model/parse",
            Some("application/json; charset=utf-8"),
            parse_ok,
        )
        .json(200);

    // Malformed or wrongly typed JSON: 400, never axum's plain text.
    for (path, body) in [
        ("/model/parse", "{\"text\": "),
        ("/model/parse", "not json"),
        ("/model/parse", ""),
        ("/model/parse", r#"{"text": 42}"#),
        ("/model/parse", r#"{"message_id": "m1"}"#),
        ("/model/parse", r#"["hello"]"#),
        ("/v1/classify", r#"{"texts": "hello"}"#),
        ("/v1/classify", r#"{"texts": [1, 2]}"#),
        ("/v1/classify", r#"{"texts": ["a"], "k": -1}"#),
        ("/v1/classify", r#"{"texts": ["a"], "thresold": 0.5}"#),
        ("/v1/classify", r#"{"texts": ["a"], "threshold": 1.5}"#),
        ("/v1/classify", r#"{"texts": ["a"], "threshold": "high"}"#),
    ] {
        let message = server.post_json(path, body).error(400, "BadRequest");
        assert!(!message.is_empty(), "{path} {body}");
    }

    // Limits: body, text, batch.
    let big = format!(r#"{{"text": "{}"}}"#, "a".repeat(400));
    let message = server
        .post_json("/model/parse", &big)
        .error(413, "PayloadTooLarge");
    assert!(message.contains("--max-body-bytes"), "{message}");
    let long = format!(r#"{{"text": "{}"}}"#, "é".repeat(21));
    let message = server
        .post_json("/model/parse", &long)
        .error(413, "PayloadTooLarge");
    assert!(message.contains("21 characters"), "{message}");
    // Exactly at the limit, counted in characters rather than bytes.
    server
        .post_json(
            "/model/parse",
            &format!(r#"{{"text": "{}"}}"#, "é".repeat(20)),
        )
        .json(200);
    let long_in_batch = format!(r#"{{"texts": ["ok", "{}"]}}"#, "a".repeat(21));
    server
        .post_json("/v1/classify", &long_in_batch)
        .error(413, "PayloadTooLarge");
    let message = server
        .post_json("/v1/classify", r#"{"texts": ["a", "b", "c"]}"#)
        .error(413, "PayloadTooLarge");
    assert!(message.contains("--max-batch"), "{message}");
    server
        .post_json("/v1/classify", r#"{"texts": ["a", "b"]}"#)
        .json(200);

    // Unknown route, wrong method.
    let message = server.get("/nope").error(404, "NotFound");
    assert!(message.contains("/nope"), "{message}");
    server
        .post_json("/model/parse/extra", r#"{"text": "a"}"#)
        .error(404, "NotFound");
    let wrong = server.get("/model/parse");
    wrong.error(405, "MethodNotAllowed");
    assert_eq!(wrong.header("allow"), Some("POST"));
    server
        .request("DELETE", "/health", None, b"")
        .error(405, "MethodNotAllowed");

    // The server still answers after all of that, and counted the errors.
    server.get("/health").json(200);
    let metrics = server.get("/metrics").body;
    assert_metrics_contain(
        &metrics,
        &[
            "textnn_http_requests_total{endpoint=\"/model/parse\",status=\"400\"} 7",
            "textnn_http_requests_total{endpoint=\"/v1/classify\",status=\"413\"} 2",
            "textnn_http_requests_total{endpoint=\"other\",status=\"404\"} 2",
        ],
    );
    server.stop("TERM");
}

#[test]
fn serve_puts_nlu_fallback_first_like_rasa() {
    let trained = model();
    // An unknown word gives every label the same probability, 1/3.
    let unknown = r#"{"text": "xyzzy"}"#;

    // Below the fallback threshold.
    let server = Server::start(trained.path(), &["--fallback-threshold", "0.999"]);
    let parse = server.post_json("/model/parse", unknown).json(200);
    let fallback = serde_json::json!({"name": "nlu_fallback", "confidence": 0.999});
    assert_eq!(parse["intent"], fallback, "{parse}");
    let ranking = parse["intent_ranking"].as_array().unwrap();
    assert_eq!(ranking[0], fallback);
    assert_eq!(
        ranking.len(),
        4,
        "the fallback goes before the model's 3 labels"
    );
    server.stop("INT");

    // Top two closer than the ambiguity threshold; with no fallback
    // threshold the fallback's confidence is 0.
    let server = Server::start(trained.path(), &["--ambiguity-threshold", "0.1"]);
    let parse = server.post_json("/model/parse", unknown).json(200);
    let fallback = serde_json::json!({"name": "nlu_fallback", "confidence": 0.0});
    assert_eq!(parse["intent"], fallback, "{parse}");
    server.stop("TERM");

    // A threshold of 0 never falls back.
    let server = Server::start(trained.path(), &["--fallback-threshold", "0"]);
    let parse = server.post_json("/model/parse", unknown).json(200);
    assert_ne!(parse["intent"]["name"], "nlu_fallback", "{parse}");
    server.stop("TERM");
}

#[test]
fn serve_refuses_a_bad_model_before_binding() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.textnn");
    std::fs::write(&bad, b"this is not a model").unwrap();
    let output = serve_to_the_end(&bad, &[]);
    let message = common::failure(&output, 1, &["bad.textnn"]);
    assert!(!message.contains("serving"), "{message}");

    let output = serve_to_the_end(&dir.path().join("missing.textnn"), &[]);
    common::failure(&output, 1, &["missing.textnn"]);
}

#[test]
fn serve_rejects_bad_options() {
    assert_usage_errors(&[
        ["serve", "m", "--addr", "localhost"],
        ["serve", "m", "--fallback-threshold", "2"],
        ["serve", "m", "--ambiguity-threshold", "x"],
        ["serve", "m", "--max-batch", "-1"],
    ]);
}

/// SIGTERM while a request is half sent: the server finishes that request,
/// then exits 0.
#[test]
fn serve_finishes_an_in_flight_request_on_sigterm() {
    let trained = model();
    let server = Server::start(trained.path(), &[]);
    let body = br#"{"text": "turn on the lights"}"#;
    let mut stream = TcpStream::connect_timeout(&server.addr, STEP).expect("connects");
    stream.set_read_timeout(Some(STEP)).unwrap();
    let head = format!(
        "POST /model/parse HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..5]).unwrap();
    // Give the server time to read the head and start the request.
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[5..]).unwrap();
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("\"intent\""), "{raw}");
    let mut server = server;
    assert_eq!(server.wait_for_exit().code(), Some(0));
}

#[test]
fn serve_with_a_token_file_needs_the_token_except_on_health() {
    let trained = model();
    let token_path = token_file(trained.dir.path(), "s3cret-token");
    let server = Server::start(trained.path(), &["--token-file", &token_path]);
    server.get("/health").json(200);
    assert_eq!(server.get("/").status, 200);
    // Issue 18: /version is open, as Rasa's is.
    server.get("/version").json(200);

    let missing = server.get("/status");
    missing.error(401, "NotAuthenticated");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    server
        .post_json("/model/parse", r#"{"text": "hello"}"#)
        .error(401, "NotAuthenticated");
    for wrong in ["wrong", "s3cret-toke"] {
        server
            .get_with_token("/status", wrong)
            .error(401, "NotAuthenticated");
    }
    server
        .get("/status?token=wrong")
        .error(401, "NotAuthenticated");

    server.get_with_token("/status", "s3cret-token").json(200);
    server.get("/status?token=s3cret-token").json(200);
    server
        .post_json_with(
            "/model/parse",
            &[&bearer("s3cret-token")],
            r#"{"text": "hello"}"#,
        )
        .json(200);
    let metrics = server.get("/metrics?token=s3cret-token").body;
    assert!(
        metrics.contains("textnn_http_requests_total{endpoint=\"/status\",status=\"401\"} 4"),
        "{metrics}"
    );
    server.stop("TERM");

    // An empty token file is refused before binding.
    let token_path = token_file(trained.dir.path(), " ");
    let output = serve_to_the_end(&trained.model, &["--token-file", &token_path]);
    common::failure(&output, 1, &["is empty"]);
}

/// `?token=` is form-decoded as Rasa's Sanic decodes it: `%2B` is `+`,
/// and a bare `+` is a space.
#[test]
fn serve_percent_decodes_query_tokens() {
    let trained = model();
    let token_path = token_file(trained.dir.path(), "a+b/c=");
    let server = Server::start(trained.path(), &["--token-file", &token_path]);
    server.get("/status?token=a%2Bb%2Fc%3D").json(200);
    server.get("/status?token=a%2bb%2fc%3d").json(200);
    server
        .get("/status?token=a+b/c=")
        .error(401, "NotAuthenticated");
    server
        .get("/status?token=a%2Bb%2Fc%3")
        .error(401, "NotAuthenticated");
    // The header form is not encoded at all.
    server.get_with_token("/status", "a+b/c=").json(200);
    server.stop("TERM");
}

/// SIGHUP loads the file again: a good one serves from then on (requests
/// in flight finish on the old one); a corrupt or missing one is refused,
/// logged and counted, and the model in service keeps serving.
#[test]
fn serve_reloads_on_sighup_and_keeps_serving_when_the_new_file_is_bad() {
    let first = model();
    let second = other_model();
    let served = served_copy(&first);
    let server = Server::start(served.to_str().unwrap(), &["--debug-delays"]);
    let version = server.version();
    assert_eq!(version["model"]["generation"], 1);
    let first_labels = labels_of(&version);
    assert_eq!(first_labels.len(), 3);

    // A request in flight during the reload.
    let client = server.client;
    let slow = std::thread::spawn(move || client.slow_parse("turn on the lights", 1500));
    wait_until("the slow request", || {
        server.metric("textnn_http_requests_in_flight") == 1.0
    });

    let second_bytes = std::fs::read(second.path()).unwrap();
    replace_file(&served, &second_bytes);
    server.signal("HUP");
    wait_until("generation 2", || {
        server.version()["model"]["generation"] == 2
    });
    let second_labels = labels_of(&server.version());
    assert_eq!(second_labels, ["bye", "greet"].map(String::from).to_vec());
    let parse = server
        .post_json("/model/parse", r#"{"text": "hello there"}"#)
        .json(200);
    assert_eq!(
        parse["intent_ranking"].as_array().unwrap().len(),
        2,
        "{parse}"
    );
    assert!(second_labels.contains(&parse["intent"]["name"].as_str().unwrap().to_string()));

    // The request that started before the reload answered from the old model.
    let old = slow.join().unwrap().json(200);
    assert_eq!(old["intent_ranking"].as_array().unwrap().len(), 3, "{old}");
    assert!(first_labels.contains(&old["intent"]["name"].as_str().unwrap().to_string()));
    server.wait_for_log(&["reloaded the model", "SIGHUP"]);

    // A corrupt file: one flipped byte in the middle fails the checksum.
    let mut corrupt = second_bytes.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x55;
    replace_file(&served, &corrupt);
    server.signal("HUP");
    wait_until("a refused reload", || {
        server.metric("textnn_model_reloads_total{result=\"error\"}") == 1.0
    });
    server.wait_for_log(&["reload refused", "served.textnn"]);
    // A missing file.
    std::fs::remove_file(&served).unwrap();
    server.signal("HUP");
    wait_until("a second refused reload", || {
        server.metric("textnn_model_reloads_total{result=\"error\"}") == 2.0
    });

    // Still the second model, still answering.
    let version = server.version();
    assert_eq!(version["model"]["generation"], 2);
    assert_eq!(labels_of(&version), second_labels);
    server
        .post_json("/model/parse", r#"{"text": "see you later"}"#)
        .json(200);
    assert_eq!(
        server.metric("textnn_model_reloads_total{result=\"ok\"}"),
        1.0
    );
    assert_eq!(server.metric("textnn_model_generation"), 2.0);
    server.stop("TERM");
}

/// `POST /admin/reload` is refused (403) without `--token-file`, needs the
/// token (401) with one, and answers once the new model serves (200) or
/// was refused (500, the old one still serving).
#[test]
fn serve_admin_reload_needs_a_token_and_refuses_a_bad_file() {
    let first = model();
    let second = other_model();
    let served = served_copy(&first);
    let served = served.to_str().unwrap().to_string();

    let server = Server::start(&served, &[]);
    let message = server
        .post_json("/admin/reload", "")
        .error(403, "NotAuthorized");
    assert!(message.contains("--token-file"), "{message}");
    server.get("/admin/reload").error(405, "MethodNotAllowed");
    assert_eq!(server.version()["model"]["generation"], 1);
    server.stop("TERM");

    let token_path = token_file(first.dir.path(), "s3cret");
    let server = Server::start(&served, &["--token-file", &token_path]);
    let reload =
        |headers: &[&str]| server.request_with("POST", "/admin/reload", None, headers, b"");
    reload(&[]).error(401, "NotAuthenticated");
    reload(&[&bearer("wrong")]).error(401, "NotAuthenticated");

    replace_file(Path::new(&served), &std::fs::read(second.path()).unwrap());
    let answer = reload(&[&bearer("s3cret")]).json(200);
    assert_eq!(answer["status"], "ok", "{answer}");
    assert_eq!(answer["model"]["generation"], 2, "{answer}");
    assert_eq!(answer["labels"], serde_json::json!(["bye", "greet"]));
    let version = server.get("/version?token=s3cret").json(200);
    assert_eq!(version["model"]["generation"], 2);
    assert_eq!(labels_of(&version), ["bye", "greet"]);

    replace_file(Path::new(&served), b"TEXTNNMF but not really a model");
    let message = reload(&[&bearer("s3cret")]).error(500, "InternalServerError");
    assert!(message.contains("still serving generation 2"), "{message}");
    assert!(message.contains("served.textnn"), "{message}");
    let parse = server
        .post_json_with(
            "/model/parse",
            &[&bearer("s3cret")],
            r#"{"text": "hello there"}"#,
        )
        .json(200);
    assert_eq!(parse["intent_ranking"].as_array().unwrap().len(), 2);
    let metrics = server.get("/metrics?token=s3cret").body;
    assert_metrics_contain(
        &metrics,
        &[
            "textnn_model_reloads_total{result=\"ok\"} 1\n",
            "textnn_model_reloads_total{result=\"error\"} 1\n",
            "textnn_http_requests_total{endpoint=\"/admin/reload\",status=\"401\"} 2\n",
            "textnn_http_requests_total{endpoint=\"/admin/reload\",status=\"500\"} 1\n",
        ],
    );
    server.wait_for_log(&["reload refused", "POST /admin/reload"]);
    server.stop("TERM");
}

/// With `--max-concurrency 1`, a second classification request while one
/// is in flight is refused at once with 503 (no queue); the probes and
/// /metrics still answer.
#[test]
fn serve_sheds_load_beyond_max_concurrency() {
    let trained = model();
    let server = Server::start(
        trained.path(),
        &["--max-concurrency", "1", "--debug-delays"],
    );
    let client = server.client;
    let slow = std::thread::spawn(move || client.slow_parse("play some music", 2000));
    wait_until("the slow request", || {
        server.metric("textnn_http_requests_in_flight") == 1.0
    });
    let started = Instant::now();
    let shed = server.post_json("/model/parse", r#"{"text": "hello"}"#);
    let message = shed.error(503, "ServiceUnavailable");
    assert!(message.contains("--max-concurrency"), "{message}");
    assert_eq!(shed.header("retry-after"), Some("1"));
    server
        .post_json("/v1/classify", r#"{"texts": ["hello"]}"#)
        .error(503, "ServiceUnavailable");
    // Refused, not queued: well before the slow request ends.
    assert!(started.elapsed() < Duration::from_millis(1500));
    server.get("/health").json(200);
    server.get("/ready").json(200);
    assert_eq!(server.metric("textnn_http_requests_in_flight"), 1.0);

    slow.join().unwrap().json(200);
    server
        .post_json("/model/parse", r#"{"text": "hello"}"#)
        .json(200);
    assert_eq!(server.requests_total("/model/parse", 503), 1.0);
    assert_eq!(server.metric("textnn_http_requests_in_flight"), 0.0);
    server.stop("TERM");
}

/// A classification request slower than `--request-timeout-ms` is answered
/// 408 in the error schema, and frees its slot.
#[test]
fn serve_times_out_slow_requests() {
    let trained = model();
    let server = Server::start(
        trained.path(),
        &[
            "--request-timeout-ms",
            "300",
            "--debug-delays",
            "--max-concurrency",
            "1",
        ],
    );
    let message = server
        .slow_parse("turn on the lights", 20_000)
        .error(408, "RequestTimeout");
    assert!(message.contains("300 ms"), "{message}");
    assert!(message.contains("--request-timeout-ms"), "{message}");
    let timed_out = server.post_json_with(
        "/v1/classify",
        &["X-Debug-Delay-Ms: 20000"],
        r#"{"texts": ["hello"]}"#,
    );
    timed_out.error(408, "RequestTimeout");
    // The slot came back: with a limit of 1 this would otherwise be a 503.
    assert_eq!(server.metric("textnn_http_requests_in_flight"), 0.0);
    server
        .post_json("/model/parse", r#"{"text": "hello"}"#)
        .json(200);
    assert_eq!(server.requests_total("/v1/classify", 408), 1.0);
    server.stop("TERM");
}

/// SIGTERM with two requests in flight: both finish with 200, no new
/// connection is accepted, and the server exits 0.
#[test]
fn serve_finishes_requests_in_flight_on_sigterm() {
    let trained = model();
    let mut server = Server::start(trained.path(), &["--debug-delays"]);
    let client = server.client;
    let slow: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || client.slow_parse("play some music", 1000)))
        .collect();
    wait_until("two slow requests", || {
        server.metric("textnn_http_requests_in_flight") == 2.0
    });
    server.signal("TERM");
    for request in slow {
        let answer = request.join().unwrap().json(200);
        assert!(answer["intent"]["name"].is_string(), "{answer}");
    }
    assert_eq!(server.wait_for_exit().code(), Some(0));
    assert!(TcpStream::connect_timeout(&server.addr, Duration::from_secs(1)).is_err());
    server.wait_for_log(&["shut down"]);
}

/// `--access-log --log-format json`: one JSON object per line, the first
/// naming the address, then one per request with method, path, status,
/// latency and request id; the id comes back in `X-Request-Id`.
#[test]
fn serve_writes_json_access_logs_with_request_ids() {
    let trained = model();
    let mut server = Server::start(trained.path(), &["--access-log", "--log-format", "json"]);
    let first: Value = serde_json::from_str(&server.logs()[0]).expect("a JSON first line");
    assert_eq!(first["level"], "INFO", "{first}");
    assert!(
        first["message"].as_str().unwrap().contains("serving"),
        "{first}"
    );

    let answer = server.post_json_with(
        "/model/parse",
        &["X-Request-Id: client-id-1"],
        r#"{"text": "hello"}"#,
    );
    answer.json(200);
    assert_eq!(answer.header("x-request-id"), Some("client-id-1"));
    let generated = server.get("/nope");
    generated.error(404, "NotFound");
    let generated_id = generated
        .header("x-request-id")
        .expect("a request id")
        .to_string();
    assert!(!generated_id.is_empty());

    let line = server.wait_for_log(&["client-id-1", "\"message\":\"request\""]);
    let record: Value = serde_json::from_str(&line).expect("a JSON access line");
    assert_eq!(record["method"], "POST", "{record}");
    assert_eq!(record["path"], "/model/parse", "{record}");
    assert_eq!(record["status"], 200, "{record}");
    assert!(record["latency_us"].is_u64(), "{record}");
    let line = server.wait_for_log(&[&generated_id, "\"message\":\"request\""]);
    let record: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(record["status"], 404, "{record}");
    server.signal("TERM");
    assert_eq!(server.wait_for_exit().code(), Some(0));
    // The reader thread may still be draining the pipe for a moment.
    server.wait_for_log(&["shut down"]);
    for line in server.logs() {
        serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
}

#[test]
fn serve_rejects_bad_limit_and_log_options() {
    assert_usage_errors(&[
        ["serve", "m", "--max-concurrency", "0"],
        ["serve", "m", "--request-timeout-ms", "0"],
        ["serve", "m", "--log-format", "xml"],
        ["serve", "m", "--threads", "0"],
    ]);
}

/// Sends `bytes` on a fresh connection, then reads until the server closes
/// it (bounded by [`STEP`]); returns what came back and how long it took.
/// For requests the [`Client`] cannot send: unfinished heads and bodies.
fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> (String, Duration) {
    let start = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, STEP).expect("connects");
    stream.set_read_timeout(Some(STEP)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut raw = Vec::new();
    // A reset after the answer still leaves what was read.
    let _ = stream.read_to_end(&mut raw);
    (String::from_utf8_lossy(&raw).into_owned(), start.elapsed())
}

#[test]
fn issue_18_emulation_modes_answer_in_rasas_shapes() {
    let trained = model();
    let server = Server::start(trained.path(), &[]);
    let body = r#"{"text": "turn on the lights"}"#;
    let plain = server.post_json("/model/parse", body).json(200);
    let top = plain["intent"]["name"].as_str().unwrap().to_string();
    let confidence = plain["intent"]["confidence"].clone();

    let wit = server
        .post_json("/model/parse?emulation_mode=wit", body)
        .json(200);
    assert_eq!(wit["text"], "turn on the lights", "{wit}");
    assert_eq!(wit["intents"][0]["name"], top.as_str(), "{wit}");
    assert_eq!(wit["intents"][0]["confidence"], confidence, "{wit}");
    assert_eq!(wit["entities"], serde_json::json!({}), "{wit}");
    assert_eq!(wit["traits"], serde_json::json!({}), "{wit}");

    // Case-insensitive, as Rasa's; LUIS gets the whole ranking.
    let luis = server
        .post_json("/model/parse?emulation_mode=LUIS", body)
        .json(200);
    assert_eq!(luis["query"], "turn on the lights", "{luis}");
    assert_eq!(luis["prediction"]["topIntent"], top.as_str(), "{luis}");
    let intents = luis["prediction"]["intents"].as_object().unwrap();
    assert_eq!(intents.len(), 3, "{luis}");
    assert_eq!(intents[&top]["score"], confidence, "{luis}");
    assert_eq!(
        luis["prediction"]["entities"],
        serde_json::json!({"$instance": {}})
    );

    let dialogflow = server
        .post_json(
            "/model/parse?emulation_mode=Dialogflow",
            r#"{"text": "/music{\"artist\": \"Nina Simone\"}"}"#,
        )
        .json(200);
    let result = &dialogflow["queryResult"];
    assert_eq!(result["action"], "music", "{dialogflow}");
    assert_eq!(result["intent"]["displayName"], "music", "{dialogflow}");
    assert_eq!(result["intentDetectionConfidence"], 1.0, "{dialogflow}");
    assert_eq!(
        result["parameters"],
        serde_json::json!({"artist": ["Nina Simone"]})
    );
    assert!(dialogflow["responseId"].is_string(), "{dialogflow}");

    // An unknown mode is refused with 400, naming the parameter.
    for mode in ["rasa", "", "wit2"] {
        let response = server.post_json(&format!("/model/parse?emulation_mode={mode}"), body);
        let message = response.error(400, "BadRequest");
        assert!(message.contains("emulation_mode"), "{message}");
        let details = response.json(400)["details"].clone();
        assert_eq!(
            details,
            serde_json::json!({"parameter": "emulation_mode", "in": "query"})
        );
    }
    server.stop("TERM");
}

#[test]
fn issue_18_button_payloads_answer_their_intent_with_entities() {
    let trained = model();
    let server = Server::start(trained.path(), &["--fallback-threshold", "0.99"]);
    let text = r#"/weather{"city": "Paris", "day": ["mon", "tue"]}"#;
    let body = serde_json::json!({ "text": text }).to_string();
    let parse = server.post_json("/model/parse", &body).json(200);
    let intent = serde_json::json!({"name": "weather", "confidence": 1.0});
    assert_eq!(parse["text"], text);
    assert_eq!(parse["intent"], intent, "{parse}");
    // Not classified, so no fallback and no other intent.
    assert_eq!(parse["intent_ranking"], serde_json::json!([intent]));
    let entity = |name: &str, value: &str| serde_json::json!({"entity": name, "value": value, "start": 8, "end": 48, "confidence": 1.0});
    assert_eq!(
        parse["entities"],
        serde_json::json!([
            entity("city", "Paris"),
            entity("day", "mon"),
            entity("day", "tue")
        ]),
        "{parse}"
    );
    // A stated confidence, as Rasa's `/intent@0.4`.
    let parse = server
        .post_json("/model/parse", r#"{"text": "/lights@0.4"}"#)
        .json(200);
    assert_eq!(
        parse["intent"],
        serde_json::json!({"name": "lights", "confidence": 0.4})
    );
    // An intent the model does not know is classified as text, as Rasa
    // does with one outside its domain (here: below the fallback threshold).
    let parse = server
        .post_json(
            "/model/parse",
            r#"{"text": "/order_pizza{\"size\": \"L\"}"}"#,
        )
        .json(200);
    assert_eq!(parse["intent"]["name"], "nlu_fallback", "{parse}");
    assert_eq!(parse["entities"], serde_json::json!([]), "{parse}");
    server.wait_for_log(&["order_pizza", "does not know"]);
    server.stop("TERM");
}

#[test]
fn issue_18_text_as_a_list_is_its_first_element() {
    let trained = model();
    let server = Server::start(trained.path(), &[]);
    let single = server
        .post_json("/model/parse", r#"{"text": "play some music"}"#)
        .json(200);
    let listed = server
        .post_json(
            "/model/parse",
            r#"{"text": ["play some music", "turn on the lights"]}"#,
        )
        .json(200);
    assert_eq!(listed, single);
    for body in [
        r#"{"text": []}"#,
        r#"{"text": [42]}"#,
        r#"{"text": ["a", 42]}"#,
        r#"{"text": {"a": 1}}"#,
    ] {
        let response = server.post_json("/model/parse", body);
        response.error(400, "BadRequest");
        assert_eq!(response.json(400)["details"]["parameter"], "text");
    }
    server.stop("TERM");
}

#[test]
fn issue_18_version_reports_the_models_figures_and_status_is_rasas() {
    let trained = model();
    let server = Server::start(trained.path(), &[]);
    let version = server.version();
    let info = common::textnn()
        .args(["info", trained.path(), "--json"])
        .timeout(STEP)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&info.stdout).expect("info --json");
    assert_eq!(version["n_labels"], 3, "{version}");
    assert_eq!(version["input_rows"], info["input_rows"], "{version}");
    assert_eq!(version["words"], info["words"], "{version}");
    assert_eq!(version["dim"], 8, "{version}");
    // Before the fix these were the settings' placeholders (2 labels, 1 row).
    assert_eq!(version["settings"]["network"]["n_labels"], 3, "{version}");
    assert_eq!(
        version["settings"]["network"]["input_rows"],
        info["input_rows"]
    );

    let status = server.get("/status").json(200);
    assert_eq!(status["model_file"], trained.path());
    assert_eq!(status["num_active_training_jobs"], 0);
    assert_eq!(status["generation"], 1);
    assert!(status["model_id"].as_str().unwrap().ends_with("@1"));
    server.stop("TERM");
}

#[test]
fn issue_18_query_token_comes_first_and_jwts_are_checked() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let sign = |claims: Value, secret: &str| {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let trained = model();
    let token_path = token_file(trained.dir.path(), "s3cret");
    let server = Server::start(
        trained.path(),
        &["--token-file", &token_path, "--jwt-secret", "jwt-key"],
    );
    let status = |path: &str, token: &str| server.get_with_token(path, token);
    // The query token wins over whatever the header says, as in Rasa.
    status("/status?token=s3cret", "not-a-jwt").json(200);
    let admin = sign(serde_json::json!({"user": {"role": "admin"}}), "jwt-key");
    status("/status", &admin).json(200);
    let user = sign(serde_json::json!({"user": {"username": "ann"}}), "jwt-key");
    let message = status("/status", &user).error(403, "NotAuthorized");
    assert!(message.contains("insufficient permissions"), "{message}");
    let forged = sign(serde_json::json!({"user": {"role": "admin"}}), "other-key");
    status("/status", &forged).error(401, "NotAuthenticated");
    let expired = sign(
        serde_json::json!({"user": {"role": "admin"}, "exp": 1_000_000_000}),
        "jwt-key",
    );
    status("/status", &expired).error(401, "NotAuthenticated");
    server
        .post_json_with("/model/parse", &[&bearer(&admin)], r#"{"text": "hello"}"#)
        .json(200);
    // The 401 says how to authenticate.
    let missing = server.get("/status").json(401);
    let help = missing["help"].as_str().unwrap();
    assert!(
        help.contains("?token=") && help.contains("--jwt-secret"),
        "{help}"
    );
    // /version stays open.
    server.get("/version").json(200);
    server.stop("TERM");

    // With only --jwt-secret, POST /admin/reload is enabled for admins.
    let server = Server::start(trained.path(), &["--jwt-secret", "jwt-key"]);
    let reload = server
        .request_with("POST", "/admin/reload", None, &[&bearer(&admin)], b"")
        .json(200);
    assert_eq!(reload["model"]["generation"], 2, "{reload}");
    server
        .request_with("POST", "/admin/reload", None, &[], b"")
        .error(401, "NotAuthenticated");
    server.stop("TERM");
    assert_usage_errors(&[["serve", "m", "--jwt-secret", ""]]);
}

#[test]
fn issue_18_cors_answers_preflights_for_allowed_origins() {
    let trained = model();
    let token_path = token_file(trained.dir.path(), "s3cret");
    let server = Server::start(
        trained.path(),
        &[
            "--cors",
            "https://app.example,http://localhost:3000",
            "--token-file",
            &token_path,
        ],
    );
    let preflight = |origin: &str| {
        server.request_with(
            "OPTIONS",
            "/model/parse",
            None,
            &[
                &format!("Origin: {origin}"),
                "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type",
            ],
            b"",
        )
    };
    // Answered without the token: browsers send preflights without one.
    let allowed = preflight("https://app.example");
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(allowed
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert_eq!(
        allowed.header("access-control-allow-headers"),
        Some("content-type")
    );
    let other = preflight("https://evil.example");
    assert_eq!(other.header("access-control-allow-origin"), None);
    let parse = server.post_json_with(
        "/model/parse?token=s3cret",
        &["Origin: http://localhost:3000"],
        r#"{"text": "hello"}"#,
    );
    parse.json(200);
    assert_eq!(
        parse.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    server.stop("TERM");

    // `*` allows any origin; without --cors, OPTIONS is not answered.
    let server = Server::start(trained.path(), &["--cors", "*"]);
    let any = server.request_with(
        "OPTIONS",
        "/model/parse",
        None,
        &[
            "Origin: https://x.example",
            "Access-Control-Request-Method: POST",
        ],
        b"",
    );
    assert_eq!(any.status, 200);
    assert_eq!(any.header("access-control-allow-origin"), Some("*"));
    server.stop("TERM");
    let server = Server::start(trained.path(), &[]);
    server
        .request_with(
            "OPTIONS",
            "/model/parse",
            None,
            &[
                "Origin: https://x.example",
                "Access-Control-Request-Method: POST",
            ],
            b"",
        )
        .error(405, "MethodNotAllowed");
    server.stop("TERM");
    assert_usage_errors(&[
        ["serve", "m", "--cors", "app.example"],
        ["serve", "m", "--cors", ""],
    ]);
}

#[test]
fn issue_18_a_too_large_announced_body_is_refused_at_once() {
    let trained = model();
    // The timeouts are long, so that only an immediate answer passes.
    let server = Server::start(
        trained.path(),
        &[
            "--max-body-bytes",
            "1000",
            "--request-timeout-ms",
            "30000",
            "--body-read-timeout-ms",
            "30000",
        ],
    );
    let head = format!(
        "POST /model/parse HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 99999999\r\n\r\n{{\"text\": ",
        server.addr
    );
    let (answer, took) = raw_exchange(server.addr, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("99999999 bytes"), "{answer}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    server.get("/health").json(200);
    server.stop("TERM");
}

#[test]
fn issue_18_slow_bodies_and_unfinished_heads_are_cut_off() {
    let trained = model();
    let server = Server::start(
        trained.path(),
        &[
            "--body-read-timeout-ms",
            "300",
            "--header-read-timeout-ms",
            "300",
            "--request-timeout-ms",
            "30000",
        ],
    );
    // A body announced but never finished: 408 once the body timeout ends.
    let head = format!(
        "POST /model/parse HTTP/1.1\r\nHost: {}\r\nContent-Length: 50\r\n\r\n{{\"text\"",
        server.addr
    );
    let (answer, took) = raw_exchange(server.addr, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("--body-read-timeout-ms"), "{answer}");
    assert!(took < Duration::from_secs(5), "took {took:?}");

    // Headers never finished, or nothing sent at all: the connection is
    // closed once the header timeout ends.
    for partial in [&b"GET /health HTTP/1.1\r\nHost: x\r\n"[..], b""] {
        let (answer, took) = raw_exchange(server.addr, partial);
        assert!(!answer.contains("200 OK"), "{answer}");
        assert!(took < Duration::from_secs(5), "held for {took:?}");
    }
    server.get("/health").json(200);
    server.stop("TERM");
    assert_usage_errors(&[
        ["serve", "m", "--body-read-timeout-ms", "0"],
        ["serve", "m", "--header-read-timeout-ms", "0"],
    ]);
}

/// Appends to `errors` every way `value` breaks `schema`, in the subset of
/// OpenAPI 3.0's schema language that `openapi.json` uses: `$ref`, `type`
/// (with `nullable`), `enum`, `required`, `properties`,
/// `additionalProperties` (`false` or a schema), `items`, `minItems`,
/// `minimum`, `maximum`, `oneOf` (exactly one).
fn schema_errors(
    document: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = document
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved {reference}"));
        return schema_errors(document, target, value, at, errors);
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices
            .iter()
            .filter(|choice| {
                let mut inner = Vec::new();
                schema_errors(document, choice, value, at, &mut inner);
                inner.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: matches {matching} of oneOf's choices"));
        }
        return;
    }
    if value.is_null() && schema["nullable"] == true {
        return;
    }
    if let Some(kind) = schema["type"].as_str() {
        let fits = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            other => panic!("unknown type {other}"),
        };
        if !fits {
            errors.push(format!("{at}: {value} is not of type {kind}"));
            return;
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(number) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| number < m) {
            errors.push(format!("{at}: {number} is below the minimum"));
        }
        if schema["maximum"].as_f64().is_some_and(|m| number > m) {
            errors.push(format!("{at}: {number} is above the maximum"));
        }
    }
    if let Some(list) = value.as_array() {
        if schema["minItems"]
            .as_u64()
            .is_some_and(|n| (list.len() as u64) < n)
        {
            errors.push(format!("{at}: fewer items than minItems"));
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in list.iter().enumerate() {
                schema_errors(document, items, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(name.as_str().unwrap()) {
                errors.push(format!("{at}: {name} is missing"));
            }
        }
        for (name, field) in object {
            let at = format!("{at}.{name}");
            match (
                schema["properties"].get(name),
                schema.get("additionalProperties"),
            ) {
                (Some(property), _) => schema_errors(document, property, field, &at, errors),
                (None, Some(Value::Bool(false))) => errors.push(format!("{at} is not allowed")),
                (None, Some(extra)) if extra.is_object() => {
                    schema_errors(document, extra, field, &at, errors)
                }
                _ => {}
            }
        }
    }
}

/// Asserts that `response`, the answer of `method path`, is one the
/// document describes: its status (or `default`), content type and schema.
fn assert_documented(document: &Value, method: &str, path: &str, response: &Response) {
    let operation = &document["paths"][path][method.to_ascii_lowercase()];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let responses = &operation["responses"];
    let described = responses
        .get(response.status.to_string())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| panic!("{method} {path}: status {} not documented", response.status));
    let content_type = response.header("content-type").unwrap_or("");
    let essence = content_type.split(';').next().unwrap().trim();
    let schema = &described["content"][essence]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {}: content type {content_type} not documented",
        response.status
    );
    let body: Value = if essence == "application/json" {
        serde_json::from_str(&response.body).expect("a JSON body")
    } else {
        Value::String(response.body.clone())
    };
    let mut errors = Vec::new();
    schema_errors(document, schema, &body, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{method} {path} {}: {errors:#?}\n{body}",
        response.status
    );
}

#[test]
fn issue_18_openapi_document_describes_every_live_answer() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let trained = model();
    let token_path = token_file(trained.dir.path(), "s3cret");
    let server = Server::start(
        trained.path(),
        &[
            "--token-file",
            &token_path,
            "--jwt-secret",
            "jwt-key",
            "--max-batch",
            "2",
        ],
    );
    let served = server.get("/openapi.json");
    let document = served.json(200);
    let kept: Value =
        serde_json::from_str(include_str!("../src/commands/serve/openapi.json")).unwrap();
    assert_eq!(document, kept, "the service serves the kept document");

    // The checker itself finds what is wrong.
    let mut errors = Vec::new();
    let parse_result = serde_json::json!({"$ref": "#/components/schemas/ParseResult"});
    let wrong = serde_json::json!({"text": 1, "intent": {"name": "a"}, "extra": true});
    schema_errors(&document, &parse_result, &wrong, "$", &mut errors);
    assert_eq!(errors.len(), 5, "{errors:#?}");

    let user = encode(
        &Header::default(),
        &serde_json::json!({"user": {"username": "ann"}}),
        &EncodingKey::from_secret(b"jwt-key"),
    )
    .unwrap();
    let no_headers: &[&str] = &[];
    let forbidden = [bearer(&user)];
    let forbidden: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    // (method, path as documented, query, headers, body, expected status)
    #[allow(clippy::type_complexity)] // one tuple per table row reads best here
    let cases: Vec<(&str, &str, &str, &[&str], &str, u16)> = vec![
        ("GET", "/", "", no_headers, "", 200),
        ("GET", "/health", "", no_headers, "", 200),
        ("GET", "/version", "", no_headers, "", 200),
        ("GET", "/openapi.json", "", no_headers, "", 200),
        ("GET", "/ready", "?token=s3cret", no_headers, "", 200),
        ("GET", "/status", "?token=s3cret", no_headers, "", 200),
        ("GET", "/metrics", "?token=s3cret", no_headers, "", 200),
        ("GET", "/status", "", no_headers, "", 401),
        ("GET", "/status", "", &forbidden, "", 403),
        (
            "POST",
            "/model/parse",
            "?token=s3cret",
            no_headers,
            r#"{"text": "turn on the lights"}"#,
            200,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret",
            no_headers,
            r#"{"text": ["play music", "x"]}"#,
            200,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret",
            no_headers,
            r#"{"text": "/music{\"artist\": \"Nina\"}"}"#,
            200,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret&emulation_mode=wit",
            no_headers,
            r#"{"text": "/music{\"artist\": \"Nina\"}"}"#,
            200,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret&emulation_mode=luis",
            no_headers,
            r#"{"text": "/music{\"artist\": \"Nina\"}"}"#,
            200,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret&emulation_mode=dialogflow",
            no_headers,
            r#"{"text": "hello"}"#,
            200,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret&emulation_mode=x",
            no_headers,
            r#"{"text": "hello"}"#,
            400,
        ),
        (
            "POST",
            "/model/parse",
            "?token=s3cret",
            no_headers,
            "not json",
            400,
        ),
        (
            "POST",
            "/model/parse",
            "",
            no_headers,
            r#"{"text": "hello"}"#,
            401,
        ),
        (
            "POST",
            "/v1/classify",
            "?token=s3cret",
            no_headers,
            r#"{"texts": ["hello", "music"], "k": 2}"#,
            200,
        ),
        (
            "POST",
            "/v1/classify",
            "?token=s3cret",
            no_headers,
            r#"{"texts": ["a", "b", "c"]}"#,
            413,
        ),
        (
            "POST",
            "/admin/reload",
            "?token=s3cret",
            no_headers,
            "",
            200,
        ),
        ("POST", "/admin/reload", "", &forbidden, "", 403),
    ];
    for (method, path, query, headers, body, status) in cases {
        let response = server.request_with(
            method,
            &format!("{path}{query}"),
            Some("application/json"),
            headers,
            body.as_bytes(),
        );
        assert_eq!(
            response.status, status,
            "{method} {path}{query}: {}",
            response.body
        );
        assert_documented(&document, method, path, &response);
    }
    server.stop("TERM");
}

/// A fastText `.ftz` served as it is: `/model/parse` answers each text with
/// the top label fastText predicted for it (and fastText's probability as
/// the confidence), `/v1/classify` with its ranking.
#[test]
fn issue_17_a_fasttext_ftz_answers_parse_with_fasttexts_top_label() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../textnn/tests/fixtures/fasttext");
    let expected: Value = serde_json::from_slice(
        &std::fs::read(fixtures.join("softmax_quantized.expected.json")).unwrap(),
    )
    .unwrap();
    let model = fixtures.join("softmax_quantized.ftz");
    let server = Server::start(model.to_str().unwrap(), &[]);
    let document = server.get("/openapi.json").json(200);
    let version_answer = server.get("/version");
    assert_documented(&document, "get", "/version", &version_answer);
    let version = version_answer.json(200);
    assert_eq!(version["dim"], 5, "{version}");
    assert_eq!(version["settings"]["quantized"], true, "{version}");
    let mut answered = 0;
    for line in expected["lines"].as_array().unwrap() {
        let text = line["text"].as_str().unwrap();
        if text.trim().is_empty() {
            continue;
        }
        let body = serde_json::json!({ "text": text }).to_string();
        let answer = server.post_json("/model/parse", &body);
        assert_documented(&document, "post", "/model/parse", &answer);
        let parse = answer.json(200);
        let top = line["labels"][0]
            .as_str()
            .unwrap()
            .trim_start_matches("__label__");
        assert_eq!(parse["intent"]["name"], top, "{text:?}: {parse}");
        let confidence = parse["intent"]["confidence"].as_f64().unwrap();
        let fasttext = line["probabilities"][0].as_f64().unwrap();
        assert!(
            (confidence - fasttext).abs() <= 1e-5,
            "{text:?}: {confidence} vs {fasttext}"
        );
        answered += 1;
    }
    assert!(answered >= 50, "{answered} texts");
    let classify = server
        .post_json(
            "/v1/classify",
            r#"{"texts": ["turn on the lights"], "k": 2}"#,
        )
        .json(200);
    let want = &expected["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["text"] == "turn on the lights")
        .unwrap()["labels"];
    assert_eq!(
        classify["results"][0][0]["label"],
        want[0].as_str().unwrap().trim_start_matches("__label__"),
        "{classify}"
    );
    server.stop("TERM");
}
