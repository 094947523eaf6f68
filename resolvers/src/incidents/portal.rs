//! What portal customers do with incidents, within their access level
//! (`access.rs`). An incident outside what the level shows is NOT_FOUND,
//! exactly like another account's.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::incident;
use sea_orm::{ActiveModelTrait, IntoActiveModel, NotSet, QueryFilter, Set};
use uuid::Uuid;

use super::{
    access,
    query::{IncidentFilter, IncidentSortKey},
    IncidentStatus, PortalIncident,
};
use crate::{
    kernel::auth::PortalViewer,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs},
    kernel::scope::Tenant,
};

/// Input of `submitIncident`.
#[derive(InputObject)]
pub struct SubmitIncidentInput {
    /// One of `portalViewer.services`.
    pub service_id: ID,
    /// Short summary (at most 255 characters).
    pub title: String,
    /// What happened (at most 10,000 characters).
    #[graphql(default)]
    pub description: String,
}

/// Input of `updatePortalIncident`: only the fields given change.
#[derive(InputObject)]
pub struct UpdatePortalIncidentInput {
    /// The incident to change.
    pub id: ID,
    /// New short summary (at most 255 characters).
    pub title: Option<String>,
    /// New description (at most 10,000 characters).
    pub description: Option<String>,
    /// New status.
    pub status: Option<IncidentStatus>,
}

/// Result of `submitIncident` and `updatePortalIncident`.
#[derive(SimpleObject)]
pub struct PortalIncidentPayload {
    /// The incident as saved; null when `userErrors` is not empty.
    pub incident: Option<PortalIncident>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn failed(user_errors: Vec<UserError>) -> ApiResult<PortalIncidentPayload> {
    Ok(PortalIncidentPayload {
        incident: None,
        user_errors,
    })
}

/// The incident `id` if `viewer` may see it, else NOT_FOUND.
pub async fn visible_incident(
    ctx: &Context<'_>,
    viewer: &PortalViewer,
    id: &ID,
) -> Result<incident::Model, ApiError> {
    let id = GlobalId::expect(id, NodeKind::Incident)?;
    Tenant(viewer.account_id)
        .find_by_id::<incident::Entity>(id)
        .filter(access::visible(viewer))
        .one(ctx.db())
        .await?
        .ok_or_else(|| ApiError::not_found("Incident"))
}

#[derive(Default)]
pub struct PortalIncidentQuery;

#[Object]
impl PortalIncidentQuery {
    /// The incidents the signed-in customer may see: their own, and with
    /// COMPANY_ADMIN access those of everyone in their company.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn portal_incidents(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first n items (at most 100; the first 20 when neither `first` nor `last` is given). Cannot be combined with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Returns the items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Returns the last n items (at most 100). Cannot be combined with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Returns the items before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."
        )]
        before: Option<String>,
        #[graphql(desc = "Only incidents matching all the given filters.")] filter: Option<
            IncidentFilter,
        >,
        #[graphql(default, desc = "The order of the items (default: CREATED_AT).")]
        sort_key: IncidentSortKey,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<PortalIncident>> {
        let viewer = crate::kernel::auth::portal_viewer(ctx)?;
        let visible = Tenant(viewer.account_id)
            .find::<incident::Entity>()
            .filter(access::visible(viewer));
        let select = filter.unwrap_or_default().apply(visible);
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page = pagination::paginate(
            ctx.db(),
            select,
            sort_key.sort(reverse),
            args,
            PortalIncident,
        )
        .await?;
        super::prime(ctx, &page, |i| &i.0, "requester").await?;
        Ok(page)
    }

    /// One incident the signed-in customer may see; NOT_FOUND otherwise.
    async fn portal_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident's global id.")] id: ID,
    ) -> ApiResult<PortalIncident> {
        let viewer = crate::kernel::auth::portal_viewer(ctx)?;
        Ok(PortalIncident(visible_incident(ctx, viewer, &id).await?))
    }
}

#[derive(Default)]
pub struct PortalIncidentMutation;

#[Object]
impl PortalIncidentMutation {
    /// Submits an incident on one of the services the customer's access
    /// level allows (`portalViewer.services`).
    async fn submit_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident to submit.")] input: SubmitIncidentInput,
    ) -> ApiResult<PortalIncidentPayload> {
        let viewer = crate::kernel::auth::portal_viewer(ctx)?;
        let db = ctx.db();
        let mut errors = Vec::new();
        let title = super::title(&input.title).map_err(|e| errors.push(e)).ok();
        let description = super::description(&input.description)
            .map_err(|e| errors.push(e))
            .ok();
        let allowed = access::submittable_services(db, viewer).await?;
        let service = GlobalId::expect(&input.service_id, NodeKind::Service).ok();
        let service_id = match service {
            Some(s) if allowed.iter().any(|a| a.id == s) => Some(s),
            Some(s)
                if crate::directory::services::find(db, viewer.account_id, s)
                    .await
                    .is_ok() =>
            {
                errors.push(UserError::new(
                    "serviceId",
                    UserErrorCode::NotAllowed,
                    "your portal access does not include this service",
                ));
                None
            }
            _ => {
                errors.push(UserError::new(
                    "serviceId",
                    UserErrorCode::NotFound,
                    format!("no such service: {}", input.service_id.as_str()),
                ));
                None
            }
        };
        let (Some(title), Some(description), Some(service_id)) = (title, description, service_id)
        else {
            return failed(errors);
        };
        if !errors.is_empty() {
            return failed(errors);
        }
        let now = Utc::now();
        let row = Tenant(viewer.account_id)
            .insert(incident::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                title: Set(title),
                description: Set(description),
                status: Set(incident::Status::Open),
                service_id: Set(Some(service_id)),
                customer_id: Set(Some(viewer.customer_id)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(db)
            .await?;
        Ok(PortalIncidentPayload {
            incident: Some(PortalIncident(row)),
            user_errors: Vec::new(),
        })
    }

    /// Changes an incident the customer may see (their own; with
    /// COMPANY_ADMIN access, their colleagues' too).
    async fn update_portal_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident and what to change.")] input: UpdatePortalIncidentInput,
    ) -> ApiResult<PortalIncidentPayload> {
        let viewer = crate::kernel::auth::portal_viewer(ctx)?;
        let existing = visible_incident(ctx, viewer, &input.id).await?;
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
        if !errors.is_empty() {
            return failed(errors);
        }
        row.updated_at = Set(Utc::now());
        let updated = row.update(ctx.db()).await?;
        Ok(PortalIncidentPayload {
            incident: Some(PortalIncident(updated)),
            user_errors: Vec::new(),
        })
    }
}
