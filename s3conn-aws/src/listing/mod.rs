//! Backfill: the objects already in a bucket, read through the same pipeline as notifications.
//!
//! - [`Selection`] (`selection.rs`): bucket, prefixes, start key, `since`/`until`.
//! - [`KeyDateLayout`] (`layout.rs`): how keys carry their date, for pruning by day.
//! - [`Lister`] (`lister.rs`): ListObjectsV2 (continuation tokens) over the selection, in key
//!   order, enumerating the `AWSLogs/<account>/<service>/<region>/` levels and listing only the
//!   days in range; every object it passes over is counted with its reason.
//! - [`Checkpoint`] (`checkpoint.rs`): the listing position in a file, written atomically.
//! - `watermark.rs`: the contiguous acknowledged prefix of the listing order.
//! - [`ListingQueue`] (`queue.rs`): a [`s3conn_core::Queue`] whose messages are S3 event
//!   notifications of the listed objects, so decoding, sources, sinks, dead letters and
//!   acknowledgement are the pipeline's own; acknowledgements move the checkpoint.
//! - [`event_body`] (`event.rs`): the S3-event-shaped message of one listed object.
//! - [`forward_to_queue`] (`forward.rs`): the same messages sent to an SQS queue
//!   (`SendMessageBatch`, 10 per request), for `collect` workers to share a large backfill.

mod checkpoint;
mod event;
mod forward;
mod layout;
mod lister;
mod queue;
mod selection;
mod watermark;

pub use checkpoint::{Checkpoint, CheckpointFile, CheckpointWriter};
pub use event::event_body;
pub use forward::{forward_to_queue, ForwardReport};
pub use layout::{DateFormat, KeyDateLayout, Plan};
pub use lister::{Listed, Lister, ListingCounts};
pub use queue::ListingQueue;
pub use selection::{Selection, TimeBound};

use s3conn_core::{Classify, ErrorClass, QueueError};

use crate::error::{AwsError, AwsErrorKind};

/// Why a backfill cannot select, list or checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListingError {
    /// The selection is invalid (dates, bucket, key-date template): a usage error.
    #[error("{0}")]
    InvalidSelection(String),
    /// The bucket cannot be listed.
    #[error("{}", cannot_list(bucket, source))]
    CannotList {
        /// The bucket.
        bucket: String,
        /// The classified failure of `s3:ListObjectsV2`.
        source: AwsError,
    },
    /// The checkpoint file is unreadable, corrupt or belongs to another backfill.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong (and what to do).
        reason: String,
    },
    /// The checkpoint could not be written.
    #[error("checkpoint {path}: cannot write: {reason}")]
    CheckpointWrite {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The listing returned keys out of order (a position could skip objects).
    #[error("bucket '{bucket}': listing returned '{key}' after '{previous}' (keys out of order)")]
    OutOfOrder {
        /// The bucket.
        bucket: String,
        /// The key seen before.
        previous: String,
        /// The key out of order.
        key: String,
    },
    /// Sending to the target queue failed.
    #[error("sending to {queue}: {source}")]
    Send {
        /// The queue URL.
        queue: String,
        /// The failure.
        source: QueueError,
    },
}

fn cannot_list(bucket: &str, e: &AwsError) -> String {
    match e.kind {
        AwsErrorKind::PermissionDenied => format!(
            "bucket '{bucket}' cannot be listed: access denied; grant s3:ListBucket on arn:aws:s3:::{bucket} (and s3:GetObject on arn:aws:s3:::{bucket}/*) to these credentials ({e})"
        ),
        AwsErrorKind::NotFound => format!(
            "bucket '{bucket}' cannot be listed: no such bucket (check the name and the region) ({e})"
        ),
        AwsErrorKind::Unauthenticated => format!(
            "bucket '{bucket}' cannot be listed: the credentials were rejected ({e})"
        ),
        _ => format!("bucket '{bucket}' cannot be listed: {e}"),
    }
}

impl Classify for ListingError {
    fn class(&self) -> ErrorClass {
        match self {
            ListingError::InvalidSelection(_) | ListingError::Checkpoint { .. } => {
                ErrorClass::Configuration
            }
            ListingError::CannotList { source, .. } => source.class(),
            ListingError::Send { source, .. } => source.class(),
            ListingError::CheckpointWrite { .. } | ListingError::OutOfOrder { .. } => {
                ErrorClass::Permanent
            }
        }
    }
}

impl ListingError {
    /// The queue error a [`ListingQueue`] reports for it (its class decides whether the pipeline
    /// retries or stops at once).
    pub fn into_queue_error(self) -> QueueError {
        let text = self.to_string();
        match &self {
            ListingError::CannotList { source, .. } => match source.kind {
                AwsErrorKind::PermissionDenied => QueueError::PermissionDenied(text),
                AwsErrorKind::NotFound => QueueError::NotFound(text),
                AwsErrorKind::Unauthenticated => QueueError::Unauthenticated(text),
                AwsErrorKind::Throttled => QueueError::Throttled(text),
                _ if source.is_retryable() => QueueError::Transient(text),
                _ => QueueError::Invalid(text),
            },
            _ => QueueError::Invalid(text),
        }
    }
}
