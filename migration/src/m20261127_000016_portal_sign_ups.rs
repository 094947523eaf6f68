//! Portal sign-ups wait for their address to be confirmed (issue 14): the
//! customer is created when the mailed link is opened, so `portalSignUp`
//! answers the same whether an address is new, known or denylisted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PortalSignUps {
    Table,
    Id,
    AccountId,
    TokenHash,
    Email,
    EmailKey,
    FirstName,
    LastName,
    PasswordHash,
    ExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PortalSignUps::Table)
                    .col(pk_uuid(PortalSignUps::Id))
                    .col(uuid(PortalSignUps::AccountId))
                    .col(string_len_uniq(PortalSignUps::TokenHash, 64))
                    .col(string_len(PortalSignUps::Email, 255))
                    .col(string_len(PortalSignUps::EmailKey, 255))
                    .col(string_len(PortalSignUps::FirstName, 255))
                    .col(string_len(PortalSignUps::LastName, 255))
                    .col(text(PortalSignUps::PasswordHash))
                    .col(timestamp_with_time_zone(PortalSignUps::ExpiresAt))
                    .col(timestamp_with_time_zone(PortalSignUps::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PortalSignUps::Table, PortalSignUps::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Erasure and clean-up find an address's pending sign-ups by key.
        manager
            .create_index(
                Index::create()
                    .name("idx_portal_sign_ups_account_email")
                    .table(PortalSignUps::Table)
                    .col(PortalSignUps::AccountId)
                    .col(PortalSignUps::EmailKey)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PortalSignUps::Table).to_owned())
            .await
    }
}
