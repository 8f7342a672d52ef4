import PresigndCore

/// The handler the application supplies: one request in, one response out.
public typealias RequestHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// The flow shared by FastCGI and CGI: read the head, refuse what is too big before reading the
/// body, read the body, ask the handler.
enum RequestExchange {
    struct Outcome {
        let response: HTTPResponse
        /// False when the body was left unread (refused before reading): the caller discards it.
        let bodyConsumed: Bool
    }

    static func respond(
        params: [GatewayParam], unreadBytes: Int = 0, limits: GatewayLimits, readBody: (Int) -> [UInt8], handler: RequestHandler
    ) -> Outcome {
        let head: GatewayRequestHead
        do {
            head = try GatewayRequestHead.parse(params, limits: limits, unreadBytes: unreadBytes)
            try GatewayBody.check(head, limit: limits.bodyLimit)
        } catch {
            return Outcome(response: refusal(error, params: params), bodyConsumed: false)
        }
        let body: [UInt8]
        do {
            body = try GatewayBody.read(head, limit: limits.bodyLimit, using: readBody)
        } catch {
            return Outcome(response: refusal(error, params: params), bodyConsumed: false)
        }
        let request = HTTPRequest(
            method: head.method, path: head.path, query: head.query, headers: head.headers, body: body,
            remoteAddress: head.remoteAddress)
        return Outcome(response: handler(request), bodyConsumed: true)
    }

    /// A request refused before the application saw it still carries its request id, in
    /// `X-Request-ID` and the error body, like every other error.
    static func refusal(_ error: APIError, params: [GatewayParam]) -> HTTPResponse {
        let header = params.first { $0.name == "HTTP_X_REQUEST_ID" }.map { String(decoding: $0.value, as: UTF8.self) }
        let scope = RequestScope(requestID: RequestScope.requestID(from: header))
        var response = RequestScope.$current.withValue(scope) { error.response }
        response.headers.set("X-Request-ID", scope.requestID)
        return response
    }
}
