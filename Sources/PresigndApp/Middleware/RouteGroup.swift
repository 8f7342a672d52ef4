package import PresigndHTTP
import PresigndJWT
import PresigndSigning
import PresigndUploads

/// Routes under one prefix that share their access, scope group, middleware and error
/// rendering (Hummingbird's `RouterGroup`): `/api/uploads`, `/api/documents`, Uppy's prefix,
/// the media prefix.
package struct RouteGroup: Sendable {
    package let prefix: String
    package let access: RouteAccess
    /// The scope group (`PRESIGND_JWT_SCOPES_<GROUP>`) its routes belong to.
    package let scopes: String?
    package let middleware: [any Middleware]
    package let renderError: (@Sendable (APIError, String?) -> HTTPResponse)?

    package init(_ prefix: String, access: RouteAccess, scopes: String? = nil, middleware: [any Middleware] = [],
                renderError: (@Sendable (APIError, String?) -> HTTPResponse)? = nil) {
        self.prefix = prefix
        self.access = access
        self.scopes = scopes
        self.middleware = middleware
        self.renderError = renderError
    }

    package func route(_ method: String, _ path: String, changesState: Bool? = nil, takesRest: Bool = false,
                      _ handle: @escaping @Sendable (RequestContext) throws -> HTTPResponse) -> Route<Endpoint> {
        Route(method, prefix + path, access: access, changesState: changesState, takesRest: takesRest,
              handler: Endpoint(group: scopes, renderError: renderError, middleware: middleware, handle))
    }
}
