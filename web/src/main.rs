use std::process::ExitCode;

use roster_web::{commands, config, telemetry};

// Requests allocate many small, short-lived objects (resolver futures,
// JSON values, rows); mimalloc serves them faster than glibc's malloc.
// See BENCHMARKS.md, "Allocator".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match config::parse() {
        Ok(cli) => cli,
        Err(exit) => return exit,
    };
    let telemetry = telemetry::init(&cli.settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(roster_web::memory::on_thread_idle)
        .on_thread_unpark(roster_web::memory::on_thread_idle)
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
