import Glibc
package import PresigndMetrics

/// The metrics table every worker counts into: an anonymous `MAP_SHARED` mapping made by the
/// supervisor before it forks, so the workers (and the workers of a reload) inherit the same
/// pages. Its size is fixed for the server's life (a reload does not change it).
package enum SharedMetrics {
    /// A table of `slots` series shared with every child forked after this call; nil (metrics
    /// off, logged) when the kernel refuses the mapping.
    package static func map(slots: Int) -> MetricsTable? {
        let bytes = slots * MetricsTable.slotSize
        let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else {
            ServerLog.event("cannot map \(bytes) bytes for metrics: \(ServerLog.lastError); metrics are off")
            return nil
        }
        return MetricsTable(memory: memory, bytes: bytes)  // zeroed by the kernel
    }
}
