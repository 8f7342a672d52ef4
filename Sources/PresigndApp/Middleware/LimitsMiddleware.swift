import PresigndCore

/// Limits applied to every request before a route sees it. The gateway's caps only bound what
/// it reads; these are the limits the API states (`PRESIGND_BODY_LIMIT` / `serve --body-limit`).
public struct RequestLimits: Sendable, Equatable {
    public var maxBodyBytes: Int
    public var maxPathBytes: Int

    public init(maxBodyBytes: Int = 65_536, maxPathBytes: Int = 2_048) {
        self.maxBodyBytes = maxBodyBytes
        self.maxPathBytes = maxPathBytes
    }
}

/// The one owner of the body and path limits: 413 and 414 with a message naming the limit.
public struct LimitsMiddleware: Middleware {
    public let limits: RequestLimits

    public init(_ limits: RequestLimits) { self.limits = limits }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        guard request.path.utf8.count <= limits.maxPathBytes else {
            throw APIError(status: 414, code: "path_too_long",
                           message: "the path is \(request.path.utf8.count) bytes; the limit is \(limits.maxPathBytes)")
        }
        guard request.body.count <= limits.maxBodyBytes else {
            throw APIError(status: 413, code: "body_too_large",
                           message: "request body is \(request.body.count) bytes; the limit is \(limits.maxBodyBytes)")
        }
        return next(request, &context)
    }
}
