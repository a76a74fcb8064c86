//! s3conn-aws: the Amazon SQS queue and S3 object store of s3conn, its connector configuration,
//! and the connectivity check.
//!
//! - [`sqs::SqsQueue`] implements [`s3conn_core::Queue`] on aws-sdk-sqs.
//! - [`s3::S3ObjectStore`] implements [`s3conn_core::ObjectStore`] on aws-sdk-s3;
//!   [`bucket_clients::BucketClients`] gives it each bucket's client (role, region).
//! - [`error`] classifies every SDK failure once; [`retry`] retries with jittered backoff;
//!   [`requests`] counts the requests sent, by API.
//! - [`config::ConnectorConfig`] reads a connector's TOML file and builds the SDK clients.
//! - [`connectivity::check_connectivity`] checks credentials and reachability, changing nothing.
//! - [`dead_letter::SqsDeadLetterSink`] sends dead-lettered items to an SQS queue.
//! - [`lake::LakeSink`] writes records into an S3 data lake as Parquet (feature `parquet`) or
//!   gzip NDJSON objects.
//! - [`connector::Connector`] wires a configuration to the queue, the store and the core pipeline.

pub mod bucket_clients;
pub mod config;
pub mod connectivity;
pub mod connector;
pub mod dead_letter;
pub mod error;
pub mod http_client;
pub mod lake;
pub mod listing;
pub mod queue_depth;
pub mod requests;
pub mod retry;
pub mod s3;
pub mod sqs;
#[cfg(feature = "testing")]
pub mod testing;

pub use bucket_clients::{BucketClients, RegionSource};
pub use config::{
    AccessConfig, AwsClients, BucketConfig, ConfigError, ConnectorConfig, ConnectorConfigBuilder,
    CredentialsConfig, FileType, Framing, QueueUrl, QueueUrlForm, RoleConfig, Secret,
    DEFAULT_CONCURRENCY, DEFAULT_VISIBILITY_TIMEOUT,
};
pub use connectivity::{check_connectivity, ConnectivityReport, StatusClass};
pub use connector::Connector;
pub use dead_letter::SqsDeadLetterSink;
pub use error::{AwsError, AwsErrorKind};
pub use http_client::{shared_http_client, SharedHttpClient};
pub use requests::RequestCounts;
pub use retry::{RetryPolicies, RetryPolicy};
pub use s3::S3ObjectStore;
pub use sqs::SqsQueue;
