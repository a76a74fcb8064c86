//! Counts of the SQS and S3 requests sent, by API: what a connector costs in requests.
//!
//! Every attempt counts (a retried call is two requests), because every attempt is billed. The
//! counters are relaxed atomics, bumped once per request just before it is sent
//! ([`crate::sqs::SqsQueue`], [`crate::s3::S3ObjectStore`]); read them with
//! [`crate::Connector::requests`]. Each answer is also counted through the `metrics` facade as
//! `s3conn_aws_requests_total{connector, api, outcome}` (`outcome`: `ok` or the
//! [`AwsErrorKind`](crate::AwsErrorKind) label; a `not_found` GetObject is a deleted object, a normal outcome).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics::SharedString;
use serde::Serialize;

use crate::error::AwsError;

/// An API whose requests are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `sqs:ReceiveMessage`.
    ReceiveMessage,
    /// `sqs:DeleteMessageBatch`.
    DeleteMessageBatch,
    /// `sqs:ChangeMessageVisibilityBatch` (lease renewals, backoffs of kept messages).
    ChangeMessageVisibilityBatch,
    /// `sqs:ChangeMessageVisibility` (releases on shutdown).
    ChangeMessageVisibility,
    /// `sqs:SendMessage`.
    SendMessage,
    /// `sqs:SendMessageBatch`.
    SendMessageBatch,
    /// `s3:GetObject`.
    GetObject,
    /// `s3:ListObjectsV2` (backfill listings).
    ListObjectsV2,
}

impl Api {
    const COUNT: usize = 8;

    /// The API as a metric label, e.g. `sqs:ReceiveMessage`.
    pub fn name(self) -> &'static str {
        match self {
            Api::ReceiveMessage => "sqs:ReceiveMessage",
            Api::DeleteMessageBatch => "sqs:DeleteMessageBatch",
            Api::ChangeMessageVisibilityBatch => "sqs:ChangeMessageVisibilityBatch",
            Api::ChangeMessageVisibility => "sqs:ChangeMessageVisibility",
            Api::SendMessage => "sqs:SendMessage",
            Api::SendMessageBatch => "sqs:SendMessageBatch",
            Api::GetObject => "s3:GetObject",
            Api::ListObjectsV2 => "s3:ListObjectsV2",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Live request counters, shared by the clones of a queue or store.
#[derive(Debug)]
pub(crate) struct RequestCounter {
    counts: [AtomicU64; Api::COUNT],
    /// The `connector` label of the metrics.
    connector: SharedString,
}

impl Default for RequestCounter {
    fn default() -> Self {
        RequestCounter::labelled(s3conn_core::telemetry::UNNAMED)
    }
}

impl RequestCounter {
    /// Counters whose metrics carry `connector`.
    pub fn labelled(connector: &str) -> Self {
        RequestCounter {
            counts: Default::default(),
            connector: std::sync::Arc::<str>::from(connector).into(),
        }
    }

    /// Counts the answer to one request of `api` (`error`: `None` when it succeeded).
    pub fn answered(&self, api: Api, error: Option<&AwsError>) {
        let outcome = error.map_or("ok", |e| e.kind.label());
        metrics::counter!(
            s3conn_core::telemetry::names::AWS_REQUESTS,
            "connector" => self.connector.clone(),
            "api" => api.name(),
            "outcome" => outcome
        )
        .increment(1);
    }

    /// Counts one request of `api`.
    pub fn record(&self, api: Api) {
        self.counts[api.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The requests of `api` so far.
    pub fn get(&self, api: Api) -> u64 {
        self.counts[api.index()].load(Ordering::Relaxed)
    }

    /// Every count so far.
    pub fn snapshot(&self) -> RequestCounts {
        RequestCounts {
            receive_message: self.get(Api::ReceiveMessage),
            delete_message_batch: self.get(Api::DeleteMessageBatch),
            change_message_visibility_batch: self.get(Api::ChangeMessageVisibilityBatch),
            change_message_visibility: self.get(Api::ChangeMessageVisibility),
            send_message: self.get(Api::SendMessage),
            send_message_batch: self.get(Api::SendMessageBatch),
            get_object: self.get(Api::GetObject),
            list_objects_v2: self.get(Api::ListObjectsV2),
        }
    }
}

/// Requests sent, by API (a snapshot of a queue's or store's request counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    /// `sqs:ReceiveMessage`.
    pub receive_message: u64,
    /// `sqs:DeleteMessageBatch`.
    pub delete_message_batch: u64,
    /// `sqs:ChangeMessageVisibilityBatch`.
    pub change_message_visibility_batch: u64,
    /// `sqs:ChangeMessageVisibility`.
    pub change_message_visibility: u64,
    /// `sqs:SendMessage`.
    pub send_message: u64,
    /// `sqs:SendMessageBatch`.
    pub send_message_batch: u64,
    /// `s3:GetObject`.
    pub get_object: u64,
    /// `s3:ListObjectsV2` (backfill listings).
    pub list_objects_v2: u64,
}

impl RequestCounts {
    /// Every SQS request.
    pub fn sqs_total(&self) -> u64 {
        self.receive_message
            + self.delete_message_batch
            + self.change_message_visibility_batch
            + self.change_message_visibility
            + self.send_message
            + self.send_message_batch
    }

    /// The sum of two snapshots (a queue's and a store's).
    pub fn plus(&self, other: &RequestCounts) -> RequestCounts {
        RequestCounts {
            receive_message: self.receive_message + other.receive_message,
            delete_message_batch: self.delete_message_batch + other.delete_message_batch,
            change_message_visibility_batch: self.change_message_visibility_batch
                + other.change_message_visibility_batch,
            change_message_visibility: self.change_message_visibility
                + other.change_message_visibility,
            send_message: self.send_message + other.send_message,
            send_message_batch: self.send_message_batch + other.send_message_batch,
            get_object: self.get_object + other.get_object,
            list_objects_v2: self.list_objects_v2 + other.list_objects_v2,
        }
    }
}

impl fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SQS {} (receive {}, delete batch {}, visibility batch {}, visibility {}, send {}, send batch {}), S3 GetObject {}",
            self.sqs_total(),
            self.receive_message,
            self.delete_message_batch,
            self.change_message_visibility_batch,
            self.change_message_visibility,
            self.send_message,
            self.send_message_batch,
            self.get_object,
        )?;
        if self.list_objects_v2 > 0 {
            write!(f, ", ListObjectsV2 {}", self.list_objects_v2)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_api_and_sums() {
        let c = RequestCounter::default();
        c.record(Api::ReceiveMessage);
        c.record(Api::ReceiveMessage);
        c.record(Api::DeleteMessageBatch);
        c.record(Api::GetObject);
        let s = c.snapshot();
        assert_eq!(s.receive_message, 2);
        assert_eq!(s.delete_message_batch, 1);
        assert_eq!(s.sqs_total(), 3);
        assert_eq!(s.get_object, 1);
        let both = s.plus(&s);
        assert_eq!(both.sqs_total(), 6);
        assert_eq!(both.get_object, 2);
        assert!(s
            .to_string()
            .starts_with("SQS 3 (receive 2, delete batch 1"));
    }
}
