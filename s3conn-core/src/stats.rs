//! Counters of everything the pipeline does, readable at any time.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// Live counters, updated by the pipeline (all relaxed atomics).
        #[derive(Debug, Default)]
        pub struct Stats {
            $( $(#[$doc])* pub $name: AtomicU64, )*
        }

        /// A point-in-time copy of [`Stats`].
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct StatsSnapshot {
            $( $(#[$doc])* pub $name: u64, )*
        }

        impl Stats {
            /// Copies every counter.
            pub fn snapshot(&self) -> StatsSnapshot {
                StatsSnapshot { $( $name: self.$name.load(Ordering::Relaxed), )* }
            }
        }
    };
}

counters! {
    /// Messages received from the queue (every delivery).
    messages_received,
    /// Messages acknowledged (deleted).
    messages_acknowledged,
    /// Messages kept for redelivery after a failure.
    messages_kept,
    /// Messages released (visible again at once) at shutdown, once the grace period is over; a
    /// message whose lease was lost is left alone (counted in `leases_lost`), not released.
    messages_released,
    /// Messages left on the queue on purpose (not acknowledged, not a failure): they name a key
    /// no route takes and `unmatched = "keep"`; visible again after the visibility timeout.
    messages_left_for_others,
    /// Messages given up on and written to the dead-letter destination.
    messages_dead_lettered,
    /// `s3:TestEvent` messages.
    test_events,
    /// Notification records that were not object creations.
    ignored_not_created,
    /// Folder markers (keys ending in `/`).
    ignored_directory_markers,
    /// Empty objects.
    ignored_empty_objects,
    /// Objects skipped by the key prefix/suffix filter.
    objects_filtered,
    /// Objects whose bucket is not on the allow-list.
    objects_bucket_not_allowed,
    /// Objects skipped by the log source (e.g. CloudTrail digests).
    objects_skipped_by_source,
    /// Objects no route takes, acknowledged without reading (`unmatched = "ack"`).
    objects_unmatched_skipped,
    /// Objects no route takes, written to the dead-letter destination (`unmatched =
    /// "dead_letter"`, the default with routes).
    objects_unmatched_dead_lettered,
    /// Objects no route takes whose message was left on the queue (`unmatched = "keep"`).
    objects_unmatched_kept,
    /// Objects fully processed.
    objects_processed,
    /// Objects gone (deleted) before they were read.
    objects_gone,
    /// Objects overwritten since the notification.
    objects_changed,
    /// Objects that could not be decoded.
    objects_undecodable,
    /// Objects dead-lettered as a whole.
    objects_dead_lettered,
    /// Records delivered to the sink.
    records_delivered,
    /// Records dead-lettered.
    records_dead_lettered,
    /// Records the sink's destination rejected for good (also counted in `records_dead_lettered`).
    records_rejected_by_sink,
    /// Records dropped by the log filters.
    records_filtered,
    /// Records whose timestamp is the object's time.
    records_timestamp_fallback,
    /// Compressed bytes read from the store.
    bytes_read,
    /// Bytes after decompression.
    bytes_decoded,
    /// Objects whose bytes contradicted the configured file type.
    compression_mismatches,
    /// Retries of any operation.
    retries,
    /// Lease extensions requested.
    lease_extensions,
    /// Leases lost (a renewal failed): work on the message stopped and it was never acknowledged.
    leases_lost,
    /// Sink delivery failures.
    sink_failures,
    /// Failures that were retryable.
    failures_retryable,
    /// Failures permanent for their object or message.
    failures_permanent,
    /// Failures caused by configuration or permissions.
    failures_configuration,
    /// Lag: age of the most recently fetched object when it was fetched (now − last-modified), ms.
    lag_ms,
}

impl Stats {
    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one failure under its class.
    pub(crate) fn failure(&self, class: crate::ErrorClass) {
        let c = match class {
            crate::ErrorClass::Retryable => &self.failures_retryable,
            crate::ErrorClass::Permanent => &self.failures_permanent,
            crate::ErrorClass::Configuration => &self.failures_configuration,
        };
        Stats::add(c, 1);
    }
}
