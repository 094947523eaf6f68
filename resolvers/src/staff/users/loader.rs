use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use roster_entities::{product, user_feature, user_product};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef,
};

use crate::kernel::loaders::{per_account, Key};

fn seat_to_product() -> RelationDef {
    user_product::Entity::belongs_to(product::Entity)
        .from(user_product::Column::ProductId)
        .to(product::Column::Id)
        .into()
}

/// The products each user holds a seat of, by name.
pub struct UserProductsLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for UserProductsLoader {
    type Value = Vec<product::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows: Vec<(product::Model, Option<user_product::Model>)> =
            per_account(keys, |tenant, users| {
                tenant
                    .find::<product::Entity>()
                    .join(JoinType::InnerJoin, seat_to_product().rev())
                    .filter(user_product::Column::UserId.is_in(users))
                    .select_also(user_product::Entity)
                    .order_by_asc(product::Column::NameKey)
                    .all(&self.db)
            })
            .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (product, seat) in rows {
            if let Some(list) = seat.and_then(|s| out.get_mut(&(s.account_id, s.user_id))) {
                list.push(product);
            }
        }
        Ok(out)
    }
}

/// The features each user has switched on or off.
pub struct UserFeaturesLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for UserFeaturesLoader {
    type Value = Vec<user_feature::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows: Vec<user_feature::Model> = per_account(keys, |tenant, users| {
            tenant
                .find::<user_feature::Entity>()
                .filter(user_feature::Column::UserId.is_in(users))
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(list) = out.get_mut(&(row.account_id, row.user_id)) {
                list.push(row);
            }
        }
        Ok(out)
    }
}

crate::from_db!(UserProductsLoader);

crate::from_db!(UserFeaturesLoader);
