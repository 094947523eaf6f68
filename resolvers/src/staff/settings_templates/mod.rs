//! Settings templates (seed 002): named per-product settings. A user follows
//! the template applied to them, or the account's default one. Settings are
//! read through the template when asked for, so a template applied before a
//! product is assigned is in force once it is.

mod mutation;
mod query;

pub use mutation::SettingsTemplateMutation;
pub use query::SettingsTemplateQuery;

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::{settings_template, user};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::ids::GlobalId};

/// One stored setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSetting {
    pub product_id: Uuid,
    pub key: String,
    pub value: String,
}

/// A setting of a product.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The product the setting is for.
    pub product_id: ID,
    /// The setting's name (at most 64 characters).
    pub key: String,
    /// The setting's value (at most 1,000 characters).
    pub value: String,
}

fn stored(template: &settings_template::Model) -> Vec<StoredSetting> {
    serde_json::from_str(&template.settings).unwrap_or_default()
}

/// The template's settings for one product.
pub fn for_product(template: &settings_template::Model, product_id: Uuid) -> Vec<Setting> {
    stored(template)
        .into_iter()
        .filter(|s| s.product_id == product_id)
        .map(|s| Setting {
            product_id: GlobalId::product(s.product_id).into(),
            key: s.key,
            value: s.value,
        })
        .collect()
}

/// The template an input names, if it is one of the account's.
pub async fn resolve(
    db: &impl sea_orm::ConnectionTrait,
    account_id: Uuid,
    id: &ID,
) -> Result<Option<Uuid>, ApiError> {
    use crate::kernel::scope::Tenant;
    let Ok(uuid) = GlobalId::expect(id, crate::kernel::ids::NodeKind::SettingsTemplate) else {
        return Ok(None);
    };
    Ok(Tenant(account_id)
        .find_by_id::<settings_template::Entity>(uuid)
        .one(db)
        .await?
        .map(|t| t.id))
}

/// The template in force for `user`: theirs, or the account's default.
pub async fn of_user(
    ctx: &Context<'_>,
    user: &user::Model,
) -> Result<Option<settings_template::Model>, ApiError> {
    let loaders = crate::kernel::loaders::of(ctx);
    if let Some(id) = user.settings_template_id {
        let found = loaders
            .get::<crate::kernel::loaders::SettingsTemplateLoader>()
            .load_one((user.account_id, id))
            .await
            .map_err(ApiError::internal)?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(loaders
        .get::<crate::staff::settings_templates::DefaultTemplateLoader>()
        .load_one(user.account_id)
        .await
        .map_err(ApiError::internal)?
        .flatten())
}

/// A named set of per-product settings.
#[derive(Clone, Debug)]
pub struct SettingsTemplate(pub settings_template::Model);

/// A named set of per-product settings.
#[Object]
impl SettingsTemplate {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::settings_template(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether users without a template of their own follow this one.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }

    /// The template's settings, for every product.
    async fn settings(&self) -> Vec<Setting> {
        stored(&self.0)
            .into_iter()
            .map(|s| Setting {
                product_id: GlobalId::product(s.product_id).into(),
                key: s.key,
                value: s.value,
            })
            .collect()
    }

    /// When the template was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the template was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Loads the account's default template. Accounts without one get `None`
/// (cached too, so a page of users asks once).
pub struct DefaultTemplateLoader {
    pub db: sea_orm::DatabaseConnection,
}

#[async_trait::async_trait]
impl async_graphql::dataloader::Loader<Uuid> for DefaultTemplateLoader {
    type Value = Option<settings_template::Model>;
    type Error = std::sync::Arc<sea_orm::DbErr>;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Self::Value>, Self::Error> {
        use crate::kernel::scope::Tenant;
        use sea_orm::{ColumnTrait, QueryFilter};
        let mut rows: Vec<settings_template::Model> = Vec::new();
        for account in keys {
            rows.extend(
                Tenant(*account)
                    .find::<settings_template::Entity>()
                    .filter(settings_template::Column::IsDefault.eq(true))
                    .all(&self.db)
                    .await?,
            );
        }
        let mut out: std::collections::HashMap<Uuid, Self::Value> =
            keys.iter().map(|k| (*k, None)).collect();
        for t in rows {
            out.insert(t.account_id, Some(t));
        }
        Ok(out)
    }
}

crate::from_db!(DefaultTemplateLoader);
