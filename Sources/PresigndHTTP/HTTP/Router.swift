import PresigndSupport

/// Whether a route needs an authenticated user.
package enum RouteAccess: Sendable, Equatable {
    case everyone
    case user
}

/// A method + path pattern such as `/api/documents/{id}/download`, bound to a handler.
package struct Route<Handler: Sendable>: Sendable {
    package let method: String
    package let pattern: String
    package let access: RouteAccess
    /// Whether answering changes state (rows, quota, cookies). By default every method but GET,
    /// HEAD and OPTIONS; a GET that changes state (Uppy's `s3/params` creates an upload) says so,
    /// and the cookie-mode CSRF rule then applies to it like to a POST.
    package let changesState: Bool
    /// The pattern's last parameter takes the rest of the path, slashes included
    /// (`/media/{key}` matches `/media/avatars/a/b.png`, and `/media/` with an empty key).
    package let takesRest: Bool
    package let handler: Handler
    let segments: [PatternSegment]
    /// How specific the pattern is: its number of literal segments.
    let literalCount: Int

    package init(_ method: String, _ pattern: String, access: RouteAccess, changesState: Bool? = nil, takesRest: Bool = false,
                handler: Handler) {
        self.method = method
        self.pattern = pattern
        self.access = access
        self.changesState = changesState ?? !HTTPRequest.safeMethods.contains(method)
        self.takesRest = takesRest
        self.handler = handler
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        precondition(!takesRest || segments.last.map { if case .parameter = $0 { true } else { false } } == true,
                     "a route that takes the rest of the path ends in a parameter: \(pattern)")
        self.literalCount = segments.filter { if case .literal = $0 { return true } else { return false } }.count
    }
}

enum PatternSegment: Sendable, Equatable {
    case literal(String)
    case parameter(String)
}

/// What the router made of a request.
package enum RouteMatch<Handler: Sendable> {
    case found(Route<Handler>, parameters: [String: String])
    /// The path exists, but not for this method; `allowed` is for the `Allow` header.
    case methodNotAllowed(allowed: [String])
    case notFound
    /// A path segment had a malformed percent-escape or was not UTF-8.
    case badPath(String)
}

/// Matches method + path against a fixed table of routes. Paths compare segment by segment
/// after percent-decoding each segment, so an encoded `/` (`%2F`) stays inside its segment.
package struct Router<Handler: Sendable>: Sendable {
    package private(set) var routes: [Route<Handler>] = []
    /// What matching reads of each route, beside `routes`: the search reads these plain values
    /// and copies a (generic, so unspecialised here) `Route` only for the one it returns.
    var shapes: [RouteShape] = []
    /// Indices into `routes` by their number of segments, in table order: only routes with as
    /// many segments as the path can match it.
    var bySegmentCount: [[Int]] = []

    struct RouteShape: Sendable {
        let method: String
        let segments: [PatternSegment]
        let literalCount: Int
    }

    package init(_ routes: [Route<Handler>] = []) {
        for route in routes { add(route) }
    }

    /// Routes whose last parameter takes the rest of the path, tried when no route has exactly
    /// as many segments as the path.
    var takingRest: [Int] = []

    package mutating func add(_ route: Route<Handler>) {
        if route.takesRest {
            takingRest.append(routes.count)
        } else {
            while bySegmentCount.count <= route.segments.count { bySegmentCount.append([]) }
            bySegmentCount[route.segments.count].append(routes.count)
        }
        shapes.append(RouteShape(method: route.method, segments: route.segments, literalCount: route.literalCount))
        routes.append(route)
    }

    package func match(method: String, path: String) -> RouteMatch<Handler> {
        guard let segments = Router.segments(of: path) else {
            return .badPath("the path has a malformed percent-escape or is not UTF-8")
        }
        // A literal segment beats a parameter: `/api/uploads/presign` is the presign route's path,
        // not an `{id}` of `/api/uploads/{id}`, whatever the method.
        var best = -1
        var candidates: [Int] = []
        let sameLength = segments.count < bySegmentCount.count ? bySegmentCount[segments.count] : []
        for index in sameLength where Router.literalsMatch(shapes[index].segments, segments) {
            let literals = shapes[index].literalCount
            if literals > best {
                best = literals
                candidates.removeAll(keepingCapacity: true)
            }
            if literals == best { candidates.append(index) }
        }
        if candidates.isEmpty {
            for index in takingRest where Router.leadingLiteralsMatch(shapes[index].segments, segments) {
                candidates.append(index)
            }
        }
        var allowed: [String] = []
        for index in candidates {
            let shape = shapes[index]
            if shape.method == method || (method == "HEAD" && shape.method == "GET") {
                let parameters = routes[index].takesRest ? Router.bindRest(shape.segments, to: segments)
                    : Router.bind(shape.segments, to: segments) ?? [:]
                return .found(routes[index], parameters: parameters)
            }
            if !allowed.contains(shape.method) { allowed.append(shape.method) }
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }

    /// The path's non-empty segments, each percent-decoded; nil when one does not decode.
    static func segments(of path: String) -> [String]? {
        var path = path
        let ascii: [String]?? = path.withUTF8 { bytes in
            // Outside ASCII a `/` can start a longer Character (`/` + a combining mark), which the
            // Character split below keeps whole: that path decides.
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return .none }
            var segments: [String] = []
            var start = 0
            for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: "/") {
                defer { start = end + 1 }
                guard end > start else { continue }
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if raw.contains(UInt8(ascii: "%")) {
                    guard let decoded = PercentEncoding.decodeBytes(Array(raw), plusAsSpace: false) else { return .some(nil) }
                    segments.append(decoded)
                } else {
                    segments.append(String(decoding: raw, as: UTF8.self))
                }
            }
            return .some(segments)
        }
        if let ascii { return ascii }
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = PercentEncoding.decode(String(raw)) else { return nil }
            segments.append(decoded)
        }
        return segments
    }

    /// Whether every literal segment of `pattern` equals the path's segment in its place.
    static func literalsMatch(_ pattern: [PatternSegment], _ segments: [String]) -> Bool {
        guard pattern.count == segments.count else { return false }
        for (part, segment) in zip(pattern, segments) {
            if case .literal(let literal) = part, literal != segment { return false }
        }
        return true
    }

    /// The methods `path` has (with HEAD where it has GET), for CORS and `Allow`; empty when none.
    package func methods(for path: String) -> [String] {
        switch match(method: "OPTIONS", path: path) {
        case .methodNotAllowed(let allowed): return allowed
        case .found(let route, _): return [route.method]
        case .notFound, .badPath: return []
        }
    }

    /// Whether the path has every segment before the pattern's last (the rest parameter), literals equal.
    static func leadingLiteralsMatch(_ pattern: [PatternSegment], _ segments: [String]) -> Bool {
        let leading = pattern.dropLast()
        guard segments.count >= leading.count else { return false }
        return literalsMatch(Array(leading), Array(segments.prefix(leading.count)))
    }

    /// The leading parameters, and the last one bound to the rest of the segments joined by `/`.
    static func bindRest(_ pattern: [PatternSegment], to segments: [String]) -> [String: String] {
        var parameters = bind(Array(pattern.dropLast()), to: Array(segments.prefix(pattern.count - 1))) ?? [:]
        if case .parameter(let name) = pattern.last {
            parameters[name] = segments.dropFirst(pattern.count - 1).joined(separator: "/")
        }
        return parameters
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
