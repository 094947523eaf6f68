//! Creating and changing templates is for managers of organizer settings
//! over the whole account; applying one to users is for those whose
//! permission covers the users.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{settings_template, user};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, NotSet,
    QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{SettingsTemplate, StoredSetting};
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::Viewer,
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::scope::name_taken,
    kernel::validation,
    staff::managers::{self, ManagerPermission},
    staff::users::User,
};

/// Most settings in one template.
const SETTINGS_MAX: usize = 500;

/// A setting of a template.
#[derive(InputObject)]
pub struct SettingInput {
    /// The product the setting is for.
    pub product_id: ID,
    /// At most 64 characters.
    pub key: String,
    /// At most 1,000 characters.
    pub value: String,
}

/// Input of `createSettingsTemplate`.
#[derive(InputObject)]
pub struct CreateSettingsTemplateInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
    /// The settings (at most 500; a later setting of the same product and key
    /// replaces an earlier one; default: none).
    #[graphql(default)]
    pub settings: Vec<SettingInput>,
    /// Make it the account's default template.
    #[graphql(default)]
    pub is_default: bool,
}

/// Input of `updateSettingsTemplate`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateSettingsTemplateInput {
    /// The template to change.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: Option<String>,
    /// The complete new list of settings.
    pub settings: Option<Vec<SettingInput>>,
    /// `true` makes it the default (the previous default stops being one).
    pub is_default: Option<bool>,
}

/// Input of `deleteSettingsTemplate`.
#[derive(InputObject)]
pub struct DeleteSettingsTemplateInput {
    /// The template to delete.
    pub id: ID,
}

/// Input of `applySettingsTemplate`.
#[derive(InputObject)]
pub struct ApplySettingsTemplateInput {
    /// The template to apply.
    pub template_id: ID,
    /// The users who follow it from now on.
    pub user_ids: Vec<ID>,
}

/// Result of `createSettingsTemplate` and `updateSettingsTemplate`.
#[derive(SimpleObject)]
pub struct SettingsTemplatePayload {
    /// The template as saved; null when `userErrors` is not empty.
    pub template: Option<SettingsTemplate>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteSettingsTemplate`.
#[derive(SimpleObject)]
pub struct DeleteSettingsTemplatePayload {
    /// Id of the deleted template.
    pub deleted_template_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

/// Result of `applySettingsTemplate`.
#[derive(SimpleObject)]
pub struct ApplySettingsTemplatePayload {
    /// The users, now following the template (empty when `userErrors` is not
    /// empty).
    pub users: Vec<User>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn failed(e: UserError) -> ApiResult<SettingsTemplatePayload> {
    Ok(SettingsTemplatePayload {
        template: None,
        user_errors: vec![e],
    })
}

/// Templates are account-wide: a grant limited to groups or products does
/// not cover them.
async fn require_whole_account(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<(), ApiError> {
    let scope = managers::scope(db, viewer, ManagerPermission::ManageOrganizerSettings).await?;
    if !scope.is_everything() {
        return Err(ApiError::Forbidden(
            "Settings templates apply to the whole account; your permission covers only part of it"
                .into(),
        ));
    }
    Ok(())
}

async fn clean_settings(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    input: &[SettingInput],
) -> Result<Result<String, UserError>, ApiError> {
    if input.len() > SETTINGS_MAX {
        return Ok(Err(UserError::new(
            "settings",
            UserErrorCode::LimitExceeded,
            format!("a template has at most {SETTINGS_MAX} settings"),
        )));
    }
    let ids: Vec<ID> = input.iter().map(|s| s.product_id.clone()).collect();
    let products =
        match crate::staff::products::resolve_ids(db, account_id, "settings.productId", &ids)
            .await?
        {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
    let mut out = Vec::with_capacity(input.len());
    for (i, s) in input.iter().enumerate() {
        let key = match validation::required_text(&format!("settings.{i}.key"), &s.key, 64) {
            Ok(k) => k,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = validation::max_len(&format!("settings.{i}.value"), &s.value, 1_000) {
            return Ok(Err(e));
        }
        let product_id = GlobalId::expect(&s.product_id, NodeKind::Product)?;
        debug_assert!(products.contains(&product_id));
        out.retain(|o: &StoredSetting| !(o.product_id == product_id && o.key == key));
        out.push(StoredSetting {
            product_id,
            key,
            value: s.value.clone(),
        });
    }
    Ok(Ok(serde_json::to_string(&out).map_err(ApiError::internal)?))
}

async fn clear_default(db: &impl ConnectionTrait, account_id: Uuid) -> Result<(), ApiError> {
    Tenant(account_id)
        .update_many::<settings_template::Entity>()
        .col_expr(settings_template::Column::IsDefault, Expr::value(false))
        .exec(db)
        .await?;
    Ok(())
}

fn taken() -> UserError {
    UserError::new(
        "name",
        UserErrorCode::Taken,
        "a template with this name already exists",
    )
}

async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: &ID,
) -> Result<settings_template::Model, ApiError> {
    let id = GlobalId::expect(id, NodeKind::SettingsTemplate)?;
    Tenant(account_id)
        .find_by_id::<settings_template::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("SettingsTemplate"))
}

#[derive(Default)]
pub struct SettingsTemplateMutation;

#[Object]
impl SettingsTemplateMutation {
    /// Creates a settings template.
    async fn create_settings_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template to create.")] input: CreateSettingsTemplateInput,
    ) -> ApiResult<SettingsTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        require_whole_account(db, viewer).await?;
        let name = match validation::required_text("name", &input.name, 255) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        let settings = match clean_settings(db, viewer.account_id, &input.settings).await? {
            Ok(s) => s,
            Err(e) => return failed(e),
        };
        let key = name.to_lowercase();
        if name_taken::<settings_template::Entity>(db, viewer.account_id, &key, None).await? {
            return failed(taken());
        }
        let now = Utc::now();
        let txn = db.begin().await?;
        if input.is_default {
            clear_default(&txn, viewer.account_id).await?;
        }
        let inserted = Tenant(viewer.account_id)
            .insert(settings_template::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                name: Set(name.clone()),
                name_key: Set(key),
                is_default: Set(input.is_default),
                settings: Set(settings),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(&txn)
            .await;
        let template = match inserted {
            Ok(t) => t,
            Err(err) if is_unique_violation(&err) => return failed(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "template.create",
                "SettingsTemplate",
                template.id,
                name,
            )],
        )
        .await?;
        Ok(SettingsTemplatePayload {
            template: Some(SettingsTemplate(template)),
            user_errors: Vec::new(),
        })
    }

    /// Changes a settings template; users following it get the new settings.
    async fn update_settings_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template and what to change.")] input: UpdateSettingsTemplateInput,
    ) -> ApiResult<SettingsTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        require_whole_account(db, viewer).await?;
        let existing = find(db, viewer.account_id, &input.id).await?;
        let mut row = existing.clone().into_active_model();
        if let Some(name) = &input.name {
            match validation::required_text("name", name, 255) {
                Ok(n) => {
                    let key = n.to_lowercase();
                    if name_taken::<settings_template::Entity>(
                        db,
                        viewer.account_id,
                        &key,
                        Some(existing.id),
                    )
                    .await?
                    {
                        return failed(taken());
                    }
                    row.name = Set(n);
                    row.name_key = Set(key);
                }
                Err(e) => return failed(e),
            }
        }
        if let Some(settings) = &input.settings {
            match clean_settings(db, viewer.account_id, settings).await? {
                Ok(s) => row.settings = Set(s),
                Err(e) => return failed(e),
            }
        }
        let txn = db.begin().await?;
        if let Some(is_default) = input.is_default {
            if is_default {
                clear_default(&txn, viewer.account_id).await?;
            }
            row.is_default = Set(is_default);
        }
        row.updated_at = Set(Utc::now());
        let template = row.update(&txn).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "template.update",
                "SettingsTemplate",
                template.id,
                template.name.clone(),
            )],
        )
        .await?;
        Ok(SettingsTemplatePayload {
            template: Some(SettingsTemplate(template)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a template; its users follow the default template again.
    async fn delete_settings_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template to delete.")] input: DeleteSettingsTemplateInput,
    ) -> ApiResult<DeleteSettingsTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        require_whole_account(db, viewer).await?;
        let existing = find(db, viewer.account_id, &input.id).await?;
        let txn = db.begin().await?;
        Tenant(viewer.account_id)
            .update_many::<user::Entity>()
            .col_expr(
                user::Column::SettingsTemplateId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(user::Column::SettingsTemplateId.eq(existing.id))
            .exec(&txn)
            .await?;
        Tenant(viewer.account_id)
            .delete_many::<settings_template::Entity>()
            .filter(settings_template::Column::Id.eq(existing.id))
            .exec(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "template.delete",
                "SettingsTemplate",
                existing.id,
                existing.name,
            )],
        )
        .await?;
        Ok(DeleteSettingsTemplatePayload {
            deleted_template_id: Some(input.id),
            user_errors: Vec::new(),
        })
    }

    /// Applies a template to users, whether or not they hold its products:
    /// its settings are in force for each product they hold now or later.
    async fn apply_settings_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template and the users to apply it to.")]
        input: ApplySettingsTemplateInput,
    ) -> ApiResult<ApplySettingsTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        // The permission before the lookups (which would tell what exists).
        managers::scope(db, viewer, ManagerPermission::ManageOrganizerSettings).await?;
        let template = find(db, viewer.account_id, &input.template_id).await?;
        let users =
            match crate::staff::users::resolve(db, viewer.account_id, "userIds", &input.user_ids)
                .await?
            {
                Ok(u) => u,
                Err(e) => {
                    return Ok(ApplySettingsTemplatePayload {
                        users: Vec::new(),
                        user_errors: vec![e],
                    })
                }
            };
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        managers::require(
            db,
            viewer,
            ManagerPermission::ManageOrganizerSettings,
            &ids,
            &[],
        )
        .await?;
        let txn = db.begin().await?;
        for chunk in ids.chunks(10_000) {
            Tenant(viewer.account_id)
                .update_many::<user::Entity>()
                .col_expr(user::Column::SettingsTemplateId, Expr::value(template.id))
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
        history::commit(
            txn,
            ctx.state(),
            viewer,
            users
                .iter()
                .map(|u| {
                    Entry::ok("template.apply", "User", u.id, u.email.clone())
                        .with_detail(template.name.clone())
                })
                .collect(),
        )
        .await?;
        let users = users
            .into_iter()
            .map(|mut u| {
                u.settings_template_id = Some(template.id);
                User(u)
            })
            .collect();
        Ok(ApplySettingsTemplatePayload {
            users,
            user_errors: Vec::new(),
        })
    }
}
