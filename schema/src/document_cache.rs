//! Parsed documents, cached by their text: clients send the same few
//! operations over and over, and parsing is a large share of a small
//! request's work. Validation still runs on every request (it depends on
//! the variables).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::ExecutableDocument,
    ServerResult, Variables,
};

/// Documents kept; the cache starts over when it is full.
const ENTRIES: usize = 1_000;
/// Longer documents are parsed every time (they are rare and large).
const MAX_LEN: usize = 16 * 1024;

fn cache() -> &'static Mutex<HashMap<String, Arc<ExecutableDocument>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<ExecutableDocument>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

pub struct DocumentCache;

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentCache)
    }
}

#[async_trait::async_trait]
impl Extension for DocumentCache {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if query.len() > MAX_LEN {
            return next.run(ctx, query, variables).await;
        }
        let cached = cache().lock().ok().and_then(|c| c.get(query).cloned());
        if let Some(document) = cached {
            return Ok((*document).clone());
        }
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut c) = cache().lock() {
            if c.len() >= ENTRIES {
                c.clear();
            }
            c.insert(query.to_owned(), Arc::new(document.clone()));
        }
        Ok(document)
    }
}
