//! [`ConfigError`]: why a configuration cannot be used.

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The TOML could not be parsed (the message never quotes the file's content).
    #[error("configuration file, line {line}: {message}")]
    Parse {
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read configuration {path}: {message}")]
    Io {
        /// Path of the file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// A field is missing or invalid.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A `[[routes]]` entry is invalid.
    #[error("invalid route {index} ({pattern}): {reason}")]
    Route {
        /// The route's position among `[[routes]]`, from 1.
        index: usize,
        /// Its pattern as written (`key_glob = "…"` or `key_regex = "…"`).
        pattern: String,
        /// What is wrong.
        reason: String,
    },
    /// The configured region contradicts the queue URL's.
    #[error("`region` is {configured:?} but the queue URL is in {in_url:?}: set region to {in_url:?} or remove it")]
    RegionMismatch {
        /// The region in the configuration.
        configured: String,
        /// The region the queue URL names.
        in_url: String,
    },
}

/// A [`ConfigError::Invalid`] of `field`.
pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}
