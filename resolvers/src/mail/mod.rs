//! Invitation mail (seeds 000, 002, 003): creating invitations (welcome
//! mail for added users, portal activation for customers, transfer of a
//! user of another account), composing their mail from the account's email
//! templates, and the outbox (`outbox.rs`) that a background worker hands
//! over SMTP or writes as `.eml` files. Each invitation carries a
//! single-use, expiring token (stored hashed). Status changes are published
//! for the `invitationStatus` subscription. The `invitations` feature lists,
//! resends, revokes and accepts them.

mod builtin;
mod object;
pub mod outbox;
pub mod render;
mod templates;

pub use object::{EmailTemplate, InvitationKind};
pub use templates::{resolve as resolve_template, EmailTemplateMutation, EmailTemplateQuery};

use chrono::{DateTime, Utc};
use roster_entities::{
    email_template,
    invitation::{self, Kind, Status},
    outbox_message,
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set,
};
use uuid::Uuid;

use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::token, kernel::context::AppState, kernel::error::ApiError, kernel::events::Event,
};

/// One invitation to create.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub kind: Kind,
    pub email: String,
    pub name: String,
    pub language: String,
    pub user_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub transfer_user_id: Option<Uuid>,
}

/// The link a mail carries.
pub fn link(state: &AppState, token: &str) -> String {
    format!(
        "{}/accept-invitation?token={token}",
        state.mail.public_url.trim_end_matches('/')
    )
}

pub fn expiry_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Who a mail goes to.
pub struct Recipient<'a> {
    pub invitation_id: Uuid,
    pub kind: Kind,
    pub language: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// Renders an invitation's mail into an outbox message.
#[allow(clippy::too_many_arguments)]
pub fn compose(
    state: &AppState,
    account_id: Uuid,
    account_name: &str,
    template: Option<&email_template::Model>,
    to: Recipient<'_>,
    token: &str,
    expires_at: DateTime<Utc>,
) -> Result<outbox_message::ActiveModel, ApiError> {
    let (subject, body) = match template {
        Some(t) => (t.subject.as_str(), t.body.as_str()),
        None => builtin::template(to.kind, to.language),
    };
    let values = render::Placeholders {
        name: to.name.to_owned(),
        account: account_name.to_owned(),
        link: link(state, token),
        expiry: expiry_text(expires_at),
    };
    message(
        account_id,
        Some(to.invitation_id),
        (to.email, to.name),
        (subject, body),
        &values,
    )
}

/// Renders a mail (subject and body templates with `values`) into an
/// outbox message to `to` (address, name), due now.
pub fn message(
    account_id: Uuid,
    invitation_id: Option<Uuid>,
    to: (&str, &str),
    (subject, body): (&str, &str),
    values: &render::Placeholders,
) -> Result<outbox_message::ActiveModel, ApiError> {
    let mail = render::render(subject, body, values).map_err(ApiError::internal)?;
    let now = Utc::now();
    Ok(Tenant(account_id).row(outbox_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: NotSet,
        invitation_id: Set(invitation_id),
        to_email: Set(to.0.to_owned()),
        to_name: Set(to.1.to_owned()),
        subject: Set(mail.subject.chars().take(255).collect()),
        html: Set(Some(mail.html)),
        text: Set(Some(mail.text)),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }))
}

/// Creates invitations and queues their mail, in the caller's transaction.
/// `template` replaces the built-in one. Call `announce` after commit.
pub async fn create(
    db: &impl ConnectionTrait,
    state: &AppState,
    account_id: Uuid,
    account_name: &str,
    template: Option<&email_template::Model>,
    new: Vec<NewInvitation>,
) -> Result<Vec<invitation::Model>, ApiError> {
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.mail.invitation_ttl).map_err(ApiError::internal)?;
    let expires_at = now + ttl;
    let mut invitations = Vec::with_capacity(new.len());
    let mut messages = Vec::with_capacity(new.len());
    for n in new {
        let token = token::generate();
        let id = Uuid::now_v7();
        messages.push(compose(
            state,
            account_id,
            account_name,
            template,
            Recipient {
                invitation_id: id,
                kind: n.kind,
                language: &n.language,
                name: &n.name,
                email: &n.email,
            },
            &token,
            expires_at,
        )?);
        invitations.push(invitation::Model {
            id,
            account_id,
            kind: n.kind,
            status: Status::Pending,
            token_hash: token::digest(&token),
            email: n.email,
            recipient_name: n.name,
            language: n.language,
            template_id: template.map(|t| t.id),
            user_id: n.user_id,
            customer_id: n.customer_id,
            transfer_user_id: n.transfer_user_id,
            expires_at,
            sent_at: None,
            responded_at: None,
            created_at: now,
            updated_at: now,
        });
    }
    for chunk in invitations.chunks(1_000) {
        let rows = chunk.iter().cloned().map(|i| invitation::ActiveModel {
            id: Set(i.id),
            account_id: NotSet,
            kind: Set(i.kind),
            status: Set(i.status),
            token_hash: Set(i.token_hash),
            email: Set(i.email),
            recipient_name: Set(i.recipient_name),
            language: Set(i.language),
            template_id: Set(i.template_id),
            user_id: Set(i.user_id),
            customer_id: Set(i.customer_id),
            transfer_user_id: Set(i.transfer_user_id),
            expires_at: Set(i.expires_at),
            sent_at: Set(None),
            responded_at: Set(None),
            created_at: Set(i.created_at),
            updated_at: Set(i.updated_at),
        });
        Tenant(account_id)
            .insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        let chunk: Vec<_> = messages.by_ref().take(1_000).collect();
        Tenant(account_id)
            .insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(invitations)
}

/// After commit: tells subscribers and wakes the mail worker.
pub fn announce(state: &AppState, invitations: Vec<invitation::Model>) {
    if invitations.is_empty() {
        return;
    }
    for i in invitations {
        state.events.publish(Event::Invitation(i));
    }
    state.outbox.notify_one();
}

/// Moves an invitation from one of `from` to `to`; returns it when it did.
pub async fn transition(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
    from: &[Status],
    to: Status,
) -> Result<Option<invitation::Model>, ApiError> {
    let now = Utc::now();
    let mut update = Tenant(account_id)
        .update_many::<invitation::Entity>()
        .col_expr(invitation::Column::Status, Expr::value(to))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(now));
    match to {
        Status::Sent => update = update.col_expr(invitation::Column::SentAt, Expr::value(now)),
        Status::Accepted | Status::Declined => {
            update = update.col_expr(invitation::Column::RespondedAt, Expr::value(now))
        }
        _ => {}
    }
    let changed = update
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(None);
    }
    Ok(Tenant(account_id)
        .find_by_id::<invitation::Entity>(id)
        .one(db)
        .await?)
}

/// The status as it stands now: a pending or sent invitation past its
/// expiry is EXPIRED even before the worker records it.
pub fn current_status(i: &invitation::Model) -> Status {
    match i.status {
        Status::Pending | Status::Sent if i.expires_at <= Utc::now() => Status::Expired,
        s => s,
    }
}

/// Records expired invitations (and tells subscribers).
pub async fn expire_due(state: &AppState) -> Result<(), ApiError> {
    // all accounts: the sweeper expires every account's due invitations.
    let due = invitation::Entity::find()
        .filter(invitation::Column::Status.is_in([Status::Pending, Status::Sent]))
        .filter(invitation::Column::ExpiresAt.lte(Utc::now()))
        .all(&state.db)
        .await?;
    for i in due {
        if let Some(changed) = transition(
            &state.db,
            i.account_id,
            i.id,
            &[Status::Pending, Status::Sent],
            Status::Expired,
        )
        .await?
        {
            state.events.publish(Event::Invitation(changed));
        }
    }
    Ok(())
}

/// Portal activation invitations for the customers among `customers` who
/// have portal access but no password yet and no activation on its way.
pub async fn activate_customers(
    db: &impl ConnectionTrait,
    state: &AppState,
    account_id: Uuid,
    customers: sea_orm::sea_query::SelectStatement,
) -> Result<Vec<invitation::Model>, ApiError> {
    use roster_entities::{account, customer, portal_login};
    use sea_orm::sea_query::Query;
    let with_login = Query::select()
        .column(portal_login::Column::CustomerId)
        .from(portal_login::Entity)
        .to_owned();
    let on_its_way = Query::select()
        .column(invitation::Column::CustomerId)
        .from(invitation::Entity)
        .and_where(invitation::Column::Kind.eq(Kind::PortalActivation))
        .and_where(invitation::Column::Status.is_in([Status::Pending, Status::Sent]))
        .and_where(invitation::Column::CustomerId.is_not_null())
        .to_owned();
    let targets = Tenant(account_id)
        .find::<customer::Entity>()
        .filter(customer::Column::Id.in_subquery(customers))
        .filter(customer::Column::PortalAccess.ne(customer::PortalAccess::NoAccess))
        .filter(customer::Column::Id.not_in_subquery(with_login))
        .filter(customer::Column::Id.not_in_subquery(on_its_way))
        .all(db)
        .await?;
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let account_name = account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let new = targets
        .into_iter()
        .map(|c| NewInvitation {
            kind: Kind::PortalActivation,
            name: format!("{} {}", c.first_name, c.last_name)
                .trim()
                .to_owned(),
            email: c.email,
            language: c.locale.unwrap_or_else(|| "en".into()),
            user_id: None,
            customer_id: Some(c.id),
            transfer_user_id: None,
        })
        .collect();
    create(db, state, account_id, &account_name, None, new).await
}
