//! Taking and freeing seats. A product's `seats_used` changes only by the
//! number of holder rows the same transaction inserted or deleted (counted
//! by the database, not by a read before the write), so parallel requests
//! cannot make it drift from the holders. Taking is a conditional UPDATE
//! (`seats_used + n <= seats`), so concurrent assignments can never exceed
//! a product's seats on any database; a shortage anywhere undoes the whole
//! operation (the caller rolls its transaction back).

use chrono::Utc;
use roster_entities::{product, user_product};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, NotSet, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use crate::kernel::error::ApiError;
use crate::kernel::scope::Tenant;

/// Users per statement (within SQLite's parameter limit).
const CHUNK: usize = 5_000;

/// Not enough free seats of a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortage {
    pub product: String,
    pub free: i64,
    pub wanted: i64,
}

impl Shortage {
    pub fn message(&self) -> String {
        format!(
            "not enough seats of {}: {} free, {} needed; nothing was changed",
            self.product, self.free, self.wanted
        )
    }
}

/// Gives every user of `users` a seat of every product of `products`
/// (users holding one already keep it). On a shortage the caller must roll
/// back its transaction: this call has inserted holders by then.
pub async fn take(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    users: &[Uuid],
    products: &[product::Model],
) -> Result<Result<usize, Shortage>, ApiError> {
    if users.is_empty() || products.is_empty() {
        return Ok(Ok(0));
    }
    // One order of product row locks for every caller: no deadlocks.
    let mut products: Vec<&product::Model> = products.iter().collect();
    products.sort_by_key(|p| p.id);
    let mut taken = 0;
    let now = Utc::now();
    for product in products {
        // Holders first: a user who holds the seat already, or is given it
        // by a parallel request, inserts nothing and is not counted.
        let mut inserted = 0u64;
        for chunk in users.chunks(CHUNK) {
            let rows = chunk.iter().map(|u| user_product::ActiveModel {
                account_id: NotSet,
                user_id: Set(*u),
                product_id: Set(product.id),
                assigned_at: Set(now),
            });
            inserted += Tenant(account_id)
                .insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        user_product::Column::UserId,
                        user_product::Column::ProductId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        if inserted == 0 {
            continue;
        }
        let n = inserted as i32;
        let updated = Tenant(account_id)
            .update_many::<product::Entity>()
            .col_expr(
                product::Column::SeatsUsed,
                Expr::col(product::Column::SeatsUsed).add(n),
            )
            .filter(product::Column::Id.eq(product.id))
            .filter(
                Expr::expr(Expr::col(product::Column::SeatsUsed).add(n))
                    .lte(Expr::col(product::Column::Seats)),
            )
            .exec(db)
            .await?;
        if updated.rows_affected == 0 {
            let now = Tenant(account_id)
                .find_by_id::<product::Entity>(product.id)
                .one(db)
                .await?;
            let free = now.map(|p| (p.seats - p.seats_used) as i64).unwrap_or(0);
            return Ok(Err(Shortage {
                product: product.name.clone(),
                free,
                wanted: inserted as i64,
            }));
        }
        taken += inserted as usize;
    }
    Ok(Ok(taken))
}

/// Frees the seats `users` hold of `products` (all products when `None`).
pub async fn free(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    users: &[Uuid],
    products: Option<&[Uuid]>,
) -> Result<usize, ApiError> {
    if users.is_empty() {
        return Ok(0);
    }
    let mut product_ids: Vec<Uuid> = match products {
        Some(products) => products.to_vec(),
        None => {
            let mut ids = Vec::new();
            for chunk in users.chunks(CHUNK) {
                let held: Vec<Uuid> = Tenant(account_id)
                    .find::<user_product::Entity>()
                    .select_only()
                    .column(user_product::Column::ProductId)
                    .distinct()
                    .filter(user_product::Column::UserId.is_in(chunk.iter().copied()))
                    .into_tuple()
                    .all(db)
                    .await?;
                ids.extend(held);
            }
            ids
        }
    };
    product_ids.sort();
    product_ids.dedup();
    let mut freed = 0;
    for product_id in product_ids {
        // What this statement deleted is what it frees: a parallel request
        // that freed the same seat first leaves nothing to delete here.
        let mut deleted = 0u64;
        for chunk in users.chunks(CHUNK) {
            deleted += Tenant(account_id)
                .delete_many::<user_product::Entity>()
                .filter(user_product::Column::ProductId.eq(product_id))
                .filter(user_product::Column::UserId.is_in(chunk.iter().copied()))
                .exec(db)
                .await?
                .rows_affected;
        }
        if deleted == 0 {
            continue;
        }
        Tenant(account_id)
            .update_many::<product::Entity>()
            .col_expr(
                product::Column::SeatsUsed,
                Expr::col(product::Column::SeatsUsed).sub(deleted as i32),
            )
            .filter(product::Column::Id.eq(product_id))
            .exec(db)
            .await?;
        freed += deleted as usize;
    }
    Ok(freed)
}
