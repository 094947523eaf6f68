//! Tenancy: rows of account-owned tables are read, inserted, updated and
//! deleted through a `Tenant` handle, so that every statement carries its
//! account by construction and no resolver, loader or worker can touch
//! another account's rows by accident: reads and writes get the account
//! filter, inserted rows get the account id (models never set it
//! themselves). A test (`resolvers/tests/tenancy.rs`) fails when a table
//! with an `account_id` is not registered here, and when an account-owned
//! table is read, inserted, updated or deleted from without the handle
//! (except on a line that says why it spans accounts: `// all accounts: …`).

use roster_entities::{
    activity, company, company_service, contact, contact_company, contact_method, custom_field,
    custom_role, customer, customer_avatar, customer_email, customer_field_value, customer_service,
    denylist_entry, email_template, export_link, group, group_member, import_job, incident,
    invitation, manager_grant, outbox_message, portal_login, portal_session, portal_sign_up,
    product, product_feature, scim_group, scim_token, scim_user, service, session,
    settings_template, user, user_feature, user_product,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DeleteMany, EntityName, EntityTrait, Insert,
    PrimaryKeyTrait, QueryFilter, Select, UpdateMany,
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

/// One account's rows: every statement on an account-owned table starts
/// here, so it is limited to the account whatever else it filters on, and
/// every row it inserts belongs to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenant(pub Uuid);

impl Tenant {
    /// A SELECT of the account's rows of `E`.
    pub fn find<E: AccountOwned>(self) -> Select<E> {
        E::find().filter(E::account_column().eq(self.0))
    }

    /// The account's row of `E` with this primary key, if any.
    pub fn find_by_id<E: AccountOwned>(
        self,
        id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    ) -> Select<E> {
        E::find_by_id(id).filter(E::account_column().eq(self.0))
    }

    /// The row, made the account's (for `bulk::insert` and other batches).
    pub fn row<A>(self, mut model: A) -> A
    where
        A: ActiveModelTrait,
        A::Entity: AccountOwned,
    {
        model.set(<A::Entity as AccountOwned>::account_column(), self.0.into());
        model
    }

    /// An INSERT of one row of the account (`.exec(db)`, or
    /// `.exec_with_returning(db)` for the inserted model).
    pub fn insert<A>(self, model: A) -> Insert<A>
    where
        A: ActiveModelTrait,
        A::Entity: AccountOwned,
    {
        <A::Entity as EntityTrait>::insert(self.row(model))
    }

    /// An INSERT of several rows of the account.
    pub fn insert_many<A>(self, models: impl IntoIterator<Item = A>) -> Insert<A>
    where
        A: ActiveModelTrait,
        A::Entity: AccountOwned,
    {
        <A::Entity as EntityTrait>::insert_many(models.into_iter().map(|m| self.row(m)))
    }

    /// An UPDATE limited to the account's rows of `E`.
    pub fn update_many<E: AccountOwned>(self) -> UpdateMany<E> {
        E::update_many().filter(E::account_column().eq(self.0))
    }

    /// A DELETE limited to the account's rows of `E`.
    pub fn delete_many<E: AccountOwned>(self) -> DeleteMany<E> {
        E::delete_many().filter(E::account_column().eq(self.0))
    }
}
