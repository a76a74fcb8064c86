//! The lines the command line prints about a run: the status and done lines of `collect`, the
//! summary of `replay`. Pure functions of the counters, so their wording is tested here.

use s3conn::aws::RequestCounts;
use s3conn::StatsSnapshot;

/// `n` and the noun, plural unless `n` is 1: "0 messages", "1 object", "2 records".
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Objects done one way or another (the progress bar's position).
pub fn done_objects(s: &StatsSnapshot) -> u64 {
    s.objects_processed
        + s.objects_gone
        + s.objects_changed
        + s.objects_skipped_by_source
        + s.objects_dead_lettered
        + s.ignored_empty_objects
}

/// The `collect` status line (also the done line): the counters, the requests sent by API and,
/// once something was received, the SQS requests per message.
pub fn collect_status(s: &StatsSnapshot, requests: &RequestCounts, backend_retries: u64) -> String {
    let per_message = if s.messages_received == 0 {
        format!("{} SQS requests", requests.sqs_total())
    } else {
        format!(
            "{:.3} SQS requests per message",
            requests.sqs_total() as f64 / s.messages_received as f64
        )
    };
    format!(
        "{} ({} acked, {} kept), {}, {} ({} dead-lettered), {:.1} MB read, lag {:.1} s, failures {}/{}/{} (retryable/permanent/config), retries {} (+{} SQS/S3 request retries), requests: {requests}, {per_message}",
        count(s.messages_received, "message"),
        s.messages_acknowledged,
        s.messages_kept,
        count(s.objects_processed, "object"),
        count(s.records_delivered, "record"),
        s.records_dead_lettered + s.objects_dead_lettered + s.messages_dead_lettered,
        s.bytes_read as f64 / 1e6,
        s.lag_ms as f64 / 1e3,
        s.failures_retryable,
        s.failures_permanent,
        s.failures_configuration,
        s.retries,
        backend_retries,
    )
}

/// The first `replay` summary line: what happened to the objects and records.
pub fn replay_summary(objects: u64, s: &StatsSnapshot) -> String {
    format!(
        "{} ({} processed, {} skipped by the source, {} empty), {} delivered, {} dead-lettered, {} filtered, {} with fallback timestamps",
        count(objects, "object"),
        s.objects_processed,
        s.objects_skipped_by_source,
        s.ignored_empty_objects,
        count(s.records_delivered, "record"),
        s.records_dead_lettered + s.objects_dead_lettered,
        s.records_filtered,
        s.records_timestamp_fallback,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_received_reads_as_nothing() {
        let line = collect_status(&StatsSnapshot::default(), &RequestCounts::default(), 0);
        assert!(
            line.starts_with("0 messages (0 acked, 0 kept), 0 objects, 0 records"),
            "{line}"
        );
        assert!(!line.contains("per message"), "{line}");
        assert!(line.ends_with(", 0 SQS requests"), "{line}");
        assert!(line.contains("(+0 SQS/S3 request retries)"), "{line}");
    }

    #[test]
    fn one_of_each_is_singular() {
        let s = StatsSnapshot {
            messages_received: 1,
            messages_acknowledged: 1,
            objects_processed: 1,
            records_delivered: 1,
            ..StatsSnapshot::default()
        };
        let line = collect_status(&s, &RequestCounts::default(), 3);
        assert!(
            line.starts_with("1 message (1 acked, 0 kept), 1 object, 1 record ("),
            "{line}"
        );
        assert!(line.contains("SQS requests per message"), "{line}");
        assert!(line.contains("(+3 SQS/S3 request retries)"), "{line}");
        let summary = replay_summary(1, &s);
        assert!(summary.starts_with("1 object (1 processed"), "{summary}");
        assert!(summary.contains(", 1 record delivered,"), "{summary}");
        let summary = replay_summary(2, &StatsSnapshot::default());
        assert!(summary.starts_with("2 objects ("), "{summary}");
        assert!(summary.contains(", 0 records delivered,"), "{summary}");
    }
}
