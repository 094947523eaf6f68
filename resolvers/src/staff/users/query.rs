use async_graphql::{Context, Enum, InputObject, Object, ID};
use roster_entities::{group_member, user, user_product};
use sea_orm::{sea_query::Query, ColumnTrait, Condition, QueryFilter, Select};
use uuid::Uuid;

use super::{User, UserRole, UserStatus};
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

/// Orders of the `users` connection.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UserSortKey {
    /// By email, A to Z.
    #[default]
    Email,
    /// By last name.
    LastName,
    /// Oldest first.
    CreatedAt,
}

impl UserSortKey {
    fn sort(self, reverse: bool) -> Sort<user::Entity> {
        match self {
            UserSortKey::Email => Sort {
                column: user::Column::EmailKey,
                id: user::Column::Id,
                reverse,
                // Sign-in emails are unique across accounts.
                unique: true,
                key: |u| (SortValue::Text(u.email_key.clone()), u.id),
            },
            UserSortKey::LastName => Sort {
                column: user::Column::LastName,
                id: user::Column::Id,
                reverse,
                unique: false,
                key: |u| (SortValue::Text(u.last_name.clone()), u.id),
            },
            UserSortKey::CreatedAt => Sort {
                column: user::Column::CreatedAt,
                id: user::Column::Id,
                reverse,
                unique: false,
                key: |u| (SortValue::Time(u.created_at), u.id),
            },
        }
    }
}

/// Filters of the `users` connection; all given filters must match.
#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Every word must appear in the first name, last name or email.
    pub keyword: Option<String>,
    /// Users with one of these roles.
    pub roles: Option<Vec<UserRole>>,
    /// Users with one of these statuses.
    pub statuses: Option<Vec<UserStatus>>,
    /// Users in this group.
    pub group_id: Option<ID>,
    /// Users holding a seat of this product.
    pub product_id: Option<ID>,
}

impl UserFilter {
    fn apply(&self, mut select: Select<user::Entity>) -> Select<user::Entity> {
        for word in self.keyword.iter().flat_map(|k| k.split_whitespace()) {
            select = select.filter(
                Condition::any()
                    .add(pagination::contains(user::Column::FirstName, word))
                    .add(pagination::contains(user::Column::LastName, word))
                    .add(pagination::contains(user::Column::EmailKey, word)),
            );
        }
        if let Some(roles) = &self.roles {
            let roles: Vec<user::Role> = roles.iter().map(|r| (*r).into()).collect();
            select = select.filter(user::Column::Role.is_in(roles));
        }
        if let Some(statuses) = &self.statuses {
            let statuses: Vec<user::Status> = statuses.iter().map(|s| (*s).into()).collect();
            select = select.filter(user::Column::Status.is_in(statuses));
        }
        if let Some(group) = &self.group_id {
            let group = GlobalId::expect(group, NodeKind::Group).unwrap_or(Uuid::nil());
            let members = Query::select()
                .column(group_member::Column::UserId)
                .from(group_member::Entity)
                .and_where(group_member::Column::GroupId.eq(group))
                .to_owned();
            select = select.filter(user::Column::Id.in_subquery(members));
        }
        if let Some(product) = &self.product_id {
            let product = GlobalId::expect(product, NodeKind::Product).unwrap_or(Uuid::nil());
            let holders = Query::select()
                .column(user_product::Column::UserId)
                .from(user_product::Entity)
                .and_where(user_product::Column::ProductId.eq(product))
                .to_owned();
            select = select.filter(user::Column::Id.in_subquery(holders));
        }
        select
    }
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The account's staff users.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn users(
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
        #[graphql(desc = "Only users matching all the given filters.")] filter: Option<UserFilter>,
        #[graphql(default, desc = "The order of the items (default: EMAIL).")]
        sort_key: UserSortKey,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<User>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let select = filter
            .unwrap_or_default()
            .apply(Tenant(viewer.account_id).find::<user::Entity>());
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page =
            pagination::paginate(ctx.db(), select, sort_key.sort(reverse), args, User).await?;
        prime(ctx, &page).await?;
        Ok(page)
    }

    /// One staff user by id; NOT_FOUND when not in the account.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] id: ID,
    ) -> ApiResult<User> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::User)?;
        Ok(User(super::find(ctx.db(), viewer.account_id, id).await?))
    }

    /// The staff user who signs in with `email` (case does not matter), or
    /// null when the account has none.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn user_by_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email address to look up (case does not matter).")] email: String,
    ) -> ApiResult<Option<User>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let found = Tenant(viewer.account_id)
            .find::<user::Entity>()
            .filter(user::Column::EmailKey.eq(crate::kernel::validation::email_key(&email)))
            .one(ctx.db())
            .await?;
        Ok(found.map(User))
    }
}

/// Loads the page's groups, products and templates in one batch each.
async fn prime(ctx: &Context<'_>, page: &Page<User>) -> Result<(), ApiError> {
    let selects = |name: &str| crate::kernel::pagination::node_selects(ctx, name);
    let keys: Vec<(Uuid, Uuid)> = page
        .edges
        .iter()
        .map(|e| (e.node.0.account_id, e.node.0.id))
        .collect();
    let loaders = crate::kernel::loaders::of(ctx);
    let internal = |e: std::sync::Arc<sea_orm::DbErr>| ApiError::internal(e);
    if selects("groups") {
        loaders
            .get::<crate::staff::groups::UserGroupsLoader>()
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
    }
    if selects("products") {
        let products = loaders
            .get::<crate::staff::users::UserProductsLoader>()
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
        let mut ids: Vec<(Uuid, Uuid)> = products
            .values()
            .flatten()
            .map(|p| (p.account_id, p.id))
            .collect();
        ids.sort();
        ids.dedup();
        loaders
            .get::<crate::staff::products::ProductFeaturesLoader>()
            .load_many(ids)
            .await
            .map_err(internal)?;
        loaders
            .get::<crate::staff::users::UserFeaturesLoader>()
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
    }
    if selects("managerPermissions") {
        loaders
            .get::<crate::staff::managers::ManagerGrantsLoader>()
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
    }
    if selects("customRole") {
        let roles = page
            .edges
            .iter()
            .filter_map(|e| e.node.0.custom_role_id.map(|r| (e.node.0.account_id, r)));
        loaders
            .get::<crate::kernel::loaders::CustomRoleLoader>()
            .load_many(roles)
            .await
            .map_err(internal)?;
    }
    if selects("settingsTemplate") || selects("products") {
        let templates = page.edges.iter().filter_map(|e| {
            e.node
                .0
                .settings_template_id
                .map(|t| (e.node.0.account_id, t))
        });
        loaders
            .get::<crate::kernel::loaders::SettingsTemplateLoader>()
            .load_many(templates)
            .await
            .map_err(internal)?;
        let accounts = page.edges.iter().map(|e| e.node.0.account_id);
        loaders
            .get::<crate::staff::settings_templates::DefaultTemplateLoader>()
            .load_many(accounts)
            .await
            .map_err(internal)?;
    }
    Ok(())
}
