package import PresigndHTTP
import PresigndMetrics
import PresigndSupport

/// The handler the application supplies: one request in, one response out.
package typealias RequestHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// The flow shared by FastCGI and CGI: read the head, refuse what is too big before reading the
/// body, read the body, ask the handler.
enum RequestExchange {
    struct Outcome {
        let response: HTTPResponse
        /// False when the body was left unread (refused before reading): the caller discards it.
        let bodyConsumed: Bool
    }

    static func respond(
        params: some GatewayParams, limits: GatewayLimits, requestIDs: RequestIDs, readBody: (Int) -> [UInt8], handler: RequestHandler
    ) -> Outcome {
        let head: GatewayRequestHead
        do {
            head = try GatewayRequestHead.parse(params, limits: limits)
            try GatewayBody.check(head, limit: limits.bodyLimit)
        } catch {
            return Outcome(response: refusal(error, params: params, requestIDs: requestIDs), bodyConsumed: false)
        }
        let body: [UInt8]
        do {
            body = try GatewayBody.read(head, limit: limits.bodyLimit, using: readBody)
        } catch {
            return Outcome(response: refusal(error, params: params, requestIDs: requestIDs), bodyConsumed: false)
        }
        let request = HTTPRequest(
            method: head.method, path: head.path, query: head.query, headers: head.headers, body: body,
            remoteAddress: head.remoteAddress)
        return Outcome(response: handler(request), bodyConsumed: true)
    }

    /// A request refused before the application saw it still carries its request id, in
    /// `X-Request-ID` and the error body, like every other error.
    static func refusal(_ error: APIError, params: some GatewayParams, requestIDs: RequestIDs) -> HTTPResponse {
        let requestID = requestIDs.id(from: GatewayRequestHead.requestID(in: params))
        var response = error.response(requestID: requestID)
        response.headers.set("X-Request-ID", requestID)
        return response
    }
}
