//! Declarative sources: a log source described by a TOML or JSON spec loaded at run time.
//!
//! ```toml
//! id = "acme-audit"
//! display_name = "Acme audit (JSON)"
//! index = "Syslog"
//! msg_class = "generic_s3_acme_log"
//! vendor = "acme"
//! expand_fields = ["entries"]          # optional: object fields whose arrays hold the events
//! skip_keys = ["/digest/"]             # optional: objects whose key contains one are skipped
//!
//! [timestamp]
//! fields = ["/meta/created", "ts"]     # JSON pointers, or a bare top-level key
//! formats = ["rfc3339", "epoch_ms"]    # optional, default ["auto"]
//!
//! [fields]                             # each: a pointer, a list of pointers (first usable wins),
//! event_name = "/action"               # or { from = [...], transform = "strip_port" }
//! event_type = "$list"                 # `$list`: the list the event was expanded from
//! user = ["/actor/name", "/actor/id"]
//! src_ip = { from = ["/client"], transform = "strip_port" }
//! host = "/host"
//!
//! [[outcome]]                          # rules in order; the first that matches decides
//! pointer = "/status"
//! equals = ["denied", "error"]         # or ends_with = [..] (+ ignore_case), or present = true
//! result = "failure"
//! ```
//!
//! A `[format]` table makes the source read text objects (VPC Flow style header line, W3C
//! `#Fields:`, CSV/TSV, quoted fixed lists): see [`TextSpec`]. Each record becomes a JSON object
//! with named fields, which the locations above read like any JSON event.
//!
//! Values are read exactly as the built-in sources read them: a string (empty means absent), a
//! number (its JSON text), or the first usable element of an array; objects, booleans and null are
//! absent. Errors name the offending field.

mod document;
mod error;
mod field;
mod locator;
mod outcome;
mod source;
mod spec;
mod text;
mod timestamp;

pub use error::SpecError;
pub use source::DeclarativeSource;
pub use spec::{
    FieldSpec, FieldsSpec, OutcomeName, OutcomeRule, SourceSpec, TimeFormat, TimestampSpec,
    Transform,
};
pub use text::{ExtraSpec, TextKind, TextSpec};
