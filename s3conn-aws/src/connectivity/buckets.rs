//! The checks of one bucket: `s3:ListBucket` then `s3:GetObject`, with the bucket's own client
//! (its role, its region). A request S3 redirects to another region is sent again there; a role
//! that cannot be assumed fails `sts:AssumeRole`, naming the role.

use crate::bucket_clients::{BucketClients, RegionSource};
use crate::config::ConnectorConfig;
use crate::error::{AwsError, AwsErrorKind};

use super::{Check, CheckFailure, CheckOutcome};

/// How a bucket was addressed: role and region, for the report.
struct Via {
    role: Option<String>,
    region: String,
    source: RegionSource,
}

impl Via {
    fn who(&self) -> String {
        match &self.role {
            Some(arn) => format!("role {arn}"),
            None => "the store's credentials".to_string(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "with {} in {} ({})",
            self.who(),
            self.region,
            self.source.describe()
        )
    }
}

/// What to do about a failure of `permission` on `bucket`, when more can be said than the class's
/// general advice.
fn recommendation(permission: &str, bucket: &str, via: &Via, err: &AwsError) -> Option<String> {
    match (permission, err.kind) {
        ("sts:AssumeRole", _) => Some(format!(
            "The {} could not be assumed: allow the store's identity sts:AssumeRole on it, and \
             check the role's trust policy (its principal names the store's identity; \
             sts:ExternalId matches role_external_id).",
            via.who()
        )),
        ("s3:ListBucket", AwsErrorKind::PermissionDenied) => Some(format!(
            "Grant s3:ListBucket on arn:aws:s3:::{bucket} to {} (in its IAM policy, and in the \
             bucket policy when the bucket is in another account).",
            via.who()
        )),
        ("s3:GetObject", AwsErrorKind::PermissionDenied) => Some(format!(
            "Grant s3:GetObject (and s3:GetObjectVersion) on arn:aws:s3:::{bucket}/* to {} (in \
             its IAM policy, and in the bucket policy when the bucket is in another account).",
            via.who()
        )),
        _ => None,
    }
}

/// A failed check of `permission` on `bucket`, its message saying how the bucket was addressed.
fn failed(permission: &str, bucket: &str, via: &Via, err: &AwsError) -> Check {
    let mut failure = CheckFailure::from(err);
    failure.message = format!("{}: {}", via.describe(), failure.message);
    if !failure.kms_denied {
        if let Some(r) = recommendation(permission, bucket, via, err) {
            failure.recommendation = r;
        }
    }
    Check {
        permission: permission.into(),
        resource: format!("s3://{bucket}"),
        outcome: CheckOutcome::Failed(failure),
    }
}

fn skipped(permission: &str, resource: &str, reason: &str) -> Check {
    Check {
        permission: permission.into(),
        resource: resource.into(),
        outcome: CheckOutcome::Skipped {
            reason: reason.into(),
        },
    }
}

/// Whether a failure is the role's assumption rather than S3: no response, credentials refused.
fn is_assume_role_failure(via: &Via, err: &AwsError) -> bool {
    via.role.is_some()
        && err.status.is_none()
        && matches!(
            err.kind,
            AwsErrorKind::Unauthenticated | AwsErrorKind::Configuration
        )
}

/// The checks of `bucket`, with its own client.
pub(super) async fn check_bucket(
    config: &ConnectorConfig,
    clients: &BucketClients,
    bucket: &str,
) -> Vec<Check> {
    let resource = format!("s3://{bucket}");
    let (region, source) = clients.region_for(bucket, None);
    let mut via = Via {
        role: clients
            .bucket(bucket)
            .and_then(|b| b.role.as_ref())
            .map(|r| r.arn.clone()),
        region,
        source,
    };
    let mut redirected = false;
    let (client, listed) = loop {
        let client = match clients.client(bucket, &via.region).await {
            Ok(c) => c,
            Err(e) => {
                return vec![
                    failed("sts:AssumeRole", bucket, &via, &e),
                    skipped("s3:ListBucket, s3:GetObject", &resource, "no credentials"),
                ]
            }
        };
        let listed = client
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(1)
            .set_prefix(config.key_prefix.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:ListBucket", &e));
        match listed {
            Err(e) if !redirected && e.is_wrong_region() => {
                match clients.discover_region(bucket, &via.region, &e).await {
                    Some(actual) => {
                        via.region = actual;
                        via.source = RegionSource::Discovered;
                        redirected = true;
                    }
                    None => break (client, Err(e)),
                }
            }
            other => break (client, other),
        }
    };
    let key = match listed {
        Ok(out) => out
            .contents()
            .first()
            .and_then(|o| o.key())
            .map(str::to_string),
        Err(e) => {
            let (permission, reason) = if is_assume_role_failure(&via, &e) {
                ("sts:AssumeRole", "the role could not be assumed")
            } else {
                ("s3:ListBucket", "the bucket could not be listed")
            };
            let mut checks = vec![failed(permission, bucket, &via, &e)];
            if permission == "sts:AssumeRole" {
                checks.push(skipped("s3:ListBucket", &resource, reason));
            }
            checks.push(skipped("s3:GetObject", &resource, reason));
            return checks;
        }
    };
    let list_check = Check {
        permission: "s3:ListBucket".into(),
        resource: resource.clone(),
        outcome: CheckOutcome::Passed {
            detail: match &key {
                Some(k) => format!("listed {}; first key {k:?}", via.describe()),
                None => format!("listed {}; no object under the prefix", via.describe()),
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
    let got = client
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
                return vec![
                    list_check,
                    failed(
                        if err.is_kms_denial() {
                            "kms:Decrypt"
                        } else {
                            "s3:GetObject"
                        },
                        bucket,
                        &via,
                        &err,
                    ),
                ];
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
