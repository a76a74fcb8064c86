//! JSON text without a tree: validation that notes the top-level fields, a reader of those fields
//! for sources, the owned text of a validated event, and hand-written output.

mod fields;
mod raw;
mod span;
mod validate;
mod write;

pub use fields::TopLevel;
pub use raw::RawJson;
pub use span::Span;
pub(crate) use validate::Prefix;
pub use validate::{validate, FieldSpan, SyntaxError, Validator};
pub use write::{write_i64, write_single_line, write_str, write_u64};
