//! Metrics through the [`metrics`] facade: the pipeline emits, the embedder picks the exporter
//! (the `s3conn` CLI installs `metrics-exporter-prometheus` and serves `/metrics`).
//!
//! Every series carries the label `connector` (the pipeline's [`PipelineConfig::connector`],
//! `unnamed` without one), so several pipelines in one process share one exporter. Label values
//! come from closed sets (an API, an error class, a [`KeepReason`], a dead-letter reason) — never
//! free text. Names follow the Prometheus conventions (`_total` counters, base units `_seconds`
//! and `_bytes`); [`names`] lists them and [`describe`] registers their help text.
//!
//! The handles of the busy series are resolved once, when the pipeline is built: install the
//! recorder before building a pipeline, or its metrics go nowhere. Without a recorder every
//! call is a no-op.
//!
//! [`PipelineConfig::connector`]: crate::PipelineConfig::connector
//! [`KeepReason`]: crate::KeepReason

use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge, histogram, Counter, Gauge, Histogram, SharedString};

use crate::error::ErrorClass;
use crate::pipeline::KeepReason;
use crate::sink::DeadLetterKind;

/// The metric names (and their help text in [`describe`]).
pub mod names {
    /// Counter `{connector, source}`: records delivered to the sink.
    pub const RECORDS_DELIVERED: &str = "s3conn_records_delivered_total";
    /// Counter `{connector, source}`: bytes of the events delivered (as read, before the envelope).
    pub const DELIVERED_BYTES: &str = "s3conn_delivered_bytes_total";
    /// Counter `{connector, source}`: records dropped by the log filters.
    pub const RECORDS_FILTERED: &str = "s3conn_records_filtered_total";
    /// Counter `{connector, source}`: compressed bytes read from the object store.
    pub const OBJECT_READ_BYTES: &str = "s3conn_object_read_bytes_total";
    /// Counter `{connector, source}`: bytes after decompression.
    pub const OBJECT_DECODED_BYTES: &str = "s3conn_object_decoded_bytes_total";
    /// Counter `{connector, kind, reason}`: items written to the dead-letter destination.
    pub const DEAD_LETTERS: &str = "s3conn_dead_letters_total";
    /// Counter `{connector}`: messages received (every delivery of a message).
    pub const MESSAGES_RECEIVED: &str = "s3conn_messages_received_total";
    /// Counter `{connector}`: messages acknowledged (deleted from the queue).
    pub const MESSAGES_ACKNOWLEDGED: &str = "s3conn_messages_acknowledged_total";
    /// Counter `{connector, reason}`: messages kept for redelivery, by [`KeepReason`](crate::KeepReason).
    pub const MESSAGES_KEPT: &str = "s3conn_messages_kept_total";
    /// Counter `{connector}`: messages released (visible again) at shutdown.
    pub const MESSAGES_RELEASED: &str = "s3conn_messages_released_total";
    /// Counter `{connector, outcome}`: objects named by notifications, by what became of them.
    pub const OBJECTS: &str = "s3conn_objects_total";
    /// Counter `{connector, reason}`: notification records that name nothing to read.
    pub const NOTIFICATIONS_IGNORED: &str = "s3conn_notifications_ignored_total";
    /// Counter `{connector, stage, class}`: failures, by stage and [`ErrorClass`](crate::ErrorClass).
    pub const FAILURES: &str = "s3conn_failures_total";
    /// Counter `{connector, operation}`: retries of the pipeline (receive, object, sink, …).
    pub const RETRIES: &str = "s3conn_retries_total";
    /// Counter `{connector}`: message leases renewed.
    pub const LEASE_RENEWALS: &str = "s3conn_lease_renewals_total";
    /// Counter `{connector}`: leases lost (work on the message stopped, never acknowledged).
    pub const LEASES_LOST: &str = "s3conn_leases_lost_total";
    /// Histogram `{connector}`: object last-modified time → its last record delivered.
    pub const OBJECT_LAG: &str = "s3conn_object_lag_seconds";
    /// Histogram `{connector}`: SQS `SentTimestamp` → every object of the message delivered.
    pub const MESSAGE_LAG: &str = "s3conn_message_lag_seconds";
    /// Gauge `{connector}`: messages being worked on.
    pub const MESSAGES_IN_FLIGHT: &str = "s3conn_messages_in_flight";
    /// Gauge `{connector}`: objects being fetched, decoded and delivered.
    pub const OBJECTS_IN_FLIGHT: &str = "s3conn_objects_in_flight";
    /// Gauge `{connector}`: bytes of decoded records waiting for the sink.
    pub const IN_FLIGHT_BYTES: &str = "s3conn_in_flight_bytes";
    /// Gauge `{connector}`: Unix time of the last successful delivery to the sink.
    pub const LAST_DELIVERY: &str = "s3conn_last_delivery_timestamp_seconds";
    /// Gauge `{connector}`: 1 when the connector is ready (see [`crate::health`]), else 0.
    pub const READY: &str = "s3conn_ready";
    /// Counter `{connector, api, outcome}`: AWS requests sent (every attempt), by outcome.
    pub const AWS_REQUESTS: &str = "s3conn_aws_requests_total";
    /// Counter `{connector, api, class}`: AWS requests retried, by what failed.
    pub const AWS_RETRIES: &str = "s3conn_aws_retries_total";
    /// Gauge `{connector, state}`: approximate messages in the queue (`GetQueueAttributes`).
    pub const QUEUE_MESSAGES: &str = "s3conn_queue_messages";
}

/// Registers the help text and units of every s3conn metric with the installed recorder (call
/// once, after installing it; exporters show it as `# HELP`).
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    use names::*;
    describe_counter!(RECORDS_DELIVERED, "Records delivered to the sink.");
    describe_counter!(
        DELIVERED_BYTES,
        Unit::Bytes,
        "Bytes of the events delivered to the sink."
    );
    describe_counter!(RECORDS_FILTERED, "Records dropped by the log filters.");
    describe_counter!(
        OBJECT_READ_BYTES,
        Unit::Bytes,
        "Compressed bytes read from the object store."
    );
    describe_counter!(
        OBJECT_DECODED_BYTES,
        Unit::Bytes,
        "Object bytes after decompression."
    );
    describe_counter!(
        DEAD_LETTERS,
        "Items written to the dead-letter destination, by kind and reason."
    );
    describe_counter!(MESSAGES_RECEIVED, "Queue messages received.");
    describe_counter!(
        MESSAGES_ACKNOWLEDGED,
        "Queue messages acknowledged (deleted)."
    );
    describe_counter!(
        MESSAGES_KEPT,
        "Queue messages kept for redelivery, by reason."
    );
    describe_counter!(MESSAGES_RELEASED, "Queue messages released at shutdown.");
    describe_counter!(OBJECTS, "Objects named by notifications, by outcome.");
    describe_counter!(
        NOTIFICATIONS_IGNORED,
        "Notification records naming nothing to read, by reason."
    );
    describe_counter!(FAILURES, "Failures, by stage and class.");
    describe_counter!(RETRIES, "Pipeline retries, by operation.");
    describe_counter!(LEASE_RENEWALS, "Message leases renewed.");
    describe_counter!(LEASES_LOST, "Message leases lost.");
    describe_histogram!(
        OBJECT_LAG,
        Unit::Seconds,
        "Object last-modified time to its records delivered."
    );
    describe_histogram!(
        MESSAGE_LAG,
        Unit::Seconds,
        "Message sent time to every object of it delivered."
    );
    describe_gauge!(MESSAGES_IN_FLIGHT, "Messages being worked on.");
    describe_gauge!(OBJECTS_IN_FLIGHT, "Objects being read and delivered.");
    describe_gauge!(
        IN_FLIGHT_BYTES,
        Unit::Bytes,
        "Bytes of decoded records waiting for the sink."
    );
    describe_gauge!(
        LAST_DELIVERY,
        Unit::Seconds,
        "Unix time of the last successful delivery."
    );
    describe_gauge!(READY, "1 when the connector is ready, else 0.");
    describe_counter!(
        AWS_REQUESTS,
        "AWS requests sent (every attempt), by outcome."
    );
    describe_counter!(AWS_RETRIES, "AWS requests retried, by failure class.");
    describe_gauge!(
        QUEUE_MESSAGES,
        "Approximate messages in the queue, by state (GetQueueAttributes)."
    );
}

/// Histogram buckets for the lag histograms, in seconds: 100 ms to 1 day.
pub const LAG_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
    21600.0, 86400.0,
];

/// The label value of a connector without a name.
pub const UNNAMED: &str = "unnamed";

/// The label value of an [`ErrorClass`].
pub fn class_label(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Retryable => "retryable",
        ErrorClass::Permanent => "permanent",
        ErrorClass::Configuration => "configuration",
    }
}

/// The label value of a [`DeadLetterKind`].
pub fn kind_label(kind: DeadLetterKind) -> &'static str {
    match kind {
        DeadLetterKind::Record => "record",
        DeadLetterKind::Object => "object",
        DeadLetterKind::Message => "message",
    }
}

/// Where in the pipeline a failure or a retry happened (label `stage` / `operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Receive,
    Notification,
    Object,
    Sink,
    DeadLetter,
    Acknowledge,
}

impl Stage {
    fn label(self) -> &'static str {
        match self {
            Stage::Receive => "receive",
            Stage::Notification => "notification",
            Stage::Object => "object",
            Stage::Sink => "sink",
            Stage::DeadLetter => "dead_letter",
            Stage::Acknowledge => "acknowledge",
        }
    }
}

/// What became of an object named by a notification (label `outcome` of `s3conn_objects_total`).
/// `gone` and `overwritten` are normal outcomes, acknowledged by design, not failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectOutcome {
    Processed,
    Gone,
    Overwritten,
    Filtered,
    SkippedBySource,
    BucketNotAllowed,
    Undecodable,
    Failed,
}

impl ObjectOutcome {
    fn label(self) -> &'static str {
        match self {
            ObjectOutcome::Processed => "processed",
            ObjectOutcome::Gone => "gone",
            ObjectOutcome::Overwritten => "overwritten",
            ObjectOutcome::Filtered => "filtered",
            ObjectOutcome::SkippedBySource => "skipped_by_source",
            ObjectOutcome::BucketNotAllowed => "bucket_not_allowed",
            ObjectOutcome::Undecodable => "undecodable",
            ObjectOutcome::Failed => "failed",
        }
    }
}

/// The series of one connector and log source: records and bytes.
#[derive(Debug, Clone)]
pub(crate) struct SourceMetrics {
    pub(crate) records_delivered: Counter,
    pub(crate) delivered_bytes: Counter,
    pub(crate) records_filtered: Counter,
    pub(crate) read_bytes: Counter,
    pub(crate) decoded_bytes: Counter,
}

impl SourceMetrics {
    fn new(connector: &SharedString, source: &str) -> Self {
        use names::*;
        let source: SharedString = Arc::<str>::from(source).into();
        let by_source = |name: &'static str| counter!(name, "connector" => connector.clone(), "source" => source.clone());
        SourceMetrics {
            records_delivered: by_source(RECORDS_DELIVERED),
            delivered_bytes: by_source(DELIVERED_BYTES),
            records_filtered: by_source(RECORDS_FILTERED),
            read_bytes: by_source(OBJECT_READ_BYTES),
            decoded_bytes: by_source(OBJECT_DECODED_BYTES),
        }
    }
}

/// The metric handles of one pipeline: the busy series resolved once, the rare ones by name.
#[derive(Debug, Clone)]
pub(crate) struct PipelineMetrics {
    connector: SharedString,
    /// The per-source series of every source the pipeline routes to, by source id.
    sources: std::collections::HashMap<Arc<str>, SourceMetrics>,
    /// The series of the first source (an id not routed to, which cannot happen, lands here).
    first_source: SourceMetrics,
    pub(crate) messages_received: Counter,
    pub(crate) messages_acknowledged: Counter,
    pub(crate) messages_released: Counter,
    pub(crate) lease_renewals: Counter,
    pub(crate) leases_lost: Counter,
    pub(crate) object_lag: Histogram,
    pub(crate) message_lag: Histogram,
    pub(crate) messages_in_flight: Gauge,
    pub(crate) objects_in_flight: Gauge,
    pub(crate) in_flight_bytes: Gauge,
    pub(crate) last_delivery: Gauge,
}

impl PipelineMetrics {
    /// The handles for `connector` reading `sources` (the log source ids it routes to; at least
    /// one).
    pub(crate) fn new(connector: Option<&str>, sources: &[&str]) -> Self {
        use names::*;
        let connector: SharedString = Arc::<str>::from(connector.unwrap_or(UNNAMED)).into();
        let c = || connector.clone();
        let by_source: std::collections::HashMap<Arc<str>, SourceMetrics> = sources
            .iter()
            .map(|id| (Arc::<str>::from(*id), SourceMetrics::new(&connector, id)))
            .collect();
        let first_source = sources
            .first()
            .and_then(|id| by_source.get(*id).cloned())
            .unwrap_or_else(|| SourceMetrics::new(&connector, UNNAMED));
        PipelineMetrics {
            sources: by_source,
            first_source,
            messages_received: counter!(MESSAGES_RECEIVED, "connector" => c()),
            messages_acknowledged: counter!(MESSAGES_ACKNOWLEDGED, "connector" => c()),
            messages_released: counter!(MESSAGES_RELEASED, "connector" => c()),
            lease_renewals: counter!(LEASE_RENEWALS, "connector" => c()),
            leases_lost: counter!(LEASES_LOST, "connector" => c()),
            object_lag: histogram!(OBJECT_LAG, "connector" => c()),
            message_lag: histogram!(MESSAGE_LAG, "connector" => c()),
            messages_in_flight: gauge!(MESSAGES_IN_FLIGHT, "connector" => c()),
            objects_in_flight: gauge!(OBJECTS_IN_FLIGHT, "connector" => c()),
            in_flight_bytes: gauge!(IN_FLIGHT_BYTES, "connector" => c()),
            last_delivery: gauge!(LAST_DELIVERY, "connector" => c()),
            connector,
        }
    }

    /// The per-source series of the source with this id.
    pub(crate) fn source(&self, id: &str) -> &SourceMetrics {
        self.sources.get(id).unwrap_or(&self.first_source)
    }

    /// One failure at `stage`, of `class`.
    pub(crate) fn failure(&self, stage: Stage, class: ErrorClass) {
        counter!(names::FAILURES, "connector" => self.connector.clone(), "stage" => stage.label(), "class" => class_label(class)).increment(1);
    }

    /// One retry at `stage`.
    pub(crate) fn retry(&self, stage: Stage) {
        counter!(names::RETRIES, "connector" => self.connector.clone(), "operation" => stage.label()).increment(1);
    }

    /// One object ended with `outcome`.
    pub(crate) fn object(&self, outcome: ObjectOutcome) {
        counter!(names::OBJECTS, "connector" => self.connector.clone(), "outcome" => outcome.label()).increment(1);
    }

    /// A notification record that names nothing to read.
    pub(crate) fn ignored(&self, reason: &'static str) {
        counter!(names::NOTIFICATIONS_IGNORED, "connector" => self.connector.clone(), "reason" => reason).increment(1);
    }

    /// A message kept for redelivery.
    pub(crate) fn kept(&self, reason: KeepReason) {
        counter!(names::MESSAGES_KEPT, "connector" => self.connector.clone(), "reason" => reason.label()).increment(1);
    }

    /// `n` items dead-lettered.
    pub(crate) fn dead_letters(&self, kind: DeadLetterKind, reason: &'static str, n: u64) {
        counter!(names::DEAD_LETTERS, "connector" => self.connector.clone(), "kind" => kind_label(kind), "reason" => reason).increment(n);
    }

    /// A delivery succeeded now.
    pub(crate) fn delivered_now(&self) {
        self.last_delivery.set(unix_seconds());
    }
}

/// Seconds since `epoch_ms` (Unix milliseconds) until now; 0 for a time in the future.
pub(crate) fn seconds_since_ms(epoch_ms: i64) -> f64 {
    let now = unix_seconds();
    (now - epoch_ms as f64 / 1000.0).max(0.0)
}

/// Now as Unix seconds.
fn unix_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}

/// Bytes counted in [`names::IN_FLIGHT_BYTES`] for as long as this lives.
#[derive(Debug)]
pub(crate) struct InFlight {
    gauge: Gauge,
    amount: f64,
}

impl InFlight {
    /// Adds `amount` to `gauge` until dropped.
    pub(crate) fn new(gauge: &Gauge, amount: f64) -> Self {
        gauge.increment(amount);
        InFlight {
            gauge: gauge.clone(),
            amount,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.gauge.decrement(self.amount);
    }
}
