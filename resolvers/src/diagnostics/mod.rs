//! Diagnostics for API clients: a subscription that proves a WebSocket
//! connection works end to end (handshake, authentication, streaming).

use std::time::Duration;

use async_graphql::{Context, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;

use crate::{kernel::auth, kernel::error::ApiError};

#[derive(Default)]
pub struct DiagnosticsSubscription;

#[Subscription]
impl DiagnosticsSubscription {
    /// The server's clock, every `intervalSeconds` (1 to 60), starting at
    /// once. Requires a signed-in user (token in `connection_init`).
    async fn server_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 1, desc = "Seconds between ticks, 1 to 60 (default: 1).")]
        interval_seconds: i32,
        #[graphql(desc = "Stop after this many ticks (default: never).")] count: Option<i32>,
    ) -> async_graphql::Result<impl Stream<Item = DateTime<Utc>>> {
        auth::viewer(ctx)?;
        if !(1..=60).contains(&interval_seconds) {
            return Err(
                ApiError::BadUserInput("intervalSeconds must be between 1 and 60".into()).into(),
            );
        }
        let limit = match count {
            Some(n) if n < 1 => {
                return Err(ApiError::BadUserInput("count must be at least 1".into()).into())
            }
            Some(n) => n as usize,
            None => usize::MAX,
        };
        let period = Duration::from_secs(interval_seconds as u64);
        let ticks = futures_util::stream::unfold(
            tokio::time::interval(period),
            |mut interval| async move {
                interval.tick().await;
                Some((Utc::now(), interval))
            },
        );
        Ok(futures_util::StreamExt::take(ticks, limit))
    }
}
