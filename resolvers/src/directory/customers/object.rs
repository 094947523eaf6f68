use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::customer;

use crate::kernel::language::Language;
use crate::{
    custom_fields::{CustomField, CustomFieldValue},
    directory::companies::Company,
    directory::services::Service,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
};

/// How much of the customer portal a customer may use (seed 000).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "roster_entities::customer::PortalAccess")]
pub enum PortalAccessLevel {
    /// Cannot sign in to the portal.
    #[default]
    NoAccess,
    /// Submits incidents only on the services they were given.
    Standard,
    /// Submits incidents on the services their company has.
    Company,
    /// As COMPANY, and also views and modifies the incidents of the other
    /// employees of their company.
    CompanyAdmin,
}

/// Format of the emails Roster sends to a customer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "roster_entities::customer::EmailFormat")]
pub enum EmailFormat {
    /// HTML emails.
    #[default]
    Html,
    /// Plain-text emails.
    PlainText,
}

/// A customer's access to one service.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "roster_entities::customer_service::ServiceAccess")]
pub enum ServiceAccessLevel {
    /// The customer may raise incidents on the service in the portal.
    #[default]
    PortalAccess,
    /// Staff may raise incidents for the customer; the portal does not offer it.
    NoPortalAccess,
}

/// A service a customer was given, and how.
#[derive(SimpleObject, Clone, Debug)]
pub struct CustomerServiceAccess {
    /// The service.
    pub service: Service,
    /// How the customer may use the service.
    pub access: ServiceAccessLevel,
}

/// A customer: a person the account serves.
#[derive(Clone, Debug)]
pub struct Customer(pub customer::Model);

impl Customer {
    fn key(&self) -> (uuid::Uuid, uuid::Uuid) {
        (self.0.account_id, self.0.id)
    }
}

/// A customer: a person the account serves.
#[Object]
impl Customer {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::customer(self.0.id).into()
    }

    /// First name (never empty).
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }

    /// Last name; may be empty.
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }

    /// First and last name.
    async fn full_name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
            .trim()
            .to_owned()
    }

    /// Primary email, unique in the account (case does not matter).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Other addresses of the customer, also unique in the account.
    async fn email_aliases(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(crate::kernel::loaders::of(ctx)
            .get::<crate::directory::customers::CustomerAliasesLoader>()
            .load_one(self.key())
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default())
    }

    /// The company the customer works for, if any.
    async fn company(&self, ctx: &Context<'_>) -> ApiResult<Option<Company>> {
        let Some(company_id) = self.0.company_id else {
            return Ok(None);
        };
        let company = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::CompanyLoader>()
            .load_one((self.0.account_id, company_id))
            .await
            .map_err(ApiError::internal)?;
        Ok(company.map(Company))
    }

    /// Office phone number, as entered; null when not set.
    async fn office_phone(&self) -> Option<&str> {
        self.0.office_phone.as_deref()
    }

    /// Mobile phone number, as entered; null when not set.
    async fn mobile_phone(&self) -> Option<&str> {
        self.0.mobile_phone.as_deref()
    }

    /// Another phone number, as entered; null when not set.
    async fn other_phone(&self) -> Option<&str> {
        self.0.other_phone.as_deref()
    }

    /// Fax number, as entered; null when not set.
    async fn fax(&self) -> Option<&str> {
        self.0.fax.as_deref()
    }

    /// Postal address, free text; null when not set.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Job title; null when not set.
    async fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }

    /// Department; null when not set.
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    /// Path of the customer's avatar (a square PNG of at most 128 × 128),
    /// relative to this server, e.g. `/avatars/3f…9a.png`; null without one.
    async fn avatar_url(&self) -> Option<String> {
        self.0.avatar_token.as_deref().map(super::avatar::url)
    }

    /// Free-form notes (any length).
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// Format of the emails sent to the customer.
    async fn email_format(&self) -> EmailFormat {
        self.0.email_format.into()
    }

    /// Whether the customer gets feedback requests after an incident closes.
    async fn feedback_emails(&self) -> bool {
        self.0.feedback_emails
    }

    /// IANA time zone, e.g. `Europe/Berlin`.
    async fn time_zone(&self) -> Option<&str> {
        self.0.time_zone.as_deref()
    }

    /// Language of the customer's mails and portal; null when not set.
    async fn preferred_language(&self) -> Option<Language> {
        self.0.locale.as_deref().and_then(Language::from_code)
    }

    /// Language of the customer: de, en, es, pt, fr or it.
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    async fn locale(&self) -> Option<&str> {
        self.0.locale.as_deref()
    }

    /// What the customer may do in the customer portal.
    async fn portal_access(&self) -> PortalAccessLevel {
        self.0.portal_access.into()
    }

    /// The customer's values for the account's custom fields, by field name
    /// (fields without a value are left out).
    async fn custom_fields(&self, ctx: &Context<'_>) -> ApiResult<Vec<CustomFieldValue>> {
        let values = crate::kernel::loaders::of(ctx)
            .get::<crate::custom_fields::values::CustomerFieldValuesLoader>()
            .load_one(self.key())
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(values
            .into_iter()
            .map(|(value, field)| CustomFieldValue {
                field: CustomField(field),
                value,
            })
            .collect())
    }

    /// Services the customer was given, by name.
    async fn service_access(&self, ctx: &Context<'_>) -> ApiResult<Vec<CustomerServiceAccess>> {
        let grants = crate::kernel::loaders::of(ctx)
            .get::<crate::directory::customers::CustomerServiceAccessLoader>()
            .load_one(self.key())
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        Ok(grants
            .into_iter()
            .map(|(access, service)| CustomerServiceAccess {
                service: Service(service),
                access: access.into(),
            })
            .collect())
    }

    /// When the customer was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the customer was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
