//! Lenient field readers: the types every typed partial view of a source is made of.
//!
//! Each accepts any JSON value without failing: a value of an unexpected type simply reads as
//! absent, so deserializing an event object never fails on one odd field. Strings are borrowed
//! from the event when they have no escapes and owned only when they do.

mod flag;
mod key_scan;
mod list;
mod object;
mod text;
mod time_value;
mod value;

pub use flag::Flag;
pub use key_scan::KeyScan;
pub use list::List;
pub use object::Obj;
pub use text::Text;
pub use time_value::{TimeVal, FILETIME_1970};
pub use value::{value_text, value_time};

#[cfg(test)]
mod tests;
