use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::service;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, QueryFilter, Set};
use uuid::Uuid;

use super::Service;
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
    kernel::scope::name_taken,
    kernel::validation,
};

const NAME_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 10_000;

/// Input of `createService`.
#[derive(InputObject)]
pub struct CreateServiceInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
    /// What the service is about.
    pub description: Option<String>,
}

/// Input of `updateService`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateServiceInput {
    /// The service to change.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: Option<String>,
    /// `null` clears the description.
    pub description: MaybeUndefined<String>,
}

/// Input of `deleteService`.
#[derive(InputObject)]
pub struct DeleteServiceInput {
    /// The service to delete.
    pub id: ID,
}

/// Result of `createService`.
#[derive(SimpleObject)]
pub struct CreateServicePayload {
    /// The new service; null when `userErrors` is not empty.
    pub service: Option<Service>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `updateService`.
#[derive(SimpleObject)]
pub struct UpdateServicePayload {
    /// The service as saved; null when `userErrors` is not empty.
    pub service: Option<Service>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteService`.
#[derive(SimpleObject)]
pub struct DeleteServicePayload {
    /// Id of the deleted service.
    pub deleted_service_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ServiceMutation;

fn taken() -> UserError {
    UserError::new(
        "name",
        UserErrorCode::Taken,
        "a service with this name already exists",
    )
}

fn clean_description(value: Option<String>) -> Result<Option<String>, UserError> {
    let Some(text) = value.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    validation::max_len("description", &text, DESCRIPTION_MAX)?;
    Ok(Some(text))
}

#[Object]
impl ServiceMutation {
    /// Creates a service.
    #[graphql(guard = "Requires(Permission::ManageServices)")]
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service to create.")] input: CreateServiceInput,
    ) -> ApiResult<CreateServicePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let fail = |e| {
            Ok(CreateServicePayload {
                service: None,
                user_errors: vec![e],
            })
        };
        let name = match validation::required_text("name", &input.name, NAME_MAX) {
            Ok(name) => name,
            Err(e) => return fail(e),
        };
        let description = match clean_description(input.description) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        let key = name.to_lowercase();
        if name_taken::<service::Entity>(ctx.db(), viewer.account_id, &key, None).await? {
            return fail(taken());
        }
        let now = Utc::now();
        let row = service::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: NotSet,
            name: Set(name),
            name_key: Set(key),
            description: Set(description),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match Tenant(viewer.account_id)
            .insert(row)
            .exec_with_returning(ctx.db())
            .await
        {
            Ok(service) => {
                crate::kernel::history::note(
                    ctx,
                    "service.create",
                    "Service",
                    Some(service.id),
                    service.name.clone(),
                )
                .await;
                Ok(CreateServicePayload {
                    service: Some(Service(service)),
                    user_errors: vec![],
                })
            }
            Err(err) if is_unique_violation(&err) => fail(taken()),
            Err(err) => Err(crate::ApiError::from(err).into()),
        }
    }

    /// Renames a service or changes its description.
    #[graphql(guard = "Requires(Permission::ManageServices)")]
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service and what to change.")] input: UpdateServiceInput,
    ) -> ApiResult<UpdateServicePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::Service)?;
        let existing = super::find(ctx.db(), viewer.account_id, id).await?;
        let fail = |e| {
            Ok(UpdateServicePayload {
                service: None,
                user_errors: vec![e],
            })
        };
        let mut row = existing.into_active_model();
        if let Some(name) = input.name {
            let name = match validation::required_text("name", &name, NAME_MAX) {
                Ok(name) => name,
                Err(e) => return fail(e),
            };
            let key = name.to_lowercase();
            if name_taken::<service::Entity>(ctx.db(), viewer.account_id, &key, Some(id)).await? {
                return fail(taken());
            }
            row.name = Set(name);
            row.name_key = Set(key);
        }
        match input.description {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.description = Set(None),
            MaybeUndefined::Value(text) => match clean_description(Some(text)) {
                Ok(d) => row.description = Set(d),
                Err(e) => return fail(e),
            },
        }
        row.updated_at = Set(Utc::now());
        match row.update(ctx.db()).await {
            Ok(service) => {
                crate::kernel::history::note(
                    ctx,
                    "service.update",
                    "Service",
                    Some(service.id),
                    service.name.clone(),
                )
                .await;
                Ok(UpdateServicePayload {
                    service: Some(Service(service)),
                    user_errors: vec![],
                })
            }
            Err(err) if is_unique_violation(&err) => fail(taken()),
            Err(err) => Err(crate::ApiError::from(err).into()),
        }
    }

    /// Deletes a service; companies and customers lose access to it.
    #[graphql(guard = "Requires(Permission::ManageServices)")]
    async fn delete_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service to delete.")] input: DeleteServiceInput,
    ) -> ApiResult<DeleteServicePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::Service)?;
        super::find(ctx.db(), viewer.account_id, id).await?;
        Tenant(viewer.account_id)
            .delete_many::<service::Entity>()
            .filter(service::Column::Id.eq(id))
            .exec(ctx.db())
            .await?;
        crate::kernel::history::note(ctx, "service.delete", "Service", None, input.id.to_string())
            .await;
        Ok(DeleteServicePayload {
            deleted_service_id: Some(input.id),
            user_errors: vec![],
        })
    }
}
