//! Starting, confirming and cancelling imports.

use async_graphql::{Context, Object, SimpleObject, Upload, ID};
use chrono::Utc;
use roster_entities::{import_file_chunk, import_job, import_row};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, Set,
    TransactionTrait,
};
use std::io::{Read, Seek, SeekFrom};
use uuid::Uuid;

use super::{
    csv_file,
    options::{CustomerImportOptions, StoredOptions},
    ImportJob, MAX_FILE_BYTES,
};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    directory::services,
    kernel::auth::Viewer,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::events::Event,
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
};

/// Result of `startCustomerImport`, `confirmImport` and `cancelImport`.
#[derive(SimpleObject)]
pub struct ImportJobPayload {
    /// The job as it now stands; null when `userErrors` is not empty.
    pub job: Option<ImportJob>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn refused(
    field: &str,
    code: UserErrorCode,
    message: impl Into<String>,
) -> ApiResult<ImportJobPayload> {
    Ok(ImportJobPayload {
        job: None,
        user_errors: vec![UserError::new(field, code, message)],
    })
}

/// Size of the pieces a file is stored in.
const CHUNK_BYTES: usize = 1024 * 1024;

/// Stores the uploaded file in pieces, reading it piece by piece.
async fn store_file(
    db: &impl sea_orm::ConnectionTrait,
    job_id: Uuid,
    file: std::fs::File,
) -> Result<(), ApiError> {
    let mut file = Some(file);
    let mut seq = 0i32;
    loop {
        let Some(mut current) = file.take() else {
            break;
        };
        let (current, piece) = tokio::task::spawn_blocking(move || {
            let mut piece = Vec::with_capacity(CHUNK_BYTES);
            let read = (&mut current)
                .take(CHUNK_BYTES as u64)
                .read_to_end(&mut piece);
            (current, read.map(|_| piece))
        })
        .await
        .map_err(ApiError::internal)?;
        let piece = piece.map_err(ApiError::internal)?;
        if piece.is_empty() {
            break;
        }
        import_file_chunk::ActiveModel {
            job_id: Set(job_id),
            seq: Set(seq),
            data: Set(piece),
        }
        .insert(db)
        .await?;
        seq += 1;
        file = Some(current);
    }
    Ok(())
}

async fn owned_job(ctx: &Context<'_>, id: &ID) -> Result<(Uuid, import_job::Model), ApiError> {
    let viewer = crate::kernel::auth::viewer(ctx)?;
    super::may_import(ctx.db(), viewer).await?;
    let id = GlobalId::expect(id, NodeKind::ImportJob)?;
    let job = super::find(ctx.db(), viewer.account_id, id).await?;
    super::authorize(ctx.db(), viewer, &job).await?;
    Ok((viewer.account_id, job))
}

/// Checks an uploaded file against `format`, stores it and creates the job
/// (shared by every kind of import).
pub(super) async fn start(
    ctx: &Context<'_>,
    viewer: &Viewer,
    kind: &'static str,
    format: &'static csv_file::Format,
    file: Upload,
    stored_options: String,
) -> ApiResult<ImportJobPayload> {
    let db = ctx.db();
    let upload = file.value(ctx).map_err(|_| {
        ApiError::BadUserInput("the `file` upload is missing from the request".into())
    })?;
    let size = upload.size().map_err(ApiError::internal)?;
    if size > MAX_FILE_BYTES {
        return refused(
            "file",
            UserErrorCode::LimitExceeded,
            format!("is {size} bytes; at most {MAX_FILE_BYTES} are accepted"),
        );
    }
    let file_name = upload.filename.chars().take(255).collect::<String>();
    let content = upload.content;
    let checked = tokio::task::spawn_blocking(move || {
        let mut content = content;
        let result = content
            .seek(SeekFrom::Start(0))
            .map_err(|e| csv_file::FileError::Malformed {
                line: 0,
                message: e.to_string(),
            })
            .and_then(|_| csv_file::check(std::io::BufReader::new(&mut content), format));
        result.map(|(unknown, rows)| (content, unknown, rows))
    })
    .await
    .map_err(ApiError::internal)?;
    let (mut content, unknown, rows) = match checked {
        Ok(checked) => checked,
        Err(err) => {
            let code = match err {
                csv_file::FileError::TooManyRows(_) => UserErrorCode::LimitExceeded,
                csv_file::FileError::Empty | csv_file::FileError::NoRows => UserErrorCode::Blank,
                _ => UserErrorCode::Invalid,
            };
            return refused("file", code, err.to_string());
        }
    };
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    let job = Tenant(viewer.account_id)
        .insert(import_job::ActiveModel {
            id: Set(id),
            account_id: NotSet,
            user_id: Set(Some(viewer.user_id)),
            kind: Set(kind.into()),
            phase: Set(import_job::Phase::Uploaded),
            file_name: Set(if file_name.is_empty() {
                "upload.csv".into()
            } else {
                file_name
            }),
            options: Set(stored_options),
            unknown_columns: Set(serde_json::to_string(&unknown).map_err(ApiError::internal)?),
            total_rows: Set(rows),
            validated_rows: Set(0),
            written_through: Set(0),
            to_create: Set(0),
            to_update: Set(0),
            to_skip: Set(0),
            error_count: Set(0),
            created: Set(0),
            updated: Set(0),
            skipped: Set(0),
            failed: Set(0),
            failure: Set(None),
            claimed_by: Set(None),
            heartbeat_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await?;
    content
        .seek(SeekFrom::Start(0))
        .map_err(ApiError::internal)?;
    store_file(&txn, id, content).await?;
    txn.commit().await?;
    ctx.state()
        .events
        .publish(Event::ImportProgress(job.clone()));
    ctx.state().jobs.notify_one();
    crate::kernel::history::note(
        ctx,
        "import.start",
        "ImportJob",
        Some(job.id),
        job.file_name.clone(),
    )
    .await;
    Ok(ImportJobPayload {
        job: Some(ImportJob(job)),
        user_errors: vec![],
    })
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Uploads a customer CSV (GraphQL multipart request) and starts an
    /// import job: it validates every row, then waits in
    /// AWAITING_CONFIRMATION with a preview until `confirmImport`.
    #[graphql(guard = "Requires(Permission::ImportCustomers)")]
    async fn start_customer_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The CSV file, as a file of a GraphQL multipart request (at most 256 MiB and 1,000,000 rows)."
        )]
        file: Upload,
        #[graphql(desc = "How to import the rows (the defaults when omitted).")] options: Option<
            CustomerImportOptions,
        >,
    ) -> ApiResult<ImportJobPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let options = options.unwrap_or_default();
        let service_ids = match services::resolve_ids(
            ctx.db(),
            viewer.account_id,
            "options.serviceIds",
            &options.service_ids,
        )
        .await?
        {
            Ok(ids) => ids,
            Err(e) => {
                return Ok(ImportJobPayload {
                    job: None,
                    user_errors: vec![e],
                })
            }
        };
        let stored = StoredOptions {
            service_ids,
            send_activation_emails: options.send_activation_emails,
            duplicates: options.duplicates,
            companies: options.companies,
        };
        let stored = serde_json::to_string(&stored).map_err(ApiError::internal)?;
        start(
            ctx,
            viewer,
            super::CUSTOMERS_KIND,
            &csv_file::CUSTOMERS,
            file,
            stored,
        )
        .await
    }

    /// Writes the rows of a previewed import (AWAITING_CONFIRMATION).
    async fn confirm_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The import job to confirm.")] id: ID,
    ) -> ApiResult<ImportJobPayload> {
        let (account_id, job) = owned_job(ctx, &id).await?;
        let changed = Tenant(account_id)
            .update_many::<import_job::Entity>()
            .col_expr(
                import_job::Column::Phase,
                Expr::value(import_job::Phase::Importing),
            )
            .col_expr(import_job::Column::WrittenThrough, Expr::value(1i64))
            .col_expr(
                import_job::Column::ClaimedBy,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import_job::Column::Id.eq(job.id))
            .filter(import_job::Column::Phase.eq(import_job::Phase::AwaitingConfirmation))
            .exec(ctx.db())
            .await?;
        if changed.rows_affected == 0 {
            return refused(
                "id",
                UserErrorCode::NotAllowed,
                format!(
                    "only an import awaiting confirmation can be confirmed (this one is {})",
                    sea_orm::ActiveEnum::to_value(&job.phase)
                ),
            );
        }
        let job = super::find(ctx.db(), account_id, job.id).await?;
        ctx.state()
            .events
            .publish(Event::ImportProgress(job.clone()));
        ctx.state().jobs.notify_one();
        crate::kernel::history::note(
            ctx,
            "import.confirm",
            "ImportJob",
            Some(job.id),
            job.file_name.clone(),
        )
        .await;
        Ok(ImportJobPayload {
            job: Some(ImportJob(job)),
            user_errors: vec![],
        })
    }

    /// Discards an import that has not started writing.
    async fn cancel_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The import job to cancel.")] id: ID,
    ) -> ApiResult<ImportJobPayload> {
        let (account_id, job) = owned_job(ctx, &id).await?;
        let cancellable = [
            import_job::Phase::Uploaded,
            import_job::Phase::Validating,
            import_job::Phase::AwaitingConfirmation,
        ];
        let changed = Tenant(account_id)
            .update_many::<import_job::Entity>()
            .col_expr(
                import_job::Column::Phase,
                Expr::value(import_job::Phase::Cancelled),
            )
            .col_expr(import_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import_job::Column::Id.eq(job.id))
            .filter(import_job::Column::Phase.is_in(cancellable))
            .exec(ctx.db())
            .await?;
        if changed.rows_affected == 0 {
            return refused(
                "id",
                UserErrorCode::NotAllowed,
                "an import that is writing or has ended cannot be cancelled",
            );
        }
        import_row::Entity::delete_many()
            .filter(import_row::Column::JobId.eq(job.id))
            .exec(ctx.db())
            .await?;
        import_file_chunk::Entity::delete_many()
            .filter(import_file_chunk::Column::JobId.eq(job.id))
            .exec(ctx.db())
            .await?;
        let job = super::find(ctx.db(), account_id, job.id).await?;
        ctx.state()
            .events
            .publish(Event::ImportProgress(job.clone()));
        crate::kernel::history::note(
            ctx,
            "import.cancel",
            "ImportJob",
            Some(job.id),
            job.file_name.clone(),
        )
        .await;
        Ok(ImportJobPayload {
            job: Some(ImportJob(job)),
            user_errors: vec![],
        })
    }
}
