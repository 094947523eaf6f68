//! Services customers may raise incidents on: the `Service` object, the
//! `services` / `service` queries, and create / update / delete.

mod mutation;
mod object;
mod portal;
mod query;

pub use mutation::ServiceMutation;
pub use object::Service;
pub use portal::PortalService;
pub use query::ServiceQuery;

use roster_entities::service;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::scope::Tenant};

/// The service `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<service::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<service::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Service"))
}

/// Resolves service ids given in an input field. Malformed ids, and ids that
/// name no service of the account (other accounts' included), are a
/// NOT_FOUND user error on `field`, listing the offending ids.
pub async fn resolve_ids(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    field: &str,
    ids: &[async_graphql::ID],
) -> Result<Result<Vec<Uuid>, crate::UserError>, ApiError> {
    use sea_orm::{ColumnTrait, QueryFilter};

    use crate::{
        kernel::ids::{GlobalId, NodeKind},
        UserError, UserErrorCode,
    };

    let mut wanted = Vec::with_capacity(ids.len());
    let mut unknown = Vec::new();
    for id in ids {
        match GlobalId::expect(id, NodeKind::Service) {
            Ok(uuid) if !wanted.contains(&uuid) => wanted.push(uuid),
            Ok(_) => {}
            Err(_) => unknown.push(id.to_string()),
        }
    }
    let found: Vec<Uuid> = Tenant(account_id)
        .find::<service::Entity>()
        .filter(service::Column::Id.is_in(wanted.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    unknown.extend(
        wanted
            .iter()
            .filter(|uuid| !found.contains(uuid))
            .map(|uuid| GlobalId::service(*uuid).encode()),
    );
    if !unknown.is_empty() {
        return Ok(Err(UserError::new(
            field,
            UserErrorCode::NotFound,
            format!("no such service: {}", unknown.join(", ")),
        )));
    }
    Ok(Ok(wanted))
}
