package import PresigndHTTP
import PresigndJWT
package import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// `GET /metrics`: the Prometheus text exposition of every worker's counters (they share one
/// table). Not public: only clients whose address (`REMOTE_ADDR`) is in `allowed` get it;
/// everyone else gets the 404 of a path that does not exist.
package enum MetricsRoutes {
    package static func routes(metrics: Metrics, allowed: [IPRange]) -> [Route<Endpoint>] {
        guard metrics.isEnabled, !allowed.isEmpty else { return [] }
        return [
            Route("GET", "/metrics", access: .everyone, handler: Endpoint { context in
                guard allowed.contains(where: { $0.contains(context.request.remoteAddress) }) else {
                    throw APIError.notFound("no route for /metrics")
                }
                return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8",
                                                           "Cache-Control": "no-store"],
                                    body: Array(metrics.exposition().utf8))
            }),
        ]
    }
}
