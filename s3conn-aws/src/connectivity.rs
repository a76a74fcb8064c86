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
//! Each failure is reported with its HTTP status class and a recommendation for that class.

use std::fmt;

use serde::Serialize;

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
}

impl From<&AwsError> for CheckFailure {
    fn from(e: &AwsError) -> Self {
        let class = StatusClass::of(e.kind);
        CheckFailure {
            status_class: class,
            http_status: e.status,
            code: e.code.clone(),
            message: e.to_string(),
            recommendation: class.recommendation().to_string(),
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
                    writeln!(
                        f,
                        "  [FAIL] {} on {}: {}",
                        c.permission,
                        c.resource,
                        x.status_class.label()
                    )?;
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
    check_connectivity_with(config, &clients.sqs, &clients.s3).await
}

/// Runs the connection test with given clients.
pub async fn check_connectivity_with(
    config: &ConnectorConfig,
    sqs: &aws_sdk_sqs::Client,
    s3: &aws_sdk_s3::Client,
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
        checks.extend(check_bucket(config, s3, bucket).await);
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

async fn check_bucket(
    config: &ConnectorConfig,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Vec<Check> {
    let resource = format!("s3://{bucket}");
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(1)
        .set_prefix(config.key_prefix.clone())
        .send()
        .await;
    let key = match listed {
        Ok(out) => out
            .contents()
            .first()
            .and_then(|o| o.key())
            .map(str::to_string),
        Err(e) => {
            let failure = CheckFailure::from(&AwsError::from_sdk("s3:ListBucket", &e));
            return vec![
                Check {
                    permission: "s3:ListBucket".into(),
                    resource: resource.clone(),
                    outcome: CheckOutcome::Failed(failure),
                },
                Check {
                    permission: "s3:GetObject".into(),
                    resource,
                    outcome: CheckOutcome::Skipped {
                        reason: "the bucket could not be listed".into(),
                    },
                },
            ];
        }
    };
    let list_check = Check {
        permission: "s3:ListBucket".into(),
        resource: resource.clone(),
        outcome: CheckOutcome::Passed {
            detail: match &key {
                Some(k) => format!("listed; first key {k:?}"),
                None => "listed; no object under the prefix".into(),
            },
        },
    };
    // With s3:ListBucket granted, S3 answers a missing key with 404 only when s3:GetObject is
    // granted too (403 otherwise), so a probe key tests the permission when the bucket is empty.
    let (probe, existing) = match key {
        Some(k) => (k, true),
        None => (
            format!(
                "{}s3conn-connection-test-{}",
                config.key_prefix.clone().unwrap_or_default(),
                fastrand::u64(..)
            ),
            false,
        ),
    };
    let got = s3
        .get_object()
        .bucket(bucket)
        .key(&probe)
        .range("bytes=0-0")
        .send()
        .await;
    let outcome = match got {
        Ok(_) => CheckOutcome::Passed {
            detail: format!("read the first byte of {probe:?}"),
        },
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetObject", &e);
            if !existing
                && err.kind == AwsErrorKind::NotFound
                && err.code.as_deref() != Some("NoSuchBucket")
            {
                CheckOutcome::Passed {
                    detail: "permitted (probe of a missing key answered 404)".into(),
                }
            } else if existing && err.status == Some(416) {
                CheckOutcome::Passed {
                    detail: format!("permitted ({probe:?} is empty)"),
                }
            } else {
                CheckOutcome::Failed(CheckFailure::from(&err))
            }
        }
    };
    vec![
        list_check,
        Check {
            permission: "s3:GetObject".into(),
            resource,
            outcome,
        },
    ]
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
