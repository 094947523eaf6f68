use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::invitation;

use crate::kernel::language::Language;
use crate::mail::InvitationKind;

use crate::{
    directory::customers::Customer,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    staff::users::User,
};

/// Where an invitation stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::invitation::Status")]
pub enum InvitationStatus {
    /// Created; its mail is waiting to be handed over.
    Pending,
    /// Its mail was handed over (to SMTP, or written as a file).
    Sent,
    /// The recipient accepted it (`acceptInvitation`).
    Accepted,
    /// The recipient declined it (`declineInvitation`).
    Declined,
    /// The link's time ran out.
    Expired,
    /// It was withdrawn (`revokeInvitation`).
    Revoked,
}

/// An invitation and where it stands.
#[derive(Clone, Debug)]
pub struct Invitation(pub invitation::Model);

/// An invitation and where it stands.
#[Object]
impl Invitation {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId {
            kind: NodeKind::Invitation,
            id: self.0.id,
        }
        .into()
    }

    /// What the invitation is for.
    async fn kind(&self) -> InvitationKind {
        self.0.kind.into()
    }

    /// Where the invitation stands; EXPIRED as soon as `expiresAt` has passed.
    async fn status(&self) -> InvitationStatus {
        crate::mail::current_status(&self.0).into()
    }

    /// The address the invitation is sent to.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// The recipient's name, as the mail addresses them.
    async fn recipient_name(&self) -> &str {
        &self.0.recipient_name
    }

    /// Language of the mail.
    async fn mail_language(&self) -> Language {
        Language::stored(&self.0.language)
    }

    /// Language of the mail: de, en, es, pt, fr or it.
    #[graphql(deprecation = "Use `mailLanguage`: the same language as a `Language` enum value.")]
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

    /// When the link stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// When its mail was last handed over; null until then.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    /// When the recipient accepted or declined it; null until then.
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }

    /// When the invitation was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
