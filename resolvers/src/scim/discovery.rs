//! What the service provider supports and what its resources look like
//! (RFC 7643 §5–7): `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`.
//! Only what Roster stores is advertised, so a client never sends an
//! attribute that would be dropped.

use serde_json::{json, Value};

use super::error::{ScimError, ScimResult};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Most operations in one `/Bulk` request.
pub const BULK_MAX_OPERATIONS: usize = 10_000;
/// Largest `/Bulk` body, in bytes.
pub const BULK_MAX_PAYLOAD: usize = 16 * 1024 * 1024;
/// Most resources in one page of a list.
pub const MAX_RESULTS: usize = 1_000;

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG],
        "documentationUri": "https://github.com/roster/roster#directory-sync",
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": BULK_MAX_OPERATIONS,
            "maxPayloadSize": BULK_MAX_PAYLOAD
        },
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token created by an admin with the GraphQL mutation createScimToken, sent as `Authorization: Bearer <token>`.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    })
}

fn resource_type(base: &str, name: &str) -> Value {
    let (endpoint, schema, extensions) = if name == "User" {
        (
            "/Users",
            USER,
            json!([{"schema": ENTERPRISE, "required": false}]),
        )
    } else {
        ("/Groups", GROUP, json!([]))
    };
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": if name == "User" { "A staff user of the account" } else { "A group of staff users" },
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")}
    })
}

struct Attr {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    mutability: &'static str,
    returned: &'static str,
    uniqueness: &'static str,
    description: &'static str,
    canonical: &'static [&'static str],
    reference_types: &'static [&'static str],
    sub: Vec<Attr>,
}

fn attr(name: &'static str, kind: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind,
        multi: false,
        required: false,
        mutability: "readWrite",
        returned: "default",
        uniqueness: "none",
        description,
        canonical: &[],
        reference_types: &[],
        sub: Vec::new(),
    }
}

impl Attr {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    fn read_only(mut self) -> Self {
        self.mutability = "readOnly";
        self
    }
    fn immutable(mut self) -> Self {
        self.mutability = "immutable";
        self
    }
    fn unique(mut self) -> Self {
        self.uniqueness = "server";
        self
    }
    fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }
    fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }
    fn sub(mut self, sub: Vec<Attr>) -> Self {
        self.sub = sub;
        self
    }
    fn json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            // Every advertised string compares ignoring case (ids and
            // externalId are common attributes, not listed here).
            "caseExact": false,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        });
        if !self.canonical.is_empty() {
            v["canonicalValues"] = json!(self.canonical);
        }
        if !self.reference_types.is_empty() {
            v["referenceTypes"] = json!(self.reference_types);
        }
        if !self.sub.is_empty() {
            v["subAttributes"] = Value::Array(self.sub.iter().map(Attr::json).collect());
        }
        v
    }
}

/// The languages Roster speaks, as `preferredLanguage` values.
pub const LANGUAGES: &[&str] = &["de", "en", "es", "pt", "fr", "it"];

fn user_attributes() -> Vec<Attr> {
    vec![
        attr("userName", "string", "Unique identifier of the user in the account, usually their sign-in email.")
            .required()
            .unique(),
        attr("name", "complex", "The user's names.")
            .required()
            .sub(vec![
                attr("familyName", "string", "Family name (Roster keeps its first 32 characters).").required(),
                attr("givenName", "string", "Given name (Roster keeps its first 32 characters).").required(),
            ]),
        attr("displayName", "string", "The name as displayed: given and family name.").read_only(),
        attr("active", "boolean", "false suspends the user and frees their seats; true makes a suspended user active again."),
        attr("preferredLanguage", "string", "The language of the user's mail and interface: de, en, es, pt, fr or it (a tag such as en-US counts as en; others mean en)."),
        attr("emails", "complex", "The user's email: the address they sign in with (at most 128 characters, unique among all users). Only a directory changes it.")
            .multi()
            .required()
            .sub(vec![
                attr("value", "string", "The address.").required(),
                attr("type", "string", "The kind of address.").canonical(&["work", "home", "other"]),
                attr("primary", "boolean", "The address Roster uses, when several are sent (else the first of type work, else the first)."),
            ]),
        attr("phoneNumbers", "complex", "Phone numbers. A number of type work with 2 to 8 digits sets the user's phone extension.")
            .multi()
            .sub(vec![
                attr("value", "string", "The number."),
                attr("type", "string", "The kind of number.").canonical(&["work", "mobile", "home", "fax", "pager", "other"]),
                attr("primary", "boolean", "The preferred number."),
            ]),
        attr("groups", "complex", "The groups the user is in; change them through the groups' members.")
            .multi()
            .read_only()
            .sub(vec![
                attr("value", "string", "The group's id.").read_only(),
                attr("$ref", "reference", "The group's URI.").read_only().refs(&["Group"]),
                attr("display", "string", "The group's name.").read_only(),
                attr("type", "string", "Always direct.").read_only().canonical(&["direct"]),
            ]),
    ]
}

fn enterprise_attributes() -> Vec<Attr> {
    vec![
        attr("employeeNumber", "string", "The user's employee number."),
        attr("department", "string", "The user's department."),
        attr(
            "manager",
            "complex",
            "The user's manager, another user of the account.",
        )
        .sub(vec![
            attr("value", "string", "The manager's id."),
            attr("$ref", "reference", "The manager's URI.").refs(&["User"]),
        ]),
    ]
}

fn group_attributes() -> Vec<Attr> {
    vec![
        attr(
            "displayName",
            "string",
            "The group's name, unique in the account (at most 255 characters).",
        )
        .required()
        .unique(),
        attr("members", "complex", "The users in the group.")
            .multi()
            .sub(vec![
                attr("value", "string", "The user's id.").immutable(),
                attr("$ref", "reference", "The user's URI.")
                    .immutable()
                    .refs(&["User"]),
                attr("type", "string", "User (groups hold users only).")
                    .immutable()
                    .canonical(&["User", "Group"]),
            ]),
    ]
}

fn schema(base: &str, id: &str) -> Option<Value> {
    let (name, description, attributes) = match id {
        USER => ("User", "A staff user of the account", user_attributes()),
        GROUP => ("Group", "A group of staff users", group_attributes()),
        ENTERPRISE => ("EnterpriseUser", "Enterprise user", enterprise_attributes()),
        _ => return None,
    };
    Some(json!({
        "schemas": [SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(Attr::json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")}
    }))
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

pub fn resource_types(base: &str, id: Option<&str>) -> ScimResult<Value> {
    match id {
        None => Ok(list(vec![
            resource_type(base, "User"),
            resource_type(base, "Group"),
        ])),
        Some(id) if id == "User" || id == "Group" => Ok(resource_type(base, id)),
        Some(id) => Err(ScimError::not_found(format!("no resource type {id}"))),
    }
}

pub fn schemas(base: &str, id: Option<&str>) -> ScimResult<Value> {
    match id {
        None => Ok(list(
            [USER, ENTERPRISE, GROUP]
                .iter()
                .filter_map(|s| schema(base, s))
                .collect(),
        )),
        Some(id) => schema(base, id).ok_or_else(|| ScimError::not_found(format!("no schema {id}"))),
    }
}

/// Keeps the attributes of `attrs` a client may write (case-insensitive,
/// renamed to their declared spelling), recursively; drops the rest.
fn keep_declared(v: &Value, attrs: &[Attr]) -> Value {
    let Value::Object(map) = v else {
        return Value::Null;
    };
    let mut out = serde_json::Map::new();
    for a in attrs {
        if a.mutability == "readOnly" {
            continue;
        }
        let Some((_, value)) = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(a.name)) else {
            continue;
        };
        let kept = match (a.kind, value) {
            (_, Value::Null) => continue,
            ("complex", Value::Array(items)) if a.multi => Value::Array(
                items
                    .iter()
                    .map(|i| keep_declared(i, &a.sub))
                    .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                    .collect(),
            ),
            ("complex", Value::Object(_)) if a.multi => {
                Value::Array(vec![keep_declared(value, &a.sub)])
            }
            ("complex", Value::Object(_)) => keep_declared(value, &a.sub),
            ("boolean", Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            ("boolean", Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            (_, other) => other.clone(),
        };
        let empty = match &kept {
            Value::Object(o) => o.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Null => true,
            _ => false,
        };
        if !empty {
            out.insert(a.name.to_owned(), kept);
        }
    }
    Value::Object(out)
}

/// A user as a client wrote it, less what Roster does not keep: the
/// declared, writable attributes, `externalId`, and the enterprise
/// extension's (booleans sent as strings become booleans).
pub fn writable_user(v: &Value) -> Value {
    let mut out = keep_declared(v, &user_attributes());
    if let (Some(x), Value::Object(o)) = (super::filter::field(v, "externalId"), &mut out) {
        if x.as_str().is_some_and(|s| !s.is_empty()) {
            o.insert("externalId".into(), x.clone());
        }
    }
    if let Some(ext) = super::filter::field(v, ENTERPRISE) {
        let kept = keep_declared(ext, &enterprise_attributes());
        if kept.as_object().is_some_and(|o| !o.is_empty()) {
            out[ENTERPRISE] = kept;
        }
    }
    out
}
