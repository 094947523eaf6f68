use async_graphql::{Context, InputObject, Object, SimpleObject, Subscription, ID};
use chrono::Utc;
use futures_util::Stream;
use roster_entities::{
    email_template,
    invitation::{self, Status},
    outbox_message,
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::{Invitation, InvitationKind, InvitationStatus};
use crate::{
    activity,
    auth::{token, Viewer},
    context::ContextExt,
    error::{ApiError, ApiResult, UserError, UserErrorCode},
    events::Event,
    managers::{self, ManagerPermission},
    node::{GlobalId, NodeKind},
    pagination::{self, Page, PageArgs, Sort, SortValue},
    permissions::{self, Permission},
    scope::Scoped,
};

/// Staff who add users or give portal access see and manage invitations.
async fn require<'a>(ctx: &'a Context<'a>) -> Result<&'a Viewer, ApiError> {
    let viewer = crate::auth::viewer(ctx)?;
    if permissions::authorize(viewer, Permission::AssignPortalAccess).is_ok() {
        return Ok(viewer);
    }
    managers::scope(ctx.db(), viewer, ManagerPermission::AddDeleteUsers).await?;
    Ok(viewer)
}

/// Filters of the `invitations` connection.
#[derive(InputObject, Default)]
pub struct InvitationFilter {
    pub statuses: Option<Vec<InvitationStatus>>,
    pub kinds: Option<Vec<InvitationKind>>,
    /// Part of the recipient's email.
    pub keyword: Option<String>,
}

#[derive(Default)]
pub struct InvitationQuery;

#[Object]
impl InvitationQuery {
    /// The account's invitations, newest first.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<InvitationFilter>,
    ) -> ApiResult<Page<Invitation>> {
        let viewer = require(ctx).await?;
        let filter = filter.unwrap_or_default();
        let mut select = invitation::Entity::find().in_account(viewer.account_id);
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
    async fn invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Invitation> {
        let viewer = require(ctx).await?;
        Ok(Invitation(find(ctx, viewer.account_id, &id).await?))
    }
}

async fn find(ctx: &Context<'_>, account_id: Uuid, id: &ID) -> Result<invitation::Model, ApiError> {
    let id = GlobalId::expect(id, NodeKind::Invitation)?;
    invitation::Entity::find_by_id(id)
        .in_account(account_id)
        .one(ctx.db())
        .await?
        .ok_or_else(|| ApiError::not_found("Invitation"))
}

#[derive(SimpleObject)]
pub struct InvitationPayload {
    pub invitation: Option<Invitation>,
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
    async fn resend_invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<InvitationPayload> {
        let viewer = require(ctx).await?;
        let existing = find(ctx, viewer.account_id, &id).await?;
        let current = super::current_status(&existing);
        if !matches!(current, Status::Pending | Status::Sent | Status::Expired) {
            return refused(format!(
                "this invitation is {}; it cannot be sent again",
                status_name(current)
            ));
        }
        let state = ctx.state();
        let account = crate::loaders::of(ctx)
            .accounts
            .load_one(viewer.account_id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("Account"))?;
        let template = match existing.template_id {
            Some(t) => email_template::Entity::find_by_id(t).one(ctx.db()).await?,
            None => None,
        };
        let token = token::generate();
        let ttl =
            chrono::Duration::from_std(state.mail.invitation_ttl).map_err(ApiError::internal)?;
        let expires_at = Utc::now() + ttl;
        let message = super::compose(
            state,
            viewer.account_id,
            &account.name,
            template.as_ref(),
            super::Recipient {
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
        let changed = invitation::Entity::update_many()
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
        outbox_message::Entity::insert(message)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        let updated = invitation::Entity::find_by_id(existing.id)
            .one(ctx.db())
            .await?
            .ok_or_else(|| ApiError::not_found("Invitation"))?;
        super::announce(state, vec![updated.clone()]);
        activity::note(
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
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<InvitationPayload> {
        let viewer = require(ctx).await?;
        let existing = find(ctx, viewer.account_id, &id).await?;
        let revoked = super::transition(
            ctx.db(),
            existing.id,
            &[Status::Pending, Status::Sent, Status::Expired],
            Status::Revoked,
        )
        .await?;
        let Some(revoked) = revoked else {
            return refused(format!(
                "this invitation is {}; it cannot be revoked",
                status_name(super::current_status(&existing))
            ));
        };
        ctx.state()
            .events
            .publish(Event::Invitation(revoked.clone()));
        activity::note(
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
        let viewer = require(ctx).await?;
        let account_id = viewer.account_id;
        let events = ctx.state().events.subscribe();
        Ok(futures_util::stream::unfold(
            events,
            move |mut events| async move {
                loop {
                    match events.recv().await {
                        Ok(Event::Invitation(i)) if i.account_id == account_id => {
                            return Some((Invitation(i), events))
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            continue
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
