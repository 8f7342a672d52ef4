package import PresigndHTTP
package import PresigndJWT
package import PresigndMetrics
import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// A route's handler, the scope group it belongs to, and what runs before it: the route
/// group's middleware. Built by `RouteGroup`, or directly for a lone route.
package struct Endpoint: Sendable {
    package let group: String?
    /// How this route's errors are written, when not in the project's one shape (Uppy's routes
    /// add the top-level `message` Uppy shows); applies to its middleware's errors too.
    package let renderError: (@Sendable (APIError, String?) -> HTTPResponse)?
    /// The route group's own middleware, after authentication and the scope check.
    package let middleware: [any Middleware]
    package let handle: @Sendable (RequestContext) throws -> HTTPResponse

    package init(group: String? = nil, renderError: (@Sendable (APIError, String?) -> HTTPResponse)? = nil,
                middleware: [any Middleware] = [], _ handle: @escaping @Sendable (RequestContext) throws -> HTTPResponse) {
        self.group = group
        self.renderError = renderError
        self.middleware = middleware
        self.handle = handle
    }
}

/// Turns an `HTTPRequest` into an `HTTPResponse` by running the chain: request id, access log,
/// metrics, HEAD, then the configured middleware (CORS, …) and the limits, then the router; a
/// matched route runs its own middleware (authentication, scopes, the group's) before its
/// handler. Built from values only (the clock, the id generator, the scopes table, the logger),
/// so a request never calls back into the executable. Every worker thread shares one instance.
package struct Application: Sendable {
    /// Each route with the middleware that runs before its handler.
    struct Responder: Sendable {
        let endpoint: Endpoint
        let chain: [any Middleware]
    }

    let router: Router<Responder>
    /// Outermost first, ending with the limits (so every route has them).
    let middleware: [any Middleware]
    let clock: any Clock
    let requestIDs: RequestIDs
    /// Seconds on a clock that never goes back, for request durations.
    let monotonic: @Sendable () -> Double
    let chain: MiddlewareChain

    package init(
        routes: [Route<Endpoint>], authenticator: any Authenticator, scopes: ScopeRequirements = .none,
        clock: any Clock, limits: RequestLimits = RequestLimits(), middleware: [any Middleware] = [], logger: Logger,
        metrics: Metrics = .off, monotonic: @escaping @Sendable () -> Double = MonotonicTime.now,
        requestIDs: RequestIDs = RequestIDs()
    ) {
        self.router = Router(routes.map { route in
            var chain: [any Middleware] = []
            if route.access == .user {
                chain.append(AuthenticationMiddleware(authenticator: authenticator, changesState: route.changesState, metrics: metrics))
                if let group = route.handler.group { chain.append(ScopeMiddleware(group: group, scopes: scopes)) }
            }
            chain += route.handler.middleware
            return Route(route.method, route.pattern, access: route.access, changesState: route.changesState,
                         takesRest: route.takesRest, handler: Responder(endpoint: route.handler, chain: chain))
        })
        self.clock = clock
        self.requestIDs = requestIDs
        self.monotonic = monotonic
        self.chain = MiddlewareChain(logger: logger)
        self.middleware = [RequestIDMiddleware(), AccessLogMiddleware(logger: logger, monotonic: monotonic),
                           MetricsMiddleware(metrics: metrics, monotonic: monotonic), HeadMiddleware()]
            + middleware + [LimitsMiddleware(limits)]
    }

    /// Runs the request through the chain; every answer, errors included, comes back out
    /// through every middleware.
    package func handle(_ request: HTTPRequest) -> HTTPResponse {
        var context = RequestContext(request: request, requestID: requestIDs.id(from: request.headers["X-Request-ID"]),
                                     now: clock.now(), started: monotonic())
        return LogContext.$current.withValue(context.logContext) {
            chain.run(request, &context, through: middleware[...], then: dispatch)
        }
    }

    func dispatch(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            throw APIError.notFound("no route for \(Loggable.path(request.path))")
        case .badPath(let why):
            throw APIError.badRequest(.invalidPath, why)
        case .methodNotAllowed(let allowed):
            throw APIError(status: 405, code: .methodNotAllowed,
                           message: "\(Loggable.method(request.method)) is not allowed here; use \(allowed.joined(separator: " or "))",
                           headers: ["Allow": allowed.joined(separator: ", ")])
        case .found(let route, let parameters):
            context.route = route.pattern
            context.parameters = parameters
            let responder = route.handler
            let render = responder.endpoint.renderError
            return LogContext.$current.withValue(context.logContext) {
                chain.run(request, &context, through: responder.chain[...], render: render) {
                    _, context in try responder.endpoint.handle(context)
                }
            }
        }
    }
}

/// Request text as it may appear in log lines and messages.
enum Loggable {
    /// Paths are logged at most 200 bytes long; they never carry secrets (signatures live in
    /// query strings, which are not logged).
    static func path(_ path: String) -> String {
        let printable = path.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        return String(String.UnicodeScalarView(printable.prefix(200)))
    }

    static func method(_ method: String) -> String {
        // The usual case, a short token of visible ASCII, is kept whole by the filter below.
        if method.utf8.count <= 20 && method.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) { return method }
        return String(String.UnicodeScalarView(method.unicodeScalars.filter { $0.value >= 0x21 && $0.value < 0x7F }.prefix(20)))
    }
}
