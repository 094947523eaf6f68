//! Account-defined custom fields for customers, and their values.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomFields {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    Kind,
    Choices,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerFieldValues {
    Table,
    AccountId,
    CustomerId,
    FieldId,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomFields::Table)
                    .col(pk_uuid(CustomFields::Id))
                    .col(uuid(CustomFields::AccountId))
                    .col(string_len(CustomFields::Name, 255))
                    .col(string_len(CustomFields::NameKey, 255))
                    .col(string_len(CustomFields::Kind, 16))
                    .col(text_null(CustomFields::Choices))
                    .col(timestamp_with_time_zone(CustomFields::CreatedAt))
                    .col(timestamp_with_time_zone(CustomFields::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomFields::Table, CustomFields::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_custom_fields_account_name")
                    .table(CustomFields::Table)
                    .col(CustomFields::AccountId)
                    .col(CustomFields::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerFieldValues::Table)
                    .col(uuid(CustomerFieldValues::AccountId))
                    .col(uuid(CustomerFieldValues::CustomerId))
                    .col(uuid(CustomerFieldValues::FieldId))
                    .col(text(CustomerFieldValues::Value))
                    .primary_key(
                        Index::create()
                            .col(CustomerFieldValues::CustomerId)
                            .col(CustomerFieldValues::FieldId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerFieldValues::Table, CustomerFieldValues::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerFieldValues::Table, CustomerFieldValues::FieldId)
                            .to(CustomFields::Table, CustomFields::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_field_values_field")
                    .table(CustomerFieldValues::Table)
                    .col(CustomerFieldValues::FieldId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerFieldValues::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CustomFields::Table).to_owned())
            .await
    }
}
