//! Customer imports (seeds 000 and 004): the row format, the checks of a
//! row on its own and against the account (addresses in use, the denylist,
//! duplicates inside the file), and the writing of a batch.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use roster_entities::{
    company, company_service, customer, customer_email, customer_service, denylist_entry,
    import_job,
    import_row::{self, Action},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    csv_file::{self, Columns, Format},
    object::ImportIssue,
    options::{CompanyMode, DuplicateMode, StoredOptions},
    seen::{self, Seen},
    worker::{issue, refuse, Checked, Kind, RowCheck, Written},
};
use crate::kernel::scope::Tenant;
use crate::{
    directory::customers::{
        validate::{self, CleanCustomer, CustomerDraft},
        write::{self, Addresses, Change, NewCustomer},
    },
    kernel::bulk::{self, OnDuplicate},
    kernel::context::AppState,
    kernel::error::{ApiError, UserErrorCode},
};

/// Addresses looked up per statement (within SQLite's 32,766 bound values).
const KEYS_PER_LOOKUP: usize = 10_000;

/// What a valid row will write.
#[derive(Serialize, Deserialize)]
pub struct RowData {
    values: CleanCustomer,
    company: Option<String>,
    /// The customer to update (UPDATE rows).
    existing: Option<Uuid>,
    /// Columns present in the file: an update changes only those. Kept
    /// only when the import may update (the same for every row).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    present: Vec<String>,
}

/// The CSV column an error of the customer validator belongs to.
fn column_of(field: &[String]) -> String {
    match field.first().map(String::as_str) {
        Some("firstName") => "first_name",
        Some("lastName") => "last_name",
        Some("email") => "email",
        Some("emailAliases") => "email_aliases",
        Some("officePhone") => "office_phone",
        Some("mobilePhone") => "mobile_phone",
        Some("otherPhone") => "other_phone",
        Some("fax") => "fax",
        Some("address") => "address",
        Some("jobTitle") => "job_title",
        Some("department") => "department",
        Some("timeZone") => "time_zone",
        Some("locale") => "locale",
        _ => "",
    }
    .to_owned()
}

/// The checks of a row on its own, run on the parser thread.
pub struct CustomerRowCheck {
    options: StoredOptions,
    companies: HashMap<String, Uuid>,
}

impl RowCheck for CustomerRowCheck {
    type Row = RowData;

    fn check(
        &self,
        columns: &Columns,
        header: &csv::StringRecord,
        record: &csv::StringRecord,
        present: &[String],
    ) -> Result<RowData, Vec<ImportIssue>> {
        check_row(
            columns,
            header,
            record,
            &self.options,
            &self.companies,
            present,
        )
    }
}

/// Checks one row on its own (no database).
fn check_row(
    columns: &Columns,
    header: &csv::StringRecord,
    record: &csv::StringRecord,
    options: &StoredOptions,
    companies: &HashMap<String, Uuid>,
    present: &[String],
) -> Result<RowData, Vec<ImportIssue>> {
    if record.len() > header.len()
        && record
            .iter()
            .skip(header.len())
            .any(|c| !c.trim().is_empty())
    {
        return Err(vec![issue(
            "",
            UserErrorCode::Invalid,
            format!(
                "has {} cells but the header has {}",
                record.len(),
                header.len()
            ),
        )]);
    }
    let get = |column: &str| columns.get(record, column).unwrap_or_default().to_owned();
    let optional = |column: &str| columns.get(record, column).map(str::to_owned);
    let draft = CustomerDraft {
        first_name: get("first_name"),
        last_name: get("last_name"),
        email: get("email"),
        email_aliases: get("email_aliases")
            .split([',', ';'])
            .map(str::to_owned)
            .collect(),
        office_phone: optional("office_phone"),
        mobile_phone: optional("mobile_phone"),
        other_phone: optional("other_phone"),
        fax: optional("fax"),
        address: optional("address"),
        job_title: optional("job_title"),
        department: optional("department"),
        notes: optional("notes"),
        time_zone: optional("time_zone"),
        locale: optional("locale"),
    };
    let mut issues = Vec::new();
    let values = match validate::validate(&draft) {
        Ok(values) => Some(values),
        Err(errors) => {
            issues.extend(
                errors
                    .into_iter()
                    .map(|e| issue(&column_of(&e.field), e.code, e.message)),
            );
            None
        }
    };
    let company = get("Company").trim().to_owned();
    let company = (!company.is_empty()).then_some(company);
    if let Some(name) = &company {
        if name.chars().count() > validate::TEXT_MAX {
            issues.push(issue(
                "Company",
                UserErrorCode::TooLong,
                format!("is longer than {} characters", validate::TEXT_MAX),
            ));
        } else if options.companies == CompanyMode::RequireExisting
            && !companies.contains_key(&name.to_lowercase())
        {
            issues.push(issue(
                "Company",
                UserErrorCode::NotFound,
                format!("no company named \"{name}\"; create it first"),
            ));
        }
    }
    match values {
        Some(values) if issues.is_empty() => Ok(RowData {
            values,
            company,
            existing: None,
            present: match options.duplicates {
                DuplicateMode::Update => present.to_vec(),
                DuplicateMode::Skip => Vec::new(),
            },
        }),
        _ => Err(issues),
    }
}

/// The addresses of an earlier row of the job: from the current chunk, or
/// (for rows already stored) from the database.
async fn addresses_of(
    db: &DatabaseConnection,
    job_id: Uuid,
    row: i64,
    pending: &HashMap<i64, Vec<String>>,
) -> Vec<String> {
    if let Some(keys) = pending.get(&row) {
        return keys.clone();
    }
    let stored = import_row::Entity::find_by_id((job_id, row))
        .one(db)
        .await
        .ok()
        .flatten();
    stored
        .and_then(|r| r.data)
        .and_then(|d| serde_json::from_str::<RowData>(&d).ok())
        .map(|d| {
            std::iter::once(d.values.email_key)
                .chain(d.values.email_aliases.into_iter().map(|(_, k)| k))
                .collect()
        })
        .unwrap_or_default()
}

/// A customer import in progress.
pub struct Customers {
    options: StoredOptions,
    /// Every address seen so far, and the row it was first seen on.
    seen: Seen,
    /// The addresses of the previous chunk's rows, which may still be on
    /// their way to the database while the next chunk is checked.
    in_flight: HashMap<i64, Vec<String>>,
}

impl Kind for Customers {
    type Check = CustomerRowCheck;
    const FORMAT: &'static Format = &csv_file::CUSTOMERS;

    async fn prepare(
        state: &AppState,
        job: &import_job::Model,
    ) -> Result<(Self, CustomerRowCheck), ApiError> {
        let options: StoredOptions =
            serde_json::from_str(&job.options).map_err(ApiError::internal)?;
        let companies: HashMap<String, Uuid> = Tenant(job.account_id)
            .find::<company::Entity>()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.name_key, c.id))
            .collect();
        let kind = Customers {
            options: options.clone(),
            seen: Seen::new(job.id, state.import_keys_in_memory),
            in_flight: HashMap::new(),
        };
        Ok((kind, CustomerRowCheck { options, companies }))
    }

    async fn check_chunk(
        &mut self,
        db: &DatabaseConnection,
        job: &import_job::Model,
        chunk: Vec<Checked<RowData>>,
    ) -> Result<Vec<import_row::ActiveModel>, ApiError> {
        let id = job.id;
        let account_id = job.account_id;
        let options = &self.options;
        // Checks against the account's data, for the whole chunk at once.
        let keys: Vec<String> = chunk
            .iter()
            .filter_map(|c| c.result.as_ref().ok())
            .flat_map(|d| {
                std::iter::once(d.values.email_key.clone())
                    .chain(d.values.email_aliases.iter().map(|(_, k)| k.clone()))
            })
            .collect();
        // In pieces: rows may list any number of aliases, and a statement
        // binds at most 32,766 values on SQLite.
        let mut used: HashMap<String, (Uuid, bool)> = HashMap::new();
        let mut denied: HashSet<String> = HashSet::new();
        for keys in keys.chunks(KEYS_PER_LOOKUP) {
            used.extend(
                Tenant(account_id)
                    .find::<customer_email::Entity>()
                    .filter(customer_email::Column::EmailKey.is_in(keys.iter().cloned()))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|e| (e.email_key, (e.customer_id, e.is_primary))),
            );
            denied.extend(
                Tenant(account_id)
                    .find::<denylist_entry::Entity>()
                    .filter(denylist_entry::Column::EmailKey.is_in(keys.iter().cloned()))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|d| d.email_key),
            );
        }
        // The rows on which the chunk's addresses were seen before; the
        // chunk's own rows join them as they pass.
        let hashes: Vec<u64> = keys.iter().map(|k| seen::key_of(k)).collect();
        let mut seen_on = self.seen.earlier(db, &hashes).await?;
        let first_row = chunk.first().map(|c| c.row_number).unwrap_or_default();
        let mut pending = std::mem::take(&mut self.in_flight);
        let mut rows = Vec::with_capacity(chunk.len());
        for checked in chunk {
            let (action, data, issues) = match checked.result {
                Err(issues) => (Action::Error, None, issues),
                Ok(mut data) => {
                    let key = data.values.email_key.clone();
                    let mut issues = Vec::new();
                    let earlier = |k: &str| seen_on.get(&seen::key_of(k)).copied();
                    let duplicate_of = match earlier(&key) {
                        Some(row) if addresses_of(db, id, row, &pending).await.contains(&key) => {
                            Some(row)
                        }
                        _ => None,
                    };
                    if let Some(first) = duplicate_of {
                        issues.push(issue("email", UserErrorCode::Taken, format!("duplicate of row {first} (same email); only row {first} is imported")));
                    } else if denied.contains(&key) {
                        issues.push(issue(
                            "email",
                            UserErrorCode::NotAllowed,
                            "is on the account's denylist",
                        ));
                    }
                    for (i, (alias, alias_key)) in data.values.email_aliases.iter().enumerate() {
                        let owner = used.get(&key).map(|u| u.0);
                        let taken = used.get(alias_key).is_some_and(|(o, _)| Some(*o) != owner);
                        let in_file = match earlier(alias_key) {
                            Some(row) => addresses_of(db, id, row, &pending)
                                .await
                                .contains(alias_key),
                            None => false,
                        };
                        if taken || in_file {
                            issues.push(issue(
                                "email_aliases",
                                UserErrorCode::Taken,
                                format!("{alias} (alias {}) is already another customer's", i + 1),
                            ));
                        }
                    }
                    if !issues.is_empty() {
                        (Action::Error, None, issues)
                    } else {
                        let addresses: Vec<String> = std::iter::once(key.clone())
                            .chain(data.values.email_aliases.iter().map(|(_, k)| k.clone()))
                            .collect();
                        for k in &addresses {
                            let key = seen::key_of(k);
                            if let std::collections::hash_map::Entry::Vacant(new) =
                                seen_on.entry(key)
                            {
                                new.insert(checked.row_number);
                                self.seen.record(key, checked.row_number);
                            }
                        }
                        pending.insert(checked.row_number, addresses);
                        match used.get(&key) {
                            Some((_, false)) => (
                                Action::Error,
                                None,
                                vec![issue(
                                    "email",
                                    UserErrorCode::Taken,
                                    "is another customer's email alias",
                                )],
                            ),
                            Some((owner, true)) => match options.duplicates {
                                DuplicateMode::Skip => (
                                    Action::Skip,
                                    None,
                                    vec![issue(
                                        "email",
                                        UserErrorCode::Taken,
                                        "a customer with this email exists; skipped",
                                    )],
                                ),
                                DuplicateMode::Update => {
                                    data.existing = Some(*owner);
                                    (Action::Update, Some(data), Vec::new())
                                }
                            },
                            None => (Action::Create, Some(data), Vec::new()),
                        }
                    }
                }
            };
            rows.push(import_row::ActiveModel {
                job_id: Set(id),
                row_number: Set(checked.row_number),
                action: Set(action),
                data: Set(data.map(|d| serde_json::to_string(&d).unwrap_or_default())),
                issues: Set(serde_json::to_string(&issues).unwrap_or_else(|_| "[]".into())),
            });
        }
        pending.retain(|row, _| *row >= first_row);
        self.in_flight = pending;
        self.seen.settle(db).await?;
        Ok(rows)
    }

    const CONCURRENT_BATCHES: bool = true;
    const SETTLE: Option<&'static str> = Some("VACUUM (ANALYZE) customers, customer_emails");
    /// Statistics from a sample of each index (`analysis_limit`): enough
    /// to tell the planner how many customers an account holds.
    const SETTLE_SQLITE: Option<&'static str> = Some(
        "PRAGMA analysis_limit = 1000; ANALYZE customers; ANALYZE customer_emails; ANALYZE companies",
    );

    /// Each row's number and data.
    type Batch = Vec<(i64, RowData)>;

    fn parse(rows: Vec<import_row::Model>) -> Self::Batch {
        rows.into_iter()
            .filter_map(|row| {
                let data = serde_json::from_str::<RowData>(row.data.as_deref()?).ok()?;
                Some((row.row_number, data))
            })
            .collect()
    }

    async fn prepare_batch(
        db: &DatabaseConnection,
        job: &import_job::Model,
        batch: &Self::Batch,
    ) -> Result<(), ApiError> {
        let options: StoredOptions =
            serde_json::from_str(&job.options).map_err(ApiError::internal)?;
        if options.companies == CompanyMode::CreateMissing {
            create_companies(db, job.account_id, batch).await?;
        }
        Ok(())
    }

    async fn before_writing(
        _txn: &DatabaseTransaction,
        _job: &import_job::Model,
    ) -> Result<Result<(), String>, ApiError> {
        Ok(Ok(()))
    }

    async fn write_batch(
        state: &AppState,
        txn: &DatabaseTransaction,
        job: &import_job::Model,
        batch: Self::Batch,
    ) -> Result<Written, ApiError> {
        let options: StoredOptions =
            serde_json::from_str(&job.options).map_err(ApiError::internal)?;
        let (created, updated, failed, new_ids) =
            write_batch(txn, job.id, job.account_id, &options, batch).await?;
        // Portal activation mail for the new customers, if the import asked.
        let invitations = if options.send_activation_emails && !new_ids.is_empty() {
            let ids = sea_orm::sea_query::Query::select()
                .column(customer::Column::Id)
                .from(customer::Entity)
                .and_where(customer::Column::Id.is_in(new_ids))
                .to_owned();
            crate::mail::activate_customers(txn, state, job.account_id, ids).await?
        } else {
            Vec::new()
        };
        Ok(Written {
            created,
            updated,
            failed,
            invitations,
        })
    }
}

/// Writes one batch of rows; returns (created, updated, failed, new ids).
async fn write_batch(
    txn: &impl ConnectionTrait,
    job_id: Uuid,
    account_id: Uuid,
    options: &StoredOptions,
    parsed: Vec<(i64, RowData)>,
) -> Result<(i64, i64, i64, Vec<Uuid>), ApiError> {
    let tenant = Tenant(account_id);
    let now = Utc::now();

    // Companies named by the batch (created beforehand by `prepare_batch`
    // when the import may create them).
    let mut keys: Vec<String> = parsed
        .iter()
        .filter_map(|(_, d)| d.company.as_ref().map(|n| n.to_lowercase()))
        .collect();
    keys.sort();
    keys.dedup();
    let companies: HashMap<String, Uuid> = if keys.is_empty() {
        HashMap::new()
    } else {
        tenant
            .find::<company::Entity>()
            .filter(company::Column::NameKey.is_in(keys))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.name_key, c.id))
            .collect()
    };
    let mut company_services: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !companies.is_empty() {
        for link in tenant
            .find::<company_service::Entity>()
            .filter(company_service::Column::CompanyId.is_in(companies.values().copied()))
            .all(txn)
            .await?
        {
            company_services
                .entry(link.company_id)
                .or_default()
                .push(link.service_id);
        }
    }

    // Addresses taken since validation make their row fail, not the batch.
    let keys: Vec<String> = parsed
        .iter()
        .flat_map(|(_, d)| {
            std::iter::once(d.values.email_key.clone())
                .chain(d.values.email_aliases.iter().map(|(_, k)| k.clone()))
        })
        .collect();
    let mut taken: HashMap<String, Uuid> = HashMap::new();
    // Emails denylisted since validation: their rows fail too.
    let mut denied: HashSet<String> = HashSet::new();
    for keys in keys.chunks(KEYS_PER_LOOKUP) {
        denied.extend(
            tenant
                .find::<denylist_entry::Entity>()
                .select_only()
                .column(denylist_entry::Column::EmailKey)
                .filter(denylist_entry::Column::EmailKey.is_in(keys.iter().cloned()))
                .into_tuple::<String>()
                .all(txn)
                .await?,
        );
        taken.extend(
            tenant
                .find::<customer_email::Entity>()
                .filter(customer_email::Column::EmailKey.is_in(keys.iter().cloned()))
                .all(txn)
                .await?
                .into_iter()
                .map(|e| (e.email_key, e.customer_id)),
        );
    }

    let portal = if options.send_activation_emails {
        customer::PortalAccess::Standard
    } else {
        customer::PortalAccess::NoAccess
    };
    let mut customers = Vec::new();
    let mut new_ids = Vec::new();
    let (mut created, mut updated, mut failed) = (0i64, 0i64, 0i64);
    for (row_number, data) in parsed {
        let v = &data.values;
        let conflict = std::iter::once(&v.email_key)
            .chain(v.email_aliases.iter().map(|(_, k)| k))
            .any(|k| {
                taken
                    .get(k)
                    .is_some_and(|owner| Some(*owner) != data.existing)
            });
        let company_id = data
            .company
            .as_ref()
            .and_then(|n| companies.get(&n.to_lowercase()).copied());
        let refused = if denied.contains(&v.email_key) {
            Some(issue(
                "email",
                UserErrorCode::NotAllowed,
                "was put on the account's denylist before the import",
            ))
        } else if conflict {
            Some(issue(
                "",
                UserErrorCode::Taken,
                "an address of this row was taken by another customer before the import",
            ))
        } else if data.company.is_some() && company_id.is_none() {
            Some(issue(
                "Company",
                UserErrorCode::NotFound,
                "the company no longer exists",
            ))
        } else {
            None
        };
        if let Some(why) = refused {
            failed += 1;
            refuse(txn, job_id, row_number, why).await?;
            continue;
        }
        let services: Vec<_> = match company_id {
            Some(c) => company_services.get(&c).cloned().unwrap_or_default(),
            None => options.service_ids.clone(),
        }
        .into_iter()
        .map(|service_id| (service_id, customer_service::ServiceAccess::PortalAccess))
        .collect();
        match data.existing {
            Some(existing) => {
                let has = |c: &str| data.present.iter().any(|p| p == c);
                // The file's columns only; the primary address is the row's
                // match key and stays as stored.
                let columns = [
                    ("first_name", customer::Column::FirstName),
                    ("last_name", customer::Column::LastName),
                    ("office_phone", customer::Column::OfficePhone),
                    ("mobile_phone", customer::Column::MobilePhone),
                    ("other_phone", customer::Column::OtherPhone),
                    ("fax", customer::Column::Fax),
                    ("address", customer::Column::Address),
                    ("job_title", customer::Column::JobTitle),
                    ("department", customer::Column::Department),
                    ("notes", customer::Column::Notes),
                    ("time_zone", customer::Column::TimeZone),
                    ("locale", customer::Column::Locale),
                ]
                .into_iter()
                .filter(|(name, column)| has(name) || matches!(column, customer::Column::FirstName))
                .map(|(_, column)| column)
                .collect();
                let change = Change {
                    values: data.values,
                    columns: write::Columns::Only(columns),
                    addresses: if has("email_aliases") {
                        Addresses::Aliases
                    } else {
                        Addresses::Keep
                    },
                    company: has("Company").then_some(company_id),
                    email_format: None,
                    feedback_emails: None,
                    portal_access: None,
                    services,
                };
                // A customer deleted since the preview leaves nothing to
                // update: its erasure blanked this row's data too.
                write::update(txn, tenant, existing, change, now).await?;
                updated += 1;
            }
            None => {
                let new = NewCustomer {
                    company_id,
                    portal_access: portal,
                    services,
                    ..NewCustomer::new(data.values)
                };
                new_ids.push(new.id);
                customers.push(new);
                created += 1;
            }
        }
    }
    write::insert_many(txn, tenant, customers, now).await?;
    Ok((created, updated, failed, new_ids))
}

/// Creates the companies a batch names that do not exist yet, in a
/// transaction of their own (so batches written at once never wait on each
/// other's new companies).
async fn create_companies(
    db: &DatabaseConnection,
    account_id: Uuid,
    batch: &[(i64, RowData)],
) -> Result<(), ApiError> {
    let mut names: Vec<(String, String)> = batch
        .iter()
        .filter_map(|(_, d)| d.company.clone())
        .map(|n| (n.to_lowercase(), n))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    let existing: HashSet<String> = Tenant(account_id)
        .find::<company::Entity>()
        .filter(company::Column::NameKey.is_in(names.iter().map(|(k, _)| k.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.name_key)
        .collect();
    let now = Utc::now();
    let missing: Vec<_> = names
        .into_iter()
        .filter(|(k, _)| !existing.contains(k))
        .map(|(key, name)| {
            Tenant(account_id).row(crate::directory::companies::new_row(name, key, now))
        })
        .collect();
    bulk::insert(db, missing, OnDuplicate::Skip).await?;
    Ok(())
}
