//! One resolver of `log_source` names, used by the library and the CLI alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3conn_core::{LogSource, SourceRegistry};

use crate::declarative::{DeclarativeSource, SpecError};

/// Why a `log_source` name could not be turned into a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The name is empty.
    #[error("empty log source name; known ids: {}", .known.join(", "))]
    Empty {
        /// The ids registered.
        known: Vec<String>,
    },
    /// Neither a registered id (as written or with `_` for `-`) nor an existing spec file.
    #[error(
        "unknown log source '{name}': tried the registered id{} {} and a spec file at {}, which does not exist; known ids: {}",
        if .ids.len() == 1 { "" } else { "s" },
        .ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(" and "),
        .spec_path.display(),
        .known.join(", ")
    )]
    Unknown {
        /// The name asked for.
        name: String,
        /// The ids looked up in the registry.
        ids: Vec<String>,
        /// Where a spec file was looked for.
        spec_path: PathBuf,
        /// The ids registered.
        known: Vec<String>,
    },
    /// The name is a spec file, but the spec could not be loaded.
    #[error("log source '{name}' (spec file {}): {source}", .path.display())]
    Spec {
        /// The name asked for.
        name: String,
        /// The spec file, as resolved against the base directory.
        path: PathBuf,
        /// What is wrong with it.
        source: Box<SpecError>,
    },
}

/// Resolves a `log_source` name among the built-in sources or as a spec file under `base_dir`.
///
/// A name is, in this order:
/// 1. a registered id (`aws-cloudtrail`);
/// 2. the same id written with `_` for `-` (`aws_cloudtrail`);
/// 3. a declarative spec file (`acme.toml`, `specs/acme.json`): a relative path is taken against
///    `base_dir`, the directory of the configuration file that names it. A name is read as a path
///    when it ends in `.toml` or `.json`, or when a file or directory of that name exists.
///
/// ```
/// use std::path::Path;
///
/// let source = s3conn_sources::resolve("aws_cloudtrail", Path::new(".")).unwrap();
/// assert_eq!(source.info().id, "aws-cloudtrail");
/// let err = s3conn_sources::resolve("no-such-source", Path::new(".")).unwrap_err();
/// assert!(err.to_string().contains("known ids:"));
/// ```
pub fn resolve(name: &str, base_dir: &Path) -> Result<Arc<dyn LogSource>, ResolveError> {
    resolve_in(&crate::builtin_registry(), name, base_dir)
}

/// Resolves a `log_source` name among the sources of `registry` or as a spec file under
/// `base_dir`, in the order [`resolve`] gives.
pub fn resolve_in(
    registry: &SourceRegistry,
    name: &str,
    base_dir: &Path,
) -> Result<Arc<dyn LogSource>, ResolveError> {
    if name.trim().is_empty() {
        return Err(ResolveError::Empty {
            known: registry.ids(),
        });
    }
    let mut ids = vec![name.to_owned()];
    let dashed = name.replace('_', "-");
    if dashed != name {
        ids.push(dashed);
    }
    if let Some(source) = ids.iter().find_map(|id| registry.get(id).ok()) {
        return Ok(source);
    }
    let path = base_dir.join(name);
    if name.ends_with(".toml") || name.ends_with(".json") || path.exists() {
        return match DeclarativeSource::from_path(&path) {
            Ok(source) => Ok(Arc::new(source)),
            Err(source) => Err(ResolveError::Spec {
                name: name.to_owned(),
                path,
                source: Box::new(source),
            }),
        };
    }
    Err(ResolveError::Unknown {
        name: name.to_owned(),
        ids,
        spec_path: path,
        known: registry.ids(),
    })
}

#[cfg(test)]
mod tests;
