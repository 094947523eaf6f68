//! The validation result of one row of an import file.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Action {
    #[sea_orm(string_value = "CREATE")]
    Create,
    #[sea_orm(string_value = "UPDATE")]
    Update,
    #[sea_orm(string_value = "SKIP")]
    Skip,
    #[sea_orm(string_value = "ERROR")]
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    /// The row's line in a spreadsheet: the header is row 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub row_number: i64,
    pub action: Action,
    /// JSON of the cleaned values to write (CREATE / UPDATE).
    pub data: Option<String>,
    /// JSON array of {column, code, message}.
    pub issues: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
