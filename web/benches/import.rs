//! Import and export benchmark: generates N customers as CSV, uploads them
//! to a real `roster` server (release build), and measures upload → preview
//! → confirm → COMPLETED, then the export of everything.
//!
//!     cargo bench -p roster --bench import -- --rows 100000
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p roster --bench import -- --rows 100000
//!
//! Prints rows per second for each phase and the server's peak memory (VmHWM).
//! On PostgreSQL each round also times PostgreSQL's own load of the same
//! file into copies of Roster's tables (same indexes, unique keys and
//! foreign keys): `\copy` into a staging table, then `INSERT … SELECT`
//! (needs `psql`). `--rounds N` repeats both, alternating which goes first.
//! `--search` then times a keyword search that matches one customer in
//! 100,000 (p50/p99 of 200 searches, one client).

#[allow(dead_code)]
#[path = "../../tests/e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::*;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

fn rows_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

fn rounds_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// The keyword `--search` looks for, and how often it occurs (as in
/// `bench/compare`'s case e: 10 customers among 1,000,000).
const SEARCH_KEYWORD: &str = "quixotry";
const SEARCH_EVERY: usize = 100_000;
/// Searches timed by `--search`, one after the other.
const SEARCHES: usize = 200;

fn generate(rows: usize) -> Vec<u8> {
    let mut csv = String::with_capacity(rows * 120);
    csv.push_str("first_name,last_name,email,email_aliases,Company,office_phone,mobile_phone,other_phone,fax,address,job_title,department,notes\n");
    for i in 0..rows {
        // One customer in SEARCH_EVERY carries the searched keyword.
        let person = if i % SEARCH_EVERY == SEARCH_EVERY / 2 {
            SEARCH_KEYWORD
        } else {
            "person"
        };
        csv.push_str(&format!(
            "First{i},Last{i},{person}{i}@bench.example,alias{i}@bench.example,Company {},+1 415 555 2671,,,,\"{i} Main Street, Springfield\",Engineer,R&D,\"Imported, row {i}\"\n",
            i % 500
        ));
    }
    csv.into_bytes()
}

async fn job(client: &Client, id: &str) -> Value {
    let res = client
        .gql(
            "query($id: ID!) { importJob(id: $id) { phase toCreate errorCount created failure } }",
            json!({ "id": id }),
        )
        .await;
    res["data"]["importJob"].clone()
}

async fn wait(client: &Client, id: &str, phase: &str) -> Value {
    loop {
        let state = job(client, id).await;
        if state["phase"] == phase {
            return state;
        }
        assert!(state["phase"] != "FAILED", "{state}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Copies of Roster's customer tables, with their indexes and keys.
const REFERENCE_SETUP: &str = "
DROP SCHEMA IF EXISTS bench_ref CASCADE;
CREATE SCHEMA bench_ref;
CREATE TABLE bench_ref.companies (LIKE public.companies INCLUDING ALL);
CREATE TABLE bench_ref.customers (LIKE public.customers INCLUDING ALL);
CREATE TABLE bench_ref.customer_emails (LIKE public.customer_emails INCLUDING ALL);
ALTER TABLE bench_ref.companies ADD FOREIGN KEY (account_id) REFERENCES public.accounts (id);
ALTER TABLE bench_ref.customers ADD FOREIGN KEY (account_id) REFERENCES public.accounts (id);
ALTER TABLE bench_ref.customers ADD FOREIGN KEY (company_id) REFERENCES bench_ref.companies (id);
ALTER TABLE bench_ref.customer_emails ADD FOREIGN KEY (customer_id) REFERENCES bench_ref.customers (id) ON DELETE CASCADE;
CREATE UNLOGGED TABLE bench_ref.staging (first_name text, last_name text, email text,
  email_aliases text, company text, office_phone text, mobile_phone text, other_phone text,
  fax text, address text, job_title text, department text, notes text);
";

/// The timed part: the file into staging, then into the indexed tables.
const REFERENCE_LOAD: &str = "
\\copy bench_ref.staging FROM 'FILE' WITH (FORMAT csv, HEADER true)
BEGIN;
INSERT INTO bench_ref.companies (id, account_id, name, name_key, created_at, updated_at)
  SELECT gen_random_uuid(), :'account', min(company), lower(company), now(), now()
  FROM bench_ref.staging WHERE coalesce(company, '') <> '' GROUP BY lower(company);
INSERT INTO bench_ref.customers (id, account_id, first_name, last_name, sort_name, email,
    email_key, company_id, office_phone, mobile_phone, other_phone, fax, address, job_title,
    department, notes, email_format, feedback_emails, portal_access, created_at, updated_at)
  SELECT gen_random_uuid(), :'account', s.first_name, coalesce(s.last_name, ''),
    lower(coalesce(s.last_name, '') || ' ' || s.first_name), s.email, lower(s.email), c.id,
    s.office_phone, s.mobile_phone, s.other_phone, s.fax, s.address, s.job_title,
    s.department, s.notes, 'HTML', true, 'NO_ACCESS', now(), now()
  FROM bench_ref.staging s LEFT JOIN bench_ref.companies c ON c.name_key = lower(s.company);
INSERT INTO bench_ref.customer_emails (account_id, email_key, customer_id, email, is_primary, position)
  SELECT account_id, email_key, id, email, true, 0 FROM bench_ref.customers;
INSERT INTO bench_ref.customer_emails (account_id, email_key, customer_id, email, is_primary, position)
  SELECT c.account_id, lower(s.email_aliases), c.id, s.email_aliases, false, 1
  FROM bench_ref.staging s JOIN bench_ref.customers c ON c.email_key = lower(s.email)
  WHERE coalesce(s.email_aliases, '') <> '';
COMMIT;
";

fn psql(url: &str, script: &str, vars: &[(&str, &str)]) -> Duration {
    let mut command = std::process::Command::new("psql");
    command.arg(url).args(["-X", "-q", "-v", "ON_ERROR_STOP=1"]);
    for (name, value) in vars {
        command.arg("-v").arg(format!("{name}={value}"));
    }
    let started = Instant::now();
    let out = command
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(script.as_bytes())?;
            child.wait_with_output()
        })
        .expect("psql runs");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// PostgreSQL's own load of the file, timed.
fn reference_load(url: &str, file: &std::path::Path) -> Duration {
    let account = std::process::Command::new("psql")
        .arg(url)
        .args(["-X", "-tAc", "SELECT id FROM accounts LIMIT 1"])
        .output()
        .expect("psql runs");
    let account = String::from_utf8_lossy(&account.stdout).trim().to_owned();
    psql(url, REFERENCE_SETUP, &[]);
    // psql's copy command takes its line as it is (no variables).
    let script = REFERENCE_LOAD.replace("FILE", &file.display().to_string());
    psql(url, &script, &[("account", &account)])
}

/// Roster's import of the file, end to end: phases, export, peak memory.
async fn roster_round(server: &TestServer, csv: Vec<u8>, rows: usize) -> Duration {
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let started = Instant::now();
    let operations = json!({ "query": "mutation($file: Upload!) { startCustomerImport(file: $file) { job { id } userErrors { message } } }", "variables": { "file": null } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", Part::bytes(csv).file_name("bench.csv"));
    let res: Value = admin
        .post()
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = res["data"]["startCustomerImport"]["job"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let uploaded = started.elapsed();
    let peak = || server.pid().and_then(peak_memory_kib);
    let peak_uploaded = peak();
    let preview = wait(&admin, &id, "AWAITING_CONFIRMATION").await;
    let previewed = started.elapsed();
    let peak_previewed = peak();
    assert_eq!(preview["toCreate"].as_u64(), Some(rows as u64), "{preview}");
    admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { message } } }",
            json!({ "id": id }),
        )
        .await;
    let done = wait(&admin, &id, "COMPLETED").await;
    let total = started.elapsed();
    let peak_written = peak();
    assert_eq!(done["created"].as_u64(), Some(rows as u64), "{done}");

    let export_start = Instant::now();
    let body = server
        .http
        .get(server.url("/exports/customers.csv"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let export = export_start.elapsed();

    let per_s = |d: Duration| rows as f64 / d.as_secs_f64();
    println!("upload + file check: {:>7.2} s", uploaded.as_secs_f64());
    println!(
        "validation/preview:  {:>7.2} s",
        (previewed - uploaded).as_secs_f64()
    );
    println!(
        "confirm → COMPLETED: {:>7.2} s",
        (total - previewed).as_secs_f64()
    );
    println!(
        "end to end:          {:>7.2} s  ({:.0} rows/s)",
        total.as_secs_f64(),
        per_s(total)
    );
    println!(
        "export:              {:>7.2} s  ({:.0} rows/s, {:.1} MiB)",
        export.as_secs_f64(),
        per_s(export),
        body.len() as f64 / 1_048_576.0
    );
    let mib = |kib: Option<u64>| match kib {
        Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
        None => "unknown".to_owned(),
    };
    println!(
        "server peak memory:  {} (after the upload {}, the preview {}, the writing {})",
        mib(peak()),
        mib(peak_uploaded),
        mib(peak_previewed),
        mib(peak_written)
    );
    total
}

/// Keyword search once the rows are written: one client, `SEARCHES`
/// requests one after the other, every answer checked.
async fn search_round(server: &TestServer, rows: usize) {
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let expected = (0..rows)
        .filter(|i| i % SEARCH_EVERY == SEARCH_EVERY / 2)
        .count();
    let query =
        "query($keyword: String!) { customers(first: 20, keyword: $keyword) { nodes { email } } }";
    let mut times = Vec::with_capacity(SEARCHES);
    for _ in 0..SEARCHES {
        let started = Instant::now();
        let res = admin.gql(query, json!({ "keyword": SEARCH_KEYWORD })).await;
        times.push(started.elapsed());
        let nodes = res["data"]["customers"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{res}"));
        assert_eq!(nodes.len(), expected, "{res}");
        assert!(
            nodes.iter().all(|n| n["email"]
                .as_str()
                .is_some_and(|e| e.contains(SEARCH_KEYWORD))),
            "{res}"
        );
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "keyword search:      p50 {:.2} ms, p99 {:.2} ms ({SEARCHES} searches for \"{SEARCH_KEYWORD}\", {expected} matches among {rows} customers)",
        ms(times[SEARCHES / 2]),
        ms(times[SEARCHES * 99 / 100])
    );
}

#[tokio::main]
async fn main() {
    let rows = rows_arg();
    let rounds = rounds_arg();
    let search = std::env::args().any(|a| a == "--search");
    let postgres = std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    let backend = if postgres { "PostgreSQL" } else { "SQLite" };
    let csv = generate(rows);
    println!(
        "{backend}: {rows} rows, {:.1} MiB of CSV, {rounds} round(s)",
        csv.len() as f64 / 1_048_576.0
    );
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &csv).expect("write the CSV");
    let mut ratios = Vec::new();
    for round in 0..rounds {
        println!("-- round {}", round + 1);
        let server = TestServer::start().await;
        let reference_first = round % 2 == 1;
        let mut reference = None;
        if postgres && reference_first {
            reference = Some(reference_load(&server.db.url, file.path()));
        }
        let roster = roster_round(&server, csv.clone(), rows).await;
        if search {
            search_round(&server, rows).await;
        }
        if postgres && !reference_first {
            reference = Some(reference_load(&server.db.url, file.path()));
        }
        if let Some(reference) = reference {
            let ratio = roster.as_secs_f64() / reference.as_secs_f64();
            println!(
                "PostgreSQL's own load (\\copy + INSERT … SELECT): {:>7.2} s; Roster ÷ PostgreSQL: {ratio:.2}×",
                reference.as_secs_f64()
            );
            ratios.push(ratio);
        }
    }
    if !ratios.is_empty() {
        ratios.sort_by(f64::total_cmp);
        println!(
            "median Roster ÷ PostgreSQL: {:.2}×",
            ratios[ratios.len() / 2]
        );
    }
}
