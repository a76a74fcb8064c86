//! The common fields (`event_name`, `user`, …): their compiled candidates and transforms.

use std::borrow::Cow;

use s3conn_core::CompactString;

use crate::lenient::value_text;
use crate::network::{arn_last_part, ip_literal, strip_port};

use super::document::Document;
use super::error::{invalid, SpecError};
use super::locator::Locator;
use super::spec::{FieldSpec, Transform};

/// One common field of a spec, compiled: its candidate locations and their transform.
#[derive(Debug, Clone)]
pub(super) struct CompiledField {
    /// Candidates, the first usable wins.
    pub(super) from: Vec<Locator>,
    transform: Transform,
}

impl CompiledField {
    /// Compiles `fields.<name>` of a spec (`None` when the spec leaves it out).
    pub(super) fn compile(name: &str, f: &Option<FieldSpec>) -> Result<Option<Self>, SpecError> {
        let Some(f) = f else { return Ok(None) };
        if f.from.is_empty() {
            return Err(invalid(
                format!("fields.{name}"),
                "needs at least one pointer",
            ));
        }
        let from = f
            .from
            .iter()
            .enumerate()
            .map(|(i, s)| Locator::parse(s, &format!("fields.{name}[{i}]"), true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(CompiledField {
            from,
            transform: f.transform,
        }))
    }
}

/// A transform applied to one candidate's text; `None` when nothing usable is left.
fn apply(transform: Transform, s: &str) -> Option<CompactString> {
    let out: CompactString = match transform {
        Transform::None => s.into(),
        Transform::StripPort => strip_port(s).into(),
        Transform::Trim => s.trim().into(),
        Transform::Lowercase => s.to_lowercase().into(),
        Transform::IpOnly => ip_literal(s)?.into(),
        Transform::ArnLast => arn_last_part(s)?.into(),
    };
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

/// The text of a common field for one event: the first candidate that reads as usable text.
pub(super) fn extract(
    field: &Option<CompiledField>,
    v: &Document<'_, '_>,
    list: Option<&str>,
) -> Option<CompactString> {
    let f = field.as_ref()?;
    f.from.iter().find_map(|loc| {
        let text = match loc {
            Locator::ListName => list.filter(|l| !l.is_empty()).map(Cow::Borrowed),
            _ => loc.lookup(v).and_then(value_text),
        }?;
        apply(f.transform, &text)
    })
}
