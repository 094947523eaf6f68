//! The Roster server: configuration, the poem HTTP host (GraphQL over HTTP and
//! WebSocket, GraphiQL, health checks) and the command-line commands.

#![recursion_limit = "256"]

pub mod commands;
pub mod config;
pub mod db;
pub mod http;
pub mod memory;
pub mod metrics;
mod sqlite_memory;
pub mod telemetry;

use std::process::ExitCode;

/// The `roster` command: parses the settings, starts telemetry and the
/// async runtime, runs the command and reports how it ended. It lives here
/// rather than in `main.rs` so that the binary has nothing of its own to
/// compile (release builds compile each generic instance, such as the
/// runtime's `block_on` of this future, in every crate that uses it).
pub fn main() -> ExitCode {
    let cli = match config::parse() {
        Ok(cli) => cli,
        Err(exit) => return exit,
    };
    let telemetry = telemetry::init(&cli.settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(memory::on_thread_idle)
        .on_thread_unpark(memory::on_thread_idle)
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("roster: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(commands::run(cli));
    drop(runtime);
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("roster: {err:#}");
            ExitCode::FAILURE
        }
    }
}
