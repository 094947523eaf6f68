//! The addresses an import's validation has seen so far, each with the row
//! it was first seen on: what finds a file's duplicates. Keys are 64-bit
//! hashes of the addresses (a hit is confirmed against the row itself).
//!
//! They stay in memory up to a limit. Past it they move to the database
//! as a *run*: sorted, cut into blocks of `BLOCK` keys stored as one value
//! each (a few thousand small rows per million keys, cheap to write and
//! to delete), while memory keeps each run's Bloom filter (12 bits a key)
//! and the first key of each block. A key not in memory is looked for in
//! the one block of each run whose filter may hold it, with one statement
//! per run and chunk; the filters keep almost every new key from reaching
//! the database. So a file of any size validates in nearly flat memory,
//! and a file that fits spends nothing on it.

use std::collections::{BTreeSet, HashMap};

use roster_entities::import_key;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::kernel::{
    bulk::{self, OnDuplicate},
    error::ApiError,
};

/// Keys per stored block (16 bytes each).
const BLOCK: usize = 128;
/// Blocks fetched per statement.
const BLOCKS_PER_LOOKUP: usize = 5_000;

/// The 64-bit key of an address.
pub fn key_of(address: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    address.hash(&mut hasher);
    hasher.finish()
}

/// The keys one job's validation has seen.
pub struct Seen {
    job_id: Uuid,
    limit: usize,
    memory: HashMap<u64, i64>,
    /// The runs in the database, by number.
    runs: Vec<Run>,
}

/// What memory keeps of a run in the database.
struct Run {
    filter: Bloom,
    /// The first key of each block, in order.
    firsts: Vec<u64>,
}

impl Seen {
    /// Nothing seen yet; up to `limit` keys in memory.
    pub fn new(job_id: Uuid, limit: usize) -> Self {
        Seen {
            job_id,
            limit: limit.max(1),
            memory: HashMap::new(),
            runs: Vec::new(),
        }
    }

    /// The rows on which those of `keys` seen so far were first seen.
    pub async fn earlier(
        &self,
        db: &impl ConnectionTrait,
        keys: &[u64],
    ) -> Result<HashMap<u64, i64>, ApiError> {
        let mut found = HashMap::new();
        // Per run, the keys its filter may hold and the blocks they are in.
        let mut wanted: Vec<(Vec<u64>, BTreeSet<i32>)> =
            self.runs.iter().map(|_| Default::default()).collect();
        for &key in keys {
            if let Some(&row) = self.memory.get(&key) {
                found.insert(key, row);
                continue;
            }
            for (run, wanted) in self.runs.iter().zip(wanted.iter_mut()) {
                if run.filter.may_hold(key) {
                    let block = run.firsts.partition_point(|first| *first <= key);
                    if let Some(block) = block.checked_sub(1) {
                        wanted.0.push(key);
                        wanted.1.insert(block as i32);
                    }
                }
            }
        }
        for (run, (keys, blocks)) in wanted.into_iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let blocks: Vec<i32> = blocks.into_iter().collect();
            let mut stored = HashMap::new();
            for blocks in blocks.chunks(BLOCKS_PER_LOOKUP) {
                let data: Vec<Vec<u8>> = import_key::Entity::find()
                    .select_only()
                    .column(import_key::Column::Data)
                    .filter(import_key::Column::JobId.eq(self.job_id))
                    .filter(import_key::Column::Run.eq(run as i32))
                    .filter(import_key::Column::Block.is_in(blocks.iter().copied()))
                    .into_tuple()
                    .all(db)
                    .await?;
                for block in data {
                    stored.extend(entries(&block));
                }
            }
            for key in keys {
                if let Some(&row) = stored.get(&key) {
                    found.insert(key, row);
                }
            }
        }
        Ok(found)
    }

    /// Records that `key` was seen on `row`; a key seen before keeps its
    /// first row. Only keys that `earlier` did not find may be recorded.
    pub fn record(&mut self, key: u64, row: i64) {
        self.memory.entry(key).or_insert(row);
    }

    /// Moves the keys in memory to the database as a new run once there
    /// are more than the limit (between chunks).
    pub async fn settle(&mut self, db: &impl ConnectionTrait) -> Result<(), ApiError> {
        if self.memory.len() <= self.limit {
            return Ok(());
        }
        let mut keys: Vec<(u64, i64)> = std::mem::take(&mut self.memory).into_iter().collect();
        keys.sort_unstable_by_key(|(key, _)| *key);
        let mut run = Run {
            filter: Bloom::for_keys(keys.len()),
            firsts: Vec::with_capacity(keys.len().div_ceil(BLOCK)),
        };
        let (job_id, number) = (self.job_id, self.runs.len() as i32);
        let mut rows = Vec::with_capacity(keys.len().div_ceil(BLOCK));
        for (block, entries) in keys.chunks(BLOCK).enumerate() {
            run.firsts.push(entries[0].0);
            let mut data = Vec::with_capacity(entries.len() * 16);
            for &(key, row) in entries {
                run.filter.add(key);
                data.extend_from_slice(&key.to_le_bytes());
                data.extend_from_slice(&row.to_le_bytes());
            }
            rows.push(import_key::ActiveModel {
                job_id: Set(job_id),
                run: Set(number),
                block: Set(block as i32),
                data: Set(data),
            });
        }
        bulk::insert(db, rows, OnDuplicate::Fail).await?;
        if self.runs.is_empty() {
            tracing::info!(
                job_id = %job_id,
                limit = self.limit,
                "import: the addresses seen no longer fit in memory; they are kept in the database"
            );
        }
        self.runs.push(run);
        Ok(())
    }

    /// Forgets what job `job_id`'s validation has seen (it is over, or
    /// starts again).
    pub async fn forget(db: &impl ConnectionTrait, job_id: Uuid) -> Result<(), ApiError> {
        import_key::Entity::delete_many()
            .filter(import_key::Column::JobId.eq(job_id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// How many keys are in memory.
    #[cfg(test)]
    fn in_memory(&self) -> usize {
        self.memory.len()
    }
}

/// The (key, row) entries of a stored block.
fn entries(block: &[u8]) -> impl Iterator<Item = (u64, i64)> + '_ {
    block.chunks_exact(16).map(|entry| {
        let (key, row) = entry.split_at(8);
        (
            u64::from_le_bytes(key.try_into().unwrap_or_default()),
            i64::from_le_bytes(row.try_into().unwrap_or_default()),
        )
    })
}

/// Whether a run may hold a key: never wrong when it says no, wrong about
/// 0.3 % of the time when it says yes (12 bits and 8 probes a key).
struct Bloom {
    bits: Vec<u64>,
}

impl Bloom {
    const PROBES: u64 = 8;

    fn for_keys(keys: usize) -> Self {
        Bloom {
            bits: vec![0; (keys * 12).div_ceil(64).max(1)],
        }
    }

    /// The bits of `key` (double hashing: the key is a hash already).
    fn positions(&self, key: u64) -> impl Iterator<Item = usize> + use<> {
        let size = self.bits.len() as u64 * 64;
        let step = key.rotate_left(32).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..Self::PROBES).map(move |i| (key.wrapping_add(i.wrapping_mul(step)) % size) as usize)
    }

    fn add(&mut self, key: u64) {
        for at in self.positions(key) {
            self.bits[at / 64] |= 1 << (at % 64);
        }
    }

    fn may_hold(&self, key: u64) -> bool {
        self.positions(key)
            .all(|at| self.bits[at / 64] & (1 << (at % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{Database, DatabaseConnection};

    async fn database_and_a_job_id() -> (DatabaseConnection, Uuid) {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        // The keys' job need not exist for these tests.
        db.execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
        let job = Uuid::now_v7();
        (db, job)
    }

    /// Records `rows` (row, addresses) chunk by chunk as validation does,
    /// and returns for each address the earlier row it duplicates.
    async fn duplicates(limit: usize, chunks: &[&[(i64, &[&str])]]) -> Vec<(String, i64)> {
        let (db, job) = database_and_a_job_id().await;
        let mut seen = Seen::new(job, limit);
        let mut out = Vec::new();
        for chunk in chunks {
            let keys: Vec<u64> = chunk
                .iter()
                .flat_map(|(_, a)| a.iter().map(|a| key_of(a)))
                .collect();
            let mut earlier = seen.earlier(&db, &keys).await.unwrap();
            for (row, addresses) in chunk.iter() {
                for address in addresses.iter() {
                    let key = key_of(address);
                    match earlier.get(&key) {
                        Some(&first) => out.push((address.to_string(), first)),
                        None => {
                            earlier.insert(key, *row);
                            seen.record(key, *row);
                        }
                    }
                }
            }
            seen.settle(&db).await.unwrap();
            assert!(
                seen.in_memory() <= limit,
                "{} keys in memory",
                seen.in_memory()
            );
        }
        out
    }

    const FILE: &[&[(i64, &[&str])]] = &[
        &[(2, &["a@x", "b@x"]), (3, &["c@x"])],
        &[(4, &["d@x", "a@x"]), (5, &["e@x"])],
        &[(6, &["c@x"]), (7, &["f@x", "d@x"])],
        &[(8, &["b@x"]), (9, &["e@x", "g@x"])],
    ];

    #[tokio::test]
    async fn keys_moved_to_the_database_find_the_same_duplicates() {
        let in_memory = duplicates(1_000, FILE).await;
        assert_eq!(
            in_memory,
            [
                ("a@x".to_owned(), 2),
                ("c@x".to_owned(), 3),
                ("d@x".to_owned(), 4),
                ("b@x".to_owned(), 2),
                ("e@x".to_owned(), 5),
            ]
        );
        for limit in [1, 2, 3] {
            assert_eq!(duplicates(limit, FILE).await, in_memory, "limit {limit}");
        }
    }

    #[tokio::test]
    async fn every_block_of_every_run_is_found() {
        // 3,000 addresses in chunks of 500, a run every two chunks (8 blocks
        // each), then every seventh address again.
        let (db, job) = database_and_a_job_id().await;
        let mut seen = Seen::new(job, 700);
        for chunk in 0..6 {
            let keys: Vec<u64> = (chunk * 500..(chunk + 1) * 500)
                .map(|i| key_of(&format!("p{i}@x")))
                .collect();
            assert!(seen.earlier(&db, &keys).await.unwrap().is_empty());
            for (i, key) in keys.into_iter().enumerate() {
                seen.record(key, (chunk * 500 + i) as i64 + 2);
            }
            seen.settle(&db).await.unwrap();
        }
        assert_eq!(seen.runs.len(), 3);
        let again: Vec<u64> = (0..3_000)
            .step_by(7)
            .map(|i| key_of(&format!("p{i}@x")))
            .collect();
        let found = seen.earlier(&db, &again).await.unwrap();
        assert_eq!(found.len(), again.len());
        for (n, key) in again.iter().enumerate() {
            assert_eq!(found[key], (n * 7) as i64 + 2);
        }
        let new: Vec<u64> = (0..3_000).map(|i| key_of(&format!("q{i}@x"))).collect();
        assert!(seen.earlier(&db, &new).await.unwrap().is_empty());
    }

    #[test]
    fn a_filter_holds_what_was_added_and_little_else() {
        let mut filter = Bloom::for_keys(10_000);
        for i in 0..10_000 {
            filter.add(key_of(&format!("p{i}@x")));
        }
        assert!((0..10_000).all(|i| filter.may_hold(key_of(&format!("p{i}@x")))));
        let wrong = (0..10_000)
            .filter(|i| filter.may_hold(key_of(&format!("q{i}@x"))))
            .count();
        assert!(wrong < 100, "{wrong} of 10,000 keys never added");
    }

    #[tokio::test]
    async fn forget_drops_a_jobs_stored_keys() {
        let (db, job) = database_and_a_job_id().await;
        let mut seen = Seen::new(job, 1);
        seen.record(key_of("a@x"), 2);
        seen.record(key_of("b@x"), 2);
        seen.settle(&db).await.unwrap();
        assert_eq!(seen.in_memory(), 0);
        let found = seen.earlier(&db, &[key_of("a@x")]).await.unwrap();
        assert_eq!(found.get(&key_of("a@x")), Some(&2));
        Seen::forget(&db, job).await.unwrap();
        assert!(seen
            .earlier(&db, &[key_of("a@x")])
            .await
            .unwrap()
            .is_empty());
    }
}
