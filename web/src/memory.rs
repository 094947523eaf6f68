//! Giving memory back after load: glibc keeps what freed sockets and their
//! buffers used in its per-thread arenas, so the process would stay at its
//! peak after thousands of WebSockets have come and gone. A background task
//! trims the heap once sockets have closed.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

static CLOSED: AtomicU64 = AtomicU64::new(0);

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
                trim();
            }
        }
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
