//! What the directory knows of a user beyond Roster's own fields: its
//! userName (else the email stands for it), externalId, the enterprise
//! extension, the representation it wrote, and whether the directory deleted the user while the account
//! keeps deleted users suspended.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub user_name: Option<String>,
    /// Lower-cased `user_name`: unique in the account.
    pub user_name_key: Option<String>,
    pub external_id: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub manager_id: Option<Uuid>,
    /// The user as the directory last wrote it (declared attributes only,
    /// JSON): returned as written where it still agrees with Roster.
    pub resource: Option<String>,
    pub deleted_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
