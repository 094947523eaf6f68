use async_graphql::{Context, Enum, InputObject, Object, ID};
use roster_entities::incident;
use sea_orm::{ColumnTrait, QueryFilter, Select};
use uuid::Uuid;

use super::{Incident, IncidentStatus};
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

/// Orders of incident connections.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IncidentSortKey {
    /// Oldest first (`reverse: true` for newest first).
    #[default]
    CreatedAt,
    /// Least recently changed first.
    UpdatedAt,
}

impl IncidentSortKey {
    pub fn sort(self, reverse: bool) -> Sort<incident::Entity> {
        match self {
            IncidentSortKey::CreatedAt => Sort {
                column: incident::Column::CreatedAt,
                id: incident::Column::Id,
                reverse,
                unique: false,
                key: |i| (SortValue::Time(i.created_at), i.id),
            },
            IncidentSortKey::UpdatedAt => Sort {
                column: incident::Column::UpdatedAt,
                id: incident::Column::Id,
                reverse,
                unique: false,
                key: |i| (SortValue::Time(i.updated_at), i.id),
            },
        }
    }
}

/// Filters of incident connections; all given filters must match.
#[derive(InputObject, Default)]
pub struct IncidentFilter {
    /// Every word must appear in the title or the description.
    pub keyword: Option<String>,
    /// Only incidents in one of these statuses.
    pub status: Option<Vec<IncidentStatus>>,
    /// Only incidents raised on this service.
    pub service_id: Option<ID>,
    /// The customer who raised them.
    pub customer_id: Option<ID>,
}

impl IncidentFilter {
    /// Applies the filter. An id of another kind or account matches nothing.
    pub fn apply(&self, mut select: Select<incident::Entity>) -> Select<incident::Entity> {
        if let Some(keyword) = &self.keyword {
            for word in keyword.split_whitespace() {
                select = select.filter(
                    sea_orm::Condition::any()
                        .add(pagination::contains(incident::Column::Title, word))
                        .add(pagination::contains(incident::Column::Description, word)),
                );
            }
        }
        if let Some(statuses) = &self.status {
            let statuses: Vec<incident::Status> = statuses.iter().map(|s| (*s).into()).collect();
            select = select.filter(incident::Column::Status.is_in(statuses));
        }
        let id_of = |id: &ID, kind| GlobalId::expect(id, kind).unwrap_or(Uuid::nil());
        if let Some(id) = &self.service_id {
            select = select.filter(incident::Column::ServiceId.eq(id_of(id, NodeKind::Service)));
        }
        if let Some(id) = &self.customer_id {
            select = select.filter(incident::Column::CustomerId.eq(id_of(id, NodeKind::Customer)));
        }
        select
    }
}

#[derive(Default)]
pub struct IncidentQuery;

#[Object]
impl IncidentQuery {
    /// The account's incidents (staff).
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ManageIncidents)"
    )]
    async fn incidents(
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
    ) -> ApiResult<Page<Incident>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let select = filter
            .unwrap_or_default()
            .apply(Tenant(viewer.account_id).find::<incident::Entity>());
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page =
            pagination::paginate(ctx.db(), select, sort_key.sort(reverse), args, Incident).await?;
        super::prime(ctx, &page, |i| &i.0, "customer").await?;
        Ok(page)
    }

    /// One incident by id (staff); NOT_FOUND when it is not in the account.
    #[graphql(guard = "Requires(Permission::ManageIncidents)")]
    async fn incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident's global id.")] id: ID,
    ) -> ApiResult<Incident> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Incident)?;
        Ok(Incident(
            super::find(ctx.db(), viewer.account_id, id).await?,
        ))
    }
}
