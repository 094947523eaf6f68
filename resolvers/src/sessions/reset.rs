//! Password reset for staff users: `requestPasswordReset(email)` mails a
//! single-use link to an ACTIVE user (users a directory created have no
//! password until they use one), and `acceptInvitation` with its token
//! sets the new password. The answer is the same whether or not the email
//! belongs to anyone, and requests count against the sign-in limits, so
//! the mutation neither reveals users nor floods a mailbox.

use async_graphql::{Context, Object, SimpleObject};
use chrono::Utc;
use roster_entities::{
    account,
    invitation::{self, Kind, Status},
    user,
};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiResult, UserError},
    kernel::validation,
    mail::{self, NewInvitation},
};

/// Result of `requestPasswordReset`.
#[derive(SimpleObject)]
pub struct RequestPasswordResetPayload {
    /// Always true when `userErrors` is empty: if the address belongs to an
    /// active user, a link is on its way (the answer does not say whether
    /// it does).
    pub requested: bool,
    /// Problems with the input (a blank or malformed address).
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PasswordResetMutation;

#[Object]
impl PasswordResetMutation {
    /// Mails a staff user a link to set a new password (answered with
    /// `acceptInvitation`); earlier reset links stop working. Needs no
    /// sign-in; limited like failed sign-ins, per address and per email.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's email address (case does not matter).")] email: String,
    ) -> ApiResult<RequestPasswordResetPayload> {
        let email = match validation::email("email", &email, 256) {
            Ok(e) => e,
            Err(e) => {
                return Ok(RequestPasswordResetPayload {
                    requested: false,
                    user_errors: vec![e],
                })
            }
        };
        crate::kernel::auth::check_sign_in(ctx, &email).await?;
        // Every request counts, found or not: the limit caps the mail one
        // address can be sent, and the answer's timing hardly differs.
        crate::kernel::auth::count_failed_sign_in(ctx, &email).await;
        let state = ctx.state();
        // all accounts: a reset request looks the user up by email in every account
        let found = user::Entity::find()
            .filter(user::Column::EmailKey.eq(validation::email_key(&email)))
            .filter(user::Column::Status.eq(user::Status::Active))
            .one(&state.db)
            .await?;
        if let Some(user) = found {
            let account_name = account::Entity::find_by_id(user.account_id)
                .one(&state.db)
                .await?
                .map(|a| a.name)
                .unwrap_or_default();
            let txn = state.db.begin().await?;
            Tenant(user.account_id)
                .update_many::<invitation::Entity>()
                .col_expr(invitation::Column::Status, Expr::value(Status::Revoked))
                .col_expr(invitation::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(invitation::Column::UserId.eq(user.id))
                .filter(invitation::Column::Kind.eq(Kind::PasswordReset))
                .filter(invitation::Column::Status.is_in([Status::Pending, Status::Sent]))
                .exec(&txn)
                .await?;
            let created = mail::create(
                &txn,
                state,
                user.account_id,
                &account_name,
                None,
                vec![NewInvitation {
                    kind: Kind::PasswordReset,
                    email: user.email.clone(),
                    name: crate::staff::users::contact::name_of(&user.first_name, &user.last_name),
                    language: user.language.clone(),
                    user_id: Some(user.id),
                    customer_id: None,
                    transfer_user_id: None,
                }],
            )
            .await?;
            txn.commit().await?;
            mail::announce(state, created);
        }
        Ok(RequestPasswordResetPayload {
            requested: true,
            user_errors: Vec::new(),
        })
    }
}
