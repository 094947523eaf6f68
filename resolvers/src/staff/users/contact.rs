//! Staff users are contacts too. Their contact row shares the user's id, and
//! their sign-in email is the contact's primary EMAIL method (same id).
//! Whoever creates users calls `sync` in the same transaction.

use sea_orm::{ConnectionTrait, DbErr};

const USER_CONTACTS: &str =
    "INSERT INTO contacts (id, account_id, user_id, name, name_key, created_at, updated_at) \
     SELECT u.id, u.account_id, u.id, TRIM(u.first_name || ' ' || u.last_name), \
            LOWER(TRIM(u.first_name || ' ' || u.last_name)), u.created_at, u.created_at \
     FROM users u WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.user_id = u.id)";
const USER_EMAILS: &str = "INSERT INTO contact_methods (id, account_id, contact_id, kind, value, is_primary, created_at) \
     SELECT u.id, u.account_id, u.id, 'EMAIL', u.email, TRUE, u.created_at \
     FROM users u WHERE NOT EXISTS (SELECT 1 FROM contact_methods m WHERE m.id = u.id)";

/// Adds the contact rows of users that have none yet.
pub async fn sync(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared(USER_CONTACTS).await?;
    db.execute_unprepared(USER_EMAILS).await?;
    Ok(())
}

/// Adds the contact rows of the users `ids` (new users): unlike `sync`,
/// its cost does not grow with the account.
pub async fn sync_users(db: &impl ConnectionTrait, ids: &[uuid::Uuid]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|i| match backend {
                sea_orm::DatabaseBackend::Postgres => format!("${i}"),
                _ => "?".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let values: Vec<sea_orm::Value> = chunk.iter().map(|id| (*id).into()).collect();
        for sql in [USER_CONTACTS, USER_EMAILS] {
            let sql = format!("{sql} AND u.id IN ({list})");
            db.execute(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                values.clone(),
            ))
            .await?;
        }
    }
    Ok(())
}

/// The display name of a user's contact.
pub fn name_of(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_owned()
}
