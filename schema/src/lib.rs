//! Assembles Roster's GraphQL schema from the feature roots in
//! `roster-resolvers`, with its limits, loaders and error-code extension, and
//! exports its SDL (checked in as `schema/schema.graphql`).

#![recursion_limit = "256"]

mod connections;
pub mod cost;
mod document_cache;
mod entry;
mod error_codes;
pub mod limits;
mod node;
mod operation_loaders;
mod persisted;

pub use entry::{execute_batch, execute_stream, Executor};
pub use persisted::{operation_type, QueriesOnly};

use node::NodeQuery;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};
use roster_resolvers::{
    activity::{ActivityQuery, ActivitySubscription},
    contacts::{ContactMutation, ContactQuery},
    custom_fields::{CustomFieldMutation, CustomFieldQuery},
    denylist::{DenylistMutation, DenylistQuery},
    diagnostics::DiagnosticsSubscription,
    directory::companies::{CompanyMutation, CompanyQuery},
    directory::customers::{
        CustomerAccessMutation, CustomerAvatarMutation, CustomerDeleteMutation, CustomerMutation,
        CustomerQuery,
    },
    directory::services::{ServiceMutation, ServiceQuery},
    exports::ExportQuery,
    imports::{ImportMutation, ImportQuery, ImportSubscription, UserImportMutation},
    incidents::{IncidentMutation, IncidentQuery, PortalIncidentMutation, PortalIncidentQuery},
    invitations::{
        AcceptInvitationMutation, InvitationMutation, InvitationQuery, InvitationSubscription,
    },
    mail::{EmailTemplateMutation, EmailTemplateQuery},
    portal::{PortalAuthMutation, PortalQuery, PortalSettingsMutation, PortalSignUpMutation},
    roles::{CustomRoleMutation, CustomRoleQuery},
    scim::{ScimTokenMutation, ScimTokenQuery},
    sessions::{AuthMutation, AuthQuery, PasswordResetMutation},
    staff::groups::{GroupMutation, GroupQuery},
    staff::managers::ManagerMutation,
    staff::products::{ProductMutation, ProductQuery},
    staff::settings_templates::{SettingsTemplateMutation, SettingsTemplateQuery},
    staff::users::{AddUsersMutation, UserListQuery, UserMutation, UserQuery},
    AppState,
};

/// Every query field of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    NodeQuery,
    CompanyQuery,
    CustomerQuery,
    ServiceQuery,
    DenylistQuery,
    CustomFieldQuery,
    ExportQuery,
    ImportQuery,
    ContactQuery,
    IncidentQuery,
    PortalQuery,
    PortalIncidentQuery,
    UserQuery,
    UserListQuery,
    GroupQuery,
    ProductQuery,
    SettingsTemplateQuery,
    CustomRoleQuery,
    ActivityQuery,
    InvitationQuery,
    EmailTemplateQuery,
    ScimTokenQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    CompanyMutation,
    CustomerMutation,
    CustomerAccessMutation,
    CustomerDeleteMutation,
    CustomerAvatarMutation,
    ServiceMutation,
    DenylistMutation,
    CustomFieldMutation,
    ImportMutation,
    ContactMutation,
    IncidentMutation,
    PortalAuthMutation,
    PortalSignUpMutation,
    PortalIncidentMutation,
    PortalSettingsMutation,
    AddUsersMutation,
    UserMutation,
    GroupMutation,
    ProductMutation,
    SettingsTemplateMutation,
    CustomRoleMutation,
    ManagerMutation,
    UserImportMutation,
    InvitationMutation,
    EmailTemplateMutation,
    AcceptInvitationMutation,
    ScimTokenMutation,
    PasswordResetMutation,
);

/// Every subscription of the API.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    DiagnosticsSubscription,
    ImportSubscription,
    ActivitySubscription,
    InvitationSubscription,
);

pub type RosterSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(limits::MAX_DEPTH)
    .limit_recursive_depth(limits::MAX_RECURSIVE_DEPTH)
    .limit_directives(limits::MAX_DIRECTIVES)
    .extension(error_codes::ErrorCodes)
    .extension(persisted::PersistedQueries)
    .extension(document_cache::DocumentCache)
    .extension(operation_loaders::OperationLoaders);
    connections::describe(builder)
}

/// The schema, wired to the database and services in `state`.
pub fn build(state: AppState) -> RosterSchema {
    build_with(state, Options::default())
}

/// Switches and budgets an operator may change in production.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Whether `__schema` / `__type` queries are answered.
    pub introspection: bool,
    /// The cost budget of one operation (see `cost`).
    pub max_cost: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            introspection: true,
            max_cost: cost::DEFAULT_LIMIT,
        }
    }
}

/// `build` with operator switches.
pub fn build_with(state: AppState, options: Options) -> RosterSchema {
    let builder = builder().data(state).extension(cost::CostLimit {
        limit: options.max_cost,
    });
    let builder = if options.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// The schema's SDL, as checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new().include_specified_by();
    builder().finish().sdl_with_options(options)
}

/// The README's error reference: every `extensions.code` and every
/// `userErrors` code, as the code defines them.
pub fn error_reference() -> String {
    let mut out = String::from(
        "Errors of a response (`errors[].extensions.code`):\n\n| code | meaning |\n|---|---|\n",
    );
    for (code, meaning) in roster_resolvers::kernel::error::ERROR_CODES {
        out.push_str(&format!("| `{code}` | {meaning} |\n"));
    }
    out.push_str(
        "\nRefused input of a mutation (`userErrors { field code message }`, enum \
         `UserErrorCode`):\n\n| code | meaning |\n|---|---|\n",
    );
    let sdl = sdl();
    let start = sdl
        .find("enum UserErrorCode {")
        .expect("UserErrorCode in the SDL");
    let body = &sdl[start..sdl[start..].find("\n}").map_or(sdl.len(), |e| start + e)];
    let mut description = String::new();
    let mut in_description = false;
    for line in body.lines().skip(1).map(str::trim) {
        if line == "\"\"\"" {
            in_description = !in_description;
            if in_description {
                description.clear();
            }
        } else if in_description {
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(line);
        } else if !line.is_empty() {
            out.push_str(&format!("| `{line}` | {description} |\n"));
            description.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// The README's error reference must match the code. To update it,
    /// run: `UPDATE_README=1 cargo test -p roster-schema`.
    #[test]
    fn readme_error_reference_is_current() {
        const START: &str = "<!-- error-reference:start -->\n";
        const END: &str = "<!-- error-reference:end -->";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
            panic!("README.md lacks the error reference markers");
        };
        let current = super::error_reference();
        let checked_in = &readme[start + START.len()..end];
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!(
                "{}{current}{}",
                &readme[..start + START.len()],
                &readme[end..]
            );
            std::fs::write(path, updated).expect("write README.md");
            return;
        }
        assert!(
            checked_in == current,
            "README.md's error reference is out of date with the code.\n\
             Regenerate it with: UPDATE_README=1 cargo test -p roster-schema"
        );
    }

    /// The checked-in SDL must match the code. To update it after an API
    /// change, run: `UPDATE_SCHEMA=1 cargo test -p roster-schema`.
    #[test]
    fn checked_in_sdl_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let current = super::sdl();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &current).expect("write schema.graphql");
            return;
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == current,
            "schema/schema.graphql is out of date with the code.\n\
             Regenerate it with: UPDATE_SCHEMA=1 cargo test -p roster-schema\n\
             (or: cargo run -- print-schema > schema/schema.graphql)"
        );
    }
}
