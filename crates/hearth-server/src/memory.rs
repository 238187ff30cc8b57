//! Values kept in memory while the database has not changed. Each entry
//! remembers the count of committed writes it was made at (`Store::changes`
//! for what guests see, `Store::all_changes` for what a member sees) and is
//! used only while that count stands, and for a few seconds at most: writes
//! made outside this process on SQLite (the `hearth` command) are not counted.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Enough for what is read most; past it a cache starts afresh.
const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Larger values are not kept.
const MAX_VALUE_BYTES: usize = 2 * 1024 * 1024;
const MAX_AGE: Duration = Duration::from_secs(5);

/// Values by key, each valid while the change count it was made at stands,
/// and for at most `MAX_AGE`. `V` is cheap to clone (an `Arc`).
pub struct Kept<V> {
    entries: RwLock<Entries<V>>,
}

struct Entries<V> {
    by_key: HashMap<String, Entry<V>>,
    bytes: usize,
}

struct Entry<V> {
    changes: u64,
    made: Instant,
    bytes: usize,
    value: V,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(Entries {
                by_key: HashMap::new(),
                bytes: 0,
            }),
        }
    }
}

impl<V: Clone> Kept<V> {
    pub fn get(&self, key: &str, changes: u64) -> Option<V> {
        let entries = self.entries.read().ok()?;
        entries
            .by_key
            .get(key)
            .filter(|e| e.changes == changes && e.made.elapsed() < MAX_AGE)
            .map(|e| e.value.clone())
    }

    /// The value kept under `key` at count `changes`, or else `make`'s, kept
    /// (as about `bytes(&value)` bytes) under that count. Read the count
    /// before making the value: a write landing meanwhile makes it stale.
    /// Without a count (caches off, or it cannot be told) nothing is kept.
    pub async fn get_or_make<E>(
        &self,
        key: String,
        changes: Option<u64>,
        bytes: impl FnOnce(&V) -> usize,
        make: impl AsyncFnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = changes.and_then(|c| self.get(&key, c)) {
            return Ok(value);
        }
        let value = make().await?;
        if let Some(changes) = changes {
            let size = bytes(&value);
            self.put(key, changes, value.clone(), size);
        }
        Ok(value)
    }

    /// Forgets everything (after a change not made through a transaction).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.by_key.clear();
            entries.bytes = 0;
        }
    }

    /// Keeps `value` (of about `bytes` bytes) made when the store had seen `changes` writes.
    pub fn put(&self, key: String, changes: u64, value: V, bytes: usize) {
        if bytes > MAX_VALUE_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.bytes + bytes > MAX_BYTES {
            entries.by_key.clear();
            entries.bytes = 0;
        }
        entries.bytes += bytes;
        if let Some(old) = entries.by_key.insert(
            key,
            Entry {
                changes,
                made: Instant::now(),
                bytes,
                value,
            },
        ) {
            entries.bytes -= old.bytes;
        }
    }
}
