//! [`ConnectorConfigBuilder`]: a configuration in code, validated like a TOML file.

use std::fmt;
use std::time::Duration;

use s3conn_core::decode::{FileType, Framing};
use s3conn_core::filter::FilterSpec;

use super::access::{RawAccess, RoleConfig};
use super::buckets::{BucketConfig, RawBucketEntry};
use super::error::ConfigError;
use super::raw::{DurationValue, RawConfig};
use super::secret::Secret;
use super::ConnectorConfig;

/// Builds a [`ConnectorConfig`] in code; `build` applies the same validation as the TOML path.
///
/// A configuration for a local S3/SQS emulator (moto, LocalStack) on port 5000; building it
/// needs no network:
///
/// ```
/// use std::time::Duration;
///
/// use s3conn_aws::config::{CredentialsConfig, QueueUrlForm};
/// use s3conn_aws::{ConfigError, ConnectorConfig};
///
/// let config = ConnectorConfig::builder()
///     .name("local-trail")
///     .log_source("aws-cloudtrail")
///     .region("us-east-1")
///     .sqs_queue_url("http://127.0.0.1:5000/123456789012/trail-events")
///     .allow_http(true) // an emulator speaks plain http; AWS itself never needs this
///     .static_credentials("testing", "testing")
///     .buckets(["trail-bucket"])
///     .key_prefix("AWSLogs/")
///     .visibility_timeout(Duration::from_secs(120))
///     .build()?;
///
/// assert_eq!(config.name, "local-trail");
/// assert_eq!(config.queue_url.form, QueueUrlForm::Custom);
/// assert_eq!(config.queue_url.name, "trail-events");
/// // With no `endpoint_url`, both clients talk to the queue URL's host.
/// assert_eq!(config.sqs_endpoint().as_deref(), Some("http://127.0.0.1:5000"));
/// assert_eq!(config.s3_endpoint().as_deref(), Some("http://127.0.0.1:5000"));
/// assert!(matches!(config.credentials, CredentialsConfig::Static { .. }));
/// assert_eq!(config.visibility_timeout, Duration::from_secs(120));
/// assert_eq!(config.concurrency, s3conn_aws::config::DEFAULT_CONCURRENCY);
///
/// // The same validation as a TOML file: plain http is refused unless allowed.
/// let refused = ConnectorConfig::builder()
///     .name("local-trail")
///     .log_source("aws-cloudtrail")
///     .region("us-east-1")
///     .sqs_queue_url("http://127.0.0.1:5000/123456789012/trail-events")
///     .build();
/// assert!(matches!(refused, Err(ConfigError::Invalid { .. })));
/// # Ok::<(), ConfigError>(())
/// ```
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
    setter!(/// Poll the queue depth for the `s3conn_queue_messages` gauge.
        queue_depth_metrics: bool);

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
        let names = buckets.into_iter().map(|b| RawBucketEntry::from(b.into()));
        self.raw.buckets = Some(names.collect());
        self
    }

    /// A bucket with its own role or region (`[[buckets]]`); it joins the allow-list.
    pub fn bucket(mut self, bucket: BucketConfig) -> Self {
        self.raw
            .buckets
            .get_or_insert_with(Vec::new)
            .push(bucket.into());
        self
    }

    /// Static credentials of the queue only (`[queue]`).
    pub fn queue_static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        let q = self.raw.queue.get_or_insert_with(RawAccess::default);
        q.access_key_id = Some(access_key_id.into());
        q.secret_access_key = Some(Secret::new(secret_access_key));
        self
    }

    /// Static credentials of the store only (`[store]`).
    pub fn store_static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        let s = self.raw.store.get_or_insert_with(RawAccess::default);
        s.access_key_id = Some(access_key_id.into());
        s.secret_access_key = Some(Secret::new(secret_access_key));
        self
    }

    /// A role the queue's requests assume (`[queue] role_arn`).
    pub fn queue_role(mut self, role: RoleConfig) -> Self {
        set_role(self.raw.queue.get_or_insert_with(RawAccess::default), role);
        self
    }

    /// A role the store's requests assume (`[store] role_arn`).
    pub fn store_role(mut self, role: RoleConfig) -> Self {
        set_role(self.raw.store.get_or_insert_with(RawAccess::default), role);
        self
    }

    /// The store's region: of a bucket whose region is not otherwise known (`[store] region`).
    pub fn store_region(mut self, region: impl Into<String>) -> Self {
        self.raw.store.get_or_insert_with(RawAccess::default).region = Some(region.into());
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

/// Writes `role` into a `[queue]` or `[store]` table.
fn set_role(access: &mut RawAccess, role: RoleConfig) {
    access.role_arn = Some(role.arn);
    access.role_external_id = role.external_id;
    access.role_session_name = role.session_name;
}
