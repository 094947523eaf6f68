//! Logs go to standard error, as text or JSON lines. Traces go to an
//! OpenTelemetry collector over OTLP/HTTP (JSON) when one is configured
//! (`--otlp-endpoint`, or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`):
//! each GraphQL request and subscription operation is a span carrying its
//! request id, continuing the caller's trace when the request has a W3C
//! `traceparent` header.

use opentelemetry::{propagation::TextMapPropagator, trace::TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use crate::config::{LogFormat, Settings};

/// Keeps the trace exporter; `shutdown` sends the spans still buffered.
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.traces {
            if let Err(err) = provider.shutdown() {
                eprintln!("roster: traces not all sent at exit: {err}");
            }
        }
    }
}

/// Where traces go: the setting, else the standard environment variables
/// (which the exporter reads itself); `None` turns tracing off.
fn trace_endpoint(settings: &Settings) -> Option<Option<String>> {
    if let Some(base) = &settings.otlp_endpoint {
        let url = if base.ends_with("/v1/traces") {
            base.clone()
        } else {
            format!("{base}/v1/traces")
        };
        return Some(Some(url));
    }
    let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    (set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || set("OTEL_EXPORTER_OTLP_ENDPOINT"))
        .then_some(None)
}

fn tracer_provider(endpoint: Option<String>) -> Result<SdkTracerProvider, String> {
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson);
    if let Some(url) = endpoint {
        exporter = exporter.with_endpoint(url);
    }
    let exporter = exporter.build().map_err(|e| e.to_string())?;
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "roster".into());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service)
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build())
}

/// Installs logging, and tracing when configured. Call before the async
/// runtime starts (the exporter runs on a thread of its own).
pub fn init(settings: &Settings) -> Telemetry {
    // The filter was validated while parsing the settings. One global
    // filter serves logs and traces (request spans are ERROR-level so none
    // drops them); per-layer filters would cost a lookup on every poll of
    // an instrumented task.
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match settings.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let mut problem = None;
    let traces = trace_endpoint(settings).and_then(|endpoint| match tracer_provider(endpoint) {
        Ok(provider) => Some(provider),
        Err(err) => {
            problem = Some(err);
            None
        }
    });
    let otel = traces
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("roster")));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(otel)
        .try_init();
    if let Some(err) = problem {
        tracing::error!(%err, "cannot set up the OTLP trace exporter; traces are off");
    }
    Telemetry { traces }
}

/// Makes `span` continue the trace of the request's `traceparent` header.
pub fn continue_trace(span: &tracing::Span, headers: &poem::http::HeaderMap) {
    if headers.contains_key("traceparent") {
        let parent =
            TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers));
        // Without a trace exporter the span has no OpenTelemetry data: nothing to link.
        let _ = span.set_parent(parent);
    }
}
