/// Whether a route needs an authenticated user.
public enum RouteAccess: Sendable, Equatable {
    case everyone
    case user
}

/// A method + path pattern such as `/api/documents/{id}/download`, bound to a handler.
public struct Route<Handler: Sendable>: Sendable {
    public let method: String
    public let pattern: String
    public let access: RouteAccess
    public let handler: Handler
    let segments: [PatternSegment]
    /// How specific the pattern is: its number of literal segments.
    let literalCount: Int

    public init(_ method: String, _ pattern: String, access: RouteAccess, handler: Handler) {
        self.method = method
        self.pattern = pattern
        self.access = access
        self.handler = handler
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        self.literalCount = segments.filter { if case .literal = $0 { return true } else { return false } }.count
    }
}

enum PatternSegment: Sendable, Equatable {
    case literal(String)
    case parameter(String)
}

/// What the router made of a request.
public enum RouteMatch<Handler: Sendable> {
    case found(Route<Handler>, parameters: [String: String])
    /// The path exists, but not for this method; `allowed` is for the `Allow` header.
    case methodNotAllowed(allowed: [String])
    case notFound
    /// A path segment had a malformed percent-escape or was not UTF-8.
    case badPath(String)
}

/// Matches method + path against a fixed table of routes. Paths compare segment by segment
/// after percent-decoding each segment, so an encoded `/` (`%2F`) stays inside its segment.
public struct Router<Handler: Sendable>: Sendable {
    public private(set) var routes: [Route<Handler>] = []

    public init(_ routes: [Route<Handler>] = []) { self.routes = routes }

    public mutating func add(_ route: Route<Handler>) { routes.append(route) }

    public func match(method: String, path: String) -> RouteMatch<Handler> {
        let rawSegments = path.split(separator: "/", omittingEmptySubsequences: true)
        var segments: [String] = []
        segments.reserveCapacity(rawSegments.count)
        for raw in rawSegments {
            guard let decoded = PercentEncoding.decode(String(raw)) else {
                return .badPath("the path has a malformed percent-escape or is not UTF-8")
            }
            segments.append(decoded)
        }
        // A literal segment beats a parameter: `/api/uploads/presign` is the presign route's path,
        // not an `{id}` of `/api/uploads/{id}`, whatever the method.
        var best = -1
        var candidates: [(route: Route<Handler>, parameters: [String: String])] = []
        for route in routes {
            guard let parameters = Router.bind(route.segments, to: segments) else { continue }
            let literals = route.literalCount
            if literals > best {
                best = literals
                candidates = []
            }
            if literals == best { candidates.append((route, parameters)) }
        }
        var allowed: [String] = []
        for (route, parameters) in candidates {
            if route.method == method { return .found(route, parameters: parameters) }
            if method == "HEAD" && route.method == "GET" { return .found(route, parameters: parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }

    /// The methods `path` has (with HEAD where it has GET), for CORS and `Allow`; empty when none.
    public func methods(for path: String) -> [String] {
        switch match(method: "OPTIONS", path: path) {
        case .methodNotAllowed(let allowed): return allowed
        case .found(let route, _): return [route.method]
        case .notFound, .badPath: return []
        }
    }

    static func bind(_ pattern: [PatternSegment], to segments: [String]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (part, segment) in zip(pattern, segments) {
            switch part {
            case .literal(let literal): if literal != segment { return nil }
            case .parameter(let name): parameters[name] = segment
            }
        }
        return parameters
    }
}
