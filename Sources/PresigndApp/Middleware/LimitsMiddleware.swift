package import PresigndHTTP
import PresigndMetrics
import PresigndSigning
import PresigndUploads

/// Limits applied to every request before a route sees it. The gateway's caps only bound what
/// it reads; these are the limits the API states (`PRESIGND_BODY_LIMIT` / `serve --body-limit`).
package struct RequestLimits: Sendable, Equatable {
    package var maxBodyBytes: Int
    package var maxPathBytes: Int

    package init(maxBodyBytes: Int = 65_536, maxPathBytes: Int = GatewayLimits.defaultPathLimit) {
        self.maxBodyBytes = maxBodyBytes
        self.maxPathBytes = maxPathBytes
    }
}

/// The one owner of the body and path limits: 413 and 414 with a message naming the limit.
package struct LimitsMiddleware: Middleware {
    package let limits: RequestLimits

    package init(_ limits: RequestLimits) { self.limits = limits }

    package func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        guard request.path.utf8.count <= limits.maxPathBytes else {
            throw APIError(status: 414, code: .pathTooLong,
                           message: "the path is \(request.path.utf8.count) bytes; the limit is \(limits.maxPathBytes)")
        }
        guard request.body.count <= limits.maxBodyBytes else {
            throw APIError(status: 413, code: .bodyTooLarge,
                           message: "request body is \(request.body.count) bytes; the limit is \(limits.maxBodyBytes)")
        }
        return next(request, &context)
    }
}
