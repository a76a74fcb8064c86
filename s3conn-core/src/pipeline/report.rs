//! What a run did: [`RunReport`] (counters and a [`RunStatus`]), and why messages were kept.

use std::collections::BTreeMap;
use std::fmt;

use crate::stats::StatsSnapshot;

/// What [`Pipeline::run`](super::Pipeline::run) returns: the counters and whether everything
/// received was done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a run can end without delivering everything: check `status`"]
pub struct RunReport {
    /// The pipeline's counters when the run ended.
    pub stats: StatsSnapshot,
    /// Whether everything received was delivered or accounted for, or what was kept and why.
    pub status: RunStatus,
}

impl RunReport {
    /// Whether every message received was acknowledged (delivered or accounted for).
    pub fn is_complete(&self) -> bool {
        self.status == RunStatus::Complete
    }
}

/// How a run ended, as far as the messages it received are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunStatus {
    /// Every message received was acknowledged (each of its objects delivered, dead-lettered,
    /// gone, overwritten or skipped), or left on the queue on purpose for another consumer (a
    /// key no route takes with `unmatched = "keep"`, counted in `messages_left_for_others`).
    Complete,
    /// Shutdown stopped work in progress: these messages were released, to be redelivered now.
    /// No failure; nothing was kept for one.
    Released {
        /// Messages released.
        messages: u64,
    },
    /// Some messages were kept (not acknowledged) after a failure: the queue redelivers them
    /// later. One entry per reason, most frequent first.
    Kept(Vec<KeptMessages>),
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunStatus::Complete => {
                f.write_str("every message received was delivered or accounted for")
            }
            RunStatus::Released { messages } => {
                write!(
                    f,
                    "stopped by shutdown: {messages} message(s) released for redelivery"
                )
            }
            RunStatus::Kept(kept) => {
                let total: u64 = kept.iter().map(|k| k.messages).sum();
                write!(f, "{total} message(s) kept for redelivery: ")?;
                for (i, k) in kept.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{} {} (e.g. {})", k.messages, k.reason, k.example)?;
                }
                Ok(())
            }
        }
    }
}

/// Messages kept for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMessages {
    /// Why.
    pub reason: KeepReason,
    /// How many messages (every delivery counts).
    pub messages: u64,
    /// The first failure of this kind, as logged.
    pub example: String,
}

/// Why a message was kept rather than acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum KeepReason {
    /// The sink rejected records for good.
    SinkRejected,
    /// The sink stayed unavailable through every retry.
    SinkUnavailable,
    /// The sink's destination is gone (a closed pipe, a removed directory).
    OutputClosed,
    /// The object store (or a download) kept failing through every retry.
    BackendUnreachable,
    /// The object store refused access (credentials, permissions, configuration).
    PermissionDenied,
    /// The object could not be read for another lasting reason (an invalid key).
    ObjectUnreadable,
    /// The object could not be decoded (kept while `max_receive_count` is not reached).
    Undecodable,
    /// The message is not a notification (kept while `max_receive_count` is not reached).
    NotANotification,
    /// It names a bucket outside the allow-list (kept while `max_receive_count` is not reached).
    BucketNotAllowed,
    /// Something had to be dead-lettered, and the pipeline has no dead-letter destination.
    NoDeadLetterDestination,
    /// The dead-letter destination failed.
    DeadLetterFailed,
    /// The lease was lost (renewal failed): another consumer may have the message.
    LeaseLost,
    /// Everything was done, but deleting the message failed: it will be redelivered.
    AcknowledgeFailed,
}

impl KeepReason {
    /// The reason as a metric label (snake case, a closed set).
    pub fn label(self) -> &'static str {
        match self {
            KeepReason::SinkRejected => "sink_rejected",
            KeepReason::SinkUnavailable => "sink_unavailable",
            KeepReason::OutputClosed => "output_closed",
            KeepReason::BackendUnreachable => "backend_unreachable",
            KeepReason::PermissionDenied => "permission_denied",
            KeepReason::ObjectUnreadable => "object_unreadable",
            KeepReason::Undecodable => "undecodable",
            KeepReason::NotANotification => "not_a_notification",
            KeepReason::BucketNotAllowed => "bucket_not_allowed",
            KeepReason::NoDeadLetterDestination => "no_dead_letter_destination",
            KeepReason::DeadLetterFailed => "dead_letter_failed",
            KeepReason::LeaseLost => "lease_lost",
            KeepReason::AcknowledgeFailed => "acknowledge_failed",
        }
    }
}

impl fmt::Display for KeepReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeepReason::SinkRejected => "rejected by the sink",
            KeepReason::SinkUnavailable => "sink unavailable",
            KeepReason::OutputClosed => "output closed",
            KeepReason::BackendUnreachable => "object store unreachable",
            KeepReason::PermissionDenied => "permission denied",
            KeepReason::ObjectUnreadable => "object unreadable",
            KeepReason::Undecodable => "undecodable object",
            KeepReason::NotANotification => "not a notification",
            KeepReason::BucketNotAllowed => "bucket not on the allow-list",
            KeepReason::NoDeadLetterDestination => "no dead-letter destination",
            KeepReason::DeadLetterFailed => "dead-letter destination failed",
            KeepReason::LeaseLost => "lease lost",
            KeepReason::AcknowledgeFailed => "acknowledgement failed",
        })
    }
}

/// The kept messages of one run, by reason (touched once per kept message, never per record).
#[derive(Debug, Default)]
pub(super) struct KeptLedger {
    by_reason: BTreeMap<KeepReason, (u64, String)>,
}

impl KeptLedger {
    pub(super) fn add(&mut self, reason: KeepReason, example: &str) {
        let entry = self
            .by_reason
            .entry(reason)
            .or_insert_with(|| (0, example.to_string()));
        entry.0 += 1;
    }

    /// The status of a run that kept these and released `released`.
    pub(super) fn status(&self, released: u64) -> RunStatus {
        if self.by_reason.is_empty() {
            return if released == 0 {
                RunStatus::Complete
            } else {
                RunStatus::Released { messages: released }
            };
        }
        let mut kept: Vec<KeptMessages> = self
            .by_reason
            .iter()
            .map(|(&reason, (messages, example))| KeptMessages {
                reason,
                messages: *messages,
                example: example.clone(),
            })
            .collect();
        kept.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.reason.cmp(&b.reason)));
        RunStatus::Kept(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_every_reason_most_frequent_first() {
        assert_eq!(KeptLedger::default().status(0), RunStatus::Complete);
        assert_eq!(
            KeptLedger::default().status(2),
            RunStatus::Released { messages: 2 }
        );
        let mut ledger = KeptLedger::default();
        ledger.add(KeepReason::SinkRejected, "a: rejected");
        ledger.add(KeepReason::LeaseLost, "b");
        ledger.add(KeepReason::LeaseLost, "c");
        let status = ledger.status(5);
        let RunStatus::Kept(kept) = &status else {
            panic!("{status:?}");
        };
        assert_eq!(kept[0].reason, KeepReason::LeaseLost);
        assert_eq!(kept[0].messages, 2);
        assert_eq!(kept[0].example, "b");
        assert_eq!(kept[1].reason, KeepReason::SinkRejected);
        assert_eq!(
            status.to_string(),
            "3 message(s) kept for redelivery: 2 lease lost (e.g. b); 1 rejected by the sink (e.g. a: rejected)"
        );
    }
}
