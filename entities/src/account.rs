//! The tenant. Every other row belongs to exactly one account.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Whether customers may sign themselves up on the portal.
    pub portal_self_registration: bool,
    /// What a SCIM `DELETE /Users/{id}` does: `SUSPEND` (keep the user,
    /// suspended, out of the directory's sight) or `DELETE` (erase them).
    pub scim_delete_mode: String,
    /// Whether users created over SCIM get a welcome mail.
    pub scim_welcome_mail: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user::Entity")]
    Users,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
