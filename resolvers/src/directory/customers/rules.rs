//! Checks of customer values against the account's data: unique addresses,
//! the denylist, and which services may be granted.

use async_graphql::ID;
use roster_entities::{company_service, customer_email, denylist_entry};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::validate::CleanCustomer;
use crate::{
    kernel::error::{ApiError, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::scope::Tenant,
};

/// Problems with the customer's addresses: used by another customer
/// (`except` is the customer being edited), or denylisted.
pub async fn check_addresses(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    clean: &CleanCustomer,
    except: Option<Uuid>,
) -> Result<Vec<UserError>, ApiError> {
    let mut fields: Vec<(String, &str)> = vec![("email".into(), clean.email_key.as_str())];
    for (i, (_, key)) in clean.email_aliases.iter().enumerate() {
        fields.push((format!("emailAliases.{i}"), key.as_str()));
    }
    let keys: Vec<String> = fields.iter().map(|(_, k)| k.to_string()).collect();
    let used = Tenant(account_id)
        .find::<customer_email::Entity>()
        .filter(customer_email::Column::EmailKey.is_in(keys.clone()))
        .all(db)
        .await?;
    let denied = Tenant(account_id)
        .find::<denylist_entry::Entity>()
        .filter(denylist_entry::Column::EmailKey.is_in(keys))
        .all(db)
        .await?;
    let mut errors = Vec::new();
    for (field, key) in &fields {
        if used
            .iter()
            .any(|u| u.email_key == *key && Some(u.customer_id) != except)
        {
            errors.push(UserError::new(
                field,
                UserErrorCode::Taken,
                "is already used by another customer",
            ));
        } else if denied.iter().any(|d| d.email_key == *key) {
            errors.push(UserError::new(
                field,
                UserErrorCode::NotAllowed,
                "is on the account's denylist",
            ));
        }
    }
    Ok(errors)
}

/// The company a `companyId` input names, or a NOT_FOUND user error.
pub async fn company(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: &ID,
) -> Result<Result<Uuid, UserError>, ApiError> {
    let not_found = || {
        UserError::new(
            "companyId",
            UserErrorCode::NotFound,
            format!("no such company: {}", id.as_str()),
        )
    };
    let Ok(uuid) = GlobalId::expect(id, NodeKind::Company) else {
        return Ok(Err(not_found()));
    };
    match crate::directory::companies::find(db, account_id, uuid).await {
        Ok(company) => Ok(Ok(company.id)),
        Err(ApiError::NotFound(_)) => Ok(Err(not_found())),
        Err(err) => Err(err),
    }
}

/// With a company, a customer may only be given the company's services.
pub async fn services_allowed(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    company_id: Option<Uuid>,
    field: &str,
    services: &[Uuid],
) -> Result<Option<UserError>, ApiError> {
    let Some(company_id) = company_id else {
        return Ok(None);
    };
    if services.is_empty() {
        return Ok(None);
    }
    let offered: Vec<Uuid> = Tenant(account_id)
        .find::<company_service::Entity>()
        .filter(company_service::Column::CompanyId.eq(company_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.service_id)
        .collect();
    if services.iter().all(|s| offered.contains(s)) {
        return Ok(None);
    }
    Ok(Some(UserError::new(
        field,
        UserErrorCode::NotAllowed,
        "only services the customer's company has access to can be given",
    )))
}
