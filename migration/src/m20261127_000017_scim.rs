//! Directory sync over SCIM 2.0 (issue 17): per-account bearer tokens, the
//! SCIM side of users and groups (userName, externalId, the enterprise
//! extension, and whether the directory deleted them), and the account's
//! choices for deletions and welcome mail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    ScimDeleteMode,
    ScimWelcomeMail,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserGroups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ScimTokens {
    Table,
    Id,
    AccountId,
    Name,
    TokenHash,
    CreatedBy,
    CreatorRole,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ScimUsers {
    Table,
    UserId,
    AccountId,
    UserName,
    UserNameKey,
    ExternalId,
    Department,
    EmployeeNumber,
    ManagerId,
    Resource,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ScimGroups {
    Table,
    GroupId,
    AccountId,
    ExternalId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_len(Accounts::ScimDeleteMode, 16).default("SUSPEND"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(boolean(Accounts::ScimWelcomeMail).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimTokens::Table)
                    .col(pk_uuid(ScimTokens::Id))
                    .col(uuid(ScimTokens::AccountId))
                    .col(string_len(ScimTokens::Name, 255))
                    .col(string_len_uniq(ScimTokens::TokenHash, 64))
                    .col(uuid_null(ScimTokens::CreatedBy))
                    .col(string_len(ScimTokens::CreatorRole, 16))
                    .col(timestamp_with_time_zone(ScimTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ScimTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ScimTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimTokens::Table, ScimTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_tokens_account")
                    .table(ScimTokens::Table)
                    .col(ScimTokens::AccountId)
                    .col(ScimTokens::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimUsers::Table)
                    .col(pk_uuid(ScimUsers::UserId))
                    .col(uuid(ScimUsers::AccountId))
                    .col(string_len_null(ScimUsers::UserName, 255))
                    .col(string_len_null(ScimUsers::UserNameKey, 255))
                    .col(string_len_null(ScimUsers::ExternalId, 255))
                    .col(string_len_null(ScimUsers::Department, 255))
                    .col(string_len_null(ScimUsers::EmployeeNumber, 255))
                    .col(uuid_null(ScimUsers::ManagerId))
                    .col(text_null(ScimUsers::Resource))
                    .col(timestamp_with_time_zone_null(ScimUsers::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimUsers::Table, ScimUsers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_users_user_name")
                    .table(ScimUsers::Table)
                    .col(ScimUsers::AccountId)
                    .col(ScimUsers::UserNameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_users_external_id")
                    .table(ScimUsers::Table)
                    .col(ScimUsers::AccountId)
                    .col(ScimUsers::ExternalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimGroups::Table)
                    .col(pk_uuid(ScimGroups::GroupId))
                    .col(uuid(ScimGroups::AccountId))
                    .col(string_len_null(ScimGroups::ExternalId, 255))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimGroups::Table, ScimGroups::GroupId)
                            .to(UserGroups::Table, UserGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_groups_external_id")
                    .table(ScimGroups::Table)
                    .col(ScimGroups::AccountId)
                    .col(ScimGroups::ExternalId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ScimGroups::Table.into_iden(),
            ScimUsers::Table.into_iden(),
            ScimTokens::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Accounts::ScimDeleteMode, Accounts::ScimWelcomeMail] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
