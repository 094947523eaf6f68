//! Keyset scans of an account's customers by id (export, bulk work) need an
//! index that starts with the account; without it every page sorts the
//! account's whole customer list.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    AccountId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_customers_account_id")
                    .table(Customers::Table)
                    .col(Customers::AccountId)
                    .col(Customers::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_customers_account_id")
                    .table(Customers::Table)
                    .to_owned(),
            )
            .await
    }
}
