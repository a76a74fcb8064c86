//! The kind of a service error, from its error code first and its HTTP status second.

use super::kind::AwsErrorKind;

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

#[cfg(test)]
mod tests {
    use super::*;

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
