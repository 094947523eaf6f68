//! Mail delivery: a background worker hands queued messages to SMTP (when
//! `SMTP_URL` is set) or writes them as `.eml` files. A message is claimed
//! for a minute before it is sent and marked sent right after, so a
//! restarted server picks up what was not handed over; each message has a
//! stable Message-ID and file name, so a message sent just before a crash
//! and sent again is recognisable as the same one. Failures are retried
//! with exponential backoff (up to an hour apart).

use std::time::Duration;

use chrono::Utc;
use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use roster_entities::{invitation::Status, outbox_message};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::transition;
use crate::kernel::scope::Tenant;
use crate::{kernel::context::AppState, kernel::error::ApiError, kernel::events::Event};

/// Messages handled per round.
const ROUND: u64 = 50;
/// How long a claimed message is held before another worker may take it.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// Starts the mail worker; it runs until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !state.stopping.is_set() {
            let busy = match deliver_due(&state).await {
                Ok(n) => n > 0,
                Err(err) => {
                    tracing::error!(%err, "mail worker");
                    false
                }
            };
            if let Err(err) = super::expire_due(&state).await {
                tracing::error!(%err, "cannot expire invitations");
            }
            if !busy {
                tokio::select! {
                    _ = state.outbox.notified() => {}
                    _ = state.stopping.wait() => {}
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    })
}

fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds(2i64.saturating_pow(attempts.clamp(0, 12) as u32).min(3600))
}

/// Delivers the messages that are due; returns how many were handled.
pub async fn deliver_due(state: &AppState) -> Result<usize, ApiError> {
    let now = Utc::now();
    let free = Condition::any()
        .add(outbox_message::Column::ClaimedUntil.is_null())
        .add(outbox_message::Column::ClaimedUntil.lt(now));
    // all accounts: the mail worker delivers every account's due messages.
    let due = outbox_message::Entity::find()
        .filter(outbox_message::Column::SentAt.is_null())
        .filter(outbox_message::Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .limit(ROUND)
        .all(&state.db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let smtp = match &state.mail.smtp_url {
        Some(url) => Some(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(ApiError::internal)?
                .timeout(Some(Duration::from_secs(20)))
                .build(),
        ),
        None => None,
    };
    let mut handled = 0;
    for message in due {
        let claimed = Tenant(message.account_id)
            .update_many::<outbox_message::Entity>()
            .col_expr(
                outbox_message::Column::ClaimedUntil,
                Expr::value(Utc::now() + LEASE),
            )
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::SentAt.is_null())
            .filter(free.clone())
            .exec(&state.db)
            .await?;
        if claimed.rows_affected == 0 {
            continue;
        }
        handled += 1;
        match send(state, smtp.as_ref(), &message).await {
            Ok(()) => {
                Tenant(message.account_id)
                    .update_many::<outbox_message::Entity>()
                    .col_expr(outbox_message::Column::SentAt, Expr::value(Utc::now()))
                    .col_expr(
                        outbox_message::Column::Html,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(
                        outbox_message::Column::Text,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(
                        outbox_message::Column::Attempts,
                        Expr::value(message.attempts + 1),
                    )
                    .col_expr(
                        outbox_message::Column::ClaimedUntil,
                        Expr::value(Option::<chrono::DateTime<Utc>>::None),
                    )
                    .filter(outbox_message::Column::Id.eq(message.id))
                    .exec(&state.db)
                    .await?;
                if let Some(invitation) = message.invitation_id {
                    if let Some(sent) = transition(
                        &state.db,
                        message.account_id,
                        invitation,
                        &[Status::Pending],
                        Status::Sent,
                    )
                    .await?
                    {
                        state.events.publish(Event::Invitation(sent));
                    }
                }
            }
            Err(why) => {
                tracing::warn!(message_id = %message.id, attempts = message.attempts + 1, %why, "mail not delivered; will retry");
                Tenant(message.account_id)
                    .update_many::<outbox_message::Entity>()
                    .col_expr(
                        outbox_message::Column::Attempts,
                        Expr::value(message.attempts + 1),
                    )
                    .col_expr(
                        outbox_message::Column::NextAttemptAt,
                        Expr::value(Utc::now() + backoff(message.attempts + 1)),
                    )
                    .col_expr(outbox_message::Column::LastError, Expr::value(why))
                    .col_expr(
                        outbox_message::Column::ClaimedUntil,
                        Expr::value(Option::<chrono::DateTime<Utc>>::None),
                    )
                    .filter(outbox_message::Column::Id.eq(message.id))
                    .exec(&state.db)
                    .await?;
            }
        }
    }
    Ok(handled)
}

fn build(state: &AppState, message: &outbox_message::Model) -> Result<Message, String> {
    let from: Mailbox = state
        .mail
        .from
        .parse()
        .map_err(|e| format!("sender: {e}"))?;
    let to = Mailbox::new(
        Some(message.to_name.clone()).filter(|n| !n.is_empty()),
        message
            .to_email
            .parse()
            .map_err(|e| format!("recipient: {e}"))?,
    );
    let text = message.text.clone().unwrap_or_default();
    let html = message.html.clone().unwrap_or_default();
    Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}@roster>", message.id)))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| e.to_string())
}

async fn send(
    state: &AppState,
    smtp: Option<&AsyncSmtpTransport<Tokio1Executor>>,
    message: &outbox_message::Model,
) -> Result<(), String> {
    let mail = build(state, message)?;
    match smtp {
        Some(transport) => transport
            .send(mail)
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        None => {
            let dir = state.mail.mail_dir.clone();
            let name = format!("{}.eml", message.id);
            let bytes = mail.formatted();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                let partial = dir.join(format!(".{name}.part"));
                std::fs::write(&partial, bytes)?;
                std::fs::rename(partial, dir.join(name))
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
        }
    }
}
