//! A Redis connection made on first use and made again after a failure,
//! for stores that fall back to memory while Redis does not answer (rate
//! limits, persisted documents). Every call gives up after 500 ms.

use std::{future::Future, time::Duration};

use tokio::sync::Mutex;

const TIMEOUT: Duration = Duration::from_millis(500);

pub struct RedisLink {
    client: redis::Client,
    connection: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

impl RedisLink {
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(RedisLink {
            client: redis::Client::open(url)?,
            connection: Mutex::new(None),
        })
    }

    /// Runs `command` on the connection. `None` when Redis does not answer
    /// (the connection is then made again on the next call).
    pub async fn run<T, F, Fut>(&self, what: &str, command: F) -> Option<T>
    where
        F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let mut slot = self.connection.lock().await;
        if slot.is_none() {
            let connect = self.client.get_multiplexed_async_connection();
            match tokio::time::timeout(TIMEOUT, connect).await {
                Ok(Ok(conn)) => *slot = Some(conn),
                _ => return None,
            }
        }
        let conn = slot.clone()?;
        drop(slot);
        match tokio::time::timeout(TIMEOUT, command(conn)).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(err)) => {
                tracing::warn!(%err, "{what}: Redis does not answer; using memory");
                *self.connection.lock().await = None;
                None
            }
            Err(_) => {
                tracing::warn!("{what}: Redis timed out; using memory");
                *self.connection.lock().await = None;
                None
            }
        }
    }
}
