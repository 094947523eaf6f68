use async_graphql::{Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::custom_field;

use crate::kernel::ids::GlobalId;

/// What a custom field holds.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::custom_field::Kind")]
pub enum CustomFieldKind {
    /// Text of at most 255 characters.
    Text,
    /// A number, e.g. `12.5`.
    Number,
    /// A date, as `YYYY-MM-DD`.
    Date,
    /// One of the field's choices.
    Choice,
}

/// A field the account defined for its customers.
#[derive(Clone, Debug)]
pub struct CustomField(pub custom_field::Model);

/// A field the account defined for its customers.
#[Object]
impl CustomField {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::custom_field(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the field holds.
    async fn kind(&self) -> CustomFieldKind {
        self.0.kind.into()
    }

    /// The allowed values of a CHOICE field (empty for other kinds).
    async fn choices(&self) -> Vec<String> {
        super::choices(&self.0)
    }

    /// When the field was defined.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A customer's value for a custom field.
#[derive(SimpleObject, Clone, Debug)]
pub struct CustomFieldValue {
    /// The custom field.
    pub field: CustomField,
    /// The value in canonical form: numbers as decimals, dates as
    /// `YYYY-MM-DD`, choices spelled as defined.
    pub value: String,
}
