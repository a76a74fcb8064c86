//! Reading an `SdkError`: each of its variants (construction, timeout, dispatch, unreadable
//! response, service error) becomes an [`AwsError`] of the right kind; [`chain`] gives the text of
//! an error with all its sources.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::body::code_from_body;
use super::codes::{kind_for, normalize_code};
use super::kind::AwsErrorKind;
use super::region::region_hint;
use super::AwsError;

impl AwsError {
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
                let mut e = AwsError::new(
                    operation,
                    kind,
                    Some(status),
                    None,
                    format!("unreadable response: {}", chain(err)),
                );
                e.bucket_region = region_hint(r.raw());
                e
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
                let mut e = AwsError::new(operation, kind, Some(status), code, message);
                e.bucket_region = region_hint(s.raw());
                e
            }
            // `SdkError` is non-exhaustive: anything new is treated as transient.
            _ => AwsError::new(operation, AwsErrorKind::Transient, None, None, chain(err)),
        }
    }
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
