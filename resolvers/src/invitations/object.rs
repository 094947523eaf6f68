use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::invitation;

use crate::mail::InvitationKind;

use crate::{
    directory::customers::Customer,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    staff::users::User,
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::invitation::Status")]
pub enum InvitationStatus {
    /// Created; its mail is waiting to be handed over.
    Pending,
    /// Its mail was handed over (to SMTP, or written as a file).
    Sent,
    Accepted,
    Declined,
    /// The link's time ran out.
    Expired,
    Revoked,
}

/// An invitation and where it stands.
#[derive(Clone, Debug)]
pub struct Invitation(pub invitation::Model);

#[Object]
impl Invitation {
    pub async fn id(&self) -> ID {
        GlobalId {
            kind: NodeKind::Invitation,
            id: self.0.id,
        }
        .into()
    }

    async fn kind(&self) -> InvitationKind {
        self.0.kind.into()
    }

    async fn status(&self) -> InvitationStatus {
        crate::mail::current_status(&self.0).into()
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn recipient_name(&self) -> &str {
        &self.0.recipient_name
    }

    async fn language(&self) -> &str {
        &self.0.language
    }

    /// The invited user (for a transfer, their place in this account).
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(id) = self.0.user_id else {
            return Ok(None);
        };
        let user = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::UserLoader>()
            .load_one((self.0.account_id, id))
            .await
            .map_err(ApiError::internal)?;
        Ok(user.map(User))
    }

    /// The invited customer (portal activation).
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        let Some(id) = self.0.customer_id else {
            return Ok(None);
        };
        let customer = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::CustomerLoader>()
            .load_one((self.0.account_id, id))
            .await
            .map_err(ApiError::internal)?;
        Ok(customer.map(Customer))
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
