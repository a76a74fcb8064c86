//! The owned text of one validated JSON value.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::validate::{validate, SyntaxError};

/// The text of one valid JSON value, kept byte for byte (an event as it was in its object).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// Checks `text` and keeps it.
    pub fn new(text: &str) -> Result<Self, SyntaxError> {
        validate(text.as_bytes()).map(Self::from_validated)
    }

    /// Keeps text that a framer has already validated.
    pub(crate) fn from_validated(text: &str) -> Self {
        RawJson(text.into())
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RawJson").field(&&*self.0).finish()
    }
}

impl std::fmt::Display for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RawJson {
    /// Written through as JSON (not as a string) by `serde_json`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match RawValue::from_string(self.0.to_string()) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_str(&self.0),
        }
    }
}
