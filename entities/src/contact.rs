//! Contacts (seed 001): people who receive notifications and reports but
//! cannot sign in. Every staff user is listed as a contact too: that row has
//! `user_id` set (and the user's id as its own id).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    /// The staff user this contact stands for, if any.
    #[sea_orm(unique)]
    pub user_id: Option<Uuid>,
    pub name: String,
    /// Lower-cased name, to sort by.
    pub name_key: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::contact_method::Entity")]
    Methods,
}

impl Related<super::contact_method::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Methods.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
