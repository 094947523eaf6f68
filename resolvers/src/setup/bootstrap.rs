//! `roster bootstrap`: creates an account with its first super admin, so that
//! a new installation can be set up by a script. Running it again with the
//! same account and email changes nothing and says so; anything that would
//! add a second super admin is refused.

use chrono::Utc;
use roster_entities::{account, user};
use sea_orm::{
    sea_query::{Expr, Func},
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, NotSet, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::{
    kernel::auth::password, kernel::error::UserError, kernel::scope::Tenant, kernel::validation,
};

pub struct BootstrapRequest {
    pub account_name: String,
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug)]
pub enum BootstrapOutcome {
    Created {
        account: account::Model,
        user: user::Model,
    },
    /// The account already has this super admin; nothing was changed.
    AlreadyDone {
        account: account::Model,
        user: user::Model,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("{}: {}", .0.field.join("."), .0.message)]
    Invalid(UserError),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl From<sea_orm::DbErr> for BootstrapError {
    fn from(err: sea_orm::DbErr) -> Self {
        BootstrapError::Internal(format!("database: {err}"))
    }
}

impl From<crate::kernel::error::ApiError> for BootstrapError {
    fn from(err: crate::kernel::error::ApiError) -> Self {
        BootstrapError::Internal(err.to_string())
    }
}

pub async fn bootstrap(
    db: &DatabaseConnection,
    req: BootstrapRequest,
) -> Result<BootstrapOutcome, BootstrapError> {
    let account_name = validation::required_text("account", &req.account_name, 128)
        .map_err(BootstrapError::Invalid)?;
    let email = validation::email("email", &req.email, 128).map_err(BootstrapError::Invalid)?;
    let first_name = validation::required_text("firstName", &req.first_name, 32)
        .map_err(BootstrapError::Invalid)?;
    let last_name = validation::required_text("lastName", &req.last_name, 32)
        .map_err(BootstrapError::Invalid)?;
    password::validate("password", &req.password).map_err(BootstrapError::Invalid)?;

    let email_key = validation::email_key(&email);
    // all accounts: bootstrap looks the email up in every account
    let existing_user = user::Entity::find()
        .filter(user::Column::EmailKey.eq(&email_key))
        .find_also_related(account::Entity)
        .one(db)
        .await?;
    if let Some((user, Some(account))) = existing_user {
        let same_account = account.name.to_lowercase() == account_name.to_lowercase();
        if same_account && user.role == user::Role::SuperAdmin {
            return Ok(BootstrapOutcome::AlreadyDone { account, user });
        }
        return Err(BootstrapError::Conflict(format!(
            "{email} is already a user of account \"{}\"; use another email",
            account.name
        )));
    }

    let existing_account = account::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(account::Column::Name)))
                .eq(account_name.to_lowercase()),
        )
        .one(db)
        .await?;
    if let Some(account) = existing_account {
        let admin = Tenant(account.id)
            .find::<user::Entity>()
            .filter(user::Column::Role.eq(user::Role::SuperAdmin))
            .one(db)
            .await?;
        let who = admin.map(|u| u.email).unwrap_or_else(|| "nobody".into());
        return Err(BootstrapError::Conflict(format!(
            "account \"{}\" already exists (super admin: {who}); bootstrap does not add a second \
             super admin: sign in as {who} and add users instead",
            account.name
        )));
    }

    let password_hash = password::hash_blocking(req.password).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let account = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(account_name),
        portal_self_registration: Set(true),
        scim_delete_mode: Set("SUSPEND".into()),
        scim_welcome_mail: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let user = Tenant(account.id)
        .insert(user::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: NotSet,
            first_name: Set(first_name),
            last_name: Set(last_name),
            email: Set(email),
            email_key: Set(email_key),
            role: Set(user::Role::SuperAdmin),
            status: Set(user::Status::Active),
            password_hash: Set(Some(password_hash)),
            extension: Set(Some(crate::staff::users::extension::FIRST)),
            language: Set("en".into()),
            custom_role_id: Set(None),
            settings_template_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await?;
    crate::staff::users::contact::sync(&txn).await?;
    txn.commit().await?;
    Ok(BootstrapOutcome::Created { account, user })
}
