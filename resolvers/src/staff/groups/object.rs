use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::group;

use crate::{
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
    kernel::pagination::{self, Page, PageArgs, SortValue},
    staff::users::User,
};

/// A group of staff users.
#[derive(Clone, Debug)]
pub struct Group(pub group::Model);

/// A group of staff users.
#[Object]
impl Group {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::group(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The group's users, by email.
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn users(
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
    ) -> ApiResult<Page<User>> {
        let members = crate::kernel::loaders::of(ctx)
            .get::<crate::staff::groups::GroupMembersLoader>()
            .load_one((self.0.account_id, self.0.id))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::slice(
            members,
            args,
            |u| (SortValue::Text(u.email_key.clone()), u.id),
            User,
        )?)
    }

    /// When the group was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the group was last renamed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
