//! [`Locator`]: where in an event a spec's value comes from (a JSON pointer, a top-level key, or
//! the list the event was expanded from), parsed once at load time.

use serde_json::Value;

use super::document::Document;
use super::error::{invalid, SpecError};

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Locator {
    /// A JSON pointer (`/a/b`), split into its unescaped tokens once, at load time.
    Pointer(Vec<String>),
    /// A top-level key, taken literally (may contain `.` or `/`-free text).
    Key(String),
    /// The name of the list the event was expanded from.
    ListName,
}

impl Locator {
    pub(super) fn parse(s: &str, field: &str, allow_list: bool) -> Result<Self, SpecError> {
        if s == "$list" {
            return if allow_list {
                Ok(Locator::ListName)
            } else {
                Err(invalid(field, "`$list` is not allowed here"))
            };
        }
        if s.is_empty() {
            return Err(invalid(field, "empty pointer"));
        }
        if let Some(rest) = s.strip_prefix('/') {
            Ok(Locator::Pointer(
                rest.split('/')
                    .map(|t| t.replace("~1", "/").replace("~0", "~"))
                    .collect(),
            ))
        } else if s.starts_with('$') {
            Err(invalid(
                field,
                format!("unknown special value `{s}` (only `$list`)"),
            ))
        } else {
            Ok(Locator::Key(s.to_owned()))
        }
    }

    /// The top-level key this location starts at (`None` for `$list`).
    pub(super) fn top(&self) -> Option<&str> {
        match self {
            Locator::Pointer(tokens) => tokens.first().map(String::as_str),
            Locator::Key(k) => Some(k),
            Locator::ListName => None,
        }
    }

    pub(super) fn lookup<'v>(&self, doc: &'v Document<'_, '_>) -> Option<&'v Value> {
        let start = doc.top(self.top()?)?;
        match self {
            Locator::Pointer(tokens) => tokens.iter().skip(1).try_fold(start, |at, t| match at {
                Value::Object(map) => map.get(t.as_str()),
                Value::Array(items) => index(t).and_then(|i| items.get(i)),
                _ => None,
            }),
            _ => Some(start),
        }
    }
}

/// An array index token of a JSON pointer (digits, no leading zero), as RFC 6901 defines it.
fn index(token: &str) -> Option<usize> {
    if token.is_empty()
        || (token.len() > 1 && token.starts_with('0'))
        || !token.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    token.parse().ok()
}
