//! Phone extensions: each new user gets the lowest free number from 1000
//! (seed 003); they can be changed, and no two users of an account share one
//! (a unique index backs this up).

use std::collections::HashSet;

use roster_entities::user;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::kernel::error::{ApiError, UserError, UserErrorCode};
use crate::kernel::scope::Tenant;

/// The first extension handed out.
pub const FIRST: i32 = 1000;
/// Extensions users may choose: 2 to 8 digits.
pub const RANGE: std::ops::RangeInclusive<i32> = 10..=99_999_999;

/// The extensions taken in the account.
pub async fn taken(db: &impl ConnectionTrait, account_id: Uuid) -> Result<HashSet<i32>, ApiError> {
    let rows: Vec<Option<i32>> = Tenant(account_id)
        .find::<user::Entity>()
        .select_only()
        .column(user::Column::Extension)
        .filter(user::Column::Extension.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// The `n` lowest free extensions from FIRST, given the taken ones.
pub fn lowest_free(taken: &HashSet<i32>, n: usize) -> Vec<i32> {
    (FIRST..).filter(|e| !taken.contains(e)).take(n).collect()
}

/// The `n` lowest free extensions of the account.
pub async fn next_free(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    n: usize,
) -> Result<Vec<i32>, ApiError> {
    Ok(lowest_free(&taken(db, account_id).await?, n))
}

/// Checks a chosen extension.
pub fn check(field: &str, value: i32) -> Result<i32, UserError> {
    if !RANGE.contains(&value) {
        return Err(UserError::new(
            field,
            UserErrorCode::Invalid,
            "must have 2 to 8 digits (10 to 99999999)",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_gaps_first() {
        let taken: HashSet<i32> = [1000, 1001, 1003].into_iter().collect();
        assert_eq!(lowest_free(&taken, 3), vec![1002, 1004, 1005]);
        assert_eq!(lowest_free(&HashSet::new(), 1), vec![1000]);
    }
}
