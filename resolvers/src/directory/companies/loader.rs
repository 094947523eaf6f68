use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use roster_entities::{company_service, service};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, QueryFilter, QueryOrder};

use crate::kernel::loaders::{per_account, Key};

/// The services each company has access to, by name.
pub struct CompanyServicesLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for CompanyServicesLoader {
    type Value = Vec<service::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows = per_account(keys, |tenant, ids| {
            tenant
                .find::<company_service::Entity>()
                .filter(company_service::Column::CompanyId.is_in(ids))
                .find_also_related(service::Entity)
                .order_by_asc(service::Column::NameKey)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (link, service) in rows {
            if let (Some(list), Some(service)) =
                (out.get_mut(&(link.account_id, link.company_id)), service)
            {
                list.push(service);
            }
        }
        Ok(out)
    }
}

crate::from_db!(CompanyServicesLoader);
