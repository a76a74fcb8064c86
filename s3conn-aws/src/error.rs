//! One classification of AWS SDK failures, shared by the queue, the store and the connection test.
//!
//! Every `SdkError` is reduced to an [`AwsError`]: what kind of failure it is ([`AwsErrorKind`]),
//! the HTTP status and the service's error code when there was a response, and a message. The
//! kind decides everything else: whether it is retried ([`AwsError::class`]), which
//! [`QueueError`] or [`StoreError`] it becomes, and which row of the connection-test table it is.
//!
//! The error code wins over the HTTP status where the two disagree: SQS answers a missing queue
//! with HTTP 400 `QueueDoesNotExist`, and rejected credentials with HTTP 403
//! `InvalidClientTokenId`; both are classified by their code (not found; credentials rejected).

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use s3conn_core::{Classify, ErrorClass, QueueError, StoreError};
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
        }
    }

    /// Classifies a failed SDK call of `operation`.
    pub fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        match err {
            SdkError::ConstructionFailure(_) => {
                let text = chain(err);
                let kind = if text.to_ascii_lowercase().contains("credential") {
                    AwsErrorKind::Unauthenticated
                } else {
                    AwsErrorKind::Configuration
                };
                AwsError::new(
                    operation,
                    kind,
                    None,
                    None,
                    format!("request could not be built: {text}"),
                )
            }
            SdkError::TimeoutError(_) => {
                AwsError::new(operation, AwsErrorKind::Timeout, None, None, chain(err))
            }
            SdkError::DispatchFailure(d) => {
                let text = chain(err);
                let kind = if is_dns_failure(&text) {
                    AwsErrorKind::Dns
                } else if d.is_other() && text.to_ascii_lowercase().contains("credential") {
                    // Identity resolution fails before anything is sent: no usable credentials.
                    AwsErrorKind::Unauthenticated
                } else if d.is_timeout() {
                    AwsErrorKind::Timeout
                } else if d.is_user() {
                    AwsErrorKind::Configuration
                } else {
                    AwsErrorKind::Connection
                };
                AwsError::new(operation, kind, None, None, text)
            }
            SdkError::ResponseError(r) => {
                let status = r.raw().status().as_u16();
                // An unparsable response: classify by status, and treat a 2xx we could not read as
                // a broken transfer (retryable).
                let kind = match kind_for(status, None) {
                    AwsErrorKind::Configuration if status < 300 => AwsErrorKind::Transient,
                    k => k,
                };
                AwsError::new(
                    operation,
                    kind,
                    Some(status),
                    None,
                    format!("unreadable response: {}", chain(err)),
                )
            }
            SdkError::ServiceError(s) => {
                let status = s.raw().status().as_u16();
                let meta = err.meta();
                let code = meta
                    .code()
                    .map(normalize_code)
                    .or_else(|| code_from_body(s.raw()));
                let message = meta.message().unwrap_or_default().to_string();
                let kind = kind_for(status, code.as_deref());
                AwsError::new(operation, kind, Some(status), code, message)
            }
            // `SdkError` is non-exhaustive: anything new is treated as transient.
            _ => AwsError::new(operation, AwsErrorKind::Transient, None, None, chain(err)),
        }
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

/// The error code of a response the SDK could not decode in its protocol, read from the raw body.
///
/// Some endpoints answer in another protocol than the one requested: moto, for example, rejects
/// credentials of an SQS JSON request with an XML `<ErrorResponse>`. Without this, such an error
/// would be classified by its HTTP status alone (403: permission) instead of its code
/// (`InvalidClientTokenId`: credentials rejected).
pub fn code_from_body(raw: &HttpResponse) -> Option<String> {
    let bytes = raw.body().bytes()?;
    let text = std::str::from_utf8(&bytes[..bytes.len().min(64 * 1024)]).ok()?;
    let code = if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        &rest[..rest.find("</Code>")?]
    } else {
        let start = text.find("\"__type\"")?;
        let rest = &text[start + "\"__type\"".len()..];
        let rest = rest
            .trim_start()
            .strip_prefix(':')?
            .trim_start()
            .strip_prefix('"')?;
        &rest[..rest.find('"')?]
    };
    let code = code.trim();
    (!code.is_empty() && code.len() <= 128).then(|| normalize_code(code))
}

/// Strips the protocol decorations some services put on error codes.
///
/// SQS's JSON protocol reports query-compatible codes such as
/// `AWS.SimpleQueueService.NonExistentQueue`, or shape ids such as `com.amazonaws.sqs#QueueDoesNotExist`.
pub fn normalize_code(code: &str) -> String {
    let code = code.rsplit_once('#').map_or(code, |(_, c)| c);
    let code = code.strip_prefix("AWS.SimpleQueueService.").unwrap_or(code);
    code.to_string()
}

/// The kind of a service error, from its (normalized) code first and its HTTP status second.
pub fn kind_for(status: u16, code: Option<&str>) -> AwsErrorKind {
    if let Some(kind) = code.and_then(kind_for_code) {
        return kind;
    }
    match status {
        300..=399 => AwsErrorKind::Configuration,
        401 => AwsErrorKind::Unauthenticated,
        403 => AwsErrorKind::PermissionDenied,
        404 | 410 => AwsErrorKind::NotFound,
        408 | 409 => AwsErrorKind::Transient,
        412 => AwsErrorKind::PreconditionFailed,
        429 | 503 => AwsErrorKind::Throttled,
        500..=599 => AwsErrorKind::Transient,
        400..=499 => AwsErrorKind::Configuration,
        // A service error with a 1xx/2xx status is malformed: retry.
        _ => AwsErrorKind::Transient,
    }
}

/// The kind implied by a well-known error code, if it is one.
fn kind_for_code(code: &str) -> Option<AwsErrorKind> {
    let kind = match code {
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestThrottledException"
        | "RequestThrottled"
        | "TooManyRequestsException"
        | "SlowDown"
        | "RequestLimitExceeded"
        | "BandwidthLimitExceeded"
        | "LimitExceededException"
        | "PriorRequestNotComplete"
        | "OverLimit"
        | "KmsThrottled"
        | "KMS.ThrottlingException" => AwsErrorKind::Throttled,
        "InternalError"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "RequestTimeout"
        | "RequestTimeoutException"
        | "OperationAborted" => AwsErrorKind::Transient,
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "TokenRefreshRequired"
        | "InvalidToken"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "AuthFailure"
        | "RequestExpired"
        | "RequestTimeTooSkewed"
        | "InvalidSecurity" => AwsErrorKind::Unauthenticated,
        "AccessDenied"
        | "AccessDeniedException"
        | "AllAccessDisabled"
        | "AccountProblem"
        | "KmsAccessDenied"
        | "KMS.AccessDeniedException" => AwsErrorKind::PermissionDenied,
        "NoSuchKey"
        | "NoSuchBucket"
        | "NoSuchVersion"
        | "NotFound"
        | "QueueDoesNotExist"
        | "NonExistentQueue"
        | "ResourceNotFoundException" => AwsErrorKind::NotFound,
        "PreconditionFailed" => AwsErrorKind::PreconditionFailed,
        "ReceiptHandleIsInvalid" | "MessageNotInflight" => AwsErrorKind::LeaseLost,
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => AwsErrorKind::Configuration,
        _ => return None,
    };
    Some(kind)
}

/// Whether a transport error text says that a host name could not be resolved.
fn is_dns_failure(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("dns error")
        || t.contains("failed to lookup address")
        || t.contains("name or service not known")
        || t.contains("no address associated")
        || t.contains("nodename nor servname")
        || t.contains("temporary failure in name resolution")
}

/// The error and all its sources, joined with `: `.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.ends_with(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_sdk_sqs::operation::receive_message::ReceiveMessageError;
    use aws_sdk_sqs::types::error::QueueDoesNotExist;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn response(status: u16) -> HttpResponse {
        let status = StatusCode::try_from(status).expect("valid status");
        HttpResponse::new(status, SdkBody::empty())
    }

    fn s3_generic(status: u16, code: &str) -> AwsError {
        let meta = ErrorMetadata::builder().code(code).message("msg").build();
        let err = SdkError::service_error(GetObjectError::generic(meta), response(status));
        AwsError::from_sdk("s3:GetObject", &err)
    }

    fn sqs_generic(status: u16, code: &str) -> AwsError {
        let meta = ErrorMetadata::builder().code(code).message("msg").build();
        let err = SdkError::service_error(ReceiveMessageError::generic(meta), response(status));
        AwsError::from_sdk("sqs:ReceiveMessage", &err)
    }

    #[test]
    fn modeled_no_such_key_is_not_found() {
        let meta = ErrorMetadata::builder()
            .code("NoSuchKey")
            .message("gone")
            .build();
        let inner = NoSuchKey::builder().message("gone").meta(meta).build();
        let err = SdkError::service_error(GetObjectError::NoSuchKey(inner), response(404));
        let e = AwsError::from_sdk("s3:GetObject", &err);
        assert_eq!(e.kind, AwsErrorKind::NotFound);
        assert_eq!(e.status, Some(404));
        assert_eq!(e.code.as_deref(), Some("NoSuchKey"));
        assert!(matches!(e.into_store_error(), StoreError::NotFound(_)));
    }

    #[test]
    fn missing_queue_is_not_found_despite_http_400() {
        let meta = ErrorMetadata::builder()
            .code("AWS.SimpleQueueService.NonExistentQueue")
            .message("The specified queue does not exist.")
            .build();
        let inner = QueueDoesNotExist::builder().meta(meta).build();
        let err =
            SdkError::service_error(ReceiveMessageError::QueueDoesNotExist(inner), response(400));
        let e = AwsError::from_sdk("sqs:ReceiveMessage", &err);
        assert_eq!(e.kind, AwsErrorKind::NotFound);
        assert_eq!(e.code.as_deref(), Some("NonExistentQueue"));
        assert!(matches!(e.into_queue_error(), QueueError::NotFound(_)));
    }

    #[test]
    fn status_table() {
        let cases = [
            (
                400,
                "InvalidArgument",
                AwsErrorKind::Configuration,
                ErrorClass::Configuration,
            ),
            (
                401,
                "Whatever",
                AwsErrorKind::Unauthenticated,
                ErrorClass::Configuration,
            ),
            (
                403,
                "InvalidClientTokenId",
                AwsErrorKind::Unauthenticated,
                ErrorClass::Configuration,
            ),
            (
                403,
                "SignatureDoesNotMatch",
                AwsErrorKind::Unauthenticated,
                ErrorClass::Configuration,
            ),
            (
                400,
                "ExpiredToken",
                AwsErrorKind::Unauthenticated,
                ErrorClass::Configuration,
            ),
            (
                403,
                "AccessDenied",
                AwsErrorKind::PermissionDenied,
                ErrorClass::Configuration,
            ),
            (
                403,
                "SomethingElse",
                AwsErrorKind::PermissionDenied,
                ErrorClass::Configuration,
            ),
            (
                404,
                "NoSuchBucket",
                AwsErrorKind::NotFound,
                ErrorClass::Permanent,
            ),
            (
                404,
                "Unknown",
                AwsErrorKind::NotFound,
                ErrorClass::Permanent,
            ),
            (
                412,
                "PreconditionFailed",
                AwsErrorKind::PreconditionFailed,
                ErrorClass::Permanent,
            ),
            (
                429,
                "TooManyRequests",
                AwsErrorKind::Throttled,
                ErrorClass::Retryable,
            ),
            (
                503,
                "SlowDown",
                AwsErrorKind::Throttled,
                ErrorClass::Retryable,
            ),
            (
                503,
                "Unknown",
                AwsErrorKind::Throttled,
                ErrorClass::Retryable,
            ),
            (
                400,
                "Throttling",
                AwsErrorKind::Throttled,
                ErrorClass::Retryable,
            ),
            (
                400,
                "RequestThrottled",
                AwsErrorKind::Throttled,
                ErrorClass::Retryable,
            ),
            (
                500,
                "InternalError",
                AwsErrorKind::Transient,
                ErrorClass::Retryable,
            ),
            (
                502,
                "Unknown",
                AwsErrorKind::Transient,
                ErrorClass::Retryable,
            ),
            (
                504,
                "Unknown",
                AwsErrorKind::Transient,
                ErrorClass::Retryable,
            ),
            (
                400,
                "RequestTimeout",
                AwsErrorKind::Transient,
                ErrorClass::Retryable,
            ),
            (
                301,
                "PermanentRedirect",
                AwsErrorKind::Configuration,
                ErrorClass::Configuration,
            ),
            (
                400,
                "ReceiptHandleIsInvalid",
                AwsErrorKind::LeaseLost,
                ErrorClass::Permanent,
            ),
            (
                400,
                "AWS.SimpleQueueService.MessageNotInflight",
                AwsErrorKind::LeaseLost,
                ErrorClass::Permanent,
            ),
        ];
        for (status, code, kind, class) in cases {
            let e = s3_generic(status, code);
            assert_eq!(e.kind, kind, "{status} {code}");
            assert_eq!(e.class(), class, "{status} {code}");
            let q = sqs_generic(status, code);
            assert_eq!(q.kind, kind, "{status} {code}");
        }
    }

    #[test]
    fn store_and_queue_errors_keep_the_class() {
        for kind in [
            AwsErrorKind::Configuration,
            AwsErrorKind::Unauthenticated,
            AwsErrorKind::PermissionDenied,
            AwsErrorKind::Throttled,
            AwsErrorKind::Transient,
            AwsErrorKind::Timeout,
            AwsErrorKind::Dns,
            AwsErrorKind::Connection,
        ] {
            let e = AwsError::new("op", kind, None, None, "m");
            assert_eq!(
                e.clone().into_store_error().class(),
                kind.class(),
                "{kind:?}"
            );
            assert_eq!(e.into_queue_error().class(), kind.class(), "{kind:?}");
        }
        let lost = AwsError::new("op", AwsErrorKind::LeaseLost, None, None, "m");
        assert!(matches!(lost.into_queue_error(), QueueError::LeaseLost(_)));
        let pre = AwsError::new("op", AwsErrorKind::PreconditionFailed, None, None, "m");
        assert!(matches!(
            pre.into_store_error(),
            StoreError::PreconditionFailed(_)
        ));
    }

    #[test]
    fn transport_failures() {
        let dns = std::io::Error::other("dns error: failed to lookup address information");
        let err: SdkError<GetObjectError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(dns)));
        let e = AwsError::from_sdk("s3:GetObject", &err);
        assert_eq!(e.kind, AwsErrorKind::Dns);
        assert!(e.is_retryable());

        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let err: SdkError<GetObjectError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let e = AwsError::from_sdk("s3:GetObject", &err);
        assert_eq!(e.kind, AwsErrorKind::Connection);
        assert!(e.message.contains("Connection refused"), "{}", e.message);

        let slow = std::io::Error::other("read timed out");
        let err: SdkError<GetObjectError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::timeout(Box::new(slow)));
        assert_eq!(
            AwsError::from_sdk("s3:GetObject", &err).kind,
            AwsErrorKind::Timeout
        );

        let err: SdkError<GetObjectError, HttpResponse> =
            SdkError::timeout_error("attempt timeout");
        assert_eq!(
            AwsError::from_sdk("s3:GetObject", &err).kind,
            AwsErrorKind::Timeout
        );

        let err: SdkError<GetObjectError, HttpResponse> =
            SdkError::construction_failure("missing bucket");
        let e = AwsError::from_sdk("s3:GetObject", &err);
        assert_eq!(e.kind, AwsErrorKind::Configuration);
        assert!(!e.is_retryable());

        let err: SdkError<GetObjectError, HttpResponse> =
            SdkError::response_error("truncated xml", response(200));
        assert_eq!(
            AwsError::from_sdk("s3:GetObject", &err).kind,
            AwsErrorKind::Transient
        );
    }

    #[test]
    fn code_is_read_from_a_body_in_another_protocol() {
        let xml = "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>\
                   <Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>";
        let raw = HttpResponse::new(
            StatusCode::try_from(403).expect("status"),
            SdkBody::from(xml),
        );
        let meta = ErrorMetadata::builder().build();
        let err = SdkError::service_error(ReceiveMessageError::generic(meta), raw);
        let e = AwsError::from_sdk("sqs:ReceiveMessage", &err);
        assert_eq!(e.code.as_deref(), Some("InvalidClientTokenId"));
        assert_eq!(e.kind, AwsErrorKind::Unauthenticated);

        let json = r#"{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "nope"}"#;
        let raw = HttpResponse::new(
            StatusCode::try_from(400).expect("status"),
            SdkBody::from(json),
        );
        assert_eq!(code_from_body(&raw).as_deref(), Some("QueueDoesNotExist"));
        let raw = HttpResponse::new(
            StatusCode::try_from(500).expect("status"),
            SdkBody::from("oops"),
        );
        assert_eq!(code_from_body(&raw), None);
    }

    #[test]
    fn display_names_operation_status_and_code() {
        let e = s3_generic(403, "AccessDenied");
        assert_eq!(
            e.to_string(),
            "s3:GetObject: permission denied (HTTP 403, AccessDenied): msg"
        );
    }

    #[test]
    fn codes_are_normalized() {
        assert_eq!(
            normalize_code("AWS.SimpleQueueService.NonExistentQueue"),
            "NonExistentQueue"
        );
        assert_eq!(
            normalize_code("com.amazonaws.sqs#QueueDoesNotExist"),
            "QueueDoesNotExist"
        );
        assert_eq!(normalize_code("NoSuchKey"), "NoSuchKey");
    }
}
