//! Products with seats (seed 002): the account's products, their features,
//! and assigning seats to users all-or-nothing (`seats.rs`).

mod mutation;
mod object;
mod query;
pub mod seats;

pub use mutation::ProductMutation;
pub use object::{Product, ProductFeature, UserProduct};
pub use query::ProductQuery;

use async_graphql::ID;
use roster_entities::product;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    kernel::error::{ApiError, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::loaders::per_account,
    kernel::scope::Tenant,
};

/// The products an input field names, or a NOT_FOUND user error on `field`.
pub async fn resolve(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    field: &str,
    ids: &[ID],
) -> Result<Result<Vec<product::Model>, UserError>, ApiError> {
    let wanted: Vec<Option<Uuid>> = ids
        .iter()
        .map(|id| GlobalId::expect(id, NodeKind::Product).ok())
        .collect();
    let found = Tenant(account_id)
        .find::<product::Entity>()
        .filter(product::Column::Id.is_in(wanted.iter().flatten().copied()))
        .order_by_asc(product::Column::NameKey)
        .all(db)
        .await?;
    let unknown: Vec<&str> = ids
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| w.is_none_or(|u| !found.iter().any(|p| p.id == u)))
        .map(|(id, _)| id.as_str())
        .collect();
    if !unknown.is_empty() {
        return Ok(Err(UserError::new(
            field,
            UserErrorCode::NotFound,
            format!("no such product: {}", unknown.join(", ")),
        )));
    }
    Ok(Ok(found))
}

/// Each product's features, by name.
pub struct ProductFeaturesLoader {
    pub db: sea_orm::DatabaseConnection,
}

#[async_trait::async_trait]
impl async_graphql::dataloader::Loader<crate::kernel::loaders::Key> for ProductFeaturesLoader {
    type Value = Vec<roster_entities::product_feature::Model>;
    type Error = std::sync::Arc<sea_orm::DbErr>;

    async fn load(
        &self,
        keys: &[crate::kernel::loaders::Key],
    ) -> Result<std::collections::HashMap<crate::kernel::loaders::Key, Self::Value>, Self::Error>
    {
        use roster_entities::product_feature;
        let rows: Vec<product_feature::Model> = per_account(keys, |tenant, products| {
            tenant
                .find::<product_feature::Entity>()
                .filter(product_feature::Column::ProductId.is_in(products))
                .order_by_asc(product_feature::Column::Name)
                .all(&self.db)
        })
        .await?;
        let mut out: std::collections::HashMap<_, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(list) = out.get_mut(&(row.account_id, row.product_id)) {
                list.push(row);
            }
        }
        Ok(out)
    }
}

/// Like `resolve`, the ids only.
pub async fn resolve_ids(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    field: &str,
    ids: &[ID],
) -> Result<Result<Vec<Uuid>, UserError>, ApiError> {
    Ok(resolve(db, account_id, field, ids)
        .await?
        .map(|found| found.into_iter().map(|p| p.id).collect()))
}

crate::from_db!(ProductFeaturesLoader);
