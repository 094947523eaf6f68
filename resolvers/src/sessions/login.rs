use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use roster_entities::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::resolve as session;
use crate::kernel::auth::password;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::validation,
    staff::users::User,
};

#[derive(Default)]
pub struct AuthMutation;

/// Result of `login`.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Bearer token for this session: send it as `Authorization: Bearer <token>`
    /// on HTTP requests, or as `{"Authorization": "Bearer <token>"}` in the
    /// WebSocket `connection_init` payload. Shown once; Roster keeps only a hash.
    pub token: Option<String>,
    /// When the token stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// The signed-in user.
    pub user: Option<User>,
    /// Problems with the input; when not empty, nobody was signed in.
    pub user_errors: Vec<UserError>,
}

/// Result of `logout`.
#[derive(SimpleObject)]
pub struct LogoutPayload {
    /// True when the session was ended by this call.
    pub ended: bool,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

#[Object]
impl AuthMutation {
    /// Signs a staff user in with email and password and returns a bearer
    /// token. A wrong email and a wrong password give the same
    /// UNAUTHENTICATED error.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's email address (case does not matter).")] email: String,
        #[graphql(desc = "The user's password.")] password: String,
    ) -> ApiResult<LoginPayload> {
        let mut user_errors = Vec::new();
        if email.trim().is_empty() {
            user_errors.push(UserError::new(
                "email",
                UserErrorCode::Blank,
                "can't be blank",
            ));
        }
        if password.is_empty() {
            user_errors.push(UserError::new(
                "password",
                UserErrorCode::Blank,
                "can't be blank",
            ));
        }
        if email.chars().count() > 256 || password.chars().count() > password::MAX_LEN {
            return Err(ApiError::Unauthenticated("Invalid email or password".into()).into());
        }
        if !user_errors.is_empty() {
            return Ok(LoginPayload {
                token: None,
                expires_at: None,
                user: None,
                user_errors,
            });
        }

        crate::kernel::auth::check_sign_in(ctx, &email).await?;
        let state = ctx.state();
        // Deliberately not scoped to an account: the email decides which
        // account the caller signs in to (emails are unique across accounts).
        // all accounts: sign-in looks the user up by email in every account
        let found = user::Entity::find()
            .filter(user::Column::EmailKey.eq(validation::email_key(&email)))
            .one(&state.db)
            .await?;
        let stored = found.as_ref().and_then(|u| u.password_hash.clone());
        let matches = password::verify_blocking(password, stored).await?;
        let Some(user) = found.filter(|_| matches) else {
            crate::kernel::auth::count_failed_sign_in(ctx, &email).await;
            return Err(ApiError::Unauthenticated("Invalid email or password".into()).into());
        };
        if user.status != user::Status::Active {
            return Err(ApiError::Forbidden(
                "This user is suspended; ask an administrator of the account".into(),
            )
            .into());
        }

        let (token, session) = session::start(&state.db, state, &user).await?;
        tracing::info!(user_id = %user.id, account_id = %user.account_id, "signed in");
        Ok(LoginPayload {
            token: Some(token),
            expires_at: Some(session.expires_at),
            user: Some(User(user)),
            user_errors: Vec::new(),
        })
    }

    /// Ends the session whose token authenticates this request.
    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<LogoutPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let ended = session::end(ctx.db(), viewer.account_id, viewer.session_id).await?;
        crate::kernel::auth::sessions_changed(ctx, viewer.user_id);
        Ok(LogoutPayload {
            ended,
            user_errors: Vec::new(),
        })
    }
}
