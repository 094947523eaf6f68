//! Addresses an import's validation has seen, and the rows they were first
//! seen on (kept here once the worker's memory holds too many): one block
//! of a sorted run of keys.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    /// Keys move to the database in runs, numbered from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub run: i32,
    /// The block's place in its run.
    #[sea_orm(primary_key, auto_increment = false)]
    pub block: i32,
    /// Entries of 16 bytes in key order: a 64-bit hash of an address and
    /// the row it was first seen on, both little-endian.
    pub data: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
