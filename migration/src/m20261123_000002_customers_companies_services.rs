//! Customers, companies and services (seeds 000 and 004), their access
//! relations, custom fields and the email denylist.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CompanyServices {
    Table,
    AccountId,
    CompanyId,
    ServiceId,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    AccountId,
    FirstName,
    LastName,
    SortName,
    Email,
    EmailKey,
    CompanyId,
    OfficePhone,
    MobilePhone,
    OtherPhone,
    Fax,
    Address,
    JobTitle,
    Department,
    Notes,
    EmailFormat,
    FeedbackEmails,
    TimeZone,
    Locale,
    PortalAccess,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerEmails {
    Table,
    AccountId,
    EmailKey,
    CustomerId,
    Email,
    IsPrimary,
    Position,
}

#[derive(DeriveIden)]
enum CustomerServices {
    Table,
    AccountId,
    CustomerId,
    ServiceId,
    Access,
}

#[derive(DeriveIden)]
enum DenylistEntries {
    Table,
    Id,
    AccountId,
    EmailKey,
    Email,
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
                    .table(Companies::Table)
                    .col(pk_uuid(Companies::Id))
                    .col(uuid(Companies::AccountId))
                    .col(string_len(Companies::Name, 255))
                    .col(string_len(Companies::NameKey, 255))
                    .col(timestamp_with_time_zone(Companies::CreatedAt))
                    .col(timestamp_with_time_zone(Companies::UpdatedAt))
                    .foreign_key(&mut account_fk(Companies::Table, Companies::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_companies_account_name")
                    .table(Companies::Table)
                    .col(Companies::AccountId)
                    .col(Companies::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(pk_uuid(Services::Id))
                    .col(uuid(Services::AccountId))
                    .col(string_len(Services::Name, 255))
                    .col(string_len(Services::NameKey, 255))
                    .col(text_null(Services::Description))
                    .col(timestamp_with_time_zone(Services::CreatedAt))
                    .col(timestamp_with_time_zone(Services::UpdatedAt))
                    .foreign_key(&mut account_fk(Services::Table, Services::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_services_account_name")
                    .table(Services::Table)
                    .col(Services::AccountId)
                    .col(Services::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CompanyServices::Table)
                    .col(uuid(CompanyServices::AccountId))
                    .col(uuid(CompanyServices::CompanyId))
                    .col(uuid(CompanyServices::ServiceId))
                    .primary_key(
                        Index::create()
                            .col(CompanyServices::CompanyId)
                            .col(CompanyServices::ServiceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CompanyServices::Table, CompanyServices::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CompanyServices::Table, CompanyServices::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_company_services_service")
                    .table(CompanyServices::Table)
                    .col(CompanyServices::ServiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(pk_uuid(Customers::Id))
                    .col(uuid(Customers::AccountId))
                    .col(string_len(Customers::FirstName, 255))
                    .col(string_len(Customers::LastName, 255))
                    .col(string_len(Customers::SortName, 511))
                    .col(string_len(Customers::Email, 255))
                    .col(string_len(Customers::EmailKey, 255))
                    .col(uuid_null(Customers::CompanyId))
                    .col(string_len_null(Customers::OfficePhone, 255))
                    .col(string_len_null(Customers::MobilePhone, 255))
                    .col(string_len_null(Customers::OtherPhone, 255))
                    .col(string_len_null(Customers::Fax, 255))
                    .col(string_len_null(Customers::Address, 255))
                    .col(string_len_null(Customers::JobTitle, 255))
                    .col(string_len_null(Customers::Department, 255))
                    .col(text_null(Customers::Notes))
                    .col(string_len(Customers::EmailFormat, 16))
                    .col(boolean(Customers::FeedbackEmails))
                    .col(string_len_null(Customers::TimeZone, 64))
                    .col(string_len_null(Customers::Locale, 8))
                    .col(string_len(Customers::PortalAccess, 16))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .foreign_key(&mut account_fk(Customers::Table, Customers::AccountId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Customers::Table, Customers::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "uq_customers_account_email",
                vec![Customers::AccountId, Customers::EmailKey],
            ),
            (
                "idx_customers_account_sort_name",
                vec![Customers::AccountId, Customers::SortName, Customers::Id],
            ),
            ("idx_customers_company", vec![Customers::CompanyId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Customers::Table);
            for col in cols {
                index.col(col);
            }
            if name.starts_with("uq_") {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        // Every address a customer is known by (primary email and aliases),
        // unique per account: an alias can never be another customer's email.
        manager
            .create_table(
                Table::create()
                    .table(CustomerEmails::Table)
                    .col(uuid(CustomerEmails::AccountId))
                    .col(string_len(CustomerEmails::EmailKey, 255))
                    .col(uuid(CustomerEmails::CustomerId))
                    .col(string_len(CustomerEmails::Email, 255))
                    .col(boolean(CustomerEmails::IsPrimary))
                    .col(integer(CustomerEmails::Position))
                    .primary_key(
                        Index::create()
                            .col(CustomerEmails::AccountId)
                            .col(CustomerEmails::EmailKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerEmails::Table, CustomerEmails::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_emails_customer")
                    .table(CustomerEmails::Table)
                    .col(CustomerEmails::CustomerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomerServices::Table)
                    .col(uuid(CustomerServices::AccountId))
                    .col(uuid(CustomerServices::CustomerId))
                    .col(uuid(CustomerServices::ServiceId))
                    .col(string_len(CustomerServices::Access, 24))
                    .primary_key(
                        Index::create()
                            .col(CustomerServices::CustomerId)
                            .col(CustomerServices::ServiceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerServices::Table, CustomerServices::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerServices::Table, CustomerServices::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_services_service")
                    .table(CustomerServices::Table)
                    .col(CustomerServices::ServiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DenylistEntries::Table)
                    .col(pk_uuid(DenylistEntries::Id))
                    .col(uuid(DenylistEntries::AccountId))
                    .col(string_len(DenylistEntries::EmailKey, 255))
                    .col(string_len(DenylistEntries::Email, 255))
                    .col(timestamp_with_time_zone(DenylistEntries::CreatedAt))
                    .foreign_key(&mut account_fk(
                        DenylistEntries::Table,
                        DenylistEntries::AccountId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_denylist_account_email")
                    .table(DenylistEntries::Table)
                    .col(DenylistEntries::AccountId)
                    .col(DenylistEntries::EmailKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DenylistEntries::Table.into_iden(),
            CustomerServices::Table.into_iden(),
            CustomerEmails::Table.into_iden(),
            Customers::Table.into_iden(),
            CompanyServices::Table.into_iden(),
            Services::Table.into_iden(),
            Companies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
