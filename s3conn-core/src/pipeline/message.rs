//! One message's way through the pipeline: parse its notification, work each object, reach its
//! [`Disposition`] (acknowledge, keep, lease lost, release) and carry it out.

use super::*;

/// How one message ended (its fate; not to be confused with a record's `record::Outcome`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Disposition {
    /// Everything accounted for: delete it.
    Acknowledge,
    /// Something failed: leave it to reappear after a backoff.
    Keep {
        why: KeepReason,
        class: ErrorClass,
        reason: String,
    },
    /// Not ours on purpose (`unmatched = "keep"`: a key no route takes): leave it on the queue,
    /// visible again after the visibility timeout to any consumer. Not a failure.
    Leave,
    /// The lease was lost: someone else may have it; touch nothing.
    LeaseLost,
    /// Shutting down: make it visible again now.
    Release,
}

/// Works one message to its disposition and carries it out.
pub(super) async fn run_message(
    inner: Arc<Inner>,
    msg: Message,
    lease: CancellationToken,
    hard: CancellationToken,
    ack_tx: mpsc::Sender<AckHandle>,
) {
    let disposition = message_disposition(&inner, &msg, &lease).await;
    let disposition = if lease.is_cancelled() {
        if hard.is_cancelled() {
            Disposition::Release
        } else {
            Disposition::LeaseLost
        }
    } else {
        disposition
    };
    if let Ok(mut leases) = inner.leases.lock() {
        leases.remove(&msg.handle);
    }
    match disposition {
        Disposition::Acknowledge => {
            if let Some(sent) = msg.sent_at_ms {
                inner
                    .metrics
                    .message_lag
                    .record(crate::telemetry::seconds_since_ms(sent));
            }
            // The message's slot is freed without waiting for the delete batch to fill: the
            // acknowledger deletes it within `ack_linger`, and `run` waits for it on the way out.
            let _ = ack_tx.send(msg.handle.clone()).await;
        }
        Disposition::Keep { why, class, reason } => {
            Stats::add(&inner.stats.messages_kept, 1);
            inner.metrics.kept(why);
            inner.keep(why, &reason);
            let cfg = &inner.config;
            let delay = equal_jitter(
                cfg.visibility_timeout,
                Duration::from_secs(12 * 3600),
                msg.attempt.saturating_sub(1),
            );
            warn!(attempt = msg.attempt, ?class, %reason, ?delay, "message kept for redelivery");
            let _ = inner
                .queue
                .extend(std::slice::from_ref(&msg.handle), delay)
                .await;
        }
        Disposition::Leave => {
            Stats::add(&inner.stats.messages_left_for_others, 1);
            info!(message = %msg.id, "no route matches an object of this message: left on the queue for another consumer");
            let _ = inner
                .queue
                .extend(
                    std::slice::from_ref(&msg.handle),
                    inner.config.visibility_timeout,
                )
                .await;
        }
        Disposition::Release => {
            Stats::add(&inner.stats.messages_released, 1);
            inner.metrics.messages_released.increment(1);
            let _ = inner.queue.release(&msg.handle).await;
        }
        Disposition::LeaseLost => {
            inner.metrics.kept(KeepReason::LeaseLost);
            inner.keep(KeepReason::LeaseLost, &format!("message {}", msg.id));
        }
    }
}

/// Dead-letters what failed permanently once `max_receive_count` is reached (then it may be
/// acknowledged); until then, or without a dead-letter destination, the message is kept.
async fn give_up(
    inner: &Inner,
    msg: &Message,
    kind: DeadLetterKind,
    object: Option<ObjectRef>,
    why: KeepReason,
    reason: String,
    class: ErrorClass,
) -> Disposition {
    let exhausted = inner
        .config
        .max_receive_count
        .is_some_and(|max| msg.attempt >= max);
    if !exhausted {
        return Disposition::Keep { why, class, reason };
    }
    let Some(dead) = &inner.dead else {
        return Disposition::Keep {
            why: KeepReason::NoDeadLetterDestination,
            class,
            reason: format!("{reason}; no dead-letter destination is set"),
        };
    };
    let item = DeadLetter {
        kind,
        reason: reason.clone(),
        object,
        message_id: Some(msg.id.clone()),
        line: None,
        offset: None,
        ordinal: None,
        raw: if kind == DeadLetterKind::Message {
            msg.body.clone().into_bytes()
        } else {
            Vec::new()
        },
    };
    match dead.dead_letter(std::slice::from_ref(&item)).await {
        Ok(()) => {
            inner.metrics.dead_letters(kind, why.label(), 1);
            if kind == DeadLetterKind::Message {
                Stats::add(&inner.stats.messages_dead_lettered, 1);
            } else {
                Stats::add(&inner.stats.objects_dead_lettered, 1);
            }
            Disposition::Acknowledge
        }
        Err(e) => {
            inner.metrics.failure(Stage::DeadLetter, e.class());
            Disposition::Keep {
                why: KeepReason::DeadLetterFailed,
                class,
                reason: format!("{reason}; dead-letter write failed: {e}"),
            }
        }
    }
}

/// What became of an object no route takes.
enum UnmatchedEnd {
    /// Accounted for (acknowledged unread, or dead-lettered).
    Done,
    /// The message is to be left on the queue (`unmatched = "keep"`).
    Leave,
    /// It could not be dead-lettered: the message is kept.
    Kept(Disposition),
}

/// Applies the router's `unmatched` policy to an object whose key no route takes.
async fn unmatched_object(inner: &Inner, msg: &Message, object: ObjectRef) -> UnmatchedEnd {
    let stats = &inner.stats;
    match inner.routes.unmatched() {
        Unmatched::Ack => {
            debug!(%object, "no route matches: acknowledged without reading");
            Stats::add(&stats.objects_unmatched_skipped, 1);
            UnmatchedEnd::Done
        }
        Unmatched::Keep => {
            debug!(%object, "no route matches: the message is left on the queue");
            Stats::add(&stats.objects_unmatched_kept, 1);
            UnmatchedEnd::Leave
        }
        Unmatched::DeadLetter => {
            let reason = format!("no route matches key '{}' ({object})", object.key);
            let Some(dead) = &inner.dead else {
                return UnmatchedEnd::Kept(Disposition::Keep {
                    why: KeepReason::NoDeadLetterDestination,
                    class: ErrorClass::Configuration,
                    reason: format!("{reason}; no dead-letter destination is set"),
                });
            };
            let item = DeadLetter {
                kind: DeadLetterKind::Object,
                reason: reason.clone(),
                object: Some(object),
                message_id: Some(msg.id.clone()),
                line: None,
                offset: None,
                ordinal: None,
                raw: Vec::new(),
            };
            match dead.dead_letter(std::slice::from_ref(&item)).await {
                Ok(()) => {
                    info!(%reason, "dead-lettered");
                    Stats::add(&stats.objects_unmatched_dead_lettered, 1);
                    UnmatchedEnd::Done
                }
                Err(e) => UnmatchedEnd::Kept(Disposition::Keep {
                    why: KeepReason::DeadLetterFailed,
                    class: e.class(),
                    reason: format!("{reason}; dead-letter write failed: {e}"),
                }),
            }
        }
    }
}

/// Parses, filters and reads every object of one message: how it should end.
async fn message_disposition(
    inner: &Arc<Inner>,
    msg: &Message,
    lease: &CancellationToken,
) -> Disposition {
    let stats = &inner.stats;
    let parsed = match notification::parse(&msg.body) {
        Ok(n) => n,
        Err(e) => {
            stats.failure(e.class());
            inner.metrics.failure(Stage::Notification, e.class());
            let reason = format!("message {}: {e}", msg.id);
            return give_up(
                inner,
                msg,
                DeadLetterKind::Message,
                None,
                KeepReason::NotANotification,
                reason,
                ErrorClass::Permanent,
            )
            .await;
        }
    };
    for (why, _) in &parsed.ignored {
        let (c, label) = match why {
            Ignored::TestEvent => (&stats.test_events, "test_event"),
            Ignored::NotObjectCreated => (&stats.ignored_not_created, "not_object_created"),
            Ignored::DirectoryMarker => (&stats.ignored_directory_markers, "directory_marker"),
            Ignored::EmptyObject => (&stats.ignored_empty_objects, "empty_object"),
        };
        Stats::add(c, 1);
        inner.metrics.ignored(label);
    }
    let mut kept: Option<Disposition> = None;
    let mut leave = false;
    for object in parsed.objects {
        match inner.config.objects.check(&object.bucket, &object.key) {
            Ok(()) => {}
            Err(ObjectRejection::KeyFiltered) => {
                Stats::add(&stats.objects_filtered, 1);
                inner.metrics.object(ObjectOutcome::Filtered);
                continue;
            }
            Err(ObjectRejection::BucketNotAllowed) => {
                Stats::add(&stats.objects_bucket_not_allowed, 1);
                stats.failure(ErrorClass::Configuration);
                inner.metrics.object(ObjectOutcome::BucketNotAllowed);
                inner
                    .metrics
                    .failure(Stage::Notification, ErrorClass::Configuration);
                let reason = format!(
                    "bucket '{}' of {object} is not on the allow-list",
                    object.bucket
                );
                match give_up(
                    inner,
                    msg,
                    DeadLetterKind::Message,
                    Some(object),
                    KeepReason::BucketNotAllowed,
                    reason,
                    ErrorClass::Configuration,
                )
                .await
                {
                    Disposition::Acknowledge => continue,
                    keep @ Disposition::Keep { .. } => {
                        kept.get_or_insert(keep);
                        continue;
                    }
                    other => return other,
                }
            }
        }
        let Some(route) = inner.routes.select(&object.key) else {
            match unmatched_object(inner, msg, object).await {
                UnmatchedEnd::Done => {}
                UnmatchedEnd::Leave => leave = true,
                UnmatchedEnd::Kept(keep) => {
                    kept.get_or_insert(keep);
                }
            }
            continue;
        };
        if let KeyVerdict::Skip(why) = route.source.accept_key(&object.key) {
            debug!(%object, why, "skipped by the log source");
            Stats::add(&stats.objects_skipped_by_source, 1);
            inner.metrics.object(ObjectOutcome::SkippedBySource);
            continue;
        }
        let span = tracing::Span::current();
        span.record("bucket", object.bucket.as_str());
        span.record("key", object.key.as_str());
        match object::process_object(inner, msg, object.clone(), route, lease).await {
            Ok(()) => inner.metrics.object(ObjectOutcome::Processed),
            Err(Stop::LeaseLost) => return Disposition::LeaseLost,
            Err(Stop::Store(StoreError::NotFound(what))) => {
                info!(%what, "object gone before it was read: acknowledged");
                Stats::add(&stats.objects_gone, 1);
                inner.metrics.object(ObjectOutcome::Gone);
            }
            Err(Stop::Store(StoreError::PreconditionFailed(what))) => {
                info!(%what, "object overwritten since the notification: acknowledged (the new version has its own)");
                Stats::add(&stats.objects_changed, 1);
                inner.metrics.object(ObjectOutcome::Overwritten);
            }
            Err(stop) => {
                let class = stop.class();
                let why = stop.keep_reason();
                let reason = format!("{object}: {stop}");
                warn!(%reason, ?class, "object failed");
                let undecodable = matches!(stop, Stop::Decode(_) | Stop::Crashed(_))
                    && class == ErrorClass::Permanent;
                if undecodable {
                    Stats::add(&stats.objects_undecodable, 1);
                    inner.metrics.object(ObjectOutcome::Undecodable);
                    match give_up(
                        inner,
                        msg,
                        DeadLetterKind::Object,
                        Some(object),
                        why,
                        reason,
                        class,
                    )
                    .await
                    {
                        Disposition::Acknowledge => continue,
                        keep @ Disposition::Keep { .. } => {
                            kept.get_or_insert(keep);
                        }
                        other => return other,
                    }
                } else {
                    inner.metrics.object(ObjectOutcome::Failed);
                    kept.get_or_insert(Disposition::Keep { why, class, reason });
                    if why == KeepReason::OutputClosed {
                        // Nothing more can be delivered: the rest of the message waits too.
                        break;
                    }
                }
            }
        }
        if lease.is_cancelled() {
            return Disposition::LeaseLost;
        }
    }
    // A failure outranks leaving the message for others: it is kept with a backoff either way.
    match kept {
        Some(keep) => keep,
        None if leave => Disposition::Leave,
        None => Disposition::Acknowledge,
    }
}
