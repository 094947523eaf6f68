//! Persisted documents: the store behind automatic persisted queries (a
//! client sends a document's SHA-256 instead of its text once the server
//! has seen it) and the list of trusted documents (only registered
//! operations run). The store is shared through Redis when it is set up
//! (any instance answers a hash another one learnt) and kept in memory
//! otherwise, or while Redis does not answer.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use sha2::{Digest, Sha256};

use super::redis_link::RedisLink;

/// Documents kept in memory; the oldest half goes when it is full.
const MEMORY_ENTRIES: usize = 10_000;
/// How long Redis keeps a document nobody asked for.
const REDIS_TTL_SECS: u64 = 7 * 24 * 3600;

/// The lowercase hex SHA-256 of a document, as clients compute it.
pub fn hash(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The operations a client build registered: by id (usually the
/// document's SHA-256), and their texts.
#[derive(Debug, Default)]
pub struct Trusted {
    by_id: HashMap<String, Arc<str>>,
    texts: HashSet<Arc<str>>,
}

impl Trusted {
    /// Reads a manifest: either an object of `{ "<id>": "<document>" }`
    /// (GraphQL Code Generator's `persisted-documents.json`) or Apollo's
    /// persisted query manifest (`{ "format":
    /// "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`).
    pub fn parse(text: &str) -> Result<Trusted, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let mut trusted = Trusted::default();
        let mut add = |id: &str, body: &str| -> Result<(), String> {
            if id.is_empty() || body.trim().is_empty() {
                return Err("an entry has an empty id or document".into());
            }
            let body: Arc<str> = Arc::from(body);
            trusted.texts.insert(body.clone());
            trusted.by_id.insert(id.to_owned(), body);
            Ok(())
        };
        match &value {
            serde_json::Value::Object(map)
                if map.get("format").and_then(|f| f.as_str())
                    == Some("apollo-persisted-query-manifest") =>
            {
                let operations = map
                    .get("operations")
                    .and_then(|o| o.as_array())
                    .ok_or("an Apollo manifest needs an `operations` list")?;
                for op in operations {
                    let id = op.get("id").and_then(|v| v.as_str()).unwrap_or_default();
                    let body = op.get("body").and_then(|v| v.as_str()).unwrap_or_default();
                    add(id, body)?;
                }
            }
            serde_json::Value::Object(map) => {
                for (id, body) in map {
                    let body = body
                        .as_str()
                        .ok_or_else(|| format!("the document of `{id}` is not a string"))?;
                    add(id, body)?;
                }
            }
            _ => return Err("expected a JSON object".into()),
        }
        if trusted.by_id.is_empty() {
            return Err("the manifest lists no document".into());
        }
        Ok(trusted)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The registered document with this id (or hash).
    pub fn get(&self, id: &str) -> Option<Arc<str>> {
        self.by_id.get(id).cloned()
    }

    /// Whether `text` is a registered document.
    pub fn contains_text(&self, text: &str) -> bool {
        self.texts.contains(text)
    }
}

#[derive(Default)]
pub struct Documents {
    /// Separates unrelated deployments sharing one Redis.
    namespace: String,
    memory: Mutex<HashMap<String, Arc<str>>>,
    redis: Option<RedisLink>,
    /// When set, only these documents run.
    pub trusted: Option<Trusted>,
}

impl Documents {
    pub fn in_memory() -> Self {
        Documents::default()
    }

    /// Shares the documents through Redis at `url`.
    pub fn redis(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        Ok(Documents {
            namespace: namespace.to_owned(),
            redis: Some(RedisLink::open(url)?),
            ..Documents::default()
        })
    }

    pub fn with_trusted(mut self, trusted: Trusted) -> Self {
        self.trusted = Some(trusted);
        self
    }

    fn key(&self, hash: &str) -> String {
        format!("roster:document:{}:{hash}", self.namespace)
    }

    /// The document with this SHA-256, if this or another instance learnt it.
    pub async fn get(&self, hash: &str) -> Option<Arc<str>> {
        let cached = self.memory.lock().ok().and_then(|m| m.get(hash).cloned());
        if cached.is_some() {
            return cached;
        }
        let link = self.redis.as_ref()?;
        let key = self.key(hash);
        let text: Option<String> = link
            .run("persisted documents", |mut conn| async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async::<Option<String>>(&mut conn)
                    .await
            })
            .await
            .flatten();
        let text: Arc<str> = Arc::from(text?);
        self.remember(hash, text.clone());
        Some(text)
    }

    /// Learns `document` under its SHA-256 `hash` (checked by the caller).
    pub async fn put(&self, hash: &str, document: &str) {
        let text: Arc<str> = Arc::from(document);
        self.remember(hash, text);
        if let Some(link) = &self.redis {
            let key = self.key(hash);
            let value = document.to_owned();
            let _: Option<()> = link
                .run("persisted documents", |mut conn| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(value)
                        .arg("EX")
                        .arg(REDIS_TTL_SECS)
                        .query_async::<()>(&mut conn)
                        .await
                })
                .await;
        }
    }

    fn remember(&self, hash: &str, text: Arc<str>) {
        let Ok(mut memory) = self.memory.lock() else {
            return;
        };
        if memory.len() >= MEMORY_ENTRIES {
            // No order is kept: dropping every other entry is as good a
            // guess as any and keeps the map's cost flat.
            let mut keep = false;
            memory.retain(|_, _| {
                keep = !keep;
                keep
            });
        }
        memory.insert(hash.to_owned(), text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_clients() {
        // As `printf '%s' '{ viewer { id } }' | sha256sum` prints it.
        assert_eq!(
            hash("{ viewer { id } }"),
            "3c5cde484c335605fe71515655ff4723f67a754f9af53cb4c54aed06e64f87ee"
        );
        assert_ne!(hash("{ a }"), hash("{ b }"));
    }

    #[test]
    fn reads_both_manifest_formats() {
        let codegen =
            Trusted::parse(r#"{ "abc": "query A { a }", "def": "query B { b }" }"#).unwrap();
        assert_eq!(codegen.len(), 2);
        assert_eq!(codegen.get("abc").as_deref(), Some("query A { a }"));
        assert!(codegen.contains_text("query B { b }"));
        let apollo = Trusted::parse(
            r#"{ "format": "apollo-persisted-query-manifest", "version": 1,
                 "operations": [{ "id": "x1", "name": "A", "type": "query", "body": "query A { a }" }] }"#,
        )
        .unwrap();
        assert_eq!(apollo.get("x1").as_deref(), Some("query A { a }"));
        for bad in ["[]", "{}", r#"{ "a": 1 }"#, "not json", r#"{ "a": "" }"#] {
            assert!(Trusted::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn memory_store_learns_and_forgets_nothing_it_was_not_told() {
        let docs = Documents::in_memory();
        assert!(docs.get("h").await.is_none());
        docs.put("h", "{ a }").await;
        assert_eq!(docs.get("h").await.as_deref(), Some("{ a }"));
    }

    #[tokio::test]
    async fn memory_store_stays_bounded() {
        let docs = Documents::in_memory();
        for i in 0..MEMORY_ENTRIES * 3 {
            docs.put(&format!("h{i}"), "{ a }").await;
            assert!(docs.memory.lock().unwrap().len() <= MEMORY_ENTRIES);
        }
        let last = format!("h{}", MEMORY_ENTRIES * 3 - 1);
        assert!(docs.get(&last).await.is_some(), "the newest stays");
    }
}
