import PresigndCore

/// What a route handler gets: the request, the path parameters, the authenticated user (for
/// routes that need one) and the time the request is handled at.
public struct RequestContext: Sendable {
    public let request: HTTPRequest
    public let parameters: [String: String]
    public let user: AuthenticatedUser?
    public let now: UnixSeconds

    public init(request: HTTPRequest, parameters: [String: String] = [:], user: AuthenticatedUser? = nil, now: UnixSeconds) {
        self.request = request
        self.parameters = parameters
        self.user = user
        self.now = now
    }

    /// The authenticated user; routes declared `.user` always have one.
    public func requireUser() throws(APIError) -> AuthenticatedUser {
        guard let user else {
            throw APIError(status: 401, code: "unauthenticated", message: "this route needs a bearer token",
                           headers: ["WWW-Authenticate": "Bearer"])
        }
        return user
    }

    /// A path parameter declared in the route's pattern.
    public func parameter(_ name: String) -> String {
        guard let value = parameters[name] else { preconditionFailure("route has no parameter {\(name)}") }
        return value
    }

    /// The body as a JSON object: 415 unless the client says `application/json`, 400 naming the
    /// problem when the text is not a JSON object.
    public func jsonBody() throws(APIError) -> JSONBody {
        try JSONBody.parse(request)
    }
}
