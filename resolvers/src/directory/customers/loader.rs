use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use roster_entities::{customer_email, customer_service, service};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::kernel::{
    loaders::{per_account, Key},
    scope::Tenant,
};

/// Each customer's email aliases, in the order entered.
pub struct CustomerAliasesLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for CustomerAliasesLoader {
    type Value = Vec<String>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows = per_account(keys, |tenant, ids| {
            tenant
                .find::<customer_email::Entity>()
                .filter(customer_email::Column::CustomerId.is_in(ids))
                .filter(customer_email::Column::IsPrimary.eq(false))
                .order_by_asc(customer_email::Column::Position)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(list) = out.get_mut(&(row.account_id, row.customer_id)) {
                list.push(row.email);
            }
        }
        Ok(out)
    }
}

/// Each customer's access to services, by service name.
pub struct CustomerServiceAccessLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for CustomerServiceAccessLoader {
    type Value = Vec<(customer_service::ServiceAccess, service::Model)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows = per_account(keys, |tenant, ids| {
            tenant
                .find::<customer_service::Entity>()
                .filter(customer_service::Column::CustomerId.is_in(ids))
                .find_also_related(service::Entity)
                .order_by_asc(service::Column::NameKey)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (grant, service) in rows {
            if let (Some(list), Some(service)) =
                (out.get_mut(&(grant.account_id, grant.customer_id)), service)
            {
                list.push((grant.access, service));
            }
        }
        Ok(out)
    }
}

/// One customer's aliases, outside a request's loader (for updates).
pub async fn aliases_of(
    db: &impl sea_orm::ConnectionTrait,
    account_id: Uuid,
    customer_id: Uuid,
) -> Result<Vec<String>, DbErr> {
    Ok(Tenant(account_id)
        .find::<customer_email::Entity>()
        .filter(customer_email::Column::CustomerId.eq(customer_id))
        .filter(customer_email::Column::IsPrimary.eq(false))
        .order_by_asc(customer_email::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.email)
        .collect())
}

crate::from_db!(CustomerAliasesLoader);

crate::from_db!(CustomerServiceAccessLoader);
