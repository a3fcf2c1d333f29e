//! `textnn serve`: every endpoint and every error path, on an ephemeral
//! loopback port, through a few lines of plain HTTP/1.1 over `TcpStream`
//! (no HTTP client dependency). Every wait is bounded, so a hung server
//! fails the test instead of hanging CI.
#![cfg(unix)]

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest any single step (start, request, shutdown) may take.
const STEP: Duration = Duration::from_secs(20);

/// A running `textnn serve`, killed on drop if a test failed before
/// stopping it.
struct Server {
    child: Child,
    addr: SocketAddr,
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
        // Reading a pipe blocks, so a thread reads and the test waits with a timeout.
        // The thread keeps draining stderr so that the server never blocks on it.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = sender.send(first);
            }
            for _ in lines {}
        });
        let first = match receiver.recv_timeout(STEP) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                panic!("no address line from textnn serve: {e}");
            }
        };
        let addr = first
            .rsplit("http://")
            .next()
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        Server { child, addr }
    }

    /// Sends `signal` (TERM, INT) and waits, bounded, for the exit.
    fn stop(mut self, signal: &str) -> ExitStatus {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting on textnn") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "textnn serve ignored SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

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

    /// [`Server::request`] with extra header lines such as `Authorization: Bearer x`.
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
        self.request("POST", path, Some("application/json"), body.as_bytes())
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
        body["message"].as_str().expect("a message").to_string()
    }
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
    for line in [
        "textnn_http_requests_total{endpoint=\"/model/parse\",status=\"200\"} 2",
        "textnn_http_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 5",
        "textnn_http_requests_total{endpoint=\"/health\",status=\"200\"} 1",
        "textnn_http_request_duration_seconds_bucket{endpoint=\"/model/parse\",le=\"+Inf\"} 2",
        "textnn_http_request_duration_seconds_count{endpoint=\"/v1/classify\"} 5",
    ] {
        assert!(
            metrics.body.contains(line),
            "no {line:?} in\n{}",
            metrics.body
        );
    }

    assert_eq!(server.stop("TERM").code(), Some(0));
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

    // Content type: missing, wrong; a charset parameter is fine.
    server
        .request("POST", "/model/parse", None, parse_ok)
        .error(415, "UnsupportedMediaType");
    server
        .request(
            "POST",
            "/v1/classify",
            Some("text/plain"),
            br#"{"texts": []}"#,
        )
        .error(415, "UnsupportedMediaType");
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
    for line in [
        "textnn_http_requests_total{endpoint=\"/model/parse\",status=\"400\"} 6",
        "textnn_http_requests_total{endpoint=\"/model/parse\",status=\"415\"} 1",
        "textnn_http_requests_total{endpoint=\"/v1/classify\",status=\"413\"} 2",
        "textnn_http_requests_total{endpoint=\"other\",status=\"404\"} 2",
    ] {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
    assert_eq!(server.stop("TERM").code(), Some(0));
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
    assert_eq!(server.stop("INT").code(), Some(0));

    // Top two closer than the ambiguity threshold; with no fallback
    // threshold the fallback's confidence is 0.
    let server = Server::start(trained.path(), &["--ambiguity-threshold", "0.1"]);
    let parse = server.post_json("/model/parse", unknown).json(200);
    let fallback = serde_json::json!({"name": "nlu_fallback", "confidence": 0.0});
    assert_eq!(parse["intent"], fallback, "{parse}");
    assert_eq!(server.stop("TERM").code(), Some(0));

    // A threshold of 0 never falls back.
    let server = Server::start(trained.path(), &["--fallback-threshold", "0"]);
    let parse = server.post_json("/model/parse", unknown).json(200);
    assert_ne!(parse["intent"]["name"], "nlu_fallback", "{parse}");
    assert_eq!(server.stop("TERM").code(), Some(0));
}

#[test]
fn serve_refuses_a_bad_model_before_binding() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.textnn");
    std::fs::write(&bad, b"this is not a model").unwrap();
    let output = common::textnn()
        .args(["serve", bad.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .timeout(STEP)
        .output()
        .unwrap();
    let message = common::failure(&output, 1, &["bad.textnn"]);
    assert!(!message.contains("serving"), "{message}");

    let missing = dir.path().join("missing.textnn");
    let output = common::textnn()
        .args(["serve", missing.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .timeout(STEP)
        .output()
        .unwrap();
    common::failure(&output, 1, &["missing.textnn"]);
}

#[test]
fn serve_rejects_bad_options() {
    for args in [
        ["serve", "m", "--addr", "localhost"],
        ["serve", "m", "--fallback-threshold", "2"],
        ["serve", "m", "--ambiguity-threshold", "x"],
        ["serve", "m", "--max-batch", "-1"],
    ] {
        let output = common::textnn().args(args).timeout(STEP).output().unwrap();
        common::failure(&output, 2, &[]);
    }
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
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[5..]).unwrap();
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("\"intent\""), "{raw}");
    let mut server = server;
    let deadline = Instant::now() + STEP;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "textnn serve did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_with_a_token_file_needs_the_token_except_on_health() {
    let trained = model();
    let token_file = trained.dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let server = Server::start(
        trained.path(),
        &["--token-file", token_file.to_str().unwrap()],
    );
    server.get("/health").json(200);
    assert_eq!(server.get("/").status, 200);

    let missing = server.get("/version");
    missing.error(401, "NotAuthenticated");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    server
        .post_json("/model/parse", r#"{"text": "hello"}"#)
        .error(401, "NotAuthenticated");
    server
        .request_with(
            "GET",
            "/version",
            None,
            &["Authorization: Bearer wrong"],
            b"",
        )
        .error(401, "NotAuthenticated");
    server
        .request_with(
            "GET",
            "/version",
            None,
            &["Authorization: Bearer s3cret-toke"],
            b"",
        )
        .error(401, "NotAuthenticated");
    server
        .get("/version?token=wrong")
        .error(401, "NotAuthenticated");

    server
        .request_with(
            "GET",
            "/version",
            None,
            &["Authorization: Bearer s3cret-token"],
            b"",
        )
        .json(200);
    server.get("/version?token=s3cret-token").json(200);
    server
        .request_with(
            "POST",
            "/model/parse",
            Some("application/json"),
            &["Authorization: Bearer s3cret-token"],
            br#"{"text": "hello"}"#,
        )
        .json(200);
    let metrics = server.get("/metrics?token=s3cret-token").body;
    assert!(
        metrics.contains("textnn_http_requests_total{endpoint=\"/version\",status=\"401\"} 4"),
        "{metrics}"
    );
    assert_eq!(server.stop("TERM").code(), Some(0));

    // An empty token file is refused before binding.
    std::fs::write(&token_file, " \n").unwrap();
    let output = common::textnn()
        .args([
            "serve",
            trained.path(),
            "--addr",
            "127.0.0.1:0",
            "--token-file",
        ])
        .arg(&token_file)
        .timeout(STEP)
        .output()
        .unwrap();
    common::failure(&output, 1, &["is empty"]);
}
