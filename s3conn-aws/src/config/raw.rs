//! The configuration as written in TOML (or set through the builder), before validation.

use std::time::Duration;

use s3conn_core::decode::{FileType, Framing};
use s3conn_core::filter::FilterSpec;
use s3conn_core::route::Unmatched;
use serde::Deserialize;

use super::access::RawAccess;
use super::buckets::RawBucketEntry;
use super::error::{invalid, ConfigError};
use super::routes::RawRoute;
use super::secret::Secret;

/// Durations in the file: integer seconds, or a string with a unit (`ms`, `s`, `m`, `h`).
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| {
        format!("{s:?} is not a duration like \"30s\", \"5m\", \"1h\" or \"250ms\"")
    })?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        u => Err(format!("unknown duration unit {u:?} (use ms, s, m or h)")),
    }
}

/// A duration as written: integer seconds or a string with a unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(super) enum DurationValue {
    /// Integer seconds.
    Secs(u64),
    /// A number with a unit.
    Text(String),
}

impl DurationValue {
    /// The duration, or why `field` is invalid.
    pub(super) fn resolve(&self, field: &'static str) -> Result<Duration, ConfigError> {
        match self {
            DurationValue::Secs(n) => Ok(Duration::from_secs(*n)),
            DurationValue::Text(t) => parse_duration(t).map_err(|r| invalid(field, r)),
        }
    }
}

/// The configuration as written, before validation.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) name: Option<String>,
    pub(super) tenant: Option<String>,
    pub(super) access_key_id: Option<String>,
    pub(super) secret_access_key: Option<Secret>,
    pub(super) session_token: Option<Secret>,
    pub(super) role_arn: Option<String>,
    pub(super) role_session_name: Option<String>,
    pub(super) role_external_id: Option<String>,
    pub(super) region: Option<String>,
    pub(super) sqs_queue_url: Option<String>,
    pub(super) file_type: Option<FileType>,
    pub(super) multiple_logs_per_file: Option<bool>,
    pub(super) framing: Option<Framing>,
    pub(super) log_source: Option<String>,
    pub(super) log_filters: Option<Vec<FilterSpec>>,
    pub(super) max_receive_count: Option<u32>,
    pub(super) endpoint_url: Option<String>,
    pub(super) allow_http: Option<bool>,
    pub(super) concurrency: Option<usize>,
    pub(super) visibility_timeout: Option<DurationValue>,
    pub(super) idle_interval: Option<DurationValue>,
    pub(super) buckets: Option<Vec<RawBucketEntry>>,
    pub(super) key_prefix: Option<String>,
    pub(super) key_suffix: Option<String>,
    pub(super) routes: Option<Vec<RawRoute>>,
    pub(super) unmatched: Option<Unmatched>,
    pub(super) queue: Option<RawAccess>,
    pub(super) store: Option<RawAccess>,
    pub(super) sink: Option<super::sink::RawSink>,
    pub(super) queue_depth_metrics: Option<bool>,
}
