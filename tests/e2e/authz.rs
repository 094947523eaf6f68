//! The authorization matrix (issue 14): every root field of the checked-in
//! SDL, called by every kind of caller with minimal arguments, against one
//! declared table of who may use it.
//!
//! A field is DENIED for a caller when the answer is FORBIDDEN or
//! UNAUTHENTICATED (over a socket also a close with 4401 / 4403), and
//! ALLOWED for anything else: data, user errors, NOT_FOUND for the unknown
//! ids the requests carry, BAD_USER_INPUT. So ALLOWED means "got past the
//! permission check", and an id-taking field refuses a caller without the
//! permission before it looks the id up.
//!
//! `AUTHZ_VERBOSE=1` prints every answer.

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    time::{Duration, Instant},
};

use async_graphql::parser::{
    parse_schema,
    types::{BaseType, FieldDefinition, Type, TypeDefinition, TypeKind, TypeSystemDefinition},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::harness::*;

const SDL: &str = include_str!("../../schema/schema.graphql");

/// The callers, in the order of the table's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// The account's super admin.
    SuperAdmin,
    /// An admin.
    Admin,
    /// A plain member, no custom role.
    Member,
    /// A member whose custom role gives CUSTOM_ROLE_PERMISSIONS.
    Custom,
    /// A member granted ADD_DELETE_USERS for one group only.
    Manager,
    /// A customer signed in to the portal.
    Portal,
    /// No token.
    Anonymous,
    /// The super admin of another account.
    Other,
}

const CALLERS: [Caller; 8] = [
    Caller::SuperAdmin,
    Caller::Admin,
    Caller::Member,
    Caller::Custom,
    Caller::Manager,
    Caller::Portal,
    Caller::Anonymous,
    Caller::Other,
];

impl Caller {
    fn name(self) -> &'static str {
        match self {
            Caller::SuperAdmin => "SUPER_ADMIN",
            Caller::Admin => "ADMIN",
            Caller::Member => "MEMBER",
            Caller::Custom => "CUSTOM",
            Caller::Manager => "MANAGER",
            Caller::Portal => "PORTAL",
            Caller::Anonymous => "ANONYMOUS",
            Caller::Other => "OTHER",
        }
    }
}

/// What the CUSTOM caller's role adds to a member's base permissions.
const CUSTOM_ROLE_PERMISSIONS: &str = "[EXPORT_CUSTOMERS, IMPORT_CUSTOMERS, MANAGE_CONTACTS]";

/// Who may use each root field, one column per caller of `CALLERS`: `Y`
/// allowed, `-` refused, `B` allowed today but should be refused (a known
/// bug, explained by the `// BUG:` comment above its row: fix the server,
/// then turn the `B` into `-`). Every field of the SDL needs a row, and
/// every row a field.
const TABLE: &[&str] = &[
    //                                  SA AD ME CU MA PO AN OT
    "Query.viewer                       Y  Y  Y  Y  Y  -  -  Y",
    "Query.node                         Y  Y  Y  Y  Y  Y  -  Y",
    "Query.nodes                        Y  Y  Y  Y  Y  Y  -  Y",
    "Query.companies                    Y  Y  Y  Y  Y  -  -  Y",
    "Query.company                      Y  Y  Y  Y  Y  -  -  Y",
    "Query.customers                    Y  Y  Y  Y  Y  -  -  Y",
    "Query.customer                     Y  Y  Y  Y  Y  -  -  Y",
    "Query.customerByEmail              Y  Y  Y  Y  Y  -  -  Y",
    "Query.services                     Y  Y  Y  Y  Y  -  -  Y",
    "Query.service                      Y  Y  Y  Y  Y  -  -  Y",
    "Query.denylist                     Y  Y  -  -  -  -  -  Y",
    "Query.customFields                 Y  Y  Y  Y  Y  -  -  Y",
    "Query.customerExportUrl            Y  Y  -  Y  -  -  -  Y",
    "Query.importJob                    Y  Y  -  Y  Y  -  -  Y",
    // Customer imports with IMPORT_CUSTOMERS, user imports with
    // ADD_DELETE_USERS (the manager's).
    "Query.importJobs                   Y  Y  -  Y  Y  -  -  Y",
    "Query.contacts                     Y  Y  Y  Y  Y  -  -  Y",
    "Query.contact                      Y  Y  Y  Y  Y  -  -  Y",
    "Query.incidents                    Y  Y  Y  Y  Y  -  -  Y",
    "Query.incident                     Y  Y  Y  Y  Y  -  -  Y",
    "Query.portalViewer                 -  -  -  -  -  Y  -  -",
    "Query.portalIncidents              -  -  -  -  -  Y  -  -",
    "Query.portalIncident               -  -  -  -  -  Y  -  -",
    "Query.users                        Y  Y  Y  Y  Y  -  -  Y",
    "Query.user                         Y  Y  Y  Y  Y  -  -  Y",
    "Query.userByEmail                  Y  Y  Y  Y  Y  -  -  Y",
    "Query.parseUserList                Y  Y  Y  Y  Y  -  -  Y",
    "Query.groups                       Y  Y  Y  Y  Y  -  -  Y",
    "Query.group                        Y  Y  Y  Y  Y  -  -  Y",
    "Query.products                     Y  Y  Y  Y  Y  -  -  Y",
    "Query.product                      Y  Y  Y  Y  Y  -  -  Y",
    "Query.settingsTemplates            Y  Y  Y  Y  Y  -  -  Y",
    "Query.customRoles                  Y  Y  Y  Y  Y  -  -  Y",
    "Query.activity                     Y  Y  -  -  -  -  -  Y",
    "Query.invitations                  Y  Y  -  -  Y  -  -  Y",
    "Query.scimTokens                   Y  Y  -  -  -  -  -  Y",
    "Query.scimSettings                 Y  Y  -  -  -  -  -  Y",
    "Query.invitation                   Y  Y  -  -  Y  -  -  Y",
    "Query.emailTemplates               Y  Y  Y  Y  Y  -  -  Y",
    "Query.previewEmailTemplate         Y  Y  Y  Y  Y  -  -  Y",
    //                                  SA AD ME CU MA PO AN OT
    "Mutation.login                     Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.logout                    Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.createCompany             Y  Y  -  -  -  -  -  Y",
    "Mutation.updateCompany             Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteCompany             Y  Y  -  -  -  -  -  Y",
    "Mutation.createCustomer            Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.updateCustomer            Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.grantServiceAccess        Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.revokeServiceAccess       Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.setPortalAccess           Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteCustomer            Y  Y  -  -  -  -  -  Y",
    "Mutation.setCustomerAvatar         Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.removeCustomerAvatar      Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.createService             Y  Y  -  -  -  -  -  Y",
    "Mutation.updateService             Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteService             Y  Y  -  -  -  -  -  Y",
    "Mutation.addToDenylist             Y  Y  -  -  -  -  -  Y",
    "Mutation.removeFromDenylist        Y  Y  -  -  -  -  -  Y",
    "Mutation.createCustomField         Y  Y  -  -  -  -  -  Y",
    "Mutation.updateCustomField         Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteCustomField         Y  Y  -  -  -  -  -  Y",
    "Mutation.startCustomerImport       Y  Y  -  Y  -  -  -  Y",
    "Mutation.confirmImport             Y  Y  -  Y  Y  -  -  Y",
    "Mutation.cancelImport              Y  Y  -  Y  Y  -  -  Y",
    "Mutation.createContact             Y  Y  -  Y  -  -  -  Y",
    // Everyone may change their own user's contact; ManageContacts any.
    "Mutation.updateContact             Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.deleteContact             Y  Y  -  Y  -  -  -  Y",
    "Mutation.addContactMethod          Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.updateContactMethod       Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.deleteContactMethod       Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.createIncident            Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.updateIncident            Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.deleteIncident            Y  Y  Y  Y  Y  -  -  Y",
    "Mutation.portalLogin               Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.portalSignUp              Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.portalConfirmSignUp       Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.portalLogout              -  -  -  -  -  Y  -  -",
    "Mutation.submitIncident            -  -  -  -  -  Y  -  -",
    "Mutation.updatePortalIncident      -  -  -  -  -  Y  -  -",
    "Mutation.setPortalSelfRegistration Y  Y  -  -  -  -  -  Y",
    "Mutation.addUsers                  Y  Y  -  -  Y  -  -  Y",
    // Everyone may change their own names, extension and language (tested
    // in users.rs); the id here is another user's, which takes the manager
    // permission to add and delete users.
    "Mutation.updateUser                Y  Y  -  -  Y  -  -  Y",
    "Mutation.setUserRole               Y  Y  -  -  -  -  -  Y",
    "Mutation.setUserStatus             Y  Y  -  -  Y  -  -  Y",
    "Mutation.deleteUser                Y  Y  -  -  Y  -  -  Y",
    "Mutation.createGroup               Y  Y  -  -  -  -  -  Y",
    "Mutation.updateGroup               Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteGroup               Y  Y  -  -  -  -  -  Y",
    "Mutation.addGroupMembers           Y  Y  -  -  -  -  -  Y",
    "Mutation.removeGroupMembers        Y  Y  -  -  -  -  -  Y",
    "Mutation.createProduct             Y  Y  -  -  -  -  -  Y",
    "Mutation.updateProduct             Y  Y  -  -  -  -  -  Y",
    "Mutation.assignProducts            Y  Y  -  -  -  -  -  Y",
    "Mutation.unassignProducts          Y  Y  -  -  -  -  -  Y",
    "Mutation.setUserFeature            Y  Y  -  -  -  -  -  Y",
    "Mutation.createSettingsTemplate    Y  Y  -  -  -  -  -  Y",
    "Mutation.updateSettingsTemplate    Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteSettingsTemplate    Y  Y  -  -  -  -  -  Y",
    "Mutation.applySettingsTemplate     Y  Y  -  -  -  -  -  Y",
    "Mutation.createCustomRole          Y  Y  -  -  -  -  -  Y",
    "Mutation.updateCustomRole          Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteCustomRole          Y  Y  -  -  -  -  -  Y",
    "Mutation.grantManagerPermission    Y  Y  -  -  -  -  -  Y",
    "Mutation.revokeManagerPermission   Y  Y  -  -  -  -  -  Y",
    "Mutation.startUserImport           Y  Y  -  -  Y  -  -  Y",
    "Mutation.resendInvitation          Y  Y  -  -  Y  -  -  Y",
    "Mutation.revokeInvitation          Y  Y  -  -  Y  -  -  Y",
    "Mutation.createEmailTemplate       Y  Y  -  -  -  -  -  Y",
    "Mutation.updateEmailTemplate       Y  Y  -  -  -  -  -  Y",
    "Mutation.deleteEmailTemplate       Y  Y  -  -  -  -  -  Y",
    "Mutation.acceptInvitation          Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.declineInvitation         Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.requestPasswordReset      Y  Y  Y  Y  Y  Y  Y  Y",
    "Mutation.createScimToken           Y  Y  -  -  -  -  -  Y",
    "Mutation.revokeScimToken           Y  Y  -  -  -  -  -  Y",
    "Mutation.updateScimSettings        Y  Y  -  -  -  -  -  Y",
    //                                  SA AD ME CU MA PO AN OT
    "Subscription.serverTime            Y  Y  Y  Y  Y  -  -  Y",
    "Subscription.importProgress        Y  Y  -  Y  Y  -  -  Y",
    "Subscription.activityAdded         Y  Y  -  -  -  -  -  Y",
    "Subscription.invitationStatus      Y  Y  -  -  Y  -  -  Y",
];

/// Arguments that replace the generated ones, where the minimal request
/// would not show whether the caller may use the field. `@GROUP@` is the
/// global id of the MANAGER's group.
const ARGUMENTS: &[(&str, &str)] = &[
    // A blank password is a user error before any sign-in attempt is
    // counted; "x" / "x" would be UNAUTHENTICATED (wrong credentials) for
    // every caller, and eight of them would use up the email's attempts.
    ("Mutation.login", r#"email: "x", password: """#),
    // A manager limited to groups adds users to those groups only.
    (
        "Mutation.addUsers",
        r#"input: { users: [{ firstName: "x", lastName: "x", email: "x" }], groupIds: ["@GROUP@"] }"#,
    ),
    (
        "Mutation.startUserImport",
        r#"file: $file, options: { groupIds: ["@GROUP@"] }"#,
    ),
];

/// Node kinds of ID arguments whose name does not tell (`owner.argument`,
/// the owner being the field or the input type). Others are read from the
/// name and the SDL's `Node` types: `customerId` is a Customer, `id` of
/// `deleteCustomer` or of `DeleteCustomerInput` too.
const ID_KINDS: &[(&str, &str)] = &[
    ("node.id", "Customer"),
    ("nodes.ids", "Customer"),
    ("confirmImport.id", "ImportJob"),
    ("cancelImport.id", "ImportJob"),
    ("importProgress.jobId", "ImportJob"),
    ("ApplySettingsTemplateInput.templateId", "SettingsTemplate"),
    ("SetUserFeatureInput.featureId", "ProductFeature"),
    // Kinds that `node(id:)` does not serve.
    ("invitation.id", "Invitation"),
    ("resendInvitation.id", "Invitation"),
    ("revokeInvitation.id", "Invitation"),
    ("UpdateEmailTemplateInput.id", "EmailTemplate"),
    ("DeleteEmailTemplateInput.id", "EmailTemplate"),
];

/// Fields that end the caller's own session: they get a session of their
/// own, so the caller's other checks keep theirs.
const ENDS_SESSION: &[&str] = &["Mutation.logout", "Mutation.portalLogout"];

/// The file sent for `Upload` arguments (a GraphQL multipart request): a
/// customer / user CSV, and not an image.
const UPLOAD: &[u8] = b"first_name,last_name,email\nx,x,x@example.com\n";

/// How long a subscription may stay quiet before it counts as running.
const QUIET: Duration = Duration::from_secs(2);

/// An id of `kind` that names nothing. Global ids are
/// `base64url("<Kind>:<uuid>")` (resolvers' kernel `ids`); the test writes
/// them as a client would see them on the wire.
fn unknown_id(kind: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:0190f000-0000-7000-8000-000000000001"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied,
    /// The request itself is wrong (it does not parse or validate) or the
    /// server failed: neither answer can be read from it.
    Broken,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Allowed => "ALLOWED",
            Outcome::Denied => "DENIED",
            Outcome::Broken => "BROKEN",
        }
    }
}

/// The SDL, read for what requests need.
struct Sdl {
    types: HashMap<String, TypeDefinition>,
}

/// A root field: `Query.viewer`.
struct RootField {
    root: &'static str,
    def: FieldDefinition,
}

impl RootField {
    fn key(&self) -> String {
        format!("{}.{}", self.root, self.def.name.node)
    }
}

impl Sdl {
    fn parse() -> Sdl {
        let doc = parse_schema(SDL).expect("schema/schema.graphql parses");
        let types = doc
            .definitions
            .into_iter()
            .filter_map(|d| match d {
                TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), t.node)),
                _ => None,
            })
            .collect();
        Sdl { types }
    }

    fn root_fields(&self) -> Vec<RootField> {
        let mut out = Vec::new();
        for root in ["Query", "Mutation", "Subscription"] {
            let Some(TypeKind::Object(object)) = self.types.get(root).map(|t| &t.kind) else {
                continue;
            };
            out.extend(
                object
                    .fields
                    .iter()
                    .filter(|f| !f.node.name.node.starts_with("__"))
                    .map(|f| RootField {
                        root,
                        def: f.node.clone(),
                    }),
            );
        }
        out
    }

    fn kind_of(&self, name: &str) -> &TypeKind {
        &self
            .types
            .get(name)
            .unwrap_or_else(|| panic!("type {name} is not in the SDL"))
            .kind
    }

    /// `{ __typename }` for objects, nothing for scalars and enums.
    fn selection(&self, ty: &Type) -> &'static str {
        match &ty.base {
            BaseType::List(inner) => self.selection(inner),
            BaseType::Named(name) => match self.types.get(name.as_str()).map(|t| &t.kind) {
                Some(TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)) => {
                    " { __typename }"
                }
                _ => "",
            },
        }
    }

    /// A literal for a value of `ty`, the argument `arg` of `owner`.
    fn literal(&self, ty: &Type, owner: &str, arg: &str) -> String {
        match &ty.base {
            BaseType::List(inner) => format!("[{}]", self.literal(inner, owner, arg)),
            BaseType::Named(name) => match name.as_str() {
                "ID" => json!(unknown_id(&self.id_kind(owner, arg))).to_string(),
                "String" => "\"x\"".into(),
                "Int" => "1".into(),
                "Float" => "1.0".into(),
                "Boolean" => "false".into(),
                "DateTime" => "\"2024-01-01T00:00:00Z\"".into(),
                "Upload" => panic!("{owner}.{arg}: an Upload inside an input object"),
                other => match self.kind_of(other) {
                    TypeKind::Enum(e) => e.values[0].node.value.node.to_string(),
                    TypeKind::InputObject(input) => {
                        let fields: Vec<String> = input
                            .fields
                            .iter()
                            .filter(|f| !f.node.ty.node.nullable && f.node.default_value.is_none())
                            .map(|f| {
                                let name = f.node.name.node.as_str();
                                format!("{name}: {}", self.literal(&f.node.ty.node, other, name))
                            })
                            .collect();
                        format!("{{ {} }}", fields.join(", "))
                    }
                    TypeKind::Scalar => "\"x\"".into(),
                    _ => panic!("{owner}.{arg}: {other} is not an input type"),
                },
            },
        }
    }

    /// The node kind of an ID argument `arg` of `owner` (see `ID_KINDS`):
    /// a type that implements `Node`.
    fn id_kind(&self, owner: &str, arg: &str) -> String {
        let key = format!("{owner}.{arg}");
        if let Some((_, kind)) = ID_KINDS.iter().find(|(k, _)| *k == key) {
            return (*kind).to_owned();
        }
        let is_node = |t: &&TypeDefinition| match &t.kind {
            TypeKind::Object(o) => o.implements.iter().any(|i| i.node == "Node"),
            _ => false,
        };
        let nodes: Vec<&str> = self
            .types
            .values()
            .filter(is_node)
            .map(|t| t.name.node.as_str())
            .collect();
        let named = arg
            .strip_suffix("Ids")
            .or_else(|| arg.strip_suffix("Id"))
            .filter(|prefix| !prefix.is_empty());
        let found = match named {
            Some(prefix) => nodes.into_iter().find(|n| n.eq_ignore_ascii_case(prefix)),
            // `id` / `ids`: the longest kind the owner names (`ContactMethod`
            // rather than `Contact` in `DeleteContactMethodInput`).
            None => nodes
                .into_iter()
                .filter(|n| owner.to_lowercase().contains(&n.to_lowercase()))
                .max_by_key(|n| n.len()),
        };
        found
            .unwrap_or_else(|| panic!("{key}: which kind of id? add it to ID_KINDS"))
            .to_owned()
    }

    /// The request for `field` with its required arguments; uploads go in
    /// variables named after their argument.
    fn request(&self, field: &RootField, group: &str) -> Request {
        let name = field.def.name.node.as_str();
        let required: Vec<_> = field
            .def
            .arguments
            .iter()
            .map(|a| &a.node)
            .filter(|a| !a.ty.node.nullable && a.default_value.is_none())
            .collect();
        let uploads: Vec<String> = required
            .iter()
            .filter(|a| matches!(&a.ty.node.base, BaseType::Named(n) if n.as_str() == "Upload"))
            .map(|a| a.name.node.to_string())
            .collect();
        let key = field.key();
        let arguments = match ARGUMENTS.iter().find(|(k, _)| *k == key) {
            Some((_, text)) => text.replace("@GROUP@", group),
            None => required
                .iter()
                .map(|a| {
                    let arg = a.name.node.as_str();
                    if uploads.iter().any(|u| u == arg) {
                        format!("{arg}: ${arg}")
                    } else {
                        format!("{arg}: {}", self.literal(&a.ty.node, name, arg))
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        let variables = if uploads.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = uploads.iter().map(|u| format!("${u}: Upload!")).collect();
            format!("({})", list.join(", "))
        };
        let arguments = if arguments.is_empty() {
            arguments
        } else {
            format!("({arguments})")
        };
        let operation = field.root.to_lowercase();
        let selection = self.selection(&field.def.ty.node);
        Request {
            query: format!("{operation}{variables} {{ {name}{arguments}{selection} }}"),
            uploads,
        }
    }
}

struct Request {
    query: String,
    /// Variables that carry an uploaded file.
    uploads: Vec<String>,
}

/// How a caller signs in again.
enum SignIn {
    Staff { email: String },
    Portal { account: String, email: String },
    Nobody,
}

struct Session {
    caller: Caller,
    sign_in: SignIn,
    token: Option<String>,
}

const PORTAL_PASSWORD: &str = "a long portal password";

impl Session {
    async fn fresh_token(&self, server: &TestServer) -> Option<String> {
        match &self.sign_in {
            SignIn::Staff { email } => Some(server.login(email, ADMIN_PASSWORD).await),
            SignIn::Portal { account, email } => {
                let res = server
                    .anonymous()
                    .gql(
                        "mutation($input: PortalLoginInput!) { portalLogin(input: $input) { token } }",
                        json!({ "input": { "accountId": account, "email": email, "password": PORTAL_PASSWORD } }),
                    )
                    .await;
                Some(
                    data(&res)["portalLogin"]["token"]
                        .as_str()
                        .unwrap_or_else(|| panic!("portal login failed: {res}"))
                        .to_owned(),
                )
            }
            SignIn::Nobody => None,
        }
    }

    fn client(&self, server: &TestServer, token: Option<&str>) -> Client {
        match token {
            Some(t) => server.with_token(t),
            None => server.anonymous(),
        }
    }
}

/// The account Acme with a caller of every kind, and the MANAGER's group.
struct World {
    server: TestServer,
    sessions: Vec<Session>,
    group: String,
}

async fn id_at(client: &Client, query: &str, variables: Value, path: &[&str]) -> String {
    let res = client.gql(query, variables).await;
    let mut at = data(&res);
    for key in path {
        at = &at[*key];
    }
    at.as_str()
        .unwrap_or_else(|| panic!("no {path:?} in {res}"))
        .to_owned()
}

async fn world() -> World {
    let server = TestServer::start().await;
    let owner = server.super_admin().await;
    let account = id_at(
        &owner,
        "{ viewer { account { id } } }",
        json!({}),
        &["viewer", "account", "id"],
    )
    .await;

    server.staff("ADMIN", "an-admin@acme.test").await;
    server.staff("MEMBER", "member@acme.test").await;

    server.staff("MEMBER", "custom@acme.test").await;
    let role = id_at(
        &owner,
        &format!(
            "mutation {{ createCustomRole(input: {{ name: \"Back office\", permissions: {CUSTOM_ROLE_PERMISSIONS} }}) {{ role {{ id }} }} }}"
        ),
        json!({}),
        &["createCustomRole", "role", "id"],
    )
    .await;
    let custom = user_id(&owner, "custom@acme.test").await;
    let res = owner
        .gql(
            "mutation($id: ID!, $r: ID) { setUserRole(input: { id: $id, role: MEMBER, customRoleId: $r }) { userErrors { code } } }",
            json!({ "id": custom, "r": role }),
        )
        .await;
    assert_eq!(data(&res)["setUserRole"]["userErrors"], json!([]), "{res}");

    server.staff("MEMBER", "manager@acme.test").await;
    let group = id_at(
        &owner,
        "mutation { createGroup(input: { name: \"Managed\" }) { group { id } } }",
        json!({}),
        &["createGroup", "group", "id"],
    )
    .await;
    let manager = user_id(&owner, "manager@acme.test").await;
    let res = owner
        .gql(
            "mutation($u: ID!, $g: [ID!]) { grantManagerPermission(input: { userId: $u, permission: ADD_DELETE_USERS, groupIds: $g }) { userErrors { code } } }",
            json!({ "u": manager, "g": [group] }),
        )
        .await;
    assert_eq!(
        data(&res)["grantManagerPermission"]["userErrors"],
        json!([]),
        "{res}"
    );

    let res = server
        .anonymous()
        .gql(
            "mutation($input: PortalSignUpInput!) { portalSignUp(input: $input) { token userErrors { code } } }",
            json!({ "input": { "accountId": account, "firstName": "Pat", "lastName": "Portal", "email": "pat@example.com", "password": PORTAL_PASSWORD } }),
        )
        .await;
    assert_eq!(data(&res)["portalSignUp"]["userErrors"], json!([]), "{res}");
    let mail =
        crate::mail::wait_for_mail_to(&server.db.dir.path().join("outbox"), "pat@example.com", 1)
            .await;
    let res = server
        .anonymous()
        .gql(
            "mutation($t: String!) { portalConfirmSignUp(input: { token: $t }) { token userErrors { code } } }",
            json!({ "t": mail[0].token() }),
        )
        .await;
    assert!(
        data(&res)["portalConfirmSignUp"]["token"].is_string(),
        "{res}"
    );

    let other = server.other_account().await;
    let other_email = id_at(
        &other,
        "{ viewer { email } }",
        json!({}),
        &["viewer", "email"],
    )
    .await;

    let staff = |email: &str| SignIn::Staff {
        email: email.to_owned(),
    };
    let mut sessions = Vec::new();
    for caller in CALLERS {
        let sign_in = match caller {
            Caller::SuperAdmin => staff(ADMIN_EMAIL),
            Caller::Admin => staff("an-admin@acme.test"),
            Caller::Member => staff("member@acme.test"),
            Caller::Custom => staff("custom@acme.test"),
            Caller::Manager => staff("manager@acme.test"),
            Caller::Portal => SignIn::Portal {
                account: account.clone(),
                email: "pat@example.com".into(),
            },
            Caller::Anonymous => SignIn::Nobody,
            Caller::Other => staff(&other_email),
        };
        let mut session = Session {
            caller,
            sign_in,
            token: None,
        };
        // Signed in after every grant, so no session predates its rights.
        session.token = session.fresh_token(&server).await;
        sessions.push(session);
    }
    World {
        server,
        sessions,
        group,
    }
}

/// The outcome of an HTTP response, with what decided it.
fn classify(res: &Value) -> (Outcome, String) {
    let errors = res["errors"].as_array().cloned().unwrap_or_default();
    let code = |e: &Value| e["extensions"]["code"].as_str().unwrap_or("").to_owned();
    let describe = |e: &Value| format!("{}: {}", code(e), e["message"].as_str().unwrap_or(""));
    if let Some(e) = errors
        .iter()
        .find(|e| matches!(code(e).as_str(), "FORBIDDEN" | "UNAUTHENTICATED"))
    {
        return (Outcome::Denied, describe(e));
    }
    if let Some(e) = errors.iter().find(|e| {
        matches!(
            code(e).as_str(),
            "GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED" | "INTERNAL" | ""
        )
    }) {
        return (Outcome::Broken, describe(e));
    }
    match errors.first() {
        Some(e) => (Outcome::Allowed, describe(e)),
        None if res.get("data").is_some_and(|d| !d.is_null()) => (Outcome::Allowed, "data".into()),
        None => (Outcome::Broken, format!("neither data nor errors: {res}")),
    }
}

/// Sends `request` over HTTP as `client`.
async fn over_http(client: &Client, request: &Request) -> (Outcome, String) {
    let builder = client.post();
    let builder = if request.uploads.is_empty() {
        builder.json(&json!({ "query": request.query, "variables": {} }))
    } else {
        let variables: serde_json::Map<String, Value> = request
            .uploads
            .iter()
            .map(|u| (u.clone(), Value::Null))
            .collect();
        let map: serde_json::Map<String, Value> = request
            .uploads
            .iter()
            .enumerate()
            .map(|(i, u)| (i.to_string(), json!([format!("variables.{u}")])))
            .collect();
        let mut form = Form::new()
            .text(
                "operations",
                json!({ "query": request.query, "variables": variables }).to_string(),
            )
            .text("map", Value::Object(map).to_string());
        for i in 0..request.uploads.len() {
            form = form.part(
                i.to_string(),
                Part::bytes(UPLOAD.to_vec()).file_name("x.csv"),
            );
        }
        builder.multipart(form)
    };
    let response = match builder.send().await {
        Ok(r) => r,
        Err(err) => return (Outcome::Broken, format!("request failed: {err}")),
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(res) => classify(&res),
        Err(_) => (Outcome::Broken, format!("HTTP {status}: {text}")),
    }
}

/// Runs a subscription over `graphql-transport-ws` and reads its first
/// answer; a stream still quiet after `QUIET` runs, so it was allowed.
async fn over_socket(server: &TestServer, token: Option<&str>, query: &str) -> (Outcome, String) {
    let closed = |msg: &Value| -> (Outcome, String) {
        let code = msg["close"].as_u64().unwrap_or(0);
        let outcome = if matches!(code, 4401 | 4403) {
            Outcome::Denied
        } else {
            Outcome::Broken
        };
        (outcome, format!("closed {code}: {}", msg["reason"]))
    };
    let mut socket = open_socket(server).await;
    let payload = match token {
        Some(t) => json!({ "token": t }),
        None => json!({}),
    };
    send_json(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = next_json(&mut socket).await;
    if ack.get("close").is_some() {
        return closed(&ack);
    }
    if ack["type"] != "connection_ack" {
        return (Outcome::Broken, format!("instead of connection_ack: {ack}"));
    }
    send_json(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    let outcome = match tokio::time::timeout(QUIET, next_json(&mut socket)).await {
        Err(_) => (Outcome::Allowed, "running, quiet".into()),
        Ok(msg) if msg.get("close").is_some() => closed(&msg),
        Ok(msg) => match msg["type"].as_str() {
            Some("error") => classify(&json!({ "errors": msg["payload"] })),
            Some("next") => classify(&msg["payload"]),
            Some("complete") => (Outcome::Allowed, "complete".into()),
            _ => (Outcome::Broken, format!("unexpected message: {msg}")),
        },
    };
    let _ = socket.close(None).await;
    outcome
}

/// A cell of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Allowed,
    Denied,
    /// Allowed today, should be refused.
    Bug,
}

impl Mark {
    /// The answer the server gives today.
    fn today(self) -> Outcome {
        match self {
            Mark::Allowed | Mark::Bug => Outcome::Allowed,
            Mark::Denied => Outcome::Denied,
        }
    }
}

struct Table {
    rows: BTreeMap<String, [Mark; CALLERS.len()]>,
}

impl Table {
    fn parse() -> Table {
        let mut rows = BTreeMap::new();
        for line in TABLE {
            let mut words = line.split_whitespace();
            let field = words.next().expect("a table row names its field");
            let marks: Vec<Mark> = words
                .map(|w| match w {
                    "Y" => Mark::Allowed,
                    "-" => Mark::Denied,
                    "B" => Mark::Bug,
                    other => panic!("table row {field}: {other:?} is not Y, - or B"),
                })
                .collect();
            let marks: [Mark; CALLERS.len()] = marks.try_into().unwrap_or_else(|m: Vec<_>| {
                panic!(
                    "table row {field}: {} columns, not {}",
                    m.len(),
                    CALLERS.len()
                )
            });
            assert!(
                rows.insert(field.to_owned(), marks).is_none(),
                "table row {field} appears twice"
            );
        }
        Table { rows }
    }
}

struct Mismatch {
    field: String,
    caller: Caller,
    expected: Mark,
    got: Outcome,
    detail: String,
}

#[tokio::test]
async fn every_field_refuses_exactly_the_callers_the_table_refuses() {
    let started = Instant::now();
    let sdl = Sdl::parse();
    let table = Table::parse();
    let fields = sdl.root_fields();

    // The table covers the schema exactly.
    let mut problems = Vec::new();
    for field in &fields {
        if !table.rows.contains_key(&field.key()) {
            problems.push(format!(
                "{} is in the schema but not in the table: add a row to TABLE in tests/e2e/authz.rs",
                field.key()
            ));
        }
    }
    for key in table.rows.keys() {
        if !fields.iter().any(|f| &f.key() == key) {
            problems.push(format!(
                "{key} is in the table but not in the schema: remove its row"
            ));
        }
    }
    for (key, _) in ARGUMENTS.iter().chain(ID_KINDS) {
        let known = fields.iter().any(|f| f.key() == *key)
            || key.split_once('.').is_some_and(|(owner, _)| {
                sdl.types.contains_key(owner)
                    || fields.iter().any(|f| f.def.name.node.as_str() == owner)
            });
        if !known {
            problems.push(format!("{key} (ARGUMENTS / ID_KINDS) is not in the schema"));
        }
    }

    let world = world().await;
    let server = &world.server;
    let mut mismatches = Vec::new();
    let mut checks = 0;
    let mut record = |field: &RootField, caller: Caller, (got, detail): (Outcome, String)| {
        checks += 1;
        if std::env::var_os("AUTHZ_VERBOSE").is_some() {
            println!(
                "{:<36} {:<11} {:<7} {}",
                field.key(),
                caller.name(),
                got.name(),
                detail
            );
        }
        let Some(row) = table.rows.get(&field.key()) else {
            return;
        };
        let column = CALLERS.iter().position(|c| *c == caller).unwrap();
        let expected = row[column];
        if got != expected.today() {
            mismatches.push(Mismatch {
                field: field.key(),
                caller,
                expected,
                got,
                detail,
            });
        }
    };

    // Queries and mutations, one caller after another per field, so no two
    // creations race.
    for field in fields.iter().filter(|f| f.root != "Subscription") {
        let request = sdl.request(field, &world.group);
        for session in &world.sessions {
            let token = if ENDS_SESSION.contains(&field.key().as_str()) {
                session.fresh_token(server).await
            } else {
                session.token.clone()
            };
            let client = session.client(server, token.as_deref());
            record(field, session.caller, over_http(&client, &request).await);
        }
    }

    // Subscriptions at once: a quiet stream costs QUIET.
    let subscriptions: Vec<&RootField> =
        fields.iter().filter(|f| f.root == "Subscription").collect();
    let runs = subscriptions.iter().flat_map(|field| {
        let request = sdl.request(field, &world.group);
        assert!(request.uploads.is_empty(), "an upload in a subscription");
        world.sessions.iter().map(move |session| {
            let query = request.query.clone();
            async move {
                let got = over_socket(server, session.token.as_deref(), &query).await;
                (*field, session.caller, got)
            }
        })
    });
    for (field, caller, got) in futures_util::future::join_all(runs).await {
        record(field, caller, got);
    }

    println!(
        "authz: {} fields × {} callers = {checks} checks in {:.1} s",
        fields.len(),
        CALLERS.len(),
        started.elapsed().as_secs_f64()
    );
    let mut report = String::new();
    for problem in &problems {
        let _ = writeln!(report, "  {problem}");
    }
    for m in &mismatches {
        let expected = match m.expected {
            Mark::Bug => "ALLOWED (a known bug: B)",
            mark => mark.today().name(),
        };
        let hint = match (m.expected, m.got) {
            (Mark::Bug, Outcome::Denied) => " - the bug is fixed: turn its B into -",
            _ => "",
        };
        let _ = writeln!(
            report,
            "  {:<36} {:<11} expected {expected}, got {} ({}){hint}",
            m.field,
            m.caller.name(),
            m.got.name(),
            m.detail
        );
    }
    assert!(
        report.is_empty(),
        "the authorization matrix disagrees with the table ({} problems, {} of {checks} checks):\n{report}",
        problems.len(),
        mismatches.len()
    );
}
