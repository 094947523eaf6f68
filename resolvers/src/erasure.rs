//! Erasing a deleted person's personal data from the records that outlive
//! them (seed 000: personal data is blanked everywhere). Rows that belong
//! to the person go with their row (foreign keys cascade); this clears what
//! other rows copied: names in the activity history, their invitations and
//! the mail about them, pending portal sign-ups with their address, and the rows of past imports. The history keeps a
//! non-personal trace: what was done, when, and to which kind of record.

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};
use uuid::Uuid;

/// What the history shows instead of a deleted person.
pub const ERASED: &str = "(deleted)";

/// Someone deleted, and the strings that identified them.
pub struct Person {
    pub account_id: Uuid,
    pub id: Uuid,
    /// Every email they had (primary and aliases).
    pub emails: Vec<String>,
    /// Their full name as it was shown ("first last").
    pub name: String,
}

impl Person {
    /// The lower-case strings searched for in copied text. Short names are
    /// left out: they would match unrelated words.
    fn needles(&self) -> Vec<String> {
        let mut needles: Vec<String> = self
            .emails
            .iter()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        let name = self.name.trim().to_lowercase();
        if name.chars().count() >= 4 {
            needles.push(name);
        }
        needles.sort();
        needles.dedup();
        needles
    }
}

/// Clears the person's copies, in the transaction that deletes them.
pub async fn erase(db: &impl ConnectionTrait, person: &Person) -> Result<(), DbErr> {
    let account: Value = person.account_id.into();
    let id: Value = person.id.into();
    let erased: Value = ERASED.into();
    let run = |sql: &'static str, values: Vec<Value>| async move {
        db.execute(statement(db, sql, values)).await.map(|_| ())
    };

    // The history: entries about them or by them keep what was done.
    run(
        "UPDATE activities SET target_name = $3, detail = NULL WHERE account_id = $1 AND target_id = $2",
        vec![account.clone(), id.clone(), erased.clone()],
    )
    .await?;
    run(
        "UPDATE activities SET actor_name = $3 WHERE account_id = $1 AND actor_id = $2",
        vec![account.clone(), id.clone(), erased.clone()],
    )
    .await?;

    // Their invitations and every mail about them or to them.
    run(
        "DELETE FROM outbox_messages WHERE account_id = $1 AND invitation_id IN \
         (SELECT id FROM invitations WHERE account_id = $1 \
          AND (user_id = $2 OR customer_id = $2 OR transfer_user_id = $2))",
        vec![account.clone(), id.clone()],
    )
    .await?;
    run(
        "DELETE FROM invitations WHERE account_id = $1 \
         AND (user_id = $2 OR customer_id = $2 OR transfer_user_id = $2)",
        vec![account.clone(), id.clone()],
    )
    .await?;

    for needle in person.needles() {
        let needle: Value = needle.into();
        for sql in [
            "UPDATE activities SET target_name = $3 WHERE account_id = $1 AND INSTR(LOWER(target_name), $2) > 0",
            "UPDATE activities SET actor_name = $3 WHERE account_id = $1 AND INSTR(LOWER(actor_name), $2) > 0",
        ] {
            run(sql, vec![account.clone(), needle.clone(), erased.clone()]).await?;
        }
        for sql in [
            "UPDATE activities SET detail = NULL WHERE account_id = $1 AND INSTR(LOWER(detail), $2) > 0",
            "DELETE FROM outbox_messages WHERE account_id = $1 \
             AND (INSTR(LOWER(to_email), $2) > 0 OR INSTR(LOWER(to_name), $2) > 0)",
            "DELETE FROM invitations WHERE account_id = $1 \
             AND (INSTR(LOWER(email), $2) > 0 OR INSTR(LOWER(recipient_name), $2) > 0)",
            "DELETE FROM portal_sign_ups WHERE account_id = $1 \
             AND (INSTR(LOWER(email), $2) > 0 \
                  OR INSTR(LOWER(first_name || ' ' || last_name), $2) > 0)",
            // A past import's copy of the row: its data goes, its issues
            // (which name columns, not values) stay.
            "UPDATE import_rows SET data = NULL WHERE INSTR(LOWER(data), $2) > 0 \
             AND job_id IN (SELECT id FROM import_jobs WHERE account_id = $1)",
        ] {
            run(sql, vec![account.clone(), needle.clone()]).await?;
        }
    }
    Ok(())
}

/// The statement for the connection's database: `$n` parameters become
/// SQLite's `?n`, and `INSTR` PostgreSQL's `STRPOS`.
fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql.replace("INSTR(", "STRPOS("),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}
