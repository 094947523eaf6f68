//! Short-lived links to download a CSV export without an Authorization header.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExportLinks {
    Table,
    TokenHash,
    AccountId,
    UserId,
    Keyword,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExportLinks::Table)
                    .col(string_len(ExportLinks::TokenHash, 64).primary_key())
                    .col(uuid(ExportLinks::AccountId))
                    .col(uuid(ExportLinks::UserId))
                    .col(text_null(ExportLinks::Keyword))
                    .col(timestamp_with_time_zone(ExportLinks::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExportLinks::Table, ExportLinks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExportLinks::Table).to_owned())
            .await
    }
}
