//! One classification of AWS SDK failures, shared by the queue, the store and the connectivity check.
//!
//! Every `SdkError` is reduced to an [`AwsError`]: what kind of failure it is ([`AwsErrorKind`]),
//! the HTTP status and the service's error code when there was a response, and a message. The
//! kind decides everything else: whether it is retried ([`AwsError::class`]), which
//! [`QueueError`] or [`StoreError`] it becomes, and which row of the connectivity check's table it is.
//!
//! The error code wins over the HTTP status where the two disagree: SQS answers a missing queue
//! with HTTP 400 `QueueDoesNotExist`, and rejected credentials with HTTP 403
//! `InvalidClientTokenId`; both are classified by their code (not found; credentials rejected).
//!
//! The parts: [`AwsErrorKind`] and its class (`kind.rs`), the reading of an `SdkError`
//! (`sdk.rs`), the kind of an error code or HTTP status (`codes.rs`), and the code of a response
//! body the SDK could not decode (`body.rs`).

mod body;
mod codes;
mod kind;
mod kms;
mod region;
mod sdk;

#[cfg(test)]
mod tests;

use std::error::Error as StdError;
use std::fmt;

use s3conn_core::{Classify, ErrorClass, QueueError, StoreError};

#[cfg(test)]
use body::code_from_body;
pub(crate) use codes::{kind_for, normalize_code};
pub use kind::AwsErrorKind;
pub use kms::is_kms_denial;
pub(crate) use region::is_wrong_region;
pub(crate) use sdk::chain;

/// A classified failure of one AWS operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The operation that failed, for example `sqs:ReceiveMessage`.
    pub operation: &'static str,
    /// What kind of failure it is.
    pub kind: AwsErrorKind,
    /// The HTTP status of the response, when there was one.
    pub status: Option<u16>,
    /// The service's error code (normalized: no `AWS.SimpleQueueService.` prefix), when given.
    pub code: Option<String>,
    /// The service's message or the transport error's description.
    pub message: String,
    /// The region S3 says the bucket is in (redirect header or body), when it says one.
    pub bucket_region: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.kind.describe())?;
        match (self.status, &self.code) {
            (Some(s), Some(c)) => write!(f, " (HTTP {s}, {c})")?,
            (Some(s), None) => write!(f, " (HTTP {s})")?,
            (None, Some(c)) => write!(f, " ({c})")?,
            (None, None) => {}
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if self.is_kms_denial() {
            write!(f, " (SSE-KMS: grant kms:Decrypt on the object's KMS key)")?;
        }
        Ok(())
    }
}

impl StdError for AwsError {}

impl Classify for AwsError {
    fn class(&self) -> ErrorClass {
        self.kind.class()
    }
}

impl AwsError {
    /// A failure built from its parts (used for failed entries of batch results).
    pub fn new(
        operation: &'static str,
        kind: AwsErrorKind,
        status: Option<u16>,
        code: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        AwsError {
            operation,
            kind,
            status,
            code,
            message: message.into(),
            bucket_region: None,
        }
    }

    /// Whether S3 refused because the request went to another region than the bucket's.
    pub fn is_wrong_region(&self) -> bool {
        is_wrong_region(self.status, self.code.as_deref())
    }

    /// Whether a KMS key denied access (an SSE-KMS object the credentials may not decrypt).
    pub fn is_kms_denial(&self) -> bool {
        matches!(
            self.kind,
            AwsErrorKind::PermissionDenied | AwsErrorKind::Configuration
        ) && is_kms_denial(self.code.as_deref(), &self.message)
    }

    /// Converts into the queue's error type.
    pub fn into_queue_error(self) -> QueueError {
        let text = self.to_string();
        match self.kind {
            AwsErrorKind::Configuration | AwsErrorKind::PreconditionFailed => {
                QueueError::Invalid(text)
            }
            AwsErrorKind::Unauthenticated => QueueError::Unauthenticated(text),
            AwsErrorKind::PermissionDenied => QueueError::PermissionDenied(text),
            AwsErrorKind::NotFound => QueueError::NotFound(text),
            AwsErrorKind::LeaseLost => QueueError::LeaseLost(text),
            AwsErrorKind::Throttled => QueueError::Throttled(text),
            AwsErrorKind::Transient
            | AwsErrorKind::Timeout
            | AwsErrorKind::Dns
            | AwsErrorKind::Connection => QueueError::Transient(text),
        }
    }

    /// Converts into the object store's error type.
    pub fn into_store_error(self) -> StoreError {
        let text = self.to_string();
        match self.kind {
            AwsErrorKind::Configuration | AwsErrorKind::LeaseLost => {
                StoreError::Configuration(text)
            }
            AwsErrorKind::Unauthenticated => StoreError::Unauthenticated(text),
            AwsErrorKind::PermissionDenied => StoreError::PermissionDenied(text),
            AwsErrorKind::NotFound => StoreError::NotFound(text),
            AwsErrorKind::PreconditionFailed => StoreError::PreconditionFailed(text),
            AwsErrorKind::Throttled => StoreError::Throttled(text),
            AwsErrorKind::Transient
            | AwsErrorKind::Timeout
            | AwsErrorKind::Dns
            | AwsErrorKind::Connection => StoreError::Transient(text),
        }
    }
}

impl From<AwsError> for QueueError {
    fn from(e: AwsError) -> Self {
        e.into_queue_error()
    }
}

impl From<AwsError> for StoreError {
    fn from(e: AwsError) -> Self {
        e.into_store_error()
    }
}
