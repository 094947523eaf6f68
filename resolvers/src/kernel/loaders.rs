//! The dataloaders of one request. They cache, so a connection can load the
//! nested fields of a whole page in one batch up front (`load_many`, see
//! `customers::prime`) and each row's resolver then finds its value: the
//! number of statements does not depend on the page size, nor on timing.
//! (Batching by delay alone splits unpredictably under load.)

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Context,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::kernel::context::ContextExt;

/// How long a loader waits to gather keys not primed in advance.
/// async-graphql's default (1 ms) costs throughput (async-graphql #1306).
const DELAY: Duration = Duration::from_micros(200);

pub type Cached<T> = DataLoader<T, HashMapCache>;

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

        #[async_trait::async_trait]
        impl async_graphql::dataloader::Loader<Key> for $name {
            type Value = roster_entities::$module::Model;
            type Error = Arc<DbErr>;

            async fn load(
                &self,
                keys: &[Key],
            ) -> Result<std::collections::HashMap<Key, Self::Value>, Self::Error> {
                use roster_entities::$module::{Column, Entity};
                // all accounts: keys may name several accounts; rows are keyed by their own
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

/// A loader the request's `Loaders` can make on first use.
pub trait FromDb: Send + Sync + 'static {
    fn from_db(db: &DatabaseConnection) -> Self;
}

/// Implements `FromDb` for loaders that hold only `db`.
#[macro_export]
macro_rules! from_db {
    ($($loader:ty),+ $(,)?) => {$(
        impl $crate::kernel::loaders::FromDb for $loader {
            fn from_db(db: &sea_orm::DatabaseConnection) -> Self {
                Self { db: db.clone() }
            }
        }
    )+};
}

from_db!(
    CompanyLoader,
    CustomerLoader,
    ServiceLoader,
    UserLoader,
    CustomRoleLoader,
    SettingsTemplateLoader
);

/// The dataloaders of one request (HTTP) or one operation (WebSocket), by
/// type: each is made on first use, so the kernel needs no list of them.
pub struct Loaders {
    db: DatabaseConnection,
    made: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Loaders {
    /// Fresh loaders for one request (HTTP) or one operation (WebSocket).
    pub fn new(db: &DatabaseConnection) -> Arc<Loaders> {
        Arc::new(Loaders {
            db: db.clone(),
            made: Mutex::new(HashMap::new()),
        })
    }

    /// The request's loader of type `T`.
    pub fn get<T: FromDb>(&self) -> Arc<Cached<T>> {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        let any = made
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(cached(T::from_db(&self.db))))
            .clone();
        drop(made);
        any.downcast::<Cached<T>>()
            .unwrap_or_else(|_| unreachable!("loaders are stored by their own type"))
    }
}

fn cached<T: Send + Sync + 'static>(inner: T) -> Cached<T> {
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default()).delay(DELAY)
}

/// The operation's loaders (see the schema's `OperationLoaders`). A
/// subscription's operation lasts as long as its stream, and loaders kept
/// for it would answer every event with the rows the first one read: its
/// events are resolved with fresh loaders each.
pub fn of(ctx: &Context<'_>) -> Arc<Loaders> {
    let subscription = ctx.query_env.operation.node.ty
        == async_graphql::parser::types::OperationType::Subscription;
    match ctx.data_opt::<Arc<Loaders>>() {
        Some(loaders) if !subscription => loaders.clone(),
        _ => Loaders::new(ctx.db()),
    }
}

/// The rows `read` finds for a loader batch: one statement per account of
/// `keys`, each through that account's `Tenant`, with the account's ids.
pub async fn per_account<T, F, Fut>(keys: &[Key], mut read: F) -> Result<Vec<T>, sea_orm::DbErr>
where
    F: FnMut(crate::kernel::scope::Tenant, Vec<uuid::Uuid>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, sea_orm::DbErr>>,
{
    let mut rows = Vec::new();
    for (account, ids) in by_account(keys) {
        rows.extend(read(crate::kernel::scope::Tenant(account), ids).await?);
    }
    Ok(rows)
}

/// A loader batch's keys by account (account, ids), in the order the
/// accounts first appear.
fn by_account(keys: &[Key]) -> Vec<(uuid::Uuid, Vec<uuid::Uuid>)> {
    let mut out: Vec<(uuid::Uuid, Vec<uuid::Uuid>)> = Vec::new();
    for &(account, id) in keys {
        match out.iter_mut().find(|(a, _)| *a == account) {
            Some((_, ids)) => ids.push(id),
            None => out.push((account, vec![id])),
        }
    }
    out
}
