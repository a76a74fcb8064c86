//! [`AwsErrorKind`]: what went wrong, and whether retrying may help.

use s3conn_core::ErrorClass;
use serde::Serialize;

/// What went wrong, independent of the service and operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AwsErrorKind {
    /// The request or the configuration is wrong (HTTP 400, 3xx redirects, request construction).
    Configuration,
    /// The credentials were rejected: unknown key, bad signature, expired token (HTTP 401).
    Unauthenticated,
    /// The credentials lack a permission or the resource policy forbids it (HTTP 403).
    PermissionDenied,
    /// The queue, bucket, object or version does not exist (HTTP 404).
    NotFound,
    /// A conditional request failed: the object changed since the notification (HTTP 412).
    PreconditionFailed,
    /// A receipt handle is invalid or its message is no longer in flight.
    LeaseLost,
    /// The service asked us to slow down (HTTP 429, 503 `SlowDown`, throttling codes).
    Throttled,
    /// A server-side failure that may succeed when retried (HTTP 5xx, 408, unparsable response).
    Transient,
    /// The request timed out (connect, read, or attempt timeout).
    Timeout,
    /// The endpoint's host name could not be resolved.
    Dns,
    /// The connection could not be established or broke (refused, reset, TLS failure).
    Connection,
}

impl AwsErrorKind {
    /// The kind as a metric label (snake case, as serialized).
    pub fn label(self) -> &'static str {
        match self {
            AwsErrorKind::Configuration => "configuration",
            AwsErrorKind::Unauthenticated => "unauthenticated",
            AwsErrorKind::PermissionDenied => "permission_denied",
            AwsErrorKind::NotFound => "not_found",
            AwsErrorKind::PreconditionFailed => "precondition_failed",
            AwsErrorKind::LeaseLost => "lease_lost",
            AwsErrorKind::Throttled => "throttled",
            AwsErrorKind::Transient => "transient",
            AwsErrorKind::Timeout => "timeout",
            AwsErrorKind::Dns => "dns",
            AwsErrorKind::Connection => "connection",
        }
    }

    /// Whether retrying the same request may succeed, or an operator must act.
    pub fn class(self) -> ErrorClass {
        match self {
            AwsErrorKind::Throttled
            | AwsErrorKind::Transient
            | AwsErrorKind::Timeout
            | AwsErrorKind::Dns
            | AwsErrorKind::Connection => ErrorClass::Retryable,
            AwsErrorKind::NotFound | AwsErrorKind::PreconditionFailed | AwsErrorKind::LeaseLost => {
                ErrorClass::Permanent
            }
            AwsErrorKind::Configuration
            | AwsErrorKind::Unauthenticated
            | AwsErrorKind::PermissionDenied => ErrorClass::Configuration,
        }
    }

    /// A short human description of the kind.
    pub fn describe(self) -> &'static str {
        match self {
            AwsErrorKind::Configuration => "invalid request or configuration",
            AwsErrorKind::Unauthenticated => "credentials missing or rejected",
            AwsErrorKind::PermissionDenied => "permission denied",
            AwsErrorKind::NotFound => "not found",
            AwsErrorKind::PreconditionFailed => "precondition failed",
            AwsErrorKind::LeaseLost => "receipt handle invalid or message not in flight",
            AwsErrorKind::Throttled => "throttled",
            AwsErrorKind::Transient => "transient service failure",
            AwsErrorKind::Timeout => "timeout",
            AwsErrorKind::Dns => "DNS resolution failed",
            AwsErrorKind::Connection => "connection failed",
        }
    }
}
