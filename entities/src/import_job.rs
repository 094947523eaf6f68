//! A CSV import: its file, options, phase and counts. `written_through` is
//! the last row number whose batch is committed (the resume point).

use sea_orm::entity::prelude::*;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Phase {
    #[sea_orm(string_value = "UPLOADED")]
    Uploaded,
    #[sea_orm(string_value = "VALIDATING")]
    Validating,
    #[sea_orm(string_value = "AWAITING_CONFIRMATION")]
    AwaitingConfirmation,
    #[sea_orm(string_value = "IMPORTING")]
    Importing,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "import_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_id: Option<Uuid>,
    pub kind: String,
    pub phase: Phase,
    pub file_name: String,
    /// JSON of the import options.
    pub options: String,
    /// JSON array of header names the format does not know.
    pub unknown_columns: String,
    pub total_rows: i64,
    pub validated_rows: i64,
    pub written_through: i64,
    pub to_create: i64,
    pub to_update: i64,
    pub to_skip: i64,
    pub error_count: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub failure: Option<String>,
    pub claimed_by: Option<Uuid>,
    pub heartbeat_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
