//! The cache of resolved staff sessions.

use chrono::Utc;

use super::Viewer;

/// Staff sessions resolved in the last second, so that a client's burst of
/// requests reads its session once. Every sign-out, suspension, deletion
/// and role change (`Event::SessionsChanged`, from any instance) drops the
/// user's entries before the next lookup; should such an event be missed
/// (Redis down), an entry still lives one second at most.
pub struct SessionCache {
    inner: std::sync::Mutex<CacheState>,
}

struct CacheState {
    entries: std::collections::HashMap<String, (std::time::Instant, Viewer)>,
    events: Option<tokio::sync::broadcast::Receiver<uuid::Uuid>>,
}

/// How long a resolved session is trusted without reading it again.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Entries kept at most (sessions active within a second).
const CACHE_SIZE: usize = 50_000;

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache {
            inner: std::sync::Mutex::new(CacheState {
                entries: Default::default(),
                events: None,
            }),
        }
    }
}

impl SessionCache {
    pub fn get(&self, bus: &crate::kernel::events::EventBus, digest: &str) -> Option<Viewer> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.apply_events(bus);
        match state.entries.get(digest) {
            Some((at, viewer)) if at.elapsed() < CACHE_TTL => Some(viewer.clone()),
            _ => None,
        }
    }

    pub fn put(&self, digest: String, viewer: Viewer, expires_at: chrono::DateTime<Utc>) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if state.entries.len() >= CACHE_SIZE {
            state.entries.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
            if state.entries.len() >= CACHE_SIZE {
                return;
            }
        }
        // A session about to expire is not cached past its end.
        if expires_at - Utc::now() > chrono::Duration::from_std(CACHE_TTL).unwrap_or_default() {
            state
                .entries
                .insert(digest, (std::time::Instant::now(), viewer));
        }
    }
}

impl CacheState {
    /// Drops the entries of users whose sessions changed since last time.
    fn apply_events(&mut self, bus: &crate::kernel::events::EventBus) {
        use tokio::sync::broadcast::error::TryRecvError;
        let events = self.events.get_or_insert_with(|| bus.subscribe_sessions());
        loop {
            match events.try_recv() {
                Ok(user_id) => {
                    self.entries.retain(|_, (_, v)| v.user_id != user_id);
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Lagged(_)) => self.entries.clear(),
                Err(TryRecvError::Closed) => {
                    self.entries.clear();
                    self.events = None;
                    return;
                }
            }
        }
    }
}
