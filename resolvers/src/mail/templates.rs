//! Custom email templates (admins) and `previewEmailTemplate`, which renders
//! a custom or built-in template for a sample recipient without sending.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{email_template, invitation::Kind};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, QueryFilter, Set};
use uuid::Uuid;

use super::{builtin, render, EmailTemplate, InvitationKind};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::language::{self, Language},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::validation,
};

pub fn kind_of(name: &str) -> Result<Kind, ApiError> {
    match name {
        "WELCOME" => Ok(Kind::Welcome),
        "PORTAL_ACTIVATION" => Ok(Kind::PortalActivation),
        "TRANSFER" => Ok(Kind::Transfer),
        "PASSWORD_RESET" => Ok(Kind::PasswordReset),
        other => Err(ApiError::internal(format!("unknown template kind {other}"))),
    }
}

fn kind_name(kind: InvitationKind) -> &'static str {
    match kind {
        InvitationKind::Welcome => "WELCOME",
        InvitationKind::PortalActivation => "PORTAL_ACTIVATION",
        InvitationKind::Transfer => "TRANSFER",
        InvitationKind::PasswordReset => "PASSWORD_RESET",
    }
}

fn sample() -> render::Placeholders {
    render::Placeholders {
        name: "Ann Example".into(),
        account: "Your account".into(),
        link: "https://roster.example/accept-invitation?token=sample".into(),
        expiry: (Utc::now() + chrono::Duration::days(7))
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
    }
}

/// Checks language, subject and body (they must render).
fn check(language: &str, subject: &str, body: &str) -> Result<String, UserError> {
    let Some(language) = Language::from_code(language) else {
        return Err(language::unknown("language"));
    };
    validation::required_text("subject", subject, 255)?;
    validation::required_text("body", body, 100_000)?;
    if let Err(why) = render::render(subject, body, &sample()) {
        return Err(UserError::new(
            "body",
            UserErrorCode::Invalid,
            format!("does not render: {why} (placeholders: name, account, link, expiry)"),
        ));
    }
    Ok(language.code().to_owned())
}

/// A custom template of the account, for `field`.
pub async fn resolve(
    ctx: &Context<'_>,
    account_id: Uuid,
    id: &ID,
    kind: Kind,
) -> Result<Result<email_template::Model, UserError>, ApiError> {
    let not_found = || {
        UserError::new(
            "emailTemplateId",
            UserErrorCode::NotFound,
            format!("no such email template: {}", id.as_str()),
        )
    };
    let Ok(uuid) = GlobalId::expect(id, NodeKind::EmailTemplate) else {
        return Ok(Err(not_found()));
    };
    let found = Tenant(account_id)
        .find_by_id::<email_template::Entity>(uuid)
        .one(ctx.db())
        .await?;
    match found {
        Some(t) if kind_of(&t.kind)? == kind => Ok(Ok(t)),
        Some(_) => Ok(Err(UserError::new(
            "emailTemplateId",
            UserErrorCode::NotAllowed,
            "this template is for another kind of invitation",
        ))),
        None => Ok(Err(not_found())),
    }
}

/// Input of `createEmailTemplate`.
#[derive(InputObject)]
pub struct CreateEmailTemplateInput {
    /// The kind of invitation the template is for.
    pub kind: InvitationKind,
    /// Language of the template (required, unless the deprecated `language`
    /// is given).
    pub template_language: Option<Language>,
    /// de, en, es, pt, fr or it.
    #[graphql(
        deprecation = "Use `templateLanguage`: the same language as a `Language` enum value."
    )]
    pub language: Option<String>,
    /// Name, for staff choosing a template (at most 255 characters).
    pub name: String,
    /// Subject, with the same placeholders as `body` (at most 255 characters).
    pub subject: String,
    /// HTML with `{{ name }}`, `{{ account }}`, `{{ link }}`, `{{ expiry }}`.
    pub body: String,
}

/// Input of `updateEmailTemplate`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateEmailTemplateInput {
    /// The template to change.
    pub id: ID,
    /// New language of the template.
    pub template_language: Option<Language>,
    /// New language: de, en, es, pt, fr or it.
    #[graphql(
        deprecation = "Use `templateLanguage`: the same language as a `Language` enum value."
    )]
    pub language: Option<String>,
    /// New name (at most 255 characters).
    pub name: Option<String>,
    /// New subject (at most 255 characters).
    pub subject: Option<String>,
    /// New HTML body with `{{ name }}`, `{{ account }}`, `{{ link }}`,
    /// `{{ expiry }}` (at most 100,000 characters).
    pub body: Option<String>,
}

/// Input of `deleteEmailTemplate`.
#[derive(InputObject)]
pub struct DeleteEmailTemplateInput {
    /// The template to delete.
    pub id: ID,
}

/// Input of `previewEmailTemplate`: a custom template, or the built-in one
/// of a kind and language.
#[derive(InputObject)]
pub struct PreviewEmailTemplateInput {
    /// A custom template of the account; `kind` and `language` are then
    /// ignored.
    pub template_id: Option<ID>,
    /// Without `templateId`: the kind whose built-in template to render.
    pub kind: Option<InvitationKind>,
    /// Language of the built-in template (default: EN).
    pub template_language: Option<Language>,
    /// Language of the built-in template: de, en, es, pt, fr or it
    /// (default: en).
    #[graphql(
        deprecation = "Use `templateLanguage`: the same language as a `Language` enum value."
    )]
    pub language: Option<String>,
    /// The name `{{ name }}` stands for (default: Ann Example).
    #[graphql(default_with = "String::from(\"Ann Example\")")]
    pub recipient_name: String,
}

/// Result of `createEmailTemplate` and `updateEmailTemplate`.
#[derive(SimpleObject)]
pub struct EmailTemplatePayload {
    /// The template as saved; null when `userErrors` is not empty.
    pub template: Option<EmailTemplate>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteEmailTemplate`.
#[derive(SimpleObject)]
pub struct DeleteEmailTemplatePayload {
    /// Id of the deleted template.
    pub deleted_template_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

/// A rendered email.
#[derive(SimpleObject)]
pub struct EmailPreview {
    /// The subject, on one line.
    pub subject: String,
    /// The HTML body.
    pub html: String,
    /// A plain-text version of the body (tags dropped, links written out).
    pub text: String,
}

fn failed(e: UserError) -> ApiResult<EmailTemplatePayload> {
    Ok(EmailTemplatePayload {
        template: None,
        user_errors: vec![e],
    })
}

async fn find(
    ctx: &Context<'_>,
    account_id: Uuid,
    id: &ID,
) -> Result<email_template::Model, ApiError> {
    let id = GlobalId::expect(id, NodeKind::EmailTemplate)?;
    Tenant(account_id)
        .find_by_id::<email_template::Entity>(id)
        .one(ctx.db())
        .await?
        .ok_or_else(|| ApiError::not_found("EmailTemplate"))
}

#[derive(Default)]
pub struct EmailTemplateQuery;

#[Object]
impl EmailTemplateQuery {
    /// The account's custom email templates, by name.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn email_templates(
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
        #[graphql(desc = "Only templates for this kind of invitation.")] kind: Option<
            InvitationKind,
        >,
    ) -> ApiResult<Page<EmailTemplate>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut select = Tenant(viewer.account_id).find::<email_template::Entity>();
        if let Some(kind) = kind {
            select = select.filter(email_template::Column::Kind.eq(kind_name(kind)));
        }
        let sort = Sort {
            column: email_template::Column::Name,
            id: email_template::Column::Id,
            reverse: false,
            unique: false,
            key: |t: &email_template::Model| (SortValue::Text(t.name.clone()), t.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, EmailTemplate).await?)
    }

    /// Renders a template for a sample recipient, without sending anything.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn preview_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template and the sample recipient.")]
        input: PreviewEmailTemplateInput,
    ) -> ApiResult<EmailPreview> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let account = crate::kernel::loaders::of(ctx)
            .get::<crate::accounts::AccountLoader>()
            .load_one(viewer.account_id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("Account"))?;
        let (subject, body) = match (&input.template_id, input.kind) {
            (Some(id), _) => {
                let t = find(ctx, viewer.account_id, id).await?;
                (t.subject, t.body)
            }
            (None, Some(kind)) => {
                let language = language::pick(
                    "templateLanguage",
                    input.template_language,
                    "language",
                    input.language,
                )
                .map_err(|e| ApiError::BadUserInput(format!("templateLanguage {}", e.message)))?;
                let Some(language) = Language::from_code(language.as_deref().unwrap_or("en"))
                else {
                    let e = language::unknown("language");
                    return Err(ApiError::BadUserInput(format!("language {}", e.message)).into());
                };
                let (s, b) = builtin::template(kind.into(), language.code());
                (s.to_owned(), b.to_owned())
            }
            (None, None) => {
                return Err(ApiError::BadUserInput("give `templateId` or `kind`".into()).into())
            }
        };
        let mut values = sample();
        values.name = input.recipient_name;
        values.account = account.name;
        let mail = render::render(&subject, &body, &values).map_err(ApiError::BadUserInput)?;
        Ok(EmailPreview {
            subject: mail.subject,
            html: mail.html,
            text: mail.text,
        })
    }
}

#[derive(Default)]
pub struct EmailTemplateMutation;

#[Object]
impl EmailTemplateMutation {
    /// Adds a custom email template (admins).
    #[graphql(guard = "Requires(Permission::ManageEmailTemplates)")]
    async fn create_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template to add.")] input: CreateEmailTemplateInput,
    ) -> ApiResult<EmailTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let name = match validation::required_text("name", &input.name, 255) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        let language = match language::pick(
            "templateLanguage",
            input.template_language,
            "language",
            input.language,
        ) {
            Ok(Some(l)) => l,
            Ok(None) => {
                return failed(UserError::new(
                    "templateLanguage",
                    UserErrorCode::Blank,
                    "can't be blank",
                ))
            }
            Err(e) => return failed(e),
        };
        let language = match check(&language, &input.subject, &input.body) {
            Ok(l) => l,
            Err(e) => return failed(e),
        };
        let now = Utc::now();
        let template = Tenant(viewer.account_id)
            .insert(email_template::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                kind: Set(kind_name(input.kind).into()),
                language: Set(language),
                name: Set(name.clone()),
                subject: Set(input.subject.trim().to_owned()),
                body: Set(input.body),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(ctx.db())
            .await?;
        crate::kernel::history::note(
            ctx,
            "email_template.create",
            "EmailTemplate",
            Some(template.id),
            name,
        )
        .await;
        Ok(EmailTemplatePayload {
            template: Some(EmailTemplate(template)),
            user_errors: Vec::new(),
        })
    }

    /// Changes a custom email template (admins).
    #[graphql(guard = "Requires(Permission::ManageEmailTemplates)")]
    async fn update_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template and what to change.")] input: UpdateEmailTemplateInput,
    ) -> ApiResult<EmailTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let existing = find(ctx, viewer.account_id, &input.id).await?;
        let subject = input.subject.unwrap_or_else(|| existing.subject.clone());
        let body = input.body.unwrap_or_else(|| existing.body.clone());
        let language = match language::pick(
            "templateLanguage",
            input.template_language,
            "language",
            input.language,
        ) {
            Ok(l) => l.unwrap_or_else(|| existing.language.clone()),
            Err(e) => return failed(e),
        };
        let language = match check(&language, &subject, &body) {
            Ok(l) => l,
            Err(e) => return failed(e),
        };
        let mut row = existing.into_active_model();
        if let Some(name) = &input.name {
            match validation::required_text("name", name, 255) {
                Ok(n) => row.name = Set(n),
                Err(e) => return failed(e),
            }
        }
        row.subject = Set(subject.trim().to_owned());
        row.body = Set(body);
        row.language = Set(language);
        row.updated_at = Set(Utc::now());
        let template = row.update(ctx.db()).await?;
        crate::kernel::history::note(
            ctx,
            "email_template.update",
            "EmailTemplate",
            Some(template.id),
            template.name.clone(),
        )
        .await;
        Ok(EmailTemplatePayload {
            template: Some(EmailTemplate(template)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a custom email template; pending invitations keep their mail.
    #[graphql(guard = "Requires(Permission::ManageEmailTemplates)")]
    async fn delete_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template to delete.")] input: DeleteEmailTemplateInput,
    ) -> ApiResult<DeleteEmailTemplatePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let existing = find(ctx, viewer.account_id, &input.id).await?;
        Tenant(viewer.account_id)
            .delete_many::<email_template::Entity>()
            .filter(email_template::Column::Id.eq(existing.id))
            .exec(ctx.db())
            .await?;
        crate::kernel::history::note(
            ctx,
            "email_template.delete",
            "EmailTemplate",
            Some(existing.id),
            existing.name,
        )
        .await;
        Ok(DeleteEmailTemplatePayload {
            deleted_template_id: Some(input.id),
            user_errors: Vec::new(),
        })
    }
}
