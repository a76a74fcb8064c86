//! [`SpecError`]: why a source spec could not be loaded.

/// A spec that could not be loaded; the message names the field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The spec file could not be read.
    #[error("cannot read source spec {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML, or a field is missing, unknown or of the wrong type.
    #[error("invalid source spec (TOML): {0}")]
    Toml(#[from] toml::de::Error),
    /// Not valid JSON, or a field is missing, unknown or of the wrong type.
    #[error("invalid source spec (JSON): {0}")]
    Json(#[from] serde_json::Error),
    /// A field has a value the spec does not allow.
    #[error("invalid source spec: field `{field}`: {reason}")]
    Invalid {
        /// Path of the field, e.g. `fields.user[1]`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

pub(super) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}
