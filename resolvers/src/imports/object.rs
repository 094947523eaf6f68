use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::{import_job, import_row};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::options::StoredOptions;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiResult, UserErrorCode},
    kernel::ids::GlobalId,
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
};

/// Where an import job stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::import_job::Phase")]
pub enum ImportPhase {
    /// The file was received; validation has not started.
    Uploaded,
    /// Rows are being checked.
    Validating,
    /// The preview ("Confirm Results") is ready: confirm or cancel.
    AwaitingConfirmation,
    /// Rows are being written.
    Importing,
    /// Every row was handled; the job is over.
    Completed,
    /// The job stopped on an error (see `failure`).
    Failed,
    /// The job was cancelled before writing (`cancelImport`).
    Cancelled,
}

impl ImportPhase {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ImportPhase::Completed | ImportPhase::Failed | ImportPhase::Cancelled
        )
    }
}

/// What an import does with a row.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::import_row::Action")]
pub enum ImportRowAction {
    /// The row creates a customer (a user, in a user import).
    Create,
    /// The row updates the existing customer with its email (duplicates: UPDATE).
    Update,
    /// The row is passed over: a customer with its email exists (duplicates: SKIP).
    Skip,
    /// The row has errors and is not imported.
    Error,
}

/// A problem with one cell (or the whole row) of an import file.
#[derive(SimpleObject, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ImportIssue {
    /// The CSV column, or null for the row as a whole.
    pub column: Option<String>,
    /// Machine-readable reason.
    pub code: UserErrorCode,
    /// Explanation for a person.
    pub message: String,
}

/// The outcome of one row of the file.
pub struct ImportRowResult(pub import_row::Model);

/// The outcome of one row of the file.
#[Object]
impl ImportRowResult {
    /// The row's number as a spreadsheet shows it (the header is row 1).
    async fn row_number(&self) -> i64 {
        self.0.row_number
    }

    /// What the import does (or did) with the row.
    async fn action(&self) -> ImportRowAction {
        self.0.action.into()
    }

    /// Why the row is skipped or refused, and warnings.
    async fn issues(&self) -> Vec<ImportIssue> {
        serde_json::from_str(&self.0.issues).unwrap_or_default()
    }
}

/// A CSV import and its progress.
#[derive(Clone, Debug)]
pub struct ImportJob(pub import_job::Model);

/// A CSV import and its progress.
#[Object]
impl ImportJob {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::import_job(self.0.id).into()
    }

    /// Where the job stands.
    async fn phase(&self) -> ImportPhase {
        self.0.phase.into()
    }

    /// Name of the uploaded file (at most 255 characters; `upload.csv` when
    /// the upload had none).
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// Data rows in the file (the header excluded).
    async fn total_rows(&self) -> i64 {
        self.0.total_rows
    }

    /// Rows the current phase has finished: checked while VALIDATING,
    /// written (or passed over) while IMPORTING.
    async fn processed_rows(&self) -> i64 {
        processed_rows(&self.0)
    }

    /// Preview: rows that will create a customer.
    async fn to_create(&self) -> i64 {
        self.0.to_create
    }

    /// Preview: rows that will update an existing customer.
    async fn to_update(&self) -> i64 {
        self.0.to_update
    }

    /// Preview: rows that will be skipped (duplicates of existing customers).
    async fn to_skip(&self) -> i64 {
        self.0.to_skip
    }

    /// Preview: rows with errors, which will not be imported.
    async fn error_count(&self) -> i64 {
        self.0.error_count
    }

    /// Customers created so far.
    async fn created(&self) -> i64 {
        self.0.created
    }

    /// Customers updated so far.
    async fn updated(&self) -> i64 {
        self.0.updated
    }

    /// Rows skipped (known once the import completes).
    async fn skipped(&self) -> i64 {
        self.0.skipped
    }

    /// Rows not imported because of errors.
    async fn failed(&self) -> i64 {
        self.0.failed
    }

    /// Columns of the file that are not part of the format (ignored).
    async fn unknown_columns(&self) -> Vec<String> {
        serde_json::from_str(&self.0.unknown_columns).unwrap_or_default()
    }

    /// Why the job failed, when it did.
    async fn failure(&self) -> Option<&str> {
        self.0.failure.as_deref()
    }

    /// Whether portal activation emails were asked for.
    async fn send_activation_emails(&self) -> bool {
        serde_json::from_str::<StoredOptions>(&self.0.options)
            .map(|o| o.send_activation_emails)
            .unwrap_or(false)
    }

    /// When the file was uploaded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the job last changed (phase or progress).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The result of each row, in file order (the "Confirm Results" list).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn rows(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first n items (at most 100; the first 20 when neither `first` nor `last` is given). Cannot be combined with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Returns the items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Returns the last n items (at most 100). Cannot be combined with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Returns the items before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."
        )]
        before: Option<String>,
        #[graphql(desc = "Only rows with this action.")] action: Option<ImportRowAction>,
        #[graphql(desc = "Only rows with issues.", default)] with_issues: bool,
    ) -> ApiResult<Page<ImportRowResult>> {
        let mut select = import_row::Entity::find().filter(import_row::Column::JobId.eq(self.0.id));
        if let Some(action) = action {
            select = select.filter(import_row::Column::Action.eq(import_row::Action::from(action)));
        }
        if with_issues {
            select = select.filter(import_row::Column::Issues.ne("[]"));
        }
        let sort = Sort {
            column: import_row::Column::RowNumber,
            id: import_row::Column::JobId,
            reverse: false,
            unique: false,
            key: |r: &import_row::Model| (SortValue::Int(r.row_number), r.job_id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, ImportRowResult).await?)
    }
}

pub fn processed_rows(job: &import_job::Model) -> i64 {
    use import_job::Phase;
    match job.phase {
        Phase::Uploaded => 0,
        Phase::Validating | Phase::AwaitingConfirmation => job.validated_rows,
        Phase::Importing => (job.written_through - 1).clamp(0, job.total_rows),
        Phase::Completed => job.total_rows,
        Phase::Failed | Phase::Cancelled => job.validated_rows.max(job.written_through - 1).max(0),
    }
}
