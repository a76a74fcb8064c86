//! The one concurrency rule: how many messages a pipeline keeps in flight for a number of objects
//! worked on at once, used by the connector and by replay alike.

/// Objects decoded at once when nothing says otherwise: one per core plus one, so a core never
/// waits while an object starts.
pub fn default_objects_in_flight() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        + 1
}

/// Messages kept in flight for `objects` objects worked on at once: five per object and at least
/// ten (one full receive batch), so received messages are waiting whenever an object finishes.
pub fn messages_in_flight(objects: usize) -> usize {
    objects.max(1).saturating_mul(5).max(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_objects() {
        assert_eq!(messages_in_flight(0), 10);
        assert_eq!(messages_in_flight(1), 10);
        assert_eq!(messages_in_flight(4), 20);
        assert_eq!(messages_in_flight(usize::MAX), usize::MAX);
        assert!(default_objects_in_flight() >= 2);
    }
}
