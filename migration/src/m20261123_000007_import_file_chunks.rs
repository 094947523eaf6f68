//! Import files are kept in 1 MiB chunks instead of one value, so that no
//! step needs a whole file in memory.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ImportFiles {
    Table,
}

#[derive(DeriveIden)]
enum ImportFileChunks {
    Table,
    JobId,
    Seq,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ImportFiles::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportFileChunks::Table)
                    .col(uuid(ImportFileChunks::JobId))
                    .col(integer(ImportFileChunks::Seq))
                    .col(blob(ImportFileChunks::Data))
                    .primary_key(
                        Index::create()
                            .col(ImportFileChunks::JobId)
                            .col(ImportFileChunks::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportFileChunks::Table, ImportFileChunks::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportFileChunks::Table).to_owned())
            .await
    }
}
