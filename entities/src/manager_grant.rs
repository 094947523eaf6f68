//! Manager permissions (seed 002) granted to a user, optionally limited to
//! some groups (they act only on users in those groups) and some products.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "manager_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    /// `ADD_DELETE_USERS`, `MANAGE_SEATS`, `MANAGE_ORGANIZER_SETTINGS`,
    /// `ADD_DELETE_GROUPS` or `CREATE_REPORTS`.
    pub permission: String,
    /// JSON array of group ids; NULL for every group.
    pub group_ids: Option<String>,
    /// JSON array of product ids; NULL for every product.
    pub product_ids: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
