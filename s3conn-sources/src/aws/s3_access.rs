//! Amazon S3 server access logs (text): space-separated fields, quoted where they hold spaces, the
//! time in brackets (`[06/Feb/2019:00:00:38 +0000]`), `-` for no value. The text decoder hands
//! each line over as a JSON object keyed by [`COLUMNS`].
//!
//! - time: `time` (the bracketed time, with its offset);
//! - `event_name`: `operation` (`REST.GET.OBJECT`, `REST.PUT.OBJECT`, …);
//! - `event_type`: `authentication_type` (`AuthHeader`, `QueryString`);
//! - `user`: `requester`: the last part of an IAM ARN (`arn:aws:iam::1:user/alice` → `alice`),
//!   else as written (a canonical user ID); `-` (anonymous) is absent;
//! - `src_ip`: `remote_ip`;
//! - `host`: `host_header`, then `bucket`;
//! - `outcome`: failure when `error_code` is set or `http_status` is 400 or more, success below.

use std::sync::OnceLock;

use s3conn_core::decode::text::{ExtraFields, Field, TextFormat, Variant};
use s3conn_core::{Event, LogSource, Normalized, Outcome};
use serde::Deserialize;

use super::fields::{clf_time_to_ms, http_outcome, ip, present};
use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::Text;
use crate::network::arn_last_part;
use crate::normalize::{self, owned};

/// Registry id of the S3 server access log source.
pub const ID: &str = "aws-s3-access";

/// The fields of an S3 server access log line, in order (names after the AWS documentation's;
/// lines from older writers stop early, newer ones may add fields at the end).
pub const COLUMNS: [&str; 26] = [
    "bucket_owner",
    "bucket",
    "time",
    "remote_ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "http_status",
    "error_code",
    "bytes_sent",
    "object_size",
    "total_time",
    "turn_around_time",
    "referer",
    "user_agent",
    "version_id",
    "host_id",
    "signature_version",
    "cipher_suite",
    "authentication_type",
    "host_header",
    "tls_version",
    "access_point_arn",
    "acl_required",
];

/// Integer fields of [`COLUMNS`].
const INTEGER_COLUMNS: [&str; 5] = [
    "http_status",
    "bytes_sent",
    "object_size",
    "total_time",
    "turn_around_time",
];

/// Fewest fields of a line: up to `user_agent` (older lines stop there or a little later).
const MIN_FIELDS: usize = 18;

/// The S3 server access log format: quoted, space-separated [`COLUMNS`]; fields AWS adds at the
/// end later are dropped rather than failing the line.
pub fn text_format() -> &'static TextFormat {
    static FORMAT: OnceLock<TextFormat> = OnceLock::new();
    FORMAT.get_or_init(|| {
        let fields = COLUMNS
            .iter()
            .map(|c| {
                if INTEGER_COLUMNS.contains(c) {
                    Field::integer(*c)
                } else {
                    Field::text(*c)
                }
            })
            .collect();
        let variant = Variant::new(fields).min_fields(MIN_FIELDS);
        TextFormat::quoted_variants("S3 server access log", vec![variant])
            .with_extra(ExtraFields::Ignore)
    })
}

builtin_source!(
    /// The Amazon S3 server access log (text) source.
    S3Access,
    [ID, "AWS S3 access logs (text)", "Syslog", "generic_s3_aws_s3_access", "aws"]
);

/// The fields of an access log line the source reads.
#[derive(Deserialize, Default)]
struct AccessView<'a> {
    #[serde(borrow, default)]
    time: Text<'a>,
    #[serde(borrow, default)]
    operation: Text<'a>,
    #[serde(borrow, default)]
    authentication_type: Text<'a>,
    #[serde(borrow, default)]
    requester: Text<'a>,
    #[serde(borrow, default)]
    remote_ip: Text<'a>,
    #[serde(borrow, default)]
    host_header: Text<'a>,
    #[serde(borrow, default)]
    bucket: Text<'a>,
    #[serde(borrow, default)]
    http_status: Text<'a>,
    #[serde(borrow, default)]
    error_code: Text<'a>,
}

/// The user of a `Requester` field.
fn requester_user(requester: &str) -> Option<&str> {
    if requester.starts_with("arn:") {
        arn_last_part(requester)
    } else {
        Some(requester)
    }
}

impl LogSource for S3Access {
    builtin_source_accessors!();

    fn text_format(&self) -> Option<&TextFormat> {
        Some(text_format())
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(a) = normalize::parse_event::<AccessView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let outcome = if present(a.error_code.get()).is_some() {
            Some(Outcome::Failure)
        } else {
            http_outcome(a.http_status.get())
        };
        normalize::finish(Normalized {
            timestamp_ms: a.time.get().and_then(clf_time_to_ms),
            event_name: owned(present(a.operation.get())),
            event_type: owned(present(a.authentication_type.get())),
            user: owned(present(a.requester.get()).and_then(requester_user)),
            src_ip: owned(ip(a.remote_ip.get())),
            host: owned(present(a.host_header.get()).or(present(a.bucket.get()))),
            outcome,
            ..Normalized::default()
        })
    }
}
