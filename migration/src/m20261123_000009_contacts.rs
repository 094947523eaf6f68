//! Contacts (seed 001), their methods and company access. Every existing
//! staff user gets their contact row, with their sign-in email as primary
//! method.

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
}

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    AccountId,
    UserId,
    Name,
    NameKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactMethods {
    Table,
    Id,
    AccountId,
    ContactId,
    Kind,
    Value,
    IsPrimary,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContactCompanies {
    Table,
    AccountId,
    ContactId,
    CompanyId,
}

/// The contact rows of users that have none (same statements as
/// `roster_resolvers::contacts::users::sync`, frozen here).
const USER_CONTACTS: &str =
    "INSERT INTO contacts (id, account_id, user_id, name, name_key, created_at, updated_at) \
     SELECT u.id, u.account_id, u.id, TRIM(u.first_name || ' ' || u.last_name), \
            LOWER(TRIM(u.first_name || ' ' || u.last_name)), u.created_at, u.created_at \
     FROM users u WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.user_id = u.id)";
const USER_EMAILS: &str = "INSERT INTO contact_methods (id, account_id, contact_id, kind, value, is_primary, created_at) \
     SELECT u.id, u.account_id, u.id, 'EMAIL', u.email, TRUE, u.created_at \
     FROM users u WHERE NOT EXISTS (SELECT 1 FROM contact_methods m WHERE m.id = u.id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(pk_uuid(Contacts::Id))
                    .col(uuid(Contacts::AccountId))
                    .col(uuid_null(Contacts::UserId).unique_key())
                    .col(string_len(Contacts::Name, 255))
                    .col(string_len(Contacts::NameKey, 255))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contacts_account_name")
                    .table(Contacts::Table)
                    .col(Contacts::AccountId)
                    .col(Contacts::NameKey)
                    .col(Contacts::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactMethods::Table)
                    .col(pk_uuid(ContactMethods::Id))
                    .col(uuid(ContactMethods::AccountId))
                    .col(uuid(ContactMethods::ContactId))
                    .col(string_len(ContactMethods::Kind, 8))
                    .col(string_len(ContactMethods::Value, 255))
                    .col(boolean(ContactMethods::IsPrimary))
                    .col(timestamp_with_time_zone(ContactMethods::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContactMethods::Table, ContactMethods::ContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_methods_contact")
                    .table(ContactMethods::Table)
                    .col(ContactMethods::ContactId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactCompanies::Table)
                    .col(uuid(ContactCompanies::AccountId))
                    .col(uuid(ContactCompanies::ContactId))
                    .col(uuid(ContactCompanies::CompanyId))
                    .primary_key(
                        Index::create()
                            .col(ContactCompanies::ContactId)
                            .col(ContactCompanies::CompanyId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContactCompanies::Table, ContactCompanies::ContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContactCompanies::Table, ContactCompanies::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_companies_company")
                    .table(ContactCompanies::Table)
                    .col(ContactCompanies::CompanyId)
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        db.execute_unprepared(USER_CONTACTS).await?;
        db.execute_unprepared(USER_EMAILS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContactCompanies::Table.into_iden(),
            ContactMethods::Table.into_iden(),
            Contacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
