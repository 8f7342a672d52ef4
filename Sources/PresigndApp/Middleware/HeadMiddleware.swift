import PresigndHTTP
import PresigndSigning
import PresigndUploads

/// HEAD is answered by the GET route (the router's rule) with the body taken off.
struct HeadMiddleware: Middleware {
    func handle(_ request: HTTPRequest, context: inout RequestContext, next: Next) throws -> HTTPResponse {
        var response = next(request, &context)
        if request.method == "HEAD" { response.body = [] }
        return response
    }
}
