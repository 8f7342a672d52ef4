package import PresigndSupport

/// An error a client can act on: an HTTP status, a stable machine-readable code, and a message
/// that says what to fix. Messages never carry secrets, tokens, signatures or signed URLs.
package struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    package var status: Int
    package var code: ErrorCode
    package var message: String
    package var headers: HTTPHeaders

    package init(status: Int, code: ErrorCode, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    package var description: String { "\(status) \(code): \(message)" }

    /// The error's response outside any request (no request id).
    package var response: HTTPResponse { response(requestID: nil) }

    /// `{"error": {"code": …, "message": …, "request_id": …}}`, the one shape every error body has.
    package func response(requestID: String? = nil) -> HTTPResponse {
        HTTPResponse.json(["error": body(requestID: requestID)], status: status, headers: headers)
    }

    /// `{"code": …, "message": …, "request_id": …}`: the request id is the one in `X-Request-ID`
    /// and the log, so a user's report finds its log line.
    package func body(requestID: String? = nil) -> JSONValue {
        var error: JSONObject = ["code": .string(code.rawValue), "message": .string(message)]
        if let requestID { error["request_id"] = .string(requestID) }
        return .object(error)
    }

    package static func badRequest(_ code: ErrorCode, _ message: String) -> APIError {
        APIError(status: 400, code: code, message: message)
    }
    package static func notFound(_ message: String = "no such resource") -> APIError {
        APIError(status: 404, code: .notFound, message: message)
    }
    package static func internalError() -> APIError {
        APIError(status: 500, code: .internalError, message: "the server failed to handle the request; it has been logged")
    }
}

/// Anything that can turn itself into an `APIError`; everything else becomes a 500.
package protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension APIError: APIErrorConvertible {
    package var apiError: APIError { self }
}
