//! Failure classification shared by every error type of s3conn.

use serde::Serialize;

/// What a failure means for the work that hit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Transient: the same operation may succeed if tried again (throttling, 5xx, a reset connection).
    Retryable,
    /// Permanent for this object or message: trying again gives the same answer.
    Permanent,
    /// The configuration or the permissions are wrong: an operator must act.
    Configuration,
}

/// An error that knows whether it is worth retrying.
pub trait Classify {
    /// The class of this failure.
    fn class(&self) -> ErrorClass;

    /// Whether the operation may succeed if tried again.
    fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Retryable
    }
}
