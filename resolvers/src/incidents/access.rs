//! What a portal customer may do with incidents, by access level (seed 000):
//!
//! | level         | submits on                       | sees and modifies            |
//! |---------------|----------------------------------|------------------------------|
//! | STANDARD      | services granted to them         | their own incidents          |
//! | COMPANY       | services their company has       | their own incidents          |
//! | COMPANY_ADMIN | services their company has       | every employee's incidents   |
//! | NO_ACCESS     | nothing (no portal session)      | nothing                      |

use roster_entities::{
    company_service, customer,
    customer::PortalAccess,
    customer_service::{self, ServiceAccess},
    incident, service,
};
use sea_orm::{sea_query::Query, ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::kernel::{auth::PortalViewer, error::ApiError, scope::Tenant};

/// Where a customer's services come from.
#[derive(Debug, PartialEq, Eq)]
pub enum ServiceSource {
    /// Services granted to the customer with portal access.
    Granted,
    /// Services of the customer's company (none without a company).
    Company(Option<Uuid>),
    None,
}

pub fn service_source(viewer: &PortalViewer) -> ServiceSource {
    match viewer.access {
        PortalAccess::Standard => ServiceSource::Granted,
        PortalAccess::Company | PortalAccess::CompanyAdmin => {
            ServiceSource::Company(viewer.company_id)
        }
        PortalAccess::NoAccess => ServiceSource::None,
    }
}

/// The services `viewer` may submit incidents on, by name.
pub async fn submittable_services(
    db: &impl ConnectionTrait,
    viewer: &PortalViewer,
) -> Result<Vec<service::Model>, ApiError> {
    let ids = match service_source(viewer) {
        ServiceSource::Granted => Query::select()
            .column(customer_service::Column::ServiceId)
            .from(customer_service::Entity)
            .and_where(customer_service::Column::CustomerId.eq(viewer.customer_id))
            .and_where(customer_service::Column::Access.eq(ServiceAccess::PortalAccess))
            .to_owned(),
        ServiceSource::Company(Some(company_id)) => Query::select()
            .column(company_service::Column::ServiceId)
            .from(company_service::Entity)
            .and_where(company_service::Column::CompanyId.eq(company_id))
            .to_owned(),
        ServiceSource::Company(None) | ServiceSource::None => return Ok(Vec::new()),
    };
    Ok(Tenant(viewer.account_id)
        .find::<service::Entity>()
        .filter(service::Column::Id.in_subquery(ids))
        .order_by_asc(service::Column::NameKey)
        .all(db)
        .await?)
}

/// The incidents `viewer` may see and modify: their own, and with
/// COMPANY_ADMIN those of every customer of their company.
pub fn visible(viewer: &PortalViewer) -> Condition {
    let account = incident::Column::AccountId.eq(viewer.account_id);
    let own = incident::Column::CustomerId.eq(viewer.customer_id);
    match (viewer.access, viewer.company_id) {
        (PortalAccess::CompanyAdmin, Some(company_id)) => {
            let employees = Query::select()
                .column(customer::Column::Id)
                .from(customer::Entity)
                .and_where(customer::Column::AccountId.eq(viewer.account_id))
                .and_where(customer::Column::CompanyId.eq(company_id))
                .to_owned();
            Condition::all()
                .add(account)
                .add(incident::Column::CustomerId.in_subquery(employees))
        }
        // Ids are never null: nothing matches.
        (PortalAccess::NoAccess, _) => Condition::all().add(incident::Column::Id.is_null()),
        _ => Condition::all().add(account).add(own),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(access: PortalAccess, company: bool) -> PortalViewer {
        PortalViewer {
            customer_id: Uuid::nil(),
            account_id: Uuid::nil(),
            session_id: Uuid::nil(),
            access,
            company_id: company.then(Uuid::nil),
        }
    }

    #[test]
    fn services_come_from_the_level() {
        use PortalAccess::*;
        assert_eq!(
            service_source(&viewer(Standard, true)),
            ServiceSource::Granted
        );
        assert_eq!(
            service_source(&viewer(Company, true)),
            ServiceSource::Company(Some(Uuid::nil()))
        );
        assert_eq!(
            service_source(&viewer(CompanyAdmin, false)),
            ServiceSource::Company(None)
        );
        assert_eq!(service_source(&viewer(NoAccess, true)), ServiceSource::None);
    }
}
