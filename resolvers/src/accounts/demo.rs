//! Sample data for newcomers (`roster bootstrap --demo`): a realistic set of
//! staff so that there is something to query. Loading it twice adds nothing.

use chrono::Utc;
use roster_entities::user;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::validation;

const STAFF: &[(&str, &str, &str, user::Role, user::Status)] = &[
    (
        "Maria",
        "Lopez",
        "maria.lopez",
        user::Role::Admin,
        user::Status::Active,
    ),
    (
        "Tom",
        "Becker",
        "tom.becker",
        user::Role::Member,
        user::Status::Active,
    ),
    (
        "Aiko",
        "Tanaka",
        "aiko.tanaka",
        user::Role::Member,
        user::Status::Active,
    ),
    (
        "Samuel",
        "Okafor",
        "samuel.okafor",
        user::Role::Member,
        user::Status::Invited,
    ),
    (
        "Léa",
        "Dubois",
        "lea.dubois",
        user::Role::Member,
        user::Status::Suspended,
    ),
];

/// What `load` added.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub users_added: usize,
}

/// Adds the sample staff to `account_id`. Emails use the domain of the
/// account's super admin so that they look like colleagues.
pub async fn load(
    db: &DatabaseConnection,
    account_id: Uuid,
    domain: &str,
) -> Result<DemoSummary, sea_orm::DbErr> {
    let now = Utc::now();
    let mut summary = DemoSummary::default();
    for (first, last, local, role, status) in STAFF {
        let email = format!("{local}@{domain}");
        let key = validation::email_key(&email);
        let exists = user::Entity::find()
            .filter(user::Column::EmailKey.eq(&key))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        user::Entity::insert(user::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(account_id),
            first_name: Set((*first).into()),
            last_name: Set((*last).into()),
            email: Set(email),
            email_key: Set(key),
            role: Set(*role),
            status: Set(*status),
            // Demo staff sign in after an administrator invites them.
            password_hash: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await?;
        summary.users_added += 1;
    }
    Ok(summary)
}
