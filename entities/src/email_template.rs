//! Custom invitation email templates (the built-in ones live in code).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    /// `WELCOME`, `PORTAL_ACTIVATION` or `TRANSFER`.
    pub kind: String,
    pub language: String,
    pub name: String,
    pub subject: String,
    /// HTML body with `{{ name }}`, `{{ account }}`, `{{ link }}`, `{{ expiry }}`.
    pub body: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
