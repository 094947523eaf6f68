use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::user;

use crate::{
    accounts::Account,
    error::{ApiError, ApiResult},
    node::GlobalId,
};

/// What a staff user may do in their account.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::user::Role")]
pub enum UserRole {
    /// Everything, including creating and promoting admins and super admins.
    SuperAdmin,
    /// Manages the account and creates members.
    Admin,
    /// Works in the account with the permissions granted to them.
    Member,
}

/// Where a staff user stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::user::Status")]
pub enum UserStatus {
    /// Invited; has not accepted the invitation yet.
    Invited,
    /// Can sign in.
    Active,
    /// Cannot sign in.
    Suspended,
}

/// A staff user: someone who works in the account.
#[derive(Clone, Debug)]
pub struct User(pub user::Model);

#[Object]
impl User {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::user(self.0.id).into()
    }

    /// First name (at most 32 characters).
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }

    /// Last name (at most 32 characters).
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }

    /// First and last name.
    async fn full_name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
            .trim()
            .to_owned()
    }

    /// Email address used to sign in (at most 128 characters; cannot change).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Role in the account.
    async fn role(&self) -> UserRole {
        self.0.role.into()
    }

    /// Whether the user can sign in.
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }

    /// The account the user belongs to.
    async fn account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        let account = crate::loaders::of(ctx)
            .accounts
            .load_one(self.0.account_id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("Account"))?;
        Ok(Account(account))
    }

    /// When the user was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the user was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
