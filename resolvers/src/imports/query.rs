use std::time::Duration;

use async_graphql::{Context, Object, Subscription, ID};
use futures_util::{Stream, StreamExt};
use roster_entities::import_job;
use sea_orm::{ColumnTrait, QueryFilter};

use super::{ImportJob, ImportPhase};
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::events::Event,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::scope::Tenant,
};

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// One import job.
    async fn import_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The import job's global id.")] id: ID,
    ) -> ApiResult<ImportJob> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        super::may_import(ctx.db(), viewer).await?;
        let id = GlobalId::expect(&id, NodeKind::ImportJob)?;
        let job = super::find(ctx.db(), viewer.account_id, id).await?;
        super::authorize(ctx.db(), viewer, &job).await?;
        Ok(ImportJob(job))
    }

    /// The account's import jobs the caller may see, newest first: customer
    /// imports with the import permission, user imports with the manager
    /// permission to add users.
    #[graphql(complexity = "crate::kernel::pagination::cost(first, last, child_complexity)")]
    async fn import_jobs(
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
    ) -> ApiResult<Page<ImportJob>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let kinds = super::visible_kinds(ctx.db(), viewer).await?;
        let select = Tenant(viewer.account_id)
            .find::<import_job::Entity>()
            .filter(import_job::Column::Kind.is_in(kinds));
        let sort = Sort {
            column: import_job::Column::CreatedAt,
            id: import_job::Column::Id,
            reverse: true,
            unique: false,
            key: |j: &import_job::Model| (SortValue::Time(j.created_at), j.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, ImportJob).await?)
    }
}

#[derive(Default)]
pub struct ImportSubscription;

/// Least time between two progress events of one job.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

#[Subscription]
impl ImportSubscription {
    /// Progress of an import job: its current state at once, then each
    /// change (at most about ten a second), ending with a terminal phase.
    async fn import_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The import job to follow.")] job_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = ImportJob>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        super::may_import(ctx.db(), viewer).await?;
        let id = GlobalId::expect(&job_id, NodeKind::ImportJob)?;
        let state = ctx.state().clone();
        // Subscribe before reading, so no change falls between the two.
        let mut events = state.events.subscribe();
        let current = super::find(&state.db, viewer.account_id, id).await?;
        super::authorize(&state.db, viewer, &current).await?;
        let account_id = viewer.account_id;
        let stream = async_stream_lite(move |tx| async move {
            let mut last_sent = std::time::Instant::now();
            let mut last_phase = current.phase;
            let mut done = ImportPhase::from(current.phase).is_terminal();
            if tx.send(ImportJob(current)).await.is_err() || done {
                return;
            }
            // The newest update held back by MIN_INTERVAL: sent when the
            // interval is over, not dropped (the job may not change again
            // for a long time, e.g. once its preview is ready).
            let mut held: Option<import_job::Model> = None;
            while !done {
                let wait = match held {
                    Some(_) => MIN_INTERVAL.saturating_sub(last_sent.elapsed()),
                    None => Duration::from_secs(5),
                };
                let job = match tokio::time::timeout(wait, events.recv()).await {
                    Ok(Ok(Event::ImportProgress(job)))
                        if job.id == id && job.account_id == account_id =>
                    {
                        job
                    }
                    Ok(Ok(_)) => continue,
                    Err(_) if held.is_some() => match held.take() {
                        Some(job) => job,
                        None => continue,
                    },
                    // Lagged, closed or quiet: read the state from the database.
                    _ => match Box::pin(super::find(&state.db, account_id, id)).await {
                        Ok(job) => job,
                        Err(_) => return,
                    },
                };
                done = ImportPhase::from(job.phase).is_terminal();
                // Counts are throttled; a new phase goes out at once.
                if !done && job.phase == last_phase && last_sent.elapsed() < MIN_INTERVAL {
                    held = Some(job);
                    continue;
                }
                held = None;
                last_sent = std::time::Instant::now();
                last_phase = job.phase;
                if tx.send(ImportJob(job)).await.is_err() {
                    return;
                }
            }
        });
        Ok(stream)
    }
}

/// A stream fed by a task through a small channel.
fn async_stream_lite<F, Fut>(body: F) -> impl Stream<Item = ImportJob>
where
    F: FnOnce(tokio::sync::mpsc::Sender<ImportJob>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(body(tx));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|job| (job, rx)) },
    )
    .fuse()
}
