//! The customer portal: self-registration switch per account, customers'
//! portal passwords and sessions, and the incidents they raise.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    PortalSelfRegistration,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PortalLogins {
    Table,
    CustomerId,
    AccountId,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PortalSessions {
    Table,
    Id,
    TokenHash,
    CustomerId,
    AccountId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    AccountId,
    Title,
    Description,
    Status,
    ServiceId,
    CustomerId,
    CreatedAt,
    UpdatedAt,
}

fn cascade_to_customer(table: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    let table = table.into_iden();
    ForeignKey::create()
        .from(table, Alias::new("customer_id"))
        .to(Customers::Table, Customers::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(boolean(Accounts::PortalSelfRegistration).default(true))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PortalLogins::Table)
                    .col(pk_uuid(PortalLogins::CustomerId))
                    .col(uuid(PortalLogins::AccountId))
                    .col(text(PortalLogins::PasswordHash))
                    .col(timestamp_with_time_zone(PortalLogins::CreatedAt))
                    .col(timestamp_with_time_zone(PortalLogins::UpdatedAt))
                    .foreign_key(&mut cascade_to_customer(PortalLogins::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PortalSessions::Table)
                    .col(pk_uuid(PortalSessions::Id))
                    .col(string_len_uniq(PortalSessions::TokenHash, 64))
                    .col(uuid(PortalSessions::CustomerId))
                    .col(uuid(PortalSessions::AccountId))
                    .col(timestamp_with_time_zone(PortalSessions::CreatedAt))
                    .col(timestamp_with_time_zone(PortalSessions::ExpiresAt))
                    .foreign_key(&mut cascade_to_customer(PortalSessions::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_portal_sessions_customer")
                    .table(PortalSessions::Table)
                    .col(PortalSessions::CustomerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(pk_uuid(Incidents::Id))
                    .col(uuid(Incidents::AccountId))
                    .col(string_len(Incidents::Title, 255))
                    .col(text(Incidents::Description))
                    .col(string_len(Incidents::Status, 16))
                    .col(uuid_null(Incidents::ServiceId))
                    .col(uuid_null(Incidents::CustomerId))
                    .col(timestamp_with_time_zone(Incidents::CreatedAt))
                    .col(timestamp_with_time_zone(Incidents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_incidents_account_created", Incidents::CreatedAt),
            ("idx_incidents_account_customer", Incidents::CustomerId),
            ("idx_incidents_account_service", Incidents::ServiceId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Incidents::Table)
                        .col(Incidents::AccountId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Incidents::Table.into_iden(),
            PortalSessions::Table.into_iden(),
            PortalLogins::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::PortalSelfRegistration)
                    .to_owned(),
            )
            .await
    }
}
