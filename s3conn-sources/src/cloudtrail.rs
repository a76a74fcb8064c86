//! AWS CloudTrail log files: `{"Records":[...]}` documents, one record per element.
//!
//! - time: `eventTime`;
//! - `event_name`: `eventName` (trimmed), or `insightDetails.eventName` for Insight events;
//! - `event_type`: `eventType` (`AwsApiCall`, `AwsConsoleSignIn`, `AwsCloudTrailInsight`, …);
//! - `user`: `userIdentity.userName`, then for assumed roles the session issuer's `userName`, then
//!   the last part of `userIdentity.arn`, then `principalId`, `invokedBy`, and finally
//!   `additionalEventData.user_name` (IAM Identity Center);
//! - `src_ip`: `sourceIPAddress` when it is an IP literal (the first of a comma-separated list;
//!   `AWS Internal` and service host names are left out);
//! - `host`: `eventSource` (the AWS service endpoint the event is about);
//! - `outcome`: failure when `errorCode` is set (other than empty or an HTTP 2xx code) or a console
//!   sign-in answered `Failure`; success otherwise; none for Insight events.
//!
//! Keys containing a `CloudTrail-Digest/` path segment are digest files: skipped, not read.

use s3conn_core::json::Span;
use s3conn_core::{CompactString, Event, KeyVerdict, LogSource, Normalized, Outcome};
use serde::Deserialize;

use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Obj, Text, TimeVal};
use crate::network::{arn_last_part, ip_literal};
use crate::normalize;

/// Registry id of the CloudTrail source.
pub const ID: &str = "aws-cloudtrail";
/// Skip reason for CloudTrail digest files.
pub const DIGEST_SKIP: &str = "cloudtrail digest file";

builtin_source!(
    /// The AWS CloudTrail (JSON) source.
    CloudTrail,
    [ID, "AWS CloudTrail (JSON)", "AWS Events", "generic_s3_cloudtrail", "aws"],
    vec!["Records".to_owned()]
);

/// Whether an object key is a CloudTrail digest file (`…/CloudTrail-Digest/…`).
pub fn is_digest_key(key: &str) -> bool {
    key.starts_with("CloudTrail-Digest/") || key.contains("/CloudTrail-Digest/")
}

/// The fields of a CloudTrail record the source reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CloudTrailView<'a> {
    #[serde(borrow, default)]
    event_time: TimeVal<'a>,
    #[serde(borrow, default)]
    event_name: Text<'a>,
    #[serde(borrow, default)]
    event_type: Text<'a>,
    #[serde(borrow, default)]
    event_source: Text<'a>,
    #[serde(borrow, default, rename = "sourceIPAddress")]
    source_ip_address: Text<'a>,
    #[serde(borrow, default)]
    error_code: Text<'a>,
    #[serde(borrow, default)]
    user_identity: Obj<UserIdentity<'a>>,
    #[serde(borrow, default)]
    insight_details: Obj<InsightDetails<'a>>,
    /// Read only when `userIdentity` names nobody.
    #[serde(borrow, default)]
    additional_event_data: Span<'a>,
    /// Read only when its text mentions `ConsoleLogin` (sign-in events).
    #[serde(borrow, default)]
    response_elements: Span<'a>,
}

/// `userIdentity`: who made the call.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    arn: Text<'a>,
    #[serde(borrow, default)]
    principal_id: Text<'a>,
    #[serde(borrow, default)]
    invoked_by: Text<'a>,
    #[serde(borrow, default)]
    session_context: Obj<SessionContext<'a>>,
}

/// `userIdentity.session_context`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(borrow, default)]
    session_issuer: Obj<SessionIssuer<'a>>,
}

/// `userIdentity.session_context.session_issuer`: the role or user whose credentials were assumed.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SessionIssuer<'a> {
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    arn: Text<'a>,
}

/// `insightDetails` of an Insight event.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct InsightDetails<'a> {
    #[serde(borrow, default)]
    event_name: Text<'a>,
    #[serde(borrow, default)]
    event_source: Text<'a>,
}

/// `additionalEventData` (its keys are PascalCase).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct AdditionalEventData<'a> {
    #[serde(borrow, default)]
    user_name: Text<'a>,
}

/// `responseElements` of a console sign-in (its keys are PascalCase).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ResponseElements<'a> {
    #[serde(borrow, default)]
    console_login: Text<'a>,
}

impl UserIdentity<'_> {
    fn user(&self) -> Option<CompactString> {
        if let Some(u) = self.user_name.get() {
            return Some(u.into());
        }
        let issuer = self
            .session_context
            .get()
            .and_then(|s| s.session_issuer.get());
        if self.kind.get() == Some("AssumedRole") {
            if let Some(i) = issuer {
                if let Some(u) = i.user_name.get() {
                    return Some(u.into());
                }
                if let Some(a) = i.arn.get().and_then(arn_last_part) {
                    return Some(a.into());
                }
            }
        }
        if let Some(a) = self.arn.get().and_then(arn_last_part) {
            return Some(a.into());
        }
        self.principal_id
            .owned()
            .or_else(|| self.invoked_by.owned())
    }
}

/// Whether `responseElements` says a console sign-in failed. Its text is parsed only when it
/// mentions `ConsoleLogin` (or has escapes, which could spell it).
fn console_login_failed(response: &Span<'_>) -> bool {
    let text = response.text();
    if !text.contains("ConsoleLogin") && !text.contains('\\') {
        return false;
    }
    response
        .parse::<Obj<ResponseElements<'_>>>()
        .is_some_and(|r| r.get().and_then(|r| r.console_login.get()) == Some("Failure"))
}

/// Whether a CloudTrail `errorCode` value means the call failed.
fn is_error_code(code: &str) -> bool {
    let c = code.trim();
    if c.is_empty() {
        return false;
    }
    // A few non-AWS emitters put an HTTP status here; 2xx is not an error.
    !(c.len() == 3 && c.starts_with('2') && c.bytes().all(|b| b.is_ascii_digit()))
}

impl LogSource for CloudTrail {
    builtin_source_accessors!();

    fn accept_key(&self, key: &str) -> KeyVerdict {
        if is_digest_key(key) {
            KeyVerdict::Skip(DIGEST_SKIP)
        } else {
            KeyVerdict::Accept
        }
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(ct) = normalize::parse_event::<CloudTrailView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let insight = ct.insight_details.get();
        let event_name = ct
            .event_name
            .get()
            .or_else(|| insight.and_then(|i| i.event_name.get()))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(CompactString::from);
        let host = ct
            .event_source
            .get()
            .or_else(|| insight.and_then(|i| i.event_source.get()))
            .map(CompactString::from);
        let user = ct
            .user_identity
            .get()
            .and_then(UserIdentity::user)
            .or_else(|| {
                ct.additional_event_data
                    .parse::<Obj<AdditionalEventData<'_>>>()
                    .and_then(|a| a.get().and_then(|a| a.user_name.owned()))
            });
        let failed = ct.error_code.get().is_some_and(is_error_code)
            || console_login_failed(&ct.response_elements);
        let outcome = if failed {
            Some(Outcome::Failure)
        } else if ct.event_type.get() == Some("AwsCloudTrailInsight") || insight.is_some() {
            None
        } else {
            Some(Outcome::Success)
        };
        normalize::finish(Normalized {
            timestamp_ms: ct.event_time.to_ms(),
            fallback_reason: None,
            event_name,
            event_type: ct.event_type.owned(),
            user,
            src_ip: ct
                .source_ip_address
                .get()
                .and_then(ip_literal)
                .map(CompactString::from),
            host,
            outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use s3conn_core::{ObjectContext, ObjectRef};

    use super::*;

    #[test]
    fn the_view_borrows_plain_strings_and_owns_escaped_ones() {
        let ctx = ObjectContext::new(ObjectRef::new("b", "k"), None, None, None);
        let raw = r#"{"eventName":"Plain","userIdentity":{"userName":"bob \"b\" \\"}}"#;
        let view: CloudTrailView<'_> = Event::new(raw, &ctx, None)
            .parse()
            .expect("an escaped string does not fail the typed view");
        assert!(matches!(view.event_name.0, Some(Cow::Borrowed("Plain"))));
        let user = view.user_identity.get().map(|u| &u.user_name.0);
        assert!(matches!(user, Some(Some(Cow::Owned(u))) if u == r#"bob "b" \"#));
    }
}
