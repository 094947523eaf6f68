use async_graphql::{Context, Object, SimpleObject, ID};
use roster_entities::{product, product_feature, user};

use crate::{
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
    staff::settings_templates::Setting,
};

/// A feature of a product, switched on or off per user.
#[derive(Clone, Debug)]
pub struct ProductFeature(pub product_feature::Model);

/// A feature of a product, switched on or off per user.
#[Object]
impl ProductFeature {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::product_feature(self.0.id).into()
    }

    /// The feature's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether a user holding the product has it unless switched off.
    async fn enabled_by_default(&self) -> bool {
        self.0.enabled_by_default
    }
}

/// A product the account licenses, with its seats.
#[derive(Clone, Debug)]
pub struct Product(pub product::Model);

/// A product the account licenses, with its seats.
#[Object]
impl Product {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::product(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Seats bought.
    async fn seats(&self) -> i32 {
        self.0.seats
    }

    /// Seats held by users.
    async fn seats_used(&self) -> i32 {
        self.0.seats_used
    }

    /// Seats still free.
    async fn seats_available(&self) -> i32 {
        (self.0.seats - self.0.seats_used).max(0)
    }

    /// The product's features, by name.
    async fn features(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProductFeature>> {
        let rows = crate::kernel::loaders::of(ctx)
            .get::<crate::staff::products::ProductFeaturesLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(ProductFeature).collect())
    }
}

/// A feature as it is for one user.
#[derive(SimpleObject)]
pub struct UserFeature {
    /// The feature.
    pub feature: ProductFeature,
    /// Whether the feature is on for the user: as switched for them, else
    /// the feature's default.
    pub enabled: bool,
}

/// A product seat held by a user, with the user's features and the
/// settings their template gives the product.
#[derive(Clone, Debug)]
pub struct UserProduct {
    pub user: user::Model,
    pub product: product::Model,
}

/// A product seat held by a user, with the user's features and the
/// settings their template gives the product.
#[Object]
impl UserProduct {
    /// The product.
    async fn product(&self) -> Product {
        Product(self.product.clone())
    }

    /// Each feature of the product, on or off for this user.
    async fn features(&self, ctx: &Context<'_>) -> ApiResult<Vec<UserFeature>> {
        let loaders = crate::kernel::loaders::of(ctx);
        let features = loaders
            .get::<crate::staff::products::ProductFeaturesLoader>()
            .load_one((self.product.account_id, self.product.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        let overrides = loaders
            .get::<crate::staff::users::UserFeaturesLoader>()
            .load_one((self.user.account_id, self.user.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(features
            .into_iter()
            .map(|f| {
                let enabled = overrides
                    .iter()
                    .find(|o| o.feature_id == f.id)
                    .map(|o| o.enabled)
                    .unwrap_or(f.enabled_by_default);
                UserFeature {
                    feature: ProductFeature(f),
                    enabled,
                }
            })
            .collect())
    }

    /// The settings the user's template gives this product.
    async fn settings(&self, ctx: &Context<'_>) -> ApiResult<Vec<Setting>> {
        let template = crate::staff::settings_templates::of_user(ctx, &self.user).await?;
        Ok(template
            .map(|t| crate::staff::settings_templates::for_product(&t, self.product.id))
            .unwrap_or_default())
    }
}
