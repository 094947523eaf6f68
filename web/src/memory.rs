//! Giving memory back after load: the allocator (mimalloc, see `main.rs`)
//! keeps what freed sockets and their buffers used for reuse, so the
//! process would stay near its peak after thousands of WebSockets have come
//! and gone. A background task asks it to release free memory once sockets
//! have closed.

use std::{
    cell::Cell,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

static CLOSED: AtomicU64 = AtomicU64::new(0);
/// Bumped when memory should go back; each runtime thread collects its own
/// heap (mimalloc's heaps are per thread) the next time it parks or wakes.
static TRIM: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static TRIMMED: Cell<u64> = const { Cell::new(0) };
}

/// A WebSocket connection ended.
pub fn socket_closed() {
    CLOSED.fetch_add(1, Ordering::Relaxed);
}

/// Every few seconds, if sockets closed meanwhile, returns free heap
/// memory to the operating system.
pub fn spawn_trimmer() {
    tokio::spawn(async {
        let mut seen = 0;
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            let closed = CLOSED.load(Ordering::Relaxed);
            if closed != seen {
                seen = closed;
                TRIM.fetch_add(1, Ordering::Relaxed);
                on_thread_idle();
                // A worker parked with nothing to do would keep its heap
                // until its next task: give every worker one.
                let workers = tokio::runtime::Handle::current().metrics().num_workers();
                for _ in 0..workers * 2 {
                    tokio::spawn(async { tokio::task::yield_now().await });
                }
            }
        }
    });
}

/// Runs on every runtime thread as it parks and unparks (see `main.rs`):
/// one atomic load, and a collection of the thread's heap when a trim was
/// asked for since its last one.
pub fn on_thread_idle() {
    let wanted = TRIM.load(Ordering::Relaxed);
    TRIMMED.with(|done| {
        if done.get() != wanted {
            done.set(wanted);
            // SAFETY: mi_collect only frees memory the allocator holds unused.
            unsafe {
                libmimalloc_sys::mi_collect(true);
            }
        }
    });
}
