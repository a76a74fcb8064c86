//! Lease keeping (every held lease renewed in one batch call) and receive permits (room for a
//! receive call, bounded by the messages in flight).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, warn};

use crate::queue::{AckHandle, QueueError};
use crate::stats::Stats;

use super::config::{PipelineConfig, PipelineError};
use super::Inner;

/// One held lease: the message's work stops when its token is cancelled.
#[derive(Debug)]
pub(super) struct Lease {
    pub(super) token: CancellationToken,
    pub(super) held_until: Instant,
}

/// Renews every held lease each third of the visibility timeout, in one batch call, until `stop`.
///
/// If its bookkeeping breaks (a poisoned lock), leases can no longer be renewed: it logs an error,
/// cancels `abort` (the run stops and releases its messages) and returns the error.
pub(super) async fn keep_leases(
    inner: Arc<Inner>,
    stop: CancellationToken,
    abort: CancellationToken,
) -> Result<(), PipelineError> {
    let vis = inner.config.visibility_timeout;
    let every = (vis / 3).max(Duration::from_millis(100));
    let poisoned = |what: &str| -> Result<(), PipelineError> {
        let reason = format!("the lease table lock is poisoned ({what})");
        error!(%reason, "lease keeper failed: stopping the pipeline");
        abort.cancel();
        Err(PipelineError::LeaseKeeper(reason))
    };
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.cancelled() => return Ok(()),
        }
        let handles: Vec<AckHandle> = match inner.leases.lock() {
            Ok(l) => l.keys().cloned().collect(),
            Err(_) => return poisoned("reading the held leases"),
        };
        if handles.is_empty() {
            continue;
        }
        Stats::add(&inner.stats.lease_extensions, handles.len() as u64);
        let results = inner.queue.extend(&handles, vis).await;
        let now = Instant::now();
        let Ok(mut leases) = inner.leases.lock() else {
            return poisoned("recording renewals");
        };
        for (handle, result) in handles.iter().zip(results) {
            let Some(lease) = leases.get_mut(handle) else {
                continue;
            };
            match result {
                Ok(()) => {
                    lease.held_until = now + vis;
                    inner.metrics.lease_renewals.increment(1);
                }
                Err(e) => {
                    let lost =
                        matches!(e, QueueError::LeaseLost(_)) || now + every >= lease.held_until;
                    if lost {
                        warn!(handle = handle.as_str(), error = %e, "lease lost: stopping work on this message");
                        Stats::add(&inner.stats.leases_lost, 1);
                        inner.metrics.leases_lost.increment(1);
                        lease.token.cancel();
                        leases.remove(handle);
                    } else {
                        debug!(error = %e, "lease renewal failed; retrying next round");
                    }
                }
            }
        }
    }
}

/// Room for one receive call: `first` plus up to a full `receive_batch` of message slots,
/// waiting up to `receive_linger` for slots that messages in flight will free. `None` on
/// shutdown.
pub(super) async fn receive_permits(
    cfg: &PipelineConfig,
    messages: &Arc<Semaphore>,
    max_msgs: usize,
    first: OwnedSemaphorePermit,
    shutdown: &CancellationToken,
) -> Option<Vec<OwnedSemaphorePermit>> {
    let want = cfg.receive_batch.clamp(1, max_msgs);
    let mut permits = vec![first];
    let linger = tokio::time::sleep(cfg.receive_linger);
    tokio::pin!(linger);
    while permits.len() < want {
        if let Ok(p) = messages.clone().try_acquire_owned() {
            permits.push(p);
            continue;
        }
        // Waiting is free only while more messages are in flight than objects can be worked
        // on at once: the waiting ones keep every object slot busy meanwhile.
        let busy = max_msgs - messages.available_permits() - permits.len();
        if busy <= cfg.max_objects_in_flight || cfg.receive_linger.is_zero() {
            break;
        }
        tokio::select! {
            p = messages.clone().acquire_owned() => match p {
                Ok(p) => permits.push(p),
                Err(_) => break,
            },
            _ = &mut linger => break,
            _ = shutdown.cancelled() => return None,
        }
    }
    Some(permits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryObjectStore, MemoryQueue};
    use crate::pipeline::Pipeline;
    use crate::record::Normalized;
    use crate::sink::MemorySink;
    use crate::source::{Event, LogSource, SourceInfo};

    #[derive(Debug)]
    struct AnySource(Arc<SourceInfo>);

    impl LogSource for AnySource {
        fn info(&self) -> &Arc<SourceInfo> {
            &self.0
        }
        fn normalize(&self, _event: &Event<'_>) -> Normalized {
            Normalized::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_poisoned_lease_table_stops_the_run_with_an_error() {
        let source = Arc::new(AnySource(Arc::new(SourceInfo::new(
            "t", "T", "i", "c", "v",
        ))));
        let pipeline = Pipeline::builder(
            Arc::new(MemoryQueue::new()),
            Arc::new(MemoryObjectStore::new()),
            source,
            Arc::new(MemorySink::new()),
        )
        .config(PipelineConfig {
            visibility_timeout: Duration::from_secs(3),
            ..PipelineConfig::default()
        })
        .build();
        let inner = pipeline.inner.clone();
        let poisoned = std::thread::spawn(move || {
            let _held = inner.leases.lock();
            panic!("poisoning the lease table on purpose");
        })
        .join();
        assert!(poisoned.is_err());
        // A continuous run would otherwise wait for messages for ever.
        let result = tokio::time::timeout(
            Duration::from_secs(60),
            pipeline.run(CancellationToken::new()),
        )
        .await
        .expect("the run stops");
        assert!(
            matches!(&result, Err(PipelineError::LeaseKeeper(why)) if why.contains("poisoned")),
            "{result:?}"
        );
    }
}
