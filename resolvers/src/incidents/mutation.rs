//! Staff operations on incidents: raise one for a customer, change, delete.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::incident;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, QueryFilter, Set};
use uuid::Uuid;

use super::{Incident, IncidentStatus};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
};

/// Input of `createIncident`.
#[derive(InputObject)]
pub struct CreateIncidentInput {
    /// Short summary (at most 255 characters).
    pub title: String,
    /// What happened (at most 10,000 characters).
    #[graphql(default)]
    pub description: String,
    /// The service it is raised on; with `customerId`, one the customer or
    /// their company was given.
    pub service_id: Option<ID>,
    /// The customer it is raised for.
    pub customer_id: Option<ID>,
    /// Where the incident stands (default: OPEN).
    #[graphql(default_with = "IncidentStatus::Open")]
    pub status: IncidentStatus,
}

/// Input of `updateIncident`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateIncidentInput {
    /// The incident to change.
    pub id: ID,
    /// New short summary (at most 255 characters).
    pub title: Option<String>,
    /// New description (at most 10,000 characters).
    pub description: Option<String>,
    /// New status.
    pub status: Option<IncidentStatus>,
    /// The service to move the incident to.
    pub service_id: Option<ID>,
}

/// Result of `createIncident` and `updateIncident`.
#[derive(SimpleObject)]
pub struct IncidentPayload {
    /// The incident as saved; null when `userErrors` is not empty.
    pub incident: Option<Incident>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteIncident`.
#[derive(SimpleObject)]
pub struct DeleteIncidentPayload {
    /// Id of the deleted incident.
    pub deleted_incident_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

/// The id an input field names, if it is a row of the account (`exists`).
pub(super) async fn reference<F, Fut>(
    field: &str,
    id: &ID,
    kind: NodeKind,
    exists: F,
) -> Result<Result<Uuid, UserError>, ApiError>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let not_found = || {
        UserError::new(
            field,
            UserErrorCode::NotFound,
            format!("no such {}: {}", kind.as_str().to_lowercase(), id.as_str()),
        )
    };
    let Ok(uuid) = GlobalId::expect(id, kind) else {
        return Ok(Err(not_found()));
    };
    match exists(uuid).await {
        Ok(()) => Ok(Ok(uuid)),
        Err(ApiError::NotFound(_)) => Ok(Err(not_found())),
        Err(err) => Err(err),
    }
}

async fn service_ref(
    ctx: &Context<'_>,
    account_id: Uuid,
    id: &ID,
) -> Result<Result<Uuid, UserError>, ApiError> {
    reference("serviceId", id, NodeKind::Service, |s| async move {
        crate::directory::services::find(ctx.db(), account_id, s)
            .await
            .map(drop)
    })
    .await
}

#[derive(Default)]
pub struct IncidentMutation;

#[Object]
impl IncidentMutation {
    /// Raises an incident (staff), optionally for a customer and a service.
    #[graphql(guard = "Requires(Permission::ManageIncidents)")]
    async fn create_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident to raise.")] input: CreateIncidentInput,
    ) -> ApiResult<IncidentPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let account_id = viewer.account_id;
        let mut errors = Vec::new();
        let title = super::title(&input.title).map_err(|e| errors.push(e)).ok();
        let description = super::description(&input.description)
            .map_err(|e| errors.push(e))
            .ok();
        let mut service_id = None;
        if let Some(id) = &input.service_id {
            match service_ref(ctx, account_id, id).await? {
                Ok(s) => service_id = Some(s),
                Err(e) => errors.push(e),
            }
        }
        let mut customer_id = None;
        if let Some(id) = &input.customer_id {
            let found = reference("customerId", id, NodeKind::Customer, |c| async move {
                crate::directory::customers::find(ctx.db(), account_id, c)
                    .await
                    .map(drop)
            })
            .await?;
            match found {
                Ok(c) => customer_id = Some(c),
                Err(e) => errors.push(e),
            }
        }
        if let (Some(customer), Some(service)) = (customer_id, service_id) {
            if !customer_has_service(ctx, account_id, customer, service).await? {
                errors.push(crate::UserError::new(
                    "serviceId",
                    crate::UserErrorCode::NotAllowed,
                    "the customer has no access to this service (neither given to them nor to their company)",
                ));
            }
        }
        let (Some(title), Some(description), true) = (title, description, errors.is_empty()) else {
            return Ok(IncidentPayload {
                incident: None,
                user_errors: errors,
            });
        };
        let now = Utc::now();
        let row = Tenant(account_id)
            .insert(incident::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                title: Set(title),
                description: Set(description),
                status: Set(input.status.into()),
                service_id: Set(service_id),
                customer_id: Set(customer_id),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(ctx.db())
            .await?;
        Ok(IncidentPayload {
            incident: Some(Incident(row)),
            user_errors: Vec::new(),
        })
    }

    /// Changes an incident (staff). A customer's incident moves only to a
    /// service the customer has (NOT_ALLOWED otherwise), as in
    /// `createIncident`.
    #[graphql(guard = "Requires(Permission::ManageIncidents)")]
    async fn update_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident and what to change.")] input: UpdateIncidentInput,
    ) -> ApiResult<IncidentPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::Incident)?;
        let existing = super::find(ctx.db(), viewer.account_id, id).await?;
        let customer = existing.customer_id;
        let mut errors = Vec::new();
        let mut row = existing.into_active_model();
        if let Some(t) = &input.title {
            match super::title(t) {
                Ok(t) => row.title = Set(t),
                Err(e) => errors.push(e),
            }
        }
        if let Some(d) = &input.description {
            match super::description(d) {
                Ok(d) => row.description = Set(d),
                Err(e) => errors.push(e),
            }
        }
        if let Some(s) = input.status {
            row.status = Set(s.into());
        }
        if let Some(sid) = &input.service_id {
            match service_ref(ctx, viewer.account_id, sid).await? {
                Ok(s) => {
                    // As `createIncident`: a customer's incident stays on
                    // the services the customer has.
                    let allowed = match customer {
                        Some(c) => customer_has_service(ctx, viewer.account_id, c, s).await?,
                        None => true,
                    };
                    if allowed {
                        row.service_id = Set(Some(s));
                    } else {
                        errors.push(crate::UserError::new(
                            "serviceId",
                            crate::UserErrorCode::NotAllowed,
                            "the customer has no access to this service (neither given to them nor to their company)",
                        ));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Ok(IncidentPayload {
                incident: None,
                user_errors: errors,
            });
        }
        row.updated_at = Set(Utc::now());
        let updated = row.update(ctx.db()).await?;
        Ok(IncidentPayload {
            incident: Some(Incident(updated)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes an incident (staff).
    #[graphql(guard = "Requires(Permission::ManageIncidents)")]
    async fn delete_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident to delete.")] id: ID,
    ) -> ApiResult<DeleteIncidentPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let uuid = GlobalId::expect(&id, NodeKind::Incident)?;
        super::find(ctx.db(), viewer.account_id, uuid).await?;
        Tenant(viewer.account_id)
            .delete_many::<incident::Entity>()
            .filter(incident::Column::Id.eq(uuid))
            .exec(ctx.db())
            .await?;
        Ok(DeleteIncidentPayload {
            deleted_incident_id: Some(id),
            user_errors: Vec::new(),
        })
    }
}

/// Whether `service` was given to `customer` or to their company.
async fn customer_has_service(
    ctx: &Context<'_>,
    account_id: Uuid,
    customer: Uuid,
    service: Uuid,
) -> Result<bool, crate::ApiError> {
    use roster_entities::{company_service, customer_service};
    let db = ctx.db();
    let granted = Tenant(account_id)
        .find::<customer_service::Entity>()
        .filter(customer_service::Column::CustomerId.eq(customer))
        .filter(customer_service::Column::ServiceId.eq(service))
        .one(db)
        .await?
        .is_some();
    if granted {
        return Ok(true);
    }
    let Some(company) = crate::directory::customers::find(db, account_id, customer)
        .await?
        .company_id
    else {
        return Ok(false);
    };
    Ok(Tenant(account_id)
        .find::<company_service::Entity>()
        .filter(company_service::Column::CompanyId.eq(company))
        .filter(company_service::Column::ServiceId.eq(service))
        .one(db)
        .await?
        .is_some())
}
