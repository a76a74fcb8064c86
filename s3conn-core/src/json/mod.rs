//! JSON text without a tree: validation that notes the top-level fields, a reader of those fields
//! for sources, the owned text of a validated event, and hand-written output.

mod fields;
mod noted;
mod raw;
mod span;
mod validate;
mod write;

// The fuzz target `fuzz_targets/validate.rs` checks this reader against serde_json.
#[doc(hidden)]
pub use fields::TopLevel;
pub use noted::NotedField;
pub use raw::RawJson;
pub use span::Span;
pub(crate) use validate::Prefix;
// The benches (`benches/corpus`) keep the fields the framer noted.
pub use validate::SyntaxError;
#[doc(hidden)]
pub use validate::{FieldSpan, ValueHint};
// The benches (`benches/pipeline.rs`) and the fuzz target `fuzz_targets/validate.rs` run it alone.
#[doc(hidden)]
pub use validate::Validator;
pub(crate) use write::{any_needs_escape, write_escaped};
// The sinks (`s3conn-sinks`) write records in their destinations' formats with them.
pub use write::{write_i64, write_single_line, write_str, write_u64};
