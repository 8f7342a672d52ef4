package import PresigndHTTP
import PresigndSigning
import PresigndUploads

/// `GET /api/openapi.json`: the API's OpenAPI 3.1 document. Needs no token, so tools and
/// people can read the API before they hold one; it describes the routes, never their data.
package enum OpenAPIRoutes {
    /// The document's bytes, made once.
    static let body = OpenAPIDocument.bytes

    package static func routes() -> [Route<Endpoint>] {
        [
            Route("GET", "/api/openapi.json", access: .everyone, handler: Endpoint { _ in
                HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body)
            }),
        ]
    }
}
