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
        + s.objects_filtered
        + s.objects_unmatched_skipped
        + s.objects_unmatched_dead_lettered
        + s.objects_unmatched_kept
}

/// Objects no route or filter took, by reason, for the summaries (empty when there are none):
/// "objects not taken: 2 unmatched (dead-lettered), 1 filtered by key".
pub fn not_taken(s: &StatsSnapshot) -> Option<String> {
    let reasons = [
        (
            s.objects_unmatched_dead_lettered,
            "unmatched (dead-lettered)",
        ),
        (
            s.objects_unmatched_skipped,
            "unmatched (acknowledged unread)",
        ),
        (s.objects_unmatched_kept, "unmatched (left on the queue)"),
        (s.objects_filtered, "filtered by key"),
        (s.objects_skipped_by_source, "skipped by the source"),
        (s.objects_bucket_not_allowed, "bucket not allowed"),
    ];
    let parts: Vec<String> = reasons
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
    (!parts.is_empty()).then(|| format!("objects not taken: {}", parts.join(", ")))
}

/// Every object dead-lettered as a whole (undecodable, or no route matches).
fn objects_dead_lettered(s: &StatsSnapshot) -> u64 {
    s.objects_dead_lettered + s.objects_unmatched_dead_lettered
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
    let line = format!(
        "{} ({} acked, {} kept), {}, {} ({} dead-lettered), {:.1} MB read, lag {:.1} s, failures {}/{}/{} (retryable/permanent/config), retries {} (+{} SQS/S3 request retries), requests: {requests}, {per_message}",
        count(s.messages_received, "message"),
        s.messages_acknowledged,
        s.messages_kept,
        count(s.objects_processed, "object"),
        count(s.records_delivered, "record"),
        s.records_dead_lettered + objects_dead_lettered(s) + s.messages_dead_lettered,
        s.bytes_read as f64 / 1e6,
        s.lag_ms as f64 / 1e3,
        s.failures_retryable,
        s.failures_permanent,
        s.failures_configuration,
        s.retries,
        backend_retries,
    );
    match not_taken(s) {
        Some(not_taken) => format!("{line}; {not_taken}"),
        None => line,
    }
}

/// The first `replay` summary line: what happened to the objects and records.
pub fn replay_summary(objects: u64, s: &StatsSnapshot) -> String {
    let line = format!(
        "{} ({} processed, {} skipped by the source, {} empty), {} delivered, {} dead-lettered, {} filtered, {} with fallback timestamps",
        count(objects, "object"),
        s.objects_processed,
        s.objects_skipped_by_source,
        s.ignored_empty_objects,
        count(s.records_delivered, "record"),
        s.records_dead_lettered + objects_dead_lettered(s),
        s.records_filtered,
        s.records_timestamp_fallback,
    );
    match not_taken(s) {
        Some(not_taken) => format!("{line}; {not_taken}"),
        None => line,
    }
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
        assert!(!summary.contains("not taken"), "{summary}");
        let summary = replay_summary(2, &StatsSnapshot::default());
        assert!(summary.starts_with("2 objects ("), "{summary}");
        assert!(summary.contains(", 0 records delivered,"), "{summary}");
    }

    #[test]
    fn objects_not_taken_are_named_by_reason() {
        let s = StatsSnapshot {
            objects_unmatched_dead_lettered: 2,
            objects_unmatched_kept: 1,
            objects_filtered: 3,
            ..StatsSnapshot::default()
        };
        let want = "objects not taken: 2 unmatched (dead-lettered), 1 unmatched (left on the queue), 3 filtered by key";
        assert_eq!(not_taken(&s).as_deref(), Some(want));
        let line = collect_status(&s, &RequestCounts::default(), 0);
        assert!(line.ends_with(&format!("; {want}")), "{line}");
        assert!(line.contains("0 records (2 dead-lettered)"), "{line}");
        assert!(replay_summary(6, &s).ends_with(want));
        assert_eq!(done_objects(&s), 6);
        assert_eq!(not_taken(&StatsSnapshot::default()), None);
    }
}
