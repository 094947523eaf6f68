use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::account;

use crate::kernel::ids::GlobalId;

/// An account: the organisation whose people Roster manages. Nothing is
/// shared between accounts.
#[derive(Clone, Debug)]
pub struct Account(pub account::Model);

/// An account: the organisation whose people Roster manages. Nothing is
/// shared between accounts.
#[Object]
impl Account {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::account(self.0.id).into()
    }

    /// The account's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether customers may sign themselves up on the portal.
    async fn portal_self_registration(&self) -> bool {
        self.0.portal_self_registration
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
