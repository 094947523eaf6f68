//! Create, edit and delete contacts and their methods. Who may change what:
//! managers of contacts (admins) change any contact's companies and methods;
//! a user may change their own contact's methods; only the user changes
//! their own name and primary email, and a user's contact goes only with the
//! user.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{company, contact, contact_company, contact_method, user};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, NotSet,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{methods, Contact, ContactMethod, ContactMethodKind, METHODS_MAX, NAME_MAX};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::Viewer,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::{self, Permission},
    kernel::validation,
};

/// A new contact method.
#[derive(InputObject)]
pub struct ContactMethodInput {
    /// How the method reaches the contact.
    pub kind: ContactMethodKind,
    /// An email address, or a phone number with its country code.
    pub value: String,
}

/// Input of `createContact`.
#[derive(InputObject)]
pub struct CreateContactInput {
    /// At most 255 characters.
    pub name: String,
    /// Companies the contact has access to (default: none).
    #[graphql(default)]
    pub company_ids: Vec<ID>,
    /// The contact's methods (at most 50; default: none).
    #[graphql(default)]
    pub methods: Vec<ContactMethodInput>,
}

/// Input of `updateContact`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateContactInput {
    /// The contact to change.
    pub id: ID,
    /// For a user's contact only that user may change it.
    pub name: Option<String>,
    /// The complete new set of companies.
    pub company_ids: Option<Vec<ID>>,
}

/// Input of `deleteContact`.
#[derive(InputObject)]
pub struct DeleteContactInput {
    /// The contact to delete (not a user's contact).
    pub id: ID,
}

/// Input of `addContactMethod`.
#[derive(InputObject)]
pub struct AddContactMethodInput {
    /// The contact to add the method to (a contact has at most 50 methods).
    pub contact_id: ID,
    /// How the method reaches the contact.
    pub kind: ContactMethodKind,
    /// An email address, or a phone number with its country code.
    pub value: String,
}

/// Input of `updateContactMethod`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateContactMethodInput {
    /// The method to change.
    pub id: ID,
    /// The new kind; a user's primary email stays EMAIL.
    pub kind: Option<ContactMethodKind>,
    /// The new email address, or phone number with its country code.
    pub value: Option<String>,
}

/// Input of `deleteContactMethod`.
#[derive(InputObject)]
pub struct DeleteContactMethodInput {
    /// The method to delete (not a user's primary email).
    pub id: ID,
}

/// Result of `createContact` and `updateContact`.
#[derive(SimpleObject)]
pub struct ContactPayload {
    /// The contact as saved; null when `userErrors` is not empty.
    pub contact: Option<Contact>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteContact`.
#[derive(SimpleObject)]
pub struct DeleteContactPayload {
    /// Id of the deleted contact; null when `userErrors` is not empty.
    pub deleted_contact_id: Option<ID>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `addContactMethod` and `updateContactMethod`.
#[derive(SimpleObject)]
pub struct ContactMethodPayload {
    /// The method as saved; null when `userErrors` is not empty.
    pub method: Option<ContactMethod>,
    /// The contact, with its methods.
    pub contact: Option<Contact>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteContactMethod`.
#[derive(SimpleObject)]
pub struct DeleteContactMethodPayload {
    /// Id of the deleted method; null when `userErrors` is not empty.
    pub deleted_contact_method_id: Option<ID>,
    /// The contact the method belonged to; null when `userErrors` is not empty.
    pub contact: Option<Contact>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn is_own(viewer: &Viewer, contact: &contact::Model) -> bool {
    contact.user_id == Some(viewer.user_id)
}

/// Managers change any contact's methods; a user changes their own.
fn may_edit_methods(viewer: &Viewer, contact: &contact::Model) -> Result<(), ApiError> {
    if is_own(viewer, contact) {
        return Ok(());
    }
    permissions::authorize(viewer, Permission::ManageContacts)
}

fn only_the_user(what: &str) -> ApiError {
    ApiError::Forbidden(format!(
        "Only the user themselves can change their own {what}"
    ))
}

/// The companies an input names, or a NOT_FOUND user error listing the
/// unknown ids (other accounts' included).
async fn resolve_companies(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    ids: &[ID],
) -> Result<Result<Vec<Uuid>, UserError>, ApiError> {
    let mut wanted = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        match GlobalId::expect(id, NodeKind::Company) {
            Ok(uuid) if !wanted.contains(&uuid) => wanted.push(uuid),
            Ok(_) => {}
            Err(_) => unknown.push(id.to_string()),
        }
    }
    let found: Vec<Uuid> = Tenant(account_id)
        .find::<company::Entity>()
        .filter(company::Column::Id.is_in(wanted.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    unknown.extend(
        ids.iter()
            .filter(|id| GlobalId::expect(id, NodeKind::Company).is_ok_and(|u| !found.contains(&u)))
            .map(|id| id.to_string()),
    );
    if !unknown.is_empty() {
        return Ok(Err(UserError::new(
            "companyIds",
            UserErrorCode::NotFound,
            format!("no such company: {}", unknown.join(", ")),
        )));
    }
    Ok(Ok(wanted))
}

async fn set_companies(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    contact_id: Uuid,
    companies: &[Uuid],
) -> Result<(), ApiError> {
    Tenant(account_id)
        .delete_many::<contact_company::Entity>()
        .filter(contact_company::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    let rows: Vec<_> = companies
        .iter()
        .map(|c| contact_company::ActiveModel {
            account_id: NotSet,
            contact_id: Set(contact_id),
            company_id: Set(*c),
        })
        .collect();
    if !rows.is_empty() {
        Tenant(account_id).insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Splits a user's new display name into first and last name (32 each).
fn user_names(name: &str) -> Result<(String, String), UserError> {
    let name = validation::required_text("name", name, 65)?;
    let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
    let (first, last) = (first.trim().to_owned(), last.trim().to_owned());
    for part in [&first, &last] {
        validation::max_len("name", part, 32)?;
    }
    Ok((first, last))
}

/// A method's value, cleaned; also refuses a second identical method.
async fn check_method(
    db: &impl ConnectionTrait,
    contact: &contact::Model,
    except: Option<Uuid>,
    field: &str,
    kind: contact_method::MethodKind,
    value: &str,
) -> Result<Result<String, UserError>, ApiError> {
    let value = match methods::clean(field, kind, value) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let mut same = Tenant(contact.account_id)
        .find::<contact_method::Entity>()
        .filter(contact_method::Column::ContactId.eq(contact.id))
        .filter(contact_method::Column::Kind.eq(kind))
        .filter(contact_method::Column::Value.eq(value.clone()));
    if let Some(id) = except {
        same = same.filter(contact_method::Column::Id.ne(id));
    }
    if same.one(db).await?.is_some() {
        return Ok(Err(UserError::new(
            field,
            UserErrorCode::Taken,
            "the contact already has this method",
        )));
    }
    Ok(Ok(value))
}

async fn method_in_account(
    ctx: &Context<'_>,
    account_id: Uuid,
    id: &ID,
) -> Result<(contact_method::Model, contact::Model), ApiError> {
    let id = GlobalId::expect(id, NodeKind::ContactMethod)?;
    let method = Tenant(account_id)
        .find_by_id::<contact_method::Entity>(id)
        .one(ctx.db())
        .await?
        .ok_or_else(|| ApiError::not_found("Contact method"))?;
    let contact = super::find(ctx.db(), account_id, method.contact_id).await?;
    Ok((method, contact))
}

#[derive(Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    /// Adds a contact, with the companies they have access to and their
    /// contact methods.
    #[graphql(guard = "Requires(Permission::ManageContacts)")]
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact to create.")] input: CreateContactInput,
    ) -> ApiResult<ContactPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let mut errors = Vec::new();
        let name = validation::required_text("name", &input.name, NAME_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let companies = match resolve_companies(db, viewer.account_id, &input.company_ids).await? {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };
        if input.methods.len() > METHODS_MAX {
            errors.push(UserError::new(
                "methods",
                UserErrorCode::LimitExceeded,
                format!("a contact has at most {METHODS_MAX} contact methods"),
            ));
        }
        let mut clean = Vec::new();
        for (i, m) in input.methods.iter().enumerate() {
            let field = format!("methods.{i}.value");
            match methods::clean(&field, m.kind.into(), &m.value) {
                Ok(v) if clean.contains(&(m.kind, v.clone())) => errors.push(UserError::new(
                    &field,
                    UserErrorCode::Taken,
                    "is given twice",
                )),
                Ok(v) => clean.push((m.kind, v)),
                Err(e) => errors.push(e),
            }
        }
        let Some(name) = name.filter(|_| errors.is_empty()) else {
            return Ok(ContactPayload {
                contact: None,
                user_errors: errors,
            });
        };
        let now = Utc::now();
        let id = Uuid::now_v7();
        let txn = db.begin().await?;
        let contact = Tenant(viewer.account_id)
            .insert(contact::ActiveModel {
                id: Set(id),
                account_id: NotSet,
                user_id: Set(None),
                name_key: Set(name.to_lowercase()),
                name: Set(name),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(&txn)
            .await?;
        set_companies(&txn, viewer.account_id, id, &companies).await?;
        let rows: Vec<_> = clean
            .into_iter()
            .map(|(kind, value)| contact_method::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                contact_id: Set(id),
                kind: Set(kind.into()),
                value: Set(value),
                is_primary: Set(false),
                created_at: Set(now),
            })
            .collect();
        if !rows.is_empty() {
            Tenant(viewer.account_id)
                .insert_many(rows)
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(ContactPayload {
            contact: Some(Contact(contact)),
            user_errors: Vec::new(),
        })
    }

    /// Renames a contact or replaces the companies they have access to. A
    /// user's name can be changed by that user only.
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact and what to change.")] input: UpdateContactInput,
    ) -> ApiResult<ContactPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::Contact)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        if input.name.is_some() && existing.user_id.is_some() && !is_own(viewer, &existing) {
            return Err(only_the_user("name").into());
        }
        if input.company_ids.is_some() || existing.user_id.is_none() {
            permissions::authorize(viewer, Permission::ManageContacts)?;
        }
        let fail = |e| {
            Ok(ContactPayload {
                contact: None,
                user_errors: vec![e],
            })
        };
        let mut user_names_change = None;
        let mut row = existing.clone().into_active_model();
        if let Some(name) = &input.name {
            let name = if existing.user_id.is_some() {
                match user_names(name) {
                    Ok((first, last)) => {
                        let display = crate::staff::users::contact::name_of(&first, &last);
                        user_names_change = Some((first, last));
                        display
                    }
                    Err(e) => return fail(e),
                }
            } else {
                match validation::required_text("name", name, NAME_MAX) {
                    Ok(n) => n,
                    Err(e) => return fail(e),
                }
            };
            row.name_key = Set(name.to_lowercase());
            row.name = Set(name);
        }
        let companies = match &input.company_ids {
            Some(ids) => match resolve_companies(db, viewer.account_id, ids).await? {
                Ok(c) => Some(c),
                Err(e) => return fail(e),
            },
            None => None,
        };
        let now = Utc::now();
        row.updated_at = Set(now);
        let txn = db.begin().await?;
        let contact = row.update(&txn).await?;
        if let (Some((first, last)), Some(user_id)) = (user_names_change, existing.user_id) {
            Tenant(viewer.account_id)
                .update_many::<user::Entity>()
                .col_expr(user::Column::FirstName, first.into())
                .col_expr(user::Column::LastName, last.into())
                .col_expr(user::Column::UpdatedAt, now.into())
                .filter(user::Column::Id.eq(user_id))
                .exec(&txn)
                .await?;
        }
        if let Some(companies) = companies {
            set_companies(&txn, viewer.account_id, id, &companies).await?;
        }
        txn.commit().await?;
        Ok(ContactPayload {
            contact: Some(Contact(contact)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a contact and their methods. Users' contacts go only with the
    /// user.
    #[graphql(guard = "Requires(Permission::ManageContacts)")]
    async fn delete_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact to delete.")] input: DeleteContactInput,
    ) -> ApiResult<DeleteContactPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&input.id, NodeKind::Contact)?;
        let existing = super::find(ctx.db(), viewer.account_id, id).await?;
        if existing.user_id.is_some() {
            return Ok(DeleteContactPayload {
                deleted_contact_id: None,
                user_errors: vec![UserError::new(
                    "id",
                    UserErrorCode::NotAllowed,
                    "this contact is a user of the account; it stays while the user does",
                )],
            });
        }
        Tenant(viewer.account_id)
            .delete_many::<contact::Entity>()
            .filter(contact::Column::Id.eq(id))
            .exec(ctx.db())
            .await?;
        Ok(DeleteContactPayload {
            deleted_contact_id: Some(input.id),
            user_errors: Vec::new(),
        })
    }

    /// Adds an email address, a mobile number for text messages, or a phone
    /// number to a contact.
    async fn add_contact_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact and the method to add.")] input: AddContactMethodInput,
    ) -> ApiResult<ContactMethodPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let contact_id = GlobalId::expect(&input.contact_id, NodeKind::Contact)?;
        let contact = super::find(db, viewer.account_id, contact_id).await?;
        may_edit_methods(viewer, &contact)?;
        let fail = |e| {
            Ok(ContactMethodPayload {
                method: None,
                contact: None,
                user_errors: vec![e],
            })
        };
        let count = Tenant(viewer.account_id)
            .find::<contact_method::Entity>()
            .filter(contact_method::Column::ContactId.eq(contact_id))
            .count(db)
            .await?;
        if count as usize >= METHODS_MAX {
            return fail(UserError::new(
                "contactId",
                UserErrorCode::LimitExceeded,
                format!("a contact has at most {METHODS_MAX} contact methods"),
            ));
        }
        let kind = input.kind.into();
        let value = match check_method(db, &contact, None, "value", kind, &input.value).await? {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        let method = Tenant(viewer.account_id)
            .insert(contact_method::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                contact_id: Set(contact_id),
                kind: Set(kind),
                value: Set(value),
                is_primary: Set(false),
                created_at: Set(Utc::now()),
            })
            .exec_with_returning(db)
            .await?;
        Ok(ContactMethodPayload {
            method: Some(ContactMethod(method)),
            contact: Some(Contact(contact)),
            user_errors: Vec::new(),
        })
    }

    /// Changes a contact method. A user's primary email can be changed by
    /// that user only, and stays an email address.
    async fn update_contact_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The method and what to change.")] input: UpdateContactMethodInput,
    ) -> ApiResult<ContactMethodPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let (method, contact) = method_in_account(ctx, viewer.account_id, &input.id).await?;
        if method.is_primary && !is_own(viewer, &contact) {
            return Err(only_the_user("primary email").into());
        }
        may_edit_methods(viewer, &contact)?;
        let fail = |e| {
            Ok(ContactMethodPayload {
                method: None,
                contact: None,
                user_errors: vec![e],
            })
        };
        let kind = input.kind.map(Into::into).unwrap_or(method.kind);
        if method.is_primary && kind != contact_method::MethodKind::Email {
            return fail(UserError::new(
                "kind",
                UserErrorCode::NotAllowed,
                "a primary email stays an email address",
            ));
        }
        let value = input.value.unwrap_or_else(|| method.value.clone());
        let value = match check_method(db, &contact, Some(method.id), "value", kind, &value).await?
        {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        let txn = db.begin().await?;
        if let (true, Some(user_id)) = (method.is_primary, contact.user_id) {
            // A user's primary email is their sign-in email: both change.
            let moved = Tenant(viewer.account_id)
                .update_many::<user::Entity>()
                .col_expr(user::Column::Email, Expr::value(value.clone()))
                .col_expr(
                    user::Column::EmailKey,
                    Expr::value(crate::kernel::validation::email_key(&value)),
                )
                .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(user::Column::Id.eq(user_id))
                .exec(&txn)
                .await;
            match moved {
                Ok(_) => {}
                Err(err) if crate::kernel::error::is_unique_violation(&err) => {
                    txn.rollback().await?;
                    return fail(UserError::new(
                        "value",
                        UserErrorCode::Taken,
                        "another user signs in with this email",
                    ));
                }
                Err(err) => return Err(ApiError::from(err).into()),
            }
        }
        let mut row = method.into_active_model();
        row.kind = Set(kind);
        row.value = Set(value);
        let method = row.update(&txn).await?;
        txn.commit().await?;
        Ok(ContactMethodPayload {
            method: Some(ContactMethod(method)),
            contact: Some(Contact(contact)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a contact method. A user's primary email cannot be deleted.
    async fn delete_contact_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The method to delete.")] input: DeleteContactMethodInput,
    ) -> ApiResult<DeleteContactMethodPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let (method, contact) = method_in_account(ctx, viewer.account_id, &input.id).await?;
        may_edit_methods(viewer, &contact)?;
        if method.is_primary {
            return Ok(DeleteContactMethodPayload {
                deleted_contact_method_id: None,
                contact: None,
                user_errors: vec![UserError::new(
                    "id",
                    UserErrorCode::NotAllowed,
                    "a user's primary email cannot be deleted",
                )],
            });
        }
        Tenant(viewer.account_id)
            .delete_many::<contact_method::Entity>()
            .filter(contact_method::Column::Id.eq(method.id))
            .exec(ctx.db())
            .await?;
        Ok(DeleteContactMethodPayload {
            deleted_contact_method_id: Some(input.id),
            contact: Some(Contact(contact)),
            user_errors: Vec::new(),
        })
    }
}
