//! Tenancy: every query on a tenant-owned table goes through `in_account`, so
//! that no resolver or loader can read another account's rows by accident.

use roster_entities::{
    company, company_service, custom_field, customer, customer_email, customer_field_value,
    customer_service, denylist_entry, import_job, service, session, user,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

/// A table whose rows belong to one account.
pub trait AccountOwned: EntityTrait {
    fn account_column() -> Self::Column;
}

impl AccountOwned for user::Entity {
    fn account_column() -> Self::Column {
        user::Column::AccountId
    }
}

impl AccountOwned for session::Entity {
    fn account_column() -> Self::Column {
        session::Column::AccountId
    }
}

macro_rules! account_owned {
    ($($module:ident),*) => {$(
        impl AccountOwned for $module::Entity {
            fn account_column() -> Self::Column {
                $module::Column::AccountId
            }
        }
    )*};
}

account_owned!(
    company,
    company_service,
    custom_field,
    customer,
    customer_email,
    customer_field_value,
    customer_service,
    denylist_entry,
    import_job,
    service
);

pub trait Scoped {
    /// Restricts the select to rows of `account_id`.
    fn in_account(self, account_id: Uuid) -> Self;
}

impl<E: AccountOwned> Scoped for Select<E> {
    fn in_account(self, account_id: Uuid) -> Self {
        self.filter(E::account_column().eq(account_id))
    }
}
