//! Subscriptions at scale (issue 15): N graphql-transport-ws sockets on one
//! instance, each subscribed to `activityAdded`. Prints the server's memory
//! per socket, the fan-out latency of one event to every socket (p50/p99,
//! client on the same machine) and the memory once they are closed.
//!
//!     ulimit -n 65536; cargo bench -p roster --bench subscriptions -- --sockets 10000

#[allow(dead_code)]
#[path = "../../tests/e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use harness::*;
use serde_json::json;
use tokio_tungstenite::tungstenite::{
    client::IntoClientRequest, protocol::WebSocketConfig, Message,
};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Resident memory of `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let n = arg("--sockets", 10_000);
    let limit = open_files_limit();
    assert!(
        limit as usize > n + 256,
        "open files limit {limit} is too low for {n} sockets: run `ulimit -n 65536` first"
    );
    let server = TestServer::start().await;
    let pid = server.pid().expect("server pid");
    let admin = server.super_admin().await;
    let token = admin.token.clone().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);

    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(250) {
        let mut opening = Vec::new();
        for _ in (chunk * 250)..((chunk + 1) * 250).min(n) {
            let url = server.ws_url();
            let token = token.clone();
            opening.push(tokio::spawn(async move {
                let mut request = url.into_client_request().unwrap();
                request.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    "graphql-transport-ws".parse().unwrap(),
                );
                let (mut socket, _) =
                    tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                        .await
                        .expect("connect");
                let init = json!({ "type": "connection_init", "payload": { "token": token } });
                socket
                    .send(Message::Text(init.to_string().into()))
                    .await
                    .unwrap();
                loop {
                    match socket.next().await {
                        Some(Ok(Message::Text(t))) if t.contains("connection_ack") => break,
                        Some(Ok(_)) => continue,
                        other => panic!("no ack: {other:?}"),
                    }
                }
                socket
            }));
        }
        for task in opening {
            sockets.push(task.await.expect("socket"));
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = rss_kib(pid);
    // Then each socket subscribes (the memory of a subscription apart from
    // that of a signed-in socket).
    let query = std::env::args()
        .skip_while(|a| a != "--subscription")
        .nth(1)
        .unwrap_or_else(|| "subscription { activityAdded { action targetName } }".into());
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }).to_string();
    for chunk in sockets.chunks_mut(250) {
        let sends = chunk
            .iter_mut()
            .map(|socket| socket.send(Message::Text(sub.clone().into())));
        for sent in futures_util::future::join_all(sends).await {
            sent.unwrap();
        }
    }
    // Let every subscription reach the event bus.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let open = rss_kib(pid);
    let per_socket = |kib: u64| kib.saturating_sub(idle) as f64 / n as f64;
    println!(
        "{n} sockets opened and subscribed in {:.1} s; server memory {:.1} MiB idle, {:.1} MiB with them: {:.1} KiB per socket ({:.1} KiB signed in, {:.1} KiB more for the subscription)",
        started.elapsed().as_secs_f64(),
        idle as f64 / 1024.0,
        open as f64 / 1024.0,
        per_socket(open),
        per_socket(connected),
        per_socket(open) - per_socket(connected),
    );

    // One event, fanned out to every socket.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut readers = Vec::with_capacity(n);
    for mut socket in sockets {
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            loop {
                match socket.next().await {
                    Some(Ok(Message::Text(t))) if t.contains("\"next\"") => {
                        let _ = tx.send(Instant::now());
                        break;
                    }
                    Some(Ok(_)) => continue,
                    _ => break,
                }
            }
            socket
        }));
    }
    drop(tx);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    let res = admin
        .gql(
            "mutation { createService(input: { name: \"Fan-out\" }) { service { id } } }",
            json!({}),
        )
        .await;
    assert!(res.get("errors").is_none(), "{res}");
    let mut latencies = Vec::with_capacity(n);
    while let Ok(Some(at)) = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        latencies.push(at.duration_since(sent));
        if latencies.len() == n {
            break;
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "fan-out of one event: {} of {n} sockets received it; p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms (mutation included)",
        latencies.len(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );

    // Close them all; memory goes back.
    let mut closing = Vec::new();
    for reader in readers {
        closing.push(tokio::spawn(async move {
            if let Ok(mut socket) = reader.await {
                let _ = socket.close(None).await;
            }
        }));
    }
    for task in closing {
        let _ = task.await;
    }
    // The server hands memory back within its trim period (5 s).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let closed = rss_kib(pid);
    let metrics = server.metrics_text().await;
    let still_open = metrics
        .lines()
        .find_map(|l| l.strip_prefix("roster_websocket_operations_open "))
        .unwrap_or("?")
        .to_owned();
    println!(
        "after closing: server memory {:.1} MiB ({:+.1} MiB against idle), operations still open: {still_open}",
        closed as f64 / 1024.0,
        (closed as f64 - idle as f64) / 1024.0
    );
}
