//! The activity history (seed 002): the `activity` connection reads it
//! and `activityAdded` streams it live. Entries are written by the kernel's
//! `history`, in the transaction of each change.

mod object;
mod query;

pub use object::{Activity, ActivityOutcome};
pub use query::{find, ActivityQuery, ActivitySubscription};
