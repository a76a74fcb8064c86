//! The buckets a connector reads: `buckets = ["a", "b"]` (the allow-list) or `[[buckets]]` tables
//! that give a bucket its own role and region ([`BucketConfig`]); both forms may be mixed in an
//! inline array.

use serde::Deserialize;

use super::access::{check_region_in, check_role_arn_in, RoleConfig};
use super::error::{invalid, ConfigError};

/// One bucket: its name, and the role and region to read it with when they are not the store's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketConfig {
    /// Bucket name.
    pub name: String,
    /// Role assumed (with the store's credentials) to read this bucket; `None`: the store's own.
    pub role: Option<RoleConfig>,
    /// The bucket's region; `None`: from the notification's `awsRegion`, else discovered.
    pub region: Option<String>,
}

impl BucketConfig {
    /// A bucket read with the store's credentials, its region unknown.
    pub fn new(name: impl Into<String>) -> Self {
        BucketConfig {
            name: name.into(),
            role: None,
            region: None,
        }
    }

    /// The same bucket, read with `role`.
    pub fn role(mut self, role: RoleConfig) -> Self {
        self.role = Some(role);
        self
    }

    /// The same bucket, in `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// A `[[buckets]]` table as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBucket {
    name: String,
    role_arn: Option<String>,
    role_external_id: Option<String>,
    role_session_name: Option<String>,
    region: Option<String>,
}

/// An entry of `buckets`: a name, or a table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(super) enum RawBucketEntry {
    /// `"name"`: on the allow-list, read like any other.
    Name(String),
    /// `{ name = "...", role_arn = "...", region = "..." }`.
    Table(RawBucket),
}

impl From<String> for RawBucketEntry {
    fn from(name: String) -> Self {
        RawBucketEntry::Name(name)
    }
}

impl From<BucketConfig> for RawBucketEntry {
    fn from(b: BucketConfig) -> Self {
        let (role_arn, role_external_id, role_session_name) = match b.role {
            Some(r) => (Some(r.arn), r.external_id, r.session_name),
            None => (None, None, None),
        };
        RawBucketEntry::Table(RawBucket {
            name: b.name,
            role_arn,
            role_external_id,
            role_session_name,
            region: b.region,
        })
    }
}

/// The buckets: the allow-list of names (in the order given, without duplicates) and the settings
/// of the buckets given as tables.
pub(super) fn check_buckets(
    entries: Option<Vec<RawBucketEntry>>,
) -> Result<(Vec<String>, Vec<BucketConfig>), ConfigError> {
    let mut allowed: Vec<String> = Vec::new();
    let mut settings: Vec<BucketConfig> = Vec::new();
    for entry in entries.unwrap_or_default() {
        let (name, table) = match entry {
            RawBucketEntry::Name(n) => (n, None),
            RawBucketEntry::Table(t) => (t.name.clone(), Some(t)),
        };
        let name = check_name(&name)?;
        if let Some(t) = table {
            if settings.iter().any(|b| b.name == name) {
                return Err(invalid(
                    "buckets",
                    format!("bucket {name:?} has two [[buckets]] tables"),
                ));
            }
            let role = match check_role_arn_in("buckets.role_arn", t.role_arn)? {
                Some(arn) => Some(RoleConfig {
                    arn,
                    external_id: t.role_external_id.filter(|s| !s.trim().is_empty()),
                    session_name: t.role_session_name.filter(|s| !s.trim().is_empty()),
                }),
                None if t.role_external_id.is_some() || t.role_session_name.is_some() => {
                    return Err(invalid(
                        "buckets.role_arn",
                        format!(
                            "bucket {name:?}: role_arn is required with role_external_id or role_session_name"
                        ),
                    ))
                }
                None => None,
            };
            let region = check_region_in("buckets.region", t.region).map_err(|e| match e {
                ConfigError::Invalid { field, reason } => {
                    invalid(field, format!("bucket {name:?}: {reason}"))
                }
                other => other,
            })?;
            settings.push(BucketConfig {
                name: name.clone(),
                role,
                region,
            });
        }
        if !allowed.contains(&name) {
            allowed.push(name);
        }
    }
    Ok((allowed, settings))
}

/// A bucket name: trimmed, 1-255 characters, no `/` or whitespace.
fn check_name(b: &str) -> Result<String, ConfigError> {
    let b = b.trim().to_string();
    if b.is_empty() || b.len() > 255 || b.contains('/') || b.chars().any(|c| c.is_whitespace()) {
        return Err(invalid("buckets", format!("{b:?} is not a bucket name")));
    }
    Ok(b)
}
