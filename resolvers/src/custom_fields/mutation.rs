use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{
    custom_field::{self, Kind},
    customer_field_value,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::{CustomField, CustomFieldKind, MAX_FIELDS, TEXT_MAX};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
    kernel::scope::name_taken,
    kernel::validation,
};

/// Input of `createCustomField`.
#[derive(InputObject)]
pub struct CreateCustomFieldInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
    /// What the field holds; it cannot change later.
    pub kind: CustomFieldKind,
    /// The allowed values of a CHOICE field (required for it, refused otherwise).
    pub choices: Option<Vec<String>>,
}

/// Input of `updateCustomField`: only the fields given change. The kind
/// cannot change.
#[derive(InputObject)]
pub struct UpdateCustomFieldInput {
    /// The field to change.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: Option<String>,
    /// New choices of a CHOICE field; customers' values that are no longer
    /// a choice are cleared.
    pub choices: Option<Vec<String>>,
}

/// Input of `deleteCustomField`.
#[derive(InputObject)]
pub struct DeleteCustomFieldInput {
    /// The field to delete.
    pub id: ID,
}

/// Result of `createCustomField` and `updateCustomField`.
#[derive(SimpleObject)]
pub struct CustomFieldPayload {
    /// The field as saved; null when `userErrors` is not empty.
    pub custom_field: Option<CustomField>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteCustomField`.
#[derive(SimpleObject)]
pub struct DeleteCustomFieldPayload {
    /// Id of the deleted field; customers' values for it are gone too.
    pub deleted_custom_field_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

/// Checks the choices of a field of `kind`; returns them as stored (JSON).
fn clean_choices(kind: Kind, choices: Option<Vec<String>>) -> Result<Option<String>, UserError> {
    match (kind, choices) {
        (Kind::Choice, None) => Err(UserError::new(
            "choices",
            UserErrorCode::Blank,
            "a CHOICE field needs choices",
        )),
        (Kind::Choice, Some(list)) => {
            let mut clean: Vec<String> = Vec::new();
            for (i, choice) in list.iter().enumerate() {
                let choice = validation::required_text(&format!("choices.{i}"), choice, TEXT_MAX)?;
                if !clean.iter().any(|c| c.eq_ignore_ascii_case(&choice)) {
                    clean.push(choice);
                }
            }
            if clean.is_empty() {
                return Err(UserError::new(
                    "choices",
                    UserErrorCode::Blank,
                    "a CHOICE field needs choices",
                ));
            }
            Ok(Some(serde_json::to_string(&clean).unwrap_or_default()))
        }
        (_, Some(_)) => Err(UserError::new(
            "choices",
            UserErrorCode::Invalid,
            "only CHOICE fields have choices",
        )),
        (_, None) => Ok(None),
    }
}

fn taken() -> UserError {
    UserError::new(
        "name",
        UserErrorCode::Taken,
        "a custom field with this name already exists",
    )
}

#[derive(Default)]
pub struct CustomFieldMutation;

#[Object]
impl CustomFieldMutation {
    /// Defines a custom customer field.
    #[graphql(guard = "Requires(Permission::ManageCustomFields)")]
    async fn create_custom_field(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The custom field to define.")] input: CreateCustomFieldInput,
    ) -> ApiResult<CustomFieldPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let fail = |e| {
            Ok(CustomFieldPayload {
                custom_field: None,
                user_errors: vec![e],
            })
        };
        let name = match validation::required_text("name", &input.name, TEXT_MAX) {
            Ok(n) => n,
            Err(e) => return fail(e),
        };
        let kind = Kind::from(input.kind);
        let choices = match clean_choices(kind, input.choices) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        let key = name.to_lowercase();
        if name_taken::<custom_field::Entity>(db, viewer.account_id, &key, None).await? {
            return fail(taken());
        }
        let count = Tenant(viewer.account_id)
            .find::<custom_field::Entity>()
            .count(db)
            .await?;
        if count >= MAX_FIELDS {
            return fail(UserError::new(
                "name",
                UserErrorCode::LimitExceeded,
                format!("an account has at most {MAX_FIELDS} custom fields"),
            ));
        }
        let now = Utc::now();
        let row = custom_field::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: NotSet,
            name: Set(name),
            name_key: Set(key),
            kind: Set(kind),
            choices: Set(choices),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match Tenant(viewer.account_id)
            .insert(row)
            .exec_with_returning(db)
            .await
        {
            Ok(field) => {
                crate::kernel::history::note(
                    ctx,
                    "custom_field.create",
                    "CustomField",
                    Some(field.id),
                    field.name.clone(),
                )
                .await;
                Ok(CustomFieldPayload {
                    custom_field: Some(CustomField(field)),
                    user_errors: vec![],
                })
            }
            Err(err) if is_unique_violation(&err) => fail(taken()),
            Err(err) => Err(ApiError::from(err).into()),
        }
    }

    /// Renames a custom field or changes its choices.
    #[graphql(guard = "Requires(Permission::ManageCustomFields)")]
    async fn update_custom_field(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The custom field and what to change.")] input: UpdateCustomFieldInput,
    ) -> ApiResult<CustomFieldPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::CustomField)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        let fail = |e| {
            Ok(CustomFieldPayload {
                custom_field: None,
                user_errors: vec![e],
            })
        };
        let kind = existing.kind;
        let mut row = existing.into_active_model();
        if let Some(name) = input.name {
            let name = match validation::required_text("name", &name, TEXT_MAX) {
                Ok(n) => n,
                Err(e) => return fail(e),
            };
            let key = name.to_lowercase();
            if name_taken::<custom_field::Entity>(db, viewer.account_id, &key, Some(id)).await? {
                return fail(taken());
            }
            row.name = Set(name);
            row.name_key = Set(key);
        }
        let new_choices = match input.choices {
            Some(list) => match clean_choices(kind, Some(list)) {
                Ok(c) => Some(c),
                Err(e) => return fail(e),
            },
            None => None,
        };
        if let Some(choices) = &new_choices {
            row.choices = Set(choices.clone());
        }
        row.updated_at = Set(Utc::now());
        let txn = db.begin().await?;
        let field = match row.update(&txn).await {
            Ok(f) => f,
            Err(err) if is_unique_violation(&err) => return fail(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        if new_choices.is_some() {
            let allowed = super::choices(&field);
            Tenant(viewer.account_id)
                .delete_many::<customer_field_value::Entity>()
                .filter(customer_field_value::Column::FieldId.eq(id))
                .filter(customer_field_value::Column::Value.is_not_in(allowed))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "custom_field.update",
            "CustomField",
            Some(field.id),
            field.name.clone(),
        )
        .await;
        Ok(CustomFieldPayload {
            custom_field: Some(CustomField(field)),
            user_errors: vec![],
        })
    }

    /// Deletes a custom field and every customer's value for it.
    #[graphql(guard = "Requires(Permission::ManageCustomFields)")]
    async fn delete_custom_field(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The custom field to delete.")] input: DeleteCustomFieldInput,
    ) -> ApiResult<DeleteCustomFieldPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::CustomField)?;
        super::find(ctx.db(), viewer.account_id, id).await?;
        Tenant(viewer.account_id)
            .delete_many::<custom_field::Entity>()
            .filter(custom_field::Column::Id.eq(id))
            .exec(ctx.db())
            .await?;
        crate::kernel::history::note(
            ctx,
            "custom_field.delete",
            "CustomField",
            None,
            input.id.to_string(),
        )
        .await;
        Ok(DeleteCustomFieldPayload {
            deleted_custom_field_id: Some(input.id),
            user_errors: vec![],
        })
    }
}
