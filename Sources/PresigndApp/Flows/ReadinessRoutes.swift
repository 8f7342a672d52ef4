package import PresigndHTTP
import PresigndMetrics
import PresigndSigning
import PresigndUploads
import PresigndSupport

/// `GET /readyz`: 200 when PostgreSQL answers, 503 otherwise, so a load balancer sends no
/// traffic to a worker that can only fail. No token needed.
package enum ReadinessRoutes {
    package static func routes(store: any DocumentStore) -> [Route<Endpoint>] {
        [
            Route("GET", "/readyz", access: .everyone, handler: Endpoint { _ in
                try store.ping()
                return .json(["status": "ready"])
            }),
        ]
    }
}
