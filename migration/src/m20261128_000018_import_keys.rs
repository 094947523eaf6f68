//! The addresses a large import's validation has seen, and the row each
//! was first seen on (`resolvers/src/imports/seen.rs`): kept here, as
//! sorted runs cut into blocks, once they outgrow the worker's memory, so
//! a file of any size validates in flat memory. A key is a 64-bit hash of
//! the address.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ImportKeys {
    Table,
    JobId,
    Run,
    Block,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportKeys::Table)
                    .col(uuid(ImportKeys::JobId))
                    .col(integer(ImportKeys::Run))
                    .col(integer(ImportKeys::Block))
                    .col(blob(ImportKeys::Data))
                    .primary_key(
                        Index::create()
                            .col(ImportKeys::JobId)
                            .col(ImportKeys::Run)
                            .col(ImportKeys::Block),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportKeys::Table, ImportKeys::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportKeys::Table).to_owned())
            .await
    }
}
