//! Test support: a running server with a fresh database, and clients.

use std::{
    path::PathBuf,
    process::{Output, Stdio},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

pub const BIN: &str = env!("CARGO_BIN_EXE_roster");
pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A database for one test: a SQLite file in a temp dir, or a fresh
/// PostgreSQL database when DATABASE_URL points at a server.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn fresh() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("DATABASE_URL") {
            Ok(base) if base.starts_with("postgres") => {
                let name = format!("roster_e2e_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(base.as_str()).await.unwrap_or_else(|e| {
                    panic!("DATABASE_URL is set but PostgreSQL does not answer: {e}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = with_database(&base, &name);
                TestDb {
                    url,
                    dir,
                    postgres: Some((base, name)),
                }
            }
            Ok(other) if !other.is_empty() && !other.starts_with("sqlite") => {
                panic!("unsupported DATABASE_URL for tests: {other}")
            }
            _ => {
                let url = format!("sqlite://{}/roster.db?mode=rwc", dir.path().display());
                TestDb {
                    url,
                    dir,
                    postgres: None,
                }
            }
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(self.url.as_str())
            .await
            .expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async; use a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = Database::connect(base.as_str()).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// `base` with its database name replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((a, q)) => (a, format!("?{q}")),
        None => (base, String::new()),
    };
    let scheme_end = without_query.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    format!("{host_part}/{name}{query}")
}

/// A fresh database with account "Acme" and its super admin, not served yet.
pub async fn bootstrapped() -> TestDb {
    let db = TestDb::fresh().await;
    let out = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "Acme",
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "bootstrap failed: {}", stderr(&out));
    db
}

/// Runs a `roster` command (not the server) against `db`.
pub async fn roster(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = base_command(db);
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("roster command timed out")
        .expect("run roster")
}

fn base_command(db: &TestDb) -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("ROSTER_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("DATABASE_URL", &db.url)
        .env("ROSTER_DATA_DIR", db.dir.path())
        .env("ROSTER_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running server.
pub struct TestServer {
    /// Shared by every instance started on it (dropped with the last).
    pub db: std::sync::Arc<TestDb>,
    pub base: String,
    pub http: reqwest::Client,
    /// Killed when the server is dropped (`kill_on_drop`).
    _child: Child,
    log: PathBuf,
}

impl TestServer {
    /// A server whose database holds account "Acme" with super admin
    /// ADMIN_EMAIL / ADMIN_PASSWORD.
    pub async fn start() -> TestServer {
        Self::start_with(&[]).await
    }

    pub async fn start_with(args: &[&str]) -> TestServer {
        Self::serve(bootstrapped().await, args).await
    }

    /// Starts the server on `db` as it is.
    pub async fn serve(db: TestDb, args: &[&str]) -> TestServer {
        Self::spawn(std::sync::Arc::new(db), args, &[]).await
    }

    pub async fn serve_with_env(db: TestDb, envs: &[(&str, &str)]) -> TestServer {
        Self::spawn(std::sync::Arc::new(db), &[], envs).await
    }

    /// A second server process on the same database (as behind a load
    /// balancer), with the same environment.
    pub async fn another_instance(&self) -> TestServer {
        Self::spawn(self.db.clone(), &[], &[]).await
    }

    /// Another instance with its own environment.
    pub async fn another_instance_with_env(&self, envs: &[(&str, &str)]) -> TestServer {
        Self::spawn(self.db.clone(), &[], envs).await
    }

    /// Another instance with its own flags.
    pub async fn another_instance_with(&self, args: &[&str]) -> TestServer {
        Self::spawn(self.db.clone(), args, &[]).await
    }

    async fn spawn(db: std::sync::Arc<TestDb>, args: &[&str], envs: &[(&str, &str)]) -> TestServer {
        let log = db
            .dir
            .path()
            .join(format!("server-{}.log", uuid::Uuid::now_v7()));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = base_command(&db);
        cmd.args(["--listen", "127.0.0.1:0"])
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file));
        let mut child = cmd.spawn().expect("spawn roster");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    return Some(rest.split('/').next().unwrap_or_default().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(addr) = addr else {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("roster did not start; its log:\n{log}");
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        TestServer {
            db,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            _child: child,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn ws_url(&self) -> String {
        format!("{}/graphql/ws", self.base.replacen("http", "ws", 1))
    }

    /// Kills the server process (as a crash would) and starts a new one on
    /// the same database.
    pub async fn crash_and_restart(self) -> TestServer {
        let TestServer { db, mut _child, .. } = self;
        let _ = _child.kill().await;
        let _ = _child.wait().await;
        Self::spawn(db, &[], &[]).await
    }

    /// Sends SIGTERM, as an orchestrator stopping the pod would.
    pub async fn terminate(&self) {
        let pid = self._child.id().expect("the server is running");
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit (after `terminate`); its exit status
    /// and the database, for a server started on it again.
    pub async fn exited(self) -> (std::process::ExitStatus, std::sync::Arc<TestDb>) {
        let TestServer { db, mut _child, .. } = self;
        let status = tokio::time::timeout(Duration::from_secs(60), _child.wait())
            .await
            .expect("the server did not exit within 60 s")
            .expect("wait");
        (status, db)
    }

    /// A server on `db` (from `exited`), as after a restart.
    pub async fn restart(db: std::sync::Arc<TestDb>) -> TestServer {
        Self::spawn(db, &[], &[]).await
    }

    /// The server's process id (the import benchmark reads its memory).
    #[allow(dead_code)]
    pub fn pid(&self) -> Option<u32> {
        self._child.id()
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn anonymous(&self) -> Client {
        Client {
            http: self.http.clone(),
            url: self.url("/graphql"),
            token: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Client {
        Client {
            http: self.http.clone(),
            url: self.url("/graphql"),
            token: Some(token.to_owned()),
        }
    }

    /// Logs in and returns the token; panics when login fails.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .anonymous()
            .gql(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token userErrors { code } } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        res["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {res}\nserver log:\n{}", self.log()))
            .to_owned()
    }

    /// A client signed in as the Acme super admin.
    pub async fn super_admin(&self) -> Client {
        let token = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        self.with_token(&token)
    }

    /// Creates another account with its own super admin and signs in there.
    pub async fn other_account(&self) -> Client {
        let email = "boss@globex.test";
        let out = roster(
            &self.db,
            &[
                "bootstrap",
                "--account",
                "Globex",
                "--email",
                email,
                "--password",
                ADMIN_PASSWORD,
            ],
            &[],
        )
        .await;
        assert!(out.status.success(), "{}", stderr(&out));
        let token = self.login(email, ADMIN_PASSWORD).await;
        self.with_token(&token)
    }
}

/// A GraphQL-over-HTTP client, optionally signed in.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
}

impl Client {
    pub fn post(&self) -> reqwest::RequestBuilder {
        let req = self.http.post(&self.url);
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Runs a document and returns the JSON response (any status).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let res = self
            .post()
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        res.json().await.expect("JSON response")
    }
}

/// The `extensions.code` of the first error of a response.
pub fn error_code(res: &Value) -> &str {
    res["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {res}"))
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a `graphql-transport-ws` socket (no messages sent yet).
pub async fn open_socket(server: &TestServer) -> Socket {
    let mut request = server.ws_url().into_client_request().expect("ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("ws connect");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    socket
}

/// A `graphql-transport-ws` socket signed in with `token`, acknowledged.
pub async fn signed_in_socket(server: &TestServer, token: &str) -> Socket {
    let mut socket = open_socket(server).await;
    send_json(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

/// A `graphql-transport-ws` socket signed in with `token` (acknowledged)
/// running `query` as operation "1".
pub async fn subscribed(server: &TestServer, token: &str, query: &str) -> Socket {
    let mut socket = signed_in_socket(server, token).await;
    send_json(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    socket
}

pub async fn send_json(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .expect("ws send");
}

/// The next text message as JSON, or the close frame as
/// `{"close": code, "reason": ...}`; panics after 10 s of silence.
pub async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no WebSocket message within 10 s");
        match msg {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text).expect("JSON message")
            }
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                return json!({ "close": code, "reason": reason });
            }
            Some(Ok(_)) => continue,
            Some(Err(err)) => return json!({ "close": 1006, "reason": err.to_string() }),
            None => return json!({ "close": 1006, "reason": "stream ended" }),
        }
    }
}

impl TestServer {
    /// Adds an active staff user with `role` (SUPER_ADMIN, ADMIN or MEMBER)
    /// to the account of ADMIN_EMAIL and signs them in.
    pub async fn staff(&self, role: &str, email: &str) -> Client {
        let db = self.db.connect().await;
        let backend = db.get_database_backend();
        let hash = roster_resolvers::kernel::auth::password::hash(ADMIN_PASSWORD).expect("hash");
        let now = chrono::Utc::now();
        let account: uuid::Uuid = db
            .query_one(sea_orm::Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DatabaseBackend::Postgres => {
                        "SELECT account_id FROM users WHERE email_key = $1"
                    }
                    _ => "SELECT account_id FROM users WHERE email_key = ?",
                },
                [ADMIN_EMAIL.into()],
            ))
            .await
            .unwrap()
            .expect("the bootstrap admin")
            .try_get("", "account_id")
            .unwrap();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => "INSERT INTO users (id, account_id, first_name, last_name, email, email_key, role, status, password_hash, created_at, updated_at) VALUES ($1, $2, 'Test', 'Staff', $3, $3, $4, 'ACTIVE', $5, $6, $6)",
            _ => "INSERT INTO users (id, account_id, first_name, last_name, email, email_key, role, status, password_hash, created_at, updated_at) VALUES (?, ?, 'Test', 'Staff', ?, ?, ?, 'ACTIVE', ?, ?, ?)",
        };
        let values: Vec<sea_orm::Value> = match backend {
            sea_orm::DatabaseBackend::Postgres => vec![
                uuid::Uuid::now_v7().into(),
                account.into(),
                email.into(),
                role.into(),
                hash.into(),
                now.into(),
            ],
            _ => vec![
                uuid::Uuid::now_v7().into(),
                account.into(),
                email.into(),
                email.into(),
                role.into(),
                hash.into(),
                now.into(),
                now.into(),
            ],
        };
        db.execute(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .expect("insert staff");
        roster_resolvers::staff::users::contact::sync(&db)
            .await
            .expect("staff contact");
        let token = self.login(email, ADMIN_PASSWORD).await;
        self.with_token(&token)
    }

    /// Runs a query three times; returns its response and the fewest SQL
    /// statements a run took. (Background workers poll the database now and
    /// then; the fewest is the query's own count.)
    pub async fn counted(&self, client: &Client, query: &str, variables: Value) -> (Value, u64) {
        let mut fewest = u64::MAX;
        let mut response = Value::Null;
        for _ in 0..3 {
            let before = self.statements().await;
            response = client.gql(query, variables.clone()).await;
            fewest = fewest.min(self.statements().await - before);
        }
        (response, fewest)
    }

    /// The server's `/metrics` page.
    pub async fn metrics_text(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The server's `roster_db_statements_total`.
    pub async fn statements(&self) -> u64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|l| l.strip_prefix("roster_db_statements_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no statement counter in {text}"))
    }
}

/// The global id of the staff user who signs in with `email`, as `client`
/// sees it.
pub async fn user_id(client: &Client, email: &str) -> Value {
    let res = client
        .gql(
            "query($e: String!) { userByEmail(email: $e) { id } }",
            json!({ "e": email }),
        )
        .await;
    data(&res)["userByEmail"]["id"].clone()
}

/// The `data` of a response, panicking with the whole response on errors.
pub fn data(res: &Value) -> &Value {
    assert!(res.get("errors").is_none(), "unexpected errors: {res}");
    &res["data"]
}

/// A payload's `userErrors` as (dotted field path, code) pairs.
pub fn user_errors(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field: Vec<&str> = e["field"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            (field.join("."), e["code"].as_str().unwrap().to_owned())
        })
        .collect()
}
