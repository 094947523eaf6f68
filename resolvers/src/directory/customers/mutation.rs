use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::Utc;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    rules,
    validate::{self, CustomerDraft},
    write::{self, Addresses, Change, Columns, NewCustomer},
    Customer, EmailFormat, PortalAccessLevel, ServiceAccessLevel,
};
use crate::kernel::language::{self, Language};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    custom_fields::values::{self as field_values, CustomFieldValueInput},
    directory::services,
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::{self, Permission},
};

/// A service to give a customer, and how.
#[derive(InputObject, Clone, Debug)]
pub struct ServiceAccessInput {
    /// The service to give.
    pub service_id: ID,
    /// How the customer may use the service (default: PORTAL_ACCESS).
    #[graphql(default)]
    pub access: ServiceAccessLevel,
}

/// Pairs the services of `input` (resolved to `ids`: in input order, each
/// once) with their access levels. A service listed twice gets the level
/// it was last listed with.
pub(crate) fn with_levels(
    input: &[ServiceAccessInput],
    ids: &[Uuid],
) -> Vec<(Uuid, ServiceAccessLevel)> {
    let levels: std::collections::HashMap<Uuid, ServiceAccessLevel> = input
        .iter()
        .filter_map(|s| {
            GlobalId::expect(&s.service_id, NodeKind::Service)
                .ok()
                .map(|id| (id, s.access))
        })
        .collect();
    ids.iter()
        .filter_map(|id| levels.get(id).map(|level| (*id, *level)))
        .collect()
}

/// Input of `createCustomer`.
#[derive(InputObject)]
pub struct CreateCustomerInput {
    /// At most 255 characters.
    pub first_name: String,
    /// At most 255 characters (default: empty).
    #[graphql(default)]
    pub last_name: String,
    /// Unique in the account, also against other customers' aliases.
    pub email: String,
    /// Other addresses of the customer, each unique in the account like
    /// `email` (default: none).
    #[graphql(default)]
    pub email_aliases: Vec<String>,
    /// The customer's company (at most one).
    pub company_id: Option<ID>,
    /// Office phone number (4 to 20 digits; `+` and a country code for an international number).
    pub office_phone: Option<String>,
    /// Mobile phone number (4 to 20 digits; `+` and a country code for an international number).
    pub mobile_phone: Option<String>,
    /// Another phone number (4 to 20 digits; `+` and a country code for an international number).
    pub other_phone: Option<String>,
    /// Fax number (4 to 20 digits; `+` and a country code for an international number).
    pub fax: Option<String>,
    /// Postal address (at most 255 characters).
    pub address: Option<String>,
    /// Job title (at most 255 characters).
    pub job_title: Option<String>,
    /// Department (at most 255 characters).
    pub department: Option<String>,
    /// Free-form notes (any length).
    pub notes: Option<String>,
    /// Format of the emails sent to the customer (default: HTML).
    #[graphql(default)]
    pub email_format: EmailFormat,
    /// Whether the customer gets feedback requests after an incident closes
    /// (default: true).
    #[graphql(default = true)]
    pub feedback_emails: bool,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// Language of the customer's mails and portal.
    pub preferred_language: Option<Language>,
    /// One of de, en, es, pt, fr, it.
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    pub locale: Option<String>,
    /// What the customer may do in the customer portal (default: NO_ACCESS);
    /// other levels need the ASSIGN_PORTAL_ACCESS permission.
    #[graphql(default)]
    pub portal_access: PortalAccessLevel,
    /// Services to give the customer; with a company, only the company's.
    #[graphql(default)]
    pub services: Vec<ServiceAccessInput>,
    /// Values of the account's custom fields.
    #[graphql(default)]
    pub custom_fields: Vec<CustomFieldValueInput>,
}

/// Input of `updateCustomer`: only the fields given change; `null` clears an
/// optional field.
#[derive(InputObject)]
pub struct UpdateCustomerInput {
    /// The customer to change.
    pub id: ID,
    /// New first name (not empty; at most 255 characters).
    pub first_name: Option<String>,
    /// New last name (at most 255 characters).
    pub last_name: Option<String>,
    /// New primary email, unique in the account, also against other
    /// customers' aliases.
    pub email: Option<String>,
    /// The complete new list of aliases.
    pub email_aliases: Option<Vec<String>>,
    /// `null` removes the customer from their company (and from the
    /// company's services).
    pub company_id: MaybeUndefined<ID>,
    /// Office phone number (4 to 20 digits; `+` and a country code for an international
    /// number); `null` or empty clears it.
    pub office_phone: MaybeUndefined<String>,
    /// Mobile phone number (4 to 20 digits; `+` and a country code for an international
    /// number); `null` or empty clears it.
    pub mobile_phone: MaybeUndefined<String>,
    /// Another phone number (4 to 20 digits; `+` and a country code for an international
    /// number); `null` or empty clears it.
    pub other_phone: MaybeUndefined<String>,
    /// Fax number (4 to 20 digits; `+` and a country code for an international
    /// number); `null` or empty clears it.
    pub fax: MaybeUndefined<String>,
    /// Postal address (at most 255 characters); `null` or empty clears it.
    pub address: MaybeUndefined<String>,
    /// Job title (at most 255 characters); `null` or empty clears it.
    pub job_title: MaybeUndefined<String>,
    /// Department (at most 255 characters); `null` or empty clears it.
    pub department: MaybeUndefined<String>,
    /// Free-form notes (any length); `null` or empty clears them.
    pub notes: MaybeUndefined<String>,
    /// Format of the emails sent to the customer.
    pub email_format: Option<EmailFormat>,
    /// Whether the customer gets feedback requests after an incident closes.
    pub feedback_emails: Option<bool>,
    /// IANA time zone, e.g. `Europe/Berlin`; `null` or empty clears it.
    pub time_zone: MaybeUndefined<String>,
    /// Language of the customer's mails and portal; `null` clears it.
    pub preferred_language: MaybeUndefined<Language>,
    /// One of de, en, es, pt, fr, it; `null` or empty clears it.
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    pub locale: MaybeUndefined<String>,
    /// What the customer may do in the customer portal; needs the
    /// ASSIGN_PORTAL_ACCESS permission.
    pub portal_access: Option<PortalAccessLevel>,
    /// Custom field values to set (`value: null` clears one); fields not
    /// listed keep their value.
    #[graphql(default)]
    pub custom_fields: Vec<CustomFieldValueInput>,
}

/// Result of `createCustomer`.
#[derive(SimpleObject)]
pub struct CreateCustomerPayload {
    /// The new customer; null when `userErrors` is not empty.
    pub customer: Option<Customer>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `updateCustomer`.
#[derive(SimpleObject)]
pub struct UpdateCustomerPayload {
    /// The customer as saved; null when `userErrors` is not empty.
    pub customer: Option<Customer>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn apply(target: &mut Option<String>, change: MaybeUndefined<String>) {
    match change {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *target = None,
        MaybeUndefined::Value(v) => *target = Some(v),
    }
}

fn taken() -> UserError {
    UserError::new(
        "email",
        UserErrorCode::Taken,
        "is already used by another customer",
    )
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Creates a customer.
    #[graphql(guard = "Requires(Permission::EditCustomers)")]
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer to create.")] input: CreateCustomerInput,
    ) -> ApiResult<CreateCustomerPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        // Portal access is setPortalAccess's permission, whatever the way in.
        if input.portal_access != PortalAccessLevel::NoAccess {
            permissions::authorize(viewer, Permission::AssignPortalAccess)?;
        }
        let db = ctx.db();
        let account_id = viewer.account_id;
        let locale = match language::pick(
            "preferredLanguage",
            input.preferred_language,
            "locale",
            input.locale,
        ) {
            Ok(locale) => locale,
            Err(e) => {
                return Ok(CreateCustomerPayload {
                    customer: None,
                    user_errors: vec![e],
                })
            }
        };
        let draft = CustomerDraft {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            email_aliases: input.email_aliases,
            office_phone: input.office_phone,
            mobile_phone: input.mobile_phone,
            other_phone: input.other_phone,
            fax: input.fax,
            address: input.address,
            job_title: input.job_title,
            department: input.department,
            notes: input.notes,
            time_zone: input.time_zone,
            locale,
        };
        let fail = |errors| {
            Ok(CreateCustomerPayload {
                customer: None,
                user_errors: errors,
            })
        };
        let mut errors = Vec::new();
        let clean = match validate::validate(&draft) {
            Ok(clean) => Some(clean),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let company_id = match &input.company_id {
            Some(id) => match rules::company(db, account_id, id).await? {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        let service_ids: Vec<ID> = input
            .services
            .iter()
            .map(|s| s.service_id.clone())
            .collect();
        let services = match services::resolve_ids(db, account_id, "services", &service_ids).await?
        {
            Ok(ids) => ids,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };
        if let Some(e) =
            rules::services_allowed(db, account_id, company_id, "services", &services).await?
        {
            errors.push(e);
        }
        let field_changes =
            match field_values::resolve(db, account_id, &input.custom_fields).await? {
                Ok(changes) => changes,
                Err(e) => {
                    errors.extend(e);
                    Vec::new()
                }
            };
        let Some(clean) = clean else {
            return fail(errors);
        };
        errors.extend(rules::check_addresses(db, account_id, &clean, None).await?);
        if !errors.is_empty() {
            return fail(errors);
        }

        let new = NewCustomer {
            company_id,
            email_format: input.email_format.into(),
            feedback_emails: input.feedback_emails,
            portal_access: input.portal_access.into(),
            services: with_levels(&input.services, &services)
                .into_iter()
                .map(|(service_id, level)| (service_id, level.into()))
                .collect(),
            ..NewCustomer::new(clean)
        };
        let id = new.id;
        let txn = db.begin().await?;
        let customer = match write::insert_one(&txn, Tenant(account_id), new, Utc::now()).await {
            Ok(c) => c,
            Err(err) if is_unique_violation(&err) => return fail(vec![taken()]),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        field_values::write(&txn, account_id, id, &field_changes).await?;
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "customer.create",
            "Customer",
            Some(customer.id),
            customer.email.clone(),
        )
        .await;
        Ok(CreateCustomerPayload {
            customer: Some(Customer(customer)),
            user_errors: vec![],
        })
    }

    /// Changes a customer's values.
    #[graphql(guard = "Requires(Permission::EditCustomers)")]
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer and what to change.")] input: UpdateCustomerInput,
    ) -> ApiResult<UpdateCustomerPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        if input.portal_access.is_some() {
            permissions::authorize(viewer, Permission::AssignPortalAccess)?;
        }
        let db = ctx.db();
        let account_id = viewer.account_id;
        let id = GlobalId::expect(&input.id, NodeKind::Customer)?;
        let existing = super::find(db, account_id, id).await?;
        let fail = |errors| {
            Ok(UpdateCustomerPayload {
                customer: None,
                user_errors: errors,
            })
        };

        // Addresses are checked and rewritten only when the input changes
        // them (an unchanged address was checked when it was written).
        let addresses_change = input.email.is_some() || input.email_aliases.is_some();
        let aliases = match input.email_aliases {
            Some(list) => list,
            None if addresses_change => super::loader::aliases_of(db, account_id, id).await?,
            None => Vec::new(),
        };
        let locale = match language::pick_update(
            "preferredLanguage",
            input.preferred_language,
            "locale",
            input.locale,
        ) {
            Ok(locale) => locale,
            Err(e) => return fail(vec![e]),
        };
        let mut draft = CustomerDraft {
            first_name: input
                .first_name
                .unwrap_or_else(|| existing.first_name.clone()),
            last_name: input
                .last_name
                .unwrap_or_else(|| existing.last_name.clone()),
            email: input.email.unwrap_or_else(|| existing.email.clone()),
            email_aliases: aliases,
            office_phone: existing.office_phone.clone(),
            mobile_phone: existing.mobile_phone.clone(),
            other_phone: existing.other_phone.clone(),
            fax: existing.fax.clone(),
            address: existing.address.clone(),
            job_title: existing.job_title.clone(),
            department: existing.department.clone(),
            notes: existing.notes.clone(),
            time_zone: existing.time_zone.clone(),
            locale: existing.locale.clone(),
        };
        apply(&mut draft.office_phone, input.office_phone);
        apply(&mut draft.mobile_phone, input.mobile_phone);
        apply(&mut draft.other_phone, input.other_phone);
        apply(&mut draft.fax, input.fax);
        apply(&mut draft.address, input.address);
        apply(&mut draft.job_title, input.job_title);
        apply(&mut draft.department, input.department);
        apply(&mut draft.notes, input.notes);
        apply(&mut draft.time_zone, input.time_zone);
        apply(&mut draft.locale, locale);

        let mut errors = Vec::new();
        let clean = match validate::validate(&draft) {
            Ok(clean) => Some(clean),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let company_id = match &input.company_id {
            MaybeUndefined::Undefined => existing.company_id,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(cid) => match rules::company(db, account_id, cid).await? {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let field_changes =
            match field_values::resolve(db, account_id, &input.custom_fields).await? {
                Ok(changes) => changes,
                Err(e) => {
                    errors.extend(e);
                    Vec::new()
                }
            };
        let Some(clean) = clean else {
            return fail(errors);
        };
        if addresses_change {
            errors.extend(rules::check_addresses(db, account_id, &clean, Some(id)).await?);
        }
        if !errors.is_empty() {
            return fail(errors);
        }

        let change = Change {
            values: clean,
            columns: Columns::All,
            addresses: if addresses_change {
                Addresses::All
            } else {
                Addresses::Keep
            },
            company: (company_id != existing.company_id).then_some(company_id),
            email_format: input.email_format.map(Into::into),
            feedback_emails: input.feedback_emails,
            portal_access: input.portal_access.map(Into::into),
            services: Vec::new(),
        };
        let txn = db.begin().await?;
        let customer = match write::update(&txn, Tenant(account_id), id, change, Utc::now()).await {
            Ok(Some(c)) => c,
            Ok(None) => return Err(ApiError::not_found("Customer").into()),
            Err(err) if is_unique_violation(&err) => return fail(vec![taken()]),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        field_values::write(&txn, account_id, id, &field_changes).await?;
        let entry = crate::kernel::history::Entry::ok(
            "customer.update",
            "Customer",
            customer.id,
            customer.email.clone(),
        );
        crate::kernel::history::commit(txn, ctx.state(), viewer, vec![entry]).await?;
        Ok(UpdateCustomerPayload {
            customer: Some(Customer(customer)),
            user_errors: vec![],
        })
    }
}
