use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::activity;

use crate::{
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    staff::users::User,
};

/// How an operation ended.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityOutcome {
    /// The operation was carried out.
    Success,
    /// The operation failed (`detail` says why).
    Failure,
}

/// One entry of the activity history.
#[derive(Clone, Debug)]
pub struct Activity(pub activity::Model);

/// One entry of the activity history.
#[Object]
impl Activity {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId {
            kind: NodeKind::Activity,
            id: self.0.id,
        }
        .into()
    }

    /// Who did it; null once that user was deleted (see `actorName`).
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        let user = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::UserLoader>()
            .load_one((self.0.account_id, id))
            .await
            .map_err(ApiError::internal)?;
        Ok(user.map(User))
    }

    /// The actor's name at the time.
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }

    /// What was done, as `subject.verb` (`user.add`, `products.assign`,
    /// `customer.update`, ...).
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The kind of object acted on (`User`, `Customer`, `Product`, ...).
    async fn target_kind(&self) -> &str {
        &self.0.target_kind
    }

    /// The global id of the object acted on, when there is one.
    async fn target_id(&self) -> Option<ID> {
        let kind = NodeKind::parse(&self.0.target_kind)?;
        self.0.target_id.map(|id| GlobalId { kind, id }.into())
    }

    /// The object's name at the time.
    async fn target_name(&self) -> &str {
        &self.0.target_name
    }

    /// Whether the operation succeeded.
    async fn outcome(&self) -> ActivityOutcome {
        if self.0.outcome == "SUCCESS" {
            ActivityOutcome::Success
        } else {
            ActivityOutcome::Failure
        }
    }

    /// More about it; for a failure, why.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// When it happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
