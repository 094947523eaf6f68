//! Writing customers: the one path by which `createCustomer`, portal
//! sign-up and the customer import insert customers, and by which
//! `updateCustomer` and the import's update mode change them. Values come
//! in validated (`validate::validate`, the one validator); the rows of each
//! table (the customer, its addresses, its access to services) are built
//! here only.
//!
//! An address already in use breaks a unique key: the statement fails with
//! a unique violation, which callers that did not check the addresses
//! beforehand turn into a user error (`is_unique_violation`).

use chrono::{DateTime, Utc};
use roster_entities::{customer, customer_email, customer_service};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, NotSet, QueryFilter,
    Set, Value,
};
use uuid::Uuid;

use super::validate::CleanCustomer;
use crate::kernel::{
    bulk::{self, OnDuplicate},
    scope::Tenant,
};

/// A customer to insert.
pub struct NewCustomer {
    pub id: Uuid,
    pub values: CleanCustomer,
    pub company_id: Option<Uuid>,
    pub email_format: customer::EmailFormat,
    pub feedback_emails: bool,
    pub portal_access: customer::PortalAccess,
    /// The services the customer may use, with the level of access.
    pub services: Vec<(Uuid, customer_service::ServiceAccess)>,
}

impl NewCustomer {
    /// A customer with a new id and the defaults of `createCustomer`: HTML
    /// mail, feedback mails, no portal access, no company, no services.
    pub fn new(values: CleanCustomer) -> Self {
        NewCustomer {
            id: Uuid::now_v7(),
            values,
            company_id: None,
            email_format: customer::EmailFormat::Html,
            feedback_emails: true,
            portal_access: customer::PortalAccess::NoAccess,
            services: Vec::new(),
        }
    }

    /// The customer's rows: (customer, addresses, access to services).
    fn rows(
        self,
        tenant: Tenant,
        now: DateTime<Utc>,
    ) -> (
        customer::ActiveModel,
        Vec<customer_email::ActiveModel>,
        Vec<customer_service::ActiveModel>,
    ) {
        let addresses = address_rows(tenant, self.id, &self.values, Addresses::All);
        let grants = grant_rows(tenant, self.id, &self.services);
        let mut row = tenant.row(customer::ActiveModel {
            id: Set(self.id),
            company_id: Set(self.company_id),
            email_format: Set(self.email_format),
            feedback_emails: Set(self.feedback_emails),
            portal_access: Set(self.portal_access),
            avatar_token: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        for (column, value) in value_columns(self.values) {
            row.set(column, value);
        }
        (row, addresses, grants)
    }
}

/// Inserts one customer with its addresses and access to services; returns
/// it as stored.
pub async fn insert_one(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    customer: NewCustomer,
    now: DateTime<Utc>,
) -> Result<customer::Model, DbErr> {
    let (row, addresses, grants) = customer.rows(tenant, now);
    let stored = tenant.insert(row).exec_with_returning(db).await?;
    bulk::insert(db, addresses, OnDuplicate::Fail).await?;
    bulk::insert(db, grants, OnDuplicate::Skip).await?;
    Ok(stored)
}

/// Inserts a batch of customers with their addresses and access to
/// services: a few multi-row statements per table, whatever the batch size.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    customers: Vec<NewCustomer>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (mut rows, mut addresses, mut grants) = (
        Vec::with_capacity(customers.len()),
        Vec::with_capacity(customers.len()),
        Vec::new(),
    );
    for customer in customers {
        let (row, its_addresses, its_grants) = customer.rows(tenant, now);
        rows.push(row);
        addresses.extend(its_addresses);
        grants.extend(its_grants);
    }
    let backend = db.get_database_backend();
    let statements = bulk::statements(backend, rows, OnDuplicate::Fail)?
        .chain(bulk::statements(backend, addresses, OnDuplicate::Fail)?)
        .chain(bulk::statements(backend, grants, OnDuplicate::Skip)?);
    bulk::run(db, Box::new(statements)).await
}

/// Which of a customer's addresses a write covers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Addresses {
    /// None: the stored ones stay.
    Keep,
    /// The aliases (the primary address stays).
    Aliases,
    /// The primary address and the aliases.
    All,
}

/// A change of one customer.
pub struct Change {
    /// The customer's values after the change.
    pub values: CleanCustomer,
    pub columns: Columns,
    pub addresses: Addresses,
    /// `Some` when the company is written: services the (new) company does
    /// not offer are withdrawn.
    pub company: Option<Option<Uuid>>,
    pub email_format: Option<customer::EmailFormat>,
    pub feedback_emails: Option<bool>,
    pub portal_access: Option<customer::PortalAccess>,
    /// Services given besides those the customer has (kept as they are if
    /// given already).
    pub services: Vec<(Uuid, customer_service::ServiceAccess)>,
}

/// The value columns an update writes.
pub enum Columns {
    /// All of them (the caller's values merge the stored ones and the
    /// change).
    All,
    /// These only; the sort key follows the names.
    Only(Vec<customer::Column>),
}

impl Columns {
    fn writes(&self, column: &customer::Column) -> bool {
        // (Columns have no `PartialEq`.)
        let same =
            |a: &customer::Column| std::mem::discriminant(a) == std::mem::discriminant(column);
        match self {
            Columns::All => true,
            Columns::Only(list) if matches!(column, customer::Column::SortName) => list
                .iter()
                .any(|c| matches!(c, customer::Column::FirstName | customer::Column::LastName)),
            Columns::Only(list) => list.iter().any(same),
        }
    }
}

/// Changes customer `id` of the account; returns it as stored (`None` if
/// the account has no such customer).
pub async fn update(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
    change: Change,
    now: DateTime<Utc>,
) -> Result<Option<customer::Model>, DbErr> {
    let mut update = tenant
        .update_many::<customer::Entity>()
        .col_expr(customer::Column::UpdatedAt, Expr::value(now))
        .filter(customer::Column::Id.eq(id));
    if let Some(company_id) = change.company {
        update = update.col_expr(customer::Column::CompanyId, Expr::value(company_id));
    }
    if let Some(format) = change.email_format {
        update = update.col_expr(customer::Column::EmailFormat, Expr::value(format));
    }
    if let Some(feedback) = change.feedback_emails {
        update = update.col_expr(customer::Column::FeedbackEmails, Expr::value(feedback));
    }
    if let Some(level) = change.portal_access {
        update = update.col_expr(customer::Column::PortalAccess, Expr::value(level));
    }
    let addresses = match change.addresses {
        Addresses::Keep => Vec::new(),
        which => address_rows(tenant, id, &change.values, which),
    };
    for (column, value) in value_columns(change.values) {
        if change.columns.writes(&column) {
            update = update.col_expr(column, Expr::value(value));
        }
    }
    let Some(stored) = update.exec_with_returning(db).await?.pop() else {
        return Ok(None);
    };
    if change.addresses != Addresses::Keep {
        let mut old = tenant
            .delete_many::<customer_email::Entity>()
            .filter(customer_email::Column::CustomerId.eq(id));
        if change.addresses == Addresses::Aliases {
            old = old.filter(customer_email::Column::IsPrimary.eq(false));
        }
        old.exec(db).await?;
        bulk::insert(db, addresses, OnDuplicate::Fail).await?;
    }
    if let Some(company_id) = change.company {
        super::access::keep_company_services(db, tenant.0, id, company_id).await?;
    }
    bulk::insert(
        db,
        grant_rows(tenant, id, &change.services),
        OnDuplicate::Skip,
    )
    .await?;
    Ok(Some(stored))
}

/// The value columns of a customer and their values.
fn value_columns(v: CleanCustomer) -> [(customer::Column, Value); 15] {
    let sort_name = v.sort_name();
    [
        (customer::Column::SortName, sort_name.into()),
        (customer::Column::FirstName, v.first_name.into()),
        (customer::Column::LastName, v.last_name.into()),
        (customer::Column::Email, v.email.into()),
        (customer::Column::EmailKey, v.email_key.into()),
        (customer::Column::OfficePhone, v.office_phone.into()),
        (customer::Column::MobilePhone, v.mobile_phone.into()),
        (customer::Column::OtherPhone, v.other_phone.into()),
        (customer::Column::Fax, v.fax.into()),
        (customer::Column::Address, v.address.into()),
        (customer::Column::JobTitle, v.job_title.into()),
        (customer::Column::Department, v.department.into()),
        (customer::Column::Notes, v.notes.into()),
        (customer::Column::TimeZone, v.time_zone.into()),
        (customer::Column::Locale, v.locale.into()),
    ]
}

/// The rows giving customer `id` access to `services`.
fn grant_rows(
    tenant: Tenant,
    id: Uuid,
    services: &[(Uuid, customer_service::ServiceAccess)],
) -> Vec<customer_service::ActiveModel> {
    services
        .iter()
        .map(|&(service_id, access)| {
            tenant.row(customer_service::ActiveModel {
                account_id: NotSet,
                customer_id: Set(id),
                service_id: Set(service_id),
                access: Set(access),
            })
        })
        .collect()
}

/// The address rows of customer `id` (the primary one at position 0, then
/// the aliases in order).
fn address_rows(
    tenant: Tenant,
    id: Uuid,
    values: &CleanCustomer,
    which: Addresses,
) -> Vec<customer_email::ActiveModel> {
    let primary =
        (which == Addresses::All).then(|| (values.email.clone(), values.email_key.clone(), true));
    let aliases = values
        .email_aliases
        .iter()
        .map(|(alias, key)| (alias.clone(), key.clone(), false));
    primary
        .into_iter()
        .chain(aliases)
        .enumerate()
        .map(|(i, (email, key, is_primary))| {
            let position = if which == Addresses::All { i } else { i + 1 };
            tenant.row(customer_email::ActiveModel {
                account_id: NotSet,
                email_key: Set(key),
                customer_id: Set(id),
                email: Set(email),
                is_primary: Set(is_primary),
                position: Set(position as i32),
            })
        })
        .collect()
}
