//! Taking and freeing seats. Taking is one conditional UPDATE per product
//! (`seats_used + n <= seats`), so concurrent assignments can never exceed
//! a product's seats on any database; a shortage anywhere undoes the whole
//! operation (the caller rolls its transaction back).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use roster_entities::{product, user_product};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::error::ApiError;

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
/// (users holding one already keep it). On a shortage nothing is written
/// by this call, and the caller must roll back what it wrote before.
pub async fn take(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    users: &[Uuid],
    products: &[product::Model],
) -> Result<Result<usize, Shortage>, ApiError> {
    if users.is_empty() || products.is_empty() {
        return Ok(Ok(0));
    }
    // Who holds what already (only possible for existing users).
    let mut held: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for chunk in users.chunks(10_000) {
        for row in user_product::Entity::find()
            .filter(user_product::Column::ProductId.is_in(products.iter().map(|p| p.id)))
            .filter(user_product::Column::UserId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            held.entry(row.product_id).or_default().insert(row.user_id);
        }
    }
    let mut taken = 0;
    for product in products {
        let holders = held.get(&product.id);
        let new: Vec<Uuid> = users
            .iter()
            .copied()
            .filter(|u| holders.is_none_or(|h| !h.contains(u)))
            .collect();
        if new.is_empty() {
            continue;
        }
        let n = new.len() as i32;
        let updated = product::Entity::update_many()
            .col_expr(
                product::Column::SeatsUsed,
                Expr::col(product::Column::SeatsUsed).add(n),
            )
            .filter(product::Column::Id.eq(product.id))
            .filter(product::Column::AccountId.eq(account_id))
            .filter(
                Expr::expr(Expr::col(product::Column::SeatsUsed).add(n))
                    .lte(Expr::col(product::Column::Seats)),
            )
            .exec(db)
            .await?;
        if updated.rows_affected == 0 {
            let now = product::Entity::find_by_id(product.id).one(db).await?;
            let free = now.map(|p| (p.seats - p.seats_used) as i64).unwrap_or(0);
            return Ok(Err(Shortage {
                product: product.name.clone(),
                free,
                wanted: new.len() as i64,
            }));
        }
        let now = Utc::now();
        for chunk in new.chunks(5_000) {
            let rows = chunk.iter().map(|u| user_product::ActiveModel {
                account_id: Set(account_id),
                user_id: Set(*u),
                product_id: Set(product.id),
                assigned_at: Set(now),
            });
            user_product::Entity::insert_many(rows)
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
        taken += new.len();
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
    let mut select = user_product::Entity::find()
        .filter(user_product::Column::AccountId.eq(account_id))
        .filter(user_product::Column::UserId.is_in(users.iter().copied()));
    if let Some(products) = products {
        select = select.filter(user_product::Column::ProductId.is_in(products.iter().copied()));
    }
    let rows = select.all(db).await?;
    let mut per_product: HashMap<Uuid, i32> = HashMap::new();
    for row in &rows {
        *per_product.entry(row.product_id).or_default() += 1;
    }
    for (product_id, n) in &per_product {
        product::Entity::update_many()
            .col_expr(
                product::Column::SeatsUsed,
                Expr::col(product::Column::SeatsUsed).sub(*n),
            )
            .filter(product::Column::Id.eq(*product_id))
            .exec(db)
            .await?;
        user_product::Entity::delete_many()
            .filter(user_product::Column::ProductId.eq(*product_id))
            .filter(user_product::Column::UserId.is_in(users.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(rows.len())
}
