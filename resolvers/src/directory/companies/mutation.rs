use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{company, company_service, customer, customer_service};
use sea_orm::{
    sea_query::Query, ActiveModelTrait, ColumnTrait, DatabaseTransaction, IntoActiveModel, NotSet,
    QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::Company;
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    directory::services,
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
    kernel::scope::name_taken,
    kernel::validation,
};

const NAME_MAX: usize = 255;

/// Input of `createCompany`.
#[derive(InputObject)]
pub struct CreateCompanyInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
    /// Services the company has access to.
    #[graphql(default)]
    pub service_ids: Vec<ID>,
}

/// Input of `updateCompany`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateCompanyInput {
    /// The company to change.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: Option<String>,
    /// The complete new set of services. Employees lose their access to
    /// services removed from the company.
    pub service_ids: Option<Vec<ID>>,
}

/// Input of `deleteCompany`.
#[derive(InputObject)]
pub struct DeleteCompanyInput {
    /// The company to delete.
    pub id: ID,
}

/// Result of `createCompany`.
#[derive(SimpleObject)]
pub struct CreateCompanyPayload {
    /// The new company; null when `userErrors` is not empty.
    pub company: Option<Company>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `updateCompany`.
#[derive(SimpleObject)]
pub struct UpdateCompanyPayload {
    /// The company as saved; null when `userErrors` is not empty.
    pub company: Option<Company>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteCompany`.
#[derive(SimpleObject)]
pub struct DeleteCompanyPayload {
    /// Id of the deleted company. Its customers stay, without a company.
    pub deleted_company_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

fn taken() -> UserError {
    UserError::new(
        "name",
        UserErrorCode::Taken,
        "a company with this name already exists",
    )
}

/// Makes `services` the company's exact set; employees keep access only to
/// services that remain.
async fn set_services(
    txn: &DatabaseTransaction,
    account_id: Uuid,
    company_id: Uuid,
    services: &[Uuid],
) -> Result<(), ApiError> {
    Tenant(account_id)
        .delete_many::<company_service::Entity>()
        .filter(company_service::Column::CompanyId.eq(company_id))
        .filter(company_service::Column::ServiceId.is_not_in(services.iter().copied()))
        .exec(txn)
        .await?;
    let existing: Vec<Uuid> = Tenant(account_id)
        .find::<company_service::Entity>()
        .filter(company_service::Column::CompanyId.eq(company_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.service_id)
        .collect();
    let new: Vec<_> = services
        .iter()
        .filter(|s| !existing.contains(s))
        .map(|s| company_service::ActiveModel {
            account_id: NotSet,
            company_id: Set(company_id),
            service_id: Set(*s),
        })
        .collect();
    if !new.is_empty() {
        Tenant(account_id).insert_many(new).exec(txn).await?;
    }
    let employees = Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::CompanyId.eq(company_id))
        .to_owned();
    Tenant(account_id)
        .delete_many::<customer_service::Entity>()
        .filter(customer_service::Column::CustomerId.in_subquery(employees))
        .filter(customer_service::Column::ServiceId.is_not_in(services.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}

#[derive(Default)]
pub struct CompanyMutation;

#[Object]
impl CompanyMutation {
    /// Creates a company, optionally with access to services.
    #[graphql(guard = "Requires(Permission::ManageCompanies)")]
    async fn create_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company to create.")] input: CreateCompanyInput,
    ) -> ApiResult<CreateCompanyPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let fail = |e| {
            Ok(CreateCompanyPayload {
                company: None,
                user_errors: vec![e],
            })
        };
        let name = match validation::required_text("name", &input.name, NAME_MAX) {
            Ok(n) => n,
            Err(e) => return fail(e),
        };
        let service_ids =
            match services::resolve_ids(db, viewer.account_id, "serviceIds", &input.service_ids)
                .await?
            {
                Ok(ids) => ids,
                Err(e) => return fail(e),
            };
        let key = name.to_lowercase();
        if name_taken::<company::Entity>(db, viewer.account_id, &key, None).await? {
            return fail(taken());
        }
        let now = Utc::now();
        let txn = db.begin().await?;
        let inserted = Tenant(viewer.account_id)
            .insert(super::new_row(name, key, now))
            .exec_with_returning(&txn)
            .await;
        let company = match inserted {
            Ok(c) => c,
            Err(err) if is_unique_violation(&err) => return fail(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        set_services(&txn, viewer.account_id, company.id, &service_ids).await?;
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "company.create",
            "Company",
            Some(company.id),
            company.name.clone(),
        )
        .await;
        Ok(CreateCompanyPayload {
            company: Some(Company(company)),
            user_errors: vec![],
        })
    }

    /// Renames a company or replaces its set of services.
    #[graphql(guard = "Requires(Permission::ManageCompanies)")]
    async fn update_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company and what to change.")] input: UpdateCompanyInput,
    ) -> ApiResult<UpdateCompanyPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::Company)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        let fail = |e| {
            Ok(UpdateCompanyPayload {
                company: None,
                user_errors: vec![e],
            })
        };
        let mut row = existing.into_active_model();
        if let Some(name) = input.name {
            let name = match validation::required_text("name", &name, NAME_MAX) {
                Ok(n) => n,
                Err(e) => return fail(e),
            };
            let key = name.to_lowercase();
            if name_taken::<company::Entity>(db, viewer.account_id, &key, Some(id)).await? {
                return fail(taken());
            }
            row.name = Set(name);
            row.name_key = Set(key);
        }
        let service_ids = match &input.service_ids {
            Some(ids) => {
                match services::resolve_ids(db, viewer.account_id, "serviceIds", ids).await? {
                    Ok(ids) => Some(ids),
                    Err(e) => return fail(e),
                }
            }
            None => None,
        };
        row.updated_at = Set(Utc::now());
        let txn = db.begin().await?;
        let company = match row.update(&txn).await {
            Ok(c) => c,
            Err(err) if is_unique_violation(&err) => return fail(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        if let Some(ids) = service_ids {
            set_services(&txn, viewer.account_id, id, &ids).await?;
        }
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "company.update",
            "Company",
            Some(company.id),
            company.name.clone(),
        )
        .await;
        Ok(UpdateCompanyPayload {
            company: Some(Company(company)),
            user_errors: vec![],
        })
    }

    /// Deletes a company. Its customers stay, without a company.
    #[graphql(guard = "Requires(Permission::ManageCompanies)")]
    async fn delete_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company to delete.")] input: DeleteCompanyInput,
    ) -> ApiResult<DeleteCompanyPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::Company)?;
        super::find(ctx.db(), viewer.account_id, id).await?;
        Tenant(viewer.account_id)
            .delete_many::<company::Entity>()
            .filter(company::Column::Id.eq(id))
            .exec(ctx.db())
            .await?;
        crate::kernel::history::note(
            ctx,
            "company.delete",
            "Company",
            Some(id),
            input.id.to_string(),
        )
        .await;
        Ok(DeleteCompanyPayload {
            deleted_company_id: Some(input.id),
            user_errors: vec![],
        })
    }
}
