//! Import options. Where the seeds disagree, both behaviours are offered:
//! duplicates are skipped (seed 000) or update the customer (seed 004);
//! unknown companies are created (seed 000) or refused (seed 004).

use async_graphql::{Enum, InputObject, ID};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What happens to a row whose email is already a customer's.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DuplicateMode {
    /// Leave the existing customer alone (seed 000).
    #[default]
    Skip,
    /// Update the existing customer with the row's values (seed 004).
    Update,
}

/// What happens to a row naming a company the account does not have.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CompanyMode {
    /// Create the company (seed 000).
    #[default]
    CreateMissing,
    /// Refuse the row (seed 004: "create the company before importing").
    RequireExisting,
}

/// Options of `startCustomerImport`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerImportOptions {
    /// Services to give imported customers without a company (customers
    /// with a company get the company's services, as in seed 000).
    #[graphql(default)]
    pub service_ids: Vec<ID>,
    /// Send portal activation emails to imported customers (recorded now,
    /// sent once invitations exist).
    #[graphql(default)]
    pub send_activation_emails: bool,
    /// What to do with a row whose email is already a customer's (default:
    /// SKIP).
    #[graphql(default)]
    pub duplicates: DuplicateMode,
    /// What to do with a row naming a company the account does not have
    /// (default: CREATE_MISSING).
    #[graphql(default)]
    pub companies: CompanyMode,
}

/// The options as stored with the job.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredOptions {
    pub service_ids: Vec<Uuid>,
    pub send_activation_emails: bool,
    pub duplicates: DuplicateMode,
    pub companies: CompanyMode,
}
