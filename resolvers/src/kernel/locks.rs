//! Serialising the writers of one account where a rule spans many rows
//! (the user limit, extensions, the last super admin): each such writer
//! takes the account row's write lock first, in its transaction, so a
//! parallel writer waits until it commits and then sees its rows.

use roster_entities::account;
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Locks the account's row until the transaction `db` ends. A no-op
/// UPDATE rather than `SELECT … FOR UPDATE`, which SQLite lacks: on SQLite
/// it takes the database's write lock, on PostgreSQL the row's.
pub async fn account(db: &impl ConnectionTrait, account_id: Uuid) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::UpdatedAt,
            Expr::col(account::Column::UpdatedAt).into(),
        )
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}
