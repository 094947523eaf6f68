//! Import and export benchmark: generates N customers as CSV, uploads them
//! to a real `roster` server (release build), and measures upload → preview
//! → confirm → COMPLETED, then the export of everything.
//!
//!     cargo bench -p roster --bench import -- --rows 100000
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p roster --bench import -- --rows 100000
//!
//! Prints rows per second for each phase and the server's peak memory (VmHWM).

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

fn generate(rows: usize) -> Vec<u8> {
    let mut csv = String::with_capacity(rows * 120);
    csv.push_str("first_name,last_name,email,email_aliases,Company,office_phone,mobile_phone,other_phone,fax,address,job_title,department,notes\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "First{i},Last{i},person{i}@bench.example,alias{i}@bench.example,Company {},+1 415 555 2671,,,,\"{i} Main Street, Springfield\",Engineer,R&D,\"Imported, row {i}\"\n",
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

#[tokio::main]
async fn main() {
    let rows = rows_arg();
    let server = TestServer::start().await;
    let backend = if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let csv = generate(rows);
    println!(
        "{backend}: {rows} rows, {:.1} MiB of CSV",
        csv.len() as f64 / 1_048_576.0
    );

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
    let preview = wait(&admin, &id, "AWAITING_CONFIRMATION").await;
    let previewed = started.elapsed();
    assert_eq!(preview["toCreate"].as_u64(), Some(rows as u64), "{preview}");
    admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { message } } }",
            json!({ "id": id }),
        )
        .await;
    let done = wait(&admin, &id, "COMPLETED").await;
    let total = started.elapsed();
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
    match server.pid().and_then(peak_memory_kib) {
        Some(kib) => println!("server peak memory:  {:>7.1} MiB", kib as f64 / 1024.0),
        None => println!("server peak memory:  unknown"),
    }
}
