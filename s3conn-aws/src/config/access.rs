//! Who talks to the queue and who reads the store: [`AccessConfig`] (credentials, role, region)
//! from the `[queue]` and `[store]` tables, each falling back to the top-level settings, and the
//! [`RoleConfig`] a bucket or a side may assume.
//!
//! Three groups fall back independently: the keys (`access_key_id`, `secret_access_key`,
//! `session_token`), the role (`role_arn`, `role_external_id`, `role_session_name`) and `region`.
//! A table that sets only `role_arn` assumes that role with the top-level keys.

use super::validate::non_empty;
use serde::Deserialize;

use super::error::{invalid, ConfigError};
use super::queue_url::is_region;
use super::secret::{CredentialsConfig, Secret};

/// A role to assume: its ARN, and the external id and session name to present.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleConfig {
    /// The role's ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub arn: String,
    /// External id required by the role's trust policy, if any.
    pub external_id: Option<String>,
    /// Session name (default `s3conn-CONNECTOR`).
    pub session_name: Option<String>,
}

impl RoleConfig {
    /// A role by ARN, without external id or session name.
    pub fn new(arn: impl Into<String>) -> Self {
        RoleConfig {
            arn: arn.into(),
            external_id: None,
            session_name: None,
        }
    }

    /// The same role, presenting `external_id`.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }
}

/// The identity and region one side (queue or store) uses.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessConfig {
    /// Where the credentials come from.
    pub credentials: CredentialsConfig,
    /// A role assumed with those credentials.
    pub role: Option<RoleConfig>,
    /// The region of the SDK clients (for the store: of a bucket whose region is not known).
    pub region: String,
}

/// A `[queue]` or `[store]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccess {
    /// Access key id (with `secret_access_key`).
    pub(super) access_key_id: Option<String>,
    /// Secret access key.
    pub(super) secret_access_key: Option<Secret>,
    /// Session token of temporary keys.
    pub(super) session_token: Option<Secret>,
    /// Role to assume.
    pub(super) role_arn: Option<String>,
    /// External id for the role.
    pub(super) role_external_id: Option<String>,
    /// Session name of the assumed role.
    pub(super) role_session_name: Option<String>,
    /// Region of this side's clients.
    pub(super) region: Option<String>,
}

/// The top-level settings every table falls back to, already validated.
pub(super) struct TopLevel<'a> {
    pub(super) credentials: &'a CredentialsConfig,
    pub(super) role: Option<RoleConfig>,
    pub(super) region: &'a str,
}

/// A role ARN as written in `field`: an IAM role ARN.
pub(super) fn check_role_arn_in(
    field: &'static str,
    role_arn: Option<String>,
) -> Result<Option<String>, ConfigError> {
    let role_arn = non_empty(role_arn);
    if let Some(arn) = &role_arn {
        if !arn.starts_with("arn:") || !arn.contains(":role/") {
            return Err(invalid(field, format!("{arn:?} is not an IAM role ARN")));
        }
    }
    Ok(role_arn)
}

/// A region as written in `field`.
pub(super) fn check_region_in(
    field: &'static str,
    region: Option<String>,
) -> Result<Option<String>, ConfigError> {
    let region = non_empty(region);
    if let Some(r) = &region {
        if !is_region(r) {
            return Err(invalid(field, format!("{r:?} is not an AWS region name")));
        }
    }
    Ok(region)
}

impl RawAccess {
    /// The access of side `side` (`queue` or `store`): this table over the top-level settings.
    pub(super) fn resolve(
        self,
        side: Side,
        top: &TopLevel<'_>,
        resolve_keys: impl Fn(
            Option<String>,
            Option<Secret>,
            Option<Secret>,
        ) -> Result<CredentialsConfig, ConfigError>,
    ) -> Result<AccessConfig, ConfigError> {
        let RawAccess {
            access_key_id,
            secret_access_key,
            session_token,
            role_arn,
            role_external_id,
            role_session_name,
            region,
        } = self;
        let has_keys =
            access_key_id.is_some() || secret_access_key.is_some() || session_token.is_some();
        let credentials = if has_keys {
            resolve_keys(access_key_id, secret_access_key, session_token).map_err(|e| match e {
                ConfigError::Invalid { field, reason } => invalid(side.field(field), reason),
                other => other,
            })?
        } else {
            top.credentials.clone()
        };
        let role = match check_role_arn_in(side.field("role_arn"), role_arn)? {
            Some(arn) => Some(RoleConfig {
                arn,
                external_id: non_empty(role_external_id),
                session_name: non_empty(role_session_name),
            }),
            None if role_external_id.is_some() || role_session_name.is_some() => {
                return Err(invalid(
                    side.field("role_arn"),
                    "is required with role_external_id or role_session_name",
                ))
            }
            None => top.role.clone(),
        };
        let region = check_region_in(side.field("region"), region)?
            .unwrap_or_else(|| top.region.to_string());
        Ok(AccessConfig {
            credentials,
            role,
            region,
        })
    }
}

/// Which table a setting is in, to name it in errors.
#[derive(Debug, Clone, Copy)]
pub(super) enum Side {
    /// `[queue]`.
    Queue,
    /// `[store]`.
    Store,
}

impl Side {
    /// `queue.FIELD` or `store.FIELD`.
    fn field(self, field: &str) -> &'static str {
        match (self, field) {
            (Side::Queue, "access_key_id") => "queue.access_key_id",
            (Side::Queue, "secret_access_key") => "queue.secret_access_key",
            (Side::Queue, "session_token") => "queue.session_token",
            (Side::Queue, "role_arn") => "queue.role_arn",
            (Side::Queue, "region") => "queue.region",
            (Side::Queue, _) => "queue",
            (Side::Store, "access_key_id") => "store.access_key_id",
            (Side::Store, "secret_access_key") => "store.secret_access_key",
            (Side::Store, "session_token") => "store.session_token",
            (Side::Store, "role_arn") => "store.role_arn",
            (Side::Store, "region") => "store.region",
            (Side::Store, _) => "store",
        }
    }
}
