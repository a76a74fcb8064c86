//! Tests of the classification, through real `SdkError` values of both SDKs.

use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::types::error::NoSuchKey;
use aws_sdk_sqs::operation::receive_message::ReceiveMessageError;
use aws_sdk_sqs::types::error::QueueDoesNotExist;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use s3conn_core::{Classify, ErrorClass, QueueError, StoreError};

use super::*;

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
    let err = SdkError::service_error(ReceiveMessageError::QueueDoesNotExist(inner), response(400));
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

    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
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

    let err: SdkError<GetObjectError, HttpResponse> = SdkError::timeout_error("attempt timeout");
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
