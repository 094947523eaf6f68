use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use roster_entities::{company, contact_company, contact_method};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, QueryFilter, QueryOrder};

use crate::kernel::loaders::{per_account, Key};

/// Each contact's methods: the primary one first, then in the order added.
pub struct ContactMethodsLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for ContactMethodsLoader {
    type Value = Vec<contact_method::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows = per_account(keys, |tenant, ids| {
            tenant
                .find::<contact_method::Entity>()
                .filter(contact_method::Column::ContactId.is_in(ids))
                .order_by_desc(contact_method::Column::IsPrimary)
                .order_by_asc(contact_method::Column::CreatedAt)
                .order_by_asc(contact_method::Column::Id)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(list) = out.get_mut(&(row.account_id, row.contact_id)) {
                list.push(row);
            }
        }
        Ok(out)
    }
}

/// The companies each contact has access to, by name.
pub struct ContactCompaniesLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for ContactCompaniesLoader {
    type Value = Vec<company::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows = per_account(keys, |tenant, ids| {
            tenant
                .find::<contact_company::Entity>()
                .filter(contact_company::Column::ContactId.is_in(ids))
                .find_also_related(company::Entity)
                .order_by_asc(company::Column::NameKey)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (link, company) in rows {
            if let (Some(list), Some(company)) =
                (out.get_mut(&(link.account_id, link.contact_id)), company)
            {
                list.push(company);
            }
        }
        Ok(out)
    }
}

crate::from_db!(ContactMethodsLoader);

crate::from_db!(ContactCompaniesLoader);
