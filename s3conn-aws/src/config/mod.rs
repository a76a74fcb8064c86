//! Connector configuration: a TOML file or a builder, validated once, and the AWS clients it makes.
//!
//! Every field, with its default where it has one (this example is parsed by the tests):
//!
//! ```toml
#![doc = include_str!("example.toml")]
//! ```
//!
//! ## Several accounts
//! The queue and the store may each have their own keys, role and region (`[queue]`, `[store]`),
//! and each bucket its own role and region (`[[buckets]]`); see [`AccessConfig`] and
//! [`BucketConfig`]:
//!
//! ```toml
#![doc = include_str!("example-accounts.toml")]
//! ```
//!
//! ## `idle_interval`: latency against cost
//! After a receive that returned no message (a 20-second long poll, so the queue was empty for 20
//! seconds), the connector waits `idle_interval` before polling again. The default, 0, is
//! continuous long polling: a message is picked up within a second of its arrival, and an idle
//! connector makes one `ReceiveMessage` request per 20 seconds, about 130,000 requests a month,
//! which is about US$0.05 a month at SQS's list price of US$0.40 per million requests. Products that poll
//! on a timer often wait 5 minutes: 16 times fewer empty receives (one per 5 min 20 s), but up to 5
//! minutes of added latency after every quiet period. Set it only when request count matters more
//! than latency.
//!
//! The parts, one concept per file: [`Secret`] and [`CredentialsConfig`] (`secret.rs`), [`QueueUrl`]
//! (`queue_url.rs`), [`AccessConfig`] of the `[queue]` and `[store]` tables (`access.rs`),
//! [`BucketConfig`] of `[[buckets]]` (`buckets.rs`), [`RouteConfig`] (`routes.rs`: `[[routes]]`
//! and `unmatched`), the `[sink]` table, [`SinkConfig`] (`sink.rs`), the raw TOML form (`raw.rs`)
//! and its validation (`validate.rs`), the SDK clients (`clients.rs`), [`ConnectorConfigBuilder`]
//! (`builder.rs`) and [`ConfigError`] (`error.rs`).

mod access;
mod buckets;
mod builder;
mod clients;
mod error;
mod queue_url;
mod raw;
mod routes;
mod secret;
mod sink;
mod validate;

#[cfg(test)]
mod accounts_tests;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

pub use s3conn_core::decode::{DecoderConfig, FileType, Framing};
use s3conn_core::filter::{FilterSpec, ObjectFilter};

pub use access::{AccessConfig, RoleConfig};
pub use buckets::BucketConfig;
pub use builder::ConnectorConfigBuilder;
pub(crate) use clients::role_provider;
pub use clients::AwsClients;
pub use error::ConfigError;
pub use queue_url::{is_region, QueueUrl, QueueUrlForm};
use raw::RawConfig;
pub use routes::RouteConfig;
pub use s3conn_core::route::Unmatched;
pub use secret::{CredentialsConfig, Secret};
pub use sink::{LakeFormat, LakeSinkConfig, SinkAuth, SinkConfig, SinkKind};

/// Default number of objects processed at once: 4.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default visibility timeout, 60 s: the initial lease on a received message, renewed while it is
/// worked on.
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
    /// "Multiple logs per file": one JSON event per line (sets `framing` to `lines`).
    pub multiple_logs_per_file: bool,
    /// How events are delimited: `auto` (default), `single` or `lines`.
    pub framing: Framing,
    /// Log source: a registered id or a path to a declarative spec (resolved by the caller);
    /// empty when `routes` are given instead.
    pub log_source: String,
    /// Log filters, validated.
    pub log_filters: Vec<FilterSpec>,
    /// Give up on a message failing permanently after this many deliveries: dead-letter it, then
    /// acknowledge. Unset (default): keep it for the queue's own redrive policy.
    pub max_receive_count: Option<u32>,
    /// Endpoint of an S3/SQS-compatible service (path-style addressing).
    pub endpoint_url: Option<String>,
    /// Whether a plain `http://` endpoint is allowed.
    pub allow_http: bool,
    /// Objects processed at once (default [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// Visibility timeout requested on receive and renewed while working (default
    /// [`DEFAULT_VISIBILITY_TIMEOUT`]).
    pub visibility_timeout: Duration,
    /// Pause after an empty long poll (default 0: continuous long polling; see the module docs).
    pub idle_interval: Duration,
    /// Buckets objects may be read from; empty means any bucket the credentials reach.
    pub buckets: Vec<String>,
    /// Only keys starting with this are read.
    pub key_prefix: Option<String>,
    /// Only keys ending with this are read.
    pub key_suffix: Option<String>,
    /// Routes by key (`[[routes]]`, first match wins; see `routes.rs`); empty with a top-level
    /// `log_source`.
    pub routes: Vec<RouteConfig>,
    /// What happens to an object no route takes (default `dead_letter`; only with `routes`).
    pub unmatched: Unmatched,
    /// Credentials, role and region of the queue (`[queue]`, falling back to the top level).
    pub queue_access: AccessConfig,
    /// Credentials, role and region of the store (`[store]`, falling back to the top level).
    pub store_access: AccessConfig,
    /// Buckets given as `[[buckets]]` tables: their own role and region (all are in `buckets`).
    pub bucket_settings: Vec<BucketConfig>,
    /// Where records go (the `[sink]` table; stdout when absent).
    pub sink: SinkConfig,
    /// Poll `GetQueueAttributes` for the `s3conn_queue_messages` gauge (default false; needs the
    /// extra permission `sqs:GetQueueAttributes`; see [`crate::queue_depth`]).
    pub queue_depth_metrics: bool,
}

/// The queue URL of a connector read by [`ConnectorConfig::from_file_without_queue`] whose file
/// names none (`{region}` is its region): a well-formed URL of a queue nothing reads.
pub const NO_QUEUE_URL: &str = "https://sqs.{region}.amazonaws.com/000000000000/s3conn-no-queue";

/// Parses a TOML document into the raw form.
fn parse_raw(text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0),
        message: e.message().to_string(),
    })
}

/// Reads a configuration file.
fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

impl ConnectorConfig {
    /// A builder with nothing set.
    pub fn builder() -> ConnectorConfigBuilder {
        ConnectorConfigBuilder::default()
    }

    /// Parses and validates a TOML document.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        parse_raw(text)?.validate()
    }

    /// Reads, parses and validates a TOML file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_toml_str(&read(path.as_ref())?)
    }

    /// [`Self::from_toml_str`] for a command that reads no queue (`s3conn replay --config`):
    /// `sqs_queue_url` may be left out. The connector then names [`NO_QUEUE_URL`] in its region
    /// (`region`, or `us-east-1`), a queue nothing reads.
    pub fn from_toml_str_without_queue(text: &str) -> Result<Self, ConfigError> {
        let mut raw = parse_raw(text)?;
        if validate::non_empty(raw.sqs_queue_url.clone()).is_none() {
            let region = validate::non_empty(raw.region.clone());
            raw.sqs_queue_url =
                Some(NO_QUEUE_URL.replace("{region}", region.as_deref().unwrap_or("us-east-1")));
        }
        raw.validate()
    }

    /// [`Self::from_file`] for a command that reads no queue (see
    /// [`Self::from_toml_str_without_queue`]).
    pub fn from_file_without_queue(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_toml_str_without_queue(&read(path.as_ref())?)
    }

    /// How objects are decoded (a route's own settings apply on top of these).
    pub fn decoder_config(&self) -> DecoderConfig {
        DecoderConfig {
            file_type: self.file_type,
            framing: self.framing,
            ..DecoderConfig::default()
        }
    }

    /// The objects this configuration reads: the bucket allow-list and the key prefix and suffix.
    pub fn object_filter(&self) -> ObjectFilter {
        ObjectFilter {
            buckets: self.buckets.clone(),
            key_prefixes: self.key_prefix.iter().cloned().collect(),
            key_suffixes: self.key_suffix.iter().cloned().collect(),
        }
    }
}
