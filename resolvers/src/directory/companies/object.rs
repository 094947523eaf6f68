use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::company;

use crate::{
    directory::customers::{
        nested::{self, Parent},
        Customer,
    },
    directory::services::Service,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
    kernel::pagination::{Page, PageArgs},
};

/// A company customers work for. Its services are the ones its employees
/// may be given access to.
#[derive(Clone, Debug)]
pub struct Company(pub company::Model);

/// A company customers work for. Its services are the ones its employees
/// may be given access to.
#[Object]
impl Company {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::company(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Services the company has access to, by name.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Vec<Service>> {
        let services = crate::kernel::loaders::of(ctx)
            .get::<crate::directory::companies::CompanyServicesLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(services.into_iter().map(Service).collect())
    }

    /// The company's customers, by name.
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn employees(
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
    ) -> ApiResult<Page<Customer>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let parent = Parent::Company(self.0.id);
        Ok(nested::connection(ctx, self.0.account_id, parent, args).await?)
    }

    /// When the company was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the company was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
