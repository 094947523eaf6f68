//! Faults with real servers (issue 15): Redis going away and coming back,
//! PostgreSQL dropping every connection (through a proxy the test cuts, as
//! crates.io's chaosproxy does), and Roster serving on.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use serde_json::{json, Value};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::harness::*;

async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A socket subscribed to the account's activity feed.
async fn feed(server: &TestServer, token: &str) -> Socket {
    subscribed(
        server,
        token,
        "subscription { activityAdded { targetName } }",
    )
    .await
}

/// Waits for an activity entry about `name` on `socket`.
async fn sees(socket: &mut Socket, name: &str) {
    loop {
        let msg = next_json(socket).await;
        assert!(msg.get("close").is_none(), "{msg}");
        if msg["payload"]["data"]["activityAdded"]["targetName"] == name {
            return;
        }
    }
}

async fn create_service(client: &Client, name: &str) {
    let res = client
        .gql(
            "mutation($n: String!) { createService(input: { name: $n }) { userErrors { code } } }",
            json!({ "n": name }),
        )
        .await;
    assert_eq!(
        data(&res)["createService"]["userErrors"],
        json!([]),
        "{res}"
    );
}

struct Redis {
    child: tokio::process::Child,
}

impl Redis {
    /// `redis-server` on `port`, or None when the machine has none.
    async fn start(port: u16) -> Option<Redis> {
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(Redis { child });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on {port}");
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

#[tokio::test]
async fn redis_going_away_and_coming_back() {
    // A private Redis (the machine's is shared with other tests).
    let port = free_port().await;
    let url = format!("redis://127.0.0.1:{port}");
    let env = [("REDIS_URL", url.as_str())];
    let first = TestServer::serve_with_env(bootstrapped().await, &env).await;
    let second = first.another_instance_with_env(&env).await;
    let owner = first.super_admin().await;
    let token = owner.token.clone().unwrap();
    let on_second = second.with_token(&token);

    // Redis down from the start: both serve, local events arrive.
    let mut socket = feed(&first, &token).await;
    create_service(&owner, "While Redis is down").await;
    sees(&mut socket, "While Redis is down").await;
    create_service(&on_second, "Served anyway").await;

    let Some(redis) = Redis::start(port).await else {
        // A newcomer's machine without Redis still checked the part above;
        // CI runs with Redis and must have redis-server.
        assert!(
            std::env::var("REDIS_URL").is_err(),
            "REDIS_URL is set but redis-server cannot be started"
        );
        return;
    };
    // Cross-instance delivery once Redis is there (the listener reconnects).
    let mut delivered = false;
    for attempt in 0..30 {
        let name = format!("Across {attempt}");
        create_service(&on_second, &name).await;
        let waited = tokio::time::timeout(Duration::from_secs(1), sees(&mut socket, &name)).await;
        if waited.is_ok() {
            delivered = true;
            break;
        }
    }
    assert!(delivered, "no cross-instance event after Redis came up");

    // Redis goes away again: everything local still works.
    redis.stop().await;
    create_service(&owner, "Redis gone again").await;
    sees(&mut socket, "Redis gone again").await;
    let res = on_second
        .gql("{ services { totalCount } }", json!({}))
        .await;
    assert!(data(&res)["services"]["totalCount"].as_i64().unwrap() >= 3);

    // And comes back: cross-instance delivery resumes.
    let _redis = Redis::start(port).await.expect("redis-server again");
    let mut resumed = false;
    for attempt in 0..30 {
        let name = format!("Resumed {attempt}");
        create_service(&on_second, &name).await;
        if tokio::time::timeout(Duration::from_secs(1), sees(&mut socket, &name))
            .await
            .is_ok()
        {
            resumed = true;
            break;
        }
    }
    assert!(resumed, "cross-instance events did not resume");
}

/// A TCP proxy in front of PostgreSQL that the test can cut: every open
/// connection is dropped and new ones are refused until it is restored.
struct ChaosProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

impl ChaosProxy {
    async fn start(upstream: String) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let cut = cut.clone();
            let links = links.clone();
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        continue; // dropped: the connection closes at once
                    }
                    let upstream = upstream.clone();
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().unwrap().push(link);
                }
            }
        });
        ChaosProxy {
            port,
            cut,
            links,
            accept,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

async fn ready(server: &TestServer) -> (u16, Value) {
    let resp = server.http.get(server.url("/readyz")).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn postgres_dropping_every_connection_and_coming_back() {
    let db = bootstrapped().await;
    if !db.url.starts_with("postgres") {
        // PostgreSQL only: SQLite is a file in the process. CI's
        // PostgreSQL run covers this.
        return;
    }
    // The test database's host and port, reached through the proxy.
    let after_scheme = db.url.split_once("://").unwrap().1;
    let host_part = after_scheme.split('/').next().unwrap();
    let host_port = host_part.rsplit('@').next().unwrap();
    let upstream = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let proxy = ChaosProxy::start(upstream.clone()).await;
    let proxied = db
        .url
        .replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1)
        .replacen(host_port, &format!("127.0.0.1:{}", proxy.port), 1);
    let server = TestServer::serve_with_env(db, &[("DATABASE_URL", proxied.as_str())]).await;
    let owner = server.super_admin().await;
    assert_eq!(ready(&server).await.0, 200);

    proxy.cut();
    // Readiness tells the truth, and requests fail with a clear error.
    let mut unready = false;
    for _ in 0..40 {
        if ready(&server).await.0 == 503 {
            unready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(unready, "/readyz stayed ready without a database");
    let resp = owner
        .post()
        .json(&json!({ "query": "{ services { totalCount } }" }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(code, "INTERNAL", "{status} {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("request id"),
        "{body}"
    );

    // Back: served again without restarting Roster.
    proxy.restore();
    let mut back = false;
    for _ in 0..80 {
        if ready(&server).await.0 == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(back, "/readyz did not recover");
    let res = owner.gql("{ services { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["services"]["totalCount"], 0, "{res}");
}
