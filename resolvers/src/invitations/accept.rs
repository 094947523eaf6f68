//! Following an invitation link: `acceptInvitation(token, password)` sets
//! the password and activates the user or portal customer (a transfer also
//! moves the user, with their contact details, into the inviting account);
//! `declineInvitation(token)` says no (a declined user is SUSPENDED and
//! their seats freed). A token works once, and not after it expired or was
//! revoked.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::Utc;
use roster_entities::{
    account, contact, contact_method, customer, group_member,
    invitation::{self, Kind, Status},
    manager_grant, portal_login, session, user, user_feature, user_product,
};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, Set,
    TransactionTrait,
};

use super::InvitationKind;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::{password, token},
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::events::Event,
    staff::products::seats,
};

/// Input of `acceptInvitation`.
#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token from the invitation link.
    pub token: String,
    /// The password to sign in with from now on (at least 10 characters).
    pub password: String,
}

/// Input of `declineInvitation`.
#[derive(InputObject)]
pub struct DeclineInvitationInput {
    /// The token from the invitation link.
    pub token: String,
}

/// Result of `acceptInvitation` and `declineInvitation`.
#[derive(SimpleObject)]
pub struct InvitationResponsePayload {
    /// What the invitation was for; null when `userErrors` is not empty.
    pub kind: Option<InvitationKind>,
    /// Sign in with this email (staff: `login`; customers: `portalLogin`).
    pub email: Option<String>,
    /// Name of the inviting account; null when `userErrors` is not empty.
    pub account_name: Option<String>,
    /// Problems with the token or the password; when not empty, nothing was
    /// changed.
    pub user_errors: Vec<UserError>,
}

fn refused(code: UserErrorCode, message: &str) -> ApiResult<InvitationResponsePayload> {
    Ok(InvitationResponsePayload {
        kind: None,
        email: None,
        account_name: None,
        user_errors: vec![UserError::new("token", code, message)],
    })
}

/// The invitation of a token, or why it cannot be used.
async fn usable(
    db: &impl ConnectionTrait,
    token_text: &str,
) -> Result<Result<invitation::Model, (UserErrorCode, &'static str)>, ApiError> {
    let token_text = token_text.trim();
    if !token::looks_valid(token_text) {
        return Ok(Err((
            UserErrorCode::Invalid,
            "this invitation link is not valid",
        )));
    }
    // all accounts: an invitation is found by its token hash, which names its account.
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token::digest(token_text)))
        .one(db)
        .await?;
    let Some(found) = found else {
        return Ok(Err((
            UserErrorCode::Invalid,
            "this invitation link is not valid (a newer one may have been sent)",
        )));
    };
    Ok(match crate::mail::current_status(&found) {
        Status::Pending | Status::Sent => Ok(found),
        Status::Accepted => Err((
            UserErrorCode::NotAllowed,
            "this invitation was already used",
        )),
        Status::Declined => Err((UserErrorCode::NotAllowed, "this invitation was declined")),
        Status::Revoked => Err((UserErrorCode::NotAllowed, "this invitation was withdrawn")),
        Status::Expired => Err((
            UserErrorCode::NotAllowed,
            "this invitation has expired; ask for a new one",
        )),
    })
}

/// Marks it answered, once: a concurrent use of the same token finds it
/// answered already and changes nothing.
async fn answer(
    txn: &DatabaseTransaction,
    i: &invitation::Model,
    to: Status,
) -> Result<Option<invitation::Model>, ApiError> {
    crate::mail::transition(
        txn,
        i.account_id,
        i.id,
        &[Status::Pending, Status::Sent],
        to,
    )
    .await
}

/// Moves the user of a transfer into the inviting account, in place of the
/// placeholder created when they were invited.
async fn transfer(
    txn: &DatabaseTransaction,
    i: &invitation::Model,
    hash: String,
) -> Result<(), ApiError> {
    let (Some(placeholder_id), Some(user_id)) = (i.user_id, i.transfer_user_id) else {
        return Err(ApiError::internal("transfer without users"));
    };
    let placeholder = Tenant(i.account_id)
        .find_by_id::<user::Entity>(placeholder_id)
        .one(txn)
        .await?
        .ok_or_else(|| {
            ApiError::BadUserInput("the invitation's place in the account was removed".into())
        })?;
    // all accounts: the transferring user is still in their old account.
    let moving = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::BadUserInput("the invited user no longer exists".into()))?;
    crate::roles::rules::keep_a_super_admin(txn, &moving).await.map_err(|_| {
        ApiError::BadUserInput("you are the last super admin of your current account; make someone else super admin there first".into())
    })?;
    // Leave the old account: seats, groups, features, grants, sessions.
    seats::free(txn, moving.account_id, &[moving.id], None).await?;
    Tenant(moving.account_id)
        .delete_many::<group_member::Entity>()
        .filter(group_member::Column::UserId.eq(moving.id))
        .exec(txn)
        .await?;
    Tenant(moving.account_id)
        .delete_many::<user_feature::Entity>()
        .filter(user_feature::Column::UserId.eq(moving.id))
        .exec(txn)
        .await?;
    Tenant(moving.account_id)
        .delete_many::<manager_grant::Entity>()
        .filter(manager_grant::Column::UserId.eq(moving.id))
        .exec(txn)
        .await?;
    Tenant(moving.account_id)
        .delete_many::<session::Entity>()
        .filter(session::Column::UserId.eq(moving.id))
        .exec(txn)
        .await?;
    // Take over the placeholder's place in the new account.
    Tenant(placeholder.account_id)
        .update_many::<group_member::Entity>()
        .col_expr(group_member::Column::UserId, Expr::value(moving.id))
        .filter(group_member::Column::UserId.eq(placeholder.id))
        .exec(txn)
        .await?;
    Tenant(placeholder.account_id)
        .update_many::<user_product::Entity>()
        .col_expr(user_product::Column::UserId, Expr::value(moving.id))
        .filter(user_product::Column::UserId.eq(placeholder.id))
        .exec(txn)
        .await?;
    Tenant(placeholder.account_id)
        .delete_many::<user::Entity>()
        .filter(user::Column::Id.eq(placeholder.id))
        .exec(txn)
        .await?;
    Tenant(moving.account_id)
        .update_many::<user::Entity>()
        .col_expr(user::Column::AccountId, Expr::value(placeholder.account_id))
        .col_expr(user::Column::Role, Expr::value(placeholder.role))
        .col_expr(
            user::Column::CustomRoleId,
            Expr::value(placeholder.custom_role_id),
        )
        .col_expr(
            user::Column::SettingsTemplateId,
            Expr::value(placeholder.settings_template_id),
        )
        .col_expr(
            user::Column::Language,
            Expr::value(placeholder.language.clone()),
        )
        .col_expr(user::Column::Extension, Expr::value(placeholder.extension))
        .col_expr(user::Column::Status, Expr::value(user::Status::Active))
        .col_expr(user::Column::PasswordHash, Expr::value(Some(hash)))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(moving.id))
        .exec(txn)
        .await?;
    // Their contact details come along.
    Tenant(moving.account_id)
        .update_many::<contact::Entity>()
        .col_expr(
            contact::Column::AccountId,
            Expr::value(placeholder.account_id),
        )
        .filter(contact::Column::UserId.eq(moving.id))
        .exec(txn)
        .await?;
    Tenant(moving.account_id)
        .update_many::<contact_method::Entity>()
        .col_expr(
            contact_method::Column::AccountId,
            Expr::value(placeholder.account_id),
        )
        .filter(contact_method::Column::ContactId.eq(moving.id))
        .exec(txn)
        .await?;
    crate::staff::users::contact::sync(txn).await?;
    Ok(())
}

#[derive(Default)]
pub struct AcceptInvitationMutation;

#[Object]
impl AcceptInvitationMutation {
    /// Accepts an invitation with the token from its link and sets the
    /// password: the user (or portal customer) can sign in from now on.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the link and the new password.")]
        input: AcceptInvitationInput,
    ) -> ApiResult<InvitationResponsePayload> {
        let db = ctx.db();
        let found = match usable(db, &input.token).await? {
            Ok(i) => i,
            Err((code, why)) => return refused(code, why),
        };
        if let Err(e) = password::validate("password", &input.password) {
            return Ok(InvitationResponsePayload {
                kind: None,
                email: None,
                account_name: None,
                user_errors: vec![e],
            });
        }
        let hash = password::hash_blocking(input.password).await?;
        let txn = db.begin().await?;
        let Some(accepted) = answer(&txn, &found, Status::Accepted).await? else {
            return refused(
                UserErrorCode::NotAllowed,
                "this invitation was already used",
            );
        };
        match found.kind {
            Kind::Welcome => {
                let changed = Tenant(found.account_id)
                    .update_many::<user::Entity>()
                    .col_expr(user::Column::PasswordHash, Expr::value(Some(hash)))
                    .col_expr(user::Column::Status, Expr::value(user::Status::Active))
                    .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(user::Column::Id.eq(found.user_id))
                    .filter(user::Column::Status.eq(user::Status::Invited))
                    .exec(&txn)
                    .await?;
                if changed.rows_affected == 0 {
                    txn.rollback().await?;
                    return refused(
                        UserErrorCode::NotAllowed,
                        "this user was removed or suspended; ask an administrator",
                    );
                }
            }
            Kind::PortalActivation => {
                let customer = Tenant(found.account_id)
                    .find_by_id::<customer::Entity>(found.customer_id.unwrap_or_default())
                    .one(&txn)
                    .await?;
                let Some(customer) = customer else {
                    txn.rollback().await?;
                    return refused(UserErrorCode::NotAllowed, "this customer no longer exists");
                };
                let now = Utc::now();
                Tenant(customer.account_id)
                    .insert(portal_login::ActiveModel {
                        customer_id: Set(customer.id),
                        account_id: NotSet,
                        password_hash: Set(hash),
                        created_at: Set(now),
                        updated_at: Set(now),
                    })
                    .on_conflict(
                        OnConflict::column(portal_login::Column::CustomerId)
                            .update_columns([
                                portal_login::Column::PasswordHash,
                                portal_login::Column::UpdatedAt,
                            ])
                            .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
            }
            Kind::Transfer => transfer(&txn, &found, hash).await?,
            Kind::PasswordReset => {
                let changed = Tenant(found.account_id)
                    .update_many::<user::Entity>()
                    .col_expr(user::Column::PasswordHash, Expr::value(Some(hash)))
                    .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(user::Column::Id.eq(found.user_id))
                    .filter(user::Column::Status.eq(user::Status::Active))
                    .exec(&txn)
                    .await?;
                if changed.rows_affected == 0 {
                    txn.rollback().await?;
                    return refused(
                        UserErrorCode::NotAllowed,
                        "this user was removed or suspended; ask an administrator",
                    );
                }
                // Sessions opened with the old password end.
                Tenant(found.account_id)
                    .delete_many::<session::Entity>()
                    .filter(session::Column::UserId.eq(found.user_id))
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        if found.kind == Kind::PasswordReset {
            if let Some(user_id) = found.user_id {
                // Open sockets check their session again (it is gone).
                ctx.state()
                    .events
                    .publish(Event::SessionsChanged { user_id });
            }
        }
        let account = account::Entity::find_by_id(found.account_id)
            .one(db)
            .await?;
        ctx.state().events.publish(Event::Invitation(accepted));
        Ok(InvitationResponsePayload {
            kind: Some(found.kind.into()),
            email: Some(found.email),
            account_name: account.map(|a| a.name),
            user_errors: Vec::new(),
        })
    }

    /// Declines an invitation. A declined transfer leaves the user
    /// SUSPENDED in the inviting account, with their seats freed.
    async fn decline_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the link.")] input: DeclineInvitationInput,
    ) -> ApiResult<InvitationResponsePayload> {
        let db = ctx.db();
        let found = match usable(db, &input.token).await? {
            Ok(i) => i,
            Err((code, why)) => return refused(code, why),
        };
        let txn = db.begin().await?;
        let Some(declined) = answer(&txn, &found, Status::Declined).await? else {
            return refused(
                UserErrorCode::NotAllowed,
                "this invitation was already used",
            );
        };
        if let (Kind::Welcome | Kind::Transfer, Some(user_id)) = (found.kind, found.user_id) {
            seats::free(&txn, found.account_id, &[user_id], None).await?;
            Tenant(found.account_id)
                .update_many::<user::Entity>()
                .col_expr(user::Column::Status, Expr::value(user::Status::Suspended))
                .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(user::Column::Id.eq(user_id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        if found.kind == Kind::PasswordReset {
            if let Some(user_id) = found.user_id {
                // Open sockets check their session again (it is gone).
                ctx.state()
                    .events
                    .publish(Event::SessionsChanged { user_id });
            }
        }
        let account = account::Entity::find_by_id(found.account_id)
            .one(db)
            .await?;
        ctx.state().events.publish(Event::Invitation(declined));
        Ok(InvitationResponsePayload {
            kind: Some(found.kind.into()),
            email: Some(found.email),
            account_name: account.map(|a| a.name),
            user_errors: Vec::new(),
        })
    }
}
