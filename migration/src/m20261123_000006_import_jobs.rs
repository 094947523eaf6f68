//! CSV import jobs and the result of every row. A job keeps its file until it
//! is finished, so a restart can validate again or resume writing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    AccountId,
    UserId,
    Kind,
    Phase,
    FileName,
    Options,
    UnknownColumns,
    TotalRows,
    ValidatedRows,
    WrittenThrough,
    ToCreate,
    ToUpdate,
    ToSkip,
    ErrorCount,
    Created,
    Updated,
    Skipped,
    Failed,
    Failure,
    ClaimedBy,
    HeartbeatAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ImportFiles {
    Table,
    JobId,
    Data,
}

#[derive(DeriveIden)]
enum ImportRows {
    Table,
    JobId,
    RowNumber,
    Action,
    Data,
    Issues,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportJobs::Table)
                    .col(pk_uuid(ImportJobs::Id))
                    .col(uuid(ImportJobs::AccountId))
                    .col(uuid_null(ImportJobs::UserId))
                    .col(string_len(ImportJobs::Kind, 16))
                    .col(string_len(ImportJobs::Phase, 32))
                    .col(string_len(ImportJobs::FileName, 255))
                    .col(text(ImportJobs::Options))
                    .col(text(ImportJobs::UnknownColumns))
                    .col(big_integer(ImportJobs::TotalRows))
                    .col(big_integer(ImportJobs::ValidatedRows))
                    .col(big_integer(ImportJobs::WrittenThrough))
                    .col(big_integer(ImportJobs::ToCreate))
                    .col(big_integer(ImportJobs::ToUpdate))
                    .col(big_integer(ImportJobs::ToSkip))
                    .col(big_integer(ImportJobs::ErrorCount))
                    .col(big_integer(ImportJobs::Created))
                    .col(big_integer(ImportJobs::Updated))
                    .col(big_integer(ImportJobs::Skipped))
                    .col(big_integer(ImportJobs::Failed))
                    .col(text_null(ImportJobs::Failure))
                    .col(uuid_null(ImportJobs::ClaimedBy))
                    .col(timestamp_with_time_zone_null(ImportJobs::HeartbeatAt))
                    .col(timestamp_with_time_zone(ImportJobs::CreatedAt))
                    .col(timestamp_with_time_zone(ImportJobs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportJobs::Table, ImportJobs::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_import_jobs_account_created")
                    .table(ImportJobs::Table)
                    .col(ImportJobs::AccountId)
                    .col(ImportJobs::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_import_jobs_phase")
                    .table(ImportJobs::Table)
                    .col(ImportJobs::Phase)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportFiles::Table)
                    .col(uuid(ImportFiles::JobId).primary_key())
                    .col(blob(ImportFiles::Data))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportFiles::Table, ImportFiles::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRows::Table)
                    .col(uuid(ImportRows::JobId))
                    .col(big_integer(ImportRows::RowNumber))
                    .col(string_len(ImportRows::Action, 16))
                    .col(text_null(ImportRows::Data))
                    .col(text(ImportRows::Issues))
                    .primary_key(
                        Index::create()
                            .col(ImportRows::JobId)
                            .col(ImportRows::RowNumber),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportRows::Table, ImportRows::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportRows::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportFiles::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportJobs::Table).to_owned())
            .await
    }
}
