//! Amazon CloudFront standard logs (access logs, legacy W3C text): `#Version:` and `#Fields:`
//! header lines, then one tab-separated request per line. The text decoder hands each request over
//! as a JSON object keyed by the `#Fields:` names (`date`, `time`, `c-ip`, `cs(Host)`, …).
//!
//! - time: `date` + `time` (UTC);
//! - `event_name`: `cs-method`;
//! - `event_type`: `x-edge-result-type` (`Hit`, `Miss`, `Error`, …);
//! - `src_ip`: `c-ip`;
//! - `host`: `x-host-header` (the name the viewer asked for), then `cs(Host)` (the distribution's
//!   domain);
//! - `outcome`: `sc-status` below 400 success, from 400 failure. Standard logs name no user.

use std::sync::OnceLock;

use s3conn_core::decode::text::{Field, TextFormat};
use s3conn_core::{Event, LogSource, Normalized};
use serde::Deserialize;

use super::fields::{date_time_to_ms, http_outcome, ip, present};
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::Text;
use crate::normalize::{self, owned};

/// Registry id of the CloudFront source.
pub const ID: &str = "aws-cloudfront";

builtin_source!(
    /// The Amazon CloudFront standard log (text) source.
    CloudFront,
    [ID, "AWS CloudFront (text)", "Syslog", "generic_s3_aws_cloudfront", "aws"]
);

/// The CloudFront standard log format: W3C `#Fields:`, tab-separated; byte counts, status and
/// ports are integers, durations numbers.
pub fn text_format() -> &'static TextFormat {
    static FORMAT: OnceLock<TextFormat> = OnceLock::new();
    FORMAT.get_or_init(|| {
        let integers = [
            "sc-bytes",
            "sc-status",
            "cs-bytes",
            "c-port",
            "sc-content-len",
            "sc-range-start",
            "sc-range-end",
        ];
        let numbers = ["time-taken", "time-to-first-byte"];
        let types = integers
            .iter()
            .map(|f| Field::integer(*f))
            .chain(numbers.iter().map(|f| Field::number(*f)))
            .collect();
        TextFormat::w3c("CloudFront standard log").with_types(types)
    })
}

/// The fields of a CloudFront log record the source reads.
#[derive(Deserialize, Default)]
struct CloudFrontView<'a> {
    #[serde(borrow, default)]
    date: Text<'a>,
    #[serde(borrow, default)]
    time: Text<'a>,
    #[serde(borrow, default, rename = "cs-method")]
    method: Text<'a>,
    #[serde(borrow, default, rename = "x-edge-result-type")]
    result_type: Text<'a>,
    #[serde(borrow, default, rename = "c-ip")]
    client_ip: Text<'a>,
    #[serde(borrow, default, rename = "x-host-header")]
    host_header: Text<'a>,
    #[serde(borrow, default, rename = "cs(Host)")]
    distribution_host: Text<'a>,
    #[serde(borrow, default, rename = "sc-status")]
    status: Text<'a>,
}

impl LogSource for CloudFront {
    builtin_source_accessors!();

    fn text_format(&self) -> Option<&TextFormat> {
        Some(text_format())
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(c) = normalize::parse_event::<CloudFrontView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let timestamp_ms = match (c.date.get(), c.time.get()) {
            (Some(d), Some(t)) => date_time_to_ms(d, t),
            _ => None,
        };
        normalize::finish(Normalized {
            timestamp_ms,
            event_name: owned(present(c.method.get())),
            event_type: owned(present(c.result_type.get())),
            src_ip: owned(ip(c.client_ip.get())),
            host: owned(present(c.host_header.get()).or(present(c.distribution_host.get()))),
            outcome: http_outcome(c.status.get()),
            ..Normalized::default()
        })
    }
}
