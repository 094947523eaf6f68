//! The dataloaders of one request. They cache, so a connection can load the
//! nested fields of a whole page in one batch up front (`load_many`, see
//! `customers::prime`) and each row's resolver then finds its value: the
//! number of statements does not depend on the page size, nor on timing.
//! (Batching by delay alone splits unpredictably under load.)

use std::{sync::Arc, time::Duration};

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Context,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::{
    accounts::AccountLoader,
    companies::CompanyServicesLoader,
    custom_fields::values::CustomerFieldValuesLoader,
    customers::{
        nested::{CustomerCountLoader, CustomerPageLoader},
        CustomerAliasesLoader, CustomerServiceAccessLoader,
    },
    kernel::context::ContextExt,
};

/// How long a loader waits to gather keys not primed in advance.
/// async-graphql's default (1 ms) costs throughput (async-graphql #1306).
const DELAY: Duration = Duration::from_micros(200);

type Cached<T> = DataLoader<T, HashMapCache>;

/// Key of account-owned rows: (account id, row id). A row of another account
/// is never returned for a key, whatever id is asked for.
pub type Key = (uuid::Uuid, uuid::Uuid);

/// A loader of an account-owned table's rows by id.
macro_rules! by_id {
    ($(#[$doc:meta])* $name:ident, $module:ident) => {
        $(#[$doc])*
        pub struct $name {
            pub db: DatabaseConnection,
        }

        impl async_graphql::dataloader::Loader<Key> for $name {
            type Value = roster_entities::$module::Model;
            type Error = Arc<DbErr>;

            async fn load(
                &self,
                keys: &[Key],
            ) -> Result<std::collections::HashMap<Key, Self::Value>, Self::Error> {
                use roster_entities::$module::{Column, Entity};
                let rows = Entity::find()
                    .filter(Column::Id.is_in(keys.iter().map(|k| k.1)))
                    .all(&self.db)
                    .await?;
                // Keyed by the row's own account: another account's row never
                // answers a key.
                Ok(rows.into_iter().map(|r| ((r.account_id, r.id), r)).collect())
            }
        }
    };
}

by_id!(
    /// Companies by id.
    CompanyLoader,
    company
);
by_id!(
    /// Customers by id.
    CustomerLoader,
    customer
);
by_id!(
    /// Services by id.
    ServiceLoader,
    service
);
by_id!(
    /// Staff users by id.
    UserLoader,
    user
);
by_id!(
    /// Custom roles by id.
    CustomRoleLoader,
    custom_role
);
by_id!(
    /// Settings templates by id.
    SettingsTemplateLoader,
    settings_template
);

pub struct Loaders {
    pub accounts: Cached<AccountLoader>,
    pub companies: Cached<CompanyLoader>,
    pub customers: Cached<CustomerLoader>,
    pub services: Cached<ServiceLoader>,
    pub users: Cached<UserLoader>,
    pub custom_roles: Cached<CustomRoleLoader>,
    pub settings_templates: Cached<SettingsTemplateLoader>,
    pub default_templates: Cached<crate::settings_templates::DefaultTemplateLoader>,
    pub user_groups: Cached<crate::groups::UserGroupsLoader>,
    pub group_members: Cached<crate::groups::GroupMembersLoader>,
    pub user_products: Cached<crate::users::UserProductsLoader>,
    pub user_features: Cached<crate::users::UserFeaturesLoader>,
    pub product_features: Cached<crate::products::ProductFeaturesLoader>,
    pub manager_grants: Cached<crate::managers::ManagerGrantsLoader>,
    pub contact_methods: Cached<crate::contacts::ContactMethodsLoader>,
    pub contact_companies: Cached<crate::contacts::ContactCompaniesLoader>,
    pub company_services: Cached<CompanyServicesLoader>,
    pub customer_aliases: Cached<CustomerAliasesLoader>,
    pub customer_service_access: Cached<CustomerServiceAccessLoader>,
    pub customer_field_values: Cached<CustomerFieldValuesLoader>,
    pub customer_pages: Cached<CustomerPageLoader>,
    pub customer_counts: Cached<CustomerCountLoader>,
}

fn cached<T: async_graphql::dataloader::Loader<K>, K>(inner: T) -> Cached<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default()).delay(DELAY)
}

impl Loaders {
    /// Fresh loaders for one request (HTTP) or one socket (WebSocket).
    pub fn new(db: &DatabaseConnection) -> Arc<Loaders> {
        Arc::new(Loaders {
            accounts: cached(AccountLoader::new(db.clone())),
            companies: cached(CompanyLoader { db: db.clone() }),
            customers: cached(CustomerLoader { db: db.clone() }),
            services: cached(ServiceLoader { db: db.clone() }),
            users: cached(UserLoader { db: db.clone() }),
            custom_roles: cached(CustomRoleLoader { db: db.clone() }),
            settings_templates: cached(SettingsTemplateLoader { db: db.clone() }),
            default_templates: cached(crate::settings_templates::DefaultTemplateLoader {
                db: db.clone(),
            }),
            user_groups: cached(crate::groups::UserGroupsLoader { db: db.clone() }),
            group_members: cached(crate::groups::GroupMembersLoader { db: db.clone() }),
            user_products: cached(crate::users::UserProductsLoader { db: db.clone() }),
            user_features: cached(crate::users::UserFeaturesLoader { db: db.clone() }),
            product_features: cached(crate::products::ProductFeaturesLoader { db: db.clone() }),
            manager_grants: cached(crate::managers::ManagerGrantsLoader { db: db.clone() }),
            contact_methods: cached(crate::contacts::ContactMethodsLoader { db: db.clone() }),
            contact_companies: cached(crate::contacts::ContactCompaniesLoader { db: db.clone() }),
            company_services: cached(CompanyServicesLoader { db: db.clone() }),
            customer_aliases: cached(CustomerAliasesLoader { db: db.clone() }),
            customer_service_access: cached(CustomerServiceAccessLoader { db: db.clone() }),
            customer_field_values: cached(CustomerFieldValuesLoader { db: db.clone() }),
            customer_pages: cached(CustomerPageLoader { db: db.clone() }),
            customer_counts: cached(CustomerCountLoader { db: db.clone() }),
        })
    }
}

/// The request's loaders. Every entry point inserts them; should one not,
/// fresh loaders keep the request correct (only less batched).
pub fn of(ctx: &Context<'_>) -> Arc<Loaders> {
    match ctx.data_opt::<Arc<Loaders>>() {
        Some(loaders) => loaders.clone(),
        None => Loaders::new(ctx.db()),
    }
}
