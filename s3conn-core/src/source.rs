//! The `LogSource` plugin trait and the registry of sources by id.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use serde::de::DeserializeSeed;
use serde::Deserialize;
use serde_json::Value;

use crate::decode::text::TextFormat;
use crate::json::{FieldSpan, NotedField, TopLevel, Validator};
use crate::record::{Normalized, ObjectContext};

/// Re-exported from [`crate::record`], where the envelope it describes is.
pub use crate::record::SourceInfo;

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
    // The pipeline's own path, and the benches (`benches/sources.rs`, `benches/pipeline.rs`).
    #[doc(hidden)]
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

    /// Deserializes only the fields `T` names: borrow where possible, own where needed.
    ///
    /// Read strings as `Cow<'a, str>` with `#[serde(borrow)]`: a string without escapes is
    /// borrowed from the event, one with escapes (`"bob \"the builder\""`) is decoded into an
    /// owned `String`. serde borrows only a bare `Cow` field: `Option<Cow<'a, str>>` always owns,
    /// so for an optional string prefer `#[serde(borrow, default)] Cow<'a, str>` (empty when
    /// absent). A `&'a str` field can only borrow, so it fails on an escaped string; the error
    /// names the (top-level) field. When the framer noted the event's top-level fields, the values
    /// of the fields `T` does not name are not read again at all, and the plain strings and
    /// integers a text decoder wrote are read without a JSON parser.
    ///
    /// ```
    /// use std::borrow::Cow;
    ///
    /// use s3conn_core::{Event, ObjectContext, ObjectRef};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct View<'a> {
    ///     #[serde(borrow)]
    ///     event_name: Cow<'a, str>,
    ///     #[serde(borrow, default)]
    ///     user: Cow<'a, str>,
    /// }
    ///
    /// let context = ObjectContext::new(ObjectRef::new("bucket", "key"), None, None, None);
    /// let raw = r#"{"eventName":"Login","user":"bob \"the builder\"","other":[1,2]}"#;
    /// let event = Event::new(raw, &context, None);
    /// let view: View<'_> = event.parse()?;
    /// assert!(matches!(view.event_name, Cow::Borrowed("Login")));
    /// assert!(matches!(view.user, Cow::Owned(ref user) if user == r#"bob "the builder""#));
    ///
    /// // `&str` cannot hold the decoded string: an error that names the field, not a silent loss.
    /// #[derive(Debug, Deserialize)]
    /// #[allow(dead_code)]
    /// struct Borrowed<'a> {
    ///     user: &'a str,
    /// }
    /// let error = event.parse::<Borrowed<'_>>().unwrap_err();
    /// assert!(error.to_string().starts_with("field `user`: invalid type"), "{error}");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, serde_json::Error> {
        match self.fields {
            Some(fields) if self.is_object() => T::deserialize(TopLevel::new(self.raw, fields)),
            _ => serde_json::from_str(self.raw).map_err(|error| self.name_the_field::<T>(error)),
        }
    }

    /// `error` (from parsing the event without noted fields) again, through the field reader so it
    /// names the field; parses once more, on errors only.
    fn name_the_field<T: Deserialize<'a>>(&self, error: serde_json::Error) -> serde_json::Error {
        if !self.is_object() {
            return error;
        }
        let mut validator = Validator::new();
        if validator.validate(self.raw.as_bytes()).is_err() {
            return error;
        }
        match T::deserialize(TopLevel::new(self.raw, validator.fields())) {
            Err(named) => named,
            Ok(_) => error,
        }
    }

    /// Whether the event is a JSON object.
    fn is_object(&self) -> bool {
        self.raw.trim_start().starts_with('{')
    }

    /// The event's top-level fields as its framer wrote them, in order, when it noted them (text
    /// decoders always do): a source reads typed values straight from their positions, without
    /// a JSON parser (duplicate keys are all listed; the last one is the one `value()` keeps).
    /// `None` when the fields were not noted: read the event with [`Event::parse`].
    pub fn noted_fields(&self) -> Option<impl Iterator<Item = NotedField<'a>> + 'a> {
        let fields = self.fields?;
        let raw = self.raw;
        Some(fields.iter().map(move |f| NotedField::new(raw, f)))
    }

    /// Runs a [`DeserializeSeed`] over the event (e.g. a visitor that collects a few top-level
    /// fields), with the same field-skipping as [`Event::parse`].
    pub fn parse_seed<S: DeserializeSeed<'a>>(
        &self,
        seed: S,
    ) -> Result<S::Value, serde_json::Error> {
        match self.fields {
            Some(fields) if self.is_object() => seed.deserialize(TopLevel::new(self.raw, fields)),
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
///
/// # Example
/// A source for JSON lines like `{"time":"2024-05-01T12:00:00Z","action":"login","who":"bob"}`:
/// [`Event::parse`] reads only the fields it names into a view that borrows from the event
/// where it can.
///
/// ```
/// use std::borrow::Cow;
/// use std::sync::Arc;
///
/// use s3conn_core::{
///     CompactString, Event, LogSource, Normalized, ObjectContext, ObjectRef, SourceInfo,
/// };
/// use serde::Deserialize;
///
/// /// The fields the source reads; every other field stays unread.
/// #[derive(Deserialize)]
/// struct View<'a> {
///     #[serde(borrow)]
///     time: Cow<'a, str>,
///     #[serde(borrow, default)]
///     action: Cow<'a, str>,
///     #[serde(borrow, default)]
///     who: Cow<'a, str>,
/// }
///
/// #[derive(Debug)]
/// struct AppLog {
///     info: Arc<SourceInfo>,
/// }
///
/// impl LogSource for AppLog {
///     fn info(&self) -> &Arc<SourceInfo> {
///         &self.info
///     }
///
///     fn normalize(&self, event: &Event<'_>) -> Normalized {
///         // Never fails: an unreadable event keeps the object's time and says why.
///         let view: View<'_> = match event.parse() {
///             Ok(view) => view,
///             Err(e) => {
///                 let fallback_reason = Some(e.to_string().into());
///                 return Normalized { fallback_reason, ..Normalized::default() };
///             }
///         };
///         let timestamp_ms = s3conn_core::time::parse_rfc3339(&view.time);
///         // The common fields are `CompactString`s: short text is kept inline, unallocated.
///         let non_empty = |s: Cow<'_, str>| (!s.is_empty()).then(|| CompactString::from(s.as_ref()));
///         Normalized {
///             fallback_reason: timestamp_ms.is_none().then(|| format!("bad time {:?}", view.time).into()),
///             timestamp_ms,
///             event_name: non_empty(view.action),
///             user: non_empty(view.who),
///             ..Normalized::default()
///         }
///     }
/// }
///
/// let source = AppLog {
///     info: Arc::new(SourceInfo::new("app-log", "App log", "Syslog", "app_log", "Example")),
/// };
/// let context = ObjectContext::new(ObjectRef::new("logs", "app/1.json"), None, None, None);
/// let raw = r#"{"time":"2024-05-01T12:00:00Z","action":"login","who":"bob \"the builder\""}"#;
/// let normalized = source.normalize(&Event::new(raw, &context, None));
/// assert_eq!(normalized.timestamp_ms, Some(1_714_564_800_000));
/// assert_eq!(normalized.event_name.as_deref(), Some("login"));
/// assert_eq!(normalized.user.as_deref(), Some(r#"bob "the builder""#));
///
/// let unreadable = source.normalize(&Event::new(r#"{"action":"login"}"#, &context, None));
/// assert_eq!(unreadable.timestamp_ms, None);
/// assert!(unreadable.fallback_reason.is_some());
/// ```
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

    /// The text format of this source's objects, if they are text (VPC Flow Logs, ALB, …): each
    /// record becomes a JSON object with named fields handed to `normalize` as an ordinary event
    /// (see [`crate::decode::text`]). `None` (the default): JSON only. Objects whose content is
    /// JSON are decoded as JSON either way.
    fn text_format(&self) -> Option<&TextFormat> {
        None
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
