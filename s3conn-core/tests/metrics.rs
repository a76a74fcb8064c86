//! The pipeline's metrics, rendered by a real Prometheus exporter: names, labels and values.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use s3conn_core::memory::{MemoryObjectStore, MemoryQueue};
use s3conn_core::notification::s3_event_body;
use s3conn_core::sink::{MemoryDeadLetterSink, MemorySink};
use s3conn_core::telemetry::LAG_BUCKETS;
use s3conn_core::{
    Event, LogSource, Normalized, Pipeline, PipelineConfig, Readiness, Sink, SinkError, SourceInfo,
};
use tokio_util::sync::CancellationToken;

/// The test binary's one recorder (global: the pipeline's rare series resolve at call time).
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LAG_BUCKETS)
            .expect("buckets")
            .install_recorder()
            .expect("the only recorder of this binary");
        s3conn_core::telemetry::describe();
        handle
    })
}

/// The value of the series `series` (name and labels exactly as rendered), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[derive(Debug)]
struct AsIs(Arc<SourceInfo>);

impl LogSource for AsIs {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.0
    }
    fn normalize(&self, _event: &Event<'_>) -> Normalized {
        Normalized::default()
    }
}

fn source() -> Arc<AsIs> {
    Arc::new(AsIs(Arc::new(SourceInfo::new(
        "as-is", "As is", "Syslog", "app", "me",
    ))))
}

fn config(connector: &str) -> PipelineConfig {
    PipelineConfig {
        drain: true,
        connector: Some(connector.into()),
        retry_base: Duration::from_millis(1),
        retry_max: Duration::from_millis(2),
        ..PipelineConfig::default()
    }
}

/// A queue notified of each `(key, body)` put in bucket `logs` of a memory store.
fn notified(objects: &[(&str, &str)]) -> (Arc<MemoryQueue>, Arc<MemoryObjectStore>) {
    let queue = Arc::new(MemoryQueue::new());
    let store = Arc::new(MemoryObjectStore::new());
    for (key, body) in objects {
        let meta = store.put("logs", key, body.to_string());
        queue.send(s3_event_body("logs", key, meta.size, meta.etag.as_deref()));
    }
    (queue, store)
}

#[tokio::test]
async fn a_drain_counts_records_dead_letters_and_normal_outcomes_by_connector() {
    let handle = recorder();
    let (queue, store) = notified(&[("app/1.json", "{\"n\":1}\n{\"n\":2}\nnot json\n")]);
    // Deleted before it was read: acknowledged by design, not a failure.
    queue.send(s3_event_body("logs", "app/deleted.json", 10, None));
    let sink = MemorySink::new();
    let pipeline = Pipeline::builder(queue.clone(), store, source(), Arc::new(sink.clone()))
        .dead_letter(Arc::new(MemoryDeadLetterSink::new()))
        .config(config("trail-a"))
        .build();
    let report = pipeline
        .run(CancellationToken::new())
        .await
        .expect("drained");
    assert!(report.is_complete(), "{}", report.status);
    let text = handle.render();
    let v = |series: &str| value(&text, series);
    assert_eq!(
        v(r#"s3conn_records_delivered_total{connector="trail-a",source="as-is"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        v(r#"s3conn_delivered_bytes_total{connector="trail-a",source="as-is"}"#),
        Some(14.0)
    );
    assert_eq!(
        v(r#"s3conn_dead_letters_total{connector="trail-a",kind="record",reason="invalid_json"}"#),
        Some(1.0)
    );
    assert_eq!(
        v(r#"s3conn_objects_total{connector="trail-a",outcome="processed"}"#),
        Some(1.0)
    );
    assert_eq!(
        v(r#"s3conn_objects_total{connector="trail-a",outcome="gone"}"#),
        Some(1.0)
    );
    assert_eq!(
        v(r#"s3conn_messages_received_total{connector="trail-a"}"#),
        Some(2.0)
    );
    assert_eq!(
        v(r#"s3conn_messages_acknowledged_total{connector="trail-a"}"#),
        Some(2.0)
    );
    assert_eq!(
        v(r#"s3conn_message_lag_seconds_count{connector="trail-a"}"#),
        Some(2.0)
    );
    assert_eq!(
        v(r#"s3conn_object_lag_seconds_count{connector="trail-a"}"#),
        Some(1.0)
    );
    for gauge in [
        "s3conn_messages_in_flight",
        "s3conn_objects_in_flight",
        "s3conn_in_flight_bytes",
    ] {
        assert_eq!(
            v(&format!("{gauge}{{connector=\"trail-a\"}}")),
            Some(0.0),
            "{gauge}"
        );
    }
    assert!(
        v(r#"s3conn_last_delivery_timestamp_seconds{connector="trail-a"}"#).unwrap_or(0.0) > 1.7e9
    );
    // A deleted object is a normal outcome: no failure series for this connector.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("s3conn_failures_total{connector=\"trail-a\"")),
        "{text}"
    );
    assert!(text.contains("# HELP s3conn_records_delivered_total Records delivered to the sink."));
    assert!(text.contains("# TYPE s3conn_object_lag_seconds histogram"));
    assert!(matches!(
        pipeline.health().readiness(),
        Readiness::Stopped(_)
    ));
}

/// Fails every delivery with a retryable error.
#[derive(Debug)]
struct Down;

#[async_trait::async_trait]
impl Sink for Down {
    async fn deliver(&self, _batch: &[s3conn_core::Record]) -> Result<(), SinkError> {
        Err(SinkError::Retryable("the sink is down".into()))
    }
}

#[tokio::test]
async fn sink_failures_count_by_stage_and_class_with_retries_and_kept_reason() {
    let handle = recorder();
    let (queue, store) = notified(&[("app/1.json", "{\"n\":1}\n")]);
    let mut cfg = config("trail-b");
    cfg.sink_retries = 2;
    cfg.object_retries = 0;
    let pipeline = Pipeline::builder(queue, store, source(), Arc::new(Down))
        .config(cfg)
        .build();
    let _ = pipeline.run(CancellationToken::new()).await;
    let text = handle.render();
    let v = |series: &str| value(&text, series);
    assert_eq!(
        v(r#"s3conn_failures_total{connector="trail-b",stage="sink",class="retryable"}"#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        v(r#"s3conn_retries_total{connector="trail-b",operation="sink"}"#),
        Some(2.0)
    );
    assert_eq!(
        v(r#"s3conn_messages_kept_total{connector="trail-b",reason="sink_unavailable"}"#),
        Some(1.0)
    );
    assert_eq!(
        v(r#"s3conn_objects_total{connector="trail-b",outcome="failed"}"#),
        Some(1.0)
    );
    assert_eq!(
        v(r#"s3conn_records_delivered_total{connector="trail-b",source="as-is"}"#),
        Some(0.0)
    );
}
