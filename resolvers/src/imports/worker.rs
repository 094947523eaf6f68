//! The background worker of imports. It claims a job (a conditional UPDATE,
//! so one instance works on a job at a time; a job whose worker stopped
//! sending heartbeats is taken over), then validates it or writes it.
//! Writing commits each batch together with the job's resume point
//! (`written_through`), so a restarted worker continues after the last
//! committed batch and every valid row is written exactly once.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use chrono::Utc;
use roster_entities::{
    company, company_service, customer, customer_email, customer_service, denylist_entry,
    import_file_chunk,
    import_job::{self, Phase},
    import_row::{self, Action},
};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    csv_file::{self, Columns},
    object::ImportIssue,
    options::{CompanyMode, DuplicateMode, StoredOptions},
};
use crate::{
    context::AppState,
    customers::validate::{self, CleanCustomer, CustomerDraft},
    error::{ApiError, UserErrorCode},
    events::Event,
};

/// Rows validated per chunk (and per multi-row insert of results).
const VALIDATE_CHUNK: usize = 1_000;
/// Rows written per transaction.
const WRITE_BATCH: u64 = 500;
/// A claim without a heartbeat for this long is taken over.
const STALE: Duration = Duration::from_secs(15);
/// Batches after which PostgreSQL's table statistics are refreshed. Once
/// they describe a non-empty table the planner scales its estimates with the
/// table's size, so two early refreshes are enough.
const ANALYZE_AT: [u32; 2] = [0, 2];

/// Least time between two progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What a valid row will write.
#[derive(Serialize, Deserialize)]
struct RowData {
    values: CleanCustomer,
    company: Option<String>,
    /// The customer to update (UPDATE rows).
    existing: Option<Uuid>,
    /// Columns present in the file: an update changes only those.
    present: Vec<String>,
}

/// Starts the worker; it runs until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match claim(&state).await {
                Ok(Some(job)) => run(&state, job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = state.jobs.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    }
                }
                Err(err) => {
                    tracing::error!(%err, "import worker cannot claim a job");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    })
}

fn claimable(me: Uuid) -> Condition {
    let stale = Utc::now() - chrono::Duration::from_std(STALE).unwrap_or_default();
    Condition::any()
        .add(import_job::Column::ClaimedBy.is_null())
        .add(import_job::Column::ClaimedBy.eq(me))
        .add(import_job::Column::HeartbeatAt.lt(stale))
}

/// The next job needing work, claimed for this instance. Deliberately
/// across accounts: the worker serves every tenant.
async fn claim(state: &AppState) -> Result<Option<import_job::Model>, ApiError> {
    let me = state.instance_id;
    let working = [Phase::Uploaded, Phase::Validating, Phase::Importing];
    let Some(job) = import_job::Entity::find()
        .filter(import_job::Column::Phase.is_in(working))
        .filter(claimable(me))
        .order_by_asc(import_job::Column::CreatedAt)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let claimed = import_job::Entity::update_many()
        .col_expr(import_job::Column::ClaimedBy, Expr::value(me))
        .col_expr(import_job::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(import_job::Column::Id.eq(job.id))
        .filter(import_job::Column::Phase.eq(job.phase))
        .filter(claimable(me))
        .exec(&state.db)
        .await?;
    Ok((claimed.rows_affected == 1).then_some(job))
}

async fn run(state: &AppState, job: import_job::Model) {
    let id = job.id;
    let result = match job.phase {
        Phase::Uploaded | Phase::Validating => validate_job(state, job).await,
        Phase::Importing => write_job(state, job).await,
        _ => Ok(()),
    };
    if let Err(err) = result {
        tracing::error!(job_id = %id, %err, "import failed");
        let message = match &err {
            ApiError::Internal(_) => {
                "the import stopped on an internal error; start it again".to_owned()
            }
            other => other.to_string(),
        };
        let _ = import_job::Entity::update_many()
            .col_expr(import_job::Column::Phase, Expr::value(Phase::Failed))
            .col_expr(import_job::Column::Failure, Expr::value(message))
            .col_expr(
                import_job::Column::ClaimedBy,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import_job::Column::Id.eq(id))
            .exec(&state.db)
            .await;
        let _ = import_file_chunk::Entity::delete_many()
            .filter(import_file_chunk::Column::JobId.eq(id))
            .exec(&state.db)
            .await;
        publish(state, id, &mut None).await;
    }
}

/// Publishes the job's state, at most every PROGRESS_EVERY unless forced
/// (`last` None).
async fn publish(state: &AppState, id: Uuid, last: &mut Option<Instant>) {
    if let Some(at) = last {
        if at.elapsed() < PROGRESS_EVERY {
            return;
        }
    }
    if let Ok(Some(job)) = import_job::Entity::find_by_id(id).one(&state.db).await {
        state.events.publish(Event::ImportProgress(job));
        *last = Some(Instant::now());
    }
}

async fn phase_of(db: &DatabaseConnection, id: Uuid) -> Result<Option<Phase>, ApiError> {
    Ok(import_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|j| j.phase))
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
        _ => "",
    }
    .to_owned()
}

fn issue(column: &str, code: UserErrorCode, message: impl Into<String>) -> ImportIssue {
    ImportIssue {
        column: (!column.is_empty()).then(|| column.to_owned()),
        code,
        message: message.into(),
    }
}

struct Checked {
    row_number: i64,
    result: Result<RowData, Vec<ImportIssue>>,
}

/// Reads an import's stored file chunk by chunk, for the blocking parser.
struct ChunkReader {
    db: DatabaseConnection,
    job_id: Uuid,
    runtime: tokio::runtime::Handle,
    next: i32,
    buffer: Vec<u8>,
    at: usize,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buffer.len() {
            let chunk = self
                .runtime
                .block_on(
                    import_file_chunk::Entity::find_by_id((self.job_id, self.next)).one(&self.db),
                )
                .map_err(std::io::Error::other)?;
            match chunk {
                Some(chunk) => {
                    self.buffer = chunk.data;
                    self.at = 0;
                    self.next += 1;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buffer.len() - self.at);
        out[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// What the parser thread sends.
enum Parsed {
    Rows(Vec<Checked>),
    Refused(String),
}

/// Parses and checks rows on a blocking thread (the pure work), while the
/// async side checks them against the database and stores the results; the
/// small channel keeps memory flat whatever the file size.
fn parse(
    state: &AppState,
    job_id: Uuid,
    options: StoredOptions,
    companies: HashMap<String, Uuid>,
) -> tokio::sync::mpsc::Receiver<Parsed> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let reader = ChunkReader {
        db: state.db.clone(),
        job_id,
        runtime: tokio::runtime::Handle::current(),
        next: 0,
        buffer: Vec::new(),
        at: 0,
    };
    tokio::task::spawn_blocking(move || {
        let refuse = |tx: &tokio::sync::mpsc::Sender<Parsed>, why: String| {
            let _ = tx.blocking_send(Parsed::Refused(why));
        };
        let mut csv = match csv_file::open(reader) {
            Ok(csv) => csv,
            Err(e) => return refuse(&tx, e.to_string()),
        };
        let header = match csv.headers() {
            Ok(h) => h.clone(),
            Err(e) => return refuse(&tx, csv_file::file_error(&e).to_string()),
        };
        let columns = match Columns::from_header(&header) {
            Ok(c) => c,
            Err(e) => return refuse(&tx, e.to_string()),
        };
        let present: Vec<String> = columns.index.keys().map(|k| k.to_string()).collect();
        let mut chunk = Vec::with_capacity(VALIDATE_CHUNK);
        let mut record = csv::StringRecord::new();
        let mut index = 0i64;
        loop {
            let row_number = index + 2;
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    index += 1;
                    if record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let result =
                        check_row(&columns, &header, &record, &options, &companies, &present);
                    chunk.push(Checked { row_number, result });
                }
                Err(e) => {
                    index += 1;
                    let problem = csv_file::file_error(&e).to_string();
                    chunk.push(Checked {
                        row_number,
                        result: Err(vec![issue("", UserErrorCode::Invalid, problem)]),
                    });
                }
            }
            if chunk.len() == VALIDATE_CHUNK
                && tx
                    .blocking_send(Parsed::Rows(std::mem::take(&mut chunk)))
                    .is_err()
            {
                return;
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(Parsed::Rows(chunk));
        }
    });
    rx
}

fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
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

async fn validate_job(state: &AppState, job: import_job::Model) -> Result<(), ApiError> {
    let db = &state.db;
    let id = job.id;
    let account_id = job.account_id;
    let options: StoredOptions = serde_json::from_str(&job.options).map_err(ApiError::internal)?;
    import_row::Entity::delete_many()
        .filter(import_row::Column::JobId.eq(id))
        .exec(db)
        .await?;
    import_job::Entity::update_many()
        .col_expr(import_job::Column::Phase, Expr::value(Phase::Validating))
        .col_expr(import_job::Column::ValidatedRows, Expr::value(0i64))
        .col_expr(import_job::Column::ToCreate, Expr::value(0i64))
        .col_expr(import_job::Column::ToUpdate, Expr::value(0i64))
        .col_expr(import_job::Column::ToSkip, Expr::value(0i64))
        .col_expr(import_job::Column::ErrorCount, Expr::value(0i64))
        .filter(import_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    let mut last_progress = None;
    publish(state, id, &mut None).await;

    let companies: HashMap<String, Uuid> = company::Entity::find()
        .filter(company::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.name_key, c.id))
        .collect();
    let mut parsed = parse(state, id, options.clone(), companies);
    // Every address seen so far, as a hash → the row it was first seen on.
    // (8 bytes a key: memory stays small as files grow; a hit is confirmed
    // against the row itself.)
    let mut first_seen: HashMap<u64, i64> = HashMap::new();

    while let Some(message) = parsed.recv().await {
        let chunk = match message {
            Parsed::Refused(why) => return Err(ApiError::BadUserInput(why)),
            Parsed::Rows(chunk) => chunk,
        };
        if phase_of(db, id).await? != Some(Phase::Validating) {
            return Ok(()); // cancelled meanwhile
        }

        // Checks against the account's data, for the whole chunk at once.
        let keys: Vec<String> = chunk
            .iter()
            .filter_map(|c| c.result.as_ref().ok())
            .flat_map(|d| {
                std::iter::once(d.values.email_key.clone())
                    .chain(d.values.email_aliases.iter().map(|(_, k)| k.clone()))
            })
            .collect();
        let used: HashMap<String, (Uuid, bool)> = customer_email::Entity::find()
            .filter(customer_email::Column::AccountId.eq(account_id))
            .filter(customer_email::Column::EmailKey.is_in(keys.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.email_key, (e.customer_id, e.is_primary)))
            .collect();
        let denied: HashSet<String> = denylist_entry::Entity::find()
            .filter(denylist_entry::Column::AccountId.eq(account_id))
            .filter(denylist_entry::Column::EmailKey.is_in(keys))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.email_key)
            .collect();

        let mut pending: HashMap<i64, Vec<String>> = HashMap::new();
        let mut rows = Vec::with_capacity(chunk.len());
        let (mut create, mut update, mut skip, mut error) = (0i64, 0i64, 0i64, 0i64);
        for checked in chunk {
            let (action, data, issues) = match checked.result {
                Err(issues) => (Action::Error, None, issues),
                Ok(mut data) => {
                    let key = data.values.email_key.clone();
                    let mut issues = Vec::new();
                    let earlier = |k: &str| first_seen.get(&key_hash(k)).copied();
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
                            first_seen.entry(key_hash(k)).or_insert(checked.row_number);
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
            match action {
                Action::Create => create += 1,
                Action::Update => update += 1,
                Action::Skip => skip += 1,
                Action::Error => error += 1,
            }
            rows.push(import_row::ActiveModel {
                job_id: Set(id),
                row_number: Set(checked.row_number),
                action: Set(action),
                data: Set(data.map(|d| serde_json::to_string(&d).unwrap_or_default())),
                issues: Set(serde_json::to_string(&issues).unwrap_or_else(|_| "[]".into())),
            });
        }
        let checked = rows.len() as i64;
        let txn = db.begin().await?;
        import_row::Entity::insert_many(rows).exec(&txn).await?;
        import_job::Entity::update_many()
            .col_expr(
                import_job::Column::ValidatedRows,
                Expr::col(import_job::Column::ValidatedRows).add(checked),
            )
            .col_expr(
                import_job::Column::ToCreate,
                Expr::col(import_job::Column::ToCreate).add(create),
            )
            .col_expr(
                import_job::Column::ToUpdate,
                Expr::col(import_job::Column::ToUpdate).add(update),
            )
            .col_expr(
                import_job::Column::ToSkip,
                Expr::col(import_job::Column::ToSkip).add(skip),
            )
            .col_expr(
                import_job::Column::ErrorCount,
                Expr::col(import_job::Column::ErrorCount).add(error),
            )
            .col_expr(import_job::Column::HeartbeatAt, Expr::value(Utc::now()))
            .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import_job::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        publish(state, id, &mut last_progress).await;
    }

    import_job::Entity::update_many()
        .col_expr(
            import_job::Column::Phase,
            Expr::value(Phase::AwaitingConfirmation),
        )
        .col_expr(
            import_job::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::Phase.eq(Phase::Validating))
        .exec(db)
        .await?;
    publish(state, id, &mut None).await;
    Ok(())
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
        time_zone: None,
        locale: None,
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
            present: present.to_vec(),
        }),
        _ => Err(issues),
    }
}

async fn write_job(state: &AppState, job: import_job::Model) -> Result<(), ApiError> {
    let db = &state.db;
    let id = job.id;
    let account_id = job.account_id;
    let options: StoredOptions = serde_json::from_str(&job.options).map_err(ApiError::internal)?;
    let mut last_progress = None;
    let mut batches = 0u32;
    loop {
        let current = import_job::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("Import job"))?;
        if current.phase != Phase::Importing {
            return Ok(());
        }
        let rows = import_row::Entity::find()
            .filter(import_row::Column::JobId.eq(id))
            .filter(import_row::Column::RowNumber.gt(current.written_through))
            .filter(import_row::Column::Action.is_in([Action::Create, Action::Update]))
            .order_by_asc(import_row::Column::RowNumber)
            .limit(WRITE_BATCH)
            .all(db)
            .await?;
        let Some(last_row) = rows.last().map(|r| r.row_number) else {
            break;
        };
        if ANALYZE_AT.contains(&batches) {
            refresh_statistics(db).await?;
        }
        batches += 1;
        let txn = db.begin().await?;
        let (created, updated, failed) = write_batch(&txn, id, account_id, &options, rows).await?;
        import_job::Entity::update_many()
            .col_expr(import_job::Column::WrittenThrough, Expr::value(last_row))
            .col_expr(
                import_job::Column::Created,
                Expr::col(import_job::Column::Created).add(created),
            )
            .col_expr(
                import_job::Column::Updated,
                Expr::col(import_job::Column::Updated).add(updated),
            )
            .col_expr(
                import_job::Column::Failed,
                Expr::col(import_job::Column::Failed).add(failed),
            )
            .col_expr(import_job::Column::HeartbeatAt, Expr::value(Utc::now()))
            .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import_job::Column::Id.eq(id))
            .filter(import_job::Column::WrittenThrough.eq(current.written_through))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        publish(state, id, &mut last_progress).await;
    }
    let done = import_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Import job"))?;
    import_job::Entity::update_many()
        .col_expr(import_job::Column::Phase, Expr::value(Phase::Completed))
        .col_expr(
            import_job::Column::WrittenThrough,
            Expr::value(done.total_rows + 1),
        )
        .col_expr(import_job::Column::Skipped, Expr::value(done.to_skip))
        .col_expr(
            import_job::Column::Failed,
            Expr::value(done.failed + done.error_count),
        )
        .col_expr(
            import_job::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::Phase.eq(Phase::Importing))
        .exec(db)
        .await?;
    import_file_chunk::Entity::delete_many()
        .filter(import_file_chunk::Column::JobId.eq(id))
        .exec(db)
        .await?;
    publish(state, id, &mut None).await;
    Ok(())
}

/// An import grows tables fast, from empty: PostgreSQL's planner would
/// keep the empty-table statistics (and scan instead of using indexes) until
/// autovacuum runs. Refreshing them keeps each batch's lookups cheap.
async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), ApiError> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE customer_emails, companies, import_rows")
            .await?;
    }
    Ok(())
}

/// Writes one batch of rows; returns (created, updated, failed).
async fn write_batch(
    txn: &impl ConnectionTrait,
    job_id: Uuid,
    account_id: Uuid,
    options: &StoredOptions,
    rows: Vec<import_row::Model>,
) -> Result<(i64, i64, i64), ApiError> {
    let now = Utc::now();
    let mut parsed: Vec<(i64, RowData)> = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(data) = row
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<RowData>(d).ok())
        {
            parsed.push((row.row_number, data));
        }
    }

    // Companies named by the batch: found, or created (CREATE_MISSING).
    let mut names: Vec<(String, String)> = parsed
        .iter()
        .filter_map(|(_, d)| d.company.clone())
        .map(|n| (n.to_lowercase(), n))
        .collect();
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    let mut companies: HashMap<String, Uuid> = HashMap::new();
    if !names.is_empty() {
        let keys: Vec<String> = names.iter().map(|(k, _)| k.clone()).collect();
        let find = || {
            company::Entity::find()
                .filter(company::Column::AccountId.eq(account_id))
                .filter(company::Column::NameKey.is_in(keys.clone()))
        };
        companies.extend(
            find()
                .all(txn)
                .await?
                .into_iter()
                .map(|c| (c.name_key, c.id)),
        );
        let missing: Vec<_> = names
            .iter()
            .filter(|(k, _)| !companies.contains_key(k))
            .map(|(k, n)| company::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: Set(account_id),
                name: Set(n.clone()),
                name_key: Set(k.clone()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        if !missing.is_empty() && options.companies == CompanyMode::CreateMissing {
            let inserted = company::Entity::insert_many(missing)
                .on_conflict(
                    OnConflict::columns([company::Column::AccountId, company::Column::NameKey])
                        .do_nothing()
                        .to_owned(),
                )
                .exec(txn)
                .await;
            match inserted {
                Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
                Err(err) => return Err(err.into()),
            }
            companies.extend(
                find()
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|c| (c.name_key, c.id)),
            );
        }
    }
    let mut company_services: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !companies.is_empty() {
        for link in company_service::Entity::find()
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
    let taken: HashMap<String, Uuid> = customer_email::Entity::find()
        .filter(customer_email::Column::AccountId.eq(account_id))
        .filter(customer_email::Column::EmailKey.is_in(keys))
        .all(txn)
        .await?
        .into_iter()
        .map(|e| (e.email_key, e.customer_id))
        .collect();

    let portal = if options.send_activation_emails {
        customer::PortalAccess::Standard
    } else {
        customer::PortalAccess::NoAccess
    };
    let (mut customers, mut emails, mut grants) = (Vec::new(), Vec::new(), Vec::new());
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
        if conflict || (data.company.is_some() && company_id.is_none()) {
            failed += 1;
            let why = if conflict {
                "an address of this row was taken by another customer before the import"
            } else {
                "the company no longer exists"
            };
            import_row::Entity::update_many()
                .col_expr(import_row::Column::Action, Expr::value(Action::Error))
                .col_expr(
                    import_row::Column::Issues,
                    Expr::value(
                        serde_json::to_string(&[issue("", UserErrorCode::Taken, why)])
                            .unwrap_or_default(),
                    ),
                )
                .filter(import_row::Column::JobId.eq(job_id))
                .filter(import_row::Column::RowNumber.eq(row_number))
                .exec(txn)
                .await?;
            continue;
        }
        let services = match company_id {
            Some(c) => company_services.get(&c).cloned().unwrap_or_default(),
            None => options.service_ids.clone(),
        };
        let customer_id = match data.existing {
            Some(existing) => {
                update_existing(txn, account_id, existing, &data, company_id).await?;
                updated += 1;
                existing
            }
            None => {
                let customer_id = Uuid::now_v7();
                customers.push(customer::ActiveModel {
                    id: Set(customer_id),
                    account_id: Set(account_id),
                    sort_name: Set(v.sort_name()),
                    first_name: Set(v.first_name.clone()),
                    last_name: Set(v.last_name.clone()),
                    email: Set(v.email.clone()),
                    email_key: Set(v.email_key.clone()),
                    company_id: Set(company_id),
                    office_phone: Set(v.office_phone.clone()),
                    mobile_phone: Set(v.mobile_phone.clone()),
                    other_phone: Set(v.other_phone.clone()),
                    fax: Set(v.fax.clone()),
                    address: Set(v.address.clone()),
                    job_title: Set(v.job_title.clone()),
                    department: Set(v.department.clone()),
                    notes: Set(v.notes.clone()),
                    email_format: Set(customer::EmailFormat::Html),
                    feedback_emails: Set(true),
                    time_zone: Set(None),
                    locale: Set(None),
                    portal_access: Set(portal),
                    avatar_token: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                for (position, (email, key, primary)) in
                    std::iter::once((v.email.clone(), v.email_key.clone(), true))
                        .chain(
                            v.email_aliases
                                .iter()
                                .map(|(a, k)| (a.clone(), k.clone(), false)),
                        )
                        .enumerate()
                {
                    emails.push(customer_email::ActiveModel {
                        account_id: Set(account_id),
                        email_key: Set(key),
                        customer_id: Set(customer_id),
                        email: Set(email),
                        is_primary: Set(primary),
                        position: Set(position as i32),
                    });
                }
                created += 1;
                customer_id
            }
        };
        for service_id in services {
            grants.push(customer_service::ActiveModel {
                account_id: Set(account_id),
                customer_id: Set(customer_id),
                service_id: Set(service_id),
                access: Set(customer_service::ServiceAccess::PortalAccess),
            });
        }
    }
    // 24 columns × 500 rows stays under SQLite's 32,766 bound parameters.
    if !customers.is_empty() {
        customer::Entity::insert_many(customers).exec(txn).await?;
    }
    for chunk in chunks(emails, 5_000) {
        customer_email::Entity::insert_many(chunk).exec(txn).await?;
    }
    for chunk in chunks(grants, 5_000) {
        let result = customer_service::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    customer_service::Column::CustomerId,
                    customer_service::Column::ServiceId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec(txn)
            .await;
        match result {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok((created, updated, failed))
}

fn chunks<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        out.push(items.by_ref().take(size).collect());
    }
    out
}

/// UPDATE mode: the file's columns overwrite the customer's values.
async fn update_existing(
    txn: &impl ConnectionTrait,
    account_id: Uuid,
    customer_id: Uuid,
    data: &RowData,
    company_id: Option<Uuid>,
) -> Result<(), ApiError> {
    let v = &data.values;
    let has = |c: &str| data.present.iter().any(|p| p == c);
    let mut update = customer::Entity::update_many()
        .col_expr(
            customer::Column::FirstName,
            Expr::value(v.first_name.clone()),
        )
        .col_expr(customer::Column::SortName, Expr::value(v.sort_name()))
        .col_expr(customer::Column::UpdatedAt, Expr::value(Utc::now()));
    let text_columns: [(&str, customer::Column, &Option<String>); 8] = [
        (
            "office_phone",
            customer::Column::OfficePhone,
            &v.office_phone,
        ),
        (
            "mobile_phone",
            customer::Column::MobilePhone,
            &v.mobile_phone,
        ),
        ("other_phone", customer::Column::OtherPhone, &v.other_phone),
        ("fax", customer::Column::Fax, &v.fax),
        ("address", customer::Column::Address, &v.address),
        ("job_title", customer::Column::JobTitle, &v.job_title),
        ("department", customer::Column::Department, &v.department),
        ("notes", customer::Column::Notes, &v.notes),
    ];
    if has("last_name") {
        update = update.col_expr(customer::Column::LastName, Expr::value(v.last_name.clone()));
    }
    for (name, column, value) in text_columns {
        if has(name) {
            update = update.col_expr(column, Expr::value(value.clone()));
        }
    }
    if has("Company") {
        update = update.col_expr(customer::Column::CompanyId, Expr::value(company_id));
    }
    update
        .filter(customer::Column::Id.eq(customer_id))
        .filter(customer::Column::AccountId.eq(account_id))
        .exec(txn)
        .await?;
    if has("email_aliases") {
        customer_email::Entity::delete_many()
            .filter(customer_email::Column::CustomerId.eq(customer_id))
            .filter(customer_email::Column::IsPrimary.eq(false))
            .exec(txn)
            .await?;
        let aliases: Vec<_> = v
            .email_aliases
            .iter()
            .enumerate()
            .map(|(i, (alias, key))| customer_email::ActiveModel {
                account_id: Set(account_id),
                email_key: Set(key.clone()),
                customer_id: Set(customer_id),
                email: Set(alias.clone()),
                is_primary: Set(false),
                position: Set(i as i32 + 1),
            })
            .collect();
        if !aliases.is_empty() {
            customer_email::Entity::insert_many(aliases)
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}
