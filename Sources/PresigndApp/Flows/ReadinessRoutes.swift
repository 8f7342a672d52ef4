import PresigndCore

/// `GET /readyz`: 200 when PostgreSQL answers, 503 otherwise, so a load balancer sends no
/// traffic to a worker that can only fail. No token needed.
public enum ReadinessRoutes {
    public static func routes(store: any DocumentStore) -> [Route<Endpoint>] {
        [
            Route("GET", "/readyz", access: .everyone, handler: Endpoint { _ in
                try store.ping()
                return .json(["status": "ready"])
            }),
        ]
    }
}
