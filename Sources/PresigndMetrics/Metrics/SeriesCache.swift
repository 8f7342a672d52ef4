import Synchronization

/// Series found once per key (a route and status, a signature kind, a state change), so a hot
/// path counts through a kept handle instead of writing the series' key and searching the table
/// on every request. Only series that found their slot are kept: one that did not (a full table)
/// is looked up again next time, which counts it as dropped each time, as `Metrics.count` does.
package final class SeriesCache<Key: Hashable & Sendable>: Sendable {
    let entries = Mutex<[Key: Metrics.Series]>([:])

    package init() {}

    /// The kept series of `key`, or the one `find` looks up (kept when it found its slot).
    package func series(_ key: Key, find: () -> Metrics.Series) -> Metrics.Series {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let series = find()
        if series.isResolved { entries.withLock { $0[key] = series } }
        return series
    }
}
