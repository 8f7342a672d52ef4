import PresigndCore

/// A route's handler and the scope group it belongs to (for per-group required scopes).
public struct Endpoint: Sendable {
    public let group: String?
    /// How this route's errors are written, when not in the project's one shape (Uppy's routes
    /// add the top-level `message` Uppy shows); applies to authentication errors too.
    public let renderError: (@Sendable (APIError) -> HTTPResponse)?
    public let handle: @Sendable (RequestContext) throws -> HTTPResponse

    public init(group: String? = nil, renderError: (@Sendable (APIError) -> HTTPResponse)? = nil,
                _ handle: @escaping @Sendable (RequestContext) throws -> HTTPResponse) {
        self.group = group
        self.renderError = renderError
        self.handle = handle
    }
}

/// Turns an `HTTPRequest` into an `HTTPResponse`: the middleware (limits, CORS, …) around
/// routing, 404/405, authentication, scope checks, and mapping every failure to the one error
/// shape. Stateless apart from what it is built with, so every worker thread shares one instance.
public struct Application: Sendable {
    public let router: Router<Endpoint>
    public let authenticator: any Authenticator
    /// Checks a user against a route group's required scopes; throws the 403 to send.
    public let authorize: @Sendable (AuthenticatedUser, String) throws(APIError) -> Void
    public let clock: any Clock
    /// Outermost first; the limits always run (innermost), so every route has them.
    public let middleware: [any Middleware]
    public let logger: Logger
    public let metrics: Metrics
    /// Seconds on a clock that never goes back, for request durations.
    let monotonic: @Sendable () -> Double
    /// Each route's request counter and duration series, found once.
    let requestSeries = RequestSeriesCache()

    public init(
        routes: [Route<Endpoint>], authenticator: any Authenticator,
        authorize: @escaping @Sendable (AuthenticatedUser, String) throws(APIError) -> Void = { _, _ in },
        clock: any Clock, limits: RequestLimits = RequestLimits(), middleware: [any Middleware] = [], logger: Logger,
        metrics: Metrics = .off, monotonic: @escaping @Sendable () -> Double = MonotonicTime.now
    ) {
        self.router = Router(routes)
        self.authenticator = authenticator
        self.authorize = authorize
        self.clock = clock
        self.middleware = middleware + [LimitsMiddleware(limits)]
        self.logger = logger
        self.metrics = metrics
        self.monotonic = monotonic
    }

    /// Answers within a `RequestScope` (request id, route, user, error code), then counts the
    /// answer by route and status, times it, writes its log line and returns the request id in
    /// `X-Request-ID`.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = monotonic()
        let scope = RequestScope(requestID: RequestScope.requestID(from: request.headers["X-Request-ID"]))
        var response = RequestScope.$current.withValue(scope) {
            run(request, through: middleware[...])
        }
        if request.method == "HEAD" { response.body = [] }
        response.headers.set("X-Request-ID", scope.requestID)
        let seconds = monotonic() - started
        if metrics.isEnabled {
            let series = requestSeries.series(route: scope.route, status: response.status, metrics: metrics)
            series.requests.add(1)
            series.duration.observe(seconds: seconds)
        }
        logger.request(scope, method: loggableMethod(request.method), status: response.status, seconds: seconds)
        return response
    }

    /// The request through the remaining middleware, then the router; whatever any of them
    /// throws becomes its error response right there, so outer middleware sees every answer.
    func run(_ request: HTTPRequest, through chain: ArraySlice<any Middleware>) -> HTTPResponse {
        respond(to: request) {
            guard let first = chain.first else { return try dispatch(request) }
            return try first.handle(request) { run($0, through: chain.dropFirst()) }
        }
    }

    func respond(to request: HTTPRequest, _ body: () throws -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch let error as APIErrorConvertible {
            return error.apiError.response
        } catch {
            // Only the error's type is logged: its text may quote input or secrets.
            logger.error("unhandled \(type(of: error)) on \(request.method) \(loggablePath(request.path))")
            return APIError.internalError().response
        }
    }

    func dispatch(_ request: HTTPRequest) throws -> HTTPResponse {
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            throw APIError.notFound("no route for \(loggablePath(request.path))")
        case .badPath(let why):
            throw APIError.badRequest("invalid_path", why)
        case .methodNotAllowed(let allowed):
            throw APIError(status: 405, code: "method_not_allowed",
                           message: "\(loggableMethod(request.method)) is not allowed here; use \(allowed.joined(separator: " or "))",
                           headers: ["Allow": allowed.joined(separator: ", ")])
        case .found(let route, let parameters):
            RequestScope.current?.route = route.pattern
            do {
                return try serve(route, parameters: parameters, request)
            } catch let error as APIErrorConvertible {
                guard let render = route.handler.renderError else { throw error }
                return render(error.apiError)
            }
        }
    }

    func serve(_ route: Route<Endpoint>, parameters: [String: String], _ request: HTTPRequest) throws -> HTTPResponse {
        let now = clock.now()
        var user: AuthenticatedUser? = nil
        if route.access == .user {
            let authenticated: AuthenticatedUser
            do {
                authenticated = try authenticator.authenticate(request, now: now)
            } catch let error as APIErrorConvertible {
                metrics.count(Metrics.Families.jwtRefusals, [("reason", BearerError.reason(of: error.apiError))])
                throw error
            }
            RequestScope.current?.userID = authenticated.id
            if let group = route.handler.group { try authorize(authenticated, group) }
            user = authenticated
        }
        let context = RequestContext(request: request, parameters: parameters, user: user, now: now)
        return try route.handler.handle(context)
    }

    /// Paths are logged at most 200 bytes long; they never carry secrets (signatures live in
    /// query strings, which are not logged).
    func loggablePath(_ path: String) -> String {
        let printable = path.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        return String(String.UnicodeScalarView(printable.prefix(200)))
    }

    func loggableMethod(_ method: String) -> String {
        // The usual case, a short token of visible ASCII, is kept whole by the filter below.
        if method.utf8.count <= 20 && method.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) { return method }
        return String(String.UnicodeScalarView(method.unicodeScalars.filter { $0.value >= 0x21 && $0.value < 0x7F }.prefix(20)))
    }
}
