//! Tenancy: every query on a tenant-owned table goes through `in_account`, so
//! that no resolver or loader can read another account's rows by accident.

use roster_entities::{
    activity, company, company_service, contact, contact_company, contact_method, custom_field,
    custom_role, customer, customer_email, customer_field_value, customer_service, denylist_entry,
    email_template, group, group_member, import_job, incident, invitation, manager_grant, product,
    product_feature, service, session, settings_template, user, user_feature, user_product,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
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
    activity,
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
    service
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
