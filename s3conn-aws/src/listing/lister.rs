//! [`Lister`]: the objects of a [`Selection`], in key order, one ListObjectsV2 page at a time.
//!
//! Without a time range every prefix is listed whole (continuation tokens). With one, the key
//! date layout decides: under an `AWSLogs/` level the account (and organization), service and
//! region levels are enumerated with `Delimiter="/"` listings, and each region is listed only
//! from its first day in range (`StartAfter`) up to its last (the listing stops at the next
//! day), so days out of range cost no requests. Keys outside the layout (objects next to
//! `AWSLogs/`, or whose date does not parse) are listed and selected by LastModified. Every key
//! the lister passes over is counted with its reason; none is dropped silently.
//!
//! The listing order is the bucket's key order across all prefixes and levels, so one key (the
//! last one done) is a complete position: a resumed lister starts after it (`floor`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use serde::Serialize;

use super::layout::{DateFormat, Plan};
use super::selection::Selection;
use super::ListingError;
use crate::error::AwsError;
use crate::requests::{Api, RequestCounter, RequestCounts};
use crate::retry::{RetryPolicy, RetryStats};
use crate::s3::unquote_etag;

/// The retry policy of `s3:ListObjectsV2`.
const LIST_RETRY: RetryPolicy =
    RetryPolicy::new(5, Duration::from_millis(200), Duration::from_secs(10));

/// After every key of `AWSLogs/…`: the keys of a prefix that follow its `AWSLogs/` level.
const AFTER_AWSLOGS: &str = "AWSLogs/\u{10FFFF}";

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The key.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The eTag, without quotes (as notifications carry it).
    pub etag: Option<String>,
    /// LastModified, epoch milliseconds UTC.
    pub last_modified_ms: Option<i64>,
    /// Why the selection passes over it (`None`: selected).
    pub skip: Option<&'static str>,
}

/// What a lister has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListingCounts {
    /// Objects listed (selected or skipped).
    pub listed: u64,
    /// Objects selected.
    pub selected: u64,
    /// Objects passed over, by reason.
    pub skipped: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
enum Mode {
    /// No time range: every key.
    All,
    /// By LastModified.
    LastModified,
    /// By the date in the key after `base`, else by LastModified.
    KeyDate { base: String, date: DateFormat },
}

#[derive(Debug)]
struct Range {
    prefix: String,
    start_after: Option<String>,
    end_before: Option<String>,
    mode: Mode,
    token: Option<String>,
    finished: bool,
}

#[derive(Debug)]
enum Work {
    Root(String),
    Level {
        prefix: String,
        depth: usize,
        in_org: bool,
    },
    Range(Range),
    Single(Listed),
}

/// Lists a selection page by page, in key order (see the module documentation).
#[derive(Debug)]
pub struct Lister {
    client: aws_sdk_s3::Client,
    selection: Selection,
    plan: Option<Plan>,
    floor: Option<String>,
    stack: Vec<Work>,
    current: Option<Range>,
    last_key: Option<String>,
    counts: ListingCounts,
    requests: Arc<RequestCounter>,
    retries: Arc<RetryStats>,
}

impl Lister {
    /// A lister of `selection` that starts after `floor` (a checkpoint's position) and after the
    /// selection's own start key.
    pub fn new(client: aws_sdk_s3::Client, selection: Selection, floor: Option<String>) -> Self {
        let floor = match (floor, selection.start_after.clone()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let plan = if selection.has_time_range() {
            selection.key_date.plan()
        } else {
            None
        };
        let stack = selection
            .prefixes
            .iter()
            .rev()
            .map(|p| Work::Root(p.clone()))
            .collect();
        Lister {
            client,
            selection,
            plan,
            floor,
            stack,
            current: None,
            last_key: None,
            counts: ListingCounts::default(),
            requests: Arc::new(RequestCounter::default()),
            retries: Arc::new(RetryStats::default()),
        }
    }

    /// The selection.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// What was listed so far.
    pub fn counts(&self) -> &ListingCounts {
        &self.counts
    }

    /// The ListObjectsV2 requests sent so far (every attempt counts).
    pub fn requests(&self) -> RequestCounts {
        self.requests.snapshot()
    }

    /// Retries of ListObjectsV2 so far.
    pub fn retries(&self) -> u64 {
        self.retries.retries()
    }

    /// One ListObjectsV2 of at most one key under the first prefix: fails with a message naming
    /// the bucket and the permission when the bucket cannot be listed; `true` when the bucket
    /// holds any key under that prefix.
    pub async fn probe(&self) -> Result<bool, ListingError> {
        let prefix = self.selection.prefixes.first().cloned().unwrap_or_default();
        let out = self.list(&prefix, false, None, None, 1).await?;
        Ok(out.key_count().unwrap_or(0) > 0 || !out.contents().is_empty())
    }

    /// The next objects in key order (a page, or the objects of one enumerated level), or `None`
    /// once the selection is exhausted. After an error the same call may be repeated.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Listed>>, ListingError> {
        loop {
            if let Some(range) = self.current.as_mut() {
                if range.finished {
                    self.current = None;
                    continue;
                }
                let page = self.next_in_range().await?;
                if !page.is_empty() {
                    return Ok(Some(page));
                }
                continue;
            }
            let Some(work) = self.stack.pop() else {
                return Ok(None);
            };
            match work {
                Work::Root(prefix) => {
                    if let Err(e) = self.expand_root(prefix.clone()).await {
                        self.stack.push(Work::Root(prefix));
                        return Err(e);
                    }
                }
                Work::Level {
                    prefix,
                    depth,
                    in_org,
                } => {
                    if !self.covered(&prefix) {
                        if let Err(e) = self.expand_level(&prefix, depth, in_org).await {
                            self.stack.push(Work::Level {
                                prefix,
                                depth,
                                in_org,
                            });
                            return Err(e);
                        }
                    }
                }
                Work::Range(mut range) => {
                    if self.covered(&range.prefix)
                        || range
                            .end_before
                            .as_ref()
                            .zip(self.floor.as_ref())
                            .is_some_and(|(end, floor)| floor >= end)
                    {
                        continue;
                    }
                    if let Some(floor) = &self.floor {
                        if range.start_after.as_ref().is_none_or(|s| floor > s) {
                            range.start_after = Some(floor.clone());
                        }
                    }
                    self.current = Some(range);
                }
                Work::Single(object) => {
                    if self.floor.as_ref().is_some_and(|f| &object.key <= f) {
                        continue;
                    }
                    let mode = Mode::LastModified;
                    let object = self.admit(object, &mode)?;
                    return Ok(Some(vec![object]));
                }
            }
        }
    }

    /// Whether every key under `prefix` is at or before the floor (already done).
    fn covered(&self, prefix: &str) -> bool {
        self.floor
            .as_ref()
            .is_some_and(|f| f.as_str() > prefix && !f.starts_with(prefix))
    }

    fn range(&self, prefix: String, mode: Mode) -> Range {
        let (mut start_after, mut end_before) = (None, None);
        if let Mode::KeyDate { base, date } = &mode {
            if let Some(s) = &self.selection.since {
                start_after = Some(format!("{base}{}", date.format(s.day())));
            }
            if let Some(u) = &self.selection.until {
                end_before = Some(format!("{base}{}", date.format(u.day() + 1)));
            }
        }
        Range {
            prefix,
            start_after,
            end_before,
            mode,
            token: None,
            finished: false,
        }
    }

    fn unpruned(&self) -> Mode {
        if self.selection.has_time_range() {
            Mode::LastModified
        } else {
            Mode::All
        }
    }

    async fn expand_root(&mut self, prefix: String) -> Result<(), ListingError> {
        let Some(plan) = self.plan.clone() else {
            let r = self.range(prefix, self.unpruned());
            self.stack.push(Work::Range(r));
            return Ok(());
        };
        let Some(root) = plan.root else {
            if plan.wildcards == 0 {
                let mode = Mode::KeyDate {
                    base: prefix.clone(),
                    date: plan.date.clone(),
                };
                let r = self.range(prefix, mode);
                self.stack.push(Work::Range(r));
            } else {
                self.stack.push(Work::Level {
                    prefix,
                    depth: 0,
                    in_org: false,
                });
            }
            return Ok(());
        };
        if let Some(i) = prefix.find(root) {
            // The prefix reaches into the layout: start at its level.
            let root_end = i + root.len();
            let rest = &prefix[root_end..];
            let complete: Vec<&str> = rest.split('/').collect();
            let complete = &complete[..complete.len() - 1];
            let in_org = plan.org_level && complete.first().is_some_and(|s| s.starts_with("o-"));
            let depth = complete.len() - usize::from(in_org);
            if depth >= plan.wildcards {
                let levels = plan.wildcards + usize::from(in_org);
                let base = format!("{}{}/", &prefix[..root_end], complete[..levels].join("/"));
                let mode = Mode::KeyDate {
                    base,
                    date: plan.date.clone(),
                };
                let r = self.range(prefix, mode);
                self.stack.push(Work::Range(r));
            } else {
                self.stack.push(Work::Level {
                    prefix,
                    depth,
                    in_org,
                });
            }
            return Ok(());
        }
        if !(prefix.is_empty() || prefix.ends_with('/')) {
            let r = self.range(prefix, Mode::LastModified);
            self.stack.push(Work::Range(r));
            return Ok(());
        }
        let layout_root = format!("{prefix}{root}");
        let out = if self.covered(&layout_root) {
            None
        } else {
            Some(self.list(&layout_root, false, None, None, 1).await?)
        };
        if out.is_some_and(|o| !o.contents().is_empty()) {
            // Before the layout, the layout, after it (pushed in reverse: popped in key order).
            let mut after = self.range(prefix.clone(), Mode::LastModified);
            after.start_after = Some(format!("{prefix}{AFTER_AWSLOGS}"));
            self.stack.push(Work::Range(after));
            self.stack.push(Work::Level {
                prefix: layout_root.clone(),
                depth: 0,
                in_org: false,
            });
            let mut before = self.range(prefix, Mode::LastModified);
            before.end_before = Some(layout_root);
            self.stack.push(Work::Range(before));
        } else {
            let r = self.range(prefix, Mode::LastModified);
            self.stack.push(Work::Range(r));
        }
        Ok(())
    }

    /// Enumerates one level (`Delimiter="/"`): each common prefix becomes the next level or a
    /// date range; objects at this level are selected by LastModified.
    async fn expand_level(
        &mut self,
        prefix: &str,
        depth: usize,
        in_org: bool,
    ) -> Result<(), ListingError> {
        let Some(plan) = self.plan.clone() else {
            return Ok(());
        };
        let mut items: Vec<Work> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .list(
                    prefix,
                    true,
                    None,
                    token.as_deref(),
                    self.selection.page_size,
                )
                .await?;
            for cp in out.common_prefixes() {
                let Some(p) = cp.prefix() else { continue };
                let segment = p[prefix.len().min(p.len())..].trim_end_matches('/');
                let segment = segment.rsplit('/').next().unwrap_or(segment);
                let org = plan.org_level && depth == 0 && !in_org && segment.starts_with("o-");
                items.push(if org {
                    Work::Level {
                        prefix: p.to_owned(),
                        depth: 0,
                        in_org: true,
                    }
                } else if depth + 1 >= plan.wildcards {
                    let mode = Mode::KeyDate {
                        base: p.to_owned(),
                        date: plan.date.clone(),
                    };
                    Work::Range(self.range(p.to_owned(), mode))
                } else {
                    Work::Level {
                        prefix: p.to_owned(),
                        depth: depth + 1,
                        in_org,
                    }
                });
            }
            for o in out.contents() {
                if let Some(l) = listed(o) {
                    items.push(Work::Single(l));
                }
            }
            token = out
                .next_continuation_token()
                .filter(|_| out.is_truncated() == Some(true))
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        items.sort_by(|a, b| work_key(a).cmp(work_key(b)));
        self.stack.extend(items.into_iter().rev());
        Ok(())
    }

    async fn next_in_range(&mut self) -> Result<Vec<Listed>, ListingError> {
        let Some(range) = self.current.as_ref() else {
            return Ok(Vec::new());
        };
        let out = self
            .list(
                &range.prefix,
                false,
                range.start_after.as_deref(),
                range.token.as_deref(),
                self.selection.page_size,
            )
            .await?;
        let (mode, end) = (range.mode.clone(), range.end_before.clone());
        let mut page = Vec::new();
        let mut reached_end = false;
        for o in out.contents() {
            let Some(l) = listed(o) else { continue };
            if end.as_ref().is_some_and(|e| &l.key >= e) {
                reached_end = true;
                break;
            }
            if self.floor.as_ref().is_some_and(|f| &l.key <= f) {
                continue;
            }
            page.push(self.admit(l, &mode)?);
        }
        let next = out
            .next_continuation_token()
            .filter(|_| out.is_truncated() == Some(true))
            .map(str::to_owned);
        if let Some(range) = self.current.as_mut() {
            range.finished = reached_end || next.is_none();
            range.token = next;
        }
        Ok(page)
    }

    /// Checks the order, decides whether the selection takes the object, counts it.
    fn admit(&mut self, mut l: Listed, mode: &Mode) -> Result<Listed, ListingError> {
        if let Some(prev) = &self.last_key {
            if &l.key <= prev {
                return Err(ListingError::OutOfOrder {
                    bucket: self.selection.bucket.clone(),
                    previous: prev.clone(),
                    key: l.key,
                });
            }
        }
        self.last_key = Some(l.key.clone());
        l.skip = match mode {
            Mode::All => None,
            Mode::LastModified => self.selection.last_modified_skip(l.last_modified_ms),
            Mode::KeyDate { base, date } => {
                match l.key.get(base.len()..).and_then(|rest| date.parse(rest)) {
                    Some(day) if self.selection.day_in_range(day) => None,
                    Some(_) => Some("key_date_out_of_range"),
                    None => self.selection.last_modified_skip(l.last_modified_ms),
                }
            }
        };
        self.counts.listed += 1;
        match l.skip {
            None => self.counts.selected += 1,
            Some(why) => *self.counts.skipped.entry(why.to_owned()).or_default() += 1,
        }
        Ok(l)
    }

    async fn list(
        &self,
        prefix: &str,
        delimiter: bool,
        start_after: Option<&str>,
        token: Option<&str>,
        max_keys: i32,
    ) -> Result<ListObjectsV2Output, ListingError> {
        LIST_RETRY
            .run(&self.retries, || async {
                self.requests.record(Api::ListObjectsV2);
                let mut req = self
                    .client
                    .list_objects_v2()
                    .bucket(&self.selection.bucket)
                    .max_keys(max_keys);
                if !prefix.is_empty() {
                    req = req.prefix(prefix);
                }
                if delimiter {
                    req = req.delimiter("/");
                }
                if let Some(t) = token {
                    req = req.continuation_token(t);
                } else if let Some(s) = start_after {
                    req = req.start_after(s);
                }
                req.send()
                    .await
                    .map_err(|e| AwsError::from_sdk("s3:ListObjectsV2", &e))
            })
            .await
            .map_err(|source| ListingError::CannotList {
                bucket: self.selection.bucket.clone(),
                source,
            })
    }
}

fn work_key(w: &Work) -> &str {
    match w {
        Work::Root(p) => p,
        Work::Level { prefix, .. } => prefix,
        Work::Range(r) => &r.prefix,
        Work::Single(l) => &l.key,
    }
}

fn listed(o: &aws_sdk_s3::types::Object) -> Option<Listed> {
    let key = o.key()?.to_owned();
    Some(Listed {
        key,
        size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        etag: o.e_tag().map(unquote_etag).filter(|e| !e.is_empty()),
        last_modified_ms: o.last_modified().and_then(|t| t.to_millis().ok()),
        skip: None,
    })
}
