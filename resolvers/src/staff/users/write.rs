//! Writing new staff users: the one path by which `addUsers` (and SCIM,
//! which goes through it) and the user import check a user's values, find
//! the users of other accounts who get a transfer invitation instead, give
//! out extensions, and insert the users with their groups and contacts.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use roster_entities::{
    group_member,
    user::{self, Role, Status},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, NotSet, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{extension, parse};
use crate::kernel::{
    bulk::{self, OnDuplicate},
    error::UserError,
    scope::Tenant,
    validation,
};

/// A new user's values, checked.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Values {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub email_key: String,
    pub extension: Option<i32>,
}

/// Checks a new user's values on their own (no database); each error names
/// its field as `field` calls it (`firstName`, `lastName`, `email`,
/// `extension`).
pub fn check(
    first_name: &str,
    last_name: &str,
    email: &str,
    extension: Option<i32>,
    field: impl Fn(&str) -> String,
) -> Result<Values, Vec<UserError>> {
    let first = validation::required_text(&field("firstName"), first_name, parse::NAME_MAX);
    let last = validation::required_text(&field("lastName"), last_name, parse::NAME_MAX);
    let email = validation::email(&field("email"), email, parse::EMAIL_MAX);
    let extension = extension
        .map(|e| extension::check(&field("extension"), e))
        .transpose();
    match (first, last, email, extension) {
        (Ok(first_name), Ok(last_name), Ok(email), Ok(extension)) => Ok(Values {
            first_name,
            last_name,
            email_key: validation::email_key(&email),
            email,
            extension,
        }),
        (first, last, email, extension) => {
            Err([first.err(), last.err(), email.err(), extension.err()]
                .into_iter()
                .flatten()
                .collect())
        }
    }
}

/// The users who have these addresses, in any account: key → (account,
/// user). Emails sign in, so they are unique across accounts: a user of
/// another account gets a transfer invitation rather than a second place.
pub async fn existing_emails(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashMap<String, (Uuid, Uuid)>, DbErr> {
    let mut existing = HashMap::new();
    for chunk in keys.chunks(10_000) {
        // all accounts: sign-in emails are unique across accounts (transfers)
        let rows: Vec<(String, Uuid, Uuid)> = user::Entity::find()
            .select_only()
            .column(user::Column::EmailKey)
            .column(user::Column::AccountId)
            .column(user::Column::Id)
            .filter(user::Column::EmailKey.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        existing.extend(rows.into_iter().map(|(k, a, u)| (k, (a, u))));
    }
    Ok(existing)
}

/// What a new user gets besides their values.
pub struct Settings {
    pub role: Role,
    pub status: Status,
    pub language: String,
    pub custom_role_id: Option<Uuid>,
    pub settings_template_id: Option<Uuid>,
}

/// New places in the account, as (user, the user of another account they
/// would transfer from). Users without an extension get the lowest free
/// ones (`taken`: the account's, which grows by those given out); a user
/// of another account is placed INVITED, under a key of their own until
/// they accept (`place_key`).
pub fn place(
    tenant: Tenant,
    users: Vec<(Values, Settings)>,
    existing: &HashMap<String, (Uuid, Uuid)>,
    taken: &mut HashSet<i32>,
    now: DateTime<Utc>,
) -> Vec<(user::Model, Option<Uuid>)> {
    taken.extend(users.iter().filter_map(|(v, _)| v.extension));
    let wanted = users.iter().filter(|(v, _)| v.extension.is_none()).count();
    let mut free = extension::lowest_free(taken, wanted).into_iter();
    let places: Vec<_> = users
        .into_iter()
        .map(|(v, settings)| {
            let id = Uuid::now_v7();
            let transfer_from = existing
                .get(&v.email_key)
                .filter(|(account, _)| *account != tenant.0)
                .map(|(_, user)| *user);
            let user = user::Model {
                id,
                account_id: tenant.0,
                first_name: v.first_name,
                last_name: v.last_name,
                email: v.email,
                email_key: place_key(id, v.email_key, transfer_from),
                role: settings.role,
                status: if transfer_from.is_some() {
                    Status::Invited
                } else {
                    settings.status
                },
                password_hash: None,
                extension: v.extension.or_else(|| free.next()),
                language: settings.language,
                custom_role_id: settings.custom_role_id,
                settings_template_id: settings.settings_template_id,
                created_at: now,
                updated_at: now,
            };
            (user, transfer_from)
        })
        .collect();
    taken.extend(places.iter().filter_map(|(u, _)| u.extension));
    places
}

/// The sign-in key of a new place in the account: the email's own key, or,
/// for a user of another account invited to transfer (`transfer_from`), a
/// key of its own: they keep signing in to their current account with
/// their email until they accept.
pub fn place_key(id: Uuid, email_key: String, transfer_from: Option<Uuid>) -> String {
    match transfer_from {
        Some(_) => format!("transfer:{id}"),
        None => email_key,
    }
}

/// Inserts the placed users, puts them in `groups` and gives them their
/// contact entries.
pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    places: &[(user::Model, Option<Uuid>)],
    groups: &[Uuid],
) -> Result<(), DbErr> {
    let rows = places
        .iter()
        .map(|(u, _)| tenant.row(u.clone().into_active_model()));
    bulk::insert(db, rows.collect(), OnDuplicate::Fail).await?;
    let ids: Vec<Uuid> = places.iter().map(|(u, _)| u.id).collect();
    for group in groups {
        let links = ids.iter().map(|user_id| {
            tenant.row(group_member::ActiveModel {
                account_id: NotSet,
                group_id: Set(*group),
                user_id: Set(*user_id),
            })
        });
        bulk::insert(db, links.collect(), OnDuplicate::Fail).await?;
    }
    super::contact::sync_users(db, &ids).await
}
