//! Connector configuration: a TOML file or a builder, validated once, and the AWS clients it makes.
//!
//! ```toml
//! name = "cloudtrail-prod"                 # ASCII only
//! tenant = "acme"
//! region = "us-east-1"                     # optional when the queue URL names it; must agree
//! sqs_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/cloudtrail-events"
//! access_key_id = "AKIA..."                # omit both keys to use the default credential chain
//! secret_access_key = "..."
//! # session_token = "..."
//! # role_arn = "arn:aws:iam::123456789012:role/s3conn-reader"
//! file_type = "auto"                       # auto | gzip | zstd | text
//! multiple_logs_per_file = true            # one event per line (framing = "lines")
//! # framing = "auto"                       # auto | single | lines
//! # max_receive_count = 5                  # dead-letter, then delete, after 5 failed deliveries
//! log_filters = [{ field = "eventName", action = "drop", equals = "Decrypt" }]
//! log_source = "aws_cloudtrail"            # a registered id or a path to a declarative spec
//! buckets = ["my-trail-bucket"]           # allow-list
//! # key_prefix = "AWSLogs/"
//! # key_suffix = ".json.gz"
//! # endpoint_url = "http://127.0.0.1:5000" # S3/SQS-compatible endpoint, path-style
//! # allow_http = true                      # required for a plain-http endpoint
//! concurrency = 4
//! visibility_timeout = "5m"                # integer seconds or "250ms", "30s", "5m", "1h"
//! idle_interval = "0s"
//! ```
//!
//! ## `idle_interval`: latency against cost
//! After a receive that returned no message (a 20-second long poll, so the queue was empty for 20
//! seconds), the connector waits `idle_interval` before polling again. The default, 0, is
//! continuous long polling: a message is picked up within a second of its arrival, and an idle
//! connector makes one `ReceiveMessage` request per 20 seconds, about 130,000 requests a month,
//! which is about US$0.05 a month at SQS's list price of US$0.40 per million requests. The seed's
//! product waits 5 minutes: 15 times fewer empty receives, but up to 5 minutes of added latency
//! after every quiet period. Set it only when request count matters more than latency.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
pub use s3conn_core::decode::{FileType, Framing};
use s3conn_core::filter::{FilterSpec, RecordFilters};
use serde::{Deserialize, Deserializer, Serialize};

use crate::s3::S3ObjectStore;
use crate::sqs::{SqsQueue, SQS_MAX_VISIBILITY};

/// A secret string (secret key, session token) that never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself; call only where it is handed to the SDK.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            // Never echo a mistyped secret in the error message.
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom("a secret must be a string"))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Secret, E> {
                Err(E::custom("a secret must be a string"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom("a secret must be a string"))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom("a secret must be a string"))
            }
        }
        d.deserialize_string(V)
    }
}

/// Where credentials come from.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsConfig {
    /// Keys from the configuration.
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Secret,
        /// Session token of temporary credentials.
        session_token: Option<Secret>,
    },
    /// The default AWS chain: environment, profile, web identity, ECS, instance metadata.
    DefaultChain,
}

impl fmt::Debug for CredentialsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsConfig::Static {
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("Static")
                .field("access_key_id", &mask_key_id(access_key_id))
                .field("secret_access_key", &"***")
                .field("session_token", &session_token.as_ref().map(|_| "***"))
                .finish(),
            CredentialsConfig::DefaultChain => f.write_str("DefaultChain"),
        }
    }
}

/// An access key id with all but its last four characters masked.
fn mask_key_id(id: &str) -> String {
    let n = id.chars().count();
    if n <= 4 {
        return "***".into();
    }
    let tail: String = id.chars().skip(n - 4).collect();
    format!("***{tail}")
}

/// Which of the forms AWS (or an emulator) issues a queue URL is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueUrlForm {
    /// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (also `sqs-fips.`, `.com.cn`, `.api.aws`).
    Standard,
    /// `https://REGION.queue.amazonaws.com/ACCOUNT/NAME` or `https://queue.amazonaws.com/...`.
    Legacy,
    /// `https://REGION.amazonaws.com/ACCOUNT/NAME`, the form the seed documents.
    Seed,
    /// Any other host: an endpoint override (moto, LocalStack, ElasticMQ), e.g. `http://127.0.0.1:5000/ACCOUNT/NAME`.
    Custom,
}

/// A validated SQS queue URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrl {
    /// The URL as configured (trimmed, without a trailing slash).
    pub url: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host name, lowercase.
    pub host: String,
    /// Explicit port, when given.
    pub port: Option<u16>,
    /// Account id (12 digits on AWS).
    pub account: String,
    /// Queue name.
    pub name: String,
    /// Region the host names, for AWS forms.
    pub region: Option<String>,
    /// Which form the URL is in.
    pub form: QueueUrlForm,
}

impl QueueUrl {
    /// Parses and validates a queue URL in any form AWS issues, or an endpoint-override form.
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            field: "sqs_queue_url",
            reason,
        };
        let url = input.trim().trim_end_matches('/').to_string();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid(format!("{url:?} is not a URL (no scheme)")))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(invalid(format!("scheme {scheme:?} is not http or https")));
        }
        if rest.contains(['?', '#', '@']) || rest.chars().any(|c| c.is_whitespace()) {
            return Err(invalid(
                "a queue URL has no query, fragment, user info or spaces".into(),
            ));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = split_host_port(authority).map_err(invalid)?;
        let segments: Vec<&str> = path.split('/').collect();
        let [account, name] = segments.as_slice() else {
            return Err(invalid(format!(
                "expected .../ACCOUNT/QUEUE_NAME, got path {path:?}"
            )));
        };
        validate_queue_name(name).map_err(invalid)?;

        let (form, region) = aws_host_form(&host).map_err(invalid)?;
        if form == QueueUrlForm::Custom {
            if account.is_empty()
                || !account
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(format!("account segment {account:?} is not valid")));
            }
        } else if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(format!("account id {account:?} is not 12 digits")));
        }
        Ok(QueueUrl {
            scheme,
            host,
            port,
            account: account.to_string(),
            name: name.to_string(),
            region,
            form,
            url,
        })
    }

    /// The URL to send in API calls: the canonical `https://sqs.REGION...` form for AWS hosts.
    pub fn api_url(&self) -> String {
        match (&self.form, &self.region) {
            (QueueUrlForm::Custom, _) | (_, None) => self.url.clone(),
            (_, Some(region)) => format!(
                "https://sqs.{region}.{}/{}/{}",
                aws_domain(region),
                self.account,
                self.name
            ),
        }
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The queue's ARN in `region` (for bucket notification configurations).
    pub fn arn(&self, region: &str) -> String {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        format!(
            "arn:{partition}:sqs:{region}:{}:{}",
            self.account, self.name
        )
    }
}

fn aws_domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // [IPv6]:port
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| "unterminated IPv6 address".to_string())?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected {after:?} after the host")),
        };
        (format!("[{h}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&n| n != 0)
                .ok_or_else(|| format!("port {p:?} is not a number from 1 to 65535"))?,
        ),
        None => None,
    };
    let host = host.to_ascii_lowercase();
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
    {
        return Err(format!("host {host:?} is not valid"));
    }
    Ok((host, port))
}

fn validate_queue_name(name: &str) -> Result<(), String> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let ok = !base.is_empty()
        && name.len() <= 80
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "queue name {name:?} must be 1-80 letters, digits, '-' or '_' (optionally ending in .fifo)"
        ))
    }
}

/// Whether `s` looks like an AWS region name (`us-east-1`, `us-gov-west-1`, `cn-north-1`, ...).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
}

/// Recognizes the AWS host forms; any non-AWS host is `Custom`.
fn aws_host_form(host: &str) -> Result<(QueueUrlForm, Option<String>), String> {
    let base = host
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| host.strip_suffix(".amazonaws.com"));
    if let Some(base) = base {
        let labels: Vec<&str> = base.split('.').collect();
        let (form, region) = match labels.as_slice() {
            ["sqs" | "sqs-fips", region] => (QueueUrlForm::Standard, Some(*region)),
            [region, "queue"] => (QueueUrlForm::Legacy, Some(*region)),
            ["queue"] => (QueueUrlForm::Legacy, Some("us-east-1")),
            [region] => (QueueUrlForm::Seed, Some(*region)),
            _ => return Err(format!("{host:?} is not an SQS host name")),
        };
        return match region {
            Some(r) if is_region(r) => Ok((form, Some(r.to_string()))),
            _ => Err(format!("{host:?} does not name a valid region")),
        };
    }
    if let Some(base) = host.strip_suffix(".api.aws") {
        if let Some(region) = base.strip_prefix("sqs.").filter(|r| is_region(r)) {
            return Ok((QueueUrlForm::Standard, Some(region.to_string())));
        }
        return Err(format!("{host:?} is not an SQS host name"));
    }
    Ok((QueueUrlForm::Custom, None))
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The TOML could not be parsed (the message never quotes the file's content).
    #[error("configuration file, line {line}: {message}")]
    Parse {
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read configuration {path}: {message}")]
    Io {
        /// Path of the file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// A field is missing or invalid.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The configured region contradicts the queue URL's.
    #[error("`region` is {configured:?} but the queue URL is in {in_url:?}: set region to {in_url:?} or remove it")]
    RegionMismatch {
        /// The region in the configuration.
        configured: String,
        /// The region the queue URL names.
        in_url: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Durations in the file: integer seconds, or a string with a unit (`ms`, `s`, `m`, `h`).
fn parse_duration(s: &str) -> Result<Duration, String> {
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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum DurationValue {
    Secs(u64),
    Text(String),
}

impl DurationValue {
    fn resolve(&self, field: &'static str) -> Result<Duration, ConfigError> {
        match self {
            DurationValue::Secs(n) => Ok(Duration::from_secs(*n)),
            DurationValue::Text(t) => parse_duration(t).map_err(|r| invalid(field, r)),
        }
    }
}

/// The configuration as written, before validation.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    name: Option<String>,
    tenant: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    session_token: Option<Secret>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    role_external_id: Option<String>,
    region: Option<String>,
    sqs_queue_url: Option<String>,
    file_type: Option<FileType>,
    multiple_logs_per_file: Option<bool>,
    framing: Option<Framing>,
    log_source: Option<String>,
    log_filters: Option<Vec<FilterSpec>>,
    max_receive_count: Option<u32>,
    endpoint_url: Option<String>,
    allow_http: Option<bool>,
    concurrency: Option<usize>,
    visibility_timeout: Option<DurationValue>,
    idle_interval: Option<DurationValue>,
    buckets: Option<Vec<String>>,
    key_prefix: Option<String>,
    key_suffix: Option<String>,
}

/// Default number of objects processed at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default visibility timeout: the initial lease on a received message, renewed while it is worked on.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(60);

/// A validated connector configuration. Build it with [`ConnectorConfig::builder`] or from TOML.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectorConfig {
    /// Connector name (ASCII, printable, 1-128 characters).
    pub name: String,
    /// Tenant the records belong to.
    pub tenant: Option<String>,
    /// Where credentials come from.
    pub credentials: CredentialsConfig,
    /// A role to assume with those credentials.
    pub role_arn: Option<String>,
    /// Session name of the assumed role (default `s3conn-NAME`).
    pub role_session_name: Option<String>,
    /// External id required by the role's trust policy.
    pub role_external_id: Option<String>,
    /// AWS region of the queue and the SDK clients.
    pub region: String,
    /// The queue URL.
    pub queue_url: QueueUrl,
    /// Expected compression: `auto` (default, by magic bytes), `gzip`, `zstd` or `text`.
    pub file_type: FileType,
    /// The seed's "multiple logs per file": one JSON event per line (sets `framing` to `lines`).
    pub multiple_logs_per_file: bool,
    /// How events are delimited: `auto` (default), `single` or `lines`.
    pub framing: Framing,
    /// Log source: a registered id or a path to a declarative spec (resolved by the caller).
    pub log_source: String,
    /// Log filters (the seed's "Log Filters"), validated.
    pub log_filters: Vec<FilterSpec>,
    /// Give up on a message failing permanently after this many deliveries: dead-letter it, then
    /// acknowledge. Unset (default): keep it for the queue's own redrive policy.
    pub max_receive_count: Option<u32>,
    /// Endpoint of an S3/SQS-compatible service (path-style addressing).
    pub endpoint_url: Option<String>,
    /// Whether a plain `http://` endpoint is allowed.
    pub allow_http: bool,
    /// Objects processed at once (default 4).
    pub concurrency: usize,
    /// Visibility timeout requested on receive and renewed while working (default 5 min).
    pub visibility_timeout: Duration,
    /// Pause after an empty long poll (default 0: continuous long polling; see the module docs).
    pub idle_interval: Duration,
    /// Buckets objects may be read from; empty means any bucket the credentials reach.
    pub buckets: Vec<String>,
    /// Only keys starting with this are read.
    pub key_prefix: Option<String>,
    /// Only keys ending with this are read.
    pub key_suffix: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl RawConfig {
    fn validate(self) -> Result<ConnectorConfig, ConfigError> {
        let name = non_empty(self.name).ok_or_else(|| invalid("name", "is required"))?;
        if !name.is_ascii() || name.chars().any(|c| c.is_ascii_control()) || name.len() > 128 {
            return Err(invalid("name", "must be 1-128 printable ASCII characters"));
        }
        let tenant = non_empty(self.tenant);

        let url =
            non_empty(self.sqs_queue_url).ok_or_else(|| invalid("sqs_queue_url", "is required"))?;
        let queue_url = QueueUrl::parse(&url)?;
        let region = match (non_empty(self.region), &queue_url.region) {
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

        let allow_http = self.allow_http.unwrap_or(false);
        let endpoint_url = match non_empty(self.endpoint_url) {
            Some(e) => Some(validate_endpoint(&e)?),
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

        let access_key_id = non_empty(self.access_key_id);
        let secret = self.secret_access_key.filter(|s| !s.0.trim().is_empty());
        let token = self.session_token.filter(|s| !s.0.trim().is_empty());
        let credentials = match (access_key_id, secret) {
            (Some(id), Some(secret)) => {
                if id.chars().any(|c| !c.is_ascii_alphanumeric()) {
                    return Err(invalid("access_key_id", "must be letters and digits only"));
                }
                CredentialsConfig::Static {
                    access_key_id: id,
                    secret_access_key: Secret(secret.0.trim().to_string()),
                    session_token: token.map(|t| Secret(t.0.trim().to_string())),
                }
            }
            (None, None) if token.is_none() => CredentialsConfig::DefaultChain,
            (None, None) => {
                return Err(invalid(
                    "session_token",
                    "needs access_key_id and secret_access_key",
                ))
            }
            (Some(_), None) => {
                return Err(invalid(
                    "secret_access_key",
                    "is required with access_key_id",
                ))
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "access_key_id",
                    "is required with secret_access_key",
                ))
            }
        };
        let role_arn = non_empty(self.role_arn);
        if let Some(arn) = &role_arn {
            if !arn.starts_with("arn:") || !arn.contains(":role/") {
                return Err(invalid(
                    "role_arn",
                    format!("{arn:?} is not an IAM role ARN"),
                ));
            }
        }

        let log_source =
            non_empty(self.log_source).ok_or_else(|| invalid("log_source", "is required"))?;

        let log_filters = self.log_filters.unwrap_or_default();
        RecordFilters::new(&log_filters).map_err(|e| invalid("log_filters", e.to_string()))?;
        let multiple_logs_per_file = self.multiple_logs_per_file.unwrap_or(false);
        let framing = match (multiple_logs_per_file, self.framing) {
            (true, Some(f)) if f != Framing::Lines => {
                return Err(invalid(
                    "framing",
                    "contradicts multiple_logs_per_file = true (one event per line)",
                ))
            }
            (true, _) => Framing::Lines,
            (false, f) => f.unwrap_or_default(),
        };
        if self.max_receive_count == Some(0) {
            return Err(invalid("max_receive_count", "must be at least 1"));
        }

        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=1024).contains(&concurrency) {
            return Err(invalid("concurrency", "must be from 1 to 1024"));
        }
        let visibility_timeout = match &self.visibility_timeout {
            Some(v) => v.resolve("visibility_timeout")?,
            None => DEFAULT_VISIBILITY_TIMEOUT,
        };
        if visibility_timeout < Duration::from_secs(1) || visibility_timeout > SQS_MAX_VISIBILITY {
            return Err(invalid("visibility_timeout", "must be from 1 s to 12 h"));
        }
        let idle_interval = match &self.idle_interval {
            Some(v) => v.resolve("idle_interval")?,
            None => Duration::ZERO,
        };
        if idle_interval > Duration::from_secs(3600) {
            return Err(invalid("idle_interval", "must be at most 1 h"));
        }

        let mut buckets = Vec::new();
        for b in self.buckets.unwrap_or_default() {
            let b = b.trim().to_string();
            if b.is_empty()
                || b.len() > 255
                || b.contains('/')
                || b.chars().any(|c| c.is_whitespace())
            {
                return Err(invalid("buckets", format!("{b:?} is not a bucket name")));
            }
            if !buckets.contains(&b) {
                buckets.push(b);
            }
        }

        Ok(ConnectorConfig {
            name,
            tenant,
            credentials,
            role_arn,
            role_session_name: non_empty(self.role_session_name),
            role_external_id: non_empty(self.role_external_id),
            region,
            queue_url,
            file_type: self.file_type.unwrap_or_default(),
            multiple_logs_per_file,
            framing,
            log_source,
            log_filters,
            max_receive_count: self.max_receive_count,
            endpoint_url,
            allow_http,
            concurrency,
            visibility_timeout,
            idle_interval,
            buckets,
            key_prefix: self.key_prefix.filter(|s| !s.is_empty()),
            key_suffix: self.key_suffix.filter(|s| !s.is_empty()),
        })
    }
}

fn validate_endpoint(e: &str) -> Result<String, ConfigError> {
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

/// The SDK clients a connector uses.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
    /// S3 client (path-style addressing when an endpoint is configured).
    pub s3: aws_sdk_s3::Client,
}

impl ConnectorConfig {
    /// A builder with nothing set.
    pub fn builder() -> ConnectorConfigBuilder {
        ConnectorConfigBuilder::default()
    }

    /// Parses and validates a TOML document.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0),
            message: e.message().to_string(),
        })?;
        raw.validate()
    }

    /// Reads, parses and validates a TOML file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    /// The endpoint SQS requests go to: `endpoint_url`, else the origin of a custom queue URL.
    pub fn sqs_endpoint(&self) -> Option<String> {
        self.endpoint_url.clone().or_else(|| {
            (self.queue_url.form == QueueUrlForm::Custom).then(|| self.queue_url.origin())
        })
    }

    /// The endpoint S3 requests go to: `endpoint_url`, else the origin of a custom queue URL.
    pub fn s3_endpoint(&self) -> Option<String> {
        self.sqs_endpoint()
    }

    /// Loads the shared SDK configuration: region, credentials (static, default chain, assumed
    /// role), timeouts, and no SDK-level retries (this crate's [`crate::retry`] policies retry).
    pub async fn sdk_config(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    // Longer than the 20 s long poll; GetObject's body is not covered.
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let CredentialsConfig::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } = &self.credentials
        {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                access_key_id.clone(),
                secret_access_key.expose().to_string(),
                session_token.as_ref().map(|t| t.expose().to_string()),
                None,
                "s3conn-config",
            ));
        }
        let base = loader.load().await;
        let Some(role) = &self.role_arn else {
            return base;
        };
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role.clone())
            .session_name(
                self.role_session_name
                    .clone()
                    .unwrap_or_else(|| session_name_for(&self.name)),
            )
            .configure(&base);
        if let Some(id) = &self.role_external_id {
            builder = builder.external_id(id.clone());
        }
        let provider = builder.build().await;
        base.to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build()
    }

    /// Builds the SQS and S3 clients from [`Self::sdk_config`].
    pub async fn clients(&self) -> AwsClients {
        let sdk = self.sdk_config().await;
        self.clients_from(&sdk)
    }

    /// Builds the SQS and S3 clients from a loaded SDK configuration.
    pub fn clients_from(&self, sdk: &SdkConfig) -> AwsClients {
        let mut sqs = aws_sdk_sqs::config::Builder::from(sdk);
        if let Some(ep) = self.sqs_endpoint() {
            sqs = sqs.endpoint_url(ep);
        }
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk);
        if let Some(ep) = self.s3_endpoint() {
            s3 = s3.endpoint_url(ep).force_path_style(true);
        }
        AwsClients {
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
        }
    }

    /// The queue of this connector on these clients (the pipeline sets the lease on every receive).
    pub fn queue(&self, clients: &AwsClients) -> SqsQueue {
        SqsQueue::new(clients.sqs.clone(), self.queue_url.api_url())
    }

    /// The object store of this connector on these clients (bucket allow-list applied).
    pub fn store(&self, clients: &AwsClients) -> S3ObjectStore {
        let store = S3ObjectStore::new(clients.s3.clone());
        if self.buckets.is_empty() {
            store
        } else {
            store.with_allowed_buckets(self.buckets.iter().cloned())
        }
    }

    /// Whether a key passes the `key_prefix` / `key_suffix` filters.
    pub fn key_selected(&self, key: &str) -> bool {
        self.key_prefix
            .as_deref()
            .is_none_or(|p| key.starts_with(p))
            && self.key_suffix.as_deref().is_none_or(|s| key.ends_with(s))
    }

    /// Whether objects of this bucket may be read.
    pub fn bucket_allowed(&self, bucket: &str) -> bool {
        self.buckets.is_empty() || self.buckets.iter().any(|b| b == bucket)
    }
}

/// A role session name from a connector name: at most 64 of `[\w+=,.@-]`.
fn session_name_for(name: &str) -> String {
    let mut s: String = format!("s3conn-{name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(64);
    s
}

/// Builds a [`ConnectorConfig`] in code; `build` applies the same validation as the TOML path.
#[derive(Clone, Default)]
pub struct ConnectorConfigBuilder {
    raw: RawConfig,
}

impl fmt::Debug for ConnectorConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorConfigBuilder")
            .field("name", &self.raw.name)
            .field("sqs_queue_url", &self.raw.sqs_queue_url)
            .finish_non_exhaustive()
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: String) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.raw.$name = Some(value.into());
            self
        }
    };
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.raw.$name = Some(value);
            self
        }
    };
}

impl ConnectorConfigBuilder {
    setter!(/// Connector name (ASCII).
        name: String);
    setter!(/// Tenant.
        tenant: String);
    setter!(/// AWS region.
        region: String);
    setter!(/// SQS queue URL.
        sqs_queue_url: String);
    setter!(/// Log source id or spec path.
        log_source: String);
    setter!(/// Role to assume.
        role_arn: String);
    setter!(/// Session name of the assumed role.
        role_session_name: String);
    setter!(/// External id for the role.
        role_external_id: String);
    setter!(/// Endpoint of an S3/SQS-compatible service.
        endpoint_url: String);
    setter!(/// Only keys with this prefix.
        key_prefix: String);
    setter!(/// Only keys with this suffix.
        key_suffix: String);
    setter!(/// Whether plain http endpoints are allowed.
        allow_http: bool);
    setter!(/// Whether objects hold many logs each.
        multiple_logs_per_file: bool);
    setter!(/// Decompression.
        file_type: FileType);
    setter!(/// Framing of events.
        framing: Framing);
    setter!(/// Deliveries after which a permanently failing message is dead-lettered.
        max_receive_count: u32);
    setter!(/// Objects processed at once.
        concurrency: usize);

    /// Static credentials.
    pub fn static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.raw.access_key_id = Some(access_key_id.into());
        self.raw.secret_access_key = Some(Secret::new(secret_access_key));
        self
    }

    /// Session token for temporary static credentials.
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.raw.session_token = Some(Secret::new(token));
        self
    }

    /// Visibility timeout.
    pub fn visibility_timeout(mut self, d: Duration) -> Self {
        self.raw.visibility_timeout = Some(DurationValue::Text(format!("{}ms", d.as_millis())));
        self
    }

    /// Pause after an empty long poll.
    pub fn idle_interval(mut self, d: Duration) -> Self {
        self.raw.idle_interval = Some(DurationValue::Text(format!("{}ms", d.as_millis())));
        self
    }

    /// Bucket allow-list.
    pub fn buckets<I, S>(mut self, buckets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.raw.buckets = Some(buckets.into_iter().map(Into::into).collect());
        self
    }

    /// Log filters.
    pub fn log_filters(mut self, filters: Vec<FilterSpec>) -> Self {
        self.raw.log_filters = Some(filters);
        self
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<ConnectorConfig, ConfigError> {
        self.raw.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "trail"
sqs_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/trail-events"
log_source = "aws_cloudtrail"
"#;

    #[test]
    fn minimal_file_takes_defaults() {
        let c = ConnectorConfig::from_toml_str(MINIMAL).expect("valid");
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.credentials, CredentialsConfig::DefaultChain);
        assert_eq!(c.file_type, FileType::Auto);
        assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(c.visibility_timeout, DEFAULT_VISIBILITY_TIMEOUT);
        assert_eq!(c.idle_interval, Duration::ZERO);
        assert!(c.buckets.is_empty());
        assert_eq!(c.sqs_endpoint(), None);
        assert_eq!(
            c.queue_url.api_url(),
            "https://sqs.eu-west-1.amazonaws.com/123456789012/trail-events"
        );
    }

    #[test]
    fn full_file() {
        let text = r#"
name = "trail"
tenant = "acme"
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
session_token = "tok"
role_arn = "arn:aws:iam::123456789012:role/reader"
region = "us-east-2"
sqs_queue_url = "https://us-east-2.queue.amazonaws.com/123456789012/q.fifo"
file_type = "gzip"
multiple_logs_per_file = true
log_source = "/etc/s3conn/spec.toml"
log_filters = [{ field = "eventName", action = "drop", equals = "GetObject" }]
max_receive_count = 5
concurrency = 8
visibility_timeout = "10m"
idle_interval = 300
buckets = ["a-bucket", "b-bucket", "a-bucket"]
key_prefix = "AWSLogs/"
key_suffix = ".gz"
"#;
        let c = ConnectorConfig::from_toml_str(text).expect("valid");
        assert_eq!(c.tenant.as_deref(), Some("acme"));
        assert_eq!(c.queue_url.form, QueueUrlForm::Legacy);
        assert_eq!(c.file_type, FileType::Gzip);
        assert!(c.multiple_logs_per_file);
        assert_eq!(c.framing, Framing::Lines);
        assert_eq!(c.log_filters.len(), 1);
        assert_eq!(c.max_receive_count, Some(5));
        assert_eq!(c.visibility_timeout, Duration::from_secs(600));
        assert_eq!(c.idle_interval, Duration::from_secs(300));
        assert_eq!(c.buckets, vec!["a-bucket", "b-bucket"]);
        assert!(c.key_selected("AWSLogs/x.gz"));
        assert!(!c.key_selected("AWSLogs/x.json"));
        assert!(!c.key_selected("other/x.gz"));
        assert!(c.bucket_allowed("b-bucket") && !c.bucket_allowed("c-bucket"));
        assert_eq!(
            c.queue_url.api_url(),
            "https://sqs.us-east-2.amazonaws.com/123456789012/q.fifo"
        );
    }

    #[test]
    fn queue_url_forms() {
        let cases = [
            (
                "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                QueueUrlForm::Standard,
                Some("us-east-1"),
            ),
            (
                "https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q",
                QueueUrlForm::Standard,
                Some("us-gov-west-1"),
            ),
            (
                "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
                QueueUrlForm::Standard,
                Some("cn-north-1"),
            ),
            (
                "https://sqs.eu-central-1.api.aws/123456789012/q",
                QueueUrlForm::Standard,
                Some("eu-central-1"),
            ),
            (
                "https://ap-southeast-2.queue.amazonaws.com/123456789012/q",
                QueueUrlForm::Legacy,
                Some("ap-southeast-2"),
            ),
            (
                "https://queue.amazonaws.com/123456789012/q",
                QueueUrlForm::Legacy,
                Some("us-east-1"),
            ),
            (
                "https://us-west-2.amazonaws.com/123456789012/q",
                QueueUrlForm::Seed,
                Some("us-west-2"),
            ),
            (
                "http://127.0.0.1:5000/123456789012/q",
                QueueUrlForm::Custom,
                None,
            ),
            (
                "http://localhost:9324/queue/q_1",
                QueueUrlForm::Custom,
                None,
            ),
            (
                "http://[::1]:4566/000000000000/q/",
                QueueUrlForm::Custom,
                None,
            ),
        ];
        for (url, form, region) in cases {
            let u = QueueUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(u.form, form, "{url}");
            assert_eq!(u.region.as_deref(), region, "{url}");
            assert_eq!(u.name, if url.contains("q_1") { "q_1" } else { "q" });
        }
        let cn = QueueUrl::parse("https://cn-north-1.queue.amazonaws.com.cn/123456789012/q")
            .expect("valid");
        assert_eq!(
            cn.api_url(),
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"
        );
        assert_eq!(
            cn.arn("cn-north-1"),
            "arn:aws-cn:sqs:cn-north-1:123456789012:q"
        );
        let moto = QueueUrl::parse("http://127.0.0.1:5000/123456789012/q").expect("valid");
        assert_eq!(moto.origin(), "http://127.0.0.1:5000");
        assert_eq!(moto.api_url(), "http://127.0.0.1:5000/123456789012/q");
    }

    #[test]
    fn bad_queue_urls_are_refused() {
        for url in [
            "sqs.us-east-1.amazonaws.com/123456789012/q",
            "ftp://sqs.us-east-1.amazonaws.com/123456789012/q",
            "https://sqs.us-east-1.amazonaws.com/12345/q",
            "https://sqs.us-east-1.amazonaws.com/123456789012",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q/extra",
            "https://sqs.us-east-1.amazonaws.com/123456789012/bad name",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q?x=1",
            "https://sqs.useast1.amazonaws.com/123456789012/q",
            "https://s3.foo.bar.amazonaws.com/123456789012/q",
            "https://user@sqs.us-east-1.amazonaws.com/123456789012/q",
            "http://127.0.0.1:0/123456789012/q",
            "http://127.0.0.1:99999/123456789012/q",
        ] {
            assert!(QueueUrl::parse(url).is_err(), "{url} should be refused");
        }
    }

    #[test]
    fn region_contradicting_the_url_is_a_clear_error() {
        let text = format!("{MINIMAL}region = \"us-east-1\"\n");
        let e = ConnectorConfig::from_toml_str(&text).expect_err("mismatch");
        assert_eq!(
            e,
            ConfigError::RegionMismatch {
                configured: "us-east-1".into(),
                in_url: "eu-west-1".into()
            }
        );
        assert!(e.to_string().contains("eu-west-1"));
    }

    #[test]
    fn custom_endpoint_needs_region_and_allow_http() {
        let base = ConnectorConfig::builder()
            .name("t")
            .log_source("x")
            .sqs_queue_url("http://127.0.0.1:5000/123456789012/q");
        let e = base.clone().build().expect_err("no region");
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "region",
                    ..
                }
            ),
            "{e}"
        );
        let e = base.clone().region("us-east-1").build().expect_err("http");
        assert!(e.to_string().contains("allow_http"), "{e}");
        let c = base
            .region("us-east-1")
            .allow_http(true)
            .build()
            .expect("valid");
        assert_eq!(c.sqs_endpoint().as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(c.s3_endpoint().as_deref(), Some("http://127.0.0.1:5000"));

        let e = ConnectorConfig::builder()
            .name("t")
            .log_source("x")
            .sqs_queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q")
            .endpoint_url("http://minio:9000")
            .build()
            .expect_err("http endpoint");
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "endpoint_url",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn name_must_be_ascii() {
        let e = ConnectorConfig::from_toml_str(&MINIMAL.replace("\"trail\"", "\"träil\""))
            .expect_err("non-ascii");
        assert!(
            matches!(e, ConfigError::Invalid { field: "name", .. }),
            "{e}"
        );
        let e = ConnectorConfig::from_toml_str(&MINIMAL.replace("\"trail\"", "\"a\\u0007b\""))
            .expect_err("control");
        assert!(
            matches!(e, ConfigError::Invalid { field: "name", .. }),
            "{e}"
        );
    }

    #[test]
    fn credentials_rules() {
        let with = |extra: &str| ConnectorConfig::from_toml_str(&format!("{MINIMAL}{extra}"));
        assert!(with("access_key_id = \"AKIA1\"\n").is_err());
        assert!(with("secret_access_key = \"s\"\n").is_err());
        assert!(with("session_token = \"t\"\n").is_err());
        // Empty keys mean "not set": the default chain.
        let c = with("access_key_id = \"\"\nsecret_access_key = \"\"\n").expect("valid");
        assert_eq!(c.credentials, CredentialsConfig::DefaultChain);
        assert!(with("role_arn = \"not-an-arn\"\n").is_err());
    }

    #[test]
    fn secrets_never_show() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let text = format!(
            "{MINIMAL}access_key_id = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_access_key = \"{secret}\"\nsession_token = \"SESSIONTOKENVALUE\"\n"
        );
        let c = ConnectorConfig::from_toml_str(&text).expect("valid");
        let debug = format!("{c:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(!debug.contains("SESSIONTOKENVALUE"), "{debug}");
        assert!(!debug.contains("AKIAIOSFODNN7EXAMPLE"), "{debug}");
        assert!(debug.contains("***MPLE"), "{debug}");
        let b = ConnectorConfig::builder().static_credentials("AKIA", secret);
        assert!(!format!("{b:?}").contains(secret));
        assert_eq!(Secret::new(secret).to_string(), "***");

        // A mistyped secret is not echoed in the parse error, nor are other lines of the file.
        let text = format!("{MINIMAL}secret_access_key = 123456789\nconcurrency = \"{secret}x\"\n");
        let e = ConnectorConfig::from_toml_str(&text).expect_err("bad type");
        assert!(!e.to_string().contains("123456789"), "{e}");
        let text = format!("{MINIMAL}secret_access_key = \"{secret}\"\nunknown_field = 1\n");
        let e = ConnectorConfig::from_toml_str(&text).expect_err("unknown field");
        assert!(!e.to_string().contains(secret), "{e}");
        assert!(e.to_string().contains("line 6"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-5s").is_err());
        let with = |extra: &str| ConnectorConfig::from_toml_str(&format!("{MINIMAL}{extra}"));
        assert!(with("visibility_timeout = 0\n").is_err());
        assert!(with("visibility_timeout = \"13h\"\n").is_err());
        assert!(with("idle_interval = \"2h\"\n").is_err());
        let c = ConnectorConfig::builder()
            .name("t")
            .log_source("x")
            .sqs_queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q")
            .visibility_timeout(Duration::from_millis(1500))
            .idle_interval(Duration::from_secs(5))
            .build()
            .expect("valid");
        assert_eq!(c.visibility_timeout, Duration::from_millis(1500));
        assert_eq!(c.idle_interval, Duration::from_secs(5));
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        let with = |extra: &str| ConnectorConfig::from_toml_str(&format!("{MINIMAL}{extra}"));
        assert!(with("sqs_url = \"x\"\n").is_err());
        assert!(with("file_type = \"zip\"\n").is_err());
        assert!(with("framing = \"xml\"\n").is_err());
        assert!(with("multiple_logs_per_file = true\nframing = \"single\"\n").is_err());
        assert!(with("max_receive_count = 0\n").is_err());
        assert!(with("log_filters = [{ field = \"a\", action = \"keep\" }]\n").is_err());
        assert!(
            with("log_filters = [{ field = \"a\", action = \"keep\", regex = \"(\" }]\n").is_err()
        );
        let c = with("file_type = \"zstd\"\nframing = \"single\"\n").expect("valid");
        assert_eq!((c.file_type, c.framing), (FileType::Zstd, Framing::Single));
        assert!(with("concurrency = 0\n").is_err());
        assert!(with("buckets = [\"a/b\"]\n").is_err());
        assert!(ConnectorConfig::from_toml_str("name = \"x\"\n").is_err());
    }

    #[test]
    fn session_names_are_sanitized() {
        assert_eq!(session_name_for("prod trail"), "s3conn-prod-trail");
        assert!(session_name_for(&"x".repeat(100)).len() <= 64);
    }

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "useast1",
            "us-east",
            "US-EAST-1",
            "us-east-123",
            "u-east-1",
            "",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }
}
