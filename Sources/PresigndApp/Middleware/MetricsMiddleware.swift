import PresigndHTTP
import PresigndMetrics
import PresigndSigning
import PresigndUploads

/// Counts every answer by route pattern and status and observes its duration (which it leaves
/// in the context for the access log, so both report the same time).
struct MetricsMiddleware: Middleware {
    let metrics: Metrics
    let monotonic: @Sendable () -> Double
    /// Each route's request counter and duration series, found once.
    let requestSeries = RequestSeriesCache()

    init(metrics: Metrics, monotonic: @escaping @Sendable () -> Double) {
        self.metrics = metrics
        self.monotonic = monotonic
    }

    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        let response = next(request, &context)
        guard metrics.isEnabled else { return response }
        let seconds = monotonic() - context.started
        context.duration = seconds
        let series = requestSeries.series(route: context.route, status: response.status, metrics: metrics)
        series.requests.add(1)
        series.duration.observe(seconds: seconds)
        return response
    }
}
