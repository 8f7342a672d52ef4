package import PresigndHTTP
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// `GET /healthz`: the process is up and serving. Needs no token and touches nothing else, so
/// a load balancer can call it as often as it likes.
package enum HealthRoutes {
    package static func routes() -> [Route<Endpoint>] {
        [
            Route("GET", "/healthz", access: .everyone, handler: Endpoint { _ in
                .json(["status": "ok", "version": .string(PresigndVersion.current)])
            }),
        ]
    }
}
