//! Where a record lands in the lake: its partition
//! (`index=<index>/msg_class=<msg_class>/dt=YYYY-MM-DD/hour=HH`, from the record's source and its
//! UTC timestamp) and the collision-free name of each object written there.
//!
//! Partition values are sanitised for keys: ASCII letters, digits, `-`, `_` and `.` are kept,
//! every other character becomes `_` (`AWS Events` → `AWS_Events`), a value is cut at 100
//! characters, and an empty value or one made only of dots is written `_`. The exact values
//! stay in the objects' `index` and `msg_class` columns.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use s3conn_core::time::civil_from_days;
use s3conn_core::Record;

const HOUR_MS: i64 = 3_600_000;

/// The records of one batch that share a partition, in batch order.
#[derive(Debug)]
pub(crate) struct PartitionGroup<'a> {
    /// `index=…/msg_class=…/dt=…/hour=…` (no leading or trailing `/`).
    pub path: String,
    /// The records.
    pub records: Vec<&'a Record>,
}

/// Splits a batch by partition, keeping the order of records within each.
pub(crate) fn partition(batch: &[Record]) -> Vec<PartitionGroup<'_>> {
    // Records of one object share their `SourceInfo`: group by it and the hour, then name.
    let mut groups: Vec<(*const (), i64, Vec<&Record>)> = Vec::new();
    for record in batch {
        let source = Arc::as_ptr(&record.source).cast::<()>();
        let hour = record.timestamp_ms.div_euclid(HOUR_MS);
        match groups
            .iter_mut()
            .find(|(s, h, _)| *s == source && *h == hour)
        {
            Some((_, _, records)) => records.push(record),
            None => groups.push((source, hour, vec![record])),
        }
    }
    let mut out: Vec<PartitionGroup<'_>> = Vec::with_capacity(groups.len());
    for (_, hour, records) in groups {
        let Some(first) = records.first() else {
            continue;
        };
        let path = partition_path(&first.source.index, &first.source.msg_class, hour);
        // Two sources with the same index and msg_class share a partition.
        match out.iter_mut().find(|g| g.path == path) {
            Some(g) => g.records.extend(records),
            None => out.push(PartitionGroup { path, records }),
        }
    }
    out
}

/// The partition path of records of `index` and `msg_class` in the UTC hour `hour` (hours since
/// the epoch).
pub(crate) fn partition_path(index: &str, msg_class: &str, hour: i64) -> String {
    let days = hour.div_euclid(24);
    let (y, m, d) = civil_from_days(days);
    format!(
        "index={}/msg_class={}/dt={y:04}-{m:02}-{d:02}/hour={:02}",
        sanitise(index),
        sanitise(msg_class),
        hour.rem_euclid(24)
    )
}

/// A partition value made safe for an object key (see the module docs).
pub(crate) fn sanitise(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().all(|c| c == '.') {
        out = "_".to_owned();
    }
    out
}

/// A name no other object of this or any other process gets: the UTC time it was made, a random
/// 64-bit token drawn once per process, and a per-process sequence number.
pub(crate) fn unique_name(now_ms: i64, extension: &str) -> String {
    static TOKEN: OnceLock<u64> = OnceLock::new();
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let token = *TOKEN.get_or_init(|| {
        // `RandomState` is keyed from the operating system's random source.
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_i64(now_ms);
        h.finish()
    });
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let secs = now_ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z-{token:016x}-{seq:06}.{extension}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3conn_core::testing::sample_records;

    #[test]
    fn dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn paths_are_hive_style_and_sanitised() {
        // 1_700_000_000_000 ms = 2023-11-14T22:13:20Z.
        let hour = 1_700_000_000_000 / HOUR_MS;
        assert_eq!(
            partition_path("AWS Events", "aws/cloudtrail", hour),
            "index=AWS_Events/msg_class=aws_cloudtrail/dt=2023-11-14/hour=22"
        );
        assert_eq!(sanitise(""), "_");
        assert_eq!(sanitise(".."), "_");
        assert_eq!(sanitise("a=b/c?d"), "a_b_c_d");
        assert_eq!(sanitise("ü"), "_");
        assert_eq!(sanitise(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn a_batch_splits_by_hour_and_keeps_order() {
        let mut records = sample_records("p", 6);
        for r in &mut records[3..] {
            r.timestamp_ms += HOUR_MS;
        }
        let groups = partition(&records);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].records.len(), 3);
        assert!(groups[1].path.ends_with("hour=23"));
        let ordinals: Vec<u64> = groups[1].records.iter().map(|r| r.ordinal).collect();
        assert_eq!(ordinals, [3, 4, 5]);
    }

    #[test]
    fn names_are_unique_within_a_process() {
        let a = unique_name(1_700_000_000_000, "parquet");
        let b = unique_name(1_700_000_000_000, "parquet");
        assert_ne!(a, b);
        assert!(a.starts_with("20231114T221320Z-"), "{a}");
        assert!(a.ends_with(".parquet"));
    }
}
