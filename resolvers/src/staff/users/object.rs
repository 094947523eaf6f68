use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::user;

use crate::kernel::language::Language;
use crate::{
    accounts::Account,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
    kernel::pagination::{self, Page, PageArgs, SortValue},
    roles::CustomRole,
    staff::groups::Group,
    staff::managers::ManagerGrant,
    staff::products::UserProduct,
    staff::settings_templates::SettingsTemplate,
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

/// A staff user: someone who works in the account.
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

    /// Phone extension, unique in the account.
    async fn extension(&self) -> Option<i32> {
        self.0.extension
    }

    /// Primary language: the language of the user's mails and interface.
    async fn preferred_language(&self) -> Language {
        Language::stored(&self.0.language)
    }

    /// Primary language (de, en, es, pt, fr, it).
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    async fn language(&self) -> &str {
        &self.0.language
    }

    /// The custom role adding to a member's permissions.
    async fn custom_role(&self, ctx: &Context<'_>) -> ApiResult<Option<CustomRole>> {
        let Some(id) = self.0.custom_role_id else {
            return Ok(None);
        };
        let role = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::CustomRoleLoader>()
            .load_one((self.0.account_id, id))
            .await
            .map_err(ApiError::internal)?;
        Ok(role.map(CustomRole))
    }

    /// The groups the user is in, by name.
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first n items (at most 100; the first 20 when neither `first` nor `last` is given). Cannot be combined with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Returns the items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Returns the last n items (at most 100). Cannot be combined with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Returns the items before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."
        )]
        before: Option<String>,
    ) -> ApiResult<Page<Group>> {
        let groups = crate::kernel::loaders::of(ctx)
            .get::<crate::staff::groups::UserGroupsLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::slice(
            groups,
            args,
            |g| (SortValue::Text(g.name_key.clone()), g.id),
            Group,
        )?)
    }

    /// The products the user holds a seat of, with their features and
    /// settings.
    async fn products(&self, ctx: &Context<'_>) -> ApiResult<Vec<UserProduct>> {
        let products = crate::kernel::loaders::of(ctx)
            .get::<crate::staff::users::UserProductsLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(products
            .into_iter()
            .map(|product| UserProduct {
                user: self.0.clone(),
                product,
            })
            .collect())
    }

    /// The settings template in force: the one applied to the user, or the
    /// account's default.
    async fn settings_template(&self, ctx: &Context<'_>) -> ApiResult<Option<SettingsTemplate>> {
        Ok(crate::staff::settings_templates::of_user(ctx, &self.0)
            .await?
            .map(SettingsTemplate))
    }

    /// Manager permissions granted to the user.
    async fn manager_permissions(&self, ctx: &Context<'_>) -> ApiResult<Vec<ManagerGrant>> {
        let grants = crate::kernel::loaders::of(ctx)
            .get::<crate::staff::managers::ManagerGrantsLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(grants.into_iter().map(ManagerGrant).collect())
    }

    /// The account the user belongs to.
    async fn account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        let account = crate::kernel::loaders::of(ctx)
            .get::<crate::accounts::AccountLoader>()
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
