import PresigndCore
import Synchronization

/// `presignd_http_requests_total` and the duration histogram of each (route, status), looked up
/// in the metrics table once per process instead of by building their keys on every request.
/// Only series that found their slot are kept: one that did not (a full table) is looked up
/// again next time, which counts it as dropped each time, as before.
final class RequestSeriesCache: Sendable {
    struct Key: Hashable {
        let route: String
        let status: Int
    }

    let entries = Mutex<[Key: (requests: Metrics.Series, duration: Metrics.Series)]>([:])

    func series(route: String, status: Int, metrics: Metrics) -> (requests: Metrics.Series, duration: Metrics.Series) {
        let key = Key(route: route, status: status)
        if let hit = entries.withLock({ $0[key] }) { return hit }
        // Looked up in the order counting did: the counter, then the histogram.
        let requests = metrics.series(Metrics.Families.requests, [("route", route), ("status", String(status))])
        let duration = metrics.series(Metrics.Families.duration, [("route", route)])
        if requests.isResolved && duration.isResolved {
            entries.withLock { $0[key] = (requests, duration) }
        }
        return (requests, duration)
    }
}
