//! Invitations and email (issue 6): custom templates, invitations with
//! hashed single-use tokens, and the mail outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EmailTemplates {
    Table,
    Id,
    AccountId,
    Kind,
    Language,
    Name,
    Subject,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    AccountId,
    Kind,
    Status,
    TokenHash,
    Email,
    RecipientName,
    Language,
    TemplateId,
    UserId,
    CustomerId,
    TransferUserId,
    ExpiresAt,
    SentAt,
    RespondedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxMessages {
    Table,
    Id,
    AccountId,
    InvitationId,
    ToEmail,
    ToName,
    Subject,
    Html,
    Text,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    SentAt,
    LastError,
    CreatedAt,
}

fn account_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Accounts::Table, Accounts::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailTemplates::Table)
                    .col(pk_uuid(EmailTemplates::Id))
                    .col(uuid(EmailTemplates::AccountId))
                    .col(string_len(EmailTemplates::Kind, 24))
                    .col(string_len(EmailTemplates::Language, 8))
                    .col(string_len(EmailTemplates::Name, 255))
                    .col(string_len(EmailTemplates::Subject, 255))
                    .col(text(EmailTemplates::Body))
                    .col(timestamp_with_time_zone(EmailTemplates::CreatedAt))
                    .col(timestamp_with_time_zone(EmailTemplates::UpdatedAt))
                    .foreign_key(&mut account_fk(
                        EmailTemplates::Table,
                        EmailTemplates::AccountId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(pk_uuid(Invitations::Id))
                    .col(uuid(Invitations::AccountId))
                    .col(string_len(Invitations::Kind, 24))
                    .col(string_len(Invitations::Status, 16))
                    .col(string_len_uniq(Invitations::TokenHash, 64))
                    .col(string_len(Invitations::Email, 255))
                    .col(string_len(Invitations::RecipientName, 255))
                    .col(string_len(Invitations::Language, 8))
                    .col(uuid_null(Invitations::TemplateId))
                    .col(uuid_null(Invitations::UserId))
                    .col(uuid_null(Invitations::CustomerId))
                    .col(uuid_null(Invitations::TransferUserId))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::SentAt))
                    .col(timestamp_with_time_zone_null(Invitations::RespondedAt))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::UpdatedAt))
                    .foreign_key(&mut account_fk(Invitations::Table, Invitations::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_account_created")
                    .table(Invitations::Table)
                    .col(Invitations::AccountId)
                    .col(Invitations::CreatedAt)
                    .col(Invitations::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxMessages::Table)
                    .col(pk_uuid(OutboxMessages::Id))
                    .col(uuid(OutboxMessages::AccountId))
                    .col(uuid_null(OutboxMessages::InvitationId))
                    .col(string_len(OutboxMessages::ToEmail, 255))
                    .col(string_len(OutboxMessages::ToName, 255))
                    .col(string_len(OutboxMessages::Subject, 255))
                    .col(text_null(OutboxMessages::Html))
                    .col(text_null(OutboxMessages::Text))
                    .col(integer(OutboxMessages::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboxMessages::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(OutboxMessages::ClaimedUntil))
                    .col(timestamp_with_time_zone_null(OutboxMessages::SentAt))
                    .col(text_null(OutboxMessages::LastError))
                    .col(timestamp_with_time_zone(OutboxMessages::CreatedAt))
                    .foreign_key(&mut account_fk(
                        OutboxMessages::Table,
                        OutboxMessages::AccountId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(OutboxMessages::Table)
                    .col(OutboxMessages::SentAt)
                    .col(OutboxMessages::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxMessages::Table.into_iden(),
            Invitations::Table.into_iden(),
            EmailTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
