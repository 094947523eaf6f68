//! Customer avatars: the scaled image, addressed by an unguessable token that
//! changes with every upload (so its URL can be cached forever).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    AvatarToken,
}

#[derive(DeriveIden)]
enum CustomerAvatars {
    Table,
    Token,
    AccountId,
    CustomerId,
    ContentType,
    Data,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(string_len_null(Customers::AvatarToken, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerAvatars::Table)
                    .col(string_len(CustomerAvatars::Token, 64).primary_key())
                    .col(uuid(CustomerAvatars::AccountId))
                    .col(uuid(CustomerAvatars::CustomerId))
                    .col(string_len(CustomerAvatars::ContentType, 32))
                    .col(blob(CustomerAvatars::Data))
                    .col(timestamp_with_time_zone(CustomerAvatars::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerAvatars::Table, CustomerAvatars::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_avatars_customer")
                    .table(CustomerAvatars::Table)
                    .col(CustomerAvatars::CustomerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerAvatars::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .drop_column(Customers::AvatarToken)
                    .to_owned(),
            )
            .await
    }
}
