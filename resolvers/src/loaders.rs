//! Every dataloader of the API, registered on the schema in one place.

use std::time::Duration;

use async_graphql::{dataloader::DataLoader, ObjectType, SchemaBuilder, SubscriptionType};
use sea_orm::DatabaseConnection;

use crate::{
    accounts::AccountLoader,
    companies::{CompanyLoader, CompanyServicesLoader},
    customers::{CustomerAliasesLoader, CustomerServiceAccessLoader},
};

/// How long a loader waits to gather keys into one batch. async-graphql's
/// default (1 ms) costs throughput under load (async-graphql #1306).
const DELAY: Duration = Duration::from_micros(200);

fn loader<T: Send + Sync + 'static>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, tokio::spawn).delay(DELAY)
}

pub fn register<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    db: &DatabaseConnection,
) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    builder
        .data(loader(AccountLoader::new(db.clone())))
        .data(loader(CompanyLoader { db: db.clone() }))
        .data(loader(CompanyServicesLoader { db: db.clone() }))
        .data(loader(CustomerAliasesLoader { db: db.clone() }))
        .data(loader(CustomerServiceAccessLoader { db: db.clone() }))
}
