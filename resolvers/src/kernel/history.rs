//! Recording the activity history (seed 002): every change made through
//! the API is recorded with its actor, action, target, outcome and time.
//! A change writes its entry in the change's own transaction (`insert`) and
//! publishes it once committed (`publish`); a refused operation records its
//! failure on its own (`record`). The `activity` feature reads and streams
//! the history.

use chrono::Utc;
use roster_entities::{activity, user};
use sea_orm::{ConnectionTrait, NotSet, Set};
use uuid::Uuid;

use crate::{
    kernel::auth::Viewer, kernel::context::AppState, kernel::error::ApiError,
    kernel::events::Event, kernel::scope::Tenant,
};

/// What happened, to what.
#[derive(Clone, Debug)]
pub struct Entry {
    /// For example `user.add`, `products.assign`, `customer.delete`.
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_id: Option<Uuid>,
    pub target_name: String,
    pub success: bool,
    pub detail: Option<String>,
}

impl Entry {
    pub fn ok(action: &'static str, kind: &'static str, id: Uuid, name: impl Into<String>) -> Self {
        Entry {
            action,
            target_kind: kind,
            target_id: Some(id),
            target_name: name.into(),
            success: true,
            detail: None,
        }
    }

    pub fn failed(
        action: &'static str,
        kind: &'static str,
        name: impl Into<String>,
        why: impl Into<String>,
    ) -> Self {
        Entry {
            action,
            target_kind: kind,
            target_id: None,
            target_name: name.into(),
            success: false,
            detail: Some(why.into()),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The actor's display name, as the history keeps it.
async fn actor_name(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<String, ApiError> {
    if let Some(name) = &viewer.name {
        return Ok(name.clone());
    }
    Ok(Tenant(viewer.account_id)
        .find_by_id::<user::Entity>(viewer.user_id)
        .one(db)
        .await?
        .map(|u| {
            format!("{} {}", u.first_name, u.last_name)
                .trim()
                .to_owned()
        })
        .unwrap_or_default())
}

/// Writes entries (in the caller's transaction) and returns them for
/// `publish` after commit.
pub async fn insert(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    entries: Vec<Entry>,
) -> Result<Vec<activity::Model>, ApiError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let actor = actor_name(db, viewer).await?;
    let now = Utc::now();
    let rows: Vec<activity::Model> = entries
        .into_iter()
        .map(|e| activity::Model {
            id: Uuid::now_v7(),
            account_id: viewer.account_id,
            actor_id: Some(viewer.user_id),
            actor_name: actor.clone(),
            action: e.action.to_owned(),
            target_kind: e.target_kind.to_owned(),
            target_id: e.target_id,
            target_name: e.target_name.chars().take(255).collect(),
            outcome: if e.success { "SUCCESS" } else { "FAILURE" }.to_owned(),
            detail: e.detail,
            created_at: now,
        })
        .collect();
    // 11 columns: 2,000 rows stay under SQLite's 32,766 parameters.
    for chunk in rows.chunks(2_000) {
        let models = chunk.iter().cloned().map(|m| activity::ActiveModel {
            id: Set(m.id),
            account_id: NotSet,
            actor_id: Set(m.actor_id),
            actor_name: Set(m.actor_name),
            action: Set(m.action),
            target_kind: Set(m.target_kind),
            target_id: Set(m.target_id),
            target_name: Set(m.target_name),
            outcome: Set(m.outcome),
            detail: Set(m.detail),
            created_at: Set(m.created_at),
        });
        Tenant(viewer.account_id)
            .insert_many(models)
            .exec(db)
            .await?;
    }
    Ok(rows)
}

/// The actor of changes made on someone's behalf (a background job
/// started by that user): only their account and id are used.
pub fn on_behalf_of(account_id: Uuid, user_id: Uuid) -> Viewer {
    Viewer {
        user_id,
        account_id,
        role: user::Role::Member,
        session_id: Uuid::nil(),
        granted: Vec::new(),
        name: None,
    }
}

/// Writes entries in `txn`, commits it, then announces them: the usual end
/// of a mutation that changes something.
pub async fn commit(
    txn: sea_orm::DatabaseTransaction,
    state: &AppState,
    viewer: &Viewer,
    entries: Vec<Entry>,
) -> Result<(), ApiError> {
    let rows = insert(&txn, viewer, entries).await?;
    txn.commit().await?;
    publish(state, rows);
    Ok(())
}

/// Announces committed entries to `activityAdded` subscribers.
pub fn publish(state: &AppState, rows: Vec<activity::Model>) {
    for row in rows {
        state.events.publish(Event::Activity(row));
    }
}

/// Records entries on their own (for failures, whose change was rolled
/// back, and single-statement changes).
pub async fn record(
    state: &AppState,
    viewer: &Viewer,
    entries: Vec<Entry>,
) -> Result<(), ApiError> {
    let rows = insert(&state.db, viewer, entries).await?;
    publish(state, rows);
    Ok(())
}

/// Records a committed change of the signed-in staff user. The change
/// stands whatever happens here, so a failure to record is logged, not
/// returned.
pub async fn note(
    ctx: &async_graphql::Context<'_>,
    action: &'static str,
    kind: &'static str,
    id: Option<Uuid>,
    name: impl Into<String>,
) {
    use crate::kernel::context::ContextExt;
    let Ok(viewer) = crate::kernel::auth::viewer(ctx) else {
        return;
    };
    let entry = Entry {
        action,
        target_kind: kind,
        target_id: id,
        target_name: name.into(),
        success: true,
        detail: None,
    };
    if let Err(err) = record(ctx.state(), viewer, vec![entry]).await {
        tracing::error!(%err, action, "cannot record activity");
    }
}
