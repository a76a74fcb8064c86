//! The `[format]` table of a spec: a source whose objects are text, decoded by the core's text
//! decoders into JSON events with named fields (which the spec's locations then read).
//!
//! ```toml
//! [format]
//! kind = "w3c"                  # header_line | w3c | csv | tsv | quoted
//! integers = ["sc-bytes"]       # fields written as JSON integers when they read as one
//! numbers = ["time-taken"]      # fields written as JSON numbers when they read as one
//! absent = ["-"]                # texts meaning "absent" (default "-", none for csv/tsv)
//! ```

use s3conn_core::decode::text::{ExtraFields, Field, FieldType, TextFormat, Variant};
use serde::Deserialize;

use super::error::{invalid, SpecError};

/// Which text decoder reads the objects.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// The first line names the fields, `delimiter`-separated (VPC Flow Logs style).
    HeaderLine,
    /// W3C extended log format: `#Fields:` names the fields, tab-separated (CloudFront style).
    W3c,
    /// CSV with a header row (RFC 4180).
    Csv,
    /// TSV with a header row (RFC 4180 quoting, tab-separated).
    Tsv,
    /// Space-separated, `"..."` and `[...]` fields, the fixed list `fields` (ALB, S3 access).
    Quoted,
}

/// What to do with fields past the end of a fixed list.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExtraSpec {
    /// Dead-letter the record (the default).
    #[default]
    Reject,
    /// Drop them.
    Ignore,
}

/// The `[format]` table.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    /// The decoder.
    pub kind: TextKind,
    /// `header_line` only: the one-character delimiter (default a space).
    #[serde(default)]
    pub delimiter: Option<String>,
    /// `header_line`/`csv`/`tsv`: the header must name at least one of these.
    #[serde(default)]
    pub expect_any: Vec<String>,
    /// `quoted` only (required there): the field names, in order.
    #[serde(default)]
    pub fields: Vec<String>,
    /// `quoted` only: fewest fields a record may have (default: all).
    #[serde(default)]
    pub min_fields: Option<usize>,
    /// `quoted` only: fields past the list's end.
    #[serde(default)]
    pub extra_fields: ExtraSpec,
    /// Fields written as JSON integers when their text is one.
    #[serde(default)]
    pub integers: Vec<String>,
    /// Fields written as JSON numbers when their text is one.
    #[serde(default)]
    pub numbers: Vec<String>,
    /// Texts meaning "absent" (default `["-"]`; `[]` for csv and tsv).
    #[serde(default)]
    pub absent: Option<Vec<String>>,
    /// A regular expression matching the first line of a record that spans lines.
    #[serde(default)]
    pub multiline_start: Option<String>,
}

impl TextSpec {
    /// The text format this table describes; errors name the field at fault.
    pub(super) fn compile(&self, name: &str) -> Result<TextFormat, SpecError> {
        let kind_of = |n: &str| {
            if self.integers.iter().any(|i| i == n) {
                FieldType::Integer
            } else if self.numbers.iter().any(|i| i == n) {
                FieldType::Number
            } else {
                FieldType::Text
            }
        };
        if self.kind != TextKind::Quoted && !self.fields.is_empty() {
            return Err(invalid(
                "format.fields",
                "only `quoted` takes a fixed field list; the others read names from the object",
            ));
        }
        let mut format = match self.kind {
            TextKind::HeaderLine => {
                let delimiter = match self.delimiter.as_deref() {
                    None => b' ',
                    Some(d) if d.len() == 1 => d.as_bytes()[0],
                    Some(_) => {
                        return Err(invalid("format.delimiter", "must be one ASCII character"))
                    }
                };
                TextFormat::header_line(name, delimiter, "header line")
            }
            TextKind::W3c => TextFormat::w3c(name),
            TextKind::Csv => TextFormat::csv(name, b','),
            TextKind::Tsv => TextFormat::csv(name, b'\t'),
            TextKind::Quoted => {
                if self.fields.is_empty() {
                    return Err(invalid("format.fields", "`quoted` needs its field list"));
                }
                if let Some((i, _)) = self.fields.iter().enumerate().find(|(_, f)| f.is_empty()) {
                    return Err(invalid(format!("format.fields[{i}]"), "must not be empty"));
                }
                let fields: Vec<Field> = self
                    .fields
                    .iter()
                    .map(|n| Field {
                        name: n.clone(),
                        kind: kind_of(n),
                    })
                    .collect();
                let mut variant = Variant::new(fields);
                if let Some(min) = self.min_fields {
                    if min == 0 || min > variant.fields.len() {
                        return Err(invalid(
                            "format.min_fields",
                            "must be between 1 and the number of fields",
                        ));
                    }
                    variant = variant.min_fields(min);
                }
                TextFormat::quoted_variants(name, vec![variant])
            }
        };
        if self.delimiter.is_some() && self.kind != TextKind::HeaderLine {
            return Err(invalid(
                "format.delimiter",
                "only `header_line` takes a delimiter",
            ));
        }
        let refs: Vec<&str> = self.expect_any.iter().map(String::as_str).collect();
        format = format.expect_any(&refs);
        let types: Vec<Field> = self
            .integers
            .iter()
            .chain(&self.numbers)
            .map(|n| Field {
                name: n.clone(),
                kind: kind_of(n),
            })
            .collect();
        format = format.with_types(types);
        if let Some(absent) = &self.absent {
            let refs: Vec<&str> = absent.iter().map(String::as_str).collect();
            format = format.with_absent(&refs);
        }
        if self.extra_fields == ExtraSpec::Ignore {
            format = format.with_extra(ExtraFields::Ignore);
        }
        if let Some(pattern) = &self.multiline_start {
            format = format
                .with_multiline_pattern(pattern)
                .map_err(|e| invalid("format.multiline_start", e))?;
        }
        Ok(format)
    }
}
