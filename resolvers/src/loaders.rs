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
use sea_orm::DatabaseConnection;

use crate::{
    accounts::AccountLoader,
    companies::{CompanyLoader, CompanyServicesLoader},
    context::ContextExt,
    custom_fields::values::CustomerFieldValuesLoader,
    customers::{
        nested::{CustomerCountLoader, CustomerPageLoader},
        CustomerAliasesLoader, CustomerServiceAccessLoader,
    },
};

/// How long a loader waits to gather keys not primed in advance.
/// async-graphql's default (1 ms) costs throughput (async-graphql #1306).
const DELAY: Duration = Duration::from_micros(200);

type Cached<T> = DataLoader<T, HashMapCache>;

/// Key of account-owned rows: (account id, row id). A row of another account
/// is never returned for a key, whatever id is asked for.
pub type Key = (uuid::Uuid, uuid::Uuid);

pub struct Loaders {
    pub accounts: Cached<AccountLoader>,
    pub companies: Cached<CompanyLoader>,
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
