import PresigndHTTP
import PresigndMetrics
import PresigndSigning
import PresigndUploads

/// The answered request's log line (`PRESIGND_ACCESS_LOG`): route, status, duration, user,
/// request id and error code, from the context as the rest of the chain left it.
struct AccessLogMiddleware: Middleware {
    let logger: Logger
    let monotonic: @Sendable () -> Double

    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        let response = next(request, &context)
        let seconds = context.duration ?? monotonic() - context.started
        logger.request(context, method: Loggable.method(request.method), status: response.status, seconds: seconds)
        return response
    }
}
