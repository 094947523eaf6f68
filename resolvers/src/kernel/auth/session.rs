//! Creating, resolving and ending login sessions.

use chrono::Utc;
use roster_entities::{session, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{token, Auth, Viewer};
use crate::{kernel::context::AppState, kernel::error::ApiError};

/// Reads `Authorization: Bearer <token>` (scheme case-insensitive).
/// `None` when no header was sent; `Some(Err)` when it is not a bearer token.
pub fn bearer_token(header: Option<&str>) -> Option<Result<&str, ApiError>> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Some(Err(ApiError::Unauthenticated(
            "The Authorization header must be `Bearer <token>`".into(),
        )));
    }
    Some(Ok(token.trim()))
}

/// Resolves an optional bearer token to the caller. Unknown, expired or
/// malformed tokens give `Auth::Invalid`, never an error: anonymous fields
/// such as `login` still work for a client that holds a stale token.
pub async fn authenticate(state: &AppState, token: Option<&str>) -> Result<Auth, ApiError> {
    let Some(token) = token else {
        return Ok(Auth::Anonymous);
    };
    let invalid =
        || Auth::Invalid("The session token is invalid or has expired; sign in again".into());
    if !token::looks_valid(token) {
        return Ok(invalid());
    }
    let digest = token::digest(token);
    if let Some(viewer) = state.sessions.get(&state.events, &digest) {
        return Ok(Auth::Staff(viewer));
    }
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(digest.clone()))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(user::Entity)
        .one(&state.db)
        .await?;
    match found {
        Some((session, Some(user))) if user.status == user::Status::Active => {
            let granted = match user.custom_role_id {
                Some(role) => {
                    crate::roles::permissions_of(&state.db, user.account_id, role).await?
                }
                None => Vec::new(),
            };
            let viewer = Viewer {
                user_id: user.id,
                account_id: user.account_id,
                role: user.role,
                session_id: session.id,
                granted,
                name: Some(
                    format!("{} {}", user.first_name, user.last_name)
                        .trim()
                        .to_owned(),
                ),
            };
            state
                .sessions
                .put(digest, viewer.clone(), session.expires_at);
            Ok(Auth::Staff(viewer))
        }
        Some(_) => Ok(invalid()),
        None => Ok(crate::portal::session::authenticate(state, token)
            .await?
            .map(Auth::Customer)
            .unwrap_or_else(invalid)),
    }
}

/// Starts a session for `user` and returns its token and the stored row.
pub async fn start(
    db: &impl ConnectionTrait,
    state: &AppState,
    user: &user::Model,
) -> Result<(String, session::Model), ApiError> {
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.session_ttl).map_err(ApiError::internal)?;
    let token = token::generate();
    let row = session::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token::digest(&token)),
        user_id: Set(user.id),
        account_id: Set(user.account_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
    }
    .insert(db)
    .await?;
    // Housekeeping: a user's expired sessions go when they next sign in.
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok((token, row))
}

pub async fn end(db: &impl ConnectionTrait, session_id: Uuid) -> Result<bool, ApiError> {
    let res = session::Entity::delete_by_id(session_id).exec(db).await?;
    Ok(res.rows_affected > 0)
}

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
    events: Option<tokio::sync::broadcast::Receiver<crate::kernel::events::Event>>,
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
    fn get(&self, bus: &crate::kernel::events::EventBus, digest: &str) -> Option<Viewer> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.apply_events(bus);
        match state.entries.get(digest) {
            Some((at, viewer)) if at.elapsed() < CACHE_TTL => Some(viewer.clone()),
            _ => None,
        }
    }

    fn put(&self, digest: String, viewer: Viewer, expires_at: chrono::DateTime<Utc>) {
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
        let events = self.events.get_or_insert_with(|| bus.subscribe());
        loop {
            match events.try_recv() {
                Ok(crate::kernel::events::Event::SessionsChanged { user_id }) => {
                    self.entries.retain(|_, (_, v)| v.user_id != user_id);
                }
                Ok(_) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        assert!(bearer_token(None).is_none());
        assert_eq!(bearer_token(Some("Bearer abc")).unwrap().unwrap(), "abc");
        assert_eq!(bearer_token(Some("bearer  abc ")).unwrap().unwrap(), "abc");
        assert!(bearer_token(Some("Basic abc")).unwrap().is_err());
        assert!(bearer_token(Some("Bearer")).unwrap().is_err());
        assert!(bearer_token(Some("abc")).unwrap().is_err());
    }
}
