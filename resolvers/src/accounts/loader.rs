use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use roster_entities::account;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Loads accounts by id in batches. Keys are account ids, so a key is its own
/// tenant: callers only ask for the account of a row they already scoped.
pub struct AccountLoader {
    db: DatabaseConnection,
}

impl AccountLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        AccountLoader { db }
    }
}

#[async_trait::async_trait]
impl Loader<Uuid> for AccountLoader {
    type Value = account::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = account::Entity::find()
            .filter(account::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

crate::from_db!(AccountLoader);
