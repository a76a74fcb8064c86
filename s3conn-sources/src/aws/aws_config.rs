//! AWS Config configuration snapshots and configuration history files: `{"fileVersion":…,
//! "configurationItems":[…]}` documents, one event per configuration item.
//!
//! - time: `configurationItemCaptureTime` (RFC 3339, or epoch seconds as the API writes it);
//! - `event_name`: `configurationItemStatus` (`OK`, `ResourceDiscovered`, `ResourceDeleted`, …);
//! - `event_type`: `resourceType` (`AWS::EC2::Instance`, …);
//! - `host`: `resourceName`, then `resourceId` (the resource the item describes);
//! - no `user`, `src_ip` or `outcome`: a configuration item records a state, not an action.
//!
//! Keys ending in `ConfigWritabilityCheckFile` (the empty object Config writes to test the bucket)
//! are skipped, not read.

use s3conn_core::{Event, KeyVerdict, LogSource, Normalized};
use serde::Deserialize;

use crate::builtin_source::{builtin_source, builtin_source_accessors};
use crate::lenient::{Text, TimeVal};
use crate::normalize;

/// Registry id of the AWS Config source.
pub const ID: &str = "aws-config";
/// Skip reason for Config's bucket write test objects.
pub const WRITABILITY_CHECK_SKIP: &str = "aws config writability check file";

builtin_source!(
    /// The AWS Config (JSON) source.
    AwsConfig,
    [ID, "AWS Config (JSON)", "Syslog", "generic_s3_aws_config", "aws"],
    vec!["configurationItems".to_owned()]
);

/// Whether an object key is Config's writability check (`…/ConfigWritabilityCheckFile`).
pub fn is_writability_check_key(key: &str) -> bool {
    key.rsplit('/').next() == Some("ConfigWritabilityCheckFile")
}

/// The fields of a configuration item the source reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ItemView<'a> {
    #[serde(borrow, default)]
    configuration_item_capture_time: TimeVal<'a>,
    #[serde(borrow, default)]
    configuration_item_status: Text<'a>,
    #[serde(borrow, default)]
    resource_type: Text<'a>,
    #[serde(borrow, default)]
    resource_name: Text<'a>,
    #[serde(borrow, default)]
    resource_id: Text<'a>,
}

impl LogSource for AwsConfig {
    builtin_source_accessors!();

    fn accept_key(&self, key: &str) -> KeyVerdict {
        if is_writability_check_key(key) {
            KeyVerdict::Skip(WRITABILITY_CHECK_SKIP)
        } else {
            KeyVerdict::Accept
        }
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        let Some(c) = normalize::parse_event::<ItemView<'_>>(event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        normalize::finish(Normalized {
            timestamp_ms: c.configuration_item_capture_time.to_ms(),
            event_name: c.configuration_item_status.owned(),
            event_type: c.resource_type.owned(),
            host: c.resource_name.owned().or_else(|| c.resource_id.owned()),
            ..Normalized::default()
        })
    }
}
