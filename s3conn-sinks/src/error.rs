//! Why a sink cannot be built: always a configuration problem, named by its field.

/// A sink that cannot be built from its settings (a configuration error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting is invalid.
    #[error("sink.{field}: {reason}")]
    Invalid {
        /// The setting, e.g. `url`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA file cannot be read or holds no certificate.
    #[error("sink.ca_file {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Shorthand for [`BuildError::Invalid`].
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> BuildError {
    BuildError::Invalid {
        field,
        reason: reason.into(),
    }
}
