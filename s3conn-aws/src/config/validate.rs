//! Validation: the raw form becomes a [`ConnectorConfig`], one step per concern, in a fixed order
//! (the first invalid field is the one reported).

use std::time::Duration;

use s3conn_core::decode::Framing;
use s3conn_core::filter::{FilterSpec, RecordFilters};

use super::access::{RoleConfig, Side, TopLevel};
use super::buckets::check_buckets;
use super::error::{invalid, ConfigError};
use super::queue_url::{is_region, split_host_port, QueueUrl, QueueUrlForm};
use super::raw::{DurationValue, RawConfig};
use super::routes::check_routes;
use super::secret::{CredentialsConfig, Secret};
use super::{ConnectorConfig, DEFAULT_CONCURRENCY, DEFAULT_VISIBILITY_TIMEOUT};
use crate::sqs::SQS_MAX_VISIBILITY;

impl RawConfig {
    /// Checks every field and applies the defaults.
    pub(super) fn validate(self) -> Result<ConnectorConfig, ConfigError> {
        // Exhaustive on purpose: a new field of the raw form must be handled here.
        let RawConfig {
            name,
            tenant,
            access_key_id,
            secret_access_key,
            session_token,
            role_arn,
            role_session_name,
            role_external_id,
            region,
            sqs_queue_url,
            file_type,
            multiple_logs_per_file,
            framing,
            log_source,
            log_filters,
            max_receive_count,
            endpoint_url,
            allow_http,
            concurrency,
            visibility_timeout,
            idle_interval,
            buckets,
            key_prefix,
            key_suffix,
            routes,
            unmatched,
            queue,
            store,
            sink,
            queue_depth_metrics,
        } = self;

        let name = check_name(name)?;
        let tenant = non_empty(tenant);
        let queue_url = parse_queue_url(sqs_queue_url)?;
        let region = resolve_region(region, &queue_url)?;
        let allow_http = allow_http.unwrap_or(false);
        let endpoint_url = check_endpoint(endpoint_url, &queue_url, allow_http)?;
        let credentials = resolve_credentials(access_key_id, secret_access_key, session_token)?;
        let role_arn = check_role_arn(role_arn)?;
        let (log_source, routes, unmatched) =
            check_routes(non_empty(log_source), routes, unmatched)?;
        let log_filters = check_filters(log_filters)?;
        let multiple_logs_per_file = multiple_logs_per_file.unwrap_or(false);
        let framing = resolve_framing(multiple_logs_per_file, framing)?;
        if max_receive_count == Some(0) {
            return Err(invalid("max_receive_count", "must be at least 1"));
        }
        let concurrency = check_concurrency(concurrency)?;
        let visibility_timeout = resolve_visibility_timeout(visibility_timeout.as_ref())?;
        let idle_interval = resolve_idle_interval(idle_interval.as_ref())?;
        let (buckets, bucket_settings) = check_buckets(buckets)?;
        let role_session_name = non_empty(role_session_name);
        let role_external_id = non_empty(role_external_id);
        let top = TopLevel {
            credentials: &credentials,
            role: role_arn.clone().map(|arn| RoleConfig {
                arn,
                external_id: role_external_id.clone(),
                session_name: role_session_name.clone(),
            }),
            region: &region,
        };
        let queue_access =
            queue
                .unwrap_or_default()
                .resolve(Side::Queue, &top, resolve_credentials)?;
        if let Some(in_url) = &queue_url.region {
            if &queue_access.region != in_url {
                return Err(ConfigError::RegionMismatch {
                    configured: queue_access.region,
                    in_url: in_url.clone(),
                });
            }
        }
        let store_access =
            store
                .unwrap_or_default()
                .resolve(Side::Store, &top, resolve_credentials)?;
        let sink = sink.unwrap_or_default().validate()?;

        Ok(ConnectorConfig {
            name,
            tenant,
            credentials,
            role_arn,
            role_session_name,
            role_external_id,
            region,
            queue_url,
            file_type: file_type.unwrap_or_default(),
            multiple_logs_per_file,
            framing,
            log_source,
            log_filters,
            max_receive_count,
            endpoint_url,
            allow_http,
            concurrency,
            visibility_timeout,
            idle_interval,
            buckets,
            key_prefix: key_prefix.filter(|s| !s.is_empty()),
            key_suffix: key_suffix.filter(|s| !s.is_empty()),
            routes,
            unmatched,
            queue_access,
            store_access,
            bucket_settings,
            sink,
            queue_depth_metrics: queue_depth_metrics.unwrap_or(false),
        })
    }
}

/// A trimmed value, or `None` when unset or blank.
pub(super) fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The connector name: required, 1-128 printable ASCII characters.
fn check_name(name: Option<String>) -> Result<String, ConfigError> {
    let name = non_empty(name).ok_or_else(|| invalid("name", "is required"))?;
    if !name.is_ascii() || name.chars().any(|c| c.is_ascii_control()) || name.len() > 128 {
        return Err(invalid("name", "must be 1-128 printable ASCII characters"));
    }
    Ok(name)
}

/// The queue URL: required, in a form [`QueueUrl::parse`] accepts.
fn parse_queue_url(url: Option<String>) -> Result<QueueUrl, ConfigError> {
    let url = non_empty(url).ok_or_else(|| invalid("sqs_queue_url", "is required"))?;
    QueueUrl::parse(&url)
}

/// The region: the configured one, which must agree with the queue URL's, else the URL's.
fn resolve_region(configured: Option<String>, queue_url: &QueueUrl) -> Result<String, ConfigError> {
    let region = match (non_empty(configured), &queue_url.region) {
        (Some(c), Some(u)) if &c != u => {
            return Err(ConfigError::RegionMismatch {
                configured: c,
                in_url: u.clone(),
            })
        }
        (Some(c), _) => c,
        (None, Some(u)) => u.clone(),
        (None, None) => {
            return Err(invalid(
                "region",
                "is required when the queue URL does not name one",
            ))
        }
    };
    if !is_region(&region) {
        return Err(invalid(
            "region",
            format!("{region:?} is not an AWS region name"),
        ));
    }
    Ok(region)
}

/// The endpoint override, and the transport rules: plain http only with `allow_http`, and AWS
/// queue URLs always https.
fn check_endpoint(
    endpoint_url: Option<String>,
    queue_url: &QueueUrl,
    allow_http: bool,
) -> Result<Option<String>, ConfigError> {
    let endpoint_url = match non_empty(endpoint_url) {
        Some(e) => Some(endpoint_origin(&e)?),
        None => None,
    };
    let effective_scheme = match &endpoint_url {
        Some(e) => e.split_once("://").map(|(s, _)| s.to_ascii_lowercase()),
        None => Some(queue_url.scheme.clone()),
    };
    if effective_scheme.as_deref() == Some("http") && !allow_http {
        return Err(invalid(
            if endpoint_url.is_some() {
                "endpoint_url"
            } else {
                "sqs_queue_url"
            },
            "plain http:// is refused unless `allow_http = true`",
        ));
    }
    if queue_url.scheme == "http" && queue_url.form != QueueUrlForm::Custom {
        return Err(invalid("sqs_queue_url", "AWS queue URLs use https://"));
    }
    Ok(endpoint_url)
}

/// An endpoint URL: `scheme://host[:port]` only, without a trailing slash.
fn endpoint_origin(e: &str) -> Result<String, ConfigError> {
    let e = e.trim().trim_end_matches('/');
    let (scheme, rest) = e
        .split_once("://")
        .ok_or_else(|| invalid("endpoint_url", format!("{e:?} is not a URL")))?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(invalid("endpoint_url", "scheme must be http or https"));
    }
    if rest.contains(['?', '#', '@', '/']) {
        return Err(invalid(
            "endpoint_url",
            "give scheme://host[:port] only (no path, query or user info)",
        ));
    }
    split_host_port(rest).map_err(|r| invalid("endpoint_url", r))?;
    Ok(e.to_string())
}

/// A secret that is set and not blank, trimmed.
fn non_blank(secret: Option<Secret>) -> Option<Secret> {
    secret
        .map(|s| s.expose().trim().to_string())
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}

/// Static keys (both or neither; a session token only with both), else the default chain.
fn resolve_credentials(
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    session_token: Option<Secret>,
) -> Result<CredentialsConfig, ConfigError> {
    let access_key_id = non_empty(access_key_id);
    let secret = non_blank(secret_access_key);
    let token = non_blank(session_token);
    match (access_key_id, secret) {
        (Some(id), Some(secret)) => {
            if id.chars().any(|c| !c.is_ascii_alphanumeric()) {
                return Err(invalid("access_key_id", "must be letters and digits only"));
            }
            Ok(CredentialsConfig::Static {
                access_key_id: id,
                secret_access_key: secret,
                session_token: token,
            })
        }
        (None, None) if token.is_none() => Ok(CredentialsConfig::DefaultChain),
        (None, None) => Err(invalid(
            "session_token",
            "needs access_key_id and secret_access_key",
        )),
        (Some(_), None) => Err(invalid(
            "secret_access_key",
            "is required with access_key_id",
        )),
        (None, Some(_)) => Err(invalid(
            "access_key_id",
            "is required with secret_access_key",
        )),
    }
}

/// The role to assume, when set: an IAM role ARN.
fn check_role_arn(role_arn: Option<String>) -> Result<Option<String>, ConfigError> {
    let role_arn = non_empty(role_arn);
    if let Some(arn) = &role_arn {
        if !arn.starts_with("arn:") || !arn.contains(":role/") {
            return Err(invalid(
                "role_arn",
                format!("{arn:?} is not an IAM role ARN"),
            ));
        }
    }
    Ok(role_arn)
}

/// The log filters, checked by compiling them once.
fn check_filters(log_filters: Option<Vec<FilterSpec>>) -> Result<Vec<FilterSpec>, ConfigError> {
    let log_filters = log_filters.unwrap_or_default();
    RecordFilters::new(&log_filters).map_err(|e| invalid("log_filters", e.to_string()))?;
    Ok(log_filters)
}

/// The framing: `lines` when `multiple_logs_per_file`, which no other framing may contradict.
fn resolve_framing(
    multiple_logs_per_file: bool,
    framing: Option<Framing>,
) -> Result<Framing, ConfigError> {
    match (multiple_logs_per_file, framing) {
        (true, Some(f)) if f != Framing::Lines => Err(invalid(
            "framing",
            "contradicts multiple_logs_per_file = true (one event per line)",
        )),
        (true, _) => Ok(Framing::Lines),
        (false, f) => Ok(f.unwrap_or_default()),
    }
}

/// Objects processed at once: 1 to 1024.
fn check_concurrency(concurrency: Option<usize>) -> Result<usize, ConfigError> {
    let concurrency = concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if !(1..=1024).contains(&concurrency) {
        return Err(invalid("concurrency", "must be from 1 to 1024"));
    }
    Ok(concurrency)
}

/// The visibility timeout: 1 s to SQS's 12 h.
fn resolve_visibility_timeout(value: Option<&DurationValue>) -> Result<Duration, ConfigError> {
    let visibility_timeout = match value {
        Some(v) => v.resolve("visibility_timeout")?,
        None => DEFAULT_VISIBILITY_TIMEOUT,
    };
    if visibility_timeout < Duration::from_secs(1) || visibility_timeout > SQS_MAX_VISIBILITY {
        return Err(invalid("visibility_timeout", "must be from 1 s to 12 h"));
    }
    Ok(visibility_timeout)
}

/// The pause after an empty long poll: at most 1 h (default 0).
fn resolve_idle_interval(value: Option<&DurationValue>) -> Result<Duration, ConfigError> {
    let idle_interval = match value {
        Some(v) => v.resolve("idle_interval")?,
        None => Duration::ZERO,
    };
    if idle_interval > Duration::from_secs(3600) {
        return Err(invalid("idle_interval", "must be at most 1 h"));
    }
    Ok(idle_interval)
}
