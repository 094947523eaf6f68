//! Tenancy: rows of account-owned tables are read through `in_account` and
//! updated or deleted through a `Tenant` handle, so that every statement
//! carries its account filter by construction and no resolver, loader or
//! worker can touch another account's rows by accident. A test
//! (`resolvers/tests/tenancy.rs`) fails when a table with an `account_id`
//! is not registered here, and when an account-owned table is updated or
//! deleted from without the handle.

use roster_entities::{
    activity, company, company_service, contact, contact_company, contact_method, custom_field,
    custom_role, customer, customer_avatar, customer_email, customer_field_value, customer_service,
    denylist_entry, email_template, export_link, group, group_member, import_job, incident,
    invitation, manager_grant, outbox_message, portal_login, portal_session, portal_sign_up,
    product, product_feature, scim_group, scim_token, scim_user, service, session,
    settings_template, user, user_feature, user_product,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DeleteMany, EntityName, EntityTrait, QueryFilter, Select,
    UpdateMany,
};
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
    ($($module:ident),*) => {
        $(
            impl AccountOwned for $module::Entity {
                fn account_column() -> Self::Column {
                    $module::Column::AccountId
                }
            }
        )*

        /// The tables registered as account-owned.
        pub fn account_owned_tables() -> Vec<&'static str> {
            let mut tables = vec![user::Entity.table_name(), session::Entity.table_name()];
            $(tables.push($module::Entity.table_name());)*
            tables
        }
    };
}

account_owned!(
    activity,
    scim_group,
    scim_token,
    scim_user,
    custom_role,
    email_template,
    invitation,
    group,
    group_member,
    manager_grant,
    product,
    product_feature,
    settings_template,
    user_feature,
    user_product,
    company,
    company_service,
    contact,
    contact_company,
    contact_method,
    custom_field,
    customer,
    customer_email,
    customer_field_value,
    customer_service,
    denylist_entry,
    import_job,
    incident,
    service,
    customer_avatar,
    export_link,
    outbox_message,
    portal_login,
    portal_session,
    portal_sign_up
);

/// A table whose rows have a name unique (case-insensitively) per account.
pub trait Named: AccountOwned {
    fn name_key_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

macro_rules! named {
    ($($module:ident),*) => {$(
        impl Named for $module::Entity {
            fn name_key_column() -> Self::Column {
                $module::Column::NameKey
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
        }
    )*};
}

named!(
    company,
    custom_field,
    custom_role,
    group,
    product,
    service,
    settings_template
);

/// Whether another row of `account_id` (than `except`) has the name key `key`.
pub async fn name_taken<E: Named>(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    key: &str,
    except: Option<Uuid>,
) -> Result<bool, sea_orm::DbErr> {
    let mut select = E::find()
        .filter(E::account_column().eq(account_id))
        .filter(E::name_key_column().eq(key));
    if let Some(id) = except {
        select = select.filter(E::id_column().ne(id));
    }
    Ok(select.one(db).await?.is_some())
}

pub trait Scoped {
    /// Restricts the select to rows of `account_id`.
    fn in_account(self, account_id: Uuid) -> Self;
}

impl<E: AccountOwned> Scoped for Select<E> {
    fn in_account(self, account_id: Uuid) -> Self {
        self.filter(E::account_column().eq(account_id))
    }
}

/// One account's rows: updates and deletes of account-owned tables start
/// here, so each statement is limited to the account whatever else it
/// filters on. (Reads use `Scoped::in_account`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenant(pub Uuid);

impl Tenant {
    /// An UPDATE limited to the account's rows of `E`.
    pub fn update_many<E: AccountOwned>(self) -> UpdateMany<E> {
        E::update_many().filter(E::account_column().eq(self.0))
    }

    /// A DELETE limited to the account's rows of `E`.
    pub fn delete_many<E: AccountOwned>(self) -> DeleteMany<E> {
        E::delete_many().filter(E::account_column().eq(self.0))
    }
}
