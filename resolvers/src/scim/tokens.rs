//! SCIM bearer tokens and the account's directory-sync settings, managed by
//! admins through GraphQL. A token is shown once, stored as its SHA-256,
//! reaches `/scim/v2` only (GraphQL does not know it, and `/scim/v2` knows
//! no session token), and acts with the role of the admin who created it.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::{account, scim_token, user::Role};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, NotSet,
    QueryFilter, Set,
};
use uuid::Uuid;

use super::error::{ScimError, ScimResult};
use super::{Actor, Request};
use crate::kernel::auth::{token, Viewer};
use crate::kernel::context::{AppState, ContextExt};
use crate::kernel::error::{ApiError, ApiResult, UserError};
use crate::kernel::history::{self, Entry};
use crate::kernel::ids::{GlobalId, NodeKind};
use crate::kernel::pagination::{self, Page, PageArgs, Sort, SortValue};
use crate::kernel::scope::Tenant;

const PREFIX: &str = "rscim_";
const NAME_MAX: usize = 255;

fn generate() -> String {
    // The session token's 256 random bits, with a prefix of its own.
    format!("{PREFIX}{}", &token::generate()[4..])
}

/// A SCIM token (its secret is shown only when it is created).
#[derive(Clone, Debug)]
pub struct ScimToken(pub scim_token::Model);

/// A bearer token an identity provider uses to sync users and groups over
/// SCIM (`/scim/v2`). It reaches nothing else.
#[Object]
impl ScimToken {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId {
            kind: NodeKind::ScimToken,
            id: self.0.id,
        }
        .into()
    }

    /// What the token is for, e.g. "Okta".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was last used (to the minute); null if never.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// The role of the admin who created it: a token changes only the users
    /// that role may change (admins only through a super admin's token). It
    /// stops working when its creator is no longer an active admin, and
    /// acts as an admin once a super admin creator is demoted to admin.
    async fn role(&self) -> crate::staff::users::UserRole {
        match self.0.creator_role.as_str() {
            "SUPER_ADMIN" => Role::SuperAdmin.into(),
            _ => Role::Admin.into(),
        }
    }
}

/// What `DELETE /scim/v2/Users/{id}` does.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimDeleteMode {
    /// The user is suspended, their seats are freed, and the directory no
    /// longer sees them; creating the same userName again brings them back.
    Suspend,
    /// The user is deleted with the erasure rules, as by `deleteUser`.
    Delete,
}

/// How directory sync behaves for the account.
#[derive(SimpleObject)]
pub struct ScimSettings {
    /// What a directory's delete does (default SUSPEND).
    pub delete_mode: ScimDeleteMode,
    /// Whether users a directory creates get a welcome mail (default
    /// false: they sign in through SSO or a password reset).
    pub welcome_mail: bool,
}

impl ScimSettings {
    fn of(account: &account::Model) -> Self {
        ScimSettings {
            delete_mode: if account.scim_delete_mode == "DELETE" {
                ScimDeleteMode::Delete
            } else {
                ScimDeleteMode::Suspend
            },
            welcome_mail: account.scim_welcome_mail,
        }
    }
}

/// Input of `createScimToken`.
#[derive(InputObject)]
pub struct CreateScimTokenInput {
    /// What the token is for, e.g. "Okta" (at most 255 characters).
    pub name: String,
}

/// Result of `createScimToken`.
#[derive(SimpleObject)]
pub struct CreateScimTokenPayload {
    /// The secret, shown this once: give it to the identity provider as
    /// its bearer token. Null when `userErrors` is not empty.
    pub token: Option<String>,
    /// The token's record.
    pub scim_token: Option<ScimToken>,
    /// Problems with the input; when not empty, no token was created.
    pub user_errors: Vec<UserError>,
}

/// Input of `revokeScimToken`.
#[derive(InputObject)]
pub struct RevokeScimTokenInput {
    /// The token to revoke.
    pub id: ID,
}

/// Result of `revokeScimToken`.
#[derive(SimpleObject)]
pub struct RevokeScimTokenPayload {
    /// The token, revoked.
    pub scim_token: Option<ScimToken>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

/// Input of `updateScimSettings`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateScimSettingsInput {
    /// What a directory's delete does.
    pub delete_mode: Option<ScimDeleteMode>,
    /// Whether users a directory creates get a welcome mail.
    pub welcome_mail: Option<bool>,
}

/// Result of `updateScimSettings`.
#[derive(SimpleObject)]
pub struct ScimSettingsPayload {
    /// The settings as saved.
    pub scim_settings: Option<ScimSettings>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

/// Directory sync is the business of admins and super admins.
fn require_admin(viewer: &Viewer) -> Result<(), ApiError> {
    if !matches!(viewer.role, Role::Admin | Role::SuperAdmin) {
        return Err(ApiError::Forbidden(
            "Only admins and super admins manage directory sync (SCIM tokens and settings)".into(),
        ));
    }
    Ok(())
}

fn admin<'a>(ctx: &'a Context<'_>) -> Result<&'a Viewer, ApiError> {
    let viewer = crate::kernel::auth::viewer(ctx)?;
    require_admin(viewer)?;
    Ok(viewer)
}

/// The token `id` for `viewer` (an admin), or FORBIDDEN / NOT_FOUND.
pub async fn find(
    db: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> Result<ScimToken, ApiError> {
    require_admin(viewer)?;
    Tenant(viewer.account_id)
        .find_by_id::<scim_token::Entity>(id)
        .one(db)
        .await?
        .map(ScimToken)
        .ok_or_else(|| ApiError::not_found("ScimToken"))
}

async fn account_of(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
) -> Result<account::Model, ApiError> {
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Account"))
}

#[derive(Default)]
pub struct ScimTokenQuery;

#[Object]
impl ScimTokenQuery {
    /// The account's SCIM tokens, newest first (revoked ones included).
    /// Admins only.
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn scim_tokens(
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
    ) -> ApiResult<Page<ScimToken>> {
        let viewer = admin(ctx)?;
        let select = Tenant(viewer.account_id).find::<scim_token::Entity>();
        let sort = Sort {
            column: scim_token::Column::CreatedAt,
            id: scim_token::Column::Id,
            reverse: true,
            unique: false,
            key: |t: &scim_token::Model| (SortValue::Time(t.created_at), t.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, ScimToken).await?)
    }

    /// How directory sync behaves for the account. Admins only.
    async fn scim_settings(&self, ctx: &Context<'_>) -> ApiResult<ScimSettings> {
        let viewer = admin(ctx)?;
        Ok(ScimSettings::of(
            &account_of(ctx.db(), viewer.account_id).await?,
        ))
    }
}

#[derive(Default)]
pub struct ScimTokenMutation;

#[Object]
impl ScimTokenMutation {
    /// Creates a SCIM token for an identity provider. The secret is in the
    /// payload only: store it in the provider at once. Admins only.
    async fn create_scim_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's name.")] input: CreateScimTokenInput,
    ) -> ApiResult<CreateScimTokenPayload> {
        let viewer = admin(ctx)?;
        let name = match crate::kernel::validation::required_text("name", &input.name, NAME_MAX) {
            Ok(n) => n,
            Err(e) => {
                return Ok(CreateScimTokenPayload {
                    token: None,
                    scim_token: None,
                    user_errors: vec![e],
                })
            }
        };
        let secret = generate();
        let model = scim_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: NotSet,
            name: Set(name.clone()),
            token_hash: Set(token::digest(&secret)),
            created_by: Set(Some(viewer.user_id)),
            creator_role: Set(match viewer.role {
                Role::SuperAdmin => "SUPER_ADMIN".into(),
                _ => "ADMIN".into(),
            }),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        };
        let txn = sea_orm::TransactionTrait::begin(ctx.db()).await?;
        let saved = Tenant(viewer.account_id)
            .insert(model)
            .exec_with_returning(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok("scim_token.create", "ScimToken", saved.id, name)],
        )
        .await?;
        Ok(CreateScimTokenPayload {
            token: Some(secret),
            scim_token: Some(ScimToken(saved)),
            user_errors: Vec::new(),
        })
    }

    /// Revokes a SCIM token: the identity provider using it is refused from
    /// its next request. Admins only.
    async fn revoke_scim_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] input: RevokeScimTokenInput,
    ) -> ApiResult<RevokeScimTokenPayload> {
        let viewer = admin(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::ScimToken)?;
        let found = Tenant(viewer.account_id)
            .find_by_id::<scim_token::Entity>(id)
            .one(ctx.db())
            .await?
            .ok_or_else(|| ApiError::not_found("ScimToken"))?;
        if found.revoked_at.is_some() {
            return Ok(RevokeScimTokenPayload {
                scim_token: Some(ScimToken(found)),
                user_errors: Vec::new(),
            });
        }
        let txn = sea_orm::TransactionTrait::begin(ctx.db()).await?;
        let mut row = found.into_active_model();
        row.revoked_at = Set(Some(Utc::now()));
        let saved = row.update(&txn).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "scim_token.revoke",
                "ScimToken",
                saved.id,
                saved.name.clone(),
            )],
        )
        .await?;
        Ok(RevokeScimTokenPayload {
            scim_token: Some(ScimToken(saved)),
            user_errors: Vec::new(),
        })
    }

    /// Changes how directory sync behaves for the account. Admins only.
    async fn update_scim_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The settings to change.")] input: UpdateScimSettingsInput,
    ) -> ApiResult<ScimSettingsPayload> {
        let viewer = admin(ctx)?;
        let txn = sea_orm::TransactionTrait::begin(ctx.db()).await?;
        let mut row = account_of(&txn, viewer.account_id)
            .await?
            .into_active_model();
        if let Some(mode) = input.delete_mode {
            row.scim_delete_mode = Set(match mode {
                ScimDeleteMode::Delete => "DELETE".into(),
                ScimDeleteMode::Suspend => "SUSPEND".into(),
            });
        }
        if let Some(w) = input.welcome_mail {
            row.scim_welcome_mail = Set(w);
        }
        row.updated_at = Set(Utc::now());
        let saved = row.update(&txn).await?;
        let settings = ScimSettings::of(&saved);
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![
                Entry::ok("scim.settings", "Account", saved.id, saved.name.clone()).with_detail(
                    format!(
                        "delete {:?}, welcome mail {}",
                        settings.delete_mode, settings.welcome_mail
                    ),
                ),
            ],
        )
        .await?;
        Ok(ScimSettingsPayload {
            scim_settings: Some(settings),
            user_errors: Vec::new(),
        })
    }
}

fn stale() -> ScimError {
    ScimError::unauthorized(
        "the admin who created this SCIM token is no longer an active admin: an admin creates a new token",
    )
}

/// The caller of a SCIM request, from its bearer token.
pub async fn authenticate(state: &AppState, req: &Request) -> ScimResult<Actor> {
    let refused = || {
        ScimError::unauthorized(
            "send `Authorization: Bearer <token>` with a SCIM token from createScimToken",
        )
    };
    let header = req.authorization.as_deref().ok_or_else(refused)?;
    let (scheme, secret) = header.trim().split_once(' ').ok_or_else(refused)?;
    let secret = secret.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || !secret.starts_with(PREFIX) || secret.len() > 128 {
        return Err(refused());
    }
    // all accounts: the token hash alone identifies the SCIM token
    let found = scim_token::Entity::find()
        .filter(scim_token::Column::TokenHash.eq(token::digest(secret)))
        .filter(scim_token::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| ScimError::unauthorized("this SCIM token is unknown or revoked"))?;
    let account = account_of(&state.db, found.account_id).await?;
    let now = Utc::now();
    if found
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        Tenant(found.account_id)
            .update_many::<scim_token::Entity>()
            .col_expr(scim_token::Column::LastUsedAt, Expr::value(now))
            .filter(scim_token::Column::Id.eq(found.id))
            .exec(&state.db)
            .await?;
    }
    // A token acts with its creator's role as it is now: a creator who was
    // demoted, suspended or removed no longer lends it their rights.
    let creator = match found.created_by {
        Some(id) => {
            Tenant(found.account_id)
                .find_by_id::<roster_entities::user::Entity>(id)
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let role = match creator {
        Some(u) if u.status == roster_entities::user::Status::Active => match u.role {
            Role::SuperAdmin if found.creator_role == "SUPER_ADMIN" => Role::SuperAdmin,
            Role::SuperAdmin | Role::Admin => Role::Admin,
            Role::Member => return Err(stale()),
        },
        _ => return Err(stale()),
    };
    Ok(Actor {
        state: state.clone(),
        viewer: Viewer {
            user_id: found.id,
            account_id: found.account_id,
            role,
            session_id: Uuid::nil(),
            granted: Vec::new(),
            name: Some(format!("SCIM token \"{}\"", found.name)),
        },
        role,
        erase_on_delete: account.scim_delete_mode == "DELETE",
        welcome: account.scim_welcome_mail,
        base: req.base.clone(),
    })
}
