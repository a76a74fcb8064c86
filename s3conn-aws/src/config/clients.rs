//! The SDK configuration and clients a [`ConnectorConfig`] implies, and its queue and store.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::queue_url::QueueUrlForm;
use super::secret::CredentialsConfig;
use super::ConnectorConfig;
use crate::s3::S3ObjectStore;
use crate::sqs::SqsQueue;

/// The SDK clients a connector uses.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
    /// S3 client (path-style addressing when an endpoint is configured).
    pub s3: aws_sdk_s3::Client,
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

    /// Loads the shared SDK configuration: region, credentials (static, default chain, assumed
    /// role), timeouts, and no SDK-level retries (this crate's [`crate::retry`] policies retry).
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_on(None).await
    }

    /// [`Self::sdk_config`] on a given HTTP client (one connection pool shared by several
    /// connectors, see [`crate::http_client`]), or the SDK's default when `None`.
    pub async fn sdk_config_on(&self, http: Option<SharedHttpClient>) -> SdkConfig {
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
        if let Some(http) = http {
            loader = loader.http_client(http);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_sanitized() {
        assert_eq!(session_name_for("prod trail"), "s3conn-prod-trail");
        assert!(session_name_for(&"x".repeat(100)).len() <= 64);
    }
}
