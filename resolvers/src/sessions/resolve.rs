//! Creating, resolving and ending staff login sessions; a token of no staff
//! session may be a customer portal session.

use chrono::Utc;
use roster_entities::{session, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use uuid::Uuid;

use crate::kernel::scope::Tenant;
use crate::kernel::{
    auth::{token, Auth, Viewer},
    context::AppState,
    error::ApiError,
};

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
    // all accounts: the token hash alone identifies the session
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
    let row = Tenant(user.account_id)
        .insert(session::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(token::digest(&token)),
            user_id: Set(user.id),
            account_id: NotSet,
            created_at: Set(now),
            expires_at: Set(now + ttl),
        })
        .exec_with_returning(db)
        .await?;
    // Housekeeping: a user's expired sessions go when they next sign in.
    Tenant(user.account_id)
        .delete_many::<session::Entity>()
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok((token, row))
}

pub async fn end(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    session_id: Uuid,
) -> Result<bool, ApiError> {
    let res = Tenant(account_id)
        .delete_many::<session::Entity>()
        .filter(session::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
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
