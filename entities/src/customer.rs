//! Customers (seed 000). `email_key` is the lower-cased primary email;
//! `sort_name` the lower-cased "last first" used to sort by name. Aliases
//! live in `customer_email`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EmailFormat {
    #[sea_orm(string_value = "HTML")]
    Html,
    #[sea_orm(string_value = "PLAIN_TEXT")]
    PlainText,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PortalAccess {
    #[sea_orm(string_value = "NO_ACCESS")]
    NoAccess,
    #[sea_orm(string_value = "STANDARD")]
    Standard,
    #[sea_orm(string_value = "COMPANY")]
    Company,
    #[sea_orm(string_value = "COMPANY_ADMIN")]
    CompanyAdmin,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub sort_name: String,
    pub email: String,
    pub email_key: String,
    pub company_id: Option<Uuid>,
    pub office_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub other_phone: Option<String>,
    pub fax: Option<String>,
    pub address: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub notes: Option<String>,
    pub email_format: EmailFormat,
    pub feedback_emails: bool,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub portal_access: PortalAccess,
    /// Token of the current avatar (see `customer_avatar`), if any.
    pub avatar_token: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::CompanyId",
        to = "super::company::Column::Id",
        on_delete = "SetNull"
    )]
    Company,
}

impl Related<super::company::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Company.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
