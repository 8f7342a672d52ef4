package import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndUploads

/// CORS for apps on another origin than the API (`PRESIGND_CORS_ORIGINS`). For an allowed
/// origin: a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered 204 with the
/// methods the path has, and every answer under `/api/` carries `Access-Control-Allow-Origin`;
/// errors included, so a page can read the API's message. Other origins get no CORS headers
/// (the browser then refuses to let the page read the answer) and a 403 to their preflight.
/// Credentials are allowed only where the token may come from a cookie
/// (`PRESIGND_JWT_COOKIE`); bearer tokens need none. A plain `OPTIONS` (no preflight) gets
/// 204 with `Allow`.
package struct CORSMiddleware: Middleware {
    package let config: CORSConfig
    package let allowCredentials: Bool
    /// The methods a path has (empty when it has none), for `Access-Control-Allow-Methods` and `Allow`.
    let methods: @Sendable (String) -> [String]

    package static let allowedHeaders = "Authorization, Content-Type, X-Requested-With"
    /// Headers a page may read besides the CORS-safelisted ones.
    package static let exposedHeaders = "WWW-Authenticate, Retry-After, Allow"

    package init(config: CORSConfig, allowCredentials: Bool, methods: @escaping @Sendable (String) -> [String]) {
        self.config = config
        self.allowCredentials = allowCredentials
        self.methods = methods
    }

    package func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        guard request.path.hasPrefix("/api/") else { return next(request, &context) }
        let origin = request.headers["Origin"]
        let allowed = origin.map(config.allows) ?? false
        if request.method == "OPTIONS" {
            context.route = "preflight"
            let methods = methods(request.path)
            guard !methods.isEmpty else { throw APIError.notFound("no route for this path") }
            guard let origin, request.headers["Access-Control-Request-Method"] != nil else {
                return HTTPResponse(status: 204, headers: ["Allow": (methods + ["OPTIONS"]).joined(separator: ", ")])
            }
            guard allowed else {
                throw APIError(status: 403, code: .originNotAllowed,
                               message: "this origin may not call the API; the operator lists app origins in PRESIGND_CORS_ORIGINS")
            }
            var response = HTTPResponse(status: 204)
            decorate(&response, origin: origin)
            response.headers.set("Access-Control-Allow-Methods", methods.joined(separator: ", "))
            response.headers.set("Access-Control-Allow-Headers", CORSMiddleware.allowedHeaders)
            response.headers.set("Access-Control-Max-Age", String(config.maxAge))
            response.headers.set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
            return response
        }
        var response = next(request, &context)
        if let origin, allowed {
            decorate(&response, origin: origin)
            response.headers.set("Access-Control-Expose-Headers", CORSMiddleware.exposedHeaders)
        }
        // Caches must not give one origin's answer to another.
        if !config.origins.isEmpty { response.headers.set("Vary", "Origin") }
        return response
    }

    func decorate(_ response: inout HTTPResponse, origin: String) {
        response.headers.set("Access-Control-Allow-Origin", origin)
        if allowCredentials { response.headers.set("Access-Control-Allow-Credentials", "true") }
    }
}
