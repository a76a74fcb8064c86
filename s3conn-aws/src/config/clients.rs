//! The SDK configuration and clients a [`ConnectorConfig`] implies, and its queue and store.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::access::{AccessConfig, RoleConfig};
use super::queue_url::QueueUrlForm;
use super::secret::CredentialsConfig;
use super::ConnectorConfig;
use crate::bucket_clients::BucketClients;
use crate::s3::S3ObjectStore;
use crate::sqs::SqsQueue;

/// The SDK clients a connector uses.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// SQS client (the queue's credentials and region).
    pub sqs: aws_sdk_sqs::Client,
    /// S3 client (the store's credentials and region; path-style addressing when an endpoint is
    /// configured).
    pub s3: aws_sdk_s3::Client,
    /// The store's SDK configuration: the credentials a bucket's own role is assumed with.
    pub store_sdk: SdkConfig,
}

impl ConnectorConfig {
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

    /// The queue's SDK configuration (see [`Self::access_sdk_config`]).
    pub async fn sdk_config(&self) -> SdkConfig {
        self.access_sdk_config(&self.queue_access).await
    }

    /// Loads the SDK configuration of one side (see [`Self::access_sdk_config_on`]).
    pub async fn access_sdk_config(&self, access: &AccessConfig) -> SdkConfig {
        self.access_sdk_config_on(access, None).await
    }

    /// Loads the SDK configuration of one side: region, credentials (static, default chain,
    /// assumed role), timeouts, and no SDK-level retries (this crate's [`crate::retry`] policies
    /// retry). With an `endpoint_url`, STS requests (role assumption) go there too. On a given
    /// HTTP client (one connection pool shared by several connectors, see
    /// [`crate::http_client`]), or the SDK's default when `None`.
    pub async fn access_sdk_config_on(
        &self,
        access: &AccessConfig,
        http: Option<SharedHttpClient>,
    ) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(access.region.clone()))
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    // Longer than the 20 s long poll; GetObject's body is not covered.
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(http) = http {
            loader = loader.http_client(http);
        }
        if let Some(ep) = self.s3_endpoint() {
            loader = loader.endpoint_url(ep);
        }
        if let CredentialsConfig::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } = &access.credentials
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
        match &access.role {
            Some(role) => with_role(&base, role, &session_name_for(&self.name)).await,
            None => base,
        }
    }

    /// Builds the SQS client from the queue's settings and the S3 client from the store's.
    pub async fn clients(&self) -> AwsClients {
        self.clients_on(None).await
    }

    /// [`Self::clients`] on a given HTTP client (shared by several connectors), or the SDK's
    /// default when `None`.
    pub async fn clients_on(&self, http: Option<SharedHttpClient>) -> AwsClients {
        let queue = self
            .access_sdk_config_on(&self.queue_access, http.clone())
            .await;
        let store = if self.store_access == self.queue_access {
            queue.clone()
        } else {
            self.access_sdk_config_on(&self.store_access, http).await
        };
        self.clients_from_each(&queue, &store)
    }

    /// Builds the SQS and S3 clients from one loaded SDK configuration.
    pub fn clients_from(&self, sdk: &SdkConfig) -> AwsClients {
        self.clients_from_each(sdk, sdk)
    }

    /// Builds the SQS client from `queue` and the S3 client from `store`.
    pub fn clients_from_each(&self, queue: &SdkConfig, store: &SdkConfig) -> AwsClients {
        let mut sqs = aws_sdk_sqs::config::Builder::from(queue);
        if let Some(ep) = self.sqs_endpoint() {
            sqs = sqs.endpoint_url(ep);
        }
        let mut s3 = aws_sdk_s3::config::Builder::from(store);
        if let Some(ep) = self.s3_endpoint() {
            s3 = s3.endpoint_url(ep).force_path_style(true);
        }
        AwsClients {
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            store_sdk: store.clone(),
        }
    }

    /// The queue of this connector on these clients (the pipeline sets the lease on every receive).
    pub fn queue(&self, clients: &AwsClients) -> SqsQueue {
        SqsQueue::new(clients.sqs.clone(), self.queue_url.api_url())
    }

    /// The object store of this connector on these clients: the bucket allow-list applied, each
    /// `[[buckets]]` entry read with its own role and region.
    pub fn store(&self, clients: &AwsClients) -> S3ObjectStore {
        let store = S3ObjectStore::with_bucket_clients(self.bucket_clients(clients));
        if self.buckets.is_empty() {
            store
        } else {
            store.with_allowed_buckets(self.buckets.iter().cloned())
        }
    }

    /// The per-bucket S3 clients of this connector: built lazily per (role, region) and cached.
    pub fn bucket_clients(&self, clients: &AwsClients) -> BucketClients {
        BucketClients::new(clients.s3.clone())
            .with_default_region(self.store_access.region.clone())
            .with_buckets(self.bucket_settings.iter().cloned())
            .with_role_base(clients.store_sdk.clone(), session_name_for(&self.name))
    }
}

/// `base` with its credentials replaced by those of `role`, assumed with `base`'s credentials
/// through STS (lazily, on the first request; the SDK refreshes them before they expire).
pub(crate) async fn with_role(
    base: &SdkConfig,
    role: &RoleConfig,
    default_session: &str,
) -> SdkConfig {
    let provider = role_provider(base, role, default_session).await;
    base.to_builder().credentials_provider(provider).build()
}

/// The credentials of `role`, assumed with `base`'s credentials.
pub(crate) async fn role_provider(
    base: &SdkConfig,
    role: &RoleConfig,
    default_session: &str,
) -> SharedCredentialsProvider {
    let mut builder = aws_config::sts::AssumeRoleProvider::builder(role.arn.clone())
        .session_name(
            role.session_name
                .clone()
                .unwrap_or_else(|| default_session.to_string()),
        )
        .configure(base);
    if let Some(id) = &role.external_id {
        builder = builder.external_id(id.clone());
    }
    SharedCredentialsProvider::new(builder.build().await)
}

/// A role session name from a connector name: at most 64 of `[\w+=,.@-]`.
pub(crate) fn session_name_for(name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_sanitized() {
        assert_eq!(session_name_for("prod trail"), "s3conn-prod-trail");
        assert!(session_name_for(&"x".repeat(100)).len() <= 64);
    }
}
