//! Tests of the decoder, by concept; the helpers below decode with several read sizes.

use std::ops::ControlFlow;

use super::*;
use crate::testing::{gzip, gzip_level, Trickle};

mod auto;
mod compression;
mod documents;
mod limits;
mod lines;
mod text;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Event {
        json: String,
        list: Option<String>,
        line: u64,
        offset: u64,
    },
    Bad {
        reason: String,
        line: u64,
        offset: u64,
        sample: String,
    },
}

impl Out {
    /// The owned form of a decoded item.
    fn of(item: Item<'_>) -> Out {
        match item {
            Item::Event {
                raw,
                list,
                line,
                offset,
                ..
            } => Out::Event {
                json: raw.to_owned(),
                list: list.map(str::to_owned),
                line,
                offset,
            },
            Item::Bad {
                sample,
                line,
                offset,
                reason,
            } => Out::Bad {
                reason: reason.to_string(),
                line,
                offset,
                sample: String::from_utf8_lossy(sample).into_owned(),
            },
        }
    }
}

fn run_with(
    config: &DecoderConfig,
    expand: &[&str],
    data: &[u8],
    step: usize,
) -> (Result<DecodeSummary, DecodeError>, Vec<Out>) {
    let decoder = JsonDecoder::new(config);
    let expand: Vec<String> = expand.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let res = decoder.decode(Box::new(Trickle::new(data, step)), &expand, &mut |item| {
        out.push(Out::of(item));
        ControlFlow::Continue(())
    });
    (res, out)
}

/// Decodes with big reads and with 1- and 7-byte reads; all must agree.
fn run(
    config: &DecoderConfig,
    expand: &[&str],
    data: &[u8],
) -> (Result<DecodeSummary, DecodeError>, Vec<Out>) {
    let (res, out) = run_with(config, expand, data, usize::MAX);
    for step in [1, 7, 4093] {
        let (res2, out2) = run_with(config, expand, data, step);
        assert_eq!(out, out2, "different items with {step}-byte reads");
        assert_eq!(
            res.as_ref().err(),
            res2.as_ref().err(),
            "different outcome with {step}-byte reads"
        );
    }
    (res, out)
}

fn events(out: &[Out]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Out::Event { json, .. } => Some(json.clone()),
            Out::Bad { .. } => None,
        })
        .collect()
}

fn bads(out: &[Out]) -> Vec<(String, u64)> {
    out.iter()
        .filter_map(|o| match o {
            Out::Bad { reason, line, .. } => Some((reason.clone(), *line)),
            Out::Event { .. } => None,
        })
        .collect()
}

fn auto() -> DecoderConfig {
    DecoderConfig::default()
}

fn framing(framing: Framing) -> DecoderConfig {
    DecoderConfig {
        framing,
        ..DecoderConfig::default()
    }
}
