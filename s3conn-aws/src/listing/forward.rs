//! [`forward_to_queue`]: a backfill handed to `collect` workers. Each listed object the selection
//! takes is sent to an SQS queue as its S3 event notification (`SendMessageBatch`, 10 per
//! request); the checkpoint records a position once the batch holding it was sent.

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::checkpoint::CheckpointWriter;
use super::event::event_body;
use super::lister::{Lister, ListingCounts};
use super::ListingError;
use crate::sqs::{SqsQueue, SQS_BATCH_MAX};

/// What a forwarding run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ForwardReport {
    /// Messages sent.
    pub sent: u64,
    /// What the listing saw.
    pub listing: ListingCounts,
    /// ListObjectsV2 requests of the listing.
    pub list_requests: u64,
    /// Whether the whole selection was sent (not stopped by `shutdown`).
    pub complete: bool,
}

/// Sends the notification of every object `lister` selects to `target`, in batches of 10, moving
/// `checkpoint` after each batch; stops early (not complete) when `shutdown` is cancelled.
pub async fn forward_to_queue(
    lister: &mut Lister,
    target: &SqsQueue,
    region: &str,
    checkpoint: &mut CheckpointWriter,
    shutdown: &CancellationToken,
) -> Result<ForwardReport, ListingError> {
    let bucket = lister.selection().bucket.clone();
    let mut report = ForwardReport::default();
    let mut done = checkpoint.current().objects_done;
    if checkpoint.current().complete {
        report.complete = true;
        return Ok(report);
    }
    // The batch being filled, and the last key (sent or skipped) it covers.
    let mut bodies: Vec<String> = Vec::with_capacity(SQS_BATCH_MAX);
    let mut covered: Option<String> = None;
    let mut covered_count = 0u64;
    let result = loop {
        if shutdown.is_cancelled() {
            break Ok(false);
        }
        let page = match lister.next_page().await {
            Ok(p) => p,
            Err(e) => break Err(e),
        };
        let Some(page) = page else {
            break Ok(true);
        };
        let mut failed = None;
        for l in page {
            if l.skip.is_none() {
                bodies.push(event_body(&bucket, region, &l));
            }
            covered = Some(l.key);
            covered_count += 1;
            if bodies.len() == SQS_BATCH_MAX {
                if let Err(e) = send(target, &mut bodies).await {
                    failed = Some(e);
                    break;
                }
                report.sent += SQS_BATCH_MAX as u64;
                done += covered_count;
                covered_count = 0;
                checkpoint.update(covered.as_ref(), done, false);
            }
        }
        if let Some(e) = failed {
            break Err(e);
        }
    };
    report.listing = lister.counts().clone();
    report.list_requests = lister.requests().list_objects_v2;
    match result {
        Ok(finished) => {
            let n = bodies.len() as u64;
            send(target, &mut bodies).await?;
            report.sent += n;
            done += covered_count;
            checkpoint.update(
                covered
                    .as_ref()
                    .or(checkpoint.current().position.clone().as_ref()),
                done,
                finished,
            );
            checkpoint.flush();
            report.complete = finished;
            Ok(report)
        }
        Err(e) => {
            checkpoint.flush();
            Err(e)
        }
    }
}

async fn send(target: &SqsQueue, bodies: &mut Vec<String>) -> Result<(), ListingError> {
    if bodies.is_empty() {
        return Ok(());
    }
    let results = target.send_batch(bodies).await;
    bodies.clear();
    match results.into_iter().find_map(Result::err) {
        Some(source) => Err(ListingError::Send {
            queue: target.queue_url().to_owned(),
            source,
        }),
        None => Ok(()),
    }
}
