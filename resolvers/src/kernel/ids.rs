//! Global ids are `base64url("<Kind>:<uuid>")`: opaque to clients, and they
//! carry the type so `node(id:)` knows which table to read.

use async_graphql::ID;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use uuid::Uuid;

use crate::kernel::error::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Account,
    Activity,
    EmailTemplate,
    Invitation,
    Company,
    Contact,
    ContactMethod,
    CustomField,
    CustomRole,
    Customer,
    Group,
    ImportJob,
    Incident,
    Product,
    ProductFeature,
    ScimToken,
    Service,
    SettingsTemplate,
    User,
}

impl NodeKind {
    pub const ALL: [NodeKind; 19] = [
        NodeKind::Activity,
        NodeKind::EmailTemplate,
        NodeKind::Invitation,
        NodeKind::CustomRole,
        NodeKind::Group,
        NodeKind::Product,
        NodeKind::ProductFeature,
        NodeKind::SettingsTemplate,
        NodeKind::ImportJob,
        NodeKind::Account,
        NodeKind::Company,
        NodeKind::Contact,
        NodeKind::ContactMethod,
        NodeKind::Incident,
        NodeKind::CustomField,
        NodeKind::Customer,
        NodeKind::Service,
        NodeKind::User,
        NodeKind::ScimToken,
    ];

    /// The kind named `name` (as `as_str` spells it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Account => "Account",
            NodeKind::Activity => "Activity",
            NodeKind::EmailTemplate => "EmailTemplate",
            NodeKind::Invitation => "Invitation",
            NodeKind::CustomRole => "CustomRole",
            NodeKind::Group => "Group",
            NodeKind::Product => "Product",
            NodeKind::ProductFeature => "ProductFeature",
            NodeKind::SettingsTemplate => "SettingsTemplate",
            NodeKind::Company => "Company",
            NodeKind::Contact => "Contact",
            NodeKind::ContactMethod => "ContactMethod",
            NodeKind::Incident => "Incident",
            NodeKind::CustomField => "CustomField",
            NodeKind::Customer => "Customer",
            NodeKind::ImportJob => "ImportJob",
            NodeKind::ScimToken => "ScimToken",
            NodeKind::Service => "Service",
            NodeKind::User => "User",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: NodeKind,
    pub id: Uuid,
}

impl GlobalId {
    pub fn account(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Account,
            id,
        }
    }

    pub fn company(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Company,
            id,
        }
    }

    pub fn custom_role(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::CustomRole,
            id,
        }
    }

    pub fn group(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Group,
            id,
        }
    }

    pub fn product(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Product,
            id,
        }
    }

    pub fn product_feature(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::ProductFeature,
            id,
        }
    }

    pub fn settings_template(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::SettingsTemplate,
            id,
        }
    }

    pub fn contact(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Contact,
            id,
        }
    }

    pub fn contact_method(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::ContactMethod,
            id,
        }
    }

    pub fn incident(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Incident,
            id,
        }
    }

    pub fn custom_field(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::CustomField,
            id,
        }
    }

    pub fn customer(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Customer,
            id,
        }
    }

    pub fn import_job(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::ImportJob,
            id,
        }
    }

    pub fn service(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::Service,
            id,
        }
    }

    pub fn user(id: Uuid) -> Self {
        GlobalId {
            kind: NodeKind::User,
            id,
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.kind.as_str(), self.id))
    }

    /// Parses a global id. A malformed id is BAD_USER_INPUT.
    pub fn decode(id: &str) -> Result<Self, ApiError> {
        let malformed = || ApiError::BadUserInput(format!("\"{id}\" is not a valid id"));
        let bytes = URL_SAFE_NO_PAD
            .decode(id.trim_end_matches('='))
            .map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (kind, raw) = text.split_once(':').ok_or_else(malformed)?;
        let kind = NodeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(malformed)?;
        let id = Uuid::parse_str(raw).map_err(|_| malformed())?;
        Ok(GlobalId { kind, id })
    }

    /// Parses an id that must name a `kind` object: an id of another kind is
    /// NOT_FOUND, as it names no such object.
    pub fn expect(id: &str, kind: NodeKind) -> Result<Uuid, ApiError> {
        let gid = Self::decode(id)?;
        if gid.kind != kind {
            return Err(ApiError::not_found(kind.as_str()));
        }
        Ok(gid.id)
    }
}

impl From<GlobalId> for ID {
    fn from(gid: GlobalId) -> Self {
        ID(gid.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let gid = GlobalId::user(Uuid::now_v7());
        assert_eq!(GlobalId::decode(&gid.encode()).unwrap(), gid);
        assert_eq!(
            GlobalId::expect(&gid.encode(), NodeKind::User).unwrap(),
            gid.id
        );
        assert!(matches!(
            GlobalId::expect(&gid.encode(), NodeKind::Account),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn malformed_ids_are_bad_input() {
        for bad in [
            "",
            "x",
            "!!!",
            &URL_SAFE_NO_PAD.encode("User:nope"),
            &URL_SAFE_NO_PAD.encode("Ghost:0191d3b0-0000-7000-8000-000000000000"),
        ] {
            assert!(
                matches!(GlobalId::decode(bad), Err(ApiError::BadUserInput(_))),
                "{bad}"
            );
        }
    }
}
