use async_graphql::{Object, ID};
use roster_entities::service;

use crate::kernel::ids::GlobalId;

/// A service, as the portal shows it: what a customer may submit on.
#[derive(Clone, Debug)]
pub struct PortalService(pub service::Model);

/// A service, as the portal shows it: what a customer may submit on.
#[Object]
impl PortalService {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::service(self.0.id).into()
    }

    /// The service's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the service is about; null when not set.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
}
