use async_graphql::{Object, ID};
use roster_entities::service;

use crate::kernel::ids::GlobalId;

/// A service, as the portal shows it: what a customer may submit on.
#[derive(Clone, Debug)]
pub struct PortalService(pub service::Model);

#[Object]
impl PortalService {
    pub async fn id(&self) -> ID {
        GlobalId::service(self.0.id).into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
}
