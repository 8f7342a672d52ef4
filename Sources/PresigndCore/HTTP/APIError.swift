/// An error a client can act on: an HTTP status, a stable machine-readable code, and a message
/// that says what to fix. Messages never carry secrets, tokens, signatures or signed URLs.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var headers: HTTPHeaders

    public init(status: Int, code: String, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// `{"error": {"code": …, "message": …}}`, the one shape every error body has.
    public var response: HTTPResponse {
        HTTPResponse.json(["error": ["code": .string(code), "message": .string(message)]], status: status, headers: headers)
    }

    public static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: 400, code: code, message: message)
    }
    public static func notFound(_ message: String = "no such resource") -> APIError {
        APIError(status: 404, code: "not_found", message: message)
    }
    public static func internalError() -> APIError {
        APIError(status: 500, code: "internal_error", message: "the server failed to handle the request; it has been logged")
    }
}

/// Anything that can turn itself into an `APIError`; everything else becomes a 500.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension APIError: APIErrorConvertible {
    public var apiError: APIError { self }
}
