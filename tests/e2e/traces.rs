//! Traces over OTLP (issue 15): with `--otlp-endpoint`, each GraphQL
//! request is a span sent to the collector as OTLP/HTTP JSON, named after
//! its operation, carrying the request id and continuing the caller's W3C
//! trace context.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::mpsc,
};

use crate::harness::*;

/// A stand-in collector: answers every HTTP request 200 and hands over the
/// path and body of each.
async fn collector() -> (String, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request: headers, then Content-Length bytes.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 8192];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (name, value) = l.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let mut chunk = [0u8; 65536];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = buf[head_end..head_end + length].to_vec();
                    buf.drain(..head_end + length);
                    let _ = tx.send((path, body));
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
                    if stream.write_all(ok).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, rx)
}

/// Every span of an OTLP JSON export, with its service name.
fn spans(export: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for resource in export["resourceSpans"].as_array().into_iter().flatten() {
        let service = resource["resource"]["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["key"] == "service.name")
            .and_then(|a| a["value"]["stringValue"].as_str())
            .unwrap_or("")
            .to_owned();
        for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
            for span in scope["spans"].as_array().into_iter().flatten() {
                found.push((service.clone(), span.clone()));
            }
        }
    }
    found
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)?["value"]["stringValue"]
        .as_str()
}

#[tokio::test]
async fn requests_are_spans_sent_to_the_otlp_collector() {
    let (url, mut exports) = collector().await;
    let server = TestServer::serve_with_env(
        bootstrapped().await,
        &[
            ("ROSTER_OTLP_ENDPOINT", &url),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let res = server
        .http
        .post(server.url("/graphql"))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({ "query": "query Health { __typename }", "operationName": "Health" }))
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(res.status(), 200);

    let span = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let (path, body) = exports.recv().await.expect("collector stopped");
            assert_eq!(path, "/v1/traces");
            let export: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
            if let Some(found) = spans(&export)
                .into_iter()
                .find(|(_, s)| attribute(s, "id") == Some(request_id.as_str()))
            {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "no span of request {request_id} reached the collector; log:\n{}",
            server.log()
        )
    });
    let (service, span) = span;
    assert_eq!(service, "roster");
    assert_eq!(span["name"], "graphql Health", "{span}");
    assert_eq!(
        span["traceId"].as_str().map(str::to_lowercase).as_deref(),
        Some(trace_id),
        "{span}"
    );
    assert_eq!(
        span["parentSpanId"]
            .as_str()
            .map(str::to_lowercase)
            .as_deref(),
        Some(caller_span),
        "{span}"
    );
}

#[tokio::test]
async fn a_malformed_otlp_endpoint_is_refused_at_start() {
    let db = bootstrapped().await;
    let out = roster(
        &db,
        &["serve"],
        &[("ROSTER_OTLP_ENDPOINT", "collector:4318")],
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("otlp"), "{}", stderr(&out));
}
