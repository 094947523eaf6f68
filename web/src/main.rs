// Requests allocate many small, short-lived objects (resolver futures,
// JSON values, rows); mimalloc serves them faster than glibc's malloc.
// See BENCHMARKS.md, "Allocator".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    roster_web::main()
}
