//! AWS WAF web ACL logs (JSON; Kinesis Data Firehose writes the objects back to back, which the
//! framer splits into one event each).
//!
//! - time: `timestamp` (epoch milliseconds);
//! - `event_name`: `action` (`ALLOW`, `BLOCK`, `CAPTCHA`, `CHALLENGE`, `COUNT`);
//! - `event_type`: `httpSourceName` (`ALB`, `CF`, `APIGW`, `APPSYNC`, …; `-` is absent);
//! - `src_ip`: `httpRequest.clientIp`;
//! - `host`: the request's `Host` header (any case), without its port;
//! - `outcome`: success when the request was allowed, failure when the terminating action stopped
//!   it (`BLOCK`, and `CAPTCHA` / `CHALLENGE`, which terminate only when the client had no valid
//!   token); none otherwise. WAF logs name no user.

use s3conn_core::{CompactString, Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use super::fields::{ip, present};
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{List, Obj, Text, TimeVal};
use crate::network::strip_port;
use crate::normalize::{self, owned};

/// Registry id of the WAF source.
pub const ID: &str = "aws-waf";

builtin_source!(
    /// The AWS WAF (JSON) source.
    Waf,
    [ID, "AWS WAF (JSON)", "Syslog", "generic_s3_aws_waf", "aws"]
);

/// The fields of a WAF log record the source reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WafView<'a> {
    #[serde(borrow, default)]
    timestamp: TimeVal<'a>,
    #[serde(borrow, default)]
    action: Text<'a>,
    #[serde(borrow, default)]
    http_source_name: Text<'a>,
    #[serde(borrow, default)]
    http_request: Obj<HttpRequest<'a>>,
}

/// `httpRequest`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct HttpRequest<'a> {
    #[serde(borrow, default)]
    client_ip: Text<'a>,
    #[serde(borrow, default)]
    headers: List<Obj<Header<'a>>>,
}

/// One `{"name":…,"value":…}` of `httpRequest.headers`.
#[derive(Deserialize, Default)]
struct Header<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    value: Text<'a>,
}

impl HttpRequest<'_> {
    /// The first `Host` header's value.
    fn host(&self) -> Option<&str> {
        self.headers
            .items()
            .iter()
            .filter_map(Obj::get)
            .find(|h| h.name.get().is_some_and(|n| n.eq_ignore_ascii_case("host")))
            .and_then(|h| h.value.get())
    }
}

/// Whether a terminating action let the request through.
fn outcome(action: &str) -> Option<Outcome> {
    match action.to_ascii_uppercase().as_str() {
        "ALLOW" => Some(Outcome::Success),
        "BLOCK" | "CAPTCHA" | "CHALLENGE" => Some(Outcome::Failure),
        _ => None,
    }
}

impl LogSource for Waf {
    builtin_source_accessors!();

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(w) = normalize::parse_event::<WafView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let request = w.http_request.get();
        normalize::finish(Normalized {
            timestamp_ms: w.timestamp.to_ms(),
            event_name: w.action.owned(),
            event_type: owned(present(w.http_source_name.get())),
            src_ip: owned(ip(request.and_then(|r| r.client_ip.get()))),
            host: present(request.and_then(HttpRequest::host))
                .map(|h| CompactString::from(strip_port(h)))
                .filter(|h| !h.is_empty()),
            outcome: w.action.get().and_then(outcome),
            ..Normalized::default()
        })
    }
}
