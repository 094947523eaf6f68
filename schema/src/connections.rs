//! Descriptions of the connection types (and of `DateTime`, which
//! async-graphql describes by its Rust type): async-graphql's generic
//! `Connection` cannot carry one per node type, so the schema builder sets
//! them. (The SDL check fails on a connection added without one.)

use async_graphql::SchemaBuilder;
use roster_resolvers::{
    activity::Activity,
    contacts::Contact,
    custom_fields::CustomField,
    denylist::DenylistEntry,
    directory::companies::Company,
    directory::customers::Customer,
    directory::services::Service,
    imports::ImportJob,
    imports::ImportRowResult,
    incidents::{Incident, PortalIncident},
    invitations::Invitation,
    kernel::pagination::Page,
    mail::EmailTemplate,
    roles::CustomRole,
    scim::ScimToken,
    staff::groups::Group,
    staff::products::Product,
    staff::settings_templates::SettingsTemplate,
    staff::users::User,
};

use crate::{Mutation, Query, Subscription};

/// `builder` with a description for every connection type.
pub(crate) fn describe(
    builder: SchemaBuilder<Query, Mutation, Subscription>,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    builder
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(
            "A point in time: an RFC 3339 date and time with an offset, given in UTC by the server (`2026-11-27T16:44:32.123Z`).",
        )
        .override_output_type_description::<Page<Activity>>("A page of activity entries, with cursors and the total count.")
        .override_output_type_description::<Page<Company>>("A page of companies, with cursors and the total count.")
        .override_output_type_description::<Page<Contact>>("A page of contacts, with cursors and the total count.")
        .override_output_type_description::<Page<CustomField>>("A page of custom fields, with cursors and the total count.")
        .override_output_type_description::<Page<CustomRole>>("A page of custom roles, with cursors and the total count.")
        .override_output_type_description::<Page<Customer>>("A page of customers, with cursors and the total count.")
        .override_output_type_description::<Page<DenylistEntry>>("A page of denylisted addresses, with cursors and the total count.")
        .override_output_type_description::<Page<EmailTemplate>>("A page of email templates, with cursors and the total count.")
        .override_output_type_description::<Page<Group>>("A page of groups, with cursors and the total count.")
        .override_output_type_description::<Page<ImportJob>>("A page of import jobs, with cursors and the total count.")
        .override_output_type_description::<Page<ImportRowResult>>("A page of an import's rows, with cursors and the total count.")
        .override_output_type_description::<Page<Incident>>("A page of incidents, with cursors and the total count.")
        .override_output_type_description::<Page<Invitation>>("A page of invitations, with cursors and the total count.")
        .override_output_type_description::<Page<PortalIncident>>("A page of the portal customer's incidents, with cursors and the total count.")
        .override_output_type_description::<Page<Product>>("A page of products, with cursors and the total count.")
        .override_output_type_description::<Page<ScimToken>>("A page of SCIM tokens, with cursors and the total count.")
        .override_output_type_description::<Page<Service>>("A page of services, with cursors and the total count.")
        .override_output_type_description::<Page<SettingsTemplate>>("A page of settings templates, with cursors and the total count.")
        .override_output_type_description::<Page<User>>("A page of staff users, with cursors and the total count.")
}
