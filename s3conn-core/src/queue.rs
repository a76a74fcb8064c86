//! The `Queue` trait: where object notifications come from (SQS in production).

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{Classify, ErrorClass};

/// An opaque token that acknowledges, extends or releases one received message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AckHandle(pub String);

impl AckHandle {
    /// The handle as the backend issued it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One message received from a queue.
#[derive(Debug, Clone)]
pub struct Message {
    /// Token for acknowledging, extending or releasing this delivery.
    pub handle: AckHandle,
    /// The backend's id of the message, the same on every delivery.
    pub id: String,
    /// How many times the message has been delivered, this delivery included (1 on the first).
    pub attempt: u32,
    /// The message body (a notification).
    pub body: String,
    /// When the message was sent to the queue (epoch milliseconds; SQS `SentTimestamp`), when
    /// the backend says: the start of the message lag (`s3conn_message_lag_seconds`).
    pub sent_at_ms: Option<i64>,
}

/// A failure of a queue operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The handle is no longer valid: the lease was lost (the message became visible again or was deleted).
    #[error("lease lost for message handle: {0}")]
    LeaseLost(String),
    /// The queue does not exist.
    #[error("queue not found: {0}")]
    NotFound(String),
    /// Credentials were rejected.
    #[error("queue credentials rejected: {0}")]
    Unauthenticated(String),
    /// Credentials lack a permission.
    #[error("queue access denied: {0}")]
    PermissionDenied(String),
    /// The backend asked us to slow down.
    #[error("queue throttled: {0}")]
    Throttled(String),
    /// A transient failure (5xx, connection reset, timeout).
    #[error("transient queue failure: {0}")]
    Transient(String),
    /// The request was invalid (bad configuration).
    #[error("invalid queue request: {0}")]
    Invalid(String),
    /// The queue was closed.
    #[error("queue closed")]
    Closed,
}

impl Classify for QueueError {
    fn class(&self) -> ErrorClass {
        match self {
            QueueError::Throttled(_) | QueueError::Transient(_) => ErrorClass::Retryable,
            QueueError::LeaseLost(_) | QueueError::Closed => ErrorClass::Permanent,
            QueueError::NotFound(_)
            | QueueError::Unauthenticated(_)
            | QueueError::PermissionDenied(_)
            | QueueError::Invalid(_) => ErrorClass::Configuration,
        }
    }
}

/// The outcome of a batch operation: one result per handle, in the order given.
pub type BatchResult = Vec<Result<(), QueueError>>;

/// A source of notification messages with leases (SQS semantics).
///
/// # Contract
/// - `receive` returns at most `max` messages, waiting up to `wait` for the first one (long poll);
///   an empty vector means none arrived in time. A received message is invisible to other consumers
///   for `visibility` (its lease), until it is acknowledged, or until it is released. The caller
///   owns the lease length: the same value it later passes to `extend`, so the initial lease and
///   the renewals cannot disagree.
/// - `acknowledge` deletes messages for good. An empty batch is a no-op; a handle whose message is
///   already gone is `Ok`. The result has one entry per handle, in order.
/// - `extend` sets the remaining visibility of each message to `visibility` from now. A handle whose
///   lease was lost yields `QueueError::LeaseLost` in its entry.
/// - `release` makes a message visible again at once, so it is redelivered now.
/// - Implementations are cheap to share (`Arc<dyn Queue>`) and safe to call concurrently.
///
/// `s3conn_core::testing::queue_conformance` (feature `testing`) checks this contract; every
/// queue of s3conn runs it, and your own implementation can too.
#[async_trait]
pub trait Queue: Send + Sync + Debug {
    /// Receives up to `max` messages, waiting up to `wait` for the first; each stays invisible to
    /// other consumers for `visibility`.
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, QueueError>;

    /// Deletes the messages of these handles; one result per handle.
    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult;

    /// Extends the visibility of these messages to `visibility` from now; one result per handle.
    async fn extend(&self, handles: &[AckHandle], visibility: Duration) -> BatchResult;

    /// Makes this message visible again now, for redelivery.
    async fn release(&self, handle: &AckHandle) -> Result<(), QueueError>;

    /// Whether the backend knows for sure that a receive waiting `within` would return nothing
    /// unless a message is sent meanwhile: none is visible, and no lease runs out in that time.
    /// A draining pipeline then stops without waiting out a long poll. `false` (the default)
    /// when the backend cannot tell, as SQS cannot.
    fn known_idle(&self, within: Duration) -> bool {
        let _ = within;
        false
    }
}

const _: Option<&dyn Queue> = None;
