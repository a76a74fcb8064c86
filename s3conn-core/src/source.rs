//! The `LogSource` plugin trait and the registry of sources by id.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use serde::de::DeserializeSeed;
use serde::Deserialize;
use serde_json::Value;

use crate::json::{FieldSpan, TopLevel};
use crate::record::{Normalized, ObjectContext};

/// The fixed description of a log source: its id and the envelope of its records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceInfo {
    /// Registry id, e.g. `aws-cloudtrail`.
    pub id: String,
    /// Name shown to people, e.g. `AWS CloudTrail (JSON)`.
    pub display_name: String,
    /// The data-lake index: `Syslog` or `AWS Events`.
    pub index: String,
    /// The record's `msg_class`.
    pub msg_class: String,
    /// `msg_origin.source` (`s3`).
    pub origin_source: String,
    /// `msg_origin.vendor`.
    pub vendor: String,
    /// `msg_origin.category` (`paas`).
    pub category: String,
}

impl SourceInfo {
    /// A source description with `msg_origin.source = "s3"` and `category = "paas"`.
    pub fn new(id: &str, display_name: &str, index: &str, msg_class: &str, vendor: &str) -> Self {
        SourceInfo {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            index: index.to_owned(),
            msg_class: msg_class.to_owned(),
            origin_source: "s3".to_owned(),
            vendor: vendor.to_owned(),
            category: "paas".to_owned(),
        }
    }
}

/// Whether a source wants the objects under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyVerdict {
    /// Read the object.
    Accept,
    /// Skip it (acknowledged and counted under this reason).
    Skip(&'static str),
}

/// One decoded event handed to a source: its raw JSON and where it came from.
#[derive(Debug)]
pub struct Event<'a> {
    raw: &'a str,
    fields: Option<&'a [FieldSpan]>,
    context: &'a ObjectContext,
    list_name: Option<&'a str>,
    value: OnceCell<Value>,
}

impl<'a> Event<'a> {
    /// An event from its JSON text (which must be valid JSON, as framers emit it), its object and
    /// the list it was expanded from (if any).
    pub fn new(raw: &'a str, context: &'a ObjectContext, list_name: Option<&'a str>) -> Self {
        Event {
            raw,
            fields: None,
            context,
            list_name,
            value: OnceCell::new(),
        }
    }

    /// Adds the top-level fields the framer's validator noted for this event, so [`Event::parse`]
    /// reads only the fields it is asked for.
    pub fn with_fields(mut self, fields: Option<&'a [FieldSpan]>) -> Self {
        self.fields = fields;
        self
    }

    /// The event's JSON text, exactly as it was in the object.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The object the event came from.
    pub fn context(&self) -> &'a ObjectContext {
        self.context
    }

    /// The name of the list field the event was an element of (`Records`, `messagesDelivered`, …).
    pub fn list_name(&self) -> Option<&'a str> {
        self.list_name
    }

    /// Deserializes only the fields `T` names, borrowing strings from the event where it can.
    ///
    /// When the framer noted the event's top-level fields, the values of the fields `T` does not
    /// name are not read again at all.
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, serde_json::Error> {
        match self.fields {
            Some(fields) if self.raw.trim_start().starts_with('{') => {
                T::deserialize(TopLevel::new(self.raw, fields))
            }
            _ => serde_json::from_str(self.raw),
        }
    }

    /// Runs a `serde` seed over the event (e.g. a visitor that collects a few top-level fields),
    /// with the same field-skipping as [`Event::parse`].
    pub fn parse_seed<S: DeserializeSeed<'a>>(
        &self,
        seed: S,
    ) -> Result<S::Value, serde_json::Error> {
        match self.fields {
            Some(fields) if self.raw.trim_start().starts_with('{') => {
                seed.deserialize(TopLevel::new(self.raw, fields))
            }
            _ => {
                let mut de = serde_json::Deserializer::from_str(self.raw);
                let value = seed.deserialize(&mut de)?;
                de.end()?;
                Ok(value)
            }
        }
    }

    /// The whole event as a `serde_json::Value`, parsed once on first use.
    pub fn value(&self) -> &Value {
        self.value
            .get_or_init(|| serde_json::from_str(self.raw).unwrap_or(Value::Null))
    }
}

/// A plugin that normalizes the events of one kind of log.
///
/// # Contract
/// - `normalize` never fails: an event it cannot read still yields a [`Normalized`] whose
///   `fallback_reason` says why (the record is delivered with the object's time).
/// - `expand_fields` names object fields whose array value holds the events (e.g. `Records`); a
///   document with none of them is one event, and a top-level array always yields its elements.
/// - `accept_key` may skip objects the source does not own (e.g. CloudTrail digests).
/// - Implementations are immutable and shared across threads.
pub trait LogSource: Send + Sync + Debug {
    /// The id and envelope of this source.
    fn info(&self) -> &Arc<SourceInfo>;

    /// Object fields whose arrays hold the events.
    fn expand_fields(&self) -> &[String] {
        &[]
    }

    /// Whether to read the object at this key.
    fn accept_key(&self, _key: &str) -> KeyVerdict {
        KeyVerdict::Accept
    }

    /// Extracts time and common fields from one event.
    fn normalize(&self, event: &Event<'_>) -> Normalized;
}

const _: Option<&dyn LogSource> = None;

/// A failure to look up or register a source.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// No source has this id.
    #[error("unknown log source '{id}'; available: {}", available.join(", "))]
    Unknown {
        /// The id asked for.
        id: String,
        /// The ids registered.
        available: Vec<String>,
    },
    /// A source with this id is registered already.
    #[error("log source '{0}' is registered twice")]
    Duplicate(String),
}

/// The log sources available to a connector, by id.
#[derive(Debug, Clone, Default)]
pub struct SourceRegistry {
    sources: BTreeMap<String, Arc<dyn LogSource>>,
}

impl SourceRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source under its id; an id taken already is an error.
    pub fn register(&mut self, source: Arc<dyn LogSource>) -> Result<(), RegistryError> {
        let id = source.info().id.clone();
        if self.sources.contains_key(&id) {
            return Err(RegistryError::Duplicate(id));
        }
        self.sources.insert(id, source);
        Ok(())
    }

    /// The source with this id, or an error listing the ids available.
    pub fn get(&self, id: &str) -> Result<Arc<dyn LogSource>, RegistryError> {
        self.sources
            .get(id)
            .cloned()
            .ok_or_else(|| RegistryError::Unknown {
                id: id.to_owned(),
                available: self.ids(),
            })
    }

    /// The registered ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.sources.keys().cloned().collect()
    }

    /// Every registered source, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn LogSource>> {
        self.sources.values()
    }
}
