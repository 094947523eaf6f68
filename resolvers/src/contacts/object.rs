use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::{contact, contact_method};

use crate::{
    directory::companies::Company,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
    staff::users::User,
};

/// How a contact method reaches someone.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::contact_method::MethodKind")]
pub enum ContactMethodKind {
    /// An email address.
    Email,
    /// A mobile number for text messages (E.164).
    Sms,
    /// A phone number to call (E.164).
    Phone,
}

/// One way to reach a contact.
#[derive(Clone, Debug)]
pub struct ContactMethod(pub contact_method::Model);

/// One way to reach a contact.
#[Object]
impl ContactMethod {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::contact_method(self.0.id).into()
    }

    /// How the method reaches the contact.
    async fn kind(&self) -> ContactMethodKind {
        self.0.kind.into()
    }

    /// The address, or the number in E.164 (`+442079460958`).
    async fn value(&self) -> &str {
        &self.0.value
    }

    /// A user's primary email: only that user may change it, and it cannot
    /// be deleted.
    async fn is_primary(&self) -> bool {
        self.0.is_primary
    }

    /// When the method was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Someone who receives notifications and reports but cannot sign in; staff
/// users are listed as contacts too (`user` is set).
#[derive(Clone, Debug)]
pub struct Contact(pub contact::Model);

/// Someone who receives notifications and reports but cannot sign in; staff
/// users are listed as contacts too (`user` is set).
#[Object]
impl Contact {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::contact(self.0.id).into()
    }

    /// Name (for a user: their first and last name; only they may change it).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether this contact is a staff user of the account.
    async fn is_user(&self) -> bool {
        self.0.user_id.is_some()
    }

    /// The staff user this contact stands for.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(user_id) = self.0.user_id else {
            return Ok(None);
        };
        let user = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::UserLoader>()
            .load_one((self.0.account_id, user_id))
            .await
            .map_err(ApiError::internal)?;
        Ok(user.map(User))
    }

    /// How to reach the contact: a user's primary email first, then in the
    /// order added.
    async fn methods(&self, ctx: &Context<'_>) -> ApiResult<Vec<ContactMethod>> {
        let rows = crate::kernel::loaders::of(ctx)
            .get::<crate::contacts::ContactMethodsLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(ContactMethod).collect())
    }

    /// Companies the contact has access to, by name.
    async fn companies(&self, ctx: &Context<'_>) -> ApiResult<Vec<Company>> {
        let rows = crate::kernel::loaders::of(ctx)
            .get::<crate::contacts::ContactCompaniesLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Company).collect())
    }

    /// When the contact was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the contact was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
