//! The connectivity check (the CLI's `s3conn test`): do the credentials and the network reach the queue and the buckets?
//!
//! It uses only the permissions of the README's minimal IAM policy, and changes nothing:
//! - `sqs:ReceiveMessage` with `VisibilityTimeout=0` and `WaitTimeSeconds=0`, at most one message,
//!   so no message is hidden from a running connector. (SQS still counts the receive in the
//!   message's `ApproximateReceiveCount`, which a redrive policy compares with `maxReceiveCount`.)
//! - for each bucket on the allow-list, `s3:ListBucket` (`ListObjectsV2`, one key, under
//!   `key_prefix`), then `s3:GetObject` of the first byte of the key listed, or of a key that does
//!   not exist when the listing is empty (`404 NoSuchKey` then proves the permission).
//!
//! Each bucket is checked with its own client: its `[[buckets]]` role (a role that cannot be
//! assumed fails `sts:AssumeRole`), in its region (a redirect to another region is followed).
//! A KMS key refusing the read of an SSE-KMS object fails `kms:Decrypt`, and says so.
//!
//! Each failure is reported with its HTTP status class and a recommendation for that class.

mod buckets;

use std::fmt;

use serde::Serialize;

use crate::bucket_clients::BucketClients;
use crate::config::ConnectorConfig;
use crate::error::{AwsError, AwsErrorKind};

/// The class of a failed check, by HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum StatusClass {
    /// 400: the configuration or the request is wrong.
    #[serde(rename = "400")]
    BadRequest,
    /// 401: the credentials are invalid or expired.
    #[serde(rename = "401")]
    Unauthorized,
    /// 403: the credentials lack a permission or are out of scope.
    #[serde(rename = "403")]
    Forbidden,
    /// 404: the queue or bucket does not exist.
    #[serde(rename = "404")]
    NotFound,
    /// 429: throttled.
    #[serde(rename = "429")]
    Throttled,
    /// 5xx: a server-side failure.
    #[serde(rename = "5xx")]
    ServerError,
    /// The endpoint's host name does not resolve.
    #[serde(rename = "dns")]
    Dns,
    /// The endpoint refused or dropped the connection.
    #[serde(rename = "connection")]
    Connection,
    /// The request timed out.
    #[serde(rename = "timeout")]
    Timeout,
}

impl StatusClass {
    /// The class of a classified failure.
    pub fn of(kind: AwsErrorKind) -> Self {
        match kind {
            AwsErrorKind::Unauthenticated => StatusClass::Unauthorized,
            AwsErrorKind::PermissionDenied => StatusClass::Forbidden,
            AwsErrorKind::NotFound => StatusClass::NotFound,
            AwsErrorKind::Throttled => StatusClass::Throttled,
            AwsErrorKind::Transient => StatusClass::ServerError,
            AwsErrorKind::Dns => StatusClass::Dns,
            AwsErrorKind::Connection => StatusClass::Connection,
            AwsErrorKind::Timeout => StatusClass::Timeout,
            AwsErrorKind::Configuration
            | AwsErrorKind::PreconditionFailed
            | AwsErrorKind::LeaseLost => StatusClass::BadRequest,
        }
    }

    /// The label shown to people: `400 configuration`, `dns`, ...
    pub fn label(self) -> &'static str {
        match self {
            StatusClass::BadRequest => "400 configuration",
            StatusClass::Unauthorized => "401 credentials invalid or expired",
            StatusClass::Forbidden => "403 permission or scope",
            StatusClass::NotFound => "404 not found",
            StatusClass::Throttled => "429 throttled",
            StatusClass::ServerError => "5xx server error",
            StatusClass::Dns => "DNS resolution failure",
            StatusClass::Connection => "connection failure",
            StatusClass::Timeout => "timeout",
        }
    }

    /// What the operator should do.
    pub fn recommendation(self) -> &'static str {
        match self {
            StatusClass::BadRequest => {
                "Check the configuration: queue URL, region, endpoint_url and bucket names."
            }
            StatusClass::Unauthorized => {
                "The credentials are invalid or expired: check access_key_id and secret_access_key \
                 (or the default credential chain), and renew temporary credentials or the session token."
            }
            StatusClass::Forbidden => {
                "The credentials lack a permission or are out of scope: grant sqs:ReceiveMessage, \
                 sqs:DeleteMessage, s3:GetObject and s3:ListBucket on this queue and these buckets, and \
                 check the queue, bucket and KMS key policies."
            }
            StatusClass::NotFound => {
                "The queue or bucket does not exist: check the queue URL, the region and the bucket names."
            }
            StatusClass::Throttled => {
                "AWS is throttling requests: the connector retries periodically with backoff; if it \
                 persists, lower concurrency or ask for a higher limit."
            }
            StatusClass::ServerError => "AWS reported a server error: retry later.",
            StatusClass::Dns => {
                "The endpoint's host name could not be resolved: check the region, endpoint_url and \
                 the DNS configuration of this host."
            }
            StatusClass::Connection => {
                "The endpoint could not be reached: check network access, proxy, firewall or VPC \
                 endpoint, and endpoint_url."
            }
            StatusClass::Timeout => {
                "The endpoint did not answer in time: check network connectivity to it."
            }
        }
    }
}

/// What to do when a KMS key refused access.
const KMS_RECOMMENDATION: &str = "The object is encrypted with SSE-KMS and these credentials may \
     not use its key: grant kms:Decrypt on the key's ARN in the reading identity's IAM policy and, \
     for a key in another account, in the key policy too.";

/// Why a check failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckFailure {
    /// The HTTP status class of the failure.
    pub status_class: StatusClass,
    /// The HTTP status received, when there was a response.
    pub http_status: Option<u16>,
    /// The service's error code, when given.
    pub code: Option<String>,
    /// The error message.
    pub message: String,
    /// What to do about it.
    pub recommendation: String,
    /// Whether a KMS key refused access (an SSE-KMS object the credentials may not decrypt).
    pub kms_denied: bool,
}

impl From<&AwsError> for CheckFailure {
    fn from(e: &AwsError) -> Self {
        let class = StatusClass::of(e.kind);
        let kms_denied = e.is_kms_denial();
        CheckFailure {
            status_class: class,
            http_status: e.status,
            code: e.code.clone(),
            message: e.to_string(),
            recommendation: if kms_denied {
                KMS_RECOMMENDATION.to_string()
            } else {
                class.recommendation().to_string()
            },
            kms_denied,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The check passed.
    Passed {
        /// What was seen.
        detail: String,
    },
    /// The check was not run.
    Skipped {
        /// Why not.
        reason: String,
    },
    /// The check failed.
    Failed(CheckFailure),
}

/// One check: an API permission on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The permission exercised, e.g. `sqs:ReceiveMessage`.
    pub permission: String,
    /// The resource: queue URL or `s3://bucket`.
    pub resource: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: CheckOutcome,
}

/// The result of a connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectivityReport {
    /// The connector's name.
    pub connector: String,
    /// Whether every check that ran passed.
    pub success: bool,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
}

impl ConnectivityReport {
    /// The first failure, if any.
    pub fn first_failure(&self) -> Option<&CheckFailure> {
        self.checks.iter().find_map(|c| match &c.outcome {
            CheckOutcome::Failed(f) => Some(f),
            _ => None,
        })
    }
}

impl fmt::Display for ConnectivityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.success { "OK" } else { "FAILED" };
        writeln!(f, "connection test of {:?}: {verdict}", self.connector)?;
        for c in &self.checks {
            match &c.outcome {
                CheckOutcome::Passed { detail } => {
                    writeln!(f, "  [ok]   {} on {}: {detail}", c.permission, c.resource)?
                }
                CheckOutcome::Skipped { reason } => {
                    writeln!(f, "  [skip] {} on {}: {reason}", c.permission, c.resource)?
                }
                CheckOutcome::Failed(x) => {
                    let label = if x.kms_denied {
                        "403 KMS key access denied"
                    } else {
                        x.status_class.label()
                    };
                    writeln!(f, "  [FAIL] {} on {}: {label}", c.permission, c.resource)?;
                    writeln!(f, "         {}", x.message)?;
                    writeln!(f, "         -> {}", x.recommendation)?;
                }
            }
        }
        Ok(())
    }
}

/// Runs the connection test of a configuration (builds its clients first).
pub async fn check_connectivity(config: &ConnectorConfig) -> ConnectivityReport {
    let clients = config.clients().await;
    check_connectivity_on(config, &clients.sqs, &config.bucket_clients(&clients)).await
}

/// Runs the connection test with given clients (a bucket's role cannot be assumed without the
/// store's SDK configuration: use [`check_connectivity_on`] for those).
pub async fn check_connectivity_with(
    config: &ConnectorConfig,
    sqs: &aws_sdk_sqs::Client,
    s3: &aws_sdk_s3::Client,
) -> ConnectivityReport {
    let buckets = BucketClients::new(s3.clone())
        .with_default_region(config.store_access.region.clone())
        .with_buckets(config.bucket_settings.iter().cloned());
    check_connectivity_on(config, sqs, &buckets).await
}

/// Runs the connection test with an SQS client and the per-bucket S3 clients: every configured
/// bucket is checked with its own role and region.
pub async fn check_connectivity_on(
    config: &ConnectorConfig,
    sqs: &aws_sdk_sqs::Client,
    bucket_clients: &BucketClients,
) -> ConnectivityReport {
    let mut checks = Vec::new();
    let queue_url = config.queue_url.api_url();
    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(1)
        .visibility_timeout(0)
        .wait_time_seconds(0)
        .send()
        .await;
    let queue_ok = received.is_ok();
    checks.push(Check {
        permission: "sqs:ReceiveMessage".into(),
        resource: config.queue_url.url.clone(),
        outcome: match received {
            Ok(out) => CheckOutcome::Passed {
                detail: format!(
                    "queue reachable ({} message(s) visible to a short poll; none hidden)",
                    out.messages().len()
                ),
            },
            Err(e) => CheckOutcome::Failed(CheckFailure::from(&AwsError::from_sdk(
                "sqs:ReceiveMessage",
                &e,
            ))),
        },
    });

    if config.buckets.is_empty() {
        checks.push(Check {
            permission: "s3:ListBucket, s3:GetObject".into(),
            resource: "s3://*".into(),
            outcome: CheckOutcome::Skipped {
                reason:
                    "no bucket allow-list configured: buckets are known only from notifications"
                        .into(),
            },
        });
    }
    for bucket in &config.buckets {
        checks.extend(buckets::check_bucket(config, bucket_clients, bucket).await);
    }

    let success = queue_ok
        && !checks
            .iter()
            .any(|c| matches!(c.outcome, CheckOutcome::Failed(_)));
    ConnectivityReport {
        connector: config.name.clone(),
        success,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_seed_table() {
        assert_eq!(
            StatusClass::of(AwsErrorKind::Configuration).label(),
            "400 configuration"
        );
        assert_eq!(
            StatusClass::of(AwsErrorKind::Unauthenticated),
            StatusClass::Unauthorized
        );
        assert_eq!(
            StatusClass::of(AwsErrorKind::PermissionDenied),
            StatusClass::Forbidden
        );
        assert_eq!(
            StatusClass::of(AwsErrorKind::NotFound),
            StatusClass::NotFound
        );
        assert_eq!(
            StatusClass::of(AwsErrorKind::Throttled),
            StatusClass::Throttled
        );
        assert_eq!(StatusClass::of(AwsErrorKind::Dns), StatusClass::Dns);
        assert_eq!(
            StatusClass::of(AwsErrorKind::Connection),
            StatusClass::Connection
        );
        assert!(StatusClass::Throttled
            .recommendation()
            .contains("retries periodically"));
    }

    #[test]
    fn report_serializes_and_displays() {
        let err = AwsError::new(
            "sqs:ReceiveMessage",
            AwsErrorKind::NotFound,
            Some(400),
            Some("NonExistentQueue".into()),
            "The specified queue does not exist.",
        );
        let report = ConnectivityReport {
            connector: "c".into(),
            success: false,
            checks: vec![Check {
                permission: "sqs:ReceiveMessage".into(),
                resource: "https://sqs.us-east-1.amazonaws.com/123456789012/q".into(),
                outcome: CheckOutcome::Failed(CheckFailure::from(&err)),
            }],
        };
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["checks"][0]["outcome"], "failed");
        assert_eq!(json["checks"][0]["status_class"], "404");
        assert_eq!(json["checks"][0]["http_status"], 400);
        let text = report.to_string();
        assert!(text.contains("FAILED"), "{text}");
        assert!(text.contains("404 not found"), "{text}");
        assert!(text.contains("check the queue URL"), "{text}");
        assert_eq!(
            report.first_failure().map(|f| f.status_class),
            Some(StatusClass::NotFound)
        );
    }
}
