//! What a text log looks like: how a record's fields are split, where their names come from,
//! which are numbers, and where a record starts.

use regex::Regex;

/// How a field's text becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldType {
    /// A JSON string (the default).
    #[default]
    Text,
    /// A JSON integer when the text is one (`-12`), else a string: nothing is lost.
    Integer,
    /// A JSON number when the text is one (`0.125`, `-1`, `1e3`), else a string.
    Number,
}

/// One named field and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The JSON key the field's value is written under.
    pub name: String,
    /// How its text is written.
    pub kind: FieldType,
}

impl Field {
    /// A string field.
    pub fn text(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            kind: FieldType::Text,
        }
    }

    /// An integer field (written as a string when the text is not an integer).
    pub fn integer(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            kind: FieldType::Integer,
        }
    }

    /// A number field (written as a string when the text is not a number).
    pub fn number(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            kind: FieldType::Number,
        }
    }
}

/// How one record's text is cut into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Fields separated by exactly one `delimiter` byte, no quoting: VPC Flow Logs (space),
    /// W3C/CloudFront (tab).
    Delimited {
        /// The separator byte.
        delimiter: u8,
    },
    /// Fields separated by one space; a field starting with `"` runs to the closing quote
    /// (`\"` and `\\` escaped inside), one starting with `[` to the closing `]` (the brackets
    /// are dropped): ALB/classic ELB/NLB access logs, S3 server access logs. A quoted part
    /// followed by more text up to the next space (NLB `"h2","http/1.1"`) is one field, kept
    /// whole with its quotes.
    Quoted,
    /// RFC 4180: fields separated by `delimiter` (`,` CSV, `\t` TSV), quoted with `"` (a doubled
    /// `""` is one quote) and quoted fields may span lines.
    Csv {
        /// The separator byte.
        delimiter: u8,
    },
}

impl Split {
    /// Whether every byte it cuts on is ASCII (then a record's bytes outside its fields are).
    pub(crate) fn ascii_delimiters(self) -> bool {
        match self {
            Split::Delimited { delimiter } | Split::Csv { delimiter } => delimiter.is_ascii(),
            Split::Quoted => true,
        }
    }
}

/// Which field list a record of a fixed-list format uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The record's first field must be one of these (empty: any record).
    pub first_values: Vec<String>,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// Fewest fields a record may have (the missing trailing fields are absent); defaults to
    /// `fields.len()`.
    pub min_fields: usize,
}

impl Variant {
    /// A variant for every record, every field required.
    pub fn new(fields: Vec<Field>) -> Self {
        let min_fields = fields.len();
        Variant {
            first_values: Vec::new(),
            fields,
            min_fields,
        }
    }

    /// Only for records whose first field is one of `values`.
    pub fn when_first(mut self, values: &[&str]) -> Self {
        self.first_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// Records may stop after `min` fields (the rest are absent).
    pub fn min_fields(mut self, min: usize) -> Self {
        self.min_fields = min.min(self.fields.len());
        self
    }
}

/// Where the field names come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Columns {
    /// The object's first non-blank line names the fields, split like the records (VPC Flow Logs,
    /// CSV/TSV with a header row). An object whose first line is not a header (a token that is
    /// not a name, or none of `expect_any` when that is not empty) is not decoded:
    /// [`DecodeError::MissingHeader`](crate::decode::DecodeError::MissingHeader) names `header`.
    HeaderLine {
        /// How the missing header is named in errors (e.g. `VPC Flow Logs header line`).
        header: String,
        /// At least one of these names must be in the header (empty: no such check).
        expect_any: Vec<String>,
    },
    /// W3C extended log format (CloudFront standard logs): a `#Fields:` line names the fields
    /// (a later one replaces them), other `#` lines (`#Version:`) are skipped. A record before
    /// any `#Fields:` line makes the object undecodable (`MissingHeader` names `#Fields:`).
    W3c,
    /// Fixed field lists; a record uses the first variant that accepts its first field and count.
    Fixed(Vec<Variant>),
}

/// What to do with fields past the end of a fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtraFields {
    /// The record is dead-lettered (wrong number of fields).
    #[default]
    Reject,
    /// They are dropped (formats documented to grow new trailing fields, e.g. ALB).
    Ignore,
}

/// A text log format: records become JSON objects with named fields.
///
/// Each record becomes `{"<name>":<value>,...}` in field order: absent values (`-` by default)
/// are left out; [`FieldType::Integer`]/[`FieldType::Number`] fields are JSON numbers when their
/// text is one. A record whose field count does not fit is dead-lettered with its line and byte
/// offset; the rest of the object is still delivered.
///
/// ```
/// use s3conn_core::decode::text::{Field, TextFormat};
///
/// // VPC Flow Logs: a header line names the fields; numbers typed by name.
/// let vpc = TextFormat::header_line("VPC Flow Logs", b' ', "VPC Flow Logs header line")
///     .expect_any(&["version", "srcaddr", "interface-id"])
///     .with_types(vec![Field::integer("version"), Field::integer("bytes")]);
/// // ALB access logs: a fixed, quoted field list.
/// let alb = TextFormat::quoted("ALB", vec![Field::text("type"), Field::text("time")]);
/// assert_eq!(vpc.name, "VPC Flow Logs");
/// assert_eq!(alb.name, "ALB");
/// ```
#[derive(Debug, Clone)]
pub struct TextFormat {
    /// The format's name, used in error messages.
    pub name: String,
    /// How fields are split.
    pub split: Split,
    /// Where their names come from.
    pub columns: Columns,
    /// Types of header-named fields (by name); fields not listed are strings.
    pub types: Vec<Field>,
    /// Field texts meaning "absent" (default `-`); the field is left out of the event.
    pub absent: Vec<String>,
    /// Fields past a fixed list's end.
    pub extra: ExtraFields,
    /// When set, a record starts at a line matching this pattern; the lines up to the next
    /// match belong to it (joined with `\n`). Lines before the first match are records alone.
    pub multiline_start: Option<Regex>,
}

impl TextFormat {
    fn new(name: &str, split: Split, columns: Columns) -> Self {
        TextFormat {
            name: name.to_owned(),
            split,
            columns,
            types: Vec::new(),
            absent: vec!["-".to_owned()],
            extra: ExtraFields::Reject,
            multiline_start: None,
        }
    }

    /// Fields named by the first line, separated by `delimiter` (VPC Flow Logs: `b' '`).
    pub fn header_line(name: &str, delimiter: u8, header: &str) -> Self {
        Self::new(
            name,
            Split::Delimited { delimiter },
            Columns::HeaderLine {
                header: header.to_owned(),
                expect_any: Vec::new(),
            },
        )
    }

    /// W3C extended log format, tab-separated, `#Fields:` header (CloudFront standard logs).
    pub fn w3c(name: &str) -> Self {
        Self::new(name, Split::Delimited { delimiter: b'\t' }, Columns::W3c)
    }

    /// CSV (`b','`) or TSV (`b'\t'`) with a header row, RFC 4180 quoting; empty fields are
    /// empty strings (no absent marker).
    pub fn csv(name: &str, delimiter: u8) -> Self {
        let mut format = Self::new(
            name,
            Split::Csv { delimiter },
            Columns::HeaderLine {
                header: "CSV header row".to_owned(),
                expect_any: Vec::new(),
            },
        );
        format.absent.clear();
        format
    }

    /// Quoted, space-separated records with one fixed field list (S3 server access logs).
    pub fn quoted(name: &str, fields: Vec<Field>) -> Self {
        Self::new(
            name,
            Split::Quoted,
            Columns::Fixed(vec![Variant::new(fields)]),
        )
    }

    /// Quoted, space-separated records with several field lists (ALB, classic ELB, NLB).
    pub fn quoted_variants(name: &str, variants: Vec<Variant>) -> Self {
        Self::new(name, Split::Quoted, Columns::Fixed(variants))
    }

    /// A header line must name at least one of these fields.
    pub fn expect_any(mut self, names: &[&str]) -> Self {
        if let Columns::HeaderLine { expect_any, .. } = &mut self.columns {
            *expect_any = names.iter().map(|n| (*n).to_owned()).collect();
        }
        self
    }

    /// The types of header-named fields.
    pub fn with_types(mut self, types: Vec<Field>) -> Self {
        self.types = types;
        self
    }

    /// The texts meaning "absent" (replaces the default `-`).
    pub fn with_absent(mut self, absent: &[&str]) -> Self {
        self.absent = absent.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// What to do with fields past a fixed list's end.
    pub fn with_extra(mut self, extra: ExtraFields) -> Self {
        self.extra = extra;
        self
    }

    /// Records start at lines matching `start`; other lines continue the record before.
    pub fn with_multiline_start(mut self, start: Regex) -> Self {
        self.multiline_start = Some(start);
        self
    }

    /// Records start at lines matching the regular expression `pattern`; an invalid pattern is
    /// an error naming what is wrong with it.
    pub fn with_multiline_pattern(self, pattern: &str) -> Result<Self, String> {
        let start = Regex::new(pattern).map_err(|e| e.to_string())?;
        Ok(self.with_multiline_start(start))
    }

    /// The type of a header-named field.
    pub fn type_of(&self, name: &str) -> FieldType {
        self.types
            .iter()
            .find(|f| f.name == name)
            .map_or(FieldType::Text, |f| f.kind)
    }
}
