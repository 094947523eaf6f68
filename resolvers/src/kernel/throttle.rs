//! Rate limits in fixed windows: sign-in attempts per email and per client
//! address, and a request budget per session token. With Redis the counts
//! are shared by every instance (`INCR` + `EXPIRE NX`); without it, or
//! while Redis does not answer, each instance counts in memory.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::redis_link::RedisLink;

/// One limit: at most `limit` hits per `window` for each key.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub name: &'static str,
    pub limit: u32,
    pub window: Duration,
}

/// The limits an operator may change.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Sign-in attempts per email (staff and portal alike).
    pub login_per_email: Rule,
    /// Sign-in attempts per client address.
    pub login_per_address: Rule,
    /// Requests per session token.
    pub requests_per_token: Rule,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            login_per_email: Rule {
                name: "login-email",
                limit: 10,
                window: Duration::from_secs(15 * 60),
            },
            login_per_address: Rule {
                name: "login-address",
                limit: 100,
                window: Duration::from_secs(15 * 60),
            },
            requests_per_token: Rule {
                name: "token",
                limit: 1_200,
                window: Duration::from_secs(60),
            },
        }
    }
}

/// A refusal: try again after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

pub struct Throttle {
    pub limits: Limits,
    /// Separates the counts of unrelated deployments sharing one Redis.
    namespace: String,
    memory: Mutex<HashMap<String, (Instant, u32)>>,
    redis: Option<RedisLink>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::in_memory(Limits::default())
    }
}

impl Throttle {
    pub fn in_memory(limits: Limits) -> Self {
        Throttle {
            limits,
            namespace: String::new(),
            memory: Mutex::new(HashMap::new()),
            redis: None,
        }
    }

    /// Counts in Redis at `url`, under `namespace` (instances that share a
    /// database share their counts).
    pub fn redis(limits: Limits, url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        Ok(Throttle {
            redis: Some(RedisLink::open(url)?),
            namespace: namespace.to_owned(),
            ..Throttle::in_memory(limits)
        })
    }

    /// Counts one hit of `key` under `rule`; refuses when the window's
    /// count is over the limit.
    pub async fn hit(&self, rule: Rule, key: &str) -> Result<(), Limited> {
        let key = self.key(rule, key);
        if let Some(shared) = self.shared(rule, &key, true).await {
            return shared;
        }
        self.memory(rule, key, true)
    }

    /// Refuses when `key` has used up its hits under `rule`, without
    /// counting one.
    pub async fn check(&self, rule: Rule, key: &str) -> Result<(), Limited> {
        let key = self.key(rule, key);
        if let Some(shared) = self.shared(rule, &key, false).await {
            return shared;
        }
        self.memory(rule, key, false)
    }

    fn key(&self, rule: Rule, key: &str) -> String {
        format!("roster:throttle:{}:{}:{key}", self.namespace, rule.name)
    }

    fn memory(&self, rule: Rule, key: String, count: bool) -> Result<(), Limited> {
        let now = Instant::now();
        let mut counts = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() > 100_000 {
            // Only windows that are over, whichever rule counted them.
            let longest = [
                self.limits.login_per_email.window,
                self.limits.login_per_address.window,
                self.limits.requests_per_token.window,
            ]
            .into_iter()
            .max()
            .unwrap_or(rule.window);
            counts.retain(|_, (start, _)| now.duration_since(*start) < longest);
        }
        let entry = counts.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= rule.window {
            *entry = (now, 0);
        }
        if count {
            entry.1 += 1;
        }
        let over = if count {
            entry.1 > rule.limit
        } else {
            entry.1 >= rule.limit
        };
        if over {
            let retry_after = rule.window.saturating_sub(now.duration_since(entry.0));
            return Err(Limited {
                retry_after: retry_after.max(Duration::from_secs(1)),
            });
        }
        Ok(())
    }

    /// `None` without Redis or when it does not answer (then memory counts).
    async fn shared(&self, rule: Rule, key: &str, count: bool) -> Option<Result<(), Limited>> {
        let link = self.redis.as_ref()?;
        let window = rule.window.as_secs().max(1);
        let mut pipe = redis::pipe();
        if count {
            pipe.atomic()
                .cmd("INCR")
                .arg(key)
                .cmd("EXPIRE")
                .arg(key)
                .arg(window)
                .arg("NX")
                .ignore();
        } else {
            pipe.cmd("GET").arg(key);
        }
        pipe.cmd("TTL").arg(key);
        let (n, ttl): (Option<u32>, i64) = link
            .run("rate limits", |mut conn| async move {
                pipe.query_async(&mut conn).await
            })
            .await?;
        let over = |n: u32| {
            if count {
                n > rule.limit
            } else {
                n >= rule.limit
            }
        };
        match n {
            Some(n) if over(n) => Some(Err(Limited {
                retry_after: Duration::from_secs(ttl.max(1) as u64),
            })),
            _ => Some(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_windows() {
        let rule = Rule {
            name: "t",
            limit: 2,
            window: Duration::from_secs(60),
        };
        let throttle = Throttle::default();
        assert!(throttle.hit(rule, "a").await.is_ok());
        assert!(throttle.hit(rule, "a").await.is_ok());
        let refused = throttle.hit(rule, "a").await.unwrap_err();
        assert!(refused.retry_after > Duration::from_secs(50));
        assert!(throttle.hit(rule, "b").await.is_ok());
        assert!(throttle.check(rule, "b").await.is_ok());
        assert!(throttle.hit(rule, "b").await.is_ok());
        assert!(throttle.check(rule, "b").await.is_err());
    }
}
