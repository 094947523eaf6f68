use async_graphql::{Context, InputObject, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use roster_entities::{activity, group_member};
use sea_orm::{sea_query::Query, ColumnTrait, Condition, QueryFilter};
use uuid::Uuid;

use super::Activity;
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::events::Event,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::scope::Tenant,
    staff::managers::{self, ManagerPermission},
};

/// Filters of the activity history; all given filters must match.
#[derive(InputObject, Default, Clone)]
pub struct ActivityFilter {
    /// Entries of this user.
    pub actor_id: Option<ID>,
    /// Entries of these actions (`user.add`, `products.assign`, ...).
    pub actions: Option<Vec<String>>,
    /// Entries about this object.
    pub target_id: Option<ID>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub to: Option<DateTime<Utc>>,
}

impl ActivityFilter {
    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(id) = &self.actor_id {
            let id = GlobalId::expect(id, NodeKind::User).unwrap_or(Uuid::nil());
            c = c.add(activity::Column::ActorId.eq(id));
        }
        if let Some(actions) = &self.actions {
            c = c.add(activity::Column::Action.is_in(actions.clone()));
        }
        if let Some(id) = &self.target_id {
            let id = GlobalId::decode(id).map(|g| g.id).unwrap_or(Uuid::nil());
            c = c.add(activity::Column::TargetId.eq(id));
        }
        if let Some(from) = self.from {
            c = c.add(activity::Column::CreatedAt.gte(from));
        }
        if let Some(to) = self.to {
            c = c.add(activity::Column::CreatedAt.lt(to));
        }
        c
    }

    fn matches(&self, row: &activity::Model) -> bool {
        let id_is =
            |id: &ID, value: Option<Uuid>| GlobalId::decode(id).is_ok_and(|g| Some(g.id) == value);
        self.actor_id
            .as_ref()
            .is_none_or(|a| id_is(a, row.actor_id))
            && self
                .actions
                .as_ref()
                .is_none_or(|a| a.contains(&row.action))
            && self
                .target_id
                .as_ref()
                .is_none_or(|t| id_is(t, row.target_id))
            && self.from.is_none_or(|f| row.created_at >= f)
            && self.to.is_none_or(|t| row.created_at < t)
    }
}

/// A report limited to groups shows entries about users of those groups.
fn in_groups(groups: &[Uuid]) -> Condition {
    let members = Query::select()
        .column(group_member::Column::UserId)
        .from(group_member::Entity)
        .and_where(group_member::Column::GroupId.is_in(groups.iter().copied()))
        .to_owned();
    Condition::all()
        .add(activity::Column::TargetKind.eq("User"))
        .add(activity::Column::TargetId.in_subquery(members))
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// The account's activity history, newest first (`reverse: true` for
    /// oldest first). Needs the Create reports permission.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn activity(
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
        #[graphql(desc = "Only entries matching all the given filters.")] filter: Option<
            ActivityFilter,
        >,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<Activity>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let scope = managers::scope(ctx.db(), viewer, ManagerPermission::CreateReports).await?;
        let mut select = Tenant(viewer.account_id)
            .find::<activity::Entity>()
            .filter(filter.unwrap_or_default().condition());
        if let Some(groups) = &scope.groups {
            select = select.filter(in_groups(groups));
        }
        let sort = Sort {
            column: activity::Column::CreatedAt,
            id: activity::Column::Id,
            reverse: !reverse,
            unique: false,
            key: |a: &activity::Model| (SortValue::Time(a.created_at), a.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, Activity).await?)
    }
}

/// One entry of the history, if the `activity` connection would show it
/// to the caller (for `node`).
pub async fn find(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<activity::Model, crate::kernel::error::ApiError> {
    let viewer = crate::kernel::auth::viewer(ctx)?;
    let scope = managers::scope(ctx.db(), viewer, ManagerPermission::CreateReports).await?;
    let mut select = Tenant(viewer.account_id).find_by_id::<activity::Entity>(id);
    if let Some(groups) = &scope.groups {
        select = select.filter(in_groups(groups));
    }
    select
        .one(ctx.db())
        .await?
        .ok_or_else(|| crate::kernel::error::ApiError::not_found("Activity"))
}

#[derive(Default)]
pub struct ActivitySubscription;

#[Subscription]
impl ActivitySubscription {
    /// New entries of the account's activity history as they are recorded
    /// (a live activity feed). Needs the Create reports permission.
    async fn activity_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries matching all the given filters.")] filter: Option<
            ActivityFilter,
        >,
    ) -> async_graphql::Result<impl Stream<Item = Activity>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let state = ctx.state().clone();
        let scope = managers::scope(&state.db, viewer, ManagerPermission::CreateReports).await?;
        let account_id = viewer.account_id;
        let filter = filter.unwrap_or_default();
        let events = state.events.subscribe();
        // What each waiting subscriber keeps: a connection handle and one
        // shared copy of its scope and filter.
        let db = state.db.clone();
        let rules = std::sync::Arc::new((scope, filter));
        let stream = futures_util::stream::unfold(events, move |mut events| {
            let (db, rules) = (db.clone(), rules.clone());
            async move {
                let (scope, filter) = &*rules;
                loop {
                    let row = match events.recv().await {
                        Ok(Event::Activity(row)) if row.account_id == account_id => row,
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    };
                    if !filter.matches(&row) {
                        continue;
                    }
                    if let Some(groups) = &scope.groups {
                        let visible = match (row.target_kind.as_str(), row.target_id) {
                            // Boxed: every subscriber's waiting stream would
                            // otherwise hold room for the query's future.
                            ("User", Some(user)) => Box::pin(managers::users_in_groups(
                                &db,
                                row.account_id,
                                groups,
                                &[user],
                            ))
                            .await
                            .unwrap_or(false),
                            _ => false,
                        };
                        if !visible {
                            continue;
                        }
                    }
                    return Some((Activity(row), events));
                }
            }
        });
        Ok(stream)
    }
}
