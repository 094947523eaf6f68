//! The query-cost budget. Every field costs one point; a connection costs
//! its page size times what its selection costs per node
//! (`pagination::cost`), so `companies { employees { company { employees …`
//! multiplies at each level, as GitHub and Shopify count. A query over the
//! budget is refused before it runs, with the code `COST_LIMIT_EXCEEDED`,
//! its cost and the limit. An executed query reports
//! `extensions.cost { requested actual limit }`: `requested` is the
//! estimate, `actual` the fields the response holds (counted after
//! execution, so no hook runs per field).

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation},
    ErrorExtensionValues, Name, Response, ServerError, ValidationResult, Value,
};

/// The default budget of one operation.
pub const DEFAULT_LIMIT: usize = 25_000;

pub struct CostLimit {
    pub limit: usize,
}

impl ExtensionFactory for CostLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Meter {
            limit: self.limit,
            requested: AtomicUsize::new(0),
        })
    }
}

/// One per request (or subscription).
struct Meter {
    limit: usize,
    requested: AtomicUsize,
}

/// How many fields a response's data holds, at every depth.
fn fields(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.values().map(|v| 1 + fields(v)).sum(),
        Value::List(items) => items.iter().map(fields).sum(),
        _ => 0,
    }
}

#[async_trait::async_trait]
impl Extension for Meter {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.complexity > self.limit {
            let mut err = ServerError::new(
                format!(
                    "The query costs {} points, over the limit of {} per operation: ask for \
                     smaller pages (`first`/`last`) or fewer nested connections",
                    result.complexity, self.limit
                ),
                None,
            );
            let extensions = err
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default);
            extensions.set("code", "COST_LIMIT_EXCEEDED");
            extensions.set("cost", result.complexity as u64);
            extensions.set("limit", self.limit as u64);
            return Err(vec![err]);
        }
        self.requested.store(result.complexity, Ordering::Relaxed);
        Ok(result)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let requested = self.requested.load(Ordering::Relaxed);
        if requested == 0 {
            // Refused or not valid: nothing was counted.
            return response;
        }
        let number = |n: usize| Value::Number((n as u64).into());
        let cost = [
            ("requested", number(requested)),
            ("actual", number(fields(&response.data))),
            ("limit", number(self.limit)),
        ]
        .into_iter()
        .map(|(k, v)| (Name::new(k), v))
        .collect();
        response.extension("cost", Value::Object(cost))
    }
}
