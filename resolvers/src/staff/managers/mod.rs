//! Manager permissions (seed 002): add and delete users, manage seats,
//! manage organizer settings, add and delete groups, create reports —
//! granted to a user, optionally only for some groups (the permission then
//! acts only on users currently in those groups) and some products.
//! Admins and super admins hold every manager permission for everything.

mod mutation;

pub use mutation::{ManagerGrant, ManagerMutation};

use std::collections::HashSet;

use async_graphql::Enum;
use roster_entities::{group_member, manager_grant, user::Role};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{
    kernel::auth::Viewer, kernel::error::ApiError, kernel::loaders::per_account,
    kernel::scope::Tenant,
};

/// A permission admins give to a user, for every user or only for users in
/// some groups (and some products).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManagerPermission {
    /// Add users and delete them.
    AddDeleteUsers,
    /// Assign and free product seats.
    ManageSeats,
    /// Apply settings templates and switch product features per user.
    ManageOrganizerSettings,
    /// Create, rename and delete groups and change their members.
    AddDeleteGroups,
    /// Read the activity history.
    CreateReports,
}

impl ManagerPermission {
    pub fn as_str(self) -> &'static str {
        match self {
            ManagerPermission::AddDeleteUsers => "ADD_DELETE_USERS",
            ManagerPermission::ManageSeats => "MANAGE_SEATS",
            ManagerPermission::ManageOrganizerSettings => "MANAGE_ORGANIZER_SETTINGS",
            ManagerPermission::AddDeleteGroups => "ADD_DELETE_GROUPS",
            ManagerPermission::CreateReports => "CREATE_REPORTS",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            ManagerPermission::AddDeleteUsers,
            ManagerPermission::ManageSeats,
            ManagerPermission::ManageOrganizerSettings,
            ManagerPermission::AddDeleteGroups,
            ManagerPermission::CreateReports,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }

    fn describe(self) -> &'static str {
        match self {
            ManagerPermission::AddDeleteUsers => "add and delete users",
            ManagerPermission::ManageSeats => "manage seats",
            ManagerPermission::ManageOrganizerSettings => "manage organizer settings",
            ManagerPermission::AddDeleteGroups => "add and delete groups",
            ManagerPermission::CreateReports => "create reports",
        }
    }
}

/// Where a held permission applies: `None` means everywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub groups: Option<Vec<Uuid>>,
    pub products: Option<Vec<Uuid>>,
}

impl Scope {
    pub fn everything() -> Self {
        Scope::default()
    }

    pub fn is_everything(&self) -> bool {
        self.groups.is_none() && self.products.is_none()
    }
}

/// Each user's manager grants.
pub struct ManagerGrantsLoader {
    pub db: sea_orm::DatabaseConnection,
}

#[async_trait::async_trait]
impl async_graphql::dataloader::Loader<crate::kernel::loaders::Key> for ManagerGrantsLoader {
    type Value = Vec<manager_grant::Model>;
    type Error = std::sync::Arc<sea_orm::DbErr>;

    async fn load(
        &self,
        keys: &[crate::kernel::loaders::Key],
    ) -> Result<std::collections::HashMap<crate::kernel::loaders::Key, Self::Value>, Self::Error>
    {
        let rows: Vec<manager_grant::Model> = per_account(keys, |tenant, users| {
            tenant
                .find::<manager_grant::Entity>()
                .filter(manager_grant::Column::UserId.is_in(users))
                .all(&self.db)
        })
        .await?;
        let mut out: std::collections::HashMap<_, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(list) = out.get_mut(&(row.account_id, row.user_id)) {
                list.push(row);
            }
        }
        Ok(out)
    }
}

fn ids(json: &Option<String>) -> Option<Vec<Uuid>> {
    json.as_deref()
        .map(|j| serde_json::from_str(j).unwrap_or_default())
}

/// Where `viewer` holds `permission`, or FORBIDDEN.
pub async fn scope(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    permission: ManagerPermission,
) -> Result<Scope, ApiError> {
    if matches!(viewer.role, Role::SuperAdmin | Role::Admin) {
        return Ok(Scope::everything());
    }
    let grant = Tenant(viewer.account_id)
        .find::<manager_grant::Entity>()
        .filter(manager_grant::Column::UserId.eq(viewer.user_id))
        .filter(manager_grant::Column::Permission.eq(permission.as_str()))
        .one(db)
        .await?;
    match grant {
        Some(g) => Ok(Scope {
            groups: ids(&g.group_ids),
            products: ids(&g.product_ids),
        }),
        None => Err(ApiError::Forbidden(format!(
            "You do not have the manager permission to {}",
            permission.describe()
        ))),
    }
}

/// Whether every user of `users` is in at least one of `groups` (groups of
/// `account_id`).
pub async fn users_in_groups(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    groups: &[Uuid],
    users: &[Uuid],
) -> Result<bool, ApiError> {
    if users.is_empty() {
        return Ok(true);
    }
    let inside: HashSet<Uuid> = Tenant(account_id)
        .find::<group_member::Entity>()
        .select_only()
        .column(group_member::Column::UserId)
        .filter(group_member::Column::GroupId.is_in(groups.iter().copied()))
        .filter(group_member::Column::UserId.is_in(users.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(users.iter().all(|u| inside.contains(u)))
}

/// Checks that `viewer` holds `permission` for every user of `users` and
/// every product of `products`.
pub async fn require(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    permission: ManagerPermission,
    users: &[Uuid],
    products: &[Uuid],
) -> Result<Scope, ApiError> {
    let scope = scope(db, viewer, permission).await?;
    if let Some(groups) = &scope.groups {
        if !users_in_groups(db, viewer.account_id, groups, users).await? {
            return Err(ApiError::Forbidden(format!(
                "Your permission to {} covers only users in the groups you manage",
                permission.describe()
            )));
        }
    }
    if let Some(allowed) = &scope.products {
        if products.iter().any(|p| !allowed.contains(p)) {
            return Err(ApiError::Forbidden(format!(
                "Your permission to {} covers only the products you manage",
                permission.describe()
            )));
        }
    }
    Ok(scope)
}

crate::from_db!(ManagerGrantsLoader);
