use async_graphql::{Context, InputObject, Object, SimpleObject, Subscription, ID};
use chrono::Utc;
use futures_util::Stream;
use roster_entities::{
    email_template, group_member,
    invitation::{self, Status},
};
use sea_orm::{sea_query::Expr, ColumnTrait, Condition, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::{Invitation, InvitationKind, InvitationStatus};
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::{token, Viewer},
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::events::Event,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::{self, Permission},
    staff::managers::{self, ManagerPermission},
};

/// Which invitations a viewer sees and manages: portal activations with
/// the permission to give portal access; staff invitations (welcome,
/// transfer) with the manager permission to add users, limited to the
/// users of their groups when the permission is.
#[derive(Clone)]
struct Reach {
    portal: bool,
    staff: StaffReach,
}

#[derive(Clone)]
enum StaffReach {
    None,
    All,
    Groups(Vec<Uuid>),
}

impl Reach {
    fn condition(&self) -> Condition {
        let staff_kinds = [invitation::Kind::Welcome, invitation::Kind::Transfer];
        let mut any = Condition::any();
        if self.portal {
            any = any.add(invitation::Column::Kind.eq(invitation::Kind::PortalActivation));
        }
        match &self.staff {
            StaffReach::None => {}
            StaffReach::All => any = any.add(invitation::Column::Kind.is_in(staff_kinds)),
            StaffReach::Groups(groups) => {
                let members = sea_orm::sea_query::Query::select()
                    .column(group_member::Column::UserId)
                    .from(group_member::Entity)
                    .and_where(group_member::Column::GroupId.is_in(groups.iter().copied()))
                    .to_owned();
                any = any.add(
                    Condition::all()
                        .add(invitation::Column::Kind.is_in(staff_kinds))
                        .add(invitation::Column::UserId.in_subquery(members)),
                )
            }
        }
        any
    }
}

async fn require<'a>(ctx: &'a Context<'a>) -> Result<(&'a Viewer, Reach), ApiError> {
    let viewer = crate::kernel::auth::viewer(ctx)?;
    let portal = permissions::authorize(viewer, Permission::AssignPortalAccess).is_ok();
    let staff = match managers::scope(ctx.db(), viewer, ManagerPermission::AddDeleteUsers).await {
        Ok(scope) => match scope.groups {
            None => StaffReach::All,
            Some(groups) => StaffReach::Groups(groups),
        },
        Err(ApiError::Forbidden(_)) if portal => StaffReach::None,
        Err(err) => return Err(err),
    };
    Ok((viewer, Reach { portal, staff }))
}

/// Filters of the `invitations` connection.
#[derive(InputObject, Default)]
pub struct InvitationFilter {
    /// Only invitations in one of these statuses (as `status` reads now).
    pub statuses: Option<Vec<InvitationStatus>>,
    /// Only invitations of one of these kinds.
    pub kinds: Option<Vec<InvitationKind>>,
    /// Part of the recipient's email.
    pub keyword: Option<String>,
}

#[derive(Default)]
pub struct InvitationQuery;

#[Object]
impl InvitationQuery {
    /// The account's invitations, newest first.
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn invitations(
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
        #[graphql(desc = "Only invitations matching all the given filters.")] filter: Option<
            InvitationFilter,
        >,
    ) -> ApiResult<Page<Invitation>> {
        let (viewer, reach) = require(ctx).await?;
        let filter = filter.unwrap_or_default();
        let mut select = Tenant(viewer.account_id)
            .find::<invitation::Entity>()
            .filter(reach.condition());
        if let Some(statuses) = &filter.statuses {
            // Expiry is read live: a pending invitation past its time is EXPIRED.
            let now = Utc::now();
            let mut any = Condition::any();
            for s in statuses {
                let s: Status = (*s).into();
                any = any.add(match s {
                    Status::Pending | Status::Sent => Condition::all()
                        .add(invitation::Column::Status.eq(s))
                        .add(invitation::Column::ExpiresAt.gt(now)),
                    Status::Expired => Condition::any()
                        .add(invitation::Column::Status.eq(Status::Expired))
                        .add(
                            Condition::all()
                                .add(
                                    invitation::Column::Status
                                        .is_in([Status::Pending, Status::Sent]),
                                )
                                .add(invitation::Column::ExpiresAt.lte(now)),
                        ),
                    other => Condition::all().add(invitation::Column::Status.eq(other)),
                });
            }
            select = select.filter(any);
        }
        if let Some(kinds) = &filter.kinds {
            let kinds: Vec<invitation::Kind> = kinds.iter().map(|k| (*k).into()).collect();
            select = select.filter(invitation::Column::Kind.is_in(kinds));
        }
        if let Some(k) = filter.keyword.filter(|k| !k.trim().is_empty()) {
            select = select.filter(pagination::contains(invitation::Column::Email, &k));
        }
        let sort = Sort {
            column: invitation::Column::CreatedAt,
            id: invitation::Column::Id,
            reverse: true,
            unique: false,
            key: |i: &invitation::Model| (SortValue::Time(i.created_at), i.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, Invitation).await?)
    }

    /// One invitation.
    async fn invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's global id.")] id: ID,
    ) -> ApiResult<Invitation> {
        let (viewer, reach) = require(ctx).await?;
        Ok(Invitation(find(ctx, viewer.account_id, &reach, &id).await?))
    }
}

/// One invitation, if the caller may see it (for `node`).
pub async fn find_visible(ctx: &Context<'_>, id: &ID) -> Result<invitation::Model, ApiError> {
    let (viewer, reach) = require(ctx).await?;
    find(ctx, viewer.account_id, &reach, id).await
}

async fn find(
    ctx: &Context<'_>,
    account_id: Uuid,
    reach: &Reach,
    id: &ID,
) -> Result<invitation::Model, ApiError> {
    let id = GlobalId::expect(id, NodeKind::Invitation)?;
    Tenant(account_id)
        .find_by_id::<invitation::Entity>(id)
        .filter(reach.condition())
        .one(ctx.db())
        .await?
        .ok_or_else(|| ApiError::not_found("Invitation"))
}

/// Result of `resendInvitation` and `revokeInvitation`.
#[derive(SimpleObject)]
pub struct InvitationPayload {
    /// The invitation as it now stands; null when `userErrors` is not empty.
    pub invitation: Option<Invitation>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn refused(message: String) -> ApiResult<InvitationPayload> {
    Ok(InvitationPayload {
        invitation: None,
        user_errors: vec![UserError::new("id", UserErrorCode::NotAllowed, message)],
    })
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Pending => "pending",
        Status::Sent => "sent",
        Status::Accepted => "accepted",
        Status::Declined => "declined",
        Status::Expired => "expired",
        Status::Revoked => "revoked",
    }
}

#[derive(Default)]
pub struct InvitationMutation;

#[Object]
impl InvitationMutation {
    /// Sends an invitation again with a new link (the old one stops
    /// working) and a new expiry. Not for accepted, declined or revoked ones.
    async fn resend_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation to send again.")] id: ID,
    ) -> ApiResult<InvitationPayload> {
        let (viewer, reach) = require(ctx).await?;
        let existing = find(ctx, viewer.account_id, &reach, &id).await?;
        let current = crate::mail::current_status(&existing);
        if !matches!(current, Status::Pending | Status::Sent | Status::Expired) {
            return refused(format!(
                "this invitation is {}; it cannot be sent again",
                status_name(current)
            ));
        }
        let state = ctx.state();
        let account = crate::kernel::loaders::of(ctx)
            .get::<crate::accounts::AccountLoader>()
            .load_one(viewer.account_id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("Account"))?;
        let template = match existing.template_id {
            Some(t) => {
                Tenant(viewer.account_id)
                    .find_by_id::<email_template::Entity>(t)
                    .one(ctx.db())
                    .await?
            }
            None => None,
        };
        let token = token::generate();
        let ttl =
            chrono::Duration::from_std(state.mail.invitation_ttl).map_err(ApiError::internal)?;
        let expires_at = Utc::now() + ttl;
        let message = crate::mail::compose(
            state,
            viewer.account_id,
            &account.name,
            template.as_ref(),
            crate::mail::Recipient {
                invitation_id: existing.id,
                kind: existing.kind,
                language: &existing.language,
                name: &existing.recipient_name,
                email: &existing.email,
            },
            &token,
            expires_at,
        )?;
        let txn = ctx.db().begin().await?;
        let changed = Tenant(viewer.account_id)
            .update_many::<invitation::Entity>()
            .col_expr(
                invitation::Column::TokenHash,
                Expr::value(token::digest(&token)),
            )
            .col_expr(invitation::Column::ExpiresAt, Expr::value(expires_at))
            .col_expr(invitation::Column::Status, Expr::value(Status::Pending))
            .col_expr(invitation::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(invitation::Column::Id.eq(existing.id))
            .filter(invitation::Column::Status.is_in([
                Status::Pending,
                Status::Sent,
                Status::Expired,
            ]))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return refused("this invitation changed meanwhile; reload it".into());
        }
        Tenant(viewer.account_id)
            .insert(message)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        let updated = Tenant(viewer.account_id)
            .find_by_id::<invitation::Entity>(existing.id)
            .one(ctx.db())
            .await?
            .ok_or_else(|| ApiError::not_found("Invitation"))?;
        crate::mail::announce(state, vec![updated.clone()]);
        crate::kernel::history::note(
            ctx,
            "invitation.resend",
            "Invitation",
            Some(updated.id),
            updated.email.clone(),
        )
        .await;
        Ok(InvitationPayload {
            invitation: Some(Invitation(updated)),
            user_errors: Vec::new(),
        })
    }

    /// Withdraws an invitation: its link stops working.
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation to withdraw.")] id: ID,
    ) -> ApiResult<InvitationPayload> {
        let (viewer, reach) = require(ctx).await?;
        let existing = find(ctx, viewer.account_id, &reach, &id).await?;
        let revoked = crate::mail::transition(
            ctx.db(),
            viewer.account_id,
            existing.id,
            &[Status::Pending, Status::Sent, Status::Expired],
            Status::Revoked,
        )
        .await?;
        let Some(revoked) = revoked else {
            return refused(format!(
                "this invitation is {}; it cannot be revoked",
                status_name(crate::mail::current_status(&existing))
            ));
        };
        ctx.state()
            .events
            .publish(Event::Invitation(revoked.clone()));
        crate::kernel::history::note(
            ctx,
            "invitation.revoke",
            "Invitation",
            Some(revoked.id),
            revoked.email.clone(),
        )
        .await;
        Ok(InvitationPayload {
            invitation: Some(Invitation(revoked)),
            user_errors: Vec::new(),
        })
    }
}

#[derive(Default)]
pub struct InvitationSubscription;

#[Subscription]
impl InvitationSubscription {
    /// Every status change of the account's invitations, as it happens
    /// (PENDING → SENT → ACCEPTED, DECLINED, EXPIRED, REVOKED).
    async fn invitation_status(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Invitation>> {
        let (viewer, reach) = require(ctx).await?;
        let account_id = viewer.account_id;
        let events = ctx.state().events.subscribe();
        let db = ctx.db().clone();
        Ok(futures_util::stream::unfold(events, move |mut events| {
            let (reach, db) = (reach.clone(), db.clone());
            async move {
                loop {
                    match events.recv().await {
                        Ok(Event::Invitation(i)) if i.account_id == account_id => {
                            // Boxed: a waiting subscriber holds no room for the query.
                            if Box::pin(in_reach(&db, &reach, &i)).await {
                                return Some((Invitation(i), events));
                            }
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            continue
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}

/// Whether an announced invitation is one the subscriber may see.
async fn in_reach(db: &sea_orm::DatabaseConnection, reach: &Reach, i: &invitation::Model) -> bool {
    match (&reach.staff, i.kind) {
        (_, invitation::Kind::PortalActivation) => reach.portal,
        (StaffReach::All, _) => true,
        (StaffReach::None, _) => false,
        (StaffReach::Groups(_), _) => Tenant(i.account_id)
            .find_by_id::<invitation::Entity>(i.id)
            .filter(reach.condition())
            .one(db)
            .await
            .is_ok_and(|found| found.is_some()),
    }
}
