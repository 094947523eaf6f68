//! What each role may do. Every mutation calls `require` first, so the rule
//! is visible at the top of the operation and tested in one table.
//! (Manager permissions granted per group and product come with the users
//! feature; until then members work with customers and incidents, and
//! admins do the rest.)

use async_graphql::Context;
use roster_entities::user::Role;

use crate::{
    kernel::auth::{self, Viewer},
    kernel::error::ApiError,
};

/// What a staff user may do. Admins and super admins may do everything;
/// members hold the base set, plus the permissions of their custom role.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read customers, companies, services.
    ViewPeople,
    /// Create and edit customers, and grant them services.
    EditCustomers,
    /// Delete customers (and denylist them).
    DeleteCustomers,
    /// Change portal access levels, alone or in bulk.
    AssignPortalAccess,
    /// Create, edit and delete companies and their services.
    ManageCompanies,
    /// Create, edit and delete services.
    ManageServices,
    /// Read and change the email denylist.
    ManageDenylist,
    /// Define, change and delete custom customer fields.
    ManageCustomFields,
    /// Download every customer as CSV.
    ExportCustomers,
    /// Import customers from CSV.
    ImportCustomers,
    /// Create, edit and delete contacts and their contact methods.
    ManageContacts,
    /// Read, raise, change and delete the account's incidents.
    ManageIncidents,
    /// Change the customer portal's settings (self-registration).
    ManagePortal,
    /// Create custom roles, change users' roles, grant manager permissions.
    ManageRoles,
    /// Add products and change their seats.
    ManageProducts,
    /// Create, change and delete invitation email templates.
    ManageEmailTemplates,
}

impl Permission {
    fn describe(self) -> &'static str {
        match self {
            Permission::ViewPeople => "viewing customers, companies and services",
            Permission::EditCustomers => "editing customers",
            Permission::DeleteCustomers => "deleting customers",
            Permission::AssignPortalAccess => "assigning portal access",
            Permission::ManageCompanies => "managing companies",
            Permission::ManageServices => "managing services",
            Permission::ManageDenylist => "managing the denylist",
            Permission::ManageCustomFields => "managing custom fields",
            Permission::ExportCustomers => "exporting customers",
            Permission::ImportCustomers => "importing customers",
            Permission::ManageContacts => "managing contacts",
            Permission::ManageIncidents => "managing incidents",
            Permission::ManagePortal => "changing the portal's settings",
            Permission::ManageRoles => "managing roles",
            Permission::ManageProducts => "managing products and seats",
            Permission::ManageEmailTemplates => "managing email templates",
        }
    }

    /// Stable name, as custom roles store it.
    pub fn name(self) -> String {
        async_graphql::resolver_utils::enum_value(self).to_string()
    }

    /// The permission named `name` (as `name()` writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        let value = async_graphql::Value::Enum(async_graphql::Name::new(name));
        <Permission as async_graphql::InputType>::parse(Some(value)).ok()
    }

    /// Permissions a custom role may give: all but the admin-level ones.
    pub fn grantable(self) -> bool {
        !matches!(self, Permission::ManageRoles | Permission::ManageProducts)
    }
}

/// What every member may do.
pub fn member_base(permission: Permission) -> bool {
    matches!(
        permission,
        Permission::ViewPeople | Permission::EditCustomers | Permission::ManageIncidents
    )
}

pub fn authorize(viewer: &Viewer, permission: Permission) -> Result<(), ApiError> {
    let allowed = match viewer.role {
        Role::SuperAdmin | Role::Admin => true,
        Role::Member => member_base(permission) || viewer.granted.contains(&permission),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "Your role does not allow {}",
            permission.describe()
        )))
    }
}

/// A field guard: the caller is a signed-in staff user holding the
/// permission. Declared on the field it protects
/// (`#[graphql(guard = "Requires(Permission::…)")]`), so each operation
/// states what it needs where it is declared, and async-graphql checks it
/// before the resolver runs (before any id is looked up).
pub struct Requires(pub Permission);

#[async_trait::async_trait]
impl async_graphql::Guard for Requires {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require(ctx, self.0)
            .map(drop)
            .map_err(async_graphql::Error::from)
    }
}

/// The signed-in staff user, if they hold `permission`.
pub fn require<'a>(ctx: &'a Context<'_>, permission: Permission) -> Result<&'a Viewer, ApiError> {
    let viewer = auth::viewer(ctx)?;
    authorize(viewer, permission)?;
    Ok(viewer)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_id: Uuid::nil(),
            account_id: Uuid::nil(),
            role,
            session_id: Uuid::nil(),
            granted: Vec::new(),
            name: None,
        }
    }

    #[test]
    fn role_matrix() {
        use Permission::*;
        let table = [
            (ViewPeople, [true, true, true]),
            (EditCustomers, [true, true, true]),
            (DeleteCustomers, [true, true, false]),
            (AssignPortalAccess, [true, true, false]),
            (ManageCompanies, [true, true, false]),
            (ManageServices, [true, true, false]),
            (ManageDenylist, [true, true, false]),
            (ManageCustomFields, [true, true, false]),
            (ExportCustomers, [true, true, false]),
            (ImportCustomers, [true, true, false]),
            (ManageContacts, [true, true, false]),
            (ManageIncidents, [true, true, true]),
            (ManagePortal, [true, true, false]),
            (ManageRoles, [true, true, false]),
            (ManageProducts, [true, true, false]),
            (ManageEmailTemplates, [true, true, false]),
        ];
        for (permission, expected) in table {
            for (role, allowed) in [Role::SuperAdmin, Role::Admin, Role::Member]
                .into_iter()
                .zip(expected)
            {
                let got = authorize(&viewer(role), permission);
                assert_eq!(got.is_ok(), allowed, "{role:?} {permission:?}");
                if let Err(err) = got {
                    assert_eq!(err.code(), "FORBIDDEN");
                }
            }
        }
    }

    #[test]
    fn a_custom_role_adds_to_a_members_permissions() {
        let mut member = viewer(Role::Member);
        assert!(authorize(&member, Permission::ExportCustomers).is_err());
        member.granted = vec![Permission::ExportCustomers];
        assert!(authorize(&member, Permission::ExportCustomers).is_ok());
        assert!(authorize(&member, Permission::DeleteCustomers).is_err());
        assert_eq!(Permission::ExportCustomers.name(), "EXPORT_CUSTOMERS");
        assert_eq!(
            Permission::from_name("EXPORT_CUSTOMERS"),
            Some(Permission::ExportCustomers)
        );
        assert_eq!(Permission::from_name("FLY"), None);
    }
}
