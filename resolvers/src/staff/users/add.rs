//! Adding users: one, several or a pasted list, with their role, products,
//! groups, settings template and language, written in batches inside one
//! transaction. Seats are all or nothing: a shortage changes nothing and is
//! recorded in the activity history.

use std::collections::HashMap;

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{
    account,
    invitation::Kind,
    product,
    user::{self, Role, Status},
};
use sea_orm::{ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, Set, TransactionTrait};
use uuid::Uuid;

use super::{extension, parse, write, User, UserRole, USERS_MAX};
use crate::{
    kernel::auth::Viewer,
    kernel::context::{AppState, ContextExt},
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::language::{self, Language},
    kernel::permissions::{self, Permission},
    kernel::scope::Tenant,
    kernel::validation::LOCALES,
    mail::{self, NewInvitation},
    roles::rules,
    staff::managers::{self, ManagerPermission},
    staff::products::seats,
};

/// One user to add, as given.
#[derive(Clone, Debug, InputObject)]
pub struct NewUser {
    /// At most 32 characters.
    pub first_name: String,
    /// At most 32 characters.
    pub last_name: String,
    /// At most 128 characters; cannot be changed later.
    pub email: String,
    /// Phone extension; the next free one when omitted.
    pub extension: Option<i32>,
}

/// What every added user gets.
#[derive(Clone, Debug)]
pub struct NewUsers {
    pub users: Vec<NewUser>,
    pub role: Role,
    pub custom_role_id: Option<Uuid>,
    pub products: Vec<product::Model>,
    pub groups: Vec<Uuid>,
    pub template_id: Option<Uuid>,
    pub language: String,
    /// A custom welcome mail (else the built-in one of the language).
    pub email_template: Option<roster_entities::email_template::Model>,
    /// The status of new users: INVITED (they get a welcome mail), or
    /// ACTIVE for users a directory provisions (sign-in by SSO or reset).
    pub status: Status,
    /// Whether new users get a welcome mail (a transfer always mails);
    /// users added SUSPENDED get none.
    pub welcome: bool,
    /// Per user, in the order of `users`, when they differ (a directory's
    /// users): their language and status; empty means `language` and
    /// `status` for all.
    pub languages: Vec<String>,
    pub statuses: Vec<Status>,
    /// What a directory knows of each user, in the order of `users`
    /// (`user_id` and `account_id` are filled in); empty otherwise.
    pub directory: Vec<roster_entities::scim_user::Model>,
}

/// Checks the values themselves (no database).
fn check(users: &[NewUser]) -> (Vec<write::Values>, Vec<UserError>) {
    let mut errors = Vec::new();
    let mut clean = Vec::with_capacity(users.len());
    let mut emails: HashMap<String, usize> = HashMap::new();
    let mut extensions: HashMap<i32, usize> = HashMap::new();
    for (i, u) in users.iter().enumerate() {
        let field = |f: &str| format!("users.{i}.{f}");
        match write::check(&u.first_name, &u.last_name, &u.email, u.extension, field) {
            Ok(values) => {
                if let Some(j) = emails.insert(values.email_key.clone(), i) {
                    errors.push(UserError::new(
                        &field("email"),
                        UserErrorCode::Taken,
                        format!("appears twice in the list (also user {})", j + 1),
                    ));
                }
                if let Some(e) = values.extension {
                    if let Some(j) = extensions.insert(e, i) {
                        errors.push(UserError::new(
                            &field("extension"),
                            UserErrorCode::Taken,
                            format!("{e} is given twice (also user {})", j + 1),
                        ));
                    }
                }
                clean.push(values);
            }
            Err(e) => errors.extend(e),
        }
    }
    (clean, errors)
}

/// Adds the users (the caller has checked permissions). Returns them, or
/// the problems found (nothing is written then).
pub async fn add_users(
    state: &AppState,
    viewer: &Viewer,
    new: NewUsers,
) -> Result<Result<Vec<user::Model>, Vec<UserError>>, ApiError> {
    let db = &state.db;
    let (clean, mut errors) = check(&new.users);
    // Callers pass stored codes (lower case, trimmed).
    if !LOCALES.contains(&new.language.as_str()) {
        errors.push(language::unknown("language"));
    }
    if new.users.is_empty() {
        errors.push(UserError::new(
            "users",
            UserErrorCode::Blank,
            "add at least one user",
        ));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    // Emails are unique across accounts (they sign in with them): a user
    // of another account gets a transfer invitation instead.
    let keys: Vec<String> = clean.iter().map(|c| c.email_key.clone()).collect();
    let existing = write::existing_emails(db, &keys).await?;
    for (i, c) in clean.iter().enumerate() {
        if existing
            .get(&c.email_key)
            .is_some_and(|(a, _)| *a == viewer.account_id)
        {
            errors.push(UserError::new(
                &format!("users.{i}.email"),
                UserErrorCode::Taken,
                "is already a user of this account",
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    let txn = db.begin().await?;
    // One writer of users per account at a time (extensions, the limit).
    crate::kernel::locks::account(&txn, viewer.account_id).await?;
    let count = Tenant(viewer.account_id)
        .find::<user::Entity>()
        .count(&txn)
        .await?;
    if count + clean.len() as u64 > USERS_MAX {
        return Ok(Err(vec![UserError::new(
            "users",
            UserErrorCode::LimitExceeded,
            format!(
                "an account has at most {USERS_MAX} users: it has {count}, {} more would be {}",
                clean.len(),
                count + clean.len() as u64
            ),
        )]));
    }
    let mut taken = extension::taken(&txn, viewer.account_id).await?;
    for (i, c) in clean.iter().enumerate() {
        if let Some(e) = c.extension {
            if taken.contains(&e) {
                errors.push(UserError::new(
                    &format!("users.{i}.extension"),
                    UserErrorCode::Taken,
                    format!("{e} is another user's extension"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now = Utc::now();
    let tenant = Tenant(viewer.account_id);
    let users = clean
        .into_iter()
        .enumerate()
        .map(|(i, values)| {
            let settings = write::Settings {
                role: new.role,
                status: new.statuses.get(i).copied().unwrap_or(new.status),
                language: new
                    .languages
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| new.language.clone()),
                custom_role_id: new.custom_role_id,
                settings_template_id: new.template_id,
            };
            (values, settings)
        })
        .collect();
    // (user, the user of another account they would transfer from)
    let rows = write::place(tenant, users, &existing, &mut taken, now);
    let raced = || {
        Ok(Err(vec![UserError::new(
            "users",
            UserErrorCode::Taken,
            "a request that ran at the same time took one of these emails or extensions; try again",
        )]))
    };
    match write::insert(&txn, tenant, &rows, &new.groups).await {
        Err(e) if crate::kernel::error::is_unique_violation(&e) => return raced(),
        other => other?,
    }
    let ids: Vec<Uuid> = rows.iter().map(|(u, _)| u.id).collect();
    if let Err(shortage) = seats::take(&txn, viewer.account_id, &ids, &new.products).await? {
        txn.rollback().await?;
        let message = shortage.message();
        history::record(
            state,
            viewer,
            vec![Entry::failed(
                "user.add",
                "Product",
                shortage.product.clone(),
                format!("adding {} users: {message}", ids.len()),
            )],
        )
        .await?;
        return Ok(Err(vec![UserError::new(
            "productIds",
            UserErrorCode::LimitExceeded,
            message,
        )]));
    }
    if !new.directory.is_empty() {
        let profiles =
            new.directory
                .iter()
                .zip(&ids)
                .map(|(p, id)| roster_entities::scim_user::ActiveModel {
                    user_id: Set(*id),
                    account_id: NotSet,
                    user_name: Set(p.user_name.clone()),
                    user_name_key: Set(p.user_name_key.clone()),
                    external_id: Set(p.external_id.clone()),
                    department: Set(p.department.clone()),
                    employee_number: Set(p.employee_number.clone()),
                    manager_id: Set(p.manager_id),
                    resource: Set(p.resource.clone()),
                    deleted_at: Set(None),
                });
        for chunk in profiles.collect::<Vec<_>>().chunks(2_000) {
            match Tenant(viewer.account_id)
                .insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await
            {
                Err(e) if crate::kernel::error::is_unique_violation(&e) => return raced(),
                other => {
                    other?;
                }
            }
        }
    }
    let invited: Vec<(user::Model, Option<Uuid>)> = rows
        .iter()
        .filter(|(u, from)| (new.welcome && u.status == Status::Invited) || from.is_some())
        .cloned()
        .collect();
    let invitations = invite(
        &txn,
        state,
        viewer.account_id,
        new.email_template.as_ref(),
        &invited,
    )
    .await?;
    history::commit(
        txn,
        state,
        viewer,
        rows.iter()
            .map(|(u, from)| {
                let action = if from.is_some() {
                    "user.transfer_invite"
                } else {
                    "user.add"
                };
                Entry::ok(action, "User", u.id, u.email.clone())
            })
            .collect(),
    )
    .await?;
    mail::announce(state, invitations);
    Ok(Ok(rows.into_iter().map(|(u, _)| u).collect()))
}

/// Input of `addUsers`.
#[derive(InputObject)]
pub struct AddUsersInput {
    /// The users (from a form or `parseUserList`).
    pub users: Vec<NewUser>,
    /// The users' role (default: MEMBER).
    #[graphql(default_with = "UserRole::Member")]
    pub role: UserRole,
    /// A custom role for members (admins only).
    pub custom_role_id: Option<ID>,
    /// Products to give every user a seat of: all or nothing.
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    /// Groups to put every user in (default: none). A manager whose
    /// permission covers only some groups must name only those.
    #[graphql(default)]
    pub group_ids: Vec<ID>,
    /// Omitted: the account's default template.
    pub settings_template_id: Option<ID>,
    /// The users' language (default: EN).
    pub preferred_language: Option<Language>,
    /// de, en, es, pt, fr or it (default: en).
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    pub language: Option<String>,
    /// A custom WELCOME email template; omitted, the built-in one in the
    /// users' language.
    pub email_template_id: Option<ID>,
}

/// Result of `addUsers`.
#[derive(SimpleObject)]
pub struct AddUsersPayload {
    /// The added users (empty when anything was wrong: then nobody is added).
    pub users: Vec<User>,
    /// How many users were added.
    pub added_count: i32,
    /// Problems with the input, or a product short of seats; when not
    /// empty, nobody was added.
    pub user_errors: Vec<UserError>,
}

fn refused(errors: Vec<UserError>) -> ApiResult<AddUsersPayload> {
    Ok(AddUsersPayload {
        users: Vec::new(),
        added_count: 0,
        user_errors: errors,
    })
}

/// Checks `viewer` may add users with these settings, and resolves them.
pub async fn prepare(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    role: Role,
    custom_role: Option<&ID>,
    product_ids: &[ID],
    group_ids: &[ID],
    template: Option<&ID>,
) -> Result<Result<(Option<Uuid>, Vec<product::Model>, Vec<Uuid>, Option<Uuid>), UserError>, ApiError>
{
    let scope = managers::scope(db, viewer, ManagerPermission::AddDeleteUsers).await?;
    rules::may_give(viewer.role, role)?;
    let groups =
        match crate::staff::groups::resolve_ids(db, viewer.account_id, "groupIds", group_ids)
            .await?
        {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
    let within = |allowed: &Option<Vec<Uuid>>| {
        allowed
            .as_ref()
            .is_none_or(|a| !groups.is_empty() && groups.iter().all(|g| a.contains(g)))
    };
    if !within(&scope.groups) {
        return Err(ApiError::Forbidden(
            "Your permission to add users covers only the groups you manage: put the new users in those groups"
                .into(),
        ));
    }
    let products =
        match crate::staff::products::resolve(db, viewer.account_id, "productIds", product_ids)
            .await?
        {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
    if !products.is_empty() {
        let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
        let seats =
            managers::require(db, viewer, ManagerPermission::ManageSeats, &[], &ids).await?;
        if !within(&seats.groups) {
            return Err(ApiError::Forbidden(
                "Your permission to manage seats covers only the groups you manage".into(),
            ));
        }
    }
    let custom_role_id = match custom_role {
        Some(id) => {
            permissions::authorize(viewer, Permission::ManageRoles)?;
            let uuid = GlobalId::expect(id, NodeKind::CustomRole).ok();
            match uuid {
                Some(u) if crate::roles::exists(db, viewer.account_id, u).await? => Some(u),
                _ => {
                    return Ok(Err(UserError::new(
                        "customRoleId",
                        UserErrorCode::NotFound,
                        format!("no such custom role: {}", id.as_str()),
                    )))
                }
            }
        }
        None => None,
    };
    let template_id = match template {
        Some(id) => {
            match crate::staff::settings_templates::resolve(db, viewer.account_id, id).await? {
                Some(t) => Some(t),
                None => {
                    return Ok(Err(UserError::new(
                        "settingsTemplateId",
                        UserErrorCode::NotFound,
                        format!("no such settings template: {}", id.as_str()),
                    )))
                }
            }
        }
        None => None,
    };
    Ok(Ok((custom_role_id, products, groups, template_id)))
}

#[derive(Default)]
pub struct UserListQuery;

#[Object]
impl UserListQuery {
    /// Splits a pasted list (`First Last email;First Last email;...`) into
    /// users, with the three kinds of problems of seed 002. Nothing is
    /// written: pass the rows to `addUsers`.
    async fn parse_user_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The pasted list: entries separated by `;` or new lines (at most 2,000,000 characters)."
        )]
        text: String,
    ) -> ApiResult<parse::UserListParse> {
        crate::kernel::auth::viewer(ctx)?;
        if text.len() > parse::TEXT_MAX {
            return Err(ApiError::LimitExceeded(format!(
                "the list may have at most {} characters",
                parse::TEXT_MAX
            ))
            .into());
        }
        Ok(parse::parse(&text))
    }
}

#[derive(Default)]
pub struct AddUsersMutation;

#[Object]
impl AddUsersMutation {
    /// Adds users (invited until they accept their invitation) with a role,
    /// products, groups, a settings template and a language. All or
    /// nothing: any problem, or too few seats of a product, adds nobody.
    async fn add_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users and what each of them gets.")] input: AddUsersInput,
    ) -> ApiResult<AddUsersPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        if input.users.len() as u64 > USERS_MAX {
            return refused(vec![UserError::new(
                "users",
                UserErrorCode::LimitExceeded,
                format!("at most {USERS_MAX} users at a time"),
            )]);
        }
        let role: Role = input.role.into();
        let prepared = prepare(
            db,
            viewer,
            role,
            input.custom_role_id.as_ref(),
            &input.product_ids,
            &input.group_ids,
            input.settings_template_id.as_ref(),
        )
        .await?;
        let (custom_role_id, products, groups, template_id) = match prepared {
            Ok(p) => p,
            Err(e) => return refused(vec![e]),
        };
        let email_template = match &input.email_template_id {
            Some(id) => {
                match crate::mail::resolve_template(ctx, viewer.account_id, id, Kind::Welcome)
                    .await?
                {
                    Ok(t) => Some(t),
                    Err(e) => return refused(vec![e]),
                }
            }
            None => None,
        };
        let language = match language::pick(
            "preferredLanguage",
            input.preferred_language,
            "language",
            input.language,
        ) {
            Ok(language) => language.unwrap_or_else(|| "en".into()),
            Err(e) => return refused(vec![e]),
        };
        let new = NewUsers {
            users: input.users,
            role,
            custom_role_id,
            products,
            groups,
            template_id,
            language: language.trim().to_lowercase(),
            email_template,
            status: Status::Invited,
            welcome: true,
            languages: Vec::new(),
            statuses: Vec::new(),
            directory: Vec::new(),
        };
        match add_users(ctx.state(), viewer, new).await? {
            Ok(users) => Ok(AddUsersPayload {
                added_count: users.len() as i32,
                users: users.into_iter().map(User).collect(),
                user_errors: Vec::new(),
            }),
            Err(errors) => refused(errors),
        }
    }
}

/// The invitations of new places (`addUsers` and user imports alike): a
/// welcome for each new user (with the account's `template`, if any), a
/// transfer invitation for each place of a user of another account (the
/// second of each pair: the user they would transfer from).
pub async fn invite(
    txn: &impl ConnectionTrait,
    state: &AppState,
    account_id: Uuid,
    template: Option<&roster_entities::email_template::Model>,
    rows: &[(user::Model, Option<Uuid>)],
) -> Result<Vec<roster_entities::invitation::Model>, ApiError> {
    let account_name = account::Entity::find_by_id(account_id)
        .one(txn)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let invitation = |u: &user::Model, kind, transfer_user_id| NewInvitation {
        kind,
        email: u.email.clone(),
        name: format!("{} {}", u.first_name, u.last_name),
        language: u.language.clone(),
        user_id: Some(u.id),
        customer_id: None,
        transfer_user_id,
    };
    let welcomes: Vec<NewInvitation> = rows
        .iter()
        .filter(|(_, from)| from.is_none())
        .map(|(u, _)| invitation(u, Kind::Welcome, None))
        .collect();
    let transfers: Vec<NewInvitation> = rows
        .iter()
        .filter_map(|(u, from)| from.map(|f| invitation(u, Kind::Transfer, Some(f))))
        .collect();
    let mut invitations =
        mail::create(txn, state, account_id, &account_name, template, welcomes).await?;
    invitations.extend(mail::create(txn, state, account_id, &account_name, None, transfers).await?);
    Ok(invitations)
}
