//! The background worker of imports. It claims a job (a conditional UPDATE,
//! so one instance works on a job at a time; a job whose worker stopped
//! sending heartbeats is taken over), then validates it or writes it.
//! Writing commits each batch together with the job's resume point
//! (`written_through`), so a restarted worker continues after the last
//! committed batch and every valid row is written exactly once.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use chrono::Utc;
use roster_entities::{
    import_file_chunk,
    import_job::{self, Phase},
    import_row::{self, Action},
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{
    csv_file::{self, Columns, Format},
    customers::Customers,
    object::ImportIssue,
    seen::Seen,
    users::Users,
};
use crate::{
    kernel::bulk::{self, OnDuplicate},
    kernel::context::AppState,
    kernel::error::{ApiError, UserErrorCode},
    kernel::events::Event,
    kernel::scope::Tenant,
};

/// Rows validated per chunk (and per multi-row insert of results).
const VALIDATE_CHUNK: usize = 2_000;
/// Rows written per transaction. `bulk::insert` splits them into
/// statements within each database's limits; larger batches spread the
/// fixed cost of a batch (its lookups, the job's update, the commit) over
/// more rows.
const WRITE_BATCH: u64 = 4_000;

/// Opens an import transaction. On PostgreSQL its commit does not wait for
/// the WAL flush: the job's resume point is committed with the rows, so a
/// crash loses at most the last batches' work, never their consistency, and
/// the restarted job writes them again.
async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, ApiError> {
    let txn = db.begin().await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    Ok(txn)
}
/// A claim without a heartbeat for this long is taken over.
const STALE: Duration = Duration::from_secs(15);
/// When PostgreSQL's table statistics are refreshed (see
/// `refresh_statistics`): before the first batch, and after the second
/// batch, once the written tables are no longer empty. The planner then
/// scales its estimates with the tables' size.
const ANALYZE_AT: [(u32, &str); 2] = [
    (0, "ANALYZE import_rows"),
    (2, "ANALYZE customer_emails, companies"),
];

/// Least time between two progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The checks of one row on its own, run on the parser thread.
pub trait RowCheck: Send + 'static {
    /// What a valid row will write.
    type Row: Send + 'static;

    fn check(
        &self,
        columns: &Columns,
        header: &csv::StringRecord,
        record: &csv::StringRecord,
        present: &[String],
    ) -> Result<Self::Row, Vec<ImportIssue>>;
}

/// What an import of one kind of record (customers, users) adds to the
/// shared pipeline: its file format, its checks, and how a batch is written.
pub trait Kind: Sized + Send + 'static {
    type Check: RowCheck;
    const FORMAT: &'static Format;

    /// Reads what the job's rows are checked against.
    fn prepare(
        state: &AppState,
        job: &import_job::Model,
    ) -> impl Future<Output = Result<(Self, Self::Check), ApiError>> + Send;

    /// Checks a chunk of rows against the account (and earlier rows) and
    /// returns the rows to store for the preview.
    fn check_chunk(
        &mut self,
        db: &DatabaseConnection,
        job: &import_job::Model,
        chunk: Vec<Checked<<Self::Check as RowCheck>::Row>>,
    ) -> impl Future<Output = Result<Vec<import_row::ActiveModel>, ApiError>> + Send;

    /// Whether two batches may be written at once (each in its own
    /// transaction, committed in order) where the database allows it.
    const CONCURRENT_BATCHES: bool;
    /// Run on PostgreSQL once the import completed (in the background):
    /// the written tables' upkeep, such as merging the search indexes'
    /// pending entries so that searches keep using them.
    const SETTLE: Option<&'static str> = None;
    /// The same on SQLite. Its planner has no statistics until ANALYZE
    /// runs, and without them it takes an account for a handful of rows:
    /// a keyword search then walks the account's customers in name order
    /// (0.7 s at 1,000,000) instead of reading its few matches.
    const SETTLE_SQLITE: Option<&'static str> = None;

    /// A batch's confirmed rows as `write_batch` takes them.
    type Batch: Send + 'static;

    /// Parses a batch's stored rows (each has its data).
    fn parse(rows: Vec<import_row::Model>) -> Self::Batch;

    /// Runs before a batch's transaction opens, in its own: creates what
    /// the batch refers to and concurrent batches might both create.
    fn prepare_batch(
        db: &DatabaseConnection,
        job: &import_job::Model,
        batch: &Self::Batch,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Runs in the transaction of the first batch; an `Err` fails the job
    /// with that reason and writes nothing.
    fn before_writing(
        txn: &DatabaseTransaction,
        job: &import_job::Model,
    ) -> impl Future<Output = Result<Result<(), String>, ApiError>> + Send;

    /// Runs in the transaction that marks a job FAILED while it was being
    /// written: gives back what `before_writing` reserved for rows that
    /// were never written.
    fn abandon(
        txn: &DatabaseTransaction,
        job: &import_job::Model,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        let _ = (txn, job);
        async { Ok(()) }
    }

    /// Writes one batch of confirmed rows.
    fn write_batch(
        state: &AppState,
        txn: &DatabaseTransaction,
        job: &import_job::Model,
        batch: Self::Batch,
    ) -> impl Future<Output = Result<Written, ApiError>> + Send;
}

/// Starts the worker; it runs until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !state.stopping.is_set() {
            match claim(&state).await {
                Ok(Some(job)) => run(&state, job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = state.jobs.notified() => {}
                        _ = state.stopping.wait() => {}
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
    // all accounts: the worker claims the next job of any account.
    let Some(job) = import_job::Entity::find()
        .filter(import_job::Column::Phase.is_in(working))
        .filter(claimable(me))
        .order_by_asc(import_job::Column::CreatedAt)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let claimed = Tenant(job.account_id)
        .update_many::<import_job::Entity>()
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
    let users = job.kind == super::users::KIND;
    let result = match (job.phase, users) {
        (Phase::Uploaded | Phase::Validating, false) => validate_job::<Customers>(state, job).await,
        (Phase::Uploaded | Phase::Validating, true) => validate_job::<Users>(state, job).await,
        (Phase::Importing, false) => write_job::<Customers>(state, job).await,
        (Phase::Importing, true) => write_job::<Users>(state, job).await,
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
        let failed = if users {
            fail::<Users>(state, id, message).await
        } else {
            fail::<Customers>(state, id, message).await
        };
        match failed {
            Ok(true) => publish(state, id, &mut None).await,
            Ok(false) => {
                tracing::warn!(job_id = %id, "import taken over by another worker; left to it")
            }
            Err(err) => tracing::error!(job_id = %id, %err, "cannot mark the import failed"),
        }
    }
}

/// Marks a job this worker still holds FAILED, gives back what its writing
/// reserved and drops its file. A job another worker took over meanwhile is
/// theirs: it is left alone (`false`).
async fn fail<K: Kind>(state: &AppState, id: Uuid, message: String) -> Result<bool, ApiError> {
    let txn = state.db.begin().await?;
    // all accounts: the worker serves every account; a job is addressed by its id.
    let before = import_job::Entity::find_by_id(id).one(&txn).await?;
    // all accounts: the worker serves every account; a job is addressed by its id.
    let marked = import_job::Entity::update_many()
        .col_expr(import_job::Column::Phase, Expr::value(Phase::Failed))
        .col_expr(import_job::Column::Failure, Expr::value(message))
        .col_expr(
            import_job::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::ClaimedBy.eq(state.instance_id))
        .filter(import_job::Column::Phase.is_in([
            Phase::Uploaded,
            Phase::Validating,
            Phase::Importing,
        ]))
        .exec(&txn)
        .await?;
    let Some(job) = before.filter(|_| marked.rows_affected == 1) else {
        txn.rollback().await?;
        return Ok(false);
    };
    if job.phase == Phase::Importing {
        K::abandon(&txn, &job).await?;
    }
    txn.commit().await?;
    import_file_chunk::Entity::delete_many()
        .filter(import_file_chunk::Column::JobId.eq(id))
        .exec(&state.db)
        .await?;
    Seen::forget(&state.db, id).await?;
    Ok(true)
}

/// Publishes the job's state, at most every PROGRESS_EVERY unless forced
/// (`last` None).
async fn publish(state: &AppState, id: Uuid, last: &mut Option<Instant>) {
    if let Some(at) = last {
        if at.elapsed() < PROGRESS_EVERY {
            return;
        }
    }
    // all accounts: the worker serves every account; a job is addressed by its id.
    if let Ok(Some(job)) = import_job::Entity::find_by_id(id).one(&state.db).await {
        state.events.publish(Event::ImportProgress(job));
        *last = Some(Instant::now());
    }
}

async fn phase_of(db: &DatabaseConnection, id: Uuid) -> Result<Option<Phase>, ApiError> {
    // all accounts: the worker serves every account; a job is addressed by its id.
    Ok(import_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|j| j.phase))
}

pub fn issue(column: &str, code: UserErrorCode, message: impl Into<String>) -> ImportIssue {
    ImportIssue {
        column: (!column.is_empty()).then(|| column.to_owned()),
        code,
        message: message.into(),
    }
}

/// What a batch wrote.
#[derive(Default)]
pub struct Written {
    pub created: i64,
    pub updated: i64,
    pub failed: i64,
    /// Invitations queued with the batch (announced once it is committed).
    pub invitations: Vec<roster_entities::invitation::Model>,
}

/// A row checked on its own.
pub struct Checked<R> {
    pub row_number: i64,
    pub result: Result<R, Vec<ImportIssue>>,
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
enum Parsed<R> {
    Rows(Vec<Checked<R>>),
    Refused(String),
}

/// Parses and checks rows on a blocking thread (the pure work), while the
/// async side checks them against the database and stores the results; the
/// small channel keeps memory flat whatever the file size.
fn parse<C: RowCheck>(
    state: &AppState,
    job_id: Uuid,
    format: &'static Format,
    checker: C,
) -> tokio::sync::mpsc::Receiver<Parsed<C::Row>> {
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
        let refuse = |tx: &tokio::sync::mpsc::Sender<Parsed<C::Row>>, why: String| {
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
        let columns = match Columns::from_header(&header, format) {
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
                    let result = checker.check(&columns, &header, &record, &present);
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

async fn validate_job<K: Kind>(state: &AppState, job: import_job::Model) -> Result<(), ApiError> {
    let db = &state.db;
    let id = job.id;
    import_row::Entity::delete_many()
        .filter(import_row::Column::JobId.eq(id))
        .exec(db)
        .await?;
    Seen::forget(db, id).await?;
    Tenant(job.account_id)
        .update_many::<import_job::Entity>()
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

    let (mut kind, checker) = K::prepare(state, &job).await?;
    let mut parsed = parse(state, id, K::FORMAT, checker);
    let mut storing: Option<tokio::task::JoinHandle<Result<(), ApiError>>> = None;

    while let Some(message) = parsed.recv().await {
        let chunk = match message {
            Parsed::Refused(why) => return Err(ApiError::BadUserInput(why)),
            Parsed::Rows(chunk) => chunk,
        };
        if phase_of(db, id).await? != Some(Phase::Validating) {
            // Cancelled meanwhile: the chunk still being stored must not
            // outlive the cancellation's cleanup.
            if let Some(previous) = storing.take() {
                let _ = previous.await;
            }
            import_row::Entity::delete_many()
                .filter(import_row::Column::JobId.eq(id))
                .exec(db)
                .await?;
            Seen::forget(db, id).await?;
            return Ok(());
        }

        let rows = kind.check_chunk(db, &job, chunk).await?;
        let (mut create, mut update, mut skip, mut error) = (0i64, 0i64, 0i64, 0i64);
        for row in &rows {
            match row.action.as_ref() {
                Action::Create => create += 1,
                Action::Update => update += 1,
                Action::Skip => skip += 1,
                Action::Error => error += 1,
            }
        }
        let counts = Counts {
            checked: rows.len() as i64,
            create,
            update,
            skip,
            error,
        };
        // The results are stored while the next chunk is checked; the kind
        // keeps the rows of the chunk in flight in memory until then.
        let task = tokio::spawn(store_results(db.clone(), id, rows, counts));
        if let Some(previous) = storing.replace(task) {
            previous.await.map_err(ApiError::internal)??;
            publish(state, id, &mut last_progress).await;
        }
    }
    if let Some(previous) = storing.take() {
        previous.await.map_err(ApiError::internal)??;
    }
    drop(kind);
    Seen::forget(db, id).await?;

    Tenant(job.account_id)
        .update_many::<import_job::Entity>()
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

/// A batch written in its transaction, not yet committed.
struct Staged {
    txn: DatabaseTransaction,
    written: Written,
    /// The job's resume point before and after this batch.
    from: i64,
    through: i64,
}

/// What a chunk of checked rows adds to the preview's counts.
struct Counts {
    checked: i64,
    create: i64,
    update: i64,
    skip: i64,
    error: i64,
}

/// Stores a chunk's results and adds its counts to the job.
async fn store_results(
    db: DatabaseConnection,
    id: Uuid,
    rows: Vec<import_row::ActiveModel>,
    counts: Counts,
) -> Result<(), ApiError> {
    let txn = begin(&db).await?;
    bulk::insert(&txn, rows, OnDuplicate::Fail).await?;
    // all accounts: the worker serves every account; a job is addressed by its id.
    import_job::Entity::update_many()
        .col_expr(
            import_job::Column::ValidatedRows,
            Expr::col(import_job::Column::ValidatedRows).add(counts.checked),
        )
        .col_expr(
            import_job::Column::ToCreate,
            Expr::col(import_job::Column::ToCreate).add(counts.create),
        )
        .col_expr(
            import_job::Column::ToUpdate,
            Expr::col(import_job::Column::ToUpdate).add(counts.update),
        )
        .col_expr(
            import_job::Column::ToSkip,
            Expr::col(import_job::Column::ToSkip).add(counts.skip),
        )
        .col_expr(
            import_job::Column::ErrorCount,
            Expr::col(import_job::Column::ErrorCount).add(counts.error),
        )
        .col_expr(import_job::Column::HeartbeatAt, Expr::value(Utc::now()))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import_job::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn write_job<K: Kind>(state: &AppState, job: import_job::Model) -> Result<(), ApiError> {
    let db = &state.db;
    let id = job.id;
    // On PostgreSQL one backend works on one statement at a time: writing
    // the next batch while the previous one commits uses the second core.
    // Batches still commit in order, each with its resume point.
    let concurrent =
        K::CONCURRENT_BATCHES && db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let mut last_progress = None;
    let mut batches = 0u32;
    let mut cursor = job.written_through;
    let mut staged: Option<tokio::task::JoinHandle<Result<Staged, ApiError>>> = None;
    loop {
        if state.stopping.is_set() {
            // Shutting down: finish the batch under way, then hand the job
            // back so that the next worker (this one restarted, or another
            // instance) resumes after the last committed batch at once.
            if let Some(task) = staged.take() {
                commit(state, id, task, &mut last_progress).await?;
            }
            Tenant(job.account_id)
                .update_many::<import_job::Entity>()
                .col_expr(
                    import_job::Column::ClaimedBy,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(import_job::Column::Id.eq(id))
                .filter(import_job::Column::ClaimedBy.eq(state.instance_id))
                .exec(db)
                .await?;
            tracing::info!(job_id = %id, written_through = cursor, "import paused for shutdown");
            return Ok(());
        }
        let current = Tenant(job.account_id)
            .find_by_id::<import_job::Entity>(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("Import job"))?;
        if current.phase != Phase::Importing {
            return Ok(());
        }
        let Some(fetched) = fetch::<K>(db, id, cursor).await? else {
            break;
        };
        if let Some((_, analyze)) = ANALYZE_AT.iter().find(|(at, _)| *at == batches) {
            refresh_statistics(db, analyze);
        }
        batches += 1;
        K::prepare_batch(db, &current, &fetched.batch).await?;
        let from = cursor;
        cursor = fetched.through;
        let task = tokio::spawn(stage::<K>(state.clone(), current, fetched, from));
        // The first batch runs alone: it may refuse the whole import.
        if let Some(previous) = staged.replace(task) {
            commit(state, id, previous, &mut last_progress).await?;
        }
        if !concurrent || from <= 1 {
            if let Some(task) = staged.take() {
                commit(state, id, task, &mut last_progress).await?;
            }
        }
    }
    if let Some(task) = staged.take() {
        commit(state, id, task, &mut last_progress).await?;
    }
    let done = Tenant(job.account_id)
        .find_by_id::<import_job::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Import job"))?;
    Tenant(job.account_id)
        .update_many::<import_job::Entity>()
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
    settle::<K>(db);
    Ok(())
}

/// Runs the kind's upkeep of the written tables, in the background.
fn settle<K: Kind>(db: &DatabaseConnection) {
    let upkeep = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => K::SETTLE,
        sea_orm::DatabaseBackend::Sqlite => K::SETTLE_SQLITE,
        _ => None,
    };
    if let Some(upkeep) = upkeep {
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(err) = db.execute_unprepared(upkeep).await {
                tracing::warn!(%err, "import: the written tables' upkeep failed");
            }
        });
    }
}

/// A batch of confirmed rows to write: the number of its last row and its
/// rows, parsed.
struct Fetched<B> {
    through: i64,
    batch: B,
    /// Rows whose data an erasure blanked since the preview (see
    /// `erasure`): nothing of them is written, and they count as failed.
    erased: Vec<i64>,
}

/// Reads and parses the confirmed rows after row `after`, one batch.
async fn fetch<K: Kind>(
    db: &DatabaseConnection,
    id: Uuid,
    after: i64,
) -> Result<Option<Fetched<K::Batch>>, ApiError> {
    let rows = import_row::Entity::find()
        .filter(import_row::Column::JobId.eq(id))
        .filter(import_row::Column::RowNumber.gt(after))
        .filter(import_row::Column::Action.is_in([Action::Create, Action::Update]))
        .order_by_asc(import_row::Column::RowNumber)
        .limit(WRITE_BATCH)
        .all(db)
        .await?;
    let Some(through) = rows.last().map(|r| r.row_number) else {
        return Ok(None);
    };
    let (rows, erased): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.data.is_some());
    Ok(Some(Fetched {
        through,
        batch: K::parse(rows),
        erased: erased.into_iter().map(|r| r.row_number).collect(),
    }))
}

/// Writes one batch in a transaction it leaves open for `commit`.
async fn stage<K: Kind>(
    state: AppState,
    current: import_job::Model,
    Fetched {
        through,
        batch,
        erased,
    }: Fetched<K::Batch>,
    from: i64,
) -> Result<Staged, ApiError> {
    let txn = begin(&state.db).await?;
    if from <= 1 {
        if let Err(why) = K::before_writing(&txn, &current).await? {
            txn.rollback().await?;
            if let Some(actor) = current.user_id {
                let viewer = crate::kernel::history::on_behalf_of(current.account_id, actor);
                let entry = crate::kernel::history::Entry::failed(
                    "import.write",
                    "ImportJob",
                    current.file_name.clone(),
                    why.clone(),
                );
                crate::kernel::history::record(&state, &viewer, vec![entry]).await?;
            }
            return Err(ApiError::BadUserInput(why));
        }
    }
    let mut written = K::write_batch(&state, &txn, &current, batch).await?;
    for &row_number in &erased {
        let why = issue(
            "",
            UserErrorCode::NotFound,
            "the row's data was erased after the preview, with the customer it names",
        );
        refuse(&txn, current.id, row_number, why).await?;
    }
    written.failed += erased.len() as i64;
    Ok(Staged {
        txn,
        written,
        from,
        through,
    })
}

/// Commits a staged batch with the job's counts and resume point.
async fn commit(
    state: &AppState,
    id: Uuid,
    task: tokio::task::JoinHandle<Result<Staged, ApiError>>,
    last_progress: &mut Option<Instant>,
) -> Result<(), ApiError> {
    let Staged {
        txn,
        written,
        from,
        through,
    } = task.await.map_err(ApiError::internal)??;
    let Written {
        created,
        updated,
        failed,
        invitations,
    } = written;
    // all accounts: the worker serves every account; a job is addressed by its id.
    let moved = import_job::Entity::update_many()
        .col_expr(import_job::Column::WrittenThrough, Expr::value(through))
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
        .filter(import_job::Column::Phase.eq(Phase::Importing))
        .filter(import_job::Column::WrittenThrough.eq(from))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        // Another worker took the job over meanwhile: its writes stand.
        txn.rollback().await?;
        return Err(ApiError::Internal(
            "the import job was taken over by another worker".into(),
        ));
    }
    txn.commit().await?;
    ROWS_WRITTEN.fetch_add(
        (created + updated).max(0) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    crate::mail::announce(state, invitations);
    publish(state, id, last_progress).await;
    Ok(())
}

/// Marks a row failed at write time, with its reason.
pub async fn refuse(
    txn: &impl ConnectionTrait,
    job_id: Uuid,
    row_number: i64,
    why: ImportIssue,
) -> Result<(), ApiError> {
    import_row::Entity::update_many()
        .col_expr(import_row::Column::Action, Expr::value(Action::Error))
        .col_expr(
            import_row::Column::Issues,
            Expr::value(serde_json::to_string(&[why]).unwrap_or_default()),
        )
        .filter(import_row::Column::JobId.eq(job_id))
        .filter(import_row::Column::RowNumber.eq(row_number))
        .exec(txn)
        .await?;
    Ok(())
}

/// Rows imports of this process committed (created or updated), for the
/// metrics.
pub static ROWS_WRITTEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// An import grows tables fast, from empty: PostgreSQL's planner would
/// keep the empty-table statistics (and scan instead of using indexes) until
/// autovacuum runs. Refreshing them keeps each batch's lookups cheap.
fn refresh_statistics(db: &DatabaseConnection, analyze: &'static str) {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Beside the batches, not before them: ANALYZE does not block
        // inserts, and the statistics serve the batches that follow.
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(err) = db.execute_unprepared(analyze).await {
                tracing::warn!(%err, "import: refreshing table statistics failed");
            }
        });
    }
}
