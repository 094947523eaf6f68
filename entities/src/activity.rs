//! The activity history: who did what to what, when, and how it ended.
//! Names are copied in so the history still reads after deletions.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    /// For example `user.add`, `products.assign`, `customer.update`.
    pub action: String,
    /// The kind of the target (`User`, `Customer`, `Group`, ...).
    pub target_kind: String,
    pub target_id: Option<Uuid>,
    pub target_name: String,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: String,
    pub detail: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
