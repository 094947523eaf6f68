//! What a customer may reach: services (grant / revoke) and the portal
//! access level, for one customer or in bulk ("mass assign", seed 000).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{company_service, customer, customer_service};
use sea_orm::{
    sea_query::{Expr, OnConflict, Query},
    ColumnTrait, ConnectionTrait, NotSet, QueryFilter, QuerySelect, QueryTrait, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::{mutation::ServiceAccessInput, rules, Customer, CustomerFilter, PortalAccessLevel};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    directory::services,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
};

/// Most customer ids one `setPortalAccess` call may list (use `filter` for more).
pub const MAX_IDS: usize = 10_000;

/// Removes the customer's access to services their company (or lack of
/// one) no longer offers. Without a company, a customer keeps what they have.
pub async fn keep_company_services(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    customer_id: Uuid,
    company_id: Option<Uuid>,
) -> Result<(), sea_orm::DbErr> {
    let Some(company_id) = company_id else {
        return Ok(());
    };
    let offered = Query::select()
        .column(company_service::Column::ServiceId)
        .from(company_service::Entity)
        .and_where(company_service::Column::CompanyId.eq(company_id))
        .to_owned();
    Tenant(account_id)
        .delete_many::<customer_service::Entity>()
        .filter(customer_service::Column::CustomerId.eq(customer_id))
        .filter(customer_service::Column::ServiceId.not_in_subquery(offered))
        .exec(db)
        .await?;
    Ok(())
}

/// Input of `grantServiceAccess`.
#[derive(InputObject)]
pub struct GrantServiceAccessInput {
    /// The customer to give the services to.
    pub customer_id: ID,
    /// Services to give (or whose access level to change).
    pub services: Vec<ServiceAccessInput>,
}

/// Input of `revokeServiceAccess`.
#[derive(InputObject)]
pub struct RevokeServiceAccessInput {
    /// The customer to take the services from.
    pub customer_id: ID,
    /// Services to take away; ones the customer does not have are ignored.
    pub service_ids: Vec<ID>,
}

/// Result of `grantServiceAccess` and `revokeServiceAccess`.
#[derive(SimpleObject)]
pub struct ServiceAccessPayload {
    /// The customer, with their services as changed; null when `userErrors`
    /// is not empty.
    pub customer: Option<Customer>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Input of `setPortalAccess`: give either `customerIds` or `filter`.
#[derive(InputObject)]
pub struct SetPortalAccessInput {
    /// The level to assign.
    pub level: PortalAccessLevel,
    /// These customers (at most 10,000).
    pub customer_ids: Option<Vec<ID>>,
    /// Every customer matching this filter (`{}` for all customers).
    pub filter: Option<CustomerFilter>,
    /// Send a portal activation email to each customer who now has access
    /// but no portal password yet.
    #[graphql(default)]
    pub send_activation_emails: bool,
}

/// Result of `setPortalAccess`.
#[derive(SimpleObject)]
pub struct SetPortalAccessPayload {
    /// How many customers had another level and now have the new one.
    pub changed_count: u64,
    /// How many customers the ids or filter selected.
    pub matched_count: u64,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CustomerAccessMutation;

#[Object]
impl CustomerAccessMutation {
    /// Gives a customer access to services. With a company, only services
    /// the company has can be given.
    #[graphql(guard = "Requires(Permission::EditCustomers)")]
    async fn grant_service_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer and the services to give.")] input: GrantServiceAccessInput,
    ) -> ApiResult<ServiceAccessPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.customer_id, NodeKind::Customer)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        let fail = |e| {
            Ok(ServiceAccessPayload {
                customer: None,
                user_errors: vec![e],
            })
        };
        let ids: Vec<ID> = input
            .services
            .iter()
            .map(|s| s.service_id.clone())
            .collect();
        let service_ids =
            match services::resolve_ids(db, viewer.account_id, "services", &ids).await? {
                Ok(ids) => ids,
                Err(e) => return fail(e),
            };
        if let Some(e) = rules::services_allowed(
            db,
            viewer.account_id,
            existing.company_id,
            "services",
            &service_ids,
        )
        .await?
        {
            return fail(e);
        }
        let rows: Vec<_> = super::mutation::with_levels(&input.services, &service_ids)
            .into_iter()
            .map(|(service_id, level)| customer_service::ActiveModel {
                account_id: NotSet,
                customer_id: Set(id),
                service_id: Set(service_id),
                access: Set(level.into()),
            })
            .collect();
        if !rows.is_empty() {
            Tenant(viewer.account_id)
                .insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        customer_service::Column::CustomerId,
                        customer_service::Column::ServiceId,
                    ])
                    .update_column(customer_service::Column::Access)
                    .to_owned(),
                )
                .exec(db)
                .await?;
        }
        crate::kernel::history::note(
            ctx,
            "customer.grant_services",
            "Customer",
            Some(existing.id),
            existing.email.clone(),
        )
        .await;
        Ok(ServiceAccessPayload {
            customer: Some(Customer(existing)),
            user_errors: vec![],
        })
    }

    /// Takes services away from a customer.
    #[graphql(guard = "Requires(Permission::EditCustomers)")]
    async fn revoke_service_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer and the services to take away.")]
        input: RevokeServiceAccessInput,
    ) -> ApiResult<ServiceAccessPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.customer_id, NodeKind::Customer)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        let service_ids =
            match services::resolve_ids(db, viewer.account_id, "serviceIds", &input.service_ids)
                .await?
            {
                Ok(ids) => ids,
                Err(e) => {
                    return Ok(ServiceAccessPayload {
                        customer: None,
                        user_errors: vec![e],
                    })
                }
            };
        Tenant(viewer.account_id)
            .delete_many::<customer_service::Entity>()
            .filter(customer_service::Column::CustomerId.eq(id))
            .filter(customer_service::Column::ServiceId.is_in(service_ids))
            .exec(db)
            .await?;
        crate::kernel::history::note(
            ctx,
            "customer.revoke_services",
            "Customer",
            Some(existing.id),
            existing.email.clone(),
        )
        .await;
        Ok(ServiceAccessPayload {
            customer: Some(Customer(existing)),
            user_errors: vec![],
        })
    }

    /// Assigns a portal access level to the listed customers, or to every
    /// customer matching a filter, in one statement ("mass assign").
    #[graphql(guard = "Requires(Permission::AssignPortalAccess)")]
    async fn set_portal_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The level and the customers to assign it to.")]
        input: SetPortalAccessInput,
    ) -> ApiResult<SetPortalAccessPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let fail = |e| {
            Ok(SetPortalAccessPayload {
                changed_count: 0,
                matched_count: 0,
                user_errors: vec![e],
            })
        };
        let selection = match (input.customer_ids, input.filter) {
            (Some(_), Some(_)) | (None, None) => {
                return fail(UserError::new(
                    "customerIds",
                    UserErrorCode::Invalid,
                    "give either customerIds or filter",
                ))
            }
            (Some(ids), None) => {
                if ids.len() > MAX_IDS {
                    return fail(UserError::new(
                        "customerIds",
                        UserErrorCode::LimitExceeded,
                        format!("at most {MAX_IDS} ids; use a filter for more"),
                    ));
                }
                let mut uuids = Vec::with_capacity(ids.len());
                let mut unknown = Vec::new();
                for id in &ids {
                    match GlobalId::expect(id, NodeKind::Customer) {
                        Ok(u) => uuids.push(u),
                        Err(_) => unknown.push(id.to_string()),
                    }
                }
                uuids.sort();
                uuids.dedup();
                let found: Vec<Uuid> = Tenant(viewer.account_id)
                    .find::<customer::Entity>()
                    .filter(customer::Column::Id.is_in(uuids.clone()))
                    .select_only()
                    .column(customer::Column::Id)
                    .into_tuple()
                    .all(db)
                    .await?;
                unknown.extend(
                    ids.iter()
                        .filter(|id| {
                            GlobalId::expect(id, NodeKind::Customer)
                                .is_ok_and(|u| !found.contains(&u))
                        })
                        .map(|id| id.to_string()),
                );
                if !unknown.is_empty() {
                    return fail(UserError::new(
                        "customerIds",
                        UserErrorCode::NotFound,
                        format!("no such customer: {}", unknown.join(", ")),
                    ));
                }
                Tenant(viewer.account_id)
                    .find::<customer::Entity>()
                    .filter(customer::Column::Id.is_in(uuids))
            }
            (None, Some(filter)) => filter.select(db.get_database_backend(), viewer.account_id),
        };
        let level = customer::PortalAccess::from(input.level);
        let matched = sea_orm::PaginatorTrait::count(selection.clone(), db).await?;
        let ids = selection
            .select_only()
            .column(customer::Column::Id)
            .into_query();
        let txn = db.begin().await?;
        let result = Tenant(viewer.account_id)
            .update_many::<customer::Entity>()
            .col_expr(customer::Column::PortalAccess, Expr::value(level))
            .col_expr(customer::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(customer::Column::PortalAccess.ne(level))
            .filter(customer::Column::Id.in_subquery(ids.clone()))
            .exec(&txn)
            .await
            .map_err(ApiError::from)?;
        let invitations = if input.send_activation_emails {
            crate::mail::activate_customers(&txn, ctx.state(), viewer.account_id, ids).await?
        } else {
            Vec::new()
        };
        txn.commit().await?;
        crate::mail::announce(ctx.state(), invitations);
        crate::kernel::history::note(
            ctx,
            "customers.set_portal_access",
            "Customer",
            None,
            format!("{} customers", result.rows_affected),
        )
        .await;
        Ok(SetPortalAccessPayload {
            changed_count: result.rows_affected,
            matched_count: matched,
            user_errors: vec![],
        })
    }
}
