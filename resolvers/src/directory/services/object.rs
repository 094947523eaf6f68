use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::service;

use crate::{
    directory::customers::{
        nested::{self, Parent},
        Customer,
    },
    kernel::error::ApiResult,
    kernel::ids::GlobalId,
    kernel::pagination::{Page, PageArgs},
};

/// A service customers may raise incidents on.
#[derive(Clone, Debug)]
pub struct Service(pub service::Model);

/// A service customers may raise incidents on.
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
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn customers(
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
        let parent = Parent::Service(self.0.id);
        Ok(nested::connection(ctx, self.0.account_id, parent, args).await?)
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
