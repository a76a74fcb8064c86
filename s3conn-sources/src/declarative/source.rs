//! [`DeclarativeSource`]: a spec validated and compiled, and its `LogSource` implementation.

use std::path::Path;
use std::sync::Arc;

use s3conn_core::decode::text::TextFormat;
use s3conn_core::{Event, KeyVerdict, LogSource, Normalized, SourceInfo};

use crate::normalize;

use super::document::Document;
use super::error::{invalid, SpecError};
use super::field::{extract, CompiledField};
use super::locator::Locator;
use super::outcome::CompiledRule;
use super::spec::SourceSpec;
use super::timestamp::read_time;

/// A log source defined by a [`SourceSpec`].
#[derive(Debug, Clone)]
pub struct DeclarativeSource {
    info: Arc<SourceInfo>,
    spec: SourceSpec,
    time_fields: Vec<Locator>,
    /// Every top-level key a location starts at (what one scan of an event collects).
    top_keys: Vec<String>,
    event_name: Option<CompiledField>,
    event_type: Option<CompiledField>,
    user: Option<CompiledField>,
    src_ip: Option<CompiledField>,
    host: Option<CompiledField>,
    rules: Vec<CompiledRule>,
    text_format: Option<TextFormat>,
}

impl DeclarativeSource {
    /// Loads a spec written in TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, SpecError> {
        Self::from_spec(toml::from_str(text)?)
    }

    /// Loads a spec written in JSON.
    pub fn from_json_str(text: &str) -> Result<Self, SpecError> {
        Self::from_spec(serde_json::from_str(text)?)
    }

    /// Loads a spec file: JSON when it ends in `.json` (or starts with `{`), TOML otherwise.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{');
        if is_json {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        }
    }

    /// Validates a spec and builds the source.
    pub fn from_spec(spec: SourceSpec) -> Result<Self, SpecError> {
        if spec.id.is_empty()
            || !spec.id.bytes().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.')
            })
        {
            return Err(invalid(
                "id",
                "must be non-empty: lower-case letters, digits, `-`, `_`, `.`",
            ));
        }
        for (name, value) in [
            ("display_name", &spec.display_name),
            ("index", &spec.index),
            ("msg_class", &spec.msg_class),
            ("vendor", &spec.vendor),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(name, "must not be empty"));
            }
        }
        for (i, f) in spec.expand_fields.iter().enumerate() {
            if f.is_empty() {
                return Err(invalid(format!("expand_fields[{i}]"), "must not be empty"));
            }
        }
        for (i, f) in spec.skip_keys.iter().enumerate() {
            if f.is_empty() {
                return Err(invalid(format!("skip_keys[{i}]"), "must not be empty"));
            }
        }
        if spec.timestamp.fields.is_empty() {
            return Err(invalid("timestamp.fields", "needs at least one field"));
        }
        if spec.timestamp.formats.is_empty() {
            return Err(invalid("timestamp.formats", "needs at least one format"));
        }
        let time_fields = spec
            .timestamp
            .fields
            .iter()
            .enumerate()
            .map(|(i, s)| Locator::parse(s, &format!("timestamp.fields[{i}]"), false))
            .collect::<Result<Vec<_>, _>>()?;
        let event_name = CompiledField::compile("event_name", &spec.fields.event_name)?;
        let event_type = CompiledField::compile("event_type", &spec.fields.event_type)?;
        let user = CompiledField::compile("user", &spec.fields.user)?;
        let src_ip = CompiledField::compile("src_ip", &spec.fields.src_ip)?;
        let host = CompiledField::compile("host", &spec.fields.host)?;
        let rules = spec
            .outcome
            .iter()
            .enumerate()
            .map(|(i, r)| CompiledRule::compile(i, r))
            .collect::<Result<Vec<_>, _>>()?;
        let text_format = match &spec.format {
            Some(text) => Some(text.compile(&spec.display_name)?),
            None => None,
        };
        let mut top_keys: Vec<String> = Vec::new();
        let all_fields = [&event_name, &event_type, &user, &src_ip, &host];
        let locators = time_fields
            .iter()
            .chain(
                all_fields
                    .iter()
                    .filter_map(|f| f.as_ref())
                    .flat_map(|f| f.from.iter()),
            )
            .chain(rules.iter().map(|r| &r.at));
        for loc in locators {
            if let Some(k) = loc.top() {
                if !top_keys.iter().any(|t| t == k) {
                    top_keys.push(k.to_owned());
                }
            }
        }
        Ok(DeclarativeSource {
            top_keys,
            info: Arc::new(SourceInfo::new(
                &spec.id,
                &spec.display_name,
                &spec.index,
                &spec.msg_class,
                &spec.vendor,
            )),
            time_fields,
            event_name,
            event_type,
            user,
            src_ip,
            host,
            rules,
            text_format,
            spec,
        })
    }

    /// The spec this source was built from.
    pub fn spec(&self) -> &SourceSpec {
        &self.spec
    }
}

impl LogSource for DeclarativeSource {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }

    fn expand_fields(&self) -> &[String] {
        &self.spec.expand_fields
    }

    fn text_format(&self) -> Option<&TextFormat> {
        self.text_format.as_ref()
    }

    fn accept_key(&self, key: &str) -> KeyVerdict {
        if self.spec.skip_keys.iter().any(|s| key.contains(s.as_str())) {
            KeyVerdict::Skip("key matches skip_keys of the source spec")
        } else {
            KeyVerdict::Accept
        }
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        if !normalize::is_object(event) {
            return normalize::fallback(normalize::NOT_OBJECT);
        }
        let Some(v) = Document::scan(&self.top_keys, event) else {
            return normalize::fallback(normalize::NOT_OBJECT);
        };
        let v = &v;
        let formats = &self.spec.timestamp.formats;
        let timestamp_ms = self.time_fields.iter().find_map(|loc| {
            let x = loc.lookup(v)?;
            formats.iter().find_map(|f| read_time(x, *f))
        });
        let list = event.list_name();
        normalize::finish(Normalized {
            timestamp_ms,
            fallback_reason: None,
            event_name: extract(&self.event_name, v, list),
            event_type: extract(&self.event_type, v, list),
            user: extract(&self.user, v, list),
            src_ip: extract(&self.src_ip, v, list),
            host: extract(&self.host, v, list),
            outcome: self
                .rules
                .iter()
                .find(|r| r.matches(v))
                .map(CompiledRule::result),
        })
    }
}
