import PresigndHTTP
import PresigndMetrics
import PresigndSigning

/// Returns the request's id in `X-Request-ID` on every answer, so a user's report finds its log line.
struct RequestIDMiddleware: Middleware {
    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        var response = next(request, &context)
        response.headers.set("X-Request-ID", context.requestID)
        return response
    }
}
