use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::{customer, customer_service, service};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, RelationTrait};

use crate::{
    context::ContextExt,
    customers::{Customer, CustomerSortKey},
    error::ApiResult,
    node::GlobalId,
    pagination::{self, Page, PageArgs},
    scope::Scoped,
};

/// A service customers may raise incidents on.
#[derive(Clone, Debug)]
pub struct Service(pub service::Model);

#[Object]
impl Service {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::service(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the service is about.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Customers who were given access to this service (with or without
    /// portal access), sorted by name.
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<Page<Customer>> {
        let select = customer::Entity::find()
            .in_account(self.0.account_id)
            .join(sea_orm::JoinType::InnerJoin, customer_service_relation())
            .filter(customer_service::Column::ServiceId.eq(self.0.id));
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page = pagination::paginate(
            ctx.db(),
            select,
            CustomerSortKey::Name.sort(false),
            args,
            Customer,
        )
        .await?;
        crate::customers::prime(ctx, &page).await?;
        Ok(page)
    }

    /// When the service was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the service was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

fn customer_service_relation() -> sea_orm::RelationDef {
    customer_service::Relation::Customer.def().rev()
}
