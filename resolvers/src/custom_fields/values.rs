//! Customers' values for custom fields: resolving them from mutation input,
//! writing them, and loading them in batches.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{dataloader::Loader, InputObject, ID};
use roster_entities::{custom_field, customer_field_value};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, NotSet,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::kernel::scope::Tenant;
use crate::{
    kernel::error::{ApiError, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::loaders::{per_account, Key},
};

/// A value to set for a custom field.
#[derive(InputObject, Clone, Debug)]
pub struct CustomFieldValueInput {
    /// The custom field to set.
    pub field_id: ID,
    /// The value; `null` or empty clears it.
    pub value: Option<String>,
}

/// A checked change: set the field to the canonical value, or clear it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueChange {
    pub field_id: Uuid,
    pub value: Option<String>,
}

/// Checks `inputs` against the account's fields. Problems name
/// `customFields.<index>`.
pub async fn resolve(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    inputs: &[CustomFieldValueInput],
) -> Result<Result<Vec<ValueChange>, Vec<UserError>>, ApiError> {
    if inputs.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let fields: HashMap<Uuid, custom_field::Model> = Tenant(account_id)
        .find::<custom_field::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut errors = Vec::new();
    let mut changes: Vec<ValueChange> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let path = format!("customFields.{i}");
        let field = GlobalId::expect(&input.field_id, NodeKind::CustomField)
            .ok()
            .and_then(|id| fields.get(&id));
        let Some(field) = field else {
            errors.push(UserError::new(
                &path,
                UserErrorCode::NotFound,
                format!("no such custom field: {}", input.field_id.as_str()),
            ));
            continue;
        };
        let value = match input
            .value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(raw) => match super::canonical(field, raw) {
                Ok(v) => Some(v),
                Err(why) => {
                    errors.push(UserError::new(
                        &path,
                        UserErrorCode::Invalid,
                        format!("{}: {why}", field.name),
                    ));
                    continue;
                }
            },
        };
        changes.retain(|c| c.field_id != field.id);
        changes.push(ValueChange {
            field_id: field.id,
            value,
        });
    }
    Ok(if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    })
}

/// Applies `changes` to the customer's values.
pub async fn write(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    customer_id: Uuid,
    changes: &[ValueChange],
) -> Result<(), DbErr> {
    let cleared: Vec<Uuid> = changes
        .iter()
        .filter(|c| c.value.is_none())
        .map(|c| c.field_id)
        .collect();
    if !cleared.is_empty() {
        Tenant(account_id)
            .delete_many::<customer_field_value::Entity>()
            .filter(customer_field_value::Column::CustomerId.eq(customer_id))
            .filter(customer_field_value::Column::FieldId.is_in(cleared))
            .exec(db)
            .await?;
    }
    let set: Vec<_> = changes
        .iter()
        .filter_map(|c| {
            c.value.as_ref().map(|v| customer_field_value::ActiveModel {
                account_id: NotSet,
                customer_id: Set(customer_id),
                field_id: Set(c.field_id),
                value: Set(v.clone()),
            })
        })
        .collect();
    if !set.is_empty() {
        Tenant(account_id)
            .insert_many(set)
            .on_conflict(
                OnConflict::columns([
                    customer_field_value::Column::CustomerId,
                    customer_field_value::Column::FieldId,
                ])
                .update_column(customer_field_value::Column::Value)
                .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Each customer's custom field values, by field name.
pub struct CustomerFieldValuesLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for CustomerFieldValuesLoader {
    type Value = Vec<(String, custom_field::Model)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows = per_account(keys, |tenant, ids| {
            tenant
                .find::<customer_field_value::Entity>()
                .filter(customer_field_value::Column::CustomerId.is_in(ids))
                .find_also_related(custom_field::Entity)
                .order_by_asc(custom_field::Column::NameKey)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (value, field) in rows {
            if let (Some(list), Some(field)) =
                (out.get_mut(&(value.account_id, value.customer_id)), field)
            {
                list.push((value.value, field));
            }
        }
        Ok(out)
    }
}

crate::from_db!(CustomerFieldValuesLoader);
