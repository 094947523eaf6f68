//! Staff users (issue 5): extensions, languages, custom roles, groups,
//! products with seats and features, settings templates, manager grants,
//! and the activity history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    AccountId,
    Extension,
    Language,
    CustomRoleId,
    SettingsTemplateId,
}

#[derive(DeriveIden)]
enum CustomRoles {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserGroups {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    AccountId,
    GroupId,
    UserId,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    Seats,
    SeatsUsed,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductFeatures {
    Table,
    Id,
    AccountId,
    ProductId,
    Name,
    EnabledByDefault,
}

#[derive(DeriveIden)]
enum UserProducts {
    Table,
    AccountId,
    UserId,
    ProductId,
    AssignedAt,
}

#[derive(DeriveIden)]
enum UserFeatures {
    Table,
    AccountId,
    UserId,
    FeatureId,
    Enabled,
}

#[derive(DeriveIden)]
enum SettingsTemplates {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    IsDefault,
    Settings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ManagerGrants {
    Table,
    Id,
    AccountId,
    UserId,
    Permission,
    GroupIds,
    ProductIds,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    AccountId,
    ActorId,
    ActorName,
    Action,
    TargetKind,
    TargetId,
    TargetName,
    Outcome,
    Detail,
    CreatedAt,
}

fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in columns {
        stmt.col(c);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new(Users::Extension).integer().null().to_owned(),
            ColumnDef::new(Users::Language)
                .string_len(8)
                .not_null()
                .default("en")
                .to_owned(),
            ColumnDef::new(Users::CustomRoleId).uuid().null().to_owned(),
            ColumnDef::new(Users::SettingsTemplateId)
                .uuid()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        index(
            manager,
            "uq_users_account_extension",
            Users::Table,
            vec![Users::AccountId.into_iden(), Users::Extension.into_iden()],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomRoles::Table)
                    .col(pk_uuid(CustomRoles::Id))
                    .col(uuid(CustomRoles::AccountId))
                    .col(string_len(CustomRoles::Name, 255))
                    .col(string_len(CustomRoles::NameKey, 255))
                    .col(text(CustomRoles::Permissions))
                    .col(timestamp_with_time_zone(CustomRoles::CreatedAt))
                    .col(timestamp_with_time_zone(CustomRoles::UpdatedAt))
                    .foreign_key(&mut fk(
                        (CustomRoles::Table, CustomRoles::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_custom_roles_account_name",
            CustomRoles::Table,
            vec![
                CustomRoles::AccountId.into_iden(),
                CustomRoles::NameKey.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserGroups::Table)
                    .col(pk_uuid(UserGroups::Id))
                    .col(uuid(UserGroups::AccountId))
                    .col(string_len(UserGroups::Name, 255))
                    .col(string_len(UserGroups::NameKey, 255))
                    .col(timestamp_with_time_zone(UserGroups::CreatedAt))
                    .col(timestamp_with_time_zone(UserGroups::UpdatedAt))
                    .foreign_key(&mut fk(
                        (UserGroups::Table, UserGroups::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_user_groups_account_name",
            UserGroups::Table,
            vec![
                UserGroups::AccountId.into_iden(),
                UserGroups::NameKey.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .col(uuid(GroupMembers::AccountId))
                    .col(uuid(GroupMembers::GroupId))
                    .col(uuid(GroupMembers::UserId))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::UserId),
                    )
                    .foreign_key(&mut fk(
                        (GroupMembers::Table, GroupMembers::GroupId),
                        (UserGroups::Table, UserGroups::Id),
                    ))
                    .foreign_key(&mut fk(
                        (GroupMembers::Table, GroupMembers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_group_members_user",
            GroupMembers::Table,
            vec![GroupMembers::UserId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(uuid(Products::AccountId))
                    .col(string_len(Products::Name, 255))
                    .col(string_len(Products::NameKey, 255))
                    .col(integer(Products::Seats))
                    .col(integer(Products::SeatsUsed).default(0))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Products::Table, Products::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_products_account_name",
            Products::Table,
            vec![
                Products::AccountId.into_iden(),
                Products::NameKey.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProductFeatures::Table)
                    .col(pk_uuid(ProductFeatures::Id))
                    .col(uuid(ProductFeatures::AccountId))
                    .col(uuid(ProductFeatures::ProductId))
                    .col(string_len(ProductFeatures::Name, 255))
                    .col(boolean(ProductFeatures::EnabledByDefault))
                    .foreign_key(&mut fk(
                        (ProductFeatures::Table, ProductFeatures::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_product_features_product",
            ProductFeatures::Table,
            vec![ProductFeatures::ProductId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserProducts::Table)
                    .col(uuid(UserProducts::AccountId))
                    .col(uuid(UserProducts::UserId))
                    .col(uuid(UserProducts::ProductId))
                    .col(timestamp_with_time_zone(UserProducts::AssignedAt))
                    .primary_key(
                        Index::create()
                            .col(UserProducts::UserId)
                            .col(UserProducts::ProductId),
                    )
                    .foreign_key(&mut fk(
                        (UserProducts::Table, UserProducts::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        (UserProducts::Table, UserProducts::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_user_products_product",
            UserProducts::Table,
            vec![UserProducts::ProductId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserFeatures::Table)
                    .col(uuid(UserFeatures::AccountId))
                    .col(uuid(UserFeatures::UserId))
                    .col(uuid(UserFeatures::FeatureId))
                    .col(boolean(UserFeatures::Enabled))
                    .primary_key(
                        Index::create()
                            .col(UserFeatures::UserId)
                            .col(UserFeatures::FeatureId),
                    )
                    .foreign_key(&mut fk(
                        (UserFeatures::Table, UserFeatures::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        (UserFeatures::Table, UserFeatures::FeatureId),
                        (ProductFeatures::Table, ProductFeatures::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SettingsTemplates::Table)
                    .col(pk_uuid(SettingsTemplates::Id))
                    .col(uuid(SettingsTemplates::AccountId))
                    .col(string_len(SettingsTemplates::Name, 255))
                    .col(string_len(SettingsTemplates::NameKey, 255))
                    .col(boolean(SettingsTemplates::IsDefault))
                    .col(text(SettingsTemplates::Settings))
                    .col(timestamp_with_time_zone(SettingsTemplates::CreatedAt))
                    .col(timestamp_with_time_zone(SettingsTemplates::UpdatedAt))
                    .foreign_key(&mut fk(
                        (SettingsTemplates::Table, SettingsTemplates::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_settings_templates_account_name",
            SettingsTemplates::Table,
            vec![
                SettingsTemplates::AccountId.into_iden(),
                SettingsTemplates::NameKey.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ManagerGrants::Table)
                    .col(pk_uuid(ManagerGrants::Id))
                    .col(uuid(ManagerGrants::AccountId))
                    .col(uuid(ManagerGrants::UserId))
                    .col(string_len(ManagerGrants::Permission, 32))
                    .col(text_null(ManagerGrants::GroupIds))
                    .col(text_null(ManagerGrants::ProductIds))
                    .col(timestamp_with_time_zone(ManagerGrants::CreatedAt))
                    .foreign_key(&mut fk(
                        (ManagerGrants::Table, ManagerGrants::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_manager_grants_user_permission",
            ManagerGrants::Table,
            vec![
                ManagerGrants::UserId.into_iden(),
                ManagerGrants::Permission.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(pk_uuid(Activities::Id))
                    .col(uuid(Activities::AccountId))
                    .col(uuid_null(Activities::ActorId))
                    .col(string_len(Activities::ActorName, 255))
                    .col(string_len(Activities::Action, 64))
                    .col(string_len(Activities::TargetKind, 32))
                    .col(uuid_null(Activities::TargetId))
                    .col(string_len(Activities::TargetName, 255))
                    .col(string_len(Activities::Outcome, 16))
                    .col(text_null(Activities::Detail))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .foreign_key(&mut fk(
                        (Activities::Table, Activities::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_activities_account_created",
            Activities::Table,
            vec![
                Activities::AccountId.into_iden(),
                Activities::CreatedAt.into_iden(),
                Activities::Id.into_iden(),
            ],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Activities::Table.into_iden(),
            ManagerGrants::Table.into_iden(),
            SettingsTemplates::Table.into_iden(),
            UserFeatures::Table.into_iden(),
            UserProducts::Table.into_iden(),
            ProductFeatures::Table.into_iden(),
            Products::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            UserGroups::Table.into_iden(),
            CustomRoles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("uq_users_account_extension")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Users::SettingsTemplateId.into_iden(),
            Users::CustomRoleId.into_iden(),
            Users::Language.into_iden(),
            Users::Extension.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
