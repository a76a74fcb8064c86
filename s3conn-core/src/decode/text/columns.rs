//! Where a record's field names come from: its object's header line, a W3C `#Fields:`
//! directive, or a fixed list (chosen per record among variants).

use super::record::Column;
use super::split::{unescape, Token};
use super::{Columns, ExtraFields, Split, TextFormat};
use crate::decode::{BadReason, DecodeError};

/// The columns of one object, as far as known.
#[derive(Debug)]
pub(super) enum ColumnSet {
    /// A header line is expected first.
    AwaitHeader,
    /// Named by the header line (kept to skip it when repeated).
    Header { columns: Vec<Column>, line: String },
    /// A `#Fields:` directive is expected before any record.
    AwaitFields,
    /// Named by the last `#Fields:` directive.
    Fields(Vec<Column>),
    /// Fixed lists.
    Fixed(Vec<FixedVariant>),
}

/// One fixed field list.
#[derive(Debug)]
pub(super) struct FixedVariant {
    first_values: Vec<String>,
    columns: Vec<Column>,
    min: usize,
}

/// What a record is.
pub(super) enum Pick<'c> {
    /// A header or directive: no event.
    Skip,
    /// An event with these columns (zipped with its tokens).
    Columns(&'c [Column]),
    /// Not a record of the format.
    Bad(BadReason),
}

/// The most of a header line quoted in an error.
const QUOTE_MAX: usize = 200;

fn quote(text: &str) -> String {
    let mut end = text.len().min(QUOTE_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}", &text[..end])
}

impl ColumnSet {
    /// The starting state for a format.
    pub(super) fn new(format: &TextFormat) -> Self {
        match &format.columns {
            Columns::HeaderLine { .. } => ColumnSet::AwaitHeader,
            Columns::W3c => ColumnSet::AwaitFields,
            Columns::Fixed(variants) => ColumnSet::Fixed(
                variants
                    .iter()
                    .map(|v| FixedVariant {
                        first_values: v.first_values.clone(),
                        columns: v
                            .fields
                            .iter()
                            .map(|f| Column::new(&f.name, f.kind))
                            .collect(),
                        min: v.min_fields.min(v.fields.len()),
                    })
                    .collect(),
            ),
        }
    }

    /// The columns of `rec` when they are known without splitting it: named by a header line
    /// (and `rec` is not that line again) or by a `#Fields:` directive (and `rec` is not a
    /// directive); `None` for anything [`ColumnSet::pick`] must look at.
    pub(super) fn settled(&self, rec: &[u8]) -> Option<&[Column]> {
        match self {
            ColumnSet::Header { columns, line } if rec != line.as_bytes() => Some(columns),
            ColumnSet::Fields(columns) if rec.first() != Some(&b'#') => Some(columns),
            _ => None,
        }
    }

    /// What the record `rec`, split into `tokens`, is. Its bytes are read as text only where a
    /// header, a directive or an error needs it (an event's are checked as it is written).
    pub(super) fn pick(
        &mut self,
        format: &TextFormat,
        rec: &[u8],
        tokens: &[Token],
    ) -> Result<Pick<'_>, DecodeError> {
        let directive = rec.first() == Some(&b'#');
        if directive && matches!(self, ColumnSet::AwaitFields | ColumnSet::Fields(_)) {
            let text = match text_of(rec) {
                Ok(text) => text,
                Err(reason) => return Ok(Pick::Bad(reason)),
            };
            if let Some(fields) = text.strip_prefix("#Fields:") {
                let columns = fields
                    .split_ascii_whitespace()
                    .map(|name| Column::new(name, format.type_of(name)))
                    .collect();
                *self = ColumnSet::Fields(columns);
            }
            return Ok(Pick::Skip);
        }
        match self {
            ColumnSet::AwaitFields => match text_of(rec) {
                Err(reason) => Ok(Pick::Bad(reason)),
                Ok(text) => Err(DecodeError::MissingHeader {
                    format: format.name.clone(),
                    header: "#Fields: header".to_owned(),
                    found: format!("a record before any #Fields: line: {}", quote(text)),
                }),
            },
            ColumnSet::AwaitHeader => {
                let text = match text_of(rec) {
                    Ok(text) => text,
                    Err(reason) => return Ok(Pick::Bad(reason)),
                };
                *self = header(format, text, tokens)?;
                Ok(Pick::Skip)
            }
            ColumnSet::Header { columns, line } => {
                if rec == line.as_bytes() {
                    return Ok(Pick::Skip);
                }
                Ok(exact(columns, tokens.len()))
            }
            ColumnSet::Fields(columns) => Ok(exact(columns, tokens.len())),
            ColumnSet::Fixed(variants) => Ok(fixed(format, variants, rec, tokens)),
        }
    }
}

/// The record's text, or why it is not text.
pub(super) fn text_of(rec: &[u8]) -> Result<&str, BadReason> {
    std::str::from_utf8(rec).map_err(|e| BadReason::InvalidText {
        message: format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
    })
}

/// Columns that need exactly as many fields.
fn exact(columns: &[Column], found: usize) -> Pick<'_> {
    if found == columns.len() {
        Pick::Columns(columns)
    } else {
        Pick::Bad(BadReason::FieldCount {
            expected: columns.len().to_string(),
            found,
        })
    }
}

/// The first variant that takes the record.
fn fixed<'c>(
    format: &TextFormat,
    variants: &'c [FixedVariant],
    rec: &[u8],
    tokens: &[Token],
) -> Pick<'c> {
    let found = tokens.len();
    let first = tokens
        .first()
        .and_then(|t| rec.get(t.start..t.end))
        .unwrap_or_default();
    let mut expected = None;
    for v in variants {
        if !v.first_values.is_empty() && !v.first_values.iter().any(|f| f.as_bytes() == first) {
            continue;
        }
        let max = v.columns.len();
        let fits = found >= v.min && (found <= max || format.extra == ExtraFields::Ignore);
        if fits {
            return Pick::Columns(&v.columns);
        }
        expected.get_or_insert_with(|| {
            if v.min == max {
                max.to_string()
            } else {
                format!("{} to {max}", v.min)
            }
        });
    }
    match expected {
        Some(expected) => Pick::Bad(BadReason::FieldCount { expected, found }),
        None => Pick::Bad(BadReason::InvalidText {
            message: format!(
                "no field list of {} starts with {}",
                format.name,
                quote(&String::from_utf8_lossy(first))
            ),
        }),
    }
}

/// Whether `name` reads as a field name (not data: no leading digit, no spaces or dots).
fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'(' | b')' | b'/'))
}

/// The columns a header line names, or why it is not a header.
fn header(format: &TextFormat, text: &str, tokens: &[Token]) -> Result<ColumnSet, DecodeError> {
    let Columns::HeaderLine { header, expect_any } = &format.columns else {
        return Err(DecodeError::Unsupported(
            "no header line in this format".to_owned(),
        ));
    };
    let mut names = Vec::with_capacity(tokens.len());
    for t in tokens {
        let mut name = String::new();
        unescape(&text[t.start..t.end], t.escape, &mut name);
        names.push(name);
    }
    let csv = matches!(format.split, Split::Csv { .. });
    let bad = names.iter().find(|n| {
        if csv {
            n.trim().is_empty()
        } else {
            !is_name(n)
        }
    });
    let expected = expect_any.is_empty() || names.iter().any(|n| expect_any.contains(n));
    if bad.is_some() || !expected {
        let why = match bad {
            Some(n) => format!("{} is not a field name", quote(n)),
            None => format!("it names none of {}", expect_any.join(", ")),
        };
        return Err(DecodeError::MissingHeader {
            format: format.name.clone(),
            header: header.clone(),
            found: format!("the first line {} ({why})", quote(text)),
        });
    }
    let columns = names
        .iter()
        .map(|n| Column::new(n, format.type_of(n)))
        .collect();
    Ok(ColumnSet::Header {
        columns,
        line: text.to_owned(),
    })
}
