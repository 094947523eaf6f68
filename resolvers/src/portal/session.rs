//! Customer portal sessions: tokens look like staff tokens, are stored hashed
//! in their own table, and resolve to the customer as they are now.

use chrono::Utc;
use roster_entities::{customer, portal_session};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use uuid::Uuid;

use super::PortalViewer;
use crate::kernel::scope::Tenant;
use crate::{kernel::auth::token, kernel::context::AppState, kernel::error::ApiError};

/// The portal customer a (well-formed) token belongs to, if it is current.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<PortalViewer>, ApiError> {
    // all accounts: the token hash alone identifies the portal session
    let found = portal_session::Entity::find()
        .filter(portal_session::Column::TokenHash.eq(token::digest(token)))
        .filter(portal_session::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(customer::Entity)
        .one(&state.db)
        .await?;
    Ok(match found {
        Some((session, Some(customer))) => Some(PortalViewer::of(&customer, session.id)),
        _ => None,
    })
}

/// Starts a portal session for `customer`; returns the token and the row.
pub async fn start(
    db: &impl ConnectionTrait,
    state: &AppState,
    customer: &customer::Model,
) -> Result<(String, portal_session::Model), ApiError> {
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.session_ttl).map_err(ApiError::internal)?;
    let token = token::generate();
    let row = Tenant(customer.account_id)
        .insert(portal_session::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(token::digest(&token)),
            customer_id: Set(customer.id),
            account_id: NotSet,
            created_at: Set(now),
            expires_at: Set(now + ttl),
        })
        .exec_with_returning(db)
        .await?;
    Tenant(customer.account_id)
        .delete_many::<portal_session::Entity>()
        .filter(portal_session::Column::CustomerId.eq(customer.id))
        .filter(portal_session::Column::ExpiresAt.lte(now))
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
        .delete_many::<portal_session::Entity>()
        .filter(portal_session::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}
