//! [`BucketClients`]: the S3 client to read a bucket with — its own role (`[[buckets]] role_arn`)
//! or the store's credentials, in the bucket's region — built lazily per (role, region) and cached.
//!
//! A bucket's region is, in order: its `[[buckets]] region`; the region a notification names
//! (`awsRegion`); the region S3 reported for it earlier (a redirect or `HeadBucket`, cached here);
//! the store's region. [`BucketClients::discover_region`] asks S3 when a request went to the wrong
//! region.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use serde::Serialize;
use tracing::info;

use crate::config::{role_provider, BucketConfig, RoleConfig};
use crate::error::{AwsError, AwsErrorKind};

/// Where the region a bucket is read in came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionSource {
    /// The bucket's `[[buckets]] region`.
    Configured,
    /// The notification's `awsRegion`.
    Notification,
    /// Reported by S3 (redirect or `HeadBucket`), cached.
    Discovered,
    /// The store's region: nothing else known.
    Default,
}

impl RegionSource {
    /// A short description: `configured`, `from the notification`, ...
    pub fn describe(self) -> &'static str {
        match self {
            RegionSource::Configured => "configured",
            RegionSource::Notification => "from the notification",
            RegionSource::Discovered => "discovered",
            RegionSource::Default => "the store's region",
        }
    }
}

type ClientKey = (Option<RoleConfig>, String);

/// S3 clients per (role, region), and what is known of each bucket's role and region.
#[derive(Clone)]
pub struct BucketClients {
    base: aws_sdk_s3::Client,
    default_region: String,
    buckets: Arc<HashMap<String, BucketConfig>>,
    role_base: Option<(SdkConfig, String)>,
    clients: Arc<Mutex<HashMap<ClientKey, aws_sdk_s3::Client>>>,
    roles: Arc<tokio::sync::Mutex<HashMap<RoleConfig, SharedCredentialsProvider>>>,
    regions: Arc<Mutex<HashMap<String, String>>>,
}

impl fmt::Debug for BucketClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketClients")
            .field("default_region", &self.default_region)
            .field("buckets", &self.buckets)
            .finish_non_exhaustive()
    }
}

impl BucketClients {
    /// Clients derived from `base` (its credentials; its region is the default one).
    pub fn new(base: aws_sdk_s3::Client) -> Self {
        let default_region = base
            .config()
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        BucketClients {
            base,
            default_region,
            buckets: Arc::new(HashMap::new()),
            role_base: None,
            clients: Arc::default(),
            roles: Arc::default(),
            regions: Arc::default(),
        }
    }

    /// The client of the store's own credentials and region.
    pub fn base(&self) -> &aws_sdk_s3::Client {
        &self.base
    }

    /// The region of a bucket nothing else says anything about.
    pub fn with_default_region(mut self, region: impl Into<String>) -> Self {
        self.default_region = region.into();
        self
    }

    /// The buckets with their own role or region.
    pub fn with_buckets(mut self, buckets: impl IntoIterator<Item = BucketConfig>) -> Self {
        self.buckets = Arc::new(buckets.into_iter().map(|b| (b.name.clone(), b)).collect());
        self
    }

    /// The SDK configuration whose credentials assume the buckets' roles, and the default session
    /// name.
    pub fn with_role_base(mut self, sdk: SdkConfig, session_name: impl Into<String>) -> Self {
        self.role_base = Some((sdk, session_name.into()));
        self
    }

    /// The settings of `bucket`, if it has a `[[buckets]]` entry.
    pub fn bucket(&self, bucket: &str) -> Option<&BucketConfig> {
        self.buckets.get(bucket)
    }

    /// The region to address `bucket` in, given the region a notification names, and why.
    pub fn region_for(&self, bucket: &str, notified: Option<&str>) -> (String, RegionSource) {
        if let Some(r) = self.bucket(bucket).and_then(|b| b.region.clone()) {
            return (r, RegionSource::Configured);
        }
        if let Some(r) = notified.filter(|r| !r.is_empty()) {
            return (r.to_string(), RegionSource::Notification);
        }
        if let Some(r) = self.discovered(bucket) {
            return (r, RegionSource::Discovered);
        }
        (self.default_region.clone(), RegionSource::Default)
    }

    /// The region S3 reported for `bucket`, if it did.
    pub fn discovered(&self, bucket: &str) -> Option<String> {
        self.regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(bucket)
            .cloned()
    }

    /// Remembers the region S3 reported for `bucket`.
    pub fn learn_region(&self, bucket: &str, region: &str) {
        let mut regions = self.regions.lock().unwrap_or_else(PoisonError::into_inner);
        if regions.get(bucket).map(String::as_str) != Some(region) {
            info!(bucket, region, "bucket region discovered");
            regions.insert(bucket.to_string(), region.to_string());
        }
    }

    /// The (role, region) pairs a client was built for so far.
    pub fn built(&self) -> Vec<(Option<String>, String)> {
        let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let mut keys: Vec<_> = clients
            .keys()
            .map(|(role, region)| (role.as_ref().map(|r| r.arn.clone()), region.clone()))
            .collect();
        keys.sort();
        keys
    }

    /// The client reading `bucket` in `region`: with the bucket's role, else the store's
    /// credentials. A role without a base to assume it from is a configuration error.
    pub async fn client(&self, bucket: &str, region: &str) -> Result<aws_sdk_s3::Client, AwsError> {
        let role = self.bucket(bucket).and_then(|b| b.role.clone());
        let key = (role.clone(), region.to_string());
        if let Some(c) = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(c.clone());
        }
        let base_region = self.base.config().region().map(Region::as_ref);
        let client = match &role {
            // The store's own client already is this one.
            None if base_region == Some(region) => self.base.clone(),
            _ => {
                let mut conf = self
                    .base
                    .config()
                    .to_builder()
                    .region(Region::new(region.to_string()));
                if let Some(role) = &role {
                    conf = conf.credentials_provider(self.role_credentials(bucket, role).await?);
                }
                aws_sdk_s3::Client::from_conf(conf.build())
            }
        };
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert(client.clone());
        Ok(client)
    }

    /// The credentials of `role` (one provider per role, shared by its regional clients).
    async fn role_credentials(
        &self,
        bucket: &str,
        role: &RoleConfig,
    ) -> Result<SharedCredentialsProvider, AwsError> {
        let mut roles = self.roles.lock().await;
        if let Some(p) = roles.get(role) {
            return Ok(p.clone());
        }
        let Some((sdk, session)) = &self.role_base else {
            return Err(AwsError::new(
                "sts:AssumeRole",
                AwsErrorKind::Configuration,
                None,
                None,
                format!(
                    "bucket {bucket:?} is read with role {} but this store has no credentials to \
                     assume it with (build it with ConnectorConfig::store)",
                    role.arn
                ),
            ));
        };
        let provider = role_provider(sdk, role, session).await;
        roles.insert(role.clone(), provider.clone());
        Ok(provider)
    }

    /// The region `bucket` is in, after a request in `tried` failed with `err`: the region the
    /// error names, else the one `HeadBucket` reports. `None` when S3 says nothing new.
    pub async fn discover_region(
        &self,
        bucket: &str,
        tried: &str,
        err: &AwsError,
    ) -> Option<String> {
        let found = match &err.bucket_region {
            Some(r) => Some(r.clone()),
            None => self.head_bucket_region(bucket, tried).await,
        };
        let found = found.filter(|r| r != tried)?;
        self.learn_region(bucket, &found);
        Some(found)
    }

    /// The region `HeadBucket` reports (S3 answers it in any region, with the header).
    async fn head_bucket_region(&self, bucket: &str, region: &str) -> Option<String> {
        let client = self.client(bucket, region).await.ok()?;
        match client.head_bucket().bucket(bucket).send().await {
            Ok(out) => out.bucket_region().map(str::to_string),
            Err(e) => AwsError::from_sdk("s3:HeadBucket", &e).bucket_region,
        }
    }
}
