//! The source resolver: what a `log_source` setting (or `--source`) names — a registered id, the
//! same id with `_` for `-`, or the path of a declarative spec (relative to a base directory).
//!
//! TODO(coordinator): s3conn_sources::resolve(name, base_dir) replaces this module after merge;
//! keep [`resolve_source`] as a re-export of it so the facade's name stays.

use std::path::Path;
use std::sync::Arc;

use s3conn_core::source::RegistryError;
use s3conn_core::LogSource;
use s3conn_sources::{DeclarativeSource, SpecError};

/// Why a source name could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Neither a registered id nor an existing spec file.
    #[error("log_source: {0}")]
    Unknown(#[from] RegistryError),
    /// A spec file that cannot be loaded.
    #[error("log_source {path}: {source}")]
    Spec {
        /// The spec's path.
        path: String,
        /// Why it cannot be loaded.
        source: SpecError,
    },
}

/// The log source `name` designates among the built-in sources: a registered id, the id with
/// `_` in place of `-` (`aws_cloudtrail`), or a declarative spec path (`.toml`/`.json`, or any
/// existing file) taken relative to `base_dir`.
pub fn resolve_source(name: &str, base_dir: &Path) -> Result<Arc<dyn LogSource>, ResolveError> {
    let registry = s3conn_sources::builtin_registry();
    if let Ok(source) = registry
        .get(name)
        .or_else(|_| registry.get(&name.replace('_', "-")))
    {
        return Ok(source);
    }
    let path = base_dir.join(name);
    if name.ends_with(".toml") || name.ends_with(".json") || path.exists() {
        let spec = DeclarativeSource::from_path(&path).map_err(|source| ResolveError::Spec {
            path: path.display().to_string(),
            source,
        })?;
        return Ok(Arc::new(spec));
    }
    Ok(registry.get(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_aliases_and_unknown_names() {
        let here = Path::new(".");
        #[cfg(feature = "cloudtrail")]
        {
            let a = resolve_source("aws-cloudtrail", here).expect("id");
            let b = resolve_source("aws_cloudtrail", here).expect("alias");
            assert_eq!(a.info().id, b.info().id);
        }
        assert!(matches!(
            resolve_source("no-such-source", here),
            Err(ResolveError::Unknown(_))
        ));
        assert!(matches!(
            resolve_source("missing.toml", here),
            Err(ResolveError::Spec { .. })
        ));
    }
}
