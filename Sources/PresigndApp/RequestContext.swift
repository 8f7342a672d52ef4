package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
package import PresigndSigning
package import PresigndSupport
import PresigndUploads

/// What travels with a request through the middleware to its handler: the request id, the time
/// it arrived, the route that answered, the user once authenticated, the path parameters and
/// the error code of the answer. Middleware reads and fills it in (`inout`); a handler gets it
/// as it stands when the route's own middleware has run. Nothing of a request lives anywhere else.
package struct RequestContext: Sendable {
    package let request: HTTPRequest
    /// From `X-Request-ID` when plausible (nginx's `$request_id`), otherwise made here.
    package let requestID: String
    /// The wall-clock second the request is handled at.
    package let now: UnixSeconds
    /// Monotonic seconds at arrival, for the request's duration.
    package let started: Double
    /// The route pattern that answered (`/api/documents/{id}/download`), or what answered instead.
    package var route = "unmatched"
    package var parameters: [String: String]
    /// The authenticated user, set by the authentication middleware of routes that need one.
    package var user: AuthenticatedUser?
    /// The error code of the answer, when it was an error.
    package var errorCode: ErrorCode?
    /// The CloudFront policy the request's signed cookies carry, once the media route's
    /// cookie middleware has verified them.
    package var cookiePolicy: VerifiedCloudFrontPolicy?
    /// Seconds the request took, once the metrics middleware has measured it.
    package var duration: Double?

    package init(request: HTTPRequest, requestID: String = "", parameters: [String: String] = [:], user: AuthenticatedUser? = nil,
                now: UnixSeconds, started: Double = 0) {
        self.request = request
        self.requestID = requestID
        self.parameters = parameters
        self.user = user
        self.now = now
        self.started = started
    }

    /// The authenticated user; routes declared `.user` always have one.
    package func requireUser() throws(APIError) -> AuthenticatedUser {
        guard let user else {
            throw APIError(status: 401, code: .unauthenticated, message: "this route needs a bearer token",
                           headers: ["WWW-Authenticate": "Bearer"])
        }
        return user
    }

    /// A path parameter declared in the route's pattern.
    package func parameter(_ name: String) -> String {
        guard let value = parameters[name] else { preconditionFailure("route has no parameter {\(name)}") }
        return value
    }

    /// The body as a JSON object: 415 unless the client says `application/json`, 400 naming the
    /// problem when the text is not a JSON object.
    package func jsonBody() throws(APIError) -> JSONBody {
        try JSONBody.parse(request)
    }

    /// `error` as this request's answer: its request id in the body, its code noted for the log.
    package mutating func respond(to error: APIError, render: ((APIError, String?) -> HTTPResponse)? = nil) -> HTTPResponse {
        errorCode = error.code
        let id = requestID.isEmpty ? nil : requestID
        return render?(error, id) ?? error.response(requestID: id)
    }

    /// What a log line says about the request so far.
    var logContext: LogContext {
        LogContext(requestID: requestID, route: route, userID: user?.id)
    }
}
