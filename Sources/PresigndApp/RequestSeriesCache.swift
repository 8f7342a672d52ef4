import PresigndHTTP
import PresigndMetrics
import PresigndSigning
import PresigndUploads

/// `presignd_http_requests_total` and the duration histogram of each (route, status), looked up
/// in the metrics table once per process instead of by building their keys on every request.
final class RequestSeriesCache: Sendable {
    struct Key: Hashable {
        let route: String
        let status: Int
    }

    let requests = SeriesCache<Key>()
    let durations = SeriesCache<String>()

    func series(route: String, status: Int, metrics: Metrics) -> (requests: Metrics.Series, duration: Metrics.Series) {
        // Looked up in the order counting did: the counter, then the histogram.
        let counter = requests.series(Key(route: route, status: status)) {
            metrics.series(Metrics.Families.requests, [("route", route), ("status", String(status))])
        }
        let duration = durations.series(route) { metrics.series(Metrics.Families.duration, [("route", route)]) }
        return (counter, duration)
    }
}
