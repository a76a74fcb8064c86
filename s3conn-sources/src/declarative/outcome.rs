//! Compiled outcome rules: the first that matches an event decides its outcome.

use s3conn_core::Outcome;
use serde_json::Value;

use crate::lenient::value_text;

use super::document::Document;
use super::error::{invalid, SpecError};
use super::locator::Locator;
use super::spec::OutcomeRule;

/// The test an outcome rule applies to the value it locates.
#[derive(Debug, Clone)]
enum Matcher {
    Equals(Vec<Value>),
    EndsWith(Vec<String>, bool),
    Present(bool),
}

/// One outcome rule, compiled.
#[derive(Debug, Clone)]
pub(super) struct CompiledRule {
    /// The value tested.
    pub(super) at: Locator,
    matcher: Matcher,
    result: Outcome,
}

impl CompiledRule {
    /// Compiles `outcome[i]` of a spec.
    pub(super) fn compile(i: usize, r: &OutcomeRule) -> Result<Self, SpecError> {
        let field = format!("outcome[{i}]");
        let at = Locator::parse(&r.pointer, &format!("{field}.pointer"), false)?;
        let mut matchers = Vec::new();
        if let Some(eq) = &r.equals {
            if eq.is_empty() {
                return Err(invalid(
                    format!("{field}.equals"),
                    "needs at least one value",
                ));
            }
            matchers.push(Matcher::Equals(eq.clone()));
        }
        if let Some(ends) = &r.ends_with {
            if ends.is_empty() {
                return Err(invalid(
                    format!("{field}.ends_with"),
                    "needs at least one suffix",
                ));
            }
            matchers.push(Matcher::EndsWith(ends.clone(), r.ignore_case));
        }
        if let Some(p) = r.present {
            matchers.push(Matcher::Present(p));
        }
        if matchers.len() != 1 {
            return Err(invalid(
                field,
                "needs exactly one of `equals`, `ends_with`, `present`",
            ));
        }
        let matcher = matchers.remove(0);
        Ok(CompiledRule {
            at,
            matcher,
            result: r.result.into(),
        })
    }

    /// The outcome when the rule matches.
    pub(super) fn result(&self) -> Outcome {
        self.result
    }

    /// Whether the rule matches this event.
    pub(super) fn matches(&self, v: &Document<'_, '_>) -> bool {
        let found = self.at.lookup(v);
        match &self.matcher {
            Matcher::Equals(values) => found.is_some_and(|x| values.iter().any(|w| w == x)),
            Matcher::EndsWith(suffixes, ignore_case) => {
                let Some(text) = found.and_then(value_text) else {
                    return false;
                };
                suffixes.iter().any(|s| {
                    if *ignore_case {
                        let (t, s) = (text.as_bytes(), s.as_bytes());
                        t.len() >= s.len() && t[t.len() - s.len()..].eq_ignore_ascii_case(s)
                    } else {
                        text.ends_with(s.as_str())
                    }
                })
            }
            Matcher::Present(want) => found.and_then(value_text).is_some() == *want,
        }
    }
}
