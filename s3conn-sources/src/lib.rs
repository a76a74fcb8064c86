//! s3conn-sources: the built-in log sources of s3conn, their registry, and declarative sources.
//!
//! Each built-in source sits behind its own cargo feature (all on by default):
//!
//! | id | display name | index | msg_class | vendor |
//! |---|---|---|---|---|
//! | `aws-cloudtrail` | AWS CloudTrail (JSON) | AWS Events | generic_s3_cloudtrail | aws |
//! | `crowdstrike` | CrowdStrike (JSON) | Syslog | generic_s3_crowdstrike_log | crowdstrike |
//! | `generic` | Generic (JSON) | Syslog | generic_s3_log | aws |
//! | `proofpoint` | Proofpoint (JSON) | Syslog | generic_s3_proofpoint_log | proofpoint |
//! | `teleport` | Teleport (JSON) | Syslog | generic_s3_teleport_log | teleport |
//!
//! and AWS's own service logs (see [`aws`]): `aws-alb`, `aws-cloudfront`, `aws-config`,
//! `aws-guardduty`, `aws-route53-resolver`, `aws-s3-access`, `aws-vpcflow`, `aws-waf`.
//!
//! ```
//! let registry = s3conn_sources::builtin_registry();
//! assert!(registry.get("teleport").is_ok());
//! for entry in s3conn_sources::catalog(&registry) {
//!     println!("{}", entry);
//! }
//! ```
//!
//! A source can also be described in TOML or JSON and loaded at run time: see [`declarative`].
//! [`resolve`] turns a `log_source` setting (an id, its `_` alias, or a spec path) into a source.

use std::fmt;
use std::sync::Arc;

use s3conn_core::source::RegistryError;
use s3conn_core::{LogSource, SourceRegistry};

pub mod aws;
mod builtin_source;
pub mod declarative;
pub mod lenient;
pub mod network;
pub mod normalize;
mod resolve;

#[cfg(feature = "cloudtrail")]
pub mod cloudtrail;
#[cfg(feature = "crowdstrike")]
pub mod crowdstrike;
#[cfg(feature = "generic")]
pub mod generic;
#[cfg(feature = "proofpoint")]
pub mod proofpoint;
#[cfg(feature = "teleport")]
pub mod teleport;

#[cfg(feature = "cloudtrail")]
pub use cloudtrail::CloudTrail;
#[cfg(feature = "crowdstrike")]
pub use crowdstrike::CrowdStrike;
pub use declarative::{DeclarativeSource, SourceSpec, SpecError};
#[cfg(feature = "generic")]
pub use generic::{GenericJson, GenericOptions};
#[cfg(feature = "proofpoint")]
pub use proofpoint::Proofpoint;
pub use resolve::{resolve, resolve_in, ResolveError};
#[cfg(feature = "teleport")]
pub use teleport::Teleport;

/// One instance of every built-in source enabled by cargo features, sorted by id.
#[allow(clippy::vec_init_then_push)]
pub fn builtin_sources() -> Vec<Arc<dyn LogSource>> {
    #[allow(unused_mut)]
    let mut out: Vec<Arc<dyn LogSource>> = Vec::new();
    #[cfg(feature = "alb")]
    out.push(Arc::new(aws::Alb::new()));
    #[cfg(feature = "cloudfront")]
    out.push(Arc::new(aws::CloudFront::new()));
    #[cfg(feature = "cloudtrail")]
    out.push(Arc::new(CloudTrail::new()));
    #[cfg(feature = "awsconfig")]
    out.push(Arc::new(aws::AwsConfig::new()));
    #[cfg(feature = "guardduty")]
    out.push(Arc::new(aws::GuardDuty::new()));
    #[cfg(feature = "route53-resolver")]
    out.push(Arc::new(aws::Route53Resolver::new()));
    #[cfg(feature = "s3-access")]
    out.push(Arc::new(aws::S3Access::new()));
    #[cfg(feature = "vpcflow")]
    out.push(Arc::new(aws::VpcFlow::new()));
    #[cfg(feature = "waf")]
    out.push(Arc::new(aws::Waf::new()));
    #[cfg(feature = "crowdstrike")]
    out.push(Arc::new(CrowdStrike::new()));
    #[cfg(feature = "generic")]
    out.push(Arc::new(GenericJson::new()));
    #[cfg(feature = "proofpoint")]
    out.push(Arc::new(Proofpoint::new()));
    #[cfg(feature = "teleport")]
    out.push(Arc::new(Teleport::new()));
    out
}

/// Registers every built-in source; fails if one of their ids is taken already.
pub fn register_builtin(registry: &mut SourceRegistry) -> Result<(), RegistryError> {
    for source in builtin_sources() {
        registry.register(source)?;
    }
    Ok(())
}

/// A registry holding exactly the built-in sources.
pub fn builtin_registry() -> SourceRegistry {
    let mut registry = SourceRegistry::new();
    for source in builtin_sources() {
        // Built-in ids are distinct, so registering into an empty registry cannot fail.
        let _ = registry.register(source);
    }
    registry
}

/// What `s3conn sources` lists about one source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CatalogEntry {
    /// Registry id.
    pub id: String,
    /// Name shown to people.
    pub display_name: String,
    /// Data-lake index.
    pub index: String,
    /// The records' `msg_class`.
    pub msg_class: String,
    /// `msg_origin.vendor`.
    pub vendor: String,
}

impl fmt::Display for CatalogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<20} {:<29} {:<11} {}",
            self.id, self.display_name, self.index, self.msg_class
        )
    }
}

/// The sources of a registry, sorted by id, as `s3conn sources` lists them.
pub fn catalog(registry: &SourceRegistry) -> Vec<CatalogEntry> {
    registry
        .iter()
        .map(|s| {
            let i = s.info();
            CatalogEntry {
                id: i.id.clone(),
                display_name: i.display_name.clone(),
                index: i.index.clone(),
                msg_class: i.msg_class.clone(),
                vendor: i.vendor.clone(),
            }
        })
        .collect()
}

/// The catalog as a text table with a header line (for `s3conn sources`).
pub fn catalog_table(registry: &SourceRegistry) -> String {
    let mut out = format!(
        "{:<20} {:<29} {:<11} {}\n",
        "ID", "DISPLAY NAME", "INDEX", "MSG_CLASS"
    );
    for e in catalog(registry) {
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ids_and_catalog() {
        let reg = builtin_registry();
        let ids = reg.ids();
        #[cfg(all(
            feature = "cloudtrail",
            feature = "crowdstrike",
            feature = "generic",
            feature = "proofpoint",
            feature = "teleport",
            feature = "alb",
            feature = "cloudfront",
            feature = "awsconfig",
            feature = "guardduty",
            feature = "route53-resolver",
            feature = "s3-access",
            feature = "vpcflow",
            feature = "waf"
        ))]
        assert_eq!(
            ids,
            [
                "aws-alb",
                "aws-cloudfront",
                "aws-cloudtrail",
                "aws-config",
                "aws-guardduty",
                "aws-route53-resolver",
                "aws-s3-access",
                "aws-vpcflow",
                "aws-waf",
                "crowdstrike",
                "generic",
                "proofpoint",
                "teleport"
            ]
        );
        let mut again = builtin_registry();
        // With no source feature on there is nothing to register twice.
        assert_eq!(
            register_builtin(&mut again).is_err(),
            !ids.is_empty(),
            "duplicates rejected"
        );
        let table = catalog_table(&reg);
        assert_eq!(table.lines().count(), ids.len() + 1);
        let msg_class_column = table.find("MSG_CLASS").expect("header");
        for (entry, line) in catalog(&reg).iter().zip(table.lines().skip(1)) {
            assert!(table.contains(&entry.msg_class));
            assert_eq!(
                line.find(&entry.msg_class),
                Some(msg_class_column),
                "aligned: {line}"
            );
        }
    }
}
